/* Answers to invitations (table schedule_decisions), see store.h. */
#include "store/store-private.h"

#include <string.h>

static const char *const store_schedule_state_names[] = {
	[STORE_SCHEDULE_WAITING] = "waiting",
	[STORE_SCHEDULE_SENT] = "sent",
	[STORE_SCHEDULE_DRAFTED] = "drafted",
	[STORE_SCHEDULE_DECLINED] = "declined",
	[STORE_SCHEDULE_CANCELLED] = "cancelled",
	[STORE_SCHEDULE_SUPERSEDED] = "superseded",
	[STORE_SCHEDULE_FAILED] = "failed",
};

const char *store_schedule_state_name(store_schedule_state state)
{
	if ((int)state < 0 || state >= STORE_SCHEDULE_STATE_COUNT)
		return "unknown";
	return store_schedule_state_names[state];
}

static store_schedule_state store_schedule_state_parse(const char *name)
{
	for (int i = 0; i < STORE_SCHEDULE_STATE_COUNT; i++) {
		if (g_strcmp0(name, store_schedule_state_names[i]) == 0)
			return (store_schedule_state)i;
	}
	return STORE_SCHEDULE_FAILED;
}

void store_schedule_free(store_schedule *d)
{
	if (d == NULL)
		return;
	g_free(d->client);
	g_free(d->account);
	g_free(d->event_uid);
	g_free(d->method);
	g_free(d->organizer);
	g_free(d->summary);
	g_free(d->start_local);
	g_free(d->partstat);
	g_free(d->mode);
	g_free(d->verdict);
	g_free(d->reply_message_id);
	g_free(d->reply);
	g_free(d->request);
	g_free(d->stored);
	g_free(d->route);
	g_free(d->result);
	g_free(d->declined_instances);
	g_free(d->reply_whole);
	g_free(d);
}

