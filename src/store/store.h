#ifndef VEA_STORE_H
#define VEA_STORE_H

/* vea's state: where each mailbox was synced to, the journal of actions,
 * the ledger, the digests, Sieve's duplicate list and the accounts'
 * status. This header is the whole interface and names no database: the
 * backend today is one SQLite file in WAL mode (store.c and the concern
 * files beside it, sharing store-private.h); a second backend implements
 * these same functions. One store per thread; writers wait for each other.
 *
 * Each concern is a section below and a file of its own in src/store/:
 *   journal.c     the actions (planned, done, failed), for recovery and undo
 *   sync-state.c  where each mailbox was synced to
 *   ledger.c      ledger entries and closed (frozen) periods
 *   digest.c      the digest's grouped counts and its rows with a lease
 *   duplicates.c  Sieve duplicate tracking (RFC 7352)
 *   status.c      what the agent says about each account
 *   outbox.c      messages to send, claimed with a lease; vacation tracking
 *   timers.c      reminders and snoozed mail, due at a time, fired once
 *   drafts.c      reply drafts written to Drafts once; Sent copies
 *   schedule.c    answers to invitations, waiting for approval or sent
 *   calendars.c   copies of the calendars, for incremental CalDAV sync
 *
 * Record types are plain structs. Strings are borrowed when a record is
 * written, and belong to the record when it is read (each says how it is
 * freed); records handed to a callback are borrowed for the call only.
 *
 * Functions return 0 on success, -1 with *error_r (newly allocated); those
 * that look one row up return 1 found, 0 none, -1. */

#include <glib.h>
#include <stdint.h>
#include "action/kind.h"

typedef struct store store;

/* Open (creating the file and its folder if needed) and migrate. */
int store_open(const char *path, store **store_r, char **error_r);
void store_close(store **storep);

/* The one transaction idiom. store_transaction_begin opens a write
 * transaction around every change that must be atomic; the write lock is
 * taken at once (SQLite: BEGIN IMMEDIATE), so a reader elsewhere always
 * sees all of a batch or none of it, and a check followed by a write in it
 * (a digest's claim, a period's close) cannot be raced. store_read_begin
 * opens a read transaction for a consistent picture: every read in it
 * sees the same snapshot, whatever is committed meanwhile, and it holds
 * no writer up. Either ends with store_transaction_commit, whose result
 * must be checked, or store_transaction_rollback (a no-op when no
 * transaction is open, so it is safe on every error path). */
int store_transaction_begin(store *st, char **error_r);
int store_read_begin(store *st, char **error_r);
int store_transaction_commit(store *st, char **error_r);
void store_transaction_rollback(store *st);

/* After a bulk load: checkpoint and refresh the planner's statistics. */
int store_maintain(store *st, char **error_r);
/* "SQLite 3.40.1": the backend's library as it runs (for vea --version). */
const char *store_backend_version(void);

/* ---- sync state (sync-state.c) ---- */

/* Returns 1 and the state, 0 when the mailbox was never synced, -1 error. */
int store_mailbox_get(store *st, const char *account, const char *mailbox,
		      uint32_t *uidvalidity_r, uint32_t *last_uid_r,
		      char **error_r);
int store_mailbox_set(store *st, const char *account, const char *mailbox,
		      uint32_t uidvalidity, uint32_t last_uid, char **error_r);

/* ---- the journal (journal.c) ---- */

typedef enum {
	STORE_ACTION_PLANNED,
	STORE_ACTION_DONE,
	STORE_ACTION_FAILED,
	/* Declined by vea's policy, not by a server (a vacation reply to a
	 * mailing list): reason says which rule; not counted as failed. */
	STORE_ACTION_SKIPPED,
} store_action_state;

/* What a journalled action does on the server (see schema.c). */
typedef enum {
	STORE_OPERATION_NONE,
	STORE_OPERATION_FLAGS,
	STORE_OPERATION_COPY,
	STORE_OPERATION_MOVE,
} store_operation;

/* A journal row. Strings are borrowed on insert; on read they belong to
 * the row (free with store_action_free). */
typedef struct store_action {
	int64_t id;
	char *client;
	char *account;
	char *mailbox;
	uint32_t uidvalidity;
	uint32_t uid;
	char *message_id; /* may be NULL */
	char *from;
	char *subject;
	char *rule_file;  /* may be NULL (implicit keep of an empty rule set) */
	int rule_line;
	action_kind kind; /* stored by its name (action/kind.h) */
	char *argument;   /* mailbox, flags, or minutes */
	store_operation operation;
	gboolean create_mailbox; /* :create: make the mailbox if missing */
	store_action_state state;
	char *result;     /* what was done, for people ("done", "undone by #7") */
	char *reason;     /* FAILED, SKIPPED: why, in the server's or vea's words */
	int64_t created_at; /* Unix seconds */
	int64_t undone_by;  /* the id of the undo that reversed it; 0: none */
} store_action;

void store_action_free(store_action *action);
const char *store_action_state_name(store_action_state state);

int store_action_insert(store *st, const store_action *action,
			int64_t *id_r, char **error_r);
/* The end of a planned action: done (result may be NULL: "done"), or
 * failed for good with the reason. */
