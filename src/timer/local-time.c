/* Wall-clock times to instants (see local-time.h). */
#include "timer/local-time.h"

GDateTime *timer_local_time(GTimeZone *tz, int year, int month, int day, int hour, int minute,
			    int second)
{
	g_autoptr(GDateTime) due = NULL, naive = NULL, before = NULL, fixed = NULL;
	GDateTime *first = NULL;

	if (year < 1 || year > 9999 || !g_date_valid_dmy((GDateDay)day, (GDateMonth)month, (GDateYear)year) ||
	    hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
		return NULL;
	due = g_date_time_new(tz, year, month, day, hour, minute, second);
	naive = g_date_time_new_utc(year, month, day, hour, minute, second);
	if (due == NULL || naive == NULL)
		return NULL;
	/* The earliest instant showing that wall-clock time: in an hour that
	 * happens twice, the first (RFC 5545 section 3.3.5); GLib would take
	 * the second. The offsets from either side of a transition are
	 * tried. */
	for (int hours = -6; hours <= 6; hours += 6) {
		g_autoptr(GDateTime) near = g_date_time_add_hours(due, hours);
		g_autoptr(GDateTime) utc = g_date_time_add(naive, -g_date_time_get_utc_offset(near));
		GDateTime *local = g_date_time_to_timezone(utc, tz);

		if (g_date_time_get_hour(local) == hour && g_date_time_get_minute(local) == minute &&
		    g_date_time_get_second(local) == second &&
		    g_date_time_get_day_of_month(local) == day &&
		    (first == NULL || g_date_time_compare(local, first) < 0)) {
			if (first != NULL)
				g_date_time_unref(first);
			first = local;
		} else {
			g_date_time_unref(local);
		}
	}
	if (first != NULL)
		return first;
	/* In a gap GLib gives the first moment after it; RFC 5545 reads the
	 * time with the offset from before the gap instead, so that 02:30
	 * becomes 03:30, as a person expects of a clock moved forward. */
	before = g_date_time_add_seconds(due, -1);
	fixed = g_date_time_add(naive, -g_date_time_get_utc_offset(before));
	return g_date_time_to_timezone(fixed, tz);
}
