/* The outbox (table outbox) and vacation tracking (vacation_responses):
 * what vea sends, queued in the transaction that journals it, claimed by
 * a sender with a lease, sent at least once. */
#include "store/store-private.h"

#include <string.h>

static const char *const store_outbox_state_names[] = {
	[STORE_OUTBOX_QUEUED] = "queued",
	[STORE_OUTBOX_SENDING] = "sending",
	[STORE_OUTBOX_SENT] = "sent",
	[STORE_OUTBOX_FAILED] = "failed",
	[STORE_OUTBOX_HELD] = "held",
	[STORE_OUTBOX_CANCELLED] = "cancelled",
};

const char *store_outbox_state_name(store_outbox_state state)
{
	if ((int)state < 0 || state >= STORE_OUTBOX_STATE_COUNT)
		return "unknown";
	return store_outbox_state_names[state];
}

static store_outbox_state store_outbox_state_parse(const char *name)
{
	for (int i = 0; i < STORE_OUTBOX_STATE_COUNT; i++) {
		if (g_strcmp0(name, store_outbox_state_names[i]) == 0)
			return (store_outbox_state)i;
	}
	return STORE_OUTBOX_HELD; /* unknown: never sent by this build */
}

void store_outbox_message_free(store_outbox_message *message)
{
	if (message == NULL)
		return;
	g_free(message->client);
	g_free(message->account);
	g_free(message->message_id);
	g_free(message->mail_from);
	g_strfreev(message->recipients);
	g_free(message->data);
	g_free(message->result);
	g_free(message->sent_copy);
	g_free(message);
}

