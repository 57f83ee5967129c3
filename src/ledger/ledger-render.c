/* Reports and invoices as documents. Descriptions and client details are
 * untrusted text (a description may come from a message's subject): each
 * format escapes them its own way, and the output depends on nothing but
 * the report it is given, so a frozen period renders the same bytes. */
#include "ledger/ledger-private.h"
#include "util/json.h"
#include "util/money.h"

#include <string.h>

/* ---- text helpers ---- */

/* Valid UTF-8 on one line: control characters become spaces. */
static char *ledger_one_line(const char *text)
{
	char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);

	for (char *p = valid; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return valid;
}

static void ledger_pad(GString *out, const char *text, glong width, gboolean right)
{
	glong n = g_utf8_strlen(text, -1);

	if (right)
		for (glong i = n; i < width; i++)
			g_string_append_c(out, ' ');
	g_string_append(out, text);
	if (!right)
		for (glong i = n; i < width; i++)
			g_string_append_c(out, ' ');
}

static void ledger_json_string(GString *out, const char *text)
{
	json_append_string(out, text != NULL ? text : "");
}

/* RFC 4180 quoting; text a spreadsheet would run as a formula is
 * prefixed with a quote (descriptions are untrusted). */
static void ledger_csv_text(GString *out, const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
	gboolean formula = strchr("=+-@\t\r", valid[0]) != NULL && valid[0] != '\0';

	g_string_append_c(out, '"');
	if (formula)
		g_string_append_c(out, '\'');
	for (const char *p = valid; *p != '\0'; p++) {
		if (*p == '"')
			g_string_append_c(out, '"');
		g_string_append_c(out, *p);
	}
	g_string_append_c(out, '"');
}

static void ledger_html_text(GString *out, const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
	g_autofree char *escaped = g_markup_escape_text(valid, -1);

	g_string_append(out, escaped);
}

static char *ledger_rate_string(int64_t rate, const char *currency)
{
	g_autofree char *money = money_format(rate, currency);

	return g_strdup_printf("%s/h", money);
}

/* "hourly at USD 95.00/h, 6m increments rounded up per entry" */
static char *ledger_terms_string(const ledger_terms *t)
{
	g_autofree char *rate = ledger_rate_string(t->rate, t->currency);
	g_autofree char *increment = ledger_format_duration(t->increment);
	GString *out = g_string_new(NULL);

	if (t->mode == CONF_BILLING_RETAINER) {
		g_autofree char *included = ledger_format_duration(t->retainer_seconds);
		g_autofree char *overage = ledger_rate_string(t->overage_rate, t->currency);

		g_string_append_printf(out, "retainer of %s a period at %s, overage at %s", included,
				       rate, overage);
		if (t->rollover == CONF_ROLLOVER_CAPPED) {
			g_autofree char *cap = ledger_format_duration(t->rollover_cap_seconds);

			g_string_append_printf(out, ", unused time rolls over up to %s", cap);
		}
	} else {
		g_string_append_printf(out, "hourly at %s", rate);
	}
	g_string_append_printf(out, "; %s increments, rounded %s per %s", increment,
			       t->rounding == CONF_ROUNDING_UP ? "up" : "to the nearest",
			       ledger_round_per_name(t->round_per));
	return g_string_free(out, FALSE);
}

static char *ledger_money(const ledger_account_report *a, int64_t minor)
{
	return money_format(minor, a->terms.currency);
}

static gboolean ledger_lines_have_money(const ledger_account_report *a)
{
	return a->terms.mode == CONF_BILLING_HOURLY && a->terms.round_per == CONF_ROUND_PER_ENTRY;
}

/* ---- report: text ---- */

static void ledger_text_line(GString *out, const ledger_account_report *a, const ledger_line *line,
			     const char *summary, guint count)
{
	g_autofree char *description = ledger_one_line(summary != NULL ? summary : line->description);
	g_autofree char *seconds = ledger_format_duration(line->seconds);
	g_autofree char *line_billed = ledger_format_duration(line->billed);
	char day[11];

	ledger_date_string(&line->date, day);
	g_string_append_printf(out, "  %s  %-6s  %-10s  ", day, line->source, line->category);
	ledger_pad(out, description, 40, FALSE);
	g_string_append_c(out, ' ');
	ledger_pad(out, seconds, 11, TRUE);
	g_string_append_c(out, ' ');
	ledger_pad(out, line_billed, 11, TRUE);
	if (ledger_lines_have_money(a)) {
		g_autofree char *line_amount = ledger_money(a, line->amount);

		g_string_append_c(out, ' ');
		ledger_pad(out, line_amount, 14, TRUE);
	}
	g_string_append_c(out, '\n');
}

