#include "action/kind.h"

#include <string.h>

/* Indexed by action_kind (in its order). */
static const action_kind_info kinds[ACTION_KIND_COUNT + 1] = {
	[ACTION_FILEINTO] = {
		.kind = ACTION_FILEINTO, .name = "fileinto",
		.execution = ACTION_EXECUTION_IMAP, .undo = ACTION_UNDO_REVERSE,
		.summary = "filed into %s", .digest_heading = "Filed",
		.billing_category = "triage", .cost = CONF_COST_FILEINTO,
	},
	[ACTION_ADDFLAG] = {
		.kind = ACTION_ADDFLAG, .name = "addflag",
		.execution = ACTION_EXECUTION_IMAP, .undo = ACTION_UNDO_REVERSE,
		.summary = "flagged %s", .digest_heading = "Marked",
		.billing_category = "triage", .cost = CONF_COST_FLAG,
	},
	[ACTION_DISCARD] = {
		.kind = ACTION_DISCARD, .name = "discard",
		.execution = ACTION_EXECUTION_IMAP, .undo = ACTION_UNDO_REVERSE,
		.summary = "discarded (moved to %s)", .digest_heading = "Moved to Trash",
		.billing_category = "triage", .cost = CONF_COST_DISCARD,
	},
	[ACTION_REDIRECT] = {
		.kind = ACTION_REDIRECT, .name = "redirect",
		.execution = ACTION_EXECUTION_OUTBOX, .undo = ACTION_UNDO_REFUSED,
		.undo_refusal = "a message that was sent cannot be called back",
		.summary = "forwarded to %s", .digest_heading = "Forwarded",
		.billing_category = "triage", .cost = CONF_COST_COUNT,
	},
	[ACTION_VACATION] = {
		.kind = ACTION_VACATION, .name = "vacation",
		.execution = ACTION_EXECUTION_OUTBOX, .undo = ACTION_UNDO_REFUSED,
		.undo_refusal = "a message that was sent cannot be called back",
		.summary = "auto-replied to %s", .digest_heading = "Auto-replied",
		.billing_category = "triage", .cost = CONF_COST_COUNT,
	},
	[ACTION_NOTIFY] = {
		.kind = ACTION_NOTIFY, .name = "notify",
		.execution = ACTION_EXECUTION_OUTBOX, .undo = ACTION_UNDO_REFUSED,
		.undo_refusal = "a message that was sent cannot be called back",
		.summary = "notified %s", .digest_heading = NULL,
		.billing_category = "triage", .cost = CONF_COST_COUNT,
	},
	[ACTION_DRAFT] = {
		.kind = ACTION_DRAFT, .name = "draft",
		.execution = ACTION_EXECUTION_APPEND, .undo = ACTION_UNDO_REFUSED,
		.undo_refusal = "a draft is the executive's to delete or send",
		.summary = "drafted a reply from template %s", .digest_heading = "Drafts written",
		.billing_category = "drafts", .cost = CONF_COST_DRAFT,
	},
	[ACTION_SEND] = {
		.kind = ACTION_SEND, .name = "send",
		.execution = ACTION_EXECUTION_OUTBOX, .undo = ACTION_UNDO_REFUSED,
		.undo_refusal = "a message that was sent cannot be called back",
		.summary = "sent the draft the executive approved (%s)",
		.digest_heading = "Sent on your approval",
		.billing_category = "drafts", .cost = CONF_COST_COUNT,
	},
	[ACTION_SCHEDULE] = {
		.kind = ACTION_SCHEDULE, .name = "schedule",
		.execution = ACTION_EXECUTION_NONE, .undo = ACTION_UNDO_REFUSED,
		.undo_refusal = "an answer to an invitation is changed with vea schedule",
		.summary = "answer to the invitation: %s", .digest_heading = "Invitations (answered or proposed)",
		.billing_category = "scheduling", .cost = CONF_COST_COUNT,
	},
	[ACTION_REMIND] = {
		.kind = ACTION_REMIND, .name = "remind",
		.execution = ACTION_EXECUTION_TIMER, .undo = ACTION_UNDO_REFUSED,
		.undo_refusal = "a reminder is cancelled with vea remind cancel",
		.summary = "reminder set for %s", .digest_heading = "Follow-ups set",
		.billing_category = "triage", .cost = CONF_COST_COUNT,
	},
	[ACTION_SNOOZE] = {
		.kind = ACTION_SNOOZE, .name = "snooze",
		.execution = ACTION_EXECUTION_TIMER, .undo = ACTION_UNDO_REFUSED,
		.undo_refusal = "snoozed mail is brought back with vea snooze wake",
		.summary = "snoozed (moved to %s)", .digest_heading = "Snoozed",
		.billing_category = "triage", .cost = CONF_COST_COUNT,
	},
	/* The firings: journalled, billed and notified in the transaction
	 * that marks the timer fired (agent/timers.c). */
	[ACTION_REMINDED] = {
		.kind = ACTION_REMINDED, .name = "reminded",
		.execution = ACTION_EXECUTION_NONE, .undo = ACTION_UNDO_REFUSED,
		.undo_refusal = "a reminder that fell due cannot be called back",
		.summary = "reminder due: %s", .digest_heading = "Follow-ups due",
		.billing_category = "triage", .cost = CONF_COST_REMIND,
	},
	[ACTION_WOKEN] = {
		.kind = ACTION_WOKEN, .name = "woken",
		.execution = ACTION_EXECUTION_NONE, .undo = ACTION_UNDO_REFUSED,
		.undo_refusal = "snooze the message again instead",
		.summary = "back from snooze in %s", .digest_heading = "Back from snooze",
		.billing_category = "triage", .cost = CONF_COST_SNOOZE,
	},
	[ACTION_KEEP] = {
		.kind = ACTION_KEEP, .name = "keep",
		.execution = ACTION_EXECUTION_NONE, .undo = ACTION_UNDO_NOTHING,
		.summary = "kept in %s", .digest_heading = "Left in place",
		.billing_category = "triage", .cost = CONF_COST_KEEP,
	},
	[ACTION_BILL] = {
		.kind = ACTION_BILL, .name = "bill",
		.execution = ACTION_EXECUTION_NONE, .undo = ACTION_UNDO_REFUSED,
		.undo_refusal = "a bill is not undone on the server: correct it with vea bill adjust",
		.summary = "billed %s", .digest_heading = NULL,
		.billing_category = NULL, .cost = CONF_COST_COUNT,
	},
	[ACTION_UNDO] = {
		.kind = ACTION_UNDO, .name = "undo",
		.execution = ACTION_EXECUTION_NONE, .undo = ACTION_UNDO_REFUSED,
		.undo_refusal = "an undo cannot be undone; run the rules again instead",
		.summary = "undid %s", .digest_heading = NULL,
		.billing_category = NULL, .cost = CONF_COST_COUNT,
	},
	[ACTION_KIND_UNKNOWN] = {
		.kind = ACTION_KIND_UNKNOWN, .name = "unknown",
		.execution = ACTION_EXECUTION_NONE, .undo = ACTION_UNDO_REFUSED,
		.undo_refusal = "this action was recorded by a newer vea",
		.summary = "%s", .digest_heading = NULL,
		.billing_category = NULL, .cost = CONF_COST_COUNT,
	},
};

const action_kind_info *action_kind_get(action_kind kind)
{
	if ((int)kind < 0 || kind > ACTION_KIND_UNKNOWN)
		kind = ACTION_KIND_UNKNOWN;
	return &kinds[kind];
}

action_kind action_kind_from_name(const char *name)
{
	for (int k = 0; k < ACTION_KIND_COUNT && name != NULL; k++) {
		if (strcmp(kinds[k].name, name) == 0)
			return (action_kind)k;
	}
	return ACTION_KIND_UNKNOWN;
}

const char *action_kind_name(action_kind kind)
{
	return action_kind_get(kind)->name;
}

char *action_kind_summary(action_kind kind, const char *argument)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	return g_strdup_printf(action_kind_get(kind)->summary, argument != NULL ? argument : "");
#pragma GCC diagnostic pop
}
