/* Availability: see calendar.h. */
#include "calendar/calendar.h"
#include "util/text.h"
#include "timer/local-time.h"
#include "util/clock.h"

#include <stdlib.h>
#include <string.h>

typedef struct calendar_busy {
	int64_t start, end;
	const char *uid, *summary, *calendar; /* in index->strings */
	gboolean tentative;
	gboolean all_day;
} calendar_busy;

typedef struct calendar_holiday {
	const char *uid, *summary, *calendar;
} calendar_holiday;

struct calendar_index {
	GTimeZone *tz;
	int64_t from, to;
	/* Intervals up to a day long, sorted by start: every interval that
	 * overlaps [a, b) starts in [a - max_short, b), found by binary
	 * search. Longer ones (a week's conference) are few, and scanned. */
	GArray *busy;   /* calendar_busy */
	GArray *longer; /* calendar_busy */
	int64_t max_short;
	GHashTable *holidays; /* julian day (local) -> calendar_holiday * */
	GPtrArray *warnings;
	GStringChunk *strings;
	gboolean sorted;
	char **owner; /* the client's addresses (calendar_index_set_owner), or NULL */
};

#define CALENDAR_SHORT_MAX 86400

const char *const *calendar_index_owner(const calendar_index *index)
{
	return (const char *const *)index->owner;
}

void calendar_index_set_owner(calendar_index *index, const char *const *addresses)
{
	g_strfreev(index->owner);
	index->owner = NULL;
	if (addresses != NULL && addresses[0] != NULL)
		index->owner = g_strdupv((char **)addresses);
}

calendar_index *calendar_index_new(GTimeZone *tz, int64_t from, int64_t to)
{
	calendar_index *index = g_new0(calendar_index, 1);

	index->tz = g_time_zone_ref(tz);
	index->from = from;
	index->to = to;
	index->busy = g_array_new(FALSE, FALSE, sizeof(calendar_busy));
	index->longer = g_array_new(FALSE, FALSE, sizeof(calendar_busy));
	index->holidays = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	index->warnings = g_ptr_array_new_with_free_func(g_free);
	index->strings = g_string_chunk_new(8192);
	index->sorted = TRUE;
	return index;
}

void calendar_index_free(calendar_index **indexp)
{
	calendar_index *index = *indexp;

	if (index == NULL)
		return;
	*indexp = NULL;
	g_time_zone_unref(index->tz);
	g_array_unref(index->busy);
	g_array_unref(index->longer);
	g_hash_table_unref(index->holidays);
	g_ptr_array_unref(index->warnings);
	g_string_chunk_free(index->strings);
	g_strfreev(index->owner);
	g_free(index);
}

guint calendar_index_busy_count(const calendar_index *index)
{
	return index->busy->len + index->longer->len;
}

void calendar_index_foreach(const calendar_index *index, int64_t from, int64_t to,
			    calendar_event_callback *callback, void *context)
{
	const GArray *lists[] = { index->busy, index->longer };

	/* A listing for people (the digest's agenda), not a hot path: both
	 * arrays scanned, in start order within each. */
	for (guint l = 0; l < G_N_ELEMENTS(lists); l++) {
		for (guint i = 0; i < lists[l]->len; i++) {
			const calendar_busy *b = &g_array_index(lists[l], calendar_busy, i);

			if (b->end > from && b->start < to)
				callback(b->start, b->end, b->summary, b->calendar, b->all_day, context);
		}
	}
}

static int calendar_view_compare(gconstpointer a, gconstpointer b)
{
	const calendar_event_view *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end ? 1 : 0;
}

void calendar_index_foreach_overlap(const calendar_index *index, int64_t from, int64_t to,
				    calendar_overlap_callback *callback, void *context)
{
	const GArray *lists[] = { index->busy, index->longer };
	GArray *events = g_array_new(FALSE, FALSE, sizeof(calendar_event_view));

	for (guint l = 0; l < G_N_ELEMENTS(lists); l++) {
		for (guint i = 0; i < lists[l]->len; i++) {
			const calendar_busy *b = &g_array_index(lists[l], calendar_busy, i);
			calendar_event_view v = { b->start, b->end, b->uid, b->summary, b->calendar };

			if (b->end > from && b->start < to && !b->all_day && b->end > b->start)
				g_array_append_val(events, v);
		}
	}
	g_array_sort(events, calendar_view_compare);
	/* A sweep in start order: each event against those starting before
	 * it ends. */
	for (guint i = 0; i < events->len; i++) {
		const calendar_event_view *a = &g_array_index(events, calendar_event_view, i);

		for (guint j = i + 1; j < events->len; j++) {
			const calendar_event_view *b = &g_array_index(events, calendar_event_view, j);

			if (b->start >= a->end)
				break;
			if (g_strcmp0(a->uid, b->uid) != 0)
				callback(a, b, context);
		}
	}
	g_array_unref(events);
}

