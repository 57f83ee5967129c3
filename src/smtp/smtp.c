/* SMTP sessions over libcurl (see smtp.h). */
#include "smtp/smtp.h"
#include "mime/compose.h"
#include "util/process.h"

#include <curl/curl.h>
#include <string.h>

/* Reading the message out of memory for curl's upload. */
typedef struct smtp_source {
	const char *data;
	size_t len;
	size_t pos;
} smtp_source;

/* What the server said, read from libcurl's debug callback. Only the
 * server's replies (CURLINFO_HEADER_IN) are kept; of vea's own commands
 * (CURLINFO_HEADER_OUT) only whether one was RCPT and to whom, so that an
 * AUTH line, which carries the credentials, is never stored. The message
 * itself (CURLINFO_DATA_OUT) is ignored. */
typedef struct smtp_trace {
	GString *reply;      /* the reply being read, its lines joined by " " */
	gboolean reply_done; /* its last line ("250 ...", not "250-...") came */
	int code;            /* the code of the last complete reply */
	/* The last reply of 400 or more: after a refusal libcurl sends RSET
	 * or QUIT, whose 250 or 221 would otherwise be all that is left. */
	GString *failure;
	char *rcpt;          /* the address of the RCPT being answered, or NULL */
	GPtrArray *refused;  /* "addr: reply" */
} smtp_trace;

struct smtp_session {
	smtp_params params;
	char *where;  /* the url without userinfo, for messages */
	CURL *curl;
	char *secret; /* fetched at the first message; wiped at the end */
	gboolean have_secret;
	char errbuf[CURL_ERROR_SIZE];
	smtp_trace trace;
	guint connections;
};

static size_t smtp_read(char *buffer, size_t size, size_t nitems, void *context)
{
	smtp_source *source = context;
	size_t room = size * nitems;
	size_t left = source->len - source->pos;
	size_t n = left < room ? left : room;

	memcpy(buffer, source->data + source->pos, n);
	source->pos += n;
	return n;
}

gboolean smtp_address_is_valid(const char *address)
{
	/* The composer's check, so that what a message says in its header
	 * and what vea gives the server agree. */
	return address != NULL && mime_address_is_sendable(address);
}

const char *smtp_outcome_name(smtp_outcome outcome)
{
	switch (outcome) {
	case SMTP_ACCEPTED:
		return "accepted";
	case SMTP_TEMPORARY:
		return "temporary";
	case SMTP_PERMANENT:
		return "permanent";
	}
	return "?";
}

void smtp_result_clear(smtp_result *result)
{
	g_clear_pointer(&result->text, g_free);
	g_clear_pointer(&result->refused, g_strfreev);
	result->reply = 0;
	result->needs_config = FALSE;
}

/* One line of text for a result: valid UTF-8, control characters as
 * spaces, at most SMTP_TEXT_MAX bytes (cut at a character). */
