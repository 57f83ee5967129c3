#ifndef VEA_SIEVE_H
#define VEA_SIEVE_H

/* vea's Sieve engine (RFC 5228 and extensions, plus vea's own vnd.vea).
 *
 * Compile a script once, execute it against many messages; each execution
 * yields an action list. The engine never prints and never touches a
 * mailbox: carrying the actions out is the agent's job.
 *
 * A compiled script is immutable and may be shared by threads; each
 * execution keeps its state on its own. */

#include <glib.h>
#include "mime/message.h"
#include "timer/when.h"

typedef struct sieve_script sieve_script;

/* A compile or run-time error, located in its script. */
typedef struct sieve_error {
	char *file;   /* script path as given to the compiler */
	int line;     /* 1-based */
	int column;   /* 1-based, in bytes */
	char *message;
} sieve_error;

/* "file:line:col: message", newly allocated. */
char *sieve_error_format(const sieve_error *error);
void sieve_error_free(sieve_error *error);

/* Compile the script in path. On success returns 0 and sets *script_r.
 * On failure returns -1 and sets *errors_r to a GPtrArray of sieve_error *
 * (free function set; every error found, not just the first) and *script_r
 * to NULL. Either way *errors_r may be NULL or hold nothing on success. */
int sieve_script_compile_file(const char *path, sieve_script **script_r,
			      GPtrArray **errors_r);
/* The same from memory; name is used in errors (e.g. the file name). */
int sieve_script_compile_string(const char *name, const char *text,
				size_t len, sieve_script **script_r,
				GPtrArray **errors_r);
void sieve_script_free(sieve_script **script);

/* Where include (RFC 6609) finds scripts: ":personal" names are looked up
 * in personal_dir (NULL: the directory of the including script; "." for a
 * script compiled from memory), ":global" names in global_dir (NULL: a
 * :global include is a compile error). Names get ".sieve" appended. */
/* Whether the configuration has an [ai] endpoint, for draft :ai: unknown
 * (a rule file checked on its own) accepts it. */
typedef enum {
	SIEVE_AI_UNKNOWN = 0,
	SIEVE_AI_CONFIGURED,
	SIEVE_AI_NOT_CONFIGURED,
} sieve_ai_config;

typedef struct sieve_compile_options {
	const char *personal_dir;
	const char *global_dir;
	sieve_ai_config ai;
} sieve_compile_options;

/* sieve_script_compile_file/_string with options (NULL: defaults). */
int sieve_script_compile_file_with_options(const char *path,
					   const sieve_compile_options *opts,
					   sieve_script **script_r,
					   GPtrArray **errors_r);
int sieve_script_compile_string_with_options(
	const char *name, const char *text, size_t len,
	const sieve_compile_options *opts, sieve_script **script_r,
	GPtrArray **errors_r);

/* TRUE when some test of the script reads the message body (body, size
 * needs only the size): the agent can then fetch headers only. */
gboolean sieve_script_needs_body(const sieve_script *script);

typedef enum {
	SIEVE_ACTION_KEEP,     /* keep in the mailbox it is in */
	SIEVE_ACTION_FILEINTO, /* file into mailbox */
	SIEVE_ACTION_DISCARD,  /* vea moves to Trash; never deletes */
	SIEVE_ACTION_REDIRECT,
	SIEVE_ACTION_BILL,     /* vnd.vea: ledger entry */
	SIEVE_ACTION_VACATION, /* RFC 5230/6131: an auto-reply to send */
	SIEVE_ACTION_NOTIFY,   /* RFC 5435: a notification to send */
	SIEVE_ACTION_REMIND,   /* vnd.vea: a follow-up reminder */
	SIEVE_ACTION_SNOOZE,   /* vnd.vea / snooze draft: hide until a time */
	SIEVE_ACTION_DRAFT,    /* vnd.vea: a reply draft to write into Drafts */
	SIEVE_ACTION_SCHEDULE, /* vnd.vea: answer the message's invitation */
} sieve_action_type;

/* How a schedule decision is carried out (vnd.vea schedule). */
typedef enum {
	SIEVE_SCHEDULE_APPROVE, /* queued until the assistant approves (the default) */
	SIEVE_SCHEDULE_SEND,    /* the iTIP reply is sent (:send) */
	SIEVE_SCHEDULE_DRAFT,   /* the reply is left in Drafts (:draft) */
} sieve_schedule_mode;