void calendar_index_add_warning(calendar_index *index, const char *text)
{
	g_ptr_array_add(index->warnings, g_strdup(text));
}

const GPtrArray *calendar_index_warnings(const calendar_index *index)
{
	return index->warnings;
}

/* A floating wall-clock time (encoded as if UTC, see ical.h) in tz, by
 * RFC 5545 3.3.5's rule for gaps and repeated hours (timer_local_time). */
static int64_t calendar_floating_to_utc(GTimeZone *tz, int64_t floating)
{
	GDateTime *wall = g_date_time_new_from_unix_utc(floating);
	GDateTime *local;
	int64_t seconds = floating;

	if (wall == NULL)
		return floating;
	local = timer_local_time(tz, g_date_time_get_year(wall), g_date_time_get_month(wall),
				 g_date_time_get_day_of_month(wall), g_date_time_get_hour(wall),
				 g_date_time_get_minute(wall), g_date_time_get_second(wall));
	if (local != NULL) {
		seconds = g_date_time_to_unix(local);
		g_date_time_unref(local);
	}
	g_date_time_unref(wall);
	return seconds;
}

/* The instance's [start, end) in UTC. */
static void calendar_instance_utc(GTimeZone *tz, const ical_instance *in, int64_t *start_r,
				  int64_t *end_r)
{
	if (!in->floating) {
		*start_r = in->start;
		*end_r = in->end;
		return;
	}
	*start_r = calendar_floating_to_utc(tz, in->start);
	*end_r = calendar_floating_to_utc(tz, in->end);
	if (*end_r < *start_r)
		*end_r = *start_r;
}

/* Local calendar day of an instant, as a julian day number. */
static guint32 calendar_local_day(GTimeZone *tz, int64_t t, GDateTime **local_r)
{
	GDateTime *utc = g_date_time_new_from_unix_utc(t);
	GDateTime *local = g_date_time_to_timezone(utc, tz);
	GDate date;

	g_date_time_unref(utc);
	g_date_clear(&date, 1);
	g_date_set_dmy(&date, g_date_time_get_day_of_month(local), g_date_time_get_month(local),
		       g_date_time_get_year(local));
	if (local_r != NULL)
		*local_r = local;
	else
		g_date_time_unref(local);
	return g_date_get_julian(&date);
}

static guint32 calendar_floating_day(int64_t floating)
{
	GDate date;

	g_date_clear(&date, 1);
	g_date_set_dmy(&date, 1, 1, 1970);
	g_date_add_days(&date, (guint)(floating / 86400));
	return g_date_get_julian(&date);
}

static void calendar_add_holiday(calendar_index *index, const char *calendar_id,
				 const ical_instance *in)
{
	guint32 first, last;

	if (in->all_day) {
		/* DATE values: the days as written, not shifted by a zone. */
		first = calendar_floating_day(in->start);
		last = calendar_floating_day(in->end > in->start ? in->end - 1 : in->start);
	} else {
		int64_t start, end;

		calendar_instance_utc(index->tz, in, &start, &end);
		first = calendar_local_day(index->tz, start, NULL);
		last = calendar_local_day(index->tz, end > start ? end - 1 : start, NULL);
	}
	for (guint32 day = first; day <= last && day - first < 366; day++) {
		calendar_holiday *h;

		if (g_hash_table_contains(index->holidays, GUINT_TO_POINTER(day)))
			continue;
		h = g_new0(calendar_holiday, 1);
		h->uid = in->uid != NULL ? g_string_chunk_insert_const(index->strings, in->uid) : "";
		h->summary = in->summary != NULL ? g_string_chunk_insert_const(index->strings, in->summary) : "";
		h->calendar = g_string_chunk_insert_const(index->strings, calendar_id);
		g_hash_table_insert(index->holidays, GUINT_TO_POINTER(day), h);
	}
}

