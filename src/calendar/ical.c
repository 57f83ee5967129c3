/* Events out of iCalendar text: see ical.h. */
#include "calendar/ical-private.h"

#include <string.h>

static GMutex ical_mutex;

void ical_lock(void)
{
	g_mutex_lock(&ical_mutex);
}

void ical_unlock(void)
{
	g_mutex_unlock(&ical_mutex);
}

/* Outlook and Exchange write Windows zone names in TZID. The message's
 * own VTIMEZONE (which Outlook sends) is always preferred; this table is
 * the fallback for objects that come without one, such as events copied
 * into a CalDAV store. The mapping is CLDR's windowsZones.xml, territory
 * "001" (the zone's main city). */
static const struct {
	const char *windows;
	const char *iana;
} ical_windows_zones[] = {
	{ "Dateline Standard Time", "Etc/GMT+12" },
	{ "Hawaiian Standard Time", "Pacific/Honolulu" },
	{ "Alaskan Standard Time", "America/Anchorage" },
	{ "Pacific Standard Time", "America/Los_Angeles" },
	{ "Pacific Standard Time (Mexico)", "America/Tijuana" },
	{ "US Mountain Standard Time", "America/Phoenix" },
	{ "Mountain Standard Time", "America/Denver" },
	{ "Central Standard Time", "America/Chicago" },
	{ "Central Standard Time (Mexico)", "America/Mexico_City" },
	{ "Canada Central Standard Time", "America/Regina" },
	{ "Central America Standard Time", "America/Guatemala" },
	{ "Eastern Standard Time", "America/New_York" },
	{ "US Eastern Standard Time", "America/Indiana/Indianapolis" },
	{ "SA Pacific Standard Time", "America/Bogota" },
	{ "Atlantic Standard Time", "America/Halifax" },
	{ "Venezuela Standard Time", "America/Caracas" },
	{ "SA Western Standard Time", "America/La_Paz" },
	{ "Pacific SA Standard Time", "America/Santiago" },
	{ "Newfoundland Standard Time", "America/St_Johns" },
	{ "E. South America Standard Time", "America/Sao_Paulo" },
	{ "Argentina Standard Time", "America/Argentina/Buenos_Aires" },
	{ "SA Eastern Standard Time", "America/Cayenne" },
	{ "Greenland Standard Time", "America/Godthab" },
	{ "UTC", "UTC" },
	{ "Coordinated Universal Time", "UTC" },
	{ "GMT Standard Time", "Europe/London" },
	{ "Greenwich Standard Time", "Atlantic/Reykjavik" },
	{ "Morocco Standard Time", "Africa/Casablanca" },
	{ "W. Europe Standard Time", "Europe/Berlin" },
	{ "Central Europe Standard Time", "Europe/Budapest" },
	{ "Romance Standard Time", "Europe/Paris" },
	{ "Central European Standard Time", "Europe/Warsaw" },
	{ "W. Central Africa Standard Time", "Africa/Lagos" },
	{ "GTB Standard Time", "Europe/Bucharest" },
	{ "E. Europe Standard Time", "Europe/Chisinau" },
	{ "FLE Standard Time", "Europe/Kiev" },
	{ "Israel Standard Time", "Asia/Jerusalem" },
	{ "Egypt Standard Time", "Africa/Cairo" },
	{ "South Africa Standard Time", "Africa/Johannesburg" },
	{ "Turkey Standard Time", "Europe/Istanbul" },
	{ "Russian Standard Time", "Europe/Moscow" },
	{ "Arab Standard Time", "Asia/Riyadh" },
	{ "E. Africa Standard Time", "Africa/Nairobi" },
	{ "Iran Standard Time", "Asia/Tehran" },
	{ "Arabian Standard Time", "Asia/Dubai" },
	{ "Pakistan Standard Time", "Asia/Karachi" },
	{ "India Standard Time", "Asia/Kolkata" },
	{ "Nepal Standard Time", "Asia/Kathmandu" },
	{ "Bangladesh Standard Time", "Asia/Dhaka" },
	{ "SE Asia Standard Time", "Asia/Bangkok" },
	{ "China Standard Time", "Asia/Shanghai" },
	{ "Singapore Standard Time", "Asia/Singapore" },
	{ "Taipei Standard Time", "Asia/Taipei" },
	{ "W. Australia Standard Time", "Australia/Perth" },
	{ "Tokyo Standard Time", "Asia/Tokyo" },
	{ "Korea Standard Time", "Asia/Seoul" },
	{ "Cen. Australia Standard Time", "Australia/Adelaide" },
	{ "AUS Central Standard Time", "Australia/Darwin" },
	{ "E. Australia Standard Time", "Australia/Brisbane" },
	{ "AUS Eastern Standard Time", "Australia/Sydney" },
	{ "New Zealand Standard Time", "Pacific/Auckland" },
};

