#include "store/store.h"
#include "store/schema.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

struct store {
	sqlite3 *db;
	char *path;
	/* The agent writes many ledger entries per transaction: prepared
	 * once (the ledger's triggers make preparing it cost more). */
	sqlite3_stmt *ledger_insert;
	/* Likewise the journal's two statements: a sync of thousands of
	 * messages runs each once per action. */
	sqlite3_stmt *action_insert;
	sqlite3_stmt *action_set_state;
};

static int store_fail(store *st, const char *what, char **error_r)
{
	*error_r = g_strdup_printf("database %s: %s: %s", st->path, what,
				   sqlite3_errmsg(st->db));
	return -1;
}

int store_open(const char *path, store **store_r, char **error_r)
{
	g_autofree char *dir = g_path_get_dirname(path);
	store *st;
	char *message = NULL;

	*store_r = NULL;
	if (g_mkdir_with_parents(dir, 0700) < 0) {
		*error_r = g_strdup_printf("cannot create %s: %s", dir, g_strerror(errno));
		return -1;
	}
	st = g_new0(store, 1);
	st->path = g_strdup(path);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		store_fail(st, "cannot open", error_r);
		store_close(&st);
		return -1;
	}
	/* Writers wait for each other rather than fail; the agent's
	 * transactions are short. */
	sqlite3_busy_timeout(st->db, 10000);
	/* Reports read hundreds of thousands of ledger rows: mapping the
	 * file spares a copy of every page through read(2), and a larger
	 * page cache keeps the indexes in memory. */
	/* Switching a new file to WAL takes an exclusive lock that the busy
	 * handler does not wait for: when another process is opening the same
	 * new database, try again for a while rather than fail. */
	for (int attempt = 0;; attempt++) {
		int rc = sqlite3_exec(st->db, "PRAGMA journal_mode = WAL;", NULL, NULL, &message);

		if (rc == SQLITE_OK)
			break;
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || attempt == 200) {
			*error_r = g_strdup_printf("database %s: %s", path, message);
			sqlite3_free(message);
			store_close(&st);
			return -1;
		}
		sqlite3_free(message);
		message = NULL;
		g_usleep(50 * 1000);
	}
	if (sqlite3_exec(st->db, "PRAGMA synchronous = NORMAL;"
			 "PRAGMA foreign_keys = ON; PRAGMA mmap_size = 1073741824;"
			 "PRAGMA cache_size = -65536;", NULL, NULL, &message) != SQLITE_OK) {
		*error_r = g_strdup_printf("database %s: %s", path, message);
		sqlite3_free(message);
		store_close(&st);
		return -1;
	}
	if (schema_migrate(st->db, &message) < 0) {
		*error_r = g_strdup_printf("database %s: %s", path, message);
		g_free(message);
		store_close(&st);
		return -1;
	}
	*store_r = st;
	return 0;
}

void store_close(store **storep)
{
	store *st = *storep;

	if (st == NULL)
		return;
	*storep = NULL;
	sqlite3_finalize(st->ledger_insert);
	sqlite3_finalize(st->action_insert);
	sqlite3_finalize(st->action_set_state);
	sqlite3_close(st->db);
	g_free(st->path);
	g_free(st);
}

sqlite3 *store_get_db(store *st)
{
	return st->db;
}

static int store_exec(store *st, const char *sql, char **error_r)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, sql, error_r);
	return 0;
}

int store_transaction_begin(store *st, char **error_r)
{
	return store_exec(st, "BEGIN IMMEDIATE", error_r);
}

int store_transaction_commit(store *st, char **error_r)
{
	return store_exec(st, "COMMIT", error_r);
}

void store_transaction_rollback(store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static sqlite3_stmt *store_prepare(store *st, const char *sql, char **error_r)
{
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		store_fail(st, "prepare", error_r);
		return NULL;
	}
	return stmt;
}

/* A statement prepared once per connection and kept (reset after use with
 * store_step_done_cached). */
static sqlite3_stmt *store_prepare_cached(store *st, sqlite3_stmt **slot, const char *sql,
					  char **error_r)
{
	if (*slot == NULL &&
	    sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK) {
		store_fail(st, "prepare", error_r);
		return NULL;
	}
	return *slot;
}

static int store_step_done_cached(store *st, sqlite3_stmt *stmt, const char *what, char **error_r)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, what, error_r);
	return 0;
}

