/* The ledger's rows (tables ledger_entries and ledger_periods). The
 * arithmetic, the periods' bounds, rounding and rendering are the
 * ledger's (src/ledger/); this file only reads and writes. */
#include "store/store-private.h"
#include "util/clock.h"

#include <string.h>

/* One statement for the agent's entries and the ledger's own: the agent's
 * is prepared once per connection (store.h: cached). */
static int store_ledger_insert_row(store *st, const store_ledger_entry *entry,
				   gboolean *inserted_r, int64_t *id_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare_cached(st, &st->ledger_insert,
		"INSERT INTO ledger_entries (client, billing_account, seconds, description,"
		" category, source, action_id, message_key, created_at)"
		" VALUES (?,?,?,?,?,?,?,?,?)"
		" ON CONFLICT (action_id) WHERE action_id IS NOT NULL DO NOTHING", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, entry->client);
	store_bind_text(stmt, 2, entry->billing_account);
	sqlite3_bind_int64(stmt, 3, entry->seconds);
	store_bind_text(stmt, 4, entry->description != NULL ? entry->description : "");
	store_bind_text(stmt, 5, entry->category != NULL ? entry->category : "triage");
	store_bind_text(stmt, 6, entry->source);
	if (entry->action_id != 0)
		sqlite3_bind_int64(stmt, 7, entry->action_id);
	else
		sqlite3_bind_null(stmt, 7);
	store_bind_text(stmt, 8, entry->message_key);
	/* The one clock (util/clock.h): VEA_NOW moves it, SQLite's 'now'
	 * would not. */
	sqlite3_bind_int64(stmt, 9, entry->created_at != 0 ? entry->created_at : clock_now_unix());
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "write a ledger entry", error_r);
	if (inserted_r != NULL)
		*inserted_r = sqlite3_changes(st->db) > 0;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_ledger_insert(store *st, const store_ledger_entry *entry, gboolean *inserted_r,
			char **error_r)
{
	return store_ledger_insert_row(st, entry, inserted_r, NULL, error_r);
}

int store_ledger_entry_add(store *st, const store_ledger_entry *entry, int64_t *id_r,
			   char **error_r)
{
	/* No action, so nothing to be exactly once about: a plain insert
	 * (cached too: a bulk load runs it per row). */
	sqlite3_stmt *stmt;

	if (entry->action_id != 0)
		return store_ledger_insert_row(st, entry, NULL, id_r, error_r);
	stmt = store_prepare_cached(st, &st->ledger_entry_add,
		"INSERT INTO ledger_entries (client, billing_account, seconds, description,"
		" category, source, message_key, created_at)"
		" VALUES (?,?,?,?,?,?,?,?)", error_r);
	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, entry->client);
	store_bind_text(stmt, 2, entry->billing_account);
	sqlite3_bind_int64(stmt, 3, entry->seconds);
	store_bind_text(stmt, 4, entry->description != NULL ? entry->description : "");
	store_bind_text(stmt, 5, entry->category != NULL ? entry->category : "triage");
	store_bind_text(stmt, 6, entry->source);
	store_bind_text(stmt, 7, entry->message_key);
	sqlite3_bind_int64(stmt, 8, entry->created_at != 0 ? entry->created_at : clock_now_unix());
	if (store_step_done_cached(st, stmt, "write a ledger entry", error_r) < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_ledger_sums(store *st, const char *account, int64_t start, int64_t end,
		      int64_t increment, gboolean nearest, int64_t *seconds_r,
		      int64_t *rounded_r, char **error_r)
{
	/* The per-entry rounding is ledger_round()'s, written with integer
	 * division on the magnitude, so that the sums run over the covering
	 * index (a year of history is read for each retainer's rollover):
	 *   up:      (m + inc - 1) / inc * inc
	 *   nearest: (2m + inc) / (2 inc) * inc */
	sqlite3_stmt *stmt = store_prepare_cached(st, &st->ledger_sums,
		"SELECT COALESCE(SUM(seconds), 0),"
		" COALESCE(SUM((CASE WHEN seconds < 0 THEN -1 ELSE 1 END) * ((ABS(seconds) * ?4 + ?5) / ?6) * ?7), 0)"
		" FROM ledger_entries"
		" WHERE billing_account = ?1 AND created_at >= ?2 AND created_at < ?3", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	sqlite3_bind_int64(stmt, 2, start);
	sqlite3_bind_int64(stmt, 3, end);
	sqlite3_bind_int64(stmt, 4, nearest ? 2 : 1);
	sqlite3_bind_int64(stmt, 5, nearest ? increment : increment - 1);
	sqlite3_bind_int64(stmt, 6, nearest ? 2 * increment : increment);
	sqlite3_bind_int64(stmt, 7, increment);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		store_release_cached(stmt);
		return store_fail(st, "read the ledger", error_r);
	}
	*seconds_r = sqlite3_column_int64(stmt, 0);
	*rounded_r = sqlite3_column_int64(stmt, 1);
	store_release_cached(stmt);
	return 0;
}

int store_ledger_first_entry_at(store *st, const char *account, int64_t *at_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT MIN(created_at) FROM ledger_entries WHERE billing_account = ?", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		return store_fail(st, "read the ledger", error_r);
	}
	if (sqlite3_column_type(stmt, 0) == SQLITE_NULL) {
		sqlite3_finalize(stmt);
		return 0;
	}
	*at_r = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return 1;
}

