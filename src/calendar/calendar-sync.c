/* A client's calendars into one index: see calendar-sync.h. */
#include "calendar/calendar-sync.h"
#include "util/clock.h"
#include "util/process.h"

#include <string.h>

caldav_client *calendar_connect(const conf_calendar *cal, char **error_r)
{
	caldav_params params = { .calendar_id = cal->id, .url = cal->url, .user = cal->user };
	char *secret = NULL;
	caldav_client *client;

	if (cal->password_cmd != NULL || cal->oauth2_token_cmd != NULL) {
		const char *key = cal->password_cmd != NULL ? "password_cmd" : "oauth2_token_cmd";
		char *error = NULL;

		secret = process_run_secret_command(cal->password_cmd != NULL ? cal->password_cmd
									  : cal->oauth2_token_cmd, &error);
		if (secret == NULL) {
			*error_r = g_strdup_printf("calendar %s: %s: %s", cal->id, key, error);
			g_free(error);
			return NULL;
		}
	}
	if (cal->oauth2_token_cmd != NULL)
		params.bearer = secret;
	else
		params.password = secret;
	client = caldav_client_new(&params);
	if (secret != NULL)
		process_secret_free(secret);
	if (client == NULL)
		*error_r = g_strdup_printf("calendar %s: cannot start an HTTP request (libcurl)", cal->id);
	return client;
}

const conf_calendar *calendar_find(const conf *c, const char *id)
{
	for (guint i = 0; i < c->calendars->len; i++) {
		const conf_calendar *cal = g_ptr_array_index(c->calendars, i);

		if (strcmp(cal->id, id) == 0)
			return cal;
	}
	return NULL;
}

const conf_calendar *calendar_find_primary(const conf *c, const conf_client *client)
{
	for (guint i = 0; i < c->calendars->len; i++) {
		const conf_calendar *cal = g_ptr_array_index(c->calendars, i);

		if (cal->client == client && cal->role == CALENDAR_ROLE_PRIMARY)
			return cal;
	}
	return NULL;
}

void calendar_index_set_client(calendar_index *index, const conf_client *client)
{
	g_autoptr(GPtrArray) owner = g_ptr_array_new();

	if (client->email != NULL)
		g_ptr_array_add(owner, client->email);
	for (char **a = client->aliases; a != NULL && *a != NULL; a++)
		g_ptr_array_add(owner, *a);
	g_ptr_array_add(owner, NULL);
	calendar_index_set_owner(index, (const char *const *)owner->pdata);
}

/* Without a copy: the window whole, as before there were copies. */
static int calendar_sync_whole(calendar_index *index, const conf_calendar *cal, int64_t from, int64_t to,
			       calendar_sync_stats *stats, char **error_r)
{
	caldav_client *dav = calendar_connect(cal, error_r);
	int status = -1;

	if (dav == NULL)
		return -1;
	if (cal->feed) {
		g_autofree char *body = NULL;
		char *error = NULL;

		if (caldav_get(dav, NULL, &body, NULL, error_r) < 0)
			goto out;
		if (calendar_index_add_text(index, cal->id, cal->role, body, &error) < 0) {
			*error_r = g_strdup_printf("calendar %s: %s: %s", cal->id, cal->url, error);
			g_free(error);
			goto out;
		}
		stats->objects++;
		stats->fetched++;
	} else {
		GPtrArray *found = NULL;

		if (caldav_query(dav, from, to, &found, error_r) < 0)
			goto out;
		for (guint i = 0; i < found->len; i++) {
			const caldav_object *o = g_ptr_array_index(found, i);
			char *error = NULL;

			/* One broken object must not hide the others. */
			if (calendar_index_add_text(index, cal->id, cal->role, o->data, &error) < 0) {
				g_autofree char *line = g_strdup_printf("calendar %s: %s: %s", cal->id, o->href, error);

				g_free(error);
				calendar_index_add_warning(index, line);
			}
		}
		stats->objects += found->len;
		stats->fetched += found->len;
		g_ptr_array_unref(found);
	}
	status = 0;
out:
	caldav_client_free(&dav);
	return status;
}

