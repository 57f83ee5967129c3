/* Reply drafts (table drafts): recorded with their journal row, APPENDed
 * once, then watched for what the executive did with them (see store.h). */
#include "store/store-private.h"

#include <string.h>

static const char *const store_draft_state_names[] = {
	[STORE_DRAFT_PENDING] = "pending",
	[STORE_DRAFT_WRITTEN] = "written",
	[STORE_DRAFT_FAILED] = "failed",
};

static const char *const store_draft_status_names[] = {
	[STORE_DRAFT_WAITING] = "waiting",
	[STORE_DRAFT_EDITED] = "edited",
	[STORE_DRAFT_SENT] = "sent",
	[STORE_DRAFT_DISCARDED] = "discarded",
	[STORE_DRAFT_APPROVED] = "approved",
};

const char *store_draft_state_name(store_draft_state state)
{
	if ((int)state < 0 || (size_t)state >= G_N_ELEMENTS(store_draft_state_names))
		return "unknown";
	return store_draft_state_names[state];
}

const char *store_draft_status_name(store_draft_status status)
{
	if ((int)status < 0 || status >= STORE_DRAFT_STATUS_COUNT)
		return "unknown";
	return store_draft_status_names[status];
}

static int store_draft_name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (g_strcmp0(names[i], name) == 0)
			return (int)i;
	}
	return 0;
}

void store_draft_free(store_draft *draft)
{
	if (draft == NULL)
		return;
	g_free(draft->client);
	g_free(draft->account);
	g_free(draft->draft_id);
	g_free(draft->message_id);
	g_free(draft->in_reply_to);
	g_free(draft->subject);
	g_free(draft->recipients);
	g_free(draft->mailbox);
	g_free(draft->data);
	g_free(draft->result);
	g_free(draft->approved_in);
	g_free(draft->machine);
	g_free(draft);
}

int store_draft_insert(store *st, const store_draft *draft, int64_t *id_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"INSERT INTO drafts (client, account, action_id, draft_id, message_id, in_reply_to,"
		" subject, recipients, mailbox, data, size, state, created_at, machine)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, draft->client);
	store_bind_text(stmt, 2, draft->account);
	if (draft->action_id > 0)
		sqlite3_bind_int64(stmt, 3, draft->action_id);
	else
		sqlite3_bind_null(stmt, 3);
	store_bind_text(stmt, 4, draft->draft_id);
	store_bind_text(stmt, 5, draft->message_id);
	store_bind_text(stmt, 6, draft->in_reply_to != NULL ? draft->in_reply_to : "");
	store_bind_text(stmt, 7, draft->subject != NULL ? draft->subject : "");
	store_bind_text(stmt, 8, draft->recipients != NULL ? draft->recipients : "");
	store_bind_text(stmt, 9, draft->mailbox != NULL ? draft->mailbox : "");
	sqlite3_bind_blob64(stmt, 10, draft->data, draft->size, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 11, (sqlite3_int64)draft->size);
	sqlite3_bind_int64(stmt, 12, draft->created_at);
	store_bind_text(stmt, 13, draft->machine != NULL ? draft->machine : "");
	if (store_step_done(st, stmt, "record a draft", error_r) < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

#define STORE_DRAFT_COLUMNS                                                         \
	"id, client, account, action_id, draft_id, message_id, in_reply_to, subject,"     \
	" recipients, mailbox, size, state, attempts, uidvalidity, uid, status, result,"  \
	" created_at, written_at, checked_at, approved_at, approved_in, approved_uid,"     \
	" coalesce(outbox_id, 0), machine"

/* A row of STORE_DRAFT_COLUMNS, then data when with_data (column 25). */
static store_draft *store_draft_from_row(sqlite3_stmt *stmt, gboolean with_data)
{
	store_draft *d = g_new0(store_draft, 1);

	d->id = sqlite3_column_int64(stmt, 0);
	d->client = store_column_strdup(stmt, 1);
	d->account = store_column_strdup(stmt, 2);
	d->action_id = sqlite3_column_int64(stmt, 3);
	d->draft_id = store_column_strdup(stmt, 4);
	d->message_id = store_column_strdup(stmt, 5);
	d->in_reply_to = store_column_strdup(stmt, 6);
	d->subject = store_column_strdup(stmt, 7);
	d->recipients = store_column_strdup(stmt, 8);
	d->mailbox = store_column_strdup(stmt, 9);
	d->size = (size_t)sqlite3_column_int64(stmt, 10);
	d->state = (store_draft_state)store_draft_name_index(
		store_draft_state_names, G_N_ELEMENTS(store_draft_state_names),
		store_column_text(stmt, 11));
	d->attempts = sqlite3_column_int(stmt, 12);
	d->uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 13);
	d->uid = (uint32_t)sqlite3_column_int64(stmt, 14);
	d->status = (store_draft_status)store_draft_name_index(
		store_draft_status_names, G_N_ELEMENTS(store_draft_status_names),
		store_column_text(stmt, 15));
	d->result = store_column_strdup(stmt, 16);
	d->created_at = sqlite3_column_int64(stmt, 17);
	d->written_at = sqlite3_column_int64(stmt, 18);
	d->checked_at = sqlite3_column_int64(stmt, 19);
	d->approved_at = sqlite3_column_int64(stmt, 20);
	d->approved_in = store_column_strdup(stmt, 21);
	d->approved_uid = (uint32_t)sqlite3_column_int64(stmt, 22);
	d->outbox_id = sqlite3_column_int64(stmt, 23);
	d->machine = store_column_strdup(stmt, 24);
	if (with_data) {
		const void *blob = sqlite3_column_blob(stmt, 25);
		int n = sqlite3_column_bytes(stmt, 25);

		d->data = g_malloc((gsize)n + 1);
		if (n > 0)
			memcpy(d->data, blob, (size_t)n);
		d->data[n] = '\0';
		d->size = (size_t)n;
	}
	return d;
}

static int store_drafts_collect(store *st, sqlite3_stmt *stmt, gboolean with_data,
				GPtrArray **drafts_r, char **error_r)
{
	GPtrArray *drafts = g_ptr_array_new_with_free_func((GDestroyNotify)store_draft_free);
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(drafts, store_draft_from_row(stmt, with_data));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(drafts);
		return store_fail(st, "read drafts", error_r);
	}
	*drafts_r = drafts;
	return 0;
}

