/* The ledger: rounding at every edge, period boundaries in several zones
 * across DST changes, retainer arithmetic with rollover caps, and the
 * store side: closed periods frozen, reports from one snapshot. */
#include "ledger/ledger.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

static void test_round(void)
{
	static const struct {
		int64_t seconds, increment;
		conf_rounding rounding;
		int64_t want;
	} cases[] = {
		/* up: anything past a boundary takes the next increment */
		{ 0, 360, CONF_ROUNDING_UP, 0 },
		{ 1, 360, CONF_ROUNDING_UP, 360 },
		{ 359, 360, CONF_ROUNDING_UP, 360 },
		{ 360, 360, CONF_ROUNDING_UP, 360 },
		{ 361, 360, CONF_ROUNDING_UP, 720 },
		{ 719, 360, CONF_ROUNDING_UP, 720 },
		{ 721, 360, CONF_ROUNDING_UP, 1080 },
		/* credits round their magnitude, keeping the sign */
		{ -1, 360, CONF_ROUNDING_UP, -360 },
		{ -360, 360, CONF_ROUNDING_UP, -360 },
		{ -361, 360, CONF_ROUNDING_UP, -720 },
		/* nearest: half an increment rounds up */
		{ 0, 360, CONF_ROUNDING_NEAREST, 0 },
		{ 179, 360, CONF_ROUNDING_NEAREST, 0 },
		{ 180, 360, CONF_ROUNDING_NEAREST, 360 },
		{ 539, 360, CONF_ROUNDING_NEAREST, 360 },
		{ 540, 360, CONF_ROUNDING_NEAREST, 720 },
		{ -179, 360, CONF_ROUNDING_NEAREST, 0 },
		{ -180, 360, CONF_ROUNDING_NEAREST, -360 },
		/* odd increments: no half to tie on */
		{ 3, 7, CONF_ROUNDING_NEAREST, 0 },
		{ 4, 7, CONF_ROUNDING_NEAREST, 7 },
		{ 8, 7, CONF_ROUNDING_UP, 14 },
		/* increment of a second: nothing to round */
		{ 61, 1, CONF_ROUNDING_UP, 61 },
		{ -61, 1, CONF_ROUNDING_NEAREST, -61 },
		/* minutes, quarter hours, a whole day */
		{ 29, 60, CONF_ROUNDING_NEAREST, 0 },
		{ 30, 60, CONF_ROUNDING_NEAREST, 60 },
		{ 901, 900, CONF_ROUNDING_UP, 1800 },
		{ 86399, 86400, CONF_ROUNDING_UP, 86400 },
		{ 43199, 86400, CONF_ROUNDING_NEAREST, 0 },
		/* large sums stay exact */
		{ INT64_C(3600000000001), 360, CONF_ROUNDING_UP, INT64_C(3600000000360) },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		int64_t got = ledger_round(cases[i].seconds, cases[i].increment, cases[i].rounding);

		if (got != cases[i].want)
			g_error("case %u: round(%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %s) = %" G_GINT64_FORMAT
				", want %" G_GINT64_FORMAT, i, cases[i].seconds, cases[i].increment,
				cases[i].rounding == CONF_ROUNDING_UP ? "up" : "nearest", got, cases[i].want);
	}
}

