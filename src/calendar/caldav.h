#ifndef VEA_CALENDAR_CALDAV_H
#define VEA_CALENDAR_CALDAV_H

/* CalDAV (RFC 4791) with libcurl: what vea needs of a calendar server.
 *   - caldav_probe: OPTIONS (the DAV header names calendar-access, and
 *     calendar-auto-schedule when the server sends replies itself, RFC
 *     6638 2) and PROPFIND Depth 0 (resourcetype calendar, getctag,
 *     sync-token, displayname);
 *   - caldav_query: a calendar-query REPORT (RFC 4791 7.8) for the VEVENTs
 *     overlapping a time range, returning (href, etag, data) per object;
 *   - caldav_get: GET of a published ICS feed or one object;
 *   - caldav_put: PUT with If-None-Match: * to create or If-Match to
 *     update (RFC 4791 5.3.2), so that an accepted event is written once
 *     and nobody's change is overwritten.
 * Multi-status XML is read with GLib's GMarkup (namespace prefixes are
 * dropped: only DAV: and CalDAV element names are looked at). Errors name
 * the calendar and the HTTP status ("wrong password for calendar
 * dana-work (HTTP 401 from https://...)"); the password never appears. */

#include <glib.h>
#include <stdint.h>

typedef struct caldav_params {
	const char *calendar_id; /* names the calendar in messages */
	const char *url;         /* the collection (or feed) URL */
	const char *user;        /* NULL: no authentication */
	const char *password;
	const char *bearer;      /* an OAuth 2 access token instead (RFC 6750), or NULL */
	const char *ca_file;     /* NULL: the system's CAs */
	long timeout;            /* seconds for a whole request; 0: 60 */
} caldav_params;

typedef struct caldav_client caldav_client;

/* params is copied. */
caldav_client *caldav_client_new(const caldav_params *params);
void caldav_client_free(caldav_client **client);

/* The HTTP status of the last request (0: none got through). */
long caldav_last_status(const caldav_client *client);

typedef struct caldav_info {
	char *dav;              /* the DAV header, or NULL */
	gboolean calendar_access;
	gboolean auto_schedule; /* RFC 6638 2: "calendar-auto-schedule" */
	gboolean is_calendar;   /* resourcetype has C:calendar */
	char *display_name, *ctag, *sync_token; /* NULL when absent */
} caldav_info;

/* Check the URL is a calendar collection. 0, or -1 with *error_r (not
 * reachable, wrong password, not CalDAV, not a calendar). */
int caldav_probe(caldav_client *client, caldav_info *info_r, char **error_r);
void caldav_info_clear(caldav_info *info);

typedef struct caldav_object {
	char *href, *etag, *data;
} caldav_object;
/* Frees one caldav_object (a GPtrArray free function). */
void caldav_object_free(gpointer object);

/* Objects with a VEVENT overlapping [from, to) (the server expands
 * recurrences for the filter, RFC 4791 7.4, but returns the whole object:
 * vea expands it again itself). *objects_r: caldav_object *, free with
 * g_ptr_array_unref. */
int caldav_query(caldav_client *client, int64_t from, int64_t to, GPtrArray **objects_r,
		 char **error_r);

/* The objects whose VEVENT has exactly this UID (a calendar-query with a UID
 * prop-filter, RFC 4791 7.8.6): how vea sees an invitation the executive
 * already has in their calendar. */
int caldav_query_uid(caldav_client *client, const char *uid, GPtrArray **objects_r,
		     char **error_r);

/* GET href (relative to the URL, or NULL: the URL itself). */
int caldav_get(caldav_client *client, const char *href, char **body_r, char **etag_r,
	       char **error_r);

/* Incremental sync (RFC 6578 sync-collection): the members changed and
 * removed since token ("" or NULL: every member, as changed). */
typedef struct caldav_delta {
	GPtrArray *changed; /* caldav_object *; data NULL when the server sent none */
	GPtrArray *removed; /* char *: hrefs */
	char *sync_token;   /* the collection's token now */
} caldav_delta;

