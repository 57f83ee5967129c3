/* The base language of RFC 5228: control commands (section 3), actions
 * (section 4) and tests (section 5). */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"
#include "sieve/ext-mime.h"

#include <string.h>

/* require (section 3.2) */

static int cmd_require_validate(sieve_validator *v, sieve_ast_node *node,
				const sieve_args *args)
{
	const sieve_ast_arg *arg = args->positional[0];
	int ret = 0;
	guint i;

	for (i = 0; i < arg->strings->len; i++) {
		const char *capability = g_ptr_array_index(arg->strings, i);

		/* RFC 5228 section 2.10.5: an unknown capability fails the
		 * script. */
		if (!sieve_registry_knows_capability(capability)) {
			sieve_validator_error(v, arg->line, arg->column,
					      "unknown capability '%s' in require",
					      capability);
			ret = -1;
			continue;
		}
		{
			const sieve_extension *ext =
				sieve_registry_find_extension(capability);

			if (ext != NULL && ext->require_error != NULL) {
				sieve_validator_error(v, arg->line, arg->column,
						      "%s", ext->require_error);
				ret = -1;
				/* Known from here on: one error, not one
				 * per use. */
				if (!sieve_validator_has_capability(
					    v, capability))
					g_ptr_array_add(v->capabilities,
							(gpointer)capability);
				continue;
			}
		}
		if (!sieve_validator_has_capability(v, capability))
			g_ptr_array_add(v->capabilities, (gpointer)capability);
	}
	return ret;
}

static const sieve_command_def cmd_require = {
	.name = "require",
	.flags = SIEVE_CMD_REQUIRE,
	.positional = "L",
	.validate = cmd_require_validate,
};

/* if, elsif, else (section 3.1): the interpreter runs them. */

static const sieve_command_def cmd_if = {
	.name = "if",
	.flags = SIEVE_CMD_IF | SIEVE_CMD_ONE_TEST | SIEVE_CMD_BLOCK,
};

static const sieve_command_def cmd_elsif = {
	.name = "elsif",
	.flags = SIEVE_CMD_ELSE_BRANCH | SIEVE_CMD_ONE_TEST | SIEVE_CMD_BLOCK,
};

static const sieve_command_def cmd_else = {
	.name = "else",
	.flags = SIEVE_CMD_ELSE_BRANCH | SIEVE_CMD_BLOCK,
};

/* stop (section 3.3) */

static sieve_exec_status cmd_stop_execute(sieve_run *run,
					  const sieve_ast_node *node)
{
	return SIEVE_EXEC_STOP;
}

static const sieve_command_def cmd_stop = {
	.name = "stop",
	.execute = cmd_stop_execute,
};

/* keep (section 4.3), with :flags from imap4flags */

static int cmd_keep_validate(sieve_validator *v, sieve_ast_node *node,
			     const sieve_args *args)
{
	node->data = sieve_store_data_new(args, NULL);
	node->data_free = sieve_store_data_free;
	return 0;
}

static sieve_exec_status cmd_keep_execute(sieve_run *run,
					  const sieve_ast_node *node)
{
	const sieve_store_data *data = node->data;
	const char *const *flags = sieve_store_data_flags(run, data);

	if (sieve_result_add_keep(&run->result, node->line, flags,
				  &run->error) < 0)
		return SIEVE_EXEC_FAILED;
	return SIEVE_EXEC_OK;
}

static const sieve_command_def cmd_keep = {
	.name = "keep",
	.validate = cmd_keep_validate,
	.execute = cmd_keep_execute,
};

/* discard (section 4.4) */

static sieve_exec_status cmd_discard_execute(sieve_run *run,
					     const sieve_ast_node *node)
{
	if (sieve_result_add_discard(&run->result, node->line, &run->error) < 0)
		return SIEVE_EXEC_FAILED;
	return SIEVE_EXEC_OK;
}

static const sieve_command_def cmd_discard = {
	.name = "discard",
	.execute = cmd_discard_execute,
};

/* redirect (section 4.2), with :copy from copy */

/* Section 4.2: the address must be a valid RFC 5322 addr-spec. A light
 * check: one '@' with something on both sides and no white space or
 * angle brackets; the agent's SMTP client has the last word. */
gboolean sieve_address_is_valid(const char *address)
{
	const char *at = strrchr(address, '@');
	const char *p;

	if (at == NULL || at == address || at[1] == '\0')
		return FALSE;
	for (p = address; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || *p == '<' || *p == '>' ||
		    *p == ',' || *p == 0x7f)
			return FALSE;
	}
	return TRUE;
}

