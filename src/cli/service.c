/* vea run under a service manager: the sd_notify calls cmd-run.c makes,
 * with their failures logged (a notification that cannot be sent must not
 * stop the daemon: systemd then times the start out and says why). */
#include "cli/cli.h"
#include "util/log.h"
#include "util/service-notify.h"

static void cli_service_send(int (*send)(const char *status, char **error_r), const char *status)
{
	char *error = NULL;

	if (send(status, &error) < 0) {
		log_warning("service manager: %s", error);
		g_free(error);
	}
}

static int cli_service_reloading_send(const char *status, char **error_r)
{
	return service_notify_reloading(error_r);
}

static int cli_service_stopping_send(const char *status, char **error_r)
{
	return service_notify_stopping(error_r);
}

void cli_service_ready(unsigned int accounts)
{
	g_autofree char *status = g_strdup_printf("watching %u accounts", accounts);

	cli_service_send(service_notify_ready, status);
}

void cli_service_reloading(void)
{
	cli_service_send(cli_service_reloading_send, NULL);
}

void cli_service_stopping(void)
{
	cli_service_send(cli_service_stopping_send, NULL);
}