char *calendar_source_key(const conf_calendar *cal)
{
	GString *text = g_string_new(NULL);
	char *key;

	g_string_append_printf(text, "%s\n%s", cal->url != NULL ? cal->url : "",
			       cal->user != NULL ? cal->user : "");
	/* The copy keeps events expanded with the client's own declines
	 * left free (calendar_index_set_client): other addresses, another
	 * expansion, so a fresh copy. */
	if (cal->client != NULL) {
		g_string_append_printf(text, "\n%s", cal->client->email != NULL ? cal->client->email : "");
		for (char **a = cal->client->aliases; a != NULL && *a != NULL; a++)
			g_string_append_printf(text, "\n%s", *a);
	}
	key = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text->str, -1);
	g_string_free(text, TRUE);
	return key;
}

/* An object's events are expanded over a window this much wider than the
 * one asked for, and kept in the copy: the agent's window moves on by
 * the sync interval, and the digest's (two days) lies inside it. */
#define CALENDAR_EXPAND_BEFORE (7 * 86400)
#define CALENDAR_EXPAND_AFTER (35 * 86400)

typedef struct calendar_refresh {
	char *href;
	GBytes *instances;
} calendar_refresh;

static void calendar_refresh_free(gpointer data)
{
	calendar_refresh *r = data;

	g_free(r->href);
	if (r->instances != NULL)
		g_bytes_unref(r->instances);
	g_free(r);
}

/* One calendar's sync against its copy. */
typedef struct calendar_sync {
	store *st;
	calendar_index *index;
	const conf_calendar *cal;
	int64_t from, to;
	calendar_sync_stats *stats;
	store_calendar_source source;   /* as stored before this sync */
	GPtrArray *changed;             /* caldav_object *: to write, with data */
	GArray *spans;                  /* int64_t pairs, one per changed */
	GPtrArray *expanded;            /* GBytes *, one per changed */
	GPtrArray *refresh;             /* calendar_refresh *: expansions to keep anew */
	GPtrArray *removed;             /* char *: hrefs to delete */
	GHashTable *read;               /* hrefs already in the index */
	gboolean replace;               /* the copy is replaced whole */
	char *sync_token, *ctag, *feed_etag, *feed_modified;
} calendar_sync;

static void calendar_sync_clear(calendar_sync *s)
{
	store_calendar_source_clear(&s->source);
	g_clear_pointer(&s->changed, g_ptr_array_unref);
	g_clear_pointer(&s->spans, g_array_unref);
	g_clear_pointer(&s->expanded, g_ptr_array_unref);
	g_clear_pointer(&s->refresh, g_ptr_array_unref);
	g_clear_pointer(&s->removed, g_ptr_array_unref);
	g_clear_pointer(&s->read, g_hash_table_unref);
	g_clear_pointer(&s->sync_token, g_free);
	g_clear_pointer(&s->ctag, g_free);
	g_clear_pointer(&s->feed_etag, g_free);
	g_clear_pointer(&s->feed_modified, g_free);
}

/* Events of [from, to) into the index. */
static void calendar_sync_add(calendar_sync *s, ical_events *events)
{
	ical_events_clip(events, s->from, s->to);
	calendar_index_add_events(s->index, s->cal->id, s->cal->role, events);
	s->stats->objects++;
}

/* Parse one object's text over the wider window: its events (NULL with
 * *warning_r when it is not iCalendar), its span and its expansion for
 * the copy. */
static ical_events *calendar_sync_parse(calendar_sync *s, const char *href, const char *data,
					int64_t *start_r, int64_t *end_r, GBytes **expanded_r,
					char **warning_r)
{
	ical_events *events = ical_events_new();
	char *error = NULL;

	*expanded_r = NULL;
	*warning_r = NULL;
	/* The client's own declines are free time, in the copy too. */
	ical_events_set_owner(events, calendar_index_owner(s->index));
	if (ical_events_add(events, data, s->from - CALENDAR_EXPAND_BEFORE, s->to + CALENDAR_EXPAND_AFTER,
			    &error) < 0) {
		*warning_r = g_strdup_printf("calendar %s: %s: %s", s->cal->id,
					     href[0] != '\0' ? href : s->cal->url, error);
		g_free(error);
		ical_events_free(&events);
		/* Read again each time, so the warning is seen each time. */
		*start_r = INT64_MIN;
		*end_r = INT64_MAX;
		return NULL;
	}
	*expanded_r = ical_events_to_bytes(events);
	*start_r = events->span_start;
	*end_r = events->span_end;
	return events;
}

/* Parsed events (or the warning of an object that is not iCalendar)
 * into the index; both are freed. */
