/* One IMAP4rev1 session (RFC 3501) over libetpan, blocking.
 *
 * libetpan's traps (../shared/reference/LIBRARIES.md) shape this file: its
 * streams wait with select() and verify no certificate, so every session
 * runs on vea's own stream (stream.c: poll(), TLS verified before LOGIN);
 * COMPRESS is never enabled; IDLE drops untagged data that comes before
 * the continuation. */

#include "imap/imap.h"

#include "imap/stream.h"

#include <libetpan/libetpan.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define IMAP_DEFAULT_TIMEOUT_SECS 60
#define IMAP_DEFAULT_BATCH 500
/* Per direction, per connection: libetpan's own choice. */
#define IMAP_STREAM_BUFFER 8192
/* Bodies fetched in one command stay under this many bytes (one larger
 * message still goes alone), so a batch of 500 large messages cannot
 * exhaust memory. */
#define IMAP_FETCH_MAX_BYTES (32u * 1024 * 1024)
/* Keeps each command line far below servers' limits (Dovecot: 64 KiB). */
#define IMAP_SET_MAX_RANGES 500
/* RFC 2177 section 3: re-issue IDLE at least every 29 minutes. */
#define IMAP_IDLE_MAX_SECS (25 * 60)

struct imap_session {
	mailimap *imap;
	char *host; /* as in the URL; for messages and the certificate check */
	uint16_t port;
	gboolean dead; /* the stream failed: no LOGOUT on free */
	char delimiter;
	char *prefix;
	char *selected; /* server name of the selected mailbox, or NULL */
};

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

/* "<command> failed on <host>: <why>". command names what was attempted,
 * e.g. "SELECT \"INBOX\"", and never holds a credential. */
static int imap_fail(imap_session *session, int r, char **error_r,
		     const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static int imap_fail(imap_session *session, int r, char **error_r,
		     const char *fmt, ...)
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

static int imap_check_alive(imap_session *session, char **error_r)
{
	if (session->dead) {
		*error_r = g_strdup_printf("IMAP connection to %s is closed "
					   "after an earlier failure",
					   session->host);
		return -1;
	}
	return 0;
}

static int imap_check_selected(imap_session *session, const char *command,
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

/* ---- connection ---------------------------------------------------- */

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
	if (mailimap_has_extension(session->imap, "LOGINDISABLED")) {
		*error_r = g_strdup_printf("IMAP LOGIN as %s failed on %s: the "
					   "server disabled LOGIN "
					   "(LOGINDISABLED)",
					   user, session->host);
		return -1;
	}
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
	if (!mailimap_has_xoauth2(session->imap)) {
		*error_r = g_strdup_printf("IMAP AUTHENTICATE XOAUTH2 as %s "
					   "failed on %s: the server does not "
					   "offer AUTH=XOAUTH2",
					   user, session->host);
		return -1;
	}
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

gboolean imap_session_usable(imap_session *session)
{
	return !session->dead;
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

/* ---- mailboxes ----------------------------------------------------- */

/* SELECT (read-write) or EXAMINE (read-only, RFC 3501 6.3.2). */
static int imap_open_mailbox(imap_session *session, const char *name, gboolean read_only,
			     imap_mailbox_status *status_r, char **error_r)
{
	struct mailimap_selection_info *info;
	int r;

	if (imap_check_alive(session, error_r) < 0)
		return -1;
	g_clear_pointer(&session->selected, g_free);
	r = read_only ? mailimap_examine(session->imap, name) : mailimap_select(session->imap, name);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "%s \"%s\"", read_only ? "EXAMINE" : "SELECT",
				 name);
	session->selected = g_strdup(name);
	info = session->imap->imap_selection_info;
	if (status_r != NULL) {
		memset(status_r, 0, sizeof(*status_r));
		if (info != NULL) {
			status_r->uidvalidity = info->sel_uidvalidity;
			status_r->uidnext = info->sel_uidnext;
			status_r->exists = info->sel_exists;
			status_r->read_only = info->sel_perm == MAILIMAP_MAILBOX_READONLY;
		}
	}
	return 0;
}

int imap_session_select(imap_session *session, const char *name,
			imap_mailbox_status *status_r, char **error_r)
{
	return imap_open_mailbox(session, name, FALSE, status_r, error_r);
}

int imap_session_examine(imap_session *session, const char *name,
			 imap_mailbox_status *status_r, char **error_r)
{
	return imap_open_mailbox(session, name, TRUE, status_r, error_r);
}

static gboolean imap_list_flags_unusable(struct mailimap_mbx_list_flags *f)
{
	if (f == NULL)
		return FALSE;
	if (f->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
	    f->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT)
		return TRUE;
	for (clistiter *it = clist_begin(f->mbf_oflags); it != NULL;
	     it = clist_next(it)) {
		struct mailimap_mbx_list_oflag *of = clist_content(it);

		/* RFC 5258: \NonExistent; RFC 3501: \Noselect. */
		if (of->of_type == MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT &&
		    of->of_flag_ext != NULL &&
		    (g_ascii_strcasecmp(of->of_flag_ext, "NonExistent") == 0 ||
		     g_ascii_strcasecmp(of->of_flag_ext, "Noselect") == 0))
			return TRUE;
	}
	return FALSE;
}

static gboolean imap_mailbox_names_equal(const char *a, const char *b)
{
	/* RFC 3501 section 5.1: INBOX is case-insensitive. */
	if (g_ascii_strcasecmp(a, "INBOX") == 0)
		return g_ascii_strcasecmp(b, "INBOX") == 0;
	return strcmp(a, b) == 0;
}

int imap_session_list_mailboxes(imap_session *session, GHashTable **names_r,
				char **error_r)
{
	clist *list = NULL;
	GHashTable *names;
	int r;

	if (imap_check_alive(session, error_r) < 0)
		return -1;
	r = mailimap_list(session->imap, "", "*", &list);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "LIST \"\" \"*\"");
	names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (clistiter *it = list != NULL ? clist_begin(list) : NULL;
	     it != NULL; it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);

		if (!imap_list_flags_unusable(mb->mb_flag)) {
			/* INBOX is case-insensitive (RFC 3501 5.1): one spelling. */
			g_hash_table_add(names, g_ascii_strcasecmp(mb->mb_name, "INBOX") == 0
							? g_strdup("INBOX") : g_strdup(mb->mb_name));
		}
	}
	if (list != NULL)
		mailimap_list_result_free(list);
	*names_r = names;
	return 0;
}

/* Does the LIST entry carry the attribute (RFC 6154 2: "\\Drafts",
 * "\\Sent"...)? libetpan keeps the ones it does not know as extension
 * flags, without the backslash. */
static gboolean imap_list_flags_have(struct mailimap_mbx_list_flags *f, const char *attribute)
{
	if (f == NULL || attribute[0] != '\\')
		return FALSE;
	for (clistiter *it = clist_begin(f->mbf_oflags); it != NULL; it = clist_next(it)) {
		struct mailimap_mbx_list_oflag *of = clist_content(it);

		if (of->of_type == MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT && of->of_flag_ext != NULL &&
		    g_ascii_strcasecmp(of->of_flag_ext, attribute + 1) == 0)
			return TRUE;
	}
	return FALSE;
}

