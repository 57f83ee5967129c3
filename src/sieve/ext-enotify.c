/* enotify (RFC 5435) with the mailto method (RFC 5436): the notify
 * action, the valid_notify_method and notify_method_capability tests, and
 * the :encodeurl modifier of set. Sending is the agent's business. */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

#include <string.h>

static const sieve_tag_def tag_from = {
	"from", SIEVE_TAG_FROM, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING, NULL
};
static const sieve_tag_def tag_importance = {
	"importance", SIEVE_TAG_IMPORTANCE, SIEVE_TAG_GROUP_NONE,
	SIEVE_PARAM_STRING, NULL
};
static const sieve_tag_def tag_options = {
	"options", SIEVE_TAG_OPTIONS, SIEVE_TAG_GROUP_NONE,
	SIEVE_PARAM_STRING_LIST, NULL
};
static const sieve_tag_def tag_message = {
	"message", SIEVE_TAG_MESSAGE, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING,
	NULL
};
static const sieve_tag_def *const cmd_notify_tags[] = {
	&tag_from, &tag_importance, &tag_options, &tag_message, NULL
};
static const sieve_tag_def tag_encodeurl = {
	"encodeurl", SIEVE_TAG_ENCODEURL, SIEVE_TAG_GROUP_MOD_QUOTE,
	SIEVE_PARAM_NONE, "enotify"
};

/* RFC 6068 section 2: qchar = unreserved / pct-encoded / some-delims,
 * with '%' followed by two hex digits. */
static gboolean mailto_is_qchars(const char *s, const char *end)
{
	for (; s < end; s++) {
		if (*s == '%') {
			if (end - s < 3 || !g_ascii_isxdigit(s[1]) ||
			    !g_ascii_isxdigit(s[2]))
				return FALSE;
			s += 2;
		} else if (!g_ascii_isalnum(*s) &&
			   strchr("-._~!$'()*+,;:@", *s) == NULL) {
			return FALSE;
		}
	}
	return TRUE;
}

/* Percent-decoded s..end; NULL when it decodes to a NUL. */
static char *mailto_unescape(const char *s, const char *end)
{
	return g_uri_unescape_segment(s, end, "");
}

/* A comma-separated list of addr-specs (RFC 6068 section 2 "to"; the
 * decoded value of a to, cc or bcc hfield): each valid, counted in
 * *count_r. An empty list is valid. */
static gboolean mailto_addresses_valid(const char *list, guint *count_r)
{
	g_auto(GStrv) addrs = g_strsplit(list, ",", -1);
	guint i;

	if (*list == '\0')
		return TRUE;
	for (i = 0; addrs[i] != NULL; i++) {
		if (!sieve_address_is_valid(addrs[i]))
			return FALSE;
		(*count_r)++;
	}
	return TRUE;
}

/* RFC 6068 section 2: an hfname is a header field name, which RFC 5322
 * section 3.6.8 makes printable US-ASCII but ':'. */
static gboolean mailto_is_field_name(const char *name)
{
	if (*name == '\0')
		return FALSE;
	for (; *name != '\0'; name++) {
		if ((unsigned char)*name < 33 || (unsigned char)*name > 126 ||
		    *name == ':')
			return FALSE;
	}
	return TRUE;
}

/* RFC 5436 section 2 with RFC 6068 section 2: "mailto:" [to] ["?"
 * hfield *("&" hfield)], hfield = hfname "=" hfvalue. Every recipient
 * (in the to part and in to, cc and bcc hfields) is an addr-spec, every
 * hfname a header field name; at least one recipient. */