static void test_period_bounds(void)
{
	static const struct {
		const char *zone;
		int start_day, year, month;
		int64_t start, end; /* Unix seconds, computed with Python's zoneinfo */
		int64_t length_hours;
	} cases[] = {
		/* New York: DST starts 2026-03-08, the month is an hour short */
		{ "America/New_York", 1, 2026, 3, 1772341200, 1775016000, 31 * 24 - 1 },
		/* DST ends 2026-11-01, on the period's first day: an hour long */
		{ "America/New_York", 1, 2026, 11, 1793505600, 1796101200, 30 * 24 + 1 },
		/* Rome, periods starting on the 15th, DST starts 2026-03-29 */
		{ "Europe/Rome", 15, 2026, 3, 1773529200, 1776204000, 31 * 24 - 1 },
		/* Santiago: DST starts at midnight on 2026-09-06, midnight does
		 * not exist, the period starts at the day's first instant */
		{ "America/Santiago", 6, 2026, 9, 1788667200, 1791255600, 30 * 24 - 1 },
		{ "America/Santiago", 6, 2026, 8, 1785988800, 1788667200, 31 * 24 },
		/* December runs into the next year */
		{ "UTC", 1, 2025, 12, 1764547200, 1767225600, 31 * 24 },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		GTimeZone *tz = g_time_zone_new_identifier(cases[i].zone);
		int64_t start, end;
		int year, month;

		g_assert_nonnull(tz);
		ledger_period_bounds(tz, cases[i].start_day, cases[i].year, cases[i].month, &start, &end);
		if (start != cases[i].start || end != cases[i].end)
			g_error("case %u %s %d-%02d: [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "), want [%" G_GINT64_FORMAT
				", %" G_GINT64_FORMAT ")", i, cases[i].zone, cases[i].year, cases[i].month, start, end,
				cases[i].start, cases[i].end);
		g_assert_cmpint((end - start) / 3600, ==, cases[i].length_hours);
		/* The first and last second belong to the period, the next does not. */
		ledger_period_containing(tz, cases[i].start_day, start, &year, &month);
		g_assert_cmpint(year * 100 + month, ==, cases[i].year * 100 + cases[i].month);
		ledger_period_containing(tz, cases[i].start_day, end - 1, &year, &month);
		g_assert_cmpint(year * 100 + month, ==, cases[i].year * 100 + cases[i].month);
		ledger_period_containing(tz, cases[i].start_day, end, &year, &month);
		g_assert_cmpint(year * 100 + month, !=, cases[i].year * 100 + cases[i].month);
		ledger_period_containing(tz, cases[i].start_day, start - 1, &year, &month);
		g_assert_cmpint(year * 100 + month, !=, cases[i].year * 100 + cases[i].month);
		g_time_zone_unref(tz);
	}
}

static void test_retainer(void)
{
	ledger_terms capped = { .mode = CONF_BILLING_RETAINER, .rate = 8000, .currency = "USD",
				.increment = 900, .retainer_seconds = 10 * 3600, .overage_rate = 12000,
				.rollover = CONF_ROLLOVER_CAPPED, .rollover_cap_seconds = 5 * 3600 };
	ledger_terms none = capped;
	static const struct {
		gboolean capped;
		int64_t carried_in, used;
		int64_t available, remaining, overage, carried_out;
	} cases[] = {
		/* unused time rolls over, up to the cap */
		{ TRUE, 0, 4 * 3600, 10 * 3600, 6 * 3600, 0, 5 * 3600 },
		{ TRUE, 0, 6 * 3600, 10 * 3600, 4 * 3600, 0, 4 * 3600 },
		{ TRUE, 0, 5 * 3600, 10 * 3600, 5 * 3600, 0, 5 * 3600 },
		/* carried time is spent before overage starts */
		{ TRUE, 5 * 3600, 14 * 3600, 15 * 3600, 3600, 0, 3600 },
		{ TRUE, 5 * 3600, 15 * 3600, 15 * 3600, 0, 0, 0 },
		{ TRUE, 5 * 3600, 16 * 3600, 15 * 3600, 0, 3600, 0 },
		/* nothing used: the whole cap rolls over */
		{ TRUE, 2 * 3600, 0, 12 * 3600, 12 * 3600, 0, 5 * 3600 },
		/* credits beyond the work count as nothing used */
		{ TRUE, 0, -3600, 10 * 3600, 10 * 3600, 0, 5 * 3600 },
		/* no rollover: unused time is lost */
		{ FALSE, 0, 4 * 3600, 10 * 3600, 6 * 3600, 0, 0 },
		{ FALSE, 0, 10 * 3600 + 900, 10 * 3600, 0, 900, 0 },
	};

	none.rollover = CONF_ROLLOVER_NONE;
	none.rollover_cap_seconds = 0;
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		ledger_retainer r;

		ledger_retainer_compute(cases[i].capped ? &capped : &none, cases[i].carried_in,
					cases[i].used, &r);
		if (r.available != cases[i].available || r.remaining != cases[i].remaining ||
		    r.overage != cases[i].overage || r.carried_out != cases[i].carried_out)
			g_error("case %u: available %" G_GINT64_FORMAT " remaining %" G_GINT64_FORMAT
				" overage %" G_GINT64_FORMAT " out %" G_GINT64_FORMAT, i, r.available,
				r.remaining, r.overage, r.carried_out);
		g_assert_cmpint(r.included, ==, 10 * 3600);
	}
	/* Money: the fee is the included time at rate; overage at its rate,
	 * to the minor unit, half up. */
	{
		ledger_retainer r;

		g_assert_cmpint(ledger_retainer_fee(&capped), ==, 80000);
		ledger_retainer_compute(&capped, 0, 11 * 3600, &r);
		g_assert_cmpint(ledger_retainer_overage_amount(&capped, &r), ==, 12000);
		ledger_retainer_compute(&capped, 0, 10 * 3600 + 60, &r);
		g_assert_cmpint(ledger_retainer_overage_amount(&capped, &r), ==, 200);
		ledger_retainer_compute(&capped, 0, 10 * 3600 + 1, &r);
		g_assert_cmpint(ledger_retainer_overage_amount(&capped, &r), ==, 3);
	}
}

