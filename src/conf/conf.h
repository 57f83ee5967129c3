#ifndef VEA_CONF_H
#define VEA_CONF_H

/* vea.conf: a GKeyFile with sections [vea], [client:ID], [account:ID],
 * [billing:ID] (see vea.conf(5)). Loading checks everything that can be
 * checked without a network: references between sections, URLs, time
 * zones, that rule files exist. Every problem is reported as
 * "FILE:LINE: message", all of them, not just the first. */

#include <glib.h>
#include <stdint.h>

typedef enum {
	CONF_TLS_REQUIRED, /* imaps://, or imap:// with STARTTLS required */
	CONF_TLS_NONE,     /* plaintext, only when the user says so */
} conf_tls;

typedef struct conf_client {
	char *id;
	char *name;
	char *email;
	char *address;      /* postal address for invoices, may hold newlines */
	char *timezone;     /* IANA name as written */
	GTimeZone *tz;
	char **rules;       /* absolute paths, in order; never NULL */
	char *billing_id;   /* default billing account, or NULL */
	/* The daily digest (vea.conf(5)). */
	gboolean digest;            /* send one (default: TRUE when email is set) */
	int digest_at;              /* minutes after local midnight */
	gboolean digest_skip_empty; /* no digest on days with nothing to say */
	gboolean digest_cc_assistant;
	/* Who a rule's notify may mail besides the executive and the
	 * assistant (RFC 5435 8); NULL: nobody else. */
	char **notify_allowed;
	/* Reply drafts (vea.conf(5)). */
	gboolean name_given; /* name was set (else it is the id) */
	char **aliases;     /* the executive's other addresses; never NULL */
	char *signature;    /* signature or the text of signature_file; NULL: none */
	char *drafts;       /* Drafts mailbox; NULL: the one LIST marks \Drafts */
	char *sent;         /* Sent mailbox; NULL: the one LIST marks \Sent */
	/* Local dates that are no business days (holidays = 2026-12-25, ...),
	 * for reminders' :businessdays and "+2bd"; NULL when none. */
	GDate *holidays;
	guint n_holidays;
	/* Sending drafts the executive approved (opt-in): a draft moved to
	 * approve_mailbox, or flagged approve_keyword, is sent after
	 * approve_window seconds unless it was moved back (or unflagged)
	 * meanwhile. Both NULL: vea never sends a draft. */
	char *approve_mailbox;
	char *approve_keyword;
	int64_t approve_window;
	/* AI drafting (vea.conf(5)): draft bodies asked of [ai] for every
	 * draft of this client (a rule's :ai asks for one), written in the
	 * way style_notes (NULL: none) describes. */
	gboolean draft_ai;
	char *style_notes;
	/* Scheduling (vea.conf(5), CALENDARS; src/calendar/calendar-conf.h):
	 * working hours, buffer, limits. Never NULL after loading. */
	struct calendar_rules *calendar_rules;
	char *source;       /* "FILE:LINE" of the section, for messages */
} conf_client;

typedef struct conf_account {
	char *id;
	struct conf_client *client;
	char *url;
	char *user;
	char *password_cmd;     /* run without a shell; never logged */
	char *oauth2_token_cmd;
	conf_tls tls;
	char *ca_file;
	char **mailboxes;       /* never NULL or empty */
	char *trash;
	/* Where snoozed mail waits (default "Snoozed", created when missing). */
	char *snooze_mailbox;
	gboolean create_mailboxes;
	/* Mailbox names built from mail: what a level cannot hold becomes
	 * name_replacement; name_refused lists characters this server
	 * refuses besides its delimiter (see mailbox_name_clean). */
	char name_replacement;
	char *name_refused; /* never NULL */
	/* vacation_envelope = account: replies go from the executive's
	 * address instead of <> (RFC 3834 3.3), for servers that refuse <>. */
	gboolean vacation_envelope_sender;
	/* First sync of a mailbox: only messages that arrived on or after
	 * this day (0: all). Day, month, year. */
	int since_day, since_month, since_year;
	/* Sending as the executive: the account's own submission server
	 * (vea.conf(5), smtp_url). smtp_url NULL: vea cannot send as this
	 * executive. When it is set, the others are filled at load: the
	 * user and the credentials default to the IMAP ones (the same login
	 * at Gmail, Fastmail, Microsoft 365), smtp_ca_file to ca_file. */
	char *smtp_url;
	char *smtp_user;
	char *smtp_password_cmd;
	char *smtp_oauth2_token_cmd;
	conf_tls smtp_tls;
	char *smtp_ca_file;
	char *source;
} conf_account;

typedef enum {
	CONF_BILLING_HOURLY,
	CONF_BILLING_RETAINER,
} conf_billing_mode;

typedef enum {
	CONF_ROUNDING_UP,      /* to the next increment, as lawyers bill */
	CONF_ROUNDING_NEAREST, /* half an increment or more rounds up */
} conf_rounding;

typedef enum {
	CONF_ROUND_PER_ENTRY,  /* each entry rounded on its own */
	CONF_ROUND_PER_PERIOD, /* the period's total rounded once */
} conf_round_per;

typedef enum {
	CONF_ROLLOVER_NONE,
	CONF_ROLLOVER_CAPPED, /* unused retainer time carries over, up to a cap */
} conf_rollover;

