/* vea run: the agent's main job. */
#include "cli/cli.h"
#include "agent/agent.h"
#include "agent/rules.h"
#include "digest/schedule.h"
#include "store/store.h"
#include "util/log.h"
#include "util/money.h"

#include <errno.h>
#include <pthread.h>
#include "outbox/sender.h"
#include "outbox/thread.h"
#include "util/clock.h"
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The config and every client's compiled rules: swapped whole on SIGHUP. */
typedef struct run_setup {
	conf *config;
	GHashTable *rules; /* client id -> rules_set * (absent: no rule files) */
} run_setup;

static void run_setup_free(run_setup *setup)
{
	if (setup == NULL)
		return;
	if (setup->rules != NULL)
		g_hash_table_destroy(setup->rules);
	conf_free(&setup->config);
	g_free(setup);
}

static void run_rules_free(gpointer data)
{
	rules_set *set = data;

	rules_set_free(&set);
}

/* Load the config and compile every client's rules. All or nothing: a
 * single error anywhere and nothing runs (vea never half-applies a rule
 * set). Errors are printed, every one of them. */
static run_setup *run_setup_load(const cli_context *ctx)
{
	run_setup *setup = g_new0(run_setup, 1);
	g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);

	setup->config = cli_load_config(ctx);
	if (setup->config == NULL) {
		g_free(setup);
		return NULL;
	}
	setup->rules = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, run_rules_free);
	for (guint i = 0; i < setup->config->clients->len; i++) {
		conf_client *client = g_ptr_array_index(setup->config->clients, i);
		rules_set *set = NULL;

		if (client->rules[0] == NULL)
			continue;
		if (rules_set_compile(setup->config, client, &set, errors) == 0)
			g_hash_table_insert(setup->rules, client->id, set);
	}
	/* Create and migrate the database once, here, before any account
	 * thread opens it; a database that cannot be opened stops vea before
	 * it touches any mailbox. */
	if (errors->len == 0) {
		store *st = NULL;
		char *error = NULL;

		if (store_open(setup->config->database, &st, &error) < 0)
			g_ptr_array_add(errors, error);
		store_close(&st);
	}
	if (errors->len > 0) {
		for (guint i = 0; i < errors->len; i++)
			fprintf(stderr, "%s\n", (const char *)g_ptr_array_index(errors, i));
		run_setup_free(setup);
		return NULL;
	}
	return setup;
}

typedef struct run_job {
	const run_setup *setup;
	const conf_account *account;
	const agent_options *options;
	agent_report *report;
	GThread *thread;
} run_job;

static gpointer run_job_thread(gpointer data)
{
	run_job *job = data;
	const rules_set *rules = g_hash_table_lookup(job->setup->rules, job->account->client->id);

	if (agent_run_account(job->setup->config, job->account, rules, job->options,
			      job->report) < 0 && job->report->error != NULL)
		log_error("account %s: %s", job->account->id, job->report->error);
	return NULL;
}

