#ifndef VEA_ACTION_KIND_H
#define VEA_ACTION_KIND_H

/* What vea can do about a message, as one enum and one table.
 *
 * Every journal row is one action of one kind. The table in kind.c says,
 * for each kind, everything the rest of vea needs to know about it: the
 * name it has in the journal, `vea log` and JSON (stable: old databases
 * hold it); how it is carried out (nothing left to do once journalled, one
 * IMAP operation batched with others, or a message the outbox sends); how
 * it is recovered after a crash; whether and how `vea undo` reverses it;
 * how the run summary, `vea log` and the digest describe it; and what it
 * costs (its billing category, and the configured time-cost, if any).
 *
 * Adding a kind (vacation, redirect, notify, draft, schedule, remind,
 * snooze) is one entry here and one file that carries it out; no switch
 * elsewhere names kinds one by one. */

#include <glib.h>
#include "conf/conf.h"

/* In the order of the digest's "What vea did". */
typedef enum action_kind {
	ACTION_FILEINTO,
	ACTION_ADDFLAG,
	ACTION_DISCARD,
	ACTION_REDIRECT,
	ACTION_VACATION,
	ACTION_NOTIFY,
	ACTION_DRAFT,
	ACTION_SEND, /* a draft the executive approved, sent (agent/drafts.c) */
	ACTION_SCHEDULE, /* an invitation answered (vnd.vea schedule) */
	ACTION_REMIND,
	ACTION_SNOOZE,
	ACTION_REMINDED, /* a reminder fell due (the timer thread) */
	ACTION_WOKEN,    /* a snoozed message came back */
	ACTION_KEEP,
	ACTION_BILL,
	ACTION_UNDO,
	ACTION_KIND_COUNT,
	/* A name this build does not know (a newer vea wrote the row). */
	ACTION_KIND_UNKNOWN = ACTION_KIND_COUNT,
} action_kind;

/* How an action is carried out once it is journalled. */
typedef enum action_execution {
	/* Nothing left to do: done when journalled (keep, bill, undo). */
	ACTION_EXECUTION_NONE,
	/* One IMAP operation (store_operation), batched per mailbox with the
	 * same operations of other messages; recovered by looking on the
	 * server (agent/recover.c). */
	ACTION_EXECUTION_IMAP,
	/* A message composed when planned and handed to the outbox in the
	 * same transaction; the sender delivers it (at least once). */
	ACTION_EXECUTION_OUTBOX,
	/* A message APPENDed to the executive's Drafts, recovered by
	 * looking for its Message-ID there before appending again. */
	ACTION_EXECUTION_APPEND,
	/* A timer row written in the same transaction; fired once, when
	 * due, by the timer thread. */
	ACTION_EXECUTION_TIMER,
} action_execution;

/* What `vea undo` does with an action of this kind. */
typedef enum action_undo {
	ACTION_UNDO_REVERSE,   /* put the message back where it was */
	ACTION_UNDO_NOTHING,   /* nothing was changed on the server */
	ACTION_UNDO_REFUSED,   /* cannot be undone; undo_refusal says why */
} action_undo;

typedef struct action_kind_info {
	action_kind kind;
	const char *name;          /* journal, vea log, JSON, rules test */
	action_execution execution;
	action_undo undo;
	const char *undo_refusal;  /* ACTION_UNDO_REFUSED: the reason shown */
	/* Run summary and vea log: printf format taking the argument
	 * (a mailbox, flags, an address). */
	const char *summary;
	/* The digest's "What vea did" heading; NULL: not listed there. */
	const char *digest_heading;
	/* Ledger category of the time it costs; NULL: none. */
	const char *billing_category;
	/* The configured time-cost (vea.conf cost_*) charged when the rules
	 * bill nothing; CONF_COST_COUNT: none. */
	conf_cost_kind cost;
} action_kind_info;

/* The entry for kind; ACTION_KIND_UNKNOWN has one too (name "unknown"). */
const action_kind_info *action_kind_get(action_kind kind);
/* The kind named name; ACTION_KIND_UNKNOWN when none is. */
action_kind action_kind_from_name(const char *name);
const char *action_kind_name(action_kind kind);
/* "filed into Receipts" (newly allocated). */
char *action_kind_summary(action_kind kind, const char *argument);

#endif
