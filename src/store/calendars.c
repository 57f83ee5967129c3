/* Copies of the calendars (tables calendar_sources, calendar_objects):
 * what the last sync saw, so the next one asks only for what changed. */
#include "store/store-private.h"

#include <string.h>

void store_calendar_source_clear(store_calendar_source *source)
{
	g_free(source->sync_token);
	g_free(source->ctag);
	g_free(source->feed_etag);
	g_free(source->feed_modified);
	memset(source, 0, sizeof *source);
}

static void store_calendar_source_empty(store_calendar_source *source)
{
	memset(source, 0, sizeof *source);
	source->sync_token = g_strdup("");
	source->ctag = g_strdup("");
	source->feed_etag = g_strdup("");
	source->feed_modified = g_strdup("");
}

int store_calendar_source_get(store *st, const char *calendar, const char *source_key,
			      store_calendar_source *source_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT s.id, s.sync_token, s.ctag, s.feed_etag, s.feed_modified, s.synced_at,"
		" (SELECT COUNT(*) FROM calendar_objects o WHERE o.source = s.id)"
		" FROM calendar_sources s WHERE s.calendar = ? AND s.source_key = ?", error_r);
	int rc;

	store_calendar_source_empty(source_r);
	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, calendar);
	store_bind_text(stmt, 2, source_key);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		store_calendar_source_clear(source_r);
		source_r->id = sqlite3_column_int64(stmt, 0);
		source_r->sync_token = g_strdup(store_column_text(stmt, 1));
		source_r->ctag = g_strdup(store_column_text(stmt, 2));
		source_r->feed_etag = g_strdup(store_column_text(stmt, 3));
		source_r->feed_modified = g_strdup(store_column_text(stmt, 4));
		source_r->synced_at = sqlite3_column_int64(stmt, 5);
		source_r->objects = sqlite3_column_int64(stmt, 6);
	}
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return store_fail(st, "read a calendar's sync state", error_r);
	return 0;
}

int store_calendar_source_save(store *st, const char *calendar, const char *source_key,
			       store_calendar_source *source, char **error_r)
{
	sqlite3_stmt *stmt;
	int64_t id = 0;

	stmt = store_prepare(st,
		"INSERT INTO calendar_sources (calendar, source_key, sync_token, ctag, feed_etag,"
		" feed_modified, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
		" ON CONFLICT (calendar, source_key) DO UPDATE SET sync_token = excluded.sync_token,"
		" ctag = excluded.ctag, feed_etag = excluded.feed_etag,"
		" feed_modified = excluded.feed_modified, synced_at = excluded.synced_at", error_r);
	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, calendar);
	store_bind_text(stmt, 2, source_key);
	store_bind_text(stmt, 3, source->sync_token != NULL ? source->sync_token : "");
	store_bind_text(stmt, 4, source->ctag != NULL ? source->ctag : "");
	store_bind_text(stmt, 5, source->feed_etag != NULL ? source->feed_etag : "");
	store_bind_text(stmt, 6, source->feed_modified != NULL ? source->feed_modified : "");
	sqlite3_bind_int64(stmt, 7, source->synced_at);
	if (store_step_done(st, stmt, "save a calendar's sync state", error_r) < 0)
		return -1;
	/* The id by the key rather than last_insert_rowid: an update
	 * inserts nothing (and a second backend has no rowid). */
	stmt = store_prepare(st, "SELECT id FROM calendar_sources WHERE calendar = ? AND source_key = ?",
			     error_r);
	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, calendar);
	store_bind_text(stmt, 2, source_key);
	if (store_step_int64(st, stmt, "read a calendar's id", &id, error_r) < 0)
		return -1;
	source->id = id;
	return 0;
}

int store_calendar_object_put(store *st, int64_t source, const store_calendar_object *o,
			      char **error_r)
{
	sqlite3_stmt *stmt = store_prepare_cached(st, &st->calendar_object_put,
		"INSERT INTO calendar_objects (source, href, etag, data, first_start, last_end,"
		" instances, instances_from, instances_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
		" ON CONFLICT (source, href) DO UPDATE SET etag = excluded.etag, data = excluded.data,"
		" first_start = excluded.first_start, last_end = excluded.last_end,"
		" instances = excluded.instances, instances_from = excluded.instances_from,"
		" instances_to = excluded.instances_to", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, source);
	store_bind_text(stmt, 2, o->href);
	store_bind_text(stmt, 3, o->etag != NULL ? o->etag : "");
	store_bind_text(stmt, 4, o->data != NULL ? o->data : "");
	if (o->first_start == INT64_MIN)
		sqlite3_bind_null(stmt, 5);
	else
		sqlite3_bind_int64(stmt, 5, o->first_start);
	if (o->last_end == INT64_MAX)
		sqlite3_bind_null(stmt, 6);
	else
		sqlite3_bind_int64(stmt, 6, o->last_end);
	if (o->instances != NULL)
		sqlite3_bind_blob64(stmt, 7, o->instances, o->instances_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, 7);
	sqlite3_bind_int64(stmt, 8, o->instances_from);
	sqlite3_bind_int64(stmt, 9, o->instances_to);
	return store_step_done_cached(st, stmt, "save a calendar object", error_r);
}

