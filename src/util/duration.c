#include "util/duration.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

/* The longest duration anyone bills in one entry: a year. Also keeps the
 * arithmetic far from overflow. */
#define DURATION_MAX_SECONDS (366LL * 24 * 3600)

static int duration_unit_rank(char unit)
{
	return unit == 'h' ? 3 : unit == 'm' ? 2 : 1;
}

int duration_parse(const char *text, int64_t *seconds_r, char **error_r)
{
	const char *p = text;
	int64_t total = 0;
	gboolean any = FALSE;
	char last_unit = 0;

	while (g_ascii_isspace(*p))
		p++;
	if (*p == '-') {
		*error_r = g_strdup_printf("'%s': a duration cannot be negative", text);
		return -1;
	}
	while (*p != '\0') {
		int64_t whole = 0, fraction = 0, scale = 1, unit;
		int digits = 0;

		while (g_ascii_isspace(*p))
			p++;
		if (*p == '\0')
			break;
		while (g_ascii_isdigit(*p)) {
			whole = whole * 10 + (*p++ - '0');
			digits++;
			if (whole > DURATION_MAX_SECONDS)
				goto too_long;
		}
		if (*p == '.' || *p == ',') {
			p++;
			while (g_ascii_isdigit(*p)) {
				/* Digits past the sixth cannot change whole seconds. */
				if (scale < 1000000) {
					fraction = fraction * 10 + (*p - '0');
					scale *= 10;
				}
				p++;
				digits++;
			}
		}
		if (digits == 0) {
			*error_r = g_strdup_printf("'%s': expected a number at '%s'", text, p);
			return -1;
		}
		while (g_ascii_isspace(*p))
			p++;
		switch (g_ascii_tolower(*p)) {
		case 'h':
			unit = 3600;
			break;
		case 'm':
			unit = 60;
			break;
		case 's':
			unit = 1;
			break;
		case '\0':
			/* A bare number is minutes, but only alone: "1h30" is a typo. */
			if (any) {
				*error_r = g_strdup_printf("'%s': the last number has no unit (h, m or s)", text);
				return -1;
			}
			unit = 60;
			break;
		default:
			*error_r = g_strdup_printf("'%s': unknown unit '%c' (use h, m or s)", text, *p);
			return -1;
		}
		if (*p != '\0') {
			/* Accept "min", "hr", "hours", "secs" after the letter. */
			char u = g_ascii_tolower(*p);

			p++;
			while (g_ascii_isalpha(*p))
				p++;
			if (last_unit != 0 && duration_unit_rank(u) >= duration_unit_rank(last_unit)) {
				*error_r = g_strdup_printf("'%s': units must go from hours to minutes to seconds", text);
				return -1;
			}
			last_unit = u;
		}
		/* Round the fractional part to the nearest second. */
		total += whole * unit + (fraction * unit + scale / 2) / scale;
		if (total > DURATION_MAX_SECONDS)
			goto too_long;
		any = TRUE;
	}
	if (!any) {
		*error_r = g_strdup_printf("'%s': empty duration", text);
		return -1;
	}
	*seconds_r = total;
	return 0;
too_long:
	*error_r = g_strdup_printf("'%s': longer than a year", text);
	return -1;
}

int time_of_day_parse(const char *text, int *minutes_r, char **error_r)
{
	unsigned int hours, minutes;
	char extra;

	if (sscanf(text, "%2u:%2u%c", &hours, &minutes, &extra) != 2 || hours > 23 || minutes > 59 ||
	    strlen(text) < 4) {
		*error_r = g_strdup_printf("'%s' is not a time of day such as 07:30", text);
		return -1;
	}
	*minutes_r = (int)(hours * 60 + minutes);
	return 0;
}