const char *ical_windows_zone(const char *windows_name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(ical_windows_zones); i++) {
		if (g_ascii_strcasecmp(windows_name, ical_windows_zones[i].windows) == 0)
			return ical_windows_zones[i].iana;
	}
	return NULL;
}

icaltimezone *ical_resolve_zone(icalcomponent *vcal, const char *tzid)
{
	icaltimezone *zone = NULL;
	const char *iana;

	if (tzid == NULL || *tzid == '\0')
		return NULL;
	if (vcal != NULL && icalcomponent_isa(vcal) == ICAL_VCALENDAR_COMPONENT)
		zone = icalcomponent_get_timezone(vcal, tzid);
	if (zone != NULL)
		return zone;
	iana = ical_windows_zone(tzid);
	if (iana == NULL)
		iana = tzid;
	if (strcmp(iana, "UTC") == 0 || strcmp(iana, "Etc/UTC") == 0 || strcmp(iana, "GMT") == 0)
		return icaltimezone_get_utc_timezone();
	zone = icaltimezone_get_builtin_timezone(iana);
	if (zone == NULL)
		zone = icaltimezone_get_builtin_timezone_from_tzid(tzid);
	return zone;
}

int ical_property_time(icalproperty *prop, icalcomponent *vcal, struct icaltimetype *time_r,
		       char **error_r)
{
	icalvalue *value = icalproperty_get_value(prop);
	icalparameter *tzid_param;
	struct icaltimetype t;
	const char *tzid;

	if (value == NULL) {
		*error_r = g_strdup_printf("%s has no value", icalproperty_get_property_name(prop));
		return -1;
	}
	switch (icalvalue_isa(value)) {
	case ICAL_DATETIME_VALUE:
		t = icalvalue_get_datetime(value);
		break;
	case ICAL_DATE_VALUE:
		t = icalvalue_get_date(value);
		break;
	case ICAL_DATETIMEPERIOD_VALUE: {
		struct icaldatetimeperiodtype dtp = icalvalue_get_datetimeperiod(value);

		t = icaltime_is_null_time(dtp.time) ? dtp.period.start : dtp.time;
		break;
	}
	default:
		*error_r = g_strdup_printf("%s is not a date or time", icalproperty_get_property_name(prop));
		return -1;
	}
	if (icaltime_is_null_time(t)) {
		*error_r = g_strdup_printf("%s has no valid time", icalproperty_get_property_name(prop));
		return -1;
	}
	tzid_param = icalproperty_get_first_parameter(prop, ICAL_TZID_PARAMETER);
	tzid = tzid_param != NULL ? icalparameter_get_tzid(tzid_param) : NULL;
	if (tzid != NULL && !t.is_date && !icaltime_is_utc(t)) {
		icaltimezone *zone = ical_resolve_zone(vcal, tzid);

		/* RFC 5545 3.2.19: a TZID names a VTIMEZONE of the object.
		 * libical turns a missing one into floating time without a
		 * word (SCHEDULING.md 3.2 trap 2); guessing would put the
		 * meeting at the wrong hour, so refuse. */
		if (zone == NULL) {
			*error_r = g_strdup_printf("unknown time zone '%s'", tzid);
			return -1;
		}
		t.zone = zone;
	}
	*time_r = t;
	return 0;
}

int64_t ical_time_seconds(struct icaltimetype t, gboolean *floating_r)
{
	if (t.is_date || (t.zone == NULL && !icaltime_is_utc(t))) {
		struct icaltimetype f = t;

		f.zone = NULL;
		*floating_r = TRUE;
		return (int64_t)icaltime_as_timet(f);
	}
	*floating_r = FALSE;
	return (int64_t)icaltime_as_timet_with_zone(t, t.zone != NULL ? t.zone
								: icaltimezone_get_utc_timezone());
}

