#ifndef VEA_UTIL_DURATION_H
#define VEA_UTIL_DURATION_H

/* Durations as people write them: "45m", "1h30m", "1.5h", "90s", "2h 15m",
 * or a bare number of minutes ("20"). Integer seconds out, never floats:
 * "1.5h" is parsed as decimal digits, not through a double. */

#include <stdint.h>

/* Returns 0 and *seconds_r, or -1 with *error_r saying what is wrong
 * ("'1h70x': unknown unit 'x' (use h, m or s)"). Negative durations are
 * refused; an adjustment says its sign elsewhere. */
int duration_parse(const char *text, int64_t *seconds_r, char **error_r);

/* A local time of day "HH:MM" (24 h) -> minutes after midnight. */
int time_of_day_parse(const char *text, int *minutes_r, char **error_r);

#endif
