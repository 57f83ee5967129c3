/* ihave (RFC 5463): the ihave test and the error command. The validator
 * (validate.c) leaves the block of "if ihave" unchecked when a capability
 * is unknown, since it may use commands vea does not have. */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

static int tst_ihave_validate(sieve_validator *v, sieve_ast_node *node,
			      const sieve_args *args)
{
	const sieve_ast_arg *arg = args->positional[0];
	guint i;

	/* Section 4: known now, known at run time (one binary). An
	 * extension that changes how strings read (encoded-character,
	 * variables) cannot be switched on for one block: no. */
	node->data = GINT_TO_POINTER(TRUE);
	for (i = 0; i < arg->strings->len; i++) {
		if (!sieve_registry_ihave_capability(
			    g_ptr_array_index(arg->strings, i)))
			node->data = GINT_TO_POINTER(FALSE);
	}
	return 0;
}

static int tst_ihave_test(sieve_run *run, const sieve_ast_node *node,
			  gboolean *result_r)
{
	*result_r = GPOINTER_TO_INT(node->data);
	return 0;
}

static const sieve_command_def tst_ihave = {
	.name = "ihave",
	.flags = SIEVE_CMD_TEST,
	.positional = "L",
	.validate = tst_ihave_validate,
	.test = tst_ihave_test,
};

/* error (section 5): stop with a run-time error. */
static int cmd_error_validate(sieve_validator *v, sieve_ast_node *node,
			      const sieve_args *args)
{
	node->data = g_strdup(sieve_arg_string(args->positional[0]));
	node->data_free = g_free;
	return 0;
}

static sieve_exec_status cmd_error_execute(sieve_run *run,
					   const sieve_ast_node *node)
{
	return sieve_run_error(run, node, "%s",
			       sieve_run_str(run, node->data));
}

static const sieve_command_def cmd_error = {
	.name = "error",
	.positional = "S",
	.validate = cmd_error_validate,
	.execute = cmd_error_execute,
};

static const sieve_command_def *const ihave_commands[] = {
	&tst_ihave, &cmd_error, NULL
};

const sieve_extension sieve_ext_ihave = {
	.capability = "ihave",
	.commands = ihave_commands,
};
