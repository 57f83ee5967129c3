/* vea remind and vea snooze: the timers vea keeps (agent/timers.h), and
 * what an assistant does about them by hand: list, cancel, add one for a
 * message in vea log, wake a snoozed message now. */
#include "cli/cli.h"
#include "agent/timers.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

static void remind_usage(FILE *out, action_kind kind)
{
	if (kind == ACTION_REMIND)
		fprintf(out,
			"Usage: vea remind list [--client ID] [--all] [--json]\n"
			"       vea remind add ACTION-ID WHEN\n"
			"       vea remind cancel ID\n"
			"  list: the follow-up reminders waiting (--all: fired, answered and\n"
			"  cancelled ones too), soonest first. add: a reminder about the message of\n"
			"  action ACTION-ID of vea log, due at WHEN in the client's time zone\n"
			"  (\"2d\", \"+4h\", \"+2bd 09:00\", \"monday 09:00\", \"2026-12-24 17:00\").\n"
			"  cancel: a waiting reminder will not fire.\n");
	else
		fprintf(out,
			"Usage: vea snooze list [--client ID] [--all] [--json]\n"
			"       vea snooze wake ID\n"
			"  list: the snoozed messages and when each comes back (--all: those\n"
			"  already back too). wake: bring one back now (at vea run's next round).\n");
}

static void remind_print(const store_timer *t, gboolean json)
{
	g_autofree char *due = cli_format_time(t->due_at, TRUE);
	g_autofree char *fired = cli_format_time(t->fired_at, TRUE);
	g_autofree char *to = agent_timer_option(t, "to");
	g_autofree char *note = agent_timer_option(t, "note");
	g_autofree char *when = agent_timer_option(t, "when");
	g_autofree char *unanswered = agent_timer_option(t, "if_unanswered");
	g_autofree char *flag = agent_timer_option(t, "flag");
	g_autofree char *wake = agent_timer_option(t, "wake_mailbox");
	g_autofree char *addflags = agent_timer_option(t, "addflags");
	g_autofree char *removeflags = agent_timer_option(t, "removeflags");
	g_autofree char *on_reply = agent_timer_option(t, "wake_on_reply");

	if (json) {
		g_autoptr(GString) out = g_string_new("{");

		g_string_append_printf(out, "\"id\":%" G_GINT64_FORMAT ",\"kind\":", t->id);
		json_append_string(out, action_kind_name(t->kind));
		g_string_append(out, ",\"client\":");
		json_append_string(out, t->client);
		g_string_append(out, ",\"account\":");
		json_append_string(out, t->account);
		g_string_append_printf(out, ",\"action_id\":%" G_GINT64_FORMAT ",\"state\":",
				       t->action_id);
		json_append_string(out, store_timer_state_name(t->state));
		g_string_append(out, ",\"mailbox\":");
		json_append_string(out, t->mailbox);
		g_string_append(out, ",\"message_id\":");
		json_append_string(out, t->message_id);
		g_string_append(out, ",\"subject\":");
		json_append_string(out, t->subject);
		g_string_append(out, ",\"when\":");
		json_append_string(out, when);
		g_string_append_printf(out, ",\"due\":%" G_GINT64_FORMAT ",\"due_utc\":", t->due_at);
		json_append_string(out, due);
		g_string_append(out, ",\"due_local\":");
		json_append_string(out, t->local_due);
		if (t->kind == ACTION_REMIND) {
			g_string_append_printf(out, ",\"if_unanswered\":%s,\"flag\":%s,\"to\":",
					       unanswered != NULL ? "true" : "false",
					       flag != NULL ? "true" : "false");
			json_append_string(out, to);
			g_string_append(out, ",\"note\":");
			json_append_string(out, note);
		} else {
			g_string_append(out, ",\"wake_mailbox\":");
			json_append_string(out, wake);
			g_string_append(out, ",\"addflags\":");
			json_append_string(out, addflags);
			g_string_append(out, ",\"removeflags\":");
			json_append_string(out, removeflags);
			g_string_append_printf(out, ",\"wake_on_reply\":%s",
					       on_reply != NULL ? "true" : "false");
		}
		g_string_append(out, ",\"fired\":");
		json_append_string(out, t->fired_at > 0 ? fired : NULL);
		g_string_append(out, ",\"result\":");
		json_append_string(out, t->result);
		g_string_append_c(out, '}');
		puts(out->str);
		return;
	}
	printf("#%" G_GINT64_FORMAT "  %-9s due %s (%s)  %s/%s  \"%s\"\n", t->id,
	       store_timer_state_name(t->state), t->local_due, due, t->account, t->mailbox,
	       t->subject);
	if (t->kind == ACTION_REMIND)
		printf("    %s, %s, to the %s%s%s%s%s\n", when != NULL ? when : "",
		       unanswered != NULL ? "if unanswered" : "always", to != NULL ? to : "assistant",
		       flag != NULL ? ", flag" : "", note != NULL ? ": \"" : "",
		       note != NULL ? note : "", note != NULL ? "\"" : "");
	else
		printf("    %s, back to %s%s%s%s%s%s\n", when != NULL ? when : "",
		       wake != NULL ? wake : "INBOX", addflags != NULL ? ", +" : "",
		       addflags != NULL ? addflags : "", removeflags != NULL ? ", -" : "",
		       removeflags != NULL ? removeflags : "", on_reply != NULL ? ", wakes on reply" : "");
	if (t->result != NULL && *t->result != '\0')
		printf("    %s\n", t->result);
}

