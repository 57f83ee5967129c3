#ifndef VEA_CALENDAR_CALENDAR_CONF_H
#define VEA_CALENDAR_CALENDAR_CONF_H

/* The calendar part of vea.conf (vea.conf(5), CALENDARS): [calendar:ID]
 * sections and a client's scheduling rules. Built into libveaconf.a (it
 * needs only GLib), so that conf.c can call it without linking libical;
 * calendar.h reads the rules it fills. */

#include <glib.h>
#include <stdint.h>

struct conf;
struct conf_client;

typedef enum {
	CALENDAR_ROLE_PRIMARY, /* accepted events are written here; one per client */
	CALENDAR_ROLE_BUSY,    /* read only; its events count as busy */
	CALENDAR_ROLE_HOLIDAY, /* read only; each event blocks its whole local day(s) */
} calendar_role;

#define CALENDAR_RANGES_PER_DAY 8

/* A client's scheduling rules; all times in the client's zone. */
typedef struct calendar_rules {
	GTimeZone *tz;    /* a reference */
	/* Working hours per weekday, 0 = Monday .. 6 = Sunday, as minutes
	 * after local midnight, [start, end). n_ranges[d] == 0: not a
	 * working day. hours_set FALSE: no working hours (any time is in). */
	gboolean hours_set;
	int n_ranges[7];
	struct {
		int start, end;
	} ranges[7][CALENDAR_RANGES_PER_DAY];
	int64_t buffer;     /* seconds of free time needed before and after */
	int max_per_day;    /* meetings on a local day, the new one included; 0: no limit */
	int64_t min_notice; /* seconds between now and the start; 0: none */
	int64_t horizon;    /* seconds: how far a recurring invitation is checked */
	/* The client's own days off (holidays = ...), as julian day
	 * numbers (g_date_get_julian), sorted; blocked like a holiday
	 * calendar's days. NULL when none. */
	guint32 *holidays;
	guint n_holidays;
} calendar_rules;

/* Who sends the executive's iTIP REPLY for the primary calendar (RFC
 * 6638 7.1, vea.conf(5) schedule_agent). */
typedef enum {
	CALENDAR_SCHEDULE_AGENT_AUTO,   /* the server's DAV header decides (calendar-auto-schedule) */
	CALENDAR_SCHEDULE_AGENT_SERVER, /* the server: vea only changes PARTSTAT in the calendar */
	CALENDAR_SCHEDULE_AGENT_CLIENT, /* vea mails the REPLY; ORGANIZER;SCHEDULE-AGENT=CLIENT */
} calendar_schedule_agent;

typedef struct conf_calendar {
	char *id;
	struct conf_client *client;
	char *url;          /* http(s):// CalDAV collection or ICS feed */
	calendar_role role;
	gboolean feed;      /* ics = true or a URL ending in .ics: GET, read only */
	calendar_schedule_agent schedule_agent; /* the primary's schedule_agent */
	char *user;
	char *password_cmd; /* run without a shell; never logged */
	char *oauth2_token_cmd; /* prints an OAuth 2 access token (Google); never logged */
	char *source;       /* "FILE:LINE" */
} conf_calendar;

/* What calendar-conf.c needs from conf.c's loader, so that the loader's
 * internals stay in conf.c. */
typedef struct conf_calendar_loader {
	GKeyFile *keyfile;
	struct conf *conf;
	void *ctx;
	void (*error)(void *ctx, const char *section, const char *key, const char *message);
	char *(*source)(void *ctx, const char *section);
} conf_calendar_loader;

/* Keys of [client:ID] that belong to scheduling (for conf.c's check of
 * unknown keys). */
gboolean conf_calendar_is_client_key(const char *key);

/* Read every [calendar:ID] section and every client's scheduling keys,
 * after the clients are loaded; fills conf->calendars and each
 * client->calendar_rules. Problems go to loader->error. */
void conf_calendar_load(const conf_calendar_loader *loader);

void conf_calendar_free(gpointer calendar);
void calendar_rules_free(calendar_rules *rules);

/* Defaults: no working hours, no buffer, no daily limit, no notice, 8
 * weeks horizon. tz is referenced. */
calendar_rules *calendar_rules_new(GTimeZone *tz);

/* "mon-fri 09:00-12:30,13:30-18:00; sat 10:00-12:00". Days are
 * mon..sun (a range or a comma list), then one or more HH:MM-HH:MM
 * ranges (24:00 allowed as an end). Returns 0, or -1 with *error_r. */
int calendar_rules_parse_hours(calendar_rules *rules, const char *text, char **error_r);

/* "2026-11-26; 2026-12-24..2026-12-31": dates and inclusive ranges (at
 * most a year each), ';' or ',' between them. Returns 0 and sets
 * rules->holidays, or -1 with *error_r. */
int calendar_rules_parse_holidays(calendar_rules *rules, const char *text, char **error_r);

const char *calendar_role_name(calendar_role role);

#endif
