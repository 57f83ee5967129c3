/* include (RFC 6609): include, return and global. Included scripts are
 * compiled with the including one (so their errors show at once), each
 * runs with its own variables, and names declared global are shared. */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"
#include "sieve/sieve-private.h"

#include <string.h>

static const sieve_tag_def tag_personal = {
	"personal", SIEVE_TAG_PERSONAL, SIEVE_TAG_GROUP_LOCATION,
	SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_global = {
	"global", SIEVE_TAG_GLOBAL, SIEVE_TAG_GROUP_LOCATION, SIEVE_PARAM_NONE,
	NULL
};
static const sieve_tag_def tag_once = {
	"once", SIEVE_TAG_ONCE, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_optional = {
	"optional", SIEVE_TAG_OPTIONAL, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE,
	NULL
};
static const sieve_tag_def *const cmd_include_tags[] = {
	&tag_personal, &tag_global, &tag_once, &tag_optional, NULL
};

typedef struct cmd_include_data {
	sieve_script *script; /* NULL: :optional and missing */
	gboolean once;
} cmd_include_data;

static void cmd_include_data_free(gpointer data)
{
	cmd_include_data *d = data;

	sieve_script_free(&d->script);
	g_free(d);
}

static int cmd_include_validate(sieve_validator *v, sieve_ast_node *node,
				const sieve_args *args)
{
	const sieve_ast_arg *arg = args->positional[0];
	const char *name = sieve_arg_string(arg);
	gboolean global = sieve_args_find_tag(args, SIEVE_TAG_GLOBAL, NULL) != NULL;
	g_autofree char *dir = NULL;
	g_autofree char *file = NULL;
	g_autofree char *path = NULL;
	cmd_include_data *data;
	guint i;

	/* Section 3.2: a script name, not a path, known at compile time. */
	if (*name == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, "..") == 0 || strstr(name, "${") != NULL) {
		sieve_validator_error(v, arg->line, arg->column,
				      "invalid script name '%s' for include",
				      name);
		return -1;
	}
	if (global) {
		if (v->opts->global_dir == NULL) {
			sieve_validator_error(v, arg->line, arg->column,
					      "include :global \"%s\": no "
					      "global script folder is set",
					      name);
			return -1;
		}
		dir = g_strdup(v->opts->global_dir);
	} else {
		dir = v->opts->personal_dir != NULL ?
			      g_strdup(v->opts->personal_dir) :
			      g_path_get_dirname(v->file);
	}
	file = g_str_has_suffix(name, ".sieve") ? g_strdup(name) :
						  g_strconcat(name, ".sieve", NULL);
	path = g_build_filename(dir, file, NULL);
	for (i = 0; i < v->includes->stack->len; i++) {
		if (strcmp(g_ptr_array_index(v->includes->stack, i), path) != 0)
			continue;
		/* Section 3.2: with :once, a script already running is
		 * skipped, so a cycle ends there: nothing to compile. */
		if (sieve_args_find_tag(args, SIEVE_TAG_ONCE, NULL) != NULL) {
			data = g_new0(cmd_include_data, 1);
			data->once = TRUE;
			node->data = data;
			node->data_free = cmd_include_data_free;
			return 0;
		}
		sieve_validator_error(v, arg->line, arg->column,
				      "script '%s' includes itself", name);
		return -1;
	}
	if (v->includes->stack->len > SIEVE_MAX_INCLUDE_DEPTH ||
	    v->includes->n_compiled >= SIEVE_MAX_INCLUDES) {
		sieve_validator_error(v, arg->line, arg->column,
				      "too many includes (max %d deep, %d in "
				      "all)",
				      SIEVE_MAX_INCLUDE_DEPTH,
				      SIEVE_MAX_INCLUDES);
		return -1;
	}
	data = g_new0(cmd_include_data, 1);
	data->once = sieve_args_find_tag(args, SIEVE_TAG_ONCE, NULL) != NULL;
	if (sieve_args_find_tag(args, SIEVE_TAG_OPTIONAL, NULL) != NULL &&
	    !g_file_test(path, G_FILE_TEST_EXISTS)) {
		node->data = data;
		node->data_free = cmd_include_data_free;
		return 0;
	}
	data->script = sieve_script_compile_included(path, v->opts,
						     v->includes, v->errors);
	if (data->script == NULL) {
		g_free(data);
		v->failed = TRUE;
		return -1;
	}
	/* What the included script needs, the whole script needs. */
	v->needs_body = v->needs_body || data->script->needs_body;
	v->uses_variables = v->uses_variables || data->script->uses_variables;
	node->data = data;
	node->data_free = cmd_include_data_free;
	return 0;
}

static sieve_exec_status cmd_include_execute(sieve_run *run,
					     const sieve_ast_node *node)
{
	const cmd_include_data *data = node->data;
	const sieve_script *saved_script = run->script;
	const char *saved_file = run->result.file;
	GHashTable *saved_vars = run->vars;
	sieve_exec_status status;

	if (data->script == NULL)
		return SIEVE_EXEC_OK;
	if (data->once) {
		guint i;

		/* Section 3.2: :once skips a script already included. */
		for (i = 0; run->included_once != NULL &&
			    i < run->included_once->len;
		     i++) {
			const sieve_script *other =
				g_ptr_array_index(run->included_once, i);

			if (strcmp(other->file, data->script->file) == 0)
				return SIEVE_EXEC_OK;
		}
	}
	if (run->included_once == NULL)
		run->included_once = g_ptr_array_new();
	g_ptr_array_add(run->included_once, data->script);
	if (run->include_depth >= SIEVE_MAX_INCLUDE_DEPTH)
		return sieve_run_error(run, node, "includes nested too deep");
	run->include_depth++;
	run->script = data->script;
	run->result.file = data->script->file;
	if (run->expand)
		run->vars = g_hash_table_new_full(g_str_hash, g_str_equal,
						  g_free, g_free);
	status = sieve_run_commands(run, data->script->commands);
	if (run->expand)
		g_hash_table_destroy(run->vars);
	run->vars = saved_vars;
	run->script = saved_script;
	run->result.file = saved_file;
	run->include_depth--;
	return status == SIEVE_EXEC_RETURN ? SIEVE_EXEC_OK : status;
}

static const sieve_command_def cmd_include = {
	.name = "include",
	.positional = "S",
	.tags = cmd_include_tags,
	.validate = cmd_include_validate,
	.execute = cmd_include_execute,
};

/* return (section 3.3): back to the including script. */
static sieve_exec_status cmd_return_execute(sieve_run *run,
					    const sieve_ast_node *node)
{
	return SIEVE_EXEC_RETURN;
}

static const sieve_command_def cmd_return = {
	.name = "return",
	.execute = cmd_return_execute,
};

/* global (section 3.4): the names live in the global scope. */
static int cmd_global_validate(sieve_validator *v, sieve_ast_node *node,
			       const sieve_args *args)
{
	const sieve_ast_arg *arg = args->positional[0];
	guint i;

	if (!sieve_validator_check_capability(v, "variables", "'global'",
					      node->line, node->column))
		return -1;
	if (v->global_names == NULL)
		v->global_names = g_hash_table_new_full(g_str_hash, g_str_equal,
							g_free, NULL);
	for (i = 0; i < arg->strings->len; i++) {
		const char *name = g_ptr_array_index(arg->strings, i);

		if (sieve_validate_variable_name(v, arg, name) < 0)
			return -1;
		g_hash_table_add(v->global_names, g_ascii_strdown(name, -1));
	}
	return 0;
}

static const sieve_command_def cmd_global = {
	.name = "global",
	.positional = "L",
	.validate = cmd_global_validate,
};

static const sieve_command_def *const include_commands[] = {
	&cmd_include, &cmd_return, &cmd_global, NULL
};

const sieve_extension sieve_ext_include = {
	.capability = "include",
	.commands = include_commands,
};
