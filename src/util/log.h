#ifndef VEA_UTIL_LOG_H
#define VEA_UTIL_LOG_H

/* One line per event on stderr, prefixed with its context ("account
 * dana-work: ..."). Libraries return errors; only the agent and the CLI
 * log. Never pass credentials or message bodies. */

typedef enum {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_ERROR,
} log_level;

/* Messages below level are dropped. Default: LOG_LEVEL_INFO. */
void log_set_level(log_level level);
/* Prefix every line with an ISO 8601 time stamp (for a service log). */
void log_set_timestamps(int enabled);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
