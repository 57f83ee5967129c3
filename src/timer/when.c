/* WHEN: parsing, canonical text and resolution (see when.h). */
#include "timer/when.h"
#include "timer/local-time.h"

#include <stdlib.h>
#include <string.h>

static const char *const timer_weekday_names[][2] = {
	{ NULL, NULL },
	{ "mon", "monday" },
	{ "tue", "tuesday" },
	{ "wed", "wednesday" },
	{ "thu", "thursday" },
	{ "fri", "friday" },
	{ "sat", "saturday" },
	{ "sun", "sunday" },
};

/* The furthest ahead a WHEN may reach: ten years. Further is a typo (and
 * keeps every sum far from overflowing). */
static const struct {
	const char *suffix;
	timer_unit unit;
	int max;
} timer_units[] = {
	{ "bd", TIMER_UNIT_BUSINESS_DAYS, 2610 },
	{ "m", TIMER_UNIT_MINUTES, 10 * 366 * 24 * 60 },
	{ "h", TIMER_UNIT_HOURS, 10 * 366 * 24 },
	{ "d", TIMER_UNIT_DAYS, 10 * 366 },
	{ "w", TIMER_UNIT_WEEKS, 522 },
};

int timer_unit_max(timer_unit unit)
{
	for (size_t i = 0; i < G_N_ELEMENTS(timer_units); i++) {
		if (timer_units[i].unit == unit)
			return timer_units[i].max;
	}
	return 0;
}

const char *timer_weekday_name(int weekday)
{
	return weekday >= 1 && weekday <= 7 ? timer_weekday_names[weekday][0] : NULL;
}

static int timer_parse_weekday(const char *word)
{
	for (int d = 1; d <= 7; d++) {
		if (g_ascii_strcasecmp(word, timer_weekday_names[d][0]) == 0 ||
		    g_ascii_strcasecmp(word, timer_weekday_names[d][1]) == 0)
			return d;
	}
	return 0;
}

/* n ASCII digits at p, or -1. */
static int timer_digits(const char *p, int n)
{
	int value = 0;

	for (int i = 0; i < n; i++) {
		if (!g_ascii_isdigit(p[i]))
			return -1;
		value = value * 10 + (p[i] - '0');
	}
	return value;
}

int timer_parse_time_of_day(const char *text)
{
	int hour, minute, second = 0;
	size_t len = strlen(text), h = len > 0 && text[1] == ':' ? 1 : 2;

	if ((len != h + 3 && len != h + 6) || text[h] != ':' || (len == h + 6 && text[h + 3] != ':'))
		return -1;
	hour = timer_digits(text, (int)h);
	minute = timer_digits(text + h + 1, 2);
	if (len == h + 6)
		second = timer_digits(text + h + 4, 2);
	if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
		return -1;
	return hour * 3600 + minute * 60 + second;
}

static int timer_time_or_error(const char *word, char **error_r)
{
	int t = timer_parse_time_of_day(word);

	if (t < 0)
		*error_r = g_strdup_printf("'%s' is not a time of day (HH:MM, 00:00 to 23:59)", word);
	return t;
}

