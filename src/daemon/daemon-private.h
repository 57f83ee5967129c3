#ifndef VEA_DAEMON_DAEMON_PRIVATE_H
#define VEA_DAEMON_DAEMON_PRIVATE_H

/* Inside src/daemon only. Which file answers which question:
 *
 *   setup.c    what the daemon runs with (config, compiled rules, the
 *              database created) and which accounts are selected
 *   daemon.c   the account threads and their lifetime: a pass, watchers
 *   watch.c    the main thread's loop: signals taken synchronously,
 *              SIGHUP reload, the minute tick, stopping
 *   tick.c     what the minute tick does (the digests due)
 *   outbox.c   the outbox after a pass (its thread: watch.c)
 *   limits.c   the process's descriptor limit for the accounts
 *   service.c  telling the service manager (sd_notify) */

#include "daemon/daemon.h"

/* daemon.c: one thread per selected account, watching until stopped. */
typedef struct daemon_watchers daemon_watchers;
daemon_watchers *daemon_watchers_start(const daemon_setup *setup,
				       const char *const *only,
				       const agent_options *options);
guint daemon_watchers_count(const daemon_watchers *watchers);
/* Ask every watcher to stop, then wait for each: what each has in hand
 * is journalled and carried out, or left planned for the next start. */
void daemon_watchers_stop(daemon_watchers **watchers);

/* tick.c: the work of one minute tick (config NULL: none, a dry run). */
void daemon_tick(const conf *config);

/* limits.c: raise the soft descriptor limit to the hard one, and warn
 * when even that is too low for the selected accounts. */
void daemon_raise_fd_limit(const conf *config, const char *const *only);

/* service.c: the sd_notify calls, their failures logged (a notification
 * that cannot be sent must not stop the daemon: systemd then times the
 * start out and says why). After daemon_service_reloading,
 * daemon_service_ready must follow, whether the reload worked or not. */
void daemon_service_ready(guint accounts);
void daemon_service_reloading(void);
void daemon_service_stopping(void);

#endif
