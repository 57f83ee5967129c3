/* The store: schema migrations, sync state, the journal, and a ledger
 * that cannot bill an action twice. */
/* The store's own test: it may look at the SQLite connection
 * (store-private.h) to check the schema itself. */
#include "store/store-private.h"
#include "store/schema.h"

#include <string.h>
#include <unistd.h>

static char *test_dir;

static store *open_fresh(const char *name)
{
	g_autofree char *path = g_build_filename(test_dir, name, NULL);
	store *st = NULL;
	char *error = NULL;

	g_assert_cmpint(store_open(path, &st, &error), ==, 0);
	g_assert_null(error);
	return st;
}

static void test_store_migrate_and_reopen(void)
{
	g_autofree char *path = g_build_filename(test_dir, "nested", "dir", "vea.db", NULL);
	store *st = NULL;
	char *error = NULL;
	sqlite3_stmt *stmt;

	/* Creates the folders, migrates, and a second open is a no-op. */
	for (int i = 0; i < 2; i++) {
		g_assert_cmpint(store_open(path, &st, &error), ==, 0);
		g_assert_cmpint(sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
		g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
		g_assert_cmpint(sqlite3_column_int(stmt, 0), ==, schema_latest_version());
		sqlite3_finalize(stmt);
		store_close(&st);
		g_assert_null(st);
	}
}

static char *test_query_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt;
	char *text = NULL;

	g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		text = g_strdup((const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	return text;
}

/* Migration 6 edits the journal's CHECK constraints in place (comparisons
 * rather than IN lists), after 1 to 5 as in a database in the field: the
 * new text is there, the database is intact, and a bad state or operation
 * is still refused, in the connection that migrated it as in a new one. */
static void test_store_check_constraints_upgraded(void)
{
	g_autofree char *path = g_build_filename(test_dir, "upgrade.db", NULL);
	const char *bad = "INSERT INTO actions (client, account, mailbox, uidvalidity, uid,"
			  " action, state, created_at, operation)"
			  " VALUES ('c', 'a', 'INBOX', 1, 1, 'keep', 'lost', 0, 'none')";
	const char *good = "INSERT INTO actions (client, account, mailbox, uidvalidity, uid,"
			   " action, state, created_at, operation)"
			   " VALUES ('c', 'a', 'INBOX', 1, 2, 'keep', 'done', 0, 'none')";
	store *st = NULL;
	char *error = NULL;

	for (int pass = 0; pass < 2; pass++) {
		g_autofree char *sql = NULL, *check = NULL;
		sqlite3 *db;

		g_assert_cmpint(store_open(path, &st, &error), ==, 0);
		db = st->db;
		sql = test_query_text(db, "SELECT sql FROM sqlite_schema WHERE name = 'actions'");
		/* Migration 10 then allowed 'skipped' the same way. */
		g_assert_nonnull(strstr(sql, "CHECK (state = 'planned' OR state = 'done' OR state = 'failed'"
					     " OR state = 'skipped')"));
		g_assert_nonnull(strstr(sql, "operation = 'move')"));
		g_assert_null(strstr(sql, " IN ("));
		check = test_query_text(db, "PRAGMA integrity_check");
		g_assert_cmpstr(check, ==, "ok");
		g_assert_cmpint(sqlite3_exec(db, bad, NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
		g_assert_cmpint(sqlite3_exec(db, "INSERT INTO actions (client, account, mailbox,"
					     " uidvalidity, uid, action, state, created_at, operation)"
					     " VALUES ('c', 'a', 'INBOX', 1, 3, 'keep', 'done', 0, 'sideways')",
					     NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
		if (pass == 0) {
			g_assert_cmpint(sqlite3_exec(db, good, NULL, NULL, NULL), ==, SQLITE_OK);
			g_assert_cmpint(sqlite3_exec(db, "INSERT INTO actions (client, account, mailbox,"
						     " uidvalidity, uid, action, state, created_at, operation)"
						     " VALUES ('c', 'a', 'INBOX', 1, 4, 'vacation', 'skipped', 0,"
						     " 'none')", NULL, NULL, NULL), ==, SQLITE_OK);
		}
		store_close(&st);
	}
}

static void test_store_refuses_newer_schema(void)
{
	g_autofree char *path = g_build_filename(test_dir, "future.db", NULL);
	sqlite3 *db;
	store *st = NULL;
	char *error = NULL;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db, "PRAGMA user_version = 9999", NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close(db);
	g_assert_cmpint(store_open(path, &st, &error), ==, -1);
	g_assert_nonnull(strstr(error, "newer than this vea"));
	g_free(error);
}

static void test_store_mailbox_state(void)
{
	store *st = open_fresh("state.db");
	uint32_t validity = 0, last = 0;
	char *error = NULL;

	g_assert_cmpint(store_mailbox_get(st, "a", "INBOX", &validity, &last, &error), ==, 0);
	g_assert_cmpint(store_mailbox_set(st, "a", "INBOX", 42, 7, &error), ==, 0);
	g_assert_cmpint(store_mailbox_set(st, "a", "INBOX", 42, 9, &error), ==, 0);
	g_assert_cmpint(store_mailbox_get(st, "a", "INBOX", &validity, &last, &error), ==, 1);
	g_assert_cmpuint(validity, ==, 42);
	g_assert_cmpuint(last, ==, 9);
	/* Another account's INBOX is another mailbox. */
	g_assert_cmpint(store_mailbox_get(st, "b", "INBOX", &validity, &last, &error), ==, 0);
	store_close(&st);
}

static void test_store_journal(void)
{
	store *st = open_fresh("journal.db");
	store_action row = {
		.client = "dana", .account = "dana-work", .mailbox = "INBOX",
		.uidvalidity = 1, .uid = 5, .message_id = "m1@example.test",
		.from = "Jane <jane@example.test>", .subject = "Hello",
		.rule_file = "dana.sieve", .rule_line = 12, .kind = ACTION_FILEINTO,
		.argument = "Clients/Acme", .operation = STORE_OPERATION_MOVE,
		.state = STORE_ACTION_PLANNED,
	};
	GPtrArray *pending = NULL;
	char *error = NULL;
	int64_t id = 0;

	g_assert_cmpint(store_action_insert(st, &row, &id, &error), ==, 0);
	g_assert_cmpint(id, >, 0);
	g_assert_cmpint(store_actions_pending(st, "dana-work", &pending, &error), ==, 0);
	g_assert_cmpuint(pending->len, ==, 1);
	store_action *read = g_ptr_array_index(pending, 0);
	g_assert_cmpstr(read->argument, ==, "Clients/Acme");
	g_assert_cmpint(read->operation, ==, STORE_OPERATION_MOVE);
	g_assert_cmpint(read->rule_line, ==, 12);
	g_ptr_array_unref(pending);

	g_assert_cmpint(store_message_was_handled(st, "dana-work", "INBOX", "m1@example.test", &error), ==, 1);
	g_assert_cmpint(store_message_was_handled(st, "dana-work", "INBOX", "m2@example.test", &error), ==, 0);

	g_assert_cmpint(store_action_set_done(st, id, NULL, &error), ==, 0);
	g_assert_cmpint(store_actions_pending(st, "dana-work", &pending, &error), ==, 0);
	g_assert_cmpuint(pending->len, ==, 0);
	g_ptr_array_unref(pending);
	/* vea undo: the column says which undo, the result says so to people. */
	{
		store_action *again = NULL;

		g_assert_cmpint(store_action_set_undone(st, id, id, &error), ==, 0);
		g_assert_cmpint(store_action_get(st, id, &again, &error), ==, 1);
		g_assert_cmpint(again->undone_by, ==, id);
		g_assert_true(g_str_has_prefix(again->result, "undone by #"));
		g_assert_cmpint(again->kind, ==, ACTION_FILEINTO);
		g_assert_cmpint(again->state, ==, STORE_ACTION_DONE);
		g_assert_null(again->reason);
		store_action_free(again);
	}
	/* A failure keeps its reason apart from its state and its result. */
	{
		store_action *failed = NULL;
		int64_t id2 = 0;

		row.uid = 6;
		row.message_id = "m2@example.test";
		g_assert_cmpint(store_action_insert(st, &row, &id2, &error), ==, 0);
		g_assert_cmpint(store_action_set_failed(st, id2, "mailbox Clients/Acme is read-only",
							&error), ==, 0);
		g_assert_cmpint(store_action_get(st, id2, &failed, &error), ==, 1);
		g_assert_cmpint(failed->state, ==, STORE_ACTION_FAILED);
		g_assert_cmpstr(failed->reason, ==, "mailbox Clients/Acme is read-only");
		g_assert_cmpstr(failed->result, ==, "");
		store_action_free(failed);
	}
	store_close(&st);
}

static void test_store_ledger_exactly_once(void)
{
	store *st = open_fresh("ledger.db");
	store_action row = {
		.client = "dana", .account = "dana-work", .mailbox = "INBOX", .uidvalidity = 1,
		.uid = 5, .kind = ACTION_BILL, .state = STORE_ACTION_DONE,
	};
	store_ledger_entry entry = {
		.client = "dana", .billing_account = "hourly", .seconds = 120,
		.description = "VIP", .source = "rule",
	};
	gboolean inserted = FALSE;
	char *error = NULL;
	sqlite3_stmt *stmt;

	g_assert_cmpint(store_action_insert(st, &row, &entry.action_id, &error), ==, 0);
	g_assert_cmpint(store_ledger_insert(st, &entry, &inserted, &error), ==, 0);
	g_assert_true(inserted);
	/* A replayed journal tries again: no second entry. */
	g_assert_cmpint(store_ledger_insert(st, &entry, &inserted, &error), ==, 0);
	g_assert_false(inserted);
	/* Manual entries have no action: each one counts. */
	entry.action_id = 0;
	entry.source = "manual";
	g_assert_cmpint(store_ledger_insert(st, &entry, &inserted, &error), ==, 0);
	g_assert_cmpint(store_ledger_insert(st, &entry, &inserted, &error), ==, 0);
	g_assert_true(inserted);
	g_assert_cmpint(sqlite3_prepare_v2(st->db,
					   "SELECT count(*), sum(seconds) FROM ledger_entries", -1, &stmt, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
	g_assert_cmpint(sqlite3_column_int(stmt, 0), ==, 3);
	g_assert_cmpint(sqlite3_column_int(stmt, 1), ==, 360);
	sqlite3_finalize(stmt);
	store_close(&st);
}

static void test_store_transaction_rollback(void)
{
	store *st = open_fresh("rollback.db");
	uint32_t validity, last;
	char *error = NULL;

	g_assert_cmpint(store_transaction_begin(st, &error), ==, 0);
	g_assert_cmpint(store_mailbox_set(st, "a", "INBOX", 1, 100, &error), ==, 0);
	store_transaction_rollback(st);
	g_assert_cmpint(store_mailbox_get(st, "a", "INBOX", &validity, &last, &error), ==, 0);
	store_close(&st);
}

/* A ledger entry at a given time (through the agent's cached insert). */
static void ledger_at(store *st, const char *account, int64_t seconds, int64_t at,
		      const char *message_key)
{
	store_ledger_entry entry = {
		.client = "dana", .billing_account = account, .seconds = seconds,
		.description = "work", .category = "manual", .source = "manual",
		.message_key = message_key, .created_at = at,
	};
	gboolean inserted = FALSE;
	char *error = NULL;

	g_assert_cmpint(store_ledger_insert(st, &entry, &inserted, &error), ==, 0);
	g_assert_true(inserted);
}

typedef struct {
	GArray *ids;
	guint with_key;
	GString *sources;
} rows_seen;

static void collect_row(const store_ledger_row *row, void *context)
{
	rows_seen *seen = context;

	g_array_append_val(seen->ids, row->id);
	if (row->message_key != NULL)
		seen->with_key++;
	g_string_append_printf(seen->sources, "%s:%s:%" G_GINT64_FORMAT " ", row->source,
			       row->description, row->seconds);
}

/* Sums in the database round each entry as ledger_round() does: up, or to
 * the nearest with half up, on the magnitude with the sign kept; the rows
 * come back in time order, bounded by [start, end). */
static void test_store_ledger_sums_and_rows(void)
{
	store *st = open_fresh("ledger-sums.db");
	int64_t raw = 0, rounded = 0, first = 0, id = 0;
	rows_seen seen = { .ids = g_array_new(FALSE, FALSE, sizeof(int64_t)),
			   .sources = g_string_new(NULL) };
	store_ledger_entry manual = {
		.client = "dana", .billing_account = "b", .seconds = -420,
		.description = "credit", .category = "manual", .source = "adjust", .created_at = 1500,
	};
	char *error = NULL;

	g_assert_cmpint(store_ledger_first_entry_at(st, "b", &first, &error), ==, 0);
	ledger_at(st, "b", 420, 2000, "acct/INBOX/1/1"); /* 7m */
	ledger_at(st, "b", 180, 1000, NULL);             /* 3m, earlier */
	ledger_at(st, "b", 60, 9000, NULL);              /* outside the range below */
	ledger_at(st, "other", 999, 1000, NULL);
	g_assert_cmpint(store_ledger_entry_add(st, &manual, &id, &error), ==, 0);
	g_assert_cmpint(id, >, 0);

	/* 6m increments: up 7m -> 12m, 3m -> 6m, -7m -> -12m. */
	g_assert_cmpint(store_ledger_sums(st, "b", 0, 5000, 360, FALSE, &raw, &rounded, &error), ==, 0);
	g_assert_cmpint(raw, ==, 420 + 180 - 420);
	g_assert_cmpint(rounded, ==, 720 + 360 - 720);
	/* Nearest: 7m -> 6m, 3m (half) -> 6m, -7m -> -6m. */
	g_assert_cmpint(store_ledger_sums(st, "b", 0, 5000, 360, TRUE, &raw, &rounded, &error), ==, 0);
	g_assert_cmpint(rounded, ==, 360 + 360 - 360);
	/* An empty range sums to zero. */
	g_assert_cmpint(store_ledger_sums(st, "b", 5000, 6000, 360, FALSE, &raw, &rounded, &error), ==, 0);
	g_assert_cmpint(raw, ==, 0);
	g_assert_cmpint(rounded, ==, 0);

	g_assert_cmpint(store_ledger_first_entry_at(st, "b", &first, &error), ==, 1);
	g_assert_cmpint(first, ==, 1000);

	/* [0, 9000): by time, the one at 9000 left out. */
	g_assert_cmpint(store_ledger_entries_foreach(st, "b", 0, 9000, collect_row, &seen, &error), ==, 0);
	g_assert_cmpuint(seen.ids->len, ==, 3);
	g_assert_cmpuint(seen.with_key, ==, 1);
	g_assert_cmpint(g_array_index(seen.ids, int64_t, 0), ==, 2);
	g_assert_cmpint(g_array_index(seen.ids, int64_t, 1), ==, id);
	g_assert_cmpint(g_array_index(seen.ids, int64_t, 2), ==, 1);
	g_assert_cmpstr(seen.sources->str, ==, "manual:work:180 adjust:credit:-420 manual:work:420 ");
	/* Same time: by id. */
	manual.created_at = 1000;
	g_assert_cmpint(store_ledger_entry_add(st, &manual, &id, &error), ==, 0);
	g_array_set_size(seen.ids, 0);
	g_assert_cmpint(store_ledger_entries_foreach(st, "b", 1000, 1001, collect_row, &seen, &error), ==, 0);
	g_assert_cmpuint(seen.ids->len, ==, 2);
	g_assert_cmpint(g_array_index(seen.ids, int64_t, 0), ==, 2);
	g_assert_cmpint(g_array_index(seen.ids, int64_t, 1), ==, id);
	g_array_unref(seen.ids);
	g_string_free(seen.sources, TRUE);
	store_close(&st);
}

static void count_period(const store_ledger_period *period, void *context)
{
	GPtrArray *names = context;

	g_ptr_array_add(names, g_strdup(period->period));
}

static store_ledger_period period_of(const char *period, int64_t start, int64_t end, int year,
				     int seq, const char *number)
{
	return (store_ledger_period){
		.billing_account = "b", .client = "dana", .period = period,
		.start_at = start, .end_at = end, .invoice_number = number,
		.invoice_year = year, .invoice_seq = seq, .issued_on = "2026-12-01",
		.due_on = "2026-12-31", .mode = "retainer", .rate = 9000, .currency = "EUR",
		.increment = 900, .rounding = "nearest", .round_per = "period",
		.retainer_seconds = 7200, .overage_rate = 12000, .rollover = "capped",
		.rollover_cap_seconds = 3600, .period_start_day = 1, .payment_terms_days = 30,
		.carried_in = 600, .carried_out = 1200, .billed_seconds = 5400, .amount = 13500,
		.invoice_text = "invoice text", .invoice_html = "<p>invoice</p>", .closed_at = 5000,
	};
}

/* Closing a period freezes it: its row reads back as written, its entries
 * can be neither added, changed nor deleted, nor can the period itself;
 * invoice numbers count per year. */
static void test_store_ledger_period_freeze(void)
{
	store *st = open_fresh("ledger-freeze.db");
	store_ledger_period oct = period_of("2026-10", 1000, 2000, 2026, 0, "INV-2026-0001");
	store_ledger_period nov = period_of("2026-11", 2000, 3000, 2026, 0, "INV-2026-0002");
	store_ledger_period read;
	store_ledger_entry inside = {
		.client = "dana", .billing_account = "b", .seconds = 60,
		.description = "late", .source = "manual", .created_at = 1500,
	};
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *doc = NULL;
	int seq = 0;
	char *error = NULL;

	ledger_at(st, "b", 60, 1500, NULL);
	g_assert_cmpint(store_ledger_invoice_seq_next(st, 2026, &seq, &error), ==, 0);
	g_assert_cmpint(seq, ==, 1);
	oct.invoice_seq = seq;
	g_assert_cmpint(store_transaction_begin(st, &error), ==, 0);
	g_assert_cmpint(store_ledger_period_insert(st, &oct, &error), ==, 0);
	g_assert_cmpint(store_transaction_commit(st, &error), ==, 0);
	g_assert_cmpint(store_ledger_invoice_seq_next(st, 2026, &seq, &error), ==, 0);
	g_assert_cmpint(seq, ==, 2);
	g_assert_cmpint(store_ledger_invoice_seq_next(st, 2027, &seq, &error), ==, 0);
	g_assert_cmpint(seq, ==, 1);
	nov.invoice_seq = 2;
	g_assert_cmpint(store_ledger_period_insert(st, &nov, &error), ==, 0);

	/* Read back as written. */
	g_assert_cmpint(store_ledger_period_get(st, "b", "2026-10", &read, &error), ==, 1);
	g_assert_cmpstr(read.invoice_number, ==, "INV-2026-0001");
	g_assert_cmpstr(read.mode, ==, "retainer");
	g_assert_cmpstr(read.rounding, ==, "nearest");
	g_assert_cmpstr(read.round_per, ==, "period");
	g_assert_cmpstr(read.rollover, ==, "capped");
	g_assert_cmpstr(read.currency, ==, "EUR");
	g_assert_cmpstr(read.issued_on, ==, "2026-12-01");
	g_assert_cmpint(read.start_at, ==, 1000);
	g_assert_cmpint(read.end_at, ==, 2000);
	g_assert_cmpint(read.invoice_seq, ==, 1);
	g_assert_cmpint(read.rate, ==, 9000);
	g_assert_cmpint(read.increment, ==, 900);
	g_assert_cmpint(read.retainer_seconds, ==, 7200);
	g_assert_cmpint(read.overage_rate, ==, 12000);
	g_assert_cmpint(read.rollover_cap_seconds, ==, 3600);
	g_assert_cmpint(read.payment_terms_days, ==, 30);
	g_assert_cmpint(read.carried_in, ==, 600);
	g_assert_cmpint(read.carried_out, ==, 1200);
	g_assert_cmpint(read.billed_seconds, ==, 5400);
	g_assert_cmpint(read.amount, ==, 13500);
	g_assert_cmpint(read.closed_at, ==, 5000);
	g_assert_null(read.invoice_text);
	store_ledger_period_clear(&read);
	g_assert_cmpint(store_ledger_period_get(st, "b", "2026-12", &read, &error), ==, 0);
	g_assert_cmpint(store_ledger_period_get(st, "other", "2026-10", &read, &error), ==, 0);
	/* [start, end): the end belongs to the next period. */
	g_assert_cmpint(store_ledger_period_at(st, "b", 1999, &read, &error), ==, 1);
	g_assert_cmpstr(read.period, ==, "2026-10");
	store_ledger_period_clear(&read);
	g_assert_cmpint(store_ledger_period_at(st, "b", 2000, &read, &error), ==, 1);
	g_assert_cmpstr(read.period, ==, "2026-11");
	store_ledger_period_clear(&read);
	g_assert_cmpint(store_ledger_period_at(st, "b", 999, &read, &error), ==, 0);
	/* The last one starting before an instant. */
	g_assert_cmpint(store_ledger_period_before(st, "b", 2500, &read, &error), ==, 1);
	g_assert_cmpstr(read.period, ==, "2026-11");
	store_ledger_period_clear(&read);
	g_assert_cmpint(store_ledger_period_before(st, "b", 1000, &read, &error), ==, 0);
	g_assert_cmpint(store_ledger_periods_foreach(st, "b", count_period, names, &error), ==, 0);
	g_assert_cmpuint(names->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(names, 0), ==, "2026-10");

	g_assert_cmpint(store_ledger_invoice_get(st, "b", "2026-10", TRUE, &doc, &error), ==, 1);
	g_assert_cmpstr(doc, ==, "<p>invoice</p>");
	g_clear_pointer(&doc, g_free);
	g_assert_cmpint(store_ledger_invoice_get(st, "b", "2026-10", FALSE, &doc, &error), ==, 1);
	g_assert_cmpstr(doc, ==, "invoice text");
	g_clear_pointer(&doc, g_free);
	g_assert_cmpint(store_ledger_invoice_get(st, "b", "2026-12", FALSE, &doc, &error), ==, 0);
	g_assert_null(doc);

	/* Frozen: no entry in, none changed or deleted, the period fixed. */
	g_assert_cmpint(store_ledger_entry_add(st, &inside, NULL, &error), ==, -1);
	g_assert_nonnull(strstr(error, "ledger period closed"));
	g_clear_pointer(&error, g_free);
	g_assert_cmpint(sqlite3_exec(st->db, "UPDATE ledger_entries SET seconds = 1"
				     " WHERE billing_account = 'b'", NULL, NULL, NULL), !=, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(st->db, "DELETE FROM ledger_entries WHERE billing_account = 'b'",
				     NULL, NULL, NULL), !=, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(st->db, "UPDATE ledger_periods SET amount = 0", NULL, NULL, NULL),
			!=, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(st->db, "DELETE FROM ledger_periods", NULL, NULL, NULL),
			!=, SQLITE_OK);
	/* A duplicate invoice number is refused, and a rollback leaves no trace. */
	oct.period = "2026-09";
	oct.start_at = 0;
	oct.end_at = 1000;
	g_assert_cmpint(store_transaction_begin(st, &error), ==, 0);
	g_assert_cmpint(store_ledger_period_insert(st, &oct, &error), ==, -1);
	g_clear_pointer(&error, g_free);
	store_transaction_rollback(st);
	g_assert_cmpint(store_ledger_period_get(st, "b", "2026-09", &read, &error), ==, 0);
	/* Outside every closed period, entries still go in. */
	inside.created_at = 3000;
	g_assert_cmpint(store_ledger_entry_add(st, &inside, NULL, &error), ==, 0);
	/* ... but cannot be moved into one. */
	g_assert_cmpint(sqlite3_exec(st->db, "UPDATE ledger_entries SET created_at = 1500"
				     " WHERE created_at = 3000", NULL, NULL, NULL), !=, SQLITE_OK);
	store_close(&st);
}

/* Journal rows for the digest's reads. */
static int64_t journal(store *st, const char *client, const char *action, const char *argument,
		       store_action_state state, uint32_t uid, const char *message_id,
		       const char *result, int64_t created_at)
{
	store_action row = {
		.client = (char *)client, .account = "work", .mailbox = "INBOX", .uidvalidity = 1,
		.uid = uid, .message_id = (char *)message_id, .from = "Jane", .subject = "Hi",
		.kind = action_kind_from_name(action), .argument = (char *)argument, .state = state,
		.result = (char *)result, .created_at = created_at,
	};
	int64_t id = 0;
	char *error = NULL;

	g_assert_cmpint(store_action_insert(st, &row, &id, &error), ==, 0);
	return id;
}

static void count_destination(const char *argument, guint count, void *context)
{
	g_string_append_printf(context, "%s=%u ", argument, count);
}

static void count_example(const char *from, const char *subject, const char *argument,
			  void *context)
{
	g_string_append_printf(context, "%s/%s/%s ", from, subject, argument);
}

/* What a digest reads of the journal: its range, the cutoff before work
 * still in flight, the counts grouped by destination, and the messages a
 * rule flagged, leaving out vea's own digests and what was undone. */
static void test_store_digest_journal(void)
{
	store *st = open_fresh("digest-journal.db");
	store_digest_range range = { .client = "dana", .flagged_since = 100 };
	g_autoptr(GHashTable) totals = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	g_autoptr(GString) text = g_string_new(NULL);
	int64_t cutoff = -1, sent = -1, flag1, flag2, undone;
	guint count = 0;
	char *error = NULL;

	g_assert_cmpint(store_journal_cutoff(st, "dana", &cutoff, &error), ==, 0);
	g_assert_cmpint(cutoff, ==, 0);
	g_assert_cmpint(store_digest_last_sent(st, "dana", &sent, &error), ==, 0);
	g_assert_cmpint(sent, ==, 0);

	journal(st, "dana", "fileinto", "News", STORE_ACTION_DONE, 1, "a@x", "", 200);        /* 1 */
	journal(st, "dana", "fileinto", "News", STORE_ACTION_DONE, 2, "b@x", "", 200);        /* 2 */
	journal(st, "dana", "fileinto", "Bills", STORE_ACTION_DONE, 3, "c@x", "", 200);       /* 3 */
	flag1 = journal(st, "dana", "addflag", "\\Flagged", STORE_ACTION_DONE, 3, "c@x", "", 200);
	flag2 = journal(st, "dana", "addflag", "\\Flagged", STORE_ACTION_DONE, 4, "d@x", "", 200);
	undone = journal(st, "dana", "addflag", "\\Flagged", STORE_ACTION_DONE, 5, "e@x", "", 200);
	/* Undone (the reference needs an existing row; which one does not
	 * matter to the digest). */
	g_assert_cmpint(store_action_set_undone(st, undone, flag1, &error), ==, 0);
	journal(st, "dana", "addflag", "\\Flagged", STORE_ACTION_DONE, 6, "vea-digest.1@x", "", 200);
	journal(st, "dana", "addflag", "\\Flagged", STORE_ACTION_DONE, 7, "f@x", "", 50); /* too old */
	journal(st, "dana", "fileinto", "News", STORE_ACTION_FAILED, 8, "g@x", "failed: x", 200);
	journal(st, "eve", "fileinto", "News", STORE_ACTION_DONE, 1, "h@x", "", 200);
	/* In flight: the digest stops before it. */
	journal(st, "dana", "fileinto", "News", STORE_ACTION_PLANNED, 9, "i@x", "", 200); /* 11 */
	journal(st, "dana", "keep", "", STORE_ACTION_DONE, 10, "j@x", "", 200);

	g_assert_cmpint(store_journal_cutoff(st, "dana", &cutoff, &error), ==, 0);
	g_assert_cmpint(cutoff, ==, 10);
	range.last_id = cutoff;
	g_assert_cmpint(store_digest_count_handled(st, &range, &count, &error), ==, 0);
	g_assert_cmpuint(count, ==, 7); /* UIDs 1-5, 7, 8: not the digest's own (6) */
	g_assert_cmpint(store_digest_count_failed(st, &range, &count, &error), ==, 0);
	g_assert_cmpuint(count, ==, 1);
	g_assert_cmpint(store_digest_destinations_foreach(st, &range, ACTION_FILEINTO, count_destination,
							  text, &error), ==, 0);
	g_assert_cmpstr(text->str, ==, "News=2 Bills=1 ");
	g_string_truncate(text, 0);
	g_assert_cmpint(store_digest_examples_foreach(st, &range, ACTION_FILEINTO, 2, count_example, text,
						      &error), ==, 0);
	g_assert_cmpstr(text->str, ==, "Jane/Hi/Bills Jane/Hi/News ");

	g_assert_cmpint(store_digest_flagged_totals(st, &range, totals, &error), ==, 0);
	g_assert_cmpuint(g_hash_table_size(totals), ==, 1);
	g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(totals, "work")), ==, 2);
	g_assert_cmpint(store_digest_flagged_ids(st, &range, 10, ids, &error), ==, 0);
	g_assert_cmpuint(ids->len, ==, 2);
	g_assert_cmpint(g_array_index(ids, int64_t, 0), ==, flag2);
	g_assert_cmpint(g_array_index(ids, int64_t, 1), ==, flag1);
	g_array_set_size(ids, 0);
	g_assert_cmpint(store_digest_flagged_ids(st, &range, 1, ids, &error), ==, 0);
	g_assert_cmpuint(ids->len, ==, 1);

	/* After a digest covering up to 3, the range starts at 4; Needs you
	 * still looks back to flagged_since. */
	range.after_id = 3;
	g_assert_cmpint(store_digest_count_handled(st, &range, &count, &error), ==, 0);
	g_assert_cmpuint(count, ==, 5);
	g_hash_table_remove_all(totals);
	g_assert_cmpint(store_digest_flagged_totals(st, &range, totals, &error), ==, 0);
	g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(totals, "work")), ==, 2);
	store_close(&st);
}

/* A digest row is claimed with a lease, retried, and finished; a read
 * transaction sees one snapshot while another connection claims it. */
static void test_store_digest_claim_lease(void)
{
	g_autofree char *path = g_build_filename(test_dir, "digest-rows.db", NULL);
	store *st = NULL, *other = NULL;
	store_digest_new fresh = {
		.client = "dana", .local_date = "2026-11-03", .state = "sending", .due_at = 1000,
		.message_id = "vea-digest.1@x", .attempts = 1, .next_attempt_at = 1000,
		.lease_until = 1600, .result = "", .created_at = 1000,
	};
	store_digest_sent sent = { .sent_at = 3000, .last_action_id = 42, .needs_you = 2,
				   .handled = 7, .size = 1234, .result = "dana@example.test" };
	store_digest_row row = { 0 };
	int64_t id = 0, manual_id = 0, last = 0;
	char *error = NULL;

	g_assert_cmpint(store_open(path, &st, &error), ==, 0);
	g_assert_cmpint(store_open(path, &other, &error), ==, 0);
	g_assert_cmpint(store_digest_row_get(st, "dana", "2026-11-03", &row, &error), ==, 0);
	g_assert_cmpint(store_transaction_begin(st, &error), ==, 0);
	g_assert_cmpint(store_digest_row_insert(st, &fresh, &id, &error), ==, 0);
	g_assert_cmpint(store_transaction_commit(st, &error), ==, 0);
	/* A manual extra of the same date is not the scheduled row. */
	fresh.manual = TRUE;
	fresh.message_id = "vea-digest.2@x";
	g_assert_cmpint(store_digest_row_insert(st, &fresh, &manual_id, &error), ==, 0);
	g_assert_cmpint(manual_id, !=, id);
	g_assert_cmpint(store_digest_row_get(st, "dana", "2026-11-03", &row, &error), ==, 1);
	g_assert_cmpint(row.id, ==, id);
	g_assert_cmpstr(row.state, ==, "sending");
	g_assert_cmpstr(row.message_id, ==, "vea-digest.1@x");
	g_assert_cmpint(row.attempts, ==, 1);
	g_assert_cmpint(row.lease_until, ==, 1600);
	store_digest_row_clear(&row);

	/* It failed: pending again, retried later. */
	g_assert_cmpint(store_digest_row_retry(st, id, 1060, "421 busy", &error), ==, 0);
	g_assert_cmpint(store_digest_row_get(st, "dana", "2026-11-03", &row, &error), ==, 1);
	g_assert_cmpstr(row.state, ==, "pending");
	g_assert_cmpint(row.next_attempt_at, ==, 1060);
	g_assert_cmpint(row.lease_until, ==, 0);
	store_digest_row_clear(&row);

	/* A reader's snapshot does not move while another claims the row. */
	g_assert_cmpint(store_read_begin(other, &error), ==, 0);
	g_assert_cmpint(store_digest_row_get(other, "dana", "2026-11-03", &row, &error), ==, 1);
	g_assert_cmpstr(row.state, ==, "pending");
	store_digest_row_clear(&row);
	g_assert_cmpint(store_transaction_begin(st, &error), ==, 0);
	g_assert_cmpint(store_digest_row_claim(st, id, 1660, &error), ==, 0);
	g_assert_cmpint(store_transaction_commit(st, &error), ==, 0);
	g_assert_cmpint(store_digest_row_get(other, "dana", "2026-11-03", &row, &error), ==, 1);
	g_assert_cmpstr(row.state, ==, "pending");
	store_digest_row_clear(&row);
	g_assert_cmpint(store_transaction_commit(other, &error), ==, 0);
	g_assert_cmpint(store_digest_row_get(other, "dana", "2026-11-03", &row, &error), ==, 1);
	g_assert_cmpstr(row.state, ==, "sending");
	g_assert_cmpint(row.attempts, ==, 2);
	g_assert_cmpint(row.lease_until, ==, 1660);
	store_digest_row_clear(&row);

	/* Sent: what it covered is where the next digest starts. */
	g_assert_cmpint(store_digest_last_sent(st, "dana", &last, &error), ==, 0);
	g_assert_cmpint(last, ==, 0);
	g_assert_cmpint(store_digest_row_sent(st, id, &sent, &error), ==, 0);
	g_assert_cmpint(store_digest_last_sent(st, "dana", &last, &error), ==, 0);
	g_assert_cmpint(last, ==, 42);
	g_assert_cmpint(store_digest_last_sent(other, "eve", &last, &error), ==, 0);
	g_assert_cmpint(last, ==, 0);
	g_assert_cmpint(store_digest_row_get(st, "dana", "2026-11-03", &row, &error), ==, 1);
	g_assert_cmpstr(row.state, ==, "sent");
	g_assert_cmpint(row.lease_until, ==, 0);
	store_digest_row_clear(&row);

	/* The manual one fails for good; the table refuses a made-up state. */
	g_assert_cmpint(store_digest_row_finish(st, manual_id, "failed", "550 no", &error), ==, 0);
	g_assert_cmpint(store_digest_row_finish(st, manual_id, "manual", "", &error), ==, -1);
	g_clear_pointer(&error, g_free);
	store_close(&other);
	store_close(&st);
}

/* Sieve's duplicate list and the accounts' status go through the store
 * too. */
static void test_store_duplicates_and_status(void)
{
	store *st = open_fresh("dup-status.db");
	store_account_status *status = NULL;
	char *error = NULL;

	g_assert_cmpint(store_duplicate_check(st, "dana", "id1", 100, &error), ==, 0);
	g_assert_cmpint(store_duplicate_mark(st, "dana", "id1", 100, 50, FALSE, &error), ==, 0);
	g_assert_cmpint(store_duplicate_check(st, "dana", "id1", 149, &error), ==, 1);
	g_assert_cmpint(store_duplicate_check(st, "eve", "id1", 120, &error), ==, 0);
	/* Without :last the first expiry stays; with it, it moves. */
	g_assert_cmpint(store_duplicate_mark(st, "dana", "id1", 120, 50, FALSE, &error), ==, 0);
	g_assert_cmpint(store_duplicate_check(st, "dana", "id1", 160, &error), ==, 0);
	g_assert_cmpint(store_duplicate_mark(st, "dana", "id1", 160, 50, TRUE, &error), ==, 0);
	g_assert_cmpint(store_duplicate_check(st, "dana", "id1", 200, &error), ==, 1);

	g_assert_cmpint(store_account_status_get(st, "work", 0, &status, &error), ==, 0);
	g_assert_null(status->state);
	store_account_status_free(status);
	g_assert_cmpint(store_account_status_set(st, "work", "syncing", "boom", TRUE, &error), ==, 0);
	g_assert_cmpint(store_account_status_set(st, "work", "idle", NULL, FALSE, &error), ==, 0);
	g_assert_cmpint(store_account_status_get(st, "work", 0, &status, &error), ==, 0);
	g_assert_cmpstr(status->state, ==, "idle");
	g_assert_cmpstr(status->last_error, ==, "boom");
	g_assert_cmpint(status->last_sync, >, 0);
	g_assert_cmpint(status->pid, ==, getpid());
	store_account_status_free(status);
	g_assert_true(g_str_has_prefix(store_backend_version(), "SQLite "));
	store_close(&st);
}

/* The outbox: queued with its action, claimed once, a lease that ran out
 * sends the same bytes again (counted), and vacation tracking counts from
 * the queued reply and keeps only what was sent. */
static void test_store_outbox(void)
{
	store *st = open_fresh("outbox.db");
	const char *rcpts[] = { "bob@example.test", NULL };
	const char *data = "From: dana@example.test\r\nSubject: Auto: hi\r\n\r\nAway\r\n";
	store_action row = {
		.client = "dana", .account = "dana-work", .mailbox = "INBOX", .uidvalidity = 1,
		.uid = 9, .kind = ACTION_VACATION, .argument = "bob@example.test",
		.state = STORE_ACTION_DONE,
	};
	store_outbox_message m = {
		.client = "dana", .account = "dana-work", .kind = ACTION_VACATION,
		.message_id = "vea.1@example.test", .mail_from = "", .recipients = (char **)rcpts,
		.data = (char *)data, .size = strlen(data), .next_attempt_at = 100,
		.expires_at = 100 + 86400, .created_at = 100,
	};
	g_autoptr(GPtrArray) claimed = NULL, again = NULL, later = NULL, list = NULL;
	store_outbox_message *got = NULL;
	guint counts[STORE_OUTBOX_STATE_COUNT];
	char *error = NULL;
	int64_t id = 0, action_id = 0, due = 0;

	g_assert_cmpint(store_transaction_begin(st, &error), ==, 0);
	g_assert_cmpint(store_action_insert(st, &row, &action_id, &error), ==, 0);
	m.action_id = action_id;
	g_assert_cmpint(store_outbox_insert(st, &m, &id, &error), ==, 0);
	g_assert_cmpint(store_vacation_track(st, "dana", "bob@example.test", "h1", id, 3 * 86400,
					     &error), ==, 0);
	g_assert_cmpint(store_transaction_commit(st, &error), ==, 0);
	/* One message per action, whatever replays. */
	g_assert_cmpint(store_outbox_insert(st, &m, NULL, &error), ==, -1);
	g_clear_pointer(&error, g_free);

	/* Queued counts as answered: a second message from bob gets none. */
	g_assert_cmpint(store_vacation_answered(st, "dana", "bob@example.test", "h1", 100, &error), ==, 1);
	g_assert_cmpint(store_vacation_answered(st, "dana", "bob@example.test", "h2", 100, &error), ==, 0);
	g_assert_cmpint(store_outbox_next_due(st, &due, &error), ==, 0);
	g_assert_cmpint(due, ==, 100);

	g_assert_cmpint(store_outbox_claim(st, 99, 1000, 10, &claimed, &error), ==, 0);
	g_assert_cmpuint(claimed->len, ==, 0); /* not due yet */
	g_ptr_array_unref(g_steal_pointer(&claimed));
	g_assert_cmpint(store_outbox_claim(st, 100, 1000, 10, &claimed, &error), ==, 0);
	g_assert_cmpuint(claimed->len, ==, 1);
	got = g_ptr_array_index(claimed, 0);
	g_assert_cmpstr(got->data, ==, data);
	g_assert_cmpstr(got->mail_from, ==, "");
	g_assert_cmpstr(got->recipients[0], ==, "bob@example.test");
	g_assert_null(got->recipients[1]);
	g_assert_cmpint(got->attempts, ==, 1);
	g_assert_cmpint(got->resends, ==, 0);
	/* Held by its lease: no other sender claims it. */
	g_assert_cmpint(store_outbox_claim(st, 500, 2000, 10, &again, &error), ==, 0);
	g_assert_cmpuint(again->len, ==, 0);
	/* The sender died: past the lease the same bytes go again. */
	g_assert_cmpint(store_outbox_claim(st, 1000, 3000, 10, &later, &error), ==, 0);
	g_assert_cmpuint(later->len, ==, 1);
	got = g_ptr_array_index(later, 0);
	g_assert_cmpint(got->resends, ==, 1);
	g_assert_cmpint(got->attempts, ==, 2);
	g_assert_cmpstr(got->data, ==, data);

	g_assert_cmpint(store_outbox_sent(st, id, 1200, 250, "2.0.0 OK queued", &error), ==, 0);
	g_assert_cmpint(store_vacation_answered(st, "dana", "bob@example.test", "h1",
						1200 + 3 * 86400 - 1, &error), ==, 1);
	g_assert_cmpint(store_vacation_answered(st, "dana", "bob@example.test", "h1",
						1200 + 3 * 86400, &error), ==, 0);
	/* Sent is too late to cancel. */
	g_assert_cmpint(store_outbox_cancel(st, id, &error), ==, 0);
	g_assert_cmpint(store_outbox_counts(st, "dana", counts, &error), ==, 0);
	g_assert_cmpuint(counts[STORE_OUTBOX_SENT], ==, 1);

	/* A refused reply does not count as an answer. */
	m.message_id = "vea.2@example.test";
	m.action_id = 0;
	g_assert_cmpint(store_outbox_insert(st, &m, &id, &error), ==, 0);
	g_assert_cmpint(store_vacation_track(st, "dana", "carol@example.test", "h1", id, 86400,
					     &error), ==, 0);
	g_assert_cmpint(store_outbox_finish(st, id, STORE_OUTBOX_FAILED, 550, "5.1.1 no such user",
					    &error), ==, 0);
	g_assert_cmpint(store_vacation_answered(st, "dana", "carol@example.test", "h1", 200, &error), ==, 0);
	/* vea outbox retry puts it back; cancel then stops it. */
	g_assert_cmpint(store_outbox_release(st, id, 5000, &error), ==, 1);
	g_assert_cmpint(store_outbox_get(st, id, &got, &error), ==, 1);
	g_assert_cmpint(got->state, ==, STORE_OUTBOX_QUEUED);
	g_assert_cmpint(got->next_attempt_at, ==, 5000);
	g_assert_cmpint(got->last_reply, ==, 550);
	store_outbox_message_free(got);
	g_assert_cmpint(store_outbox_cancel(st, id, &error), ==, 1);
	g_assert_cmpint(store_outbox_release(st, id, 5000, &error), ==, 0);
	g_assert_cmpint(store_outbox_count_since(st, "dana", ACTION_VACATION, 0, &counts[0], &error), ==, 0);
	g_assert_cmpuint(counts[0], ==, 2);
	g_assert_cmpint(store_outbox_list(st, NULL, 0, &list, &error), ==, 0);
	g_assert_cmpuint(list->len, ==, 2);
	g_assert_cmpint(((store_outbox_message *)g_ptr_array_index(list, 0))->state, ==,
			STORE_OUTBOX_CANCELLED);
	g_assert_null(((store_outbox_message *)g_ptr_array_index(list, 0))->data);
	store_close(&st);
}

typedef struct cal_seen {
	GPtrArray *hrefs;
	gboolean kept_seen;
} cal_seen;

static int cal_collect(const store_calendar_object *o, void *context)
{
	cal_seen *seen = context;

	/* The kept expansion comes back as it was given (bytes and window). */
	if (strcmp(o->href, "/dana/work/a.ics") == 0 && strcmp(o->etag, "\"1\"") == 0) {
		g_assert_cmpuint(o->instances_len, ==, 6);
		g_assert_cmpmem(o->instances, 6, "\x01\x00kept", 6);
		g_assert_cmpint(o->instances_from, ==, 100);
		g_assert_cmpint(o->instances_to, ==, 9000);
		seen->kept_seen = TRUE;
	} else if (strcmp(o->href, "/dana/work/series.ics") == 0) {
		g_assert_null(o->instances);
	}

	g_ptr_array_add(seen->hrefs, g_strdup(o->href));
	return 0;
}

static gint cal_compare(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *cal_hrefs(store *st, int64_t source, int64_t from, int64_t to)
{
	cal_seen seen = { g_ptr_array_new_with_free_func(g_free), FALSE };
	char *error = NULL;
	char *joined;

	g_assert_cmpint(store_calendar_objects_foreach(st, source, from, to, cal_collect, &seen, &error), ==, 0);
	g_ptr_array_sort(seen.hrefs, cal_compare);
	g_ptr_array_add(seen.hrefs, NULL);
	joined = g_strjoinv(" ", (char **)seen.hrefs->pdata);
	g_ptr_array_unref(seen.hrefs);
	return joined;
}

/* The copies of calendars: a source per (calendar, key), objects put,
 * replaced, deleted, read by span, and forgotten with their source. */
static void test_store_calendar_copies(void)
{
	store *st = open_fresh("calendars.db");
	store_calendar_source src = { 0 }, again = { 0 }, other = { 0 };
	g_autoptr(GHashTable) etags = NULL;
	char *error = NULL;
	guint forgotten = 0;
	const store_calendar_object objects[] = {
		{ .href = "/dana/work/a.ics", .etag = "\"1\"", .data = "A", .first_start = 1000, .last_end = 2000,
		  .instances = "\x01\x00kept", .instances_len = 6, .instances_from = 100, .instances_to = 9000 },
		{ .href = "/dana/work/b.ics", .etag = "\"2\"", .data = "B", .first_start = 5000, .last_end = 6000 },
		/* no end */
		{ .href = "/dana/work/series.ics", .etag = "\"3\"", .data = "S", .first_start = 500,
		  .last_end = INT64_MAX },
		/* unknown */
		{ .href = "/dana/work/broken.ics", .etag = "\"4\"", .data = "X", .first_start = INT64_MIN,
		  .last_end = INT64_MAX },
		/* no events */
		{ .href = "/dana/work/empty.ics", .etag = "\"5\"", .data = "E", .first_start = INT64_MAX,
		  .last_end = INT64_MIN },
	};

	/* Never synced: zeroed, "" strings. */
	g_assert_cmpint(store_calendar_source_get(st, "dana-work", "k1", &src, &error), ==, 0);
	g_assert_cmpint(src.id, ==, 0);
	g_assert_cmpstr(src.sync_token, ==, "");
	g_free(src.sync_token);
	src.sync_token = g_strdup("tok-1");
	g_free(src.ctag);
	src.ctag = g_strdup("ctag-1");
	src.synced_at = 1793620800;
	g_assert_cmpint(store_transaction_begin(st, &error), ==, 0);
	g_assert_cmpint(store_calendar_source_save(st, "dana-work", "k1", &src, &error), ==, 0);
	g_assert_cmpint(src.id, >, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(objects); i++)
		g_assert_cmpint(store_calendar_object_put(st, src.id, &objects[i], &error), ==, 0);
	g_assert_cmpint(store_transaction_commit(st, &error), ==, 0);

	g_assert_cmpint(store_calendar_source_get(st, "dana-work", "k1", &again, &error), ==, 1);
	g_assert_cmpint(again.id, ==, src.id);
	g_assert_cmpstr(again.sync_token, ==, "tok-1");
	g_assert_cmpstr(again.ctag, ==, "ctag-1");
	g_assert_cmpint(again.synced_at, ==, 1793620800);
	g_assert_cmpint(again.objects, ==, 5);
	/* Another key (the URL changed) is another copy, empty. */
	g_assert_cmpint(store_calendar_source_get(st, "dana-work", "k2", &other, &error), ==, 0);
	store_calendar_source_clear(&other);

	/* By span: [1500, 1800) meets a, the series and the broken one;
	 * the empty object never. */
	{
		/* A's expansion is kept, and replaced alone. */
		g_autofree char *h = cal_hrefs(st, src.id, 1500, 1800);
		cal_seen seen = { g_ptr_array_new_with_free_func(g_free), FALSE };

		g_assert_cmpint(store_calendar_objects_foreach(st, src.id, 1500, 1800, cal_collect, &seen, &error), ==, 0);
		g_assert_true(seen.kept_seen);
		g_ptr_array_unref(seen.hrefs);
		g_assert_cmpint(store_calendar_object_set_instances(st, src.id, "/dana/work/series.ics", NULL, 0, 0, 0,
								    &error), ==, 0);

		g_assert_cmpstr(h, ==, "/dana/work/a.ics /dana/work/broken.ics /dana/work/series.ics");
	}
	{
		g_autofree char *h = cal_hrefs(st, src.id, 100, 400);

		g_assert_cmpstr(h, ==, "/dana/work/broken.ics");
	}
	{
		g_autofree char *h = cal_hrefs(st, src.id, 2000, 5001);

		g_assert_cmpstr(h, ==, "/dana/work/b.ics /dana/work/broken.ics /dana/work/series.ics");
	}

	/* A change replaces the object (same href), a deletion removes it;
	 * a rollback leaves the copy as it was. */
	{
		const store_calendar_object changed = { .href = "/dana/work/a.ics", .etag = "\"1b\"",
							.data = "A2", .first_start = 7000, .last_end = 8000 };

		g_assert_cmpint(store_transaction_begin(st, &error), ==, 0);
		g_assert_cmpint(store_calendar_object_put(st, src.id, &changed, &error), ==, 0);
		g_assert_cmpint(store_calendar_object_delete(st, src.id, "/dana/work/b.ics", &error), ==, 0);
		store_transaction_rollback(st);
		g_assert_cmpint(store_calendar_etags(st, src.id, &etags, &error), ==, 0);
		g_assert_cmpuint(g_hash_table_size(etags), ==, 5);
		g_assert_cmpstr(g_hash_table_lookup(etags, "/dana/work/a.ics"), ==, "\"1\"");
		g_clear_pointer(&etags, g_hash_table_unref);

		g_assert_cmpint(store_transaction_begin(st, &error), ==, 0);
		g_assert_cmpint(store_calendar_object_put(st, src.id, &changed, &error), ==, 0);
		g_assert_cmpint(store_calendar_object_delete(st, src.id, "/dana/work/b.ics", &error), ==, 0);
		g_assert_cmpint(store_transaction_commit(st, &error), ==, 0);
		g_assert_cmpint(store_calendar_etags(st, src.id, &etags, &error), ==, 0);
		g_assert_cmpuint(g_hash_table_size(etags), ==, 4);
		g_assert_cmpstr(g_hash_table_lookup(etags, "/dana/work/a.ics"), ==, "\"1b\"");
		g_assert_false(g_hash_table_contains(etags, "/dana/work/b.ics"));
		g_clear_pointer(&etags, g_hash_table_unref);
	}
	{
		g_autofree char *h = cal_hrefs(st, src.id, 7500, 7600);

		g_assert_cmpstr(h, ==, "/dana/work/a.ics /dana/work/broken.ics /dana/work/series.ics");
	}

	/* A second source; forgetting keeps only the configured pairs. */
	g_assert_cmpint(store_calendar_source_get(st, "dana-home", "k3", &other, &error), ==, 0);
	g_assert_cmpint(store_calendar_source_save(st, "dana-home", "k3", &other, &error), ==, 0);
	g_assert_cmpint(store_calendar_object_put(st, other.id, &objects[0], &error), ==, 0);
	{
		const char *keep[] = { "dana-work", "k1", "dana-home", "k3", NULL };

		g_assert_cmpint(store_calendar_sources_forget(st, keep, &forgotten, &error), ==, 0);
		g_assert_cmpuint(forgotten, ==, 0);
	}
	{
		/* dana-work now at another URL: its old copy goes. */
		const char *keep[] = { "dana-work", "k2", "dana-home", "k3", NULL };

		g_assert_cmpint(store_calendar_sources_forget(st, keep, &forgotten, &error), ==, 0);
		g_assert_cmpuint(forgotten, ==, 1);
	}
	store_calendar_source_clear(&again);
	g_assert_cmpint(store_calendar_source_get(st, "dana-work", "k1", &again, &error), ==, 0);
	g_assert_cmpint(store_calendar_etags(st, src.id, &etags, &error), ==, 0);
	g_assert_cmpuint(g_hash_table_size(etags), ==, 0);
	store_calendar_source_clear(&again);
	g_assert_cmpint(store_calendar_source_get(st, "dana-home", "k3", &again, &error), ==, 1);
	g_assert_cmpint(again.objects, ==, 1);
	/* Clearing a copy (a first sync replaces it whole). */
	g_assert_cmpint(store_calendar_objects_clear(st, other.id, &error), ==, 0);
	store_calendar_source_clear(&again);
	g_assert_cmpint(store_calendar_source_get(st, "dana-home", "k3", &again, &error), ==, 1);
	g_assert_cmpint(again.objects, ==, 0);
	g_assert_null(error);
	store_calendar_source_clear(&again);
	store_calendar_source_clear(&other);
	store_calendar_source_clear(&src);
	store_close(&st);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	test_dir = g_dir_make_tmp("vea-test-store-XXXXXX", NULL);
	g_test_add_func("/store/migrate-and-reopen", test_store_migrate_and_reopen);
	g_test_add_func("/store/refuses-newer-schema", test_store_refuses_newer_schema);
	g_test_add_func("/store/check-constraints-upgraded",
			test_store_check_constraints_upgraded);
	g_test_add_func("/store/mailbox-state", test_store_mailbox_state);
	g_test_add_func("/store/journal", test_store_journal);
	g_test_add_func("/store/ledger-exactly-once", test_store_ledger_exactly_once);
	g_test_add_func("/store/transaction-rollback", test_store_transaction_rollback);
	g_test_add_func("/store/ledger-sums-and-rows", test_store_ledger_sums_and_rows);
	g_test_add_func("/store/ledger-period-freeze", test_store_ledger_period_freeze);
	g_test_add_func("/store/digest-journal", test_store_digest_journal);
	g_test_add_func("/store/digest-claim-lease", test_store_digest_claim_lease);
	g_test_add_func("/store/duplicates-and-status", test_store_duplicates_and_status);
	g_test_add_func("/store/outbox", test_store_outbox);
	g_test_add_func("/store/calendar-copies", test_store_calendar_copies);
	ret = g_test_run();
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", test_dir);
	g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL);
	g_free(test_dir);
	return ret;
}
