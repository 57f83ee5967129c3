/* snooze: hide the message until a time, then bring it back.
 *
 *   snooze :until WHEN [:mailbox "Back"] [:addflags FLAGS]
 *          [:removeflags FLAGS] [:tzid "Zone/Name"] [:wakeonreply];
 *
 * and the form of the IETF snooze draft (draft-ietf-extra-email-snooze-00,
 * its Sieve action; Cyrus and Fastmail run it), so their scripts carry
 * over:
 *
 *   snooze [:mailbox "Back"] [:addflags FLAGS] [:removeflags FLAGS]
 *          [:weekdays ["1", "5"]] [:tzid "Zone/Name"] ["09:00", "13:00"];
 *
 * (":times [...]" as a tag, as Fastmail's generator writes it, too). The
 * draft wakes the message at the first of the times, on one of the
 * weekdays ("0" Sunday to "6" Saturday, as RFC 5260's date "weekday";
 * every day when none), after it arrived: the WHEN "at 09:00, 13:00 on
 * mon, fri".
 *
 * As the draft has it, :mailbox is where the message goes when it wakes
 * (default: where it was), not where it waits: it waits in the account's
 * snooze mailbox (the draft's \Snoozed special-use one), which the agent
 * knows. :addflags and :removeflags are applied when it wakes; :tzid says
 * the zone of the times (default: the client's). :until and
 * :wakeonreply (a reply in the thread wakes it early) are vea's and
 * need "vnd.vea"; the command itself is enabled by "vnd.vea" or the
 * draft's "snooze".
 *
 * snooze files the message (into the snooze mailbox), so it cancels the
 * implicit keep as fileinto does (sieve_result_add_snooze). */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

#include <string.h>

static const sieve_tag_def tag_until = {
	"until", SIEVE_TAG_UNTIL, SIEVE_TAG_GROUP_DURATION, SIEVE_PARAM_STRING, "vnd.vea"
};
static const sieve_tag_def tag_times = {
	"times", SIEVE_TAG_TIMES, SIEVE_TAG_GROUP_DURATION, SIEVE_PARAM_STRING_LIST, NULL
};
static const sieve_tag_def tag_mailbox = {
	"mailbox", SIEVE_TAG_MAILBOX, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING, NULL
};
static const sieve_tag_def tag_addflags = {
	"addflags", SIEVE_TAG_ADDFLAGS, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING_LIST, NULL
};
static const sieve_tag_def tag_removeflags = {
	"removeflags", SIEVE_TAG_REMOVEFLAGS, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING_LIST,
	NULL
};
static const sieve_tag_def tag_weekdays = {
	"weekdays", SIEVE_TAG_WEEKDAYS, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING_LIST, NULL
};
static const sieve_tag_def tag_tzid = {
	"tzid", SIEVE_TAG_TZID, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING, NULL
};
static const sieve_tag_def tag_wake_on_reply = {
	"wakeonreply", SIEVE_TAG_WAKE_ON_REPLY, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE,
	"vnd.vea"
};
static const sieve_tag_def *const cmd_snooze_tags[] = {
	&tag_until, &tag_times, &tag_mailbox, &tag_addflags, &tag_removeflags,
	&tag_weekdays, &tag_tzid, &tag_wake_on_reply, NULL
};

typedef struct cmd_snooze_data {
	gboolean has_when; /* when compiled; else built at run time */
	timer_when when;
	char *until;       /* :until, or NULL */
	char **times;      /* the draft's times, or NULL */
	char **weekdays;   /* :weekdays, or NULL */
	char *tzid, *mailbox;
	char **addflags, **removeflags; /* as written */
	gboolean wake_on_reply;
	gboolean tzid_checked; /* tzid known good at compile time */
} cmd_snooze_data;

static void cmd_snooze_data_free(gpointer data)
{
	cmd_snooze_data *d = data;

	g_free(d->until);
	g_strfreev(d->times);
	g_strfreev(d->weekdays);
	g_free(d->tzid);
	g_free(d->mailbox);
	g_strfreev(d->addflags);
	g_strfreev(d->removeflags);
	g_free(d);
}

