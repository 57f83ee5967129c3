/* The ledger over the store: entries in, reports and closed periods out.
 * The rows are the store's (src/store/ledger.c); this file keeps the
 * checks, the periods, the rounding and the rollover. */
#include "ledger/ledger-private.h"
#include "util/money.h"

#include <stdlib.h>
#include <string.h>

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

/* A closed period as the ledger reads it: the terms it was closed with. */
static void ledger_closed_read(const store_ledger_period *p, ledger_closed *closed)
{
	closed->found = TRUE;
	g_strlcpy(closed->period, p->period, sizeof(closed->period));
	closed->invoice_number = g_strdup(p->invoice_number);
	closed->start_at = p->start_at;
	closed->end_at = p->end_at;
	closed->terms.mode = g_strcmp0(p->mode, "retainer") == 0 ? CONF_BILLING_RETAINER : CONF_BILLING_HOURLY;
	closed->terms.rate = p->rate;
	g_strlcpy(closed->terms.currency, p->currency, sizeof(closed->terms.currency));
	closed->terms.increment = p->increment;
	if (closed->terms.increment <= 0)
		closed->terms.increment = 1;
	closed->terms.rounding = g_strcmp0(p->rounding, "nearest") == 0 ? CONF_ROUNDING_NEAREST : CONF_ROUNDING_UP;
	closed->terms.round_per = g_strcmp0(p->round_per, "period") == 0 ? CONF_ROUND_PER_PERIOD : CONF_ROUND_PER_ENTRY;
	closed->terms.retainer_seconds = p->retainer_seconds;
	closed->terms.overage_rate = p->overage_rate;
	closed->terms.rollover = g_strcmp0(p->rollover, "capped") == 0 ? CONF_ROLLOVER_CAPPED : CONF_ROLLOVER_NONE;
	closed->terms.rollover_cap_seconds = p->rollover_cap_seconds;
	closed->terms.period_start_day = p->period_start_day;
	closed->terms.payment_terms_days = p->payment_terms_days;
	closed->carried_in = p->carried_in;
	closed->carried_out = p->carried_out;
}

/* The store's answer (1 found, 0 none, -1) into closed. */
static int ledger_closed_from(int found, store_ledger_period *p, ledger_closed *closed)
{
	memset(closed, 0, sizeof(*closed));
	if (found > 0)
		ledger_closed_read(p, closed);
	store_ledger_period_clear(p);
	return found < 0 ? -1 : 0;
}

/* The closed period of account named period. */
static int ledger_closed_get(store *st, const char *account, const char *period,
			     ledger_closed *closed, char **error_r)
{
	store_ledger_period p;

	return ledger_closed_from(store_ledger_period_get(st, account, period, &p, error_r), &p,
				  closed);
}

/* The closed period of account holding the instant at, if any. */
static int ledger_closed_at(store *st, const char *account, int64_t at,
			    ledger_closed *closed, char **error_r)
{
	store_ledger_period p;

	return ledger_closed_from(store_ledger_period_at(st, account, at, &p, error_r), &p, closed);
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
	const conf_billing *billing = entry->billing;
	const char *category = entry->category != NULL ? entry->category : "manual";
	ledger_closed closed;
	store_ledger_entry row;
	int64_t at = now;

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
	if (store_transaction_begin(st, error_r) < 0)
		return -1;
	if (ledger_closed_at(st, billing->id, at, &closed, error_r) < 0)
		goto fail;
	if (closed.found) {
		*error_r = g_strdup_printf("period %s of billing account %s is closed (invoice %s): "
					   "record a correction with `vea bill adjust`, dated in an open period",
					   closed.period, billing->id, closed.invoice_number);
		ledger_closed_clear(&closed);
		goto fail;
	}
	row = (store_ledger_entry){
		.client = billing->client->id,
		.billing_account = billing->id,
		.seconds = entry->seconds,
		.description = entry->description,
		.category = category,
		.source = entry->adjust ? "adjust" : "manual",
		.created_at = at,
	};
	if (store_ledger_entry_add(st, &row, id_r, error_r) < 0)
		goto fail;
	if (store_transaction_commit(st, error_r) < 0)
		goto fail;
	return 0;
fail:
	store_transaction_rollback(st);
	return -1;
}

/* ---- reports ---- */

/* Billed time of account in [start, end) under terms: the store sums
 * the entries, rounded each as ledger_round() would (store_ledger_sums),
 * and a period's total is rounded here. */
