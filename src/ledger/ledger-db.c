/* The ledger in the store: entries in, reports and closed periods out. */
#include "ledger/ledger-private.h"
#include "util/money.h"

#include <stdlib.h>
#include <string.h>

static int ledger_db_fail(sqlite3 *db, const char *what, char **error_r)
{
	*error_r = g_strdup_printf("database: %s: %s", what, sqlite3_errmsg(db));
	return -1;
}

static sqlite3_stmt *ledger_prepare(sqlite3 *db, const char *sql, char **error_r)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		ledger_db_fail(db, "prepare", error_r);
		return NULL;
	}
	return stmt;
}

static int ledger_exec(sqlite3 *db, const char *sql, char **error_r)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ledger_db_fail(db, sql, error_r);
	return 0;
}

static void ledger_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

void ledger_date_string(const GDate *date, char buf[11])
{
	g_snprintf(buf, 11, "%04d-%02d-%02d", g_date_get_year(date), g_date_get_month(date),
		   g_date_get_day(date));
}

const char *ledger_mode_name(conf_billing_mode mode)
{
	return mode == CONF_BILLING_RETAINER ? "retainer" : "hourly";
}

const char *ledger_rounding_name(conf_rounding rounding)
{
	return rounding == CONF_ROUNDING_NEAREST ? "nearest" : "up";
}

const char *ledger_round_per_name(conf_round_per per)
{
	return per == CONF_ROUND_PER_PERIOD ? "period" : "entry";
}

const char *ledger_rollover_name(conf_rollover rollover)
{
	return rollover == CONF_ROLLOVER_CAPPED ? "capped" : "none";
}

/* ---- closed periods ---- */

typedef struct ledger_closed {
	gboolean found;
	char period[8];
	char *invoice_number;
	int64_t start_at, end_at;
	ledger_terms terms;
	int64_t carried_in, carried_out;
} ledger_closed;

static void ledger_closed_clear(ledger_closed *closed)
{
	g_free(closed->invoice_number);
	memset(closed, 0, sizeof(*closed));
}

#define LEDGER_CLOSED_COLUMNS \
	"period, invoice_number, start_at, end_at, mode, rate, currency, increment, rounding," \
	" round_per, retainer_seconds, overage_rate, rollover, rollover_cap, period_start_day," \
	" payment_terms_days, carried_in, carried_out"

static void ledger_closed_read(sqlite3_stmt *stmt, ledger_closed *closed)
{
	const char *text;

	closed->found = TRUE;
	g_strlcpy(closed->period, (const char *)sqlite3_column_text(stmt, 0), sizeof(closed->period));
	closed->invoice_number = g_strdup((const char *)sqlite3_column_text(stmt, 1));
	closed->start_at = sqlite3_column_int64(stmt, 2);
	closed->end_at = sqlite3_column_int64(stmt, 3);
	text = (const char *)sqlite3_column_text(stmt, 4);
	closed->terms.mode = g_strcmp0(text, "retainer") == 0 ? CONF_BILLING_RETAINER : CONF_BILLING_HOURLY;
	closed->terms.rate = sqlite3_column_int64(stmt, 5);
	g_strlcpy(closed->terms.currency, (const char *)sqlite3_column_text(stmt, 6),
		  sizeof(closed->terms.currency));
	closed->terms.increment = sqlite3_column_int64(stmt, 7);
	if (closed->terms.increment <= 0)
		closed->terms.increment = 1;
	text = (const char *)sqlite3_column_text(stmt, 8);
	closed->terms.rounding = g_strcmp0(text, "nearest") == 0 ? CONF_ROUNDING_NEAREST : CONF_ROUNDING_UP;
	text = (const char *)sqlite3_column_text(stmt, 9);
	closed->terms.round_per = g_strcmp0(text, "period") == 0 ? CONF_ROUND_PER_PERIOD : CONF_ROUND_PER_ENTRY;
	closed->terms.retainer_seconds = sqlite3_column_int64(stmt, 10);
	closed->terms.overage_rate = sqlite3_column_int64(stmt, 11);
	text = (const char *)sqlite3_column_text(stmt, 12);
	closed->terms.rollover = g_strcmp0(text, "capped") == 0 ? CONF_ROLLOVER_CAPPED : CONF_ROLLOVER_NONE;
	closed->terms.rollover_cap_seconds = sqlite3_column_int64(stmt, 13);
	closed->terms.period_start_day = sqlite3_column_int(stmt, 14);
	closed->terms.payment_terms_days = sqlite3_column_int(stmt, 15);
	closed->carried_in = sqlite3_column_int64(stmt, 16);
	closed->carried_out = sqlite3_column_int64(stmt, 17);
}

