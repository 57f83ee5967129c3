/* imap4flags (RFC 5232): setflag, addflag, removeflag on the internal
 * variable, the hasflag test, and :flags on keep and fileinto. The
 * variable-name forms need the variables extension, which vea does not
 * have yet. */

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

static int cmd_flag_validate(sieve_validator *v, sieve_ast_node *node,
			     const sieve_args *args)
{
	node->data = sieve_arg_dup_strv(args->positional[0]);
	node->data_free = (GDestroyNotify)g_strfreev;
	return 0;
}

static sieve_exec_status cmd_flag_execute(sieve_run *run,
					  const sieve_ast_node *node,
					  flag_op op)
{
	if (run->result.flags == NULL)
		run->result.flags = g_ptr_array_new_with_free_func(g_free);
	run->result.flags_line = node->line;
	switch (op) {
	case FLAG_OP_SET:
		sieve_flags_set(run->result.flags, node->data);
		break;
	case FLAG_OP_ADD:
		sieve_flags_add(run->result.flags, node->data);
		break;
	case FLAG_OP_REMOVE:
		sieve_flags_remove(run->result.flags, node->data);
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
	.validate = cmd_flag_validate,
	.execute = cmd_setflag_execute,
};

static const sieve_command_def cmd_addflag = {
	.name = "addflag",
	.positional = "L",
	.validate = cmd_flag_validate,
	.execute = cmd_addflag_execute,
};

static const sieve_command_def cmd_removeflag = {
	.name = "removeflag",
	.positional = "L",
	.validate = cmd_flag_validate,
	.execute = cmd_removeflag_execute,
};

/* hasflag (RFC 5232 section 4): the keys are flag lists too, split on
 * spaces once here. */
typedef struct tst_hasflag_data {
	sieve_match_spec match;
	char **keys;
} tst_hasflag_data;

static void tst_hasflag_data_free(gpointer data)
{
	tst_hasflag_data *d = data;

	g_strfreev(d->keys);
	g_free(d);
}

static int tst_hasflag_validate(sieve_validator *v, sieve_ast_node *node,
				const sieve_args *args)
{
	const sieve_ast_arg *arg = args->positional[0];
	tst_hasflag_data *data = g_new0(tst_hasflag_data, 1);
	GPtrArray *keys = g_ptr_array_new();
	guint i;

	for (i = 0; i < arg->strings->len; i++) {
		char **words = g_strsplit(g_ptr_array_index(arg->strings, i),
					  " ", -1);
		char **w;

		for (w = words; *w != NULL; w++) {
			if (**w != '\0')
				g_ptr_array_add(keys, g_strdup(*w));
		}
		g_strfreev(words);
	}
	g_ptr_array_add(keys, NULL);
	data->match = args->match;
	data->keys = (char **)g_ptr_array_free(keys, FALSE);
	node->data = data;
	node->data_free = tst_hasflag_data_free;
	return 0;
}

static int tst_hasflag_test(sieve_run *run, const sieve_ast_node *node,
			    gboolean *result_r)
{
	const tst_hasflag_data *data = node->data;
	sieve_match match;
	guint i;

	sieve_match_init(&match, &data->match, data->keys);
	for (i = 0; run->result.flags != NULL && i < run->result.flags->len;
	     i++) {
		if (sieve_match_value(&match,
				      g_ptr_array_index(run->result.flags, i))) {
			*result_r = TRUE;
			return 0;
		}
	}
	*result_r = sieve_match_finish(&match);
	return 0;
}

static const sieve_command_def tst_hasflag = {
	.name = "hasflag",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_MATCH,
	.positional = "L",
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
