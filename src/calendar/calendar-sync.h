#ifndef VEA_CALENDAR_CALENDAR_SYNC_H
#define VEA_CALENDAR_CALENDAR_SYNC_H

/* A client's calendars from vea.conf ([calendar:ID]) read into one busy
 * index. A calendar that cannot be read is reported and left out; the
 * caller decides what that means (SCHEDULING.md 6.6: decisions that need
 * it wait, triage goes on).
 *
 * With a store, each calendar is kept as a copy (store.h, calendars.c)
 * and a sync fetches what changed only:
 *   - CalDAV: first the collection's ctag (PROPFIND Depth 0): the same
 *     as last time, nothing changed and nothing more is asked. Else a
 *     sync-collection REPORT (RFC 6578) with the token of the last sync, changed members with their data in the same answer
 *     (calendar-multiget, RFC 4791 7.9, for any the server sent without);
 *     a first sync takes everything in one REPORT. When the server has
 *     no sync-collection, refuses the token (403 valid-sync-token) or
 *     truncates the answer (507, RFC 6578 3.6), a calendar-query for the
 *     ETags alone is compared with the copy and the differing objects
 *     are multiget;
 *   - ICS feeds: a conditional GET (If-None-Match, If-Modified-Since); a
 *     304 keeps the copy.
 * The changes go in one transaction: a sync that fails half-way leaves
 * the copy as it was. The index is then built from the copy: only the
 * objects whose span meets the window are read, and an object's events
 * are kept expanded over a window wider than the one asked for, so an
 * unchanged object is not parsed again until the window moves past it
 * (a series with more than ICAL_MAX_INSTANCES in that wider window
 * would keep fewer of the window's than a parse of the window alone:
 * the bound is 10,000). A calendar whose sync
 * failed counts as not read, unless its copy is younger than
 * CALENDAR_SYNC_INTERVAL (then it is used, with a warning): decisions are
 * never made silently on an older copy. Copies of calendars no longer in
 * vea.conf are forgotten. Without a store, each sync reads the window
 * whole (calendar-query REPORT over it, GET for feeds). */

#include "calendar/caldav.h"
#include "calendar/calendar.h"
#include "conf/conf.h"
#include "store/store.h"

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

/* How often the agent syncs a client's calendars, and how old a copy
 * may be and still be used when a sync fails (seconds). */
#define CALENDAR_SYNC_INTERVAL 300

typedef struct calendar_sync_stats {
	guint objects;      /* objects the index was built from */
	guint fetched;      /* objects downloaded */
	guint removed;      /* objects the server said are gone */
	guint not_modified; /* feeds answered 304 */
	guint unchanged;    /* collections whose ctag had not changed */
	guint fallbacks;    /* calendars whose sync-collection was refused: ETags compared */
	guint forgotten;    /* copies of calendars no longer configured */
	/* Calendars whose sync failed and whose copy, younger than
	 * CALENDAR_SYNC_INTERVAL, stood in: "... ; using the copy synced 2
	 * min ago ..." (char *), or NULL when none. The failure is not in
	 * *errors_r (the calendar was read), so a caller that logs errors
	 * logs these too. */
	GPtrArray *stale;
} calendar_sync_stats;

void calendar_sync_stats_clear(calendar_sync_stats *stats);

/* Every calendar of client, for events in [from, to), into a new index
 * (finished). st: the store for the copies, or NULL (no copy: the whole
 * window is read). *errors_r: a new array of "calendar X: ..." strings,
 * empty when all were read. *stats_r may be NULL (else clear it with
 * calendar_sync_stats_clear). */
calendar_index *calendar_sync_client(store *st, const conf *c, const conf_client *client,
				     int64_t from, int64_t to, GPtrArray **errors_r,
				     calendar_sync_stats *stats_r);

/* The copy's key for cal: a hash of its URL and user, and of its client's
 * addresses (whose declines the copy's expansions leave free); newly
 * allocated. */
char *calendar_source_key(const conf_calendar *cal);

#endif
