/* The journal of actions (table actions): planned before they are
 * carried out, done or failed after, read back for recovery, undo,
 * `vea log` and the digest. */
#include "store/store-private.h"
#include "util/clock.h"

static const char *const store_state_names[] = {
	[STORE_ACTION_PLANNED] = "planned",
	[STORE_ACTION_DONE] = "done",
	[STORE_ACTION_FAILED] = "failed",
	[STORE_ACTION_SKIPPED] = "skipped",
};

static const char *const store_operation_names[] = {
	[STORE_OPERATION_NONE] = "none",
	[STORE_OPERATION_FLAGS] = "flags",
	[STORE_OPERATION_COPY] = "copy",
	[STORE_OPERATION_MOVE] = "move",
};

static store_operation store_operation_parse(const char *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(store_operation_names); i++) {
		if (g_strcmp0(name, store_operation_names[i]) == 0)
			return (store_operation)i;
	}
	return STORE_OPERATION_NONE;
}

const char *store_action_state_name(store_action_state state)
{
	return store_state_names[state];
}

static store_action_state store_action_state_parse(const char *name)
{
	if (g_strcmp0(name, "done") == 0)
		return STORE_ACTION_DONE;
	if (g_strcmp0(name, "failed") == 0)
		return STORE_ACTION_FAILED;
	if (g_strcmp0(name, "skipped") == 0)
		return STORE_ACTION_SKIPPED;
	return STORE_ACTION_PLANNED;
}

void store_action_free(store_action *action)
{
	if (action == NULL)
		return;
	g_free(action->client);
	g_free(action->account);
	g_free(action->mailbox);
	g_free(action->message_id);
	g_free(action->from);
	g_free(action->subject);
	g_free(action->rule_file);
	g_free(action->argument);
	g_free(action->result);
	g_free(action->reason);
	g_free(action);
}

