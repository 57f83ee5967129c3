/* vea config check: everything that can be checked without a network;
 * with --online, then each account's IMAP login and each calendar
 * reached and read, every failure naming the account or calendar and
 * where it is configured. */
#include "cli/cli.h"
#include "account/connect.h"
#include "daemon/daemon.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>

/* vea config list-ids clients|accounts|billing: one id a line, for the
 * shell completion (contrib/bash-completion/vea), which would otherwise
 * have to parse the file itself. Not in --help: not meant for people. */
static int config_list_ids(cli_context *ctx, const char *what)
{
	GPtrArray *list;
	conf *config;

	if (strcmp(what, "clients") != 0 && strcmp(what, "accounts") != 0 &&
	    strcmp(what, "billing") != 0) {
		fprintf(stderr, "vea config list-ids: '%s' is none of clients, accounts, billing\n", what);
		return CLI_EXIT_USAGE;
	}
	config = cli_load_config(ctx);
	if (config == NULL)
		return CLI_EXIT_CONFIG;
	list = strcmp(what, "clients") == 0 ? config->clients :
	       strcmp(what, "accounts") == 0 ? config->accounts : config->billing;
	for (guint i = 0; i < list->len; i++) {
		if (list == config->clients)
			printf("%s\n", ((conf_client *)g_ptr_array_index(list, i))->id);
		else if (list == config->accounts)
			printf("%s\n", ((conf_account *)g_ptr_array_index(list, i))->id);
		else
			printf("%s\n", ((conf_billing *)g_ptr_array_index(list, i))->id);
	}
	conf_free(&config);
	return CLI_EXIT_OK;
}

/* The servers: each account logged in to (and out of), each calendar
 * read. Returns how many failed. */
static guint config_check_online(const conf *config)
{
	int64_t now = clock_now_unix();
	guint failed = 0;

	for (guint i = 0; i < config->accounts->len; i++) {
		const conf_account *account = g_ptr_array_index(config->accounts, i);
		imap_session *session = NULL;
		char *error = NULL;

		if (account_connect(account, &session, &error) < 0) {
			fprintf(stderr, "%s: account %s: %s\n", account->source, account->id, error);
			g_free(error);
			failed++;
			continue;
		}
		printf("account %s (client %s): OK: logged in\n", account->id,
		       account->client != NULL ? account->client->id : "-");
		imap_session_free(&session);
	}
	for (guint i = 0; config->calendars != NULL && i < config->calendars->len; i++) {
		if (cli_calendar_check_one(g_ptr_array_index(config->calendars, i), now) < 0)
			failed++;
	}
	return failed;
}

int cmd_config(cli_context *ctx, int argc, char **argv)
{
	g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
	guint rule_files = 0;
	conf *config;

	if (argc == 3 && strcmp(argv[1], "list-ids") == 0)
		return config_list_ids(ctx, argv[2]);
	gboolean online = argc == 3 && strcmp(argv[2], "--online") == 0;

	if ((argc != 2 && !online) || strcmp(argv[1], "check") != 0) {
		fprintf(stderr, "Usage: vea [-c FILE] config check [--online]\n");
		return CLI_EXIT_USAGE;
	}
	config = cli_load_config(ctx);
	if (config == NULL)
		return CLI_EXIT_CONFIG;
	/* The daemon's own compile, so that OK here means vea run takes
	 * the rules. */
	g_hash_table_destroy(daemon_rules_compile(config, errors));
	for (guint i = 0; i < config->clients->len; i++)
		rule_files += g_strv_length(((conf_client *)g_ptr_array_index(config->clients, i))->rules);
	for (guint i = 0; i < config->accounts->len; i++) {
		conf_account *account = g_ptr_array_index(config->accounts, i);

		if (account->tls == CONF_TLS_NONE)
			fprintf(stderr, "%s: warning: account %s sends its password in clear text (tls = none)\n",
				account->source, account->id);
	}
	if (errors->len > 0) {
		for (guint i = 0; i < errors->len; i++)
			fprintf(stderr, "%s\n", (const char *)g_ptr_array_index(errors, i));
		conf_free(&config);
		return CLI_EXIT_CONFIG;
	}
	printf("%s: configuration OK: %u clients, %u accounts, %u billing accounts, %u rule files\n",
	       config->path, config->clients->len, config->accounts->len, config->billing->len,
	       rule_files);
	if (online) {
		guint failed = config_check_online(config);

		conf_free(&config);
		return failed > 0 ? CLI_EXIT_UNAVAILABLE : CLI_EXIT_OK;
	}
	conf_free(&config);
	return CLI_EXIT_OK;
}
