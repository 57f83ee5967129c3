/* Scheduling digests: once per client per local date (see schedule.h). */
#include "digest/schedule.h"
#include "digest/digest.h"
#include "smtp/smtp.h"
#include "timer/local-time.h"
#include "util/log.h"

#include <string.h>

/* The wall-clock time read as RFC 5545 section 3.3.5 says (a time in
 * a gap moves forward with the clock, a repeated hour means its first
 * occurrence): the rule shared with reminders and snooze. */
GDateTime *digest_due_time(const conf_client *client, const GDate *date)
{
	return timer_local_time(client->tz, g_date_get_year(date), g_date_get_month(date),
				g_date_get_day(date), client->digest_at / 60, client->digest_at % 60, 0);
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

/* The digests' rows are the store's (store.h: store_digest_row). */
typedef store_digest_row schedule_row;

static void schedule_row_clear(schedule_row *row)
{
	store_digest_row_clear(row);
}

/* Insert a row; *row_r gets its id, message id, state and attempts. */
static int schedule_row_insert(store *st, const conf *config, const conf_client *client,
			       const char *local_date, gboolean manual, const char *state,
			       int64_t due_at, int64_t now, const char *result, schedule_row *row_r,
			       char **error_r)
{
	g_autofree char *message_id = digest_message_id_new(config, client, local_date);
	gboolean sending = strcmp(state, "sending") == 0;
	store_digest_new row = {
		.client = client->id,
		.local_date = local_date,
		.manual = manual,
		.state = state,
		.due_at = due_at,
		.message_id = message_id,
		.attempts = sending ? 1 : 0,
		.next_attempt_at = now,
		.lease_until = sending ? now + DIGEST_LEASE_SECONDS : 0,
		.result = result,
		.created_at = now,
	};

	if (store_digest_row_insert(st, &row, &row_r->id, error_r) < 0)
		return -1;
	row_r->state = g_strdup(state);
	row_r->message_id = g_steal_pointer(&message_id);
	row_r->attempts = sending ? 1 : 0;
	row_r->next_attempt_at = now;
	return 0;
}

/* Take the row for this process: 'sending' with a lease. */
static int schedule_row_claim(store *st, schedule_row *row, int64_t now, char **error_r)
{
	if (store_digest_row_claim(st, row->id, now + DIGEST_LEASE_SECONDS, error_r) < 0)
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
	int64_t now_unix = g_date_time_to_unix(now);
	g_autofree char *local_date = schedule_date_string(date);
	g_autofree char *error = NULL, *recipients = NULL;
	digest *d = NULL;
	digest_mail *mail = NULL;
	smtp_outcome kind = SMTP_TEMPORARY;
	GDate next_date = *date;
	g_autoptr(GDateTime) next_due = NULL;
	gsize size = 0;
	int ret = 0;

	g_date_add_days(&next_date, 1);
	next_due = digest_due_time(client, &next_date);

	if (digest_collect(st, config, client, now, date, &d, &error) < 0) {
		kind = SMTP_TEMPORARY;
	} else if (!manual && client->digest_skip_empty && digest_is_empty(d)) {
		if (store_digest_row_finish(st, row->id, "skipped",
					    "nothing to say (digest_skip_empty)", error_r) < 0) {
			ret = -1;
			goto out;
		}
		*outcome_r = DIGEST_OUTCOME_SKIPPED;
		*detail_r = g_strdup_printf("digest for %s skipped: nothing to say", local_date);
		goto out;
	} else if (digest_compose(config, d, row->message_id, now, &mail, &error) < 0) {
		kind = SMTP_PERMANENT;
	} else {
		/* The digest is the assistant's mail to the executive: the
		 * assistant's server ([smtp]), never the executive's. */
		const char *data = g_bytes_get_data(mail->data, &size);
		smtp_envelope envelope = { .mail_from = mail->mail_from,
					   .recipients = (const char *const *)mail->recipients };
		smtp_result result = { 0 };
		smtp_params params;

		if (smtp_params_for_assistant(config, &params, &error) < 0) {
			kind = SMTP_PERMANENT;
		} else if (smtp_send(&params, &envelope, data, size, &result) < 0) {
			kind = result.outcome;
			error = g_steal_pointer(&result.text);
		}
		smtp_result_clear(&result);
	}

	if (error == NULL) {
		store_digest_sent sent = { .sent_at = now_unix, .last_action_id = d->last_action_id,
					   .needs_you = d->needs_you_total, .handled = d->handled,
					   .size = (int64_t)size };

		recipients = g_strjoinv(", ", mail->recipients);
		sent.result = recipients;
		if (store_digest_row_sent(st, row->id, &sent, error_r) < 0) {
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
		kind = SMTP_PERMANENT;
	}
	if (kind == SMTP_PERMANENT || row->attempts >= DIGEST_MAX_ATTEMPTS ||
	    retry_at >= g_date_time_to_unix(next_due)) {
		if (store_digest_row_finish(st, row->id, "failed", error, error_r) < 0) {
			ret = -1;
			goto out;
		}
		*outcome_r = DIGEST_OUTCOME_FAILED;
		*detail_r = g_strdup_printf("digest for %s failed for good after %d attempt%s: %s",
					    local_date, row->attempts, row->attempts == 1 ? "" : "s",
					    error);
	} else {
		g_autofree char *when = schedule_unix_label(client, retry_at);

		if (store_digest_row_retry(st, row->id, retry_at, error, error_r) < 0) {
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
	found = store_digest_row_get(st, client->id, local_date, &row, error_r);
	if (found < 0)
		goto fail;
	if (found == 0) {
		int64_t due_unix = g_date_time_to_unix(due);

		if (now_unix > due_unix + config->digest_grace) {
			g_autofree char *from = schedule_unix_label(client, due_unix);
			g_autofree char *until = schedule_unix_label(client, due_unix + config->digest_grace);
			g_autofree char *why = g_strdup_printf("vea was not running between %s and %s"
							       " (the end of digest_grace)", from, until);

			if (schedule_row_insert(st, config, client, local_date, FALSE, "skipped",
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
		if (schedule_row_insert(st, config, client, local_date, FALSE, "sending", due_unix,
					now_unix, "", &row, error_r) < 0)
			goto fail;
	} else if (strcmp(row.state, "pending") == 0 && row.next_attempt_at <= now_unix) {
		if (schedule_row_claim(st, &row, now_unix, error_r) < 0)
			goto fail;
	} else if (strcmp(row.state, "sending") == 0 && row.lease_until <= now_unix) {
		/* The process that claimed it died mid-send. */
		if (schedule_row_claim(st, &row, now_unix, error_r) < 0)
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
	found = store_digest_row_get(st, client->id, local_date, &row, error_r);
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
		if (schedule_row_insert(st, config, client, local_date, TRUE, "sending",
					g_date_time_to_unix(due), now_unix, "", &row, error_r) < 0)
			goto fail;
		g_free(row.state);
		row.state = g_strdup("manual");
		extra = TRUE;
	} else if (found == 1) {
		if (schedule_row_claim(st, &row, now_unix, error_r) < 0)
			goto fail;
	} else if (schedule_row_insert(st, config, client, local_date, FALSE, "sending",
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
