#include "util/process.h"

#include <glib.h>
#include <string.h>

char *process_run_secret_command(const char *command_line, char **error_r)
{
	g_auto(GStrv) argv = NULL;
	g_autofree char *err_out = NULL;
	char *out = NULL, *newline;
	GError *error = NULL;
	int status;

	if (!g_shell_parse_argv(command_line, NULL, &argv, &error)) {
		*error_r = g_strdup_printf("cannot parse command: %s", error->message);
		g_error_free(error);
		return NULL;
	}
	if (!g_spawn_sync(NULL, argv, NULL,
			  G_SPAWN_SEARCH_PATH | G_SPAWN_STDIN_FROM_DEV_NULL,
			  NULL, NULL, &out, &err_out, &status, &error)) {
		*error_r = g_strdup_printf("cannot run '%s': %s", argv[0], error->message);
		g_error_free(error);
		return NULL;
	}
	if (!g_spawn_check_wait_status(status, &error)) {
		*error_r = g_strdup_printf("'%s' failed: %s", argv[0], error->message);
		g_error_free(error);
		process_secret_free(out);
		return NULL;
	}
	newline = strpbrk(out, "\r\n");
	if (newline != NULL)
		*newline = '\0';
	if (*out == '\0') {
		*error_r = g_strdup_printf("'%s' printed nothing", argv[0]);
		process_secret_free(out);
		return NULL;
	}
	return out;
}

void process_secret_free(char *secret)
{
	if (secret == NULL)
		return;
	/* Volatile so the compiler keeps the wipe of memory about to be freed. */
	for (volatile char *p = secret; *p != '\0'; p++)
		*p = '\0';
	g_free(secret);
}
