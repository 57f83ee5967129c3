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

/* A name as a rule built it, often from mail ("Clients/${domain}" with
 * "bus.msu.edu"), made into one the server can hold without changing its
 * levels: within each level, the server's delimiter (unless it is '/',
 * which separates levels here), control characters, every character in
 * refused (may be NULL) and a leading '~' (Dovecot takes it for a home
 * directory) become replacement. On a '.' server "Clients/bus.msu.edu"
 * becomes "Clients/bus_msu_edu", still two levels. Empty levels and
 * invalid UTF-8 are left for mailbox_name_to_server to refuse. Newly
 * allocated; the same text when nothing needed replacing. */
char *mailbox_name_clean(const char *name, char delimiter, const char *refused,
			 char replacement);

#endif