int store_action_set_done(store *st, int64_t id, const char *result, char **error_r);
int store_action_set_failed(store *st, int64_t id, const char *reason, char **error_r);
/* Record that undo_id reversed action id (its result says so too). */
int store_action_set_undone(store *st, int64_t id, int64_t undo_id, char **error_r);
/* One journal row by id: 1 and *action_r, 0 when there is none, -1. */
int store_action_get(store *store, int64_t id, store_action **action_r, char **error_r);
/* Message-IDs returned to mailbox by `vea undo`: the agent leaves those
 * messages alone. A new hash set of strings in *ids_r. */
int store_undone_message_ids(store *store, const char *account, const char *mailbox,
			     GHashTable **ids_r, char **error_r);
/* Done move/copy rows of the same message (for finding it again). */
int store_message_actions(store *store, const char *account, const char *message_id,
			  GPtrArray **actions_r, char **error_r);

/* Every journal row of row's message, oldest first: by Message-ID within
 * its account, or, when it has none, by its mailbox, UIDVALIDITY and UID
 * (a GPtrArray of store_action *). */
int store_message_history(store *store, const store_action *row,
			  GPtrArray **actions_r, char **error_r);
/* Where row's message is now, as far as the journal knows: the
 * destination of the last done move in history (store_message_history)
 * that was not undone, else the mailbox of row. The mailbox as rules name
 * it; borrowed from history or row. */
const char *store_message_current_mailbox(const GPtrArray *history,
					  const store_action *row);

/* Planned actions of account, oldest first (GPtrArray of store_action *). */
int store_actions_pending(store *st, const char *account,
			  GPtrArray **actions_r, char **error_r);
/* Has a message with this Message-ID in this mailbox already been handled
 * (any journal row)? 1 yes, 0 no, -1 error. Used after a UIDVALIDITY
 * change, when UIDs no longer identify messages. */
int store_message_was_handled(store *st, const char *account,
			      const char *mailbox, const char *message_id,
			      char **error_r);

typedef struct store_action_filter {
	const char *client;  /* NULL: all */
	const char *account; /* NULL: all */
	int limit;           /* 0: no limit; the newest N, shown oldest first */
} store_action_filter;

typedef int store_action_callback(const store_action *action, void *context);
int store_actions_foreach(store *st, const store_action_filter *filter,
			  store_action_callback *callback, void *context,
			  char **error_r);

/* ---- the ledger (ledger.c) ----
 * The ledger's arithmetic, periods and rendering are src/ledger's; the
 * store keeps its rows. SQL triggers refuse any change to the entries of
 * a closed period and to the closed period itself. */

typedef struct store_ledger_entry {
	const char *client;
	const char *billing_account;
	int64_t seconds;
	const char *description;
	const char *category; /* "triage", "drafts", "scheduling", "manual" */
	const char *source;   /* "rule", "manual", "adjust" */
	int64_t action_id;    /* 0: none */
	const char *message_key;
	int64_t created_at;   /* Unix seconds; 0: now, by the database's clock */
} store_ledger_entry;

/* Insert a ledger entry (the statement is prepared once per store: the
 * agent writes many per transaction). An entry for an action that already
 * has one is not inserted again (*inserted_r FALSE): billing is exactly
 * once. An entry inside a closed period is refused. */
int store_ledger_insert(store *st, const store_ledger_entry *entry,
			gboolean *inserted_r, char **error_r);
/* The same, for an entry without an action (manual, adjust): *id_r (may
 * be NULL) is its id. */
int store_ledger_entry_add(store *st, const store_ledger_entry *entry, int64_t *id_r,
			   char **error_r);

/* The entries of account in [start, end): the sum of their seconds, and
 * the sum of each rounded to a multiple of increment (up, or nearest with
 * half up; the magnitude rounded, the sign kept: ledger_round()'s rule).
 * Computed where the rows are, over an index: a retainer's rollover reads
 * a year of history. */
int store_ledger_sums(store *st, const char *account, int64_t start, int64_t end,
		      int64_t increment, gboolean nearest, int64_t *seconds_r,
		      int64_t *rounded_r, char **error_r);
/* When account's first entry was made: 1 and *at_r, 0 when it has none. */
int store_ledger_first_entry_at(store *st, const char *account, int64_t *at_r,
				char **error_r);

/* A ledger entry as read (borrowed for the callback only). */
typedef struct store_ledger_row {
	int64_t id;
	int64_t created_at;
	int64_t seconds;
	const char *source;
	const char *category;
	const char *description; /* "" when none */
	int64_t action_id;       /* 0: none */
	const char *message_key; /* may be NULL */
} store_ledger_row;

typedef void store_ledger_row_callback(const store_ledger_row *row, void *context);
/* The entries of account in [start, end), by time then id. */
int store_ledger_entries_foreach(store *st, const char *account, int64_t start, int64_t end,
				 store_ledger_row_callback *callback, void *context,
				 char **error_r);

/* A closed period, frozen: its bounds, invoice, terms (by name, as
 * ledger-db.c spells them: "hourly"/"retainer", "up"/"nearest",
 * "entry"/"period", "none"/"capped") and the rollover it carried. On read
 * the strings belong to the struct (store_ledger_period_clear) and the
 * invoice documents are NULL (store_ledger_invoice_get). */
