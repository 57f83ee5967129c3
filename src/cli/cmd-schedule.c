/* vea schedule: answers to invitations the rules proposed, waiting for
 * the assistant (the default for every client), and what became of the
 * others; approve sends the proposed answer, decline drops it. */
#include "cli/cli.h"
#include "outbox/thread.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

static void schedule_usage(FILE *out)
{
	fprintf(out,
		"Usage: vea schedule list [--client ID] [--all] [--json]\n"
		"       vea schedule approve N [--whole]\n"
		"       vea schedule decline N\n"
		"  list: the answers to invitations waiting for your approval (--all: every\n"
		"  answer, sent, left in Drafts, declined, cancelled, superseded), each with\n"
		"  the meeting, its time in the client's zone, the organizer, the answer the\n"
		"  rules proposed and why (free, a conflict, a calendar that could not be\n"
		"  read). approve sends that answer (an iTIP REPLY from the executive's own\n"
		"  server) at the next round of vea run; decline drops it: nothing is sent.\n"
		"  A series proposed with some instances declined (they conflict) is\n"
		"  answered as proposed; approve N --whole answers every instance instead.\n"
		"  Where the primary calendar's server does implicit scheduling (RFC 6638),\n"
		"  vea run writes the answer (PARTSTAT) into that calendar instead and the\n"
		"  server sends it: the answer is marked \"answered through the calendar\n"
		"  server (RFC 6638)\", and vea sends nothing itself.\n");
}

#define SCHEDULE_VIA_SERVER "answered through the calendar server (RFC 6638)"

/* The server of the primary calendar sends (or sent) the answer: vea
 * changes PARTSTAT there and mails nothing. */
static gboolean schedule_via_server(const store_schedule *d)
{
	return g_strcmp0(d->route, "server") == 0;
}

static void schedule_print(const store_schedule *d, gboolean json)
{
	if (json) {
		g_autoptr(GString) out = g_string_new("{");

		g_string_append_printf(out, "\"id\":%" G_GINT64_FORMAT ",\"client\":", d->id);
		json_append_string(out, d->client);
		g_string_append(out, ",\"account\":");
		json_append_string(out, d->account);
		g_string_append(out, ",\"state\":");
		json_append_string(out, store_schedule_state_name(d->state));
		g_string_append(out, ",\"method\":");
		json_append_string(out, d->method);
		g_string_append(out, ",\"summary\":");
		json_append_string(out, d->summary);
		g_string_append(out, ",\"start\":");
		json_append_string(out, d->start_local);
		g_string_append(out, ",\"organizer\":");
		json_append_string(out, d->organizer);
		g_string_append(out, ",\"partstat\":");
		json_append_string(out, d->partstat);
		g_string_append(out, ",\"mode\":");
		json_append_string(out, d->mode);
		g_string_append(out, ",\"verdict\":");
		json_append_string(out, d->verdict);
		g_string_append(out, ",\"event_uid\":");
		json_append_string(out, d->event_uid);
		g_string_append_printf(out, ",\"sequence\":%d,\"outbox_id\":%" G_GINT64_FORMAT
				       ",\"calendar\":", d->sequence, d->outbox_id);
		json_append_string(out, d->stored);
		g_string_append(out, ",\"route\":");
		json_append_string(out, d->route);
		g_string_append(out, ",\"result\":");
		json_append_string(out, d->result);
		g_string_append(out, ",\"declined_instances\":");
		json_append_string(out, d->declined_instances != NULL ? d->declined_instances : "");
		g_string_append_c(out, '}');
		puts(out->str);
		return;
	}
	printf("#%" G_GINT64_FORMAT "  %-10s %s  \"%s\"  %s  from %s\n", d->id,
	       store_schedule_state_name(d->state), d->client, d->summary, d->start_local,
	       d->organizer);
	if (*d->partstat != '\0')
		printf("    proposed: %s (%s)%s%s\n", d->partstat, d->verdict,
		       *d->result != '\0' ? "; " : "", d->result);
	else if (*d->result != '\0')
		printf("    %s\n", d->result);
	if (schedule_via_server(d) && d->state != STORE_SCHEDULE_CANCELLED)
		printf("    %s%s\n", d->state == STORE_SCHEDULE_WAITING ? "once approved: " : "",
		       d->state == STORE_SCHEDULE_SENT && *d->stored == '\0'
			       ? SCHEDULE_VIA_SERVER ", once vea run writes it to the primary calendar"
			       : SCHEDULE_VIA_SERVER);
	/* The primary calendar's side of a sent answer (or a cancellation). */
	if (d->state == STORE_SCHEDULE_SENT || d->state == STORE_SCHEDULE_DRAFTED ||
	    d->state == STORE_SCHEDULE_CANCELLED) {
		const char *stored = d->stored != NULL ? d->stored : "";

		if (*stored == '\0')
			printf("    calendar: not written yet (the next vea run writes it)\n");
		else if (strcmp(stored, "done") == 0)
			printf("    calendar: %s the primary calendar\n",
			       d->state == STORE_SCHEDULE_CANCELLED ? "marked cancelled in" : "written to");
		else if (strcmp(stored, "none") != 0)
			printf("    calendar: %s\n", stored);
	}
}