int imap_session_find_special_use(imap_session *session, const char *attribute,
				  char **name_r, char **error_r)
{
	clist *list = NULL;
	int r, found = 0;

	*name_r = NULL;
	if (imap_check_alive(session, error_r) < 0)
		return -1;
	/* A plain LIST: servers with SPECIAL-USE (RFC 6154 5.1) return the
	 * attributes in it, and one without answers the same way. */
	r = mailimap_list(session->imap, "", "*", &list);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "LIST \"\" \"*\"");
	for (clistiter *it = list != NULL ? clist_begin(list) : NULL; it != NULL && !found;
	     it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);

		if (!imap_list_flags_unusable(mb->mb_flag) &&
		    imap_list_flags_have(mb->mb_flag, attribute)) {
			*name_r = g_strdup(mb->mb_name);
			found = 1;
		}
	}
	if (list != NULL)
		mailimap_list_result_free(list);
	return found;
}

int imap_session_mailbox_exists(imap_session *session, const char *name,
				char **error_r)
{
	clist *list = NULL;
	int found = 0;
	int r;

	if (imap_check_alive(session, error_r) < 0)
		return -1;
	r = mailimap_list(session->imap, "", name, &list);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "LIST \"\" \"%s\"", name);
	/* The name is a pattern: '%' and '*' may match other mailboxes. */
	for (clistiter *it = list != NULL ? clist_begin(list) : NULL;
	     it != NULL; it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);

		if (imap_mailbox_names_equal(mb->mb_name, name) &&
		    !imap_list_flags_unusable(mb->mb_flag)) {
			found = 1;
			break;
		}
	}
	if (list != NULL)
		mailimap_list_result_free(list);
	return found;
}

int imap_session_create(imap_session *session, const char *name,
			char **error_r)
{
	char *exists_error = NULL;
	int r;

	if (imap_check_alive(session, error_r) < 0)
		return -1;
	r = mailimap_create(session->imap, name);
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	imap_fail(session, r, error_r, "CREATE \"%s\"", name);
	if (session->dead)
		return -1;
	/* RFC 5530 ALREADYEXISTS is not parsed by libetpan: ask. */
	if (imap_session_mailbox_exists(session, name, &exists_error) == 1) {
		g_clear_pointer(error_r, g_free);
		return 0;
	}
	g_free(exists_error);
	return -1;
}

/* ---- flags and UID sets -------------------------------------------- */

static gboolean imap_is_atom(const char *s)
{
	if (*s == '\0')
		return FALSE;
	for (; *s != '\0'; s++) {
		/* RFC 3501 section 9: atom-specials, plus ']' (resp-specials). */
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
		    strchr("(){%*\"\\]", *s) != NULL)
			return FALSE;
	}
	return TRUE;
}

static struct mailimap_flag *imap_flag_new(const char *flag)
{
	static const struct {
		const char *name;
		struct mailimap_flag *(*make)(void);
	} system_flags[] = {
		{ "\\Answered", mailimap_flag_new_answered },
		{ "\\Flagged", mailimap_flag_new_flagged },
		{ "\\Deleted", mailimap_flag_new_deleted },
		{ "\\Seen", mailimap_flag_new_seen },
		{ "\\Draft", mailimap_flag_new_draft },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(system_flags); i++) {
		if (g_ascii_strcasecmp(flag, system_flags[i].name) == 0)
			return system_flags[i].make();
	}
	if (flag[0] == '\\') {
		/* \Recent cannot be set by clients (RFC 3501 section 2.3.2). */
		if (!imap_is_atom(flag + 1) ||
		    g_ascii_strcasecmp(flag, "\\Recent") == 0)
			return NULL;
		return mailimap_flag_new_flag_extension(strdup(flag + 1));
	}
	if (!imap_is_atom(flag))
		return NULL;
	return mailimap_flag_new_flag_keyword(strdup(flag));
}

static struct mailimap_flag_list *
imap_flag_list_new(const char *const *flags, char **error_r)
{
	struct mailimap_flag_list *list = mailimap_flag_list_new_empty();

	for (size_t i = 0; flags != NULL && flags[i] != NULL; i++) {
		struct mailimap_flag *flag = imap_flag_new(flags[i]);

		if (flag == NULL) {
			*error_r = g_strdup_printf("invalid IMAP flag \"%s\"",
						   flags[i]);
			mailimap_flag_list_free(list);
			return NULL;
		}
		mailimap_flag_list_add(list, flag);
	}
	return list;
}

static char *imap_flags_to_text(const char *const *flags)
{
	if (flags == NULL || flags[0] == NULL)
		return g_strdup("()");
	{
		char *joined = g_strjoinv(" ", (char **)flags);
		char *text = g_strdup_printf("(%s)", joined);

		g_free(joined);
		return text;
	}
}

static int imap_uid_compare(gconstpointer a, gconstpointer b)
{
	uint32_t x = *(const uint32_t *)a;
	uint32_t y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorted, without duplicates or 0. */
static GArray *imap_uids_sorted(const GArray *uids)
{
	GArray *sorted = g_array_sized_new(FALSE, FALSE, sizeof(uint32_t),
					   uids != NULL ? uids->len : 0);
	guint out = 0;

	if (uids != NULL)
		g_array_append_vals(sorted, uids->data, uids->len);
	g_array_sort(sorted, imap_uid_compare);
	for (guint i = 0; i < sorted->len; i++) {
		uint32_t uid = g_array_index(sorted, uint32_t, i);

		if (uid == 0 ||
		    (out > 0 && g_array_index(sorted, uint32_t, out - 1) == uid))
			continue;
		g_array_index(sorted, uint32_t, out++) = uid;
	}
	g_array_set_size(sorted, out);
	return sorted;
}

/* One mailimap_set with at most IMAP_SET_MAX_RANGES ranges, starting at
 * sorted[*pos]; advances *pos past what it took. */
static struct mailimap_set *imap_set_next(const GArray *sorted, guint *pos)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	guint ranges = 0;

	while (*pos < sorted->len && ranges < IMAP_SET_MAX_RANGES) {
		uint32_t first = g_array_index(sorted, uint32_t, *pos);
		uint32_t last = first;

		(*pos)++;
		while (*pos < sorted->len &&
		       g_array_index(sorted, uint32_t, *pos) == last + 1) {
			last++;
			(*pos)++;
		}
		mailimap_set_add_interval(set, first, last);
		ranges++;
	}
	return set;
}

typedef int imap_set_command(imap_session *session, struct mailimap_set *set,
			     void *context, char **error_r);

