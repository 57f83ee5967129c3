/* envelope (RFC 5228 section 5.4). An IMAP agent often knows no
 * envelope: then the test sees no values and is false (:count "eq" "0"
 * aside). */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

#include <string.h>

static int tst_envelope_validate(sieve_validator *v, sieve_ast_node *node,
				 const sieve_args *args)
{
	const sieve_ast_arg *arg = args->positional[0];
	guint i;

	for (i = 0; i < arg->strings->len; i++) {
		const char *part = g_ptr_array_index(arg->strings, i);

		/* Section 5.4: "from" and "to" are the parts defined. */
		if (sieve_validator_is_constant(v, part) &&
		    g_ascii_strcasecmp(part, "from") != 0 &&
		    g_ascii_strcasecmp(part, "to") != 0) {
			sieve_validator_error(v, arg->line, arg->column,
					      "unknown envelope part '%s'",
					      part);
			return -1;
		}
	}
	return sieve_match_test_validate(v, node, args);
}

static int tst_envelope_test(sieve_run *run, const sieve_ast_node *node,
			     gboolean *result_r)
{
	const sieve_match_test_data *data = node->data;
	char *const *part;
	sieve_match match;
	gboolean matched = FALSE;

	sieve_run_match_init(run, &match, &data->match, data->keys,
			     data->regexes);
	for (part = sieve_run_strv(run, data->names);
	     *part != NULL && !matched; part++) {
		const char *value =
			g_ascii_strcasecmp(*part, "from") == 0 ?
				run->envelope->from :
			g_ascii_strcasecmp(*part, "to") == 0 ?
				run->envelope->to :
				NULL;
		const char *at;
		char local[512];
		size_t len;

		if (value == NULL)
			continue;
		at = strrchr(value, '@');
		len = at != NULL ? (size_t)(at - value) : strlen(value);
		if (len >= sizeof(local))
			len = sizeof(local) - 1;
		memcpy(local, value, len);
		local[len] = '\0';
		matched = sieve_match_address(&match, data->match.address_part,
					      local,
					      at != NULL ? at + 1 : NULL,
					      value);
	}
	return sieve_run_match_end(run, node, &match, matched, result_r);
}

static const sieve_command_def tst_envelope = {
	.name = "envelope",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_MATCH | SIEVE_CMD_ADDRESS_PART,
	.positional = "LL",
	.validate = tst_envelope_validate,
	.test = tst_envelope_test,
};

static const sieve_command_def *const envelope_commands[] = {
	&tst_envelope, NULL
};

const sieve_extension sieve_ext_envelope = {
	.capability = "envelope",
	.commands = envelope_commands,
};