typedef struct cmd_redirect_data {
	char *address;
	gboolean copy;
} cmd_redirect_data;

static void cmd_redirect_data_free(gpointer data)
{
	cmd_redirect_data *d = data;

	g_free(d->address);
	g_free(d);
}

static int cmd_redirect_validate(sieve_validator *v, sieve_ast_node *node,
				 const sieve_args *args)
{
	const sieve_ast_arg *arg = args->positional[0];
	const char *address = sieve_arg_string(arg);
	cmd_redirect_data *data;

	if (sieve_validator_is_constant(v, address) &&
	    !sieve_address_is_valid(address)) {
		sieve_validator_error(v, arg->line, arg->column,
				      "invalid redirect address '%s'", address);
		return -1;
	}
	data = g_new0(cmd_redirect_data, 1);
	data->address = g_strdup(address);
	data->copy = sieve_args_find_tag(args, SIEVE_TAG_COPY, NULL) != NULL;
	node->data = data;
	node->data_free = cmd_redirect_data_free;
	return 0;
}

static sieve_exec_status cmd_redirect_execute(sieve_run *run,
					      const sieve_ast_node *node)
{
	const cmd_redirect_data *data = node->data;
	const char *address = sieve_run_str(run, data->address);

	if (address != data->address && !sieve_address_is_valid(address))
		return sieve_run_error(run, node,
				       "invalid redirect address '%s'",
				       address);
	if (sieve_result_add_redirect(&run->result, node->line, address,
				      data->copy, &run->error) < 0)
		return SIEVE_EXEC_FAILED;
	return SIEVE_EXEC_OK;
}

static const sieve_command_def cmd_redirect = {
	.name = "redirect",
	.positional = "S",
	.validate = cmd_redirect_validate,
	.execute = cmd_redirect_execute,
};

/* true, false (sections 5.6, 5.10) */

static int tst_true_test(sieve_run *run, const sieve_ast_node *node,
			 gboolean *result_r)
{
	*result_r = TRUE;
	return 0;
}

static int tst_false_test(sieve_run *run, const sieve_ast_node *node,
			  gboolean *result_r)
{
	*result_r = FALSE;
	return 0;
}

static const sieve_command_def tst_true = {
	.name = "true",
	.flags = SIEVE_CMD_TEST,
	.test = tst_true_test,
};

static const sieve_command_def tst_false = {
	.name = "false",
	.flags = SIEVE_CMD_TEST,
	.test = tst_false_test,
};

/* not, allof, anyof (sections 5.8, 5.2, 5.3): short-circuit. */

static int tst_not_test(sieve_run *run, const sieve_ast_node *node,
			gboolean *result_r)
{
	if (sieve_run_test(run, g_ptr_array_index(node->tests, 0), result_r) < 0)
		return -1;
	*result_r = !*result_r;
	return 0;
}

static int tst_allof_anyof(sieve_run *run, const sieve_ast_node *node,
			   gboolean anyof, gboolean *result_r)
{
	guint i;

	for (i = 0; i < node->tests->len; i++) {
		if (sieve_run_test(run, g_ptr_array_index(node->tests, i),
				   result_r) < 0)
			return -1;
		if (*result_r == anyof)
			return 0;
	}
	*result_r = !anyof;
	return 0;
}

static int tst_allof_test(sieve_run *run, const sieve_ast_node *node,
			  gboolean *result_r)
{
	return tst_allof_anyof(run, node, FALSE, result_r);
}

static int tst_anyof_test(sieve_run *run, const sieve_ast_node *node,
			  gboolean *result_r)
{
	return tst_allof_anyof(run, node, TRUE, result_r);
}

static const sieve_command_def tst_not = {
	.name = "not",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_ONE_TEST,
	.test = tst_not_test,
};

static const sieve_command_def tst_allof = {
	.name = "allof",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_TEST_LIST,
	.test = tst_allof_test,
};

static const sieve_command_def tst_anyof = {
	.name = "anyof",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_TEST_LIST,
	.test = tst_anyof_test,
};

/* exists (section 5.5): true when every named header is there. */

typedef struct tst_exists_data {
	char **names;
	sieve_mime_opts *mime; /* :mime (RFC 5703 section 4.3), or NULL */
} tst_exists_data;

static void tst_exists_data_free(gpointer data)
{
	tst_exists_data *d = data;

	g_strfreev(d->names);
	sieve_mime_opts_free(d->mime);
	g_free(d);
}

