#ifndef VEA_CALENDAR_IMIP_H
#define VEA_CALENDAR_IMIP_H

/* iMIP (RFC 6047): the iCalendar object of an invitation that arrived by
 * mail, read with libical, and the iTIP REPLY (RFC 5546 3.2.3) vea sends
 * back for the executive.
 *
 * What is read is what RFC 5546 2.1.5 says a calendar user agent must
 * keep: UID, RECURRENCE-ID, SEQUENCE and DTSTAMP, plus ORGANIZER and the
 * ATTENDEEs. Everything else in the object is untrusted text from a
 * stranger; it never reaches the REPLY except through libical's
 * serializer, which escapes it (RFC 5545 3.3.11). */

#include "calendar/ical.h"

#include <glib.h>
#include <stdint.h>

typedef enum {
	IMIP_METHOD_REQUEST,
	IMIP_METHOD_CANCEL,
	IMIP_METHOD_REPLY,
	IMIP_METHOD_OTHER, /* PUBLISH, ADD, REFRESH, COUNTER, DECLINECOUNTER */
} imip_method;

typedef enum {
	IMIP_PARTSTAT_ACCEPTED,
	IMIP_PARTSTAT_DECLINED,
	IMIP_PARTSTAT_TENTATIVE,
} imip_partstat;

typedef struct imip_attendee {
	char *address;  /* as written, without "mailto:" ("Dana@Example.test") */
	char *value;    /* the property value as written ("mailto:Dana@Example.test") */
	char *name;     /* CN, or NULL */
	char *partstat; /* "NEEDS-ACTION" when absent (RFC 5545 3.2.12) */
	gboolean rsvp;
} imip_attendee;

/* One VEVENT of the object: the master, or one instance
 * (RECURRENCE-ID). */
typedef struct imip_component {
	gboolean has_recurrence_id;
	int64_t recurrence_id;    /* UTC seconds (see ical.h for floating) */
	gboolean this_and_future; /* RANGE=THISANDFUTURE (RFC 5545 3.2.13) */
	int64_t start, end;       /* 0 when absent (a CANCEL may omit them) */
	gboolean recurring;       /* RRULE or RDATE */
	gboolean cancelled;       /* STATUS:CANCELLED */
} imip_component;

typedef struct imip_message {
	imip_method method;
	char *method_name; /* METHOD as written, upper case */
	char *uid;
	int sequence;      /* 0 when absent (RFC 5545 3.8.7.4) */
	int64_t dtstamp;
	char *organizer;       /* address without "mailto:", or NULL (a REPLY may lack it) */
	char *organizer_name;  /* CN, or NULL */
	char *summary;         /* of the master (or the first VEVENT); "" when none */
	GPtrArray *attendees;  /* imip_attendee *: of every VEVENT, each address once */
	GArray *components;    /* imip_component, in the object's order */
	char *text;            /* the iCalendar text as received */
} imip_message;

/* Read an iMIP object. content_type_method is the Content-Type's method
 * parameter (RFC 6047 2.4: it must equal METHOD, ignoring case), or NULL
 * when not known. Refused with *error_r: not iCalendar, no METHOD, a
 * mismatching method, VEVENTs with different UIDs (RFC 5546 3.2.2), no
 * UID or DTSTAMP, no ORGANIZER in a REQUEST or CANCEL, an unknown time
 * zone, a time or rule libical could not read. */
int imip_parse(const char *text, const char *content_type_method, imip_message **message_r,
	       char **error_r);
void imip_message_free(imip_message **message);

/* The attendee among message->attendees that is the executive: its
 * address equal, ignoring case, to one of addresses (NULL-terminated;
 * with or without "mailto:"). NULL when the invitation is not for them. */
const imip_attendee *imip_find_attendee(const imip_message *message, const char *const *addresses);

/* The invitation's instances in [from, to) (a recurring REQUEST expanded,
 * with its overridden instances), for calendar_decide. A new set the
 * caller frees; NULL with *error_r. */
ical_events *imip_instances(const imip_message *message, int64_t from, int64_t to, char **error_r);

