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
		if (g_ascii_strcasecmp(part, "from") != 0 &&
		    g_ascii_strcasecmp(part, "to") != 0) {
			sieve_validator_error(v, arg->line, arg->column,
					      "unknown envelope part '%s'",
					      part);
			return -1;
		}
	}
	node->data = sieve_match_test_data_new(args);
	node->data_free = sieve_match_test_data_free;
	return 0;
}

static int tst_envelope_test(sieve_run *run, const sieve_ast_node *node,
			     gboolean *result_r)
{
	const sieve_match_test_data *data = node->data;
	char *const *part;
	sieve_match match;

	sieve_match_init(&match, &data->match, data->keys);
	for (part = data->names; *part != NULL; part++) {
		const char *value = strcmp(*part, "from") == 0 ?
					    run->envelope->from :
					    run->envelope->to;
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
		if (sieve_match_address(&match, data->match.address_part,
					local, at != NULL ? at + 1 : NULL,
					value)) {
			*result_r = TRUE;
			return 0;
		}
	}
	*result_r = sieve_match_finish(&match);
	return 0;
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