icalcomponent *ical_parse_text(const char *text)
{
	return icalparser_parse_string(text);
}

gboolean ical_component_has_error(icalcomponent *comp, char **error_r)
{
	/* Only errors on what decides a time count: an unparseable
	 * ATTACH or X- property changes no one's availability. */
	static const char *const timing[] = { "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE",
					      "EXDATE", "RECURRENCE-ID", "STATUS", "TRANSP" };

	for (icalproperty *p = icalcomponent_get_first_property(comp, ICAL_XLICERROR_PROPERTY);
	     p != NULL; p = icalcomponent_get_next_property(comp, ICAL_XLICERROR_PROPERTY)) {
		const char *text = icalproperty_get_xlicerror(p);

		for (gsize i = 0; text != NULL && i < G_N_ELEMENTS(timing); i++) {
			if (strstr(text, timing[i]) != NULL) {
				*error_r = g_strdup_printf("cannot read %s (%s)", timing[i], text);
				return TRUE;
			}
		}
	}
	return FALSE;
}

ical_events *ical_events_new(void)
{
	ical_events *events = g_new0(ical_events, 1);

	events->instances = g_array_new(FALSE, FALSE, sizeof(ical_instance));
	events->warnings = g_ptr_array_new_with_free_func(g_free);
	events->strings = g_string_chunk_new(4096);
	events->span_start = INT64_MAX;
	events->span_end = INT64_MIN;
	return events;
}

void ical_events_free(ical_events **eventsp)
{
	ical_events *events = *eventsp;

	if (events == NULL)
		return;
	*eventsp = NULL;
	g_array_unref(events->instances);
	g_ptr_array_unref(events->warnings);
	g_string_chunk_free(events->strings);
	g_strfreev(events->owner);
	g_free(events);
}

void ical_events_set_owner(ical_events *events, const char *const *addresses)
{
	g_strfreev(events->owner);
	events->owner = NULL;
	if (addresses != NULL && addresses[0] != NULL)
		events->owner = g_strdupv((char **)addresses);
}

static const char *ical_strip_mailto(const char *value)
{
	if (value != NULL && g_ascii_strncasecmp(value, "mailto:", 7) == 0)
		return value + 7;
	return value;
}

/* Has the owner declined ev (RFC 5545 3.2.12 PARTSTAT=DECLINED on their
 * ATTENDEE)? */
static gboolean ical_owner_declined(const ical_events *events, icalcomponent *ev)
{
	if (events->owner == NULL)
		return FALSE;
	for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY); p != NULL;
	     p = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY)) {
		const char *address = ical_strip_mailto(icalproperty_get_attendee(p));
		icalparameter *partstat = icalproperty_get_first_parameter(p, ICAL_PARTSTAT_PARAMETER);

		if (address == NULL || partstat == NULL ||
		    icalparameter_get_partstat(partstat) != ICAL_PARTSTAT_DECLINED)
			continue;
		for (char **own = events->owner; *own != NULL; own++) {
			if (g_ascii_strcasecmp(address, ical_strip_mailto(*own)) == 0)
				return TRUE;
		}
	}
	return FALSE;
}