static int schedule_change(conf *config, store *st, const char *verb, const char *arg,
			   gboolean whole)
{
	char *error = NULL, *end;
	gint64 id = g_ascii_strtoll(arg[0] == '#' ? arg + 1 : arg, &end, 10);
	store_schedule *d = NULL;
	int found, ret;
	int64_t now = clock_now_unix();

	if (*end != '\0' || id <= 0) {
		fprintf(stderr, "vea schedule %s: '%s' is not a decision number (see vea schedule "
			"list)\n", verb, arg);
		return CLI_EXIT_USAGE;
	}
	found = store_schedule_get(st, id, &d, &error);
	if (found <= 0) {
		if (found < 0)
			fprintf(stderr, "vea schedule %s: %s\n", verb, error);
		else
			fprintf(stderr, "vea schedule %s: there is no decision #%" G_GINT64_FORMAT
				" (see vea schedule list)\n", verb, id);
		g_free(error);
		return CLI_EXIT_FAILURE;
	}
	if (d->state != STORE_SCHEDULE_WAITING) {
		fprintf(stderr, "vea schedule %s: decision #%" G_GINT64_FORMAT " is %s: only one "
			"waiting for approval can be approved or declined\n", verb, id,
			store_schedule_state_name(d->state));
		store_schedule_free(d);
		return CLI_EXIT_FAILURE;
	}
	if (whole && (d->declined_instances == NULL || *d->declined_instances == '\0' ||
		      d->reply_whole == NULL)) {
		fprintf(stderr, "vea schedule approve: decision #%" G_GINT64_FORMAT " declines no "
			"instance: --whole is for a series proposed with some declined\n", id);
		store_schedule_free(d);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(verb, "approve") == 0) {
		const conf_client *client = conf_find_client(config, d->client);
		char *recipients[2];
		store_outbox_message m;

		if (whole) {
			/* The REPLY accepting every instance, composed with the
			 * decision (same Message-ID). */
			g_free(d->reply);
			d->reply = g_steal_pointer(&d->reply_whole);
			d->reply_size = d->reply_whole_size;
		}
		store_schedule_reply_message(d, client != NULL ? client->email : NULL, now, recipients, &m);

		if (client != NULL && schedule_via_server(d)) {
			/* RFC 6638: vea run writes the PARTSTAT into the
			 * primary calendar, and its server sends the REPLY;
			 * nothing goes to the outbox. */
			ret = store_schedule_approve(st, id, NULL, whole, now, &error);
			goto done;
		}
		if (client == NULL || d->reply == NULL) {
			fprintf(stderr, "vea schedule approve: decision #%" G_GINT64_FORMAT " has %s\n",
				id, client == NULL ? "a client no longer in the configuration"
						   : "no reply to send");
			store_schedule_free(d);
			return CLI_EXIT_FAILURE;
		}
		ret = store_schedule_approve(st, id, &m, whole, now, &error);
	} else {
		ret = store_schedule_finish(st, id, STORE_SCHEDULE_DECLINED,
					    "declined by the assistant: nothing sent", now, &error);
	}
done:
	if (ret == 0) {
		fprintf(stderr, "vea schedule %s: decision #%" G_GINT64_FORMAT " is no longer "
			"waiting\n", verb, id);
		store_schedule_free(d);
		return CLI_EXIT_FAILURE;
	}
	if (ret < 0) {
		fprintf(stderr, "vea schedule %s: %s\n", verb, error);
		g_free(error);
		store_schedule_free(d);
		return CLI_EXIT_FAILURE;
	}
	printf("#%" G_GINT64_FORMAT ": %s \"%s\"\n", id,
	       strcmp(verb, "approve") != 0 ? "declined: nothing is sent for"
	       : schedule_via_server(d)
		       ? "approved: vea run writes the answer to the primary calendar, and the "
			 "calendar server sends it to the organizer (" SCHEDULE_VIA_SERVER "):"
		       : "approved: vea run sends the answer to the organizer, "
			 "and writes the event to the primary calendar:",
	       d->summary);
	store_schedule_free(d);
	return CLI_EXIT_OK;
}

int cmd_schedule(cli_context *ctx, int argc, char **argv)
{
	const char *client = NULL;
	gboolean json = FALSE, all = FALSE;
	store *st = NULL;
	char *error = NULL;
	conf *config;
	int ret = CLI_EXIT_OK;
	gboolean whole = argc == 4 && strcmp(argv[1], "approve") == 0 && strcmp(argv[3], "--whole") == 0;
	gboolean change = (argc == 3 && (strcmp(argv[1], "approve") == 0 ||
					 strcmp(argv[1], "decline") == 0)) || whole;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		schedule_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!change) {
		int i = 1;

		if (argc >= 2 && strcmp(argv[1], "list") == 0)
			i = 2;
		for (; i < argc; i++) {
			if (strcmp(argv[i], "--json") == 0) {
				json = TRUE;
			} else if (strcmp(argv[i], "--all") == 0) {
				all = TRUE;
			} else if (strcmp(argv[i], "--client") == 0 && i + 1 < argc) {
				client = argv[++i];
			} else {
				fprintf(stderr, "vea schedule: unknown argument '%s'\n", argv[i]);
				schedule_usage(stderr);
				return CLI_EXIT_USAGE;
			}
		}
	}
	ret = cli_open_store(ctx, "schedule", client, &config, &st);
	if (ret != CLI_EXIT_OK)
		return ret;
	if (change) {
		ret = schedule_change(config, st, argv[1], argv[2], whole);
	} else {
		g_autoptr(GPtrArray) list = NULL;

		if (store_schedule_list(st, client, all ? -1 : STORE_SCHEDULE_WAITING, FALSE, &list,
					&error) < 0) {
			fprintf(stderr, "vea schedule: %s\n", error);
			g_free(error);
			ret = CLI_EXIT_FAILURE;
		} else {
			for (guint i = 0; i < list->len; i++)
				schedule_print(g_ptr_array_index(list, i), json);
			if (list->len == 0 && !json)
				printf("No answer to an invitation is waiting%s%s.\n",
				       client != NULL ? " for " : "", client != NULL ? client : "");
		}
	}
	store_close(&st);
	conf_free(&config);
	return ret;
}