typedef enum {
	CALDAV_SYNC_DONE,
	/* The token was refused (403 valid-sync-token), the answer was
	 * truncated (507, RFC 6578 3.6), or the server has no such report:
	 * compare ETags instead (caldav_list). *error_r says which. */
	CALDAV_SYNC_FALLBACK,
	CALDAV_SYNC_ERROR, /* no answer, a wrong password, no such calendar */
} caldav_sync_result;

/* with_data: ask for calendar-data with the ETags (a first sync gets
 * everything in one REPORT). Fills *delta_r on DONE (clear it with
 * caldav_delta_clear). */
caldav_sync_result caldav_sync_collection(caldav_client *client, const char *token,
					  gboolean with_data, caldav_delta *delta_r, char **error_r);
void caldav_delta_clear(caldav_delta *delta);

/* The collection's CS:getctag (calendarserver.org; Radicale, SabreDAV,
 * iCloud and Google have it): it changes whenever a member does. 0 and
 * *ctag_r (NULL when the server has none), or -1. */
int caldav_ctag(caldav_client *client, char **ctag_r, char **error_r);

/* calendar-multiget (RFC 4791 7.9) of n hrefs (as the server gave them),
 * in batches; the objects found are appended to objects (caldav_object
 * *, owned by the array's free function). */
int caldav_multiget(caldav_client *client, const char *const *hrefs, guint n, GPtrArray *objects,
		    char **error_r);

/* Every object of the collection by calendar-query (no time range),
 * with its ETag, and with its data when with_data. */
int caldav_list(caldav_client *client, gboolean with_data, GPtrArray **objects_r, char **error_r);

typedef enum {
	CALDAV_GET_OK,
	CALDAV_GET_NOT_MODIFIED, /* 304: the copy is current */
	CALDAV_GET_ERROR,
} caldav_get_result;

/* GET with If-None-Match: etag and If-Modified-Since: modified (either
 * NULL or ""). On OK, *body_r, and the new ETag and Last-Modified (NULL
 * when not sent). */
caldav_get_result caldav_get_conditional(caldav_client *client, const char *href, const char *etag,
					 const char *modified, char **body_r, char **etag_r,
					 char **modified_r, char **error_r);

typedef enum {
	CALDAV_PUT_DONE,
	CALDAV_PUT_PRECONDITION, /* 412: exists already (If-None-Match) or changed (If-Match) */
	CALDAV_PUT_ELSEWHERE,    /* the UID is stored under another name: *existing_r */
	CALDAV_PUT_ERROR,
} caldav_put_result;

/* PUT ics (an object without METHOD, RFC 4791 5.3.2.1) as name in the
 * collection. if_match NULL: create only (If-None-Match: *); else update
 * only that ETag (If-Match). *etag_r: the new ETag when the server gives
 * one (may be NULL). A 403/409 naming the resource that holds the UID
 * already (RFC 4791 5.3.2.1 CALDAV:no-uid-conflict, or RFC 6638 3.2.4.1
 * CALDAV:unique-scheduling-object-resource, as Cyrus answers) is
 * CALDAV_PUT_ELSEWHERE with *existing_r, that resource's name in the
 * collection (new; NULL when the server names none, as Radicale, or an
 * href outside the collection: caldav_find_uid), when existing_r is not
 * NULL; the caller GETs it and PUTs there with If-Match. */
caldav_put_result caldav_put(caldav_client *client, const char *name, const char *ics,
			     const char *if_match, char **etag_r, char **existing_r,
			     char **error_r);

/* The name in the collection of the object whose UID is uid (a
 * calendar-query REPORT with a UID prop-filter, RFC 4791 9.7.5): 1 with
 * *name_r (new), 0 none, -1 with *error_r. */
int caldav_find_uid(caldav_client *client, const char *uid, char **name_r, char **error_r);

/* "20261109T150000Z", as RFC 4791 9.9 time-range wants; newly allocated. */
char *caldav_utc_stamp(int64_t t);

#endif