/* Runs command once per UID set of at most IMAP_SET_MAX_RANGES ranges. */
static int imap_for_each_set(imap_session *session, const GArray *uids,
			     imap_set_command *command, void *context,
			     char **error_r)
{
	GArray *sorted = imap_uids_sorted(uids);
	guint pos = 0;
	int ret = 0;

	while (pos < sorted->len && ret == 0) {
		struct mailimap_set *set = imap_set_next(sorted, &pos);

		ret = command(session, set, context, error_r);
		mailimap_set_free(set);
	}
	g_array_free(sorted, TRUE);
	return ret;
}

/* ---- fetch --------------------------------------------------------- */

static char *imap_flag_to_text(const struct mailimap_flag *flag)
{
	switch (flag->fl_type) {
	case MAILIMAP_FLAG_ANSWERED:
		return g_strdup("\\Answered");
	case MAILIMAP_FLAG_FLAGGED:
		return g_strdup("\\Flagged");
	case MAILIMAP_FLAG_DELETED:
		return g_strdup("\\Deleted");
	case MAILIMAP_FLAG_SEEN:
		return g_strdup("\\Seen");
	case MAILIMAP_FLAG_DRAFT:
		return g_strdup("\\Draft");
	case MAILIMAP_FLAG_KEYWORD:
		return g_strdup(flag->fl_data.fl_keyword);
	case MAILIMAP_FLAG_EXTENSION:
		return g_strconcat("\\", flag->fl_data.fl_extension, NULL);
	default:
		return NULL;
	}
}

typedef struct imap_fetch_item {
	uint32_t uid;
	uint32_t size;
	gboolean has_body;
	const char *data;
	size_t len;
	GPtrArray *flags; /* char *, NULL-terminated once complete */
	uint64_t modseq;  /* MODSEQ (RFC 7162), 0 when not fetched */
	char *owned;      /* data, when copied out of the response */
} imap_fetch_item;

static void imap_fetch_item_parse(struct mailimap_msg_att *att,
				  imap_fetch_item *item)
{
	memset(item, 0, sizeof(*item));
	for (clistiter *it = clist_begin(att->att_list); it != NULL;
	     it = clist_next(it)) {
		struct mailimap_msg_att_item *ai = clist_content(it);

		if (ai->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
			clist *fl = ai->att_data.att_dyn->att_list;

			if (item->flags == NULL)
				item->flags = g_ptr_array_new_with_free_func(
					g_free);
			for (clistiter *f = fl != NULL ? clist_begin(fl) : NULL;
			     f != NULL; f = clist_next(f)) {
				struct mailimap_flag_fetch *ff =
					clist_content(f);
				char *text;

				/* \Recent is session state, not a flag a
				 * rule can act on. */
				if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER ||
				    ff->fl_flag == NULL)
					continue;
				text = imap_flag_to_text(ff->fl_flag);
				if (text != NULL)
					g_ptr_array_add(item->flags, text);
			}
			continue;
		}
		if (ai->att_type == MAILIMAP_MSG_ATT_ITEM_EXTENSION) {
			struct mailimap_extension_data *ext =
				ai->att_data.att_extension_data;

			if (ext != NULL && ext->ext_extension != NULL &&
			    ext->ext_extension->ext_id == MAILIMAP_EXTENSION_CONDSTORE &&
			    ext->ext_type == MAILIMAP_CONDSTORE_TYPE_FETCH_DATA &&
			    ext->ext_data != NULL)
				item->modseq = ((struct mailimap_condstore_fetch_mod_resp *)
							ext->ext_data)->cs_modseq_value;
			continue;
		}
		if (ai->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		{
			struct mailimap_msg_att_static *st =
				ai->att_data.att_static;

			switch (st->att_type) {
			case MAILIMAP_MSG_ATT_UID:
				item->uid = st->att_data.att_uid;
				break;
			case MAILIMAP_MSG_ATT_RFC822_SIZE:
				item->size = st->att_data.att_rfc822_size;
				break;
			case MAILIMAP_MSG_ATT_BODY_SECTION: {
				struct mailimap_msg_att_body_section *bs =
					st->att_data.att_body_section;

				item->has_body = TRUE;
				item->data = bs->sec_body_part != NULL
						     ? bs->sec_body_part
						     : "";
				item->len = bs->sec_body_part != NULL
						    ? bs->sec_length
						    : 0;
				break;
			}
			default:
				break;
			}
		}
	}
}