static int ical_instance_compare(gconstpointer a, gconstpointer b)
{
	const ical_instance *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

void ical_events_sort(ical_events *events)
{
	g_array_sort(events->instances, ical_instance_compare);
}

/* Floating times are read in the executive's zone later; until then a
 * window in UTC must be widened by the largest UTC offsets (+14h, -12h). */
#define ICAL_FLOATING_SLACK (14 * 3600)
/* Bounds on one series: iterations from DTSTART (a COUNT rule cannot
 * start later, icalrecur.h), and instances kept in the window (RFC 4791
 * 9.6.5's max-instances idea). */
#define ICAL_MAX_ITERATIONS 200000
#define ICAL_MAX_INSTANCES 10000

typedef struct ical_event_times {
	struct icaltimetype start;
	int64_t start_s;
	int64_t duration;
	gboolean floating;
} ical_event_times;

static int ical_read_times(icalcomponent *ev, icalcomponent *vcal, ical_event_times *r,
			   char **error_r)
{
	icalproperty *dtstart = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
	icalproperty *dtend = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
	icalproperty *duration = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY);

	if (dtstart == NULL) {
		*error_r = g_strdup("no DTSTART");
		return -1;
	}
	if (ical_property_time(dtstart, vcal, &r->start, error_r) < 0)
		return -1;
	r->start_s = ical_time_seconds(r->start, &r->floating);
	if (dtend != NULL) {
		struct icaltimetype end;
		gboolean end_floating;
		int64_t end_s;

		if (ical_property_time(dtend, vcal, &end, error_r) < 0)
			return -1;
		end_s = ical_time_seconds(end, &end_floating);
		if (end_floating != r->floating) {
			*error_r = g_strdup("DTSTART and DTEND are of different kinds (one floating)");
			return -1;
		}
		r->duration = end_s - r->start_s;
	} else if (duration != NULL) {
		r->duration = icaldurationtype_as_int(icalproperty_get_duration(duration));
	} else {
		/* RFC 5545 3.6.1: a DATE DTSTART alone lasts that day; a
		 * DATE-TIME alone takes no time. */
		r->duration = r->start.is_date ? 86400 : 0;
	}
	if (r->duration < 0) {
		*error_r = g_strdup("ends before it starts");
		return -1;
	}
	return 0;
}

static gboolean ical_is_cancelled(icalcomponent *ev)
{
	return icalcomponent_get_first_property(ev, ICAL_STATUS_PROPERTY) != NULL &&
	       icalcomponent_get_status(ev) == ICAL_STATUS_CANCELLED;
}

static void ical_warn(ical_events *events, const char *uid, const char *what)
{
	g_ptr_array_add(events->warnings,
			g_strdup_printf("event %s: %s", uid != NULL ? uid : "(no UID)", what));
}

static ical_instance ical_base_instance(ical_events *events, icalcomponent *ev,
					const ical_event_times *times)
{
	ical_instance in = { 0 };
	icalproperty *transp = icalcomponent_get_first_property(ev, ICAL_TRANSP_PROPERTY);
	icalproperty *status = icalcomponent_get_first_property(ev, ICAL_STATUS_PROPERTY);
	const char *uid = icalcomponent_get_uid(ev);
	const char *summary = icalcomponent_get_summary(ev);

	in.uid = g_string_chunk_insert_const(events->strings, uid != NULL ? uid : "");
	in.summary = g_string_chunk_insert_const(events->strings, summary != NULL ? summary : "");
	in.floating = times->floating;
	in.all_day = times->start.is_date;
	in.transparent = transp != NULL && icalproperty_get_transp(transp) == ICAL_TRANSP_TRANSPARENT;
	in.tentative = status != NULL && icalproperty_get_status(status) == ICAL_STATUS_TENTATIVE;
	in.declined = ical_owner_declined(events, ev);
	return in;
}

typedef struct ical_series {
	ical_events *events;
	ical_instance base;
	int64_t duration;
	int64_t lo, hi;          /* window, widened for floating times */
	GHashTable *exdates;     /* int64 seconds */
	GHashTable *exdays;      /* int64 day numbers (EXDATE;VALUE=DATE) */
	GHashTable *overridden;  /* int64 seconds: instances a RECURRENCE-ID replaced, or NULL */
	GHashTable *seen;        /* int64 seconds: starts emitted */
	guint kept;
} ical_series;

static int64_t ical_day_number(int64_t floating_seconds)
{
	return floating_seconds >= 0 ? floating_seconds / 86400 : -((-floating_seconds + 86399) / 86400);
}

/* One candidate start of a series (local is its wall-clock time). */
static void ical_series_consider(ical_series *s, struct icaltimetype local, int64_t start,
				 int64_t duration)
{
	struct icaltimetype day = local;
	gboolean floating;

	if (g_hash_table_contains(s->seen, &start))
		return;
	g_hash_table_add(s->seen, g_memdup2(&start, sizeof start));
	if (g_hash_table_contains(s->exdates, &start))
		return;
	day.zone = NULL;
	day.is_date = 1;
	if (g_hash_table_size(s->exdays) > 0) {
		int64_t d = ical_day_number(ical_time_seconds(day, &floating));

		if (g_hash_table_contains(s->exdays, &d))
			return;
	}
	/* RFC 5545 3.8.4.4: the component with this RECURRENCE-ID
	 * replaces the instance; it was added on its own. */
	if (s->overridden != NULL && g_hash_table_contains(s->overridden, &start))
		return;
	if (start < s->hi && start + duration > s->lo && s->kept < ICAL_MAX_INSTANCES) {
		ical_instance in = s->base;

		in.start = start;
		in.end = start + duration;
		in.recurrence_id = start;
		g_array_append_val(s->events->instances, in);
		s->kept++;
	}
}

