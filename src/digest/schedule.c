/* Scheduling digests: once per client per local date (see schedule.h). */
#include "digest/schedule.h"
#include "digest/digest.h"
#include "smtp/smtp.h"
#include "util/log.h"

#include <stdarg.h>
#include <string.h>

GDateTime *digest_due_time(const conf_client *client, const GDate *date)
{
	int year = g_date_get_year(date), month = g_date_get_month(date), day = g_date_get_day(date);
	int hour = client->digest_at / 60, minute = client->digest_at % 60;
	GDateTime *due = g_date_time_new(client->tz, year, month, day, hour, minute, 0);
	g_autoptr(GDateTime) before = NULL, naive = g_date_time_new_utc(year, month, day, hour, minute, 0);
	g_autoptr(GDateTime) fixed = NULL;
	GDateTime *first = NULL;

	/* The earliest instant showing that wall-clock time: in an hour
	 * that happens twice (autumn), the first, as RFC 5545 section 3.3.5
	 * says; GLib would take the second. Offsets from either side of a
	 * transition are tried. */
	for (int hours = -6; hours <= 6; hours += 6) {
		g_autoptr(GDateTime) near = g_date_time_add_hours(due, hours);
		GDateTime *utc = g_date_time_add(naive, -g_date_time_get_utc_offset(near));
		GDateTime *local = g_date_time_to_timezone(utc, client->tz);

		g_date_time_unref(utc);
		if (g_date_time_get_hour(local) == hour && g_date_time_get_minute(local) == minute &&
		    g_date_time_get_day_of_month(local) == day &&
		    (first == NULL || g_date_time_compare(local, first) < 0)) {
			if (first != NULL)
				g_date_time_unref(first);
			first = local;
		} else {
			g_date_time_unref(local);
		}
	}
	if (first != NULL) {
		g_date_time_unref(due);
		return first;
	}
	/* A time in a spring-forward gap: GLib gives the first moment after
	 * the gap. RFC 5545 section 3.3.5 reads it with the offset from before
	 * the gap instead, so that 02:30 becomes 03:30, as a person would
	 * expect of a clock moved forward an hour. */
	before = g_date_time_add_seconds(due, -1);
	fixed = g_date_time_add(naive, -g_date_time_get_utc_offset(before));
	g_date_time_unref(due);
	return g_date_time_to_timezone(fixed, client->tz);
}

void digest_due_date(const conf_client *client, GDateTime *now, GDate *date_r, GDateTime **due_r)
{
	g_autoptr(GDateTime) local = g_date_time_to_timezone(now, client->tz);
	GDateTime *due;

	g_date_clear(date_r, 1);
	g_date_set_dmy(date_r, (GDateDay)g_date_time_get_day_of_month(local),
		       (GDateMonth)g_date_time_get_month(local), (GDateYear)g_date_time_get_year(local));
	due = digest_due_time(client, date_r);
	if (g_date_time_compare(now, due) < 0) {
		g_date_time_unref(due);
		g_date_subtract_days(date_r, 1);
		due = digest_due_time(client, date_r);
	}
	*due_r = due;
}

static char *schedule_date_string(const GDate *date)
{
	return g_strdup_printf("%04d-%02d-%02d", g_date_get_year(date), g_date_get_month(date),
			       g_date_get_day(date));
}

static int schedule_fail(sqlite3 *db, const char *what, char **error_r)
{
	*error_r = g_strdup_printf("digest: %s: %s", what, sqlite3_errmsg(db));
	return -1;
}

