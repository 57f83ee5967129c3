#ifndef VEA_DIGEST_DIGEST_H
#define VEA_DIGEST_DIGEST_H

/* The daily digest: one email a day per executive (issue 6, vea(1)
 * DIGEST). Three steps, each usable alone:
 *
 *   collect   what to say, from the journal (table actions), the
 *             executive's mailboxes (which flagged messages are still
 *             unread) and the ledger, for the actions since the last
 *             digest sent;
 *   render    a subject, a text/plain and an email-safe HTML body;
 *   compose   a multipart/alternative message (GMime).
 *
 * schedule.h sends it at the client's digest_at, once per local date.
 *
 * Everything that came from a message (names, subjects, mailbox names)
 * is untrusted: it is made valid UTF-8, stripped of control and bidi
 * override characters, shortened, and HTML-escaped in the HTML body.
 * The digest is bounded in size whatever the day held: counts, a few
 * examples, the newest flagged messages, never everything. */

#include <glib.h>
#include <stdint.h>
#include "conf/conf.h"
#include "store/store.h"

/* Bounds on what a digest lists (the counts are always complete). */
#define DIGEST_MAX_NEEDS_YOU 20
#define DIGEST_MAX_DESTINATIONS 8
#define DIGEST_MAX_EXAMPLES 3
#define DIGEST_MAX_TEXT 120    /* characters of one subject or name */
#define DIGEST_MAX_SNIPPET 140 /* characters of a message's first line */
/* Flagged messages whose unread status is asked of the server, newest
 * first; older ones in the same digest are only counted apart. */
#define DIGEST_MAX_CHECK 200

/* "Now": the real clock, or $VEA_NOW when set (an ISO 8601 time with a
 * zone, "2026-11-26T07:30:00Z"). VEA_NOW is a testing aid, so that the
 * scheduler can be walked through a simulated week; it is not meant for
 * production. Returns NULL with *error_r when VEA_NOW is not a time.
 * Free with g_date_time_unref. */
GDateTime *digest_clock_now(char **error_r);

/* One message shown in the digest. Strings are cleaned (see above). */
typedef struct digest_item {
	char *from;
	char *subject;
	char *mailbox;      /* where the message sits now */
	char *snippet;      /* Needs you: its first line of text, or NULL */
	gboolean unchecked; /* Needs you: its account could not be asked
			     * whether it is still unread */
} digest_item;

/* An account whose flagged messages could not be checked on the server
 * (unreachable, login refused...): they are listed from the journal. */
typedef struct digest_unchecked {
	char *account;
	char *reason; /* for the assistant's log, not for the digest */
	guint count;  /* flagged messages listed unchecked */
} digest_unchecked;

typedef struct digest_count {
	char *name;
	guint count;
} digest_count;

/* One kind of action: "Filed 42: Newsletters 30, Receipts 12". */
typedef struct digest_group {
	action_kind action;
	const char *verb;   /* "Filed", ... (static) */
	guint total;
	GPtrArray *destinations;  /* digest_count *, biggest first, bounded */
	guint other_destinations; /* how many more, not listed */
	guint other_count;        /* actions in those */
	GPtrArray *examples;      /* digest_item *, newest first, bounded */
} digest_group;

/* Time used this billing period on one billing account, as the ledger
 * reports it (ledger_report_build: rounding, rollover), so that the
 * digest and `vea bill report` agree. */
typedef struct digest_time {
	char *billing_id;
	gboolean retainer;
	int64_t worked_seconds;     /* raw ledger time */
	int64_t used_seconds;       /* billed: rounded as the terms say */
	int64_t included_seconds;   /* retainer only, from here on */
	int64_t carried_in_seconds; /* rolled over from the period before */
	int64_t available_seconds;  /* included + carried in */
	int64_t remaining_seconds;
	int64_t overage_seconds;
	char *period;               /* "1 Nov – 30 Nov" */
} digest_time;

/* A follow-up ahead, for the "Follow-ups" section (agent/timers.h): a
 * reminder due today, a snoozed message coming back tomorrow. */