static void ledger_text_account(GString *out, const ledger_account_report *a)
{
	char first[11], last[11];
	g_autofree char *terms = ledger_terms_string(&a->terms);
	g_autofree char *raw = ledger_format_duration(a->seconds);
	g_autofree char *billed = ledger_format_duration(a->billed);
	g_autofree char *amount = ledger_money(a, a->amount);

	ledger_date_string(&a->first_day, first);
	ledger_date_string(&a->last_day, last);
	g_string_append_printf(out, "%s / %s  ", a->client, a->account);
	if (a->period[0] != '\0')
		g_string_append_printf(out, "period %s ", a->period);
	g_string_append_printf(out, "(%s to %s, %s)", first, last, a->timezone);
	if (a->period[0] != '\0') {
		if (a->closed)
			g_string_append_printf(out, "  closed, invoice %s", a->invoice_number);
		else
			g_string_append(out, "  open");
	}
	g_string_append_printf(out, "\n  %s\n", terms);
	if (a->n_lines == 0)
		g_string_append(out, "  no entries\n");
	/* Entries from the rules can run to thousands a day: the text report
	 * shows them as one line per day and category (CSV and JSON list every
	 * entry); manual entries and adjustments are listed one by one. */
	for (guint i = 0; i < a->n_lines;) {
		GDate day = a->lines[i].date;
		guint end = i;

		while (end < a->n_lines && g_date_compare(&a->lines[end].date, &day) == 0)
			end++;
		for (guint j = i; j < end; j++) {
			if (strcmp(a->lines[j].source, "rule") != 0)
				ledger_text_line(out, a, &a->lines[j], NULL, 1);
		}
		for (guint c = 0; c < a->n_categories; c++) {
			ledger_line total = { .date = day, .source = "rule",
					      .category = a->categories[c].name };
			guint count = 0;

			for (guint j = i; j < end; j++) {
				const ledger_line *line = &a->lines[j];

				if (strcmp(line->source, "rule") != 0 ||
				    strcmp(line->category, total.category) != 0)
					continue;
				total.seconds += line->seconds;
				total.billed += line->billed;
				total.amount += line->amount;
				count++;
			}
			if (count == 1) {
				for (guint j = i; j < end; j++) {
					if (strcmp(a->lines[j].source, "rule") == 0 &&
					    strcmp(a->lines[j].category, total.category) == 0)
						ledger_text_line(out, a, &a->lines[j], NULL, 1);
				}
			} else if (count > 1) {
				g_autofree char *summary = g_strdup_printf("%u automatic entries", count);

				ledger_text_line(out, a, &total, summary, count);
			}
		}
		i = end;
	}
	if (a->n_categories > 0)
		g_string_append(out, "  By category:\n");
	for (guint i = 0; i < a->n_categories; i++) {
		const ledger_category *c = &a->categories[i];
		g_autofree char *seconds = ledger_format_duration(c->seconds);
		g_autofree char *cat_billed = ledger_format_duration(c->billed);

		g_string_append_printf(out, "    %-12s %6u entr%s  %11s", c->name, c->entries,
				       c->entries == 1 ? "y  " : "ies", seconds);
		if (a->terms.round_per == CONF_ROUND_PER_ENTRY)
			g_string_append_printf(out, "  billed %s", cat_billed);
		g_string_append_c(out, '\n');
	}
	g_string_append_printf(out, "  Total: %s worked, %s billed", raw, billed);
	if (a->terms.mode == CONF_BILLING_HOURLY || a->has_retainer)
		g_string_append_printf(out, ", %s", amount);
	g_string_append_c(out, '\n');
	if (a->has_retainer) {
		const ledger_retainer *r = &a->retainer;
		g_autofree char *included = ledger_format_duration(r->included);
		g_autofree char *carried_in = ledger_format_duration(r->carried_in);
		g_autofree char *available = ledger_format_duration(r->available);
		g_autofree char *used = ledger_format_duration(r->used);
		g_autofree char *remaining = ledger_format_duration(r->remaining);
		g_autofree char *overage = ledger_format_duration(r->overage);
		g_autofree char *carried_out = ledger_format_duration(r->carried_out);
		g_autofree char *fee = ledger_money(a, a->fee);
		g_autofree char *overage_amount = ledger_money(a, a->overage_amount);

		g_string_append_printf(out, "  Retainer: %s included + %s rolled over = %s; used %s; remaining %s; overage %s\n",
				       included, carried_in, available, used, remaining, overage);
		g_string_append_printf(out, "  Retainer fee %s + overage %s; rolls over to the next period: %s\n",
				       fee, overage_amount, carried_out);
	} else if (a->terms.mode == CONF_BILLING_RETAINER) {
		g_string_append(out, "  Retainer: used, remaining and overage are shown per period (--period)\n");
	}
}

