/* environment (RFC 5183): items about where the script runs. vea runs
 * after delivery, in the mail store ("MS"), in the "post" phase. */

#include "config.h"

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

#include <string.h>

/* The value of item, NULL when unknown (the test is then false). */
static const char *environment_item(const sieve_run *run, const char *item)
{
	if (g_ascii_strcasecmp(item, "domain") == 0)
		return run->opts->domain;
	if (g_ascii_strcasecmp(item, "host") == 0)
		return run->opts->host;
	if (g_ascii_strcasecmp(item, "location") == 0)
		return "MS";
	if (g_ascii_strcasecmp(item, "phase") == 0)
		return "post";
	if (g_ascii_strcasecmp(item, "name") == 0)
		return "vea";
	if (g_ascii_strcasecmp(item, "version") == 0)
		return PACKAGE_VERSION;
	return NULL;
}

static int tst_environment_test(sieve_run *run, const sieve_ast_node *node,
				gboolean *result_r)
{
	const sieve_match_test_data *data = node->data;
	const char *values[2] = {
		environment_item(run, sieve_run_str(run, data->names[0])), NULL
	};

	if (values[0] == NULL) {
		*result_r = FALSE;
		return 0;
	}
	return sieve_run_match_values(run, node, &data->match, data->keys,
				      data->regexes, values, result_r);
}

static const sieve_command_def tst_environment = {
	.name = "environment",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_MATCH,
	.positional = "SL",
	.validate = sieve_match_test_validate,
	.test = tst_environment_test,
};

static const sieve_command_def *const environment_commands[] = {
	&tst_environment, NULL
};

const sieve_extension sieve_ext_environment = {
	.capability = "environment",
	.commands = environment_commands,
};
