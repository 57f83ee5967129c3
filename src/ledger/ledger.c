/* Ledger arithmetic: rounding, periods, retainers. No I/O here. */
#include "ledger/ledger.h"
#include "util/duration.h"
#include "util/money.h"

#include <stdlib.h>
#include <string.h>

void ledger_terms_from_conf(const conf_billing *billing, ledger_terms *terms_r)
{
	memset(terms_r, 0, sizeof(*terms_r));
	terms_r->mode = billing->mode;
	terms_r->rate = billing->rate;
	g_strlcpy(terms_r->currency, billing->currency != NULL ? billing->currency : "XXX",
		  sizeof(terms_r->currency));
	terms_r->increment = billing->increment > 0 ? billing->increment : 1;
	terms_r->rounding = billing->rounding;
	terms_r->round_per = billing->round_per;
	terms_r->retainer_seconds = billing->retainer_seconds;
	terms_r->overage_rate = billing->overage_rate;
	terms_r->rollover = billing->rollover;
	terms_r->rollover_cap_seconds = billing->rollover_cap_seconds;
	terms_r->period_start_day = billing->period_start_day >= 1 ? billing->period_start_day : 1;
	terms_r->payment_terms_days = billing->payment_terms_days;
}

int64_t ledger_round(int64_t seconds, int64_t increment, conf_rounding rounding)
{
	int64_t magnitude = seconds < 0 ? -seconds : seconds;
	int64_t units;

	if (increment <= 1)
		return seconds;
	if (rounding == CONF_ROUNDING_UP)
		units = magnitude / increment + (magnitude % increment != 0);
	else
		units = magnitude / increment + (magnitude % increment * 2 >= increment);
	return seconds < 0 ? -units * increment : units * increment;
}

void ledger_retainer_compute(const ledger_terms *terms, int64_t carried_in,
			     int64_t used, ledger_retainer *r)
{
	memset(r, 0, sizeof(*r));
	r->included = terms->retainer_seconds;
	r->carried_in = carried_in > 0 ? carried_in : 0;
	r->available = r->included + r->carried_in;
	r->used = used > 0 ? used : 0;
	r->remaining = r->available > r->used ? r->available - r->used : 0;
	r->overage = r->used > r->available ? r->used - r->available : 0;
	if (terms->rollover == CONF_ROLLOVER_CAPPED)
		r->carried_out = MIN(r->remaining, terms->rollover_cap_seconds);
}

int64_t ledger_retainer_fee(const ledger_terms *terms)
{
	return money_for_seconds(terms->retainer_seconds, terms->rate);
}

int64_t ledger_retainer_overage_amount(const ledger_terms *terms, const ledger_retainer *r)
{
	return money_for_seconds(r->overage, terms->overage_rate);
}

static gboolean ledger_digits(const char *text, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isdigit(text[i]))
			return FALSE;
	return TRUE;
}

int ledger_parse_period(const char *text, int *year_r, int *month_r, char **error_r)
{
	int year, month;

	if (text == NULL || strlen(text) != 7 || !ledger_digits(text, 4) || text[4] != '-' ||
	    !ledger_digits(text + 5, 2)) {
		*error_r = g_strdup_printf("period '%s' is not of the form YYYY-MM (e.g. 2026-11)",
					   text != NULL ? text : "");
		return -1;
	}
	year = atoi(text);
	month = atoi(text + 5);
	if (year < 1970 || year > 9998 || month < 1 || month > 12) {
		*error_r = g_strdup_printf("period '%s' has no such month", text);
		return -1;
	}
	*year_r = year;
	*month_r = month;
	return 0;
}

int ledger_parse_date(const char *text, GDate *date_r, char **error_r)
{
	int year, month, day;

	if (text == NULL || strlen(text) != 10 || !ledger_digits(text, 4) || text[4] != '-' ||
	    !ledger_digits(text + 5, 2) || text[7] != '-' || !ledger_digits(text + 8, 2)) {
		*error_r = g_strdup_printf("date '%s' is not of the form YYYY-MM-DD (e.g. 2026-11-03)",
					   text != NULL ? text : "");
		return -1;
	}
	year = atoi(text);
	month = atoi(text + 5);
	day = atoi(text + 8);
	if (year < 1970 || year > 9998 || !g_date_valid_dmy(day, month, year)) {
		*error_r = g_strdup_printf("date '%s' does not exist", text);
		return -1;
	}
	g_date_clear(date_r, 1);
	g_date_set_dmy(date_r, day, month, year);
	return 0;
}

