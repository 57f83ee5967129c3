/* Tests of src/timer: WHEN parsing and its resolution to instants across
 * the US and EU DST changes of 2026, a gap, a repeated hour, weekends and
 * holidays. Expected instants were computed independently with Python's
 * zoneinfo (fold=0 for the first of a repeated hour; for a gap, the
 * offset from before it, as RFC 5545 section 3.3.5 says). */

#include "timer/when.h"
#include "timer/local-time.h"

#include <string.h>

/* 2026: US clocks go forward Sun 8 Mar 02:00 EST -> 03:00 EDT and back Sun
 * 1 Nov 02:00 EDT -> 01:00 EST; EU (Berlin) forward Sun 29 Mar 02:00 CET
 * -> 03:00 CEST and back Sun 25 Oct 03:00 CEST -> 02:00 CET. */

static int64_t test_unix(const char *iso)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(iso, NULL);

	g_assert_nonnull(t);
	return g_date_time_to_unix(t);
}

static char *test_iso(int64_t t)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(t);

	return g_date_time_format(utc, "%Y-%m-%dT%H:%M:%SZ");
}

typedef struct {
	const char *when;
	const char *zone;
	const char *base;     /* the message's arrival */
	const char *holidays; /* "YYYY-MM-DD ..." or NULL */
	const char *due;      /* UTC */
	const char *why;
} resolve_case;

static const resolve_case resolve_cases[] = {
	{ "+3d", "America/New_York", "2026-10-30T21:00:00Z", NULL, "2026-11-02T22:00:00Z",
	  "Fri 17:00 EDT + 3 days is Mon 17:00 EST, the wall clock kept across fall back" },
	{ "+72h", "America/New_York", "2026-10-30T21:00:00Z", NULL, "2026-11-02T21:00:00Z",
	  "72 hours is 16:00 EST: hours are absolute" },
	{ "+4h", "America/New_York", "2026-11-01T04:30:00Z", NULL, "2026-11-01T08:30:00Z",
	  "00:30 EDT + 4 h across the repeated hour is 03:30 EST" },
	{ "+90m", "Europe/Berlin", "2026-03-29T00:30:00Z", NULL, "2026-03-29T02:00:00Z",
	  "01:30 CET + 90 min over the gap is 04:00 CEST" },
	{ "+1bd", "America/New_York", "2026-10-30T21:00:00Z", NULL, "2026-11-02T22:00:00Z",
	  "Friday + 1 business day is Monday, same wall clock" },
	{ "+1bd", "America/New_York", "2026-10-31T14:00:00Z", NULL, "2026-11-02T15:00:00Z",
	  "from Saturday 10:00, the first business day is Monday 10:00" },
	{ "+2bd", "America/New_York", "2026-11-25T20:00:00Z", "2026-11-26", "2026-11-30T20:00:00Z",
	  "Wed 15:00 + 2 business days skips Thanksgiving and the weekend: Mon 30 Nov" },
	{ "+2bd", "America/New_York", "2026-11-25T20:00:00Z", NULL, "2026-11-27T20:00:00Z",
	  "without the holiday: Friday" },
	{ "+2bd 09:00", "Europe/Berlin", "2026-12-23T16:00:00Z", "2026-12-24 2026-12-25",
	  "2026-12-29T08:00:00Z", "Wed before Christmas + 2 business days at 09:00: Tue 29 Dec" },
	{ "monday 09:00", "Europe/Berlin", "2026-10-23T08:00:00Z", NULL, "2026-10-26T08:00:00Z",
	  "Friday 10:00 CEST: next Monday 09:00 is CET, after the EU change" },
	{ "monday 09:00", "Europe/Berlin", "2026-10-26T07:00:00Z", NULL, "2026-11-02T08:00:00Z",
	  "said on a Monday before 09:00, 'monday' is the next Monday" },
	{ "Tomorrow 08:00", "America/New_York", "2026-03-07T15:00:00Z", NULL,
	  "2026-03-08T12:00:00Z", "Saturday 10:00 EST: Sunday 08:00 is already EDT" },
	{ "today 08:00", "America/New_York", "2026-03-09T13:00:00Z", NULL, "2026-03-09T12:00:00Z",
	  "today 08:00 read at 09:00 is due already" },
	{ "2026-03-08 02:30", "America/New_York", "2026-03-01T00:00:00Z", NULL,
	  "2026-03-08T07:30:00Z", "US gap: 02:30 does not exist, it is 03:30 EDT" },
	{ "2026-11-01 01:30", "America/New_York", "2026-10-01T00:00:00Z", NULL,
	  "2026-11-01T05:30:00Z", "US repeated hour: the first 01:30 (EDT)" },
	{ "2026-03-29T02:30", "Europe/Berlin", "2026-03-01T00:00:00Z", NULL,
	  "2026-03-29T01:30:00Z", "EU gap: 02:30 is 03:30 CEST" },
	{ "2026-10-25 02:30", "Europe/Berlin", "2026-10-01T00:00:00Z", NULL,
	  "2026-10-25T00:30:00Z", "EU repeated hour: the first 02:30 (CEST)" },
	{ "+1d", "America/New_York", "2026-03-07T07:30:00Z", NULL, "2026-03-08T07:30:00Z",
	  "Sat 02:30 EST + 1 day lands in the gap: 03:30 EDT" },
	{ "+1d", "America/New_York", "2026-10-31T05:30:00Z", NULL, "2026-11-01T05:30:00Z",
	  "Sat 01:30 EDT + 1 day lands in the repeated hour: the first one" },
	{ "+1w", "Europe/Berlin", "2026-10-20T07:00:00Z", NULL, "2026-10-27T08:00:00Z",
	  "Tue 09:00 CEST + 1 week is Tue 09:00 CET" },
	{ "2026-12-24 17:00", "Europe/Berlin", "2026-12-01T00:00:00Z", NULL,
	  "2026-12-24T16:00:00Z", "a date and time" },
	{ "at 09:00, 12:00 on mon, tue, fri", "America/New_York", "2026-10-30T14:00:00Z", NULL,
	  "2026-10-30T16:00:00Z", "Friday 10:00: the next listed time, 12:00, the same day" },
	{ "at 12:00,09:00 on mon,tue,fri", "America/New_York", "2026-10-30T17:00:00Z", NULL,
	  "2026-11-02T14:00:00Z", "Friday 13:00: Monday 09:00 EST, weekend skipped" },
	{ "at 09:00", "America/New_York", "2026-10-30T13:00:00Z", NULL, "2026-10-31T13:00:00Z",
	  "09:00 exactly is not after 09:00: the next day" },
};

