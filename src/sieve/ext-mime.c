/* mime, foreverypart and extracttext (RFC 5703).
 *
 * mime (section 4) gives header, address and exists the :mime tag: they
 * then read the header of the current MIME part (the message outside a
 * foreverypart loop), or with :anychild of that part and every part
 * inside it; header can also match a part of a structured field (:type,
 * :subtype, :contenttype, :param). foreverypart (section 3) runs its
 * block once per MIME part: at the top level over the message and all
 * its parts, depth first; nested (even through include) over the parts
 * inside the enclosing loop's part. break leaves the innermost loop, or
 * the one named. extracttext (section 7) stores the text of the current
 * part in a variable. */

#include "sieve/ext-mime.h"
#include "mime/html-text.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

#include <string.h>

/* ------------------------------------------------------------ mime tags */

static const sieve_tag_def tag_mime = {
	"mime", SIEVE_TAG_MIME, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE, "mime"
};
static const sieve_tag_def tag_anychild = {
	"anychild", SIEVE_TAG_ANYCHILD, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE,
	"mime"
};
static const sieve_tag_def tag_type = {
	"type", SIEVE_TAG_TYPE, SIEVE_TAG_GROUP_MIME_PART, SIEVE_PARAM_NONE,
	"mime"
};
static const sieve_tag_def tag_subtype = {
	"subtype", SIEVE_TAG_SUBTYPE, SIEVE_TAG_GROUP_MIME_PART,
	SIEVE_PARAM_NONE, "mime"
};
static const sieve_tag_def tag_contenttype = {
	"contenttype", SIEVE_TAG_CONTENTTYPE, SIEVE_TAG_GROUP_MIME_PART,
	SIEVE_PARAM_NONE, "mime"
};
static const sieve_tag_def tag_param = {
	"param", SIEVE_TAG_PARAM, SIEVE_TAG_GROUP_MIME_PART,
	SIEVE_PARAM_STRING_LIST, "mime"
};

static const sieve_tag_ext mime_tags[] = {
	{ "header", &tag_mime },
	{ "header", &tag_anychild },
	{ "header", &tag_type },
	{ "header", &tag_subtype },
	{ "header", &tag_contenttype },
	{ "header", &tag_param },
	{ "address", &tag_mime },
	{ "address", &tag_anychild },
	{ "exists", &tag_mime },
	{ "exists", &tag_anychild },
	{ NULL, NULL },
};

const sieve_extension sieve_ext_mime = {
	.capability = "mime",
	.tags = mime_tags,
};

int sieve_mime_opts_validate(sieve_validator *v, const sieve_ast_node *node,
			     const sieve_args *args, sieve_mime_opts **opts_r)
{
	const sieve_ast_arg *anychild, *param;
	sieve_mime_opts *opts;
	unsigned int i;

	*opts_r = NULL;
	anychild = sieve_args_find_tag(args, SIEVE_TAG_ANYCHILD, NULL);
	if (sieve_args_find_tag(args, SIEVE_TAG_MIME, NULL) == NULL) {
		const sieve_ast_arg *option = anychild;

		for (i = 0; option == NULL && i < args->n_tags; i++) {
			if (args->tags[i]->group == SIEVE_TAG_GROUP_MIME_PART)
				option = args->tag_tokens[i];
		}
		if (option != NULL) {
			sieve_validator_error(v, option->line, option->column,
					      "':%s' needs ':mime' in '%s'",
					      option->tag, node->name);
			return -1;
		}
		return 0;
	}
	opts = g_new0(sieve_mime_opts, 1);
	opts->anychild = anychild != NULL;
	for (i = 0; i < args->n_tags; i++) {
		if (args->tags[i]->group == SIEVE_TAG_GROUP_MIME_PART)
			opts->option = args->tags[i]->id;
	}
	if (sieve_args_find_tag(args, SIEVE_TAG_PARAM, &param) != NULL)
		opts->params = sieve_arg_dup_strv(param);
	*opts_r = opts;
	return 0;
}

void sieve_mime_opts_free(sieve_mime_opts *opts)
{
	if (opts == NULL)
		return;
	g_strfreev(opts->params);
	g_free(opts);
}

/* The parts a :mime test reads: [*first_r, *end_r) in the message's part
 * list. The current part (the message outside foreverypart), and with
 * :anychild the parts inside it, which follow it in the list. */
static void mime_part_range(sieve_run *run, gboolean anychild,
			    guint *first_r, guint *end_r)
{
	guint n = mime_message_get_part_count(run->msg);
	guint first = run->part < 0 ? 0 : (guint)run->part, end = first + 1;

	if (anychild && first < n) {
		int depth = mime_message_get_part(run->msg, first)->depth;

		while (end < n &&
		       mime_message_get_part(run->msg, end)->depth > depth)
			end++;
	}
	*first_r = first;
	*end_r = end;
}

