#ifndef VEA_UTIL_LOG_H
#define VEA_UTIL_LOG_H

/* One line per event, prefixed with its context ("account dana-work: ...",
 * "client dana: ..."). Libraries return errors; only the agent and the CLI
 * log. Never pass credentials or message bodies.
 *
 * Lines go to stderr, or, when vea runs as a systemd service whose stderr
 * is the journal, to the journal's native socket (systemd.journal-fields(7),
 * "Native Journal Protocol"), one datagram per line with its PRIORITY and
 * the context as fields: ACCOUNT= and CLIENT= (from the "account ID:" or
 * "client ID:" prefix; CLIENT is also found for an account named in the
 * configuration, see log_register_account) and ACTION_ID= (from "action
 * #N" or a leading "#N:"). Why native rather than syslog(3): the fields
 * can be searched (journalctl ACCOUNT=dana-work), which syslog cannot
 * carry, and a failed send falls back to stderr, which is the journal too. */

typedef enum {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_ERROR,
} log_level;

/* Messages below level are dropped. Default: LOG_LEVEL_INFO. */
void log_set_level(log_level level);
/* Prefix every line with an ISO 8601 time stamp (for a service log on
 * stderr; the journal stamps its entries itself, so not there). */
void log_set_timestamps(int enabled);

/* Send lines to the journal when stderr is the journal: $JOURNAL_STREAM
 * ("DEVICE:INODE", set by systemd) names the stream stderr is, as
 * systemd.exec(7) documents. The socket is /run/systemd/journal/socket, or
 * $VEA_JOURNAL_SOCKET (a testing aid). Returns 1 when the journal is used
 * from now on, 0 when lines stay on stderr. Call once, before threads. */
int log_use_journal_if_stderr_is_journal(void);

/* Remember that account belongs to client, so that lines about the
 * account carry CLIENT= in the journal too. Both strings are copied. */
void log_register_account(const char *account, const char *client);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
