#ifndef VEA_AGENT_PRIVATE_H
#define VEA_AGENT_PRIVATE_H

/* What the agent's files share: the state of one account's run and the
 * helpers each file uses from the others. Each file answers one question:
 *   agent.c    running one account (connect, sync every mailbox, report)
 *   sync.c     how a mailbox is synced (fetch, evaluate, plan, journal)
 *   execute.c  how planned actions are carried out (batched per mailbox)
 *   recover.c  how what an earlier run left planned is finished
 *   watch.c    how an account is watched (IDLE on each mailbox)
 *   drafts.c   how drafts reach Drafts and sent mail's copies reach Sent
 *   schedule.c how invitations are read, decided and answered
 *   plan.c     what the rules' actions mean on the server (plan.h)
 *   undo.c     vea undo (undo.h) */

#include "agent/agent.h"
#include "agent/plan.h"
#include "imap/imap.h"
#include "mime/message.h"
#include "store/store.h"

/* Messages are journalled and carried out in chunks: one transaction and
 * one UID MOVE per destination for each chunk, so a crash redoes at most
 * one chunk and a large mailbox does not hold one long transaction. */
#define AGENT_CHUNK_MESSAGES 500
#define AGENT_IDLE_SECONDS 60
/* Connections of one account in IDLE beyond its own: servers cap the
 * connections per user (Dovecot: 10 per user and address by default), and
 * the executive's own clients need some. Watched mailboxes past these are
 * synced each time the account's IDLE is re-issued (AGENT_IDLE_SECONDS). */
#define AGENT_MAX_IDLERS 4
#define AGENT_EXECUTE_MESSAGES 5000

typedef struct agent_message {
	uint32_t uid;
	char *message_id;
	char *from;
	char *subject;
	GPtrArray *steps; /* plan_step * */
	GPtrArray *duplicate_marks; /* agent_duplicate_mark *: written with the journal */
	/* For reminders and snooze (timers.c): the Message-IDs its
	 * In-Reply-To and References name (NULL: none, or an automatic
	 * reply), and its sender's address. */
	char **reply_ids;
	char *from_address;
} agent_message;

/* A Sieve duplicate id to remember (RFC 7352), recorded in the same
 * transaction as the message's actions: a message evaluated again after
 * a crash must not find its own mark. */
typedef struct agent_duplicate_mark {
	char *id;
	int64_t seconds;
	gboolean refresh;
} agent_duplicate_mark;


typedef struct agent_run {
	const conf *conf;
	const conf_account *account;
	const rules_set *rules;
	const agent_options *options;
	agent_report *report;
	imap_session *imap;
	store *store;
	char delimiter;
	const char *prefix;
	plan_names names; /* how names from the rules are made fit for this server */
	GHashTable *known_mailboxes; /* server names known to exist */
	/* the mailbox being worked on */
	const char *mailbox;
	char *mailbox_server;
	uint32_t uidvalidity;
	gboolean read_only; /* the server opened it read-only */
	gboolean dedupe_by_message_id; /* after a UIDVALIDITY change */
	gboolean recovering; /* carrying out what an earlier run left planned */
	/* The server said "not now" (IMAP_ERROR_TEMPORARY) to something this
	 * run left planned: the next sync recovers it (agent_recover). */
	gboolean retry_planned;
	/* agent_fail calls since agent_sync_all began, and how many of them
	 * came after a temporary refusal: all of them, and the daemon stays
	 * connected (watch.c). */
	guint sync_failures;
	guint sync_failures_temporary;
	/* vea itself refused the step under way, before any command was
	 * sent (a name no server can have, a read-only mailbox): the IMAP
	 * error kind is then an earlier command's. Cleared per step. */
	gboolean refused_here;
	gboolean unreachable; /* the last connect failed before any login */
	GHashTable *returned; /* Message-IDs put back here by vea undo */
	/* Rule evaluation: callbacks for mailboxexists and duplicate. */
	sieve_execute_options sieve_options;
	agent_message *evaluating;   /* the message whose rules run now */
	GHashTable *pending_duplicates; /* ids marked by messages not yet journalled */
	/* Outgoing mail decided in this sync, not yet journalled (the store
	 * cannot see it): vacation sender+handle and redirect keys, and how
	 * many of each kind, for the rate limit. Emptied when a sync starts. */
	GHashTable *pending_keys;     /* strings */
	GHashTable *pending_outgoing; /* action_kind -> count */
	GPtrArray *messages; /* agent_message * */
	/* Invitations (schedule.c): the message being evaluated, its
	 * invitation once read, and the client's calendars as one index
	 * (read again after a few minutes; the errors of the last read). */
	mime_message *evaluating_mime;
	struct agent_invitation *invitation;
	gboolean invitation_read;
	struct calendar_index *calendar;
	int64_t calendar_at;
	GPtrArray *calendar_errors;
	/* Does the primary calendar's server send the executive's answers
	 * itself (RFC 6638 implicit scheduling)? -1: not asked in this sync
	 * yet (or no answer), 0, 1; asked once per sync (caldav_probe). */
	int primary_server_replies;
	/* Server names of the Drafts and Sent mailboxes, once looked up. */
	char *drafts_mailbox;
	char *sent_mailbox;
	int64_t ai_failed_at; /* when the [ai] endpoint last failed; 0: it did not */
	uint32_t fetched_uid; /* the highest UID this sync fetched, skipped or not */
} agent_run;


