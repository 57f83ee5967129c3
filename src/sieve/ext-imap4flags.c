/* imap4flags (RFC 5232): setflag, addflag, removeflag on the internal
 * variable (or a variable of the variables extension), the hasflag
 * test, and :flags on keep and fileinto. */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

#include <string.h>

static const sieve_tag_def tag_flags = {
	"flags", SIEVE_TAG_FLAGS, SIEVE_TAG_GROUP_NONE,
	SIEVE_PARAM_STRING_LIST, "imap4flags"
};

typedef enum {
	FLAG_OP_SET,
	FLAG_OP_ADD,
	FLAG_OP_REMOVE,
} flag_op;

/* setflag [<variablename: string>] <list-of-flags> (RFC 5232 section 3,
 * the first form needs variables). */
typedef struct cmd_flag_data {
	char *variable; /* NULL: the internal variable */
	char **lists;
	char **normalized; /* lists as sieve_flags_normalize gives them */
} cmd_flag_data;

static void cmd_flag_data_free(gpointer data)
{
	cmd_flag_data *d = data;

	g_free(d->variable);
	g_strfreev(d->lists);
	g_strfreev(d->normalized);
	g_free(d);
}

static int cmd_flag_validate(sieve_validator *v, sieve_ast_node *node,
			     const sieve_args *args)
{
	cmd_flag_data *data = g_new0(cmd_flag_data, 1);

	if (args->n_positional == 2) {
		const sieve_ast_arg *var = args->positional[0];

		if (!sieve_validator_check_capability(
			    v, "variables", "a variable name in flag commands",
			    var->line, var->column) ||
		    sieve_validate_variable_name(
			    v, var, sieve_arg_string(var)) < 0) {
			g_free(data);
			return -1;
		}
		data->variable = g_ascii_strdown(sieve_arg_string(var), -1);
	}
	data->lists = sieve_arg_dup_strv(args->positional[args->n_positional - 1]);
	data->normalized = sieve_flags_normalize(data->lists);
	node->data = data;
	node->data_free = cmd_flag_data_free;
	return 0;
}

static sieve_exec_status cmd_flag_execute(sieve_run *run,
					  const sieve_ast_node *node,
					  flag_op op)
{
	const cmd_flag_data *data = node->data;
	char *const *lists = sieve_run_strv(run, data->lists);
	GPtrArray *set;

	if (data->variable != NULL) {
		/* A flag list kept in a variable: its value is the flags
		 * separated by spaces. */
		const char *value = sieve_run_get_variable(run, data->variable);
		char *current[] = { (char *)(value != NULL ? value : ""), NULL };
		GString *joined = g_string_new(NULL);
		guint i;
		int ret;

		set = g_ptr_array_new_with_free_func(g_free);
		sieve_flags_add(set, current);
		switch (op) {
		case FLAG_OP_SET:
			sieve_flags_set(set, lists);
			break;
		case FLAG_OP_ADD:
			sieve_flags_add(set, lists);
			break;
		case FLAG_OP_REMOVE:
			sieve_flags_remove(set, lists);
			break;
		}
		for (i = 0; i < set->len; i++) {
			if (i > 0)
				g_string_append_c(joined, ' ');
			g_string_append(joined, g_ptr_array_index(set, i));
		}
		g_ptr_array_unref(set);
		ret = sieve_run_set_variable(run, node, data->variable,
					     joined->str);
		g_string_free(joined, TRUE);
		return ret < 0 ? SIEVE_EXEC_FAILED : SIEVE_EXEC_OK;
	}
	run->result.flags_line = node->line;
	switch (op) {
	case FLAG_OP_SET:
		sieve_result_flags_set(&run->result, lists);
		break;
	case FLAG_OP_ADD:
		/* Flags as written are parsed once, at compile time. */
		if (lists == data->lists)
			sieve_result_flags_add_normalized(&run->result,
							  data->normalized);
		else
			sieve_result_flags_add(&run->result, lists);
		break;
	case FLAG_OP_REMOVE:
		sieve_result_flags_remove(&run->result, lists);
		break;
	}
	return SIEVE_EXEC_OK;
}

static sieve_exec_status cmd_setflag_execute(sieve_run *run,
					     const sieve_ast_node *node)
{
	return cmd_flag_execute(run, node, FLAG_OP_SET);
}

static sieve_exec_status cmd_addflag_execute(sieve_run *run,
					     const sieve_ast_node *node)
{
	return cmd_flag_execute(run, node, FLAG_OP_ADD);
}

static sieve_exec_status cmd_removeflag_execute(sieve_run *run,
						const sieve_ast_node *node)
{
	return cmd_flag_execute(run, node, FLAG_OP_REMOVE);
}

static const sieve_command_def cmd_setflag = {
	.name = "setflag",
	.positional = "L",
	.positional_alt = "SL",
	.validate = cmd_flag_validate,
	.execute = cmd_setflag_execute,
};