int store_outbox_insert(store *st, const store_outbox_message *message, int64_t *id_r,
			char **error_r)
{
	g_autofree char *recipients = g_strjoinv("\n", message->recipients);
	sqlite3_stmt *stmt = store_prepare(st,
		"INSERT INTO outbox (client, account, kind, action_id, message_id, mail_from,"
		" recipients, data, size, state, next_attempt_at, expires_at, result, created_at,"
		" sent_copy) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, '', ?, ?)", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, message->client);
	store_bind_text(stmt, 2, message->account);
	store_bind_text(stmt, 3, action_kind_name(message->kind));
	if (message->action_id > 0)
		sqlite3_bind_int64(stmt, 4, message->action_id);
	else
		sqlite3_bind_null(stmt, 4);
	store_bind_text(stmt, 5, message->message_id);
	store_bind_text(stmt, 6, message->mail_from != NULL ? message->mail_from : "");
	store_bind_text(stmt, 7, recipients);
	sqlite3_bind_blob64(stmt, 8, message->data, message->size, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 9, (sqlite3_int64)message->size);
	sqlite3_bind_int64(stmt, 10, message->next_attempt_at);
	sqlite3_bind_int64(stmt, 11, message->expires_at);
	sqlite3_bind_int64(stmt, 12, message->created_at);
	store_bind_text(stmt, 13, message->sent_copy != NULL ? message->sent_copy : "");
	if (store_step_done(st, stmt, "queue a message", error_r) < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

#define STORE_OUTBOX_COLUMNS                                                       \
	"id, client, account, kind, action_id, message_id, mail_from, recipients, size,"  \
	" state, attempts, resends, next_attempt_at, lease_until, expires_at, last_reply," \
	" result, created_at, sent_at, sent_copy"

/* A row of STORE_OUTBOX_COLUMNS, then data when with_data (column 20). */
static store_outbox_message *store_outbox_from_row(sqlite3_stmt *stmt, gboolean with_data)
{
	store_outbox_message *m = g_new0(store_outbox_message, 1);
	const char *recipients = store_column_text(stmt, 7);

	m->id = sqlite3_column_int64(stmt, 0);
	m->client = store_column_strdup(stmt, 1);
	m->account = store_column_strdup(stmt, 2);
	m->kind = action_kind_from_name(store_column_text(stmt, 3));
	m->action_id = sqlite3_column_int64(stmt, 4);
	m->message_id = store_column_strdup(stmt, 5);
	m->mail_from = store_column_strdup(stmt, 6);
	m->recipients = *recipients != '\0' ? g_strsplit(recipients, "\n", -1) : g_new0(char *, 1);
	m->size = (size_t)sqlite3_column_int64(stmt, 8);
	m->state = store_outbox_state_parse(store_column_text(stmt, 9));
	m->attempts = sqlite3_column_int(stmt, 10);
	m->resends = sqlite3_column_int(stmt, 11);
	m->next_attempt_at = sqlite3_column_int64(stmt, 12);
	m->lease_until = sqlite3_column_int64(stmt, 13);
	m->expires_at = sqlite3_column_int64(stmt, 14);
	m->last_reply = sqlite3_column_int(stmt, 15);
	m->result = store_column_strdup(stmt, 16);
	m->created_at = sqlite3_column_int64(stmt, 17);
	m->sent_at = sqlite3_column_int64(stmt, 18);
	m->sent_copy = store_column_strdup(stmt, 19);
	if (with_data) {
		const void *blob = sqlite3_column_blob(stmt, 20);
		int n = sqlite3_column_bytes(stmt, 20);

		m->data = g_malloc((gsize)n + 1);
		if (n > 0)
			memcpy(m->data, blob, (size_t)n);
		m->data[n] = '\0';
		m->size = (size_t)n;
	}
	return m;
}

int store_outbox_claim(store *st, int64_t now, int64_t lease_until, guint limit,
		       GPtrArray **claimed_r, char **error_r)
{
	g_autoptr(GPtrArray) claimed = g_ptr_array_new_with_free_func(
		(GDestroyNotify)store_outbox_message_free);
	sqlite3_stmt *stmt;
	int rc;

	if (store_transaction_begin(st, error_r) < 0)
		return -1;
	stmt = store_prepare(st,
		"SELECT " STORE_OUTBOX_COLUMNS ", data FROM outbox"
		" WHERE (state = 'queued' AND next_attempt_at <= ?1)"
		"    OR (state = 'sending' AND lease_until <= ?1)"
		" ORDER BY next_attempt_at, id LIMIT ?2", error_r);
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int64(stmt, 2, limit);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(claimed, store_outbox_from_row(stmt, TRUE));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		store_fail(st, "read the outbox", error_r);
		goto fail;
	}
	for (guint i = 0; i < claimed->len; i++) {
		store_outbox_message *m = g_ptr_array_index(claimed, i);
		/* A lease that ran out while sending: the sender died or hung
		 * after the data went out, perhaps after the server's 250. The
		 * same bytes go again (at least once, never lost). */
		gboolean resend = m->state == STORE_OUTBOX_SENDING;

		stmt = store_prepare(st,
			"UPDATE outbox SET state = 'sending', attempts = attempts + 1,"
			" resends = resends + ?, lease_until = ? WHERE id = ?", error_r);
		if (stmt == NULL)
			goto fail;
		sqlite3_bind_int(stmt, 1, resend ? 1 : 0);
		sqlite3_bind_int64(stmt, 2, lease_until);
		sqlite3_bind_int64(stmt, 3, m->id);
		if (store_step_done(st, stmt, "claim a message", error_r) < 0)
			goto fail;
		m->state = STORE_OUTBOX_SENDING;
		m->attempts++;
		m->resends += resend;
		m->lease_until = lease_until;
	}
	if (store_transaction_commit(st, error_r) < 0)
		goto fail;
	*claimed_r = g_steal_pointer(&claimed);
	return 0;
fail:
	store_transaction_rollback(st);
	return -1;
}

int store_outbox_sent(store *st, int64_t id, int64_t now, int reply, const char *result,
		      char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE outbox SET state = 'sent', sent_at = ?, lease_until = 0, last_reply = ?,"
		" result = ? WHERE id = ?", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int(stmt, 2, reply);
	store_bind_text(stmt, 3, result != NULL ? result : "");
	sqlite3_bind_int64(stmt, 4, id);
	if (store_step_done(st, stmt, "mark a message sent", error_r) < 0)
		return -1;
	/* RFC 5230 4.2: the period runs from the reply actually sent. */
	stmt = store_prepare(st, "UPDATE vacation_responses SET expires_at = ? + period"
				 " WHERE outbox_id = ?", error_r);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int64(stmt, 2, id);
	return store_step_done(st, stmt, "track a vacation response", error_r);
}

int store_outbox_retry(store *st, int64_t id, int64_t next_attempt_at, int reply,
		       const char *result, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE outbox SET state = 'queued', lease_until = 0, next_attempt_at = ?,"
		" last_reply = ?, result = ? WHERE id = ?", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, next_attempt_at);
	sqlite3_bind_int(stmt, 2, reply);
	store_bind_text(stmt, 3, result != NULL ? result : "");
	sqlite3_bind_int64(stmt, 4, id);
	return store_step_done(st, stmt, "requeue a message", error_r);
}

