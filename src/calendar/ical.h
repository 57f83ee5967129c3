#ifndef VEA_CALENDAR_ICAL_H
#define VEA_CALENDAR_ICAL_H

/* Events out of iCalendar text (RFC 5545), as instances in UTC seconds.
 *
 * Everything libical does for vea happens in src/calendar/, behind one
 * lock (ical_lock): libical 3.0's builtin zones are loaded lazily into
 * shared arrays without a lock of their own (libical issues #468 and
 * PR #1029), and vea has one thread per account. Nothing libical returns
 * leaves this folder: instances are plain integers and strings.
 *
 * The libical traps this code works around (SCHEDULING.md 3.2):
 *   - an unknown TZID silently becomes floating time: here it is a
 *     warning and the event is left out, never guessed;
 *   - Outlook's Windows zone names ("Eastern Standard Time") resolve
 *     through the object's own VTIMEZONE first, then through a table of
 *     the common ones mapped to IANA names (CLDR windowsZones);
 *   - RECURRENCE-ID values are read with their TZID (libical does not);
 *   - icalcomponent_foreach_recurrence ignores overridden instances
 *     (libical issue #314): expansion is done here, from RRULE, RDATE
 *     and EXDATE, with the overrides replacing the instances they name;
 *   - X-LIC-ERROR on a time or rule property means "cannot be read",
 *     not "absent". */

#include <glib.h>
#include <stdint.h>

typedef struct ical_instance {
	/* [start, end) in UTC seconds; for floating times (all-day events
	 * and times with neither TZID nor Z) the wall-clock time written as
	 * if it were UTC: the reader's zone decides (RFC 5545 3.3.5, FORM
	 * #1), see calendar_index_add_events. */
	int64_t start, end;
	/* The instance's original start (RECURRENCE-ID, RFC 5545 3.8.4.4),
	 * same encoding; equal to start for a single event. */
	int64_t recurrence_id;
	const char *uid;      /* owned by the ical_events */
	const char *summary;  /* owned by the ical_events; "" when none */
	unsigned floating : 1;
	unsigned all_day : 1;     /* DTSTART;VALUE=DATE */
	unsigned transparent : 1; /* TRANSP:TRANSPARENT (RFC 5545 3.8.2.7) */
	unsigned tentative : 1;   /* STATUS:TENTATIVE */
	unsigned recurring : 1;   /* part of a series (RRULE, RDATE or an override) */
	unsigned overridden : 1;  /* from a RECURRENCE-ID component */
	/* The calendar's owner (ical_events_set_owner) is an ATTENDEE with
	 * PARTSTAT=DECLINED: an invitation they said no to, kept in the
	 * calendar (RFC 6638 servers keep it, and vea writes declines
	 * there), is not their time. */
	unsigned declined : 1;
} ical_instance;

typedef struct ical_events {
	GArray *instances;   /* ical_instance, in the order found */
	GPtrArray *warnings; /* char *: "event UID: unknown time zone 'X'" */
	GStringChunk *strings;
	guint events;        /* VEVENT components read (masters and overrides) */
	char **owner;        /* the calendar owner's addresses, or NULL */
	/* Where the events of everything added can fall, whatever the
	 * window, in UTC seconds widened by a day each side (floating times
	 * and all-day dates are read in the reader's zone): span_start
	 * INT64_MIN when unknown (an event that could not be read), span_end
	 * INT64_MAX when there is no end (a series). Nothing read:
	 * span_start INT64_MAX and span_end INT64_MIN. A copy of a calendar
	 * (calendar-sync.c) reads an object again only when its span meets
	 * the window asked for. */
	int64_t span_start, span_end;
} ical_events;

ical_events *ical_events_new(void);
void ical_events_free(ical_events **events);
/* Whose calendar it is: addresses (NULL-terminated, with or without
 * "mailto:", copied; NULL: nobody) are compared, ignoring case, with
 * each event's ATTENDEEs, for ical_instance.declined. Set before
 * ical_events_add. */
void ical_events_set_owner(ical_events *events, const char *const *addresses);

/* Add the instances of every VEVENT in text (one VCALENDAR, or several one
 * after the other, as a CalDAV REPORT or an ICS feed gives them) that
 * overlap [from, to). Cancelled events and instances (STATUS:CANCELLED)
 * are left out. An event that cannot be read (unknown zone, broken
 * DTSTART) is left out with a line in events->warnings. Returns 0, or -1
 * with *error_r when text is not iCalendar at all. */
int ical_events_add(ical_events *events, const char *text, int64_t from, int64_t to,
		    char **error_r);

/* Keep only the instances overlapping [from, to), by the rule
 * ical_events_add uses (floating times widened by the zones' 14 h): the
 * instances of a wider window become those of [from, to). */
void ical_events_clip(ical_events *events, int64_t from, int64_t to);

/* The instances and warnings as bytes (a GVariant), so that a copy of a
 * calendar can keep an object's expansion over a window and need not
 * parse it again (calendar-sync.c); ical_events_from_bytes reads them
 * back, NULL when they are not such bytes. */
GBytes *ical_events_to_bytes(const ical_events *events);
ical_events *ical_events_from_bytes(const void *data, gsize len);

/* Sort the instances by start (then end). */
void ical_events_sort(ical_events *events);

/* The IANA name for a Windows zone name as Outlook writes it in TZID
 * ("W. Europe Standard Time" -> "Europe/Berlin"), or NULL. Static. */
const char *ical_windows_zone(const char *windows_name);

/* The one lock around libical (see above). Not recursive. */
void ical_lock(void);
void ical_unlock(void);

#endif
