/* bench-calendar (issue 14): availability computed by vea against asking
 * the CalDAV server, in the same run. Run by bench_calendar.py, which
 * starts Radicale and fills it.
 *
 *   bench-calendar CONFIG CLIENT N_INVITATIONS N_SERVER [SYNC_DB]
 *
 * One sync (calendar_sync_client: a calendar-query REPORT per CalDAV
 * calendar over the horizon, GET for feeds), the whole read. With
 * SYNC_DB, then the incremental sync against copies in that (new)
 * database, in the same run: the first sync (everything, into the
 * copy), a sync where nothing changed, and one after 10 events of the
 * primary calendar were changed by PUT. Then N_INVITATIONS
 * generated invitations (a tenth of them weekly series of 4) each
 * parsed, expanded and decided (imip_parse + imip_instances +
 * calendar_decide: the whole path the agent takes). Then the first
 * N_SERVER of them asked of the server instead: one calendar-query
 * REPORT per CalDAV calendar over the invitation's time range, which
 * is the least asking the server costs (the answer still has to be
 * expanded and checked). Prints one JSON object. */
#include "calendar/calendar-sync.h"
#include "store/store.h"
#include "calendar/imip.h"
#include "util/clock.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *make_invitation(GRand *rand, int i, int64_t now, gboolean night, int64_t *from_r,
			     int64_t *to_r)
{
	/* A day in the next 8 weeks, 08:00-18:30 New York (13:00-23:30Z);
	 * night: 23:00-01:00 New York (04:00-06:00Z), where only all-day
	 * events are, so that every check runs to the end (a conflict
	 * stops at the first). */
	int day = 1 + g_rand_int_range(rand, 0, 54);
	int minute = night ? g_rand_int_range(rand, 4 * 60, 5 * 60)
			   : g_rand_int_range(rand, 13 * 60, 23 * 60 + 30);
	int length = g_rand_boolean(rand) ? 30 : 60;
	gboolean weekly = i % 10 == 0;
	int64_t start = (now / 86400 + day) * 86400 + (int64_t)minute / 15 * 15 * 60;
	int64_t end = start + length * 60;
	g_autofree char *s = caldav_utc_stamp(start);
	g_autofree char *e = caldav_utc_stamp(end);

	*from_r = start;
	*to_r = weekly ? end + 3 * 7 * 86400 : end;
	return g_strdup_printf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nMETHOD:REQUEST\r\n"
			       "BEGIN:VEVENT\r\nUID:bench-%s%d@lumen\r\nSEQUENCE:0\r\nDTSTAMP:20261101T000000Z\r\n"
			       "ORGANIZER:mailto:raj@lumen.example\r\nATTENDEE:mailto:dana@example.test\r\n"
			       "SUMMARY:Invitation %d\r\nDTSTART:%s\r\nDTEND:%s\r\n%s"
			       "END:VEVENT\r\nEND:VCALENDAR\r\n",
			       night ? "night-" : "", i, i, s, e, weekly ? "RRULE:FREQ=WEEKLY;COUNT=4\r\n" : "");
}

/* Change 10 single events of the primary calendar in the next weeks, as
 * another client would (PUT with If-Match). */
static int change_ten(const conf *c, const conf_client *client, int64_t now)
{
	const conf_calendar *primary = calendar_find_primary(c, client);
	caldav_client *dav;
	GPtrArray *found = NULL;
	char *error = NULL;
	int changed = 0;

	dav = primary != NULL ? calendar_connect(primary, &error) : NULL;
	if (dav == NULL || caldav_query(dav, now, now + 14 * 86400, &found, &error) < 0) {
		fprintf(stderr, "bench-calendar: change: %s\n", error);
		return -1;
	}
	for (guint i = 0; i < found->len && changed < 10; i++) {
		const caldav_object *o = g_ptr_array_index(found, i);
		g_autofree char *name = g_path_get_basename(o->href);
		g_auto(GStrv) parts = NULL;
		g_autofree char *text = NULL;

		if (strstr(o->data, "RRULE") != NULL || strstr(o->data, "SUMMARY:") == NULL)
			continue;
		parts = g_strsplit(o->data, "SUMMARY:", 2);
		text = g_strconcat(parts[0], "SUMMARY:Changed ", parts[1], NULL);
		if (caldav_put(dav, name, text, o->etag, NULL, NULL, &error) != CALDAV_PUT_DONE) {
			fprintf(stderr, "bench-calendar: change %s: %s\n", o->href, error);
			return -1;
		}
		changed++;
	}
	g_ptr_array_unref(found);
	caldav_client_free(&dav);
	return changed;
}

typedef struct timed_sync {
	double seconds;
	calendar_sync_stats stats;
	guint busy, errors;
} timed_sync;