typedef struct digest_followup {
	char *subject;        /* cleaned */
	char *when;           /* "17:00", the client's wall clock */
	char *mailbox;        /* where it is now (a snooze: where it comes back) */
	gboolean unanswered;  /* a reminder that waits for a reply */
} digest_followup;

#define DIGEST_MAX_FOLLOWUPS 10
/* A reply draft vea wrote that waits in Drafts for the executive (or was
 * edited and not yet sent). Strings cleaned. */
typedef struct digest_draft {
	char *to;              /* "bob@example.test, carol@..." */
	char *subject;
	char *age;             /* "3 h", "2 days" */
	char *answers_from;    /* the message it answers */
	char *answers_subject;
	gboolean edited;
	char *machine;         /* the model that wrote its body; NULL: the template */
} digest_draft;

/* Meetings: an invitation the rules answered, or whose answer waits for
 * the assistant. Strings cleaned. */
#define DIGEST_VIA_SERVER "answered through the calendar server (RFC 6638)"

typedef struct digest_meeting {
	char *summary;
	char *start;     /* in the client's zone */
	char *organizer;
	char *answer;    /* "Accepted", "Declined", "Tentative", "Cancelled" */
	char *why;       /* the calendar's verdict, for waiting ones */
	/* "answered through the calendar server (RFC 6638)" when the
	 * server sends (or sent) the REPLY, else NULL. */
	char *via;
} digest_meeting;

/* How long a flagged, unread message keeps coming back in Needs you. */
#define DIGEST_NEEDS_YOU_DAYS 14

typedef struct digest {
	const conf_client *client; /* borrowed from the config */
	char *local_date;          /* "2026-11-26", the client's date */
	char *date_label;          /* "Thu 26 Nov" (English, not the locale) */
	/* The journal range covered: ids in (after_action_id, last_action_id]. */
	int64_t after_action_id;
	int64_t last_action_id;
	/* Needs you: messages the rules flagged in the last
	 * DIGEST_NEEDS_YOU_DAYS days (since needs_you_since) that are still
	 * flagged and unread on the server (or, for an account in unchecked,
	 * every one the journal has): shown every day until read. */
	int64_t needs_you_since;
	guint needs_you_total;
	GPtrArray *needs_you; /* digest_item *, newest first, bounded */
	GPtrArray *unchecked; /* digest_unchecked * */
	guint needs_you_older; /* flagged beyond DIGEST_MAX_CHECK: not checked, not counted */
	guint handled;        /* messages vea acted on */
	guint failed;         /* actions that failed */
	GPtrArray *groups;    /* digest_group * */
	GPtrArray *time;      /* digest_time * */
	/* Follow-ups: reminders still waiting that fall due before the end
	 * of the digest's local date, snoozed mail due back the day after
	 * (digest_followup *, soonest first, bounded; the totals complete),
	 * and how many reminders wait for a reply in all. What fell due
	 * since the last digest is in groups ("Follow-ups due"). */
	GPtrArray *due_today;
	guint due_today_total;
	GPtrArray *back_tomorrow;
	guint back_tomorrow_total;
	guint awaiting_reply;
	/* Drafts waiting for your approval: every written draft still in
	 * Drafts (as vea last looked), oldest first, bounded. */
	guint drafts_total;
	GPtrArray *drafts;    /* digest_draft * */
	/* Meetings: answers waiting for approval (every one), and those sent
	 * on the executive's behalf since the last digest. */
	GPtrArray *meetings_waiting; /* digest_meeting * */
	GPtrArray *meetings_answered;
	/* Today and tomorrow in the client's calendars ("Tue 09:00-10:00
	 * Staff meeting"), in start order, bounded; and the calendars that
	 * could not be read (their errors, for people). Empty when the
	 * client has no calendar. */
	GPtrArray *agenda;          /* char * */
	GPtrArray *calendar_errors; /* char * */
	/* Conflicts ahead: busy events of the client's calendars that
	 * overlap each other in the next DIGEST_CONFLICT_DAYS days ("Thu 12
	 * Nov 11:00-12:00 'Client call' overlaps 11:30-12:30 'Quick chat'"),
	 * soonest first, bounded. */
	GPtrArray *conflicts_ahead; /* char * */
	/* Proposals that waited for approval and were replaced by a newer
	 * version of the invitation (a higher SEQUENCE) since the last
	 * digest: the new one is decided on its own. */
	GPtrArray *meetings_superseded; /* digest_meeting * */
} digest;