int store_schedule_insert(store *st, const store_schedule *d, int64_t *id_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE schedule_decisions SET state = 'superseded', result = 'a newer invitation came'"
		" WHERE client = ? AND event_uid = ? AND state = 'waiting' AND sequence <= ?", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, d->client);
	store_bind_text(stmt, 2, d->event_uid);
	sqlite3_bind_int(stmt, 3, d->sequence);
	if (store_step_done(st, stmt, "supersede older decisions", error_r) < 0)
		return -1;
	stmt = store_prepare(st,
		"INSERT INTO schedule_decisions (client, account, action_id, event_uid, sequence, method,"
		" organizer, summary, start_at, start_local, partstat, mode, verdict, state,"
		" reply_message_id, reply, request, outbox_id, stored, result, created_at, decided_at,"
		" declined_instances, route, reply_whole)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error_r);
	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, d->client);
	store_bind_text(stmt, 2, d->account);
	if (d->action_id > 0)
		sqlite3_bind_int64(stmt, 3, d->action_id);
	else
		sqlite3_bind_null(stmt, 3);
	store_bind_text(stmt, 4, d->event_uid);
	sqlite3_bind_int(stmt, 5, d->sequence);
	store_bind_text(stmt, 6, d->method);
	store_bind_text(stmt, 7, d->organizer != NULL ? d->organizer : "");
	store_bind_text(stmt, 8, d->summary != NULL ? d->summary : "");
	sqlite3_bind_int64(stmt, 9, d->start_at);
	store_bind_text(stmt, 10, d->start_local != NULL ? d->start_local : "");
	store_bind_text(stmt, 11, d->partstat != NULL ? d->partstat : "");
	store_bind_text(stmt, 12, d->mode != NULL ? d->mode : "approve");
	store_bind_text(stmt, 13, d->verdict != NULL ? d->verdict : "");
	store_bind_text(stmt, 14, store_schedule_state_name(d->state));
	store_bind_text(stmt, 15, d->reply_message_id != NULL ? d->reply_message_id : "");
	if (d->reply != NULL)
		sqlite3_bind_blob64(stmt, 16, d->reply, d->reply_size, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(stmt, 16);
	store_bind_text(stmt, 17, d->request != NULL ? d->request : "");
	if (d->outbox_id > 0)
		sqlite3_bind_int64(stmt, 18, d->outbox_id);
	else
		sqlite3_bind_null(stmt, 18);
	store_bind_text(stmt, 19, d->stored != NULL ? d->stored : "");
	store_bind_text(stmt, 20, d->result != NULL ? d->result : "");
	sqlite3_bind_int64(stmt, 21, d->created_at);
	if (d->decided_at > 0)
		sqlite3_bind_int64(stmt, 22, d->decided_at);
	else
		sqlite3_bind_null(stmt, 22);
	store_bind_text(stmt, 23, d->declined_instances != NULL ? d->declined_instances : "");
	store_bind_text(stmt, 24, d->route != NULL ? d->route : "mail");
	if (d->reply_whole != NULL)
		sqlite3_bind_blob64(stmt, 25, d->reply_whole, d->reply_whole_size, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(stmt, 25);
	if (store_step_done(st, stmt, "record an answer to an invitation", error_r) < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_schedule_last_sequence(store *st, const char *client, const char *event_uid,
				 int *sequence_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT coalesce(max(sequence), -1) FROM schedule_decisions"
		" WHERE client = ? AND event_uid = ?", error_r);
	int64_t v = -1;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, client);
	store_bind_text(stmt, 2, event_uid);
	if (store_step_int64(st, stmt, "read an event's decisions", &v, error_r) < 0)
		return -1;
	*sequence_r = (int)v;
	return 0;
}

#define STORE_SCHEDULE_COLUMNS                                                     \
	"id, client, account, coalesce(action_id, 0), event_uid, sequence, method,"     \
	" organizer, summary, start_at, start_local, partstat, mode, verdict, state,"   \
	" reply_message_id, coalesce(outbox_id, 0), stored, result, created_at,"        \
	" coalesce(decided_at, 0), declined_instances, route"

/* A row of STORE_SCHEDULE_COLUMNS, then reply and request when full. */
static store_schedule *store_schedule_from_row(sqlite3_stmt *stmt, gboolean full)
{
	store_schedule *d = g_new0(store_schedule, 1);

	d->id = sqlite3_column_int64(stmt, 0);
	d->client = store_column_strdup(stmt, 1);
	d->account = store_column_strdup(stmt, 2);
	d->action_id = sqlite3_column_int64(stmt, 3);
	d->event_uid = store_column_strdup(stmt, 4);
	d->sequence = sqlite3_column_int(stmt, 5);
	d->method = store_column_strdup(stmt, 6);
	d->organizer = store_column_strdup(stmt, 7);
	d->summary = store_column_strdup(stmt, 8);
	d->start_at = sqlite3_column_int64(stmt, 9);
	d->start_local = store_column_strdup(stmt, 10);
	d->partstat = store_column_strdup(stmt, 11);
	d->mode = store_column_strdup(stmt, 12);
	d->verdict = store_column_strdup(stmt, 13);
	d->state = store_schedule_state_parse(store_column_text(stmt, 14));
	d->reply_message_id = store_column_strdup(stmt, 15);
	d->outbox_id = sqlite3_column_int64(stmt, 16);
	d->stored = store_column_strdup(stmt, 17);
	d->result = store_column_strdup(stmt, 18);
	d->created_at = sqlite3_column_int64(stmt, 19);
	d->decided_at = sqlite3_column_int64(stmt, 20);
	d->declined_instances = store_column_strdup(stmt, 21);
	d->route = store_column_strdup(stmt, 22);
	if (full) {
		const void *blob = sqlite3_column_blob(stmt, 23);
		int n = sqlite3_column_bytes(stmt, 23);

		if (blob != NULL) {
			d->reply = g_malloc((gsize)n + 1);
			memcpy(d->reply, blob, (size_t)n);
			d->reply[n] = '\0';
			d->reply_size = (size_t)n;
		}
		d->request = store_column_strdup(stmt, 24);
		blob = sqlite3_column_blob(stmt, 25);
		n = sqlite3_column_bytes(stmt, 25);
		if (blob != NULL) {
			d->reply_whole = g_malloc((gsize)n + 1);
			memcpy(d->reply_whole, blob, (size_t)n);
			d->reply_whole[n] = '\0';
			d->reply_whole_size = (size_t)n;
		}
	}
	return d;
}

static int store_schedule_collect(store *st, sqlite3_stmt *stmt, gboolean full,
				  GPtrArray **decisions_r, char **error_r)
{
	GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)store_schedule_free);
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(list, store_schedule_from_row(stmt, full));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(list);
		return store_fail(st, "read answers to invitations", error_r);
	}
	*decisions_r = list;
	return 0;
}