static int remind_parse_id(const char *command, const char *arg, int64_t *id_r)
{
	char *end;
	gint64 id = g_ascii_strtoll(arg[0] == '#' ? arg + 1 : arg, &end, 10);

	if (*end != '\0' || id <= 0) {
		fprintf(stderr, "vea %s: '%s' is not a number\n", command, arg);
		return -1;
	}
	*id_r = id;
	return 0;
}

/* cancel (reminders) or wake (snoozes) timer id. */
static int remind_change(store *st, action_kind kind, const char *verb, int64_t id)
{
	const char *command = kind == ACTION_REMIND ? "remind" : "snooze";
	store_timer *t = NULL;
	char *error = NULL;
	int found = store_timer_get(st, id, &t, &error), ret;

	if (found < 0) {
		fprintf(stderr, "vea %s %s: %s\n", command, verb, error);
		g_free(error);
		return CLI_EXIT_FAILURE;
	}
	if (found == 0 || t->kind != kind) {
		fprintf(stderr, "vea %s %s: there is no %s #%" G_GINT64_FORMAT " (see vea %s list)\n",
			command, verb, kind == ACTION_REMIND ? "reminder" : "snoozed message", id,
			command);
		store_timer_free(t);
		return CLI_EXIT_FAILURE;
	}
	ret = strcmp(verb, "wake") == 0 ? store_timer_make_due(st, id, clock_now_unix(), &error)
					: store_timer_cancel(st, id, &error);
	if (ret < 0) {
		fprintf(stderr, "vea %s %s: %s\n", command, verb, error);
		g_free(error);
		store_timer_free(t);
		return CLI_EXIT_FAILURE;
	}
	if (ret == 0) {
		fprintf(stderr, "vea %s %s: #%" G_GINT64_FORMAT " is %s: only a waiting one can be %s\n",
			command, verb, id, store_timer_state_name(t->state),
			strcmp(verb, "wake") == 0 ? "woken" : "cancelled");
		store_timer_free(t);
		return CLI_EXIT_FAILURE;
	}
	if (strcmp(verb, "wake") == 0)
		printf("#%" G_GINT64_FORMAT ": due now; vea run brings \"%s\" back to its mailbox at "
		       "its next round\n", id, t->subject);
	else
		printf("#%" G_GINT64_FORMAT ": cancelled; it will not fire\n", id);
	store_timer_free(t);
	return CLI_EXIT_OK;
}

