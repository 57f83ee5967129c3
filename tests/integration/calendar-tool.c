/* calendar-tool: src/calendar as a program, for test_caldav.py and the
 * benchmark. Reads vea.conf for calendars and clients; prints one JSON
 * object; exits 0 on success, 1 on a failure it reports, 2 on a wrong
 * command line.
 *
 *   calendar-tool probe CONFIG CALENDAR
 *   calendar-tool query CONFIG CALENDAR FROM TO      (ISO 8601 times)
 *   calendar-tool decide CONFIG CLIENT INVITATION.ics
 *   calendar-tool accept CONFIG CLIENT INVITATION.ics   (PUT into the primary)
 *   calendar-tool reply CONFIG CLIENT INVITATION.ics accepted|declined|tentative
 *   calendar-tool parse FILE.ics   (libical's reading, for the tests to
 *                                  check what vea sent and wrote: METHOD,
 *                                  and per VEVENT its UID, SEQUENCE,
 *                                  RECURRENCE-ID, DTSTART, DTEND, TRANSP,
 *                                  STATUS and every ATTENDEE's PARTSTAT)
 *   calendar-tool sync CONFIG CLIENT [INVITATION.ics]
 *       (through the copies in the config's database: what was fetched,
 *       and the decision when an invitation is given)
 *
 * "Now" is VEA_NOW or the clock (src/util/clock.h). */
#include "calendar/calendar-sync.h"
#include "calendar/ical-private.h"
#include "calendar/imip.h"
#include "util/clock.h"
#include "util/json.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

static int64_t parse_time(const char *iso)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(iso, NULL);

	if (t == NULL) {
		fprintf(stderr, "calendar-tool: '%s' is not an ISO 8601 time with a zone\n", iso);
		exit(2);
	}
	return g_date_time_to_unix(t);
}

static void print_error(const char *error)
{
	GString *out = g_string_new("{\"ok\": false, \"error\": ");

	json_append_string(out, error);
	g_string_append(out, "}");
	puts(out->str);
	g_string_free(out, TRUE);
}

static void append_strings(GString *out, const char *key, const GPtrArray *list)
{
	g_string_append_printf(out, ", \"%s\": [", key);
	for (guint i = 0; list != NULL && i < list->len; i++) {
		if (i > 0)
			g_string_append(out, ", ");
		json_append_string(out, g_ptr_array_index(list, i));
	}
	g_string_append(out, "]");
}

static int cmd_probe(const conf *c, const char *id)
{
	const conf_calendar *cal = calendar_find(c, id);
	caldav_info info = { 0 };
	caldav_client *dav;
	char *error = NULL;
	GString *out;

	if (cal == NULL) {
		print_error("no such calendar");
		return 1;
	}
	dav = calendar_connect(cal, &error);
	if (dav == NULL || caldav_probe(dav, &info, &error) < 0) {
		print_error(error);
		g_free(error);
		caldav_info_clear(&info);
		caldav_client_free(&dav);
		return 1;
	}
	out = g_string_new("{\"ok\": true, \"dav\": ");
	json_append_string(out, info.dav);
	g_string_append_printf(out, ", \"auto_schedule\": %s, \"ctag\": ", info.auto_schedule ? "true" : "false");
	json_append_string(out, info.ctag);
	g_string_append(out, ", \"sync_token\": ");
	json_append_string(out, info.sync_token);
	g_string_append(out, ", \"name\": ");
	json_append_string(out, info.display_name);
	g_string_append(out, "}");
	puts(out->str);
	g_string_free(out, TRUE);
	caldav_info_clear(&info);
	caldav_client_free(&dav);
	return 0;
}

