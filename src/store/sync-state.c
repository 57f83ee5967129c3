/* Where each mailbox was synced to: UIDVALIDITY and the last UID handled
 * (table mailbox_state). */
#include "store/store-private.h"
#include "util/clock.h"

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
		" VALUES (?, ?, ?, ?, ?)"
		" ON CONFLICT (account, mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity,"
		" last_uid = excluded.last_uid, synced_at = excluded.synced_at", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	store_bind_text(stmt, 2, mailbox);
	sqlite3_bind_int64(stmt, 3, uidvalidity);
	sqlite3_bind_int64(stmt, 4, last_uid);
	sqlite3_bind_int64(stmt, 5, clock_now_unix()); /* the one clock, not SQLite's */
	return store_step_done(st, stmt, "write mailbox state", error_r);
}

