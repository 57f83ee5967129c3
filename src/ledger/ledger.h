#ifndef VEA_LEDGER_H
#define VEA_LEDGER_H

/* The ledger: the assistant's time per billing account, turned into
 * billed time and money. Time is integer seconds and money integer minor
 * units throughout; nothing here uses floating point.
 *
 * Periods: period "2026-11" of a billing account runs from local midnight
 * of its period_start_day in November to local midnight of that day in
 * December, in the client's time zone (so a period holding a DST change is
 * an hour shorter or longer than its days).
 *
 * A closed period is frozen: its invoice number, its billing terms, the
 * rollover it carried in and out and its rendered invoices are stored when
 * it is closed; SQL triggers refuse any insert, update or delete of its
 * entries, so everything exported from it later is byte for byte the same.
 *
 * The library never prints: functions return 0, or -1 with *error_r
 * (newly allocated, naming what is wrong). */

#include <glib.h>
#include <stdint.h>

#include "conf/conf.h"
#include "store/store.h"

/* The terms an account is billed on: taken from the config while a period
 * is open, frozen in the database once it is closed. */
typedef struct ledger_terms {
	conf_billing_mode mode;
	int64_t rate;              /* minor units per hour */
	char currency[4];
	int64_t increment;         /* seconds, > 0 */
	conf_rounding rounding;
	conf_round_per round_per;
	int64_t retainer_seconds;  /* RETAINER: included per period */
	int64_t overage_rate;
	conf_rollover rollover;
	int64_t rollover_cap_seconds;
	int period_start_day;
	int payment_terms_days;
} ledger_terms;

void ledger_terms_from_conf(const conf_billing *billing, ledger_terms *terms_r);

/* ---- pure arithmetic (tested on its own) ---- */

/* seconds rounded to a multiple of increment. The magnitude is rounded and
 * the sign kept, so a credit (a negative adjustment) rounds like the work
 * it corrects. NEAREST rounds half an increment up. */
int64_t ledger_round(int64_t seconds, int64_t increment, conf_rounding rounding);

/* Retainer arithmetic for one period. used is the period's billed time;
 * below zero (credits beyond the work) it counts as zero. */
typedef struct ledger_retainer {
	int64_t included;    /* the retainer's time */
	int64_t carried_in;  /* rolled over from the period before */
	int64_t available;   /* included + carried_in */
	int64_t used;
	int64_t remaining;   /* available not used */
	int64_t overage;     /* used beyond available, billed at overage_rate */
	int64_t carried_out; /* what the next period gets: capped remaining */
} ledger_retainer;

void ledger_retainer_compute(const ledger_terms *terms, int64_t carried_in,
			     int64_t used, ledger_retainer *retainer_r);

/* Money of a period for a retainer: the retainer fee (included time at
 * rate) plus the overage at overage_rate. */
int64_t ledger_retainer_fee(const ledger_terms *terms);
int64_t ledger_retainer_overage_amount(const ledger_terms *terms, const ledger_retainer *r);

/* "2026-11" -> 2026, 11. */
int ledger_parse_period(const char *text, int *year_r, int *month_r, char **error_r);
/* "2026-11-03" (a real calendar date) -> the date. */
int ledger_parse_date(const char *text, GDate *date_r, char **error_r);
/* A duration as duration_parse() reads it; with allow_negative a leading
 * '-' makes it a credit. Zero is refused. */
int ledger_parse_duration(const char *text, gboolean allow_negative,
			  int64_t *seconds_r, char **error_r);

/* Unix time of local midnight starting date in tz (the first instant of
 * that day, should midnight fall in a DST gap). */
int64_t ledger_local_midnight(GTimeZone *tz, const GDate *date);
/* [start, end) of period year-month starting on start_day in tz. */
void ledger_period_bounds(GTimeZone *tz, int start_day, int year, int month,
			  int64_t *start_r, int64_t *end_r);
/* The period holding the instant t. */
void ledger_period_containing(GTimeZone *tz, int start_day, int64_t t,
			      int *year_r, int *month_r);
/* The local date of t in tz. */
void ledger_local_date(GTimeZone *tz, int64_t t, GDate *date_r);

/* "1h 05m", "45m", "1h 00m 30s", "-30m": newly allocated. */
char *ledger_format_duration(int64_t seconds);

/* ---- the ledger in the store ---- */

/* A manual entry or an adjustment. date NULL: now. */
typedef struct ledger_new_entry {
	const conf_billing *billing;
	gboolean adjust;         /* source 'adjust' (seconds may be < 0) */
	int64_t seconds;
	const char *description; /* required, UTF-8 */
	const char *category;    /* NULL: "manual" */
	const GDate *date;
} ledger_new_entry;