static void test_parse(void)
{
	static const struct {
		const char *text;
		gboolean negative_ok;
		int64_t seconds; /* 0: must fail */
	} durations[] = {
		{ "45m", FALSE, 2700 }, { "1h30m", FALSE, 5400 }, { "1.5h", FALSE, 5400 },
		{ "-30m", TRUE, -1800 }, { "+30m", FALSE, 1800 }, { "-30m", FALSE, 0 },
		{ "0m", FALSE, 0 }, { "-0m", TRUE, 0 }, { "", FALSE, 0 }, { "10x", FALSE, 0 },
		{ "--5m", TRUE, 0 },
	};
	static const struct {
		const char *text;
		gboolean ok;
	} dates[] = {
		{ "2026-11-03", TRUE }, { "2024-02-29", TRUE }, { "2026-02-29", FALSE },
		{ "2026-13-01", FALSE }, { "26-11-03", FALSE }, { "2026-11-3", FALSE },
		{ "2026/11/03", FALSE }, { "2026-11-03x", FALSE }, { "", FALSE },
	};
	static const struct {
		const char *text;
		gboolean ok;
	} periods[] = {
		{ "2026-11", TRUE }, { "2026-00", FALSE }, { "2026-13", FALSE }, { "2026-1", FALSE },
		{ "2026-11-01", FALSE }, { "november", FALSE },
	};

	for (guint i = 0; i < G_N_ELEMENTS(durations); i++) {
		int64_t seconds = 0;
		char *error = NULL;
		int ret = ledger_parse_duration(durations[i].text, durations[i].negative_ok, &seconds, &error);

		if (durations[i].seconds == 0) {
			if (ret == 0)
				g_error("duration '%s' accepted", durations[i].text);
			g_assert_nonnull(error);
			g_free(error);
		} else {
			if (ret != 0)
				g_error("duration '%s': %s", durations[i].text, error);
			g_assert_cmpint(seconds, ==, durations[i].seconds);
		}
	}
	for (guint i = 0; i < G_N_ELEMENTS(dates); i++) {
		GDate date;
		char *error = NULL;
		int ret = ledger_parse_date(dates[i].text, &date, &error);

		g_assert_cmpint(ret == 0, ==, dates[i].ok);
		if (ret < 0) {
			g_assert_nonnull(strstr(error, dates[i].text));
			g_free(error);
		}
	}
	for (guint i = 0; i < G_N_ELEMENTS(periods); i++) {
		int year, month;
		char *error = NULL;
		int ret = ledger_parse_period(periods[i].text, &year, &month, &error);

		g_assert_cmpint(ret == 0, ==, periods[i].ok);
		g_free(error);
	}
	g_assert_true(ledger_category_valid("scheduling"));
	g_assert_false(ledger_category_valid("a b"));
	g_assert_false(ledger_category_valid(""));
	g_assert_false(ledger_category_valid("<x>"));
}

