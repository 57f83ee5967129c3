/* The store's connection: opening, closing, transactions, and the helpers
 * the concern files share (store-private.h). Each concern's statements
 * live in a file of their own: journal.c, sync-state.c, ledger.c,
 * digest.c, status.c, duplicates.c. */
#include "store/store-private.h"
#include "store/schema.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int store_fail(store *st, const char *what, char **error_r)
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
	sqlite3_finalize(st->calendar_object_put);
	sqlite3_finalize(st->ledger_entry_add);
	sqlite3_finalize(st->ledger_sums);
	sqlite3_finalize(st->ledger_rows);
	sqlite3_finalize(st->period_get);
	sqlite3_finalize(st->period_at);
	sqlite3_finalize(st->period_before);
	sqlite3_close(st->db);
	g_free(st->path);
	g_free(st);
}

int store_exec(store *st, const char *sql, char **error_r)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, sql, error_r);
	return 0;
}

int store_transaction_begin(store *st, char **error_r)
{
	return store_exec(st, "BEGIN IMMEDIATE", error_r);
}

int store_read_begin(store *st, char **error_r)
{
	/* DEFERRED: no lock until the first read; in WAL mode every
	 * statement after it reads the same snapshot, and writers are not
	 * held up. */
	return store_exec(st, "BEGIN DEFERRED", error_r);
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

int store_maintain(store *st, char **error_r)
{
	return store_exec(st, "PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;", error_r);
}

const char *store_backend_version(void)
{
	static char version[64];

	if (version[0] == '\0')
		g_snprintf(version, sizeof(version), "SQLite %s", sqlite3_libversion());
	return version;
}

sqlite3_stmt *store_prepare(store *st, const char *sql, char **error_r)
{
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		store_fail(st, "prepare", error_r);
		return NULL;
	}
	return stmt;
}

sqlite3_stmt *store_prepare_cached(store *st, sqlite3_stmt **slot, const char *sql,
				   char **error_r)
{
	if (*slot == NULL &&
	    sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK) {
		store_fail(st, "prepare", error_r);
		return NULL;
	}
	return *slot;
}

int store_step_done_cached(store *st, sqlite3_stmt *stmt, const char *what, char **error_r)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, what, error_r);
	return 0;
}

void store_release_cached(sqlite3_stmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

int store_step_done(store *st, sqlite3_stmt *stmt, const char *what, char **error_r)
{
	int rc = sqlite3_step(stmt);

	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, what, error_r);
	return 0;
}

int store_step_int64(store *st, sqlite3_stmt *stmt, const char *what, int64_t *value_r,
		     char **error_r)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW)
		*value_r = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW)
		return store_fail(st, what, error_r);
	return 0;
}

void store_bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
	if (text == NULL)
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
}

char *store_column_strdup(sqlite3_stmt *stmt, int column)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);

	return text != NULL ? g_strdup((const char *)text) : NULL;
}

const char *store_column_text(sqlite3_stmt *stmt, int column)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);

	return text != NULL ? (const char *)text : "";
}