int store_schedule_list(store *st, const char *client, int state, gboolean full,
			GPtrArray **decisions_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		full ? "SELECT " STORE_SCHEDULE_COLUMNS ", reply, request, reply_whole FROM schedule_decisions"
		       " WHERE (?1 IS NULL OR client = ?1) AND (?2 IS NULL OR state = ?2)"
		       " ORDER BY id DESC"
		     : "SELECT " STORE_SCHEDULE_COLUMNS " FROM schedule_decisions"
		       " WHERE (?1 IS NULL OR client = ?1) AND (?2 IS NULL OR state = ?2)"
		       " ORDER BY id DESC", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, client);
	store_bind_text(stmt, 2, state >= 0 ? store_schedule_state_name((store_schedule_state)state)
					    : NULL);
	return store_schedule_collect(st, stmt, full, decisions_r, error_r);
}

int store_schedule_get(store *st, int64_t id, store_schedule **decision_r, char **error_r)
{
	g_autoptr(GPtrArray) list = NULL;
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT " STORE_SCHEDULE_COLUMNS ", reply, request, reply_whole FROM schedule_decisions WHERE id = ?",
		error_r);

	*decision_r = NULL;
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	if (store_schedule_collect(st, stmt, TRUE, &list, error_r) < 0)
		return -1;
	if (list->len == 0)
		return 0;
	*decision_r = g_ptr_array_steal_index(list, 0);
	return 1;
}