static int ical_read_exdates(ical_series *s, icalcomponent *ev, icalcomponent *vcal,
			     char **error_r)
{
	for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY); p != NULL;
	     p = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY)) {
		struct icaltimetype t;
		gboolean floating;
		int64_t v;

		if (ical_property_time(p, vcal, &t, error_r) < 0)
			return -1;
		v = ical_time_seconds(t, &floating);
		if (t.is_date && !s->base.all_day) {
			v = ical_day_number(v);
			g_hash_table_add(s->exdays, g_memdup2(&v, sizeof v));
		} else {
			g_hash_table_add(s->exdates, g_memdup2(&v, sizeof v));
		}
	}
	return 0;
}

/* A series that began long before the window is not walked from its
 * DTSTART: that cost the most of reading a calendar (libical steps each
 * instance through ICU). icalrecur_iterator_set_start cannot be used
 * with COUNT (icalrecur.h: the instances must be counted from DTSTART);
 * it is used only where its result is plainly the same: a DAILY or
 * WEEKLY rule of INTERVAL 1 without BYSETPOS, and a DTSTART with a time
 * (a DATE one would be compared with a DATE-TIME). It starts a day
 * before the earliest instance that could reach into the window. */
static void ical_series_skip_ahead(const ical_series *s, icalrecur_iterator *it,
				   const struct icalrecurrencetype *rule, const ical_event_times *times)
{
	int64_t at = s->lo - times->duration - 86400;
	struct icaltimetype start;

	if (rule->count > 0 || rule->interval > 1 || rule->by_set_pos[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	    (rule->freq != ICAL_DAILY_RECURRENCE && rule->freq != ICAL_WEEKLY_RECURRENCE) ||
	    times->start.is_date || at <= times->start_s + 7 * 86400)
		return;
	if (times->floating || times->start.zone == NULL)
		start = icaltime_from_timet_with_zone((time_t)at, 0, NULL);
	else
		start = icaltime_from_timet_with_zone((time_t)at, 0, (icaltimezone *)times->start.zone);
	/* On failure the iterator still starts at DTSTART: slower, not wrong. */
	icalrecur_iterator_set_start(it, start);
}

static int ical_expand_series(ical_series *s, icalcomponent *ev, icalcomponent *vcal,
			      const ical_event_times *times, char **error_r)
{
	gboolean floating;

	if (ical_read_exdates(s, ev, vcal, error_r) < 0)
		return -1;
	/* RFC 5545 3.8.5.3: DTSTART is the first instance of the set. */
	ical_series_consider(s, times->start, times->start_s, times->duration);
	for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY); p != NULL;
	     p = icalcomponent_get_next_property(ev, ICAL_RRULE_PROPERTY)) {
		struct icalrecurrencetype rule = icalproperty_get_rrule(p);
		icalrecur_iterator *it;

		if (rule.freq == ICAL_NO_RECURRENCE) {
			*error_r = g_strdup("RRULE cannot be read");
			return -1;
		}
		it = icalrecur_iterator_new(rule, times->start);
		if (it == NULL) {
			*error_r = g_strdup("RRULE cannot be expanded");
			return -1;
		}
		ical_series_skip_ahead(s, it, &rule, times);
		for (int n = 0; n < ICAL_MAX_ITERATIONS; n++) {
			struct icaltimetype t = icalrecur_iterator_next(it);
			int64_t start;

			if (icaltime_is_null_time(t))
				break;
			t.zone = times->start.zone;
			start = ical_time_seconds(t, &floating);
			if (start >= s->hi)
				break;
			ical_series_consider(s, t, start, times->duration);
		}
		icalrecur_iterator_free(it);
	}
	for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY); p != NULL;
	     p = icalcomponent_get_next_property(ev, ICAL_RDATE_PROPERTY)) {
		struct icaldatetimeperiodtype dtp = icalproperty_get_rdate(p);
		struct icaltimetype t;
		int64_t start, duration = times->duration;

		if (ical_property_time(p, vcal, &t, error_r) < 0)
			return -1;
		start = ical_time_seconds(t, &floating);
		if (icaltime_is_null_time(dtp.time)) {
			/* RDATE;VALUE=PERIOD gives its own length (3.8.5.2). */
			if (!icaltime_is_null_time(dtp.period.end)) {
				struct icaltimetype end = dtp.period.end;

				end.zone = icaltime_is_utc(end) ? end.zone : t.zone;
				duration = ical_time_seconds(end, &floating) - start;
			} else {
				duration = icaldurationtype_as_int(dtp.period.duration);
			}
			if (duration < 0)
				duration = 0;
		}
		ical_series_consider(s, t, start, duration);
	}
	return 0;
}