static char *smtp_clean_text(const char *text)
{
	char *clean = g_utf8_make_valid(text, -1);

	for (char *p = clean; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	g_strstrip(clean);
	if (strlen(clean) > SMTP_TEXT_MAX) {
		const char *end = clean + SMTP_TEXT_MAX;

		end = g_utf8_find_prev_char(clean, end + 1);
		clean[end - clean] = '\0';
	}
	return clean;
}

/* The URL for messages: userinfo ("smtp://user:secret@host") removed. */
static char *smtp_url_for_humans(const char *url)
{
	const char *authority = strstr(url, "://");
	const char *end, *at;

	if (authority == NULL)
		return g_strdup(url);
	authority += 3;
	end = authority + strcspn(authority, "/?#");
	at = memchr(authority, '@', (size_t)(end - authority));
	if (at == NULL)
		return g_strdup(url);
	return g_strdup_printf("%.*s%s", (int)(authority - url), url, at + 1);
}

static void smtp_trace_line(smtp_trace *trace, const char *line, size_t len)
{
	gboolean last;
	int code;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (len < 3 || !g_ascii_isdigit(line[0]) || !g_ascii_isdigit(line[1]) ||
	    !g_ascii_isdigit(line[2]))
		return;
	if (trace->reply_done) {
		g_string_truncate(trace->reply, 0);
		trace->reply_done = FALSE;
	}
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	/* RFC 5321 4.2.1: "250-" continues a reply, "250 " (or "250") ends it. */
	last = len == 3 || line[3] != '-';
	if (trace->reply->len < SMTP_TEXT_MAX) {
		if (trace->reply->len > 0) {
			/* The code again on every line says nothing. */
			size_t skip = len >= 4 ? 4 : len;

			line += skip;
			len -= skip;
			g_string_append_c(trace->reply, ' ');
		}
		g_string_append_len(trace->reply, line, (gssize)MIN(len, (size_t)SMTP_TEXT_MAX));
	}
	if (!last)
		return;
	trace->reply_done = TRUE;
	trace->code = code;
	if (code >= 400)
		g_string_assign(trace->failure, trace->reply->str);
	if (trace->rcpt != NULL && code >= 400) {
		g_autofree char *said = smtp_clean_text(trace->reply->str);

		g_ptr_array_add(trace->refused, g_strdup_printf("%s: %s", trace->rcpt, said));
	}
	g_clear_pointer(&trace->rcpt, g_free);
}

static int smtp_debug(CURL *curl, curl_infotype type, char *data, size_t size, void *context)
{
	smtp_session *session = context;
	smtp_trace *trace = &session->trace;

	(void)curl;
	if (type == CURLINFO_HEADER_OUT) {
		/* A command: the reply to come is a new one. Nothing of it is
		 * kept but a RCPT's address (AUTH carries the secret). */
		g_clear_pointer(&trace->rcpt, g_free);
		trace->reply_done = TRUE;
		if (size > 9 && g_ascii_strncasecmp(data, "RCPT TO:<", 9) == 0) {
			const char *end = memchr(data + 9, '>', size - 9);

			if (end != NULL)
				trace->rcpt = g_strndup(data + 9, (gsize)(end - data - 9));
		}
	} else if (type == CURLINFO_HEADER_IN) {
		size_t start = 0;

		for (size_t i = 0; i <= size; i++) {
			if (i == size || data[i] == '\n') {
				if (i > start)
					smtp_trace_line(trace, data + start, i - start);
				start = i + 1;
			}
		}
	}
	return 0;
}

/* Temporary or permanent, as RFC 5321 4.2.1 defines reply codes;
 * failures without a reply are network trouble, except the ones that only
 * a configuration change can fix. RFC 5321 4.5.3.1.10: 552 for too many
 * recipients is to be treated as temporary by clients. */
static smtp_outcome smtp_classify(CURLcode rc, int reply, gboolean at_rcpt, gboolean *config_r)
{
	*config_r = FALSE;
	switch (rc) {
	case CURLE_USE_SSL_FAILED:          /* the server offers no STARTTLS */
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_LOGIN_DENIED:            /* 535: wrong credentials */
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		*config_r = TRUE;
		return SMTP_PERMANENT;
	default:
		break;
	}
	if (reply == 552 && at_rcpt)
		return SMTP_TEMPORARY;
	if (reply >= 500 && reply < 600)
		return SMTP_PERMANENT;
	return SMTP_TEMPORARY;
}

static int smtp_fail(smtp_result *result, smtp_outcome outcome, gboolean config, char *text)
{
	result->outcome = outcome;
	result->needs_config = config;
	result->text = text;
	return -1;
}

smtp_session *smtp_session_new(const smtp_params *params, char **error_r)
{
	smtp_session *s;
	long connect_timeout, idle, total;

	if (params == NULL || params->url == NULL) {
		*error_r = g_strdup_printf("%s: no smtp url is configured",
					   params != NULL && params->what != NULL ? params->what : "smtp");
		return NULL;
	}
	if (!g_str_has_prefix(params->url, "smtps://") && !g_str_has_prefix(params->url, "smtp://")) {
		g_autofree char *where = smtp_url_for_humans(params->url);

		*error_r = g_strdup_printf("smtp %s: not an smtp:// or smtps:// url", where);
		return NULL;
	}
	s = g_new0(smtp_session, 1);
	s->params = *params;
	s->where = smtp_url_for_humans(params->url);
	s->trace.reply = g_string_new(NULL);
	s->trace.failure = g_string_new(NULL);
	s->curl = curl_easy_init();
	if (s->curl == NULL) {
		*error_r = g_strdup_printf("smtp %s: cannot initialise libcurl", s->where);
		smtp_session_free(&s);
		return NULL;
	}
	connect_timeout = params->connect_timeout > 0 ? params->connect_timeout : SMTP_TIMEOUT_CONNECT;
	idle = params->idle_timeout > 0 ? params->idle_timeout : SMTP_TIMEOUT_IDLE;
	total = params->total_timeout > 0 ? params->total_timeout : SMTP_TIMEOUT_TOTAL;

	curl_easy_setopt(s->curl, CURLOPT_URL, params->url);
	/* Only mail: a redirect or a typo must not turn this into another
	 * protocol. */
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->errbuf);
	/* STARTTLS is required, never attempted-then-skipped: CURLUSESSL_TRY
	 * would silently send credentials and mail in the clear when a
	 * man in the middle strips the STARTTLS capability. */
	curl_easy_setopt(s->curl, CURLOPT_USE_SSL,
			 params->tls == SMTP_TLS_NONE ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (params->ca_file != NULL)
		curl_easy_setopt(s->curl, CURLOPT_CAINFO, params->ca_file);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, connect_timeout);
	/* RFC 5321 4.5.3.2: a server may take 10 minutes to answer the end
	 * of data, 5 to greet; silence for less than that is not a failure
	 * (the 60 s this once was made a slow 250 into a duplicate). */
	curl_easy_setopt(s->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(s->curl, CURLOPT_LOW_SPEED_TIME, idle);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, total);
	/* The debug callback reads the server's replies (the words a result
	 * gives); with it set, libcurl prints nothing itself. */
	curl_easy_setopt(s->curl, CURLOPT_DEBUGFUNCTION, smtp_debug);
	curl_easy_setopt(s->curl, CURLOPT_DEBUGDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(s->curl, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 1L);
	return s;
}

/* The credentials, once per session. -1 with the result filled. */
static int smtp_session_login(smtp_session *s, smtp_result *result)
{
	const smtp_params *p = &s->params;
	char *error = NULL;

	if (s->have_secret)
		return 0;
	if (p->oauth2_token_cmd != NULL) {
		s->secret = process_run_secret_command(p->oauth2_token_cmd, &error);
		if (s->secret == NULL)
			goto fail;
		if (p->user != NULL)
			curl_easy_setopt(s->curl, CURLOPT_USERNAME, p->user);
		curl_easy_setopt(s->curl, CURLOPT_XOAUTH2_BEARER, s->secret);
	} else if (p->password_cmd != NULL) {
		s->secret = process_run_secret_command(p->password_cmd, &error);
		if (s->secret == NULL)
			goto fail;
		curl_easy_setopt(s->curl, CURLOPT_USERNAME, p->user != NULL ? p->user : "");
		curl_easy_setopt(s->curl, CURLOPT_PASSWORD, s->secret);
	}
	s->have_secret = TRUE;
	return 0;

fail:
	/* A password store that is locked or a token helper that fails
	 * needs the user: temporary (nothing was sent), and held. */
	smtp_fail(result, SMTP_TEMPORARY, TRUE, g_strdup_printf("smtp %s: %s", s->where, error));
	g_free(error);
	return -1;
}

static gboolean smtp_envelope_check(smtp_session *s, const smtp_envelope *env,
				    smtp_result *result)
{
	if (env->null_sender && env->mail_from != NULL) {
		smtp_fail(result, SMTP_PERMANENT, FALSE,
			  g_strdup_printf("smtp %s: both a null sender and sender '%s' given",
					  s->where, env->mail_from));
		return FALSE;
	}
	if (!env->null_sender && !smtp_address_is_valid(env->mail_from)) {
		g_autofree char *shown = smtp_clean_text(env->mail_from != NULL ? env->mail_from : "");

		smtp_fail(result, SMTP_PERMANENT, FALSE,
			  g_strdup_printf("smtp %s: sender address '%s' cannot be used", s->where,
					  shown));
		return FALSE;
	}
	if (env->recipients == NULL || env->recipients[0] == NULL) {
		smtp_fail(result, SMTP_PERMANENT, FALSE,
			  g_strdup_printf("smtp %s: no recipient", s->where));
		return FALSE;
	}
	for (const char *const *r = env->recipients; *r != NULL; r++) {
		if (!smtp_address_is_valid(*r)) {
			g_autofree char *shown = smtp_clean_text(*r);

			smtp_fail(result, SMTP_PERMANENT, FALSE,
				  g_strdup_printf("smtp %s: recipient address '%s' cannot be used",
						  s->where, shown));
			return FALSE;
		}
	}
	return TRUE;
}

int smtp_session_send(smtp_session *s, const smtp_envelope *env, const char *data, size_t len,
		      smtp_result *result)
{
	smtp_source source = { data, len, 0 };
	struct curl_slist *rcpt = NULL;
	smtp_trace *trace = &s->trace;
	long reply = 0, connects = 0;
	gboolean at_rcpt, config;
	CURLcode rc;
	int ret = -1;

	memset(result, 0, sizeof(*result));
	if (!smtp_envelope_check(s, env, result))
		return -1;
	if (smtp_session_login(s, result) < 0)
		return -1;
	for (const char *const *r = env->recipients; *r != NULL; r++)
		rcpt = curl_slist_append(rcpt, *r);

	g_string_truncate(trace->reply, 0);
	g_string_truncate(trace->failure, 0);
	trace->reply_done = FALSE;
	trace->code = 0;
	g_clear_pointer(&trace->rcpt, g_free);
	trace->refused = g_ptr_array_new_with_free_func(g_free);
	s->errbuf[0] = '\0';

	/* "<>" is libcurl's way to MAIL FROM:<> [measured, OUTGOING.md 1.6];
	 * an unset CURLOPT_MAIL_FROM would be the same, by accident. */
	curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, env->null_sender ? "<>" : env->mail_from);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpt);