static int timer_int_compare(gconstpointer a, gconstpointer b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/* "at T, T, ... [on D, D, ...]": words are the text split at spaces and
 * commas, so "09:00,12:00" and "09:00, 12:00" read alike. */
static int timer_parse_times(char **words, timer_when *when, char **error_r)
{
	guint i = 1;

	when->kind = TIMER_WHEN_TIMES;
	when->weekdays = 0;
	for (; words[i] != NULL && g_ascii_strcasecmp(words[i], "on") != 0; i++) {
		int t = timer_time_or_error(words[i], error_r);

		if (t < 0)
			return -1;
		if (when->n_times == TIMER_MAX_TIMES) {
			*error_r = g_strdup_printf("too many times (max %d)", TIMER_MAX_TIMES);
			return -1;
		}
		when->times[when->n_times++] = t;
	}
	if (when->n_times == 0) {
		*error_r = g_strdup("'at' needs a time of day (HH:MM)");
		return -1;
	}
	qsort(when->times, (size_t)when->n_times, sizeof(int), timer_int_compare);
	for (int j = 1, k = 1; j <= when->n_times; j++) {
		if (j == when->n_times) {
			/* Nothing left behind: a WHEN compares as bytes. */
			memset(when->times + k, 0, sizeof(int) * (size_t)(when->n_times - k));
			when->n_times = k;
		} else if (when->times[j] != when->times[k - 1])
			when->times[k++] = when->times[j];
	}
	if (words[i] != NULL) {
		for (i++; words[i] != NULL; i++) {
			int d = timer_parse_weekday(words[i]);

			if (d == 0) {
				*error_r = g_strdup_printf("'%s' is not a weekday (mon ... sun)", words[i]);
				return -1;
			}
			when->weekdays |= TIMER_WEEKDAY_BIT(d);
		}
		if (when->weekdays == 0) {
			*error_r = g_strdup("'on' needs a weekday (mon ... sun)");
			return -1;
		}
	}
	if (when->weekdays == 0)
		when->weekdays = TIMER_ALL_WEEKDAYS;
	return 0;
}

/* "+N<unit> [HH:MM]" */
static int timer_parse_after(char **words, timer_when *when, char **error_r)
{
	const char *p = words[0] + 1;
	gint64 count = 0;
	size_t i;

	for (; g_ascii_isdigit(*p); p++)
		count = MIN(count * 10 + (*p - '0'), (gint64)G_MAXINT + 1);
	for (i = 0; i < G_N_ELEMENTS(timer_units); i++) {
		if (g_ascii_strcasecmp(p, timer_units[i].suffix) == 0)
			break;
	}
	if (p == words[0] + 1 || i == G_N_ELEMENTS(timer_units)) {
		*error_r = g_strdup_printf("'%s' is not a delay (+N and m, h, d, w or bd: \"+3d\")",
					   words[0]);
		return -1;
	}
	if (count < 1 || count > timer_units[i].max) {
		*error_r = g_strdup_printf("'%s': the number must be 1 to %d", words[0],
					   timer_units[i].max);
		return -1;
	}
	when->kind = TIMER_WHEN_AFTER;
	when->unit = timer_units[i].unit;
	when->count = (int)count;
	when->time = -1;
	if (words[1] != NULL) {
		if (when->unit == TIMER_UNIT_MINUTES || when->unit == TIMER_UNIT_HOURS) {
			*error_r = g_strdup_printf("'%s' is a time span: it takes no time of day",
						   words[0]);
			return -1;
		}
		if ((when->time = timer_time_or_error(words[1], error_r)) < 0)
			return -1;
		if (words[2] != NULL)
			goto extra;
	}
	return 0;
extra:
	*error_r = g_strdup_printf("unexpected '%s' after the time", words[2]);
	return -1;
}

/* "YYYY-MM-DD HH:MM" or "YYYY-MM-DDTHH:MM" */
static int timer_parse_at(char **words, timer_when *when, char **error_r)
{
	const char *w = words[0], *time_word = words[1];
	g_autofree char *date_part = NULL;

	if (strlen(w) > 10 && (w[10] == 'T' || w[10] == 't')) {
		if (words[1] != NULL)
			goto extra;
		date_part = g_strndup(w, 10);
		time_word = w + 11;
		w = date_part;
	}
	if (strlen(w) != 10 || w[4] != '-' || w[7] != '-' || (when->year = timer_digits(w, 4)) < 0 ||
	    (when->month = timer_digits(w + 5, 2)) < 0 || (when->day = timer_digits(w + 8, 2)) < 0) {
		*error_r = g_strdup_printf("'%s' is not a date (YYYY-MM-DD)", w);
		return -1;
	}
	if (when->year < 1 || when->month < 1 || when->month > 12 || when->day < 1 ||
	    !g_date_valid_dmy((GDateDay)when->day, (GDateMonth)when->month, (GDateYear)when->year)) {
		*error_r = g_strdup_printf("there is no date %s", w);
		return -1;
	}
	if (time_word == NULL) {
		*error_r = g_strdup_printf("'%s' needs a time of day after it (HH:MM)", w);
		return -1;
	}
	when->kind = TIMER_WHEN_AT;
	if ((when->time = timer_time_or_error(time_word, error_r)) < 0)
		return -1;
	if (date_part == NULL && words[2] != NULL)
		goto extra;
	return 0;
extra:
	*error_r = g_strdup_printf("unexpected '%s' after the time", words[date_part != NULL ? 1 : 2]);
	return -1;
}

int timer_when_parse(const char *text, timer_when *when_r, char **error_r)
{
	g_auto(GStrv) split = g_strsplit_set(text, " \t,", -1);
	g_autoptr(GPtrArray) words = g_ptr_array_new();
	timer_when when = { 0 };
	char **w;
	int day;

	for (char **s = split; *s != NULL; s++) {
		if (**s != '\0')
			g_ptr_array_add(words, *s);
	}
	g_ptr_array_add(words, NULL);
	w = (char **)words->pdata;
	if (w[0] == NULL) {
		*error_r = g_strdup("empty time (e.g. \"monday 09:00\", \"+3d\")");
		return -1;
	}
	if (w[0][0] == '+') {
		if (timer_parse_after(w, &when, error_r) < 0)
			return -1;
	} else if (g_ascii_strcasecmp(w[0], "at") == 0) {
		if (timer_parse_times(w, &when, error_r) < 0)
			return -1;
	} else if (g_ascii_isdigit(w[0][0])) {
		if (timer_parse_at(w, &when, error_r) < 0)
			return -1;
	} else {
		day = timer_parse_weekday(w[0]);
		if (day != 0) {
			when.kind = TIMER_WHEN_WEEKDAY;
			when.weekday = day;
		} else if (g_ascii_strcasecmp(w[0], "today") == 0) {
			when.kind = TIMER_WHEN_TODAY;
		} else if (g_ascii_strcasecmp(w[0], "tomorrow") == 0) {
			when.kind = TIMER_WHEN_TOMORROW;
		} else {
			*error_r = g_strdup_printf(
				"unknown time '%s' (e.g. \"monday 09:00\", \"tomorrow 08:00\", "
				"\"2026-12-24 17:00\", \"+3d\", \"+4h\", \"+2bd\")", text);
			return -1;
		}
		if (w[1] == NULL) {
			*error_r = g_strdup_printf("'%s' needs a time of day after it (HH:MM)", w[0]);
			return -1;
		}
		if ((when.time = timer_time_or_error(w[1], error_r)) < 0)
			return -1;
		if (w[2] != NULL) {
			*error_r = g_strdup_printf("unexpected '%s' after the time", w[2]);
			return -1;
		}
	}
	*when_r = when;
	return 0;
}

static void timer_append_time(GString *out, int t)
{
	g_string_append_printf(out, "%02d:%02d", t / 3600, t / 60 % 60);
	if (t % 60 != 0)
		g_string_append_printf(out, ":%02d", t % 60);
}

char *timer_when_format(const timer_when *when)
{
	static const char *const suffix[] = {
		[TIMER_UNIT_MINUTES] = "m", [TIMER_UNIT_HOURS] = "h", [TIMER_UNIT_DAYS] = "d",
		[TIMER_UNIT_WEEKS] = "w", [TIMER_UNIT_BUSINESS_DAYS] = "bd",
	};
	GString *out = g_string_new(NULL);

	switch (when->kind) {
	case TIMER_WHEN_AT:
		g_string_append_printf(out, "%04d-%02d-%02d ", when->year, when->month, when->day);
		break;
	case TIMER_WHEN_TODAY:
		g_string_append(out, "today ");
		break;
	case TIMER_WHEN_TOMORROW:
		g_string_append(out, "tomorrow ");
		break;
	case TIMER_WHEN_WEEKDAY:
		g_string_append_printf(out, "%s ", timer_weekday_names[when->weekday][1]);
		break;
	case TIMER_WHEN_AFTER:
		g_string_append_printf(out, "+%d%s", when->count, suffix[when->unit]);
		if (when->time >= 0)
			g_string_append_c(out, ' ');
		break;
	case TIMER_WHEN_TIMES:
		g_string_append(out, "at ");
		for (int i = 0; i < when->n_times; i++) {
			if (i > 0)
				g_string_append(out, ", ");
			timer_append_time(out, when->times[i]);
		}
		if (when->weekdays != TIMER_ALL_WEEKDAYS) {
			const char *sep = " on ";

			for (int d = 1; d <= 7; d++) {
				if (when->weekdays & TIMER_WEEKDAY_BIT(d)) {
					g_string_append_printf(out, "%s%s", sep, timer_weekday_names[d][0]);
					sep = ", ";
				}
			}
		}
		return g_string_free(out, FALSE);
	}
	if (when->time >= 0)
		timer_append_time(out, when->time);
	return g_string_free(out, FALSE);
}

static gboolean timer_is_business_day(const timer_calendar *calendar, const GDate *date)
{
	unsigned int weekend = calendar->weekend != 0 ? calendar->weekend : TIMER_WEEKEND;

	if (weekend & TIMER_WEEKDAY_BIT(g_date_get_weekday(date)))
		return FALSE;
	for (guint i = 0; i < calendar->n_holidays; i++) {
		if (g_date_valid(&calendar->holidays[i]) &&
		    g_date_compare(&calendar->holidays[i], date) == 0)
			return FALSE;
	}
	return TRUE;
}

/* date at t seconds after midnight, in the calendar's zone. */
static GDateTime *timer_date_at(const timer_calendar *calendar, const GDate *date, int t)
{
	return timer_local_time(calendar->tz, g_date_get_year(date), g_date_get_month(date),
				g_date_get_day(date), t / 3600, t / 60 % 60, t % 60);
}

int timer_when_resolve(const timer_when *when, int64_t base, const timer_calendar *calendar,
		       int64_t *due_r, char **error_r)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(base);
	g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_timezone(utc, calendar->tz) : NULL;
	g_autoptr(GDateTime) due = NULL;
	GDate date;
	int t, base_time;

	if (local == NULL)
		goto range;
	g_date_clear(&date, 1);
	g_date_set_dmy(&date, (GDateDay)g_date_time_get_day_of_month(local),
		       (GDateMonth)g_date_time_get_month(local), (GDateYear)g_date_time_get_year(local));
	base_time = g_date_time_get_hour(local) * 3600 + g_date_time_get_minute(local) * 60 +
		    g_date_time_get_second(local);
	t = when->time >= 0 ? when->time : base_time;
	/* GDate stops at year 65535; ten years ahead of 9999 stays inside. */
	switch (when->kind) {
	case TIMER_WHEN_AT:
		g_date_set_dmy(&date, (GDateDay)when->day, (GDateMonth)when->month,
			       (GDateYear)when->year);
		break;
	case TIMER_WHEN_TODAY:
		break;
	case TIMER_WHEN_TOMORROW:
		g_date_add_days(&date, 1);
		break;
	case TIMER_WHEN_WEEKDAY:
		/* Strictly after the base's date: "monday" said on a Monday
		 * means the next one. */
		do
			g_date_add_days(&date, 1);
		while ((int)g_date_get_weekday(&date) != when->weekday);
		break;
	case TIMER_WHEN_AFTER:
		switch (when->unit) {
		case TIMER_UNIT_MINUTES:
		case TIMER_UNIT_HOURS:
			/* A span of time, not of the wall clock: "+4h" across
			 * a DST change is four hours of waiting. */
			*due_r = base + (int64_t)when->count *
						(when->unit == TIMER_UNIT_HOURS ? 3600 : 60);
			return 0;
		case TIMER_UNIT_DAYS:
			g_date_add_days(&date, (guint)when->count);
			break;
		case TIMER_UNIT_WEEKS:
			g_date_add_days(&date, (guint)when->count * 7);
			break;
		case TIMER_UNIT_BUSINESS_DAYS:
			/* Ends: the holidays are finitely many, so at most
			 * count + n_holidays + the weekends between. */
			for (int n = 0; n < when->count;) {
				g_date_add_days(&date, 1);
				if (timer_is_business_day(calendar, &date))
					n++;
			}
			break;
		}
		break;
	case TIMER_WHEN_TIMES:
		/* The first listed time after the base on an allowed weekday:
		 * every weekday comes round within a week. */
		for (int day = 0; day <= 7; day++, g_date_add_days(&date, 1)) {
			if (!(when->weekdays & TIMER_WEEKDAY_BIT(g_date_get_weekday(&date))))
				continue;
			for (int i = 0; i < when->n_times; i++) {
				g_autoptr(GDateTime) at = timer_date_at(calendar, &date, when->times[i]);

				if (at != NULL && g_date_time_to_unix(at) > base) {
					*due_r = g_date_time_to_unix(at);
					return 0;
				}
			}
		}
		goto range;
	}
	if (g_date_get_year(&date) > 9999 || (due = timer_date_at(calendar, &date, t)) == NULL)
		goto range;
	*due_r = g_date_time_to_unix(due);
	return 0;
range:
	*error_r = g_strdup("the time falls outside the years 1 to 9999");
	return -1;
}
