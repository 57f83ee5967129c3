#ifndef VEA_TIMER_WHEN_H
#define VEA_TIMER_WHEN_H

/* WHEN: a time a person gives for a reminder or a snooze, in the client's
 * wall clock, and how it becomes an instant.
 *
 * A WHEN is parsed once (a rule file is checked at compile time) and
 * resolved later, against a base (the message's arrival) in the client's
 * zone, with the client's holidays. Both forms are kept by whoever stores
 * a timer: the text (timer_when_format) and the due instant, so that a
 * changed zone or a tzdata update can resolve it again
 * (SCHEDULING.md section 5.4).
 *
 * Forms (case-insensitive; HH:MM may be H:MM, and take :SS):
 *   "2026-12-24 17:00"   that local date and time ('T' instead of the
 *                        space also reads)
 *   "today 17:00"        the base's local date at 17:00 (may be past)
 *   "tomorrow 08:00"     the next local date at 08:00
 *   "monday 09:00"       the next Monday after the base's local date (a
 *                        message of Monday 08:00 gets the Monday after):
 *                        "mon", "tuesday", "tue", ... "sun"
 *   "+30m", "+4h"        that long after the base, in absolute time
 *   "+3d", "+2w"         that many local dates later at the base's wall
 *                        clock time: Friday 17:00 + 3d is Monday 17:00,
 *                        across a DST change too (not +72 h)
 *   "+2bd"               business days: local dates that are neither a
 *                        weekend day nor a holiday; from Friday 17:00,
 *                        "+1bd" is Monday 17:00
 *   "+3d 09:00", "+2bd 09:00"   the same date, at 09:00
 *   "at 09:00, 13:30 [on mon, tue, fri]"   the first of those times
 *                        after the base, on one of those weekdays (all
 *                        when none): the times and weekdays of the IETF
 *                        snooze draft's Sieve action
 *                        (draft-ietf-extra-email-snooze-00)
 * Local times that do not exist once (DST) resolve as RFC 5545 section
 * 3.3.5 says (timer/local-time.h). */

#include <glib.h>
#include <stdint.h>

typedef enum {
	TIMER_WHEN_AT,       /* year-month-day at time */
	TIMER_WHEN_TODAY,    /* at time */
	TIMER_WHEN_TOMORROW, /* at time */
	TIMER_WHEN_WEEKDAY,  /* weekday at time */
	TIMER_WHEN_AFTER,    /* count units after the base [at time] */
	TIMER_WHEN_TIMES,    /* times on weekdays */
} timer_when_kind;

typedef enum {
	TIMER_UNIT_MINUTES,
	TIMER_UNIT_HOURS,
	TIMER_UNIT_DAYS,
	TIMER_UNIT_WEEKS,
	TIMER_UNIT_BUSINESS_DAYS,
} timer_unit;

#define TIMER_MAX_TIMES 24
/* ISO 8601 weekdays, as GLib numbers them: 1 Monday .. 7 Sunday. A mask
 * has bit 1 << d for weekday d. */
#define TIMER_WEEKDAY_BIT(d) (1u << (d))
#define TIMER_ALL_WEEKDAYS 0xfeu
#define TIMER_WEEKEND (TIMER_WEEKDAY_BIT(6) | TIMER_WEEKDAY_BIT(7))

/* Plain data: copy it by value, nothing to free. */
typedef struct timer_when {
	timer_when_kind kind;
	timer_unit unit;   /* AFTER */
	int count;         /* AFTER: at least 1 */
	int year, month, day; /* AT */
	int weekday;       /* WEEKDAY: 1..7 */
	/* Seconds after local midnight; AFTER: -1 keeps the base's wall clock
	 * (days, weeks, business days) and is the only value for minutes and
	 * hours. */
	int time;
	unsigned int weekdays;        /* TIMES: mask, never 0 */
	int n_times;                  /* TIMES: 1..TIMER_MAX_TIMES */
	int times[TIMER_MAX_TIMES];   /* TIMES: ascending, distinct */
} timer_when;

/* Parse text (forms above). Returns 0, or -1 with *error_r (a new string,
 * one sentence saying what is wrong, for a file:line:col message). */
int timer_when_parse(const char *text, timer_when *when_r, char **error_r);

/* The largest count "+N" takes in unit (ten years' worth). */
int timer_unit_max(timer_unit unit);

/* "HH:MM" or "HH:MM:SS" (and H:MM) to seconds after midnight, or -1. */
int timer_parse_time_of_day(const char *text);

/* The canonical text of when, which timer_when_parse reads back as the same
 * WHEN: "monday 09:00", "+3d", "at 09:00, 12:00 on mon, fri". New string. */
char *timer_when_format(const timer_when *when);

/* What resolving needs to know of the client. */
typedef struct timer_calendar {
	GTimeZone *tz;            /* the client's zone (not NULL) */
	const GDate *holidays;    /* local dates that are no business days, any order; may be NULL */
	guint n_holidays;
	unsigned int weekend;     /* weekday mask of days off; 0: Saturday and Sunday */
} timer_calendar;

/* When when is due for a message that arrived at base (Unix seconds).
 * Returns 0 with *due_r (Unix seconds; may be at or before base: "today
 * 08:00" read at 09:00, or a date past), or -1 with *error_r (a new
 * string) when it falls outside years 1..9999. */
int timer_when_resolve(const timer_when *when, int64_t base, const timer_calendar *calendar,
		       int64_t *due_r, char **error_r);

/* The weekday names WHEN uses ("mon" .. "sun"), 1..7; NULL otherwise. */
const char *timer_weekday_name(int weekday);

#endif