static int cmd_query(const conf *c, const char *id, const char *from, const char *to)
{
	const conf_calendar *cal = calendar_find(c, id);
	GPtrArray *objects = NULL;
	caldav_client *dav;
	char *error = NULL;
	GString *out;

	if (cal == NULL) {
		print_error("no such calendar");
		return 1;
	}
	dav = calendar_connect(cal, &error);
	if (dav == NULL || caldav_query(dav, parse_time(from), parse_time(to), &objects, &error) < 0) {
		print_error(error);
		g_free(error);
		caldav_client_free(&dav);
		return 1;
	}
	out = g_string_new("{\"ok\": true, \"objects\": [");
	for (guint i = 0; i < objects->len; i++) {
		const caldav_object *o = g_ptr_array_index(objects, i);
		ical_events *events = ical_events_new();
		GPtrArray *uids = g_ptr_array_new_with_free_func(g_free);

		if (ical_events_add(events, o->data, parse_time(from), parse_time(to), &error) < 0)
			g_clear_pointer(&error, g_free);
		for (guint k = 0; k < events->instances->len; k++) {
			const char *uid = g_array_index(events->instances, ical_instance, k).uid;

			if (!g_ptr_array_find_with_equal_func(uids, uid, g_str_equal, NULL))
				g_ptr_array_add(uids, g_strdup(uid));
		}
		g_string_append(out, i > 0 ? ", {\"href\": " : "{\"href\": ");
		json_append_string(out, o->href);
		g_string_append(out, ", \"etag\": ");
		json_append_string(out, o->etag);
		g_string_append_printf(out, ", \"instances\": %u", events->instances->len);
		append_strings(out, "uids", uids);
		g_string_append(out, "}");
		g_ptr_array_unref(uids);
		ical_events_free(&events);
	}
	g_string_append(out, "]}");
	puts(out->str);
	g_string_free(out, TRUE);
	g_ptr_array_unref(objects);
	caldav_client_free(&dav);
	return 0;
}

static imip_message *read_invitation(const char *path, char **error_r)
{
	g_autofree char *text = NULL;
	imip_message *m = NULL;
	GError *gerror = NULL;

	if (!g_file_get_contents(path, &text, NULL, &gerror)) {
		*error_r = g_strdup(gerror->message);
		g_error_free(gerror);
		return NULL;
	}
	if (imip_parse(text, NULL, &m, error_r) < 0)
		return NULL;
	return m;
}

static const imip_attendee *find_executive(const conf_client *client, const imip_message *m)
{
	GPtrArray *addresses = g_ptr_array_new();
	const imip_attendee *a;

	if (client->email != NULL)
		g_ptr_array_add(addresses, client->email);
	for (char **alias = client->aliases; alias != NULL && *alias != NULL; alias++)
		g_ptr_array_add(addresses, *alias);
	g_ptr_array_add(addresses, NULL);
	a = imip_find_attendee(m, (const char *const *)addresses->pdata);
	g_ptr_array_free(addresses, TRUE);
	return a;
}

static int cmd_decide(const conf *c, const char *client_id, const char *path)
{
	const conf_client *client = conf_find_client(c, client_id);
	const calendar_rules *rules;
	int64_t now = clock_now_unix();
	calendar_decision d = { 0 };
	calendar_index *index;
	GPtrArray *errors = NULL;
	ical_events *instances;
	imip_message *m;
	char *error = NULL;
	calendar_sync_stats stats = { 0 };
	GString *out;
	int status = 0;
	int64_t t0, t1;

	if (client == NULL) {
		print_error("no such client");
		return 1;
	}
	rules = client->calendar_rules;
	m = read_invitation(path, &error);
	if (m == NULL || (instances = imip_instances(m, now, now + rules->horizon, &error)) == NULL) {
		print_error(error);
		g_free(error);
		imip_message_free(&m);
		return 1;
	}
	t0 = g_get_monotonic_time();
	/* The window covers the buffer on both sides. */
	index = calendar_sync_client(NULL, c, client, now - rules->buffer - 86400,
				     now + rules->horizon + rules->buffer + 86400, &errors, &stats);
	t1 = g_get_monotonic_time();
	out = g_string_new("{");
	if (errors->len > 0) {
		/* A calendar that could not be read: no decision (it may
		 * hold the conflict). */
		g_string_append(out, "\"ok\": false, \"verdict\": null");
		status = 1;
	} else {
		calendar_decide(index, rules, instances, &d);
		g_string_append(out, "\"ok\": true, \"verdict\": ");
		json_append_string(out, calendar_verdict_name(d.verdict));
		g_string_append(out, ", \"reason\": ");
		json_append_string(out, d.reason);
		g_string_append(out, ", \"calendar\": ");
		json_append_string(out, d.calendar_id);
		g_string_append(out, ", \"event\": ");
		json_append_string(out, d.event_summary);
		g_string_append_printf(out, ", \"instance\": %d, \"instances\": %u", d.instance, d.instances);
	}
	g_string_append_printf(out, ", \"objects\": %u, \"busy\": %u, \"sync_us\": %" G_GINT64_FORMAT, stats.objects,
			       calendar_index_busy_count(index), t1 - t0);
	append_strings(out, "errors", errors);
	append_strings(out, "warnings", calendar_index_warnings(index));
	g_string_append(out, "}");
	puts(out->str);
	g_string_free(out, TRUE);
	calendar_decision_clear(&d);
	calendar_sync_stats_clear(&stats);
	g_ptr_array_unref(errors);
	calendar_index_free(&index);
	ical_events_free(&instances);
	imip_message_free(&m);
	return status;
}