/* ---- report: CSV ---- */

static void ledger_csv_account(GString *out, const ledger_account_report *a)
{
	gboolean money = ledger_lines_have_money(a);

	for (guint i = 0; i < a->n_lines; i++) {
		const ledger_line *line = &a->lines[i];
		char day[11];

		ledger_date_string(&line->date, day);
		g_string_append_printf(out, "%s,%s,%s,%s,%s,%s,", a->client, a->account, a->period,
				       day, line->source, line->category);
		ledger_csv_text(out, line->description);
		g_string_append_printf(out, ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",", line->seconds,
				       line->billed);
		if (money)
			g_string_append_printf(out, "%" G_GINT64_FORMAT, line->amount);
		g_string_append_printf(out, ",%s,", a->terms.currency);
		if (line->action_id != 0)
			g_string_append_printf(out, "%" G_GINT64_FORMAT, line->action_id);
		g_string_append_c(out, ',');
		if (line->message_key != NULL)
			ledger_csv_text(out, line->message_key);
		g_string_append(out, "\r\n");
	}
}

/* ---- report: JSON ---- */

static void ledger_json_int(GString *out, const char *key, int64_t value, gboolean comma)
{
	g_string_append_printf(out, "\"%s\":%" G_GINT64_FORMAT "%s", key, value, comma ? "," : "");
}