static void store_bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
	if (text == NULL)
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
}

/* Step a statement that returns no rows and finalize it. */
static int store_step_done(store *st, sqlite3_stmt *stmt, const char *what, char **error_r)
{
	int rc = sqlite3_step(stmt);

	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, what, error_r);
	return 0;
}

int store_mailbox_get(store *st, const char *account, const char *mailbox,
		      uint32_t *uidvalidity_r, uint32_t *last_uid_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT uidvalidity, last_uid FROM mailbox_state"
					       " WHERE account = ? AND mailbox = ?", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	store_bind_text(stmt, 2, mailbox);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*uidvalidity_r = (uint32_t)sqlite3_column_int64(stmt, 0);
		*last_uid_r = (uint32_t)sqlite3_column_int64(stmt, 1);
		sqlite3_finalize(stmt);
		return 1;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "read mailbox state", error_r);
	return 0;
}

int store_mailbox_set(store *st, const char *account, const char *mailbox,
		      uint32_t uidvalidity, uint32_t last_uid, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"INSERT INTO mailbox_state (account, mailbox, uidvalidity, last_uid, synced_at)"
		" VALUES (?, ?, ?, ?, strftime('%s', 'now'))"
		" ON CONFLICT (account, mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity,"
		" last_uid = excluded.last_uid, synced_at = excluded.synced_at", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	store_bind_text(stmt, 2, mailbox);
	sqlite3_bind_int64(stmt, 3, uidvalidity);
	sqlite3_bind_int64(stmt, 4, last_uid);
	return store_step_done(st, stmt, "write mailbox state", error_r);
}

static const char *const store_state_names[] = {
	[STORE_ACTION_PLANNED] = "planned",
	[STORE_ACTION_DONE] = "done",
	[STORE_ACTION_FAILED] = "failed",
};

static const char *const store_operation_names[] = {
	[STORE_OPERATION_NONE] = "none",
	[STORE_OPERATION_FLAGS] = "flags",
	[STORE_OPERATION_COPY] = "copy",
	[STORE_OPERATION_MOVE] = "move",
};

static store_operation store_operation_parse(const char *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(store_operation_names); i++) {
		if (g_strcmp0(name, store_operation_names[i]) == 0)
			return (store_operation)i;
	}
	return STORE_OPERATION_NONE;
}

const char *store_action_state_name(store_action_state state)
{
	return store_state_names[state];
}

static store_action_state store_action_state_parse(const char *name)
{
	if (g_strcmp0(name, "done") == 0)
		return STORE_ACTION_DONE;
	if (g_strcmp0(name, "failed") == 0)
		return STORE_ACTION_FAILED;
	return STORE_ACTION_PLANNED;
}

void store_action_free(store_action *action)
{
	if (action == NULL)
		return;
	g_free(action->client);
	g_free(action->account);
	g_free(action->mailbox);
	g_free(action->message_id);
	g_free(action->from);
	g_free(action->subject);
	g_free(action->rule_file);
	g_free(action->action);
	g_free(action->argument);
	g_free(action->result);
	g_free(action);
}