int ledger_parse_duration(const char *text, gboolean allow_negative,
			  int64_t *seconds_r, char **error_r)
{
	gboolean negative = FALSE;
	int64_t seconds;
	char *error = NULL;

	if (text == NULL)
		text = "";
	if (text[0] == '-') {
		if (!allow_negative) {
			*error_r = g_strdup_printf("duration '%s' cannot be negative (record a credit with `vea bill adjust`)",
						   text);
			return -1;
		}
		negative = TRUE;
		text++;
	} else if (text[0] == '+') {
		text++;
	}
	if (duration_parse(text, &seconds, &error) < 0) {
		*error_r = g_strdup_printf("bad duration: %s", error);
		g_free(error);
		return -1;
	}
	if (seconds == 0) {
		*error_r = g_strdup_printf("duration '%s' is zero", text);
		return -1;
	}
	*seconds_r = negative ? -seconds : seconds;
	return 0;
}

int64_t ledger_local_midnight(GTimeZone *tz, const GDate *date)
{
	g_autoptr(GDateTime) dt = g_date_time_new(tz, g_date_get_year(date), g_date_get_month(date),
						  g_date_get_day(date), 0, 0, 0);

	/* g_date_time_new() moves a time in a DST gap forward, to the first
	 * instant of the day. */
	return g_date_time_to_unix(dt);
}

void ledger_period_bounds(GTimeZone *tz, int start_day, int year, int month,
			  int64_t *start_r, int64_t *end_r)
{
	GDate date;

	g_date_clear(&date, 1);
	g_date_set_dmy(&date, start_day, month, year);
	*start_r = ledger_local_midnight(tz, &date);
	g_date_add_months(&date, 1);
	*end_r = ledger_local_midnight(tz, &date);
}

void ledger_local_date(GTimeZone *tz, int64_t t, GDate *date_r)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(t);
	g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, tz);

	g_date_clear(date_r, 1);
	g_date_set_dmy(date_r, g_date_time_get_day_of_month(local), g_date_time_get_month(local),
		       g_date_time_get_year(local));
}

void ledger_period_containing(GTimeZone *tz, int start_day, int64_t t, int *year_r, int *month_r)
{
	GDate date;

	ledger_local_date(tz, t, &date);
	if (g_date_get_day(&date) < start_day)
		g_date_subtract_months(&date, 1);
	*year_r = g_date_get_year(&date);
	*month_r = g_date_get_month(&date);
}

char *ledger_format_duration(int64_t seconds)
{
	int64_t magnitude = seconds < 0 ? -seconds : seconds;
	int64_t hours = magnitude / 3600, minutes = magnitude / 60 % 60, rest = magnitude % 60;
	GString *out = g_string_new(seconds < 0 ? "-" : "");

	if (hours > 0)
		g_string_append_printf(out, "%" G_GINT64_FORMAT "h %02" G_GINT64_FORMAT "m", hours,
				       minutes);
	else
		g_string_append_printf(out, "%" G_GINT64_FORMAT "m", minutes);
	if (rest != 0)
		g_string_append_printf(out, " %02" G_GINT64_FORMAT "s", rest);
	return g_string_free(out, FALSE);
}

gboolean ledger_category_valid(const char *category)
{
	size_t n = category != NULL ? strlen(category) : 0;

	if (n == 0 || n > 32)
		return FALSE;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(category[i]) && category[i] != '-' && category[i] != '_')
			return FALSE;
	return TRUE;
}

int ledger_format_parse(const char *name)
{
	static const char *const names[] = {
		[LEDGER_FORMAT_TEXT] = "text", [LEDGER_FORMAT_CSV] = "csv",
		[LEDGER_FORMAT_JSON] = "json", [LEDGER_FORMAT_TIMECLOCK] = "timeclock",
		[LEDGER_FORMAT_HTML] = "html",
	};

	for (int i = 0; i < (int)G_N_ELEMENTS(names); i++)
		if (name != NULL && strcmp(name, names[i]) == 0)
			return i;
	return -1;
}
