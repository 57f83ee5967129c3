#ifndef VEA_UTIL_CLOCK_H
#define VEA_UTIL_CLOCK_H

/* The one clock: what time it is, for everything in vea that reads the
 * time (the journal, the duplicate test, Sieve's currentdate, the digest's
 * schedule, next reminders and snooze).
 *
 * VEA_NOW=2026-11-26T07:30:00Z (ISO 8601 with a zone) sets it, a testing
 * aid: a schedule can then be tested at any moment, across a DST change,
 * without waiting for it. Unset or empty: the system's clock. */

#include <glib.h>
#include <stdint.h>

/* Now, in UTC (a new reference). NULL with *error_r when VEA_NOW is set
 * but is not an ISO 8601 time with a zone. */
GDateTime *clock_now_checked(char **error_r);

/* Now, as Unix seconds; a malformed VEA_NOW counts as unset (commands
 * that depend on it check it with clock_now_checked first). */
int64_t clock_now_unix(void);

#endif
