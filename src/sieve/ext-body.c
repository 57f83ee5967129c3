/* body (RFC 5173): match the body with :raw (as received), :content
 * (decoded parts of the given types) or :text (the default: decoded text
 * parts, the text of HTML ones). Each part is one value. */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"
#include "mime/html-text.h"

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
 * type and subtype; a type with a slash first, last or twice matches
 * none (no part has an empty subtype or one with a slash). */
static gboolean tst_body_type_matches(char *const *types, const char *type,
				      const char *subtype)
{
	for (; *types != NULL; types++) {
		const char *slash = strchr(*types, '/');

		if (**types == '\0')
			return TRUE;
		if (slash == NULL) {
			if (g_ascii_strcasecmp(*types, type) == 0)
				return TRUE;
		} else if ((size_t)(slash - *types) == strlen(type) &&
			   g_ascii_strncasecmp(*types, type, slash - *types) ==
				   0 &&
			   g_ascii_strcasecmp(slash + 1, subtype) == 0) {
			return TRUE;
		}
	}
	return FALSE;
}

/* RFC 2045 section 6.4: a part whose Content-Transfer-Encoding is not
 * known "must be treated as if it has a Content-Type of
 * application/octet-stream". */
static gboolean tst_body_encoding_known(mime_message *msg,
					unsigned int index)
{
	static const char *const known[] = {
		"7bit", "8bit", "binary", "quoted-printable", "base64",
		"x-uuencode", "uuencode", "x-uue", NULL
	};
	const char *const *values = mime_message_get_part_header_values(
		msg, index, "content-transfer-encoding");
	g_autofree char *value = NULL;
	guint i;

	if (values[0] == NULL)
		return TRUE;
	value = g_strstrip(g_strdup(values[0]));
	for (i = 0; known[i] != NULL; i++) {
		if (g_ascii_strcasecmp(value, known[i]) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Section 5.2: a multipart part is searched in its prologue and
 * epilogue, a message/rfc822 part in the header of the message it holds;
 * what they contain, only when its own type matches. */
static gboolean tst_body_match_container(sieve_run *run, sieve_match *match,
					 unsigned int index)
{
	g_auto(GStrv) texts =
		mime_message_dup_part_container_texts(run->msg, index);
	gboolean matched = FALSE;
	guint i;

	for (i = 0; texts[i] != NULL && !matched; i++)
		matched = sieve_match_value(match, texts[i]);
	return matched;
}

static int tst_body_test(sieve_run *run, const sieve_ast_node *node,
			 gboolean *result_r)
{
	const tst_body_data *data = node->data;
	char *const *types = NULL;
	sieve_match match;
	gboolean matched = FALSE;
	unsigned int i, n;

	sieve_run_match_init(run, &match, &data->match, data->keys,
			     data->regexes);
	/* Section 6: wildcards of body keys set no match variables; the
	 * ones there are stay. */
	match.values = NULL;
	/* Section 5: a header without the empty line after it has no body,
	 * and every body test fails, even for "". */
	if (!mime_message_has_body(run->msg))
		return sieve_run_match_end(run, node, &match, FALSE, result_r);
	if (data->transform == SIEVE_TAG_RAW) {
		size_t len;

		matched = sieve_match_value(
			&match, mime_message_get_raw_body(run->msg, &len));
		return sieve_run_match_end(run, node, &match, matched,
					   result_r);
	}
	if (data->transform == SIEVE_TAG_CONTENT)
		types = sieve_run_strv(run, data->types);
	n = mime_message_get_part_count(run->msg);
	for (i = 0; i < n && !matched; i++) {
		const mime_part_info *info = mime_message_get_part(run->msg, i);
		const char *type = info->type, *subtype = info->subtype;
		const char *content;
		gboolean html;

		if (!info->multipart && !info->message &&
		    !tst_body_encoding_known(run->msg, i)) {
			type = "application";
			subtype = "octet-stream";
		}
		if (data->transform == SIEVE_TAG_CONTENT) {
			if (!tst_body_type_matches(types, type, subtype))
				continue;
			if (info->multipart || info->message) {
				matched = tst_body_match_container(run, &match,
								   i);
				continue;
			}
			content = mime_message_get_part_content(run->msg, i);
			matched = sieve_match_value(&match, content);
			continue;
		}
		/* :text: the text parts, and XHTML as Pigeonhole does. */
		html = (strcmp(type, "text") == 0 &&
			strcmp(subtype, "html") == 0) ||
		       (strcmp(type, "application") == 0 &&
			strcmp(subtype, "xhtml+xml") == 0);
		if (info->multipart || info->message ||
		    (!html && strcmp(type, "text") != 0))
			continue;
		content = mime_message_get_part_content(run->msg, i);
		/* Section 5.3 leaves the text of HTML to the
		 * implementation: Pigeonhole's, so that both find the
		 * same words. */
		if (html)
			content = sieve_run_keep(
				run, html_text_from_html(content,
							 HTML_TEXT_SIEVE));
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
