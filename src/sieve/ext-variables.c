/* variables (RFC 5229): the set command with its modifiers, the string
 * test, and "${...}" expansion (interp.c, for every command). */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"
#include "sieve/ext-mime.h"

#include <string.h>

const sieve_tag_def sieve_tag_lower = {
	"lower", SIEVE_TAG_LOWER, SIEVE_TAG_GROUP_MOD_CASE, SIEVE_PARAM_NONE,
	NULL
};
const sieve_tag_def sieve_tag_upper = {
	"upper", SIEVE_TAG_UPPER, SIEVE_TAG_GROUP_MOD_CASE, SIEVE_PARAM_NONE,
	NULL
};
const sieve_tag_def sieve_tag_lowerfirst = {
	"lowerfirst", SIEVE_TAG_LOWERFIRST, SIEVE_TAG_GROUP_MOD_CASEFIRST,
	SIEVE_PARAM_NONE, NULL
};
const sieve_tag_def sieve_tag_upperfirst = {
	"upperfirst", SIEVE_TAG_UPPERFIRST, SIEVE_TAG_GROUP_MOD_CASEFIRST,
	SIEVE_PARAM_NONE, NULL
};
const sieve_tag_def sieve_tag_quotewildcard = {
	"quotewildcard", SIEVE_TAG_QUOTEWILDCARD, SIEVE_TAG_GROUP_MOD_QUOTE,
	SIEVE_PARAM_NONE, NULL
};
const sieve_tag_def sieve_tag_length = {
	"length", SIEVE_TAG_LENGTH, SIEVE_TAG_GROUP_MOD_LENGTH,
	SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def *const cmd_set_tags[] = {
	&sieve_tag_lower, &sieve_tag_upper, &sieve_tag_lowerfirst,
	&sieve_tag_upperfirst, &sieve_tag_quotewildcard, &sieve_tag_length,
	NULL
};

typedef struct cmd_set_data {
	char *name;
	char *value;
	sieve_modifiers mods;
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

	if (sieve_validate_variable_name(v, args->positional[0], name) < 0)
		return -1;
	data = g_new0(cmd_set_data, 1);
	data->name = g_ascii_strdown(name, -1);
	data->value = g_strdup(sieve_arg_string(args->positional[1]));
	sieve_modifiers_from_args(args, &data->mods);
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

void sieve_modifiers_from_args(const sieve_args *args, sieve_modifiers *mods)
{
	unsigned int i;

	memset(mods, 0, sizeof(*mods));
	for (i = 0; i < args->n_tags; i++) {
		const sieve_tag_def *tag = args->tags[i];

		switch (tag->group) {
		case SIEVE_TAG_GROUP_MOD_CASE:
			mods->mod_case = tag->id;
			break;
		case SIEVE_TAG_GROUP_MOD_CASEFIRST:
			mods->mod_casefirst = tag->id;
			break;
		case SIEVE_TAG_GROUP_MOD_QUOTE:
			mods->mod_quote = tag->id;
			break;
		case SIEVE_TAG_GROUP_MOD_LENGTH:
			mods->mod_length = TRUE;
			break;
		default:
			break;
		}
	}
}

/* Section 4.1: modifiers apply from the highest precedence down,
 * whatever their order in the script. */
char *sieve_modifiers_apply(const sieve_modifiers *mods, const char *str)
{
	GString *value = g_string_new(str);

	/* Case changes are ASCII, like Pigeonhole's. */
	if (mods->mod_case != 0) {
		gsize i;

		for (i = 0; i < value->len; i++)
			value->str[i] = mods->mod_case == SIEVE_TAG_LOWER ?
						g_ascii_tolower(value->str[i]) :
						g_ascii_toupper(value->str[i]);
	}
	if (value->len > 0 && mods->mod_casefirst == SIEVE_TAG_LOWERFIRST)
		value->str[0] = g_ascii_tolower(value->str[0]);
	else if (value->len > 0 && mods->mod_casefirst == SIEVE_TAG_UPPERFIRST)
		value->str[0] = g_ascii_toupper(value->str[0]);
	if (mods->mod_quote != 0) {
		GString *quoted = g_string_sized_new(value->len * 2);

		if (mods->mod_quote == SIEVE_TAG_QUOTEWILDCARD)
			sieve_quote(quoted, value->str, "*?\\");
		else if (mods->mod_quote == SIEVE_TAG_QUOTEREGEX)
			sieve_quote(quoted, value->str, "\\^$.[]|()?*+{}");
		else
			sieve_encodeurl(quoted, value->str);
		g_string_free(value, TRUE);
		value = quoted;
	}
	if (mods->mod_length) {
		/* Section 4.1.2: the length in characters. */
		glong n = g_utf8_validate(value->str, value->len, NULL) ?
				  g_utf8_strlen(value->str, value->len) :
				  (glong)value->len;

		g_string_printf(value, "%ld", n);
	}
	return g_string_free(value, FALSE);
}

static sieve_exec_status cmd_set_execute(sieve_run *run,
					 const sieve_ast_node *node)
{
	const cmd_set_data *data = node->data;
	char *value = sieve_modifiers_apply(&data->mods,
					    sieve_run_str(run, data->value));
	int ret;

	ret = sieve_run_set_variable(run, node, data->name, value);
	g_free(value);
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
	.require_only = TRUE,
};