static void ledger_json_account(GString *out, const ledger_account_report *a)
{
	char first[11], last[11];
	g_autofree char *amount = ledger_money(a, a->amount);

	ledger_date_string(&a->first_day, first);
	ledger_date_string(&a->last_day, last);
	g_string_append(out, "{\"client\":");
	ledger_json_string(out, a->client);
	g_string_append(out, ",\"account\":");
	ledger_json_string(out, a->account);
	g_string_append(out, ",\"period\":");
	if (a->period[0] != '\0')
		ledger_json_string(out, a->period);
	else
		g_string_append(out, "null");
	g_string_append_printf(out, ",\"from\":\"%s\",\"to\":\"%s\",\"timezone\":", first, last);
	ledger_json_string(out, a->timezone);
	g_string_append_printf(out, ",\"closed\":%s,\"invoice\":", a->closed ? "true" : "false");
	if (a->invoice_number != NULL)
		ledger_json_string(out, a->invoice_number);
	else
		g_string_append(out, "null");
	g_string_append_printf(out, ",\"mode\":\"%s\",\"currency\":\"%s\",", ledger_mode_name(a->terms.mode),
			       a->terms.currency);
	ledger_json_int(out, "rate", a->terms.rate, TRUE);
	ledger_json_int(out, "increment", a->terms.increment, TRUE);
	g_string_append_printf(out, "\"rounding\":\"%s\",\"round\":\"%s\",",
			       ledger_rounding_name(a->terms.rounding),
			       ledger_round_per_name(a->terms.round_per));
	ledger_json_int(out, "seconds", a->seconds, TRUE);
	ledger_json_int(out, "billed_seconds", a->billed, TRUE);
	ledger_json_int(out, "amount_minor", a->amount, TRUE);
	g_string_append(out, "\"amount\":");
	ledger_json_string(out, amount);
	g_string_append(out, ",\"categories\":[");
	for (guint i = 0; i < a->n_categories; i++) {
		const ledger_category *c = &a->categories[i];

		g_string_append_printf(out, "%s{\"name\":", i > 0 ? "," : "");
		ledger_json_string(out, c->name);
		g_string_append_printf(out, ",\"entries\":%u,", c->entries);
		ledger_json_int(out, "seconds", c->seconds, TRUE);
		ledger_json_int(out, "billed_seconds", c->billed, FALSE);
		g_string_append_c(out, '}');
	}
	g_string_append(out, "],\"retainer\":");
	if (a->has_retainer) {
		const ledger_retainer *r = &a->retainer;

		g_string_append_c(out, '{');
		ledger_json_int(out, "included_seconds", r->included, TRUE);
		ledger_json_int(out, "carried_in_seconds", r->carried_in, TRUE);
		ledger_json_int(out, "available_seconds", r->available, TRUE);
		ledger_json_int(out, "used_seconds", r->used, TRUE);
		ledger_json_int(out, "remaining_seconds", r->remaining, TRUE);
		ledger_json_int(out, "overage_seconds", r->overage, TRUE);
		ledger_json_int(out, "carried_out_seconds", r->carried_out, TRUE);
		ledger_json_int(out, "fee_minor", a->fee, TRUE);
		ledger_json_int(out, "overage_minor", a->overage_amount, FALSE);
		g_string_append_c(out, '}');
	} else {
		g_string_append(out, "null");
	}
	g_string_append(out, ",\"entries\":[");
	for (guint i = 0; i < a->n_lines; i++) {
		const ledger_line *line = &a->lines[i];
		char day[11];

		ledger_date_string(&line->date, day);
		g_string_append_printf(out, "%s{\"id\":%" G_GINT64_FORMAT ",\"date\":\"%s\",", i > 0 ? "," : "",
				       line->id, day);
		ledger_json_int(out, "time", line->at, TRUE);
		g_string_append_printf(out, "\"source\":\"%s\",\"category\":", line->source);
		ledger_json_string(out, line->category);
		g_string_append(out, ",\"description\":");
		ledger_json_string(out, line->description);
		g_string_append_c(out, ',');
		ledger_json_int(out, "seconds", line->seconds, TRUE);
		ledger_json_int(out, "billed_seconds", line->billed, TRUE);
		ledger_json_int(out, "amount_minor", line->amount, TRUE);
		g_string_append(out, "\"action_id\":");
		if (line->action_id != 0)
			g_string_append_printf(out, "%" G_GINT64_FORMAT, line->action_id);
		else
			g_string_append(out, "null");
		g_string_append(out, ",\"message_key\":");
		if (line->message_key != NULL)
			ledger_json_string(out, line->message_key);
		else
			g_string_append(out, "null");
		g_string_append_c(out, '}');
	}
	g_string_append(out, "]}");
}

/* ---- report: hledger timeclock ---- */

typedef struct ledger_session {
	GDate date;
	char *account; /* hledger account name */
	int64_t seconds;
} ledger_session;

static int ledger_session_compare(gconstpointer a, gconstpointer b)
{
	const ledger_session *x = a, *y = b;
	int c = g_date_compare(&x->date, &y->date);

	return c != 0 ? c : strcmp(x->account, y->account);
}

/* hledger account names are split on ':' and end at two spaces. */
static void ledger_timeclock_name(GString *out, const char *name)
{
	for (const char *p = name; *p != '\0'; p++)
		g_string_append_c(out, g_ascii_isalnum(*p) || *p == '-' || *p == '_' || *p == '.' ? *p : '_');
}

/* One session per account, category and day holding that day's billed
 * time. Credits (adjustments) cannot be negative sessions: they are taken
 * from the category's following days, else its earlier ones, so the totals
 * hledger adds up are the billed totals of the report. */