/* Run one statement with the given bindings: "t" text, "i" int64. */
static int schedule_exec(sqlite3 *db, const char *sql, char **error_r, const char *types, ...)
{
	sqlite3_stmt *stmt;
	va_list args;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return schedule_fail(db, "prepare", error_r);
	va_start(args, types);
	for (int i = 0; types[i] != '\0'; i++) {
		if (types[i] == 't')
			sqlite3_bind_text(stmt, i + 1, va_arg(args, const char *), -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(stmt, i + 1, va_arg(args, int64_t));
	}
	va_end(args);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return schedule_fail(db, "update digests", error_r);
	return 0;
}

typedef struct schedule_row {
	int64_t id;
	char *state;
	char *message_id;
	int attempts;
	int64_t next_attempt_at;
	int64_t lease_until;
} schedule_row;

static void schedule_row_clear(schedule_row *row)
{
	g_free(row->state);
	g_free(row->message_id);
	memset(row, 0, sizeof(*row));
}

/* The scheduled (not manual) row of client for local_date: 1 found, 0 none. */
static int schedule_row_get(sqlite3 *db, const char *client, const char *local_date,
			    schedule_row *row_r, char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT id, state, message_id, attempts, next_attempt_at, lease_until"
			       " FROM digests WHERE client = ? AND local_date = ? AND manual = 0",
			       -1, &stmt, NULL) != SQLITE_OK)
		return schedule_fail(db, "prepare", error_r);
	sqlite3_bind_text(stmt, 1, client, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, local_date, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		row_r->id = sqlite3_column_int64(stmt, 0);
		row_r->state = g_strdup((const char *)sqlite3_column_text(stmt, 1));
		row_r->message_id = g_strdup((const char *)sqlite3_column_text(stmt, 2));
		row_r->attempts = sqlite3_column_int(stmt, 3);
		row_r->next_attempt_at = sqlite3_column_int64(stmt, 4);
		row_r->lease_until = sqlite3_column_int64(stmt, 5);
	}
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return schedule_fail(db, "read digests", error_r);
	return 0;
}

/* Insert a row; *row_r gets its id, message id, state and attempts. */
static int schedule_row_insert(sqlite3 *db, const conf *config, const conf_client *client,
			       const char *local_date, gboolean manual, const char *state,
			       int64_t due_at, int64_t now, const char *result, schedule_row *row_r,
			       char **error_r)
{
	g_autofree char *message_id = digest_message_id_new(config, client, local_date);
	gboolean sending = strcmp(state, "sending") == 0;

	if (schedule_exec(db, "INSERT INTO digests (client, local_date, manual, state, due_at,"
			  " message_id, attempts, next_attempt_at, lease_until, result, created_at)"
			  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error_r, "ttititiiiti",
			  client->id, local_date, (int64_t)(manual ? 1 : 0), state, due_at, message_id,
			  (int64_t)(sending ? 1 : 0), now, sending ? now + DIGEST_LEASE_SECONDS : (int64_t)0,
			  result, now) < 0)
		return -1;
	row_r->id = sqlite3_last_insert_rowid(db);
	row_r->state = g_strdup(state);
	row_r->message_id = g_steal_pointer(&message_id);
	row_r->attempts = sending ? 1 : 0;
	row_r->next_attempt_at = now;
	return 0;
}

/* Take the row for this process: 'sending' with a lease. */
static int schedule_row_claim(sqlite3 *db, schedule_row *row, int64_t now, char **error_r)
{
	if (schedule_exec(db, "UPDATE digests SET state = 'sending', attempts = attempts + 1,"
			  " lease_until = ? WHERE id = ?", error_r, "ii",
			  now + DIGEST_LEASE_SECONDS, row->id) < 0)
		return -1;
	row->attempts++;
	return 0;
}

/* 1, 2, 4, ... minutes after the attempt that failed, at most an hour. */
static int64_t schedule_backoff(int attempts)
{
	int64_t seconds = 60;

	for (int i = 1; i < attempts && seconds < 3600; i++)
		seconds *= 2;
	return seconds < 3600 ? seconds : 3600;
}

static char *schedule_unix_label(const conf_client *client, int64_t unix_time)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(unix_time);
	g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, client->tz);

	return g_date_time_format(local, "%Y-%m-%d %H:%M %Z");
}

/* Collect, compose and send the digest of a claimed row, then record the
 * outcome. manual: asked for by `vea digest send` (never skipped as
 * empty). */
