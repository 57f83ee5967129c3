#include "util/log.h"

#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define LOG_JOURNAL_SOCKET "/run/systemd/journal/socket"

static log_level log_min_level = LOG_LEVEL_INFO;
static int log_timestamps;
/* The journal's socket (connected, datagram), or -1 for stderr. */
static int log_journal_fd = -1;
/* account id -> client id, for CLIENT= on lines about an account. */
static GHashTable *log_account_clients;
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

int log_use_journal_if_stderr_is_journal(void)
{
	const char *stream = g_getenv("JOURNAL_STREAM");
	const char *path = g_getenv("VEA_JOURNAL_SOCKET");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	unsigned long long dev, ino;
	struct stat st;
	int fd;

	/* Only when stderr is the very stream systemd connected: a service
	 * whose stderr was redirected (or a child that inherited the
	 * variable) keeps writing to stderr, where it was told to. */
	if (stream == NULL || sscanf(stream, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0 || (unsigned long long)st.st_dev != dev ||
	    (unsigned long long)st.st_ino != ino)
		return 0;
	if (path == NULL || *path == '\0')
		path = LOG_JOURNAL_SOCKET;
	if (strlen(path) >= sizeof(addr.sun_path))
		return 0;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return 0;
	}
	log_journal_fd = fd;
	return 1;
}

void log_register_account(const char *account, const char *client)
{
	g_mutex_lock(&log_mutex);
	if (log_account_clients == NULL)
		log_account_clients = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_hash_table_replace(log_account_clients, g_strdup(account), g_strdup(client));
	g_mutex_unlock(&log_mutex);
}

/* The word after "prefix " up to the next ':' (an id: no spaces). */
static char *log_context_id(const char *line, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *end;

	if (strncmp(line, prefix, n) != 0)
		return NULL;
	end = strchr(line + n, ':');
	if (end == NULL || end == line + n || memchr(line + n, ' ', (size_t)(end - (line + n))) != NULL)
		return NULL;
	return g_strndup(line + n, (size_t)(end - (line + n)));
}

static char *log_action_id(const char *line)
{
	const char *p = strstr(line, "action #");

	if (p != NULL)
		p += strlen("action #");
	else if (line[0] == '#')
		p = line + 1;
	if (p == NULL || !g_ascii_isdigit(*p))
		return NULL;
	return g_strndup(p, strspn(p, "0123456789"));
}

/* One field of a native journal entry. A value with a newline takes the
 * binary form: the name, a newline, its length as 64-bit little endian,
 * the value, a newline. */
static void log_journal_field(GString *entry, const char *name, const char *value)
{
	if (strchr(value, '\n') == NULL) {
		g_string_append_printf(entry, "%s=%s\n", name, value);
	} else {
		uint64_t len = strlen(value);
		unsigned char le[8];

		for (int i = 0; i < 8; i++)
			le[i] = (unsigned char)(len >> (8 * i));
		g_string_append_printf(entry, "%s\n", name);
		g_string_append_len(entry, (const char *)le, sizeof(le));
		g_string_append(entry, value);
		g_string_append_c(entry, '\n');
	}
}

/* With the log mutex held. Returns FALSE when the journal would not take
 * the entry (too large, journald gone): the caller writes it to stderr. */
static gboolean log_journal_send(log_level level, const char *line)
{
	/* syslog(3) priorities, which the journal uses. */
	static const char *const priorities[] = {
		[LOG_LEVEL_DEBUG] = "7",
		[LOG_LEVEL_INFO] = "6",
		[LOG_LEVEL_WARNING] = "4",
		[LOG_LEVEL_ERROR] = "3",
	};
	g_autoptr(GString) entry = g_string_new(NULL);
	g_autofree char *account = log_context_id(line, "account ");
	g_autofree char *client = log_context_id(line, "client ");
	g_autofree char *action = log_action_id(line);
	ssize_t sent;

	log_journal_field(entry, "PRIORITY", priorities[level]);
	log_journal_field(entry, "SYSLOG_IDENTIFIER", "vea");
	log_journal_field(entry, "MESSAGE", line);
	if (account != NULL) {
		log_journal_field(entry, "ACCOUNT", account);
		if (client == NULL && log_account_clients != NULL &&
		    g_hash_table_lookup(log_account_clients, account) != NULL)
			client = g_strdup(g_hash_table_lookup(log_account_clients, account));
	}
	if (client != NULL)
		log_journal_field(entry, "CLIENT", client);
	if (action != NULL)
		log_journal_field(entry, "ACTION_ID", action);
	do
		sent = send(log_journal_fd, entry->str, entry->len, MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	return sent >= 0;
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
	if (log_journal_fd >= 0 && log_journal_send(level, line)) {
		g_mutex_unlock(&log_mutex);
		return;
	}
	if (log_timestamps && log_journal_fd < 0) {
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