/* Section 4.2: the type, subtype or both of a structured field
 * ("text/plain; charset=us-ascii", "attachment; filename=x"); a field
 * without '/' has an empty subtype. */
static char *mime_field_type_part(const char *value, sieve_tag_id option)
{
	const char *p = value, *type, *slash = NULL, *end;

	while (g_ascii_isspace(*p))
		p++;
	type = p;
	while (*p != '\0' && *p != ';' && *p != '(' && !g_ascii_isspace(*p)) {
		if (*p == '/' && slash == NULL)
			slash = p;
		p++;
	}
	end = p;
	switch (option) {
	case SIEVE_TAG_TYPE:
		return g_strndup(type, (slash != NULL ? slash : end) - type);
	case SIEVE_TAG_SUBTYPE:
		return slash != NULL ? g_strndup(slash + 1, end - slash - 1) :
				       g_strdup("");
	default:
		return g_strndup(type, end - type);
	}
}

int sieve_mime_header_test(sieve_run *run, const sieve_ast_node *node,
			   const sieve_match_test_data *data,
			   gboolean *result_r)
{
	const sieve_mime_opts *opts = data->mime;
	char *const *names = sieve_run_strv(run, data->names);
	char *const *params = sieve_run_strv(run, opts->params);
	sieve_match match;
	gboolean matched = FALSE;
	guint part, end;

	sieve_run_match_init(run, &match, &data->match, data->keys,
			     data->regexes);
	mime_part_range(run, opts->anychild, &part, &end);
	for (; part < end && !matched; part++) {
		char *const *name;

		for (name = names; *name != NULL && !matched; name++) {
			char **raw, **value;

			if (opts->option == 0) {
				const char *const *decoded =
					mime_message_get_part_header_values(
						run->msg, part, *name);

				for (; *decoded != NULL && !matched; decoded++)
					matched = sieve_match_value(&match,
								    *decoded);
				continue;
			}
			raw = mime_message_dup_part_raw_header_values(
				run->msg, part, *name);
			for (value = raw; *value != NULL && !matched; value++) {
				char *const *param;
				char *v;

				if (opts->option != SIEVE_TAG_PARAM) {
					v = mime_field_type_part(*value,
								 opts->option);
					matched = sieve_match_value(&match, v);
					g_free(v);
					continue;
				}
				for (param = params; *param != NULL && !matched;
				     param++) {
					v = mime_field_param(*value, *param);
					if (v == NULL)
						continue;
					matched = sieve_match_value(&match, v);
					g_free(v);
				}
			}
			g_strfreev(raw);
		}
	}
	return sieve_run_match_end(run, node, &match, matched, result_r);
}

/* The addresses of one field value, fed to the match. */
static gboolean mime_match_field(sieve_match *match, sieve_address_part part,
				 const char *raw)
{
	GPtrArray *addresses = mime_address_list_parse(raw);
	gboolean matched = FALSE;
	guint i;

	for (i = 0; i < addresses->len && !matched; i++) {
		const mime_address *addr = g_ptr_array_index(addresses, i);

		matched = sieve_match_address(match, part, addr->localpart,
					      addr->domain, addr->addr);
	}
	g_ptr_array_unref(addresses);
	return matched;
}

/* address with :mime, or with :index (RFC 5260 section 6: the N-th field
 * of that name, from the end with :last, and the addresses in it). */
int sieve_mime_address_test(sieve_run *run, const sieve_ast_node *node,
			    const sieve_match_test_data *data,
			    gboolean *result_r)
{
	char *const *names = sieve_run_strv(run, data->names);
	sieve_match match;
	gboolean matched = FALSE;
	guint part = 0, end = 1;

	sieve_run_match_init(run, &match, &data->match, data->keys,
			     data->regexes);
	if (data->mime != NULL)
		mime_part_range(run, data->mime->anychild, &part, &end);
	for (; part < end && !matched; part++) {
		char *const *name;

		for (name = names; *name != NULL && !matched; name++) {
			char **raw = mime_message_dup_part_raw_header_values(
				run->msg, part, *name);
			guint n = g_strv_length(raw), i;

			if (data->index > 0) {
				if ((guint)data->index <= n)
					matched = mime_match_field(
						&match, data->match.address_part,
						raw[data->last ?
							    n - data->index :
							    (guint)data->index - 1]);
				g_strfreev(raw);
				continue;
			}
			for (i = 0; i < n && !matched; i++)
				matched = mime_match_field(
					&match, data->match.address_part,
					raw[i]);
			g_strfreev(raw);
		}
	}
	return sieve_run_match_end(run, node, &match, matched, result_r);
}

