/* vnd.vea: meeting invitations (iMIP, RFC 6047) tested and answered.
 *
 *   invite [:method "request" | "cancel" | ...] [:free | :busy]
 *          [:withinhours | :outsidehours] [:trusted]
 *          [:organizer ADDRESSES] [:recurring] [:update]
 *
 * is true when the message carries an invitation that meets every
 * condition given: its iTIP method (RFC 5546 1.4, case-insensitive), the
 * executive free (or busy) at every instance within the horizon, within
 * (or outside) working hours and not on a holiday, From or Sender being
 * the ORGANIZER (:trusted), the ORGANIZER one of ADDRESSES, a recurring
 * series, a new SEQUENCE of an event seen before. When a calendar could
 * not be read, neither :free nor :busy is true: a rule that accepts when
 * free never accepts blind.
 *
 *   schedule :accept | :decline | :tentative [:comment "text"]
 *            [:approve | :send | :draft];
 *
 * answers it: the iTIP REPLY (PARTSTAT ACCEPTED, DECLINED or TENTATIVE,
 * RFC 5545 3.2.12) queued for the assistant's approval (:approve, the
 * default: vea schedule list / approve / decline), sent (:send), or left
 * as a reply in Drafts (:draft). The implicit keep stays.
 *
 * ${invite.summary}, ${invite.start} (the executive's local time),
 * ${invite.organizer}, ${invite.conflict} and ${invite.method} read the
 * invitation in any string (variables required).
 *
 * Tags are one word each, as every Sieve tag is (RFC 5228 8.1: no '-'
 * in an identifier). The engine does not read calendars: the caller
 * answers through sieve_execute_options.invitation. */

#include "sieve/actions.h"
#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

#include <string.h>

/* ---- invite ---- */