int store_action_insert(store *st, const store_action *action, int64_t *id_r,
			char **error_r)
{
	sqlite3_stmt *stmt = store_prepare_cached(st, &st->action_insert,
		"INSERT INTO actions (client, account, mailbox, uidvalidity, uid, message_id,"
		" from_addr, subject, rule_file, rule_line, action, argument, state, result,"
		" created_at, operation, create_mailbox, reason)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, action->client);
	store_bind_text(stmt, 2, action->account);
	store_bind_text(stmt, 3, action->mailbox);
	sqlite3_bind_int64(stmt, 4, action->uidvalidity);
	sqlite3_bind_int64(stmt, 5, action->uid);
	store_bind_text(stmt, 6, action->message_id);
	store_bind_text(stmt, 7, action->from != NULL ? action->from : "");
	store_bind_text(stmt, 8, action->subject != NULL ? action->subject : "");
	store_bind_text(stmt, 9, action->rule_file);
	if (action->rule_file != NULL)
		sqlite3_bind_int(stmt, 10, action->rule_line);
	else
		sqlite3_bind_null(stmt, 10);
	store_bind_text(stmt, 11, action_kind_name(action->kind));
	store_bind_text(stmt, 12, action->argument != NULL ? action->argument : "");
	store_bind_text(stmt, 13, store_action_state_name(action->state));
	store_bind_text(stmt, 14, action->result != NULL ? action->result : "");
	sqlite3_bind_int64(stmt, 15, action->created_at != 0 ? action->created_at
							     : clock_now_unix());
	store_bind_text(stmt, 16, store_operation_names[action->operation]);
	sqlite3_bind_int(stmt, 17, action->create_mailbox ? 1 : 0);
	store_bind_text(stmt, 18, action->state == STORE_ACTION_FAILED ||
					  action->state == STORE_ACTION_SKIPPED ? action->reason : NULL);
	if (store_step_done_cached(st, stmt, "journal an action", error_r) < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static int store_action_finish(store *st, int64_t id, store_action_state state,
			       const char *result, const char *reason, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare_cached(st, &st->action_set_state,
		"UPDATE actions SET state = ?, result = ?, reason = ?, done_at = ?"
		" WHERE id = ?", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, store_action_state_name(state));
	store_bind_text(stmt, 2, result != NULL ? result : "");
	store_bind_text(stmt, 3, reason);
	sqlite3_bind_int64(stmt, 4, clock_now_unix());
	sqlite3_bind_int64(stmt, 5, id);
	return store_step_done_cached(st, stmt, "update an action", error_r);
}

int store_action_set_done(store *st, int64_t id, const char *result, char **error_r)
{
	return store_action_finish(st, id, STORE_ACTION_DONE, result != NULL ? result : "done",
				   NULL, error_r);
}

int store_action_set_failed(store *st, int64_t id, const char *reason, char **error_r)
{
	return store_action_finish(st, id, STORE_ACTION_FAILED, "",
				   reason != NULL ? reason : "unknown reason", error_r);
}

int store_action_set_undone(store *st, int64_t id, int64_t undo_id, char **error_r)
{
	g_autofree char *result = g_strdup_printf("undone by #%" G_GINT64_FORMAT, undo_id);
	sqlite3_stmt *stmt = store_prepare(st, "UPDATE actions SET undone_by = ?, result = ?"
					   " WHERE id = ?", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, undo_id);
	store_bind_text(stmt, 2, result);
	sqlite3_bind_int64(stmt, 3, id);
	return store_step_done(st, stmt, "mark an action undone", error_r);
}

#define STORE_ACTION_COLUMNS                                                    \
	"id, client, account, mailbox, uidvalidity, uid, message_id, from_addr,"  \
	" subject, rule_file, rule_line, action, argument, state, result, created_at,"	\
	" operation, create_mailbox, undone_by, reason"

static store_action *store_action_from_row(sqlite3_stmt *stmt)
{
	store_action *action = g_new0(store_action, 1);

	action->id = sqlite3_column_int64(stmt, 0);
	action->client = store_column_strdup(stmt, 1);
	action->account = store_column_strdup(stmt, 2);
	action->mailbox = store_column_strdup(stmt, 3);
	action->uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 4);
	action->uid = (uint32_t)sqlite3_column_int64(stmt, 5);
	action->message_id = store_column_strdup(stmt, 6);
	action->from = store_column_strdup(stmt, 7);
	action->subject = store_column_strdup(stmt, 8);
	action->rule_file = store_column_strdup(stmt, 9);
	action->rule_line = sqlite3_column_int(stmt, 10);
	action->kind = action_kind_from_name((const char *)sqlite3_column_text(stmt, 11));
	action->argument = store_column_strdup(stmt, 12);
	action->state = store_action_state_parse((const char *)sqlite3_column_text(stmt, 13));
	action->result = store_column_strdup(stmt, 14);
	action->created_at = sqlite3_column_int64(stmt, 15);
	action->operation = store_operation_parse((const char *)sqlite3_column_text(stmt, 16));
	action->create_mailbox = sqlite3_column_int(stmt, 17) != 0;
	action->undone_by = sqlite3_column_int64(stmt, 18);
	action->reason = store_column_strdup(stmt, 19);
	return action;
}

/* Step a bound SELECT of STORE_ACTION_COLUMNS to the end, finalize it, and
 * hand back its rows (GPtrArray of store_action *). */
static int store_actions_collect(store *st, sqlite3_stmt *stmt, const char *what,
				 GPtrArray **actions_r, char **error_r)
{
	GPtrArray *actions = g_ptr_array_new_with_free_func((GDestroyNotify)store_action_free);
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(actions, store_action_from_row(stmt));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(actions);
		return store_fail(st, what, error_r);
	}
	*actions_r = actions;
	return 0;
}

int store_actions_pending(store *st, const char *account, GPtrArray **actions_r,
			  char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT " STORE_ACTION_COLUMNS
					   " FROM actions WHERE account = ? AND state = 'planned'"
					   " ORDER BY id", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	return store_actions_collect(st, stmt, "read pending actions", actions_r, error_r);
}

int store_action_get(store *st, int64_t id, store_action **action_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT " STORE_ACTION_COLUMNS
					   " FROM actions WHERE id = ?", error_r);
	int rc;

	*action_r = NULL;
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*action_r = store_action_from_row(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, "read an action", error_r);
	return *action_r != NULL ? 1 : 0;
}