static void run_print_summary(const run_setup *setup, GPtrArray *jobs, gboolean dry_run)
{
	const conf *config = setup->config;

	for (guint c = 0; c < config->clients->len; c++) {
		const conf_client *client = g_ptr_array_index(config->clients, c);
		g_autoptr(GHashTable) billed = g_hash_table_new(g_str_hash, g_str_equal);
		gboolean any = FALSE;

		for (guint j = 0; j < jobs->len; j++) {
			run_job *job = g_ptr_array_index(jobs, j);
			agent_report *report = job->report;

			if (job->account->client != client)
				continue;
			if (!any)
				printf("%s (%s)\n", client->name, client->id);
			any = TRUE;
			if (report->failed && report->messages == 0) {
				printf("  %s: FAILED: %s\n", job->account->id, report->error);
				continue;
			}
			printf("  %s: %u new message%s%s%s\n", job->account->id, report->messages,
			       report->messages == 1 ? "" : "s", dry_run ? " (dry run: nothing changed)" : "",
			       report->failed ? " (then failed; see above)" : "");
			if (report->recovered > 0)
				printf("    completed %u actions left from an earlier run\n", report->recovered);
			if (report->recovery_failed > 0)
				printf("    of which %u failed (see vea log); the last: %s\n",
				       report->recovery_failed, report->recovery_error);
			for (guint k = 0; k < report->summary_keys->len; k++) {
				const char *key = g_ptr_array_index(report->summary_keys, k);

				printf("    %-40s %u\n", key,
				       GPOINTER_TO_UINT(g_hash_table_lookup(report->summary_counts, key)));
			}
			if (report->failed_actions > 0)
				printf("    %-40s %u (see vea log)\n", "actions that failed", report->failed_actions);
			for (guint k = 0; k < report->dry_run_lines->len; k++)
				printf("    %s\n", (const char *)g_ptr_array_index(report->dry_run_lines, k));

			GHashTableIter iter;
			gpointer key, value;

			g_hash_table_iter_init(&iter, report->billed);
			while (g_hash_table_iter_next(&iter, &key, &value)) {
				int64_t *total = g_hash_table_lookup(billed, key);

				if (total == NULL) {
					total = value;
					g_hash_table_insert(billed, key, g_memdup2(total, sizeof(*total)));
				} else {
					*total += *(int64_t *)value;
				}
			}
		}
		if (!any)
			continue;
		if (g_hash_table_size(billed) == 0) {
			printf("  time billed: none\n");
		} else {
			GHashTableIter iter;
			gpointer key, value;

			g_hash_table_iter_init(&iter, billed);
			while (g_hash_table_iter_next(&iter, &key, &value)) {
				const conf_billing *billing = conf_find_billing(config, key);
				int64_t seconds = *(int64_t *)value;
				g_autofree char *duration = money_format_duration(seconds);
				g_autofree char *amount = money_format(money_for_seconds(seconds, billing->rate),
								       billing->currency);
				g_autofree char *rate = money_format(billing->rate, billing->currency);

				printf("  time billed to %s: %s = %s (at %s/h)\n", billing->id, duration,
				       amount, rate);
				g_free(value);
			}
		}
	}
}

/* One pass over the selected accounts, each in its own thread, so a slow
 * or dead server never holds up the others. Returns the worst failure of
 * any account, AGENT_FAILURE_NONE when every account went through. */
static agent_failure run_pass(const run_setup *setup, char **only, const agent_options *options,
			      gboolean print_summary)
{
	g_autoptr(GPtrArray) jobs = g_ptr_array_new();
	agent_failure worst = AGENT_FAILURE_NONE;

	for (guint i = 0; i < setup->config->accounts->len; i++) {
		const conf_account *account = g_ptr_array_index(setup->config->accounts, i);
		run_job *job;

		if (only != NULL && !g_strv_contains((const char *const *)only, account->id))
			continue;
		job = g_new0(run_job, 1);
		job->setup = setup;
		job->account = account;
		job->options = options;
		job->report = agent_report_new(account);
		job->thread = g_thread_new(account->id, run_job_thread, job);
		g_ptr_array_add(jobs, job);
	}
	for (guint i = 0; i < jobs->len; i++) {
		run_job *job = g_ptr_array_index(jobs, i);

		g_thread_join(job->thread);
		/* The worst decides: OTHER > LOST > UNREACHABLE. */
		if (job->report->failed)
			worst = MAX(worst, job->report->failure != AGENT_FAILURE_NONE
						   ? job->report->failure : AGENT_FAILURE_OTHER);
	}
	if (print_summary)
		run_print_summary(setup, jobs, options->dry_run);
	for (guint i = 0; i < jobs->len; i++) {
		run_job *job = g_ptr_array_index(jobs, i);

		agent_report_free(job->report);
		g_free(job);
	}
	fflush(stdout);
	return worst;
}

/* One thread per account, watching until told to stop, all in this
 * process. Threads rather than processes: libetpan blocks, so each
 * account needs its own flow of control, and threads share the compiled
 * rules and config read-only (see doc/DESIGN.md). */
typedef struct run_watcher {
	const run_setup *setup;
	const conf_account *account;
	const agent_options *options;
	agent_watch *watch;
	GThread *thread;
} run_watcher;

typedef struct run_watchers {
	GPtrArray *jobs;     /* run_watcher * */
	guint accounts;      /* how many accounts are watched */
} run_watchers;

static gpointer run_watcher_thread(gpointer data)
{
	run_watcher *job = data;
	const rules_set *rules = g_hash_table_lookup(job->setup->rules, job->account->client->id);

	agent_watch_account(job->setup->config, job->account, rules, job->options, job->watch);
	return NULL;
}

