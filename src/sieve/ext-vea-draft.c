/* vnd.vea draft: a reply draft from a template, written into the
 * executive's Drafts and never sent by vea (OUTGOING.md 7.2):
 *
 *   draft [:reply "sender" / "all"] [:to string-list] [:cc string-list]
 *         [:subject string] [:ai] <template: string>;
 *
 * The template (templates/NAME beside the rule file) is read and checked
 * here, at compile time, so that a missing template or an unknown
 * variable fails the whole rule file (template.h). The engine produces
 * the action; src/draft composes the message. Like bill, it does not
 * touch the message: the implicit keep stays. */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"
#include "sieve/template.h"
#include "mime/compose.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

static const sieve_tag_def tag_reply = {
	"reply", SIEVE_TAG_REPLY, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING, NULL
};
static const sieve_tag_def tag_to = {
	"to", SIEVE_TAG_TO, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING_LIST, NULL
};
static const sieve_tag_def tag_cc = {
	"cc", SIEVE_TAG_CC, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING_LIST, NULL
};
static const sieve_tag_def tag_subject = {
	"subject", SIEVE_TAG_SUBJECT, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING, NULL
};
static const sieve_tag_def tag_ai = {
	"ai", SIEVE_TAG_AI, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def *const cmd_draft_tags[] = {
	&tag_reply, &tag_to, &tag_cc, &tag_subject, &tag_ai, NULL
};

typedef struct cmd_draft_data {
	char *name;
	sieve_template *template;
	gboolean reply_all;
	char **to, **cc;
	char *subject;
	gboolean ai;
} cmd_draft_data;

static void cmd_draft_data_free(gpointer data)
{
	cmd_draft_data *d = data;

	g_free(d->name);
	sieve_template_unref(&d->template);
	g_strfreev(d->to);
	g_strfreev(d->cc);
	g_free(d->subject);
	g_free(d);
}

/* A template is a file name in templates/, not a path: nothing from the
 * rules may read a file elsewhere. */
static gboolean draft_template_name_is_valid(const char *name)
{
	if (*name == '\0' || *name == '.' || strlen(name) > 255)
		return FALSE;
	for (const char *p = name; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
			return FALSE;
	}
	return TRUE;
}

/* One mailbox, "Name <addr>" or addr, that vea can write to. */
static gboolean draft_address_is_one(const char *text)
{
	g_autoptr(GPtrArray) list = mime_address_list_parse(text);

	return list->len == 1 &&
	       mime_address_is_sendable(((const mime_address *)g_ptr_array_index(list, 0))->addr);
}

static int draft_check_addresses(sieve_validator *v, const sieve_ast_arg *arg, const char *tag)
{
	for (guint i = 0; i < arg->strings->len; i++) {
		const char *text = g_ptr_array_index(arg->strings, i);

		if (sieve_validator_is_constant(v, text) && !draft_address_is_one(text)) {
			sieve_validator_error(v, arg->line, arg->column,
					      "draft :%s: '%s' is not one address", tag, text);
			return -1;
		}
	}
	return 0;
}

/* What a template may read of the script: a variable set (or declared
 * global) in it before the draft, or a match variable. */
static gboolean draft_variable_known(const char *name, void *context)
{
	const sieve_validator *v = context;

	if (!sieve_validator_has_capability(v, "variables"))
		return FALSE;
	if (g_ascii_isdigit(*name))
		return strlen(name) == 1;
	if (g_hash_table_contains(v->variables, name))
		return TRUE;
	if (v->global_names != NULL) {
		const char *plain = g_str_has_prefix(name, "global.") ? name + 7 : name;

		return g_hash_table_contains(v->global_names, plain);
	}
	return FALSE;
}

static int cmd_draft_validate(sieve_validator *v, sieve_ast_node *node, const sieve_args *args)
{
	const sieve_ast_arg *arg = args->positional[0], *param;
	const char *name = sieve_arg_string(arg);
	g_autofree char *dir = NULL;
	g_autofree char *path = NULL;
	g_autofree char *text = NULL;
	GError *error = NULL;
	cmd_draft_data *data;
	GStatBuf st;
	gsize len;

	if (strstr(name, "${") != NULL || !draft_template_name_is_valid(name)) {
		sieve_validator_error(v, arg->line, arg->column,
				      "invalid template name '%s' for draft (a file name in "
				      "templates/, known when the rules are loaded)",
				      name);
		return -1;
	}
	if (sieve_args_find_tag(args, SIEVE_TAG_REPLY, &param) != NULL) {
		const char *reply = sieve_arg_string(param);

		if (g_ascii_strcasecmp(reply, "sender") != 0 && g_ascii_strcasecmp(reply, "all") != 0) {
			sieve_validator_error(v, param->line, param->column,
					      "draft :reply must be \"sender\" or \"all\", not '%s'",
					      reply);
			return -1;
		}
	}
	if (sieve_args_find_tag(args, SIEVE_TAG_TO, &param) != NULL &&
	    draft_check_addresses(v, param, "to") < 0)
		return -1;
	if (sieve_args_find_tag(args, SIEVE_TAG_CC, &param) != NULL &&
	    draft_check_addresses(v, param, "cc") < 0)
		return -1;
	/* A rule asking for a model's body where no endpoint is configured
	 * is a mistake to hear of before vea runs (vea config check), as a
	 * missing template is: the drafts would all be plain with no word
	 * said. A rule file checked on its own cannot know. */
	{
		const sieve_ast_arg *ai = sieve_args_find_tag(args, SIEVE_TAG_AI, NULL);

		if (ai != NULL && v->opts != NULL && v->opts->ai == SIEVE_AI_NOT_CONFIGURED) {
			sieve_validator_error(v, ai->line, ai->column,
					      "draft :ai: the configuration has no [ai] section "
					      "(url, model) to ask");
			return -1;
		}
	}

	dir = g_path_get_dirname(v->file);
	path = g_build_filename(dir, "templates", name, NULL);
	/* A FIFO would stop the load for good and a huge file would be read
	 * whole: only a regular file of template size is opened. */
	if (g_stat(path, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size > SIEVE_TEMPLATE_MAX_SIZE)) {
		sieve_validator_error(v, node->line, node->column,
				      "draft: template '%s' (%s) is not a file of at most %d bytes",
				      name, path, SIEVE_TEMPLATE_MAX_SIZE);
		return -1;
	}
	if (!g_file_get_contents(path, &text, &len, &error)) {
		sieve_validator_error(v, node->line, node->column,
				      "draft: template '%s' cannot be read: %s", name,
				      error->message);
		g_error_free(error);
		return -1;
	}
	data = g_new0(cmd_draft_data, 1);
	data->template = sieve_template_parse(path, text, len, draft_variable_known, v, v->errors);
	if (data->template == NULL) {
		v->failed = TRUE;
		cmd_draft_data_free(data);
		return -1;
	}
	data->name = g_strdup(name);
	if (sieve_args_find_tag(args, SIEVE_TAG_REPLY, &param) != NULL)
		data->reply_all = g_ascii_strcasecmp(sieve_arg_string(param), "all") == 0;
	if (sieve_args_find_tag(args, SIEVE_TAG_TO, &param) != NULL)
		data->to = sieve_arg_dup_strv(param);
	if (sieve_args_find_tag(args, SIEVE_TAG_CC, &param) != NULL)
		data->cc = sieve_arg_dup_strv(param);
	if (sieve_args_find_tag(args, SIEVE_TAG_SUBJECT, &param) != NULL)
		data->subject = g_strdup(sieve_arg_string(param));
	data->ai = sieve_args_find_tag(args, SIEVE_TAG_AI, NULL) != NULL;
	node->data = data;
	node->data_free = cmd_draft_data_free;
	return 0;
}

static sieve_exec_status cmd_draft_execute(sieve_run *run, const sieve_ast_node *node)
{
	const cmd_draft_data *data = node->data;
	const char *const *names = sieve_template_get_variables(data->template);
	sieve_action *action = g_new0(sieve_action, 1);

	action->draft_template = g_strdup(data->name);
	action->template = sieve_template_ref(data->template);
	action->reply_all = data->reply_all;
	action->draft_ai = data->ai;
	if (data->to != NULL)
		action->draft_to = g_strdupv((char **)sieve_run_strv(run, data->to));
	if (data->cc != NULL)
		action->draft_cc = g_strdupv((char **)sieve_run_strv(run, data->cc));
	if (data->subject != NULL)
		action->subject = g_strdup(sieve_run_str(run, data->subject));
	if (names[0] != NULL) {
		GPtrArray *vars = g_ptr_array_new();

		/* The values now: a later set must not change this draft. */
		for (; *names != NULL; names++) {
			const char *value = NULL;

			if (g_ascii_isdigit(**names)) {
				guint n = (guint)(**names - '0');

				if (run->match_values != NULL && n < run->match_values->len)
					value = g_ptr_array_index(run->match_values, n);
			} else {
				value = sieve_run_get_variable(run, *names);
			}
			g_ptr_array_add(vars, g_strdup(*names));
			g_ptr_array_add(vars, g_strdup(value != NULL ? value : ""));
		}
		g_ptr_array_add(vars, NULL);
		action->draft_vars = (char **)g_ptr_array_free(vars, FALSE);
	}
	if (sieve_result_add_draft(&run->result, node->line, action, &run->error) < 0)
		return SIEVE_EXEC_FAILED;
	return SIEVE_EXEC_OK;
}

const sieve_command_def sieve_cmd_vea_draft = {
	.name = "draft",
	/* The reply quotes the original: the whole message is fetched. */
	.flags = SIEVE_CMD_READS_BODY,
	.positional = "S",
	.tags = cmd_draft_tags,
	.validate = cmd_draft_validate,
	.execute = cmd_draft_execute,
};