/* Categories are short names: letters, digits, '-' and '_'. */
gboolean ledger_category_valid(const char *category);

/* Record an entry, unless its period is closed (the error then names the
 * period and its invoice). Returns 0 and *id_r. */
int ledger_add_entry(store *st, const ledger_new_entry *entry, int64_t now,
		     int64_t *id_r, char **error_r);

typedef enum {
	LEDGER_RANGE_CURRENT, /* each account's period holding `now` */
	LEDGER_RANGE_PERIOD,
	LEDGER_RANGE_DATES,   /* from..to, both days included */
} ledger_range_kind;

typedef struct ledger_query {
	const char *client;   /* NULL: every client */
	const char *account;  /* billing account id, NULL: all */
	ledger_range_kind range;
	int year, month;      /* LEDGER_RANGE_PERIOD */
	GDate from, to;       /* LEDGER_RANGE_DATES */
} ledger_query;

typedef struct ledger_line {
	int64_t id;
	int64_t at;            /* Unix seconds */
	GDate date;            /* local to the client */
	const char *source;    /* "rule", "manual", "adjust" */
	const char *category;
	const char *description;
	int64_t action_id;     /* 0: none */
	const char *message_key; /* may be NULL */
	int64_t seconds;
	int64_t billed;        /* rounded when rounding per entry, else seconds */
	int64_t amount;        /* hourly per-entry only, else 0 */
} ledger_line;

typedef struct ledger_category {
	const char *name;
	guint entries;
	int64_t seconds;
	int64_t billed;
} ledger_category;

typedef struct ledger_account_report {
	const char *client;
	const char *account;
	const char *timezone;
	ledger_terms terms;
	char period[8];        /* "2026-11", or "" for a date range */
	GDate first_day, last_day;
	int64_t start_at, end_at;
	gboolean closed;
	const char *invoice_number; /* closed periods */
	ledger_line *lines;
	guint n_lines;
	ledger_category *categories; /* triage, drafts, scheduling, manual, then others by name */
	guint n_categories;
	int64_t seconds;      /* raw total */
	int64_t billed;       /* rounded total */
	gboolean has_retainer; /* RETAINER and a whole period */
	ledger_retainer retainer;
	int64_t fee;          /* retainer fee */
	int64_t overage_amount;
	int64_t amount;       /* the total to pay */
} ledger_account_report;

typedef struct ledger_report {
	ledger_account_report *accounts;
	guint n_accounts;
	GStringChunk *strings; /* owns every string in the report */
} ledger_report;

/* Build a report in one read transaction: entries the agent writes
 * meanwhile are either all in it or not at all. */
int ledger_report_build(store *st, const conf *config, const ledger_query *query,
			int64_t now, ledger_report **report_r, char **error_r);
void ledger_report_free(ledger_report **report);

typedef enum {
	LEDGER_FORMAT_TEXT,
	LEDGER_FORMAT_CSV,
	LEDGER_FORMAT_JSON,
	LEDGER_FORMAT_TIMECLOCK, /* hledger's timeclock format */
	LEDGER_FORMAT_HTML,      /* invoices only */
} ledger_format;

/* "text" -> LEDGER_FORMAT_TEXT...; -1 when unknown. */
int ledger_format_parse(const char *name);

/* The report as a document (newly allocated). */
char *ledger_report_render(const ledger_report *report, ledger_format format);

/* Close period year-month of billing: freeze it and give it the next
 * invoice number of the issue year, "<prefix><year>-<seq>" (seq 0001...).
 * issued NULL: today in the client's zone. The period must have ended.
 * Returns 0 and *invoice_number_r (newly allocated). */
int ledger_close_period(store *st, const conf *config, const conf_billing *billing,
			int year, int month, const GDate *issued, int64_t now,
			char **invoice_number_r, char **error_r);

/* The invoice of period year-month (TEXT or HTML): the stored one when the
 * period is closed, else a pro forma rendered now. Newly allocated. */
int ledger_invoice(store *st, const conf *config, const conf_billing *billing,
		   int year, int month, ledger_format format, int64_t now,
		   char **document_r, char **error_r);

/* Closed periods of billing, oldest first, one "PERIOD INVOICE ISSUED DUE
 * AMOUNT" line each (newly allocated; "" when none). */
int ledger_periods_list(store *st, const conf_billing *billing, char **text_r,
			char **error_r);

#endif