static int remind_command(cli_context *ctx, action_kind kind, int argc, char **argv)
{
	const char *command = kind == ACTION_REMIND ? "remind" : "snooze";
	const char *client = NULL, *verb = argc >= 2 ? argv[1] : "list";
	gboolean json = FALSE, all = FALSE;
	int64_t id = 0;
	store *st = NULL;
	char *error = NULL;
	conf *config;
	int ret = CLI_EXIT_OK;

	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		remind_usage(stdout, kind);
		return CLI_EXIT_OK;
	}
	if (verb[0] == '-')
		verb = "list";
	else
		argc--, argv++;
	if (strcmp(verb, "list") == 0) {
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--json") == 0) {
				json = TRUE;
			} else if (strcmp(argv[i], "--all") == 0) {
				all = TRUE;
			} else if (strcmp(argv[i], "--client") == 0 && i + 1 < argc) {
				client = argv[++i];
			} else {
				fprintf(stderr, "vea %s list: unknown argument '%s'\n", command, argv[i]);
				remind_usage(stderr, kind);
				return CLI_EXIT_USAGE;
			}
		}
	} else if ((kind == ACTION_REMIND && strcmp(verb, "cancel") == 0) ||
		   (kind == ACTION_SNOOZE && strcmp(verb, "wake") == 0)) {
		if (argc != 2 || remind_parse_id(command, argv[1], &id) < 0) {
			remind_usage(stderr, kind);
			return CLI_EXIT_USAGE;
		}
	} else if (kind == ACTION_REMIND && strcmp(verb, "add") == 0) {
		if (argc != 3 || remind_parse_id(command, argv[1], &id) < 0) {
			remind_usage(stderr, kind);
			return CLI_EXIT_USAGE;
		}
	} else {
		fprintf(stderr, "vea %s: unknown command '%s'\n", command, verb);
		remind_usage(stderr, kind);
		return CLI_EXIT_USAGE;
	}

	ret = cli_open_store(ctx, command, client, &config, &st);
	if (ret != CLI_EXIT_OK)
		return ret;
	if (strcmp(verb, "list") == 0) {
		g_autoptr(GPtrArray) timers = NULL;
		guint shown = 0;

		if (store_timer_list(st, client, kind, STORE_TIMER_STATE_COUNT, &timers, &error) < 0) {
			fprintf(stderr, "vea %s: %s\n", command, error);
			g_free(error);
			ret = CLI_EXIT_FAILURE;
		} else {
			for (guint i = 0; i < timers->len; i++) {
				const store_timer *t = g_ptr_array_index(timers, i);

				if (!all && t->state != STORE_TIMER_PENDING &&
				    t->state != STORE_TIMER_FIRING)
					continue;
				remind_print(t, json);
				shown++;
			}
			if (shown == 0 && !json)
				printf("%s%s%s.\n", kind == ACTION_REMIND ? "No reminders waiting"
									   : "No snoozed mail",
				       client != NULL ? " for " : "", client != NULL ? client : "");
		}
	} else if (strcmp(verb, "add") == 0) {
		store_timer *t = NULL;

		if (agent_timer_add(config, st, id, argv[2], clock_now_unix(), &t, &error) < 0) {
			fprintf(stderr, "vea remind add: %s\n", error);
			g_free(error);
			ret = CLI_EXIT_FAILURE;
		} else {
			printf("#%" G_GINT64_FORMAT ": a reminder about \"%s\" is due %s\n", t->id,
			       t->subject, t->local_due);
			store_timer_free(t);
		}
	} else {
		ret = remind_change(st, kind, verb, id);
	}
	store_close(&st);
	conf_free(&config);
	return ret;
}

int cmd_remind(cli_context *ctx, int argc, char **argv)
{
	return remind_command(ctx, ACTION_REMIND, argc, argv);
}

int cmd_snooze(cli_context *ctx, int argc, char **argv)
{
	return remind_command(ctx, ACTION_SNOOZE, argc, argv);
}
