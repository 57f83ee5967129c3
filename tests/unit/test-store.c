/* The store: schema migrations, sync state, the journal, and a ledger
 * that cannot bill an action twice. */
/* The store's own test: it may look at the SQLite connection
 * (store-private.h) to check the schema itself. */
#include "store/store-private.h"
#include "store/schema.h"

#include <string.h>

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
		g_assert_nonnull(strstr(sql, "CHECK (state = 'planned' OR state = 'done' OR state = 'failed')"));
		g_assert_nonnull(strstr(sql, "operation = 'move')"));
		g_assert_null(strstr(sql, " IN ("));
		check = test_query_text(db, "PRAGMA integrity_check");
		g_assert_cmpstr(check, ==, "ok");
		g_assert_cmpint(sqlite3_exec(db, bad, NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
		g_assert_cmpint(sqlite3_exec(db, "INSERT INTO actions (client, account, mailbox,"
					     " uidvalidity, uid, action, state, created_at, operation)"
					     " VALUES ('c', 'a', 'INBOX', 1, 3, 'keep', 'done', 0, 'sideways')",
					     NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
		if (pass == 0)
			g_assert_cmpint(sqlite3_exec(db, good, NULL, NULL, NULL), ==, SQLITE_OK);
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
		.rule_file = "dana.sieve", .rule_line = 12, .action = "fileinto",
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

	g_assert_cmpint(store_action_set_state(st, id, STORE_ACTION_DONE, "done", &error), ==, 0);
	g_assert_cmpint(store_actions_pending(st, "dana-work", &pending, &error), ==, 0);
	g_assert_cmpuint(pending->len, ==, 0);
	g_ptr_array_unref(pending);
	store_close(&st);
}

static void test_store_ledger_exactly_once(void)
{
	store *st = open_fresh("ledger.db");
	store_action row = {
		.client = "dana", .account = "dana-work", .mailbox = "INBOX", .uidvalidity = 1,
		.uid = 5, .action = "bill", .state = STORE_ACTION_DONE,
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
	ret = g_test_run();
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", test_dir);
	g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL);
	g_free(test_dir);
	return ret;
}
