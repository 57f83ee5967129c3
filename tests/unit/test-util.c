/* Small shared pieces: durations people type, money in minor units. */
#include "util/duration.h"
#include "util/money.h"

#include <glib.h>
#include <string.h>

static void test_duration_parse(void)
{
	static const struct {
		const char *text;
		int64_t seconds;
	} good[] = {
		{ "45m", 2700 }, { "1h30m", 5400 }, { "1.5h", 5400 }, { "90s", 90 },
		{ "2h 15m", 8100 }, { "20", 1200 }, { "0.1h", 360 }, { "1h 30min", 5400 },
		{ "2 hours", 7200 }, { "0m", 0 }, { "1,5h", 5400 }, { "0.01m", 1 },
	};
	static const struct {
		const char *text;
		const char *error;
	} bad[] = {
		{ "-5m", "cannot be negative" }, { "", "empty duration" }, { "abc", "expected a number" },
		{ "5x", "unknown unit 'x'" }, { "1h30", "has no unit" }, { "30m 1h", "from hours to minutes" },
		{ "99999h", "longer than a year" }, { "1h1h", "from hours to minutes" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
		int64_t seconds = -1;
		char *error = NULL;

		if (duration_parse(good[i].text, &seconds, &error) < 0)
			g_error("'%s': %s", good[i].text, error);
		g_assert_cmpint(seconds, ==, good[i].seconds);
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		int64_t seconds = -1;
		char *error = NULL;

		g_assert_cmpint(duration_parse(bad[i].text, &seconds, &error), ==, -1);
		if (strstr(error, bad[i].error) == NULL)
			g_error("'%s': got '%s', expected '%s'", bad[i].text, error, bad[i].error);
		g_free(error);
	}
}

static void test_time_of_day(void)
{
	int minutes = 0;
	char *error = NULL;

	g_assert_cmpint(time_of_day_parse("07:30", &minutes, &error), ==, 0);
	g_assert_cmpint(minutes, ==, 450);
	g_assert_cmpint(time_of_day_parse("23:59", &minutes, &error), ==, 0);
	g_assert_cmpint(minutes, ==, 1439);
	g_assert_cmpint(time_of_day_parse("24:00", &minutes, &error), ==, -1);
	g_free(error);
	g_assert_cmpint(time_of_day_parse("7", &minutes, &error), ==, -1);
	g_free(error);
	g_assert_cmpint(time_of_day_parse("07:30pm", &minutes, &error), ==, -1);
	g_free(error);
}

static void test_money(void)
{
	static const struct {
		int64_t seconds, rate, expected;
	} prices[] = {
		{ 3600, 9500, 9500 }, { 60, 9500, 158 }, /* 158.33 */
		{ 90, 100, 3 },                             /* 2.5 rounds half up */
		{ 0, 9500, 0 }, { -60, 9500, -158 },
	};
	g_autofree char *usd = money_format(12345, "USD");
	g_autofree char *jpy = money_format(500, "JPY");
	g_autofree char *neg = money_format(-5, "EUR");
	g_autofree char *hours = money_format_duration(3900);

	for (guint i = 0; i < G_N_ELEMENTS(prices); i++)
		g_assert_cmpint(money_for_seconds(prices[i].seconds, prices[i].rate), ==, prices[i].expected);
	g_assert_cmpstr(usd, ==, "USD 123.45");
	g_assert_cmpstr(jpy, ==, "JPY 500");
	g_assert_cmpstr(neg, ==, "EUR -0.05");
	g_assert_cmpstr(hours, ==, "1h 05m");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/util/duration", test_duration_parse);
	g_test_add_func("/util/time-of-day", test_time_of_day);
	g_test_add_func("/util/money", test_money);
	return g_test_run();
}