int store_ledger_entries_foreach(store *st, const char *account, int64_t start, int64_t end,
				 store_ledger_row_callback *callback, void *context,
				 char **error_r)
{
	sqlite3_stmt *stmt = store_prepare_cached(st, &st->ledger_rows,
		"SELECT id, created_at, seconds, source, category, description, action_id, message_key"
		" FROM ledger_entries WHERE billing_account = ? AND created_at >= ? AND created_at < ?"
		" ORDER BY created_at, id", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	sqlite3_bind_int64(stmt, 2, start);
	sqlite3_bind_int64(stmt, 3, end);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_ledger_row row = {
			.id = sqlite3_column_int64(stmt, 0),
			.created_at = sqlite3_column_int64(stmt, 1),
			.seconds = sqlite3_column_int64(stmt, 2),
			.source = store_column_text(stmt, 3),
			.category = store_column_text(stmt, 4),
			.description = store_column_text(stmt, 5),
			.action_id = sqlite3_column_int64(stmt, 6),
			.message_key = (const char *)sqlite3_column_text(stmt, 7),
		};

		callback(&row, context);
	}
	store_release_cached(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "read the ledger", error_r);
	return 0;
}

/* ---- closed periods ---- */

#define STORE_PERIOD_COLUMNS \
	"billing_account, client, period, start_at, end_at, invoice_number, invoice_year," \
	" invoice_seq, issued_on, due_on, mode, rate, currency, increment, rounding, round_per," \
	" retainer_seconds, overage_rate, rollover, rollover_cap, period_start_day," \
	" payment_terms_days, carried_in, carried_out, billed_seconds, amount, closed_at"

