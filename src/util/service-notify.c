#include "util/service-notify.h"

#include <errno.h>
#include <glib.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int service_notify(const char *state, char **error_r)
{
	const char *path = g_getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len;
	socklen_t addr_len;
	ssize_t sent;
	int fd, saved;

	if (path == NULL || *path == '\0')
		return 0;
	len = strlen(path);
	/* An abstract socket: '@' stands for the leading NUL, and the name
	 * is not NUL-terminated (unix(7)). */
	if (path[0] != '/' && path[0] != '@') {
		*error_r = g_strdup_printf("NOTIFY_SOCKET '%s' is neither a path nor an abstract name (@...)",
					   path);
		return -1;
	}
	if (len >= sizeof(addr.sun_path)) {
		*error_r = g_strdup_printf("NOTIFY_SOCKET '%s' is longer than a socket address can be", path);
		return -1;
	}
	memcpy(addr.sun_path, path, len);
	if (path[0] == '@') {
		addr.sun_path[0] = '\0';
		addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else {
		addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*error_r = g_strdup_printf("NOTIFY_SOCKET %s: socket: %s", path, g_strerror(errno));
		return -1;
	}
	do
		sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
	while (sent < 0 && errno == EINTR);
	saved = errno;
	close(fd);
	if (sent < 0) {
		*error_r = g_strdup_printf("NOTIFY_SOCKET %s: %s", path, g_strerror(saved));
		return -1;
	}
	return 0;
}

int service_notify_ready(const char *status, char **error_r)
{
	g_autofree char *state = NULL;

	state = status != NULL ? g_strdup_printf("READY=1\nSTATUS=%s", status) : g_strdup("READY=1");
	return service_notify(state, error_r);
}

int service_notify_reloading(char **error_r)
{
	struct timespec now;
	g_autofree char *state = NULL;

	clock_gettime(CLOCK_MONOTONIC, &now);
	state = g_strdup_printf("RELOADING=1\nSTATUS=reloading the configuration and rules\n"
				"MONOTONIC_USEC=%llu",
				(unsigned long long)now.tv_sec * 1000000ULL +
					(unsigned long long)now.tv_nsec / 1000ULL);
	return service_notify(state, error_r);
}

int service_notify_stopping(char **error_r)
{
	return service_notify("STOPPING=1\nSTATUS=stopping: finishing what is in hand", error_r);
}