static void ledger_timeclock_account(GArray *sessions, const ledger_account_report *a)
{
	for (guint c = 0; c < a->n_categories; c++) {
		const ledger_category *category = &a->categories[c];
		GArray *days = g_array_new(FALSE, TRUE, sizeof(ledger_session));
		g_autoptr(GString) name = g_string_new(NULL);
		int64_t debt = 0;

		ledger_timeclock_name(name, a->client);
		g_string_append_c(name, ':');
		ledger_timeclock_name(name, a->account);
		g_string_append_c(name, ':');
		ledger_timeclock_name(name, category->name);
		for (guint i = 0; i < a->n_lines; i++) {
			const ledger_line *line = &a->lines[i];
			ledger_session *last = days->len > 0
						       ? &g_array_index(days, ledger_session, days->len - 1) : NULL;

			if (strcmp(line->category, category->name) != 0)
				continue;
			if (last == NULL || g_date_compare(&last->date, &line->date) != 0) {
				ledger_session s = { .date = line->date };

				g_array_append_val(days, s);
				last = &g_array_index(days, ledger_session, days->len - 1);
			}
			last->seconds += line->billed;
		}
		/* Rounding per period: the difference goes to the largest
		 * category's last day. */
		if (a->terms.round_per == CONF_ROUND_PER_PERIOD && days->len > 0) {
			guint largest = 0;

			for (guint k = 1; k < a->n_categories; k++)
				if (a->categories[k].seconds > a->categories[largest].seconds)
					largest = k;
			if (largest == c)
				g_array_index(days, ledger_session, days->len - 1).seconds += a->billed - a->seconds;
		}
		for (guint i = 0; i < days->len; i++) {
			ledger_session *s = &g_array_index(days, ledger_session, i);

			s->seconds += debt;
			debt = s->seconds < 0 ? s->seconds : 0;
			if (s->seconds < 0)
				s->seconds = 0;
		}
		for (guint i = days->len; i-- > 0 && debt < 0;) {
			ledger_session *s = &g_array_index(days, ledger_session, i);
			int64_t take = MIN(s->seconds, -debt);

			s->seconds -= take;
			debt += take;
		}
		for (guint i = 0; i < days->len; i++) {
			ledger_session s = g_array_index(days, ledger_session, i);

			if (s.seconds <= 0)
				continue;
			s.account = g_strdup(name->str);
			g_array_append_val(sessions, s);
		}
		g_array_free(days, TRUE);
	}
}

/* Sessions laid end to end from each day's midnight (a naive local
 * clock, as timeclock files are), never overlapping. */
static void ledger_timeclock_render(GString *out, const ledger_report *report)
{
	GArray *sessions = g_array_new(FALSE, TRUE, sizeof(ledger_session));
	g_autoptr(GDateTime) cursor = NULL;

	for (guint i = 0; i < report->n_accounts; i++)
		ledger_timeclock_account(sessions, &report->accounts[i]);
	g_array_sort(sessions, ledger_session_compare);
	for (guint i = 0; i < sessions->len; i++) {
		ledger_session *s = &g_array_index(sessions, ledger_session, i);
		g_autoptr(GDateTime) midnight = g_date_time_new_utc(g_date_get_year(&s->date),
								    g_date_get_month(&s->date),
								    g_date_get_day(&s->date), 0, 0, 0);
		g_autoptr(GDateTime) end = NULL;
		g_autofree char *in = NULL, *out_time = NULL;

		if (cursor == NULL || g_date_time_compare(cursor, midnight) < 0) {
			g_clear_pointer(&cursor, g_date_time_unref);
			cursor = g_date_time_ref(midnight);
		}
		end = g_date_time_add_seconds(cursor, (gdouble)s->seconds);
		in = g_date_time_format(cursor, "%Y-%m-%d %H:%M:%S");
		out_time = g_date_time_format(end, "%Y-%m-%d %H:%M:%S");
		g_string_append_printf(out, "i %s %s\no %s\n", in, s->account, out_time);
		g_date_time_unref(cursor);
		cursor = g_steal_pointer(&end);
		g_free(s->account);
	}
	g_array_free(sessions, TRUE);
}

