/* The outbox in vea run: what a pass queued is sent after it (--once);
 * while watching, the sender thread (src/outbox/thread.h) runs beside
 * the accounts' threads, started and stopped in watch.c. */
#include "daemon/daemon-private.h"
#include "agent/timers.h"
#include "outbox/sender.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"

void daemon_send_outbox(const daemon_setup *setup)
{
	outbox_round round = { 0 };
	store *st = NULL;
	char *error = NULL;

	if (store_open(setup->config->database, &st, &error) < 0 ||
	    outbox_send_due(setup->config, st, clock_now_unix(), &round, &error) < 0) {
		log_error("outbox: %s", error);
		g_free(error);
	} else if (round.sent + round.retried + round.failed + round.held > 0) {
		log_info("outbox: %u sent, %u to retry, %u failed, %u held%s", round.sent,
			 round.retried, round.failed, round.held,
			 round.resent > 0 ? " (some sent again after a lost answer)" : "");
	}
	store_close(&st);
}

void daemon_fire_timers(const daemon_setup *setup, const char *const *only)
{
	agent_timer_round round = { 0 };
	store *st = NULL;
	char *error = NULL;
	guint moved = 0;

	if (store_open(setup->config->database, &st, &error) < 0 ||
	    agent_timers_reschedule(setup->config, st, &moved, &error) < 0 ||
	    agent_timers_fire_due(setup->config, st, only, clock_now_unix(), NULL, &round, &error) < 0) {
		log_error("timers: %s", error);
		g_free(error);
	} else if (round.fired + round.answered + round.cancelled + round.waiting > 0) {
		log_info("timers: %u fired (%u late), %u answered, %u cancelled, %u waiting",
			 round.fired, round.late, round.answered, round.cancelled, round.waiting);
	}
	store_close(&st);
}
