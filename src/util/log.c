#include "util/log.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>

static log_level log_min_level = LOG_LEVEL_INFO;
static int log_timestamps;
/* Lines from several account threads must not interleave. */
static GMutex log_mutex;

void log_set_level(log_level level)
{
	log_min_level = level;
}

void log_set_timestamps(int enabled)
{
	log_timestamps = enabled;
}

static void log_vprint(log_level level, const char *fmt, va_list args)
{
	static const char *const level_names[] = {
		[LOG_LEVEL_DEBUG] = "debug: ",
		[LOG_LEVEL_INFO] = "",
		[LOG_LEVEL_WARNING] = "warning: ",
		[LOG_LEVEL_ERROR] = "error: ",
	};
	g_autofree char *line = NULL;

	if (level < log_min_level)
		return;
	line = g_strdup_vprintf(fmt, args);
	g_mutex_lock(&log_mutex);
	if (log_timestamps) {
		g_autoptr(GDateTime) now = g_date_time_new_now_utc();
		g_autofree char *stamp = g_date_time_format_iso8601(now);

		fprintf(stderr, "%s ", stamp);
	}
	fprintf(stderr, "vea: %s%s\n", level_names[level], line);
	g_mutex_unlock(&log_mutex);
}

#define LOG_FUNCTION(fn, level)                   \
	void fn(const char *fmt, ...)             \
	{                                         \
		va_list args;                     \
		va_start(args, fmt);              \
		log_vprint(level, fmt, args);     \
		va_end(args);                     \
	}

LOG_FUNCTION(log_debug, LOG_LEVEL_DEBUG)
LOG_FUNCTION(log_info, LOG_LEVEL_INFO)
LOG_FUNCTION(log_warning, LOG_LEVEL_WARNING)
LOG_FUNCTION(log_error, LOG_LEVEL_ERROR)