/* How far ahead the digest looks for double bookings. */
#define DIGEST_CONFLICT_DAYS 7

/* followups.c: fill d's follow-ups from the timers of its client waiting
 * at now, for the local date date (in a read transaction of the caller). */
int digest_collect_followups(store *st, digest *d, GDateTime *now, const GDate *date,
			     char **error_r);
void digest_followup_free(gpointer data);

/* Collect client's digest for the local date date (NULL: the client's
 * date at now), covering the actions since the last digest sent and the
 * billing period containing now.
 *
 * When the rules flagged messages, each of the client's accounts holding
 * some is logged into (account_connect) and asked, read-only (EXAMINE,
 * UID SEARCH UNSEEN FLAGGED), which are still unread and flagged where
 * the journal says they are now; the newest DIGEST_MAX_NEEDS_YOU are
 * fetched with BODY.PEEK[] (nothing is marked read) for their first line.
 * An account that cannot be asked never holds the digest back: its
 * messages are listed from the journal and named in d->unchecked.
 *
 * Returns 0 and *digest_r (free with digest_free), or -1 with *error_r
 * (the database failed). */
int digest_collect(store *st, const conf *config, const conf_client *client,
		   GDateTime *now, const GDate *date, digest **digest_r,
		   char **error_r);
void digest_free(digest **digestp);

/* The first line of a message's text for "Needs you": the first line
 * that is neither blank nor quoted ("> ...") nor a reply's "... wrote:"
 * attribution; a short greeting ("Hi Dana,") takes the next line along.
 * Cleaned like every string from a message, at most DIGEST_MAX_SNIPPET
 * characters. NULL when there is no such line. Newly allocated. */
char *digest_first_line(const char *text);

/* Nothing to say: no message needs the executive, none was handled, no
 * action failed (time used alone is not news). */
gboolean digest_is_empty(const digest *d);

/* The id of the last journal row a digest of client may cover: the
 * newest, or just before the oldest still being carried out (so that
 * no action is skipped by one digest and then never reported). */
int digest_journal_cutoff(store *st, const char *client, int64_t *id_r,
			  char **error_r);

/* Render; each result is newly allocated. The subject summarises ("Thu
 * 26 Nov: 3 need you, 120 handled"); the HTML is a complete document
 * with tables and inline CSS, no script, no remote resource. */
char *digest_render_subject(const digest *d);
char *digest_render_text(const digest *d);
char *digest_render_html(const digest *d);

/* A composed digest, ready for SMTP. */
typedef struct digest_mail {
	GBytes *data;      /* RFC 5322, CRLF line ends */
	char *mail_from;   /* envelope sender (bare address) */
	char **recipients; /* executive, then the assistant when copied */
} digest_mail;

/* Compose d as multipart/alternative (text/plain, then text/html, as
 * RFC 2046 section 5.1.4 orders them: preferred last) from [smtp] from to
 * the client, Cc the assistant when digest_cc_assistant is set. Headers
 * are RFC 2047 encoded by GMime. message_id without angle brackets.
 * Returns 0 and *mail_r (free with digest_mail_free), or -1 with
 * *error_r. */
int digest_compose(const conf *config, const digest *d, const char *message_id,
		   GDateTime *now, digest_mail **mail_r, char **error_r);
void digest_mail_free(digest_mail **mailp);

/* A fresh Message-ID for client's digest of local_date, without angle
 * brackets: "vea-digest.dana.20261126.<random>@<sender's domain>". */
char *digest_message_id_new(const conf *config, const conf_client *client,
			    const char *local_date);

#endif
