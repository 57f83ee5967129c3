#ifndef VEA_OUTGOING_OUTGOING_H
#define VEA_OUTGOING_OUTGOING_H

/* Whether vea may send automatic mail about a message, and to whom:
 * vacation replies (RFC 5230, RFC 3834), redirects (RFC 5228 4.2) and
 * notifications (RFC 5435, RFC 5436). Pure decisions: no I/O, no clock,
 * no store. What needs the store (has this sender been answered, is the
 * client over its budget) is asked through callbacks, so that `vea rules
 * test` can show the decision without a database and the agent can make
 * it inside its transaction.
 *
 * Every decision gives an outgoing_verdict: OUTGOING_SEND, or the check
 * that stopped it and a sentence saying why (for `vea log`, the journal's
 * "skipped: ..." and `vea rules test`), with the RFC section behind it.
 *
 * Vacation :handle (RFC 5230 4.2) is the caller's: it must be derived
 * from the command's arguments BEFORE variable expansion ("the arguments
 * MUST NOT have undergone variable expansion prior to their use in
 * response tracking"), as Pigeonhole does at validation time; otherwise
 * `:subject "Re: ${1}"` answers a sender once per subject instead of once
 * per period. The tracking callback gets the canonical sender and applies
 * its handle itself. */

#include <glib.h>
#include <stdint.h>

typedef struct mime_message mime_message;

/* ---- the message, as the agent has it ---- */

/* Header lookups over a parsed message, so that the decisions need not
 * know the parser. outgoing_message_from_mime fills one from the agent's
 * mime_message; tests fill their own. */
typedef struct outgoing_message {
	/* Every value of the fields called name (case-insensitive), in
	 * order, unfolded and decoded to UTF-8; NULL-terminated, never NULL;
	 * borrowed from context. */
	const char *const *(*header_values)(void *context, const char *name);
	/* The addr-specs ("local@domain") of every mailbox in the fields
	 * called name, groups flattened; a new NULL-terminated array for
	 * g_strfreev, never NULL. */
	char **(*addresses)(void *context, const char *name);
	void *context;
	/* The envelope sender: after delivery, the Return-Path (RFC 5230
	 * 4.2, RFC 5321 4.4). "" for the null reverse-path <>, NULL when the
	 * message has no Return-Path. */
	const char *return_path;
	/* The envelope recipient when known (an IMAP agent normally does not
	 * know it: NULL); "" for <>. */
	const char *envelope_to;
	/* When the message arrived (IMAP INTERNALDATE), unix seconds; 0:
	 * unknown. */
	int64_t received_at;
	char *owned; /* outgoing_message_from_mime's copy of return_path */
} outgoing_message;

/* Fill message from msg (which must outlive it): header lookups are
 * msg's, return_path is msg's first Return-Path field (the final
 * delivery's, RFC 5321 4.4), "" for "<>", NULL when there is none or it
 * holds no address. Clear with outgoing_message_clear. */
void outgoing_message_from_mime(outgoing_message *message_r, mime_message *msg,
				int64_t received_at);
void outgoing_message_clear(outgoing_message *message);

/* ---- verdicts ---- */