static void calendar_sync_take(calendar_sync *s, ical_events *events, char *warning)
{
	if (events != NULL) {
		calendar_sync_add(s, events);
		ical_events_free(&events);
	} else {
		calendar_index_add_warning(s->index, warning);
		s->stats->objects++;
	}
	g_free(warning);
}

static int calendar_sync_read_one(const store_calendar_object *o, void *context)
{
	calendar_sync *s = context;
	calendar_refresh *r;
	ical_events *events;
	char *warning;
	int64_t start, end;

	if (g_hash_table_contains(s->read, o->href))
		return 0;
	/* Kept expanded over a window holding this one: no parsing. */
	if (o->instances != NULL && o->instances_from <= s->from && o->instances_to >= s->to) {
		events = ical_events_from_bytes(o->instances, o->instances_len);
		if (events != NULL) {
			calendar_sync_add(s, events);
			ical_events_free(&events);
			return 0;
		}
	}
	r = g_new0(calendar_refresh, 1);
	r->href = g_strdup(o->href);
	events = calendar_sync_parse(s, o->href, o->data, &start, &end, &r->instances, &warning);
	calendar_sync_take(s, events, warning);
	g_ptr_array_add(s->refresh, r);
	return 0;
}

/* The expansions made anew for objects that did not change: kept for
 * next time. Only a cache: a failure is logged, nothing else. */
static void calendar_sync_save_refresh(calendar_sync *s)
{
	char *error = NULL;

	if (s->refresh->len == 0 || s->source.id == 0)
		return;
	if (store_transaction_begin(s->st, &error) < 0)
		goto fail;
	for (guint i = 0; i < s->refresh->len; i++) {
		const calendar_refresh *r = g_ptr_array_index(s->refresh, i);
		gsize len = 0;
		const void *data = r->instances != NULL ? g_bytes_get_data(r->instances, &len) : NULL;

		if (store_calendar_object_set_instances(s->st, s->source.id, r->href, data, len,
							s->from - CALENDAR_EXPAND_BEFORE,
							s->to + CALENDAR_EXPAND_AFTER, &error) < 0)
			goto fail;
	}
	if (store_transaction_commit(s->st, &error) < 0)
		goto fail;
	return;
fail:
	store_transaction_rollback(s->st);
	{
		g_autofree char *line = g_strdup_printf("calendar %s: the events read are not kept for next time: %s",
							s->cal->id, error);

		calendar_index_add_warning(s->index, line);
	}
	g_free(error);
}

/* The copy's ETags against a listing (href + etag): what to multiget,
 * what is gone. */
static int calendar_sync_compare(calendar_sync *s, caldav_client *dav, GPtrArray *listing, char **error_r)
{
	g_autoptr(GHashTable) etags = NULL;
	g_autoptr(GPtrArray) wanted = g_ptr_array_new();
	GHashTableIter iter;
	gpointer href, etag;

	if (store_calendar_etags(s->st, s->source.id, &etags, error_r) < 0)
		return -1;
	for (guint i = 0; i < listing->len; i++) {
		caldav_object *o = g_ptr_array_index(listing, i);
		const char *had = g_hash_table_lookup(etags, o->href);

		if (had == NULL || o->etag == NULL || strcmp(had, o->etag) != 0)
			g_ptr_array_add(wanted, o->href);
		g_hash_table_remove(etags, o->href);
	}
	g_hash_table_iter_init(&iter, etags);
	while (g_hash_table_iter_next(&iter, &href, &etag))
		g_ptr_array_add(s->removed, g_strdup(href));
	if (wanted->len > 0 &&
	    caldav_multiget(dav, (const char *const *)wanted->pdata, wanted->len, s->changed, error_r) < 0)
		return -1;
	return 0;
}

/* What changed on the server, into s->changed and s->removed; nothing
 * is written yet. */