static int tst_exists_validate(sieve_validator *v, sieve_ast_node *node,
			       const sieve_args *args)
{
	tst_exists_data *data;
	sieve_mime_opts *mime;

	if (sieve_mime_opts_validate(v, node, args, &mime) < 0)
		return -1;
	data = g_new0(tst_exists_data, 1);
	data->names = sieve_arg_dup_strv_lower(args->positional[0]);
	data->mime = mime;
	node->data = data;
	node->data_free = tst_exists_data_free;
	return 0;
}

static int tst_exists_test(sieve_run *run, const sieve_ast_node *node,
			   gboolean *result_r)
{
	const tst_exists_data *data = node->data;
	char *const *name;

	if (data->mime != NULL) {
		*result_r = sieve_mime_exists(run, data->mime,
					      sieve_run_strv(run, data->names));
		return 0;
	}
	for (name = sieve_run_strv(run, data->names); *name != NULL; name++) {
		if (sieve_run_header_values(run, *name)[0] == NULL) {
			*result_r = FALSE;
			return 0;
		}
	}
	*result_r = TRUE;
	return 0;
}

static const sieve_command_def tst_exists = {
	.name = "exists",
	.flags = SIEVE_CMD_TEST,
	.positional = "L",
	.validate = tst_exists_validate,
	.test = tst_exists_test,
};

/* header (section 5.7) */

int sieve_match_test_validate(sieve_validator *v, sieve_ast_node *node,
			      const sieve_args *args)
{
	sieve_match_test_data *data;
	const sieve_ast_arg *index;
	void **regexes;

	if (sieve_validate_keys(v, &args->match,
				args->positional[args->n_positional - 1],
				&regexes) < 0)
		return -1;
	data = sieve_match_test_data_new(args);
	data->regexes = regexes;
	if (sieve_mime_opts_validate(v, node, args, &data->mime) < 0) {
		sieve_match_test_data_free(data);
		return -1;
	}
	if (sieve_args_find_tag(args, SIEVE_TAG_INDEX, &index) != NULL)
		data->index = (int)MIN(index->number, G_MAXINT);
	data->last = sieve_args_find_tag(args, SIEVE_TAG_LAST, NULL) != NULL;
	if (data->last && data->index == 0) {
		sieve_validator_error(v, node->line, node->column,
				      "':last' needs ':index'");
		sieve_match_test_data_free(data);
		return -1;
	}
	node->data = data;
	node->data_free = sieve_match_test_data_free;
	return 0;
}

static int tst_header_test(sieve_run *run, const sieve_ast_node *node,
			   gboolean *result_r)
{
	const sieve_match_test_data *data = node->data;
	char *const *names, *const *name;
	sieve_match match;
	gboolean matched = FALSE;

	if (data->mime != NULL)
		return sieve_mime_header_test(run, node, data, result_r);
	sieve_run_match_init(run, &match, &data->match, data->keys,
			     data->regexes);
	names = sieve_run_strv(run, data->names);
	for (name = names; *name != NULL && !matched; name++) {
		/* Names as compiled have their interned ids. */
		const char *const *value = sieve_run_header_values_id(
			run, *name,
			names == data->names && data->name_ids != NULL ?
				data->name_ids[name - names] : -1);

		if (data->index > 0) {
			/* index (RFC 5260 section 6): the N-th field only,
			 * counted from the end with :last. */
			guint n = g_strv_length((char **)value);

			if ((guint)data->index <= n)
				matched = sieve_match_value(
					&match,
					value[data->last ? n - data->index :
							   (guint)data->index - 1]);
			continue;
		}
		for (; *value != NULL && !matched; value++)
			matched = sieve_match_value(&match, *value);
	}
	return sieve_run_match_end(run, node, &match, matched, result_r);
}

static const sieve_command_def tst_header = {
	.name = "header",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_MATCH,
	.positional = "LL",
	.validate = sieve_match_test_validate,
	.test = tst_header_test,
};

/* address (section 5.1) */

/* Section 5.1: the address test is for headers that hold addresses;
 * Pigeonhole rejects others ("specified header 'subject' is not allowed
 * for the address test") and so does vea. */
static const char *const tst_address_headers[] = {
	"from", "sender", "reply-to", "to", "cc", "bcc",
	"resent-from", "resent-sender", "resent-reply-to", "resent-to",
	"resent-cc", "resent-bcc", "return-path", "delivered-to",
	"envelope-to", "x-original-to", "x-envelope-to", "original-recipient",
	"errors-to", "disposition-notification-to", "apparently-to",
	"mail-followup-to", "mail-reply-to", "approved",
};