/* exists :mime: every field named is in the current part, or with
 * :anychild in it or any part inside it (each may be in another part, as
 * Pigeonhole reads it). */
gboolean sieve_mime_exists(sieve_run *run, const sieve_mime_opts *opts,
			   char *const *names)
{
	guint first, end;

	mime_part_range(run, opts->anychild, &first, &end);
	for (; *names != NULL; names++) {
		guint part;

		for (part = first; part < end; part++) {
			if (mime_message_get_part_header_values(
				    run->msg, part, *names)[0] != NULL)
				break;
		}
		if (part == end)
			return FALSE;
	}
	return TRUE;
}

/* ------------------------------------------------------ foreverypart */

static const sieve_tag_def tag_name = {
	"name", SIEVE_TAG_NAME, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING, NULL
};
static const sieve_tag_def *const name_tags[] = { &tag_name, NULL };

/* Nested loops beyond this are refused (Pigeonhole: 4). */
#define SIEVE_MAX_LOOP_DEPTH 4

static int cmd_foreverypart_validate(sieve_validator *v, sieve_ast_node *node,
				     const sieve_args *args)
{
	const sieve_ast_arg *name;

	/* The validator counts this loop while it checks the block and
	 * takes it off after: v->loops holds the enclosing ones now. */
	if (v->loops->len >= SIEVE_MAX_LOOP_DEPTH) {
		sieve_validator_error(v, node->line, node->column,
				      "foreverypart nested too deep (max %d)",
				      SIEVE_MAX_LOOP_DEPTH);
		return -1;
	}
	if (sieve_args_find_tag(args, SIEVE_TAG_NAME, &name) != NULL) {
		node->data = g_strdup(sieve_arg_string(name));
		node->data_free = g_free;
	}
	return 0;
}

static sieve_exec_status cmd_foreverypart_execute(sieve_run *run,
						  const sieve_ast_node *node)
{
	const char *name = node->data;
	guint n = mime_message_get_part_count(run->msg), first, end;
	int saved = run->part;
	sieve_exec_status status = SIEVE_EXEC_OK;

	if (saved < 0) {
		first = 0;
		end = n;
	} else {
		int depth = mime_message_get_part(run->msg, saved)->depth;

		first = end = (guint)saved + 1;
		while (end < n &&
		       mime_message_get_part(run->msg, end)->depth > depth)
			end++;
	}
	if (run->loop_depth >= SIEVE_MAX_LOOP_DEPTH * SIEVE_MAX_INCLUDE_DEPTH)
		return sieve_run_error(run, node,
				       "foreverypart nested too deep");
	run->loop_depth++;
	for (; first < end; first++) {
		run->part = (int)first;
		status = sieve_run_commands(run, node->block);
		if (status == SIEVE_EXEC_BREAK) {
			/* break leaves this loop, or one further out when
			 * it names another. */
			if (run->breaking == NULL ||
			    (name != NULL && strcmp(name, run->breaking) == 0)) {
				run->breaking = NULL;
				status = SIEVE_EXEC_OK;
			}
			break;
		}
		if (status != SIEVE_EXEC_OK)
			break;
	}
	run->loop_depth--;
	run->part = saved;
	return status;
}

static const sieve_command_def cmd_foreverypart = {
	.name = "foreverypart",
	.flags = SIEVE_CMD_BLOCK | SIEVE_CMD_LOOP | SIEVE_CMD_READS_BODY,
	.tags = name_tags,
	.validate = cmd_foreverypart_validate,
	.execute = cmd_foreverypart_execute,
};

/* break [:name <string>] (section 3.2): only inside foreverypart, and a
 * name must be one of an enclosing loop. */
static int cmd_break_validate(sieve_validator *v, sieve_ast_node *node,
			      const sieve_args *args)
{
	const sieve_ast_arg *name;
	guint i;

	if (v->loops->len == 0) {
		sieve_validator_error(v, node->line, node->column,
				      "'break' outside a foreverypart loop");
		return -1;
	}
	if (sieve_args_find_tag(args, SIEVE_TAG_NAME, &name) == NULL)
		return 0;
	for (i = 0; i < v->loops->len; i++) {
		if (strcmp(g_ptr_array_index(v->loops, i),
			   sieve_arg_string(name)) == 0)
			break;
	}
	if (i == v->loops->len) {
		sieve_validator_error(v, name->line, name->column,
				      "'break :name \"%s\"': no enclosing "
				      "foreverypart loop has that name",
				      sieve_arg_string(name));
		return -1;
	}
	node->data = g_strdup(sieve_arg_string(name));
	node->data_free = g_free;
	return 0;
}