static void test_format_duration(void)
{
	static const struct {
		int64_t seconds;
		const char *want;
	} cases[] = {
		{ 0, "0m" }, { 59, "0m 59s" }, { 2700, "45m" }, { 3600, "1h 00m" }, { 3930, "1h 05m 30s" },
		{ -1800, "-30m" }, { 360000, "100h 00m" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = ledger_format_duration(cases[i].seconds);

		g_assert_cmpstr(got, ==, cases[i].want);
	}
}

/* ---- the store side ---- */

typedef struct fixture {
	char *dir;
	conf *config;
	store *st;
} fixture;

static void fixture_setup(fixture *f, gconstpointer data)
{
	g_autofree char *path = NULL;
	GPtrArray *errors = NULL;
	char *error = NULL;
	const char *text =
		"[vea]\ndatabase = vea.db\n\n"
		"[client:ana]\nname = Ana\ntimezone = Europe/Rome\nbilling = ana-ret\n\n"
		"[billing:ana-ret]\nclient = ana\nmode = retainer\nrate = 6000\ncurrency = EUR\n"
		"retainer_hours = 2h\noverage_rate = 9000\nrollover = capped\nrollover_cap = 1h\n"
		"increment = 15m\n\n"
		"[billing:ana-hourly]\nclient = ana\nrate = 6000\ncurrency = EUR\nincrement = 6m\n"
		"round = period\nrounding = nearest\n";

	(void)data;
	f->dir = g_dir_make_tmp("vea-test-ledger-XXXXXX", NULL);
	g_assert_nonnull(f->dir);
	path = g_build_filename(f->dir, "vea.conf", NULL);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	if (conf_load(path, &f->config, &errors) < 0)
		g_error("config: %s", (const char *)g_ptr_array_index(errors, 0));
	if (store_open(f->config->database, &f->st, &error) < 0)
		g_error("store: %s", error);
}

static void fixture_teardown(fixture *f, gconstpointer data)
{
	g_autofree char *cmd = NULL;
	const char *names[] = { "vea.conf", "vea.db", "vea.db-wal", "vea.db-shm", NULL };

	(void)data;
	store_close(&f->st);
	conf_free(&f->config);
	for (const char **n = names; *n != NULL; n++) {
		g_autofree char *path = g_build_filename(f->dir, *n, NULL);

		g_unlink(path);
	}
	g_rmdir(f->dir);
	g_free(f->dir);
}

static void add(fixture *f, const char *account, const char *day, int64_t seconds, gboolean adjust)
{
	ledger_new_entry entry = { 0 };
	GDate date;
	char *error = NULL;

	g_assert_cmpint(ledger_parse_date(day, &date, &error), ==, 0);
	entry.billing = conf_find_billing(f->config, account);
	entry.adjust = adjust;
	entry.seconds = seconds;
	entry.description = "work";
	entry.date = &date;
	if (ledger_add_entry(f->st, &entry, 1798761600 /* 2027-01-01 */, NULL, &error) < 0)
		g_error("add %s %s: %s", account, day, error);
}

static ledger_report *report(fixture *f, const char *account, int year, int month)
{
	ledger_query query = { .account = account, .range = LEDGER_RANGE_PERIOD, .year = year, .month = month };
	ledger_report *r = NULL;
	char *error = NULL;

	if (ledger_report_build(f->st, f->config, &query, 1798761600, &r, &error) < 0)
		g_error("report: %s", error);
	g_assert_cmpuint(r->n_accounts, ==, 1);
	return r;
}

static void test_store_retainer_chain(fixture *f, gconstpointer data)
{
	ledger_report *r;

	(void)data;
	/* August: 30m of 2h, 1h30m unused, 1h (the cap) rolls over. */
	add(f, "ana-ret", "2026-08-10", 1800, FALSE);
	/* September: nothing; 2h + 1h unused, 1h rolls over. October: 3h
	 * 10m -> 3h 15m billed, 3h available, 15m overage. */
	add(f, "ana-ret", "2026-10-01", 3 * 3600, FALSE);
	add(f, "ana-ret", "2026-10-31", 600, FALSE);
	r = report(f, "ana-ret", 2026, 10);
	g_assert_true(r->accounts[0].has_retainer);
	g_assert_cmpint(r->accounts[0].billed, ==, 3 * 3600 + 900);
	g_assert_cmpint(r->accounts[0].retainer.carried_in, ==, 3600);
	g_assert_cmpint(r->accounts[0].retainer.overage, ==, 900);
	g_assert_cmpint(r->accounts[0].amount, ==, 12000 + 2250);
	ledger_report_free(&r);
}

static void test_store_close_freezes(fixture *f, gconstpointer data)
{
	g_autofree char *number = NULL, *number2 = NULL, *before = NULL, *after = NULL;
	g_autofree char *invoice1 = NULL, *invoice2 = NULL;
	ledger_new_entry late = { 0 };
	ledger_report *r;
	GDate date;
	char *error = NULL;
	conf_billing *billing = conf_find_billing(f->config, "ana-hourly");

	(void)data;
	/* Per-period rounding to the nearest 6m: 7m + 7m = 14m -> 12m. */
	add(f, "ana-hourly", "2026-10-05", 420, FALSE);
	add(f, "ana-hourly", "2026-10-06", 420, FALSE);
	r = report(f, "ana-hourly", 2026, 10);
	g_assert_cmpint(r->accounts[0].billed, ==, 720);
	g_assert_cmpint(r->accounts[0].amount, ==, 1200);
	ledger_report_free(&r);

	g_assert_cmpint(ledger_close_period(f->st, f->config, billing, 2026, 10, NULL, 1798761600,
					    &number, &error), ==, 0);
	g_assert_cmpstr(number, ==, "INV-2027-0001");
	r = report(f, "ana-hourly", 2026, 10);
	before = ledger_report_render(r, LEDGER_FORMAT_JSON);
	ledger_report_free(&r);
	g_assert_cmpint(ledger_invoice(f->st, f->config, billing, 2026, 10, LEDGER_FORMAT_HTML,
				       1798761600, &invoice1, &error), ==, 0);

	/* No new entry in it, through the library or straight into the store. */
	g_assert_cmpint(ledger_parse_date("2026-10-20", &date, &error), ==, 0);
	late.billing = billing;
	late.seconds = 60;
	late.description = "late";
	late.date = &date;
	g_assert_cmpint(ledger_add_entry(f->st, &late, 1798761600, NULL, &error), ==, -1);
	g_assert_nonnull(strstr(error, "closed"));
	g_free(error);
	error = NULL;
	/* Past the ledger's check, straight into the store: the database
	 * refuses it too (its triggers; test-store checks that updates and
	 * deletes of a closed period's entries are refused as well). */
	{
		store_ledger_entry raw = {
			.client = billing->client->id, .billing_account = billing->id,
			.seconds = 1, .description = "late", .category = "manual",
			.source = "manual",
			.created_at = ledger_local_midnight(billing->client->tz, &date) + 12 * 3600,
		};

		g_assert_cmpint(store_ledger_insert(f->st, &raw, NULL, &error), ==, -1);
		g_assert_nonnull(strstr(error, "ledger period closed"));
		g_free(error);
		error = NULL;
	}
	/* A correction goes into an open period. */
	add(f, "ana-hourly", "2026-11-02", -420, TRUE);

	/* Changed terms do not change a closed period. */
	billing->rate = 99999;
	billing->increment = 3600;
	r = report(f, "ana-hourly", 2026, 10);
	after = ledger_report_render(r, LEDGER_FORMAT_JSON);
	ledger_report_free(&r);
	g_assert_cmpstr(before, ==, after);
	g_assert_cmpint(ledger_invoice(f->st, f->config, billing, 2026, 10, LEDGER_FORMAT_HTML,
				       1798761600 + 86400 * 40, &invoice2, &error), ==, 0);
	g_assert_cmpstr(invoice1, ==, invoice2);

	/* Twice is refused; the next one gets the next number. */
	g_assert_cmpint(ledger_close_period(f->st, f->config, billing, 2026, 10, NULL, 1798761600,
					    &number2, &error), ==, -1);
	g_free(error);
	g_assert_cmpint(ledger_close_period(f->st, f->config, billing, 2026, 9, NULL, 1798761600,
					    &number2, &error), ==, 0);
	g_assert_cmpstr(number2, ==, "INV-2027-0002");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ledger/round", test_round);
	g_test_add_func("/ledger/period-bounds", test_period_bounds);
	g_test_add_func("/ledger/retainer", test_retainer);
	g_test_add_func("/ledger/parse", test_parse);
	g_test_add_func("/ledger/format-duration", test_format_duration);
	g_test_add("/ledger/store/retainer-chain", fixture, NULL, fixture_setup,
		   test_store_retainer_chain, fixture_teardown);
	g_test_add("/ledger/store/close-freezes", fixture, NULL, fixture_setup,
		   test_store_close_freezes, fixture_teardown);
	return g_test_run();
}