/* The draft's times and weekdays as a WHEN ("at 09:00 on mon");
 * *in_weekdays_r (may be NULL) says which list an error is in. */
static int snooze_when_from_times(char *const *times, char *const *weekdays,
				  timer_when *when_r, gboolean *in_weekdays_r, char **error_r)
{
	if (in_weekdays_r != NULL)
		*in_weekdays_r = FALSE;
	g_autoptr(GString) text = g_string_new("at");

	for (char *const *t = times; *t != NULL; t++) {
		if (timer_parse_time_of_day(*t) < 0) {
			*error_r = g_strdup_printf("'%s' is not a time of day (HH:MM or HH:MM:SS)", *t);
			return -1;
		}
		g_string_append_printf(text, " %s", *t);
	}
	if (weekdays != NULL)
		g_string_append(text, " on");
	for (char *const *d = weekdays; d != NULL && *d != NULL; d++) {
		/* The draft numbers weekdays as RFC 5260 section 7 does,
		 * "0" Sunday to "6" Saturday; ISO 8601 makes Sunday 7. */
		if (strlen(*d) != 1 || **d < '0' || **d > '6') {
			if (in_weekdays_r != NULL)
				*in_weekdays_r = TRUE;
			*error_r = g_strdup_printf("'%s' is not a weekday (\"0\" Sunday to \"6\" Saturday)",
						   *d);
			return -1;
		}
		g_string_append_printf(text, " %s", timer_weekday_name(**d == '0' ? 7 : **d - '0'));
	}
	return timer_when_parse(text->str, when_r, error_r);
}

static gboolean snooze_strv_constant(const sieve_validator *v, char *const *strv)
{
	for (; strv != NULL && *strv != NULL; strv++) {
		if (!sieve_validator_is_constant(v, *strv))
			return FALSE;
	}
	return TRUE;
}

static int cmd_snooze_validate(sieve_validator *v, sieve_ast_node *node,
			       const sieve_args *args)
{
	cmd_snooze_data *data = g_new0(cmd_snooze_data, 1);
	const sieve_ast_arg *param, *times = NULL, *weekdays = NULL, *at;
	g_autofree char *error = NULL;
	gboolean in_weekdays;

	if (sieve_args_find_tag(args, SIEVE_TAG_TIMES, &param) != NULL)
		times = param;
	if (args->n_positional == 1) {
		if (times != NULL || sieve_args_find_tag(args, SIEVE_TAG_UNTIL, NULL) != NULL) {
			sieve_validator_error(v, args->positional[0]->line,
					      args->positional[0]->column,
					      "'snooze' takes its times once: "
					      "a list, :times or :until");
			goto fail;
		}
		times = args->positional[0];
	}
	at = sieve_args_find_tag(args, SIEVE_TAG_WEEKDAYS, &weekdays);
	if (sieve_args_find_tag(args, SIEVE_TAG_UNTIL, &param) != NULL) {
		if (at != NULL) {
			sieve_validator_error(v, at->line, at->column,
					      "':weekdays' goes with a list of times, "
					      "not with ':until'");
			goto fail;
		}
		data->until = g_strdup(sieve_arg_string(param));
		data->has_when = sieve_validator_is_constant(v, data->until);
		if (data->has_when && timer_when_parse(data->until, &data->when, &error) < 0) {
			sieve_validator_error(v, param->line, param->column, "':until': %s", error);
			goto fail;
		}
	} else if (times != NULL) {
		data->times = sieve_arg_dup_strv(times);
		if (weekdays != NULL)
			data->weekdays = sieve_arg_dup_strv(weekdays);
		data->has_when = snooze_strv_constant(v, data->times) &&
				 snooze_strv_constant(v, data->weekdays);
		if (data->has_when &&
		    snooze_when_from_times(data->times, data->weekdays, &data->when,
					   &in_weekdays, &error) < 0) {
			const sieve_ast_arg *bad = in_weekdays ? weekdays : times;

			sieve_validator_error(v, bad->line, bad->column, "%s", error);
			goto fail;
		}
	} else {
		sieve_validator_error(v, node->line, node->column,
				      "'snooze' needs :until WHEN or a list of times");
		goto fail;
	}
	if (sieve_args_find_tag(args, SIEVE_TAG_TZID, &param) != NULL) {
		data->tzid = g_strdup(sieve_arg_string(param));
		data->tzid_checked = sieve_validator_is_constant(v, data->tzid);
		if (data->tzid_checked) {
			g_autoptr(GTimeZone) tz = g_time_zone_new_identifier(data->tzid);

			if (tz == NULL) {
				sieve_validator_error(v, param->line, param->column,
						      "unknown time zone '%s' (an IANA name, "
						      "e.g. \"America/New_York\")", data->tzid);
				goto fail;
			}
		}
	}
	if (sieve_args_find_tag(args, SIEVE_TAG_MAILBOX, &param) != NULL) {
		data->mailbox = g_strdup(sieve_arg_string(param));
		if (*data->mailbox == '\0') {
			sieve_validator_error(v, param->line, param->column, "empty ':mailbox'");
			goto fail;
		}
	}
	if (sieve_args_find_tag(args, SIEVE_TAG_ADDFLAGS, &param) != NULL)
		data->addflags = sieve_arg_dup_strv(param);
	if (sieve_args_find_tag(args, SIEVE_TAG_REMOVEFLAGS, &param) != NULL)
		data->removeflags = sieve_arg_dup_strv(param);
	data->wake_on_reply = sieve_args_find_tag(args, SIEVE_TAG_WAKE_ON_REPLY, NULL) != NULL;
	node->data = data;
	node->data_free = cmd_snooze_data_free;
	return 0;
fail:
	cmd_snooze_data_free(data);
	return -1;
}