int store_outbox_finish(store *st, int64_t id, store_outbox_state state, int reply,
			const char *result, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE outbox SET state = ?, lease_until = 0, last_reply = ?, result = ?"
		" WHERE id = ?", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, store_outbox_state_name(state));
	sqlite3_bind_int(stmt, 2, reply);
	store_bind_text(stmt, 3, result != NULL ? result : "");
	sqlite3_bind_int64(stmt, 4, id);
	return store_step_done(st, stmt, "update a message", error_r);
}

/* Run an UPDATE with one id and say whether it changed a row. */
static int store_outbox_update_one(store *st, sqlite3_stmt *stmt, const char *what,
				   char **error_r)
{
	if (stmt == NULL)
		return -1;
	if (store_step_done(st, stmt, what, error_r) < 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int store_outbox_release(store *st, int64_t id, int64_t now, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE outbox SET state = 'queued', next_attempt_at = ?, lease_until = 0,"
		" expires_at = max(expires_at, ? + 86400)"
		" WHERE id = ? AND (state = 'failed' OR state = 'held' OR state = 'queued')",
		error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int64(stmt, 2, now);
	sqlite3_bind_int64(stmt, 3, id);
	return store_outbox_update_one(st, stmt, "release a message", error_r);
}

int store_outbox_cancel(store *st, int64_t id, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE outbox SET state = 'cancelled', lease_until = 0, result = 'cancelled by vea outbox cancel'"
		" WHERE id = ? AND (state = 'queued' OR state = 'held' OR state = 'failed')", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	return store_outbox_update_one(st, stmt, "cancel a message", error_r);
}

int store_outbox_get(store *st, int64_t id, store_outbox_message **message_r,
		     char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT " STORE_OUTBOX_COLUMNS ", data FROM outbox WHERE id = ?", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*message_r = store_outbox_from_row(stmt, TRUE);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return store_fail(st, "read the outbox", error_r);
	return 0;
}

int store_outbox_list(store *st, const char *client, guint limit, GPtrArray **messages_r,
		      char **error_r)
{
	g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func(
		(GDestroyNotify)store_outbox_message_free);
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT " STORE_OUTBOX_COLUMNS " FROM outbox WHERE (?1 IS NULL OR client = ?1)"
		" ORDER BY id DESC LIMIT ?2", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, client);
	sqlite3_bind_int64(stmt, 2, limit > 0 ? (sqlite3_int64)limit : -1);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(messages, store_outbox_from_row(stmt, FALSE));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "read the outbox", error_r);
	*messages_r = g_steal_pointer(&messages);
	return 0;
}

int store_outbox_counts(store *st, const char *client, guint *counts_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT state, count(*) FROM outbox WHERE (?1 IS NULL OR client = ?1)"
		" GROUP BY state", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	memset(counts_r, 0, sizeof(*counts_r) * STORE_OUTBOX_STATE_COUNT);
	store_bind_text(stmt, 1, client);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		counts_r[store_outbox_state_parse(store_column_text(stmt, 0))] +=
			(guint)sqlite3_column_int64(stmt, 1);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "count the outbox", error_r);
	return 0;
}