static gboolean ical_is_recurring(icalcomponent *ev)
{
	return icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY) != NULL ||
	       icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY) != NULL;
}

static void ical_int64_free(gpointer p)
{
	g_free(p);
}

static GHashTable *ical_int64_set(void)
{
	return g_hash_table_new_full(g_int64_hash, g_int64_equal, ical_int64_free, NULL);
}

/* One VCALENDAR: overrides first, so that the masters know which
 * instances they no longer own (libical issue #314). */
#define ICAL_SPAN_SLACK 86400

static void ical_span_add(ical_events *events, int64_t start, int64_t end)
{
	if (start != INT64_MIN && start - ICAL_SPAN_SLACK < events->span_start)
		events->span_start = start - ICAL_SPAN_SLACK;
	if (start == INT64_MIN)
		events->span_start = INT64_MIN;
	if (end == INT64_MAX)
		events->span_end = INT64_MAX;
	else if (events->span_end != INT64_MAX && end + ICAL_SPAN_SLACK > events->span_end)
		events->span_end = end + ICAL_SPAN_SLACK;
}

/* An event that could not be read: always read again, so its warning
 * is seen every time. */
static void ical_span_unknown(ical_events *events)
{
	ical_span_add(events, INT64_MIN, INT64_MAX);
}

