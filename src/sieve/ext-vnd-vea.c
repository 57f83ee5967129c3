/* vnd.vea, vea's own extension:
 *
 *   bill [:account "ID"] :minutes N "description";
 *
 * records time spent for a client in the ledger. It does not touch the
 * message, so the implicit keep stays.
 *
 * Commands with a file of their own: remind (ext-vea-remind.c), snooze
 * (ext-vea-snooze.c), draft (ext-vea-draft.c), the invite test and
 * schedule (ext-vea-schedule.c). */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

static const sieve_tag_def tag_account = {
	"account", SIEVE_TAG_ACCOUNT, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING,
	NULL
};
static const sieve_tag_def tag_minutes = {
	"minutes", SIEVE_TAG_MINUTES, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NUMBER,
	NULL
};
static const sieve_tag_def *const cmd_bill_tags[] = {
	&tag_account, &tag_minutes, NULL
};

/* A working month is far below this; more is a typo. */
#define BILL_MAX_MINUTES (1000 * 1000)

typedef struct cmd_bill_data {
	char *account;
	int minutes;
	char *description;
} cmd_bill_data;

static void cmd_bill_data_free(gpointer data)
{
	cmd_bill_data *d = data;

	g_free(d->account);
	g_free(d->description);
	g_free(d);
}

static int cmd_bill_validate(sieve_validator *v, sieve_ast_node *node,
			     const sieve_args *args)
{
	const sieve_ast_arg *minutes, *account;
	cmd_bill_data *data;

	if (sieve_args_find_tag(args, SIEVE_TAG_MINUTES, &minutes) == NULL) {
		sieve_validator_error(v, node->line, node->column,
				      "'bill' needs :minutes");
		return -1;
	}
	if (minutes->number > BILL_MAX_MINUTES) {
		sieve_validator_error(v, minutes->line, minutes->column,
				      "':minutes' too large (max %d)",
				      BILL_MAX_MINUTES);
		return -1;
	}
	(void)sieve_args_find_tag(args, SIEVE_TAG_ACCOUNT, &account);
	if (account != NULL && *sieve_arg_string(account) == '\0') {
		sieve_validator_error(v, account->line, account->column,
				      "empty ':account'");
		return -1;
	}
	data = g_new0(cmd_bill_data, 1);
	data->account = account != NULL ?
				g_strdup(sieve_arg_string(account)) : NULL;
	data->minutes = (int)minutes->number;
	data->description = g_strdup(sieve_arg_string(args->positional[0]));
	node->data = data;
	node->data_free = cmd_bill_data_free;
	return 0;
}

static sieve_exec_status cmd_bill_execute(sieve_run *run,
					  const sieve_ast_node *node)
{
	const cmd_bill_data *data = node->data;

	if (sieve_result_add_bill(&run->result, node->line,
				  data->account != NULL ?
					  sieve_run_str(run, data->account) :
					  NULL,
				  data->minutes,
				  sieve_run_str(run, data->description),
				  &run->error) < 0)
		return SIEVE_EXEC_FAILED;
	return SIEVE_EXEC_OK;
}

static const sieve_command_def cmd_bill = {
	.name = "bill",
	.positional = "S",
	.tags = cmd_bill_tags,
	.validate = cmd_bill_validate,
	.execute = cmd_bill_execute,
};

extern const sieve_command_def sieve_cmd_remind; /* ext-vea-remind.c */
extern const sieve_command_def sieve_cmd_snooze; /* ext-vea-snooze.c */

static const sieve_command_def *const vnd_vea_commands[] = {
	&cmd_bill,
	&sieve_cmd_remind,
	&sieve_cmd_snooze,
	&sieve_cmd_vea_draft,
	&sieve_tst_vea_invite,
	&sieve_cmd_vea_schedule,
	NULL
};

const sieve_extension sieve_ext_vnd_vea = {
	.capability = "vnd.vea",
	.commands = vnd_vea_commands,
};
