#ifndef VEA_DAEMON_DAEMON_H
#define VEA_DAEMON_DAEMON_H

/* vea run's daemon: every selected account in a thread of its own, in
 * one process (doc/DESIGN.md, "One process, one thread per account"),
 * either for one pass or watching until SIGTERM, with SIGHUP reloading
 * the config and the rules and a minute tick sending the digests due.
 *
 * The CLI (src/cli/cmd-run.c) parses the arguments, loads the config,
 * calls these and prints; the daemon logs (util/log.h) but prints
 * nothing, and hands setup errors back for the CLI to show. */

#include <glib.h>
#include "agent/agent.h"
#include "agent/rules.h"
#include "conf/conf.h"

/* What the daemon runs with: the config and every client's compiled
 * rules, shared read-only by the account threads and swapped whole on
 * SIGHUP. */
typedef struct daemon_setup {
	conf *config;
	GHashTable *rules; /* client id -> rules_set * (absent: no rule files) */
} daemon_setup;

/* Compile the rule files of every client of config. Each client's rules
 * compile all together or not at all (rules_set_compile); every error of
 * every file is appended to errors as "file:line:col: message". Returns
 * a new table of client id -> rules_set * (g_hash_table_destroy), with
 * the clients whose rules compiled; vea config check uses it too, so
 * that "configuration OK" means vea run takes the same rules. */
GHashTable *daemon_rules_compile(const conf *config, GPtrArray *errors);

/* Take config (freed on failure too), compile every client's rules, and
 * create or migrate the database once, before any account thread opens
 * it. All or nothing, so that vea never half-applies a rule set:
 * returns the setup, or NULL with every error appended to errors. */
daemon_setup *daemon_setup_new(conf *config, GPtrArray *errors);
void daemon_setup_free(daemon_setup **setup);

/* The client's compiled rules, or NULL when it has no rule files. */
const rules_set *daemon_setup_get_rules(const daemon_setup *setup,
					const conf_client *client);

/* Whether account is one of only (a NULL-terminated list of account ids;
 * NULL: every account is). */
gboolean daemon_account_selected(const conf_account *account,
				 const char *const *only);

/* vea run --once: one pass over the selected accounts, each in its own
 * thread, so that a slow or dead server never holds up the others.
 * Returns one agent_report per account, in the config's order (a new
 * array that frees them: g_ptr_array_unref), and sets *worst_r to the
 * worst failure of any account (AGENT_FAILURE_NONE when every account
 * went through). An account that fails is logged. */
GPtrArray *daemon_run_once(const daemon_setup *setup, const char *const *only,
			   const agent_options *options,
			   agent_failure *worst_r);

/* After a pass (not in a dry run): send what is due in the outbox, what
 * the pass queued included, and log what happened; what must wait for a
 * retry waits for the next run (vea outbox shows it). */
void daemon_send_outbox(const daemon_setup *setup);

/* After a pass (not in a dry run), before the outbox is sent: fire the
 * reminders and snoozes due (late ones too, logged late), of the accounts
 * in only (NULL: all). While watching, the timer thread does this
 * (agent/timers.h). */
void daemon_fire_timers(const daemon_setup *setup, const char *const *only);

/* Where a reload gets its new setup: the CLI loads the config again and
 * shows what is wrong with it; NULL keeps the old one running. */
typedef daemon_setup *(*daemon_reload_fn)(void *data);

/* vea run: watch the selected accounts until SIGTERM or SIGINT, telling
 * the service manager how it goes (util/service-notify.h). Call from the
 * main thread before any other thread is started: SIGTERM, SIGINT and
 * SIGHUP are blocked in every thread and taken here. SIGHUP calls
 * reload; when it gives a new setup, the watchers finish what they have
 * in hand and start again with it. Every minute without a signal, the
 * digests due are sent, and the outbox's sender thread runs beside the
 * accounts' (neither in a dry run). Takes setup, and frees
 * whichever setup is current when it returns; returns once every
 * watcher has finished what it had in hand. */
void daemon_watch(daemon_setup *setup, const char *const *only,
		  const agent_options *options, daemon_reload_fn reload,
		  void *reload_data);

#endif
