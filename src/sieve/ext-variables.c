/* variables (RFC 5229): the set command with its modifiers, the string
 * test, and "${...}" expansion (interp.c, for every command). */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

#include <string.h>

static const sieve_tag_def tag_lower = {
	"lower", SIEVE_TAG_LOWER, SIEVE_TAG_GROUP_MOD_CASE, SIEVE_PARAM_NONE,
	NULL
};
static const sieve_tag_def tag_upper = {
	"upper", SIEVE_TAG_UPPER, SIEVE_TAG_GROUP_MOD_CASE, SIEVE_PARAM_NONE,
	NULL
};
static const sieve_tag_def tag_lowerfirst = {
	"lowerfirst", SIEVE_TAG_LOWERFIRST, SIEVE_TAG_GROUP_MOD_CASEFIRST,
	SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_upperfirst = {
	"upperfirst", SIEVE_TAG_UPPERFIRST, SIEVE_TAG_GROUP_MOD_CASEFIRST,
	SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_quotewildcard = {
	"quotewildcard", SIEVE_TAG_QUOTEWILDCARD, SIEVE_TAG_GROUP_MOD_QUOTE,
	SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_length = {
	"length", SIEVE_TAG_LENGTH, SIEVE_TAG_GROUP_MOD_LENGTH,
	SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def *const cmd_set_tags[] = {
	&tag_lower, &tag_upper, &tag_lowerfirst, &tag_upperfirst,
	&tag_quotewildcard, &tag_length, NULL
};

/* Section 4.1: modifiers apply from the highest precedence down. */
typedef struct cmd_set_data {
	char *name;
	char *value;
	sieve_tag_id mod_case;      /* 40: :lower / :upper, or 0 */
	sieve_tag_id mod_casefirst; /* 30: :lowerfirst / :upperfirst */
	sieve_tag_id mod_quote;     /* 20: :quotewildcard / :quoteregex /
				       :encodeurl */
	gboolean mod_length;        /* 10 */
} cmd_set_data;

static void cmd_set_data_free(gpointer data)
{
	cmd_set_data *d = data;

	g_free(d->name);
	g_free(d->value);
	g_free(d);
}

/* Section 3: variable-name = identifier, with "global." before it when
 * include is there (RFC 6609 section 3.5). */
static gboolean sieve_variable_name_valid(const sieve_validator *v,
					  const char *name)
{
	const char *p = name;

	if (g_ascii_strncasecmp(p, "global.", 7) == 0 &&
	    sieve_validator_has_capability(v, "include"))
		p += 7;
	if (!g_ascii_isalpha(*p) && *p != '_')
		return FALSE;
	for (; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '_')
			return FALSE;
	}
	return TRUE;
}

int sieve_validate_variable_name(sieve_validator *v, const sieve_ast_arg *arg,
				 const char *name)
{
	if (g_ascii_isdigit(*name)) {
		sieve_validator_error(v, arg->line, arg->column,
				      "cannot assign to match variable '%s'",
				      name);
		return -1;
	}
	if (!sieve_variable_name_valid(v, name)) {
		sieve_validator_error(v, arg->line, arg->column,
				      "invalid variable name '%s'", name);
		return -1;
	}
	return sieve_validator_declare_variable(v, arg, name);
}

static int cmd_set_validate(sieve_validator *v, sieve_ast_node *node,
			    const sieve_args *args)
{
	const char *name = sieve_arg_string(args->positional[0]);
	cmd_set_data *data;
	unsigned int i;

	if (sieve_validate_variable_name(v, args->positional[0], name) < 0)
		return -1;
	data = g_new0(cmd_set_data, 1);
	data->name = g_ascii_strdown(name, -1);
	data->value = g_strdup(sieve_arg_string(args->positional[1]));
	for (i = 0; i < args->n_tags; i++) {
		const sieve_tag_def *tag = args->tags[i];

		switch (tag->group) {
		case SIEVE_TAG_GROUP_MOD_CASE:
			data->mod_case = tag->id;
			break;
		case SIEVE_TAG_GROUP_MOD_CASEFIRST:
			data->mod_casefirst = tag->id;
			break;
		case SIEVE_TAG_GROUP_MOD_QUOTE:
			data->mod_quote = tag->id;
			break;
		case SIEVE_TAG_GROUP_MOD_LENGTH:
			data->mod_length = TRUE;
			break;
		default:
			break;
		}
	}
	node->data = data;
	node->data_free = cmd_set_data_free;
	return 0;
}

/* The characters a modifier backslash-quotes. */
static void sieve_quote(GString *out, const char *value, const char *special)
{
	for (; *value != '\0'; value++) {
		if (strchr(special, *value) != NULL)
			g_string_append_c(out, '\\');
		g_string_append_c(out, *value);
	}
}

/* RFC 5435 section 6: :encodeurl escapes all but RFC 3986 unreserved
 * characters. */
static void sieve_encodeurl(GString *out, const char *value)
{
	for (; *value != '\0'; value++) {
		unsigned char c = (unsigned char)*value;

		if (g_ascii_isalnum(c) || strchr("-._~", c) != NULL)
			g_string_append_c(out, (char)c);
		else
			g_string_append_printf(out, "%%%02X", c);
	}
}

static sieve_exec_status cmd_set_execute(sieve_run *run,
					 const sieve_ast_node *node)
{
	const cmd_set_data *data = node->data;
	GString *value = g_string_new(sieve_run_str(run, data->value));
	int ret;

	/* Case changes are ASCII, like Pigeonhole's. */
	if (data->mod_case != 0) {
		gsize i;

		for (i = 0; i < value->len; i++)
			value->str[i] = data->mod_case == SIEVE_TAG_LOWER ?
						g_ascii_tolower(value->str[i]) :
						g_ascii_toupper(value->str[i]);
	}
	if (value->len > 0 && data->mod_casefirst == SIEVE_TAG_LOWERFIRST)
		value->str[0] = g_ascii_tolower(value->str[0]);
	else if (value->len > 0 && data->mod_casefirst == SIEVE_TAG_UPPERFIRST)
		value->str[0] = g_ascii_toupper(value->str[0]);
	if (data->mod_quote != 0) {
		GString *quoted = g_string_sized_new(value->len * 2);

		if (data->mod_quote == SIEVE_TAG_QUOTEWILDCARD)
			sieve_quote(quoted, value->str, "*?\\");
		else if (data->mod_quote == SIEVE_TAG_QUOTEREGEX)
			sieve_quote(quoted, value->str, "\\^$.[]|()?*+{}");
		else
			sieve_encodeurl(quoted, value->str);
		g_string_free(value, TRUE);
		value = quoted;
	}
	if (data->mod_length) {
		/* Section 4.1.2: the length in characters. */
		glong n = g_utf8_validate(value->str, value->len, NULL) ?
				  g_utf8_strlen(value->str, value->len) :
				  (glong)value->len;

		g_string_printf(value, "%ld", n);
	}
	ret = sieve_run_set_variable(run, node, data->name, value->str);
	g_string_free(value, TRUE);
	return ret < 0 ? SIEVE_EXEC_FAILED : SIEVE_EXEC_OK;
}

static const sieve_command_def cmd_set = {
	.name = "set",
	.positional = "SS",
	.tags = cmd_set_tags,
	.validate = cmd_set_validate,
	.execute = cmd_set_execute,
};

/* string [MATCH-TYPE] [COMPARATOR] <source: string-list> <key-list>
 * (section 5). */
static int tst_string_test(sieve_run *run, const sieve_ast_node *node,
			   gboolean *result_r)
{
	const sieve_match_test_data *data = node->data;
	char *const *source = sieve_run_strv(run, data->names);
	sieve_match match;
	gboolean matched = FALSE;

	sieve_run_match_init(run, &match, &data->match, data->keys,
			     data->regexes);
	for (; *source != NULL && !matched; source++) {
		/* Section 5: with :count, empty strings are not counted. */
		if (data->match.type == SIEVE_MATCH_COUNT && **source == '\0')
			continue;
		matched = sieve_match_value(&match, *source);
	}
	return sieve_run_match_end(run, node, &match, matched, result_r);
}

static int tst_string_validate(sieve_validator *v, sieve_ast_node *node,
			       const sieve_args *args)
{
	sieve_match_test_data *data;

	if (sieve_match_test_validate(v, node, args) < 0)
		return -1;
	/* The source strings are not header names: no case folding. */
	data = node->data;
	g_strfreev(data->names);
	data->names = sieve_arg_dup_strv(args->positional[0]);
	return 0;
}

static const sieve_command_def tst_string = {
	.name = "string",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_MATCH,
	.positional = "LL",
	.validate = tst_string_validate,
	.test = tst_string_test,
};

static const sieve_command_def *const variables_commands[] = {
	&cmd_set, &tst_string, NULL
};

const sieve_extension sieve_ext_variables = {
	.capability = "variables",
	.commands = variables_commands,
};
