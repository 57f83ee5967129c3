#ifndef VEA_STORE_PRIVATE_H
#define VEA_STORE_PRIVATE_H

/* Inside the store: the SQLite connection and the helpers every concern's
 * file uses. Nothing outside src/store/ includes this header; the rest of
 * vea sees store.h only, which names no database. A second backend
 * (PostgreSQL) would bring its own private header and the same store.h
 * functions. */

#include "store/store.h"

#include <sqlite3.h>

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
	/* A report runs these once per billing account (the sums once per
	 * period of a retainer's rollover, a year back): preparing them
	 * each time cost more than running them. */
	sqlite3_stmt *ledger_entry_add;
	sqlite3_stmt *ledger_sums;
	sqlite3_stmt *ledger_rows;
	sqlite3_stmt *period_get;
	sqlite3_stmt *period_at;
	sqlite3_stmt *period_before;
	/* A first sync writes thousands of calendar objects. */
	sqlite3_stmt *calendar_object_put;
};

/* "database PATH: what: sqlite's message" into *error_r; returns -1. */
int store_fail(store *st, const char *what, char **error_r);
/* Run sql (no rows, no bindings). */
int store_exec(store *st, const char *sql, char **error_r);
/* A statement for one use (finalize it), or NULL with *error_r. */
sqlite3_stmt *store_prepare(store *st, const char *sql, char **error_r);
/* A statement prepared once per connection and kept in *slot (run it with
 * store_step_done_cached, which resets it). */
sqlite3_stmt *store_prepare_cached(store *st, sqlite3_stmt **slot, const char *sql,
				   char **error_r);
int store_step_done_cached(store *st, sqlite3_stmt *stmt, const char *what, char **error_r);
/* Done with a cached statement that returned rows: reset it (a statement
 * left running would hold its read snapshot) and clear its bindings. */
void store_release_cached(sqlite3_stmt *stmt);
/* Step a statement that returns no rows and finalize it. */
int store_step_done(store *st, sqlite3_stmt *stmt, const char *what, char **error_r);
/* Step a statement returning one row of one integer (an aggregate) and
 * finalize it: 0 and *value_r, or -1 (no row is an error too). */
int store_step_int64(store *st, sqlite3_stmt *stmt, const char *what, int64_t *value_r,
		     char **error_r);
/* NULL binds NULL. */
void store_bind_text(sqlite3_stmt *stmt, int index, const char *text);
/* The column's text, newly allocated; NULL for NULL. */
char *store_column_strdup(sqlite3_stmt *stmt, int column);
/* The column's text, borrowed until the next step; "" for NULL. */
const char *store_column_text(sqlite3_stmt *stmt, int column);

#endif