/* Step stmt (bound, a query of LEDGER_CLOSED_COLUMNS) for at most one
 * closed period: 0 (closed->found says whether there is one) or -1. */
static int ledger_closed_step(sqlite3 *db, sqlite3_stmt *stmt, ledger_closed *closed,
			      char **error_r)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW)
		ledger_closed_read(stmt, closed);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ledger_db_fail(db, "read closed periods", error_r);
	return 0;
}

/* The closed period of account named period. */
static int ledger_closed_get(sqlite3 *db, const char *account, const char *period,
			     ledger_closed *closed, char **error_r)
{
	sqlite3_stmt *stmt = ledger_prepare(db,
		"SELECT " LEDGER_CLOSED_COLUMNS " FROM ledger_periods"
		" WHERE billing_account = ? AND period = ?", error_r);

	memset(closed, 0, sizeof(*closed));
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, period, -1, SQLITE_STATIC);
	return ledger_closed_step(db, stmt, closed, error_r);
}

/* The closed period of account holding the instant at, if any. */
static int ledger_closed_at(sqlite3 *db, const char *account, int64_t at,
			    ledger_closed *closed, char **error_r)
{
	sqlite3_stmt *stmt = ledger_prepare(db,
		"SELECT " LEDGER_CLOSED_COLUMNS " FROM ledger_periods"
		" WHERE billing_account = ?1 AND start_at <= ?2 AND ?2 < end_at", error_r);

	memset(closed, 0, sizeof(*closed));
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, at);
	return ledger_closed_step(db, stmt, closed, error_r);
}

/* ---- entries ---- */

static gboolean ledger_has_text(const char *text)
{
	for (const char *p = text != NULL ? text : ""; *p != '\0'; p++)
		if (!g_ascii_isspace(*p))
			return TRUE;
	return FALSE;
}

int ledger_add_entry(store *st, const ledger_new_entry *entry, int64_t now,
		     int64_t *id_r, char **error_r)
{
	sqlite3 *db = store_get_db(st);
	const conf_billing *billing = entry->billing;
	const char *category = entry->category != NULL ? entry->category : "manual";
	ledger_closed closed;
	sqlite3_stmt *stmt;
	int64_t at = now;
	int rc;

	if (!ledger_has_text(entry->description)) {
		*error_r = g_strdup("the description is empty: say what the time was for");
		return -1;
	}
	if (!g_utf8_validate(entry->description, -1, NULL) || strlen(entry->description) > 2000) {
		*error_r = g_strdup("the description is not UTF-8 text of at most 2000 bytes");
		return -1;
	}
	if (!ledger_category_valid(category)) {
		*error_r = g_strdup_printf("category '%s' is not a name of letters, digits, '-' and '_' (e.g. manual, drafts, scheduling)",
					   category);
		return -1;
	}
	if (entry->seconds == 0 || (entry->seconds < 0 && !entry->adjust)) {
		*error_r = g_strdup("the duration must be more than zero");
		return -1;
	}
	if (entry->date != NULL) {
		GDate today;
		g_autoptr(GDateTime) noon = NULL;

		ledger_local_date(billing->client->tz, now, &today);
		if (g_date_compare(entry->date, &today) > 0) {
			char day[11];

			ledger_date_string(entry->date, day);
			*error_r = g_strdup_printf("date %s is in the future (today is not over yet in %s)",
						   day, billing->client->timezone);
			return -1;
		}
		/* Noon: safely inside the day whatever DST does that day. */
		noon = g_date_time_new(billing->client->tz, g_date_get_year(entry->date),
				       g_date_get_month(entry->date), g_date_get_day(entry->date),
				       12, 0, 0);
		at = g_date_time_to_unix(noon);
	}

	/* The check and the insert in one write transaction, so a period
	 * cannot be closed between them. */
	if (ledger_exec(db, "BEGIN IMMEDIATE", error_r) < 0)
		return -1;
	if (ledger_closed_at(db, billing->id, at, &closed, error_r) < 0)
		goto fail;
	if (closed.found) {
		*error_r = g_strdup_printf("period %s of billing account %s is closed (invoice %s): "
					   "record a correction with `vea bill adjust`, dated in an open period",
					   closed.period, billing->id, closed.invoice_number);
		ledger_closed_clear(&closed);
		goto fail;
	}
	stmt = ledger_prepare(db,
		"INSERT INTO ledger_entries (client, billing_account, seconds, description, category,"
		" source, created_at) VALUES (?,?,?,?,?,?,?)", error_r);
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_text(stmt, 1, billing->client->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, billing->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, entry->seconds);
	sqlite3_bind_text(stmt, 4, entry->description, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, category, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, entry->adjust ? "adjust" : "manual", -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, at);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		ledger_db_fail(db, "write a ledger entry", error_r);
		goto fail;
	}
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(db);
	if (ledger_exec(db, "COMMIT", error_r) < 0)
		goto fail;
	return 0;
