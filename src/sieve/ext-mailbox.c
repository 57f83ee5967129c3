/* mailbox (RFC 5490 section 3): fileinto :create, and the mailboxexists
 * test. The engine knows no mailboxes: the caller answers through
 * sieve_execute_options.mailbox_exists. */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

static const sieve_tag_def tag_create = {
	"create", SIEVE_TAG_CREATE, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE,
	"mailbox"
};

static const sieve_tag_ext mailbox_tags[] = {
	{ "fileinto", &tag_create },
	{ NULL, NULL },
};

static int tst_mailboxexists_validate(sieve_validator *v, sieve_ast_node *node,
				      const sieve_args *args)
{
	node->data = sieve_arg_dup_strv(args->positional[0]);
	node->data_free = (GDestroyNotify)g_strfreev;
	return 0;
}

/* Section 3.1: true when every named mailbox exists (and could be filed
 * into). Without a way to ask, no mailbox is known to exist: false,
 * which makes scripts take their :create path. */
static int tst_mailboxexists_test(sieve_run *run, const sieve_ast_node *node,
				  gboolean *result_r)
{
	const sieve_execute_options *opts = run->opts;
	char *const *names;

	*result_r = opts->mailbox_exists != NULL;
	for (names = sieve_run_strv(run, node->data); *result_r && *names != NULL; names++) {
		if (!g_utf8_validate(*names, -1, NULL) ||
		    !opts->mailbox_exists(*names, opts->context))
			*result_r = FALSE;
	}
	return 0;
}

static const sieve_command_def tst_mailboxexists = {
	.name = "mailboxexists",
	.flags = SIEVE_CMD_TEST,
	.positional = "L",
	.validate = tst_mailboxexists_validate,
	.test = tst_mailboxexists_test,
};

static const sieve_command_def *const mailbox_commands[] = {
	&tst_mailboxexists, NULL
};

const sieve_extension sieve_ext_mailbox = {
	.capability = "mailbox",
	.commands = mailbox_commands,
	.tags = mailbox_tags,
};
