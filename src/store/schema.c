#include "store/schema.h"

#include <glib.h>

/* Append only: a released migration is never edited, since databases in
 * the field already ran it. */
static const char *const schema_migrations[] = {
	/* 1: the skeleton: mailbox sync state, action journal, ledger. */
	"CREATE TABLE mailbox_state ("
	"  account TEXT NOT NULL,"
	"  mailbox TEXT NOT NULL,"
	"  uidvalidity INTEGER NOT NULL,"
	"  last_uid INTEGER NOT NULL,"
	"  synced_at INTEGER,"
	"  PRIMARY KEY (account, mailbox));"
	/* Every action vea plans is journalled before it is carried out:
	 * 'planned' rows are redone after a crash (each action is
	 * idempotent), then become 'done' or 'failed'. */
	"CREATE TABLE actions ("
	"  id INTEGER PRIMARY KEY,"
	"  client TEXT NOT NULL,"
	"  account TEXT NOT NULL,"
	"  mailbox TEXT NOT NULL,"
	"  uidvalidity INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  message_id TEXT,"
	"  from_addr TEXT NOT NULL DEFAULT '',"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  rule_file TEXT,"
	"  rule_line INTEGER,"
	"  action TEXT NOT NULL,"
	"  argument TEXT NOT NULL DEFAULT '',"
	/* What the action does on the server, so a planned row can be
	 * redone after a crash without the rules: 'none' (keep, bill),
	 * 'flags' (argument: the flags), 'copy' or 'move' (argument: the
	 * mailbox as rules name it). */
	"  operation TEXT NOT NULL DEFAULT 'none' CHECK (operation IN ('none', 'flags', 'copy', 'move')),"
	"  create_mailbox INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL CHECK (state IN ('planned', 'done', 'failed')),"
	"  result TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  done_at INTEGER);"
	"CREATE INDEX actions_pending ON actions (account, state) WHERE state = 'planned';"
	"CREATE INDEX actions_message ON actions (account, mailbox, message_id);"
	"CREATE INDEX actions_client_time ON actions (client, created_at);"
	/* Time in integer seconds; money is computed from rates in minor
	 * units, never stored as floats. An automatic entry points at the
	 * action behind it, at most once: the UNIQUE index is what makes a
	 * replayed journal unable to bill twice. */
	"CREATE TABLE ledger_entries ("
	"  id INTEGER PRIMARY KEY,"
	"  client TEXT NOT NULL,"
	"  billing_account TEXT NOT NULL,"
	"  seconds INTEGER NOT NULL,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  category TEXT NOT NULL DEFAULT 'triage',"
	"  source TEXT NOT NULL CHECK (source IN ('rule', 'manual', 'adjust')),"
	"  action_id INTEGER REFERENCES actions (id),"
	"  message_key TEXT,"
	"  created_at INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX ledger_action ON ledger_entries (action_id) WHERE action_id IS NOT NULL;"
	"CREATE INDEX ledger_client_time ON ledger_entries (client, created_at);",
	/* 2: what `vea status` shows: each account's connection as the
	 * running agent last saw it. */
	"CREATE TABLE account_status ("
	"  account TEXT PRIMARY KEY,"
	"  state TEXT NOT NULL,"      /* connecting, idle, polling, syncing, backing-off, stopped */
	"  since INTEGER NOT NULL,"
	"  last_sync INTEGER,"
	"  last_error TEXT,"
	"  last_error_at INTEGER,"
	"  pid INTEGER);",
};

int schema_latest_version(void)
{
	return (int)G_N_ELEMENTS(schema_migrations);
}

static int schema_get_version(sqlite3 *db, int *version_r, char **error_r)
{
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK) {
		*error_r = g_strdup(sqlite3_errmsg(db));
		return -1;
	}
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		*error_r = g_strdup(sqlite3_errmsg(db));
		sqlite3_finalize(stmt);
		return -1;
	}
	*version_r = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return 0;
}

int schema_migrate(sqlite3 *db, char **error_r)
{
	int version;

	if (schema_get_version(db, &version, error_r) < 0)
		return -1;
	if (version > schema_latest_version()) {
		*error_r = g_strdup_printf("database schema version %d is newer than this vea understands (%d): upgrade vea",
					   version, schema_latest_version());
		return -1;
	}
	for (; version < schema_latest_version(); version++) {
		g_autofree char *sql = g_strdup_printf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;",
						       schema_migrations[version], version + 1);
		char *message = NULL;

		if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) {
			*error_r = g_strdup_printf("migration to schema version %d failed: %s",
						   version + 1, message);
			sqlite3_free(message);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}