fail:
	ledger_rollback(db);
	return -1;
}

/* ---- reports ---- */

/* Billed time of account in [start, end) under terms. The sums run in
 * SQL over the covering index (a year of history is read for each
 * retainer's rollover); the per-entry rounding there is ledger_round()'s,
 * written with integer division on the magnitude:
 *   up:      (m + inc - 1) / inc * inc
 *   nearest: (2m + inc) / (2 inc) * inc */
static int ledger_billed_between(sqlite3 *db, const char *account, const ledger_terms *terms,
				 int64_t start, int64_t end, int64_t *billed_r, char **error_r)
{
	sqlite3_stmt *stmt = ledger_prepare(db,
		"SELECT COALESCE(SUM(seconds), 0),"
		" COALESCE(SUM((CASE WHEN seconds < 0 THEN -1 ELSE 1 END) * ((ABS(seconds) * ?4 + ?5) / ?6) * ?7), 0)"
		" FROM ledger_entries"
		" WHERE billing_account = ?1 AND created_at >= ?2 AND created_at < ?3", error_r);
	gboolean up = terms->rounding == CONF_ROUNDING_UP;
	int64_t inc = terms->increment, raw, billed;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, start);
	sqlite3_bind_int64(stmt, 3, end);
	sqlite3_bind_int64(stmt, 4, up ? 1 : 2);
	sqlite3_bind_int64(stmt, 5, up ? inc - 1 : inc);
	sqlite3_bind_int64(stmt, 6, up ? inc : 2 * inc);
	sqlite3_bind_int64(stmt, 7, inc);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		return ledger_db_fail(db, "read the ledger", error_r);
	}
	raw = sqlite3_column_int64(stmt, 0);
	billed = sqlite3_column_int64(stmt, 1);
	sqlite3_finalize(stmt);
	*billed_r = terms->round_per == CONF_ROUND_PER_PERIOD
			    ? ledger_round(raw, terms->increment, terms->rounding) : billed;
	return 0;
}

/* Retainer time rolled over into period year-month: carried from the last
 * closed period before it (frozen), else from the account's first entry,
 * period by period. */