typedef struct store_ledger_period {
	const char *billing_account;
	const char *client;
	const char *period;          /* "2026-11" */
	int64_t start_at, end_at;    /* [start_at, end_at), Unix seconds */
	const char *invoice_number;
	int invoice_year, invoice_seq;
	const char *issued_on;       /* "2026-12-01" */
	const char *due_on;
	const char *mode;
	int64_t rate;
	const char *currency;
	int64_t increment;
	const char *rounding;
	const char *round_per;
	int64_t retainer_seconds;
	int64_t overage_rate;
	const char *rollover;
	int64_t rollover_cap_seconds;
	int period_start_day;
	int payment_terms_days;
	int64_t carried_in, carried_out;
	int64_t billed_seconds;
	int64_t amount;
	const char *invoice_text, *invoice_html;
	int64_t closed_at;
} store_ledger_period;

void store_ledger_period_clear(store_ledger_period *period);
/* The closed period named period ("2026-11") of account. */
int store_ledger_period_get(store *st, const char *account, const char *period,
			    store_ledger_period *period_r, char **error_r);
/* The closed period of account holding the instant at. */
int store_ledger_period_at(store *st, const char *account, int64_t at,
			   store_ledger_period *period_r, char **error_r);
/* The last closed period of account starting before start_at. */
int store_ledger_period_before(store *st, const char *account, int64_t start_at,
			       store_ledger_period *period_r, char **error_r);
typedef void store_ledger_period_callback(const store_ledger_period *period, void *context);
/* The closed periods of account, oldest first. */
int store_ledger_periods_foreach(store *st, const char *account,
				 store_ledger_period_callback *callback, void *context,
				 char **error_r);
/* The next invoice number of year (1, 2, ...): call it in the write
 * transaction that inserts the period. */
int store_ledger_invoice_seq_next(store *st, int year, int *seq_r, char **error_r);
/* Close (freeze) a period: from now on its entries cannot change. */
int store_ledger_period_insert(store *st, const store_ledger_period *period, char **error_r);
/* The stored invoice of a closed period: 1 and *document_r (newly
 * allocated), 0 when the period is not closed. */
int store_ledger_invoice_get(store *st, const char *account, const char *period, gboolean html,
			     char **document_r, char **error_r);

/* ---- the digest (digest.c) ---- */

/* The part of a client's journal a digest covers: ids in (after_id,
 * last_id], leaving out vea's own digests (which land in a watched
 * mailbox and are triaged like any message). Needs you looks back further:
 * messages flagged at or after flagged_since, up to last_id. */
typedef struct store_digest_range {
	const char *client;
	int64_t after_id;
	int64_t last_id;
	int64_t flagged_since; /* Unix seconds */
} store_digest_range;

/* The journal id the last digest sent to client covered (0: none). */
int store_digest_last_sent(store *st, const char *client, int64_t *id_r, char **error_r);
/* The last id of client's journal that a digest may cover: before its
 * oldest planned action (still in flight), else its newest row, else 0. */
int store_journal_cutoff(store *st, const char *client, int64_t *id_r, char **error_r);
/* Messages handled in range (distinct mailbox, UIDVALIDITY and UID). */
int store_digest_count_handled(store *st, const store_digest_range *range, guint *count_r,
			       char **error_r);
/* Actions that failed in range. */
int store_digest_count_failed(store *st, const store_digest_range *range, guint *count_r,
			      char **error_r);
/* Messages a rule flagged ("\Flagged" added, not undone), one per
 * message: how many per account into totals (a new string -> count, as
 * GUINT_TO_POINTER), and the ids of their newest addflag rows, newest
 * first, at most limit, appended to ids (GArray of int64_t). */
int store_digest_flagged_totals(store *st, const store_digest_range *range, GHashTable *totals,
				char **error_r);
int store_digest_flagged_ids(store *st, const store_digest_range *range, int limit, GArray *ids,
			     char **error_r);
typedef void store_digest_count_callback(const char *argument, guint count, void *context);
/* Done actions named action in range, counted per argument (the
 * destination, the flags), biggest first, then by argument. */
int store_digest_destinations_foreach(store *st, const store_digest_range *range,
				      action_kind action, store_digest_count_callback *callback,
				      void *context, char **error_r);
typedef void store_digest_example_callback(const char *from, const char *subject,
					   const char *argument, void *context);
/* The newest limit done actions named action in range. */
int store_digest_examples_foreach(store *st, const store_digest_range *range, action_kind action,
				  int limit, store_digest_example_callback *callback,
				  void *context, char **error_r);

/* A digest's row: one scheduled per client and local date (plus manual
 * extras), with states "pending", "sending" (claimed until lease_until),
 * "sent", "skipped", "failed". Claim it in a write transaction
 * (store_transaction_begin): the read and the claim are then one step
 * that no other process can split. On read the strings belong to the row
 * (store_digest_row_clear). */
typedef struct store_digest_row {
	int64_t id;
	char *state;
	char *message_id;
	int attempts;
	int64_t next_attempt_at;
	int64_t lease_until;
} store_digest_row;

typedef struct store_digest_new {
	const char *client;
	const char *local_date; /* "2026-11-03" */
	gboolean manual;
	const char *state;
	int64_t due_at;
	const char *message_id;
	int attempts;
	int64_t next_attempt_at;
	int64_t lease_until;
	const char *result;
	int64_t created_at;
} store_digest_new;

