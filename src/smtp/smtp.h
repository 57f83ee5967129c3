#ifndef VEA_SMTP_SMTP_H
#define VEA_SMTP_SMTP_H

/* Sending one message over SMTP with libcurl (RFC 5321).
 *
 * Transport security follows the [smtp] section (vea.conf(5)): smtps://
 * is implicit TLS; smtp:// must upgrade with STARTTLS (RFC 3207) unless
 * tls = none, and never falls back to plaintext (no CURLUSESSL_TRY).
 * Certificates are verified against the system store, or ca_file.
 * Credentials come from password_cmd (user + password, AUTH PLAIN/LOGIN)
 * or oauth2_token_cmd (XOAUTH2); they are wiped after use and never
 * appear in an error.
 *
 * curl_global_init() must have run (the CLI does it at start). One call
 * uses its own easy handle: calls from several threads are fine. */

#include <glib.h>
#include <stddef.h>
#include "conf/conf.h"

/* How a failed send should be treated by a caller that retries. */
typedef enum {
	SMTP_ERROR_TEMPORARY, /* network, 4xx, TLS handshake: try again later */
	SMTP_ERROR_PERMANENT, /* 5xx, bad address, bad config: retrying won't help */
} smtp_error_kind;

/* Send data (a complete RFC 5322 message with CRLF line ends; curl does
 * the dot-stuffing of RFC 5321 section 4.5.2) from envelope sender
 * mail_from to every address in recipients (NULL-terminated, at least
 * one). Addresses are bare addr-specs ("dana@example.com"); one holding
 * CR, LF, '<', '>' or a space is refused before anything is sent.
 * Returns 0, or -1 with *error_r (newly allocated; names the server and
 * the SMTP reply, never a secret) and *kind_r (may be NULL). */
int smtp_send(const conf_smtp *smtp, const char *mail_from,
	      const char *const *recipients, const char *data, size_t len,
	      smtp_error_kind *kind_r, char **error_r);

/* Is address usable in MAIL FROM / RCPT TO (see smtp_send)? */
gboolean smtp_address_is_valid(const char *address);

#endif
