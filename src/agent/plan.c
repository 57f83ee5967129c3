#include "agent/plan.h"
#include "imap/mailbox-name.h"

#include <string.h>

void plan_step_free(plan_step *step)
{
	if (step == NULL)
		return;
	g_free(step->row.argument);
	g_free(step->row.rule_file);
	g_free(step->row.result);
	g_free(step->row.reason);
	store_outbox_message_free(step->outgoing);
	store_draft_free(step->draft);
	store_schedule_free(step->schedule);
	g_free(step->track_sender);
	g_free(step->track_handle);
	store_timer_free(step->timer);
	g_free(step->billing_account);
	g_free(step->description);
	g_free(step);
}

char *plan_flags_to_string(const char *const *flags)
{
	if (flags == NULL)
		return g_strdup("");
	return g_strjoinv(" ", (char **)flags);
}

static plan_step *plan_step_new(const sieve_action *action, action_kind kind,
				store_operation operation, const char *argument)
{
	plan_step *step = g_new0(plan_step, 1);

	step->row.kind = kind;
	step->row.operation = operation;
	step->row.argument = g_strdup(argument != NULL ? argument : "");
	step->row.state = STORE_ACTION_PLANNED;
	step->source = action;
	/* The implicit keep comes from no command: the log says so rather
	 * than naming a line; its flags come from the flag command it names. */
	if (action != NULL && action->rule_file != NULL &&
	    (!action->implicit || (operation == STORE_OPERATION_FLAGS && action->rule_line > 0))) {
		step->row.rule_file = g_strdup(action->rule_file);
		step->row.rule_line = action->rule_line;
	}
	return step;
}

/* Mailbox names compare as the server would: INBOX in any case is INBOX
 * (RFC 3501 section 5.1), anything else exactly. */
static gboolean plan_mailbox_equal(const char *a, const char *b)
{
	if (g_ascii_strcasecmp(a, "INBOX") == 0 && g_ascii_strcasecmp(b, "INBOX") == 0)
		return TRUE;
	return strcmp(a, b) == 0;
}

static void plan_add_flags(GPtrArray *flags, char **more)
{
	for (char **flag = more; flag != NULL && *flag != NULL; flag++) {
		gboolean seen = FALSE;

		for (guint i = 0; i < flags->len && !seen; i++)
			seen = g_ascii_strcasecmp(g_ptr_array_index(flags, i), *flag) == 0;
		if (!seen)
			g_ptr_array_add(flags, *flag);
	}
}

