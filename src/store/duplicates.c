/* Sieve duplicate tracking, RFC 7352 (table sieve_duplicates). */
#include "store/store-private.h"

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