static int schedule_deliver(store *st, const conf *config, const conf_client *client,
			    GDateTime *now, const GDate *date, const schedule_row *row,
			    gboolean manual, digest_outcome *outcome_r, char **detail_r,
			    char **error_r)
{
	sqlite3 *db = store_get_db(st);
	int64_t now_unix = g_date_time_to_unix(now);
	g_autofree char *local_date = schedule_date_string(date);
	g_autofree char *error = NULL, *recipients = NULL;
	digest *d = NULL;
	digest_mail *mail = NULL;
	smtp_error_kind kind = SMTP_ERROR_TEMPORARY;
	GDate next_date = *date;
	g_autoptr(GDateTime) next_due = NULL;
	gsize size = 0;
	int ret = 0;

	g_date_add_days(&next_date, 1);
	next_due = digest_due_time(client, &next_date);

	if (digest_collect(st, config, client, now, date, &d, &error) < 0) {
		kind = SMTP_ERROR_TEMPORARY;
	} else if (!manual && client->digest_skip_empty && digest_is_empty(d)) {
		if (schedule_exec(db, "UPDATE digests SET state = 'skipped', lease_until = 0,"
				  " result = 'nothing to say (digest_skip_empty)' WHERE id = ?",
				  error_r, "i", row->id) < 0) {
			ret = -1;
			goto out;
		}
		*outcome_r = DIGEST_OUTCOME_SKIPPED;
		*detail_r = g_strdup_printf("digest for %s skipped: nothing to say", local_date);
		goto out;
	} else if (digest_compose(config, d, row->message_id, now, &mail, &error) < 0) {
		kind = SMTP_ERROR_PERMANENT;
	} else {
		const char *data = g_bytes_get_data(mail->data, &size);

		smtp_send(&config->smtp, mail->mail_from, (const char *const *)mail->recipients,
			  data, size, &kind, &error);
	}

	if (error == NULL) {
		recipients = g_strjoinv(", ", mail->recipients);
		if (schedule_exec(db, "UPDATE digests SET state = 'sent', sent_at = ?, lease_until = 0,"
				  " last_action_id = ?, needs_you = ?, handled = ?, size = ?,"
				  " result = ? WHERE id = ?", error_r, "iiiiiti", now_unix,
				  d->last_action_id, (int64_t)d->needs_you_total, (int64_t)d->handled,
				  (int64_t)size, recipients, row->id) < 0) {
			ret = -1;
			goto out;
		}
		*outcome_r = DIGEST_OUTCOME_SENT;
		*detail_r = g_strdup_printf("digest for %s sent to %s (%" G_GSIZE_FORMAT " bytes,"
					    " %u need you, %u handled)", local_date, recipients,
					    size, d->needs_you_total, d->handled);
		/* For the assistant: why Needs you may list read messages. */
		for (guint i = 0; i < d->unchecked->len; i++) {
			const digest_unchecked *u = g_ptr_array_index(d->unchecked, i);
			char *more = g_strdup_printf("%s; unread status not checked for %s: %s",
						     *detail_r, u->account, u->reason);

			g_free(*detail_r);
			*detail_r = more;
		}
		goto out;
	}

	int64_t retry_at = now_unix + schedule_backoff(row->attempts);

	if (manual && strcmp(row->state, "manual") == 0) {
		/* An extra digest asked for by hand is not retried behind the
		 * user's back: they saw it fail. */
		kind = SMTP_ERROR_PERMANENT;
	}
	if (kind == SMTP_ERROR_PERMANENT || row->attempts >= DIGEST_MAX_ATTEMPTS ||
	    retry_at >= g_date_time_to_unix(next_due)) {
		if (schedule_exec(db, "UPDATE digests SET state = 'failed', lease_until = 0, result = ?"
				  " WHERE id = ?", error_r, "ti", error, row->id) < 0) {
			ret = -1;
			goto out;
		}
		*outcome_r = DIGEST_OUTCOME_FAILED;
		*detail_r = g_strdup_printf("digest for %s failed for good after %d attempt%s: %s",
					    local_date, row->attempts, row->attempts == 1 ? "" : "s",
					    error);
	} else {
		g_autofree char *when = schedule_unix_label(client, retry_at);

		if (schedule_exec(db, "UPDATE digests SET state = 'pending', lease_until = 0,"
				  " next_attempt_at = ?, result = ? WHERE id = ?", error_r, "iti",
				  retry_at, error, row->id) < 0) {
			ret = -1;
			goto out;
		}
		*outcome_r = DIGEST_OUTCOME_RETRY;
		*detail_r = g_strdup_printf("digest for %s not sent (attempt %d), next try at %s: %s",
					    local_date, row->attempts, when, error);
	}
out:
	digest_mail_free(&mail);
	digest_free(&d);
	return ret;
}