typedef struct store_digest_sent {
	int64_t sent_at;
	int64_t last_action_id; /* the journal id it covered up to */
	int64_t needs_you;
	int64_t handled;
	int64_t size;           /* bytes */
	const char *result;     /* the recipients */
} store_digest_sent;

void store_digest_row_clear(store_digest_row *row);
/* The scheduled (not manual) row of client for local_date. */
int store_digest_row_get(store *st, const char *client, const char *local_date,
			 store_digest_row *row_r, char **error_r);
int store_digest_row_insert(store *st, const store_digest_new *row, int64_t *id_r,
			    char **error_r);
/* 'sending', one more attempt, held until lease_until. */
int store_digest_row_claim(store *st, int64_t id, int64_t lease_until, char **error_r);
int store_digest_row_sent(store *st, int64_t id, const store_digest_sent *sent, char **error_r);
/* 'pending' again, to be tried at next_attempt_at. */
int store_digest_row_retry(store *st, int64_t id, int64_t next_attempt_at, const char *result,
			   char **error_r);
/* Done for good: state "skipped" or "failed", with why. */
int store_digest_row_finish(store *st, int64_t id, const char *state, const char *result,
			    char **error_r);

/* ---- Sieve duplicates (duplicates.c) ---- */

/* Sieve duplicate tracking (RFC 7352), per client: has id been seen and
 * not expired at now? 1 yes, 0 no, -1 error. */
int store_duplicate_check(store *store, const char *client, const char *id, int64_t now,
			  char **error_r);
/* Remember id until now + seconds; an id already there keeps its expiry
 * unless refresh (":last"). */
int store_duplicate_mark(store *store, const char *client, const char *id, int64_t now,
			 int64_t seconds, gboolean refresh, char **error_r);

/* ---- the outbox (outbox.c) ---- */

typedef enum {
	STORE_OUTBOX_QUEUED,    /* waiting for its next attempt */
	STORE_OUTBOX_SENDING,   /* claimed by a sender until lease_until */
	STORE_OUTBOX_SENT,      /* the server answered 250 to its data */
	STORE_OUTBOX_FAILED,    /* refused for good (5xx, expired) */
	STORE_OUTBOX_HELD,      /* not tried until released: configuration */
	STORE_OUTBOX_CANCELLED, /* by vea outbox cancel */
	STORE_OUTBOX_STATE_COUNT
} store_outbox_state;

const char *store_outbox_state_name(store_outbox_state state);

/* One message to send. Strings borrowed on insert; owned when read (free
 * with store_outbox_message_free). */
typedef struct store_outbox_message {
	int64_t id;
	char *client;
	char *account;      /* whose submission server; NULL: [smtp] */
	action_kind kind;
	int64_t action_id;  /* the journal row it carries out; 0: none */
	char *message_id;   /* without <>, also in data */
	char *mail_from;    /* "" is the null reverse-path <> */
	char **recipients;  /* addr-specs, NULL-terminated */
	char *data;         /* the complete message, CRLF */
	size_t size;
	store_outbox_state state;
	int attempts;
	int resends;        /* claimed again after a lease ran out mid-send */
	int64_t next_attempt_at;
	int64_t lease_until;
	int64_t expires_at; /* not tried after this: failed, expired */
	int last_reply;     /* the SMTP reply code of the last attempt; 0: none */
	char *result;       /* the server's words or vea's */
	int64_t created_at;
	int64_t sent_at;
	/* A copy goes to the account's Sent once sent ("wanted"; "" none;
	 * "filed", "found", "failed" after). Set on insert by the caller. */
	char *sent_copy;
} store_outbox_message;

void store_outbox_message_free(store_outbox_message *message);

/* Queue message (state QUEUED). Call it in the transaction that journals
 * its action: a replayed journal cannot queue it twice (one row per
 * action_id, one per Message-ID). */
int store_outbox_insert(store *st, const store_outbox_message *message, int64_t *id_r,
			char **error_r);
/* Claim up to limit messages due at now (queued and due, or sending with
 * its lease run out: the sender that held it died, and it is sent again,
 * the same bytes, counted in resends), each until lease_until; in a write
 * transaction of its own, so two senders never claim one row. Oldest
 * first; a GPtrArray of store_outbox_message * in *claimed_r. */
int store_outbox_claim(store *st, int64_t now, int64_t lease_until, guint limit,
		       GPtrArray **claimed_r, char **error_r);
/* A claimed message's lease runs to lease_until from now on (before each
 * attempt of a round, so that a slow server cannot let it run out). */
int store_outbox_renew(store *st, int64_t id, int64_t lease_until, char **error_r);
/* The ends of an attempt. sent: 250 (reply is the code, result the
 * server's words); vacation responses it carried count from now. retry:
 * back to QUEUED at next_attempt_at. finish: FAILED, HELD or CANCELLED. */
int store_outbox_sent(store *st, int64_t id, int64_t now, int reply, const char *result,
		      char **error_r);
int store_outbox_retry(store *st, int64_t id, int64_t next_attempt_at, int reply,
		       const char *result, char **error_r);
