#ifndef VEA_TIMER_LOCAL_TIME_H
#define VEA_TIMER_LOCAL_TIME_H

/* Wall-clock times in a zone, as instants: the one rule vea uses for every
 * local time a person gave (the digest's digest_at, reminders, snooze).
 *
 * RFC 5545 section 3.3.5 (FORM #3, DATE-TIME with a TZID) says how a
 * local time that does not exist once reads:
 *   - in a gap (spring forward), "the local time is interpreted using the
 *     UTC offset before the gap": 02:30 on a day the clocks go from 02:00
 *     to 03:00 becomes 03:30, where a clock moved forward would show it;
 *   - in a repeated hour (autumn), "the first occurrence" is meant.
 * GLib alone does neither (it takes the second of a repeated hour, and
 * the end of a gap), hence this helper. */

#include <glib.h>

/* The instant that local date year-month-day at hour:minute:second in tz
 * reads as (RFC 5545 section 3.3.5, above), in tz (a new reference). NULL
 * when the date or time does not exist in any zone (2026-02-30, 24:00).
 * Years 1..9999. */
GDateTime *timer_local_time(GTimeZone *tz, int year, int month, int day, int hour, int minute,
			    int second);

#endif