static int ledger_carry_in(sqlite3 *db, const conf_billing *billing, const ledger_terms *terms,
			   int year, int month, int64_t period_start, int64_t *carry_r,
			   char **error_r)
{
	sqlite3_stmt *stmt;
	int64_t carry = 0, first;
	int y, m, rc, guard = 0;
	gboolean have_start = FALSE;

	*carry_r = 0;
	if (terms->mode != CONF_BILLING_RETAINER || terms->rollover != CONF_ROLLOVER_CAPPED)
		return 0;
	stmt = ledger_prepare(db,
		"SELECT period, carried_out FROM ledger_periods"
		" WHERE billing_account = ? AND start_at < ? ORDER BY start_at DESC LIMIT 1", error_r);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, billing->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, period_start);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		char *error = NULL;

		if (ledger_parse_period((const char *)sqlite3_column_text(stmt, 0), &y, &m, &error) == 0) {
			carry = sqlite3_column_int64(stmt, 1);
			if (++m > 12) {
				m = 1;
				y++;
			}
			have_start = TRUE;
		}
		g_free(error);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ledger_db_fail(db, "read closed periods", error_r);
	if (!have_start) {
		stmt = ledger_prepare(db,
			"SELECT MIN(created_at) FROM ledger_entries WHERE billing_account = ?", error_r);
		if (stmt == NULL)
			return -1;
		sqlite3_bind_text(stmt, 1, billing->id, -1, SQLITE_STATIC);
		rc = sqlite3_step(stmt);
		if (rc != SQLITE_ROW) {
			sqlite3_finalize(stmt);
			return ledger_db_fail(db, "read the ledger", error_r);
		}
		if (sqlite3_column_type(stmt, 0) == SQLITE_NULL) {
			sqlite3_finalize(stmt);
			return 0;
		}
		first = sqlite3_column_int64(stmt, 0);
		sqlite3_finalize(stmt);
		if (first >= period_start)
			return 0;
		ledger_period_containing(billing->client->tz, terms->period_start_day, first, &y, &m);
	}
	/* Unused time of each earlier period, capped, rolls into the next. */
	while ((y < year || (y == year && m < month)) && guard++ < 12 * 200) {
		int64_t start, end, used;
		ledger_retainer r;

		ledger_period_bounds(billing->client->tz, terms->period_start_day, y, m, &start, &end);
		if (ledger_billed_between(db, billing->id, terms, start, end, &used, error_r) < 0)
			return -1;
		ledger_retainer_compute(terms, carry, used, &r);
		carry = r.carried_out;
		if (++m > 12) {
			m = 1;
			y++;
		}
	}
	*carry_r = carry;
	return 0;
}

static int ledger_category_rank(const char *name)
{
	static const char *const known[] = { "triage", "drafts", "scheduling", "manual" };

	for (int i = 0; i < (int)G_N_ELEMENTS(known); i++)
		if (strcmp(name, known[i]) == 0)
			return i;
	return G_N_ELEMENTS(known);
}

static int ledger_category_compare(gconstpointer a, gconstpointer b)
{
	const ledger_category *x = a, *y = b;
	int rx = ledger_category_rank(x->name), ry = ledger_category_rank(y->name);

	return rx != ry ? rx - ry : strcmp(x->name, y->name);
}