static int imap_fetch_item_compare(gconstpointer a, gconstpointer b)
{
	const imap_fetch_item *x = a;
	const imap_fetch_item *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static void imap_fetch_items_clear(GArray *items)
{
	for (guint i = 0; i < items->len; i++) {
		imap_fetch_item *item = &g_array_index(items, imap_fetch_item, i);

		if (item->flags != NULL)
			g_ptr_array_free(item->flags, TRUE);
		g_free(item->owned);
	}
	g_array_set_size(items, 0);
}

/* UID FETCH of exactly these sorted UIDs; the items point into *result_r,
 * which the caller frees with mailimap_fetch_list_free(). Unsolicited
 * FETCH responses (flag changes of other messages) are dropped. */
static int imap_fetch_set(imap_session *session, const GArray *sorted,
			  gboolean body, gboolean headers_only, GArray *items,
			  clist **result_r, char **error_r)
{
	struct mailimap_fetch_type *type;
	struct mailimap_set *set;
	guint pos = 0;
	int r;

	*result_r = NULL;
	type = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(type,
						   mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
		type, mailimap_fetch_att_new_rfc822_size());
	if (body) {
		mailimap_fetch_type_new_fetch_att_list_add(
			type, mailimap_fetch_att_new_flags());
		/* PEEK: fetching must not set \Seen (RFC 3501 6.4.5). */
		mailimap_fetch_type_new_fetch_att_list_add(
			type, mailimap_fetch_att_new_body_peek_section(
				      headers_only
					      ? mailimap_section_new_header()
					      : mailimap_section_new(NULL)));
	}
	/* sorted holds at most IMAP_SET_MAX_RANGES UIDs: one set. */
	set = imap_set_next(sorted, &pos);
	r = mailimap_uid_fetch(session->imap, set, type, result_r);
	mailimap_set_free(set);
	mailimap_fetch_type_free(type);
	if (r != MAILIMAP_NO_ERROR) {
		*result_r = NULL;
		return imap_fail(session, r, error_r, "UID FETCH in \"%s\"",
				 session->selected);
	}

	for (clistiter *it = clist_begin(*result_r); it != NULL;
	     it = clist_next(it)) {
		imap_fetch_item item;

		imap_fetch_item_parse(clist_content(it), &item);
		if (item.uid == 0 || (body && !item.has_body) ||
		    !g_array_binary_search((GArray *)sorted, &item.uid,
					   imap_uid_compare,
					   NULL)) {
			if (item.flags != NULL)
				g_ptr_array_free(item.flags, TRUE);
			continue;
		}
		g_array_append_val(items, item);
	}
	g_array_sort(items, imap_fetch_item_compare);
	return 0;
}

/* Hand fetched items (in UID order) to the callback, one by one, until
 * it fails. */
static int imap_fetch_items_deliver(imap_session *session, GArray *items,
				    imap_fetch_callback *callback, void *context,
				    char **error_r)
{
	for (guint i = 0; i < items->len; i++) {
		imap_fetch_item *item = &g_array_index(items, imap_fetch_item, i);
		imap_fetched msg;

		if (item->flags == NULL)
			item->flags = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(item->flags, NULL);
		msg.uid = item->uid;
		msg.flags = (char **)item->flags->pdata;
		msg.data = item->data;
		msg.len = item->len;
		msg.size = item->size;
		if (callback(&msg, context, error_r) < 0) {
			if (*error_r == NULL)
				*error_r = g_strdup_printf("processing UID %u of \"%s\" failed",
							   item->uid, session->selected);
			return -1;
		}
	}
	return 0;
}

static int imap_fetch_bodies(imap_session *session, const GArray *uids,
			     gboolean headers_only,
			     imap_fetch_callback *callback, void *context,
			     char **error_r)
{
	GArray *items = g_array_new(FALSE, TRUE, sizeof(imap_fetch_item));
	clist *result = NULL;
	int ret;

	ret = imap_fetch_set(session, uids, TRUE, headers_only, items, &result,
			     error_r);
	if (ret == 0)
		ret = imap_fetch_items_deliver(session, items, callback, context, error_r);
	imap_fetch_items_clear(items);
	g_array_free(items, TRUE);
	if (result != NULL)
		mailimap_fetch_list_free(result);
	return ret;
}

/* Splits one batch of UIDs by RFC822.SIZE so that no single FETCH holds
 * more than IMAP_FETCH_MAX_BYTES of bodies (a larger message goes alone). */
static int imap_fetch_batch(imap_session *session, const GArray *batch,
			    gboolean headers_only,
			    imap_fetch_callback *callback, void *context,
			    char **error_r)
{
	GArray *sizes;
	GArray *part;
	clist *result = NULL;
	uint64_t bytes = 0;
	int ret;

	if (headers_only)
		return imap_fetch_bodies(session, batch, TRUE, callback,
					 context, error_r);

	sizes = g_array_new(FALSE, TRUE, sizeof(imap_fetch_item));
	ret = imap_fetch_set(session, batch, FALSE, FALSE, sizes, &result,
			     error_r);
	if (result != NULL)
		mailimap_fetch_list_free(result);
	part = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (guint i = 0; ret == 0 && i < sizes->len; i++) {
		imap_fetch_item *item = &g_array_index(sizes, imap_fetch_item, i);

		if (part->len > 0 && bytes + item->size > IMAP_FETCH_MAX_BYTES) {
			ret = imap_fetch_bodies(session, part, FALSE, callback,
						context, error_r);
			g_array_set_size(part, 0);
			bytes = 0;
		}
		g_array_append_val(part, item->uid);
		bytes += item->size;
	}
	if (ret == 0 && part->len > 0)
		ret = imap_fetch_bodies(session, part, FALSE, callback, context,
					error_r);
	g_array_free(part, TRUE);
	imap_fetch_items_clear(sizes);
	g_array_free(sizes, TRUE);
	return ret;
}

/* UID SEARCH UID first:* (RFC 3501 section 6.4.4). "first:*" also matches
 * the last message when first is above every UID, hence the filter. */
static int imap_search_from(imap_session *session, uint32_t first_uid,
			    GArray **uids_r, char **error_r)
{
	struct mailimap_search_key *key;
	clist *result = NULL;
	GArray *uids;
	int r;

	key = mailimap_search_key_new_uid(
		mailimap_set_new_interval(first_uid, 0));
	r = mailimap_uid_search(session->imap, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r,
				 "UID SEARCH UID %u:* in \"%s\"", first_uid,
				 session->selected);
	uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (clistiter *it = result != NULL ? clist_begin(result) : NULL;
	     it != NULL; it = clist_next(it)) {
		uint32_t uid = *(uint32_t *)clist_content(it);

		if (uid >= first_uid)
			g_array_append_val(uids, uid);
	}
	if (result != NULL)
		mailimap_search_result_free(result);
	g_array_sort(uids, imap_uid_compare);
	*uids_r = uids;
	return 0;
}

/* UID SEARCH with key (freed here), results sorted. */
static int imap_search_key(imap_session *session, struct mailimap_search_key *key,
			   const char *what, GArray **uids_r, char **error_r)
{
	clist *result = NULL;
	GArray *uids;
	int r;

	r = mailimap_uid_search(session->imap, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "UID SEARCH %s in \"%s\"", what,
				 session->selected);
	uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (clistiter *it = result != NULL ? clist_begin(result) : NULL; it != NULL;
	     it = clist_next(it))
		g_array_append_val(uids, *(uint32_t *)clist_content(it));
	if (result != NULL)
		mailimap_search_result_free(result);
	g_array_sort(uids, imap_uid_compare);
	*uids_r = uids;
	return 0;
}

int imap_session_search_message_id(imap_session *session, const char *message_id,
				   GArray **uids_r, char **error_r)
{
	g_autofree char *bracketed = NULL;

	if (imap_check_selected(session, "UID SEARCH", error_r) < 0)
		return -1;
	if (strpbrk(message_id, "\r\n\"") != NULL) {
		*error_r = g_strdup("a Message-ID with quotes or line breaks cannot be searched for");
		return -1;
	}
	bracketed = g_strdup_printf("<%s>", message_id);
	return imap_search_key(session,
			       mailimap_search_key_new_header(g_strdup("Message-ID"),
							      g_strdup(bracketed)),
			       "HEADER Message-ID", uids_r, error_r);
}

int imap_session_search_replies(imap_session *session, const char *message_id,
				GArray **uids_r, char **error_r)
{
	g_autofree char *bracketed = NULL;
	struct mailimap_search_key *key;

	if (imap_check_selected(session, "UID SEARCH", error_r) < 0)
		return -1;
	if (strpbrk(message_id, "\r\n\"") != NULL) {
		*error_r = g_strdup("a Message-ID with quotes or line breaks cannot be searched for");
		return -1;
	}
	bracketed = g_strdup_printf("<%s>", message_id);
	key = mailimap_search_key_new_or(
		mailimap_search_key_new_header(g_strdup("In-Reply-To"), g_strdup(bracketed)),
		mailimap_search_key_new_header(g_strdup("References"), g_strdup(bracketed)));
	return imap_search_key(session, key, "OR HEADER In-Reply-To HEADER References", uids_r,
			       error_r);
}

/* A search key without arguments: UNSEEN, FLAGGED, ... */
int imap_session_search_header(imap_session *session, const char *header, const char *value,
			       GArray **uids_r, char **error_r)
{
	g_autofree char *what = NULL;

	if (imap_check_selected(session, "UID SEARCH", error_r) < 0)
		return -1;
	if (strpbrk(header, "\r\n\" ()") != NULL || strpbrk(value, "\r\n\"") != NULL) {
		*error_r = g_strdup("a header or value with quotes or line breaks cannot be searched for");
		return -1;
	}
	what = g_strdup_printf("HEADER %s", header);
	return imap_search_key(session,
			       mailimap_search_key_new_header(g_strdup(header), g_strdup(value)),
			       what, uids_r, error_r);
}

static struct mailimap_search_key *imap_search_key_simple(int type)
{
	return mailimap_search_key_new(type, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
				       NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL,
				       NULL, NULL, NULL, 0, NULL, NULL, NULL);
}

int imap_session_search_unseen_flagged(imap_session *session, GArray **uids_r,
				       char **error_r)
{
	struct mailimap_search_key *key;

	if (imap_check_selected(session, "UID SEARCH", error_r) < 0)
		return -1;
	key = mailimap_search_key_new_multiple_empty();
	mailimap_search_key_multiple_add(key, imap_search_key_simple(MAILIMAP_SEARCH_KEY_UNSEEN));
	mailimap_search_key_multiple_add(key, imap_search_key_simple(MAILIMAP_SEARCH_KEY_FLAGGED));
	return imap_search_key(session, key, "UNSEEN FLAGGED", uids_r, error_r);
}

int imap_session_first_uid_since(imap_session *session, int day, int month, int year,
				 uint32_t *uid_r, char **error_r)
{
	GArray *uids = NULL;

	if (imap_check_selected(session, "UID SEARCH", error_r) < 0)
		return -1;
	/* RFC 3501 6.4.4: SINCE compares the internal date, disregarding
	 * time and time zone: the day the message arrived. */
	if (imap_search_key(session,
			    mailimap_search_key_new_since(mailimap_date_new(day, month, year)),
			    "SINCE", &uids, error_r) < 0)
		return -1;
	*uid_r = uids->len > 0 ? g_array_index(uids, uint32_t, 0) : 0;
	g_array_free(uids, TRUE);
	return 0;
}

/* ---- pipelined header fetch ---------------------------------------- */

/* Send "UID FETCH set (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER])" without
 * waiting for the answer; *tag_r is its tag. libetpan has no pipelining,
 * so the command is written here on its stream, after its own tag. */
static int imap_pipeline_send(imap_session *session, const GArray *sorted, int *tag_r,
			      char **error_r)
{
	g_autoptr(GString) command = g_string_new("UID FETCH ");
	mailimap *imap = session->imap;
	int r;

	for (guint i = 0; i < sorted->len;) {
		uint32_t first = g_array_index(sorted, uint32_t, i), last = first;

		for (i++; i < sorted->len && g_array_index(sorted, uint32_t, i) == last + 1; i++)
			last++;
		if (command->len > strlen("UID FETCH "))
			g_string_append_c(command, ',');
		if (first == last)
			g_string_append_printf(command, "%u", first);
		else
			g_string_append_printf(command, "%u:%u", first, last);
	}
	/* PEEK: fetching must not set \Seen (RFC 3501 6.4.5). */
	g_string_append(command, " (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER])\r\n");
	r = mailimap_send_current_tag(imap);
	if (r == MAILIMAP_NO_ERROR &&
	    (mailstream_write(imap->imap_stream, command->str, command->len) < 0 ||
	     mailstream_flush(imap->imap_stream) < 0))
		r = MAILIMAP_ERROR_STREAM;
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "UID FETCH in \"%s\"", session->selected);
	*tag_r = imap->imap_tag;
	return 0;
}

