#ifndef VEA_CALENDAR_CALENDAR_SYNC_H
#define VEA_CALENDAR_CALENDAR_SYNC_H

/* A client's calendars from vea.conf ([calendar:ID]) read into one busy
 * index: CalDAV collections by calendar-query REPORT over the window,
 * ICS feeds by GET. A calendar that cannot be read is reported and left
 * out; the caller decides what that means (SCHEDULING.md 6.6: decisions
 * that need it wait, triage goes on). */

#include "calendar/caldav.h"
#include "calendar/calendar.h"
#include "conf/conf.h"

/* A CalDAV connection for cal; runs its password_cmd (never logged).
 * NULL with *error_r ("calendar X: password_cmd: ..."). */
caldav_client *calendar_connect(const conf_calendar *cal, char **error_r);

/* The client's primary calendar, or NULL. */
const conf_calendar *calendar_find_primary(const conf *c, const conf_client *client);
const conf_calendar *calendar_find(const conf *c, const char *id);

/* The index is client's: their email and aliases own it
 * (calendar_index_set_owner), so that the invitations they declined,
 * which stay in an RFC 6638 server's calendar (and vea writes its
 * declines there), are not busy. */
void calendar_index_set_client(calendar_index *index, const conf_client *client);

/* Every calendar of client, for events in [from, to), into a new index
 * (finished). *errors_r: a new array of "calendar X: ..." strings, empty
 * when all were read. *objects_r (may be NULL): how many objects came. */
calendar_index *calendar_sync_client(const conf *c, const conf_client *client, int64_t from,
				     int64_t to, GPtrArray **errors_r, guint *objects_r);

#endif
