/* The sender: one round of the outbox (see sender.h). */
#include "outbox/sender.h"
#include "util/clock.h"
#include "smtp/smtp.h"
#include "util/log.h"

#include <string.h>

/* A claim must outlast one message's every SMTP time-out. */
G_STATIC_ASSERT(OUTBOX_LEASE_SECONDS > SMTP_TIMEOUT_TOTAL + SMTP_TIMEOUT_CONNECT);

/* Claimed per round: enough to keep one connection busy, few enough that
 * a round ends well within the lease. */
#define OUTBOX_ROUND_MESSAGES 10

int64_t outbox_backoff_seconds(int attempts)
{
	/* RFC 5321 4.5.4.1 asks for at least 30 minutes but allows "more
	 * sophisticated" strategies: short first retries get past
	 * greylisting (typically 1-5 minutes) without hours of delay. */
	static const int64_t first[] = { 60, 5 * 60, 30 * 60 };
	int64_t seconds = 30 * 60;

	if (attempts <= 0)
		return first[0];
	if (attempts <= (int)G_N_ELEMENTS(first))
		return first[attempts - 1];
	for (int i = (int)G_N_ELEMENTS(first); i < attempts && seconds < 4 * 3600; i++)
		seconds *= 2;
	return MIN(seconds, 4 * 3600);
}

/* How one attempt ended. */
typedef enum {
	OUTBOX_ATTEMPT_SENT,
	OUTBOX_ATTEMPT_TEMPORARY,
	OUTBOX_ATTEMPT_PERMANENT,
	OUTBOX_ATTEMPT_HELD,
} outbox_attempt;

/* The sessions of one round, one per server (the executive's account, or
 * [smtp] under ""): messages to the same server go over one connection. */
static smtp_session *outbox_session(const conf *config, GHashTable *sessions,
				    const store_outbox_message *m, char **words_r)
{
	const char *key = m->account != NULL ? m->account : "";
	smtp_session *session = g_hash_table_lookup(sessions, key);
	smtp_params params;
	char *error = NULL;

	if (session != NULL)
		return session;
	if (m->account != NULL) {
		const conf_account *account = conf_find_account(config, m->account);

		if (account == NULL) {
			*words_r = g_strdup_printf("account %s is no longer in the configuration",
						   m->account);
			return NULL;
		}
		if (smtp_params_for_account(account, &params, &error) < 0) {
			*words_r = error;
			return NULL;
		}
	} else if (smtp_params_for_assistant(config, &params, &error) < 0) {
		*words_r = error;
		return NULL;
	}
	session = smtp_session_new(&params, &error);
	if (session == NULL) {
		*words_r = error;
		return NULL;
	}
	g_hash_table_insert(sessions, g_strdup(key), session);
	return session;
}

static void outbox_session_free(gpointer session)
{
	smtp_session *s = session;

	smtp_session_free(&s);
}

static outbox_attempt outbox_deliver(const conf *config, GHashTable *sessions,
				     const store_outbox_message *m, int *reply_r, char **words_r)
{
	smtp_session *session = outbox_session(config, sessions, m, words_r);
	/* The outbox keeps the null reverse-path as "" (store.h). */
	smtp_envelope envelope = { .mail_from = m->mail_from[0] != '\0' ? m->mail_from : NULL,
				   .null_sender = m->mail_from[0] == '\0',
				   .recipients = (const char *const *)m->recipients };
	smtp_result result = { 0 };
	outbox_attempt attempt;

	*reply_r = 0;
	if (session == NULL)
		return OUTBOX_ATTEMPT_HELD;
	if (smtp_session_send(session, &envelope, m->data, m->size, &result) == 0)
		attempt = OUTBOX_ATTEMPT_SENT;
	else if (result.needs_config)
		attempt = OUTBOX_ATTEMPT_HELD;
	else if (result.outcome == SMTP_PERMANENT)
		attempt = OUTBOX_ATTEMPT_PERMANENT;
	else
		attempt = OUTBOX_ATTEMPT_TEMPORARY;
	*reply_r = result.reply;
	*words_r = g_steal_pointer(&result.text);
	smtp_result_clear(&result);
	return attempt;
}

static char *outbox_recipients_text(const store_outbox_message *m)
{
	return g_strjoinv(", ", m->recipients);
}