/* Time-costs of automatic actions, charged when no `bill` in the rules
 * says otherwise; 0 charges nothing. */
typedef enum {
	CONF_COST_FILEINTO,
	CONF_COST_KEEP,
	CONF_COST_DISCARD,
	CONF_COST_FLAG,
	CONF_COST_REMIND, /* a reminder that fell due */
	CONF_COST_SNOOZE, /* a snoozed message brought back */
	CONF_COST_DRAFT,
	CONF_COST_COUNT
} conf_cost_kind;

typedef struct conf_billing {
	char *id;
	struct conf_client *client;
	conf_billing_mode mode;
	int64_t rate;           /* minor currency units per hour */
	char *currency;         /* ISO 4217 */
	int64_t increment;      /* seconds; time is billed in multiples of it */
	conf_rounding rounding;
	conf_round_per round_per;
	/* RETAINER */
	int64_t retainer_seconds;   /* included per period */
	int64_t overage_rate;       /* minor units per hour beyond it */
	conf_rollover rollover;
	int64_t rollover_cap_seconds;
	int period_start_day;       /* 1..28: day of the month a period starts */
	int payment_terms_days;     /* invoice due date = issue date + this */
	int64_t costs[CONF_COST_COUNT]; /* seconds per action */
	char *source;
} conf_billing;

/* Who sends the invoices: the assistant's business ([assistant]). */
typedef struct conf_assistant {
	char *name;
	char *business;
	char *address;  /* may hold newlines */
	char *email;
	char *phone;
	char *tax_id;
	char *invoice_prefix; /* default "INV-" */
} conf_assistant;

/* Outgoing mail for digests ([smtp]); url NULL when not configured. */
typedef struct conf_smtp {
	char *url;          /* smtps://host[:port] or smtp://host[:port] */
	char *user;
	char *password_cmd;
	char *oauth2_token_cmd;
	conf_tls tls;
	char *ca_file;
	char *from;         /* "Name <address>" */
	char *source;
} conf_smtp;

/* The optional chat-completions endpoint for AI drafting ([ai]); url
 * NULL when not configured. */
typedef struct conf_ai {
	char *url;          /* the full .../chat/completions URL (a base is completed) */
	char *model;
	char *api_key_cmd;  /* run without a shell; never logged; NULL: no key */
	int64_t timeout;    /* seconds, the whole request */
	int64_t max_input;  /* bytes of the message sent */
	char *source;
} conf_ai;

/* Defaults of [ai]. */
#define CONF_AI_TIMEOUT 20
#define CONF_AI_MAX_INPUT (8 * 1024)

typedef struct conf {
	char *path;
	char *database;     /* absolute */
	char *rules_dir;    /* absolute */
	char *global_rules_dir; /* absolute: Sieve include :global; NULL: none */
	int poll_interval;  /* seconds */
	int64_t digest_grace; /* seconds after digest_at a late digest still goes */
	/* Automatic mail (vacation, notify, redirect): none for a message
	 * older than this (seconds; 0: no limit), and none to a sender
	 * matching one of these patterns (glob on the lower-cased address;
	 * NULL: outgoing's defaults; the word "default" in the list stands
	 * for them, see outgoing_no_reply_patterns). */
	int64_t auto_mail_max_age;
	char **no_reply_senders;
	int auto_mail_per_hour; /* per client and kind */
	conf_assistant assistant;
	conf_smtp smtp;
	conf_ai ai;
	GPtrArray *clients;  /* conf_client *, in file order */
	GPtrArray *accounts; /* conf_account * */
	GPtrArray *billing;  /* conf_billing * */
	GPtrArray *calendars; /* conf_calendar * (src/calendar/calendar-conf.h), in file order */
} conf;

/* Load and check path. Returns 0 and *conf_r, or -1 with *errors_r, a
 * GPtrArray of "FILE:LINE: message" strings (free with g_ptr_array_unref). */
int conf_load(const char *path, conf **conf_r, GPtrArray **errors_r);
void conf_free(conf **conf);

conf_client *conf_find_client(const conf *conf, const char *id);
conf_account *conf_find_account(const conf *conf, const char *id);
conf_billing *conf_find_billing(const conf *conf, const char *id);

/* The billing account a rule's `bill` charges: the given id (must belong to
 * the client), else the client's default, else its only one. NULL with
 * *error_r when there is none or it is ambiguous. */
conf_billing *conf_client_billing(const conf *conf, const conf_client *client,
				  const char *id, char **error_r);

/* Where vea looks for its configuration without -c, in this order
 * (vea.conf(5), FILES):
 *   1. $VEA_CONFIG;
 *   2. $XDG_CONFIG_HOME/vea/vea.conf (~/.config/vea/vea.conf): a user's;
 *   3. SYSCONFDIR/vea/vea.conf (/etc/vea/vea.conf): the system service's.
 * The first that is set (1) or exists (2, 3). NULL when none does, with
 * *error_r naming every place tried. Newly allocated. */
char *conf_default_path(char **error_r);

/* SYSCONFDIR/vea/vea.conf, as ./configure set it. Static. */
const char *conf_system_path(void);

#endif
