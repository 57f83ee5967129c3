/* vea.conf's calendar sections and scheduling keys: see calendar-conf.h. */
#include "calendar/calendar-conf.h"
#include "conf/conf.h"
#include "util/duration.h"

#include <stdio.h>
#include <string.h>

static const char *const calendar_client_keys[] = {
	"working_hours", "meeting_buffer", "max_meetings_per_day", "min_notice",
	"invitation_horizon", "holidays", NULL
};

gboolean conf_calendar_is_client_key(const char *key)
{
	return g_strv_contains(calendar_client_keys, key);
}

const char *calendar_role_name(calendar_role role)
{
	switch (role) {
	case CALENDAR_ROLE_PRIMARY:
		return "primary";
	case CALENDAR_ROLE_BUSY:
		return "busy";
	case CALENDAR_ROLE_HOLIDAY:
		return "holiday";
	}
	return "?";
}

calendar_rules *calendar_rules_new(GTimeZone *tz)
{
	calendar_rules *rules = g_new0(calendar_rules, 1);

	rules->tz = tz != NULL ? g_time_zone_ref(tz) : g_time_zone_new_utc();
	rules->horizon = 8 * 7 * 86400;
	return rules;
}

void calendar_rules_free(calendar_rules *rules)
{
	if (rules == NULL)
		return;
	g_time_zone_unref(rules->tz);
	g_free(rules->holidays);
	g_free(rules);
}