typedef enum {
	OUTGOING_SEND = 0,
	/* vacation, in the order they are checked (Pigeonhole's order,
	 * OUTGOING.md 1.2, with vea's own checks where they belong) */
	OUTGOING_NO_RECIPIENT,   /* envelope recipient <> */
	OUTGOING_NULL_SENDER,    /* Return-Path <>: RFC 3834 2 MUST NOT */
	OUTGOING_NO_SENDER,      /* no Return-Path to answer, or one vea cannot send to */
	OUTGOING_OWN_ADDRESS,    /* from the executive, or from one of :addresses */
	OUTGOING_OWN_MESSAGE,    /* vea wrote it, or it answers what vea wrote */
	OUTGOING_TOO_OLD,        /* arrived before the cut-off (vea reads after delivery) */
	OUTGOING_ALREADY_ANSWERED, /* tracking: RFC 5230 4.2 */
	OUTGOING_MAILING_LIST,   /* a List-* field: RFC 5230 4.6, RFC 2369, RFC 2919 */
	OUTGOING_AUTO_SUBMITTED, /* Auto-Submitted other than "no": RFC 3834 2 */
	OUTGOING_PRECEDENCE,     /* Precedence bulk, list or junk */
	OUTGOING_SUPPRESSED,     /* X-Auto-Response-Suppress All or OOF (MS-OXCMAIL) */
	OUTGOING_SYSTEM_ADDRESS, /* MAILER-DAEMON, LISTSERV, majordomo, *-request, owner-*: RFC 5230 4.6 */
	OUTGOING_NO_REPLY_ADDRESS, /* noreply@ and the like (no_reply_senders) */
	OUTGOING_NOT_PERSONAL,   /* none of the executive's addresses in To, Cc, Bcc, Resent-*: RFC 5230 4.5 */
	OUTGOING_RATE_LIMIT,     /* over the client's budget of automatic mail */
	/* redirect and notify */
	OUTGOING_LOOP,           /* our loop header, or too many hops: RFC 5228 4.2, 10 */
	OUTGOING_TOO_MANY,       /* over the redirects of one message, or notify's recipients */
	OUTGOING_BAD_RECIPIENT,  /* not an address vea can send to */
	OUTGOING_NOT_ALLOWED,    /* not in the allow-list: RFC 5435 8 */
	/* a callback failed (the store): nothing is sent, try again */
	OUTGOING_ERROR,
	OUTGOING_CHECK_COUNT
} outgoing_check;

/* A short stable name for logs and JSON ("mailing-list", "too-old"). */
const char *outgoing_check_name(outgoing_check check);

typedef struct outgoing_verdict {
	outgoing_check check;
	/* One sentence for people, with the RFC behind it ("List-Id
	 * present: mailing list (RFC 5230 4.6)"); "" for OUTGOING_SEND.
	 * Control characters from the message are removed. */
	char *reason;
	/* vacation: the canonical sender (outgoing_sender_canonical), the
	 * key for tracking and for the rate limit; NULL before it is known. */
	char *sender;
	/* vacation: the address the reply goes to (the Return-Path, RFC
	 * 5230 4); NULL unless OUTGOING_SEND. */
	char *reply_to;
	/* vacation: which of the executive's addresses the message was sent
	 * to, for the reply's From (RFC 3834 3.1.1, RFC 5230 4.5); NULL
	 * unless OUTGOING_SEND. */
	char *own_address;
	/* notify: send with MAIL FROM:<> (RFC 5436 2.7: the trigger had a
	 * null sender). redirect: likewise, never TRUE (such mail is not
	 * redirected). */
	gboolean null_sender;
	/* notify: the recipients left after removing duplicates,
	 * NULL-terminated; NULL unless OUTGOING_SEND. */
	char **recipients;
} outgoing_verdict;

void outgoing_verdict_clear(outgoing_verdict *verdict);

/* ---- addresses ---- */

/* The address a sender is tracked and counted by: forwarders' rewriting
 * undone, so that one correspondent is one key however the path changes
 * it (OUTGOING.md 1.1, simta's canon_from):
 *   SRS0=HHH=TT=domain=local@forwarder          -> local@domain
 *   SRS1=HHH=forwarder==HHH=TT=domain=local@fwd2 -> local@domain
 *   prvs=KDDDSSSSSS=local@domain (BATV)           -> local@domain
 *   prvs=local=KDDDSSSSSS@domain (the older order) -> local@domain
 *   msprvs1=TAG=local@domain, btv1==TAG==local@domain -> local@domain
 * and the domain lower-cased (RFC 5321 2.4: domains are case-insensitive;
 * the local part is kept as it is). NULL for NULL or "", and for text
 * with no '@'. A new string. */