static void sync_timed(store *st, const conf *c, const conf_client *client, int64_t now, timed_sync *r)
{
	GPtrArray *errors = NULL;
	gint64 a = g_get_monotonic_time();
	calendar_index *index = calendar_sync_client(st, c, client, now - 86400,
						     now + client->calendar_rules->horizon + 86400, &errors,
						     &r->stats);

	r->seconds = (g_get_monotonic_time() - a) / 1e6;
	r->busy = calendar_index_busy_count(index);
	r->errors = errors->len;
	if (errors->len > 0)
		fprintf(stderr, "bench-calendar: sync: %s\n", (const char *)g_ptr_array_index(errors, 0));
	g_ptr_array_unref(errors);
	calendar_index_free(&index);
	g_clear_pointer(&r->stats.stale, g_ptr_array_unref);
}

/* Parse, expand and decide each invitation, as the agent would. */
static int decide_all(const calendar_index *index, const calendar_rules *rules, char **texts, int n,
		      int64_t now, int *verdicts, gint64 *worst_r)
{
	for (int i = 0; i < n; i++) {
		gint64 a = g_get_monotonic_time();
		imip_message *m = NULL;
		ical_events *instances;
		calendar_decision d;
		char *error = NULL;

		if (imip_parse(texts[i], "REQUEST", &m, &error) < 0 ||
		    (instances = imip_instances(m, now, now + rules->horizon, &error)) == NULL) {
			fprintf(stderr, "bench-calendar: invitation %d: %s\n", i, error);
			return -1;
		}
		verdicts[calendar_decide(index, rules, instances, &d)]++;
		calendar_decision_clear(&d);
		ical_events_free(&instances);
		imip_message_free(&m);
		if (g_get_monotonic_time() - a > *worst_r)
			*worst_r = g_get_monotonic_time() - a;
	}
	return 0;
}