static run_watchers *run_watchers_start(const run_setup *setup, char **only,
					const agent_options *options)
{
	run_watchers *watchers = g_new0(run_watchers, 1);

	watchers->jobs = g_ptr_array_new();
	for (guint i = 0; i < setup->config->accounts->len; i++) {
		const conf_account *account = g_ptr_array_index(setup->config->accounts, i);
		run_watcher *job;

		if (only != NULL && !g_strv_contains((const char *const *)only, account->id))
			continue;
		job = g_new0(run_watcher, 1);
		job->setup = setup;
		job->account = account;
		job->options = options;
		job->watch = agent_watch_new();
		job->thread = g_thread_new(account->id, run_watcher_thread, job);
		g_ptr_array_add(watchers->jobs, job);
	}
	watchers->accounts = watchers->jobs->len;
	return watchers;
}

/* Ask every watcher to stop, then wait for each: what each has in hand is
 * journalled and carried out, or left planned for the next start. */
static void run_watchers_stop(run_watchers *watchers)
{
	for (guint i = 0; i < watchers->jobs->len; i++)
		agent_watch_stop(((run_watcher *)g_ptr_array_index(watchers->jobs, i))->watch);
	for (guint i = 0; i < watchers->jobs->len; i++) {
		run_watcher *job = g_ptr_array_index(watchers->jobs, i);

		g_thread_join(job->thread);
		agent_watch_free(job->watch);
		g_free(job);
	}
	g_ptr_array_unref(watchers->jobs);
	g_free(watchers);
}

static sigset_t run_signals;

/* Descriptors: every IMAP connection holds two (its socket and the
 * eventfd that interrupts its IDLE, src/imap/stream.h), an account's
 * SQLite connection three while it syncs, and an account watches each
 * mailbox (up to five) on a connection of its own. Nothing in
 * vea waits with select() (stream.c waits with poll(), libcurl too), so
 * no descriptor number is too high and one process serves every account:
 * the soft limit, often 1,024, is raised to the hard one, and a hard
 * limit too low for the accounts is said at the start rather than found
 * as failed connections later. */
static void run_raise_fd_limit(const run_setup *setup, char **only)
{
	struct rlimit limit;
	guint64 needed = 64;

	for (guint i = 0; i < setup->config->accounts->len; i++) {
		const conf_account *account = g_ptr_array_index(setup->config->accounts, i);

		if (only == NULL || g_strv_contains((const char *const *)only, account->id))
			needed += 3 + 2 * (guint64)MIN(g_strv_length(account->mailboxes), 5);
	}
	if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
		return;
	if (limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &limit) < 0)
			getrlimit(RLIMIT_NOFILE, &limit);
	}
	if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed)
		log_warning("the descriptor limit is %llu and these accounts may need %llu: "
			    "raise it (ulimit -n, systemd LimitNOFILE=)",
			    (unsigned long long)limit.rlim_cur, (unsigned long long)needed);
}

/* SIGTERM, SIGINT and SIGHUP are blocked in every thread (the watchers
 * inherit the mask, so no blocking call of theirs is cut short by EINTR)
 * and taken synchronously by the main thread. */
static void run_block_signals(void)
{
	sigemptyset(&run_signals);
	sigaddset(&run_signals, SIGTERM);
	sigaddset(&run_signals, SIGINT);
	sigaddset(&run_signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &run_signals, NULL);
}

/* Wait for a signal that asks something of us; TRUE for stop, FALSE for
 * reload. */
static gboolean run_wait_signal(const conf *config)
{
	const struct timespec tick = { 60, 0 };

	for (;;) {
		int signo = sigtimedwait(&run_signals, NULL, &tick);

		/* A minute without a signal: send the digests now due (none
		 * in a dry run: config NULL). */
		if (signo < 0 && errno == EAGAIN && config != NULL)
			digest_send_due(config);

		if (signo == SIGHUP)
			return FALSE;
		if (signo == SIGTERM || signo == SIGINT)
			return TRUE;
	}
}

/* vea run --once: send what is due in the outbox, and say what
 * happened. */
static void run_send_outbox(const conf *config)
{
	outbox_round round = { 0 };
	store *st = NULL;
	char *error = NULL;

	if (store_open(config->database, &st, &error) < 0 ||
	    outbox_send_due(config, st, clock_now_unix(), &round, &error) < 0) {
		log_error("outbox: %s", error);
		g_free(error);
	} else if (round.sent + round.retried + round.failed + round.held > 0) {
		log_info("outbox: %u sent, %u to retry, %u failed, %u held%s", round.sent,
			 round.retried, round.failed, round.held,
			 round.resent > 0 ? " (some sent again after a lost answer)" : "");
	}
	store_close(&st);
}

