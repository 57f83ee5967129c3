/* The session: URL, connect, STARTTLS (RFC 3501 6.2.1), LOGIN or
 * XOAUTH2, CAPABILITY, NAMESPACE, free. */

#include "imap/imap-private.h"

#include "imap/stream.h"

#include <string.h>

#define IMAP_DEFAULT_TIMEOUT_SECS 60
/* Per direction, per connection: libetpan's own choice. */
#define IMAP_STREAM_BUFFER 8192

static int imap_parse_url(const char *url, gboolean *implicit_tls_r,
			  char **host_r, uint16_t *port_r, char **error_r)
{
	GUri *uri;
	const char *scheme;
	const char *path;
	int port;

	/* Error texts do not repeat the URL: it could carry a password. */
	uri = g_uri_parse(url != NULL ? url : "", G_URI_FLAGS_NONE, NULL);
	if (uri == NULL || g_uri_get_host(uri) == NULL ||
	    *g_uri_get_host(uri) == '\0') {
		*error_r = g_strdup("invalid IMAP server URL: expected "
				    "imap://host[:port] or imaps://host[:port]");
		goto fail;
	}
	scheme = g_uri_get_scheme(uri);
	if (g_ascii_strcasecmp(scheme, "imaps") == 0) {
		*implicit_tls_r = TRUE;
	} else if (g_ascii_strcasecmp(scheme, "imap") == 0) {
		*implicit_tls_r = FALSE;
	} else {
		*error_r = g_strdup_printf("invalid IMAP server URL: scheme "
					   "\"%s\" is not imap or imaps",
					   scheme);
		goto fail;
	}
	if (g_uri_get_userinfo(uri) != NULL) {
		*error_r = g_strdup("invalid IMAP server URL: put the user "
				    "name and password in the account "
				    "settings, not in the URL");
		goto fail;
	}
	path = g_uri_get_path(uri);
	if ((*path != '\0' && strcmp(path, "/") != 0) ||
	    g_uri_get_query(uri) != NULL) {
		*error_r = g_strdup("invalid IMAP server URL: it must not have "
				    "a path or query");
		goto fail;
	}
	port = g_uri_get_port(uri);
	if (port == 0 || port > 65535) {
		*error_r = g_strdup("invalid IMAP server URL: bad port");
		goto fail;
	}
	if (port < 0)
		port = *implicit_tls_r ? 993 : 143;
	*host_r = g_strdup(g_uri_get_host(uri));
	*port_r = (uint16_t)port;
	g_uri_unref(uri);
	return 0;
fail:
	if (uri != NULL)
		g_uri_unref(uri);
	return -1;
}

static int imap_load_capabilities(imap_session *session, char **error_r)
{
	struct mailimap_capability_data *caps = NULL;
	int r;

	r = mailimap_capability(session->imap, &caps);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "CAPABILITY");
	/* libetpan keeps its own copy in imap_connection_info. */
	mailimap_capability_data_free(caps);
	return 0;
}

/* The stream is vea's own (stream.c: poll(), no descriptor limit),
 * given to libetpan, which reads the greeting from it. */
static int imap_open_stream(imap_session *session, const imap_connect_params *params,
			    gboolean implicit_tls, int timeout_secs, char **error_r)
{
	mailstream_low *low;
	mailstream *stream;
	int r;

	low = imap_stream_connect(session->host, session->port, timeout_secs, error_r);
	if (low == NULL)
		return -1;
	if (implicit_tls &&
	    imap_stream_start_tls(low, session->host, session->port, params->ca_file, error_r) < 0) {
		mailstream_low_free(low);
		return -1;
	}
	stream = mailstream_new(low, IMAP_STREAM_BUFFER);
	if (stream == NULL) {
		mailstream_low_free(low);
		*error_r = g_strdup("out of memory");
		return -1;
	}
	/* On failure libetpan closes the stream itself. */
	r = mailimap_connect(session->imap, stream);
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		*error_r = g_strdup_printf("cannot connect to %s:%u: no IMAP greeting "
					   "(connection closed or timed out; libetpan error %d)",
					   session->host, session->port, r);
		return -1;
	}
	return r;
}

static int imap_connect_stream(imap_session *session,
			       const imap_connect_params *params,
			       gboolean implicit_tls, int timeout_secs, char **error_r)
{
	int r;

	r = imap_open_stream(session, params, implicit_tls, timeout_secs, error_r);
	if (r < 0)
		return -1;
	if (implicit_tls || params->tls == IMAP_TLS_NONE)
		return 0;

	/* RFC 3501 section 6.2.1: STARTTLS only before authentication; a
	 * PREAUTH greeting leaves no chance to protect the session. */
	if (r == MAILIMAP_NO_ERROR_AUTHENTICATED) {
		*error_r = g_strdup_printf(
			"IMAP server %s:%u greeted with PREAUTH, so STARTTLS is "
			"impossible; use imaps:// or set tls = none",
			session->host, session->port);
		return -1;
	}
	if (imap_load_capabilities(session, error_r) < 0)
		return -1;
	if (!mailimap_has_extension(session->imap, "STARTTLS")) {
		*error_r = g_strdup_printf(
			"IMAP server %s:%u does not offer STARTTLS; set tls = "
			"none to allow plaintext",
			session->host, session->port);
		return -1;
	}
	r = mailimap_starttls(session->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "STARTTLS");
	/* RFC 3501 6.2.1: the handshake starts right after the OK; anything
	 * the server sent with it would be a plaintext injection. */
	if (session->imap->imap_stream->read_buffer_len > 0) {
		*error_r = g_strdup_printf("IMAP server %s:%u sent data after its OK to "
					   "STARTTLS, before TLS; refusing the session",
					   session->host, session->port);
		return -1;
	}
	return imap_stream_start_tls(mailstream_get_low(session->imap->imap_stream),
				     session->host, session->port, params->ca_file, error_r);
}