/* One account's part of a report, over [start, end). */
static int ledger_account_fill(sqlite3 *db, ledger_report *report, ledger_account_report *a,
			       const conf_billing *billing, char **error_r)
{
	sqlite3_stmt *stmt = ledger_prepare(db,
		"SELECT id, created_at, seconds, source, category, description, action_id, message_key"
		" FROM ledger_entries WHERE billing_account = ? AND created_at >= ? AND created_at < ?"
		" ORDER BY created_at, id", error_r);
	GArray *lines = g_array_new(FALSE, TRUE, sizeof(ledger_line));
	GArray *categories = g_array_new(FALSE, TRUE, sizeof(ledger_category));
	g_autoptr(GHashTable) category_index = g_hash_table_new(g_str_hash, g_str_equal);
	const ledger_terms *terms = &a->terms;
	gboolean per_entry_money = terms->mode == CONF_BILLING_HOURLY &&
				   terms->round_per == CONF_ROUND_PER_ENTRY;
	int64_t day_start = G_MININT64, day_end = G_MININT64;
	GDate day;
	int rc;

	g_date_clear(&day, 1);
	if (stmt == NULL) {
		g_array_free(lines, TRUE);
		g_array_free(categories, TRUE);
		return -1;
	}
	sqlite3_bind_text(stmt, 1, billing->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, a->start_at);
	sqlite3_bind_int64(stmt, 3, a->end_at);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		ledger_line line = { 0 };
		const char *text;
		gpointer index;
		ledger_category *category;

		line.id = sqlite3_column_int64(stmt, 0);
		line.at = sqlite3_column_int64(stmt, 1);
		line.seconds = sqlite3_column_int64(stmt, 2);
		line.source = g_string_chunk_insert_const(report->strings,
							  (const char *)sqlite3_column_text(stmt, 3));
		line.category = g_string_chunk_insert_const(report->strings,
							    (const char *)sqlite3_column_text(stmt, 4));
		text = (const char *)sqlite3_column_text(stmt, 5);
		line.description = g_string_chunk_insert(report->strings, text != NULL ? text : "");
		line.action_id = sqlite3_column_int64(stmt, 6);
		text = (const char *)sqlite3_column_text(stmt, 7);
		line.message_key = text != NULL ? g_string_chunk_insert(report->strings, text) : NULL;
		/* Rows come in time order: convert to a local date once a day. */
		if (line.at < day_start || line.at >= day_end) {
			g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(line.at);
			g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, billing->client->tz);
			GDate next;

			g_date_set_dmy(&day, g_date_time_get_day_of_month(local),
				       g_date_time_get_month(local), g_date_time_get_year(local));
			day_start = ledger_local_midnight(billing->client->tz, &day);
			next = day;
			g_date_add_days(&next, 1);
			day_end = ledger_local_midnight(billing->client->tz, &next);
		}
		line.date = day;
		line.billed = terms->round_per == CONF_ROUND_PER_ENTRY
				      ? ledger_round(line.seconds, terms->increment, terms->rounding)
				      : line.seconds;
		if (per_entry_money)
			line.amount = money_for_seconds(line.billed, terms->rate);
		a->seconds += line.seconds;
		a->billed += line.billed;
		a->amount += line.amount;
		if (!g_hash_table_lookup_extended(category_index, line.category, NULL, &index)) {
			ledger_category empty = { .name = line.category };

			g_array_append_val(categories, empty);
			index = GUINT_TO_POINTER(categories->len - 1);
			g_hash_table_insert(category_index, (gpointer)line.category, index);
		}
		category = &g_array_index(categories, ledger_category, GPOINTER_TO_UINT(index));
		category->entries++;
		category->seconds += line.seconds;
		category->billed += line.billed;
		g_array_append_val(lines, line);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		g_array_free(lines, TRUE);
		g_array_free(categories, TRUE);
		return ledger_db_fail(db, "read the ledger", error_r);
	}
	if (terms->round_per == CONF_ROUND_PER_PERIOD)
		a->billed = ledger_round(a->seconds, terms->increment, terms->rounding);
	g_array_sort(categories, ledger_category_compare);
	a->n_lines = lines->len;
	a->lines = (ledger_line *)g_array_free(lines, FALSE);
	a->n_categories = categories->len;
	a->categories = (ledger_category *)g_array_free(categories, FALSE);
	return 0;
}

static int ledger_account_build(sqlite3 *db, ledger_report *report, ledger_account_report *a,
				const conf_billing *billing, const ledger_query *query,
				int64_t now, char **error_r)
{
	GTimeZone *tz = billing->client->tz;
	ledger_closed closed = { 0 };
	int year = query->year, month = query->month;

	a->client = g_string_chunk_insert_const(report->strings, billing->client->id);
	a->account = g_string_chunk_insert_const(report->strings, billing->id);
	a->timezone = g_string_chunk_insert_const(report->strings,
						  billing->client->timezone != NULL ? billing->client->timezone : "UTC");
	ledger_terms_from_conf(billing, &a->terms);
	if (query->range == LEDGER_RANGE_DATES) {
		GDate after = query->to;

		g_date_add_days(&after, 1);
		a->first_day = query->from;
		a->last_day = query->to;
		a->start_at = ledger_local_midnight(tz, &query->from);
		a->end_at = ledger_local_midnight(tz, &after);
		a->period[0] = '\0';
		if (a->terms.mode == CONF_BILLING_RETAINER) {
			/* A retainer is priced per period; a date range shows time. */
			if (ledger_account_fill(db, report, a, billing, error_r) < 0)
				return -1;
			a->amount = 0;
			return 0;
		}
		return ledger_account_fill(db, report, a, billing, error_r);
	}
	if (query->range == LEDGER_RANGE_CURRENT)
		ledger_period_containing(tz, a->terms.period_start_day, now, &year, &month);
	g_snprintf(a->period, sizeof(a->period), "%04d-%02d", year, month);
	if (ledger_closed_get(db, billing->id, a->period, &closed, error_r) < 0)
		return -1;
	if (closed.found) {
		/* Frozen: the terms, bounds and rollover it was closed with. */
		a->closed = TRUE;
		a->invoice_number = g_string_chunk_insert_const(report->strings, closed.invoice_number);
		a->terms = closed.terms;
		a->start_at = closed.start_at;
		a->end_at = closed.end_at;
		a->retainer.carried_in = closed.carried_in;
	} else {
		ledger_period_bounds(tz, a->terms.period_start_day, year, month, &a->start_at, &a->end_at);
	}
	ledger_local_date(tz, a->start_at, &a->first_day);
	ledger_local_date(tz, a->end_at - 1, &a->last_day);
	ledger_closed_clear(&closed);
	if (ledger_account_fill(db, report, a, billing, error_r) < 0)
		return -1;
	if (a->terms.mode == CONF_BILLING_RETAINER) {
		int64_t carry = a->retainer.carried_in;

		if (!a->closed &&
		    ledger_carry_in(db, billing, &a->terms, year, month, a->start_at, &carry, error_r) < 0)
			return -1;
		a->has_retainer = TRUE;
		ledger_retainer_compute(&a->terms, carry, a->billed, &a->retainer);
		a->fee = ledger_retainer_fee(&a->terms);
		a->overage_amount = ledger_retainer_overage_amount(&a->terms, &a->retainer);
		a->amount = a->fee + a->overage_amount;
	} else if (a->terms.round_per == CONF_ROUND_PER_PERIOD) {
		a->amount = money_for_seconds(a->billed, a->terms.rate);
	}
	return 0;
}

