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
	/* 3: closed billing periods (invoices). A closed period keeps the
	 * terms it was billed on, the retainer time it carried in and out
	 * and its rendered invoices, so it exports the same bytes forever;
	 * the triggers refuse to add, change or remove its entries, whoever
	 * tries (a late agent write included). */
	"CREATE TABLE ledger_periods ("
	"  billing_account TEXT NOT NULL,"
	"  client TEXT NOT NULL,"
	"  period TEXT NOT NULL,"            /* YYYY-MM */
	"  start_at INTEGER NOT NULL,"       /* [start_at, end_at): Unix seconds */
	"  end_at INTEGER NOT NULL,"
	"  invoice_number TEXT NOT NULL UNIQUE,"
	"  invoice_year INTEGER NOT NULL,"
	"  invoice_seq INTEGER NOT NULL,"
	"  issued_on TEXT NOT NULL,"         /* YYYY-MM-DD */
	"  due_on TEXT NOT NULL,"
	"  mode TEXT NOT NULL,"
	"  rate INTEGER NOT NULL,"
	"  currency TEXT NOT NULL,"
	"  increment INTEGER NOT NULL,"
	"  rounding TEXT NOT NULL,"
	"  round_per TEXT NOT NULL,"
	"  retainer_seconds INTEGER NOT NULL,"
	"  overage_rate INTEGER NOT NULL,"
	"  rollover TEXT NOT NULL,"
	"  rollover_cap INTEGER NOT NULL,"
	"  period_start_day INTEGER NOT NULL,"
	"  payment_terms_days INTEGER NOT NULL,"
	"  carried_in INTEGER NOT NULL,"
	"  carried_out INTEGER NOT NULL,"
	"  billed_seconds INTEGER NOT NULL,"
	"  amount INTEGER NOT NULL,"
	"  invoice_text TEXT NOT NULL,"
	"  invoice_html TEXT NOT NULL,"
	"  closed_at INTEGER NOT NULL,"
	"  PRIMARY KEY (billing_account, period),"
	"  UNIQUE (invoice_year, invoice_seq));"
	"CREATE INDEX ledger_periods_time ON ledger_periods (billing_account, start_at);"
	/* Reports read an account's entries by time; seconds makes the
	 * index cover the retainer's history sums. */
	"CREATE INDEX ledger_account_time ON ledger_entries (billing_account, created_at, seconds);"
	"CREATE TRIGGER ledger_closed_insert BEFORE INSERT ON ledger_entries"
	" WHEN EXISTS (SELECT 1 FROM ledger_periods p WHERE p.billing_account = NEW.billing_account"
	"  AND NEW.created_at >= p.start_at AND NEW.created_at < p.end_at)"
	" BEGIN SELECT RAISE(ABORT, 'ledger period closed'); END;"
	"CREATE TRIGGER ledger_closed_update BEFORE UPDATE ON ledger_entries"
	" WHEN EXISTS (SELECT 1 FROM ledger_periods p WHERE"
	"  (p.billing_account = OLD.billing_account AND OLD.created_at >= p.start_at AND OLD.created_at < p.end_at)"
	"  OR (p.billing_account = NEW.billing_account AND NEW.created_at >= p.start_at AND NEW.created_at < p.end_at))"
	" BEGIN SELECT RAISE(ABORT, 'ledger period closed'); END;"
	"CREATE TRIGGER ledger_closed_delete BEFORE DELETE ON ledger_entries"
	" WHEN EXISTS (SELECT 1 FROM ledger_periods p WHERE p.billing_account = OLD.billing_account"
	"  AND OLD.created_at >= p.start_at AND OLD.created_at < p.end_at)"
	" BEGIN SELECT RAISE(ABORT, 'ledger period closed'); END;"
	"CREATE TRIGGER ledger_periods_frozen_update BEFORE UPDATE ON ledger_periods"
	" BEGIN SELECT RAISE(ABORT, 'closed periods are frozen'); END;"
	"CREATE TRIGGER ledger_periods_frozen_delete BEFORE DELETE ON ledger_periods"
	" BEGIN SELECT RAISE(ABORT, 'closed periods are frozen'); END;",
	/* 4: daily digests (src/digest/schedule.h). One scheduled row per
	 * client and local date is what makes the digest go out once per day
	 * across restarts; a manual `vea digest send` after it is an extra
	 * row. last_action_id is the journal id the sent digest covered up
	 * to: the next one starts after it. */
	"CREATE TABLE digests ("
	"  id INTEGER PRIMARY KEY,"
	"  client TEXT NOT NULL,"
	"  local_date TEXT NOT NULL,"        /* YYYY-MM-DD in the client's zone */
	"  manual INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'skipped', 'failed')),"
	"  due_at INTEGER NOT NULL,"
	"  message_id TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
	"  lease_until INTEGER NOT NULL DEFAULT 0,"
	"  last_action_id INTEGER NOT NULL DEFAULT 0,"
	"  needs_you INTEGER,"
	"  handled INTEGER,"
	"  size INTEGER,"
	"  result TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  sent_at INTEGER);"
	"CREATE UNIQUE INDEX digests_day ON digests (client, local_date) WHERE manual = 0;"
	"CREATE INDEX digests_client_state ON digests (client, state);",
	/* 5: the Sieve duplicate test (RFC 7352) remembers what it has seen,
	 * per client, until it expires. */
	"CREATE TABLE sieve_duplicates ("
	"  client TEXT NOT NULL,"
	"  id TEXT NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  PRIMARY KEY (client, id));",
	/* 6: the journal's CHECK constraints as comparisons: SQLite builds a
	 * temporary table for "x IN (...)" at every row written, a third of
	 * the cost of journalling an action. Same meaning, same storage, so
	 * the table definition is edited in place (SQLite's documented
	 * procedure for such changes, https://sqlite.org/lang_altertable.html
	 * section 7; schema_migrate bumps schema_version after it). */
	"PRAGMA writable_schema = ON;"
	"UPDATE sqlite_schema SET sql = replace(replace(sql,"
	"  'CHECK (operation IN (''none'', ''flags'', ''copy'', ''move''))',"
	"  'CHECK (operation = ''none'' OR operation = ''flags'' OR operation = ''copy'' OR operation = ''move'')'),"
	"  'CHECK (state IN (''planned'', ''done'', ''failed''))',"
	"  'CHECK (state = ''planned'' OR state = ''done'' OR state = ''failed'')')"
	" WHERE type = 'table' AND name = 'actions';"
	"PRAGMA writable_schema = OFF;",
	/* 7: which undo undid an action, as a column of its own rather than
	 * the "undone by #N" its result said (kept, for people): the digest,
	 * vea undo and the message history asked the text. */
	"ALTER TABLE actions ADD COLUMN undone_by INTEGER REFERENCES actions(id);"
	"UPDATE actions SET undone_by = CAST(substr(result, 12) AS INTEGER)"
	" WHERE result LIKE 'undone by #%';",
	/* 8: why an action failed, apart from its state and its result: it
	 * was the text after "failed: " in the result, which C and SQL
	 * matched as a prefix. */
	"ALTER TABLE actions ADD COLUMN reason TEXT;"
	"UPDATE actions SET reason = substr(result, 9), result = ''"
	" WHERE result LIKE 'failed: %';"
	"UPDATE actions SET reason = result, result = ''"
	" WHERE state = 'failed' AND reason IS NULL;",
	/* 9: the outbox, messages vea sends (vacation replies, redirects,
	 * notifications), each written in the transaction that journals its
	 * action (UNIQUE action_id: a replayed journal cannot queue twice),
	 * with its complete bytes so that a resend after a lost answer is the
	 * same message with the same Message-ID. A sender claims rows with a
	 * lease, like the digests. See doc/DESIGN.md "The outbox". */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  client TEXT NOT NULL,"
	"  account TEXT," /* whose submission server; NULL: [smtp] */
	"  kind TEXT NOT NULL,"
	"  action_id INTEGER UNIQUE REFERENCES actions (id),"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  mail_from TEXT NOT NULL," /* '' is the null reverse-path <> */
	"  recipients TEXT NOT NULL," /* one addr-spec per line */
	"  data BLOB NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  state TEXT NOT NULL CHECK (state = 'queued' OR state = 'sending' OR state = 'sent'"
	"    OR state = 'failed' OR state = 'held' OR state = 'cancelled'),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  resends INTEGER NOT NULL DEFAULT 0," /* claimed again after a lost answer */
	"  next_attempt_at INTEGER NOT NULL,"
	"  lease_until INTEGER NOT NULL DEFAULT 0,"
	"  expires_at INTEGER NOT NULL,"
	"  last_reply INTEGER NOT NULL DEFAULT 0,"
	"  result TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  sent_at INTEGER);"
	"CREATE INDEX outbox_due ON outbox (next_attempt_at)"
	" WHERE state = 'queued' OR state = 'sending';"
	"CREATE INDEX outbox_client ON outbox (client, created_at);"
	/* Vacation responses (RFC 5230 4.2): who was answered, under which
	 * handle, until when. A row counts from the moment its reply is
	 * queued (so two messages in a row get one reply) and is kept only
	 * if the reply was sent (expires_at set at the 250). */
	"CREATE TABLE vacation_responses ("
	"  client TEXT NOT NULL,"
	"  sender TEXT NOT NULL,"
	"  handle TEXT NOT NULL,"
	"  outbox_id INTEGER NOT NULL REFERENCES outbox (id),"
	"  period INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (client, sender, handle, outbox_id));",
	/* 10: an action the rules asked for that vea's policy declined (a
	 * vacation reply to a mailing list, a redirect of a bounce): not a
	 * failure, so the digest does not count it as one. Edited in place
	 * as migration 6 is. */
	"PRAGMA writable_schema = ON;"
	"UPDATE sqlite_schema SET sql = replace(sql,"
	"  'OR state = ''failed'')',"
	"  'OR state = ''failed'' OR state = ''skipped'')')"
	" WHERE type = 'table' AND name = 'actions';"
	"PRAGMA writable_schema = OFF;",
	/* 11: timers: follow-up reminders and snoozed mail (remind, snooze).
	 * The due time is UTC; the wall-clock time and zone it was asked in
	 * are kept for people (vea remind list) and for a zone change. A
	 * timer fires once: a firer claims it with a lease (as the outbox
	 * does), carries it out, and marks it fired in the transaction that
	 * journals what it did. */
	"CREATE TABLE timers ("
	"  id INTEGER PRIMARY KEY,"
	"  client TEXT NOT NULL,"
	"  account TEXT NOT NULL,"
	"  kind TEXT NOT NULL," /* remind, snooze */
	"  action_id INTEGER REFERENCES actions (id),"
	"  mailbox TEXT NOT NULL," /* where the message is while it waits */
	"  uidvalidity INTEGER NOT NULL DEFAULT 0,"
	"  uid INTEGER NOT NULL DEFAULT 0,"
	"  message_id TEXT,"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  due_at INTEGER NOT NULL,"
	"  local_due TEXT NOT NULL DEFAULT ''," /* '2026-12-07 09:00 Europe/Rome' */
	"  options TEXT NOT NULL DEFAULT ''," /* what to do when due, key=value lines */
	"  state TEXT NOT NULL CHECK (state = 'pending' OR state = 'firing' OR state = 'fired'"
	"    OR state = 'cancelled' OR state = 'answered'),"
	"  lease_until INTEGER NOT NULL DEFAULT 0,"
	"  fired_at INTEGER,"
	"  result TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX timers_due ON timers (due_at) WHERE state = 'pending' OR state = 'firing';"
	"CREATE INDEX timers_message ON timers (account, message_id);",
	/* 12: reply drafts vea writes to the executive's Drafts (draft), each
	 * with its complete bytes, written in the transaction that journals
	 * its action; then APPENDed and recorded as (mailbox, UIDVALIDITY,
	 * UID). attempts counts APPENDs begun: after one that may have landed
	 * (a crash, a lost connection) the next looks for the draft's
	 * Message-ID before appending again, so a draft is written once.
	 * status is what became of it, for vea drafts and the digest.
	 * And the Sent copy of what the outbox sent as the executive
	 * (RFC 6154 \\Sent): '' not wanted, 'wanted', 'filed' by vea,
	 * 'found' filed by the provider already, 'failed'. */
	"CREATE TABLE drafts ("
	"  id INTEGER PRIMARY KEY,"
	"  client TEXT NOT NULL,"
	"  account TEXT NOT NULL,"
	"  action_id INTEGER UNIQUE REFERENCES actions (id),"
	"  draft_id TEXT NOT NULL UNIQUE," /* X-Vea-Draft */
	"  message_id TEXT NOT NULL,"
	"  in_reply_to TEXT NOT NULL DEFAULT ''," /* the message it answers */
	"  subject TEXT NOT NULL DEFAULT '',"
	"  recipients TEXT NOT NULL DEFAULT ''," /* To, then Cc, one per line */
	"  mailbox TEXT NOT NULL DEFAULT ''," /* '' until written: the \\Drafts one */
	"  data BLOB NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  state TEXT NOT NULL CHECK (state = 'pending' OR state = 'written' OR state = 'failed'),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  uidvalidity INTEGER NOT NULL DEFAULT 0,"
	"  uid INTEGER NOT NULL DEFAULT 0,"
	"  status TEXT NOT NULL DEFAULT 'waiting' CHECK (status = 'waiting' OR status = 'edited'"
	"    OR status = 'sent' OR status = 'discarded' OR status = 'approved'),"
	/* Sending on approval (opt-in): when vea first saw it approved,
	 * where (the mailbox it was moved to, or the keyword's), and the
	 * outbox message that sent it. */
	"  approved_at INTEGER NOT NULL DEFAULT 0,"
	"  approved_in TEXT NOT NULL DEFAULT '',"
	"  approved_uid INTEGER NOT NULL DEFAULT 0,"
	"  outbox_id INTEGER REFERENCES outbox (id),"
	"  result TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  written_at INTEGER,"
	"  checked_at INTEGER);"
	"CREATE INDEX drafts_pending ON drafts (account) WHERE state = 'pending';"
	"CREATE INDEX drafts_client ON drafts (client, created_at);"
	"ALTER TABLE outbox ADD COLUMN sent_copy TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX outbox_sent_copy ON outbox (account) WHERE sent_copy = 'wanted';",
	/* 13: answers to invitations (vnd.vea schedule), one row per
	 * decision: what the rules proposed, against which calendars, and
	 * what became of it. The REPLY is composed when the decision is made
	 * (reply: the whole message), so that approving it later sends what
	 * the assistant saw; request holds the invitation's iCalendar text
	 * for the event written to the primary calendar. */
	"CREATE TABLE schedule_decisions ("
	"  id INTEGER PRIMARY KEY,"
	"  client TEXT NOT NULL,"
	"  account TEXT NOT NULL,"
	"  action_id INTEGER UNIQUE REFERENCES actions (id),"
	"  event_uid TEXT NOT NULL,"
	"  sequence INTEGER NOT NULL DEFAULT 0,"
	"  method TEXT NOT NULL,"
	"  organizer TEXT NOT NULL DEFAULT '',"
	"  summary TEXT NOT NULL DEFAULT '',"
	"  start_at INTEGER NOT NULL DEFAULT 0,"
	"  start_local TEXT NOT NULL DEFAULT '',"
	"  partstat TEXT NOT NULL DEFAULT '',"
	"  mode TEXT NOT NULL DEFAULT 'approve',"
	"  verdict TEXT NOT NULL DEFAULT ''," /* calendar_decide's words */
	"  state TEXT NOT NULL CHECK (state = 'waiting' OR state = 'sent' OR state = 'drafted'"
	"    OR state = 'declined' OR state = 'cancelled' OR state = 'superseded'"
	"    OR state = 'failed'),"
	"  reply_message_id TEXT NOT NULL DEFAULT '',"
	"  reply BLOB,"
	"  request TEXT NOT NULL DEFAULT '',"
	"  outbox_id INTEGER REFERENCES outbox (id),"
	"  stored TEXT NOT NULL DEFAULT ''," /* the primary calendar: '' not yet, 'done', 'none', error */
	"  result TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  decided_at INTEGER);"
	"CREATE INDEX schedule_event ON schedule_decisions (client, event_uid);"
	"CREATE INDEX schedule_waiting ON schedule_decisions (client) WHERE state = 'waiting';",
	/* 14: AI drafting: the model that wrote a draft's body ('' when the
	 * template did), for vea drafts and the digest's label. */
	"ALTER TABLE drafts ADD COLUMN machine TEXT NOT NULL DEFAULT '';",
	/* 15: a series answered but for some instances, declined one by
	 * one (RFC 5546 3.2.3): their RECURRENCE-IDs, for the REPLY's
	 * record and the event written to the primary calendar. */
	"ALTER TABLE schedule_decisions ADD COLUMN declined_instances TEXT NOT NULL DEFAULT '';",
	/* 16: who answers an invitation (issue 14): 'mail', vea's own iTIP
	 * REPLY through the outbox; 'server', the primary calendar's
	 * server, which does implicit scheduling (RFC 6638) and sends the
	 * REPLY when vea changes the executive's PARTSTAT there. */
	"ALTER TABLE schedule_decisions ADD COLUMN route TEXT NOT NULL DEFAULT 'mail'"
	"  CHECK (route = 'mail' OR route = 'server');",
	/* 17: copies of the calendars (issue 14), so that a sync fetches
	 * only what changed (RFC 6578 sync-collection, or ETags compared).
	 * A source is one [calendar:ID] at one URL for one user: source_key
	 * is a hash of URL and user, so a calendar moved to another URL or
	 * account starts afresh. sync_token and ctag are the collection's
	 * ('' when the server gave none); feed_etag and feed_modified are a
	 * feed's ETag and Last-Modified for a conditional GET. Each object
	 * keeps its href, ETag and iCalendar text, and the span of its
	 * events in UTC seconds (first_start NULL: unknown, last_end NULL:
	 * no end, a series), so an index over a window reads only the
	 * objects that can fall in it; and its events expanded over a
	 * window wider than the one asked for ([instances_from,
	 * instances_to), the instances as bytes, NULL: none kept), so that
	 * an object that did not change is not parsed again while the
	 * window stays inside that one. */
	"CREATE TABLE calendar_sources ("
	"  id INTEGER PRIMARY KEY,"
	"  calendar TEXT NOT NULL,"
	"  source_key TEXT NOT NULL,"
	"  sync_token TEXT NOT NULL DEFAULT '',"
	"  ctag TEXT NOT NULL DEFAULT '',"
	"  feed_etag TEXT NOT NULL DEFAULT '',"
	"  feed_modified TEXT NOT NULL DEFAULT '',"
	"  synced_at INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (calendar, source_key));"
	"CREATE TABLE calendar_objects ("
	"  source INTEGER NOT NULL REFERENCES calendar_sources (id) ON DELETE CASCADE,"
	"  href TEXT NOT NULL,"
	"  etag TEXT NOT NULL DEFAULT '',"
	"  data TEXT NOT NULL,"
	"  first_start INTEGER,"
	"  last_end INTEGER,"
	"  instances BLOB,"
	"  instances_from INTEGER NOT NULL DEFAULT 0,"
	"  instances_to INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (source, href));",
	/* 18: the REPLY for the series whole, composed beside the one that
	 * declines some instances, for vea schedule approve N --whole. */
	"ALTER TABLE schedule_decisions ADD COLUMN reply_whole BLOB;",
};

