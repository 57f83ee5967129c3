/* vea log: the audit trail, one line per action. */
#include "cli/cli.h"
#include "store/store.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct log_options {
	gboolean json;
	const char *rules_dir;
	guint count;
} log_options;

static void log_json_string(GString *out, const char *key, const char *value, gboolean last)
{
	g_string_append_printf(out, "\"%s\":", key);
	json_append_string(out, value);
	if (!last)
		g_string_append_c(out, ',');
}

static char *log_format_time(int64_t unix_time, gboolean iso)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(unix_time);
	g_autoptr(GDateTime) local = NULL;

	if (iso)
		return g_date_time_format(utc, "%Y-%m-%dT%H:%M:%SZ");
	local = g_date_time_to_local(utc);
	return g_date_time_format(local, "%Y-%m-%d %H:%M");
}

/* Text from messages is shown on one line, whatever it holds. */
static char *log_one_line(const char *text, size_t max)
{
	GString *out = g_string_new(NULL);

	for (const char *p = text != NULL ? text : ""; *p != '\0'; p++)
		g_string_append_c(out, (unsigned char)*p < 0x20 ? ' ' : *p);
	if (g_utf8_strlen(out->str, -1) > (glong)max) {
		char *end = g_utf8_offset_to_pointer(out->str, max - 1);

		g_string_truncate(out, end - out->str);
		g_string_append(out, "…");
	}
	return g_string_free(out, FALSE);
}

static int log_print_action(const store_action *action, void *context)
{
	log_options *options = context;
	g_autofree char *when = log_format_time(action->created_at, options->json);
	g_autofree char *rule = action->rule_file != NULL
					? g_strdup_printf("%s:%d", action->rule_file, action->rule_line)
					: g_strdup("(implicit keep)");
	/* A failure reads "failed: REASON", as it always has; JSON has the
	 * state and the reason apart too. */
	g_autofree char *result = action->state == STORE_ACTION_FAILED ||
				  action->state == STORE_ACTION_SKIPPED
		? g_strdup_printf("%s: %s", store_action_state_name(action->state),
				  action->reason != NULL ? action->reason : "")
		: g_strdup(action->result != NULL && *action->result != '\0'
				   ? action->result : store_action_state_name(action->state));

	options->count++;
	if (options->json) {
		g_autoptr(GString) out = g_string_new("{");

		g_string_append_printf(out, "\"id\":%" G_GINT64_FORMAT ",", action->id);
		log_json_string(out, "time", when, FALSE);
		log_json_string(out, "client", action->client, FALSE);
		log_json_string(out, "account", action->account, FALSE);
		log_json_string(out, "mailbox", action->mailbox, FALSE);
		g_string_append_printf(out, "\"uid\":%u,", action->uid);
		log_json_string(out, "message_id", action->message_id, FALSE);
		log_json_string(out, "from", action->from, FALSE);
		log_json_string(out, "subject", action->subject, FALSE);
		log_json_string(out, "rule_file", action->rule_file, FALSE);
		if (action->rule_file != NULL)
			g_string_append_printf(out, "\"rule_line\":%d,", action->rule_line);
		else
			g_string_append(out, "\"rule_line\":null,");
		log_json_string(out, "action", action_kind_name(action->kind), FALSE);
		log_json_string(out, "argument", action->argument, FALSE);
		log_json_string(out, "state", store_action_state_name(action->state), FALSE);
		log_json_string(out, "reason", action->reason, FALSE);
		log_json_string(out, "result", result, TRUE);
		g_string_append(out, "}");
		puts(out->str);
	} else {
		g_autofree char *from = log_one_line(action->from, 40);
		g_autofree char *subject = log_one_line(action->subject, 50);
		g_autofree char *argument = log_one_line(action->argument, 50);
		const char *shown_rule = rule;

		/* Rule files under rules_dir are named as the config names them. */
		if (options->rules_dir != NULL && g_str_has_prefix(rule, options->rules_dir) &&
		    rule[strlen(options->rules_dir)] == '/')
			shown_rule = rule + strlen(options->rules_dir) + 1;
		/* One line per action, so grep and wc work on it. */
		printf("#%" G_GINT64_FORMAT "  %s  %s/%s  %s:%u  %s %s  [%s]  %s  -- %s \"%s\"\n",
		       action->id, when, action->client,
		       action->account, action->mailbox, action->uid, action_kind_name(action->kind), argument,
		       shown_rule, result, from, subject);
	}
	return 0;
}

int cmd_log(cli_context *ctx, int argc, char **argv)
{
	store_action_filter filter = { 0 };
	log_options options = { 0 };
	store *st = NULL;
	char *error = NULL;
	conf *config;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			options.json = TRUE;
		} else if (strcmp(argv[i], "--client") == 0 && i + 1 < argc) {
			filter.client = argv[++i];
		} else if (strcmp(argv[i], "--account") == 0 && i + 1 < argc) {
			filter.account = argv[++i];
		} else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			char *end;

			filter.limit = (int)strtol(argv[++i], &end, 10);
			if (*end != '\0' || filter.limit <= 0) {
				fprintf(stderr, "vea log: --limit takes a positive number, not '%s'\n", argv[i]);
				return CLI_EXIT_USAGE;
			}
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("Usage: vea log [--client ID] [--account ID] [--limit N] [--json]\n");
			return CLI_EXIT_OK;
		} else {
			fprintf(stderr, "vea log: unknown argument '%s' (see vea log --help)\n", argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	config = cli_load_config(ctx);
	if (config == NULL)
		return CLI_EXIT_CONFIG;
	if (filter.client != NULL && conf_find_client(config, filter.client) == NULL) {
		fprintf(stderr, "vea log: unknown client '%s' in %s\n", filter.client, config->path);
		conf_free(&config);
		return CLI_EXIT_USAGE;
	}
	if (filter.account != NULL && conf_find_account(config, filter.account) == NULL) {
		fprintf(stderr, "vea log: unknown account '%s' in %s\n", filter.account, config->path);
		conf_free(&config);
		return CLI_EXIT_USAGE;
	}
	if (store_open(config->database, &st, &error) < 0) {
		fprintf(stderr, "vea log: %s\n", error);
		g_free(error);
		conf_free(&config);
		return CLI_EXIT_FAILURE;
	}
	options.rules_dir = config->rules_dir;
	ret = store_actions_foreach(st, &filter, log_print_action, &options, &error);
	if (ret < 0) {
		fprintf(stderr, "vea log: %s\n", error);
		g_free(error);
	} else if (options.count == 0 && !options.json) {
		printf("nothing done yet\n");
	}
	store_close(&st);
	conf_free(&config);
	return ret < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