static int calendar_sync_fetch(calendar_sync *s, caldav_client *dav, char **error_r)
{
	const char *token = s->source.sync_token;
	gboolean empty = s->source.id == 0 || s->source.objects == 0;
	caldav_delta delta = { 0 };
	caldav_sync_result result;
	GPtrArray *listing = NULL;
	char *why = NULL;
	int status = -1;

	if (s->cal->feed) {
		g_autofree char *body = NULL;
		caldav_object *o;

		/* No copy: no condition, or a 304 would leave nothing. */
		switch (caldav_get_conditional(dav, NULL, empty ? NULL : s->source.feed_etag,
					       empty ? NULL : s->source.feed_modified, &body, &s->feed_etag,
					       &s->feed_modified, error_r)) {
		case CALDAV_GET_ERROR:
			return -1;
		case CALDAV_GET_NOT_MODIFIED:
			s->stats->not_modified++;
			s->feed_etag = g_strdup(s->source.feed_etag);
			s->feed_modified = g_strdup(s->source.feed_modified);
			return 0;
		case CALDAV_GET_OK:
			break;
		}
		o = g_new0(caldav_object, 1);
		o->href = g_strdup("");
		o->etag = g_strdup(s->feed_etag != NULL ? s->feed_etag : "");
		o->data = g_steal_pointer(&body);
		g_ptr_array_add(s->changed, o);
		s->replace = TRUE;
		return 0;
	}
	/* Asked before the changes, so that one made meanwhile shows as a
	 * new ctag next time. */
	if (caldav_ctag(dav, &s->ctag, error_r) < 0)
		return -1;
	if (!empty && s->ctag != NULL && strcmp(s->ctag, s->source.ctag) == 0) {
		s->stats->unchanged++;
		return 0;
	}
	/* A token: what changed since. No token and no copy: everything,
	 * data and all, in one REPORT. No token but a copy (after a
	 * fallback): the ETags alone, compared. */
	result = caldav_sync_collection(dav, token[0] != '\0' ? token : NULL, token[0] != '\0' || empty,
					&delta, &why);
	if (result == CALDAV_SYNC_ERROR) {
		*error_r = why;
		return -1;
	}
	if (result == CALDAV_SYNC_DONE) {
		g_autoptr(GPtrArray) missing = g_ptr_array_new();

		s->sync_token = g_steal_pointer(&delta.sync_token);
		if (token[0] == '\0' && !empty) {
			if (calendar_sync_compare(s, dav, delta.changed, error_r) < 0)
				goto out;
			status = 0;
			goto out;
		}
		s->replace = token[0] == '\0';
		for (guint i = 0; i < delta.removed->len; i++)
			g_ptr_array_add(s->removed, g_strdup(g_ptr_array_index(delta.removed, i)));
		for (guint i = 0; i < delta.changed->len; i++) {
			caldav_object *o = g_ptr_array_index(delta.changed, i);

			if (o->data != NULL) {
				g_ptr_array_add(s->changed, o);
				delta.changed->pdata[i] = NULL;
			} else {
				g_ptr_array_add(missing, o->href);
			}
		}
		if (missing->len > 0 &&
		    caldav_multiget(dav, (const char *const *)missing->pdata, missing->len, s->changed,
				    error_r) < 0)
			goto out;
		status = 0;
		goto out;
	}
	/* CALDAV_SYNC_FALLBACK (why says which): no token from now on;
	 * the ETags decide. */
	g_clear_pointer(&why, g_free);
	s->stats->fallbacks++;
	s->sync_token = g_strdup("");
	if (caldav_list(dav, empty, &listing, error_r) < 0)
		goto out;
	if (empty) {
		for (guint i = 0; i < listing->len; i++) {
			caldav_object *o = g_ptr_array_index(listing, i);

			if (o->data != NULL) {
				g_ptr_array_add(s->changed, o);
				listing->pdata[i] = NULL;
			}
		}
		s->replace = TRUE;
	} else if (calendar_sync_compare(s, dav, listing, error_r) < 0) {
		goto out;
	}
	status = 0;
out:
	if (listing != NULL)
		g_ptr_array_unref(listing);
	g_free(why);
	caldav_delta_clear(&delta);
	return status;
}