int store_drafts_pending(store *st, const char *account, GPtrArray **drafts_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT " STORE_DRAFT_COLUMNS ", data FROM drafts"
		" WHERE account = ? AND state = 'pending' ORDER BY id", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	return store_drafts_collect(st, stmt, TRUE, drafts_r, error_r);
}

int store_draft_attempt(store *st, int64_t id, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE drafts SET attempts = attempts + 1 WHERE id = ?", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	return store_step_done(st, stmt, "count an APPEND of a draft", error_r);
}

/* The draft's journal row. */
static int store_draft_action_id(store *st, int64_t id, int64_t *action_id_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT coalesce(action_id, 0) FROM drafts WHERE id = ?", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	return store_step_int64(st, stmt, "read a draft", action_id_r, error_r);
}

int store_draft_written(store *st, int64_t id, const char *mailbox, uint32_t uidvalidity,
			uint32_t uid, int64_t now, const char *result, char **error_r)
{
	sqlite3_stmt *stmt;
	int64_t action_id = 0;

	if (store_transaction_begin(st, error_r) < 0)
		return -1;
	stmt = store_prepare(st,
		"UPDATE drafts SET state = 'written', mailbox = ?, uidvalidity = ?, uid = ?,"
		" written_at = ?, checked_at = ?4, result = ? WHERE id = ?", error_r);
	if (stmt == NULL)
		goto fail;
	store_bind_text(stmt, 1, mailbox);
	sqlite3_bind_int64(stmt, 2, uidvalidity);
	sqlite3_bind_int64(stmt, 3, uid);
	sqlite3_bind_int64(stmt, 4, now);
	store_bind_text(stmt, 5, result);
	sqlite3_bind_int64(stmt, 6, id);
	if (store_step_done(st, stmt, "record a written draft", error_r) < 0 ||
	    store_draft_action_id(st, id, &action_id, error_r) < 0)
		goto fail;
	if (action_id > 0 && store_action_set_done(st, action_id, result, error_r) < 0)
		goto fail;
	return store_transaction_commit(st, error_r) < 0 ? (store_transaction_rollback(st), -1) : 0;
fail:
	store_transaction_rollback(st);
	return -1;
}

int store_draft_failed(store *st, int64_t id, const char *reason, char **error_r)
{
	sqlite3_stmt *stmt;
	int64_t action_id = 0;

	if (store_transaction_begin(st, error_r) < 0)
		return -1;
	stmt = store_prepare(st, "UPDATE drafts SET state = 'failed', result = ? WHERE id = ?",
			     error_r);
	if (stmt == NULL)
		goto fail;
	store_bind_text(stmt, 1, reason);
	sqlite3_bind_int64(stmt, 2, id);
	if (store_step_done(st, stmt, "record a failed draft", error_r) < 0 ||
	    store_draft_action_id(st, id, &action_id, error_r) < 0)
		goto fail;
	if (action_id > 0 && store_action_set_failed(st, action_id, reason, error_r) < 0)
		goto fail;
	return store_transaction_commit(st, error_r) < 0 ? (store_transaction_rollback(st), -1) : 0;
fail:
	store_transaction_rollback(st);
	return -1;
}

int store_draft_set_status(store *st, int64_t id, store_draft_status status, uint32_t uid,
			   int64_t now, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE drafts SET status = ?, checked_at = ?,"
		" uid = CASE WHEN ?3 > 0 THEN ?3 ELSE uid END WHERE id = ?4", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, store_draft_status_name(status));
	sqlite3_bind_int64(stmt, 2, now);
	sqlite3_bind_int64(stmt, 3, uid);
	sqlite3_bind_int64(stmt, 4, id);
	return store_step_done(st, stmt, "record what became of a draft", error_r);
}