/* Record the end of one attempt on the outbox row and on its action. */
static int outbox_record(store *st, const store_outbox_message *m, outbox_attempt attempt,
			 int reply, const char *words, int64_t now, outbox_round *round, char **error_r)
{
	g_autofree char *to = outbox_recipients_text(m);
	g_autofree char *result = NULL;
	int ret = -1;

	if (store_transaction_begin(st, error_r) < 0)
		return -1;
	switch (attempt) {
	case OUTBOX_ATTEMPT_SENT:
		result = g_strdup_printf("sent to %s (outbox #%" G_GINT64_FORMAT ")", to, m->id);
		if (store_outbox_sent(st, m->id, now, reply > 0 ? reply : 250, words, error_r) < 0 ||
		    (m->action_id > 0 && store_action_set_done(st, m->action_id, result, error_r) < 0))
			goto out;
		round->sent++;
		round->resent += m->resends > 0;
		log_info("outbox #%" G_GINT64_FORMAT ": %s %s", m->id,
			 action_kind_name(m->kind), result);
		break;
	case OUTBOX_ATTEMPT_TEMPORARY:
		if (now + outbox_backoff_seconds(m->attempts) > m->expires_at) {
			result = g_strdup_printf("not delivered to %s after %d attempts: %s", to,
						 m->attempts, words);
			if (store_outbox_finish(st, m->id, STORE_OUTBOX_FAILED, reply, words, error_r) < 0 ||
			    (m->action_id > 0 &&
			     store_action_set_failed(st, m->action_id, result, error_r) < 0))
				goto out;
			round->failed++;
			log_error("outbox #%" G_GINT64_FORMAT ": %s", m->id, result);
		} else {
			int64_t next = now + outbox_backoff_seconds(m->attempts);

			result = g_strdup_printf("queued for %s, attempt %d: %s", to, m->attempts, words);
			if (store_outbox_retry(st, m->id, next, reply, words, error_r) < 0 ||
			    (m->action_id > 0 && store_action_set_done(st, m->action_id, result, error_r) < 0))
				goto out;
			round->retried++;
			log_warning("outbox #%" G_GINT64_FORMAT ": %s; next attempt in %" G_GINT64_FORMAT
				    " s", m->id, words, next - now);
		}
		break;
	case OUTBOX_ATTEMPT_PERMANENT:
		result = g_strdup_printf("refused for %s: %s", to, words);
		if (store_outbox_finish(st, m->id, STORE_OUTBOX_FAILED, reply, words, error_r) < 0 ||
		    (m->action_id > 0 && store_action_set_failed(st, m->action_id, result, error_r) < 0))
			goto out;
		round->failed++;
		log_error("outbox #%" G_GINT64_FORMAT ": %s", m->id, result);
		break;
	case OUTBOX_ATTEMPT_HELD:
		result = g_strdup_printf("held, not sent to %s: %s; fix the configuration, then "
					 "vea outbox retry %" G_GINT64_FORMAT, to, words, m->id);
		if (store_outbox_finish(st, m->id, STORE_OUTBOX_HELD, reply, words, error_r) < 0 ||
		    (m->action_id > 0 && store_action_set_done(st, m->action_id, result, error_r) < 0))
			goto out;
		round->held++;
		log_error("outbox #%" G_GINT64_FORMAT ": %s", m->id, result);
		break;
	}
	ret = store_transaction_commit(st, error_r);
out:
	if (ret < 0)
		store_transaction_rollback(st);
	return ret;
}

int outbox_send_due(const conf *config, store *st, int64_t now, outbox_round *round_r,
		    char **error_r)
{
	outbox_round round = { 0 };
	g_autoptr(GHashTable) sessions =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, outbox_session_free);

	for (;;) {
		g_autoptr(GPtrArray) claimed = NULL;

		if (store_outbox_claim(st, now, now + OUTBOX_LEASE_SECONDS, OUTBOX_ROUND_MESSAGES,
				       &claimed, error_r) < 0)
			return -1;
		if (claimed->len == 0)
			break;
		for (guint i = 0; i < claimed->len; i++) {
			const store_outbox_message *m = g_ptr_array_index(claimed, i);
			g_autofree char *words = NULL;
			outbox_attempt attempt;
			int reply = 0;

			if (now >= m->expires_at) {
				words = g_strdup("expired before it could be sent");
				attempt = OUTBOX_ATTEMPT_PERMANENT;
			} else if (i > 0 && store_outbox_renew(st, m->id, clock_now_unix() +
							       OUTBOX_LEASE_SECONDS, error_r) < 0) {
				/* The lease of the round ran from its claim; each
				 * message renews it before its own attempt, so a slow
				 * server earlier in the round cannot make a later
				 * message's lease run out while it is sent. */
				return -1;
			} else {
				attempt = outbox_deliver(config, sessions, m, &reply, &words);
			}
			if (outbox_record(st, m, attempt, reply, words, now, &round, error_r) < 0)
				return -1;
		}
		if (claimed->len < OUTBOX_ROUND_MESSAGES)
			break;
	}
	if (round_r != NULL)
		*round_r = round;
	return 0;
}
