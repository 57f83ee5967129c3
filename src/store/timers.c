/* Timers (table timers): reminders and snoozed mail, due at a UTC time,
 * claimed with a lease and fired once (see store.h). */
#include "store/store-private.h"

#include <string.h>

static const char *const store_timer_state_names[] = {
	[STORE_TIMER_PENDING] = "pending",
	[STORE_TIMER_FIRING] = "firing",
	[STORE_TIMER_FIRED] = "fired",
	[STORE_TIMER_CANCELLED] = "cancelled",
	[STORE_TIMER_ANSWERED] = "answered",
};

const char *store_timer_state_name(store_timer_state state)
{
	if ((int)state < 0 || state >= STORE_TIMER_STATE_COUNT)
		return "unknown";
	return store_timer_state_names[state];
}

static store_timer_state store_timer_state_parse(const char *name)
{
	for (int i = 0; i < STORE_TIMER_STATE_COUNT; i++) {
		if (g_strcmp0(name, store_timer_state_names[i]) == 0)
			return (store_timer_state)i;
	}
	return STORE_TIMER_CANCELLED; /* unknown: never fired by this build */
}

void store_timer_free(store_timer *timer)
{
	if (timer == NULL)
		return;
	g_free(timer->client);
	g_free(timer->account);
	g_free(timer->mailbox);
	g_free(timer->message_id);
	g_free(timer->subject);
	g_free(timer->local_due);
	g_free(timer->options);
	g_free(timer->result);
	g_free(timer);
}

int store_timer_insert(store *st, const store_timer *timer, int64_t *id_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"INSERT INTO timers (client, account, kind, action_id, mailbox, uidvalidity, uid,"
		" message_id, subject, due_at, local_due, options, state, created_at)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, timer->client);
	store_bind_text(stmt, 2, timer->account);
	store_bind_text(stmt, 3, action_kind_name(timer->kind));
	if (timer->action_id > 0)
		sqlite3_bind_int64(stmt, 4, timer->action_id);
	else
		sqlite3_bind_null(stmt, 4);
	store_bind_text(stmt, 5, timer->mailbox);
	sqlite3_bind_int64(stmt, 6, timer->uidvalidity);
	sqlite3_bind_int64(stmt, 7, timer->uid);
	store_bind_text(stmt, 8, timer->message_id);
	store_bind_text(stmt, 9, timer->subject != NULL ? timer->subject : "");
	sqlite3_bind_int64(stmt, 10, timer->due_at);
	store_bind_text(stmt, 11, timer->local_due != NULL ? timer->local_due : "");
	store_bind_text(stmt, 12, timer->options != NULL ? timer->options : "");
	sqlite3_bind_int64(stmt, 13, timer->created_at);
	if (store_step_done(st, stmt, "set a timer", error_r) < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

#define STORE_TIMER_COLUMNS                                                        \
	"id, client, account, kind, action_id, mailbox, uidvalidity, uid, message_id,"   \
	" subject, due_at, local_due, options, state, lease_until, fired_at, result,"     \
	" created_at"

static store_timer *store_timer_from_row(sqlite3_stmt *stmt)
{
	store_timer *t = g_new0(store_timer, 1);

	t->id = sqlite3_column_int64(stmt, 0);
	t->client = store_column_strdup(stmt, 1);
	t->account = store_column_strdup(stmt, 2);
	t->kind = action_kind_from_name(store_column_text(stmt, 3));
	t->action_id = sqlite3_column_int64(stmt, 4);
	t->mailbox = store_column_strdup(stmt, 5);
	t->uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 6);
	t->uid = (uint32_t)sqlite3_column_int64(stmt, 7);
	t->message_id = store_column_strdup(stmt, 8);
	t->subject = store_column_strdup(stmt, 9);
	t->due_at = sqlite3_column_int64(stmt, 10);
	t->local_due = store_column_strdup(stmt, 11);
	t->options = store_column_strdup(stmt, 12);
	t->state = store_timer_state_parse(store_column_text(stmt, 13));
	t->lease_until = sqlite3_column_int64(stmt, 14);
	t->fired_at = sqlite3_column_int64(stmt, 15);
	t->result = store_column_strdup(stmt, 16);
	t->created_at = sqlite3_column_int64(stmt, 17);
	return t;
}

/* Step a bound SELECT of STORE_TIMER_COLUMNS to the end into *timers_r. */
static int store_timer_collect(store *st, sqlite3_stmt *stmt, GPtrArray **timers_r,
			       char **error_r)
{
	GPtrArray *timers = g_ptr_array_new_with_free_func((GDestroyNotify)store_timer_free);
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(timers, store_timer_from_row(stmt));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(timers);
		return store_fail(st, "read timers", error_r);
	}
	*timers_r = timers;
	return 0;
}