static gboolean notify_method_valid(const char *uri)
{
	const char *p, *end;
	guint recipients = 0;

	if (g_ascii_strncasecmp(uri, "mailto:", 7) != 0)
		return FALSE;
	p = uri + 7;
	end = p + strcspn(p, "?");
	if (!mailto_is_qchars(p, end))
		return FALSE;
	{
		g_autofree char *to = mailto_unescape(p, end);

		if (to == NULL || !mailto_addresses_valid(to, &recipients))
			return FALSE;
	}
	p = end;
	while (*p != '\0') {
		const char *field = p + 1, *eq;
		g_autofree char *name = NULL, *value = NULL;

		end = field + strcspn(field, "&");
		eq = memchr(field, '=', end - field);
		if (eq == NULL || !mailto_is_qchars(field, eq) ||
		    !mailto_is_qchars(eq + 1, end))
			return FALSE;
		name = mailto_unescape(field, eq);
		value = mailto_unescape(eq + 1, end);
		if (name == NULL || value == NULL ||
		    !mailto_is_field_name(name))
			return FALSE;
		if ((g_ascii_strcasecmp(name, "to") == 0 ||
		     g_ascii_strcasecmp(name, "cc") == 0 ||
		     g_ascii_strcasecmp(name, "bcc") == 0) &&
		    !mailto_addresses_valid(value, &recipients))
			return FALSE;
		p = end;
	}
	return recipients > 0;
}

typedef struct cmd_notify_data {
	char *method, *from, *importance, *message;
	char **options;
} cmd_notify_data;

static void cmd_notify_data_free(gpointer data)
{
	cmd_notify_data *d = data;

	g_free(d->method);
	g_free(d->from);
	g_free(d->importance);
	g_free(d->message);
	g_strfreev(d->options);
	g_free(d);
}

static gboolean notify_importance_valid(const char *importance)
{
	return (importance[0] == '1' || importance[0] == '2' ||
		importance[0] == '3') && importance[1] == '\0';
}

static int cmd_notify_validate(sieve_validator *v, sieve_ast_node *node,
			       const sieve_args *args)
{
	const sieve_ast_arg *method = args->positional[0], *param;
	cmd_notify_data *data;

	if (sieve_validator_is_constant(v, sieve_arg_string(method)) &&
	    !notify_method_valid(sieve_arg_string(method))) {
		sieve_validator_error(v, method->line, method->column,
				      "invalid or unsupported notification "
				      "method '%s' (vea knows mailto:)",
				      sieve_arg_string(method));
		return -1;
	}
	if (sieve_args_find_tag(args, SIEVE_TAG_IMPORTANCE, &param) != NULL &&
	    sieve_validator_is_constant(v, sieve_arg_string(param)) &&
	    !notify_importance_valid(sieve_arg_string(param))) {
		sieve_validator_error(v, param->line, param->column,
				      "invalid :importance '%s' (1, 2 or 3)",
				      sieve_arg_string(param));
		return -1;
	}
	data = g_new0(cmd_notify_data, 1);
	data->method = g_strdup(sieve_arg_string(method));
	if (param != NULL)
		data->importance = g_strdup(sieve_arg_string(param));
	if (sieve_args_find_tag(args, SIEVE_TAG_FROM, &param) != NULL)
		data->from = g_strdup(sieve_arg_string(param));
	if (sieve_args_find_tag(args, SIEVE_TAG_MESSAGE, &param) != NULL)
		data->message = g_strdup(sieve_arg_string(param));
	if (sieve_args_find_tag(args, SIEVE_TAG_OPTIONS, &param) != NULL)
		data->options = sieve_arg_dup_strv(param);
	node->data = data;
	node->data_free = cmd_notify_data_free;
	return 0;
}

static sieve_exec_status cmd_notify_execute(sieve_run *run,
					    const sieve_ast_node *node)
{
	const cmd_notify_data *data = node->data;
	const char *method = sieve_run_str(run, data->method);
	sieve_action *action;

	/* Section 3.1: an invalid method found at run time is an error. */
	if (!notify_method_valid(method))
		return sieve_run_error(run, node,
				       "invalid notification method '%s'",
				       method);
	action = g_new0(sieve_action, 1);
	action->method = g_strdup(method);
	if (data->from != NULL)
		action->from = g_strdup(sieve_run_str(run, data->from));
	if (data->importance != NULL)
		action->importance =
			g_strdup(sieve_run_str(run, data->importance));
	if (data->message != NULL)
		action->reason = g_strdup(sieve_run_str(run, data->message));
	if (data->options != NULL)
		action->options =
			g_strdupv((char **)sieve_run_strv(run, data->options));
	if (sieve_result_add_notify(&run->result, node->line, action,
				    &run->error) < 0)
		return SIEVE_EXEC_FAILED;
	return SIEVE_EXEC_OK;
}