static void store_ledger_period_read(sqlite3_stmt *stmt, store_ledger_period *p)
{
	memset(p, 0, sizeof(*p));
	p->billing_account = store_column_strdup(stmt, 0);
	p->client = store_column_strdup(stmt, 1);
	p->period = store_column_strdup(stmt, 2);
	p->start_at = sqlite3_column_int64(stmt, 3);
	p->end_at = sqlite3_column_int64(stmt, 4);
	p->invoice_number = store_column_strdup(stmt, 5);
	p->invoice_year = sqlite3_column_int(stmt, 6);
	p->invoice_seq = sqlite3_column_int(stmt, 7);
	p->issued_on = store_column_strdup(stmt, 8);
	p->due_on = store_column_strdup(stmt, 9);
	p->mode = store_column_strdup(stmt, 10);
	p->rate = sqlite3_column_int64(stmt, 11);
	p->currency = store_column_strdup(stmt, 12);
	p->increment = sqlite3_column_int64(stmt, 13);
	p->rounding = store_column_strdup(stmt, 14);
	p->round_per = store_column_strdup(stmt, 15);
	p->retainer_seconds = sqlite3_column_int64(stmt, 16);
	p->overage_rate = sqlite3_column_int64(stmt, 17);
	p->rollover = store_column_strdup(stmt, 18);
	p->rollover_cap_seconds = sqlite3_column_int64(stmt, 19);
	p->period_start_day = sqlite3_column_int(stmt, 20);
	p->payment_terms_days = sqlite3_column_int(stmt, 21);
	p->carried_in = sqlite3_column_int64(stmt, 22);
	p->carried_out = sqlite3_column_int64(stmt, 23);
	p->billed_seconds = sqlite3_column_int64(stmt, 24);
	p->amount = sqlite3_column_int64(stmt, 25);
	p->closed_at = sqlite3_column_int64(stmt, 26);
}

void store_ledger_period_clear(store_ledger_period *p)
{
	g_free((char *)p->billing_account);
	g_free((char *)p->client);
	g_free((char *)p->period);
	g_free((char *)p->invoice_number);
	g_free((char *)p->issued_on);
	g_free((char *)p->due_on);
	g_free((char *)p->mode);
	g_free((char *)p->currency);
	g_free((char *)p->rounding);
	g_free((char *)p->round_per);
	g_free((char *)p->rollover);
	g_free((char *)p->invoice_text);
	g_free((char *)p->invoice_html);
	memset(p, 0, sizeof(*p));
}

/* Step a bound, cached query of STORE_PERIOD_COLUMNS for at most one
 * row. */
static int store_ledger_period_step(store *st, sqlite3_stmt *stmt, store_ledger_period *period_r,
				    char **error_r)
{
	int rc = sqlite3_step(stmt);

	memset(period_r, 0, sizeof(*period_r));
	if (rc == SQLITE_ROW)
		store_ledger_period_read(stmt, period_r);
	store_release_cached(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return store_fail(st, "read closed periods", error_r);
	return 0;
}

int store_ledger_period_get(store *st, const char *account, const char *period,
			    store_ledger_period *period_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare_cached(st, &st->period_get,
		"SELECT " STORE_PERIOD_COLUMNS " FROM ledger_periods"
		" WHERE billing_account = ? AND period = ?", error_r);

	memset(period_r, 0, sizeof(*period_r));
	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	store_bind_text(stmt, 2, period);
	return store_ledger_period_step(st, stmt, period_r, error_r);
}

int store_ledger_period_at(store *st, const char *account, int64_t at,
			   store_ledger_period *period_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare_cached(st, &st->period_at,
		"SELECT " STORE_PERIOD_COLUMNS " FROM ledger_periods"
		" WHERE billing_account = ?1 AND start_at <= ?2 AND ?2 < end_at", error_r);

	memset(period_r, 0, sizeof(*period_r));
	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	sqlite3_bind_int64(stmt, 2, at);
	return store_ledger_period_step(st, stmt, period_r, error_r);
}

int store_ledger_period_before(store *st, const char *account, int64_t start_at,
			       store_ledger_period *period_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare_cached(st, &st->period_before,
		"SELECT " STORE_PERIOD_COLUMNS " FROM ledger_periods"
		" WHERE billing_account = ? AND start_at < ? ORDER BY start_at DESC LIMIT 1", error_r);

	memset(period_r, 0, sizeof(*period_r));
	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	sqlite3_bind_int64(stmt, 2, start_at);
	return store_ledger_period_step(st, stmt, period_r, error_r);
}

int store_ledger_periods_foreach(store *st, const char *account,
				 store_ledger_period_callback *callback, void *context,
				 char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT " STORE_PERIOD_COLUMNS " FROM ledger_periods"
		" WHERE billing_account = ? ORDER BY start_at", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_ledger_period p;

		store_ledger_period_read(stmt, &p);
		callback(&p, context);
		store_ledger_period_clear(&p);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, "read closed periods", error_r);
	return 0;
}

