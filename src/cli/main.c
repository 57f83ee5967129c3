#include "config.h"
#include "cli/cli.h"
#include "store/store.h"
#include "mime/message.h"
#include "util/log.h"

#include <curl/curl.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

typedef struct cli_command {
	const char *name;
	int (*run)(cli_context *ctx, int argc, char **argv);
	const char *usage;
	const char *summary;
} cli_command;

static const cli_command cli_commands[] = {
	{ "run", cmd_run, "run [--once] [--dry-run] [--account ID]...",
	  "triage every account's new mail (until SIGTERM, or once)" },
	{ "status", cmd_status, "status [--json]",
	  "each account: connected, idle, backing off; last sync; last error" },
	{ "log", cmd_log, "log [--client ID] [--account ID] [--limit N] [--json]",
	  "list what vea did, with the rule behind each action" },
	{ "bill", cmd_bill, "bill log|adjust|close|report|invoice|periods ...",
	  "the ledger: log time, adjust, close a period, report, invoice" },
	{ "outbox", cmd_outbox, "outbox [--client ID] [--json] | retry ID | cancel ID",
	  "the messages vea sends: queued, sent, failed; retry or cancel one" },
	{ "remind", cmd_remind, "remind list [--client ID] [--all] [--json] | add ACTION-ID WHEN | cancel ID",
	  "follow-up reminders: those waiting; set one by hand; cancel one" },
	{ "snooze", cmd_snooze, "snooze list [--client ID] [--all] [--json] | wake ID",
	  "snoozed mail and when it comes back; bring one back now" },
	{ "drafts", cmd_drafts, "drafts [--client ID] [--json]",
	  "the reply drafts vea wrote: waiting, edited, sent or discarded" },
	{ "schedule", cmd_schedule, "schedule list [--client ID] [--all] [--json] | approve N [--whole] | decline N",
	  "answers to invitations waiting for your approval; send or drop one" },
	{ "undo", cmd_undo, "undo ID",
	  "reverse one action: move the message back, remove the flags" },
	{ "config", cmd_config, "config check [--online]",
	  "check the config file and compile every rule file; --online also logs in to each "
	  "account and reads each calendar" },
	{ "calendar", cmd_calendar, "calendar check [--client ID]",
	  "reach and read each calendar (CalDAV or ICS feed), naming the one that fails" },
	{ "digest", cmd_digest, "digest preview CLIENT [--html FILE] [--text] [--mime] | send CLIENT | due",
	  "show or send an executive's daily digest; send those now due" },
	{ "rules", cmd_rules, "rules check FILE... | rules test [--delimiter C] [--client ID] [--timezone ZONE] [--holidays DATES] [--json] SCRIPT MESSAGE...",
	  "check rule files; show what a script does to messages" },
};