char *outgoing_sender_canonical(const char *address);

/* RFC 5230 4.6's list of addresses no response goes to: MAILER-DAEMON,
 * LISTSERV, majordomo (any case), a local part holding "-request" or
 * starting "owner-" (any case; Pigeonhole's "-request" is case-
 * sensitive: "Team-Request@" is still list software). */
gboolean outgoing_address_is_system(const char *address);

/* The built-in no-reply patterns (globs, '*' and '?', on the lower-cased
 * address): noreply@*, no-reply@*, donotreply@*, notifications@* ... */
extern const char *const outgoing_no_reply_defaults[];

/* The patterns to use for [vea] no_reply_senders: NULL gives the
 * defaults; otherwise the list as configured, with the word "default"
 * standing for the defaults (so "default; *@alerts.example" extends them
 * and "*@alerts.example" replaces them). Lower-cased. A new array
 * (g_strfreev). */
char **outgoing_no_reply_patterns(const char *const *configured);

/* Does address match one of patterns (lower-cased, as
 * outgoing_no_reply_patterns gives)? *pattern_r (may be NULL) gets the
 * pattern. */
gboolean outgoing_address_is_no_reply(const char *const *patterns, const char *address,
				      const char **pattern_r);

/* ---- vacation (RFC 5230, RFC 3834) ---- */

/* What vea adds to every message it generates (vacation replies,
 * notifications), with the kind as its value, so that it recognises its
 * own mail even where Auto-Submitted was stripped (OUTGOING.md 1.8). */
#define OUTGOING_MARK_HEADER "X-Vea-Auto"

/* Message-IDs vea makes start with one of these (mime_message_id_new
 * with a "vea." tag, the digest's "vea-digest."). Not "vea-": test
 * messages and others use it. */
extern const char *const outgoing_own_id_prefixes[];

typedef struct outgoing_vacation {
	/* The executive's addresses (the client's email and others; RFC 5230
	 * 4.5 "known to the implementation"), and the command's :addresses.
	 * Compared without regard to case. */
	const char *const *own_addresses;
	const char *const *extra_addresses;
	/* From outgoing_no_reply_patterns; NULL: the defaults. */
	const char *const *no_reply_patterns;
	/* No reply to a message that arrived more than max_age seconds
	 * before now ([vea] auto_mail_max_age; 0: no cut-off): Sieve runs at
	 * delivery, vea may read a mailbox weeks later (a first sync,
	 * downtime). A message of unknown arrival counts as old. */
	int64_t now, max_age;
	/* Tracking (RFC 5230 4.2): 1 when sender (canonical) was answered
	 * under this command's handle within its period, 0 when not, -1 with
	 * *error_r. NULL: never answered. */
	int (*answered)(void *context, const char *sender, char **error_r);
	/* The client's budget of automatic mail (OUTGOING.md 1.8: all kinds
	 * per hour, and per recipient per day): 1 over it with *why_r ("30
	 * automatic messages in the last hour"), 0 not, -1 with *why_r as
	 * the error. NULL: no budget. Asked last, so only messages that
	 * would be answered count. */
	int (*over_budget)(void *context, const char *sender, char **why_r);
	void *context;
} outgoing_vacation;

/* Decide whether msg gets a vacation reply, checking in this order
 * (Pigeonhole's act_vacation_commit, OUTGOING.md 1.2, with vea's own):
 *   envelope recipient <>; Return-Path <> or missing; sender is the
 *   executive or one of :addresses; vea's own message (Message-ID,
 *   In-Reply-To, OUTGOING_MARK_HEADER); too old; already answered
 *   (callback); List-Id, List-Help, List-Subscribe, List-Unsubscribe,
 *   List-Post, List-Owner, List-Archive; Auto-Submitted not "no";
 *   Precedence bulk, list, junk; X-Auto-Response-Suppress All, OOF;
 *   system address; no-reply address (Return-Path, From, Sender or
 *   Reply-To); not personally addressed (To, Cc, Bcc, Resent-To,
 *   Resent-Cc, Resent-Bcc); over budget (callback).
 * Returns verdict_r->check; clear *verdict_r after. */
