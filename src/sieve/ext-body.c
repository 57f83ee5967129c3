/* body (RFC 5173): match the body with :raw (as received), :content
 * (decoded parts of the given types) or :text (the default: decoded text
 * parts, HTML with its tags taken out). Each part is one value. */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

#include <string.h>

static const sieve_tag_def tag_raw = {
	"raw", SIEVE_TAG_RAW, SIEVE_TAG_GROUP_BODY_TRANSFORM, SIEVE_PARAM_NONE,
	NULL
};
static const sieve_tag_def tag_content = {
	"content", SIEVE_TAG_CONTENT, SIEVE_TAG_GROUP_BODY_TRANSFORM,
	SIEVE_PARAM_STRING_LIST, NULL
};
static const sieve_tag_def tag_text = {
	"text", SIEVE_TAG_TEXT, SIEVE_TAG_GROUP_BODY_TRANSFORM,
	SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def *const tst_body_tags[] = {
	&tag_raw, &tag_content, &tag_text, NULL
};

typedef struct tst_body_data {
	sieve_match_spec match;
	sieve_tag_id transform;
	char **types; /* :content */
	char **keys;
	void **regexes;
} tst_body_data;

static void tst_body_data_free(gpointer data)
{
	tst_body_data *d = data;

	g_strfreev(d->types);
	g_strfreev(d->keys);
	sieve_regexes_free(d->regexes);
	g_free(d);
}

static int tst_body_validate(sieve_validator *v, sieve_ast_node *node,
			     const sieve_args *args)
{
	const sieve_ast_arg *types;
	tst_body_data *data;
	void **regexes;

	if (sieve_validate_keys(v, &args->match, args->positional[0],
				&regexes) < 0)
		return -1;
	data = g_new0(tst_body_data, 1);
	data->match = args->match;
	data->transform = SIEVE_TAG_TEXT;
	if (sieve_args_find_tag(args, SIEVE_TAG_RAW, NULL) != NULL)
		data->transform = SIEVE_TAG_RAW;
	if (sieve_args_find_tag(args, SIEVE_TAG_CONTENT, &types) != NULL) {
		data->transform = SIEVE_TAG_CONTENT;
		data->types = sieve_arg_dup_strv_lower(types);
	}
	data->keys = sieve_arg_dup_strv(args->positional[0]);
	data->regexes = regexes;
	node->data = data;
	node->data_free = tst_body_data_free;
	return 0;
}

/* Section 5.2: "" matches every type, "text" a type, "text/html" one
 * type and subtype. */
static gboolean tst_body_type_matches(char *const *types,
				      const mime_part_info *info)
{
	for (; *types != NULL; types++) {
		const char *slash = strchr(*types, '/');

		if (**types == '\0')
			return TRUE;
		if (slash == NULL) {
			if (strcmp(*types, info->type) == 0)
				return TRUE;
		} else if (strncmp(*types, info->type, slash - *types) == 0 &&
			   info->type[slash - *types] == '\0' &&
			   strcmp(slash + 1, info->subtype) == 0) {
			return TRUE;
		}
	}
	return FALSE;
}

/* Tags out, entities as they are: enough to match words of the text. */
static char *tst_body_strip_html(const char *html)
{
	GString *out = g_string_sized_new(strlen(html));
	gboolean in_tag = FALSE;

	for (; *html != '\0'; html++) {
		if (*html == '<')
			in_tag = TRUE;
		else if (*html == '>')
			in_tag = FALSE;
		else if (!in_tag)
			g_string_append_c(out, *html);
	}
	return g_string_free(out, FALSE);
}

static int tst_body_test(sieve_run *run, const sieve_ast_node *node,
			 gboolean *result_r)
{
	const tst_body_data *data = node->data;
	sieve_match match;
	gboolean matched = FALSE;
	unsigned int i, n;

	sieve_run_match_init(run, &match, &data->match, data->keys,
			     data->regexes);
	if (data->transform == SIEVE_TAG_RAW) {
		size_t len;

		matched = sieve_match_value(
			&match, mime_message_get_raw_body(run->msg, &len));
		return sieve_run_match_end(run, node, &match, matched,
					   result_r);
	}
	n = mime_message_get_part_count(run->msg);
	for (i = 0; i < n && !matched; i++) {
		const mime_part_info *info = mime_message_get_part(run->msg, i);
		const char *content;

		if (info->multipart || info->message)
			continue;
		if (data->transform == SIEVE_TAG_CONTENT ?
			    !tst_body_type_matches(
				    sieve_run_strv(run, data->types), info) :
			    strcmp(info->type, "text") != 0)
			continue;
		content = mime_message_get_part_content(run->msg, i);
		if (data->transform == SIEVE_TAG_TEXT &&
		    strcmp(info->subtype, "html") == 0)
			content = sieve_run_keep(run,
						 tst_body_strip_html(content));
		matched = sieve_match_value(&match, content);
	}
	return sieve_run_match_end(run, node, &match, matched, result_r);
}

static const sieve_command_def tst_body = {
	.name = "body",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_MATCH | SIEVE_CMD_READS_BODY,
	.positional = "L",
	.tags = tst_body_tags,
	.validate = tst_body_validate,
	.test = tst_body_test,
};

static const sieve_command_def *const body_commands[] = {
	&tst_body, NULL
};

const sieve_extension sieve_ext_body = {
	.capability = "body",
	.commands = body_commands,
};
