/* vea status: each account as the running agent last saw it. */
#include "cli/cli.h"
#include "calendar/calendar-sync.h"
#include "util/clock.h"
#include "store/store.h"
#include "util/json.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static char *status_ago(int64_t then, int64_t now)
{
	int64_t delta = now - then;

	if (then == 0)
		return g_strdup("never");
	if (delta < 60)
		return g_strdup_printf("%" G_GINT64_FORMAT " s ago", delta);
	if (delta < 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT " min ago", delta / 60);
	if (delta < 86400)
		return g_strdup_printf("%" G_GINT64_FORMAT " h ago", delta / 3600);
	return g_strdup_printf("%" G_GINT64_FORMAT " days ago", delta / 86400);
}

/* Local midnight of today in the client's zone, as Unix seconds. */
static int64_t status_local_midnight(GTimeZone *tz)
{
	g_autoptr(GDateTime) now = g_date_time_new_now(tz);
	g_autoptr(GDateTime) midnight = g_date_time_new(tz, g_date_time_get_year(now),
							 g_date_time_get_month(now),
							 g_date_time_get_day_of_month(now), 0, 0, 0);

	return g_date_time_to_unix(midnight);
}

int cmd_status(cli_context *ctx, int argc, char **argv)
{
	int64_t now = clock_now_unix();
	gboolean json = FALSE;
	store *st = NULL;
	char *error = NULL;
	conf *config;
	int ret = CLI_EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = TRUE;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("Usage: vea status [--json]\n");
			return CLI_EXIT_OK;
		} else {
			fprintf(stderr, "vea status: unknown argument '%s'\n", argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	config = cli_load_config(ctx);
	if (config == NULL)
		return CLI_EXIT_CONFIG;
	if (store_open(config->database, &st, &error) < 0) {
		fprintf(stderr, "vea status: %s\n", error);
		g_free(error);
		conf_free(&config);
		return CLI_EXIT_FAILURE;
	}
	for (guint i = 0; i < config->accounts->len; i++) {
		const conf_account *account = g_ptr_array_index(config->accounts, i);
		store_account_status *status = NULL;
		const char *state;
		gboolean running;

		if (store_account_status_get(st, account->id, status_local_midnight(account->client->tz),
					     &status, &error) < 0) {
			fprintf(stderr, "vea status: %s\n", error);
			g_clear_pointer(&error, g_free);
			ret = CLI_EXIT_FAILURE;
			continue;
		}
		/* The state is what the last vea run wrote; if that process is
		 * gone, say so rather than show a stale "idle". */
		running = status->pid > 0 && kill((pid_t)status->pid, 0) == 0;
		state = status->state == NULL ? "never run" : status->state;
		if (status->state != NULL && !running &&
		    (strcmp(state, "idle") == 0 || strcmp(state, "polling") == 0 ||
		     strcmp(state, "connecting") == 0 || strcmp(state, "syncing") == 0 ||
		     strcmp(state, "backing-off") == 0))
			state = "not running";
		if (json) {
			g_autoptr(GString) out = g_string_new("{\"account\":");

			json_append_string(out, account->id);
			g_string_append(out, ",\"client\":");
			json_append_string(out, account->client->id);
			g_string_append(out, ",\"state\":");
			json_append_string(out, state);
			g_string_append_printf(out, ",\"since\":%" G_GINT64_FORMAT ",\"last_sync\":%" G_GINT64_FORMAT
					       ",\"handled_today\":%" G_GINT64_FORMAT ",\"last_error\":",
					       status->since, status->last_sync, status->handled_since);
			json_append_string(out, status->last_error);
			g_string_append_c(out, '}');
			puts(out->str);
		} else {
			g_autofree char *since = status_ago(status->since, now);
			g_autofree char *synced = status_ago(status->last_sync, now);

			printf("%-20s %-14s %s\n", account->id, state,
			       status->state != NULL ? since : "");
			printf("    client %s; last sync %s; %" G_GINT64_FORMAT " messages handled today\n",
			       account->client->id, synced, status->handled_since);
			if (status->last_error != NULL) {
				g_autofree char *when = status_ago(status->last_error_at, now);

				printf("    last error (%s): %s\n", when, status->last_error);
			}
		}
		store_account_status_free(status);
	}
	/* The outbox, per client: what waits, what could not go. */
	for (guint i = 0; i < config->clients->len; i++) {
		const conf_client *client = g_ptr_array_index(config->clients, i);
		guint counts[STORE_OUTBOX_STATE_COUNT];

		if (store_outbox_counts(st, client->id, counts, &error) < 0) {
			fprintf(stderr, "vea status: %s\n", error);
			g_clear_pointer(&error, g_free);
			ret = CLI_EXIT_FAILURE;
			break;
		}
		if (json) {
			g_autoptr(GString) out = g_string_new("{\"outbox\":");

			json_append_string(out, client->id);
			for (int s = 0; s < STORE_OUTBOX_STATE_COUNT; s++)
				g_string_append_printf(out, ",\"%s\":%u", store_outbox_state_name(s),
						       counts[s]);
			g_string_append_c(out, '}');
			puts(out->str);
		} else if (counts[STORE_OUTBOX_QUEUED] + counts[STORE_OUTBOX_SENDING] +
				   counts[STORE_OUTBOX_FAILED] + counts[STORE_OUTBOX_HELD] + counts[STORE_OUTBOX_SENT] > 0) {
			printf("outbox of %-10s %u queued, %u sending, %u sent, %u failed, %u held%s\n",
			       client->id, counts[STORE_OUTBOX_QUEUED], counts[STORE_OUTBOX_SENDING],
			       counts[STORE_OUTBOX_SENT], counts[STORE_OUTBOX_FAILED],
			       counts[STORE_OUTBOX_HELD],
			       counts[STORE_OUTBOX_FAILED] + counts[STORE_OUTBOX_HELD] > 0
				       ? " (see vea outbox)" : "");
		}
	}
	/* The calendars' copies (issue 14): when each was last synced, and
	 * the answers to invitations waiting for the assistant. */
	for (guint i = 0; config->calendars != NULL && i < config->calendars->len; i++) {
		const conf_calendar *cal = g_ptr_array_index(config->calendars, i);
		g_autofree char *key = calendar_source_key(cal);
		store_calendar_source source = { 0 };
		int found = store_calendar_source_get(st, cal->id, key, &source, &error);

		if (found < 0) {
			fprintf(stderr, "vea status: %s\n", error);
			g_clear_pointer(&error, g_free);
			ret = CLI_EXIT_FAILURE;
			break;
		}
		if (json) {
			g_autoptr(GString) out = g_string_new("{\"calendar\":");

			json_append_string(out, cal->id);
			g_string_append(out, ",\"client\":");
			json_append_string(out, cal->client->id);
			g_string_append(out, ",\"role\":");
			json_append_string(out, calendar_role_name(cal->role));
			g_string_append_printf(out, ",\"synced_at\":%" G_GINT64_FORMAT ",\"objects\":%" G_GINT64_FORMAT
					       "}", source.synced_at, source.objects);
			puts(out->str);
		} else {
			g_autofree char *synced = status_ago(source.synced_at, now);

			if (found == 1)
				printf("calendar %-18s client %s, %s: copy synced %s, %" G_GINT64_FORMAT
				       " objects\n", cal->id, cal->client->id, calendar_role_name(cal->role),
				       synced, source.objects);
			else
				printf("calendar %-18s client %s, %s: not synced yet\n", cal->id,
				       cal->client->id, calendar_role_name(cal->role));
		}
		store_calendar_source_clear(&source);
	}
	for (guint i = 0; config->calendars != NULL && config->calendars->len > 0 &&
			  i < config->clients->len; i++) {
		const conf_client *client = g_ptr_array_index(config->clients, i);
		g_autoptr(GPtrArray) waiting = NULL;

		if (store_schedule_list(st, client->id, STORE_SCHEDULE_WAITING, FALSE, &waiting, &error) < 0) {
			fprintf(stderr, "vea status: %s\n", error);
			g_clear_pointer(&error, g_free);
			ret = CLI_EXIT_FAILURE;
			break;
		}
		if (json) {
			g_autoptr(GString) out = g_string_new("{\"invitations_waiting\":");

			json_append_string(out, client->id);
			g_string_append_printf(out, ",\"count\":%u}", waiting->len);
			puts(out->str);
		} else if (waiting->len > 0)
			printf("invitations of %-7s %u answer%s waiting for approval (vea schedule list)\n",
			       client->id, waiting->len, waiting->len == 1 ? "" : "s");
	}
	store_close(&st);
	conf_free(&config);
	return ret;
}