/* The changes in one transaction; then the index from the copy. */
static int calendar_sync_apply(calendar_sync *s, const char *key, char **error_r)
{
	store_calendar_source next = { 0 };
	g_autoptr(GPtrArray) parsed = g_ptr_array_new();
	g_autoptr(GPtrArray) warnings = g_ptr_array_new();
	int status = -1;

	/* Parsed first (libical, outside the transaction): the span of
	 * each goes with it into the copy. Into the index only once the
	 * copy is saved: a sync that fails adds nothing. */
	for (guint i = 0; i < s->changed->len; i++) {
		caldav_object *o = g_ptr_array_index(s->changed, i);
		int64_t span[2];
		GBytes *expanded = NULL;
		char *warning = NULL;

		g_ptr_array_add(parsed, calendar_sync_parse(s, o->href, o->data, &span[0], &span[1], &expanded,
							    &warning));
		g_ptr_array_add(warnings, warning);
		g_array_append_vals(s->spans, span, 2);
		g_ptr_array_add(s->expanded, expanded);
	}
	next.id = s->source.id;
	next.sync_token = s->sync_token != NULL ? s->sync_token : s->source.sync_token;
	next.ctag = s->ctag != NULL ? s->ctag : (char *)"";
	next.feed_etag = s->feed_etag != NULL ? s->feed_etag : "";
	next.feed_modified = s->feed_modified != NULL ? s->feed_modified : "";
	next.synced_at = clock_now_unix();
	if (store_transaction_begin(s->st, error_r) < 0)
		goto out;
	if (store_calendar_source_save(s->st, s->cal->id, key, &next, error_r) < 0)
		goto out;
	if (s->replace && store_calendar_objects_clear(s->st, next.id, error_r) < 0)
		goto out;
	for (guint i = 0; !s->replace && i < s->removed->len; i++) {
		if (store_calendar_object_delete(s->st, next.id, g_ptr_array_index(s->removed, i), error_r) < 0)
			goto out;
	}
	for (guint i = 0; i < s->changed->len; i++) {
		const caldav_object *o = g_ptr_array_index(s->changed, i);
		GBytes *expanded = g_ptr_array_index(s->expanded, i);
		gsize len = 0;
		store_calendar_object row = {
			.href = o->href,
			.etag = o->etag,
			.data = o->data,
			.first_start = g_array_index(s->spans, int64_t, 2 * i),
			.last_end = g_array_index(s->spans, int64_t, 2 * i + 1),
			.instances = expanded != NULL ? g_bytes_get_data(expanded, &len) : NULL,
			.instances_from = s->from - CALENDAR_EXPAND_BEFORE,
			.instances_to = s->to + CALENDAR_EXPAND_AFTER,
		};

		row.instances_len = len;

		if (store_calendar_object_put(s->st, next.id, &row, error_r) < 0)
			goto out;
	}
	if (store_transaction_commit(s->st, error_r) < 0)
		goto out;
	for (guint i = 0; i < s->changed->len; i++) {
		calendar_sync_take(s, g_ptr_array_index(parsed, i), g_ptr_array_index(warnings, i));
		parsed->pdata[i] = NULL;
		warnings->pdata[i] = NULL;
		g_hash_table_add(s->read, ((caldav_object *)g_ptr_array_index(s->changed, i))->href);
	}
	s->stats->fetched += s->changed->len;
	s->stats->removed += s->replace ? 0 : s->removed->len;
	s->source.id = next.id;
	status = 0;
out:
	if (status < 0)
		store_transaction_rollback(s->st);
	for (guint i = 0; i < parsed->len; i++) {
		ical_events *events = g_ptr_array_index(parsed, i);

		ical_events_free(&events);
		g_free(g_ptr_array_index(warnings, i));
	}
	return status;
}

static char *calendar_age_words(int64_t seconds)
{
	if (seconds < 120)
		return g_strdup_printf("%" G_GINT64_FORMAT " s", seconds);
	if (seconds < 2 * 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT " min", seconds / 60);
	if (seconds < 2 * 86400)
		return g_strdup_printf("%" G_GINT64_FORMAT " h", seconds / 3600);
	return g_strdup_printf("%" G_GINT64_FORMAT " days", seconds / 86400);
}