static int cmd_accept(const conf *c, const char *client_id, const char *path)
{
	const conf_client *client = conf_find_client(c, client_id);
	const conf_calendar *primary = client != NULL ? calendar_find_primary(c, client) : NULL;
	g_autofree char *stored = NULL;
	g_autofree char *name = NULL;
	g_autofree char *etag = NULL;
	const imip_attendee *me;
	caldav_client *dav = NULL;
	caldav_put_result result;
	imip_message *m;
	char *error = NULL;
	GString *out;

	if (primary == NULL) {
		print_error("no such client, or it has no primary calendar");
		return 1;
	}
	m = read_invitation(path, &error);
	if (m == NULL) {
		print_error(error);
		g_free(error);
		return 1;
	}
	me = find_executive(client, m);
	if (me == NULL) {
		print_error("the executive is not among the attendees");
		imip_message_free(&m);
		return 1;
	}
	stored = imip_build_stored(m, me, IMIP_PARTSTAT_ACCEPTED, FALSE, &error);
	name = imip_resource_name(m->uid);
	dav = stored != NULL ? calendar_connect(primary, &error) : NULL;
	if (dav == NULL) {
		print_error(error);
		g_free(error);
		imip_message_free(&m);
		return 1;
	}
	result = caldav_put(dav, name, stored, NULL, &etag, NULL, &error);
	out = g_string_new("{\"ok\": ");
	g_string_append(out, result == CALDAV_PUT_ERROR ? "false" : "true");
	g_string_append(out, ", \"put\": ");
	json_append_string(out, result == CALDAV_PUT_DONE ? "done" : result == CALDAV_PUT_PRECONDITION ? "exists" : "error");
	g_string_append_printf(out, ", \"status\": %ld, \"name\": ", caldav_last_status(dav));
	json_append_string(out, name);
	g_string_append(out, ", \"etag\": ");
	json_append_string(out, etag);
	g_string_append(out, ", \"error\": ");
	json_append_string(out, error);
	g_string_append(out, "}");
	puts(out->str);
	g_string_free(out, TRUE);
	g_free(error);
	caldav_client_free(&dav);
	imip_message_free(&m);
	return result == CALDAV_PUT_ERROR ? 1 : 0;
}

static int cmd_reply(const conf *c, const char *client_id, const char *path, const char *answer)
{
	const conf_client *client = conf_find_client(c, client_id);
	imip_reply_params p = { 0 };
	g_autofree char *reply = NULL;
	imip_message *m;
	char *error = NULL;

	if (client == NULL) {
		print_error("no such client");
		return 1;
	}
	m = read_invitation(path, &error);
	if (m == NULL) {
		print_error(error);
		g_free(error);
		return 1;
	}
	p.attendee = find_executive(client, m);
	p.partstat = strcmp(answer, "declined") == 0	? IMIP_PARTSTAT_DECLINED
		     : strcmp(answer, "tentative") == 0 ? IMIP_PARTSTAT_TENTATIVE
							: IMIP_PARTSTAT_ACCEPTED;
	p.sent_by = c->assistant.email;
	p.dtstamp = clock_now_unix();
	reply = imip_build_reply(m, &p, &error);
	if (reply == NULL) {
		print_error(error);
		g_free(error);
		imip_message_free(&m);
		return 1;
	}
	fputs(reply, stdout);
	imip_message_free(&m);
	return 0;
}