/* Read the answer to the command tagged tag; *result_r gets its FETCH
 * responses (to mailimap_fetch_list_free). libetpan checks a response's
 * tag against the session's latest one, so that one is set to tag for
 * the read and put back after. Returns 0, 1 when the server refused the
 * batch (the session stays usable), -1 when the session broke. */
static int imap_pipeline_receive(imap_session *session, int tag, clist **result_r,
				 char **error_r)
{
	mailimap *imap = session->imap;
	struct mailimap_response *response = NULL;
	int latest = imap->imap_tag, r, state;

	*result_r = NULL;
	imap->imap_tag = tag;
	if (mailimap_read_line(imap) == NULL)
		r = MAILIMAP_ERROR_STREAM;
	else
		r = mailimap_parse_response(imap, &response);
	imap->imap_tag = latest;
	if (r != MAILIMAP_NO_ERROR) {
		/* Another command's answer is still on its way: the session
		 * cannot be used again. */
		session->dead = TRUE;
		return imap_fail(session, r, error_r, "UID FETCH in \"%s\"", session->selected);
	}
	state = response->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type;
	mailimap_response_free(response);
	*result_r = imap->imap_response_info->rsp_fetch_list;
	imap->imap_response_info->rsp_fetch_list = clist_new();
	/* A NO that still brought messages (one unreadable message, say)
	 * counts as an answer, as libetpan's own mailimap_uid_fetch has it;
	 * one with nothing is the server refusing the batch. */
	if (state != MAILIMAP_RESP_COND_STATE_OK && clist_count(*result_r) == 0) {
		mailimap_fetch_list_free(*result_r);
		*result_r = NULL;
		imap_fail(session, MAILIMAP_ERROR_UID_FETCH, error_r, "UID FETCH in \"%s\"",
			  session->selected);
		return 1;
	}
	return 0;
}

/* Headers of every UID in uids, in batches of batch_size, pipelined two
 * deep (RFC 3501 5.5): the next batch is asked for before this one is
 * handed to the callback, so the server reads and sends while vea parses
 * and evaluates. A server may work on both commands at once (Dovecot
 * does), so messages of the next batch can come before this batch's
 * tagged answer: those are kept (copied) until their batch's turn. */