int store_action_insert(store *st, const store_action *action, int64_t *id_r,
			char **error_r)
{
	sqlite3_stmt *stmt = store_prepare_cached(st, &st->action_insert,
		"INSERT INTO actions (client, account, mailbox, uidvalidity, uid, message_id,"
		" from_addr, subject, rule_file, rule_line, action, argument, state, result,"
		" created_at, operation, create_mailbox)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, action->client);
	store_bind_text(stmt, 2, action->account);
	store_bind_text(stmt, 3, action->mailbox);
	sqlite3_bind_int64(stmt, 4, action->uidvalidity);
	sqlite3_bind_int64(stmt, 5, action->uid);
	store_bind_text(stmt, 6, action->message_id);
	store_bind_text(stmt, 7, action->from != NULL ? action->from : "");
	store_bind_text(stmt, 8, action->subject != NULL ? action->subject : "");
	store_bind_text(stmt, 9, action->rule_file);
	if (action->rule_file != NULL)
		sqlite3_bind_int(stmt, 10, action->rule_line);
	else
		sqlite3_bind_null(stmt, 10);
	store_bind_text(stmt, 11, action->action);
	store_bind_text(stmt, 12, action->argument != NULL ? action->argument : "");
	store_bind_text(stmt, 13, store_action_state_name(action->state));
	store_bind_text(stmt, 14, action->result != NULL ? action->result : "");
	sqlite3_bind_int64(stmt, 15, action->created_at != 0 ? action->created_at
							     : g_get_real_time() / G_USEC_PER_SEC);
	store_bind_text(stmt, 16, store_operation_names[action->operation]);
	sqlite3_bind_int(stmt, 17, action->create_mailbox ? 1 : 0);
	if (store_step_done_cached(st, stmt, "journal an action", error_r) < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_action_set_state(store *st, int64_t id, store_action_state state,
			   const char *result, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare_cached(st, &st->action_set_state,
		"UPDATE actions SET state = ?, result = ?, done_at = strftime('%s', 'now')"
		" WHERE id = ?", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, store_action_state_name(state));
	store_bind_text(stmt, 2, result != NULL ? result : "");
	sqlite3_bind_int64(stmt, 3, id);
	return store_step_done_cached(st, stmt, "update an action", error_r);
}

static char *store_column_strdup(sqlite3_stmt *stmt, int column)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);

	return text != NULL ? g_strdup((const char *)text) : NULL;
}

#define STORE_ACTION_COLUMNS                                                    \
	"id, client, account, mailbox, uidvalidity, uid, message_id, from_addr,"  \
	" subject, rule_file, rule_line, action, argument, state, result, created_at,"	\
	" operation, create_mailbox"

static store_action *store_action_from_row(sqlite3_stmt *stmt)
{
	store_action *action = g_new0(store_action, 1);

	action->id = sqlite3_column_int64(stmt, 0);
	action->client = store_column_strdup(stmt, 1);
	action->account = store_column_strdup(stmt, 2);
	action->mailbox = store_column_strdup(stmt, 3);
	action->uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 4);
	action->uid = (uint32_t)sqlite3_column_int64(stmt, 5);
	action->message_id = store_column_strdup(stmt, 6);
	action->from = store_column_strdup(stmt, 7);
	action->subject = store_column_strdup(stmt, 8);
	action->rule_file = store_column_strdup(stmt, 9);
	action->rule_line = sqlite3_column_int(stmt, 10);
	action->action = store_column_strdup(stmt, 11);
	action->argument = store_column_strdup(stmt, 12);
	action->state = store_action_state_parse((const char *)sqlite3_column_text(stmt, 13));
	action->result = store_column_strdup(stmt, 14);
	action->created_at = sqlite3_column_int64(stmt, 15);
	action->operation = store_operation_parse((const char *)sqlite3_column_text(stmt, 16));
	action->create_mailbox = sqlite3_column_int(stmt, 17) != 0;
	return action;
}

/* Step a bound SELECT of STORE_ACTION_COLUMNS to the end, finalize it, and
 * hand back its rows (GPtrArray of store_action *). */
static int store_actions_collect(store *st, sqlite3_stmt *stmt, const char *what,
				 GPtrArray **actions_r, char **error_r)
{
	GPtrArray *actions = g_ptr_array_new_with_free_func((GDestroyNotify)store_action_free);
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(actions, store_action_from_row(stmt));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(actions);
		return store_fail(st, what, error_r);
	}
	*actions_r = actions;
	return 0;
}

int store_actions_pending(store *st, const char *account, GPtrArray **actions_r,
			  char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT " STORE_ACTION_COLUMNS
					   " FROM actions WHERE account = ? AND state = 'planned'"
					   " ORDER BY id", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	return store_actions_collect(st, stmt, "read pending actions", actions_r, error_r);
}

int store_action_get(store *st, int64_t id, store_action **action_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT " STORE_ACTION_COLUMNS
					   " FROM actions WHERE id = ?", error_r);
	int rc;

	*action_r = NULL;
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*action_r = store_action_from_row(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, "read an action", error_r);
	return *action_r != NULL ? 1 : 0;
}

int store_undone_message_ids(store *st, const char *account, const char *mailbox,
			     GHashTable **ids_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT DISTINCT message_id FROM actions"
					   " WHERE account = ? AND mailbox = ? AND action = 'undo'"
					   " AND message_id IS NOT NULL", error_r);
	GHashTable *ids;
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	store_bind_text(stmt, 2, mailbox);
	ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_hash_table_add(ids, store_column_strdup(stmt, 0));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		g_hash_table_destroy(ids);
		return store_fail(st, "read undone messages", error_r);
	}
	*ids_r = ids;
	return 0;
}

