/* vea drafts: the reply drafts vea wrote to executives' Drafts and what
 * became of each (as vea last looked: vea run checks every few minutes). */
#include "cli/cli.h"
#include "store/store.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

static void drafts_usage(FILE *out)
{
	fprintf(out,
		"Usage: vea drafts [--client ID] [--limit N] [--json]\n"
		"  Lists the reply drafts vea wrote, newest first: to whom, the subject,\n"
		"  where it is (mailbox and UID) and what became of it: waiting in Drafts,\n"
		"  edited by the executive, sent (found in Sent, or sent by vea on\n"
		"  approval), discarded (gone from Drafts, not in Sent), approved (sent\n"
		"  when its approve_window ends); or pending (not yet written) and failed\n"
		"  (the server refused it, with its words). vea sends a draft only when\n"
		"  the client turned on approve_mailbox or approve_keyword (vea.conf(5)).\n");
}

/* What a person asks first: is it waiting, or what happened. */
static const char *drafts_fate(const store_draft *d)
{
	if (d->state != STORE_DRAFT_WRITTEN)
		return store_draft_state_name(d->state);
	return store_draft_status_name(d->status);
}

static void drafts_print(const store_draft *d, gboolean json)
{
	g_autofree char *created = cli_format_time(d->created_at, json);
	g_autofree char *checked = cli_format_time(d->checked_at, json);
	g_auto(GStrv) to = g_strsplit(d->recipients, "\n", -1);
	g_autofree char *to_text = g_strjoinv(", ", to);

	if (json) {
		g_autoptr(GString) out = g_string_new("{");

		g_string_append_printf(out, "\"id\":%" G_GINT64_FORMAT ",\"client\":", d->id);
		json_append_string(out, d->client);
		g_string_append(out, ",\"account\":");
		json_append_string(out, d->account);
		g_string_append_printf(out, ",\"action_id\":%" G_GINT64_FORMAT ",\"state\":",
				       d->action_id);
		json_append_string(out, drafts_fate(d));
		g_string_append(out, ",\"to\":[");
		for (char **a = to; *a != NULL; a++) {
			if (a != to)
				g_string_append_c(out, ',');
			json_append_string(out, *a);
		}
		g_string_append(out, "],\"subject\":");
		json_append_string(out, d->subject);
		g_string_append(out, ",\"in_reply_to\":");
		json_append_string(out, d->in_reply_to);
		g_string_append(out, ",\"message_id\":");
		json_append_string(out, d->message_id);
		g_string_append(out, ",\"mailbox\":");
		json_append_string(out, d->mailbox);
		g_string_append_printf(out, ",\"uidvalidity\":%u,\"uid\":%u,\"created\":",
				       d->uidvalidity, d->uid);
		json_append_string(out, created);
		g_string_append(out, ",\"checked\":");
		json_append_string(out, checked);
		g_string_append(out, ",\"result\":");
		json_append_string(out, d->result);
		/* The model that wrote the body; null: the template. */
		g_string_append(out, ",\"machine\":");
		json_append_string(out, d->machine != NULL && *d->machine != '\0' ? d->machine : NULL);
		g_string_append_c(out, '}');
		puts(out->str);
		return;
	}
	printf("#%" G_GINT64_FORMAT "  %s  %-9s %s/%s -> %s  \"%s\"\n", d->id, created,
	       drafts_fate(d), d->client, d->account, to_text, d->subject);
	if (d->machine != NULL && *d->machine != '\0')
		printf("    AI draft: the body was written by %s\n", d->machine);
	if (d->state == STORE_DRAFT_WRITTEN)
		printf("    in %s, UID %u; looked at %s\n", d->mailbox, d->uid, checked);
	else if (d->result != NULL && *d->result != '\0')
		printf("    %s\n", d->result);
}

int cmd_drafts(cli_context *ctx, int argc, char **argv)
{
	const char *client = NULL;
	gboolean json = FALSE;
	guint limit = 0;
	store *st = NULL;
	char *error = NULL;
	conf *config;
	g_autoptr(GPtrArray) drafts = NULL;
	int ret = CLI_EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			drafts_usage(stdout);
			return CLI_EXIT_OK;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = TRUE;
		} else if (strcmp(argv[i], "--client") == 0 && i + 1 < argc) {
			client = argv[++i];
		} else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			char *end;
			guint64 n = g_ascii_strtoull(argv[++i], &end, 10);

			if (*end != '\0' || n == 0 || n > G_MAXUINT) {
				fprintf(stderr, "vea drafts: --limit needs a positive number\n");
				return CLI_EXIT_USAGE;
			}
			limit = (guint)n;
		} else {
			fprintf(stderr, "vea drafts: unknown argument '%s'\n", argv[i]);
			drafts_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	ret = cli_open_store(ctx, "drafts", client, &config, &st);
	if (ret != CLI_EXIT_OK)
		return ret;
	if (store_drafts_list(st, client, -1, limit, &drafts, &error) < 0) {
		fprintf(stderr, "vea drafts: %s\n", error);
		g_free(error);
		ret = CLI_EXIT_FAILURE;
	} else {
		for (guint i = 0; i < drafts->len; i++)
			drafts_print(g_ptr_array_index(drafts, i), json);
		if (drafts->len == 0 && !json)
			printf("vea has written no drafts%s%s.\n", client != NULL ? " for " : "",
			       client != NULL ? client : "");
	}
	store_close(&st);
	conf_free(&config);
	return ret;
}