static void test_timer_resolve(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(resolve_cases); i++) {
		const resolve_case *c = &resolve_cases[i];
		g_autoptr(GTimeZone) tz = g_time_zone_new_identifier(c->zone);
		g_auto(GStrv) days = g_strsplit(c->holidays != NULL ? c->holidays : "", " ", -1);
		g_autoptr(GArray) holidays = g_array_new(FALSE, TRUE, sizeof(GDate));
		g_autofree char *error = NULL, *got = NULL;
		timer_calendar calendar = { .tz = tz };
		timer_when when;
		int64_t due = 0;

		g_test_message("%s: %s", c->when, c->why);
		g_assert_nonnull(tz);
		for (char **d = days; *d != NULL; d++) {
			GDate date;

			if (**d == '\0')
				continue;
			g_date_clear(&date, 1);
			g_date_set_parse(&date, *d);
			g_assert_true(g_date_valid(&date));
			g_array_append_val(holidays, date);
		}
		calendar.holidays = (const GDate *)(void *)holidays->data;
		calendar.n_holidays = holidays->len;
		g_assert_cmpint(timer_when_parse(c->when, &when, &error), ==, 0);
		g_assert_cmpint(timer_when_resolve(&when, test_unix(c->base), &calendar, &due, &error),
				==, 0);
		got = test_iso(due);
		g_assert_cmpstr(got, ==, c->due);
	}
}

/* A weekend other than Saturday and Sunday (Friday and Saturday). */
static void test_timer_weekend(void)
{
	g_autoptr(GTimeZone) tz = g_time_zone_new_identifier("Asia/Dubai");
	timer_calendar calendar = { .tz = tz,
				    .weekend = TIMER_WEEKDAY_BIT(5) | TIMER_WEEKDAY_BIT(6) };
	g_autofree char *error = NULL, *got = NULL;
	timer_when when;
	int64_t due;

	/* Thursday 2026-10-29 10:00 +04 + 1 business day: Sunday 11-01. */
	g_assert_cmpint(timer_when_parse("+1bd", &when, &error), ==, 0);
	g_assert_cmpint(timer_when_resolve(&when, test_unix("2026-10-29T06:00:00Z"), &calendar,
					   &due, &error), ==, 0);
	got = test_iso(due);
	g_assert_cmpstr(got, ==, "2026-11-01T06:00:00Z");
}

typedef struct {
	const char *text;
	const char *canonical; /* NULL: an error, expected */
	const char *error;
} parse_case;

