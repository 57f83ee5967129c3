/* The sender thread (thread.h). */
#include "outbox/thread.h"
#include "outbox/sender.h"
#include "util/clock.h"
#include "util/log.h"

static GMutex outbox_lock;
static GCond outbox_cond;
static GThread *outbox_thread;
static gboolean outbox_stopping, outbox_woken;

static gpointer outbox_thread_main(gpointer data)
{
	const conf *config = data;
	store *st = NULL;
	char *error = NULL;

	for (;;) {
		int64_t now = clock_now_unix(), due = 0, wait = OUTBOX_THREAD_TICK;
		outbox_round round = { 0 };

		if (st == NULL && store_open(config->database, &st, &error) < 0) {
			log_error("outbox: %s", error);
			g_clear_pointer(&error, g_free);
		}
		if (st != NULL && outbox_send_due(config, st, now, &round, &error) < 0) {
			log_error("outbox: %s", error);
			g_clear_pointer(&error, g_free);
			store_close(&st); /* reopened next time */
		}
		if (st != NULL && store_outbox_next_due(st, &due, &error) < 0) {
			log_error("outbox: %s", error);
			g_clear_pointer(&error, g_free);
		}
		if (due > 0)
			wait = CLAMP(due - clock_now_unix(), 1, OUTBOX_THREAD_TICK);

		g_mutex_lock(&outbox_lock);
		if (!outbox_stopping && !outbox_woken)
			(void)g_cond_wait_until(&outbox_cond, &outbox_lock,
						g_get_monotonic_time() + wait * G_TIME_SPAN_SECOND);
		outbox_woken = FALSE;
		if (outbox_stopping) {
			g_mutex_unlock(&outbox_lock);
			break;
		}
		g_mutex_unlock(&outbox_lock);
	}
	store_close(&st);
	return NULL;
}

void outbox_thread_start(const conf *config)
{
	g_mutex_lock(&outbox_lock);
	outbox_stopping = FALSE;
	outbox_woken = FALSE;
	g_mutex_unlock(&outbox_lock);
	outbox_thread = g_thread_new("outbox", outbox_thread_main, (gpointer)config);
}

void outbox_thread_wake(void)
{
	g_mutex_lock(&outbox_lock);
	outbox_woken = TRUE;
	g_cond_signal(&outbox_cond);
	g_mutex_unlock(&outbox_lock);
}

void outbox_thread_stop(void)
{
	if (outbox_thread == NULL)
		return;
	g_mutex_lock(&outbox_lock);
	outbox_stopping = TRUE;
	g_cond_signal(&outbox_cond);
	g_mutex_unlock(&outbox_lock);
	g_thread_join(outbox_thread);
	outbox_thread = NULL;
}