/* One server operation for a set of journal rows that share it. */
typedef struct agent_batch {
	store_operation operation;
	char *argument;
	gboolean create;
	GArray *uids;
	GArray *action_ids; /* int64_t */
} agent_batch;

/* agent.c */
void agent_duplicate_mark_free(gpointer data);
void agent_message_free(agent_message *msg);
void agent_report_count(agent_report *report, const char *key);
void agent_report_bill(agent_report *report, const char *billing_account, int64_t seconds);
char *agent_step_summary(const store_action *row);
int agent_fail(agent_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *agent_server_name(agent_run *run, const char *name, char **error_r);
/* The executive's addresses: the client's email and aliases, borrowed,
 * NULL-terminated (a new array; unref it). */
GPtrArray *agent_client_addresses(const agent_run *run);
/* When the message arrived: the newest Received field's date (the last
 * hop, RFC 5321 4.4), else its Date; 0 when neither can be read. */
int64_t agent_message_arrival(mime_message *mime);
char *agent_prepare_destination(agent_run *run, const char *name,
				       gboolean create, char **error_r);
void agent_report_recovery_failure(agent_run *run, const char *result);
gboolean agent_stopping(agent_run *run);
void agent_status(agent_run *run, const char *state, const char *error, gboolean synced);
void agent_run_init(agent_run *run, const conf *config, const conf_account *account,
			   const rules_set *rules, const agent_options *options,
			   agent_report *report);
void agent_run_deinit(agent_run *run);
int agent_open(agent_run *run);
int agent_sync_all(agent_run *run);

/* execute.c */
void agent_batch_free(agent_batch *batch);
void agent_batches_add(GPtrArray *batches, const store_action *row, uint32_t uid);
int agent_execute_batches(agent_run *run, GPtrArray *batches);

/* recover.c */
int agent_recover(agent_run *run);

/* outgoing.c: decide and compose what a vacation, redirect or notify step
 * sends (step->outgoing), or skip it with the reason. */
void agent_outgoing_prepare(agent_run *run, plan_step *step, mime_message *mime, const char *raw,
			    size_t len);

/* timers.c: the timer row of a remind or snooze step (step->timer), and
 * the timers a new message answers or wakes (in the journal's
 * transaction; *woken_r TRUE when a snooze was made due now). */
void agent_timer_prepare(agent_run *run, plan_step *step, mime_message *mime,
			 const agent_message *msg);
char **agent_timer_reply_ids(mime_message *mime);
int agent_timers_message_seen(agent_run *run, const agent_message *msg, int64_t now,
			      gboolean *woken_r, char **error_r);
/* drafts.c: compose a draft step's message (step->draft), or fail it
 * with the reason; after a sync, write the drafts recorded, file the Sent
 * copies of what the outbox sent, and look at what became of drafts. */
void agent_draft_prepare(agent_run *run, plan_step *step, mime_message *mime);
int agent_drafts_write(agent_run *run);
int agent_sent_copies_file(agent_run *run);
int agent_drafts_check(agent_run *run);

/* schedule.c: the Sieve invite test's answer (sieve_execute_options
 * .invitation), a schedule step's decision and REPLY (step->schedule,
 * step->outgoing or step->draft), the message's invitation forgotten
 * after it is planned, and accepted events written to the primary
 * calendar after a sync. */
typedef struct agent_invitation agent_invitation;
void agent_invitation_free(agent_invitation *inv);
void agent_invitation_reset(agent_run *run);
const sieve_invitation *agent_rules_invitation(void *context);
void agent_schedule_prepare(agent_run *run, plan_step *step, mime_message *mime);
int agent_schedule_store_events(agent_run *run);

/* sync.c */
gboolean agent_rules_mailbox_exists(const char *name, void *context);
gboolean agent_rules_duplicate_check(const char *id, void *context);
void agent_rules_duplicate_mark(const char *id, guint64 seconds, gboolean last,
				       void *context);
int agent_sync_mailbox(agent_run *run, const char *mailbox);

#endif