int cmd_run(cli_context *ctx, int argc, char **argv)
{
	gboolean once = FALSE, dry_run = FALSE;
	g_auto(GStrv) only = NULL;
	g_autoptr(GPtrArray) accounts = g_ptr_array_new();
	agent_options options = { 0 };
	run_setup *setup;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0) {
			once = TRUE;
		} else if (strcmp(argv[i], "--dry-run") == 0) {
			dry_run = TRUE;
		} else if (strcmp(argv[i], "--account") == 0 && i + 1 < argc) {
			g_ptr_array_add(accounts, g_strdup(argv[++i]));
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("Usage: vea run [--once] [--dry-run] [--account ID]...\n"
			       "  --once       one pass over every account, then exit\n"
			       "  --dry-run    show what would be done; change no mailbox and no ledger\n"
			       "  --account ID only this account (repeatable)\n");
			return CLI_EXIT_OK;
		} else {
			fprintf(stderr, "vea run: unknown argument '%s' (see vea run --help)\n", argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	setup = run_setup_load(ctx);
	if (setup == NULL) {
		fprintf(stderr, "vea: nothing was done: fix the errors above first\n");
		return CLI_EXIT_CONFIG;
	}
	if (accounts->len > 0) {
		for (guint i = 0; i < accounts->len; i++) {
			if (conf_find_account(setup->config, g_ptr_array_index(accounts, i)) == NULL) {
				fprintf(stderr, "vea run: unknown account '%s' in %s\n",
					(const char *)g_ptr_array_index(accounts, i), setup->config->path);
				run_setup_free(setup);
				return CLI_EXIT_USAGE;
			}
		}
		g_ptr_array_add(accounts, NULL);
		only = (char **)g_ptr_array_free(g_steal_pointer(&accounts), FALSE);
	}
	options.dry_run = dry_run;
	options.progress = isatty(STDERR_FILENO);

	if (once) {
		agent_failure failure = run_pass(setup, only, &options, TRUE);

		/* What the pass queued goes now; what must wait for a retry
		 * waits for the next run (vea outbox shows it). */
		if (!dry_run)
			run_send_outbox(setup->config);
		run_setup_free(setup);
		/* sysexits(3), so that a timer or a script can tell "try again
		 * later" from "something needs fixing". */
		switch (failure) {
		case AGENT_FAILURE_NONE:
			return CLI_EXIT_OK;
		case AGENT_FAILURE_UNREACHABLE:
			return CLI_EXIT_UNAVAILABLE;
		case AGENT_FAILURE_LOST:
			return CLI_EXIT_TEMPFAIL;
		default:
			return CLI_EXIT_FAILURE;
		}
	}

	run_block_signals();
	log_set_timestamps(!isatty(STDERR_FILENO));
	run_raise_fd_limit(setup, only);
	run_watchers *watchers = run_watchers_start(setup, only, &options);
	log_info("watching %u accounts (IDLE where the server has it, else polling every %d s)",
		 watchers->accounts, setup->config->poll_interval);
	if (!dry_run)
		outbox_thread_start(setup->config);
	cli_service_ready(watchers->accounts);
	while (!run_wait_signal(dry_run ? NULL : setup->config)) {
		run_setup *fresh;

		cli_service_reloading();
		fresh = run_setup_load(ctx);
		if (fresh == NULL) {
			/* The watchers go on undisturbed with the old rules. */
			log_error("reload: the new config or rules have errors (above); still running the old ones");
			cli_service_ready(watchers->accounts);
			continue;
		}
		run_watchers_stop(watchers);
		outbox_thread_stop();
		run_setup_free(setup);
		setup = fresh;
		if (!dry_run)
			outbox_thread_start(setup->config);
		run_raise_fd_limit(setup, only);
		watchers = run_watchers_start(setup, only, &options);
		log_info("reload: config and rules reloaded; watching %u accounts", watchers->accounts);
		cli_service_ready(watchers->accounts);
	}
	cli_service_stopping();
	log_info("stopping: finishing what is in hand");
	run_watchers_stop(watchers);
	outbox_thread_stop();
	run_setup_free(setup);
	return CLI_EXIT_OK;
}