static sieve_exec_status cmd_snooze_execute(sieve_run *run, const sieve_ast_node *node)
{
	const cmd_snooze_data *data = node->data;
	const char *const *flags;
	sieve_action *action;
	timer_when when = data->when;

	/* Values from variables are checked now; a bad one is a run-time
	 * error, and the message is kept (RFC 5228 section 2.10.6). */
	if (!data->has_when) {
		g_autofree char *error = NULL;
		int ret = data->until != NULL ?
				  timer_when_parse(sieve_run_str(run, data->until), &when, &error) :
				  snooze_when_from_times(sieve_run_strv(run, data->times),
							 sieve_run_strv(run, data->weekdays),
							 &when, NULL, &error);

		if (ret < 0)
			return sieve_run_error(run, node, "snooze: %s", error);
	}
	if (data->tzid != NULL && !data->tzid_checked) {
		g_autoptr(GTimeZone) tz = g_time_zone_new_identifier(sieve_run_str(run, data->tzid));

		if (tz == NULL)
			return sieve_run_error(run, node, "snooze: unknown time zone '%s'",
					       sieve_run_str(run, data->tzid));
	}
	action = g_new0(sieve_action, 1);
	action->when = when;
	action->when_text = timer_when_format(&when);
	if (data->tzid != NULL)
		action->tzid = g_strdup(sieve_run_str(run, data->tzid));
	if (data->mailbox != NULL)
		action->wake_mailbox = g_strdup(sieve_run_str(run, data->mailbox));
	/* RFC 5232 section 3: flag lists are space-separated. */
	action->addflags = sieve_flags_normalize(sieve_run_strv(run, data->addflags));
	action->removeflags = sieve_flags_normalize(sieve_run_strv(run, data->removeflags));
	flags = sieve_result_get_flags(&run->result);
	action->flags = flags != NULL ? g_strdupv((char **)flags) : NULL;
	action->wake_on_reply = data->wake_on_reply;
	if (sieve_result_add_snooze(&run->result, node->line, action, &run->error) < 0)
		return SIEVE_EXEC_FAILED;
	return SIEVE_EXEC_OK;
}

const sieve_command_def sieve_cmd_snooze = {
	.name = "snooze",
	.positional = "",
	.positional_alt = "L",
	.tags = cmd_snooze_tags,
	.validate = cmd_snooze_validate,
	.execute = cmd_snooze_execute,
	.capability_alt = "snooze",
};

/* The draft's capability: it enables the command above, no more. */
const sieve_extension sieve_ext_snooze = {
	.capability = "snooze",
};