static int imap_fetch_headers_pipelined(imap_session *session, const GArray *uids,
					guint batch_size, imap_fetch_callback *callback,
					void *context, char **error_r)
{
	GArray *batches[2] = { g_array_new(FALSE, FALSE, sizeof(uint32_t)),
			       g_array_new(FALSE, FALSE, sizeof(uint32_t)) };
	int tags[2] = { 0, 0 };
	gboolean outstanding[2] = { FALSE, FALSE };
	GArray *early = g_array_new(FALSE, TRUE, sizeof(imap_fetch_item));
	guint pos = 0, k = 0;
	int ret = 0;

	for (;; k++) {
		guint cur = k % 2;
		GArray *items;
		clist *result = NULL;

		/* Ask for batch k (the first time) and k + 1, so that one is
		 * always on its way while another is read. */
		for (guint i = 0; ret == 0 && i < 2; i++) {
			guint s2 = (cur + i) % 2, n;

			if (outstanding[s2] || pos >= uids->len)
				continue;
			n = MIN(batch_size, uids->len - pos);
			g_array_set_size(batches[s2], 0);
			g_array_append_vals(batches[s2], &g_array_index(uids, uint32_t, pos), n);
			pos += n;
			ret = imap_pipeline_send(session, batches[s2], &tags[s2], error_r);
			outstanding[s2] = ret == 0;
		}
		if (ret < 0 || !outstanding[cur])
			break;
		ret = imap_pipeline_receive(session, tags[cur], &result, error_r);
		outstanding[cur] = FALSE;
		if (ret > 0) {
			/* Refused: read the other answer if one is on its way,
			 * so that the session stays in step. */
			guint other = (cur + 1) % 2;
			char *ignored = NULL;

			if (outstanding[other]) {
				clist *rest = NULL;

				if (imap_pipeline_receive(session, tags[other], &rest, &ignored) == 0)
					mailimap_fetch_list_free(rest);
				g_free(ignored);
				outstanding[other] = FALSE;
			}
			ret = -1;
		}
		if (ret < 0)
			break;
		items = g_array_new(FALSE, TRUE, sizeof(imap_fetch_item));
		/* This batch's messages that came with the previous answer. */
		for (guint i = 0; i < early->len;) {
			imap_fetch_item *item = &g_array_index(early, imap_fetch_item, i);

			if (g_array_binary_search(batches[cur], &item->uid, imap_uid_compare, NULL)) {
				g_array_append_val(items, *item);
				g_array_remove_index_fast(early, i);
			} else {
				i++;
			}
		}
		for (clistiter *it = clist_begin(result); it != NULL; it = clist_next(it)) {
			guint next = (cur + 1) % 2;
			imap_fetch_item item;

			imap_fetch_item_parse(clist_content(it), &item);
			if (item.uid != 0 && item.has_body &&
			    g_array_binary_search(batches[cur], &item.uid, imap_uid_compare, NULL)) {
				g_array_append_val(items, item);
			} else if (item.uid != 0 && item.has_body && outstanding[next] &&
				   g_array_binary_search(batches[next], &item.uid, imap_uid_compare,
							 NULL)) {
				item.owned = g_malloc(item.len + 1);
				memcpy(item.owned, item.data, item.len);
				item.owned[item.len] = '\0';
				item.data = item.owned;
				g_array_append_val(early, item);
			} else if (item.flags != NULL) {
				/* Unsolicited FETCH responses (flag changes of
				 * other messages) are dropped. */
				g_ptr_array_free(item.flags, TRUE);
			}
		}
		g_array_sort(items, imap_fetch_item_compare);
		ret = imap_fetch_items_deliver(session, items, callback, context, error_r);
		imap_fetch_items_clear(items);
		g_array_free(items, TRUE);
		mailimap_fetch_list_free(result);
		if (ret < 0)
			break;
	}
	/* Stopped with an answer still to come: the session is unusable. */
	if (outstanding[0] || outstanding[1])
		session->dead = TRUE;
	imap_fetch_items_clear(early);
	g_array_free(early, TRUE);
	g_array_free(batches[0], TRUE);
	g_array_free(batches[1], TRUE);
	return ret;
}

int imap_session_fetch_from(imap_session *session, uint32_t first_uid,
			    gboolean headers_only, unsigned int batch_size,
			    imap_fetch_callback *callback, void *context,
			    char **error_r)
{
	GArray *uids = NULL;
	GArray *batch;
	int ret = 0;

	*error_r = NULL;
	if (imap_check_selected(session, "UID FETCH", error_r) < 0)
		return -1;
	if (first_uid == 0)
		first_uid = 1;
	/* A batch is one UID set: keep its command line short. */
	if (batch_size == 0 || batch_size > IMAP_SET_MAX_RANGES)
		batch_size = batch_size == 0 ? IMAP_DEFAULT_BATCH
					     : IMAP_SET_MAX_RANGES;
	if (imap_search_from(session, first_uid, &uids, error_r) < 0)
		return -1;
	if (headers_only) {
		ret = imap_fetch_headers_pipelined(session, uids, batch_size, callback, context,
						   error_r);
		g_array_free(uids, TRUE);
		return ret;
	}

	batch = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (guint pos = 0; ret == 0 && pos < uids->len;) {
		guint n = MIN(batch_size, uids->len - pos);

		g_array_set_size(batch, 0);
		g_array_append_vals(batch, &g_array_index(uids, uint32_t, pos),
				    n);
		pos += n;
		ret = imap_fetch_batch(session, batch, headers_only, callback,
				       context, error_r);
	}
	g_array_free(batch, TRUE);
	g_array_free(uids, TRUE);
	return ret;
}

int imap_session_fetch_uids(imap_session *session, const GArray *uids,
			    gboolean headers_only, imap_fetch_callback *callback,
			    void *context, char **error_r)
{
	GArray *sorted;
	GArray *batch;
	int ret = 0;

	*error_r = NULL;
	if (imap_check_selected(session, "UID FETCH", error_r) < 0)
		return -1;
	sorted = imap_uids_sorted(uids);
	batch = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	/* A batch is one UID set (imap_fetch_set). */
	for (guint pos = 0; ret == 0 && pos < sorted->len;) {
		guint n = MIN(IMAP_SET_MAX_RANGES, sorted->len - pos);

		g_array_set_size(batch, 0);
		g_array_append_vals(batch, &g_array_index(sorted, uint32_t, pos), n);
		pos += n;
		ret = imap_fetch_batch(session, batch, headers_only, callback, context,
				       error_r);
	}
	g_array_free(batch, TRUE);
	g_array_free(sorted, TRUE);
	return ret;
}

/* ---- store, copy, move, append ------------------------------------- */

static int imap_store_flags(imap_session *session, struct mailimap_set *set,
			    const char *const *flags, gboolean add, char **error_r)
{
	struct mailimap_flag_list *list;
	struct mailimap_store_att_flags *att;
	char *text;
	int r;

	list = imap_flag_list_new(flags, error_r);
	if (list == NULL)
		return -1;
	att = add ? mailimap_store_att_flags_new_add_flags_silent(list)
		  : mailimap_store_att_flags_new_remove_flags_silent(list);
	r = mailimap_uid_store(session->imap, set, att);
	mailimap_store_att_flags_free(att);
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	text = imap_flags_to_text(flags);
	imap_fail(session, r, error_r, "UID STORE %cFLAGS.SILENT %s in \"%s\"",
		  add ? '+' : '-', text, session->selected);
	g_free(text);
	return -1;
}

static int imap_store_command(imap_session *session, struct mailimap_set *set,
			      void *context, char **error_r)
{
	return imap_store_flags(session, set, context, TRUE, error_r);
}

static int imap_unstore_command(imap_session *session, struct mailimap_set *set,
				void *context, char **error_r)
{
	return imap_store_flags(session, set, context, FALSE, error_r);
}

/* UID STORE +FLAGS or -FLAGS; bad flags are refused before anything is
 * sent. */
static int imap_change_flags(imap_session *session, const GArray *uids,
			     const char *const *flags, gboolean add, char **error_r)
{
	struct mailimap_flag_list *check;

	if (imap_check_selected(session, "UID STORE", error_r) < 0)
		return -1;
	check = imap_flag_list_new(flags, error_r);
	if (check == NULL)
		return -1;
	mailimap_flag_list_free(check);
	if (flags == NULL || flags[0] == NULL)
		return 0;
	return imap_for_each_set(session, uids,
				 add ? imap_store_command : imap_unstore_command,
				 (void *)flags, error_r);
}