int digest_tick_client(store *st, const conf *config, const conf_client *client, GDateTime *now,
		       digest_outcome *outcome_r, char **detail_r, char **error_r)
{
	sqlite3 *db = store_get_db(st);
	int64_t now_unix = g_date_time_to_unix(now);
	g_autoptr(GDateTime) due = NULL;
	g_autofree char *local_date = NULL;
	schedule_row row = { 0 };
	GDate date;
	int found, ret;

	*outcome_r = DIGEST_OUTCOME_NOTHING;
	if (detail_r != NULL)
		*detail_r = NULL;
	digest_due_date(client, now, &date, &due);
	local_date = schedule_date_string(&date);

	if (store_transaction_begin(st, error_r) < 0)
		return -1;
	found = schedule_row_get(db, client->id, local_date, &row, error_r);
	if (found < 0)
		goto fail;
	if (found == 0) {
		int64_t due_unix = g_date_time_to_unix(due);

		if (now_unix > due_unix + config->digest_grace) {
			g_autofree char *from = schedule_unix_label(client, due_unix);
			g_autofree char *until = schedule_unix_label(client, due_unix + config->digest_grace);
			g_autofree char *why = g_strdup_printf("vea was not running between %s and %s"
							       " (the end of digest_grace)", from, until);

			if (schedule_row_insert(db, config, client, local_date, FALSE, "skipped",
						due_unix, now_unix, why, &row, error_r) < 0)
				goto fail;
			if (store_transaction_commit(st, error_r) < 0)
				goto fail;
			*outcome_r = DIGEST_OUTCOME_SKIPPED;
			if (detail_r != NULL)
				*detail_r = g_strdup_printf("digest for %s skipped: %s", local_date, why);
			schedule_row_clear(&row);
			return 0;
		}
		if (schedule_row_insert(db, config, client, local_date, FALSE, "sending", due_unix,
					now_unix, "", &row, error_r) < 0)
			goto fail;
	} else if (strcmp(row.state, "pending") == 0 && row.next_attempt_at <= now_unix) {
		if (schedule_row_claim(db, &row, now_unix, error_r) < 0)
			goto fail;
	} else if (strcmp(row.state, "sending") == 0 && row.lease_until <= now_unix) {
		/* The process that claimed it died mid-send. */
		if (schedule_row_claim(db, &row, now_unix, error_r) < 0)
			goto fail;
	} else {
		store_transaction_rollback(st);
		schedule_row_clear(&row);
		return 0;
	}
	if (store_transaction_commit(st, error_r) < 0)
		goto fail;

	{
		g_autofree char *detail = NULL;

		ret = schedule_deliver(st, config, client, now, &date, &row, FALSE, outcome_r,
				       &detail, error_r);
		if (detail_r != NULL)
			*detail_r = g_steal_pointer(&detail);
	}
	schedule_row_clear(&row);
	return ret;
fail:
	store_transaction_rollback(st);
	schedule_row_clear(&row);
	return -1;
}

