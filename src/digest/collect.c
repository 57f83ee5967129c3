/* Collecting a digest from the journal and the ledger. Everything is
 * aggregated in SQL, so a day of 10,000 messages costs a few grouped
 * queries and yields a digest of bounded size. */
#include "digest/digest.h"

#include <string.h>

static const char *const collect_weekdays[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const collect_months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

GDateTime *digest_clock_now(char **error_r)
{
	const char *fake = g_getenv("VEA_NOW");
	GDateTime *now;

	if (fake == NULL || *fake == '\0')
		return g_date_time_new_now_utc();
	now = g_date_time_new_from_iso8601(fake, NULL);
	if (now == NULL)
		*error_r = g_strdup_printf("VEA_NOW='%s' is not an ISO 8601 time with a zone"
					   " (e.g. 2026-11-26T07:30:00Z)", fake);
	return now;
}

static gboolean collect_is_bidi_control(gunichar c)
{
	/* Embeddings, overrides and isolates (Unicode UAX #9): a subject
	 * holding U+202E could make the rest of a line read backwards. */
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x200e || c == 0x200f || c == 0x061c;
}

/* Untrusted text made fit to show: valid UTF-8, one line (controls
 * become spaces, runs of spaces one), no bidi controls, at most
 * DIGEST_MAX_TEXT characters. */
static char *collect_clean(const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
	GString *out = g_string_sized_new(strlen(valid));
	gboolean space = TRUE; /* drops leading spaces */
	guint chars = 0;

	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (collect_is_bidi_control(c))
			continue;
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || g_unichar_isspace(c) ||
		    c == 0x2028 || c == 0x2029) {
			if (!space)
				g_string_append_c(out, ' ');
			space = TRUE;
			continue;
		}
		if (chars == DIGEST_MAX_TEXT) {
			g_string_append(out, "…");
			space = FALSE;
			break;
		}
		g_string_append_unichar(out, c);
		chars++;
		space = FALSE;
	}
	if (space && out->len > 0)
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}

static void collect_item_free(gpointer data)
{
	digest_item *item = data;

	g_free(item->from);
	g_free(item->subject);
	g_free(item->mailbox);
	g_free(item);
}

static void collect_count_free(gpointer data)
{
	digest_count *count = data;

	g_free(count->name);
	g_free(count);
}

static void collect_group_free(gpointer data)
{
	digest_group *group = data;

	g_ptr_array_unref(group->destinations);
	g_ptr_array_unref(group->examples);
	g_free(group);
}

static void collect_time_free(gpointer data)
{
	digest_time *t = data;

	g_free(t->billing_id);
	g_free(t->period);
	g_free(t);
}

void digest_free(digest **digestp)
{
	digest *d = *digestp;

	if (d == NULL)
		return;
	*digestp = NULL;
	g_free(d->local_date);
	g_free(d->date_label);
	g_ptr_array_unref(d->needs_you);
	g_ptr_array_unref(d->groups);
	g_ptr_array_unref(d->time);
	g_free(d);
}

gboolean digest_is_empty(const digest *d)
{
	return d->needs_you_total == 0 && d->handled == 0 && d->failed == 0;
}

static int collect_fail(sqlite3 *db, const char *what, char **error_r)
{
	*error_r = g_strdup_printf("digest: %s: %s", what, sqlite3_errmsg(db));
	return -1;
}

static sqlite3_stmt *collect_prepare(sqlite3 *db, const char *sql, char **error_r)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		collect_fail(db, "prepare", error_r);
		return NULL;
	}
	return stmt;
}

static const char *collect_text(sqlite3_stmt *stmt, int column)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);

	return text != NULL ? (const char *)text : "";
}

/* The range of the journal a digest reads, as SQL: the client (?1), ids
 * after the last digest (?2) up to the cutoff (?3), and not vea's own
 * digests, which land in a watched mailbox and get triaged like any
 * message. */
#define COLLECT_RANGE \
	" client = ?1 AND id > ?2 AND id <= ?3" \
	" AND (message_id IS NULL OR message_id NOT LIKE 'vea-digest.%')"