static const sieve_command_def cmd_addflag = {
	.name = "addflag",
	.positional = "L",
	.positional_alt = "SL",
	.validate = cmd_flag_validate,
	.execute = cmd_addflag_execute,
};

static const sieve_command_def cmd_removeflag = {
	.name = "removeflag",
	.positional = "L",
	.positional_alt = "SL",
	.validate = cmd_flag_validate,
	.execute = cmd_removeflag_execute,
};

/* hasflag (RFC 5232 section 4): the keys are flag lists too, split on
 * spaces once here. */
/* hasflag [MATCH-TYPE] [COMPARATOR] [<variable-list: string-list>]
 * <list-of-flags: string-list> (RFC 5232 section 4): each flag of the
 * variables (or the internal variable) is matched against the keys. */
typedef struct tst_hasflag_data {
	sieve_match_spec match;
	char **variables; /* NULL: the internal variable */
	char **keys;
	void **regexes;
} tst_hasflag_data;

static void tst_hasflag_data_free(gpointer data)
{
	tst_hasflag_data *d = data;

	g_strfreev(d->variables);
	g_strfreev(d->keys);
	sieve_regexes_free(d->regexes);
	g_free(d);
}

static int tst_hasflag_validate(sieve_validator *v, sieve_ast_node *node,
				const sieve_args *args)
{
	const sieve_ast_arg *keys = args->positional[args->n_positional - 1];
	tst_hasflag_data *data;
	void **regexes;

	if (args->n_positional == 2 &&
	    !sieve_validator_check_capability(
		    v, "variables", "a variable list in 'hasflag'",
		    args->positional[0]->line, args->positional[0]->column))
		return -1;
	if (sieve_validate_keys(v, &args->match, keys, &regexes) < 0)
		return -1;
	data = g_new0(tst_hasflag_data, 1);
	data->match = args->match;
	if (args->n_positional == 2)
		data->variables = sieve_arg_dup_strv_lower(args->positional[0]);
	data->keys = sieve_arg_dup_strv(keys);
	data->regexes = regexes;
	node->data = data;
	node->data_free = tst_hasflag_data_free;
	return 0;
}

static int tst_hasflag_test(sieve_run *run, const sieve_ast_node *node,
			    gboolean *result_r)
{
	const tst_hasflag_data *data = node->data;
	char *const *keys = sieve_run_strv(run, data->keys);
	GPtrArray *flags = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *split_keys = g_ptr_array_new_with_free_func(g_free);
	gboolean matched = FALSE;
	sieve_match match;
	guint i;
	int ret;

	if (data->variables != NULL) {
		char *const *var;

		for (var = data->variables; *var != NULL; var++) {
			const char *value = sieve_run_get_variable(run, *var);
			char *one[] = { (char *)(value != NULL ? value : ""),
					NULL };

			sieve_flags_add(flags, one);
		}
	} else if (run->result.flags != NULL) {
		for (i = 0; i < run->result.flags->len; i++)
			g_ptr_array_add(flags, g_strdup(g_ptr_array_index(
						       run->result.flags, i)));
	}
	/* The keys are flag lists too: split them on spaces. Regex keys
	 * are patterns and stay whole. */
	for (; *keys != NULL; keys++) {
		char **words, **w;

		if (data->match.type == SIEVE_MATCH_REGEX) {
			g_ptr_array_add(split_keys, g_strdup(*keys));
			continue;
		}
		words = g_strsplit(*keys, " ", -1);
		for (w = words; *w != NULL; w++) {
			if (**w != '\0')
				g_ptr_array_add(split_keys, g_strdup(*w));
		}
		g_strfreev(words);
	}
	g_ptr_array_add(split_keys, NULL);
	g_ptr_array_add(flags, NULL);
	sieve_run_match_init(run, &match, &data->match,
			     (char *const *)split_keys->pdata, NULL);
	if (data->match.type == SIEVE_MATCH_REGEX &&
	    sieve_run_strv(run, data->keys) == data->keys)
		match.regexes = data->regexes;
	for (i = 0; i + 1 < flags->len && !matched; i++)
		matched = sieve_match_value(&match,
					    g_ptr_array_index(flags, i));
	ret = sieve_run_match_end(run, node, &match, matched, result_r);
	g_ptr_array_unref(flags);
	g_ptr_array_unref(split_keys);
	return ret;
}

static const sieve_command_def tst_hasflag = {
	.name = "hasflag",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_MATCH,
	.positional = "L",
	.positional_alt = "LL",
	.validate = tst_hasflag_validate,
	.test = tst_hasflag_test,
};

static const sieve_command_def *const imap4flags_commands[] = {
	&cmd_setflag, &cmd_addflag, &cmd_removeflag, &tst_hasflag, NULL
};

static const sieve_tag_ext imap4flags_tags[] = {
	{ "keep", &tag_flags },
	{ "fileinto", &tag_flags },
	{ NULL, NULL },
};

const sieve_extension sieve_ext_imap4flags = {
	.capability = "imap4flags",
	.commands = imap4flags_commands,
	.tags = imap4flags_tags,
};
