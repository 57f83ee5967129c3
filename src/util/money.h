#ifndef VEA_UTIL_MONEY_H
#define VEA_UTIL_MONEY_H

/* Money is integer minor units (cents), time integer seconds: never
 * floats. */

#include <stdint.h>

/* Digits after the decimal point for an ISO 4217 currency (2 for most,
 * 0 for JPY and the like, 3 for BHD and the like). */
int money_currency_exponent(const char *currency);

/* The price of seconds at rate minor units per hour, rounded half up to a
 * minor unit. */
int64_t money_for_seconds(int64_t seconds, int64_t rate_per_hour);

/* "USD 1,234.50" style without grouping: "USD 1234.50"; newly allocated. */
char *money_format(int64_t minor, const char *currency);

/* "1h 05m", "14m", "0m" (minutes, rounded down); newly allocated. */
char *money_format_duration(int64_t seconds);

#endif