outgoing_check outgoing_vacation_decide(const outgoing_vacation *policy,
					const outgoing_message *message,
					outgoing_verdict *verdict_r);

/* ---- redirect (RFC 5228 4.2, RFC 6785 3.4, OUTGOING.md 2) ---- */

/* Prepended to every message vea redirects, with the executive's
 * address as its value; finding one with any of the executive's
 * addresses in a message is a loop (like Pigeonhole's
 * X-Sieve-Redirected-From). */
#define OUTGOING_REDIRECT_HEADER "X-Vea-Redirected-From"

/* Received fields beyond which a message is taken to loop (RFC 5321 6.3
 * asks relays for a limit of at least 100 hops). */
#define OUTGOING_MAX_HOPS 100

typedef struct outgoing_redirect {
	/* The executive's addresses; the first is the one the loop header
	 * and MAIL FROM carry (RFC 6785 3.4). */
	const char *const *own_addresses;
	/* Who may be redirected to: globs on the lower-cased address, as
	 * no_reply_senders ([client] redirect_allowed); NULL: anyone. */
	const char *const *allowed;
	/* RFC 5228 10: redirects one message may make (Pigeonhole's
	 * sieve_max_redirects: 4), and how many this one already made,
	 * this one not counted. */
	guint max_per_message, done_for_message;
	/* The per-day limit: 1 over it with *why_r, 0 not, -1 error in
	 * *why_r. NULL: none. */
	int (*over_budget)(void *context, const char *target, char **why_r);
	void *context;
} outgoing_redirect;

/* May msg be redirected to target? In order: null sender (RFC 5228 4.2
 * requires the redirect to keep <>, which an authenticated submission
 * server may refuse: vea does not redirect bounces, and the keep stays);
 * a target vea cannot send to; one of the executive's own addresses (a
 * loop); not allowed; our loop header with one of the executive's
 * addresses, or more than OUTGOING_MAX_HOPS Received fields; over the
 * limit per message; over the budget (callback). */
outgoing_check outgoing_redirect_decide(const outgoing_redirect *policy,
					const outgoing_message *message, const char *target,
					outgoing_verdict *verdict_r);

/* ---- notify mailto (RFC 5435, RFC 5436) ---- */

/* Pigeonhole's limit on a mailto URI's recipients. */
#define OUTGOING_NOTIFY_MAX_RECIPIENTS 8

typedef struct outgoing_notify {
	/* Who may be notified (RFC 5435 8: recipients must not come from
	 * the message): the assistant, the executive, [client] notify_allowed;
	 * globs as no_reply_senders. Never NULL: with no list, nobody. */
	const char *const *allowed;
	/* The budget: as outgoing_vacation's over_budget, for recipient. */
	int (*over_budget)(void *context, const char *recipient, char **why_r);
	void *context;
} outgoing_notify;

/* May msg trigger a notification to recipients (NULL-terminated)? In
 * order: Auto-Submitted other than "no" (RFC 5436 2.7: SHOULD NOT, so
 * two systems cannot notify each other forever; a null-sender message
 * MUST be allowed to trigger, and then the notification goes with
 * MAIL FROM:<>: null_sender); no recipient, or more than
 * OUTGOING_NOTIFY_MAX_RECIPIENTS after duplicates are removed (RFC 5436
 * 2.7: not twice to one address); one vea cannot send to; one not
 * allowed; over budget. OUTGOING_SEND gives the recipients without
 * duplicates. */
outgoing_check outgoing_notify_decide(const outgoing_notify *policy,
				      const outgoing_message *message,
				      const char *const *recipients, outgoing_verdict *verdict_r);

/* The Auto-Submitted value a notification carries (RFC 5436 2.7.1,
 * REQUIRED): auto-notified; owner-email="owner" when owner is an address
 * vea can send to, plain "auto-notified" otherwise. A new string. */
