/* vea rules check | test: work on rule files without any server. */
#include "cli/cli.h"
#include "sieve/sieve.h"
#include "mime/message.h"
#include "draft/draft.h"
#include "util/clock.h"
#include "imap/mailbox-name.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

static int rules_check(int argc, char **argv)
{
	int failed = 0;

	if (argc < 1) {
		fprintf(stderr, "Usage: vea rules check FILE...\n");
		return CLI_EXIT_USAGE;
	}
	for (int i = 0; i < argc; i++) {
		sieve_script *script = NULL;
		GPtrArray *errors = NULL;

		if (sieve_script_compile_file(argv[i], &script, &errors) < 0) {
			failed = 1;
			for (guint j = 0; errors != NULL && j < errors->len; j++) {
				g_autofree char *line = sieve_error_format(g_ptr_array_index(errors, j));

				fprintf(stderr, "%s\n", line);
			}
		} else {
			printf("%s: OK\n", argv[i]);
		}
		if (errors != NULL)
			g_ptr_array_unref(errors);
		sieve_script_free(&script);
	}
	return failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

/* The name vea would file into on a server with this delimiter ('\0': not
 * known, then Dovecot's default '.' is shown when it changes the name). */
static char rules_delimiter;

static char *rules_mailbox_used(const char *mailbox)
{
	return mailbox_name_clean(mailbox, rules_delimiter != '\0' ? rules_delimiter : '.', NULL,
				  '_');
}

static void rules_json_string(GString *out, const char *value)
{
	json_append_string(out, value);
}

static void rules_json_flags(GString *out, char **flags)
{
	g_string_append(out, "\"flags\":[");
	for (char **flag = flags; flag != NULL && *flag != NULL; flag++) {
		if (flag != flags)
			g_string_append_c(out, ',');
		rules_json_string(out, *flag);
	}
	g_string_append_c(out, ']');
}

static const char *const rules_action_names[] = {
	[SIEVE_ACTION_KEEP] = "keep",
	[SIEVE_ACTION_FILEINTO] = "fileinto",
	[SIEVE_ACTION_DISCARD] = "discard",
	[SIEVE_ACTION_REDIRECT] = "redirect",
	[SIEVE_ACTION_BILL] = "bill",
	[SIEVE_ACTION_VACATION] = "vacation",
	[SIEVE_ACTION_NOTIFY] = "notify",
	[SIEVE_ACTION_DRAFT] = "draft",
};

/* Who the drafts are written for: the client of --client, or a stand-in
 * (the rules alone do not say whose they are). */
static const conf *rules_config;
static const conf_client *rules_client;
static conf_client rules_standin = {
	.id = "executive",
	.name = "executive",
	.email = "executive@example.invalid",
};

static void rules_json_strv(GString *out, const char *key, char **strv)
{
	g_string_append_printf(out, ",\"%s\":[", key);
	for (char **p = strv; p != NULL && *p != NULL; p++) {
		if (p != strv)
			g_string_append_c(out, ',');
		rules_json_string(out, *p);
	}
	g_string_append_c(out, ']');
}

/* The draft the action would write, composed exactly as vea run will
 * (draft_compose), with the time now. NULL with *error_r. */
static draft_message *rules_draft(const sieve_action *action, mime_message *msg,
				  char **error_r)
{
	draft_options opts = {
		.client = rules_client != NULL ? rules_client : &rules_standin,
		.assistant = rules_config != NULL ? &rules_config->assistant : NULL,
		.now = clock_now_unix(),
		.id = "test",
	};
	draft_message *draft = NULL;

	if (rules_standin.tz == NULL)
		rules_standin.tz = g_time_zone_new_utc();
	if (draft_compose(action, msg, &opts, &draft, error_r) < 0)
		return NULL;
	return draft;
}

static void rules_draft_json(GString *out, const sieve_action *action, mime_message *msg)
{
	g_autofree char *error = NULL;
	g_autoptr(draft_message) draft = rules_draft(action, msg, &error);
	g_autofree char *text = NULL;
	gsize len;
	const char *data;

	if (draft == NULL) {
		g_string_append(out, ",\"draft_error\":");
		rules_json_string(out, error);
		return;
	}
	g_string_append(out, ",\"draft\":{\"message_id\":");
	rules_json_string(out, draft->message_id);
	g_string_append(out, ",\"subject\":");
	rules_json_string(out, draft->subject);
	rules_json_strv(out, "to", draft->to);
	rules_json_strv(out, "cc", draft->cc);
	rules_json_strv(out, "dropped", draft->dropped);
	data = g_bytes_get_data(draft->bytes, &len);
	text = g_strndup(data, len);
	g_string_append(out, ",\"message\":");
	rules_json_string(out, text);
	g_string_append_c(out, '}');
}

/* The draft as its reader sees it: header fields decoded, then the text. */
static void rules_draft_text(const sieve_action *action, mime_message *msg)
{
	static const char *const fields[] = { "From", "To", "Cc", "Subject", "In-Reply-To",
					      "References", "X-Vea-Draft", NULL };
	g_autofree char *error = NULL;
	g_autoptr(draft_message) draft = rules_draft(action, msg, &error);
	g_autofree char *parse_error = NULL;
	g_auto(GStrv) lines = NULL;
	mime_message *shown;
	gsize len;
	const char *data;

	if (draft == NULL) {
		printf("    error: %s\n", error);
		return;
	}
	if (rules_client == NULL)
		printf("    (for a stand-in executive <%s>, UTC; --client ID writes it as the "
		       "client's)\n", rules_standin.email);
	data = g_bytes_get_data(draft->bytes, &len);
	shown = mime_message_parse(data, len, &parse_error);
	if (shown == NULL) {
		printf("    error: %s\n", parse_error);
		return;
	}
	for (const char *const *field = fields; *field != NULL; field++) {
		const char *const *values = mime_message_get_header_values(shown, *field);

		for (; *values != NULL; values++)
			printf("    %s: %s\n", *field, *values);
	}
	for (char **d = draft->dropped; *d != NULL; d++)
		printf("    (left out: <%s>, not an address vea writes to)\n", *d);
	printf("\n");
	lines = g_strsplit(mime_message_get_body_text(shown), "\n", -1);
	for (char **line = lines; *line != NULL; line++) {
		g_strchomp(*line);
		if (**line != '\0')
			printf("    %s\n", *line);
		else if (line[1] != NULL)
			printf("\n");
	}
	mime_message_free(&shown);
}

/* The JSON form is a public interface (vea(1)): add keys, never change
 * the meaning of one. */
static void rules_action_json(GString *out, const sieve_action *action, mime_message *msg)
{
	g_string_append_printf(out, "{\"type\":\"%s\"", rules_action_names[action->type]);
	switch (action->type) {
	case SIEVE_ACTION_KEEP:
		g_string_append_printf(out, ",\"implicit\":%s,", action->implicit ? "true" : "false");
		rules_json_flags(out, action->flags);
		break;
	case SIEVE_ACTION_FILEINTO:
		g_string_append(out, ",\"mailbox\":");
		rules_json_string(out, action->mailbox);
		if (rules_delimiter != '\0') {
			g_autofree char *used = rules_mailbox_used(action->mailbox);

			g_string_append(out, ",\"mailbox_used\":");
			rules_json_string(out, used);
		}
		g_string_append_c(out, ',');
		rules_json_flags(out, action->flags);
		g_string_append_printf(out, ",\"copy\":%s,\"create\":%s", action->copy ? "true" : "false",
				       action->create ? "true" : "false");
		break;
	case SIEVE_ACTION_REDIRECT:
		g_string_append(out, ",\"address\":");
		rules_json_string(out, action->address);
		g_string_append_printf(out, ",\"copy\":%s", action->copy ? "true" : "false");
		break;
	case SIEVE_ACTION_BILL:
		g_string_append(out, ",\"account\":");
		rules_json_string(out, action->account);
		g_string_append_printf(out, ",\"minutes\":%d,\"description\":", action->minutes);
		rules_json_string(out, action->description);
		break;
	case SIEVE_ACTION_VACATION:
		g_string_append(out, ",\"to\":");
		rules_json_string(out, action->address);
		g_string_append(out, ",\"subject\":");
		rules_json_string(out, action->subject);
		g_string_append_printf(out, ",\"seconds\":%" G_GUINT64_FORMAT, action->seconds);
		break;
	case SIEVE_ACTION_NOTIFY:
		g_string_append(out, ",\"method\":");
		rules_json_string(out, action->method);
		break;
	case SIEVE_ACTION_DRAFT:
		g_string_append(out, ",\"template\":");
		rules_json_string(out, action->draft_template);
		g_string_append_printf(out, ",\"reply\":\"%s\"", action->reply_all ? "all" : "sender");
		rules_draft_json(out, action, msg);
		break;
	case SIEVE_ACTION_DISCARD:
		break;
	}
	if (action->rule_file != NULL) {
		g_string_append(out, ",\"rule\":");
		g_autofree char *rule = g_strdup_printf("%s:%d", action->rule_file, action->rule_line);
		rules_json_string(out, rule);
	}
	g_string_append_c(out, '}');
}

static void rules_action_text(const sieve_action *action, mime_message *msg)
{
	g_autofree char *flags = action->flags != NULL ? g_strjoinv(" ", action->flags) : NULL;
	g_autofree char *rule = action->rule_file != NULL
					? g_strdup_printf("  (%s:%d)", action->rule_file, action->rule_line)
					: g_strdup("");

	switch (action->type) {
	case SIEVE_ACTION_KEEP:
		printf("  %skeep%s%s%s\n", action->implicit ? "implicit " : "", flags ? " flags: " : "",
		       flags ? flags : "", rule);
		break;
	case SIEVE_ACTION_FILEINTO: {
		g_autofree char *used = rules_mailbox_used(action->mailbox);
		gboolean changed = strcmp(used, action->mailbox) != 0;

		printf("  fileinto \"%s\"%s%s%s%s%s\n",
		       rules_delimiter != '\0' ? used : action->mailbox, action->copy ? " :copy" : "",
		       action->create ? " :create" : "", flags ? " flags: " : "", flags ? flags : "", rule);
		if (changed && rules_delimiter != '\0')
			printf("    (the rule named \"%s\"; a level cannot hold the server's "
			       "delimiter '%c')\n", action->mailbox, rules_delimiter);
		else if (changed)
			printf("    (on a server whose delimiter is '.', as Dovecot's by default: "
			       "\"%s\")\n", used);
		break;
	}
	case SIEVE_ACTION_DISCARD:
		printf("  discard (vea moves the message to Trash)%s\n", rule);
		break;
	case SIEVE_ACTION_REDIRECT:
		printf("  redirect <%s>%s%s\n", action->address, action->copy ? " :copy" : "", rule);
		break;
	case SIEVE_ACTION_BILL:
		printf("  bill %d min \"%s\"%s%s%s\n", action->minutes,
		       action->description ? action->description : "", action->account ? " to " : "",
		       action->account ? action->account : "", rule);
		break;
	case SIEVE_ACTION_VACATION:
		printf("  vacation to <%s> every %" G_GUINT64_FORMAT " s subject \"%s\"%s\n",
		       action->address ? action->address : "", action->seconds,
		       action->subject ? action->subject : "", rule);
		break;
	case SIEVE_ACTION_NOTIFY:
		printf("  notify %s%s\n", action->method ? action->method : "", rule);
		break;
	case SIEVE_ACTION_DRAFT:
		printf("  draft \"%s\" reply to %s (written to Drafts, never sent)%s\n",
		       action->draft_template, action->reply_all ? "all" : "the sender", rule);
		rules_draft_text(action, msg);
		break;
	}
}

static int rules_test(cli_context *ctx, int argc, char **argv)
{
	conf *config;
	const char *client_id = NULL;
	sieve_envelope envelope = { 0 };
	gboolean json = FALSE;
	sieve_script *script = NULL;
	GPtrArray *errors = NULL;
	int i, failed = 0;

	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = TRUE;
		else if (strcmp(argv[i], "--envelope-from") == 0 && i + 1 < argc)
			envelope.from = argv[++i];
		else if (strcmp(argv[i], "--envelope-to") == 0 && i + 1 < argc)
			envelope.to = argv[++i];
		else if (strcmp(argv[i], "--client") == 0 && i + 1 < argc)
			client_id = argv[++i];
		else if (strcmp(argv[i], "--delimiter") == 0 && i + 1 < argc &&
			 strlen(argv[i + 1]) == 1 && (unsigned char)argv[i + 1][0] > 0x20 &&
			 (unsigned char)argv[i + 1][0] < 0x7f)
			rules_delimiter = argv[++i][0];
		else {
			fprintf(stderr, "vea rules test: unknown option '%s'\n", argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	if (argc - i < 2) {
		fprintf(stderr, "Usage: vea rules test [--envelope-from A] [--envelope-to B] [--delimiter C] [--client ID] [--json] SCRIPT MESSAGE...\n");
		return CLI_EXIT_USAGE;
	}
	if (client_id != NULL) {
		/* Drafts are written as this client's: name, addresses,
		 * signature, time zone. */
		config = cli_load_config(ctx);
		if (config == NULL)
			return CLI_EXIT_CONFIG;
		rules_config = config;
		rules_client = conf_find_client(config, client_id);
		if (rules_client == NULL) {
			fprintf(stderr, "vea rules test: no client '%s' in %s\n", client_id,
				config->path);
			return CLI_EXIT_CONFIG;
		}
	}
	if (sieve_script_compile_file(argv[i], &script, &errors) < 0) {
		for (guint j = 0; errors != NULL && j < errors->len; j++) {
			g_autofree char *line = sieve_error_format(g_ptr_array_index(errors, j));

			fprintf(stderr, "%s\n", line);
		}
		if (errors != NULL)
			g_ptr_array_unref(errors);
		return CLI_EXIT_FAILURE;
	}
	if (errors != NULL)
		g_ptr_array_unref(errors);
	for (i++; i < argc; i++) {
		g_autofree char *data = NULL;
		g_autofree char *parse_error = NULL;
		g_autoptr(GString) out = g_string_new(NULL);
		GPtrArray *actions = NULL;
		sieve_error *run_error = NULL;
		GError *error = NULL;
		mime_message *msg;
		gsize len;

		if (!g_file_get_contents(argv[i], &data, &len, &error)) {
			fprintf(stderr, "vea rules test: %s\n", error->message);
			g_error_free(error);
			failed = 1;
			continue;
		}
		msg = mime_message_parse(data, len, &parse_error);
		if (msg == NULL) {
			fprintf(stderr, "vea rules test: %s: %s\n", argv[i], parse_error);
			failed = 1;
			continue;
		}
		if (sieve_script_execute(script, msg, &envelope, &actions, &run_error) < 0)
			failed = 1;
		if (json) {
			g_string_append(out, "{\"message\":");
			rules_json_string(out, argv[i]);
			g_string_append(out, ",\"actions\":[");
			for (guint j = 0; actions != NULL && j < actions->len; j++) {
				if (j > 0)
					g_string_append_c(out, ',');
				rules_action_json(out, g_ptr_array_index(actions, j), msg);
			}
			g_string_append(out, "],\"errors\":[");
			if (run_error != NULL) {
				g_autofree char *line = sieve_error_format(run_error);

				rules_json_string(out, line);
			}
			g_string_append(out, "]}");
			puts(out->str);
		} else {
			printf("%s:\n", argv[i]);
			for (guint j = 0; actions != NULL && j < actions->len; j++)
				rules_action_text(g_ptr_array_index(actions, j), msg);
			if (run_error != NULL) {
				g_autofree char *line = sieve_error_format(run_error);

				printf("  error: %s (the message would be kept)\n", line);
			}
		}
		if (run_error != NULL)
			sieve_error_free(run_error);
		if (actions != NULL)
			g_ptr_array_unref(actions);
		mime_message_free(&msg);
	}
	sieve_script_free(&script);
	return failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

int cmd_rules(cli_context *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return rules_check(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "test") == 0) {
		int ret = rules_test(ctx, argc - 2, argv + 2);

		/* rules_test keeps the config of --client for the drafts. */
		if (rules_config != NULL) {
			conf *config = (conf *)rules_config;

			rules_config = NULL;
			rules_client = NULL;
			conf_free(&config);
		}
		return ret;
	}
	fprintf(stderr, "Usage: vea rules check FILE...\n"
			"       vea rules test [--envelope-from A] [--envelope-to B] [--delimiter C] [--client ID] [--json] SCRIPT MESSAGE...\n");
	return CLI_EXIT_USAGE;
}
