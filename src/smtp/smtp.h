#ifndef VEA_SMTP_SMTP_H
#define VEA_SMTP_SMTP_H

/* Sending mail over SMTP with libcurl (RFC 5321, submission RFC 6409).
 *
 * Whose server: the caller says, with smtp_params. The same code sends
 * as the assistant (the [smtp] group: digests, notifications to the
 * assistant) and as an executive (the account's own submission server:
 * vacation replies, redirects), because a message From the executive sent
 * through the assistant's server fails DMARC at the receiver
 * (OUTGOING.md 0, decision 2). smtp_params_for_assistant and
 * smtp_params_for_account build the parameters from the configuration.
 *
 * Transport security: smtps:// is implicit TLS; smtp:// must upgrade
 * with STARTTLS (RFC 3207) unless the parameters say SMTP_TLS_NONE, and
 * never falls back to plaintext (no CURLUSESSL_TRY). Certificates are
 * verified against the system store, or ca_file. Credentials come from
 * password_cmd (user + password, AUTH PLAIN/LOGIN) or oauth2_token_cmd
 * (XOAUTH2); they are wiped when the session ends and never appear in an
 * error, a log line or a result.
 *
 * curl_global_init() must have run (the CLI does it at start). A session
 * belongs to one thread at a time; sessions in several threads are fine. */

#include <glib.h>
#include <stddef.h>
#include "conf/conf.h"

typedef enum {
	SMTP_TLS_REQUIRED, /* smtps://, or smtp:// with STARTTLS required */
	SMTP_TLS_NONE,     /* plaintext, only when the configuration says so */
} smtp_tls;

/* Time limits, in seconds (RFC 5321 4.5.3.2). The longest single wait the
 * RFC allows a server is 10 minutes, for the reply to the end of data;
 * giving up earlier turns a slow 250 into a duplicate when the caller
 * retries. So no byte for SMTP_TIMEOUT_IDLE seconds, or one message
 * taking longer than SMTP_TIMEOUT_TOTAL (a 5-minute greeting, 10 minutes
 * after the data, 2 for the rest), is a failure, and a claim on a message
 * (the outbox lease) must last longer than SMTP_TIMEOUT_TOTAL. */
#define SMTP_TIMEOUT_CONNECT 60
#define SMTP_TIMEOUT_IDLE (10 * 60)
#define SMTP_TIMEOUT_TOTAL (17 * 60)

/* Where and how to send. Every string is borrowed and must outlive the
 * session made from it. */
typedef struct smtp_params {
	const char *url;              /* smtps://host[:port] or smtp://host[:port] */
	const char *user;             /* NULL: none */
	const char *password_cmd;     /* run without a shell; NULL: none */
	const char *oauth2_token_cmd; /* XOAUTH2; used instead of password_cmd */
	const char *ca_file;          /* NULL: the system's trust store */
	smtp_tls tls;
	/* 0: the SMTP_TIMEOUT_* defaults. Tests shorten them. */
	long connect_timeout, idle_timeout, total_timeout;
	/* For messages: whose server this is ("[smtp]", "account dana-work"). */
	const char *what;
} smtp_params;

/* The assistant's server, the [smtp] group: -1 with *error_r when the
 * configuration has none. params_r borrows from config. */
int smtp_params_for_assistant(const conf *config, smtp_params *params_r, char **error_r);

/* The executive's own submission server, the account's smtp_* keys
 * (vea.conf(5); user and credentials default to the account's IMAP
 * ones): -1 with *error_r when the account has no smtp_url. params_r
 * borrows from account. */
int smtp_params_for_account(const conf_account *account, smtp_params *params_r,
			    char **error_r);

/* Is address usable in MAIL FROM / RCPT TO? A bare addr-spec
 * ("dana@example.com") that mime_address_is_sendable accepts: never
 * empty. The null reverse-path is asked for with null_sender, not with
 * an empty address. */
gboolean smtp_address_is_valid(const char *address);

