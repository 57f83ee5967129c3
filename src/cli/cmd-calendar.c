/* vea calendar check [--client ID]: each calendar of the configuration
 * reached and read, the way decisions will read it (issue 14): a CalDAV
 * collection is probed (OPTIONS DAV header, PROPFIND resourcetype) and
 * queried over the client's invitation horizon; a feed is fetched. One
 * line per calendar, the error naming it; never the password. */
#include "cli/cli.h"
#include "calendar/calendar-sync.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>

int cli_calendar_check_one(const conf_calendar *cal, int64_t now)
{
	const calendar_rules *rules = cal->client->calendar_rules;
	calendar_index *index = calendar_index_new(rules->tz, now, now + rules->horizon);
	caldav_client *dav;
	caldav_info info = { 0 };
	char *error = NULL;
	guint objects = 0;
	int status = -1;
	const char *answers = "";

	/* Declined invitations are not busy, as in decisions. */
	calendar_index_set_client(index, cal->client);
	dav = calendar_connect(cal, &error);
	if (dav == NULL)
		goto out;
	if (cal->feed) {
		g_autofree char *body = NULL;

		if (caldav_get(dav, NULL, &body, NULL, &error) < 0 ||
		    calendar_index_add_text(index, cal->id, cal->role, body, &error) < 0)
			goto out;
		objects = 1;
	} else {
		GPtrArray *found = NULL;

		if (caldav_probe(dav, &info, &error) < 0 || caldav_query(dav, now, now + rules->horizon, &found, &error) < 0)
			goto out;
		objects = found->len;
		for (guint i = 0; i < found->len; i++) {
			const caldav_object *o = g_ptr_array_index(found, i);
			char *e = NULL;

			if (calendar_index_add_text(index, cal->id, cal->role, o->data, &e) < 0) {
				g_autofree char *line = g_strdup_printf("calendar %s: %s: %s", cal->id, o->href, e);

				calendar_index_add_warning(index, line);
				g_free(e);
			}
		}
		g_ptr_array_unref(found);
	}
	calendar_index_finish(index);
	/* Who answers invitations (RFC 6638 7.1, vea.conf(5) schedule_agent). */
	if (cal->role != CALENDAR_ROLE_PRIMARY)
		answers = "";
	else if (cal->schedule_agent == CALENDAR_SCHEDULE_AGENT_CLIENT)
		answers = "; answers to invitations: mailed by vea (schedule_agent = client)";
	else if (cal->schedule_agent == CALENDAR_SCHEDULE_AGENT_SERVER && !info.auto_schedule)
		/* Then nobody may send them. */
		answers = "; answers to invitations: left to the calendar server (schedule_agent = "
			  "server), but it does not announce calendar-auto-schedule (RFC 6638): "
			  "check that it sends them";
	else if (cal->schedule_agent == CALENDAR_SCHEDULE_AGENT_SERVER)
		answers = "; answers to invitations: sent by the calendar server (schedule_agent = server)";
	else if (info.auto_schedule)
		answers = "; answers to invitations: sent by the calendar server (RFC 6638)";
	else
		answers = "; answers to invitations: mailed by vea";
	printf("calendar %s (client %s, %s): OK: %s, %u %s, %u busy intervals in the next %" G_GINT64_FORMAT
	       " days%s%s\n",
	       cal->id, cal->client->id, calendar_role_name(cal->role), cal->feed ? "ICS feed" : "CalDAV",
	       objects, cal->feed ? "feed" : "objects", calendar_index_busy_count(index),
	       rules->horizon / 86400,
	       info.auto_schedule ? "; the server sends replies itself (calendar-auto-schedule)" : "",
	       answers);
	for (guint i = 0; i < calendar_index_warnings(index)->len; i++)
		printf("  warning: %s\n", (const char *)g_ptr_array_index(calendar_index_warnings(index), i));
	status = 0;
out:
	if (status < 0)
		fprintf(stderr, "%s: %s\n", cal->source, error);
	g_free(error);
	caldav_info_clear(&info);
	caldav_client_free(&dav);
	calendar_index_free(&index);
	return status;
}

int cmd_calendar(cli_context *ctx, int argc, char **argv)
{
	const char *client_id = NULL;
	guint checked = 0, failed = 0;
	int64_t now;
	conf *config;

	if (argc == 4 && strcmp(argv[2], "--client") == 0)
		client_id = argv[3];
	if (argc < 2 || strcmp(argv[1], "check") != 0 || (argc != 2 && client_id == NULL)) {
		fprintf(stderr, "Usage: vea [-c FILE] calendar check [--client ID]\n");
		return CLI_EXIT_USAGE;
	}
	config = cli_load_config(ctx);
	if (config == NULL)
		return CLI_EXIT_CONFIG;
	if (client_id != NULL && conf_find_client(config, client_id) == NULL) {
		fprintf(stderr, "vea calendar check: no client '%s'\n", client_id);
		conf_free(&config);
		return CLI_EXIT_USAGE;
	}
	now = clock_now_unix();
	for (guint i = 0; i < config->calendars->len; i++) {
		const conf_calendar *cal = g_ptr_array_index(config->calendars, i);

		if (client_id != NULL && strcmp(cal->client->id, client_id) != 0)
			continue;
		checked++;
		if (cli_calendar_check_one(cal, now) < 0)
			failed++;
	}
	if (checked == 0)
		printf("no calendars configured%s%s\n", client_id != NULL ? " for client " : "",
		       client_id != NULL ? client_id : "");
	conf_free(&config);
	return failed > 0 ? CLI_EXIT_UNAVAILABLE : CLI_EXIT_OK;
}