static int calendar_day_index(const char *name)
{
	static const char *const days[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

	for (int i = 0; i < 7; i++) {
		if (g_ascii_strncasecmp(name, days[i], 3) == 0 &&
		    (name[3] == '\0' || g_ascii_strcasecmp(name, days[i]) == 0 ||
		     /* "monday", "tuesday", ... */
		     g_str_has_suffix(name, "day")))
			return i;
	}
	return -1;
}

static int calendar_parse_minutes(const char *text, int *minutes_r)
{
	int h, m;
	char end;

	if (sscanf(text, "%2d:%2d%c", &h, &m, &end) != 2 || strlen(text) != 5)
		return -1;
	if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	*minutes_r = h * 60 + m;
	return 0;
}

int calendar_rules_parse_hours(calendar_rules *rules, const char *text, char **error_r)
{
	g_auto(GStrv) groups = g_strsplit(text, ";", -1);
	int n_ranges[7] = { 0 };
	calendar_rules parsed;

	memset(&parsed, 0, sizeof parsed);
	for (char **group = groups; *group != NULL; group++) {
		char *g = g_strstrip(*group);
		char *space = strpbrk(g, " \t");
		g_auto(GStrv) dayspecs = NULL;
		g_auto(GStrv) ranges = NULL;
		gboolean days[7] = { FALSE };

		if (*g == '\0')
			continue;
		if (space == NULL) {
			*error_r = g_strdup_printf("'%s': expected days then times, e.g. 'mon-fri 09:00-18:00'", g);
			return -1;
		}
		*space = '\0';
		dayspecs = g_strsplit(g, ",", -1);
		for (char **d = dayspecs; *d != NULL; d++) {
			char *dash = strchr(*d, '-');
			int first, last;

			if (dash != NULL)
				*dash = '\0';
			first = calendar_day_index(g_strstrip(*d));
			last = dash != NULL ? calendar_day_index(g_strstrip(dash + 1)) : first;
			if (first < 0 || last < 0) {
				*error_r = g_strdup_printf("'%s': unknown day (use mon, tue, wed, thu, fri, sat, sun)",
							   *d);
				return -1;
			}
			/* "fri-mon" wraps over the weekend. */
			for (int i = first;; i = (i + 1) % 7) {
				days[i] = TRUE;
				if (i == last)
					break;
			}
		}
		ranges = g_strsplit(g_strstrip(space + 1), ",", -1);
		for (char **r = ranges; *r != NULL; r++) {
			char *range = g_strstrip(*r);
			char *dash = strchr(range, '-');
			int start, end;

			if (*range == '\0')
				continue;
			if (dash == NULL)
				goto bad_range;
			*dash = '\0';
			if (calendar_parse_minutes(g_strstrip(range), &start) < 0 ||
			    calendar_parse_minutes(g_strstrip(dash + 1), &end) < 0 || start >= end || start >= 24 * 60) {
				*dash = '-';
				goto bad_range;
			}
			for (int i = 0; i < 7; i++) {
				if (!days[i])
					continue;
				if (n_ranges[i] == CALENDAR_RANGES_PER_DAY) {
					*error_r = g_strdup_printf("more than %d ranges on one day",
								   CALENDAR_RANGES_PER_DAY);
					return -1;
				}
				parsed.ranges[i][n_ranges[i]].start = start;
				parsed.ranges[i][n_ranges[i]].end = end;
				n_ranges[i]++;
			}
			continue;
bad_range:
			*error_r = g_strdup_printf("'%s': expected HH:MM-HH:MM (24 h, start before end)", range);
			return -1;
		}
	}
	memcpy(rules->ranges, parsed.ranges, sizeof rules->ranges);
	memcpy(rules->n_ranges, n_ranges, sizeof n_ranges);
	rules->hours_set = TRUE;
	return 0;
}

static gboolean calendar_parse_date(const char *text, GDate *date)
{
	int y, m, d;
	char end;

	if (sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3 || strlen(text) != 10 ||
	    !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
		return FALSE;
	g_date_clear(date, 1);
	g_date_set_dmy(date, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
	return TRUE;
}

static gint calendar_julian_compare(gconstpointer a, gconstpointer b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

int calendar_rules_parse_holidays(calendar_rules *rules, const char *text, char **error_r)
{
	g_auto(GStrv) items = g_strsplit_set(text, ";,", -1);
	GArray *days = g_array_new(FALSE, FALSE, sizeof(guint32));

	for (char **item = items; *item != NULL; item++) {
		char *spec = g_strstrip(*item);
		char *dots = strstr(spec, "..");
		GDate first, last;

		if (*spec == '\0')
			continue;
		if (dots != NULL)
			*dots = '\0';
		if (!calendar_parse_date(g_strstrip(spec), &first) ||
		    !calendar_parse_date(dots != NULL ? g_strstrip(dots + 2) : spec, &last) ||
		    g_date_get_julian(&last) < g_date_get_julian(&first) ||
		    g_date_get_julian(&last) - g_date_get_julian(&first) > 366) {
			if (dots != NULL)
				*dots = '.';
			*error_r = g_strdup_printf("'%s': expected YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD "
						   "(at most a year)", spec);
			g_array_unref(days);
			return -1;
		}
		for (guint32 j = g_date_get_julian(&first); j <= g_date_get_julian(&last); j++)
			g_array_append_val(days, j);
	}
	g_array_sort(days, calendar_julian_compare);
	g_free(rules->holidays);
	rules->n_holidays = days->len;
	rules->holidays = (guint32 *)(void *)g_array_free(days, days->len == 0);
	return 0;
}

void conf_calendar_free(gpointer data)
{
	conf_calendar *cal = data;

	g_free(cal->id);
	g_free(cal->url);
	g_free(cal->user);
	g_free(cal->password_cmd);
	g_free(cal->oauth2_token_cmd);
	g_free(cal->source);
	g_free(cal);
}

static void calendar_conf_error(const conf_calendar_loader *loader, const char *section,
				const char *key, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void calendar_conf_error(const conf_calendar_loader *loader, const char *section,
				const char *key, const char *fmt, ...)
{
	g_autofree char *message = NULL;
	va_list args;

	va_start(args, fmt);
	message = g_strdup_vprintf(fmt, args);
	va_end(args);
	loader->error(loader->ctx, section, key, message);
}

static char *calendar_conf_string(const conf_calendar_loader *loader, const char *section,
				  const char *key)
{
	char *value = g_key_file_get_string(loader->keyfile, section, key, NULL);

	if (value != NULL && *g_strstrip(value) == '\0') {
		g_free(value);
		return NULL;
	}
	return value;
}

static void calendar_conf_duration(const conf_calendar_loader *loader, const char *section,
				   const char *key, int64_t *seconds_r)
{
	g_autofree char *value = calendar_conf_string(loader, section, key);
	char *error = NULL;

	if (value != NULL && duration_parse(value, seconds_r, &error) < 0) {
		calendar_conf_error(loader, section, key, "%s: %s", key, error);
		g_free(error);
	}
}

/* A horizon is said in weeks or days ("8w", "30d"), which
 * util/duration.h does not know; hours and minutes work too. */
static void calendar_conf_horizon(const conf_calendar_loader *loader, const char *section,
				  int64_t *seconds_r)
{
	g_autofree char *value = calendar_conf_string(loader, section, "invitation_horizon");
	size_t len = value != NULL ? strlen(value) : 0;
	gint64 n;

	if (value == NULL)
		return;
	if (len > 1 && (value[len - 1] == 'w' || value[len - 1] == 'd')) {
		g_autofree char *digits = g_strndup(value, len - 1);

		if (g_ascii_string_to_signed(digits, 10, 1, 366, &n, NULL)) {
			*seconds_r = n * (value[len - 1] == 'w' ? 7 : 1) * 86400;
			return;
		}
		calendar_conf_error(loader, section, "invitation_horizon",
				    "invitation_horizon: '%s' (use weeks or days, e.g. 8w or 30d)", value);
		return;
	}
	calendar_conf_duration(loader, section, "invitation_horizon", seconds_r);
}

static void calendar_conf_client(const conf_calendar_loader *loader, conf_client *client)
{
	g_autofree char *section = g_strconcat("client:", client->id, NULL);
	g_autofree char *hours = calendar_conf_string(loader, section, "working_hours");
	g_autofree char *max = calendar_conf_string(loader, section, "max_meetings_per_day");
	g_autofree char *holidays = calendar_conf_string(loader, section, "holidays");
	calendar_rules *rules = calendar_rules_new(client->tz);

	if (hours != NULL) {
		char *error = NULL;

		if (calendar_rules_parse_hours(rules, hours, &error) < 0) {
			calendar_conf_error(loader, section, "working_hours", "working_hours: %s", error);
			g_free(error);
		}
	}
	if (holidays != NULL) {
		char *error = NULL;

		/* A bad date is reported once, by conf.c, which reads the
		 * same key for reminders' business days. */
		if (calendar_rules_parse_holidays(rules, holidays, &error) < 0)
			g_free(error);
	}
	calendar_conf_duration(loader, section, "meeting_buffer", &rules->buffer);
	calendar_conf_duration(loader, section, "min_notice", &rules->min_notice);
	calendar_conf_horizon(loader, section, &rules->horizon);
	if (rules->horizon <= 0 || rules->horizon > 366 * 86400)
		calendar_conf_error(loader, section, "invitation_horizon",
				    "invitation_horizon must be more than 0 and at most a year");
	if (max != NULL) {
		gint64 n;

		if (!g_ascii_string_to_signed(max, 10, 0, 100, &n, NULL))
			calendar_conf_error(loader, section, "max_meetings_per_day",
					    "'max_meetings_per_day' must be a whole number from 0 to 100, not '%s'",
					    max);
		else
			rules->max_per_day = (int)n;
	}
	client->calendar_rules = rules;
}

/* RFC 3986 3.2.1: userinfo@ before the host. */
static gboolean calendar_url_has_userinfo(const char *url)
{
	const char *authority = strstr(url, "://");
	const char *end;

	if (authority == NULL)
		return FALSE;
	authority += 3;
	end = authority + strcspn(authority, "/?#");
	return memchr(authority, '@', (size_t)(end - authority)) != NULL;
}

static void calendar_conf_section(const conf_calendar_loader *loader, const char *section,
				  const char *id)
{
	static const char *const known[] = { "client", "url", "role", "user", "password_cmd",
					     "oauth2_token_cmd", "ics", "schedule_agent", NULL };
	static const char *const roles[] = { "primary", "busy", "holiday", NULL };
	g_auto(GStrv) keys = g_key_file_get_keys(loader->keyfile, section, NULL, NULL);
	g_autofree char *client_id = calendar_conf_string(loader, section, "client");
	g_autofree char *role = calendar_conf_string(loader, section, "role");
	g_autofree char *ics = calendar_conf_string(loader, section, "ics");
	g_autofree char *agent = calendar_conf_string(loader, section, "schedule_agent");
	conf_calendar *cal = g_new0(conf_calendar, 1);

	for (char **key = keys; key != NULL && *key != NULL; key++) {
		if (!g_strv_contains(known, *key))
			calendar_conf_error(loader, section, *key, "unknown key '%s' in [%s]", *key, section);
	}
	cal->id = g_strdup(id);
	cal->source = loader->source(loader->ctx, section);
	if (client_id == NULL)
		calendar_conf_error(loader, section, NULL, "[%s] lacks required key 'client'", section);
	else if ((cal->client = conf_find_client(loader->conf, client_id)) == NULL)
		calendar_conf_error(loader, section, "client", "unknown client '%s' (no [client:%s] section)",
				    client_id, client_id);
	cal->url = calendar_conf_string(loader, section, "url");
	if (cal->url == NULL)
		calendar_conf_error(loader, section, NULL, "[%s] lacks required key 'url'", section);
	else if (!g_str_has_prefix(cal->url, "https://") && !g_str_has_prefix(cal->url, "http://"))
		calendar_conf_error(loader, section, "url", "url '%s' must start with https:// or http://",
				    cal->url);
	else if (calendar_url_has_userinfo(cal->url))
		/* A password in the URL would be logged with it: user and
		 * password_cmd carry credentials. */
		calendar_conf_error(loader, section, "url", "url must not hold a user or password "
				    "(use user and password_cmd)");
	cal->role = CALENDAR_ROLE_BUSY;
	if (role != NULL) {
		int i;

		for (i = 0; roles[i] != NULL && g_ascii_strcasecmp(role, roles[i]) != 0; i++)
			;
		/* "holidays" is how people write it. */
		if (roles[i] == NULL && g_ascii_strcasecmp(role, "holidays") == 0)
			i = CALENDAR_ROLE_HOLIDAY;
		if (roles[i] == NULL && i != CALENDAR_ROLE_HOLIDAY)
			calendar_conf_error(loader, section, "role",
					    "role must be one of primary, busy, holiday, not '%s'", role);
		else
			cal->role = (calendar_role)i;
	}
	if (ics != NULL) {
		if (g_ascii_strcasecmp(ics, "true") == 0 || g_ascii_strcasecmp(ics, "yes") == 0)
			cal->feed = TRUE;
		else if (g_ascii_strcasecmp(ics, "false") != 0 && g_ascii_strcasecmp(ics, "no") != 0)
			calendar_conf_error(loader, section, "ics", "'ics' must be true or false, not '%s'", ics);
	} else if (cal->url != NULL) {
		cal->feed = g_str_has_suffix(cal->url, ".ics");
	}
	if (cal->feed && cal->role == CALENDAR_ROLE_PRIMARY)
		calendar_conf_error(loader, section, "role",
				    "an ICS feed is read only: it cannot be the primary calendar");
	/* Who sends the executive's answers (RFC 6638 7.1): the calendar
	 * server (implicit scheduling), or vea itself; by default what the
	 * server announces (calendar-auto-schedule). */
	cal->schedule_agent = CALENDAR_SCHEDULE_AGENT_AUTO;
	if (agent != NULL) {
		if (g_ascii_strcasecmp(agent, "server") == 0)
			cal->schedule_agent = CALENDAR_SCHEDULE_AGENT_SERVER;
		else if (g_ascii_strcasecmp(agent, "client") == 0)
			cal->schedule_agent = CALENDAR_SCHEDULE_AGENT_CLIENT;
		else
			calendar_conf_error(loader, section, "schedule_agent",
					    "schedule_agent must be server or client, not '%s'", agent);
		if (cal->role != CALENDAR_ROLE_PRIMARY)
			calendar_conf_error(loader, section, "schedule_agent",
					    "schedule_agent is for the primary calendar (answers are "
					    "written only there)");
	}
	cal->user = calendar_conf_string(loader, section, "user");
	cal->password_cmd = calendar_conf_string(loader, section, "password_cmd");
	cal->oauth2_token_cmd = calendar_conf_string(loader, section, "oauth2_token_cmd");
	if (cal->password_cmd != NULL && cal->user == NULL)
		calendar_conf_error(loader, section, "password_cmd", "password_cmd needs 'user'");
	if (cal->password_cmd != NULL && cal->oauth2_token_cmd != NULL)
		calendar_conf_error(loader, section, "oauth2_token_cmd",
				    "set password_cmd or oauth2_token_cmd, not both");
	g_ptr_array_add(loader->conf->calendars, cal);
}

void conf_calendar_load(const conf_calendar_loader *loader)
{
	g_auto(GStrv) groups = g_key_file_get_groups(loader->keyfile, NULL);

	for (guint i = 0; i < loader->conf->clients->len; i++)
		calendar_conf_client(loader, g_ptr_array_index(loader->conf->clients, i));
	for (char **group = groups; *group != NULL; group++) {
		if (g_str_has_prefix(*group, "calendar:") && (*group)[9] != '\0')
			calendar_conf_section(loader, *group, *group + 9);
	}
	/* At most one primary per client: it is where an accepted event
	 * is written, and two would mean writing it twice. */
	for (guint i = 0; i < loader->conf->calendars->len; i++) {
		conf_calendar *a = g_ptr_array_index(loader->conf->calendars, i);
		g_autofree char *section = g_strconcat("calendar:", a->id, NULL);

		if (a->role != CALENDAR_ROLE_PRIMARY || a->client == NULL)
			continue;
		for (guint j = 0; j < i; j++) {
			conf_calendar *b = g_ptr_array_index(loader->conf->calendars, j);

			if (b->role == CALENDAR_ROLE_PRIMARY && b->client == a->client)
				calendar_conf_error(loader, section, "role",
						    "client '%s' already has a primary calendar ('%s')",
						    a->client->id, b->id);
		}
	}
}