int imap_session_connect(const imap_connect_params *params,
			 imap_session **session_r, char **error_r)
{
	imap_session *session;
	gboolean implicit_tls = FALSE;
	char *host = NULL;
	uint16_t port = 0;
	int timeout;

	*session_r = NULL;
	if (imap_parse_url(params->url, &implicit_tls, &host, &port,
			   error_r) < 0)
		return -1;

	session = g_new0(imap_session, 1);
	session->host = host;
	session->port = port;
	session->delimiter = '/';
	session->prefix = g_strdup("");
	session->imap = mailimap_new(0, NULL);
	if (session->imap == NULL) {
		*error_r = g_strdup("out of memory");
		goto fail;
	}
	timeout = params->timeout_secs > 0 ? params->timeout_secs : IMAP_DEFAULT_TIMEOUT_SECS;
	mailimap_set_timeout(session->imap, (time_t)timeout);

	if (imap_connect_stream(session, params, implicit_tls, timeout, error_r) < 0)
		goto fail;
	/* After STARTTLS the capabilities must be asked again (RFC 3501
	 * section 6.2.1); a greeting may not list them at all. */
	if (imap_load_capabilities(session, error_r) < 0)
		goto fail;
	*session_r = session;
	return 0;
fail:
	/* Nothing was sent but the handshake: close without LOGOUT. */
	session->dead = TRUE;
	imap_session_free(&session);
	return -1;
}

/* The personal namespace: the delimiter from LIST "" "" (RFC 3501 section
 * 6.3.8), the prefix from NAMESPACE (RFC 2342) where the server has it. */
static int imap_load_namespace(imap_session *session, char **error_r)
{
	clist *list = NULL;
	int r;

	r = mailimap_list(session->imap, "", "", &list);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "LIST \"\" \"\"");
	if (list != NULL && clist_begin(list) != NULL) {
		struct mailimap_mailbox_list *mb =
			clist_content(clist_begin(list));

		session->delimiter = mb->mb_delimiter;
	}
	if (list != NULL)
		mailimap_list_result_free(list);

	if (mailimap_has_namespace(session->imap)) {
		struct mailimap_namespace_data *ns = NULL;

		r = mailimap_namespace(session->imap, &ns);
		if (r != MAILIMAP_NO_ERROR)
			return imap_fail(session, r, error_r, "NAMESPACE");
		if (ns != NULL && ns->ns_personal != NULL &&
		    clist_begin(ns->ns_personal->ns_data_list) != NULL) {
			struct mailimap_namespace_info *info = clist_content(
				clist_begin(ns->ns_personal->ns_data_list));

			g_free(session->prefix);
			session->prefix = g_strdup(info->ns_prefix);
			if (info->ns_delimiter != '\0')
				session->delimiter = info->ns_delimiter;
		}
		if (ns != NULL)
			mailimap_namespace_data_free(ns);
	}
	return 0;
}

static int imap_after_login(imap_session *session, char **error_r)
{
	/* Servers may announce more after authentication (RFC 3501 section
	 * 7.2.1), e.g. MOVE and UIDPLUS. */
	if (imap_load_capabilities(session, error_r) < 0)
		return -1;
	return imap_load_namespace(session, error_r);
}

int imap_session_login(imap_session *session, const char *user,
		       const char *password, char **error_r)
{
	int r;

	if (imap_check_alive(session, error_r) < 0)
		return -1;
	if (mailimap_has_extension(session->imap, "LOGINDISABLED"))
		return imap_refuse(session, error_r, "IMAP LOGIN as %s failed on %s: the "
				   "server disabled LOGIN (LOGINDISABLED)", user, session->host);
	r = mailimap_login(session->imap, user, password);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "LOGIN as %s", user);
	return imap_after_login(session, error_r);
}

int imap_session_login_xoauth2(imap_session *session, const char *user,
			       const char *token, char **error_r)
{
	int r;

	if (imap_check_alive(session, error_r) < 0)
		return -1;
	if (!mailimap_has_xoauth2(session->imap))
		return imap_refuse(session, error_r, "IMAP AUTHENTICATE XOAUTH2 as %s failed on "
				   "%s: the server does not offer AUTH=XOAUTH2", user,
				   session->host);
	r = mailimap_oauth2_authenticate(session->imap, user, token);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r,
				 "AUTHENTICATE XOAUTH2 as %s", user);
	return imap_after_login(session, error_r);
}

void imap_session_free(imap_session **session_p)
{
	imap_session *session = *session_p;

	if (session == NULL)
		return;
	*session_p = NULL;
	if (session->imap != NULL) {
		if (!session->dead && session->imap->imap_stream != NULL)
			(void)mailimap_logout(session->imap);
		mailimap_free(session->imap);
	}
	g_free(session->host);
	g_free(session->prefix);
	g_free(session->selected);
	g_free(session);
}

gboolean imap_session_has_capability(imap_session *session, const char *name)
{
	if (g_ascii_strncasecmp(name, "AUTH=", 5) == 0)
		return mailimap_has_authentication(session->imap, name + 5) != 0;
	return mailimap_has_extension(session->imap, name) != 0;
}

char imap_session_get_delimiter(imap_session *session)
{
	return session->delimiter;
}

const char *imap_session_get_prefix(imap_session *session)
{
	return session->prefix;
}