static void append_time(GString *out, const char *key, icalcomponent *ev, icalcomponent *vcal,
			icalproperty_kind kind)
{
	icalproperty *p = icalcomponent_get_first_property(ev, kind);
	struct icaltimetype t;
	char *error = NULL;
	gboolean floating;

	g_string_append_printf(out, ", \"%s\": ", key);
	if (p == NULL || ical_property_time(p, vcal, &t, &error) < 0) {
		g_string_append(out, "null");
		g_free(error);
		return;
	}
	g_string_append_printf(out, "%" G_GINT64_FORMAT, ical_time_seconds(t, &floating));
}

/* Each VCALENDAR's METHOD and VEVENTs as JSON, read by libical. */
static int cmd_parse(const char *path)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) gerror = NULL;
	g_autoptr(GString) out = g_string_new("{\"ok\": true, \"events\": [");
	icalcomponent *root;
	const char *method = NULL;
	guint n = 0;

	if (!g_file_get_contents(path, &text, NULL, &gerror)) {
		print_error(gerror->message);
		return 1;
	}
	ical_lock();
	root = ical_parse_text(text);
	for (icalcomponent *vcal = root; vcal != NULL; vcal = NULL) {
		icalproperty *m = icalcomponent_get_first_property(vcal, ICAL_METHOD_PROPERTY);

		if (m != NULL)
			method = icalproperty_method_to_string(icalproperty_get_method(m));
		for (icalcomponent *ev = icalcomponent_get_first_component(vcal, ICAL_VEVENT_COMPONENT);
		     ev != NULL; ev = icalcomponent_get_next_component(vcal, ICAL_VEVENT_COMPONENT)) {
			icalproperty *transp = icalcomponent_get_first_property(ev, ICAL_TRANSP_PROPERTY);
			icalproperty *status = icalcomponent_get_first_property(ev, ICAL_STATUS_PROPERTY);
			icalproperty *seq = icalcomponent_get_first_property(ev, ICAL_SEQUENCE_PROPERTY);
			guint k = 0;

			g_string_append(out, n++ > 0 ? ", {\"uid\": " : "{\"uid\": ");
			json_append_string(out, icalcomponent_get_uid(ev) != NULL ? icalcomponent_get_uid(ev) : "");
			g_string_append_printf(out, ", \"sequence\": %d",
					       seq != NULL ? icalproperty_get_sequence(seq) : 0);
			append_time(out, "recurrence_id", ev, vcal, ICAL_RECURRENCEID_PROPERTY);
			append_time(out, "start", ev, vcal, ICAL_DTSTART_PROPERTY);
			append_time(out, "end", ev, vcal, ICAL_DTEND_PROPERTY);
			g_string_append(out, ", \"transp\": ");
			json_append_string(out, transp != NULL ? icalproperty_get_value_as_string(transp) : "");
			g_string_append(out, ", \"status\": ");
			json_append_string(out, status != NULL ? icalproperty_get_value_as_string(status) : "");
			g_string_append(out, ", \"rrule\": ");
			g_string_append(out, icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY) != NULL
						     ? "true" : "false");
			g_string_append(out, ", \"attendees\": {");
			for (icalproperty *a = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY);
			     a != NULL; a = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY)) {
				icalparameter *ps = icalproperty_get_first_parameter(a, ICAL_PARTSTAT_PARAMETER);

				if (k++ > 0)
					g_string_append(out, ", ");
				json_append_string(out, icalproperty_get_attendee(a));
				g_string_append(out, ": ");
				json_append_string(out, ps != NULL ? icalparameter_enum_to_string((int)
									     icalparameter_get_partstat(ps))
								   : "NEEDS-ACTION");
			}
			g_string_append(out, "}}");
		}
	}
	ical_unlock();
	g_string_append(out, "], \"method\": ");
	json_append_string(out, method != NULL ? method : "");
	g_string_append(out, "}");
	if (root == NULL) {
		print_error("not iCalendar");
		return 1;
	}
	ical_lock();
	icalcomponent_free(root);
	ical_unlock();
	puts(out->str);
	return 0;
}