/* One transaction's envelope. */
typedef struct smtp_envelope {
	/* MAIL FROM. With null_sender TRUE mail_from must be NULL and the
	 * reverse-path is <> (RFC 5321 4.5.5: vacation replies, RFC 5230
	 * 5.1; notifications of null-sender mail, RFC 5436 2.7); otherwise
	 * mail_from must be smtp_address_is_valid. */
	const char *mail_from;
	gboolean null_sender;
	const char *const *recipients; /* NULL-terminated, at least one */
	/* FALSE (the default): one refused recipient fails the whole
	 * message, nothing is sent (a partly delivered reply-all is hard to
	 * explain). TRUE: sent to those accepted, failing only when all are
	 * refused (libcurl's CURLOPT_MAIL_RCPT_ALLLOWFAILS). */
	gboolean allow_refused_recipients;
} smtp_envelope;

typedef enum {
	SMTP_ACCEPTED,  /* 2xx after the data: the server has it */
	SMTP_TEMPORARY, /* 4xx, network, time-out, TLS handshake: try again later */
	SMTP_PERMANENT, /* 5xx, a bad address, a bad configuration: retrying won't help */
} smtp_outcome;

const char *smtp_outcome_name(smtp_outcome outcome);

/* How one message went. Fill with smtp_session_send, empty with
 * smtp_result_clear. */
typedef struct smtp_result {
	smtp_outcome outcome;
	int reply;        /* the last SMTP reply code (250, 451, 550...); 0: none */
	/* ACCEPTED: the server's last reply ("250 2.0.0 Ok: queued as
	 * 4Fx"), or "accepted" when there was none to read. Otherwise what
	 * went wrong, naming the server and giving the server's own words
	 * when it said something. One line, control characters removed, at
	 * most SMTP_TEXT_MAX bytes; never a credential. */
	char *text;
	/* Recipients the server refused, "addr: 550 5.1.1 no such user",
	 * NULL-terminated; NULL when none was. With allow_refused_recipients
	 * an ACCEPTED message may still list some. */
	char **refused;
	/* TRUE when only a change of configuration or credentials can fix
	 * it (AUTH refused, certificate, no STARTTLS, a bad URL, a failing
	 * password_cmd): a queue should hold the message, not retry it. */
	gboolean needs_config;
} smtp_result;

#define SMTP_TEXT_MAX 512

void smtp_result_clear(smtp_result *result);

/* A connection to one server, kept between messages: libcurl's easy
 * handle holds the connection, and the next message on the same session
 * goes over it (MAIL FROM again, no new TCP, TLS or AUTH) while the server
 * keeps it open; when it has closed it, the next message connects again.
 * Credentials are fetched (password_cmd run) once, at the first message.
 *
 * smtp_session_new never fails for a valid url: nothing is sent until
 * the first smtp_session_send. NULL with *error_r for a url that is not
 * smtp:// or smtps:// (or when libcurl cannot start). */
typedef struct smtp_session smtp_session;

smtp_session *smtp_session_new(const smtp_params *params, char **error_r);

/* Send data (a complete RFC 5322 message with CRLF line ends; libcurl
 * does the dot-stuffing of RFC 5321 4.5.2) with envelope. Always fills
 * *result (clear it after); returns 0 when ACCEPTED, -1 otherwise.
 * Addresses that are not smtp_address_is_valid are refused before
 * anything is sent (PERMANENT). */
int smtp_session_send(smtp_session *session, const smtp_envelope *envelope, const char *data,
		      size_t len, smtp_result *result);

/* How many connections the session has opened so far (for tests and the
 * log: a session of ten messages normally needs one). */
guint smtp_session_connections(const smtp_session *session);

/* Ends the session (QUIT) and wipes its credentials; NULLs *session. */
void smtp_session_free(smtp_session **session);

/* One message on a session of its own. */
int smtp_send(const smtp_params *params, const smtp_envelope *envelope, const char *data,
	      size_t len, smtp_result *result);

#endif