static int tst_address_validate(sieve_validator *v, sieve_ast_node *node,
				const sieve_args *args)
{
	const sieve_ast_arg *arg = args->positional[0];
	int ret = 0;
	guint i;
	size_t j;

	for (i = 0; i < arg->strings->len; i++) {
		const char *name = g_ptr_array_index(arg->strings, i);

		for (j = 0; j < G_N_ELEMENTS(tst_address_headers); j++) {
			if (g_ascii_strcasecmp(name, tst_address_headers[j]) == 0)
				break;
		}
		if (j == G_N_ELEMENTS(tst_address_headers)) {
			sieve_validator_error(v, arg->line, arg->column,
					      "header '%s' holds no addresses: "
					      "not allowed in the address test",
					      name);
			ret = -1;
		}
	}
	if (ret < 0)
		return -1;
	return sieve_match_test_validate(v, node, args);
}

static int tst_address_test(sieve_run *run, const sieve_ast_node *node,
			    gboolean *result_r)
{
	const sieve_match_test_data *data = node->data;
	char *const *names, *const *name;
	sieve_match match;
	gboolean matched = FALSE;

	if (data->mime != NULL || data->index > 0)
		return sieve_mime_address_test(run, node, data, result_r);
	sieve_run_match_init(run, &match, &data->match, data->keys,
			     data->regexes);
	names = sieve_run_strv(run, data->names);
	for (name = names; *name != NULL && !matched; name++) {
		const GPtrArray *addresses = sieve_run_addresses_id(
			run, *name,
			names == data->names && data->name_ids != NULL ?
				data->name_ids[name - names] : -1);
		guint i;

		for (i = 0; i < addresses->len && !matched; i++) {
			const mime_address *addr =
				g_ptr_array_index(addresses, i);

			matched = sieve_match_address(
				&match, data->match.address_part,
				addr->localpart, addr->domain, addr->addr);
		}
	}
	return sieve_run_match_end(run, node, &match, matched, result_r);
}

static const sieve_command_def tst_address = {
	.name = "address",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_MATCH | SIEVE_CMD_ADDRESS_PART,
	.positional = "LL",
	.validate = tst_address_validate,
	.test = tst_address_test,
};

/* size (section 5.9): exactly one of :over / :under. */

static const sieve_tag_def tag_over = {
	"over", SIEVE_TAG_OVER, SIEVE_TAG_GROUP_SIZE, SIEVE_PARAM_NUMBER, NULL
};
static const sieve_tag_def tag_under = {
	"under", SIEVE_TAG_UNDER, SIEVE_TAG_GROUP_SIZE, SIEVE_PARAM_NUMBER, NULL
};
static const sieve_tag_def *const tst_size_tags[] = {
	&tag_over, &tag_under, NULL
};

typedef struct tst_size_data {
	gboolean over;
	guint64 limit;
} tst_size_data;

static int tst_size_validate(sieve_validator *v, sieve_ast_node *node,
			     const sieve_args *args)
{
	const sieve_ast_arg *param;
	tst_size_data *data = g_new0(tst_size_data, 1);

	if (sieve_args_find_tag(args, SIEVE_TAG_OVER, &param) != NULL) {
		data->over = TRUE;
	} else if (sieve_args_find_tag(args, SIEVE_TAG_UNDER, &param) == NULL) {
		g_free(data);
		sieve_validator_error(v, node->line, node->column,
				      "'size' needs :over or :under");
		return -1;
	}
	data->limit = param->number;
	node->data = data;
	node->data_free = g_free;
	return 0;
}

static int tst_size_test(sieve_run *run, const sieve_ast_node *node,
			 gboolean *result_r)
{
	const tst_size_data *data = node->data;
	guint64 size = mime_message_get_size(run->msg);

	*result_r = data->over ? size > data->limit : size < data->limit;
	return 0;
}

static const sieve_command_def tst_size = {
	.name = "size",
	.flags = SIEVE_CMD_TEST,
	.tags = tst_size_tags,
	.validate = tst_size_validate,
	.test = tst_size_test,
};

static const sieve_command_def *const core_commands[] = {
	&cmd_require, &cmd_if, &cmd_elsif, &cmd_else, &cmd_stop,
	&cmd_keep, &cmd_discard, &cmd_redirect,
	&tst_true, &tst_false, &tst_not, &tst_allof, &tst_anyof,
	&tst_exists, &tst_header, &tst_address, &tst_size,
	NULL
};

const sieve_extension sieve_ext_core = {
	.capability = NULL,
	.commands = core_commands,
};
