/* Describing failures: the one place a failed command becomes a sentence
 * and a kind (imap_error_kind). */

#include "imap/imap-private.h"

#include <stdarg.h>

static char *imap_describe_failure(imap_session *session, int r)
{
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_SSL:
		session->dead = TRUE;
		return g_strdup_printf("connection to %s:%u failed or timed out",
				       session->host, session->port);
	case MAILIMAP_ERROR_PARSE:
		/* libetpan cannot resynchronise after a parse error. */
		session->dead = TRUE;
		return g_strdup("the server's response could not be parsed");
	case MAILIMAP_ERROR_MEMORY:
		return g_strdup("out of memory");
	case MAILIMAP_ERROR_BAD_STATE:
		return g_strdup("command not allowed in this session state");
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
		session->dead = TRUE;
		break;
	default:
		break;
	}
	/* The server answered NO or BAD: its own words explain why. */
	if (session->imap->imap_response != NULL &&
	    *session->imap->imap_response != '\0')
		return g_strdup_printf("server said: %s",
				       session->imap->imap_response);
	return g_strdup_printf("server refused (libetpan error %d)", r);
}

int imap_fail(imap_session *session, int r, char **error_r, const char *fmt, ...)
{
	va_list args;
	char *command;
	char *why;

	va_start(args, fmt);
	command = g_strdup_vprintf(fmt, args);
	va_end(args);
	why = imap_describe_failure(session, r);
	*error_r = g_strdup_printf("IMAP %s failed on %s: %s", command,
				   session->host, why);
	g_free(why);
	g_free(command);
	return -1;
}

int imap_check_alive(imap_session *session, char **error_r)
{
	if (session->dead) {
		*error_r = g_strdup_printf("IMAP connection to %s is closed "
					   "after an earlier failure",
					   session->host);
		return -1;
	}
	return 0;
}

int imap_check_selected(imap_session *session, const char *command,
			       char **error_r)
{
	if (imap_check_alive(session, error_r) < 0)
		return -1;
	if (session->selected == NULL) {
		*error_r = g_strdup_printf("IMAP %s on %s: no mailbox selected",
					   command, session->host);
		return -1;
	}
	return 0;
}

gboolean imap_session_usable(imap_session *session)
{
	return !session->dead;
}
