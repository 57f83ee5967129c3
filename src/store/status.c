/* What the running agent says about each account (table account_status),
 * for `vea status`. */
#include "store/store-private.h"
#include "util/clock.h"

#include <unistd.h>

int store_account_status_set(store *st, const char *account, const char *state,
			     const char *error, gboolean synced, char **error_r)
{
	/* "since" moves only when the state changes, so status can say
	 * "backing off for 3 minutes". */
	sqlite3_stmt *stmt = store_prepare(st,
		"INSERT INTO account_status (account, state, since, last_sync, last_error, last_error_at, pid)"
		" VALUES (?1, ?2, ?6, CASE WHEN ?4 THEN ?6 END,"
		"  ?3, CASE WHEN ?3 IS NOT NULL THEN ?6 END, ?5)"
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
	sqlite3_bind_int64(stmt, 6, clock_now_unix()); /* the one clock, not SQLite's */
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

