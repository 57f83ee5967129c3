/* The timer thread of `vea run` (timers.h): as the outbox's sender
 * thread, one per process, with its own database connection; a timer is
 * claimed with a lease, so two vea processes never fire one twice. */
#include "agent/timers.h"
#include "util/clock.h"
#include "util/log.h"

static GMutex timers_lock;
static GCond timers_cond;
static GThread *timers_thread;
static gboolean timers_stopping, timers_woken;

static gpointer timers_thread_main(gpointer data)
{
	const conf *config = data;
	g_autoptr(GHashTable) sessions = agent_timer_sessions_new();
	store *st = NULL;
	char *error = NULL;

	/* Started with a config (vea run, a reload): what it changed. */
	if (store_open(config->database, &st, &error) == 0) {
		guint moved = 0;

		if (agent_timers_reschedule(config, st, &moved, &error) < 0) {
			log_error("timers: %s", error);
			g_clear_pointer(&error, g_free);
		}
	} else {
		log_error("timers: %s", error);
		g_clear_pointer(&error, g_free);
	}
	for (;;) {
		int64_t now = clock_now_unix(), due = 0, wait = AGENT_TIMER_TICK;
		agent_timer_round round = { 0 };

		if (st == NULL && store_open(config->database, &st, &error) < 0) {
			log_error("timers: %s", error);
			g_clear_pointer(&error, g_free);
		}
		if (st != NULL && agent_timers_fire_due(config, st, NULL, now, sessions, &round, &error) < 0) {
			log_error("timers: %s", error);
			g_clear_pointer(&error, g_free);
			store_close(&st); /* reopened next time */
		}
		if (st != NULL && store_timer_next_due(st, clock_now_unix(), &due, &error) < 0) {
			log_error("timers: %s", error);
			g_clear_pointer(&error, g_free);
		}
		if (due > 0)
			wait = CLAMP(due - clock_now_unix(), 1, AGENT_TIMER_TICK);
		/* Timers one after another (a large practice fires one a
		 * second) keep their connections; a pause closes them, before
		 * a server would time them out. */
		if (due == 0 || due - clock_now_unix() > AGENT_TIMER_KEEP_SESSIONS)
			g_hash_table_remove_all(sessions);

		g_mutex_lock(&timers_lock);
		if (!timers_stopping && !timers_woken)
			(void)g_cond_wait_until(&timers_cond, &timers_lock,
						g_get_monotonic_time() + wait * G_TIME_SPAN_SECOND);
		timers_woken = FALSE;
		if (timers_stopping) {
			g_mutex_unlock(&timers_lock);
			break;
		}
		g_mutex_unlock(&timers_lock);
	}
	store_close(&st);
	return NULL;
}

void agent_timers_thread_start(const conf *config)
{
	g_mutex_lock(&timers_lock);
	timers_stopping = FALSE;
	timers_woken = FALSE;
	g_mutex_unlock(&timers_lock);
	timers_thread = g_thread_new("timers", timers_thread_main, (gpointer)config);
}

void agent_timers_thread_wake(void)
{
	g_mutex_lock(&timers_lock);
	timers_woken = TRUE;
	g_cond_signal(&timers_cond);
	g_mutex_unlock(&timers_lock);
}

void agent_timers_thread_stop(void)
{
	if (timers_thread == NULL)
		return;
	g_mutex_lock(&timers_lock);
	timers_stopping = TRUE;
	g_cond_signal(&timers_cond);
	g_mutex_unlock(&timers_lock);
	g_thread_join(timers_thread);
	timers_thread = NULL;
}
