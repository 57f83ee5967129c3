/* vea run: the arguments, then the daemon (src/daemon) for one pass or
 * for watching, and what a pass did, printed. */
#include "cli/cli.h"
#include "daemon/daemon.h"
#include "util/log.h"
#include "util/money.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Load the config and what the daemon runs with. All or nothing: a
 * single error anywhere and nothing runs (vea never half-applies a rule
 * set). Errors are printed, every one of them. Also the daemon's reload
 * (daemon_reload_fn), so that a SIGHUP reads the config the start did. */
static daemon_setup *run_setup_load(void *data)
{
	const cli_context *ctx = data;
	g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
	daemon_setup *setup;
	conf *config = cli_load_config(ctx);

	if (config == NULL)
		return NULL;
	setup = daemon_setup_new(config, errors);
	for (guint i = 0; i < errors->len; i++)
		fprintf(stderr, "%s\n", (const char *)g_ptr_array_index(errors, i));
	return setup;
}

/* What --once did, by client: each account's counts, then the time
 * billed to each billing account. */
static void run_print_summary(const conf *config, const GPtrArray *reports, gboolean dry_run)
{
	for (guint c = 0; c < config->clients->len; c++) {
		const conf_client *client = g_ptr_array_index(config->clients, c);
		g_autoptr(GHashTable) billed = g_hash_table_new(g_str_hash, g_str_equal);
		gboolean any = FALSE;

		for (guint j = 0; j < reports->len; j++) {
			const agent_report *report = g_ptr_array_index(reports, j);

			if (report->account->client != client)
				continue;
			if (!any)
				printf("%s (%s)\n", client->name, client->id);
			any = TRUE;
			if (report->failed && report->messages == 0) {
				printf("  %s: FAILED: %s\n", report->account->id, report->error);
				continue;
			}
			printf("  %s: %u new message%s%s%s\n", report->account->id, report->messages,
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

int cmd_run(cli_context *ctx, int argc, char **argv)
{
	gboolean once = FALSE, dry_run = FALSE;
	g_auto(GStrv) only = NULL;
	g_autoptr(GPtrArray) accounts = g_ptr_array_new();
	agent_options options = { 0 };
	daemon_setup *setup;

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
				daemon_setup_free(&setup);
				return CLI_EXIT_USAGE;
			}
		}
		g_ptr_array_add(accounts, NULL);
		only = (char **)g_ptr_array_free(g_steal_pointer(&accounts), FALSE);
	}
	options.dry_run = dry_run;
	options.progress = isatty(STDERR_FILENO);

	if (once) {
		agent_failure failure;
		g_autoptr(GPtrArray) reports = daemon_run_once(setup, (const char *const *)only,
								&options, &failure);

		run_print_summary(setup->config, reports, dry_run);
		fflush(stdout);
		if (!dry_run) {
			daemon_fire_timers(setup, (const char *const *)only);
			daemon_send_outbox(setup);
		}
		daemon_setup_free(&setup);
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

	log_set_timestamps(!isatty(STDERR_FILENO));
	daemon_watch(setup, (const char *const *)only, &options, run_setup_load, ctx);
	return CLI_EXIT_OK;
}
