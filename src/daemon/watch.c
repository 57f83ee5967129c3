/* The main thread's loop while vea run watches: signals taken
 * synchronously, SIGHUP reload, the minute tick, stopping; the threads
 * started and stopped around it (accounts: daemon.c; the outbox's
 * sender: src/outbox/thread.h). */
#include "daemon/daemon-private.h"
#include "agent/timers.h"
#include "outbox/thread.h"
#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>

/* A minute: how often the digests due are looked for. */
#define DAEMON_TICK_SECONDS 60

typedef enum watch_signal {
	WATCH_SIGNAL_NONE,    /* interrupted by something else: wait again */
	WATCH_SIGNAL_TIMEOUT, /* a tick went by without a signal */
	WATCH_SIGNAL_RELOAD,  /* SIGHUP */
	WATCH_SIGNAL_STOP,    /* SIGTERM or SIGINT */
} watch_signal;

static sigset_t watch_signals;

/* SIGTERM, SIGINT and SIGHUP are blocked in every thread (the watchers
 * inherit the mask, so no blocking call of theirs is cut short by EINTR)
 * and taken synchronously by the main thread. */
static void watch_block_signals(void)
{
	sigemptyset(&watch_signals);
	sigaddset(&watch_signals, SIGTERM);
	sigaddset(&watch_signals, SIGINT);
	sigaddset(&watch_signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &watch_signals, NULL);
}

static watch_signal watch_wait_signal(void)
{
	const struct timespec tick = { DAEMON_TICK_SECONDS, 0 };
	int signo = sigtimedwait(&watch_signals, NULL, &tick);

	if (signo < 0)
		return errno == EAGAIN ? WATCH_SIGNAL_TIMEOUT : WATCH_SIGNAL_NONE;
	if (signo == SIGHUP)
		return WATCH_SIGNAL_RELOAD;
	return WATCH_SIGNAL_STOP;
}

/* SIGHUP: the new config and rules first; only when all of it compiles
 * are the watchers stopped and started again with it. */
static void watch_reload(daemon_setup **setup, daemon_watchers **watchers,
			 const char *const *only, const agent_options *options,
			 daemon_reload_fn reload, void *reload_data)
{
	daemon_setup *fresh;

	daemon_service_reloading();
	fresh = reload(reload_data);
	if (fresh == NULL) {
		/* The watchers go on undisturbed with the old rules. */
		log_error("reload: the new config or rules have errors (above); still running the old ones");
		daemon_service_ready(daemon_watchers_count(*watchers));
		return;
	}
	daemon_watchers_stop(watchers);
	outbox_thread_stop();
	agent_timers_thread_stop();
	daemon_setup_free(setup);
	*setup = fresh;
	if (!options->dry_run) {
		outbox_thread_start((*setup)->config);
		agent_timers_thread_start((*setup)->config);
	}
	daemon_raise_fd_limit((*setup)->config, only);
	*watchers = daemon_watchers_start(*setup, only, options);
	log_info("reload: config and rules reloaded; watching %u accounts",
		 daemon_watchers_count(*watchers));
	daemon_service_ready(daemon_watchers_count(*watchers));
}

void daemon_watch(daemon_setup *setup, const char *const *only,
		  const agent_options *options, daemon_reload_fn reload,
		  void *reload_data)
{
	daemon_watchers *watchers;
	gboolean stop = FALSE;

	watch_block_signals();
	daemon_raise_fd_limit(setup->config, only);
	watchers = daemon_watchers_start(setup, only, options);
	log_info("watching %u accounts (IDLE where the server has it, else polling every %d s)",
		 daemon_watchers_count(watchers), setup->config->poll_interval);
	if (!options->dry_run) {
		outbox_thread_start(setup->config);
		agent_timers_thread_start(setup->config);
	}
	daemon_service_ready(daemon_watchers_count(watchers));
	while (!stop) {
		switch (watch_wait_signal()) {
		case WATCH_SIGNAL_NONE:
			break;
		case WATCH_SIGNAL_TIMEOUT:
			/* On this thread, so SIGTERM and SIGHUP wait behind
			 * a slow tick (the journal keeps that safe;
			 * doc/DESIGN.md, "Running as a service"). */
			daemon_tick(options->dry_run ? NULL : setup->config);
			break;
		case WATCH_SIGNAL_RELOAD:
			watch_reload(&setup, &watchers, only, options, reload, reload_data);
			break;
		case WATCH_SIGNAL_STOP:
			stop = TRUE;
			break;
		}
	}
	daemon_service_stopping();
	log_info("stopping: finishing what is in hand");
	daemon_watchers_stop(&watchers);
	outbox_thread_stop();
	agent_timers_thread_stop();
	daemon_setup_free(&setup);
}