int store_outbox_finish(store *st, int64_t id, store_outbox_state state, int reply,
			const char *result, char **error_r);
/* vea outbox retry: a failed, held or queued message is tried at now.
 * 1 done, 0 not in such a state, -1. */
int store_outbox_release(store *st, int64_t id, int64_t now, char **error_r);
/* vea outbox cancel: a message not yet sent is never sent. 1 done, 0 it
 * was sent or is being sent (too late), -1. */
int store_outbox_cancel(store *st, int64_t id, char **error_r);
/* Is a message with this Message-ID (the outbox's key) queued or sent
 * already, in any state? 1 yes, 0 no, -1. */
int store_outbox_has_message_id(store *st, const char *message_id, char **error_r);
/* One message by id (1 found, 0 none, -1); with its bytes. */
int store_outbox_get(store *st, int64_t id, store_outbox_message **message_r,
		     char **error_r);
/* The messages of client (NULL: all), newest first, without their bytes
 * (data NULL, size set); at most limit (0: all). */
int store_outbox_list(store *st, const char *client, guint limit, GPtrArray **messages_r,
		      char **error_r);
/* How many messages of client are in each state (counts_r has
 * STORE_OUTBOX_STATE_COUNT entries). */
int store_outbox_counts(store *st, const char *client, guint *counts_r, char **error_r);
/* Messages of kind for client queued since since (a rate limit);
 * cancelled and failed ones count too: they were attempts. */
int store_outbox_count_since(store *st, const char *client, action_kind kind, int64_t since,
			     guint *count_r, char **error_r);
/* The earliest next attempt of a queued message, or of a lease running
 * out; 0 when nothing is waiting. */
int store_outbox_next_due(store *st, int64_t *due_r, char **error_r);

/* Vacation tracking (RFC 5230 4.2, 4.6). Has client answered sender under
 * handle: a reply sent and not yet expired at now, or one queued or being
 * sent? 1 yes, 0 no, -1. */
int store_vacation_answered(store *st, const char *client, const char *sender,
			    const char *handle, int64_t now, char **error_r);
/* Remember that outbox_id answers sender under handle for period seconds
 * (counted from its 250, store_outbox_sent). */
int store_vacation_track(store *st, const char *client, const char *sender,
			 const char *handle, int64_t outbox_id, int64_t period,
			 char **error_r);

/* ---- reply drafts and Sent copies (drafts.c) ---- */

typedef enum {
	STORE_DRAFT_PENDING, /* journalled, not yet APPENDed */
	STORE_DRAFT_WRITTEN, /* in the Drafts mailbox at (mailbox, uidvalidity, uid) */
	STORE_DRAFT_FAILED,  /* the server refused it for good */
} store_draft_state;

/* What became of a written draft, as vea last saw it. */
typedef enum {
	STORE_DRAFT_WAITING,   /* in Drafts as vea wrote it */
	STORE_DRAFT_EDITED,    /* in Drafts, changed by the executive (a new UID) */
	STORE_DRAFT_SENT,      /* a message with its Message-ID, or answering the
				* same message, is in Sent */
	STORE_DRAFT_DISCARDED, /* gone from Drafts, not in Sent */
	STORE_DRAFT_APPROVED,  /* approved by the executive; sent after the window */
	STORE_DRAFT_STATUS_COUNT
} store_draft_status;

const char *store_draft_state_name(store_draft_state state);
const char *store_draft_status_name(store_draft_status status);

/* One draft. Strings borrowed on insert; owned when read (free with
 * store_draft_free). */
typedef struct store_draft {
	int64_t id;
	char *client;
	char *account;
	int64_t action_id;
	char *draft_id;    /* X-Vea-Draft */
	char *message_id;  /* without <> */
	char *in_reply_to; /* the Message-ID it answers; "" none */
	char *subject;
	char *recipients;  /* one address a line */
	char *mailbox;     /* "" until written: the \Drafts one (or the config's) */
	char *data;        /* the message, CRLF; NULL in lists */
	size_t size;
	store_draft_state state;
	int attempts;
	uint32_t uidvalidity;
	uint32_t uid;
	store_draft_status status;
	char *result;
	int64_t created_at;
	int64_t written_at;
	int64_t checked_at;
	int64_t approved_at;  /* 0: not approved */
	char *approved_in;    /* the mailbox it was approved in */
	uint32_t approved_uid;
	int64_t outbox_id;    /* 0: not sent by vea */
	char *machine;        /* the model that wrote the body; "" (NULL to insert): the template */
} store_draft;

void store_draft_free(store_draft *draft);
/* Record a draft to write (PENDING), in the transaction that journals its
 * action: a replayed journal cannot record it twice (UNIQUE action_id,
 * draft_id). mailbox may be "" (the \Drafts one). */
int store_draft_insert(store *st, const store_draft *draft, int64_t *id_r, char **error_r);
/* The PENDING drafts of account, oldest first, with their bytes. */
int store_drafts_pending(store *st, const char *account, GPtrArray **drafts_r, char **error_r);
/* An APPEND of the draft is about to begin (committed before it is sent,
 * so a crash during it is known). */
int store_draft_attempt(store *st, int64_t id, char **error_r);
/* It is in mailbox at (uidvalidity, uid), and its journal row is done
 * with result, in one transaction. */