int store_ledger_invoice_seq_next(store *st, int year, int *seq_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT COALESCE(MAX(invoice_seq), 0) + 1 FROM ledger_periods WHERE invoice_year = ?",
		error_r);
	int64_t seq = 1;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int(stmt, 1, year);
	if (store_step_int64(st, stmt, "number the invoice", &seq, error_r) < 0)
		return -1;
	*seq_r = (int)seq;
	return 0;
}

int store_ledger_period_insert(store *st, const store_ledger_period *p, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"INSERT INTO ledger_periods (billing_account, client, period, start_at, end_at,"
		" invoice_number, invoice_year, invoice_seq, issued_on, due_on, mode, rate, currency,"
		" increment, rounding, round_per, retainer_seconds, overage_rate, rollover, rollover_cap,"
		" period_start_day, payment_terms_days, carried_in, carried_out, billed_seconds, amount,"
		" invoice_text, invoice_html, closed_at)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, p->billing_account);
	store_bind_text(stmt, 2, p->client);
	store_bind_text(stmt, 3, p->period);
	sqlite3_bind_int64(stmt, 4, p->start_at);
	sqlite3_bind_int64(stmt, 5, p->end_at);
	store_bind_text(stmt, 6, p->invoice_number);
	sqlite3_bind_int(stmt, 7, p->invoice_year);
	sqlite3_bind_int(stmt, 8, p->invoice_seq);
	store_bind_text(stmt, 9, p->issued_on);
	store_bind_text(stmt, 10, p->due_on);
	store_bind_text(stmt, 11, p->mode);
	sqlite3_bind_int64(stmt, 12, p->rate);
	store_bind_text(stmt, 13, p->currency);
	sqlite3_bind_int64(stmt, 14, p->increment);
	store_bind_text(stmt, 15, p->rounding);
	store_bind_text(stmt, 16, p->round_per);
	sqlite3_bind_int64(stmt, 17, p->retainer_seconds);
	sqlite3_bind_int64(stmt, 18, p->overage_rate);
	store_bind_text(stmt, 19, p->rollover);
	sqlite3_bind_int64(stmt, 20, p->rollover_cap_seconds);
	sqlite3_bind_int(stmt, 21, p->period_start_day);
	sqlite3_bind_int(stmt, 22, p->payment_terms_days);
	sqlite3_bind_int64(stmt, 23, p->carried_in);
	sqlite3_bind_int64(stmt, 24, p->carried_out);
	sqlite3_bind_int64(stmt, 25, p->billed_seconds);
	sqlite3_bind_int64(stmt, 26, p->amount);
	store_bind_text(stmt, 27, p->invoice_text);
	store_bind_text(stmt, 28, p->invoice_html);
	sqlite3_bind_int64(stmt, 29, p->closed_at);
	return store_step_done(st, stmt, "close the period", error_r);
}

int store_ledger_invoice_get(store *st, const char *account, const char *period, gboolean html,
			     char **document_r, char **error_r)
{
	sqlite3_stmt *stmt = store_prepare(st, html
		? "SELECT invoice_html FROM ledger_periods WHERE billing_account = ? AND period = ?"
		: "SELECT invoice_text FROM ledger_periods WHERE billing_account = ? AND period = ?",
		error_r);
	int rc;

	*document_r = NULL;
	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, account);
	store_bind_text(stmt, 2, period);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*document_r = g_strdup(store_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return store_fail(st, "read the invoice", error_r);
	return 0;
}