typedef struct imip_reply_params {
	const imip_attendee *attendee; /* from imip_find_attendee */
	imip_partstat partstat;
	const char *sent_by;  /* the assistant's address when it sends, else NULL */
	const char *comment;  /* a note for the organizer, or NULL; untrusted is fine */
	/* The instances answered (their RECURRENCE-IDs, UTC seconds); none:
	 * the object as a whole, one VEVENT per VEVENT of the request. */
	const int64_t *recurrence_ids;
	guint n_recurrence_ids;
	/* With the object as a whole (no recurrence_ids): the instances
	 * declined all the same, each answered DECLINED in a VEVENT of its
	 * own with its RECURRENCE-ID (calendar_blocked.recurrence_id). */
	const int64_t *declined_ids;
	guint n_declined_ids;
	int64_t dtstamp;      /* when the reply is made (clock_now_unix()) */
	const char *prodid;   /* NULL: "-//vea//calendar//EN" */
} imip_reply_params;

/* The REPLY (RFC 5546 3.2.3) to a REQUEST: METHOD:REPLY; one VEVENT per
 * instance answered, with the request's UID, SEQUENCE and RECURRENCE-ID,
 * a new DTSTAMP, its ORGANIZER, and exactly one ATTENDEE, the executive,
 * with PARTSTAT and SENT-BY; COMMENT when given; the request's DTSTART,
 * DTEND and SUMMARY copied unchanged, with the VTIMEZONEs they use. No
 * VALARM. Lines end in CRLF (RFC 5545 3.1). A new string, or NULL with
 * *error_r. */
char *imip_build_reply(const imip_message *request, const imip_reply_params *params,
		       char **error_r);

/* The event as it goes into the executive's calendar after a decision:
 * the request without METHOD (RFC 4791 5.3.2.1 forbids it in a stored
 * object) and the executive's ATTENDEE with PARTSTAT set (RSVP dropped).
 * server_replies FALSE: SCHEDULE-AGENT=CLIENT on ORGANIZER (RFC 6638
 * 7.1: vea sends the REPLY, so a scheduling server must not send a
 * second one). TRUE: no SCHEDULE-AGENT at all, so that a server doing
 * implicit scheduling sends the REPLY for the PARTSTAT (RFC 6638
 * 3.2.2.3); the same text again changes nothing and sends nothing. The
 * text depends only on the arguments. CRLF. A new string, or NULL with
 * *error_r. */
char *imip_build_stored(const imip_message *request, const imip_attendee *attendee,
			imip_partstat partstat, gboolean server_replies, char **error_r);

/* What a calendar's copy of an event says: its SEQUENCE (0 when absent)
 * and the PARTSTAT of the ATTENDEE address (as icalparameter writes it,
 * "ACCEPTED"; NULL when address is not an attendee; new), from the
 * master VEVENT. 1, or 0 when stored holds no VEVENT. */
int imip_stored_answer(const char *stored, const char *address, int *sequence_r,
		       char **partstat_r);

/* A stored event (imip_build_stored's) with the instances at rids (as
 * calendar_blocked.recurrence_id) declined: each an override (RECURRENCE-ID,
 * RFC 5545 3.8.4.4) with the executive's PARTSTAT=DECLINED and
 * TRANSP:TRANSPARENT, so the executive's calendar shows the series
 * accepted but those instances free. CRLF. A new string, or NULL with
 * *error_r. */
char *imip_stored_decline_instances(const char *stored, const imip_attendee *attendee,
				    const int64_t *rids, guint n, char **error_r);

/* A stored event (imip_build_stored's, or the calendar's) with every
 * VEVENT STATUS:CANCELLED, after the organizer's CANCEL (RFC 5546
 * 3.2.5). CRLF. A new string, or NULL with *error_r. */
char *imip_build_cancelled(const char *stored, char **error_r);

/* The resource name vea stores an event under: its UID made safe for a
 * URL path segment, plus ".ics". Newly allocated. */
char *imip_resource_name(const char *uid);

/* The iMIP part of a mail message (RFC 6047 2.4): the first text/calendar
 * part, anywhere in the MIME tree, that has a method parameter (a part
 * without one "is not considered to be an iMIP body part"; the copy
 * Google and Lightning attach again after the inline one is not read a
 * second time). Its content is decoded (base64, quoted-printable) and
 * converted to UTF-8 from its charset. Returns 1 with *text_r and
 * *method_r (upper case; both new), 0 when the message has none, -1 with
 * *error_r when the message or the part cannot be read. GMime must be
 * initialised (mime_init). */
int imip_find_part(const char *message, size_t len, char **text_r, char **method_r, char **error_r);

const char *imip_partstat_name(imip_partstat partstat);

#endif