int imap_session_remove_flags(imap_session *session, const GArray *uids,
			      const char *const *flags, char **error_r)
{
	return imap_change_flags(session, uids, flags, FALSE, error_r);
}

int imap_session_add_flags(imap_session *session, const GArray *uids,
			   const char *const *flags, char **error_r)
{
	return imap_change_flags(session, uids, flags, TRUE, error_r);
}

static int imap_copy_command(imap_session *session, struct mailimap_set *set,
			     void *context, char **error_r)
{
	const char *mailbox = context;
	int r;

	r = mailimap_uid_copy(session->imap, set, mailbox);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r,
				 "UID COPY from \"%s\" to \"%s\"",
				 session->selected, mailbox);
	return 0;
}

int imap_session_copy(imap_session *session, const GArray *uids,
		      const char *mailbox, char **error_r)
{
	if (imap_check_selected(session, "UID COPY", error_r) < 0)
		return -1;
	return imap_for_each_set(session, uids, imap_copy_command,
				 (void *)mailbox, error_r);
}

static int imap_move_command(imap_session *session, struct mailimap_set *set,
			     void *context, char **error_r)
{
	const char *mailbox = context;
	int r;

	r = mailimap_uid_move(session->imap, set, mailbox);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r,
				 "UID MOVE from \"%s\" to \"%s\"",
				 session->selected, mailbox);
	return 0;
}

/* Without MOVE: COPY, then \Deleted, then UID EXPUNGE of exactly the same
 * set (RFC 4315 section 2.1) so other \Deleted messages stay. */
static int imap_copy_delete_command(imap_session *session,
				    struct mailimap_set *set, void *context,
				    char **error_r)
{
	static const char *const deleted[] = { "\\Deleted", NULL };
	int r;

	if (imap_copy_command(session, set, context, error_r) < 0)
		return -1;
	if (imap_store_command(session, set, (void *)deleted, error_r) < 0)
		return -1;
	if (!mailimap_has_extension(session->imap, "UIDPLUS"))
		return 0;
	r = mailimap_uid_expunge(session->imap, set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "UID EXPUNGE in \"%s\"",
				 session->selected);
	return 0;
}

static int imap_require_uidplus(imap_session *session, char **error_r)
{
	if (imap_check_selected(session, "UID EXPUNGE", error_r) < 0)
		return -1;
	if (!mailimap_has_extension(session->imap, "UIDPLUS")) {
		*error_r = g_strdup_printf(
			"UID EXPUNGE in \"%s\": the server has no UIDPLUS",
			session->selected);
		return -1;
	}
	return 0;
}

int imap_session_expunge_uids(imap_session *session, const GArray *uids,
			      char **error_r)
{
	static const char *const deleted[] = { "\\Deleted", NULL };

	if (imap_require_uidplus(session, error_r) < 0 ||
	    imap_session_add_flags(session, uids, deleted, error_r) < 0)
		return -1;
	return imap_session_expunge_deleted(session, uids, error_r);
}

/* ---- CONDSTORE (RFC 7162) ------------------------------------------ */

static gboolean imap_uid_in_set(struct mailimap_set *set, uint32_t uid)
{
	for (clistiter *it = clist_begin(set->set_list); it != NULL; it = clist_next(it)) {
		const struct mailimap_set_item *range = clist_content(it);

		if (uid >= range->set_first && uid <= range->set_last)
			return TRUE;
	}
	return FALSE;
}

/* UID FETCH (UID FLAGS MODSEQ) of one set; items are appended. */
static int imap_fetch_flags_modseq(imap_session *session, struct mailimap_set *set,
				   GArray *items, char **error_r)
{
	struct mailimap_fetch_type *type = mailimap_fetch_type_new_fetch_att_list_empty();
	clist *result = NULL;
	int r;

	mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_flags());
	mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_modseq());
	r = mailimap_uid_fetch(session->imap, set, type, &result);
	mailimap_fetch_type_free(type);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "UID FETCH MODSEQ in \"%s\"",
				 session->selected);
	for (clistiter *it = clist_begin(result); it != NULL; it = clist_next(it)) {
		imap_fetch_item item;

		imap_fetch_item_parse(clist_content(it), &item);
		item.data = NULL; /* points into result */
		if (item.uid != 0 && imap_uid_in_set(set, item.uid))
			g_array_append_val(items, item);
		else if (item.flags != NULL)
			g_ptr_array_free(item.flags, TRUE);
	}
	mailimap_fetch_list_free(result);
	return 0;
}

static int imap_modseq_command(imap_session *session, struct mailimap_set *set,
			       void *context, char **error_r)
{
	uint64_t *max = context;
	g_autoptr(GArray) items = g_array_new(FALSE, FALSE, sizeof(imap_fetch_item));
	int ret = imap_fetch_flags_modseq(session, set, items, error_r);

	for (guint i = 0; i < items->len; i++)
		*max = MAX(*max, g_array_index(items, imap_fetch_item, i).modseq);
	imap_fetch_items_clear(items);
	return ret;
}

int imap_session_max_modseq(imap_session *session, const GArray *uids,
			    uint64_t *modseq_r, char **error_r)
{
	*modseq_r = 0;
	if (imap_check_selected(session, "UID FETCH MODSEQ", error_r) < 0)
		return -1;
	if (!mailimap_has_condstore(session->imap))
		return 0;
	return imap_for_each_set(session, uids, imap_modseq_command, modseq_r, error_r);
}

typedef struct imap_unchanged_context {
	uint64_t modseq;
	GArray *changed;
} imap_unchanged_context;