static const sieve_tag_def tag_method = {
	"method", SIEVE_TAG_METHOD, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING, NULL
};
static const sieve_tag_def tag_free = {
	"free", SIEVE_TAG_FREE, SIEVE_TAG_GROUP_AVAILABILITY, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_busy = {
	"busy", SIEVE_TAG_BUSY, SIEVE_TAG_GROUP_AVAILABILITY, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_within_hours = {
	"withinhours", SIEVE_TAG_WITHIN_HOURS, SIEVE_TAG_GROUP_HOURS, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_outside_hours = {
	"outsidehours", SIEVE_TAG_OUTSIDE_HOURS, SIEVE_TAG_GROUP_HOURS, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_trusted = {
	"trusted", SIEVE_TAG_TRUSTED, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_organizer = {
	"organizer", SIEVE_TAG_ORGANIZER, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING_LIST, NULL
};
static const sieve_tag_def tag_recurring = {
	"recurring", SIEVE_TAG_RECURRING, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_update = {
	"update", SIEVE_TAG_UPDATE, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def *const tst_invite_tags[] = {
	&tag_method, &tag_free, &tag_busy, &tag_within_hours, &tag_outside_hours,
	&tag_trusted, &tag_organizer, &tag_recurring, &tag_update, NULL
};

/* iTIP methods (RFC 5546 1.4): a :method outside them is a typo. */
static const char *const invite_methods[] = {
	"publish", "request", "reply", "add", "cancel", "refresh", "counter", "declinecounter",
	NULL
};

typedef struct tst_invite_data {
	char *method;       /* NULL: any */
	int busy;           /* -1: not asked; 0 :free; 1 :busy */
	int outside_hours;  /* -1: not asked; 0 :withinhours; 1 :outsidehours */
	gboolean trusted, recurring, update;
	char **organizers;  /* NULL: any */
} tst_invite_data;

static void tst_invite_data_free(gpointer data)
{
	tst_invite_data *d = data;

	g_free(d->method);
	g_strfreev(d->organizers);
	g_free(d);
}

static gboolean invite_method_known(const char *method)
{
	for (const char *const *m = invite_methods; *m != NULL; m++) {
		if (g_ascii_strcasecmp(*m, method) == 0)
			return TRUE;
	}
	return FALSE;
}

static int tst_invite_validate(sieve_validator *v, sieve_ast_node *node, const sieve_args *args)
{
	tst_invite_data *data = g_new0(tst_invite_data, 1);
	const sieve_ast_arg *param;

	data->busy = -1;
	data->outside_hours = -1;
	if (sieve_args_find_tag(args, SIEVE_TAG_METHOD, &param) != NULL) {
		data->method = g_strdup(sieve_arg_string(param));
		if (sieve_validator_is_constant(v, data->method) &&
		    !invite_method_known(data->method)) {
			sieve_validator_error(v, param->line, param->column,
					      "':method' must be an iTIP method (request, cancel, "
					      "reply, ...), not '%s'", data->method);
			tst_invite_data_free(data);
			return -1;
		}
	}
	if (sieve_args_find_tag(args, SIEVE_TAG_FREE, NULL) != NULL)
		data->busy = 0;
	if (sieve_args_find_tag(args, SIEVE_TAG_BUSY, NULL) != NULL)
		data->busy = 1;
	if (sieve_args_find_tag(args, SIEVE_TAG_WITHIN_HOURS, NULL) != NULL)
		data->outside_hours = 0;
	if (sieve_args_find_tag(args, SIEVE_TAG_OUTSIDE_HOURS, NULL) != NULL)
		data->outside_hours = 1;
	data->trusted = sieve_args_find_tag(args, SIEVE_TAG_TRUSTED, NULL) != NULL;
	data->recurring = sieve_args_find_tag(args, SIEVE_TAG_RECURRING, NULL) != NULL;
	data->update = sieve_args_find_tag(args, SIEVE_TAG_UPDATE, NULL) != NULL;
	if (sieve_args_find_tag(args, SIEVE_TAG_ORGANIZER, &param) != NULL)
		data->organizers = sieve_arg_dup_strv(param);
	node->data = data;
	node->data_free = tst_invite_data_free;
	return 0;
}

static int tst_invite_test(sieve_run *run, const sieve_ast_node *node, gboolean *result_r)
{
	const tst_invite_data *data = node->data;
	const sieve_invitation *inv = sieve_run_invitation(run);

	*result_r = FALSE;
	if (inv == NULL || inv->method == NULL)
		return 0;
	if (data->method != NULL &&
	    g_ascii_strcasecmp(sieve_run_str(run, data->method), inv->method) != 0)
		return 0;
	/* Not known (-1) matches neither :free nor :busy. */
	if (data->busy >= 0 && inv->busy != data->busy)
		return 0;
	if (data->outside_hours >= 0 && inv->outside_hours != data->outside_hours)
		return 0;
	if ((data->trusted && !inv->trusted) || (data->recurring && !inv->recurring) ||
	    (data->update && !inv->update))
		return 0;
	if (data->organizers != NULL) {
		char *const *organizers = sieve_run_strv(run, data->organizers);
		gboolean found = FALSE;

		for (char *const *o = organizers; *o != NULL && !found; o++)
			found = inv->organizer != NULL && g_ascii_strcasecmp(*o, inv->organizer) == 0;
		if (!found)
			return 0;
	}
	*result_r = TRUE;
	return 0;
}

const sieve_command_def sieve_tst_vea_invite = {
	.name = "invite",
	/* The invitation is a part of the body (RFC 6047 2.4). */
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_READS_BODY,
	.positional = "",
	.tags = tst_invite_tags,
	.validate = tst_invite_validate,
	.test = tst_invite_test,
};

/* ---- schedule ---- */

static const sieve_tag_def tag_accept = {
	"accept", SIEVE_TAG_ACCEPT, SIEVE_TAG_GROUP_PARTSTAT, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_decline = {
	"decline", SIEVE_TAG_DECLINE, SIEVE_TAG_GROUP_PARTSTAT, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_tentative = {
	"tentative", SIEVE_TAG_TENTATIVE, SIEVE_TAG_GROUP_PARTSTAT, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_comment = {
	"comment", SIEVE_TAG_COMMENT, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING, NULL
};
static const sieve_tag_def tag_approve = {
	"approve", SIEVE_TAG_APPROVE, SIEVE_TAG_GROUP_SCHEDULE_MODE, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_send = {
	"send", SIEVE_TAG_SEND, SIEVE_TAG_GROUP_SCHEDULE_MODE, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_draft = {
	"draft", SIEVE_TAG_DRAFT, SIEVE_TAG_GROUP_SCHEDULE_MODE, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def *const cmd_schedule_tags[] = {
	&tag_accept, &tag_decline, &tag_tentative, &tag_comment, &tag_approve, &tag_send,
	&tag_draft, NULL
};

typedef struct cmd_schedule_data {
	const char *partstat; /* static */
	sieve_schedule_mode mode;
	char *comment;
} cmd_schedule_data;

static void cmd_schedule_data_free(gpointer data)
{
	cmd_schedule_data *d = data;

	g_free(d->comment);
	g_free(d);
}

static int cmd_schedule_validate(sieve_validator *v, sieve_ast_node *node,
				 const sieve_args *args)
{
	cmd_schedule_data *data;
	const sieve_ast_arg *param;
	const char *partstat = NULL;

	if (sieve_args_find_tag(args, SIEVE_TAG_ACCEPT, NULL) != NULL)
		partstat = "ACCEPTED";
	else if (sieve_args_find_tag(args, SIEVE_TAG_DECLINE, NULL) != NULL)
		partstat = "DECLINED";
	else if (sieve_args_find_tag(args, SIEVE_TAG_TENTATIVE, NULL) != NULL)
		partstat = "TENTATIVE";
	if (partstat == NULL) {
		sieve_validator_error(v, node->line, node->column,
				      "'schedule' needs :accept, :decline or :tentative");
		return -1;
	}
	data = g_new0(cmd_schedule_data, 1);
	data->partstat = partstat;
	data->mode = SIEVE_SCHEDULE_APPROVE;
	if (sieve_args_find_tag(args, SIEVE_TAG_SEND, NULL) != NULL)
		data->mode = SIEVE_SCHEDULE_SEND;
	else if (sieve_args_find_tag(args, SIEVE_TAG_DRAFT, NULL) != NULL)
		data->mode = SIEVE_SCHEDULE_DRAFT;
	if (sieve_args_find_tag(args, SIEVE_TAG_COMMENT, &param) != NULL)
		data->comment = g_strdup(sieve_arg_string(param));
	node->data = data;
	node->data_free = cmd_schedule_data_free;
	return 0;
}

static sieve_exec_status cmd_schedule_execute(sieve_run *run, const sieve_ast_node *node)
{
	const cmd_schedule_data *data = node->data;
	sieve_action *action = g_new0(sieve_action, 1);

	action->partstat = data->partstat;
	action->schedule_mode = data->mode;
	if (data->comment != NULL)
		action->note = g_strdup(sieve_run_str(run, data->comment));
	if (sieve_result_add_schedule(&run->result, node->line, action, &run->error) < 0)
		return SIEVE_EXEC_FAILED;
	return SIEVE_EXEC_OK;
}

const sieve_command_def sieve_cmd_vea_schedule = {
	.name = "schedule",
	.flags = SIEVE_CMD_READS_BODY,
	.positional = "",
	.tags = cmd_schedule_tags,
	.validate = cmd_schedule_validate,
	.execute = cmd_schedule_execute,
};