static void ical_add_vcalendar(ical_events *events, icalcomponent *vcal, int64_t from, int64_t to)
{
	GHashTable *overrides = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						      (GDestroyNotify)g_hash_table_unref);
	GPtrArray *vevents = g_ptr_array_new();

	for (icalcomponent *ev = icalcomponent_get_first_component(vcal, ICAL_VEVENT_COMPONENT);
	     ev != NULL; ev = icalcomponent_get_next_component(vcal, ICAL_VEVENT_COMPONENT))
		g_ptr_array_add(vevents, ev);

	for (guint i = 0; i < vevents->len; i++) {
		icalcomponent *ev = g_ptr_array_index(vevents, i);
		icalproperty *rid = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
		const char *uid = icalcomponent_get_uid(ev);
		g_autofree char *error = NULL;
		ical_event_times times;
		struct icaltimetype rid_t;
		gboolean floating;
		GHashTable *set;
		int64_t rid_s;

		if (rid == NULL)
			continue;
		events->events++;
		if (uid == NULL) {
			ical_warn(events, NULL, "no UID");
			ical_span_unknown(events);
			continue;
		}
		if (ical_component_has_error(ev, &error) ||
		    ical_property_time(rid, vcal, &rid_t, &error) < 0) {
			ical_warn(events, uid, error);
			ical_span_unknown(events);
			continue;
		}
		rid_s = ical_time_seconds(rid_t, &floating);
		set = g_hash_table_lookup(overrides, uid);
		if (set == NULL) {
			set = ical_int64_set();
			g_hash_table_insert(overrides, g_strdup(uid), set);
		}
		g_hash_table_add(set, g_memdup2(&rid_s, sizeof rid_s));
		if (ical_is_cancelled(ev))
			continue;
		if (ical_read_times(ev, vcal, &times, &error) < 0) {
			ical_warn(events, uid, error);
			ical_span_unknown(events);
			continue;
		}
		ical_span_add(events, times.start_s - (times.floating ? ICAL_FLOATING_SLACK : 0),
			      times.start_s + times.duration + (times.floating ? ICAL_FLOATING_SLACK : 0));
		{
			int64_t lo = times.floating ? from - ICAL_FLOATING_SLACK : from;
			int64_t hi = times.floating ? to + ICAL_FLOATING_SLACK : to;
			ical_instance in = ical_base_instance(events, ev, &times);

			if (times.start_s < hi && times.start_s + times.duration > lo) {
				in.start = times.start_s;
				in.end = times.start_s + times.duration;
				in.recurrence_id = rid_s;
				in.recurring = 1;
				in.overridden = 1;
				g_array_append_val(events->instances, in);
			}
		}
	}

	for (guint i = 0; i < vevents->len; i++) {
		icalcomponent *ev = g_ptr_array_index(vevents, i);
		const char *uid = icalcomponent_get_uid(ev);
		g_autofree char *error = NULL;
		ical_event_times times;
		ical_series s = { 0 };

		if (icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY) != NULL)
			continue;
		events->events++;
		if (uid == NULL) {
			ical_warn(events, NULL, "no UID");
			ical_span_unknown(events);
			continue;
		}
		if (ical_is_cancelled(ev))
			continue;
		if (ical_component_has_error(ev, &error) || ical_read_times(ev, vcal, &times, &error) < 0) {
			ical_warn(events, uid, error);
			ical_span_unknown(events);
			continue;
		}
		s.events = events;
		s.base = ical_base_instance(events, ev, &times);
		s.base.recurring = ical_is_recurring(ev);
		/* A series may have RDATEs before DTSTART (RFC 5545 3.8.5.2)
		 * and no end: its span is unknown at both ends. */
		if (s.base.recurring)
			ical_span_unknown(events);
		else
			ical_span_add(events, times.start_s - (times.floating ? ICAL_FLOATING_SLACK : 0),
				      times.start_s + times.duration +
					      (times.floating ? ICAL_FLOATING_SLACK : 0));
		s.duration = times.duration;
		s.lo = times.floating ? from - ICAL_FLOATING_SLACK : from;
		s.hi = times.floating ? to + ICAL_FLOATING_SLACK : to;
		s.exdates = ical_int64_set();
		s.exdays = ical_int64_set();
		s.seen = ical_int64_set();
		s.overridden = g_hash_table_lookup(overrides, uid);
		if (!s.base.recurring) {
			ical_series_consider(&s, times.start, times.start_s, times.duration);
		} else {
			guint before = events->instances->len;

			if (ical_expand_series(&s, ev, vcal, &times, &error) < 0) {
				/* Half a series would look free where it is not. */
				g_array_set_size(events->instances, before);
				ical_warn(events, uid, error);
			}
		}
		g_hash_table_unref(s.exdates);
		g_hash_table_unref(s.exdays);
		g_hash_table_unref(s.seen);
	}
	g_ptr_array_free(vevents, TRUE);
	g_hash_table_unref(overrides);
}

int ical_events_add(ical_events *events, const char *text, int64_t from, int64_t to,
		    char **error_r)
{
	icalcomponent *root;
	int status = 0;

	ical_lock();
	root = ical_parse_text(text);
	if (root == NULL) {
		*error_r = g_strdup("not iCalendar data (no BEGIN:VCALENDAR)");
		status = -1;
		goto out;
	}
	switch (icalcomponent_isa(root)) {
	case ICAL_VCALENDAR_COMPONENT:
		ical_add_vcalendar(events, root, from, to);
		break;
	case ICAL_XROOT_COMPONENT: {
		/* Several VCALENDARs one after the other. Collected first:
		 * the parent's one internal iterator must not be shared. */
		GPtrArray *cals = g_ptr_array_new();

		for (icalcomponent *c = icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
		     c != NULL; c = icalcomponent_get_next_component(root, ICAL_VCALENDAR_COMPONENT))
			g_ptr_array_add(cals, c);
		for (guint i = 0; i < cals->len; i++)
			ical_add_vcalendar(events, g_ptr_array_index(cals, i), from, to);
		g_ptr_array_free(cals, TRUE);
		break;
	}
	default:
		*error_r = g_strdup("not iCalendar data (no VCALENDAR)");
		status = -1;
		break;
	}
	icalcomponent_free(root);
out:
	ical_unlock();
	return status;
}