static void ledger_report_free_accounts(ledger_report *report)
{
	for (guint i = 0; i < report->n_accounts; i++) {
		g_free(report->accounts[i].lines);
		g_free(report->accounts[i].categories);
	}
	g_free(report->accounts);
}

void ledger_report_free(ledger_report **reportp)
{
	ledger_report *report = *reportp;

	if (report == NULL)
		return;
	*reportp = NULL;
	ledger_report_free_accounts(report);
	g_string_chunk_free(report->strings);
	g_free(report);
}

static int ledger_report_build_locked(sqlite3 *db, const conf *config, const ledger_query *query,
				      int64_t now, ledger_report **report_r, char **error_r)
{
	ledger_report *report = g_new0(ledger_report, 1);
	GArray *accounts = g_array_new(FALSE, TRUE, sizeof(ledger_account_report));
	int ret = 0;

	report->strings = g_string_chunk_new(64 * 1024);
	for (guint i = 0; i < config->billing->len && ret == 0; i++) {
		const conf_billing *billing = g_ptr_array_index(config->billing, i);
		ledger_account_report a = { 0 };

		if (query->client != NULL && strcmp(billing->client->id, query->client) != 0)
			continue;
		if (query->account != NULL && strcmp(billing->id, query->account) != 0)
			continue;
		ret = ledger_account_build(db, report, &a, billing, query, now, error_r);
		g_array_append_val(accounts, a);
	}
	report->n_accounts = accounts->len;
	report->accounts = (ledger_account_report *)g_array_free(accounts, FALSE);
	if (ret < 0) {
		ledger_report_free(&report);
		return -1;
	}
	*report_r = report;
	return 0;
}

int ledger_report_build(store *st, const conf *config, const ledger_query *query,
			int64_t now, ledger_report **report_r, char **error_r)
{
	sqlite3 *db = store_get_db(st);
	int ret;

	*report_r = NULL;
	if (query->range == LEDGER_RANGE_DATES && g_date_compare(&query->from, &query->to) > 0) {
		*error_r = g_strdup("--from is after --to");
		return -1;
	}
	/* One read transaction: in WAL mode every statement in it reads the
	 * same snapshot, whatever the agent commits meanwhile. */
	if (ledger_exec(db, "BEGIN DEFERRED", error_r) < 0)
		return -1;
	ret = ledger_report_build_locked(db, config, query, now, report_r, error_r);
	if (ret == 0 && ledger_exec(db, "COMMIT", error_r) < 0) {
		ledger_report_free(report_r);
		ret = -1;
	}
	if (ret < 0)
		ledger_rollback(db);
	return ret;
}

/* ---- closing, invoices ---- */

static void ledger_due_date(const GDate *issued, int days, GDate *due_r)
{
	*due_r = *issued;
	g_date_add_days(due_r, days);
}

