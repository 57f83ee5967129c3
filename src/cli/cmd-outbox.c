/* vea outbox: what vea has queued, sent, or could not send, and the two
 * things an assistant does about it (retry, cancel). */
#include "cli/cli.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

static void outbox_usage(FILE *out)
{
	fprintf(out,
		"Usage: vea outbox [--client ID] [--limit N] [--json]\n"
		"       vea outbox retry ID\n"
		"       vea outbox cancel ID\n"
		"  Lists the messages vea sends (vacation replies, redirects, notifications):\n"
		"  queued, sending, sent, failed, held (a configuration to fix) or cancelled,\n"
		"  newest first. retry sends a failed or held message again now; cancel\n"
		"  stops one not yet sent.\n");
}

static void outbox_print(const store_outbox_message *m, gboolean json)
{
	g_autofree char *to = g_strjoinv(", ", m->recipients);
	g_autofree char *created = cli_format_time(m->created_at, json);
	g_autofree char *when = cli_format_time(m->state == STORE_OUTBOX_SENT ? m->sent_at
						 : m->next_attempt_at, json);

	if (json) {
		g_autoptr(GString) out = g_string_new("{");

		g_string_append_printf(out, "\"id\":%" G_GINT64_FORMAT ",\"client\":", m->id);
		json_append_string(out, m->client);
		g_string_append(out, ",\"account\":");
		json_append_string(out, m->account);
		g_string_append(out, ",\"kind\":");
		json_append_string(out, action_kind_name(m->kind));
		g_string_append_printf(out, ",\"action_id\":%" G_GINT64_FORMAT ",\"state\":",
				       m->action_id);
		json_append_string(out, store_outbox_state_name(m->state));
		g_string_append(out, ",\"message_id\":");
		json_append_string(out, m->message_id);
		g_string_append(out, ",\"mail_from\":");
		json_append_string(out, m->mail_from);
		g_string_append(out, ",\"recipients\":[");
		for (char **r = m->recipients; *r != NULL; r++) {
			if (r != m->recipients)
				g_string_append_c(out, ',');
			json_append_string(out, *r);
		}
		g_string_append_printf(out, "],\"size\":%" G_GSIZE_FORMAT ",\"attempts\":%d,"
				       "\"resends\":%d,\"last_reply\":%d,\"created\":",
				       m->size, m->attempts, m->resends, m->last_reply);
		json_append_string(out, created);
		g_string_append(out, m->state == STORE_OUTBOX_SENT ? ",\"sent\":" : ",\"next_attempt\":");
		json_append_string(out, when);
		g_string_append(out, ",\"result\":");
		json_append_string(out, m->result);
		g_string_append_c(out, '}');
		puts(out->str);
		return;
	}
	printf("#%" G_GINT64_FORMAT "  %s  %-9s %-8s %s/%s -> %s  attempts %d%s%s%s\n", m->id,
	       created, store_outbox_state_name(m->state), action_kind_name(m->kind), m->client,
	       m->account != NULL ? m->account : "[smtp]", to, m->attempts,
	       m->resends > 0 ? " (sent again after a lost answer)" : "",
	       m->state == STORE_OUTBOX_QUEUED ? "  next " : "",
	       m->state == STORE_OUTBOX_QUEUED ? when : "");
	if (m->result != NULL && *m->result != '\0')
		printf("    %s\n", m->result);
}

static int outbox_change(store *st, const char *verb, const char *arg)
{
	char *error = NULL, *end;
	gint64 id = g_ascii_strtoll(arg[0] == '#' ? arg + 1 : arg, &end, 10);
	int ret;

	if (*end != '\0' || id <= 0) {
		fprintf(stderr, "vea outbox %s: '%s' is not a message number (see vea outbox)\n",
			verb, arg);
		return CLI_EXIT_USAGE;
	}
	ret = strcmp(verb, "retry") == 0 ? store_outbox_release(st, id, clock_now_unix(), &error)
					 : store_outbox_cancel(st, id, &error);
	if (ret < 0) {
		fprintf(stderr, "vea outbox %s: %s\n", verb, error);
		g_free(error);
		return CLI_EXIT_FAILURE;
	}
	if (ret == 0) {
		store_outbox_message *m = NULL;
		int found = store_outbox_get(st, id, &m, &error);

		if (found < 0) {
			fprintf(stderr, "vea outbox %s: %s\n", verb, error);
			g_free(error);
		} else if (found == 0) {
			fprintf(stderr, "vea outbox %s: there is no message #%" G_GINT64_FORMAT
				" (see vea outbox)\n", verb, id);
		} else {
			fprintf(stderr, "vea outbox %s: message #%" G_GINT64_FORMAT " is %s: %s\n",
				verb, id, store_outbox_state_name(m->state),
				strcmp(verb, "retry") == 0 ? "only a failed, held or queued message is retried"
							   : "only a message not yet sent can be cancelled");
			store_outbox_message_free(m);
		}
		return CLI_EXIT_FAILURE;
	}
	printf("#%" G_GINT64_FORMAT ": %s\n", id,
	       strcmp(verb, "retry") == 0 ? "queued; vea run sends it at its next round"
					  : "cancelled; it will not be sent");
	return CLI_EXIT_OK;
}

int cmd_outbox(cli_context *ctx, int argc, char **argv)
{
	const char *client = NULL;
	gboolean json = FALSE;
	guint limit = 0;
	store *st = NULL;
	char *error = NULL;
	conf *config;
	int ret = CLI_EXIT_OK;
	int i = 1;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		outbox_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc >= 2 && (strcmp(argv[1], "retry") == 0 || strcmp(argv[1], "cancel") == 0)) {
		if (argc != 3) {
			outbox_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	} else {
		for (; i < argc; i++) {
			if (strcmp(argv[i], "--json") == 0) {
				json = TRUE;
			} else if (strcmp(argv[i], "--client") == 0 && i + 1 < argc) {
				client = argv[++i];
			} else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
				char *end;
				guint64 n = g_ascii_strtoull(argv[++i], &end, 10);

				if (*end != '\0' || n == 0 || n > G_MAXUINT) {
					fprintf(stderr, "vea outbox: --limit needs a positive number\n");
					return CLI_EXIT_USAGE;
				}
				limit = (guint)n;
			} else {
				fprintf(stderr, "vea outbox: unknown argument '%s'\n", argv[i]);
				outbox_usage(stderr);
				return CLI_EXIT_USAGE;
			}
		}
	}
	ret = cli_open_store(ctx, "outbox", client, &config, &st);
	if (ret != CLI_EXIT_OK)
		return ret;
	if (argc == 3 && (strcmp(argv[1], "retry") == 0 || strcmp(argv[1], "cancel") == 0)) {
		ret = outbox_change(st, argv[1], argv[2]);
	} else {
		g_autoptr(GPtrArray) messages = NULL;

		if (store_outbox_list(st, client, limit, &messages, &error) < 0) {
			fprintf(stderr, "vea outbox: %s\n", error);
			g_free(error);
			ret = CLI_EXIT_FAILURE;
		} else {
			for (guint m = 0; m < messages->len; m++)
				outbox_print(g_ptr_array_index(messages, m), json);
			if (messages->len == 0 && !json)
				printf("The outbox is empty%s%s.\n", client != NULL ? " for " : "",
				       client != NULL ? client : "");
		}
	}
	store_close(&st);
	conf_free(&config);
	return ret;
}