struct sieve_template; /* sieve/template.h */

typedef struct sieve_action {
	sieve_action_type type;
	/* Where the command is: file and 1-based line (for the audit log).
	 * The implicit keep has no command: its line is that of the
	 * setflag/addflag/removeflag that last changed its flags, or 0. */
	const char *rule_file; /* owned by the script */
	int rule_line;
	gboolean implicit;     /* the implicit keep (RFC 5228 section 2.10.2) */
	gboolean copy;         /* :copy (RFC 3894) */
	gboolean create;       /* :create (RFC 5490) */
	char *mailbox;         /* FILEINTO: UTF-8, '/' as hierarchy separator */
	char *address;         /* REDIRECT */
	char **flags;          /* KEEP/FILEINTO: NULL-terminated IMAP flags
				  (RFC 5232), NULL when none */
	char *account;         /* BILL: :account, NULL for the client's default */
	int minutes;           /* BILL */
	char *description;     /* BILL */
	/* VACATION: the reply goes to the message's sender (address: the
	 * Return-Path, or From, NULL when neither is known); the sender
	 * still checks Auto-Submitted, list headers and :addresses (RFC
	 * 5230 section 4.5) before sending. */
	char *subject;         /* VACATION: NULL: "Auto: " + original */
	char *from;            /* VACATION, NOTIFY: :from, NULL when none */
	char *reason;          /* VACATION: the body; NOTIFY: :message */
	char *handle;          /* VACATION: the :handle, or one derived from
				  the arguments (RFC 5230 section 4.2) */
	char **addresses;      /* VACATION: :addresses, NULL when none */
	gboolean mime;         /* VACATION: reason is a MIME entity */
	guint64 seconds;       /* VACATION: period (:days * 86400) */
	char *method;          /* NOTIFY: URI, e.g. "mailto:a@b.c" */
	char *importance;      /* NOTIFY: "1", "2" or "3"; NULL: 2 */
	char **options;        /* NOTIFY: NULL when none */
	/* REMIND, SNOOZE: when, still unresolved: the agent resolves it
	 * against the message's arrival (timer_when_resolve) in the zone
	 * (tzid, else the client's) with the client's holidays, and stores
	 * both the text and the instant (SCHEDULING.md section 5.4). */
	timer_when when;
	char *when_text;       /* REMIND, SNOOZE: timer_when_format(&when) */
	char *tzid;            /* SNOOZE: :tzid (IANA name), NULL: the client's */
	gboolean if_unanswered; /* REMIND: only when no reply was seen (the
				  default); FALSE: :always */
	gboolean to_executive; /* REMIND: :to "executive"; FALSE: the assistant */
	gboolean flag;         /* REMIND: :flag, set \Flagged when it is due */
	char *note;            /* REMIND: its text, NULL when none */
	/* SNOOZE: the message hides in the account's snooze mailbox (the
	 * draft's \Snoozed one) and, when due, goes to wake_mailbox (:mailbox;
	 * NULL: back where it was) with addflags added and removeflags
	 * removed (NULL when none); flags are those of the internal variable
	 * (RFC 5232), as fileinto's. */
	char *wake_mailbox;
	char **addflags;
	char **removeflags;
	gboolean wake_on_reply; /* SNOOZE: a reply in the thread wakes it early */
	/* DRAFT (src/draft composes it; subject above is :subject, NULL
	 * when not given). Never sent by vea, and the implicit keep stays. */
	char *draft_template;  /* DRAFT: the template's name, as in the rule */
	struct sieve_template *template; /* DRAFT: compiled with the script;
					    the action holds a reference */
	gboolean reply_all;    /* DRAFT: :reply "all" */
	char **draft_to;       /* DRAFT: :to, expanded; NULL when none */
	char **draft_cc;       /* DRAFT: :cc, expanded; NULL when none */
	gboolean draft_ai;     /* DRAFT: :ai, the body asked of the [ai] endpoint */
	/* DRAFT: the script's variables the template reads, as they were
	 * when the draft command ran: name, value, name, value, ...,
	 * NULL-terminated; NULL when none. */
	char **draft_vars;
	/* SCHEDULE: the answer (RFC 5545 3.2.12 PARTSTAT: "ACCEPTED",
	 * "DECLINED", "TENTATIVE"), its :comment (note above: NULL when
	 * none), and how it is carried out. The implicit keep stays. */
	const char *partstat; /* static */
	sieve_schedule_mode schedule_mode;
	/* Private to the engine: mailbox and flags share the action's
	 * allocation (sieve_action_free knows; zero in an action made
	 * elsewhere). */
	unsigned int packed_mailbox : 1;
	unsigned int packed_flags : 1;
} sieve_action;