int store_outbox_count_since(store *st, const char *client, action_kind kind, int64_t since,
			     guint *count_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT count(*) FROM outbox WHERE client = ? AND kind = ? AND created_at >= ?",
		error_r);
	int64_t n = 0;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, client);
	store_bind_text(stmt, 2, action_kind_name(kind));
	sqlite3_bind_int64(stmt, 3, since);
	if (store_step_int64(st, stmt, "count the outbox", &n, error_r) < 0)
		return -1;
	*count_r = (guint)n;
	return 0;
}

int store_outbox_next_due(store *st, int64_t *due_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT coalesce(min(CASE state WHEN 'queued' THEN next_attempt_at"
		" ELSE lease_until END), 0) FROM outbox"
		" WHERE state = 'queued' OR state = 'sending'", error_r);

	if (stmt == NULL)
		return -1;
	return store_step_int64(st, stmt, "read the outbox", due_r, error_r);
}

int store_vacation_answered(store *st, const char *client, const char *sender,
			    const char *handle, int64_t now, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT count(*) FROM vacation_responses v JOIN outbox o ON o.id = v.outbox_id"
		" WHERE v.client = ? AND v.sender = ? AND v.handle = ?"
		" AND ((o.state = 'sent' AND v.expires_at > ?)"
		"      OR o.state = 'queued' OR o.state = 'sending' OR o.state = 'held')", error_r);
	int64_t n = 0;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, client);
	store_bind_text(stmt, 2, sender);
	store_bind_text(stmt, 3, handle);
	sqlite3_bind_int64(stmt, 4, now);
	if (store_step_int64(st, stmt, "read vacation responses", &n, error_r) < 0)
		return -1;
	return n > 0 ? 1 : 0;
}

int store_vacation_track(store *st, const char *client, const char *sender,
			 const char *handle, int64_t outbox_id, int64_t period,
			 char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"INSERT INTO vacation_responses (client, sender, handle, outbox_id, period)"
		" VALUES (?, ?, ?, ?, ?)", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, client);
	store_bind_text(stmt, 2, sender);
	store_bind_text(stmt, 3, handle);
	sqlite3_bind_int64(stmt, 4, outbox_id);
	sqlite3_bind_int64(stmt, 5, period);
	return store_step_done(st, stmt, "track a vacation response", error_r);
}

int store_outbox_has_message_id(store *st, const char *message_id, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT count(*) FROM outbox WHERE message_id = ?",
					   error_r);
	int64_t n = 0;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, message_id);
	if (store_step_int64(st, stmt, "read the outbox", &n, error_r) < 0)
		return -1;
	return n > 0 ? 1 : 0;
}

int store_outbox_renew(store *st, int64_t id, int64_t lease_until, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE outbox SET lease_until = max(lease_until, ?) WHERE id = ? AND state = 'sending'",
		error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, lease_until);
	sqlite3_bind_int64(stmt, 2, id);
	return store_step_done(st, stmt, "renew a lease", error_r);
}

int store_outbox_sent_copies_wanted(store *st, const char *account, GPtrArray **messages_r,
				    char **error_r)
{
	GPtrArray *messages = g_ptr_array_new_with_free_func(
		(GDestroyNotify)store_outbox_message_free);
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT " STORE_OUTBOX_COLUMNS ", data FROM outbox"
		" WHERE account = ? AND sent_copy = 'wanted' AND state = 'sent' ORDER BY id", error_r);
	int rc;

	if (stmt == NULL) {
		g_ptr_array_unref(messages);
		return -1;
	}
	store_bind_text(stmt, 1, account);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(messages, store_outbox_from_row(stmt, TRUE));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(messages);
		return store_fail(st, "read the messages to file in Sent", error_r);
	}
	*messages_r = messages;
	return 0;
}

int store_outbox_set_sent_copy(store *st, int64_t id, const char *sent_copy, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "UPDATE outbox SET sent_copy = ? WHERE id = ?",
					   error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, sent_copy);
	sqlite3_bind_int64(stmt, 2, id);
	return store_step_done(st, stmt, "record the Sent copy", error_r);
}