#if LIBCURL_VERSION_NUM >= 0x080200
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT_ALLOWFAILS, env->allow_refused_recipients ? 1L : 0L);
#else
	/* The misspelt name before curl 8.2.0 (Debian 12 has 7.88.1). */
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT_ALLLOWFAILS,
			 env->allow_refused_recipients ? 1L : 0L);
#endif
	curl_easy_setopt(s->curl, CURLOPT_READDATA, &source);
	curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);

	rc = curl_easy_perform(s->curl);
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &reply);
	if (curl_easy_getinfo(s->curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
		s->connections += (guint)connects;
	/* The option keeps a pointer to the list, freed below. */
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(s->curl, CURLOPT_READDATA, NULL);

	result->reply = reply > 0 ? (int)reply : trace->code;
	if (trace->refused->len > 0) {
		g_ptr_array_add(trace->refused, NULL);
		result->refused = (char **)g_ptr_array_free(trace->refused, FALSE);
	} else {
		g_ptr_array_unref(trace->refused);
	}
	trace->refused = NULL;

	if (rc == CURLE_OK) {
		result->outcome = SMTP_ACCEPTED;
		result->text = trace->reply->len > 0 && trace->code >= 200 && trace->code < 300
				       ? smtp_clean_text(trace->reply->str)
				       : g_strdup("accepted");
		ret = 0;
	} else {
		const char *curl_said = s->errbuf[0] != '\0' ? s->errbuf : curl_easy_strerror(rc);
		g_autofree char *server = trace->failure->len > 0
						  ? smtp_clean_text(trace->failure->str)
						  : NULL;
		g_autofree char *text = NULL;

		at_rcpt = result->refused != NULL;
		result->outcome = smtp_classify(rc, result->reply, at_rcpt, &config);
		result->needs_config = config;
		/* The server's words first: they are what the user can act on. */
		if (server != NULL && result->refused != NULL && !env->allow_refused_recipients)
			text = g_strdup_printf("smtp %s: refused %s", s->where, result->refused[0]);
		else if (server != NULL)
			text = g_strdup_printf("smtp %s: %s", s->where, server);
		else
			text = g_strdup_printf("smtp %s: %s", s->where, curl_said);
		result->text = smtp_clean_text(text);
	}
	curl_slist_free_all(rcpt);
	return ret;
}

guint smtp_session_connections(const smtp_session *session)
{
	return session->connections;
}

void smtp_session_free(smtp_session **sessionp)
{
	smtp_session *s = *sessionp;

	if (s == NULL)
		return;
	*sessionp = NULL;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl); /* QUIT on the cached connection */
	if (s->secret != NULL)
		process_secret_free(s->secret);
	g_free(s->trace.rcpt);
	if (s->trace.refused != NULL)
		g_ptr_array_unref(s->trace.refused);
	g_string_free(s->trace.reply, TRUE);
	g_string_free(s->trace.failure, TRUE);
	g_free(s->where);
	g_free(s);
}