int store_undone_message_ids(store *st, const char *account, const char *mailbox,
			     GHashTable **ids_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT DISTINCT message_id FROM actions"
					   " WHERE account = ? AND mailbox = ? AND action = 'undo'"
					   " AND message_id IS NOT NULL", error_r);
	GHashTable *ids;
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	store_bind_text(stmt, 2, mailbox);
	ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_hash_table_add(ids, store_column_strdup(stmt, 0));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		g_hash_table_destroy(ids);
		return store_fail(st, "read undone messages", error_r);
	}
	*ids_r = ids;
	return 0;
}

int store_message_actions(store *st, const char *account, const char *message_id,
			  GPtrArray **actions_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT " STORE_ACTION_COLUMNS
					   " FROM actions WHERE account = ? AND message_id = ?"
					   " ORDER BY id", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	store_bind_text(stmt, 2, message_id);
	return store_actions_collect(st, stmt, "read a message's actions", actions_r, error_r);
}

int store_message_history(store *st, const store_action *row, GPtrArray **actions_r,
			  char **error_r)
{
	sqlite3_stmt *stmt;

	if (row->message_id != NULL)
		return store_message_actions(st, row->account, row->message_id, actions_r, error_r);
	stmt = store_prepare(st, "SELECT " STORE_ACTION_COLUMNS " FROM actions WHERE account = ?"
			     " AND mailbox = ? AND uidvalidity = ? AND uid = ? AND message_id IS NULL"
			     " ORDER BY id", error_r);
	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, row->account);
	store_bind_text(stmt, 2, row->mailbox);
	sqlite3_bind_int64(stmt, 3, row->uidvalidity);
	sqlite3_bind_int64(stmt, 4, row->uid);
	return store_actions_collect(st, stmt, "read a message's actions", actions_r, error_r);
}

const char *store_message_current_mailbox(const GPtrArray *history, const store_action *row)
{
	const char *where = row->mailbox;

	for (guint i = 0; history != NULL && i < history->len; i++) {
		const store_action *other = g_ptr_array_index(history, i);

		if (other->operation == STORE_OPERATION_MOVE && other->state == STORE_ACTION_DONE &&
		    other->undone_by == 0)
			where = other->argument;
	}
	return where;
}

int store_message_was_handled(store *st, const char *account, const char *mailbox,
			      const char *message_id, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT 1 FROM actions WHERE account = ?"
					   " AND mailbox = ? AND message_id = ? LIMIT 1", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	store_bind_text(stmt, 2, mailbox);
	store_bind_text(stmt, 3, message_id);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return store_fail(st, "look up a message", error_r);
	return 0;
}

int store_actions_foreach(store *st, const store_action_filter *filter,
			  store_action_callback *callback, void *context, char **error_r)
{
	/* The newest N, then shown oldest first, as `tail` would. */
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT * FROM (SELECT " STORE_ACTION_COLUMNS " FROM actions"
		" WHERE (?1 IS NULL OR client = ?1) AND (?2 IS NULL OR account = ?2)"
		" ORDER BY id DESC LIMIT ?3) ORDER BY id", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, filter->client);
	store_bind_text(stmt, 2, filter->account);
	sqlite3_bind_int64(stmt, 3, filter->limit > 0 ? filter->limit : -1);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_action *action = store_action_from_row(stmt);
		int ret = callback(action, context);

		store_action_free(action);
		if (ret < 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "read the journal", error_r);
	return 0;
}

