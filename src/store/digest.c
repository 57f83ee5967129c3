/* The digest's reads of the journal (what vea did for a client, grouped
 * and counted) and its rows (table digests: one per client and local
 * date, claimed with a lease). What the digest says and when it goes out
 * are src/digest/'s. */
#include "store/store-private.h"

#include <string.h>

/* ---- reading the journal ---- */

/* The range of the journal a digest reads: the client (?1), ids after the
 * last digest (?2) up to the cutoff (?3), and not vea's own digests,
 * which land in a watched mailbox and get triaged like any message. */
#define STORE_DIGEST_RANGE \
	" client = ?1 AND id > ?2 AND id <= ?3" \
	" AND (message_id IS NULL OR message_id NOT LIKE 'vea-digest.%')"

static void store_digest_bind_range(sqlite3_stmt *stmt, const store_digest_range *range)
{
	store_bind_text(stmt, 1, range->client);
	sqlite3_bind_int64(stmt, 2, range->after_id);
	sqlite3_bind_int64(stmt, 3, range->last_id);
}

int store_digest_last_sent(store *st, const char *client, int64_t *id_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT COALESCE(max(last_action_id), 0) FROM digests WHERE client = ? AND state = 'sent'",
		error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, client);
	if (store_step_int64(st, stmt, "read the digests sent", id_r, error_r) < 0)
		return -1;
	return 0;
}

int store_journal_cutoff(store *st, const char *client, int64_t *id_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT COALESCE((SELECT min(id) - 1 FROM actions WHERE client = ?1 AND state = 'planned'),"
		" (SELECT max(id) FROM actions WHERE client = ?1), 0)", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, client);
	if (store_step_int64(st, stmt, "read the journal", id_r, error_r) < 0)
		return -1;
	return 0;
}

/* One number from a query over the range. */
static int store_digest_count(store *st, const char *sql, const store_digest_range *range,
			      const char *what, guint *count_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, sql, error_r);
	int64_t count = 0;

	if (stmt == NULL)
		return -1;
	store_digest_bind_range(stmt, range);
	if (store_step_int64(st, stmt, what, &count, error_r) < 0)
		return -1;
	*count_r = (guint)count;
	return 0;
}

int store_digest_count_handled(store *st, const store_digest_range *range, guint *count_r,
			       char **error_r)
{
	return store_digest_count(st, "SELECT count(*) FROM (SELECT DISTINCT account, mailbox,"
				  " uidvalidity, uid FROM actions WHERE" STORE_DIGEST_RANGE ")",
				  range, "count", count_r, error_r);
}

int store_digest_count_failed(store *st, const store_digest_range *range, guint *count_r,
			      char **error_r)
{
	return store_digest_count(st, "SELECT count(*) FROM actions WHERE" STORE_DIGEST_RANGE
				  " AND state = 'failed'", range, "count", count_r, error_r);
}

/* Flagged by a rule: "\Flagged" in a done addflag that was not undone,
 * since range->flagged_since (?5) rather than only since the last digest,
 * one row per message. */
#define STORE_DIGEST_FLAGGED \
	" FROM actions WHERE client = ?1 AND id <= ?3 AND created_at >= ?5" \
	" AND (message_id IS NULL OR message_id NOT LIKE 'vea-digest.%')" \
	" AND action = 'addflag'" \
	" AND state = 'done' AND instr(lower(argument), '\\flagged') > 0" \
	" AND undone_by IS NULL" \
	" GROUP BY account, mailbox, uidvalidity, uid"

int store_digest_flagged_totals(store *st, const store_digest_range *range, GHashTable *totals,
				char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT account, count(*) FROM"
					   " (SELECT account" STORE_DIGEST_FLAGGED ") GROUP BY account",
					   error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_digest_bind_range(stmt, range);
	sqlite3_bind_int64(stmt, 5, range->flagged_since);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_hash_table_insert(totals, g_strdup(store_column_text(stmt, 0)),
				    GUINT_TO_POINTER((guint)sqlite3_column_int64(stmt, 1)));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "count flagged messages", error_r);
	return 0;
}

int store_digest_flagged_ids(store *st, const store_digest_range *range, int limit, GArray *ids,
			     char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT max(id)" STORE_DIGEST_FLAGGED
					   " ORDER BY 1 DESC LIMIT ?4", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_digest_bind_range(stmt, range);
	sqlite3_bind_int(stmt, 4, limit);
	sqlite3_bind_int64(stmt, 5, range->flagged_since);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(stmt, 0);

		g_array_append_val(ids, id);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "read flagged messages", error_r);
	return 0;
}