/* Only a waiting decision changes; 1 changed, 0 not waiting. */
static int store_schedule_update_waiting(store *st, int64_t id, store_schedule_state state,
					 const char *result, int64_t outbox_id, int64_t now,
					 char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE schedule_decisions SET state = ?, result = ?, decided_at = ?,"
		" outbox_id = CASE WHEN ?4 > 0 THEN ?4 ELSE outbox_id END"
		" WHERE id = ?5 AND state = 'waiting'", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, store_schedule_state_name(state));
	store_bind_text(stmt, 2, result != NULL ? result : "");
	sqlite3_bind_int64(stmt, 3, now);
	sqlite3_bind_int64(stmt, 4, outbox_id);
	sqlite3_bind_int64(stmt, 5, id);
	if (store_step_done(st, stmt, "record an answer to an invitation", error_r) < 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int store_schedule_approve(store *st, int64_t id, const store_outbox_message *message,
			   gboolean whole, int64_t now, char **error_r)
{
	int64_t outbox_id = 0;
	int changed;
	g_autofree char *result = NULL;

	if (store_transaction_begin(st, error_r) < 0)
		return -1;
	changed = store_schedule_update_waiting(st, id, STORE_SCHEDULE_SENT, "approved",
						0, now, error_r);
	if (changed <= 0)
		goto out;
	if (message == NULL) {
		/* RFC 6638: the calendar server sends the REPLY once vea
		 * run has written the PARTSTAT (stored is still ''). */
		result = g_strdup("approved; answered through the calendar server (RFC 6638)");
	} else {
		if (store_outbox_insert(st, message, &outbox_id, error_r) < 0)
			goto fail;
		result = g_strdup_printf("approved; queued (outbox #%" G_GINT64_FORMAT ")", outbox_id);
	}
	{
		sqlite3_stmt *stmt = store_prepare(st,
			"UPDATE schedule_decisions SET outbox_id = CASE WHEN ?1 > 0 THEN ?1 END,"
			" result = ?2,"
			/* whole: the series answered for every instance. */
			" reply = CASE WHEN ?4 AND reply_whole IS NOT NULL THEN reply_whole ELSE reply END,"
			" declined_instances = CASE WHEN ?4 AND reply_whole IS NOT NULL THEN ''"
			"   ELSE declined_instances END"
			" WHERE id = ?3", error_r);

		if (stmt == NULL)
			goto fail;
		sqlite3_bind_int64(stmt, 1, outbox_id);
		store_bind_text(stmt, 2, result);
		sqlite3_bind_int64(stmt, 3, id);
		sqlite3_bind_int(stmt, 4, whole ? 1 : 0);
		if (store_step_done(st, stmt, "record an approved answer", error_r) < 0)
			goto fail;
	}
	{
		int64_t action_id = 0;
		sqlite3_stmt *stmt = store_prepare(st,
			"SELECT coalesce(action_id, 0) FROM schedule_decisions WHERE id = ?", error_r);

		if (stmt == NULL)
			goto fail;
		sqlite3_bind_int64(stmt, 1, id);
		if (store_step_int64(st, stmt, "read an approved answer", &action_id, error_r) < 0)
			goto fail;
		if (action_id > 0 && store_action_set_done(st, action_id, result, error_r) < 0)
			goto fail;
	}
out:
	if (changed < 0)
		goto fail;
	if (store_transaction_commit(st, error_r) < 0)
		goto fail;
	return changed;
fail:
	store_transaction_rollback(st);
	return -1;
}

int store_schedule_finish(store *st, int64_t id, store_schedule_state state, const char *result,
			  int64_t now, char **error_r)
{
	return store_schedule_update_waiting(st, id, state, result, 0, now, error_r);
}

int store_schedule_to_store(store *st, const char *account, GPtrArray **decisions_r,
			    char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT " STORE_SCHEDULE_COLUMNS ", reply, request, reply_whole FROM schedule_decisions"
		" WHERE account = ? AND (state = 'sent' OR state = 'cancelled') AND stored = ''"
		" ORDER BY id", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	return store_schedule_collect(st, stmt, TRUE, decisions_r, error_r);
}

int store_schedule_set_stored(store *st, int64_t id, const char *stored, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE schedule_decisions SET stored = ? WHERE id = ?", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, stored);
	sqlite3_bind_int64(stmt, 2, id);
	return store_step_done(st, stmt, "record the calendar write", error_r);
}

int store_schedule_reroute_mail(store *st, int64_t id, const store_outbox_message *message,
				const char *result, char **error_r)
{
	int64_t outbox_id = 0;
	sqlite3_stmt *stmt;

	if (store_transaction_begin(st, error_r) < 0)
		return -1;
	if (store_outbox_insert(st, message, &outbox_id, error_r) < 0)
		goto fail;
	stmt = store_prepare(st,
		"UPDATE schedule_decisions SET route = 'mail', outbox_id = ?, result = ? WHERE id = ?",
		error_r);
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, outbox_id);
	store_bind_text(stmt, 2, result);
	sqlite3_bind_int64(stmt, 3, id);
	if (store_step_done(st, stmt, "send an answer by mail", error_r) < 0)
		goto fail;
	if (store_transaction_commit(st, error_r) < 0)
		goto fail;
	return 0;
fail:
	store_transaction_rollback(st);
	return -1;
}

void store_schedule_reply_message(const store_schedule *d, const char *mail_from, int64_t now,
				  char *recipients[2], store_outbox_message *m_r)
{
	recipients[0] = d->organizer;
	recipients[1] = NULL;
	*m_r = (store_outbox_message){
		.client = d->client,
		.account = d->account,
		.kind = ACTION_SCHEDULE,
		.action_id = d->action_id,
		.message_id = d->reply_message_id,
		.mail_from = (char *)mail_from,
		.recipients = recipients,
		.data = d->reply,
		.size = d->reply_size,
		.next_attempt_at = now,
		.expires_at = now + STORE_SCHEDULE_REPLY_LIFETIME,
		.created_at = now,
		.sent_copy = "wanted",
	};
}