/* One number from a query binding (client, after, last). */
static int collect_count(sqlite3 *db, const char *sql, const digest *d, guint *count_r,
			 char **error_r)
{
	sqlite3_stmt *stmt = collect_prepare(db, sql, error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, d->client->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, d->after_action_id);
	sqlite3_bind_int64(stmt, 3, d->last_action_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*count_r = (guint)sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW)
		return collect_fail(db, "count", error_r);
	return 0;
}

int digest_journal_cutoff(store *st, const char *client, int64_t *id_r, char **error_r)
{
	sqlite3 *db = store_get_db(st);
	sqlite3_stmt *stmt = collect_prepare(db,
		"SELECT COALESCE((SELECT min(id) - 1 FROM actions WHERE client = ?1 AND state = 'planned'),"
		" (SELECT max(id) FROM actions WHERE client = ?1), 0)", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, client, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*id_r = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW)
		return collect_fail(db, "read the journal", error_r);
	return 0;
}

/* The journal id the last digest sent covered (0: none was sent). */
static int collect_last_sent(sqlite3 *db, const char *client, int64_t *id_r, char **error_r)
{
	sqlite3_stmt *stmt = collect_prepare(db,
		"SELECT COALESCE(max(last_action_id), 0) FROM digests WHERE client = ? AND state = 'sent'",
		error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, client, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*id_r = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW)
		return collect_fail(db, "read the digests sent", error_r);
	return 0;
}

/* Flagged by a rule ("\Flagged" in an addflag), newest first, one row per
 * message, with the mailbox it was filed into (or left in). The newest N
 * are picked first so that the mailbox lookup runs N times, not once per
 * flagged message. */
static int collect_needs_you(sqlite3 *db, digest *d, char **error_r)
{
	static const char keys[] =
		" FROM actions WHERE" COLLECT_RANGE " AND action = 'addflag'"
		" AND state = 'done' AND instr(lower(argument), '\\flagged') > 0"
		" GROUP BY account, mailbox, uidvalidity, uid";
	g_autofree char *count_sql = g_strdup_printf("SELECT count(*) FROM (SELECT 1%s)", keys);
	g_autofree char *sql = g_strdup_printf(
		"WITH flagged AS (SELECT max(id) AS id%s ORDER BY 1 DESC LIMIT ?4)"
		" SELECT a.from_addr, a.subject, COALESCE((SELECT m.argument FROM actions m"
		"   WHERE m.account = a.account AND m.mailbox = a.mailbox"
		"   AND m.uidvalidity = a.uidvalidity AND m.uid = a.uid AND m.id > ?2"
		"   AND m.action IN ('fileinto', 'discard') AND m.state = 'done'"
		"   ORDER BY m.id DESC LIMIT 1), a.mailbox)"
		" FROM flagged f JOIN actions a ON a.id = f.id ORDER BY f.id DESC", keys);
	sqlite3_stmt *stmt;
	int rc;

	if (collect_count(db, count_sql, d, &d->needs_you_total, error_r) < 0)
		return -1;
	if (d->needs_you_total == 0)
		return 0;
	stmt = collect_prepare(db, sql, error_r);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, d->client->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, d->after_action_id);
	sqlite3_bind_int64(stmt, 3, d->last_action_id);
	sqlite3_bind_int(stmt, 4, DIGEST_MAX_NEEDS_YOU);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		digest_item *item = g_new0(digest_item, 1);

		item->from = collect_clean(collect_text(stmt, 0));
		item->subject = collect_clean(collect_text(stmt, 1));
		item->mailbox = collect_clean(collect_text(stmt, 2));
		g_ptr_array_add(d->needs_you, item);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return collect_fail(db, "read flagged messages", error_r);
	return 0;
}

/* The sections of "What vea did", in the order shown. `bill` is left out:
 * "Time used" says it. */
static const struct {
	const char *action;
	const char *verb;
} collect_verbs[] = {
	{ "fileinto", "Filed" },
	{ "addflag", "Marked" },
	{ "discard", "Moved to Trash" },
	{ "redirect", "Forwarded" },
	{ "keep", "Left in place" },
};

