#ifndef VEA_CALENDAR_ICAL_PRIVATE_H
#define VEA_CALENDAR_ICAL_PRIVATE_H

/* Shared by ical.c and imip.c; callers hold ical_lock. */

#include "calendar/ical.h"

#include <libical/ical.h>

/* The zone tzid names inside vcal: its own VTIMEZONE, else the Windows
 * table, else libical's builtin (system tzdata) zone of that IANA name.
 * NULL when none: the caller must refuse, never use floating time. */
icaltimezone *ical_resolve_zone(icalcomponent *vcal, const char *tzid);

/* The time of a DTSTART/DTEND/RECURRENCE-ID/EXDATE property with its
 * TZID resolved (libical leaves RECURRENCE-ID and EXDATE floating).
 * Returns 0, or -1 with *error_r ("unknown time zone 'X'"). */
int ical_property_time(icalproperty *prop, icalcomponent *vcal, struct icaltimetype *time_r,
		       char **error_r);

/* Seconds for a resolved time: UTC, or the wall clock as if UTC when the
 * time is floating or a DATE (*floating_r set). */
int64_t ical_time_seconds(struct icaltimetype t, gboolean *floating_r);

/* Parse text into a list of VCALENDARs (an XROOT holding several is
 * unwrapped). Returns the root to free, or NULL. */
icalcomponent *ical_parse_text(const char *text);

/* Does comp carry an X-LIC-ERROR (libical's mark for a property it could
 * not parse, SCHEDULING.md 3.2 trap 11)? Its text in *error_r. */
gboolean ical_component_has_error(icalcomponent *comp, char **error_r);

#endif