static sieve_exec_status cmd_break_execute(sieve_run *run,
					   const sieve_ast_node *node)
{
	run->breaking = node->data;
	return SIEVE_EXEC_BREAK;
}

static const sieve_command_def cmd_break = {
	.name = "break",
	.tags = name_tags,
	.validate = cmd_break_validate,
	.execute = cmd_break_execute,
};

static const sieve_command_def *const foreverypart_commands[] = {
	&cmd_foreverypart, &cmd_break, NULL
};

const sieve_extension sieve_ext_foreverypart = {
	.capability = "foreverypart",
	.commands = foreverypart_commands,
};

/* ------------------------------------------------------- extracttext */

static const sieve_tag_def tag_first = {
	"first", SIEVE_TAG_FIRST, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NUMBER, NULL
};
static const sieve_tag_def *const cmd_extracttext_tags[] = {
	&sieve_tag_lower, &sieve_tag_upper, &sieve_tag_lowerfirst,
	&sieve_tag_upperfirst, &sieve_tag_quotewildcard, &sieve_tag_length,
	&tag_first, NULL
};

typedef struct cmd_extracttext_data {
	char *name;
	sieve_modifiers mods;
	gboolean has_first;
	guint64 first;
} cmd_extracttext_data;

static void cmd_extracttext_data_free(gpointer data)
{
	cmd_extracttext_data *d = data;

	g_free(d->name);
	g_free(d);
}

static int cmd_extracttext_validate(sieve_validator *v, sieve_ast_node *node,
				    const sieve_args *args)
{
	const sieve_ast_arg *arg = args->positional[0], *first;
	const char *name = sieve_arg_string(arg);
	cmd_extracttext_data *data;

	/* Section 7: it needs variables, and a part to read. */
	if (!sieve_validator_check_capability(v, "variables", "'extracttext'",
					      node->line, node->column))
		return -1;
	if (v->loops->len == 0) {
		sieve_validator_error(v, node->line, node->column,
				      "'extracttext' outside a foreverypart "
				      "loop");
		return -1;
	}
	if (sieve_validate_variable_name(v, arg, name) < 0)
		return -1;
	data = g_new0(cmd_extracttext_data, 1);
	data->name = g_ascii_strdown(name, -1);
	sieve_modifiers_from_args(args, &data->mods);
	if (sieve_args_find_tag(args, SIEVE_TAG_FIRST, &first) != NULL) {
		data->has_first = TRUE;
		data->first = first->number;
	}
	node->data = data;
	node->data_free = cmd_extracttext_data_free;
	return 0;
}

static sieve_exec_status cmd_extracttext_execute(sieve_run *run,
						 const sieve_ast_node *node)
{
	const cmd_extracttext_data *data = node->data;
	guint part = run->part < 0 ? 0 : (guint)run->part;
	const mime_part_info *info = mime_message_get_part(run->msg, part);
	char *text, *value;
	int ret;

	/* Section 7: the text of a text part; containers and other types
	 * give the empty string. */
	if (info == NULL || info->multipart || info->message ||
	    strcmp(info->type, "text") != 0)
		text = g_strdup("");
	else if (strcmp(info->subtype, "html") == 0)
		/* The text body :text searches, as Pigeonhole. */
		text = html_text_from_html(
			mime_message_get_part_content(run->msg, part),
			HTML_TEXT_SIEVE);
	else
		text = g_strdup(mime_message_get_part_content(run->msg, part));
	if (data->has_first) {
		/* :first counts characters. */
		if (g_utf8_validate(text, -1, NULL)) {
			if ((guint64)g_utf8_strlen(text, -1) > data->first)
				*g_utf8_offset_to_pointer(text, (glong)data->first) =
					'\0';
		} else if (strlen(text) > data->first) {
			text[data->first] = '\0';
		}
	}
	value = sieve_modifiers_apply(&data->mods, text);
	ret = sieve_run_set_variable(run, node, data->name, value);
	g_free(value);
	g_free(text);
	return ret < 0 ? SIEVE_EXEC_FAILED : SIEVE_EXEC_OK;
}

static const sieve_command_def cmd_extracttext = {
	.name = "extracttext",
	.flags = SIEVE_CMD_READS_BODY,
	.positional = "S",
	.tags = cmd_extracttext_tags,
	.validate = cmd_extracttext_validate,
	.execute = cmd_extracttext_execute,
};

static const sieve_command_def *const extracttext_commands[] = {
	&cmd_extracttext, NULL
};

const sieve_extension sieve_ext_extracttext = {
	.capability = "extracttext",
	.commands = extracttext_commands,
};