int store_digest_destinations_foreach(store *st, const store_digest_range *range,
				      action_kind action, store_digest_count_callback *callback,
				      void *context, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT argument, count(*) AS n FROM actions WHERE" STORE_DIGEST_RANGE
		" AND state = 'done' AND action = ?4 GROUP BY argument"
		" ORDER BY n DESC, argument", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_digest_bind_range(stmt, range);
	store_bind_text(stmt, 4, action_kind_name(action));
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		callback(store_column_text(stmt, 0), (guint)sqlite3_column_int64(stmt, 1), context);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "count actions", error_r);
	return 0;
}

int store_digest_examples_foreach(store *st, const store_digest_range *range, action_kind action,
				  int limit, store_digest_example_callback *callback,
				  void *context, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT from_addr, subject, argument FROM actions WHERE" STORE_DIGEST_RANGE
		" AND state = 'done' AND action = ?4 ORDER BY id DESC LIMIT ?5", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_digest_bind_range(stmt, range);
	store_bind_text(stmt, 4, action_kind_name(action));
	sqlite3_bind_int(stmt, 5, limit);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		callback(store_column_text(stmt, 0), store_column_text(stmt, 1),
			 store_column_text(stmt, 2), context);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "read examples", error_r);
	return 0;
}

/* ---- the digests' rows ---- */

void store_digest_row_clear(store_digest_row *row)
{
	g_free(row->state);
	g_free(row->message_id);
	memset(row, 0, sizeof(*row));
}

int store_digest_row_get(store *st, const char *client, const char *local_date,
			 store_digest_row *row_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT id, state, message_id, attempts, next_attempt_at, lease_until"
		" FROM digests WHERE client = ? AND local_date = ? AND manual = 0", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, client);
	store_bind_text(stmt, 2, local_date);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		row_r->id = sqlite3_column_int64(stmt, 0);
		row_r->state = store_column_strdup(stmt, 1);
		row_r->message_id = store_column_strdup(stmt, 2);
		row_r->attempts = sqlite3_column_int(stmt, 3);
		row_r->next_attempt_at = sqlite3_column_int64(stmt, 4);
		row_r->lease_until = sqlite3_column_int64(stmt, 5);
	}
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return store_fail(st, "read digests", error_r);
	return 0;
}

int store_digest_row_insert(store *st, const store_digest_new *row, int64_t *id_r,
			    char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"INSERT INTO digests (client, local_date, manual, state, due_at, message_id,"
		" attempts, next_attempt_at, lease_until, result, created_at)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, row->client);
	store_bind_text(stmt, 2, row->local_date);
	sqlite3_bind_int64(stmt, 3, row->manual ? 1 : 0);
	store_bind_text(stmt, 4, row->state);
	sqlite3_bind_int64(stmt, 5, row->due_at);
	store_bind_text(stmt, 6, row->message_id);
	sqlite3_bind_int64(stmt, 7, row->attempts);
	sqlite3_bind_int64(stmt, 8, row->next_attempt_at);
	sqlite3_bind_int64(stmt, 9, row->lease_until);
	store_bind_text(stmt, 10, row->result);
	sqlite3_bind_int64(stmt, 11, row->created_at);
	if (store_step_done(st, stmt, "update digests", error_r) < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_digest_row_claim(store *st, int64_t id, int64_t lease_until, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE digests SET state = 'sending', attempts = attempts + 1, lease_until = ?"
		" WHERE id = ?", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, lease_until);
	sqlite3_bind_int64(stmt, 2, id);
	return store_step_done(st, stmt, "update digests", error_r);
}

int store_digest_row_sent(store *st, int64_t id, const store_digest_sent *sent, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE digests SET state = 'sent', sent_at = ?, lease_until = 0,"
		" last_action_id = ?, needs_you = ?, handled = ?, size = ?,"
		" result = ? WHERE id = ?", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, sent->sent_at);
	sqlite3_bind_int64(stmt, 2, sent->last_action_id);
	sqlite3_bind_int64(stmt, 3, sent->needs_you);
	sqlite3_bind_int64(stmt, 4, sent->handled);
	sqlite3_bind_int64(stmt, 5, sent->size);
	store_bind_text(stmt, 6, sent->result);
	sqlite3_bind_int64(stmt, 7, id);
	return store_step_done(st, stmt, "update digests", error_r);
}

int store_digest_row_retry(store *st, int64_t id, int64_t next_attempt_at, const char *result,
			   char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE digests SET state = 'pending', lease_until = 0, next_attempt_at = ?,"
		" result = ? WHERE id = ?", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, next_attempt_at);
	store_bind_text(stmt, 2, result);
	sqlite3_bind_int64(stmt, 3, id);
	return store_step_done(st, stmt, "update digests", error_r);
}

int store_digest_row_finish(store *st, int64_t id, const char *state, const char *result,
			    char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE digests SET state = ?, lease_until = 0, result = ? WHERE id = ?", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, state);
	store_bind_text(stmt, 2, result);
	sqlite3_bind_int64(stmt, 3, id);
	return store_step_done(st, stmt, "update digests", error_r);
}