static int collect_examples(sqlite3 *db, digest *d, digest_group *group, char **error_r)
{
	sqlite3_stmt *stmt = collect_prepare(db,
		"SELECT from_addr, subject, argument FROM actions WHERE" COLLECT_RANGE
		" AND state = 'done' AND action = ?4 ORDER BY id DESC LIMIT ?5", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, d->client->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, d->after_action_id);
	sqlite3_bind_int64(stmt, 3, d->last_action_id);
	sqlite3_bind_text(stmt, 4, group->action, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 5, DIGEST_MAX_EXAMPLES);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		digest_item *item = g_new0(digest_item, 1);

		item->from = collect_clean(collect_text(stmt, 0));
		item->subject = collect_clean(collect_text(stmt, 1));
		item->mailbox = collect_clean(collect_text(stmt, 2));
		g_ptr_array_add(group->examples, item);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return collect_fail(db, "read examples", error_r);
	return 0;
}

static int collect_groups(sqlite3 *db, digest *d, char **error_r)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_DONE;

	if (collect_count(db, "SELECT count(*) FROM (SELECT DISTINCT account, mailbox, uidvalidity, uid"
			  " FROM actions WHERE" COLLECT_RANGE ")",
			  d, &d->handled, error_r) < 0 ||
	    collect_count(db, "SELECT count(*) FROM actions WHERE" COLLECT_RANGE
			  " AND state = 'failed'", d, &d->failed, error_r) < 0)
		return -1;
	stmt = collect_prepare(db,
		"SELECT argument, count(*) AS n FROM actions WHERE" COLLECT_RANGE
		" AND state = 'done' AND action = ?4 GROUP BY argument"
		" ORDER BY n DESC, argument", error_r);
	if (stmt == NULL)
		return -1;
	for (guint v = 0; v < G_N_ELEMENTS(collect_verbs); v++) {
		digest_group *group = g_new0(digest_group, 1);

		group->action = collect_verbs[v].action;
		group->verb = collect_verbs[v].verb;
		group->destinations = g_ptr_array_new_with_free_func(collect_count_free);
		group->examples = g_ptr_array_new_with_free_func(collect_item_free);
		sqlite3_reset(stmt);
		sqlite3_bind_text(stmt, 1, d->client->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 2, d->after_action_id);
		sqlite3_bind_int64(stmt, 3, d->last_action_id);
		sqlite3_bind_text(stmt, 4, group->action, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			guint n = (guint)sqlite3_column_int64(stmt, 1);

			group->total += n;
			if (group->destinations->len < DIGEST_MAX_DESTINATIONS) {
				digest_count *count = g_new0(digest_count, 1);

				const char *name = collect_text(stmt, 0);

				/* "\Flagged" is IMAP's spelling (RFC 9051 section
				 * 2.3.2), not the executive's. */
				if (strcmp(group->action, "addflag") == 0 && name[0] == '\\')
					name++;
				count->name = collect_clean(name);
				count->count = n;
				g_ptr_array_add(group->destinations, count);
			} else {
				group->other_destinations++;
				group->other_count += n;
			}
		}
		if (rc != SQLITE_DONE || group->total == 0) {
			collect_group_free(group);
			if (rc != SQLITE_DONE)
				break;
			continue;
		}
		g_ptr_array_add(d->groups, group);
		if (collect_examples(db, d, group, error_r) < 0) {
			sqlite3_finalize(stmt);
			return -1;
		}
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return collect_fail(db, "count actions", error_r);
	return 0;
}

static char *collect_day_label(GDateTime *t)
{
	return g_strdup_printf("%d %s", g_date_time_get_day_of_month(t),
			       collect_months[g_date_time_get_month(t) - 1]);
}

/* The billing period containing now: from period_start_day of this month
 * (or the last) in the client's zone, one month long. Raw ledger seconds;
 * rounding and rollover are the ledger's (src/ledger, issue 5). */
