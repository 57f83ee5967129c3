/* vea run under a service manager: the sd_notify calls the daemon makes
 * (util/service-notify.h), with their failures logged: a notification
 * that cannot be sent must not stop the daemon (systemd then times the
 * start out and says why). */
#include "daemon/daemon-private.h"
#include "util/log.h"
#include "util/service-notify.h"

static void service_send(int (*send)(const char *status, char **error_r), const char *status)
{
	char *error = NULL;

	if (send(status, &error) < 0) {
		log_warning("service manager: %s", error);
		g_free(error);
	}
}

static int service_reloading_send(const char *status, char **error_r)
{
	return service_notify_reloading(error_r);
}

static int service_stopping_send(const char *status, char **error_r)
{
	return service_notify_stopping(error_r);
}

void daemon_service_ready(guint accounts)
{
	g_autofree char *status = g_strdup_printf("watching %u accounts", accounts);

	service_send(service_notify_ready, status);
}

void daemon_service_reloading(void)
{
	service_send(service_reloading_send, NULL);
}

void daemon_service_stopping(void)
{
	service_send(service_stopping_send, NULL);
}