int store_draft_written(store *st, int64_t id, const char *mailbox, uint32_t uidvalidity,
			uint32_t uid, int64_t now, const char *result, char **error_r);
/* The server refused it for good: FAILED, its journal row failed. */
int store_draft_failed(store *st, int64_t id, const char *reason, char **error_r);
/* What vea last saw of a written draft: its status, and where it is
 * now when the executive's edit gave it a new UID (uid 0: unchanged). */
int store_draft_set_status(store *st, int64_t id, store_draft_status status, uint32_t uid,
			   int64_t now, char **error_r);
/* The executive approved the draft (it is at uid in mailbox since
 * approved_at: status APPROVED), or took the approval back (approved_at
 * 0: status back to status). */
int store_draft_set_approval(store *st, int64_t id, int64_t approved_at, const char *mailbox,
			     uint32_t uid, store_draft_status status, char **error_r);
/* Queue the approved draft as message (store_outbox_insert), journal the
 * send (a "send" action beside the draft's, argument approval: where and
 * when it was approved; result), and record the draft sent, in one
 * transaction. 1 queued, 0 a message with its Message-ID was queued
 * already (nothing done: never twice), -1. */
int store_draft_queue_send(store *st, int64_t id, const store_outbox_message *message,
			   const char *approval, const char *result, int64_t now, char **error_r);
/* Drafts of client (NULL: all), newest first, without bytes; state < 0:
 * any; at most limit (0: all). */
int store_drafts_list(store *st, const char *client, int state, guint limit,
		      GPtrArray **drafts_r, char **error_r);
/* WRITTEN drafts of account still waiting, edited or approved (whose
 * fate vea checks), oldest first, without bytes. */
int store_drafts_open(store *st, const char *account, GPtrArray **drafts_r, char **error_r);

/* Sent copies: messages the outbox sent as the executive of account
 * whose copy is still to be filed in Sent, with their bytes. */
int store_outbox_sent_copies_wanted(store *st, const char *account, GPtrArray **messages_r,
				    char **error_r);
/* "filed", "found" (the provider filed one) or "failed". */
int store_outbox_set_sent_copy(store *st, int64_t id, const char *sent_copy, char **error_r);

/* ---- answers to invitations (schedule.c) ---- */

typedef enum {
	STORE_SCHEDULE_WAITING,    /* for the assistant's approval (vea schedule) */
	STORE_SCHEDULE_SENT,       /* the REPLY queued in the outbox */
	STORE_SCHEDULE_DRAFTED,    /* the REPLY left in Drafts */
	STORE_SCHEDULE_DECLINED,   /* the assistant declined the proposal: nothing sent */
	STORE_SCHEDULE_CANCELLED,  /* the organizer cancelled the event */
	STORE_SCHEDULE_SUPERSEDED, /* a newer SEQUENCE of the event came */
	STORE_SCHEDULE_FAILED,
	STORE_SCHEDULE_STATE_COUNT
} store_schedule_state;

const char *store_schedule_state_name(store_schedule_state state);

/* One decision. Strings borrowed on insert; owned when read (free with
 * store_schedule_free). */
typedef struct store_schedule {
	int64_t id;
	char *client;
	char *account;
	int64_t action_id;
	char *event_uid;
	int sequence;
	char *method;       /* "REQUEST", "CANCEL" */
	char *organizer;
	char *summary;
	int64_t start_at;
	char *start_local;
	char *partstat;     /* "ACCEPTED", "DECLINED", "TENTATIVE"; "" for a CANCEL */
	char *mode;         /* "approve", "send", "draft" */
	char *verdict;      /* calendar_decide's words */
	store_schedule_state state;
	char *reply_message_id;
	char *reply;        /* the REPLY message (CRLF); NULL in lists */
	size_t reply_size;
	char *request;      /* the invitation's iCalendar text; NULL in lists */
	int64_t outbox_id;
	char *stored;       /* the primary calendar: "" not yet, "done", "none", or the error */
	/* Who answers: "mail" (vea's REPLY through the outbox) or "server"
	 * (the calendar server, RFC 6638: vea changes PARTSTAT in the
	 * primary calendar and sends nothing). NULL on insert: "mail". */
	char *route;
	char *result;
	int64_t created_at;
	int64_t decided_at;
	/* A series accepted (or tentative) but for these instances, declined
	 * one by one: their RECURRENCE-IDs (calendar_blocked.recurrence_id)
	 * in decimal, space-separated; "" when the answer is for all. */
	char *declined_instances;
	/* With declined_instances: the REPLY accepting every instance
	 * (vea schedule approve N --whole); NULL otherwise and in lists. */
	char *reply_whole;
	size_t reply_whole_size;
} store_schedule;

void store_schedule_free(store_schedule *decision);
/* Record a decision in the transaction that journals its action; earlier
 * waiting decisions of the same event (client, event_uid) with a lower
 * or equal SEQUENCE become SUPERSEDED. */
int store_schedule_insert(store *st, const store_schedule *decision, int64_t *id_r,
			  char **error_r);
/* The highest SEQUENCE recorded for the client's event, -1 when none. */
int store_schedule_last_sequence(store *st, const char *client, const char *event_uid,
				 int *sequence_r, char **error_r);