static void cli_usage(FILE *out)
{
	fprintf(out,
		"Usage: vea [-c FILE] [-v] [-q] COMMAND [ARGS]\n"
		"\n"
		"vea triages the inboxes of the executives a virtual assistant works for,\n"
		"with Sieve rules, and bills the work to each client.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(cli_commands); i++)
		fprintf(out, "  vea %-50s\n      %s\n", cli_commands[i].usage, cli_commands[i].summary);
	fprintf(out,
		"\n"
		"Options:\n"
		"  -c, --config FILE  config file (default: $VEA_CONFIG, else\n"
		"                     ~/.config/vea/vea.conf, else\n"
		"                     " SYSCONFDIR "/vea/vea.conf)\n"
		"  -v, --verbose      say more\n"
		"  -q, --quiet        only errors\n"
		"  -h, --help         this help\n"
		"  -V, --version      print the version\n"
		"\n"
		"See vea(1) and vea.conf(5).\n");
}

int cli_open_store(const cli_context *ctx, const char *command, const char *client,
		   conf **config_r, store **store_r)
{
	char *error = NULL;

	*store_r = NULL;
	*config_r = cli_load_config(ctx);
	if (*config_r == NULL)
		return CLI_EXIT_CONFIG;
	if (client != NULL && conf_find_client(*config_r, client) == NULL) {
		fprintf(stderr, "vea %s: there is no client '%s' in %s\n", command, client,
			(*config_r)->path);
		conf_free(config_r);
		return CLI_EXIT_USAGE;
	}
	if (store_open((*config_r)->database, store_r, &error) < 0) {
		fprintf(stderr, "vea %s: %s\n", command, error);
		g_free(error);
		conf_free(config_r);
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

char *cli_format_time(int64_t t, gboolean iso)
{
	g_autoptr(GDateTime) utc = NULL, local = NULL;

	if (t <= 0)
		return g_strdup(iso ? "" : "-");
	utc = g_date_time_new_from_unix_utc(t);
	if (iso)
		return g_date_time_format_iso8601(utc);
	local = g_date_time_to_local(utc);
	return g_date_time_format(local, "%Y-%m-%d %H:%M");
}

conf *cli_load_config(const cli_context *ctx)
{
	GPtrArray *errors = NULL;
	g_autofree char *found = NULL;
	const char *path = ctx->config_path;
	conf *config = NULL;

	/* Looked for only now: rules check and rules test need none. */
	if (path == NULL) {
		char *error = NULL;

		found = conf_default_path(&error);
		if (found == NULL) {
			fprintf(stderr, "vea: %s\n", error);
			g_free(error);
			return NULL;
		}
		path = found;
	}
	if (conf_load(path, &config, &errors) < 0) {
		for (guint i = 0; i < errors->len; i++)
			fprintf(stderr, "%s\n", (const char *)g_ptr_array_index(errors, i));
		g_ptr_array_unref(errors);
		return NULL;
	}
	for (guint i = 0; i < config->accounts->len; i++) {
		const conf_account *account = g_ptr_array_index(config->accounts, i);

		log_register_account(account->id, account->client->id);
	}
	return config;
}

int main(int argc, char **argv)
{
	cli_context ctx = { 0 };
	int i, ret;

	setlocale(LC_ALL, "");
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "-c") == 0 || strcmp(arg, "--config") == 0) {
			if (++i == argc) {
				fprintf(stderr, "vea: %s needs a file name\n", arg);
				return CLI_EXIT_USAGE;
			}
			ctx.config_path = argv[i];
		} else if (g_str_has_prefix(arg, "--config=")) {
			ctx.config_path = arg + strlen("--config=");
		} else if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
			ctx.verbose++;
		} else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
			ctx.verbose = -1;
		} else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			cli_usage(stdout);
			return CLI_EXIT_OK;
		} else if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
			cli_print_version(stdout);
			return CLI_EXIT_OK;
		} else {
			fprintf(stderr, "vea: unknown option '%s' (see vea --help)\n", arg);
			return CLI_EXIT_USAGE;
		}
	}
	if (i == argc) {
		cli_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	/* Under systemd, the journal with priorities and fields rather
	 * than lines on stderr. */
	log_use_journal_if_stderr_is_journal();
	log_set_level(ctx.verbose > 0 ? LOG_LEVEL_DEBUG :
		      ctx.verbose < 0 ? LOG_LEVEL_ERROR : LOG_LEVEL_INFO);

	/* Libraries that must be set up before any thread starts. */
	mime_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);

	for (size_t c = 0; c < G_N_ELEMENTS(cli_commands); c++) {
		if (strcmp(argv[i], cli_commands[c].name) == 0) {
			ret = cli_commands[c].run(&ctx, argc - i, argv + i);
			curl_global_cleanup();
			return ret;
		}
	}
	fprintf(stderr, "vea: unknown command '%s' (see vea --help)\n", argv[i]);
	curl_global_cleanup();
	return CLI_EXIT_USAGE;
}