int store_timer_claim(store *st, int64_t now, int64_t lease_until, guint limit,
		      GPtrArray **claimed_r, char **error_r)
{
	g_autoptr(GPtrArray) claimed = NULL;
	sqlite3_stmt *stmt;

	if (store_transaction_begin(st, error_r) < 0)
		return -1;
	/* Both halves use the partial index timers_due (due_at, pending or
	 * firing): a hundred thousand timers waiting cost nothing here. */
	stmt = store_prepare(st,
		"SELECT " STORE_TIMER_COLUMNS " FROM timers"
		" WHERE due_at <= ?1 AND (state = 'pending' OR state = 'firing')"
		" AND (state = 'pending' OR lease_until <= ?1)"
		" ORDER BY due_at, id LIMIT ?2", error_r);
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int64(stmt, 2, limit);
	if (store_timer_collect(st, stmt, &claimed, error_r) < 0)
		goto fail;
	for (guint i = 0; i < claimed->len; i++) {
		store_timer *t = g_ptr_array_index(claimed, i);

		stmt = store_prepare(st, "UPDATE timers SET state = 'firing', lease_until = ?"
					 " WHERE id = ?", error_r);
		if (stmt == NULL)
			goto fail;
		sqlite3_bind_int64(stmt, 1, lease_until);
		sqlite3_bind_int64(stmt, 2, t->id);
		if (store_step_done(st, stmt, "claim a timer", error_r) < 0)
			goto fail;
		t->state = STORE_TIMER_FIRING;
		t->lease_until = lease_until;
	}
	if (store_transaction_commit(st, error_r) < 0)
		goto fail;
	*claimed_r = g_steal_pointer(&claimed);
	return 0;
fail:
	store_transaction_rollback(st);
	return -1;
}

int store_timer_finish(store *st, int64_t id, store_timer_state state, int64_t now,
		       const char *result, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE timers SET state = ?, lease_until = 0, result = ?,"
		" fired_at = CASE WHEN ?3 = 'fired' THEN ?4 ELSE fired_at END WHERE id = ?5",
		error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, store_timer_state_name(state));
	store_bind_text(stmt, 2, result != NULL ? result : "");
	store_bind_text(stmt, 3, store_timer_state_name(state));
	sqlite3_bind_int64(stmt, 4, now);
	sqlite3_bind_int64(stmt, 5, id);
	return store_step_done(st, stmt, "update a timer", error_r);
}

static int store_timer_update_one(store *st, sqlite3_stmt *stmt, const char *what,
				  char **error_r)
{
	if (stmt == NULL)
		return -1;
	if (store_step_done(st, stmt, what, error_r) < 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int store_timer_cancel(store *st, int64_t id, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE timers SET state = 'cancelled', result = 'cancelled by hand'"
		" WHERE id = ? AND state = 'pending'", error_r);

	if (stmt != NULL)
		sqlite3_bind_int64(stmt, 1, id);
	return store_timer_update_one(st, stmt, "cancel a timer", error_r);
}

int store_timer_make_due(store *st, int64_t id, int64_t now, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE timers SET due_at = ?, options = options || 'woken=1' || char(10)"
		" WHERE id = ? AND state = 'pending'", error_r);

	if (stmt != NULL) {
		sqlite3_bind_int64(stmt, 1, now);
		sqlite3_bind_int64(stmt, 2, id);
	}
	return store_timer_update_one(st, stmt, "wake a timer", error_r);
}

