/* vnd.vea remind: a follow-up reminder for the message.
 *
 *   remind [:days N | :hours N | :businessdays N | :until WHEN]
 *          [:ifunanswered | :always] [:to "assistant" | "executive"]
 *          [:flag] ["note"];
 *
 * Tags are one word, as every Sieve tag is: RFC 5228 section 8.1 allows
 * no '-' in an identifier (":business-days" would not parse anywhere).
 * Without a time, :days 3. WHEN is timer/when.h's ("monday 09:00",
 * "+2bd", ...): :days N is "+Nd" (the same wall-clock time N local dates
 * later), :hours N is "+Nh" (N hours of absolute time), :businessdays N
 * is "+Nbd" (weekends and the client's holidays skipped). By default the reminder is for the assistant and only fires
 * when the message has not been answered by then (SCHEDULING.md section
 * 5.2 says how a reply is recognised); :always fires anyway. :flag sets
 * \Flagged on the message when it fires. The engine only produces the
 * action, with WHEN unresolved: the agent resolves it against the
 * message's arrival. It does not touch the message: the implicit keep
 * stays. */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

#include <string.h>

/* The default wait, when no time is given. */
#define REMIND_DEFAULT_DAYS 3

static const sieve_tag_def tag_days = {
	"days", SIEVE_TAG_DAYS, SIEVE_TAG_GROUP_DURATION, SIEVE_PARAM_NUMBER, NULL
};
static const sieve_tag_def tag_hours = {
	"hours", SIEVE_TAG_HOURS, SIEVE_TAG_GROUP_DURATION, SIEVE_PARAM_NUMBER, NULL
};
static const sieve_tag_def tag_business_days = {
	"businessdays", SIEVE_TAG_BUSINESS_DAYS, SIEVE_TAG_GROUP_DURATION,
	SIEVE_PARAM_NUMBER, NULL
};
static const sieve_tag_def tag_until = {
	"until", SIEVE_TAG_UNTIL, SIEVE_TAG_GROUP_DURATION, SIEVE_PARAM_STRING, NULL
};
static const sieve_tag_def tag_if_unanswered = {
	"ifunanswered", SIEVE_TAG_IF_UNANSWERED, SIEVE_TAG_GROUP_REMIND_IF,
	SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_always = {
	"always", SIEVE_TAG_ALWAYS, SIEVE_TAG_GROUP_REMIND_IF, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def tag_to = {
	"to", SIEVE_TAG_TO, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING, NULL
};
static const sieve_tag_def tag_flag = {
	"flag", SIEVE_TAG_FLAG, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def *const cmd_remind_tags[] = {
	&tag_days, &tag_hours, &tag_business_days, &tag_until, &tag_if_unanswered,
	&tag_always, &tag_to, &tag_flag, NULL
};

typedef struct cmd_remind_data {
	gboolean has_when; /* when is compiled; else until is parsed at run time */
	timer_when when;
	char *until;
	char *to;          /* NULL: the assistant */
	gboolean always, flag;
	char *note;
} cmd_remind_data;

static void cmd_remind_data_free(gpointer data)
{
	cmd_remind_data *d = data;

	g_free(d->until);
	g_free(d->to);
	g_free(d->note);
	g_free(d);
}

/* :to names who gets it; -1 for anything else. */
static int remind_parse_to(const char *to)
{
	if (g_ascii_strcasecmp(to, "assistant") == 0)
		return 0;
	if (g_ascii_strcasecmp(to, "executive") == 0)
		return 1;
	return -1;
}

static const struct {
	sieve_tag_id tag;
	timer_unit unit;
	const char *name;
} remind_spans[] = {
	{ SIEVE_TAG_DAYS, TIMER_UNIT_DAYS, "days" },
	{ SIEVE_TAG_HOURS, TIMER_UNIT_HOURS, "hours" },
	{ SIEVE_TAG_BUSINESS_DAYS, TIMER_UNIT_BUSINESS_DAYS, "businessdays" },
};

static int cmd_remind_validate(sieve_validator *v, sieve_ast_node *node,
			       const sieve_args *args)
{
	cmd_remind_data *data = g_new0(cmd_remind_data, 1);
	const sieve_ast_arg *param;

	data->when.kind = TIMER_WHEN_AFTER;
	data->when.unit = TIMER_UNIT_DAYS;
	data->when.count = REMIND_DEFAULT_DAYS;
	data->when.time = -1;
	data->has_when = TRUE;
	for (size_t i = 0; i < G_N_ELEMENTS(remind_spans); i++) {
		int max = timer_unit_max(remind_spans[i].unit);

		if (sieve_args_find_tag(args, remind_spans[i].tag, &param) == NULL)
			continue;
		if (param->number < 1 || param->number > (guint64)max) {
			sieve_validator_error(v, param->line, param->column,
					      "':%s' must be 1 to %d",
					      remind_spans[i].name, max);
			goto fail;
		}
		data->when.unit = remind_spans[i].unit;
		data->when.count = (int)param->number;
	}
	if (sieve_args_find_tag(args, SIEVE_TAG_UNTIL, &param) != NULL) {
		data->until = g_strdup(sieve_arg_string(param));
		data->has_when = sieve_validator_is_constant(v, data->until);
		if (data->has_when) {
			g_autofree char *error = NULL;

			if (timer_when_parse(data->until, &data->when, &error) < 0) {
				sieve_validator_error(v, param->line, param->column,
						      "':until': %s", error);
				goto fail;
			}
		}
	}
	if (sieve_args_find_tag(args, SIEVE_TAG_TO, &param) != NULL) {
		data->to = g_strdup(sieve_arg_string(param));
		if (sieve_validator_is_constant(v, data->to) &&
		    remind_parse_to(data->to) < 0) {
			sieve_validator_error(v, param->line, param->column,
					      "':to' must be \"assistant\" or "
					      "\"executive\", not '%s'",
					      data->to);
			goto fail;
		}
	}
	data->always = sieve_args_find_tag(args, SIEVE_TAG_ALWAYS, NULL) != NULL;
	data->flag = sieve_args_find_tag(args, SIEVE_TAG_FLAG, NULL) != NULL;
	if (args->n_positional == 1)
		data->note = g_strdup(sieve_arg_string(args->positional[0]));
	node->data = data;
	node->data_free = cmd_remind_data_free;
	return 0;
fail:
	cmd_remind_data_free(data);
	return -1;
}

static sieve_exec_status cmd_remind_execute(sieve_run *run,
					    const sieve_ast_node *node)
{
	const cmd_remind_data *data = node->data;
	sieve_action *action;
	timer_when when = data->when;
	int to = 0;

	/* A value from variables is checked now; a bad one is a run-time
	 * error, and the message is kept (RFC 5228 section 2.10.6). */
	if (!data->has_when) {
		g_autofree char *error = NULL;

		if (timer_when_parse(sieve_run_str(run, data->until), &when, &error) < 0)
			return sieve_run_error(run, node, "remind :until: %s", error);
	}
	if (data->to != NULL && (to = remind_parse_to(sieve_run_str(run, data->to))) < 0)
		return sieve_run_error(run, node,
				       "remind :to must be \"assistant\" or \"executive\", not '%s'",
				       sieve_run_str(run, data->to));
	action = g_new0(sieve_action, 1);
	action->when = when;
	action->when_text = timer_when_format(&when);
	action->if_unanswered = !data->always;
	action->to_executive = to == 1;
	action->flag = data->flag;
	if (data->note != NULL)
		action->note = g_strdup(sieve_run_str(run, data->note));
	if (sieve_result_add_remind(&run->result, node->line, action, &run->error) < 0)
		return SIEVE_EXEC_FAILED;
	return SIEVE_EXEC_OK;
}

const sieve_command_def sieve_cmd_remind = {
	.name = "remind",
	.positional = "",
	.positional_alt = "S",
	.tags = cmd_remind_tags,
	.validate = cmd_remind_validate,
	.execute = cmd_remind_execute,
};
