/* How an account is watched: IDLE and the idlers. */

#include "agent/agent-private.h"
#include "account/connect.h"
#include "imap/mailbox-name.h"
#include "util/log.h"

#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim */
#endif

/* The control block shared with the thread that stops watchers. */
struct agent_watch {
	GMutex lock;
	GCond wake;
	gboolean stop;
	imap_session *idling; /* the session in IDLE, to interrupt */
	/* Set by a mailbox idler that saw a change: the account's thread
	 * syncs before it waits again. */
	gboolean woken;
	GPtrArray *idler_sessions; /* imap_session * of the idlers in IDLE */
};

agent_watch *agent_watch_new(void)
{
	agent_watch *watch = g_new0(agent_watch, 1);

	g_mutex_init(&watch->lock);
	g_cond_init(&watch->wake);
	watch->idler_sessions = g_ptr_array_new();
	return watch;
}

void agent_watch_free(agent_watch *watch)
{
	if (watch == NULL)
		return;
	g_mutex_clear(&watch->lock);
	g_cond_clear(&watch->wake);
	g_ptr_array_unref(watch->idler_sessions);
	g_free(watch);
}

void agent_watch_stop(agent_watch *watch)
{
	g_mutex_lock(&watch->lock);
	watch->stop = TRUE;
	if (watch->idling != NULL)
		imap_session_idle_interrupt(watch->idling);
	for (guint i = 0; i < watch->idler_sessions->len; i++)
		imap_session_idle_interrupt(g_ptr_array_index(watch->idler_sessions, i));
	g_cond_broadcast(&watch->wake);
	g_mutex_unlock(&watch->lock);
}

gboolean agent_watch_stopping(agent_watch *watch)
{
	gboolean stop;

	g_mutex_lock(&watch->lock);
	stop = watch->stop;
	g_mutex_unlock(&watch->lock);
	return stop;
}

/* Sleep up to seconds; returns early (TRUE) when asked to stop. */
static gboolean agent_watch_sleep(agent_watch *watch, int64_t seconds)
{
	gint64 deadline = g_get_monotonic_time() + seconds * G_USEC_PER_SEC;
	gboolean stop;

	g_mutex_lock(&watch->lock);
	while (!watch->stop && g_cond_wait_until(&watch->wake, &watch->lock, deadline))
		;
	stop = watch->stop;
	g_mutex_unlock(&watch->lock);
	return stop;
}

/* A waiting account holds no database connection (its page cache and
 * descriptors are worth more to the hundreds of others), and gives back
 * to the system what its sync freed: glibc keeps freed memory in its
 * arenas and threads' caches, and with hundreds of threads that was
 * about 80 KB an idle account (tests/bench/bench_agent.py, 200 accounts:
 * 53 MB resident before, 38 MB after). One trim is cheap next to the
 * sync before it. */