int ledger_close_period(store *st, const conf *config, const conf_billing *billing,
			int year, int month, const GDate *issued, int64_t now,
			char **invoice_number_r, char **error_r)
{
	sqlite3 *db = store_get_db(st);
	ledger_query query = { .account = billing->id, .range = LEDGER_RANGE_PERIOD,
			       .year = year, .month = month };
	ledger_report *report = NULL;
	ledger_account_report *a;
	ledger_closed closed;
	sqlite3_stmt *stmt = NULL;
	g_autofree char *number = NULL, *text = NULL, *html = NULL;
	char period[8], issued_on[11], due_on[11];
	GDate issue, due;
	int seq, rc;

	*invoice_number_r = NULL;
	g_snprintf(period, sizeof(period), "%04d-%02d", year, month);
	if (ledger_exec(db, "BEGIN IMMEDIATE", error_r) < 0)
		return -1;
	if (ledger_closed_get(db, billing->id, period, &closed, error_r) < 0)
		goto fail;
	if (closed.found) {
		*error_r = g_strdup_printf("period %s of billing account %s is already closed (invoice %s)",
					   period, billing->id, closed.invoice_number);
		ledger_closed_clear(&closed);
		goto fail;
	}
	if (ledger_report_build_locked(db, config, &query, now, &report, error_r) < 0)
		goto fail;
	g_assert(report->n_accounts == 1);
	a = &report->accounts[0];
	if (now < a->end_at) {
		char last[11];

		ledger_date_string(&a->last_day, last);
		*error_r = g_strdup_printf("period %s of billing account %s has not ended yet (its last day is %s, %s)",
					   period, billing->id, last, a->timezone);
		goto fail;
	}
	if (issued != NULL) {
		issue = *issued;
		if (g_date_compare(&issue, &a->last_day) < 0) {
			char last[11];

			ledger_date_string(&a->last_day, last);
			*error_r = g_strdup_printf("issue date is before the period's last day (%s)", last);
			goto fail;
		}
	} else {
		ledger_local_date(billing->client->tz, now, &issue);
	}
	ledger_due_date(&issue, a->terms.payment_terms_days, &due);
	ledger_date_string(&issue, issued_on);
	ledger_date_string(&due, due_on);

	stmt = ledger_prepare(db, "SELECT COALESCE(MAX(invoice_seq), 0) + 1 FROM ledger_periods"
				  " WHERE invoice_year = ?", error_r);
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int(stmt, 1, g_date_get_year(&issue));
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		ledger_db_fail(db, "number the invoice", error_r);
		goto fail;
	}
	seq = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	stmt = NULL;
	number = g_strdup_printf("%s%d-%04d", config->assistant.invoice_prefix != NULL
						     ? config->assistant.invoice_prefix : "INV-",
				 g_date_get_year(&issue), seq);

	a->closed = TRUE;
	a->invoice_number = number;
	text = ledger_invoice_render(config, billing->client, a, number, &issue, &due, LEDGER_FORMAT_TEXT);
	html = ledger_invoice_render(config, billing->client, a, number, &issue, &due, LEDGER_FORMAT_HTML);

	stmt = ledger_prepare(db,
		"INSERT INTO ledger_periods (billing_account, client, period, start_at, end_at,"
		" invoice_number, invoice_year, invoice_seq, issued_on, due_on, mode, rate, currency,"
		" increment, rounding, round_per, retainer_seconds, overage_rate, rollover, rollover_cap,"
		" period_start_day, payment_terms_days, carried_in, carried_out, billed_seconds, amount,"
		" invoice_text, invoice_html, closed_at)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", error_r);
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_text(stmt, 1, billing->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, billing->client->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, period, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, a->start_at);
	sqlite3_bind_int64(stmt, 5, a->end_at);
	sqlite3_bind_text(stmt, 6, number, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 7, g_date_get_year(&issue));
	sqlite3_bind_int(stmt, 8, seq);
	sqlite3_bind_text(stmt, 9, issued_on, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 10, due_on, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 11, ledger_mode_name(a->terms.mode), -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 12, a->terms.rate);
	sqlite3_bind_text(stmt, 13, a->terms.currency, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 14, a->terms.increment);
	sqlite3_bind_text(stmt, 15, ledger_rounding_name(a->terms.rounding), -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 16, ledger_round_per_name(a->terms.round_per), -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 17, a->terms.retainer_seconds);
	sqlite3_bind_int64(stmt, 18, a->terms.overage_rate);
	sqlite3_bind_text(stmt, 19, ledger_rollover_name(a->terms.rollover), -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 20, a->terms.rollover_cap_seconds);
	sqlite3_bind_int(stmt, 21, a->terms.period_start_day);
	sqlite3_bind_int(stmt, 22, a->terms.payment_terms_days);
	sqlite3_bind_int64(stmt, 23, a->retainer.carried_in);
	sqlite3_bind_int64(stmt, 24, a->retainer.carried_out);
	sqlite3_bind_int64(stmt, 25, a->billed);
	sqlite3_bind_int64(stmt, 26, a->amount);
	sqlite3_bind_text(stmt, 27, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 28, html, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 29, now);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (rc != SQLITE_DONE) {
		ledger_db_fail(db, "close the period", error_r);
		goto fail;
	}
	if (ledger_exec(db, "COMMIT", error_r) < 0)
		goto fail;
	ledger_report_free(&report);
	*invoice_number_r = g_steal_pointer(&number);
	return 0;