static int cmd_sync(const conf *c, const char *client_id, const char *path)
{
	const conf_client *client = conf_find_client(c, client_id);
	int64_t now = clock_now_unix();
	calendar_sync_stats stats = { 0 };
	calendar_decision d = { 0 };
	GPtrArray *errors = NULL;
	calendar_index *index;
	store *st = NULL;
	char *error = NULL;
	GString *out;
	int64_t t0, t1;

	if (client == NULL) {
		print_error("no such client");
		return 1;
	}
	if (store_open(c->database, &st, &error) < 0) {
		print_error(error);
		g_free(error);
		return 1;
	}
	t0 = g_get_monotonic_time();
	index = calendar_sync_client(st, c, client, now - client->calendar_rules->buffer - 86400,
				     now + client->calendar_rules->horizon + client->calendar_rules->buffer + 86400,
				     &errors, &stats);
	t1 = g_get_monotonic_time();
	out = g_string_new("{");
	g_string_append_printf(out, "\"ok\": %s, \"objects\": %u, \"fetched\": %u, \"removed\": %u, "
			       "\"not_modified\": %u, \"fallbacks\": %u, \"forgotten\": %u, \"busy\": %u, "
			       "\"sync_us\": %" G_GINT64_FORMAT,
			       errors->len == 0 ? "true" : "false", stats.objects, stats.fetched, stats.removed,
			       stats.not_modified, stats.fallbacks, stats.forgotten, calendar_index_busy_count(index),
			       t1 - t0);
	if (path != NULL) {
		imip_message *m = read_invitation(path, &error);
		ical_events *instances = m != NULL ? imip_instances(m, now, now + client->calendar_rules->horizon, &error)
						   : NULL;

		if (instances == NULL) {
			g_string_append(out, ", \"verdict\": null, \"error\": ");
			json_append_string(out, error);
			g_clear_pointer(&error, g_free);
		} else {
			calendar_decide(index, client->calendar_rules, instances, &d);
			/* A calendar not read: no decision, as the agent does. */
			g_string_append(out, ", \"verdict\": ");
			json_append_string(out, errors->len == 0 ? calendar_verdict_name(d.verdict) : NULL);
			g_string_append(out, ", \"event\": ");
			json_append_string(out, d.event_summary);
			g_string_append(out, ", \"calendar\": ");
			json_append_string(out, d.calendar_id);
		}
		calendar_decision_clear(&d);
		ical_events_free(&instances);
		imip_message_free(&m);
	}
	append_strings(out, "errors", errors);
	append_strings(out, "warnings", calendar_index_warnings(index));
	g_string_append(out, "}");
	puts(out->str);
	g_string_free(out, TRUE);
	calendar_sync_stats_clear(&stats);
	{
		int status = errors->len == 0 ? 0 : 1;

		g_ptr_array_unref(errors);
		calendar_index_free(&index);
		store_close(&st);
		return status;
	}
}

int main(int argc, char **argv)
{
	conf *c = NULL;
	GPtrArray *errors = NULL;
	int status;

	if (argc == 3 && strcmp(argv[1], "parse") == 0)
		return cmd_parse(argv[2]);
	if (argc < 4) {
		fprintf(stderr, "usage: calendar-tool probe|query|decide|accept|reply|sync CONFIG ARGS...\n");
		return 2;
	}
	if (conf_load(argv[2], &c, &errors) < 0) {
		for (guint i = 0; i < errors->len; i++)
			fprintf(stderr, "%s\n", (const char *)g_ptr_array_index(errors, i));
		g_ptr_array_unref(errors);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(argv[1], "probe") == 0)
		status = cmd_probe(c, argv[3]);
	else if (strcmp(argv[1], "query") == 0 && argc == 6)
		status = cmd_query(c, argv[3], argv[4], argv[5]);
	else if (strcmp(argv[1], "decide") == 0 && argc == 5)
		status = cmd_decide(c, argv[3], argv[4]);
	else if (strcmp(argv[1], "accept") == 0 && argc == 5)
		status = cmd_accept(c, argv[3], argv[4]);
	else if (strcmp(argv[1], "sync") == 0 && (argc == 4 || argc == 5))
		status = cmd_sync(c, argv[3], argc == 5 ? argv[4] : NULL);
	else if (strcmp(argv[1], "reply") == 0 && argc == 6)
		status = cmd_reply(c, argv[3], argv[4], argv[5]);
	else {
		fprintf(stderr, "calendar-tool: unknown command or wrong arguments\n");
		status = 2;
	}
	conf_free(&c);
	curl_global_cleanup();
	return status;
}