static void agent_watch_release(agent_run *run)
{
	store_close(&run->store);
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/* Wait for news on the selected mailbox: IDLE where the server has it,
 * else sleep out the poll interval. Returns -1 when the session broke. */
static int agent_wait_for_mail(agent_run *run, agent_watch *watch)
{
	gboolean changed = FALSE;
	char *error = NULL;
	int ret;

	if (!imap_session_has_capability(run->imap, "IDLE")) {
		agent_status(run, "polling", NULL, TRUE);
		agent_watch_release(run);
		agent_watch_sleep(watch, run->conf->poll_interval);
		return 0;
	}
	/* IDLE reports on the selected mailbox only (RFC 2177): this
	 * session waits on the first; agent_idler threads watch the others
	 * on connections of their own. */
	if (run->account->mailboxes[1] != NULL) {
		g_autofree char *first = agent_server_name(run, run->account->mailboxes[0], &error);
		imap_mailbox_status status;

		if (first == NULL || imap_session_select(run->imap, first, &status, &error) < 0) {
			agent_fail(run, "mailbox %s: %s", run->account->mailboxes[0], error);
			g_free(error);
			return -1;
		}
	}
	agent_status(run, "idle", NULL, TRUE);
	agent_watch_release(run);
	g_mutex_lock(&watch->lock);
	if (watch->stop || watch->woken) {
		watch->woken = FALSE;
		g_mutex_unlock(&watch->lock);
		return 0;
	}
	watch->idling = run->imap;
	g_mutex_unlock(&watch->lock);
	/* IDLE is re-issued every minute, well inside RFC 2177's 29: libetpan
	 * drops untagged responses that arrive between the last sync and the
	 * server's "+", so a message delivered in that instant is found by
	 * the sync after the next wake-up, at most a minute later. */
	ret = imap_session_idle_wait(run->imap, AGENT_IDLE_SECONDS, &changed, &error);
	g_mutex_lock(&watch->lock);
	watch->idling = NULL;
	watch->woken = FALSE; /* the sync that follows covers it */
	g_mutex_unlock(&watch->lock);
	if (ret < 0) {
		agent_fail(run, "IDLE: %s", error);
		g_free(error);
		return -1;
	}
	return 0;
}

static void agent_report_log_and_reset(agent_run *run)
{
	agent_report *report = run->report;
	g_autoptr(GString) line = NULL;

	if (report->messages > 0) {
		line = g_string_new(NULL);
		for (guint i = 0; i < report->summary_keys->len; i++) {
			const char *key = g_ptr_array_index(report->summary_keys, i);

			g_string_append_printf(line, "%s%s %u", i > 0 ? ", " : "", key,
					       GPOINTER_TO_UINT(g_hash_table_lookup(report->summary_counts, key)));
		}
		log_info("account %s: %u new message%s: %s", run->account->id, report->messages,
			 report->messages == 1 ? "" : "s", line->str);
	}
	report->messages = 0;
	report->recovered = 0;
	report->recovery_failed = 0;
	g_clear_pointer(&report->recovery_error, g_free);
	report->failed_actions = 0;
	report->failed = FALSE;
	report->failure = AGENT_FAILURE_NONE;
	g_clear_pointer(&report->error, g_free);
	g_hash_table_remove_all(report->summary_counts);
	g_ptr_array_set_size(report->summary_keys, 0);
	g_hash_table_remove_all(report->billed);
}

/* A watched mailbox other than the account's first, in IDLE on a
 * connection of its own, read-only (EXAMINE): when the server reports a
 * change there, the account's thread is woken to sync. Where the server
 * has no IDLE the idler ends and the account is polled. */
typedef struct agent_idler {
	agent_watch *watch;
	const conf_account *account;
	const char *mailbox;
	GThread *thread;
} agent_idler;

static void agent_watch_wake(agent_watch *watch)
{
	g_mutex_lock(&watch->lock);
	watch->woken = TRUE;
	if (watch->idling != NULL)
		imap_session_idle_interrupt(watch->idling);
	g_mutex_unlock(&watch->lock);
}

/* One IDLE of the idler's session; the session is registered so that
 * agent_watch_stop can interrupt it. FALSE when stopping. */
static gboolean agent_idler_register(agent_idler *idler, imap_session *session)
{
	gboolean ok;

	g_mutex_lock(&idler->watch->lock);
	ok = !idler->watch->stop;
	if (ok)
		g_ptr_array_add(idler->watch->idler_sessions, session);
	g_mutex_unlock(&idler->watch->lock);
	return ok;
}

static void agent_idler_unregister(agent_idler *idler, imap_session *session)
{
	g_mutex_lock(&idler->watch->lock);
	g_ptr_array_remove_fast(idler->watch->idler_sessions, session);
	g_mutex_unlock(&idler->watch->lock);
}

static gpointer agent_idler_thread(gpointer data)
{
	agent_idler *idler = data;
	int64_t backoff = 1;

	while (!agent_watch_stopping(idler->watch)) {
		imap_session *session = NULL;
		g_autofree char *server = NULL;
		imap_mailbox_status status;
		char *error = NULL;

		if (account_connect(idler->account, &session, &error) < 0)
			goto retry;
		if (!imap_session_has_capability(session, "IDLE")) {
			imap_session_free(&session);
			return NULL; /* the account's thread polls them all */
		}
		server = mailbox_name_to_server(idler->mailbox, imap_session_get_delimiter(session),
						imap_session_get_prefix(session), &error);
		if (server == NULL || imap_session_examine(session, server, &status, &error) < 0)
			goto retry;
		backoff = 1;
		/* A change while connecting: the account syncs once more. */
		agent_watch_wake(idler->watch);
		while (agent_idler_register(idler, session)) {
			gboolean changed = FALSE;
			int ret = imap_session_idle_wait(session, AGENT_IDLE_SECONDS, &changed, &error);

			agent_idler_unregister(idler, session);
			if (ret < 0)
				goto retry;
			if (changed)
				agent_watch_wake(idler->watch);
		}
		imap_session_free(&session);
		break;
retry:
		if (error != NULL) {
			log_warning("account %s: watching mailbox %s: %s", idler->account->id,
				    idler->mailbox, error);
			g_free(error);
		}
		imap_session_free(&session);
		agent_watch_sleep(idler->watch, backoff + g_random_int_range(0, (gint32)backoff + 1));
		backoff = MIN(backoff * 2, 300);
	}
	return NULL;
}

int agent_watch_account(const conf *config, const conf_account *account,
			const rules_set *rules, const agent_options *options,
			agent_watch *watch)
{
	g_autoptr(GPtrArray) idlers = g_ptr_array_new_with_free_func(g_free);
	agent_report *report = agent_report_new(account);
	agent_options watch_options = *options;
	gboolean again;
	int64_t backoff = 1;
	agent_run run;

	watch_options.stop = watch;
	agent_run_init(&run, config, account, rules, &watch_options, report);
	for (guint i = 1; account->mailboxes[i] != NULL && i <= AGENT_MAX_IDLERS; i++) {
		agent_idler *idler = g_new0(agent_idler, 1);

		idler->watch = watch;
		idler->account = account;
		idler->mailbox = account->mailboxes[i];
		idler->thread = g_thread_new(account->id, agent_idler_thread, idler);
		g_ptr_array_add(idlers, idler);
	}
	while (!agent_watch_stopping(watch)) {
		if (agent_open(&run) < 0 || agent_sync_all(&run) < 0) {
			/* Exponential backoff with jitter, so that many accounts
			 * on one server that went down do not all come back in
			 * the same second. */
			int64_t delay = backoff + g_random_int_range(0, (gint32)backoff + 1);

			log_error("account %s: %s; retrying in %" G_GINT64_FORMAT " s", account->id,
				  report->error != NULL ? report->error : "failed", delay);
			agent_status(&run, "backing-off", report->error, FALSE);
			agent_report_log_and_reset(&run);
			imap_session_free(&run.imap);
			g_hash_table_remove_all(run.known_mailboxes);
			backoff = MIN(backoff * 2, 300);
			agent_watch_sleep(watch, delay);
			continue;
		}
		backoff = 1;
		/* Mail that arrived while a sync was busy was announced in the
		 * replies to its commands, so IDLE would not report it: after a
		 * sync that found something, sync again before waiting. */
		again = report->messages > 0;
		agent_report_log_and_reset(&run);
		/* Stay connected: wait, sync, wait... until the session breaks. */
		while (!agent_watch_stopping(watch)) {
			if (!again && agent_wait_for_mail(&run, watch) < 0)
				break;
			if (agent_watch_stopping(watch))
				break;
			/* What the server refused for now is tried again here,
			 * on the same connection. */
			if (run.retry_planned) {
				run.retry_planned = FALSE;
				if (agent_recover(&run) < 0)
					break;
			}
			if (agent_sync_all(&run) < 0) {
				/* "Not now" (RFC 5530) is no reason to reconnect:
				 * the session is fine; wait and sync again. */
				if (run.imap != NULL && imap_session_usable(run.imap) &&
				    run.sync_failures > 0 &&
				    run.sync_failures == run.sync_failures_temporary) {
					log_warning("account %s: %s; trying again at the next sync",
						    account->id, report->error != NULL ? report->error
										: "refused for now");
					agent_report_log_and_reset(&run);
					again = FALSE;
					continue;
				}
				break;
			}
			again = report->messages > 0;
			agent_report_log_and_reset(&run);
		}
		if (!agent_watch_stopping(watch)) {
			log_warning("account %s: %s; reconnecting", account->id,
				    report->error != NULL ? report->error : "connection lost");
			agent_report_log_and_reset(&run);
		}
		imap_session_free(&run.imap);
		g_hash_table_remove_all(run.known_mailboxes);
	}
	for (guint i = 0; i < idlers->len; i++) {
		agent_idler *idler = g_ptr_array_index(idlers, i);

		g_thread_join(idler->thread);
	}
	agent_status(&run, "stopped", NULL, FALSE);
	agent_run_deinit(&run);
	agent_report_free(report);
	return 0;
}