char *ledger_report_render(const ledger_report *report, ledger_format format)
{
	GString *out = g_string_new(NULL);

	switch (format) {
	case LEDGER_FORMAT_CSV:
		g_string_append(out, "client,account,period,date,source,category,description,seconds,"
				     "billed_seconds,amount_minor,currency,action_id,message_key\r\n");
		for (guint i = 0; i < report->n_accounts; i++)
			ledger_csv_account(out, &report->accounts[i]);
		break;
	case LEDGER_FORMAT_JSON:
		g_string_append(out, "{\"accounts\":[");
		for (guint i = 0; i < report->n_accounts; i++) {
			if (i > 0)
				g_string_append_c(out, ',');
			ledger_json_account(out, &report->accounts[i]);
		}
		g_string_append(out, "]}\n");
		break;
	case LEDGER_FORMAT_TIMECLOCK:
		ledger_timeclock_render(out, report);
		break;
	case LEDGER_FORMAT_TEXT:
	case LEDGER_FORMAT_HTML:
	default:
		for (guint i = 0; i < report->n_accounts; i++) {
			if (i > 0)
				g_string_append_c(out, '\n');
			ledger_text_account(out, &report->accounts[i]);
		}
		if (report->n_accounts == 0)
			g_string_append(out, "no billing accounts match\n");
		break;
	}
	return g_string_free(out, FALSE);
}

/* ---- invoices ---- */

typedef struct ledger_invoice_line {
	char date[11];     /* "" for grouped automatic work */
	char *description;
	int64_t billed;
	int64_t amount;
} ledger_invoice_line;

static void ledger_invoice_line_clear(gpointer data)
{
	g_free(((ledger_invoice_line *)data)->description);
}

/* Automatic work grouped per category (an executive does not read 300
 * "filed a newsletter" lines), then manual work and adjustments one by
 * one. */
static GArray *ledger_invoice_lines(const ledger_account_report *a)
{
	GArray *lines = g_array_new(FALSE, TRUE, sizeof(ledger_invoice_line));

	g_array_set_clear_func(lines, ledger_invoice_line_clear);
	for (guint c = 0; c < a->n_categories; c++) {
		ledger_invoice_line group = { 0 };
		guint count = 0;

		for (guint i = 0; i < a->n_lines; i++) {
			const ledger_line *line = &a->lines[i];

			if (strcmp(line->source, "rule") != 0 ||
			    strcmp(line->category, a->categories[c].name) != 0)
				continue;
			count++;
			group.billed += line->billed;
			group.amount += line->amount;
		}
		if (count == 0)
			continue;
		group.description = g_strdup_printf("%c%s: %u automatic action%s",
						    g_ascii_toupper(a->categories[c].name[0]),
						    a->categories[c].name + 1, count, count == 1 ? "" : "s");
		g_array_append_val(lines, group);
	}
	for (guint i = 0; i < a->n_lines; i++) {
		const ledger_line *line = &a->lines[i];
		ledger_invoice_line one = { 0 };
		g_autofree char *text = ledger_one_line(line->description);

		if (strcmp(line->source, "rule") == 0)
			continue;
		ledger_date_string(&line->date, one.date);
		one.description = strcmp(line->source, "adjust") == 0
					  ? g_strdup_printf("Adjustment: %s", text) : g_steal_pointer(&text);
		one.billed = line->billed;
		one.amount = line->amount;
		g_array_append_val(lines, one);
	}
	return lines;
}