int digest_send_now(store *st, const conf *config, const conf_client *client, GDateTime *now,
		    char **detail_r, char **error_r)
{
	sqlite3 *db = store_get_db(st);
	int64_t now_unix = g_date_time_to_unix(now);
	g_autoptr(GDateTime) local = g_date_time_to_timezone(now, client->tz);
	g_autoptr(GDateTime) due = NULL;
	g_autofree char *local_date = NULL, *detail = NULL;
	schedule_row row = { 0 };
	digest_outcome outcome = DIGEST_OUTCOME_NOTHING;
	gboolean extra = FALSE;
	GDate date;
	int found;

	g_date_clear(&date, 1);
	g_date_set_dmy(&date, (GDateDay)g_date_time_get_day_of_month(local),
		       (GDateMonth)g_date_time_get_month(local), (GDateYear)g_date_time_get_year(local));
	local_date = schedule_date_string(&date);
	due = digest_due_time(client, &date);

	if (store_transaction_begin(st, error_r) < 0)
		return -1;
	found = schedule_row_get(db, client->id, local_date, &row, error_r);
	if (found < 0)
		goto fail;
	if (found == 1 && strcmp(row.state, "sending") == 0 && row.lease_until > now_unix) {
		*error_r = g_strdup_printf("the digest for %s is being sent right now by another vea",
					   local_date);
		goto fail;
	}
	if (found == 1 && strcmp(row.state, "sent") == 0) {
		/* Today's went out already: this one is an extra. */
		schedule_row_clear(&row);
		if (schedule_row_insert(db, config, client, local_date, TRUE, "sending",
					g_date_time_to_unix(due), now_unix, "", &row, error_r) < 0)
			goto fail;
		g_free(row.state);
		row.state = g_strdup("manual");
		extra = TRUE;
	} else if (found == 1) {
		if (schedule_row_claim(db, &row, now_unix, error_r) < 0)
			goto fail;
	} else if (schedule_row_insert(db, config, client, local_date, FALSE, "sending",
				       g_date_time_to_unix(due), now_unix, "", &row, error_r) < 0) {
		goto fail;
	}
	if (store_transaction_commit(st, error_r) < 0)
		goto fail;

	if (schedule_deliver(st, config, client, now, &date, &row, TRUE, &outcome, &detail,
			     error_r) < 0) {
		schedule_row_clear(&row);
		return -1;
	}
	schedule_row_clear(&row);
	if (outcome != DIGEST_OUTCOME_SENT) {
		*error_r = g_steal_pointer(&detail);
		return -1;
	}
	*detail_r = extra ? g_strdup_printf("%s (an extra one: today's had gone out already)", detail)
			  : g_steal_pointer(&detail);
	return 0;
fail:
	store_transaction_rollback(st);
	schedule_row_clear(&row);
	return -1;
}

void digest_send_due(const conf *config)
{
	g_autoptr(GDateTime) now = NULL;
	char *error = NULL;
	store *st = NULL;

	if (config->smtp.url == NULL)
		return;
	now = digest_clock_now(&error);
	if (now == NULL) {
		log_error("digest: %s", error);
		g_free(error);
		return;
	}
	for (guint i = 0; i < config->clients->len; i++) {
		const conf_client *client = g_ptr_array_index(config->clients, i);
		digest_outcome outcome;
		g_autofree char *detail = NULL;

		if (!client->digest || client->email == NULL)
			continue;
		if (st == NULL && store_open(config->database, &st, &error) < 0) {
			log_error("digest: %s", error);
			g_free(error);
			return;
		}
		if (digest_tick_client(st, config, client, now, &outcome, &detail, &error) < 0) {
			log_error("client %s: digest: %s", client->id, error);
			g_clear_pointer(&error, g_free);
			continue;
		}
		switch (outcome) {
		case DIGEST_OUTCOME_NOTHING:
			break;
		case DIGEST_OUTCOME_SENT:
		case DIGEST_OUTCOME_SKIPPED:
			log_info("client %s: %s", client->id, detail);
			break;
		case DIGEST_OUTCOME_RETRY:
			log_warning("client %s: %s", client->id, detail);
			break;
		case DIGEST_OUTCOME_FAILED:
			log_error("client %s: %s", client->id, detail);
			break;
		}
	}
	store_close(&st);
}