/* Decisions of client (NULL: all), newest first; state < 0: any; with
 * their reply and request when full. */
int store_schedule_list(store *st, const char *client, int state, gboolean full,
			GPtrArray **decisions_r, char **error_r);
int store_schedule_get(store *st, int64_t id, store_schedule **decision_r, char **error_r);
/* vea schedule approve: queue message (its REPLY) and mark the decision
 * SENT, in one transaction; 1 done, 0 it was not waiting, -1. message
 * NULL: a decision the calendar server answers (route "server"): only
 * marked SENT, vea run writes the PARTSTAT. */
int store_schedule_approve(store *st, int64_t id, const store_outbox_message *message,
			   gboolean whole, int64_t now, char **error_r);
/* vea schedule decline, or a state set by the agent, with result. 1 done,
 * 0 it was not waiting (only waiting decisions change), -1. */
int store_schedule_finish(store *st, int64_t id, store_schedule_state state, const char *result,
			  int64_t now, char **error_r);
/* SENT (and CANCELLED) decisions of account whose event is not yet
 * written to (or cancelled in) the primary calendar (stored ''), with
 * their request; and the outcome. */
int store_schedule_to_store(store *st, const char *account, GPtrArray **decisions_r,
			    char **error_r);
int store_schedule_set_stored(store *st, int64_t id, const char *stored, char **error_r);

/* How long a REPLY may wait in the outbox before it is pointless. */
#define STORE_SCHEDULE_REPLY_LIFETIME (24 * 3600)
/* The outbox message that mails decision d's REPLY to its organizer
 * from mail_from, due now: *m_r borrows d's strings and recipients (two
 * slots the caller provides, filled here). */
void store_schedule_reply_message(const store_schedule *d, const char *mail_from, int64_t now,
				  char *recipients[2], store_outbox_message *m_r);
/* A decision routed to the calendar server whose server no longer does
 * implicit scheduling: its REPLY (message) is queued and the route
 * becomes "mail", in one transaction. */
int store_schedule_reroute_mail(store *st, int64_t id, const store_outbox_message *message,
				const char *result, char **error_r);

/* ---- timers (timers.c) ---- */

typedef enum {
	STORE_TIMER_PENDING,   /* waiting for its time */
	STORE_TIMER_FIRING,    /* claimed by a firer until lease_until */
	STORE_TIMER_FIRED,
	STORE_TIMER_CANCELLED, /* by vea remind cancel / snooze wake */
	STORE_TIMER_ANSWERED,  /* a reminder whose thread got its reply */
	STORE_TIMER_STATE_COUNT
} store_timer_state;

const char *store_timer_state_name(store_timer_state state);

/* One timer. Strings borrowed on insert; owned when read (free with
 * store_timer_free). */
typedef struct store_timer {
	int64_t id;
	char *client;
	char *account;
	action_kind kind;     /* ACTION_REMIND or ACTION_SNOOZE */
	int64_t action_id;    /* the journal row that set it; 0: set by hand */
	char *mailbox;
	uint32_t uidvalidity;
	uint32_t uid;
	char *message_id;     /* without <>; may be NULL */
	char *subject;
	int64_t due_at;       /* Unix seconds, UTC */
	char *local_due;      /* the wall-clock time and zone, for people */
	char *options;        /* what to do when due: "key=value" lines */
	store_timer_state state;
	int64_t lease_until;
	int64_t fired_at;
	char *result;
	int64_t created_at;
} store_timer;

void store_timer_free(store_timer *timer);
int store_timer_insert(store *st, const store_timer *timer, int64_t *id_r, char **error_r);
/* Claim up to limit timers due at now (pending and due, or firing with
 * the lease run out: the firer died), each until lease_until, in a write
 * transaction of its own. Found through the due-time index: the cost is
 * that of the due timers, not of all of them. Oldest due first. */
int store_timer_claim(store *st, int64_t now, int64_t lease_until, guint limit,
		      GPtrArray **claimed_r, char **error_r);
/* The end of a claimed timer: FIRED (at now), ANSWERED, or back to
 * PENDING with its lease dropped (a firing that could not be done now). */
int store_timer_finish(store *st, int64_t id, store_timer_state state, int64_t now,
		       const char *result, char **error_r);
/* vea remind cancel / vea snooze wake: a pending timer is cancelled, or
 * made due now (wake; its options get "woken=1", so that it is not
 * rescheduled). 1 done, 0 not pending, -1. */
int store_timer_cancel(store *st, int64_t id, char **error_r);
int store_timer_make_due(store *st, int64_t id, int64_t now, char **error_r);
/* A pending timer's due time and wall-clock text resolved again (the
 * client's zone or holidays changed). 1 done, 0 not pending, -1. */
int store_timer_reschedule(store *st, int64_t id, int64_t due_at, const char *local_due,
			   char **error_r);
/* Timers of client (NULL: all) of kind (ACTION_KIND_UNKNOWN: all) in
 * state (STORE_TIMER_STATE_COUNT: any), soonest first. */
int store_timer_list(store *st, const char *client, action_kind kind, store_timer_state state,
		     GPtrArray **timers_r, char **error_r);
int store_timer_get(store *st, int64_t id, store_timer **timer_r, char **error_r);
/* Pending timers of account waiting on a reply to one of message_ids
 * (reminders :if-unanswered, snoozes :wake-on-reply). */