/* Label/value rows of the totals block. */
static GPtrArray *ledger_invoice_totals(const ledger_account_report *a)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *billed = ledger_format_duration(a->billed);
	g_autofree char *amount = ledger_money(a, a->amount);

	if (a->terms.round_per == CONF_ROUND_PER_PERIOD) {
		g_autofree char *raw = ledger_format_duration(a->seconds);

		g_ptr_array_add(rows, g_strdup("Time worked"));
		g_ptr_array_add(rows, g_strdup(raw));
	}
	g_ptr_array_add(rows, g_strdup("Time billed"));
	g_ptr_array_add(rows, g_strdup(billed));
	if (a->has_retainer) {
		const ledger_retainer *r = &a->retainer;
		g_autofree char *included = ledger_format_duration(r->included);
		g_autofree char *carried_in = ledger_format_duration(r->carried_in);
		g_autofree char *remaining = ledger_format_duration(r->remaining);
		g_autofree char *overage = ledger_format_duration(r->overage);
		g_autofree char *fee = ledger_money(a, a->fee);
		g_autofree char *overage_amount = ledger_money(a, a->overage_amount);
		g_autofree char *overage_rate = ledger_rate_string(a->terms.overage_rate, a->terms.currency);

		g_ptr_array_add(rows, g_strdup_printf("Retainer (%s included)", included));
		g_ptr_array_add(rows, g_strdup(fee));
		if (r->carried_in > 0) {
			g_ptr_array_add(rows, g_strdup("Rolled over from the last period"));
			g_ptr_array_add(rows, g_strdup(carried_in));
		}
		g_ptr_array_add(rows, g_strdup("Retainer time remaining"));
		g_ptr_array_add(rows, g_strdup(remaining));
		g_ptr_array_add(rows, g_strdup_printf("Overage %s at %s", overage, overage_rate));
		g_ptr_array_add(rows, g_strdup(overage_amount));
	}
	g_ptr_array_add(rows, g_strdup("Total due"));
	g_ptr_array_add(rows, g_strdup(amount));
	return rows;
}

static void ledger_invoice_party_text(GString *out, const char *const *fields)
{
	for (const char *const *f = fields; *f != NULL; f++) {
		g_auto(GStrv) parts = NULL;

		if (**f == '\0')
			continue;
		parts = g_strsplit(*f, "\n", -1);
		for (char **p = parts; *p != NULL; p++) {
			g_autofree char *line = ledger_one_line(g_strstrip(*p));

			if (*line != '\0')
				g_string_append_printf(out, "  %s\n", line);
		}
	}
}

static void ledger_invoice_party_html(GString *out, const char *const *fields)
{
	gboolean first = TRUE;

	for (const char *const *f = fields; *f != NULL; f++) {
		g_auto(GStrv) parts = NULL;

		if (**f == '\0')
			continue;
		parts = g_strsplit(*f, "\n", -1);
		for (char **p = parts; *p != NULL; p++) {
			g_autofree char *line = ledger_one_line(g_strstrip(*p));

			if (*line == '\0')
				continue;
			if (!first)
				g_string_append(out, "<br>\n");
			ledger_html_text(out, line);
			first = FALSE;
		}
	}
	g_string_append_c(out, '\n');
}

#define S(x) ((x) != NULL ? (x) : "")