int store_calendar_object_delete(store *st, int64_t source, const char *href, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "DELETE FROM calendar_objects WHERE source = ? AND href = ?",
					   error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, source);
	store_bind_text(stmt, 2, href);
	return store_step_done(st, stmt, "delete a calendar object", error_r);
}

int store_calendar_object_set_instances(store *st, int64_t source, const char *href,
					const void *instances, size_t instances_len, int64_t from,
					int64_t to, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE calendar_objects SET instances = ?, instances_from = ?, instances_to = ?"
		" WHERE source = ? AND href = ?", error_r);

	if (stmt == NULL)
		return -1;
	if (instances != NULL)
		sqlite3_bind_blob64(stmt, 1, instances, instances_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, 1);
	sqlite3_bind_int64(stmt, 2, from);
	sqlite3_bind_int64(stmt, 3, to);
	sqlite3_bind_int64(stmt, 4, source);
	store_bind_text(stmt, 5, href);
	return store_step_done(st, stmt, "save a calendar object's events", error_r);
}

int store_calendar_objects_clear(store *st, int64_t source, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "DELETE FROM calendar_objects WHERE source = ?", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, source);
	return store_step_done(st, stmt, "clear a calendar's copy", error_r);
}

int store_calendar_etags(store *st, int64_t source, GHashTable **etags_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT href, etag FROM calendar_objects WHERE source = ?",
					   error_r);
	int rc;

	*etags_r = NULL;
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, source);
	*etags_r = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_hash_table_insert(*etags_r, store_column_strdup(stmt, 0), store_column_strdup(stmt, 1));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		g_clear_pointer(etags_r, g_hash_table_unref);
		return store_fail(st, "read a calendar's ETags", error_r);
	}
	return 0;
}

int store_calendar_objects_foreach(store *st, int64_t source, int64_t from, int64_t to,
				   store_calendar_object_callback *callback, void *context,
				   char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT href, etag, data, first_start, last_end, instances, instances_from, instances_to"
		" FROM calendar_objects WHERE source = ?"
		" AND (first_start IS NULL OR first_start < ?) AND (last_end IS NULL OR last_end > ?)",
		error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, source);
	sqlite3_bind_int64(stmt, 2, to);
	sqlite3_bind_int64(stmt, 3, from);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_calendar_object o = {
			.href = store_column_text(stmt, 0),
			.etag = store_column_text(stmt, 1),
			.data = store_column_text(stmt, 2),
			.first_start = sqlite3_column_type(stmt, 3) == SQLITE_NULL ? INT64_MIN
										 : sqlite3_column_int64(stmt, 3),
			.last_end = sqlite3_column_type(stmt, 4) == SQLITE_NULL ? INT64_MAX
									       : sqlite3_column_int64(stmt, 4),
			.instances = sqlite3_column_blob(stmt, 5),
			.instances_len = (size_t)sqlite3_column_bytes(stmt, 5),
			.instances_from = sqlite3_column_int64(stmt, 6),
			.instances_to = sqlite3_column_int64(stmt, 7),
		};

		if (callback(&o, context) < 0) {
			sqlite3_finalize(stmt);
			return -1;
		}
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "read a calendar's copy", error_r);
	return 0;
}

int store_calendar_sources_forget(store *st, const char *const *keep, guint *forgotten_r,
				  char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT id, calendar, source_key FROM calendar_sources",
					   error_r);
	g_autoptr(GArray) gone = g_array_new(FALSE, FALSE, sizeof(int64_t));
	int rc;

	if (forgotten_r != NULL)
		*forgotten_r = 0;
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *calendar = store_column_text(stmt, 1);
		const char *key = store_column_text(stmt, 2);
		gboolean kept = FALSE;

		for (const char *const *k = keep; k != NULL && k[0] != NULL && k[1] != NULL && !kept; k += 2)
			kept = strcmp(k[0], calendar) == 0 && strcmp(k[1], key) == 0;
		if (!kept) {
			int64_t id = sqlite3_column_int64(stmt, 0);

			g_array_append_val(gone, id);
		}
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "read the calendars' copies", error_r);
	for (guint i = 0; i < gone->len; i++) {
		int64_t id = g_array_index(gone, int64_t, i);

		/* The objects first, by hand: no reliance on the backend's
		 * cascading. */
		if (store_calendar_objects_clear(st, id, error_r) < 0)
			return -1;
		stmt = store_prepare(st, "DELETE FROM calendar_sources WHERE id = ?", error_r);
		if (stmt == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, id);
		if (store_step_done(st, stmt, "forget a calendar's copy", error_r) < 0)
			return -1;
	}
	if (forgotten_r != NULL)
		*forgotten_r = gone->len;
	return 0;
}