void sieve_action_free(sieve_action *action);

/* The envelope, when known (NULL fields when not; an IMAP agent after
 * delivery usually knows neither). */
typedef struct sieve_envelope {
	const char *from;
	const char *to;
} sieve_envelope;

/* Execute the script against msg. On success returns 0 and sets *actions_r
 * to a GPtrArray of sieve_action * (free function set) in the order the
 * script produced them, with the implicit keep last when it applies.
 * Duplicate fileinto/keep to the same mailbox are merged (RFC 5228 section
 * 2.10.3). On a run-time error returns -1, sets *error_r, and the message
 * is to be kept (RFC 5228 section 2.10.6). */
int sieve_script_execute(const sieve_script *script, mime_message *msg,
			 const sieve_envelope *envelope,
			 GPtrArray **actions_r, sieve_error **error_r);

/* What the caller knows of the message's invitation (iMIP, RFC 6047) and
 * of the executive's calendars, for vnd.vea's invite test and the
 * ${invite.*} variables. Strings are the caller's (cleaned of control
 * characters); they stay valid for the execution. */
typedef struct sieve_invitation {
	const char *method;    /* iTIP METHOD (RFC 5546): "REQUEST", "CANCEL"... */
	const char *organizer; /* the ORGANIZER's address; "" when none */
	gboolean trusted;      /* From or Sender is the organizer */
	gboolean recurring;    /* a series (RRULE, RDATE) */
	gboolean update;       /* a new SEQUENCE of an event seen before */
	int busy;              /* 1 a conflict, 0 free, -1 not known (a calendar unread) */
	int outside_hours;     /* 1 outside working hours or on a holiday, 0 within, -1 not known */
	const char *summary;
	const char *start;     /* the first instance's start, the executive's local time */
	const char *conflict;  /* what it conflicts with; "" none */
} sieve_invitation;

/* What an execution needs from its caller beyond the message. */
typedef struct sieve_execute_options {
	/* duplicate (RFC 7352) needs memory across messages: check
	 * answers whether id (the handle, "\n", the value) was seen and has
	 * not expired; mark records it for seconds (refreshing the expiry
	 * when last is TRUE or it was not there). mark is called only when
	 * the execution succeeds (section 3). Without them no message is a
	 * duplicate. */
	gboolean (*duplicate_check)(const char *id, void *context);
	void (*duplicate_mark)(const char *id, guint64 seconds, gboolean last,
			       void *context);
	void *context;
	/* environment (RFC 5183): "domain" and "host"; NULL: unknown. */
	const char *domain;
	const char *host;
	/* currentdate (RFC 5260): the time, in seconds since the epoch, of
	 * the execution (0: now); and the zone in which dates are given
	 * (NULL: local time). */
	gint64 now;
	const char *zone;
	/* mailbox (RFC 5490): does the mailbox (UTF-8, '/' between levels)
	 * exist? NULL: none is known to. Uses context above. */
	gboolean (*mailbox_exists)(const char *mailbox, void *context);
	/* vnd.vea invite: the message's invitation, or NULL when it carries
	 * none; asked once per execution, when a script first needs it. NULL:
	 * no message carries one. Uses context above. */
	const sieve_invitation *(*invitation)(void *context);
} sieve_execute_options;

int sieve_script_execute_with_options(const sieve_script *script,
				      mime_message *msg,
				      const sieve_envelope *envelope,
				      const sieve_execute_options *opts,
				      GPtrArray **actions_r,
				      sieve_error **error_r);

#endif