char *ledger_invoice_render(const conf *config, const conf_client *client,
			    const ledger_account_report *a, const char *number,
			    const GDate *issued, const GDate *due, ledger_format format)
{
	const conf_assistant *as = &config->assistant;
	g_autofree char *tax = as->tax_id != NULL ? g_strdup_printf("Tax ID: %s", as->tax_id) : NULL;
	const char *from[] = { S(as->business), S(as->name), S(as->address), S(as->email),
			       S(as->phone), S(tax), NULL };
	const char *to[] = { S(client->name), S(client->address), S(client->email), NULL };
	g_autofree char *terms = ledger_terms_string(&a->terms);
	GArray *lines = ledger_invoice_lines(a);
	GPtrArray *totals = ledger_invoice_totals(a);
	gboolean money = ledger_lines_have_money(a);
	GString *out = g_string_new(NULL);
	char issued_on[11], due_on[11], first[11], last[11];

	ledger_date_string(issued, issued_on);
	ledger_date_string(due, due_on);
	ledger_date_string(&a->first_day, first);
	ledger_date_string(&a->last_day, last);
	if (format == LEDGER_FORMAT_HTML) {
		g_string_append(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>");
		if (number != NULL) {
			g_string_append(out, "Invoice ");
			ledger_html_text(out, number);
		} else {
			g_string_append(out, "Pro forma invoice");
		}
		g_string_append(out, "</title>\n<style>body{font-family:sans-serif;max-width:50em;margin:2em auto}"
				     "table{border-collapse:collapse;width:100%}td,th{padding:.2em .5em;text-align:left}"
				     ".n{text-align:right;white-space:nowrap}</style>\n</head><body>\n<h1>");
		if (number != NULL) {
			g_string_append(out, "Invoice ");
			ledger_html_text(out, number);
		} else {
			g_string_append(out, "Pro forma invoice (period not closed)");
		}
		g_string_append_printf(out, "</h1>\n<p>Issued %s, due %s</p>\n<h2>From</h2>\n<p>",
				       issued_on, due_on);
		ledger_invoice_party_html(out, from);
		g_string_append(out, "</p>\n<h2>Bill to</h2>\n<p>");
		ledger_invoice_party_html(out, to);
		g_string_append_printf(out, "</p>\n<p>Period %s: %s to %s (", a->period, first, last);
		ledger_html_text(out, a->timezone);
		g_string_append(out, ")<br>\nBilling account ");
		ledger_html_text(out, a->account);
		g_string_append(out, ": ");
		ledger_html_text(out, terms);
		g_string_append(out, "</p>\n<table>\n<tr><th>Date</th><th>Description</th><th class=\"n\">Time</th>");
		if (money)
			g_string_append(out, "<th class=\"n\">Amount</th>");
		g_string_append(out, "</tr>\n");
		for (guint i = 0; i < lines->len; i++) {
			ledger_invoice_line *line = &g_array_index(lines, ledger_invoice_line, i);
			g_autofree char *billed = ledger_format_duration(line->billed);

			g_string_append_printf(out, "<tr><td>%s</td><td>", line->date);
			ledger_html_text(out, line->description);
			g_string_append_printf(out, "</td><td class=\"n\">%s</td>", billed);
			if (money) {
				g_autofree char *amount = ledger_money(a, line->amount);

				g_string_append(out, "<td class=\"n\">");
				ledger_html_text(out, amount);
				g_string_append(out, "</td>");
			}
			g_string_append(out, "</tr>\n");
		}
		g_string_append(out, "</table>\n<table>\n");
		for (guint i = 0; i + 1 < totals->len; i += 2) {
			g_string_append(out, "<tr><th>");
			ledger_html_text(out, g_ptr_array_index(totals, i));
			g_string_append(out, "</th><td class=\"n\">");
			ledger_html_text(out, g_ptr_array_index(totals, i + 1));
			g_string_append(out, "</td></tr>\n");
		}
		g_string_append(out, "</table>\n</body></html>\n");
	} else {
		if (number != NULL)
			g_string_append_printf(out, "INVOICE %s\n", number);
		else
			g_string_append(out, "PRO FORMA INVOICE (period not closed)\n");
		g_string_append_printf(out, "Issued %s, due %s\n\nFrom\n", issued_on, due_on);
		ledger_invoice_party_text(out, from);
		g_string_append(out, "\nBill to\n");
		ledger_invoice_party_text(out, to);
		g_string_append_printf(out, "\nPeriod %s: %s to %s (%s)\nBilling account %s: %s\n\n",
				       a->period, first, last, a->timezone, a->account, terms);
		g_string_append(out, "Date        Description                                     Time");
		g_string_append(out, money ? "          Amount\n" : "\n");
		for (guint i = 0; i < lines->len; i++) {
			ledger_invoice_line *line = &g_array_index(lines, ledger_invoice_line, i);
			g_autofree char *billed = ledger_format_duration(line->billed);

			ledger_pad(out, line->date, 10, FALSE);
			g_string_append(out, "  ");
			ledger_pad(out, line->description, 42, FALSE);
			g_string_append_c(out, ' ');
			ledger_pad(out, billed, 11, TRUE);
			if (money) {
				g_autofree char *amount = ledger_money(a, line->amount);

				g_string_append_c(out, ' ');
				ledger_pad(out, amount, 15, TRUE);
			}
			g_string_append_c(out, '\n');
		}
		if (lines->len == 0)
			g_string_append(out, "            (no work recorded)\n");
		g_string_append_c(out, '\n');
		for (guint i = 0; i + 1 < totals->len; i += 2) {
			ledger_pad(out, g_ptr_array_index(totals, i), 40, FALSE);
			g_string_append_c(out, ' ');
			ledger_pad(out, g_ptr_array_index(totals, i + 1), 20, TRUE);
			g_string_append_c(out, '\n');
		}
	}
	g_array_free(lines, TRUE);
	g_ptr_array_unref(totals);
	return g_string_free(out, FALSE);
}