static const parse_case parse_cases[] = {
	{ "monday 09:00", "monday 09:00", NULL },
	{ "  MON   9:05 ", "monday 09:05", NULL },
	{ "tomorrow 08:00", "tomorrow 08:00", NULL },
	{ "2026-12-24 17:00", "2026-12-24 17:00", NULL },
	{ "2026-12-24T17:00:30", "2026-12-24 17:00:30", NULL },
	{ "+3d", "+3d", NULL },
	{ "+4H", "+4h", NULL },
	{ "+2bd 09:00", "+2bd 09:00", NULL },
	{ "at 12:00,9:00, 12:00 on fri,Monday", "at 09:00, 12:00 on mon, fri", NULL },
	{ "at 09:00", "at 09:00", NULL },
	{ "", NULL, "empty time (e.g. \"monday 09:00\", \"+3d\")" },
	{ "monday", NULL, "'monday' needs a time of day after it (HH:MM)" },
	{ "next week", NULL,
	  "unknown time 'next week' (e.g. \"monday 09:00\", \"tomorrow 08:00\", "
	  "\"2026-12-24 17:00\", \"+3d\", \"+4h\", \"+2bd\")" },
	{ "tomorrow 8", NULL, "'8' is not a time of day (HH:MM, 00:00 to 23:59)" },
	{ "tomorrow 24:00", NULL, "'24:00' is not a time of day (HH:MM, 00:00 to 23:59)" },
	{ "tomorrow 08:00 sharp", NULL, "unexpected 'sharp' after the time" },
	{ "+0d", NULL, "'+0d': the number must be 1 to 3660" },
	{ "+3x", NULL, "'+3x' is not a delay (+N and m, h, d, w or bd: \"+3d\")" },
	{ "+d", NULL, "'+d' is not a delay (+N and m, h, d, w or bd: \"+3d\")" },
	{ "+99999999999d", NULL, "'+99999999999d': the number must be 1 to 3660" },
	{ "+4h 09:00", NULL, "'+4h' is a time span: it takes no time of day" },
	{ "2026-02-30 09:00", NULL, "there is no date 2026-02-30" },
	{ "2026-12-24", NULL, "'2026-12-24' needs a time of day after it (HH:MM)" },
	{ "24/12/2026 17:00", NULL, "'24/12/2026' is not a date (YYYY-MM-DD)" },
	{ "at", NULL, "'at' needs a time of day (HH:MM)" },
	{ "at 09:00 on funday", NULL, "'funday' is not a weekday (mon ... sun)" },
	{ "at 09:00 on", NULL, "'on' needs a weekday (mon ... sun)" },
};

static void test_timer_parse(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
		const parse_case *c = &parse_cases[i];
		g_autofree char *error = NULL;
		timer_when when, again;
		int ret = timer_when_parse(c->text, &when, &error);

		g_test_message("'%s'", c->text);
		if (c->canonical == NULL) {
			g_assert_cmpint(ret, ==, -1);
			g_assert_cmpstr(error, ==, c->error);
		} else {
			g_autofree char *text = NULL;

			g_assert_cmpint(ret, ==, 0);
			text = timer_when_format(&when);
			g_assert_cmpstr(text, ==, c->canonical);
			/* What is stored reads back as the same WHEN. */
			g_assert_cmpint(timer_when_parse(text, &again, &error), ==, 0);
			g_assert_true(memcmp(&when, &again, sizeof(when)) == 0);
		}
	}
}

/* The helper the digest uses: gap forward, repeated hour first, and no
 * instant for a date that does not exist. */
static void test_timer_local_time(void)
{
	g_autoptr(GTimeZone) ny = g_time_zone_new_identifier("America/New_York");
	g_autoptr(GDateTime) gap = timer_local_time(ny, 2026, 3, 8, 2, 30, 0);
	g_autoptr(GDateTime) twice = timer_local_time(ny, 2026, 11, 1, 1, 30, 0);
	g_autoptr(GDateTime) plain = timer_local_time(ny, 2026, 7, 1, 9, 0, 0);

	g_assert_cmpint(g_date_time_to_unix(gap), ==, test_unix("2026-03-08T07:30:00Z"));
	g_assert_cmpint(g_date_time_get_hour(gap), ==, 3);
	g_assert_cmpint(g_date_time_to_unix(twice), ==, test_unix("2026-11-01T05:30:00Z"));
	g_assert_cmpint(g_date_time_to_unix(plain), ==, test_unix("2026-07-01T13:00:00Z"));
	g_assert_null(timer_local_time(ny, 2026, 2, 29, 9, 0, 0));
	g_assert_null(timer_local_time(ny, 2026, 1, 1, 24, 0, 0));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/timer/parse", test_timer_parse);
	g_test_add_func("/timer/resolve", test_timer_resolve);
	g_test_add_func("/timer/weekend", test_timer_weekend);
	g_test_add_func("/timer/local-time", test_timer_local_time);
	return g_test_run();
}