int store_message_actions(store *st, const char *account, const char *message_id,
			  GPtrArray **actions_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT " STORE_ACTION_COLUMNS
					   " FROM actions WHERE account = ? AND message_id = ?"
					   " ORDER BY id", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	store_bind_text(stmt, 2, message_id);
	return store_actions_collect(st, stmt, "read a message's actions", actions_r, error_r);
}

int store_message_history(store *st, const store_action *row, GPtrArray **actions_r,
			  char **error_r)
{
	sqlite3_stmt *stmt;

	if (row->message_id != NULL)
		return store_message_actions(st, row->account, row->message_id, actions_r, error_r);
	stmt = store_prepare(st, "SELECT " STORE_ACTION_COLUMNS " FROM actions WHERE account = ?"
			     " AND mailbox = ? AND uidvalidity = ? AND uid = ? AND message_id IS NULL"
			     " ORDER BY id", error_r);
	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, row->account);
	store_bind_text(stmt, 2, row->mailbox);
	sqlite3_bind_int64(stmt, 3, row->uidvalidity);
	sqlite3_bind_int64(stmt, 4, row->uid);
	return store_actions_collect(st, stmt, "read a message's actions", actions_r, error_r);
}

const char *store_message_current_mailbox(const GPtrArray *history, const store_action *row)
{
	const char *where = row->mailbox;

	for (guint i = 0; history != NULL && i < history->len; i++) {
		const store_action *other = g_ptr_array_index(history, i);

		if (other->operation == STORE_OPERATION_MOVE && other->state == STORE_ACTION_DONE &&
		    (other->result == NULL || !g_str_has_prefix(other->result, "undone")))
			where = other->argument;
	}
	return where;
}

int store_message_was_handled(store *st, const char *account, const char *mailbox,
			      const char *message_id, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT 1 FROM actions WHERE account = ?"
					   " AND mailbox = ? AND message_id = ? LIMIT 1", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	store_bind_text(stmt, 2, mailbox);
	store_bind_text(stmt, 3, message_id);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return store_fail(st, "look up a message", error_r);
	return 0;
}

int store_actions_foreach(store *st, const store_action_filter *filter,
			  store_action_callback *callback, void *context, char **error_r)
{
	/* The newest N, then shown oldest first, as `tail` would. */
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT * FROM (SELECT " STORE_ACTION_COLUMNS " FROM actions"
		" WHERE (?1 IS NULL OR client = ?1) AND (?2 IS NULL OR account = ?2)"
		" ORDER BY id DESC LIMIT ?3) ORDER BY id", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, filter->client);
	store_bind_text(stmt, 2, filter->account);
	sqlite3_bind_int64(stmt, 3, filter->limit > 0 ? filter->limit : -1);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_action *action = store_action_from_row(stmt);
		int ret = callback(action, context);

		store_action_free(action);
		if (ret < 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "read the journal", error_r);
	return 0;
}

int store_ledger_insert(store *st, const store_ledger_entry *entry,
			gboolean *inserted_r, char **error_r)
{
	sqlite3_stmt *stmt = st->ledger_insert;
	int rc;

	if (stmt == NULL &&
	    sqlite3_prepare_v3(st->db,
		"INSERT INTO ledger_entries (client, billing_account, seconds, description,"
		" category, source, action_id, message_key, created_at)"
		" VALUES (?,?,?,?,?,?,?,?, strftime('%s', 'now'))"
		" ON CONFLICT (action_id) WHERE action_id IS NOT NULL DO NOTHING",
		-1, SQLITE_PREPARE_PERSISTENT, &st->ledger_insert, NULL) != SQLITE_OK)
		return store_fail(st, "prepare", error_r);
	stmt = st->ledger_insert;
	store_bind_text(stmt, 1, entry->client);
	store_bind_text(stmt, 2, entry->billing_account);
	sqlite3_bind_int64(stmt, 3, entry->seconds);
	store_bind_text(stmt, 4, entry->description != NULL ? entry->description : "");
	store_bind_text(stmt, 5, entry->category != NULL ? entry->category : "triage");
	store_bind_text(stmt, 6, entry->source);
	if (entry->action_id != 0)
		sqlite3_bind_int64(stmt, 7, entry->action_id);
	else
		sqlite3_bind_null(stmt, 7);
	store_bind_text(stmt, 8, entry->message_key);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "write a ledger entry", error_r);
	if (inserted_r != NULL)
		*inserted_r = sqlite3_changes(st->db) > 0;
	return 0;
}