static int calendar_sync_cached(store *st, calendar_index *index, const conf_calendar *cal, int64_t from,
				int64_t to, calendar_sync_stats *stats, char **error_r)
{
	g_autofree char *key = calendar_source_key(cal);
	calendar_sync s = { .st = st, .index = index, .cal = cal, .from = from, .to = to, .stats = stats };
	caldav_client *dav = NULL;
	char *error = NULL;
	int status = -1;

	s.changed = g_ptr_array_new_with_free_func(caldav_object_free);
	s.spans = g_array_new(FALSE, FALSE, sizeof(int64_t));
	s.expanded = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	s.refresh = g_ptr_array_new_with_free_func(calendar_refresh_free);
	s.removed = g_ptr_array_new_with_free_func(g_free);
	s.read = g_hash_table_new(g_str_hash, g_str_equal);
	if (store_calendar_source_get(st, cal->id, key, &s.source, &error) < 0) {
		*error_r = g_strdup_printf("calendar %s: the copy cannot be read: %s", cal->id, error);
		g_free(error);
		goto out;
	}
	dav = calendar_connect(cal, &error);
	if (dav == NULL || calendar_sync_fetch(&s, dav, &error) < 0 ||
	    calendar_sync_apply(&s, key, &error) < 0) {
		int64_t age = clock_now_unix() - s.source.synced_at;
		g_autofree char *words = calendar_age_words(age);

		/* Whatever was parsed already is of a sync that did not
		 * happen: only a copy young enough stands in. */
		if (s.source.id != 0 && s.source.synced_at > 0 && age <= CALENDAR_SYNC_INTERVAL) {
			g_autofree char *line = g_strdup_printf("%s; using the copy synced %s ago (within the %d s sync interval)",
								error, words, CALENDAR_SYNC_INTERVAL);

			g_hash_table_remove_all(s.read);
			if (store_calendar_objects_foreach(st, s.source.id, from, to, calendar_sync_read_one, &s,
							   error_r) == 0) {
				calendar_index_add_warning(index, line);
				if (stats->stale == NULL)
					stats->stale = g_ptr_array_new_with_free_func(g_free);
				g_ptr_array_add(stats->stale, g_strdup(line));
				g_free(error);
				status = 0;
				goto out;
			}
		}
		if (s.source.id != 0 && s.source.synced_at > 0)
			*error_r = g_strdup_printf("%s; the copy synced %s ago is kept but not used (older than the %d s sync interval)",
						   error, words, CALENDAR_SYNC_INTERVAL);
		else
			*error_r = g_strdup(error);
		g_free(error);
		goto out;
	}
	/* The objects that did not change, from the copy. A copy replaced
	 * whole holds nothing more. */
	if (!s.replace &&
	    store_calendar_objects_foreach(st, s.source.id, from, to, calendar_sync_read_one, &s, &error) < 0) {
		*error_r = g_strdup_printf("calendar %s: the copy cannot be read: %s", cal->id, error);
		g_free(error);
		goto out;
	}
	calendar_sync_save_refresh(&s);
	status = 0;
out:
	caldav_client_free(&dav);
	calendar_sync_clear(&s);
	return status;
}

/* Copies of calendars no longer in vea.conf (or moved elsewhere). */
static void calendar_forget_others(store *st, const conf *c, calendar_index *index,
				   calendar_sync_stats *stats)
{
	g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);
	char *error = NULL;

	for (guint i = 0; c->calendars != NULL && i < c->calendars->len; i++) {
		const conf_calendar *cal = g_ptr_array_index(c->calendars, i);

		g_ptr_array_add(keep, g_strdup(cal->id));
		g_ptr_array_add(keep, calendar_source_key(cal));
	}
	g_ptr_array_add(keep, NULL);
	if (store_transaction_begin(st, &error) < 0 ||
	    store_calendar_sources_forget(st, (const char *const *)keep->pdata, &stats->forgotten, &error) < 0 ||
	    store_transaction_commit(st, &error) < 0) {
		g_autofree char *line = g_strdup_printf("calendars: copies of removed calendars not forgotten: %s",
							error);

		store_transaction_rollback(st);
		calendar_index_add_warning(index, line);
		g_free(error);
	}
}

calendar_index *calendar_sync_client(store *st, const conf *c, const conf_client *client, int64_t from,
				     int64_t to, GPtrArray **errors_r, calendar_sync_stats *stats_r)
{
	GTimeZone *tz = client->tz != NULL ? g_time_zone_ref(client->tz) : g_time_zone_new_utc();
	calendar_index *index = calendar_index_new(tz, from, to);
	calendar_sync_stats stats = { 0 };

	g_time_zone_unref(tz);
	calendar_index_set_client(index, client);
	*errors_r = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; c->calendars != NULL && i < c->calendars->len; i++) {
		const conf_calendar *cal = g_ptr_array_index(c->calendars, i);
		char *error = NULL;
		int rc;

		if (cal->client != client)
			continue;
		rc = st != NULL ? calendar_sync_cached(st, index, cal, from, to, &stats, &error)
				: calendar_sync_whole(index, cal, from, to, &stats, &error);
		if (rc < 0)
			g_ptr_array_add(*errors_r, error);
	}
	if (st != NULL)
		calendar_forget_others(st, c, index, &stats);
	calendar_index_finish(index);
	if (stats_r != NULL)
		*stats_r = stats;
	else
		calendar_sync_stats_clear(&stats);
	return index;
}

void calendar_sync_stats_clear(calendar_sync_stats *stats)
{
	if (stats->stale != NULL)
		g_ptr_array_unref(stats->stale);
	memset(stats, 0, sizeof *stats);
}