/* The migrations (by number) that edit sqlite_schema in place: after them
 * every connection, this one too, must reload the schema, which a new
 * schema_version makes it do. */
static const int schema_definition_edits[] = { 6, 10 };

static gboolean schema_edits_definitions(int migration)
{
	for (size_t i = 0; i < G_N_ELEMENTS(schema_definition_edits); i++) {
		if (schema_definition_edits[i] == migration)
			return TRUE;
	}
	return FALSE;
}

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
	while (version < schema_latest_version()) {
		g_autofree char *sql = NULL;
		char *message = NULL;

		/* Several processes or threads may open a new database at
		 * once: take the write lock, then look again at what is
		 * applied, so each migration runs exactly once. */
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &message) != SQLITE_OK) {
			*error_r = g_strdup_printf("cannot lock the database to migrate it: %s", message);
			sqlite3_free(message);
			return -1;
		}
		if (schema_get_version(db, &version, error_r) < 0) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (version >= schema_latest_version()) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			break;
		}
		if (schema_edits_definitions(version + 1)) {
			int schema_version;
			sqlite3_stmt *stmt;

			if (sqlite3_prepare_v2(db, "PRAGMA schema_version", -1, &stmt, NULL) != SQLITE_OK ||
			    sqlite3_step(stmt) != SQLITE_ROW) {
				*error_r = g_strdup(sqlite3_errmsg(db));
				sqlite3_finalize(stmt);
				sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
				return -1;
			}
			schema_version = sqlite3_column_int(stmt, 0);
			sqlite3_finalize(stmt);
			sql = g_strdup_printf("%s PRAGMA schema_version = %d; PRAGMA user_version = %d; COMMIT;",
					      schema_migrations[version], schema_version + 1,
					      version + 1);
		} else {
			sql = g_strdup_printf("%s PRAGMA user_version = %d; COMMIT;",
					      schema_migrations[version], version + 1);
		}
		version++;
		if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) {
			*error_r = g_strdup_printf("migration to schema version %d failed: %s",
						   version, message);
			sqlite3_free(message);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}
