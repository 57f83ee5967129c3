#ifndef VEA_IMAP_MAILBOX_NAME_H
#define VEA_IMAP_MAILBOX_NAME_H

/* Mailbox names as rules write them (UTF-8, '/' between levels) and as the
 * server wants them (its delimiter and namespace prefix, modified UTF-7 per
 * RFC 3501 section 5.1.3). */

/* "Clients/Acme" with delimiter '.' and prefix "" -> "Clients.Acme";
 * "INBOX" stays "INBOX". Returns NULL and sets *error_r when the name holds
 * the server's delimiter inside a level (it would silently become a
 * hierarchy) or is empty. Newly allocated. */
char *mailbox_name_to_server(const char *name, char delimiter,
			     const char *prefix, char **error_r);

#endif
