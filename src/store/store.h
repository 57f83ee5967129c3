#ifndef VEA_STORE_H
#define VEA_STORE_H

/* vea's state in one SQLite database (WAL): where each mailbox was synced
 * to, the journal of actions, the ledger. One store per thread; SQLite
 * serialises writers, busy_timeout makes them wait for each other.
 *
 * Functions return 0 on success, -1 with *error_r (newly allocated). */

#include <glib.h>
#include <sqlite3.h>
#include <stdint.h>

typedef struct store store;

/* Open (creating the file and its folder if needed) and migrate. */
int store_open(const char *path, store **store_r, char **error_r);
void store_close(store **storep);
sqlite3 *store_get_db(store *st);

/* One transaction around every change that must be atomic. BEGIN
 * IMMEDIATE: the write lock is taken at once, so a reader elsewhere always
 * sees all of a batch or none of it. */
int store_transaction_begin(store *st, char **error_r);
int store_transaction_commit(store *st, char **error_r);
void store_transaction_rollback(store *st);

/* Returns 1 and the state, 0 when the mailbox was never synced, -1 error. */
int store_mailbox_get(store *st, const char *account, const char *mailbox,
		      uint32_t *uidvalidity_r, uint32_t *last_uid_r,
		      char **error_r);
int store_mailbox_set(store *st, const char *account, const char *mailbox,
		      uint32_t uidvalidity, uint32_t last_uid, char **error_r);

typedef enum {
	STORE_ACTION_PLANNED,
	STORE_ACTION_DONE,
	STORE_ACTION_FAILED,
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
	char *action;     /* "fileinto", "keep", "discard", "addflag", "bill", ... */
	char *argument;   /* mailbox, flags, or minutes */
	store_operation operation;
	gboolean create_mailbox; /* :create: make the mailbox if missing */
	store_action_state state;
	char *result;
	int64_t created_at; /* Unix seconds */
} store_action;

void store_action_free(store_action *action);
const char *store_action_state_name(store_action_state state);

int store_action_insert(store *st, const store_action *action,
			int64_t *id_r, char **error_r);
int store_action_set_state(store *st, int64_t id, store_action_state state,
			   const char *result, char **error_r);
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

typedef struct store_ledger_entry {
	const char *client;
	const char *billing_account;
	int64_t seconds;
	const char *description;
	const char *category; /* "triage", "drafts", "scheduling", "manual" */
	const char *source;   /* "rule", "manual", "adjust" */
	int64_t action_id;    /* 0: none */
	const char *message_key;
} store_ledger_entry;

/* Insert a ledger entry. An entry for an action that already has one is
 * not inserted again (*inserted_r FALSE): billing is exactly once. */
int store_ledger_insert(store *st, const store_ledger_entry *entry,
			gboolean *inserted_r, char **error_r);

/* Sieve duplicate tracking (RFC 7352), per client: has id been seen and
 * not expired at now? 1 yes, 0 no, -1 error. */
int store_duplicate_check(store *store, const char *client, const char *id, int64_t now,
			  char **error_r);
/* Remember id until now + seconds; an id already there keeps its expiry
 * unless refresh (":last"). */
int store_duplicate_mark(store *store, const char *client, const char *id, int64_t now,
			 int64_t seconds, gboolean refresh, char **error_r);

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

#endif
