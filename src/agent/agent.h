#ifndef VEA_AGENT_H
#define VEA_AGENT_H

/* The agent's work for one account: connect, finish what a previous run
 * left half done, fetch what is new in each watched mailbox, run the
 * client's rules, journal the plan, carry it out on the server, confirm.
 *
 * Each account runs in its own thread with its own IMAP session and
 * database connection; the config and the compiled rules are shared
 * read-only. */

#include <glib.h>
#include "conf/conf.h"
#include "agent/rules.h"

typedef struct agent_watch agent_watch;

typedef struct agent_options {
	gboolean dry_run; /* plan and show, change nothing anywhere */
	/* Progress lines on stderr, one per batch (for a terminal). */
	gboolean progress;
	/* Set by agent_watch_account: stop between chunks when asked. */
	agent_watch *stop;
} agent_options;

/* Why an account failed, for the exit status of vea run --once. */
typedef enum {
	AGENT_FAILURE_NONE,
	AGENT_FAILURE_UNREACHABLE, /* the server could not be reached, or its TLS not verified */
	AGENT_FAILURE_LOST,        /* the connection was lost midway: try again */
	AGENT_FAILURE_OTHER,       /* a login refused, a database error, ... */
} agent_failure;

typedef struct agent_report {
	const conf_account *account;
	gboolean failed;
	agent_failure failure; /* of the first failure */
	char *error;          /* why the account failed, or NULL */
	guint messages;       /* new messages handled */
	guint recovered;      /* actions from an earlier run completed */
	guint failed_actions; /* actions that could not be carried out */
	guint queued_messages; /* vacation replies, redirects, notifications queued */
	/* Of the actions an earlier run left planned, those that failed now,
	 * and the reason of the last (for vea status). */
	guint recovery_failed;
	char *recovery_error;
	/* "filed into Newsletters" -> count, in first-seen order */
	GPtrArray *summary_keys;
	GHashTable *summary_counts;
	/* billing account id -> seconds billed in this run */
	GHashTable *billed;
	/* dry run: one line per planned action */
	GPtrArray *dry_run_lines;
} agent_report;

agent_report *agent_report_new(const conf_account *account);
void agent_report_free(agent_report *report);

/* Process account once. rules may be NULL (the client has no rule files:
 * everything is kept). Returns 0, or -1 when the account could not be
 * processed (report->error says why; the caller goes on with the others). */
int agent_run_account(const conf *config, const conf_account *account,
		      const rules_set *rules, const agent_options *options,
		      agent_report *report);

/* Watching: one account for as long as it takes, in the calling thread.
 * Connects, syncs, then waits for new mail with IDLE (re-issued every 25
 * minutes, RFC 2177) or by polling every poll_interval where the server
 * has no IDLE or several mailboxes are watched; syncs again; on any fault
 * reconnects with exponential backoff (1 s doubling to 5 min, with
 * jitter). Returns when agent_watch_stop() is called, after the chunk in
 * hand is journalled and carried out. */
agent_watch *agent_watch_new(void);
void agent_watch_free(agent_watch *watch);
/* From any thread: ask the watcher to stop, interrupting IDLE or sleep. */
void agent_watch_stop(agent_watch *watch);
gboolean agent_watch_stopping(agent_watch *watch);
int agent_watch_account(const conf *config, const conf_account *account,
			const rules_set *rules, const agent_options *options,
			agent_watch *watch);

#endif