GPtrArray *plan_message(const GPtrArray *actions, const char *source_mailbox,
			const char *trash, const plan_names *names)
{
	g_autoptr(GPtrArray) placed_names = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *steps = g_ptr_array_new_with_free_func((GDestroyNotify)plan_step_free);
	g_autoptr(GPtrArray) flags = g_ptr_array_new();       /* borrowed strings */
	g_autoptr(GPtrArray) placements = g_ptr_array_new();  /* fileinto actions elsewhere */
	const sieve_action *keep = NULL, *discard = NULL, *flags_source = NULL, *snooze = NULL;
	plan_step *step;

	for (guint i = 0; i < actions->len; i++) {
		const sieve_action *action = g_ptr_array_index(actions, i);

		switch (action->type) {
		case SIEVE_ACTION_KEEP:
			if (keep == NULL)
				keep = action;
			plan_add_flags(flags, action->flags);
			if (action->flags != NULL && flags_source == NULL)
				flags_source = action;
			break;
		case SIEVE_ACTION_FILEINTO: {
			char *name = names == NULL ? g_strdup(action->mailbox)
						   : mailbox_name_clean(action->mailbox, names->delimiter,
									names->refused,
									names->replacement);

			plan_add_flags(flags, action->flags);
			if (action->flags != NULL && flags_source == NULL)
				flags_source = action;
			if (plan_mailbox_equal(name, source_mailbox)) {
				if (keep == NULL)
					keep = action;
				g_free(name);
				break;
			}
			/* RFC 5228 2.10.3: filing twice into one mailbox files once. */
			for (guint j = 0; j < placed_names->len && action != NULL; j++) {
				if (plan_mailbox_equal(g_ptr_array_index(placed_names, j), name))
					action = NULL;
			}
			if (action != NULL) {
				g_ptr_array_add(placements, (gpointer)action);
				g_ptr_array_add(placed_names, name);
			} else {
				g_free(name);
			}
			break;
		}
		case SIEVE_ACTION_DISCARD:
			if (discard == NULL)
				discard = action;
			break;
		case SIEVE_ACTION_REDIRECT:
			/* Decided and composed by agent/outgoing.c; until then
			 * it is not sent. */
			step = plan_step_new(action, ACTION_REDIRECT, STORE_OPERATION_NONE, action->address);
			step->row.state = STORE_ACTION_SKIPPED;
			step->row.reason = g_strdup("not prepared for sending (a dry run)");
			g_ptr_array_add(steps, step);
			break;
		case SIEVE_ACTION_VACATION:
		case SIEVE_ACTION_NOTIFY:
			step = plan_step_new(action, action->type == SIEVE_ACTION_VACATION ? ACTION_VACATION : ACTION_NOTIFY,
					     STORE_OPERATION_NONE,
					     action->type == SIEVE_ACTION_VACATION ? action->address : action->method);
			step->row.state = STORE_ACTION_SKIPPED;
			step->row.reason = g_strdup("not prepared for sending (a dry run)");
			g_ptr_array_add(steps, step);
			break;
		case SIEVE_ACTION_REMIND:
			/* Done when journalled: the timer row goes with it
			 * (agent_timer_prepare). */
			step = plan_step_new(action, ACTION_REMIND, STORE_OPERATION_NONE, action->when_text);
			step->row.state = STORE_ACTION_DONE;
			g_ptr_array_add(steps, step);
			break;
		case SIEVE_ACTION_SNOOZE:
			/* snooze cancelled the implicit keep; the mailbox is
			 * the account's (agent_timer_prepare). */
			if (snooze == NULL)
				snooze = action;
			break;
		case SIEVE_ACTION_DRAFT:
			/* Composed by agent/drafts.c, which plans it; until
			 * then (a dry run) nothing is written. */
			step = plan_step_new(action, ACTION_DRAFT, STORE_OPERATION_NONE,
					     action->draft_template);
			step->row.state = STORE_ACTION_SKIPPED;
			step->row.reason = g_strdup("not written (a dry run)");
			g_ptr_array_add(steps, step);
			break;
		case SIEVE_ACTION_SCHEDULE:
			/* Decided against the executive's calendars by
			 * agent/schedule.c; until then (a dry run) nothing
			 * is answered. */
			step = plan_step_new(action, ACTION_SCHEDULE, STORE_OPERATION_NONE,
					     action->partstat);
			step->row.state = STORE_ACTION_SKIPPED;
			step->row.reason = g_strdup("not answered (a dry run)");
			g_ptr_array_add(steps, step);
			break;
		case SIEVE_ACTION_BILL:
			step = plan_step_new(action, ACTION_BILL, STORE_OPERATION_NONE, NULL);
			g_free(step->row.argument);
			step->row.argument = g_strdup_printf("%d min%s%s", action->minutes,
							     action->description != NULL ? ": " : "",
							     action->description != NULL ? action->description : "");
			step->is_bill = TRUE;
			step->billing_account = g_strdup(action->account);
			step->seconds = (int64_t)action->minutes * 60;
			step->description = g_strdup(action->description != NULL ? action->description : "");
			g_ptr_array_add(steps, step);
			break;
		}
	}

	/* Flags first: a COPY or MOVE takes them along (RFC 3501 6.4.7). */
	if (flags->len > 0) {
		g_autofree char *list = NULL;

		g_ptr_array_add(flags, NULL);
		list = plan_flags_to_string((const char *const *)flags->pdata);
		g_ptr_array_add(steps, plan_step_new(flags_source, ACTION_ADDFLAG,
						     STORE_OPERATION_FLAGS, list));
	}
	for (guint i = 0; i < placements->len; i++) {
		const sieve_action *action = g_ptr_array_index(placements, i);
		gboolean last = i + 1 == placements->len;
		gboolean moves = last && keep == NULL && snooze == NULL;

		/* With no keep left (fileinto without :copy, discard or
		 * redirect cancelled it, RFC 5228 2.10.2) the message leaves
		 * its mailbox: the last filing moves it. */
		step = plan_step_new(action, ACTION_FILEINTO, moves ? STORE_OPERATION_MOVE
							      : STORE_OPERATION_COPY,
				     g_ptr_array_index(placed_names, i));
		step->row.create_mailbox = action->create;
		g_ptr_array_add(steps, step);
	}
	if (snooze != NULL) {
		step = plan_step_new(snooze, ACTION_SNOOZE, STORE_OPERATION_MOVE, "");
		step->row.create_mailbox = TRUE;
		if (keep != NULL) {
			/* An explicit keep says the message stays: it does. */
			step->row.operation = STORE_OPERATION_NONE;
			step->row.state = STORE_ACTION_SKIPPED;
			step->row.reason = g_strdup("the rules also keep the message: not snoozed");
		}
		g_ptr_array_add(steps, step);
	}
	if (keep != NULL) {
		step = plan_step_new(keep, ACTION_KEEP, STORE_OPERATION_NONE, source_mailbox);
		step->row.state = STORE_ACTION_DONE;
		step->row.result = g_strdup("done");
		g_ptr_array_add(steps, step);
	} else if (discard != NULL && placements->len == 0 && snooze == NULL) {
		step = plan_step_new(discard, ACTION_DISCARD, STORE_OPERATION_MOVE, trash);
		step->row.create_mailbox = TRUE;
		g_ptr_array_add(steps, step);
	}
	return steps;
}