static int imap_delete_unchanged_command(imap_session *session, struct mailimap_set *set,
					 void *context, char **error_r)
{
	static const char *const deleted[] = { "\\Deleted", NULL };
	imap_unchanged_context *ctx = context;
	g_autoptr(GArray) items = g_array_new(FALSE, FALSE, sizeof(imap_fetch_item));
	g_autoptr(GString) command = g_string_new("UID STORE ");
	int r, ret;

	/* Written here: libetpan's mailimap_uid_store_unchangedsince leaves
	 * out the space before the modifier, which Dovecot rejects. */
	for (clistiter *it = clist_begin(set->set_list); it != NULL; it = clist_next(it)) {
		const struct mailimap_set_item *range = clist_content(it);

		if (it != clist_begin(set->set_list))
			g_string_append_c(command, ',');
		if (range->set_first == range->set_last)
			g_string_append_printf(command, "%u", range->set_first);
		else
			g_string_append_printf(command, "%u:%u", range->set_first,
					       range->set_last);
	}
	g_string_append_printf(command, " (UNCHANGEDSINCE %" G_GUINT64_FORMAT
			       ") +FLAGS.SILENT (%s)", ctx->modseq, deleted[0]);
	r = mailimap_custom_command(session->imap, command->str);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r,
				 "UID STORE (UNCHANGEDSINCE) \\Deleted in \"%s\"",
				 session->selected);
	/* Which were refused ([MODIFIED], RFC 7162 3.1.3): those that are
	 * still there without \Deleted. */
	ret = imap_fetch_flags_modseq(session, set, items, error_r);
	if (ret == 0) {
		/* The last answer for a UID is the current one. */
		g_autoptr(GHashTable) deleted_now = g_hash_table_new(g_direct_hash,
								     g_direct_equal);
		GHashTableIter iter;
		gpointer uid, yes;

		for (guint i = 0; i < items->len; i++) {
			imap_fetch_item *item = &g_array_index(items, imap_fetch_item, i);
			gboolean has_deleted = FALSE;

			for (guint j = 0; item->flags != NULL && j < item->flags->len; j++)
				has_deleted = has_deleted ||
					  g_ascii_strcasecmp(g_ptr_array_index(item->flags, j),
							     "\\Deleted") == 0;
			g_hash_table_insert(deleted_now, GUINT_TO_POINTER(item->uid),
					    GINT_TO_POINTER(has_deleted));
		}
		g_hash_table_iter_init(&iter, deleted_now);
		while (g_hash_table_iter_next(&iter, &uid, &yes)) {
			uint32_t u = GPOINTER_TO_UINT(uid);

			if (!GPOINTER_TO_INT(yes))
				g_array_append_val(ctx->changed, u);
		}
	}
	imap_fetch_items_clear(items);
	return ret;
}

int imap_session_delete_unchanged(imap_session *session, const GArray *uids,
				  uint64_t modseq, GArray **changed_r, char **error_r)
{
	imap_unchanged_context ctx = { modseq, g_array_new(FALSE, FALSE, sizeof(uint32_t)) };

	*changed_r = NULL;
	if (imap_check_selected(session, "UID STORE", error_r) < 0 ||
	    imap_for_each_set(session, uids, imap_delete_unchanged_command, &ctx,
			      error_r) < 0) {
		g_array_free(ctx.changed, TRUE);
		return -1;
	}
	*changed_r = ctx.changed;
	return 0;
}

static int imap_expunge_command(imap_session *session, struct mailimap_set *set,
				void *context, char **error_r)
{
	int r;

	(void)context;
	r = mailimap_uid_expunge(session->imap, set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "UID EXPUNGE in \"%s\"",
				 session->selected);
	return 0;
}

int imap_session_expunge_deleted(imap_session *session, const GArray *uids,
				 char **error_r)
{
	if (imap_require_uidplus(session, error_r) < 0)
		return -1;
	return imap_for_each_set(session, uids, imap_expunge_command, NULL, error_r);
}

int imap_session_move(imap_session *session, const GArray *uids,
		      const char *mailbox, char **error_r)
{
	if (imap_check_selected(session, "UID MOVE", error_r) < 0)
		return -1;
	if (mailimap_has_extension(session->imap, "MOVE"))
		return imap_for_each_set(session, uids, imap_move_command,
					 (void *)mailbox, error_r);
	return imap_for_each_set(session, uids, imap_copy_delete_command,
				 (void *)mailbox, error_r);
}

int imap_session_append(imap_session *session, const char *mailbox,
			const char *const *flags, const char *data, size_t len,
			uint32_t *uidvalidity_r, uint32_t *uid_r, char **error_r)
{
	struct mailimap_flag_list *list;
	uint32_t uidvalidity = 0;
	uint32_t uid = 0;
	int r;

	if (uid_r != NULL)
		*uid_r = 0;
	if (uidvalidity_r != NULL)
		*uidvalidity_r = 0;
	if (imap_check_alive(session, error_r) < 0)
		return -1;
	list = imap_flag_list_new(flags, error_r);
	if (list == NULL)
		return -1;
	if (mailimap_has_extension(session->imap, "UIDPLUS"))
		r = mailimap_uidplus_append(session->imap, mailbox, list, NULL,
					    data, len, &uidvalidity, &uid);
	else
		r = mailimap_append(session->imap, mailbox, list, NULL, data,
				    len);
	mailimap_flag_list_free(list);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r,
				 "APPEND of %zu bytes to \"%s\"", len, mailbox);
	if (uid_r != NULL)
		*uid_r = uid;
	if (uidvalidity_r != NULL)
		*uidvalidity_r = uidvalidity;
	return 0;
}

/* ---- IDLE ---------------------------------------------------------- */

int imap_session_idle_wait(imap_session *session, int timeout_secs,
			   gboolean *changed_r, char **error_r)
{
	struct mailimap_selection_info *info;
	mailstream *stream;
	uint32_t exists_before;
	gboolean has_data = FALSE;
	imap_stream_wait_result wait = IMAP_STREAM_WAIT_TIMEOUT;
	int r;

	*changed_r = FALSE;
	if (imap_check_selected(session, "IDLE", error_r) < 0)
		return -1;
	if (!mailimap_has_extension(session->imap, "IDLE")) {
		*error_r = g_strdup_printf("IMAP IDLE on %s: the server does "
					   "not offer IDLE; poll instead",
					   session->host);
		return -1;
	}
	if (timeout_secs <= 0 || timeout_secs > IMAP_IDLE_MAX_SECS)
		timeout_secs = IMAP_IDLE_MAX_SECS;
	info = session->imap->imap_selection_info;
	exists_before = info != NULL ? info->sel_exists : 0;

	r = mailimap_idle(session->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "IDLE in \"%s\"",
				 session->selected);
	stream = session->imap->imap_stream;
	/* Data that came with the continuation is already buffered: waiting
	 * on the socket would miss it. */
	if (stream->read_buffer_len > 0) {
		has_data = TRUE;
	} else {
		wait = imap_stream_wait(mailstream_get_low(stream), timeout_secs);
		has_data = wait == IMAP_STREAM_WAIT_DATA;
	}
	/* An interrupt that came while the wait was ending is for this wait
	 * too: the caller syncs next anyway. */
	imap_stream_clear_interrupt(mailstream_get_low(stream));
	/* The untagged responses reach imap_selection_info only now. */
	r = mailimap_idle_done(session->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "IDLE DONE in \"%s\"",
				 session->selected);
	if (wait == IMAP_STREAM_WAIT_ERROR) {
		*error_r = g_strdup_printf("IMAP IDLE in \"%s\" on %s: waiting "
					   "for the server failed",
					   session->selected, session->host);
		return -1;
	}
	info = session->imap->imap_selection_info;
	*changed_r = has_data ||
		     (info != NULL && info->sel_exists != exists_before);
	return 0;
}

void imap_session_idle_interrupt(imap_session *session)
{
	/* Kept by the stream when no wait is under way (stream.h). */
	if (session->imap != NULL && session->imap->imap_stream != NULL)
		imap_stream_interrupt(mailstream_get_low(session->imap->imap_stream));
}
