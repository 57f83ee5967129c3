/* fileinto (RFC 5228 section 4.1); :copy, :create and :flags come from
 * their extensions. */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

static int cmd_fileinto_validate(sieve_validator *v, sieve_ast_node *node,
				 const sieve_args *args)
{
	const sieve_ast_arg *arg = args->positional[0];
	const char *mailbox = sieve_arg_string(arg);

	/* Mailbox names are UTF-8 (RFC 5228 section 2.4.2.4, RFC 5198). */
	if (sieve_validator_is_constant(v, mailbox) &&
	    (*mailbox == '\0' || !g_utf8_validate(mailbox, -1, NULL))) {
		sieve_validator_error(v, arg->line, arg->column,
				      "invalid mailbox name for 'fileinto'");
		return -1;
	}
	node->data = sieve_store_data_new(args, mailbox);
	node->data_free = sieve_store_data_free;
	return 0;
}

static sieve_exec_status cmd_fileinto_execute(sieve_run *run,
					      const sieve_ast_node *node)
{
	const sieve_store_data *data = node->data;
	const char *const *flags = sieve_store_data_flags(run, data);
	const char *mailbox = sieve_run_str(run, data->mailbox);

	if (mailbox != data->mailbox &&
	    (*mailbox == '\0' || !g_utf8_validate(mailbox, -1, NULL)))
		return sieve_run_error(run, node,
				       "invalid mailbox name '%s' for "
				       "'fileinto'", mailbox);
	if (sieve_result_add_fileinto(&run->result, node->line, mailbox,
				      flags, data->copy, data->create,
				      &run->error) < 0)
		return SIEVE_EXEC_FAILED;
	return SIEVE_EXEC_OK;
}

static const sieve_command_def cmd_fileinto = {
	.name = "fileinto",
	.positional = "S",
	.validate = cmd_fileinto_validate,
	.execute = cmd_fileinto_execute,
};

static const sieve_command_def *const fileinto_commands[] = {
	&cmd_fileinto, NULL
};

const sieve_extension sieve_ext_fileinto = {
	.capability = "fileinto",
	.commands = fileinto_commands,
};
