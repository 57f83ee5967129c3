#ifndef VEA_AGENT_TIMERS_H
#define VEA_AGENT_TIMERS_H

/* Reminders and snoozed mail, carried out (issue 15; SCHEDULING.md
 * section 5). A remind or snooze in the rules is journalled with a timer
 * row in the same transaction (agent/sync.c), so a crash never loses or
 * doubles one. When it falls due, a firer (the timer thread of `vea
 * run`, or the end of `vea run --once`) claims it with a lease, acts on
 * the server, and records what it did in one transaction: the journal
 * row ("reminded", "woken"), its ledger entry, the notification queued
 * in the outbox, and the timer marked fired. What it does on the server
 * is idempotent (flags; a move of a message found by its Message-ID), so
 * a firer killed before that transaction is simply redone once the lease
 * runs out: each timer fires exactly once, late rather than never.
 *
 * A reminder :ifunanswered is answered, and never fires, when a reply is
 * seen: on every new message synced (its In-Reply-To/References naming
 * the tracked Message-ID, from someone other than its sender, not an
 * automatic reply: RFC 3834), and again at the due time by a server-side
 * search of INBOX and the Sent mailbox (a reply read first on a phone
 * still counts), or the original's \Answered flag. A snooze
 * :wakeonreply is made due when a reply in its thread arrives. */

#include <glib.h>
#include "conf/conf.h"
#include "store/store.h"
#include "timer/when.h"

/* How long a claimed timer is the firer's; after that another firer (or
 * the next run) takes it: the first died. */
#define AGENT_TIMER_LEASE 120
/* A timer fired this long after its due time is logged as late. */
#define AGENT_TIMER_LATE 120
/* Timers claimed at a time. */
#define AGENT_TIMER_BATCH 50

typedef struct agent_timer_round {
	guint fired;     /* reminders that fell due, snoozes woken */
	guint late;      /* of which late */
	guint answered;  /* reminders not needed: the thread was answered */
	guint cancelled; /* the message was gone (the user moved it) */
	guint waiting;   /* left for later (a server that could not be reached) */
} agent_timer_round;

/* Fire the timers due at now, of the accounts in only (NULL: all; the
 * due timers of other accounts claimed on the way wait for their lease to
 * run out). A timer that cannot be done now (the server is down, a
 * snooze's move not yet carried out) keeps its lease and is tried again
 * when the lease runs out. Returns 0, or -1 with *error_r on a database
 * error. */
int agent_timers_fire_due(const conf *config, store *st, const char *const *only, int64_t now,
			  GHashTable *sessions, agent_timer_round *round_r, char **error_r);
/* Where a firer that fires often (the timer thread) keeps the accounts'
 * IMAP sessions between rounds (NULL to agent_timers_fire_due: connect
 * for each round): account id -> session; g_hash_table_remove_all closes
 * them. */
GHashTable *agent_timer_sessions_new(void);

/* When when is due for a message of client that arrived at base, in
 * tzid (NULL: the client's zone), with the client's holidays: *due_r
 * (Unix seconds) and *local_r ("2026-12-07 09:00 CET Europe/Rome", new). */
int agent_timer_resolve(const conf_client *client, const char *tzid, const timer_when *when,
			int64_t base, int64_t *due_r, char **local_r, char **error_r);

/* Resolve every pending timer's WHEN again, against the same base, with
 * the configuration as it is now (the client's zone, holidays, the time
 * zone data): SCHEDULING.md 5.4. A timer made due by hand or by a reply
 * stays as it is. Those moved are logged and counted in *moved_r. Called
 * when the timers start (the timer thread, vea run --once). */
int agent_timers_reschedule(const conf *config, store *st, guint *moved_r, char **error_r);

/* vea remind add: a reminder (:always, for the assistant) about the
 * message of journal row action_id, due at when_text ("2d", "+2bd",
 * "monday 09:00") counted from now. The new timer in *timer_r. */
int agent_timer_add(const conf *config, store *st, int64_t action_id, const char *when_text,
		    int64_t now, store_timer **timer_r, char **error_r);

/* The value of key in a timer's options ("to", "note", "wake_mailbox",
 * ...), or NULL; a new string. */
char *agent_timer_option(const store_timer *timer, const char *key);

/* The timer thread of `vea run` (watching): fires what is due, then
 * sleeps until the next timer is due (at most AGENT_TIMER_TICK seconds)
 * or until woken (a snooze woken early, vea snooze wake from another
 * process is seen at the next tick). */
#define AGENT_TIMER_TICK 30
/* The thread keeps its IMAP sessions while the next timer is due within
 * this many seconds. */
#define AGENT_TIMER_KEEP_SESSIONS 60
void agent_timers_thread_start(const conf *config);
void agent_timers_thread_wake(void);
void agent_timers_thread_stop(void);

#endif