void calendar_index_add_events(calendar_index *index, const char *calendar_id, calendar_role role,
			       const ical_events *events)
{
	const char *cal = g_string_chunk_insert_const(index->strings, calendar_id);

	for (guint i = 0; i < events->warnings->len; i++)
		g_ptr_array_add(index->warnings,
				g_strdup_printf("calendar %s: %s", calendar_id,
						(const char *)g_ptr_array_index(events->warnings, i)));
	for (guint i = 0; i < events->instances->len; i++) {
		const ical_instance *in = &g_array_index(events->instances, ical_instance, i);
		calendar_busy busy = { 0 };

		if (role == CALENDAR_ROLE_HOLIDAY) {
			calendar_add_holiday(index, calendar_id, in);
			continue;
		}
		/* Declined by the executive: not their time (RFC 5545
		 * 3.2.12); TRANSPARENT: free (3.8.2.7). */
		if (in->transparent || in->declined)
			continue;
		calendar_instance_utc(index->tz, in, &busy.start, &busy.end);
		/* RFC 5545 3.6.1: an event with no duration takes no time. */
		if (busy.end <= busy.start || busy.end <= index->from || busy.start >= index->to)
			continue;
		busy.uid = g_string_chunk_insert_const(index->strings, in->uid);
		busy.summary = g_string_chunk_insert_const(index->strings, in->summary);
		busy.calendar = cal;
		busy.tentative = in->tentative;
		busy.all_day = in->all_day;
		if (busy.end - busy.start <= CALENDAR_SHORT_MAX) {
			g_array_append_val(index->busy, busy);
			if (busy.end - busy.start > index->max_short)
				index->max_short = busy.end - busy.start;
		} else {
			g_array_append_val(index->longer, busy);
		}
	}
	index->sorted = FALSE;
}

int calendar_index_add_text(calendar_index *index, const char *calendar_id, calendar_role role,
			    const char *text, char **error_r)
{
	ical_events *events = ical_events_new();
	int status;

	ical_events_set_owner(events, (const char *const *)index->owner);
	status = ical_events_add(events, text, index->from, index->to, error_r);
	if (status == 0)
		calendar_index_add_events(index, calendar_id, role, events);
	ical_events_free(&events);
	return status;
}