void ical_events_clip(ical_events *events, int64_t from, int64_t to)
{
	guint kept = 0;

	for (guint i = 0; i < events->instances->len; i++) {
		ical_instance *in = &g_array_index(events->instances, ical_instance, i);
		int64_t lo = in->floating ? from - ICAL_FLOATING_SLACK : from;
		int64_t hi = in->floating ? to + ICAL_FLOATING_SLACK : to;

		if (in->start < hi && in->end > lo) {
			if (kept != i)
				g_array_index(events->instances, ical_instance, kept) = *in;
			kept++;
		}
	}
	g_array_set_size(events->instances, kept);
}

/* Version 1: (version, events, [(start, end, recurrence_id, uid,
 * summary, flags)], [warning]). */
#define ICAL_BYTES_TYPE "(uua(xxxssq)as)"
/* 2: the declined flag (the owner's PARTSTAT=DECLINED). */
#define ICAL_BYTES_VERSION 2u

GBytes *ical_events_to_bytes(const ical_events *events)
{
	GVariantBuilder instances, warnings;
	GVariant *v;
	GBytes *bytes;

	g_variant_builder_init(&instances, G_VARIANT_TYPE("a(xxxssq)"));
	for (guint i = 0; i < events->instances->len; i++) {
		const ical_instance *in = &g_array_index(events->instances, ical_instance, i);
		guint16 flags = (guint16)(in->floating | in->all_day << 1 | in->transparent << 2 |
					  in->tentative << 3 | in->recurring << 4 | in->overridden << 5 |
					  in->declined << 6);

		g_variant_builder_add(&instances, "(xxxssq)", (gint64)in->start, (gint64)in->end,
				      (gint64)in->recurrence_id, in->uid != NULL ? in->uid : "",
				      in->summary != NULL ? in->summary : "", flags);
	}
	g_variant_builder_init(&warnings, G_VARIANT_TYPE("as"));
	for (guint i = 0; i < events->warnings->len; i++)
		g_variant_builder_add(&warnings, "s", (const char *)g_ptr_array_index(events->warnings, i));
	v = g_variant_ref_sink(g_variant_new(ICAL_BYTES_TYPE, ICAL_BYTES_VERSION, events->events,
					     &instances, &warnings));
	bytes = g_variant_get_data_as_bytes(v);
	g_variant_unref(v);
	return bytes;
}

ical_events *ical_events_from_bytes(const void *data, gsize len)
{
	g_autoptr(GBytes) bytes = g_bytes_new(data, len);
	g_autoptr(GVariant) v = g_variant_ref_sink(
		g_variant_new_from_bytes(G_VARIANT_TYPE(ICAL_BYTES_TYPE), bytes, FALSE));
	g_autoptr(GVariantIter) instances = NULL;
	g_autoptr(GVariantIter) warnings = NULL;
	ical_events *events;
	guint32 version, n_events;
	gint64 start, end, rid;
	const char *uid, *summary, *warning;
	guint16 flags;

	/* Bytes not of this version (or damaged) read as "not such": the
	 * caller parses the text again. */
	g_variant_get(v, ICAL_BYTES_TYPE, &version, &n_events, &instances, &warnings);
	if (version != ICAL_BYTES_VERSION)
		return NULL;
	events = ical_events_new();
	events->events = n_events;
	while (g_variant_iter_next(instances, "(xxx&s&sq)", &start, &end, &rid,
				   &uid, &summary, &flags)) {
		ical_instance in = { 0 };

		in.start = start;
		in.end = end;
		in.recurrence_id = rid;
		in.uid = g_string_chunk_insert_const(events->strings, uid);
		in.summary = g_string_chunk_insert_const(events->strings, summary);
		in.floating = flags & 1;
		in.all_day = (flags >> 1) & 1;
		in.transparent = (flags >> 2) & 1;
		in.tentative = (flags >> 3) & 1;
		in.recurring = (flags >> 4) & 1;
		in.overridden = (flags >> 5) & 1;
		in.declined = (flags >> 6) & 1;
		g_array_append_val(events->instances, in);
	}
	while (g_variant_iter_next(warnings, "&s", &warning))
		g_ptr_array_add(events->warnings, g_strdup(warning));
	return events;
}