int store_timer_list(store *st, const char *client, action_kind kind, store_timer_state state,
		     GPtrArray **timers_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT " STORE_TIMER_COLUMNS " FROM timers WHERE (?1 IS NULL OR client = ?1)"
		" AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR state = ?3)"
		" ORDER BY due_at, id", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, client);
	store_bind_text(stmt, 2, kind == ACTION_KIND_UNKNOWN ? NULL : action_kind_name(kind));
	store_bind_text(stmt, 3, state == STORE_TIMER_STATE_COUNT ? NULL : store_timer_state_name(state));
	return store_timer_collect(st, stmt, timers_r, error_r);
}

int store_timer_get(store *st, int64_t id, store_timer **timer_r, char **error_r)
{
	g_autoptr(GPtrArray) timers = NULL;
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT " STORE_TIMER_COLUMNS " FROM timers WHERE id = ?", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	if (store_timer_collect(st, stmt, &timers, error_r) < 0)
		return -1;
	if (timers->len == 0)
		return 0;
	*timer_r = g_ptr_array_steal_index(timers, 0);
	return 1;
}

int store_timer_waiting_for(store *st, const char *account, const char *const *message_ids,
			    GPtrArray **timers_r, char **error_r)
{
	GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify)store_timer_free);

	for (guint i = 0; message_ids != NULL && message_ids[i] != NULL; i++) {
		g_autoptr(GPtrArray) found = NULL;
		sqlite3_stmt *stmt = store_prepare(st,
			"SELECT " STORE_TIMER_COLUMNS " FROM timers WHERE account = ? AND message_id = ?"
			" AND state = 'pending'", error_r);

		if (stmt == NULL)
			goto fail;
		store_bind_text(stmt, 1, account);
		store_bind_text(stmt, 2, message_ids[i]);
		if (store_timer_collect(st, stmt, &found, error_r) < 0)
			goto fail;
		while (found->len > 0)
			g_ptr_array_add(all, g_ptr_array_steal_index(found, 0));
	}
	*timers_r = all;
	return 0;
fail:
	g_ptr_array_unref(all);
	return -1;
}

int store_timer_next_due(store *st, int64_t now, int64_t *due_r, char **error_r)
{
	/* Both through the partial index timers_due, never a scan of the
	 * table (a hundred thousand waiting timers: bench-timers): the
	 * earliest pending timer is the index's first pending entry; a
	 * timer being fired was due when claimed, so its lease is among
	 * the entries due by now. */
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT coalesce(min(d), 0) FROM ("
		" SELECT (SELECT due_at FROM timers WHERE (state = 'pending' OR state = 'firing')"
		"  AND state = 'pending' ORDER BY due_at LIMIT 1) AS d"
		" UNION ALL SELECT max(due_at, lease_until) FROM timers"
		"  WHERE (state = 'pending' OR state = 'firing') AND due_at <= ?1"
		"  AND state = 'firing')", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, now);
	return store_step_int64(st, stmt, "read timers", due_r, error_r);
}

int store_timer_returned_ids(store *st, const char *account, const char *mailbox, int64_t now,
			     GHashTable *ids, char **error_r)
{
	/* Being fired: through timers_due (a firing timer was due when
	 * claimed). Fired: the journal's woken and reminded rows of the
	 * mailbox, through actions_message, as store_undone_message_ids. */
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT message_id FROM timers WHERE (state = 'pending' OR state = 'firing')"
		" AND due_at <= ?3 AND state = 'firing' AND account = ?1 AND message_id IS NOT NULL"
		" UNION SELECT message_id FROM actions WHERE account = ?1 AND mailbox = ?2"
		" AND (action = 'woken' OR action = 'reminded') AND message_id IS NOT NULL", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	store_bind_text(stmt, 2, mailbox);
	sqlite3_bind_int64(stmt, 3, now);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_hash_table_add(ids, store_column_strdup(stmt, 0));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "read timers", error_r);
	return 0;
}

int store_timer_reschedule(store *st, int64_t id, int64_t due_at, const char *local_due,
			   char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE timers SET due_at = ?, local_due = ? WHERE id = ? AND state = 'pending'",
		error_r);

	if (stmt != NULL) {
		sqlite3_bind_int64(stmt, 1, due_at);
		store_bind_text(stmt, 2, local_due);
		sqlite3_bind_int64(stmt, 3, id);
	}
	return store_timer_update_one(st, stmt, "reschedule a timer", error_r);
}