static int collect_time(sqlite3 *db, const conf *config, digest *d, GDateTime *now,
			char **error_r)
{
	g_autoptr(GDateTime) local = g_date_time_to_timezone(now, d->client->tz);
	sqlite3_stmt *stmt = collect_prepare(db,
		"SELECT COALESCE(sum(seconds), 0) FROM ledger_entries WHERE client = ?"
		" AND billing_account = ? AND created_at >= ? AND created_at < ?", error_r);

	if (stmt == NULL)
		return -1;
	for (guint i = 0; i < config->billing->len; i++) {
		const conf_billing *billing = g_ptr_array_index(config->billing, i);
		int year = g_date_time_get_year(local), month = g_date_time_get_month(local);
		int start_day = billing->period_start_day > 0 ? billing->period_start_day : 1;
		g_autoptr(GDateTime) start = NULL;
		g_autoptr(GDateTime) end = NULL;
		g_autoptr(GDateTime) last_day = NULL;
		g_autofree char *from_label = NULL, *to_label = NULL;
		digest_time *t;
		int rc;

		if (billing->client != d->client)
			continue;
		if (g_date_time_get_day_of_month(local) < start_day && --month == 0) {
			month = 12;
			year--;
		}
		start = g_date_time_new(d->client->tz, year, month, start_day, 0, 0, 0);
		end = g_date_time_add_months(start, 1);
		last_day = g_date_time_add_days(end, -1);
		sqlite3_reset(stmt);
		sqlite3_bind_text(stmt, 1, d->client->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, billing->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 3, g_date_time_to_unix(start));
		sqlite3_bind_int64(stmt, 4, g_date_time_to_unix(end));
		rc = sqlite3_step(stmt);
		if (rc != SQLITE_ROW) {
			sqlite3_finalize(stmt);
			return collect_fail(db, "read the ledger", error_r);
		}
		t = g_new0(digest_time, 1);
		t->billing_id = g_strdup(billing->id);
		t->retainer = billing->mode == CONF_BILLING_RETAINER;
		t->used_seconds = sqlite3_column_int64(stmt, 0);
		t->included_seconds = t->retainer ? billing->retainer_seconds : 0;
		from_label = collect_day_label(start);
		to_label = collect_day_label(last_day);
		t->period = g_strdup_printf("%s – %s", from_label, to_label);
		g_ptr_array_add(d->time, t);
	}
	sqlite3_finalize(stmt);
	return 0;
}

int digest_collect(store *st, const conf *config, const conf_client *client, GDateTime *now,
		   const GDate *date, digest **digest_r, char **error_r)
{
	sqlite3 *db = store_get_db(st);
	digest *d = g_new0(digest, 1);
	GDate day;

	d->client = client;
	d->needs_you = g_ptr_array_new_with_free_func(collect_item_free);
	d->groups = g_ptr_array_new_with_free_func(collect_group_free);
	d->time = g_ptr_array_new_with_free_func(collect_time_free);
	if (date != NULL) {
		day = *date;
	} else {
		g_autoptr(GDateTime) local = g_date_time_to_timezone(now, client->tz);

		g_date_clear(&day, 1);
		g_date_set_dmy(&day, (GDateDay)g_date_time_get_day_of_month(local),
			       (GDateMonth)g_date_time_get_month(local),
			       (GDateYear)g_date_time_get_year(local));
	}
	d->local_date = g_strdup_printf("%04d-%02d-%02d", g_date_get_year(&day),
					g_date_get_month(&day), g_date_get_day(&day));
	d->date_label = g_strdup_printf("%s %d %s", collect_weekdays[g_date_get_weekday(&day) - 1],
					g_date_get_day(&day), collect_months[g_date_get_month(&day) - 1]);

	/* A consistent picture: the journal is read in one transaction. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		collect_fail(db, "begin", error_r);
		digest_free(&d);
		return -1;
	}
	if (collect_last_sent(db, client->id, &d->after_action_id, error_r) < 0 ||
	    digest_journal_cutoff(st, client->id, &d->last_action_id, error_r) < 0 ||
	    collect_needs_you(db, d, error_r) < 0 || collect_groups(db, d, error_r) < 0 ||
	    collect_time(db, config, d, now, error_r) < 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		digest_free(&d);
		return -1;
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (d->last_action_id < d->after_action_id)
		d->last_action_id = d->after_action_id;
	*digest_r = d;
	return 0;
}
