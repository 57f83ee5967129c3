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
	char *timezone;     /* IANA name as written */
	GTimeZone *tz;
	char **rules;       /* absolute paths, in order; never NULL */
	char *billing_id;   /* default billing account, or NULL */
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
	gboolean create_mailboxes;
	char *source;
} conf_account;

typedef struct conf_billing {
	char *id;
	struct conf_client *client;
	int64_t rate;           /* minor currency units per hour */
	char *currency;         /* ISO 4217 */
	char *source;
} conf_billing;

typedef struct conf {
	char *path;
	char *database;     /* absolute */
	char *rules_dir;    /* absolute */
	int poll_interval;  /* seconds */
	GPtrArray *clients;  /* conf_client *, in file order */
	GPtrArray *accounts; /* conf_account * */
	GPtrArray *billing;  /* conf_billing * */
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

/* The default config path: $VEA_CONFIG, else $XDG_CONFIG_HOME/vea/vea.conf.
 * Newly allocated. */
char *conf_default_path(void);

#endif