static int ledger_billed_between(store *st, const char *account, const ledger_terms *terms,
				 int64_t start, int64_t end, int64_t *billed_r, char **error_r)
{
	int64_t raw, billed;

	if (store_ledger_sums(st, account, start, end, terms->increment,
			      terms->rounding == CONF_ROUNDING_NEAREST, &raw, &billed, error_r) < 0)
		return -1;
	*billed_r = terms->round_per == CONF_ROUND_PER_PERIOD
			    ? ledger_round(raw, terms->increment, terms->rounding) : billed;
	return 0;
}

/* Retainer time rolled over into period year-month: carried from the last
 * closed period before it (frozen), else from the account's first entry,
 * period by period. */
static int ledger_carry_in(store *st, const conf_billing *billing, const ledger_terms *terms,
			   int year, int month, int64_t period_start, int64_t *carry_r,
			   char **error_r)
{
	store_ledger_period last;
	int64_t carry = 0, first;
	int y, m, found, guard = 0;
	gboolean have_start = FALSE;

	*carry_r = 0;
	if (terms->mode != CONF_BILLING_RETAINER || terms->rollover != CONF_ROLLOVER_CAPPED)
		return 0;
	found = store_ledger_period_before(st, billing->id, period_start, &last, error_r);
	if (found < 0)
		return -1;
	if (found > 0) {
		char *error = NULL;

		if (ledger_parse_period(last.period, &y, &m, &error) == 0) {
			carry = last.carried_out;
			if (++m > 12) {
				m = 1;
				y++;
			}
			have_start = TRUE;
		}
		g_free(error);
	}
	store_ledger_period_clear(&last);
	if (!have_start) {
		found = store_ledger_first_entry_at(st, billing->id, &first, error_r);
		if (found <= 0)
			return found;
		if (first >= period_start)
			return 0;
		ledger_period_containing(billing->client->tz, terms->period_start_day, first, &y, &m);
	}
	/* Unused time of each earlier period, capped, rolls into the next. */
	while ((y < year || (y == year && m < month)) && guard++ < 12 * 200) {
		int64_t start, end, used;
		ledger_retainer r;

		ledger_period_bounds(billing->client->tz, terms->period_start_day, y, m, &start, &end);
		if (ledger_billed_between(st, billing->id, terms, start, end, &used, error_r) < 0)
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

/* What ledger_account_fill gathers while the store reads the rows. */
typedef struct ledger_fill {
	ledger_report *report;
	ledger_account_report *a;
	const conf_billing *billing;
	GArray *lines;
	GArray *categories;
	GHashTable *category_index;
	gboolean per_entry_money;
	int64_t day_start, day_end;
	GDate day;
} ledger_fill;

static void ledger_fill_row(const store_ledger_row *row, void *context)
{
	ledger_fill *fill = context;
	ledger_report *report = fill->report;
	ledger_account_report *a = fill->a;
	const ledger_terms *terms = &a->terms;
	ledger_line line = { 0 };
	gpointer index;
	ledger_category *category;

	line.id = row->id;
	line.at = row->created_at;
	line.seconds = row->seconds;
	line.source = g_string_chunk_insert_const(report->strings, row->source);
	line.category = g_string_chunk_insert_const(report->strings, row->category);
	line.description = g_string_chunk_insert(report->strings, row->description);
	line.action_id = row->action_id;
	line.message_key = row->message_key != NULL
				   ? g_string_chunk_insert(report->strings, row->message_key) : NULL;
	/* Rows come in time order: convert to a local date once a day. */
	if (line.at < fill->day_start || line.at >= fill->day_end) {
		g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(line.at);
		g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, fill->billing->client->tz);
		GDate next;

		g_date_set_dmy(&fill->day, g_date_time_get_day_of_month(local),
			       g_date_time_get_month(local), g_date_time_get_year(local));
		fill->day_start = ledger_local_midnight(fill->billing->client->tz, &fill->day);
		next = fill->day;
		g_date_add_days(&next, 1);
		fill->day_end = ledger_local_midnight(fill->billing->client->tz, &next);
	}
	line.date = fill->day;
	line.billed = terms->round_per == CONF_ROUND_PER_ENTRY
			      ? ledger_round(line.seconds, terms->increment, terms->rounding)
			      : line.seconds;
	if (fill->per_entry_money)
		line.amount = money_for_seconds(line.billed, terms->rate);
	a->seconds += line.seconds;
	a->billed += line.billed;
	a->amount += line.amount;
	if (!g_hash_table_lookup_extended(fill->category_index, line.category, NULL, &index)) {
		ledger_category empty = { .name = line.category };

		g_array_append_val(fill->categories, empty);
		index = GUINT_TO_POINTER(fill->categories->len - 1);
		g_hash_table_insert(fill->category_index, (gpointer)line.category, index);
	}
	category = &g_array_index(fill->categories, ledger_category, GPOINTER_TO_UINT(index));
	category->entries++;
	category->seconds += line.seconds;
	category->billed += line.billed;
	g_array_append_val(fill->lines, line);
}

/* One account's part of a report, over [start, end). */
static int ledger_account_fill(store *st, ledger_report *report, ledger_account_report *a,
			       const conf_billing *billing, char **error_r)
{
	g_autoptr(GHashTable) category_index = g_hash_table_new(g_str_hash, g_str_equal);
	const ledger_terms *terms = &a->terms;
	ledger_fill fill = {
		.report = report,
		.a = a,
		.billing = billing,
		.lines = g_array_new(FALSE, TRUE, sizeof(ledger_line)),
		.categories = g_array_new(FALSE, TRUE, sizeof(ledger_category)),
		.category_index = category_index,
		.per_entry_money = terms->mode == CONF_BILLING_HOURLY &&
				   terms->round_per == CONF_ROUND_PER_ENTRY,
		.day_start = G_MININT64,
		.day_end = G_MININT64,
	};

	g_date_clear(&fill.day, 1);
	if (store_ledger_entries_foreach(st, billing->id, a->start_at, a->end_at, ledger_fill_row,
					 &fill, error_r) < 0) {
		g_array_free(fill.lines, TRUE);
		g_array_free(fill.categories, TRUE);
		return -1;
	}
	if (terms->round_per == CONF_ROUND_PER_PERIOD)
		a->billed = ledger_round(a->seconds, terms->increment, terms->rounding);
	g_array_sort(fill.categories, ledger_category_compare);
	a->n_lines = fill.lines->len;
	a->lines = (ledger_line *)g_array_free(fill.lines, FALSE);
	a->n_categories = fill.categories->len;
	a->categories = (ledger_category *)g_array_free(fill.categories, FALSE);
	return 0;
}

static int ledger_account_build(store *st, ledger_report *report, ledger_account_report *a,
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
			if (ledger_account_fill(st, report, a, billing, error_r) < 0)
				return -1;
			a->amount = 0;
			return 0;
		}
		return ledger_account_fill(st, report, a, billing, error_r);
	}
	if (query->range == LEDGER_RANGE_CURRENT)
		ledger_period_containing(tz, a->terms.period_start_day, now, &year, &month);
	g_snprintf(a->period, sizeof(a->period), "%04d-%02d", year, month);
	if (ledger_closed_get(st, billing->id, a->period, &closed, error_r) < 0)
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
	if (ledger_account_fill(st, report, a, billing, error_r) < 0)
		return -1;
	if (a->terms.mode == CONF_BILLING_RETAINER) {
		int64_t carry = a->retainer.carried_in;

		if (!a->closed &&
		    ledger_carry_in(st, billing, &a->terms, year, month, a->start_at, &carry, error_r) < 0)
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

static int ledger_report_build_locked(store *st, const conf *config, const ledger_query *query,
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
		ret = ledger_account_build(st, report, &a, billing, query, now, error_r);
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
	int ret;

	*report_r = NULL;
	if (query->range == LEDGER_RANGE_DATES && g_date_compare(&query->from, &query->to) > 0) {
		*error_r = g_strdup("--from is after --to");
		return -1;
	}
	/* One read transaction: in WAL mode every statement in it reads the
	 * same snapshot, whatever the agent commits meanwhile. */
	if (store_read_begin(st, error_r) < 0)
		return -1;
	ret = ledger_report_build_locked(st, config, query, now, report_r, error_r);
	if (ret == 0 && store_transaction_commit(st, error_r) < 0) {
		ledger_report_free(report_r);
		ret = -1;
	}
	if (ret < 0)
		store_transaction_rollback(st);
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
	ledger_query query = { .account = billing->id, .range = LEDGER_RANGE_PERIOD,
			       .year = year, .month = month };
	ledger_report *report = NULL;
	ledger_account_report *a;
	ledger_closed closed;
	store_ledger_period frozen;
	g_autofree char *number = NULL, *text = NULL, *html = NULL;
	char period[8], issued_on[11], due_on[11];
	GDate issue, due;
	int seq;

	*invoice_number_r = NULL;
	g_snprintf(period, sizeof(period), "%04d-%02d", year, month);
	if (store_transaction_begin(st, error_r) < 0)
		return -1;
	if (ledger_closed_get(st, billing->id, period, &closed, error_r) < 0)
		goto fail;
	if (closed.found) {
		*error_r = g_strdup_printf("period %s of billing account %s is already closed (invoice %s)",
					   period, billing->id, closed.invoice_number);
		ledger_closed_clear(&closed);
		goto fail;
	}
	if (ledger_report_build_locked(st, config, &query, now, &report, error_r) < 0)
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

	if (store_ledger_invoice_seq_next(st, g_date_get_year(&issue), &seq, error_r) < 0)
		goto fail;
	number = g_strdup_printf("%s%d-%04d", config->assistant.invoice_prefix != NULL
						     ? config->assistant.invoice_prefix : "INV-",
				 g_date_get_year(&issue), seq);

	a->closed = TRUE;
	a->invoice_number = number;
	text = ledger_invoice_render(config, billing->client, a, number, &issue, &due, LEDGER_FORMAT_TEXT);
	html = ledger_invoice_render(config, billing->client, a, number, &issue, &due, LEDGER_FORMAT_HTML);

	frozen = (store_ledger_period){
		.billing_account = billing->id,
		.client = billing->client->id,
		.period = period,
		.start_at = a->start_at,
		.end_at = a->end_at,
		.invoice_number = number,
		.invoice_year = g_date_get_year(&issue),
		.invoice_seq = seq,
		.issued_on = issued_on,
		.due_on = due_on,
		.mode = ledger_mode_name(a->terms.mode),
		.rate = a->terms.rate,
		.currency = a->terms.currency,
		.increment = a->terms.increment,
		.rounding = ledger_rounding_name(a->terms.rounding),
		.round_per = ledger_round_per_name(a->terms.round_per),
		.retainer_seconds = a->terms.retainer_seconds,
		.overage_rate = a->terms.overage_rate,
		.rollover = ledger_rollover_name(a->terms.rollover),
		.rollover_cap_seconds = a->terms.rollover_cap_seconds,
		.period_start_day = a->terms.period_start_day,
		.payment_terms_days = a->terms.payment_terms_days,
		.carried_in = a->retainer.carried_in,
		.carried_out = a->retainer.carried_out,
		.billed_seconds = a->billed,
		.amount = a->amount,
		.invoice_text = text,
		.invoice_html = html,
		.closed_at = now,
	};
	if (store_ledger_period_insert(st, &frozen, error_r) < 0)
		goto fail;
	if (store_transaction_commit(st, error_r) < 0)
		goto fail;
	ledger_report_free(&report);
	*invoice_number_r = g_steal_pointer(&number);
	return 0;
fail:
	ledger_report_free(&report);
	store_transaction_rollback(st);
	return -1;
}

int ledger_invoice(store *st, const conf *config, const conf_billing *billing,
		   int year, int month, ledger_format format, int64_t now,
		   char **document_r, char **error_r)
{
	ledger_query query = { .account = billing->id, .range = LEDGER_RANGE_PERIOD,
			       .year = year, .month = month };
	ledger_report *report = NULL;
	char period[8];
	GDate issue, due;
	int found;

	*document_r = NULL;
	if (format != LEDGER_FORMAT_TEXT && format != LEDGER_FORMAT_HTML) {
		*error_r = g_strdup("invoices are text or html");
		return -1;
	}
	g_snprintf(period, sizeof(period), "%04d-%02d", year, month);
	found = store_ledger_invoice_get(st, billing->id, period, format == LEDGER_FORMAT_HTML,
					 document_r, error_r);
	if (found < 0)
		return -1;
	if (found > 0)
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

static void ledger_periods_list_one(const store_ledger_period *p, void *context)
{
	GString *out = context;
	g_autofree char *time = ledger_format_duration(p->billed_seconds);
	g_autofree char *money = money_format(p->amount, p->currency);

	g_string_append_printf(out, "%s  %-16s  issued %s  due %s  %10s  %s\n", p->period,
			       p->invoice_number, p->issued_on, p->due_on, time, money);
}

int ledger_periods_list(store *st, const conf_billing *billing, char **text_r, char **error_r)
{
	GString *out = g_string_new(NULL);

	*text_r = NULL;
	if (store_ledger_periods_foreach(st, billing->id, ledger_periods_list_one, out,
					 error_r) < 0) {
		g_string_free(out, TRUE);
		return -1;
	}
	*text_r = g_string_free(out, FALSE);
	return 0;
}