int store_timer_waiting_for(store *st, const char *account, const char *const *message_ids,
			    GPtrArray **timers_r, char **error_r);
/* The Message-IDs of account's timers being fired at now, and of the
 * mail timers brought back to mailbox (journal rows woken, reminded): mail
 * a timer brings back (a snooze woken, a reminder moving a message back
 * to INBOX), which the account's own sync leaves alone, as mail put back
 * by vea undo, so that it is not triaged (and snoozed) again. Added to
 * ids (a set of strings that owns its keys). */
int store_timer_returned_ids(store *st, const char *account, const char *mailbox, int64_t now,
			     GHashTable *ids, char **error_r);
/* The earliest due time of a pending timer or of the lease of one being
 * fired (claimed by now); 0 when there is none. */
int store_timer_next_due(store *st, int64_t now, int64_t *due_r, char **error_r);

/* ---- account status (status.c) ---- */

/* What the running agent says about an account (for `vea status`).
 * state: "connecting", "idle", "polling", "syncing", "backing-off",
 * "stopped", "failed". error NULL keeps the last error as it was;
 * synced TRUE stamps last_sync with now. */
int store_account_status_set(store *store, const char *account, const char *state,
			     const char *error, gboolean synced, char **error_r);

typedef struct store_account_status {
	char *account;
	char *state;
	int64_t since;
	int64_t last_sync;     /* 0: never */
	char *last_error;      /* NULL: none */
	int64_t last_error_at;
	int64_t pid;
	int64_t handled_since; /* messages handled since the `since_time` given */
} store_account_status;

void store_account_status_free(store_account_status *status);
/* The status of account, or NULL (never seen) in *status_r; handled_since
 * counts distinct messages journalled since since_time (Unix seconds). */
int store_account_status_get(store *store, const char *account, int64_t since_time,
			     store_account_status **status_r, char **error_r);

/* ---- copies of calendars (calendars.c) ---- */

/* One calendar (vea.conf [calendar:ID]) at one URL for one user:
 * source_key is the caller's hash of URL and user, so a calendar moved
 * elsewhere starts afresh. The collection's state for the next sync. */
typedef struct store_calendar_source {
	int64_t id;            /* 0: not stored yet */
	char *sync_token;      /* RFC 6578; "" none */
	char *ctag;            /* "" none */
	char *feed_etag;       /* a feed's ETag and Last-Modified; "" none */
	char *feed_modified;
	int64_t synced_at;     /* the last sync that succeeded; 0 never */
	int64_t objects;       /* objects in the copy */
} store_calendar_source;

void store_calendar_source_clear(store_calendar_source *source);
/* 1 and *source_r, or 0 (never synced: *source_r zeroed with "" strings). */
int store_calendar_source_get(store *st, const char *calendar, const char *source_key,
			      store_calendar_source *source_r, char **error_r);
/* Create or update the source's state (source->id is set when it was
 * 0). Call inside a transaction with the objects' changes, so a copy is
 * never half of one sync and half of another. */
int store_calendar_source_save(store *st, const char *calendar, const char *source_key,
			       store_calendar_source *source, char **error_r);

/* An object of a copy. first_start INT64_MIN: unknown; last_end
 * INT64_MAX: no end (a series). instances (instances_len bytes, NULL:
 * none): the caller's expansion of its events over [instances_from,
 * instances_to), kept as given. */
typedef struct store_calendar_object {
	const char *href, *etag, *data;
	int64_t first_start, last_end;
	const void *instances;
	size_t instances_len;
	int64_t instances_from, instances_to;
} store_calendar_object;

/* Insert or replace one object (a prepared statement kept per
 * connection: thousands in one transaction). */
int store_calendar_object_put(store *st, int64_t source, const store_calendar_object *object,
			      char **error_r);
int store_calendar_object_delete(store *st, int64_t source, const char *href, char **error_r);
/* Replace an object's kept expansion only (its window moved on). */
int store_calendar_object_set_instances(store *st, int64_t source, const char *href,
					const void *instances, size_t instances_len, int64_t from,
					int64_t to, char **error_r);
/* Every object of the source out (a first sync replaces the copy). */
int store_calendar_objects_clear(store *st, int64_t source, char **error_r);

/* The copy's ETags: href -> etag (both newly allocated; free the table
 * with g_hash_table_unref). */
int store_calendar_etags(store *st, int64_t source, GHashTable **etags_r, char **error_r);

/* The objects whose span overlaps [from, to), borrowed for the call.
 * A callback returning -1 stops the walk (returned as -1, *error_r
 * untouched). */
typedef int store_calendar_object_callback(const store_calendar_object *object, void *context);
int store_calendar_objects_foreach(store *st, int64_t source, int64_t from, int64_t to,
				   store_calendar_object_callback *callback, void *context,
				   char **error_r);

/* Forget the copies of calendars no longer configured: every source but
 * those whose (calendar, source_key) is in keep (pairs: calendar,
 * key, calendar, key, ..., NULL). *forgotten_r (may be NULL): how many. */
int store_calendar_sources_forget(store *st, const char *const *keep, guint *forgotten_r,
				  char **error_r);

#endif
