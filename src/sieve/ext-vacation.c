/* vacation (RFC 5230) and vacation-seconds (RFC 6131): the engine produces
 * the action; whether to answer (Auto-Submitted, list headers, the
 * :addresses check, the period per sender and handle) is the sender's
 * business when vea sends mail. */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

#include <string.h>

/* Like Pigeonhole's defaults: 7 days, at least 1 day, at most 90. */
#define VACATION_DEFAULT_SECONDS (7 * 86400)
#define VACATION_MIN_SECONDS 86400
#define VACATION_MAX_SECONDS (90 * 86400)

static const sieve_tag_def tag_days = {
	"days", SIEVE_TAG_DAYS, SIEVE_TAG_GROUP_DURATION, SIEVE_PARAM_NUMBER,
	NULL
};
static const sieve_tag_def tag_seconds = {
	"seconds", SIEVE_TAG_SECONDS, SIEVE_TAG_GROUP_DURATION,
	SIEVE_PARAM_NUMBER, "vacation-seconds"
};
static const sieve_tag_def tag_subject = {
	"subject", SIEVE_TAG_SUBJECT, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING,
	NULL
};
static const sieve_tag_def tag_from = {
	"from", SIEVE_TAG_FROM, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING, NULL
};
static const sieve_tag_def tag_addresses = {
	"addresses", SIEVE_TAG_ADDRESSES, SIEVE_TAG_GROUP_NONE,
	SIEVE_PARAM_STRING_LIST, NULL
};
static const sieve_tag_def tag_mime = {
	"mime", SIEVE_TAG_MIME, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_handle = {
	"handle", SIEVE_TAG_HANDLE, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING,
	NULL
};
static const sieve_tag_def *const cmd_vacation_tags[] = {
	&tag_days, &tag_seconds, &tag_subject, &tag_from, &tag_addresses,
	&tag_mime, &tag_handle, NULL
};

typedef struct cmd_vacation_data {
	guint64 seconds;
	char *subject, *from, *handle, *reason;
	char **addresses;
	gboolean mime;
} cmd_vacation_data;

static void cmd_vacation_data_free(gpointer data)
{
	cmd_vacation_data *d = data;

	g_free(d->subject);
	g_free(d->from);
	g_free(d->handle);
	g_free(d->reason);
	g_strfreev(d->addresses);
	g_free(d);
}

static char *vacation_tag_string(const sieve_args *args, sieve_tag_id id)
{
	const sieve_ast_arg *param;

	if (sieve_args_find_tag(args, id, &param) == NULL)
		return NULL;
	return g_strdup(sieve_arg_string(param));
}

/* Section 4.4: :from is an RFC 5322 mailbox, a display name allowed;
 * the display name may hold encoded words (RFC 2047) or UTF-8 (RFC
 * 6532), which the sender encodes as needed. */
static gboolean vacation_from_is_valid(const char *from)
{
	g_autofree char *addr = sieve_address_normalize(from, TRUE);

	return addr != NULL;
}

static int cmd_vacation_validate(sieve_validator *v, sieve_ast_node *node,
				 const sieve_args *args)
{
	cmd_vacation_data *data = g_new0(cmd_vacation_data, 1);
	const sieve_ast_arg *param;

	data->seconds = VACATION_DEFAULT_SECONDS;
	/* Section 4.1: the period is clamped to what the site allows; RFC
	 * 6131 section 2: :seconds 0 means reply every time, which the
	 * minimum overrides as Pigeonhole does. */
	if (sieve_args_find_tag(args, SIEVE_TAG_DAYS, &param) != NULL)
		data->seconds = MIN(param->number, G_MAXUINT32) * 86400;
	else if (sieve_args_find_tag(args, SIEVE_TAG_SECONDS, &param) != NULL)
		data->seconds = param->number;
	data->seconds = CLAMP(data->seconds, VACATION_MIN_SECONDS,
			      VACATION_MAX_SECONDS);
	data->subject = vacation_tag_string(args, SIEVE_TAG_SUBJECT);
	data->from = vacation_tag_string(args, SIEVE_TAG_FROM);
	data->handle = vacation_tag_string(args, SIEVE_TAG_HANDLE);
	if (sieve_args_find_tag(args, SIEVE_TAG_ADDRESSES, &param) != NULL)
		data->addresses = sieve_arg_dup_strv(param);
	data->mime = sieve_args_find_tag(args, SIEVE_TAG_MIME, NULL) != NULL;
	data->reason = g_strdup(sieve_arg_string(args->positional[0]));
	if (data->from != NULL && sieve_validator_is_constant(v, data->from) &&
	    !vacation_from_is_valid(data->from)) {
		const sieve_ast_arg *from;

		(void)sieve_args_find_tag(args, SIEVE_TAG_FROM, &from);
		sieve_validator_error(v, from->line, from->column,
				      "invalid :from address '%s'", data->from);
		cmd_vacation_data_free(data);
		return -1;
	}
	node->data = data;
	node->data_free = cmd_vacation_data_free;
	return 0;
}

/* Who the reply goes to: the envelope sender, or the Return-Path the
 * delivery agent recorded (section 4.5). */
static const char *vacation_recipient(sieve_run *run)
{
	const GPtrArray *path;

	if (run->envelope->from != NULL)
		return *run->envelope->from != '\0' ? run->envelope->from : NULL;
	path = sieve_run_addresses(run, "return-path");
	if (path->len > 0) {
		const mime_address *addr = g_ptr_array_index(path, 0);

		return *addr->addr != '\0' ? addr->addr : NULL;
	}
	return NULL;
}

static sieve_exec_status cmd_vacation_execute(sieve_run *run,
					      const sieve_ast_node *node)
{
	const cmd_vacation_data *data = node->data;
	sieve_action *action = g_new0(sieve_action, 1);

	action->address = g_strdup(vacation_recipient(run));
	action->seconds = data->seconds;
	action->reason = g_strdup(sieve_run_str(run, data->reason));
	if (data->subject != NULL)
		action->subject = g_strdup(sieve_run_str(run, data->subject));
	if (data->from != NULL)
		action->from = g_strdup(sieve_run_str(run, data->from));
	if (data->addresses != NULL)
		action->addresses =
			g_strdupv((char **)sieve_run_strv(run, data->addresses));
	action->mime = data->mime;
	if (data->handle != NULL) {
		action->handle = g_strdup(sieve_run_str(run, data->handle));
	} else {
		/* Section 4.2: without :handle, replies differing in reason,
		 * subject, from or mime are different replies; the arguments
		 * compared are the ones written in the script, before
		 * variables are expanded, so `:subject "Re: ${1}"` answers a
		 * sender once per period, not once per subject. */
		GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);

		g_checksum_update(sum, (const guchar *)data->reason, -1);
		g_checksum_update(sum, (const guchar *)"\n", 1);
		if (data->subject != NULL)
			g_checksum_update(sum, (const guchar *)data->subject, -1);
		g_checksum_update(sum, (const guchar *)"\n", 1);
		if (data->from != NULL)
			g_checksum_update(sum, (const guchar *)data->from, -1);
		g_checksum_update(sum, (const guchar *)(data->mime ? "m" : "-"), 1);
		action->handle = g_strdup(g_checksum_get_string(sum));
		g_checksum_free(sum);
	}
	if (sieve_result_add_vacation(&run->result, node->line, action,
				      &run->error) < 0)
		return SIEVE_EXEC_FAILED;
	return SIEVE_EXEC_OK;
}

static const sieve_command_def cmd_vacation = {
	.name = "vacation",
	/* RFC 6131 2: "vacation-seconds" is vacation with :seconds; a
	 * script that requires it alone may use vacation (its example
	 * does, as Pigeonhole allows). */
	.capability_alt = "vacation-seconds",
	.positional = "S",
	.tags = cmd_vacation_tags,
	.validate = cmd_vacation_validate,
	.execute = cmd_vacation_execute,
};

static const sieve_command_def *const vacation_commands[] = {
	&cmd_vacation, NULL
};

const sieve_extension sieve_ext_vacation = {
	.capability = "vacation",
	.commands = vacation_commands,
};

/* RFC 6131: :seconds, on the vacation command above. */
const sieve_extension sieve_ext_vacation_seconds = {
	.capability = "vacation-seconds",
};
