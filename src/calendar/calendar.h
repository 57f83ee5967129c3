#ifndef VEA_CALENDAR_CALENDAR_H
#define VEA_CALENDAR_CALENDAR_H

/* Availability, computed by vea itself (SCHEDULING.md 0.1): the events of
 * a client's calendars, expanded by ical.c over a window, become one
 * sorted list of busy intervals, searched by binary search. Servers'
 * free-busy answers are not used: Radicale ignores free-busy-query and
 * <C:expand>, Google has no free-busy-query, Xandikos leaves recurring
 * events out of its time ranges.
 *
 * calendar_decide() answers one invitation (one or more instances) with
 * the client's rules (calendar-conf.h): holidays, working hours, busy
 * events with the buffer around them, the daily maximum and the minimum
 * notice, and says why in words an assistant can forward.
 *
 * Times are int64 Unix seconds (UTC); the client's zone is a GTimeZone.
 * "Now" is clock_now_unix() (src/util/clock.h), so VEA_NOW moves it. */

#include "calendar/calendar-conf.h"
#include "calendar/ical.h"

#include <glib.h>
#include <stdint.h>

typedef struct calendar_index calendar_index;

/* An empty index for a client in zone tz (referenced), for events in
 * [from, to). */
calendar_index *calendar_index_new(GTimeZone *tz, int64_t from, int64_t to);
void calendar_index_free(calendar_index **index);

/* Whose calendars these are: the client's addresses (NULL-terminated,
 * copied). Events they declined (their ATTENDEE has PARTSTAT=DECLINED,
 * as an RFC 6638 server keeps them, and vea writes them there) are not
 * busy. Set before adding text. */
void calendar_index_set_owner(calendar_index *index, const char *const *addresses);
/* The addresses set there (NULL-terminated), or NULL. */
const char *const *calendar_index_owner(const calendar_index *index);

/* Add one calendar's events. calendar_id names it in conflicts
 * (copied). A holiday calendar blocks the whole local day(s) of each
 * event, whatever TRANSP says; in the others TRANSP:TRANSPARENT events
 * are free (RFC 5545 3.8.2.7), so are those the owner declined
 * (ical_instance.declined), and STATUS:TENTATIVE ones busy (RFC 4791
 * 7.10 maps them to BUSY-TENTATIVE; a conflict all the same). Floating
 * times and all-day dates are read in the client's zone (RFC 5545 3.3.5
 * FORM #1, 3.3.4). The index must be finished again after adding. */
void calendar_index_add_events(calendar_index *index, const char *calendar_id, calendar_role role,
			       const ical_events *events);
/* The same from iCalendar text; -1 with *error_r when it is not
 * iCalendar. Events that could not be read are in
 * calendar_index_warnings. */
int calendar_index_add_text(calendar_index *index, const char *calendar_id, calendar_role role,
			    const char *text, char **error_r);
/* Sort; after this the index can be searched, from several threads. */
void calendar_index_finish(calendar_index *index);

guint calendar_index_busy_count(const calendar_index *index);
/* Every busy event overlapping [from, to) (holidays' whole days are not
 * events here), for people: not in a guaranteed order. */
typedef void calendar_event_callback(int64_t start, int64_t end, const char *summary,
				     const char *calendar_id, gboolean all_day, void *context);
void calendar_index_foreach(const calendar_index *index, int64_t from, int64_t to,
			    calendar_event_callback *callback, void *context);
/* Double bookings: every pair of busy events overlapping each other in
 * [from, to), each pair once, the earlier first. The same UID in two
 * calendars (an invitation both in the primary and a shared calendar) is
 * one meeting, not a clash; all-day events are left out (a conference
 * day does not clash with the talks in it). */
typedef struct calendar_event_view {
	int64_t start, end;
	const char *uid, *summary, *calendar_id; /* owned by the index */
} calendar_event_view;
typedef void calendar_overlap_callback(const calendar_event_view *first,
				       const calendar_event_view *second, void *context);
void calendar_index_foreach_overlap(const calendar_index *index, int64_t from, int64_t to,
				    calendar_overlap_callback *callback, void *context);
/* "calendar X: event U: unknown time zone 'Y'"; owned by the index. */
void calendar_index_add_warning(calendar_index *index, const char *text);
const GPtrArray *calendar_index_warnings(const calendar_index *index);

typedef enum {
	CALENDAR_FREE,
	CALENDAR_CONFLICT,       /* overlaps a busy event (buffer included) */
	CALENDAR_OUTSIDE_HOURS,  /* not inside one of the day's working-hour ranges */
	CALENDAR_HOLIDAY,        /* on a day a holiday calendar blocks */
	CALENDAR_TOO_MANY,       /* the day already has max_meetings_per_day */
	CALENDAR_SHORT_NOTICE,   /* starts sooner than min_notice from now */
	CALENDAR_NOTHING,        /* no instance left to decide (all past or cancelled) */
} calendar_verdict;

/* One instance that cannot be kept as invited. */
typedef struct calendar_blocked {
	int64_t recurrence_id;   /* as the invitation writes it (ical_instance.recurrence_id) */
	int64_t start, end;      /* UTC */
	calendar_verdict verdict;
	char *reason;            /* "Tue 23 Mar 2027 10:00-11:00: conflicts with 'Board' (calendar x)" */
} calendar_blocked;

typedef struct calendar_decision {
	calendar_verdict verdict;
	int instance;            /* index of the instance found first; -1 when free */
	guint instances;         /* how many were checked */
	int64_t start, end;      /* that instance */
	int64_t first_start;     /* the first instance still ahead (0: none) */
	/* CONFLICT and HOLIDAY: the event in the way, NULL otherwise. */
	char *event_uid;
	char *event_summary;
	char *calendar_id;
	gboolean tentative;      /* the event in the way is only tentative */
	/* For people: "conflicts with 'Board call' (calendar dana-work),
	 * Mon 22 Mar 2027 10:00-11:00", in the client's zone. */
	char *reason;
	/* Every instance in the way, in start order (the first is the one
	 * above); empty when free. instances - blocked->len are free. */
	GArray *blocked;         /* calendar_blocked */
} calendar_decision;

/* Decide an invitation: its instances (invitation->instances, floating
 * times read in the client's zone) are checked in start order; instances
 * already over are skipped. Its own UID in a calendar is not a conflict
 * (an update of an event already accepted). The index must cover the
 * instances plus the buffer on both sides: an event outside its window is
 * not known. Fills *decision_r (clear it with calendar_decision_clear);
 * returns the verdict. */
calendar_verdict calendar_decide(const calendar_index *index, const calendar_rules *rules,
				 const ical_events *invitation, calendar_decision *decision_r);
void calendar_decision_clear(calendar_decision *decision);

const char *calendar_verdict_name(calendar_verdict verdict);

#endif