int smtp_send(const smtp_params *params, const smtp_envelope *envelope, const char *data,
	      size_t len, smtp_result *result)
{
	char *error = NULL;
	smtp_session *s = smtp_session_new(params, &error);
	int ret;

	if (s == NULL) {
		memset(result, 0, sizeof(*result));
		return smtp_fail(result, SMTP_PERMANENT, TRUE, error);
	}
	ret = smtp_session_send(s, envelope, data, len, result);
	smtp_session_free(&s);
	return ret;
}

/* ---- parameters from the configuration ---- */

static smtp_tls smtp_tls_of(conf_tls tls)
{
	return tls == CONF_TLS_NONE ? SMTP_TLS_NONE : SMTP_TLS_REQUIRED;
}

int smtp_params_for_assistant(const conf *config, smtp_params *params_r, char **error_r)
{
	const conf_smtp *smtp = &config->smtp;

	memset(params_r, 0, sizeof(*params_r));
	if (smtp->url == NULL) {
		*error_r = g_strdup("no [smtp] section with a url in the config");
		return -1;
	}
	params_r->url = smtp->url;
	params_r->user = smtp->user;
	params_r->password_cmd = smtp->password_cmd;
	params_r->oauth2_token_cmd = smtp->oauth2_token_cmd;
	params_r->ca_file = smtp->ca_file;
	params_r->tls = smtp_tls_of(smtp->tls);
	params_r->what = "[smtp]";
	return 0;
}

int smtp_params_for_account(const conf_account *account, smtp_params *params_r, char **error_r)
{
	memset(params_r, 0, sizeof(*params_r));
	if (account->smtp_url == NULL) {
		*error_r = g_strdup_printf("account %s has no smtp_url: vea cannot send as %s", account->id,
					   account->client != NULL && account->client->email != NULL
						   ? account->client->email
						   : "its executive");
		return -1;
	}
	params_r->url = account->smtp_url;
	params_r->user = account->smtp_user;
	params_r->password_cmd = account->smtp_password_cmd;
	params_r->oauth2_token_cmd = account->smtp_oauth2_token_cmd;
	params_r->ca_file = account->smtp_ca_file;
	params_r->tls = smtp_tls_of(account->smtp_tls);
	params_r->what = account->id;
	return 0;
}