int main(int argc, char **argv)
{
	conf *c = NULL;
	GPtrArray *errors = NULL;
	const conf_client *client;
	calendar_index *index;
	int64_t now = clock_now_unix();
	int n, n_server, verdicts[CALENDAR_NOTHING + 1] = { 0 };
	guint objects = 0;
	gint64 t0, t1, t2, t3, t4, t5, worst = 0, night_worst = 0;
	int night_verdicts[CALENDAR_NOTHING + 1] = { 0 };
	GRand *rand;
	char **texts;
	int64_t *from, *to;
	int server_done = 0, server_objects = 0;
	calendar_sync_stats whole = { 0 };
	timed_sync first = { 0 }, unchanged = { 0 }, changed = { 0 };
	int n_changed = 0;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: bench-calendar CONFIG CLIENT N_INVITATIONS N_SERVER [SYNC_DB]\n");
		return 2;
	}
	if (conf_load(argv[1], &c, &errors) < 0) {
		fprintf(stderr, "%s\n", (const char *)g_ptr_array_index(errors, 0));
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	client = conf_find_client(c, argv[2]);
	n = atoi(argv[3]);
	n_server = atoi(argv[4]);
	if (client == NULL || n <= 0) {
		fprintf(stderr, "bench-calendar: no client '%s' or no invitations\n", argv[2]);
		return 2;
	}
	rand = g_rand_new_with_seed(14);
	texts = g_new0(char *, n);
	from = g_new0(int64_t, n);
	to = g_new0(int64_t, n);
	for (int i = 0; i < n; i++)
		texts[i] = make_invitation(rand, i, now, FALSE, &from[i], &to[i]);

	t0 = g_get_monotonic_time();
	index = calendar_sync_client(NULL, c, client, now - 86400, now + client->calendar_rules->horizon + 86400,
				     &errors, &whole);
	t1 = g_get_monotonic_time();
	objects = whole.objects;
	if (errors->len > 0) {
		fprintf(stderr, "bench-calendar: %s\n", (const char *)g_ptr_array_index(errors, 0));
		return 1;
	}
	if (decide_all(index, client->calendar_rules, texts, n, now, verdicts, &worst) < 0)
		return 1;
	t2 = g_get_monotonic_time();
	for (int i = 0; i < n_server && i < n; i++) {
		for (guint k = 0; k < c->calendars->len; k++) {
			const conf_calendar *cal = g_ptr_array_index(c->calendars, k);
			caldav_client *dav;
			GPtrArray *found = NULL;
			char *error = NULL;

			if (cal->client != client || cal->feed)
				continue;
			/* A new connection per question, as a decision made
			 * when a message arrives would. */
			dav = calendar_connect(cal, &error);
			if (dav == NULL || caldav_query(dav, from[i], to[i], &found, &error) < 0) {
				fprintf(stderr, "bench-calendar: server: %s\n", error);
				return 1;
			}
			server_objects += found->len;
			g_ptr_array_unref(found);
			caldav_client_free(&dav);
		}
		server_done++;
	}
	t3 = g_get_monotonic_time();
	{
		/* The same number of invitations at night, working hours and
		 * the daily maximum not enforced: free but for holidays and
		 * all-day events, every instance checked to the end. */
		calendar_rules night_rules = *client->calendar_rules;
		char **night = g_new0(char *, n);
		int64_t f, t;

		night_rules.hours_set = FALSE;
		night_rules.max_per_day = 0;
		for (int i = 0; i < n; i++)
			night[i] = make_invitation(rand, i, now, TRUE, &f, &t);
		t4 = g_get_monotonic_time();
		if (decide_all(index, &night_rules, night, n, now, night_verdicts, &night_worst) < 0)
			return 1;
		t5 = g_get_monotonic_time();
		for (int i = 0; i < n; i++)
			g_free(night[i]);
		g_free(night);
	}
	if (argc == 6) {
		store *st = NULL;
		char *error = NULL;

		if (store_open(argv[5], &st, &error) < 0) {
			fprintf(stderr, "bench-calendar: %s\n", error);
			return 1;
		}
		sync_timed(st, c, client, now, &first);
		sync_timed(st, c, client, now, &unchanged);
		n_changed = change_ten(c, client, now);
		if (n_changed < 0)
			return 1;
		sync_timed(st, c, client, now, &changed);
		store_close(&st);
		if (first.errors + unchanged.errors + changed.errors > 0)
			return 1;
	}
	printf("{\"objects\": %u, \"busy_intervals\": %u, \"sync_s\": %.3f, \"decisions\": %d, "
	       "\"decide_s\": %.4f, \"per_decision_ms\": %.4f, \"worst_decision_ms\": %.3f, "
	       "\"decisions_per_s\": %.0f, \"free\": %d, \"conflict\": %d, \"outside_hours\": %d, "
	       "\"holiday\": %d, \"too_many\": %d, \"short_notice\": %d, "
	       "\"server_invitations\": %d, \"server_s\": %.3f, \"server_per_invitation_ms\": %.3f, "
	       "\"server_objects\": %d, \"free_path_decisions\": %d, \"free_path_free\": %d, \"free_path_holiday\": %d, \"free_path_conflict\": %d, "
	       "\"free_path_per_decision_ms\": %.4f, \"free_path_worst_ms\": %.3f, "
	       "\"first_sync_s\": %.3f, \"first_fetched\": %u, \"first_objects\": %u, \"first_busy\": %u, "
	       "\"unchanged_sync_s\": %.3f, \"unchanged_fetched\": %u, \"unchanged_objects\": %u, \"unchanged_busy\": %u, "
	       "\"changed_events\": %d, \"changed_sync_s\": %.3f, \"changed_fetched\": %u, \"changed_busy\": %u, "
	       "\"feeds_not_modified\": %u, \"collections_unchanged\": %u}\n",
	       objects, calendar_index_busy_count(index), (t1 - t0) / 1e6, n, (t2 - t1) / 1e6,
	       (t2 - t1) / 1e3 / n, worst / 1e3, n / ((t2 - t1) / 1e6 + 1e-9), verdicts[CALENDAR_FREE],
	       verdicts[CALENDAR_CONFLICT], verdicts[CALENDAR_OUTSIDE_HOURS], verdicts[CALENDAR_HOLIDAY],
	       verdicts[CALENDAR_TOO_MANY], verdicts[CALENDAR_SHORT_NOTICE], server_done, (t3 - t2) / 1e6,
	       server_done > 0 ? (t3 - t2) / 1e3 / server_done : 0.0, server_objects, n,
	       night_verdicts[CALENDAR_FREE], night_verdicts[CALENDAR_HOLIDAY], night_verdicts[CALENDAR_CONFLICT], (t5 - t4) / 1e3 / n, night_worst / 1e3,
	       first.seconds, first.stats.fetched, first.stats.objects, first.busy, unchanged.seconds,
	       unchanged.stats.fetched, unchanged.stats.objects, unchanged.busy, n_changed, changed.seconds,
	       changed.stats.fetched, changed.busy, unchanged.stats.not_modified,
	       unchanged.stats.unchanged);
	for (int i = 0; i < n; i++)
		g_free(texts[i]);
	g_free(texts);
	g_free(from);
	g_free(to);
	g_rand_free(rand);
	g_ptr_array_unref(errors);
	calendar_index_free(&index);
	conf_free(&c);
	curl_global_cleanup();
	return 0;
}