fail:
	if (stmt != NULL)
		sqlite3_finalize(stmt);
	ledger_report_free(&report);
	ledger_rollback(db);
	return -1;
}

int ledger_invoice(store *st, const conf *config, const conf_billing *billing,
		   int year, int month, ledger_format format, int64_t now,
		   char **document_r, char **error_r)
{
	sqlite3 *db = store_get_db(st);
	ledger_query query = { .account = billing->id, .range = LEDGER_RANGE_PERIOD,
			       .year = year, .month = month };
	ledger_report *report = NULL;
	sqlite3_stmt *stmt;
	char period[8];
	GDate issue, due;
	int rc;

	*document_r = NULL;
	if (format != LEDGER_FORMAT_TEXT && format != LEDGER_FORMAT_HTML) {
		*error_r = g_strdup("invoices are text or html");
		return -1;
	}
	g_snprintf(period, sizeof(period), "%04d-%02d", year, month);
	stmt = ledger_prepare(db, format == LEDGER_FORMAT_HTML
				  ? "SELECT invoice_html FROM ledger_periods WHERE billing_account = ? AND period = ?"
				  : "SELECT invoice_text FROM ledger_periods WHERE billing_account = ? AND period = ?",
			      error_r);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, billing->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, period, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*document_r = g_strdup((const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ledger_db_fail(db, "read the invoice", error_r);
	if (*document_r != NULL)
		return 0;
	/* Open: a pro forma of the period so far. */
	if (ledger_report_build(st, config, &query, now, &report, error_r) < 0)
		return -1;
	ledger_local_date(billing->client->tz, now, &issue);
	ledger_due_date(&issue, report->accounts[0].terms.payment_terms_days, &due);
	*document_r = ledger_invoice_render(config, billing->client, &report->accounts[0], NULL,
					    &issue, &due, format);
	ledger_report_free(&report);
	return 0;
}

int ledger_periods_list(store *st, const conf_billing *billing, char **text_r, char **error_r)
{
	sqlite3 *db = store_get_db(st);
	sqlite3_stmt *stmt = ledger_prepare(db,
		"SELECT period, invoice_number, issued_on, due_on, billed_seconds, amount, currency"
		" FROM ledger_periods WHERE billing_account = ? ORDER BY start_at", error_r);
	GString *out;
	int rc;

	*text_r = NULL;
	if (stmt == NULL)
		return -1;
	out = g_string_new(NULL);
	sqlite3_bind_text(stmt, 1, billing->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		g_autofree char *time = ledger_format_duration(sqlite3_column_int64(stmt, 4));
		g_autofree char *money = money_format(sqlite3_column_int64(stmt, 5),
						      (const char *)sqlite3_column_text(stmt, 6));

		g_string_append_printf(out, "%s  %-16s  issued %s  due %s  %10s  %s\n",
				       sqlite3_column_text(stmt, 0), sqlite3_column_text(stmt, 1),
				       sqlite3_column_text(stmt, 2), sqlite3_column_text(stmt, 3),
				       time, money);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		g_string_free(out, TRUE);
		return ledger_db_fail(db, "read closed periods", error_r);
	}
	*text_r = g_string_free(out, FALSE);
	return 0;
}