int store_account_status_set(store *st, const char *account, const char *state,
			     const char *error, gboolean synced, char **error_r)
{
	/* "since" moves only when the state changes, so status can say
	 * "backing off for 3 minutes". */
	sqlite3_stmt *stmt = store_prepare(st,
		"INSERT INTO account_status (account, state, since, last_sync, last_error, last_error_at, pid)"
		" VALUES (?1, ?2, strftime('%s','now'), CASE WHEN ?4 THEN strftime('%s','now') END,"
		"  ?3, CASE WHEN ?3 IS NOT NULL THEN strftime('%s','now') END, ?5)"
		" ON CONFLICT (account) DO UPDATE SET"
		"  since = CASE WHEN state = excluded.state THEN since ELSE excluded.since END,"
		"  state = excluded.state,"
		"  last_sync = CASE WHEN ?4 THEN excluded.last_sync ELSE last_sync END,"
		"  last_error = COALESCE(excluded.last_error, last_error),"
		"  last_error_at = COALESCE(excluded.last_error_at, last_error_at),"
		"  pid = excluded.pid", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	store_bind_text(stmt, 2, state);
	store_bind_text(stmt, 3, error);
	sqlite3_bind_int(stmt, 4, synced ? 1 : 0);
	sqlite3_bind_int64(stmt, 5, (int64_t)getpid());
	return store_step_done(st, stmt, "write account status", error_r);
}

void store_account_status_free(store_account_status *status)
{
	if (status == NULL)
		return;
	g_free(status->account);
	g_free(status->state);
	g_free(status->last_error);
	g_free(status);
}

int store_account_status_get(store *st, const char *account, int64_t since_time,
			     store_account_status **status_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT s.account, s.state, s.since, s.last_sync, s.last_error, s.last_error_at, s.pid,"
		" (SELECT count(*) FROM (SELECT DISTINCT mailbox, uidvalidity, uid FROM actions"
		"   WHERE account = ?1 AND created_at >= ?2))"
		" FROM (SELECT ?1 AS account) AS q LEFT JOIN account_status AS s USING (account)", error_r);
	store_account_status *status;
	int rc;

	*status_r = NULL;
	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	sqlite3_bind_int64(stmt, 2, since_time);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		return store_fail(st, "read account status", error_r);
	}
	status = g_new0(store_account_status, 1);
	status->account = g_strdup(account);
	status->state = store_column_strdup(stmt, 1);
	status->since = sqlite3_column_int64(stmt, 2);
	status->last_sync = sqlite3_column_int64(stmt, 3);
	status->last_error = store_column_strdup(stmt, 4);
	status->last_error_at = sqlite3_column_int64(stmt, 5);
	status->pid = sqlite3_column_int64(stmt, 6);
	status->handled_since = sqlite3_column_int64(stmt, 7);
	sqlite3_finalize(stmt);
	*status_r = status;
	return 0;
}

int store_duplicate_check(store *st, const char *client, const char *id, int64_t now,
			  char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT 1 FROM sieve_duplicates"
					   " WHERE client = ? AND id = ? AND expires_at > ?", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, client);
	store_bind_text(stmt, 2, id);
	sqlite3_bind_int64(stmt, 3, now);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return store_fail(st, "read the duplicate list", error_r);
	return 0;
}

int store_duplicate_mark(store *st, const char *client, const char *id, int64_t now,
			 int64_t seconds, gboolean refresh, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"INSERT INTO sieve_duplicates (client, id, expires_at) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (client, id) DO UPDATE SET expires_at = excluded.expires_at"
		" WHERE ?4 OR expires_at <= ?5", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, client);
	store_bind_text(stmt, 2, id);
	sqlite3_bind_int64(stmt, 3, now + seconds);
	sqlite3_bind_int(stmt, 4, refresh ? 1 : 0);
	sqlite3_bind_int64(stmt, 5, now);
	return store_step_done(st, stmt, "write the duplicate list", error_r);
}
