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
	case MAILIMAP_ERROR_FATAL:
		/* BYE (RFC 3501 7.1.5): the server closes the connection; its
		 * words still say why. */
		session->dead = TRUE;
		break;
	default:
		break;
	}
	/* The server answered NO or BAD: its own words explain why, with
	 * the RFC 5530 code libetpan took off them (imap_failure_kind). */
	if (session->imap->imap_response != NULL &&
	    *session->imap->imap_response != '\0') {
		const struct mailimap_response_info *info = session->imap->imap_response_info;

		if (info != NULL && info->rsp_atom != NULL)
			return g_strdup_printf("server said: [%s] %s", info->rsp_atom,
					       session->imap->imap_response);
		return g_strdup_printf("server said: %s",
				       session->imap->imap_response);
	}
	return g_strdup_printf("server refused (libetpan error %d)", r);
}

/* RFC 5530 section 3 response codes after which the same command may
 * well succeed later, with nothing changed on vea's side. THROTTLED is
 * Gmail's (not in RFC 5530), for the same reason. */
static gboolean imap_code_is_temporary(const char *code)
{
	static const char *const temporary[] = {
		"UNAVAILABLE", /* a subsystem is down */
		"INUSE",       /* another client holds a lock */
		"LIMIT",       /* a server limit, e.g. too many at once */
		"SERVERBUG",   /* the server failed; maybe not the next time */
		"OVERQUOTA",   /* until mail is deleted */
		"THROTTLED",
	};

	for (gsize i = 0; code != NULL && i < G_N_ELEMENTS(temporary); i++) {
		if (g_ascii_strcasecmp(code, temporary[i]) == 0)
			return TRUE;
	}
	return FALSE;
}

/* After imap_describe_failure(): what the failure r means. libetpan parses
 * the resp-text-code of the response into imap_response_info, anew for
 * every response it reads (response_store): the RFC 5530 codes, unknown to
 * it, are MAILIMAP_RESP_TEXT_CODE_OTHER, kept as rsp_atom ("OVERQUOTA")
 * and rsp_value. The tagged response is stored last, so its code wins;
 * when it has none, an untagged response's code of the same exchange
 * could be seen instead (servers send temporary codes with the tagged
 * NO, RFC 5530 section 3). */
static imap_error_kind imap_failure_kind(imap_session *session, int r)
{
	const struct mailimap_response_info *info = session->imap->imap_response_info;

	if (session->dead)
		return IMAP_ERROR_SESSION_LOST;
	/* MAILIMAP_ERROR_PROTOCOL is a tagged BAD (or a tag that does not
	 * match, which libetpan reports the same way): refused. */
	if (r != MAILIMAP_ERROR_PROTOCOL && info != NULL &&
	    imap_code_is_temporary(info->rsp_atom))
		return IMAP_ERROR_TEMPORARY;
	return IMAP_ERROR_REFUSED;
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
	session->error_kind = imap_failure_kind(session, r);
	*error_r = g_strdup_printf("IMAP %s failed on %s: %s", command,
				   session->host, why);
	g_free(why);
	g_free(command);
	return -1;
}

int imap_refuse(imap_session *session, char **error_r, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	*error_r = g_strdup_vprintf(fmt, args);
	va_end(args);
	session->error_kind = IMAP_ERROR_REFUSED;
	return -1;
}

int imap_check_alive(imap_session *session, char **error_r)
{
	if (session->dead) {
		*error_r = g_strdup_printf("IMAP connection to %s is closed "
					   "after an earlier failure",
					   session->host);
		session->error_kind = IMAP_ERROR_SESSION_LOST;
		return -1;
	}
	session->error_kind = IMAP_ERROR_NONE;
	return 0;
}

int imap_check_selected(imap_session *session, const char *command,
			       char **error_r)
{
	if (imap_check_alive(session, error_r) < 0)
		return -1;
	if (session->selected == NULL)
		return imap_refuse(session, error_r, "IMAP %s on %s: no mailbox selected",
				   command, session->host);
	return 0;
}

imap_error_kind imap_session_error_kind(imap_session *session)
{
	/* dead is also set where no failure is described (a pipelined
	 * fetch stopped with an answer still to come). */
	return session->dead ? IMAP_ERROR_SESSION_LOST : session->error_kind;
}

gboolean imap_session_usable(imap_session *session)
{
	return imap_session_error_kind(session) != IMAP_ERROR_SESSION_LOST;
}