static int calendar_busy_compare(gconstpointer a, gconstpointer b)
{
	const calendar_busy *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

void calendar_index_finish(calendar_index *index)
{
	if (index->sorted)
		return;
	g_array_sort(index->busy, calendar_busy_compare);
	g_array_sort(index->longer, calendar_busy_compare);
	index->sorted = TRUE;
}

/* First position whose start is >= t. */
static guint calendar_lower_bound(const GArray *busy, int64_t t)
{
	guint lo = 0, hi = busy->len;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;

		if (g_array_index(busy, calendar_busy, mid).start < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static gboolean calendar_same_uid(const calendar_busy *busy, const char *uid)
{
	return uid != NULL && *uid != '\0' && strcmp(busy->uid, uid) == 0;
}

/* The busy event overlapping [a, b), other than uid's own; a firm one is
 * preferred to a tentative one. NULL when none. */
static const calendar_busy *calendar_find_overlap(const calendar_index *index, int64_t a, int64_t b,
						  const char *uid)
{
	const calendar_busy *tentative = NULL;

	for (guint i = calendar_lower_bound(index->busy, a - index->max_short); i < index->busy->len; i++) {
		const calendar_busy *busy = &g_array_index(index->busy, calendar_busy, i);

		if (busy->start >= b)
			break;
		if (busy->end <= a || calendar_same_uid(busy, uid))
			continue;
		if (!busy->tentative)
			return busy;
		if (tentative == NULL)
			tentative = busy;
	}
	for (guint i = 0; i < index->longer->len; i++) {
		const calendar_busy *busy = &g_array_index(index->longer, calendar_busy, i);

		if (busy->start >= b)
			break;
		if (busy->end <= a || calendar_same_uid(busy, uid))
			continue;
		if (!busy->tentative)
			return busy;
		if (tentative == NULL)
			tentative = busy;
	}
	return tentative;
}

/* Meetings (timed, busy, not uid's own) starting in [a, b). */
static int calendar_count_starting(const calendar_index *index, int64_t a, int64_t b, const char *uid)
{
	int count = 0;

	for (guint i = calendar_lower_bound(index->busy, a); i < index->busy->len; i++) {
		const calendar_busy *busy = &g_array_index(index->busy, calendar_busy, i);

		if (busy->start >= b)
			break;
		if (!busy->all_day && !calendar_same_uid(busy, uid))
			count++;
	}
	return count;
}

const char *calendar_verdict_name(calendar_verdict verdict)
{
	switch (verdict) {
	case CALENDAR_FREE:
		return "free";
	case CALENDAR_CONFLICT:
		return "conflict";
	case CALENDAR_OUTSIDE_HOURS:
		return "outside-hours";
	case CALENDAR_HOLIDAY:
		return "holiday";
	case CALENDAR_TOO_MANY:
		return "too-many";
	case CALENDAR_SHORT_NOTICE:
		return "short-notice";
	case CALENDAR_NOTHING:
		return "nothing";
	}
	return "?";
}

void calendar_decision_clear(calendar_decision *d)
{
	g_free(d->event_uid);
	g_free(d->event_summary);
	g_free(d->calendar_id);
	g_free(d->reason);
	for (guint i = 0; d->blocked != NULL && i < d->blocked->len; i++)
		g_free(g_array_index(d->blocked, calendar_blocked, i).reason);
	if (d->blocked != NULL)
		g_array_unref(d->blocked);
	memset(d, 0, sizeof *d);
}

/* Event titles come from other people's calendars: no control
 * characters and a bounded length in a line meant for the digest. */
/* Untrusted text from someone's calendar, for people: the project's one
 * cleaner (util/text.h: controls and bidi overrides out, one line). */
static char *calendar_clean_title(const char *text)
{
	char *clean = text_clean_line(text != NULL ? text : "", 80);

	if (*clean == '\0') {
		g_free(clean);
		clean = g_strdup("(no title)");
	}
	return clean;
}

static char *calendar_format_span(GTimeZone *tz, int64_t start, int64_t end)
{
	g_autoptr(GDateTime) s_utc = g_date_time_new_from_unix_utc(start);
	g_autoptr(GDateTime) e_utc = g_date_time_new_from_unix_utc(end);
	g_autoptr(GDateTime) s = g_date_time_to_timezone(s_utc, tz);
	g_autoptr(GDateTime) e = g_date_time_to_timezone(e_utc, tz);
	g_autofree char *from = g_date_time_format(s, "%a %d %b %Y %H:%M");
	g_autofree char *to = g_date_time_format(e, "%H:%M");
	g_autofree char *zone = g_date_time_format(s, "%Z");

	return g_strdup_printf("%s-%s %s", from, to, zone);
}

typedef struct calendar_slot {
	int64_t start, end;
	int64_t recurrence_id; /* as the invitation writes it (ical_instance) */
} calendar_slot;

static int calendar_slot_compare(gconstpointer a, gconstpointer b)
{
	const calendar_slot *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

/* Is [start, end) inside one of its local day's working-hour ranges? */
static gboolean calendar_within_hours(const calendar_rules *rules, int64_t start, int64_t end)
{
	GDateTime *ls, *le;
	guint32 day_s = calendar_local_day(rules->tz, start, &ls);
	guint32 day_e = calendar_local_day(rules->tz, end, &le);
	int weekday = g_date_time_get_day_of_week(ls) - 1;
	int ms = g_date_time_get_hour(ls) * 60 + g_date_time_get_minute(ls);
	int me = g_date_time_get_hour(le) * 60 + g_date_time_get_minute(le) +
		 (g_date_time_get_second(le) > 0 ? 1 : 0);
	gboolean inside = FALSE;

	/* A meeting ending at midnight ends at 24:00 of its own day. */
	if (day_e == day_s + 1 && me == 0)
		me = 24 * 60;
	else if (day_e != day_s)
		me = -1;
	for (int i = 0; me >= 0 && i < rules->n_ranges[weekday]; i++) {
		if (ms >= rules->ranges[weekday][i].start && me <= rules->ranges[weekday][i].end)
			inside = TRUE;
	}
	g_date_time_unref(ls);
	g_date_time_unref(le);
	return inside;
}

static const char *calendar_ordinal_suffix(int n)
{
	if (n % 100 >= 11 && n % 100 <= 13)
		return "th";
	return n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
}

static void calendar_set_reason(calendar_decision *d, const calendar_rules *rules, guint n,
				const char *what)
{
	g_autofree char *span = calendar_format_span(rules->tz, d->start, d->end);

	if (n > 1)
		d->reason = g_strdup_printf("%d%s of %u instances, %s: %s", d->instance + 1,
					    calendar_ordinal_suffix(d->instance + 1), n, span, what);
	else
		d->reason = g_strdup_printf("%s: %s", span, what);
}

static void calendar_set_event(calendar_decision *d, const char *uid, const char *summary,
			       const char *calendar)
{
	d->event_uid = g_strdup(uid);
	d->event_summary = g_strdup(summary);
	d->calendar_id = g_strdup(calendar);
}

static int calendar_u32_compare(const void *a, const void *b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* A day off from the client's own holidays key. */
static calendar_holiday calendar_configured_holiday = { "", "day off", "vea.conf holidays" };

/* The one check of one instance (slot i of n, in start order): the
 * verdict, with *what_r for people and the event in the way in *in_way_r
 * (uid, summary, calendar; borrowed from the index) when there is one. */
typedef struct calendar_in_way {
	const char *uid, *summary, *calendar;
	gboolean tentative;
} calendar_in_way;

static calendar_verdict calendar_check_slot(const calendar_index *index, const calendar_rules *rules,
					    const calendar_slot *slot, gboolean first, const char *uid,
					    int64_t now, char **what_r, calendar_in_way *in_way_r)
{
	const calendar_busy *busy;
	calendar_holiday *holiday = NULL;
	guint32 first_day, last_day;

	memset(in_way_r, 0, sizeof *in_way_r);
	/* Minimum notice is about the first meeting: a series that starts
	 * too soon is not refused for its later instances. */
	if (first && slot->start - now < rules->min_notice) {
		*what_r = g_strdup_printf("less than %" G_GINT64_FORMAT " minutes' notice",
					  rules->min_notice / 60);
		return CALENDAR_SHORT_NOTICE;
	}
	if (first && slot->start < now) {
		*what_r = g_strdup("already started");
		return CALENDAR_SHORT_NOTICE;
	}
	first_day = calendar_local_day(rules->tz, slot->start, NULL);
	last_day = calendar_local_day(rules->tz, slot->end > slot->start ? slot->end - 1 : slot->start,
				      NULL);
	for (guint32 day = first_day; day <= last_day && holiday == NULL; day++) {
		holiday = g_hash_table_lookup(index->holidays, GUINT_TO_POINTER(day));
		if (holiday == NULL && rules->n_holidays > 0 &&
		    bsearch(&day, rules->holidays, rules->n_holidays, sizeof(guint32),
			    calendar_u32_compare) != NULL)
			holiday = &calendar_configured_holiday;
	}
	if (holiday != NULL) {
		g_autofree char *title = calendar_clean_title(holiday->summary);

		if (holiday == &calendar_configured_holiday) {
			*what_r = g_strdup("a day off (the client's holidays in vea.conf)");
			return CALENDAR_HOLIDAY;
		}
		*in_way_r = (calendar_in_way){ holiday->uid, holiday->summary, holiday->calendar, FALSE };
		*what_r = g_strdup_printf("a holiday, '%s' (calendar %s)", title, holiday->calendar);
		return CALENDAR_HOLIDAY;
	}
	if (rules->hours_set && !calendar_within_hours(rules, slot->start, slot->end)) {
		*what_r = g_strdup("outside working hours");
		return CALENDAR_OUTSIDE_HOURS;
	}
	busy = calendar_find_overlap(index, slot->start - rules->buffer, slot->end + rules->buffer, uid);
	if (busy != NULL) {
		g_autofree char *title = calendar_clean_title(busy->summary);
		gboolean overlaps = busy->start < slot->end && busy->end > slot->start;

		*in_way_r = (calendar_in_way){ busy->uid, busy->summary, busy->calendar, busy->tentative };
		*what_r = g_strdup_printf("%s%s '%s' (calendar %s)", overlaps ? "conflicts with" : "too close to",
					  busy->tentative ? " the tentative" : "", title, busy->calendar);
		if (!overlaps) {
			char *more = g_strdup_printf("%s: %" G_GINT64_FORMAT " minutes' buffer needed",
						     *what_r, rules->buffer / 60);

			g_free(*what_r);
			*what_r = more;
		}
		return CALENDAR_CONFLICT;
	}
	if (rules->max_per_day > 0) {
		g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(slot->start);
		g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, rules->tz);
		g_autoptr(GDateTime) midnight = timer_local_time(rules->tz, g_date_time_get_year(local),
								 g_date_time_get_month(local),
								 g_date_time_get_day_of_month(local), 0, 0, 0);
		int64_t a = midnight != NULL ? g_date_time_to_unix(midnight) : slot->start;
		/* The next local midnight: 24 h later give or take a DST change. */
		g_autoptr(GDateTime) next_local = g_date_time_add_days(local, 1);
		g_autoptr(GDateTime) next = timer_local_time(rules->tz, g_date_time_get_year(next_local),
							     g_date_time_get_month(next_local),
							     g_date_time_get_day_of_month(next_local), 0, 0, 0);
		int64_t b = next != NULL ? g_date_time_to_unix(next) : a + 86400;
		int count = calendar_count_starting(index, a, b, uid);

		if (count + 1 > rules->max_per_day) {
			*what_r = g_strdup_printf("already %d meeting%s that day (at most %d)", count,
						  count == 1 ? "" : "s", rules->max_per_day);
			return CALENDAR_TOO_MANY;
		}
	}
	return CALENDAR_FREE;
}

calendar_verdict calendar_decide(const calendar_index *index, const calendar_rules *rules,
				 const ical_events *invitation, calendar_decision *d)
{
	int64_t now = clock_now_unix();
	const char *uid = NULL;
	GArray *slots = g_array_new(FALSE, FALSE, sizeof(calendar_slot));
	g_autofree char *what = NULL;

	memset(d, 0, sizeof *d);
	d->instance = -1;
	d->blocked = g_array_new(FALSE, TRUE, sizeof(calendar_blocked));
	for (guint i = 0; i < invitation->instances->len; i++) {
		const ical_instance *in = &g_array_index(invitation->instances, ical_instance, i);
		calendar_slot slot;

		uid = in->uid;
		calendar_instance_utc(rules->tz, in, &slot.start, &slot.end);
		slot.recurrence_id = in->recurrence_id;
		/* An instance already over needs no answer. */
		if (slot.end <= now && slot.end > slot.start)
			continue;
		g_array_append_val(slots, slot);
	}
	g_array_sort(slots, calendar_slot_compare);
	d->instances = slots->len;
	if (slots->len > 0)
		d->first_start = g_array_index(slots, calendar_slot, 0).start;
	if (slots->len == 0) {
		d->verdict = CALENDAR_NOTHING;
		d->reason = g_strdup("no instance of this invitation is still ahead");
		goto out;
	}
	/* Every instance is checked, not only up to the first in the way:
	 * a series can then be accepted with the instances that cannot be
	 * kept declined one by one (RFC 5546 3.2.3, a REPLY with one VEVENT
	 * per instance answered). */
	for (guint i = 0; i < slots->len; i++) {
		const calendar_slot *slot = &g_array_index(slots, calendar_slot, i);
		calendar_in_way in_way;
		char *this_what = NULL;
		calendar_verdict v = calendar_check_slot(index, rules, slot, i == 0, uid, now, &this_what,
							 &in_way);
		calendar_blocked blocked = { 0 };

		if (v == CALENDAR_FREE)
			continue;
		blocked.recurrence_id = slot->recurrence_id;
		blocked.start = slot->start;
		blocked.end = slot->end;
		blocked.verdict = v;
		{
			g_autofree char *span = calendar_format_span(rules->tz, slot->start, slot->end);

			blocked.reason = g_strdup_printf("%s: %s", span, this_what);
		}
		g_array_append_val(d->blocked, blocked);
		if (what != NULL) {
			g_free(this_what);
			continue;
		}
		/* The first instance in the way is the decision's own. */
		d->verdict = v;
		d->instance = (int)i;
		d->start = slot->start;
		d->end = slot->end;
		d->tentative = in_way.tentative;
		if (in_way.uid != NULL)
			calendar_set_event(d, in_way.uid, in_way.summary, in_way.calendar);
		what = this_what;
	}
	if (what == NULL) {
		d->verdict = CALENDAR_FREE;
		d->instance = -1;
		d->start = g_array_index(slots, calendar_slot, 0).start;
		d->end = g_array_index(slots, calendar_slot, 0).end;
		d->reason = slots->len > 1 ? g_strdup_printf("free for all %u instances", slots->len)
					   : g_strdup("free");
		if (slots->len == 1) {
			g_autofree char *span = calendar_format_span(rules->tz, d->start, d->end);

			g_free(d->reason);
			d->reason = g_strdup_printf("%s: free", span);
		}
	} else {
		calendar_set_reason(d, rules, slots->len, what);
	}
out:
	g_array_unref(slots);
	return d->verdict;
}