static const sieve_command_def cmd_notify = {
	.name = "notify",
	.positional = "S",
	.tags = cmd_notify_tags,
	.validate = cmd_notify_validate,
	.execute = cmd_notify_execute,
};

/* valid_notify_method (section 5): every URI is valid and supported. */
static int tst_valid_notify_method_validate(sieve_validator *v,
					    sieve_ast_node *node,
					    const sieve_args *args)
{
	node->data = sieve_arg_dup_strv(args->positional[0]);
	node->data_free = (GDestroyNotify)g_strfreev;
	return 0;
}

static int tst_valid_notify_method_test(sieve_run *run,
					const sieve_ast_node *node,
					gboolean *result_r)
{
	char *const *uri;

	*result_r = TRUE;
	for (uri = sieve_run_strv(run, node->data); *uri != NULL; uri++) {
		if (!notify_method_valid(*uri))
			*result_r = FALSE;
	}
	return 0;
}

static const sieve_command_def tst_valid_notify_method = {
	.name = "valid_notify_method",
	.flags = SIEVE_CMD_TEST,
	.positional = "L",
	.validate = tst_valid_notify_method_validate,
	.test = tst_valid_notify_method_test,
};

/* notify_method_capability (section 6): "online" is the one capability
 * defined; for mailto it is "maybe" (RFC 5436 section 2.1). */
static int tst_notify_method_capability_test(sieve_run *run,
					     const sieve_ast_node *node,
					     gboolean *result_r)
{
	const sieve_match_test_data *data = node->data;
	const char *uri = sieve_run_str(run, data->names[0]);
	const char *capability = sieve_run_str(run, data->names[1]);
	const char *values[2] = { "maybe", NULL };

	if (!notify_method_valid(uri) ||
	    g_ascii_strcasecmp(capability, "online") != 0) {
		*result_r = FALSE;
		return 0;
	}
	return sieve_run_match_values(run, node, &data->match, data->keys,
				      data->regexes, values, result_r);
}

static int tst_notify_method_capability_validate(sieve_validator *v,
						 sieve_ast_node *node,
						 const sieve_args *args)
{
	sieve_match_test_data *data;

	if (sieve_match_test_validate(v, node, args) < 0)
		return -1;
	/* names: the URI and the capability, as written. */
	data = node->data;
	g_strfreev(data->names);
	data->names = g_new0(char *, 3);
	data->names[0] = g_strdup(sieve_arg_string(args->positional[0]));
	data->names[1] = g_strdup(sieve_arg_string(args->positional[1]));
	g_strfreev(data->keys);
	data->keys = sieve_arg_dup_strv(args->positional[2]);
	return 0;
}

static const sieve_command_def tst_notify_method_capability = {
	.name = "notify_method_capability",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_MATCH,
	.positional = "SSL",
	.validate = tst_notify_method_capability_validate,
	.test = tst_notify_method_capability_test,
};

static const sieve_command_def *const enotify_commands[] = {
	&cmd_notify, &tst_valid_notify_method, &tst_notify_method_capability,
	NULL
};

static const sieve_tag_ext enotify_tags[] = {
	{ "set", &tag_encodeurl },
	{ "extracttext", &tag_encodeurl },
	{ NULL, NULL },
};

const sieve_extension sieve_ext_enotify = {
	.capability = "enotify",
	.commands = enotify_commands,
	.tags = enotify_tags,
};