int store_drafts_list(store *st, const char *client, int state, guint limit,
		      GPtrArray **drafts_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT " STORE_DRAFT_COLUMNS " FROM drafts WHERE (?1 IS NULL OR client = ?1)"
		" AND (?2 IS NULL OR state = ?2) ORDER BY created_at DESC, id DESC"
		" LIMIT CASE WHEN ?3 > 0 THEN ?3 ELSE -1 END", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, client);
	store_bind_text(stmt, 2, state >= 0 ? store_draft_state_name((store_draft_state)state)
					    : NULL);
	sqlite3_bind_int64(stmt, 3, limit);
	return store_drafts_collect(st, stmt, FALSE, drafts_r, error_r);
}

int store_drafts_open(store *st, const char *account, GPtrArray **drafts_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT " STORE_DRAFT_COLUMNS " FROM drafts WHERE account = ? AND state = 'written'"
		" AND (status = 'waiting' OR status = 'edited' OR status = 'approved') ORDER BY id",
		error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	return store_drafts_collect(st, stmt, FALSE, drafts_r, error_r);
}

int store_draft_set_approval(store *st, int64_t id, int64_t approved_at, const char *mailbox,
			     uint32_t uid, store_draft_status status, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE drafts SET approved_at = ?, approved_in = ?, approved_uid = ?, status = ?"
		" WHERE id = ?", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, approved_at);
	store_bind_text(stmt, 2, approved_at > 0 ? mailbox : "");
	sqlite3_bind_int64(stmt, 3, approved_at > 0 ? uid : 0);
	store_bind_text(stmt, 4, store_draft_status_name(approved_at > 0 ? STORE_DRAFT_APPROVED
									  : status));
	sqlite3_bind_int64(stmt, 5, id);
	return store_step_done(st, stmt, "record a draft's approval", error_r);
}

int store_draft_queue_send(store *st, int64_t id, const store_outbox_message *message,
			   const char *approval, const char *result, int64_t now, char **error_r)
{
	sqlite3_stmt *stmt;
	int64_t outbox_id = 0, action_id = 0;
	int known;

	if (store_transaction_begin(st, error_r) < 0)
		return -1;
	known = store_outbox_has_message_id(st, message->message_id, error_r);
	if (known != 0)
		goto out;
	if (store_draft_action_id(st, id, &action_id, error_r) < 0)
		goto fail;
	{
		/* The send is an action of its own in the journal, next to the
		 * draft's: vea log shows both, and the sender records the
		 * outcome on it. */
		store_action *draft_row = NULL;
		store_outbox_message queued = *message;
		int found = action_id > 0 ? store_action_get(st, action_id, &draft_row, error_r) : 0;

		if (found < 0)
			goto fail;
		if (found == 0) {
			/* Every send has its journal row: no row, no mail. */
			*error_r = g_strdup("the draft has no journal row; not sent");
			goto fail;
		}
		{
			store_action send = *draft_row;
			int64_t send_id = 0;

			send.id = 0;
			send.kind = ACTION_SEND;
			send.operation = STORE_OPERATION_NONE;
			send.argument = (char *)approval;
			send.state = STORE_ACTION_DONE;
			send.result = (char *)result;
			send.reason = NULL;
			send.create_mailbox = FALSE;
			if (store_action_insert(st, &send, &send_id, error_r) < 0) {
				store_action_free(draft_row);
				goto fail;
			}
			queued.action_id = send_id;
		}
		store_action_free(draft_row);
		if (store_outbox_insert(st, &queued, &outbox_id, error_r) < 0)
			goto fail;
	}
	stmt = store_prepare(st, "UPDATE drafts SET status = 'sent', outbox_id = ?, checked_at = ?"
				 " WHERE id = ?", error_r);
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, outbox_id);
	sqlite3_bind_int64(stmt, 2, now);
	sqlite3_bind_int64(stmt, 3, id);
	if (store_step_done(st, stmt, "record a draft sent", error_r) < 0)
		goto fail;
out:
	if (known < 0)
		goto fail;
	if (known > 0) {
		/* Queued already (an earlier round committed the send):
		 * the draft is sent, not approved again at every sync. */
		stmt = store_prepare(st, "UPDATE drafts SET status = 'sent', checked_at = ?"
					 " WHERE id = ?", error_r);
		if (stmt == NULL)
			goto fail;
		sqlite3_bind_int64(stmt, 1, now);
		sqlite3_bind_int64(stmt, 2, id);
		if (store_step_done(st, stmt, "record a draft sent", error_r) < 0)
			goto fail;
	}
	if (store_transaction_commit(st, error_r) < 0)
		goto fail;
	return known == 0 ? 1 : 0;
fail:
	store_transaction_rollback(st);
	return -1;
}