char *outgoing_notify_auto_submitted(const char *owner);

/* May a header field named in a mailto URI (RFC 6068 hfields) go into
 * the notification? RFC 5436 2.7 and 3 say which must be ignored:
 * Auto-Submitted, Received, Message-ID, Date, From, Sender, Bcc,
 * In-Reply-To, References, Resent-*, and vea's own; anything that is not
 * a field name (RFC 5322 3.6.8) neither. */
gboolean outgoing_notify_header_allowed(const char *name);

/* ---- composing (the agent's and the conformance runner's) ---- */

/* :from and [smtp] from: "Name <addr>" or "addr"; *name_r NULL when
 * there is none (unquoted, encoded words decoded), both NULL for NULL.
 * New strings. */
void outgoing_from_parse(const char *from, char **name_r, char **addr_r);

/* A vacation reply's subject is cut at this many characters, the last
 * one an ellipsis (as Pigeonhole's sieve_vacation_max_subject_codepoints
 * default): "Auto: " and a subject of a kilobyte answer nobody. */
#define OUTGOING_VACATION_SUBJECT_MAX 256

typedef struct outgoing_vacation_reply {
	const char *from;      /* :from, NULL: the executive below */
	const char *subject;   /* :subject, NULL: "Auto: " + the original's */
	const char *reason;    /* the body, or with mime a MIME entity */
	gboolean mime;         /* :mime (RFC 5230 4.6) */
	const char *own_name;  /* the executive: From without :from */
	const char *own_address;
} outgoing_vacation_reply;

/* The reply to original (RFC 5230 5, RFC 3834 3) going to `to` (the
 * verdict's reply_to): From :from or the executive, To `to` with the
 * display name the sender gave it in From or Sender, the subject, a new
 * Message-ID (*message_id_r), In-Reply-To and References under the
 * original, Auto-Submitted: auto-replied and OUTGOING_MARK_HEADER. NULL
 * with *error_r. */
GBytes *outgoing_vacation_compose(const outgoing_vacation_reply *reply, mime_message *original,
				  const char *to, char **message_id_r, char **error_r);

/* A mailto: URI (RFC 6068) as notify uses it (RFC 5436 2): the
 * mailboxes of its to part and to= and cc= hfields (display names
 * kept, percent-decoding first), its subject and body; every other
 * hfield ignored (RFC 5436 2.7). */
typedef struct outgoing_mailto {
	GPtrArray *to, *to_names; /* addr-specs; display names ("" none) */
	GPtrArray *cc, *cc_names;
	char *subject;            /* NULL when none */
	char *body;
} outgoing_mailto;

void outgoing_mailto_parse(const char *uri, outgoing_mailto *mailto_r);
void outgoing_mailto_clear(outgoing_mailto *mailto);
/* to and cc together, NULL-terminated, for outgoing_notify_decide;
 * borrowed from mailto. Free with g_free. */
const char **outgoing_mailto_recipients(const outgoing_mailto *mailto);

typedef struct outgoing_notification {
	const outgoing_mailto *uri;
	const char *const *recipients; /* the verdict's: only these get it */
	const char *from_name;         /* the sending identity */
	const char *from_address;
	const char *message;           /* :message, NULL when none */
	const char *importance;        /* :importance "1", "2", "3"; NULL: 2 */
	const char *where;             /* "account/mailbox", NULL: not said */
} outgoing_notification;

/* The notification about original (RFC 5436 2.7): To and Cc as the URI
 * has them, each address once and only those in recipients, the subject
 * (:message, the URI's, or "Notification: " and the original's),
 * Auto-Submitted: auto-notified, Importance unless normal, a body
 * telling where the message is, never its text. NULL with *error_r. */
GBytes *outgoing_notify_compose(const outgoing_notification *notification,
				mime_message *original, char **message_id_r, char **error_r);

#endif
