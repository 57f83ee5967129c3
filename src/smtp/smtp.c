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
	return mime_address_is_sendable(address);
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

static int smtp_fail(smtp_error_kind kind, smtp_error_kind *kind_r, char **error_r,
		     char *message)
{
	if (kind_r != NULL)
		*kind_r = kind;
	*error_r = message;
	return -1;
}

/* Temporary or permanent, as RFC 5321 section 4.2.1 defines reply codes;
 * failures without a reply are network trouble, except the ones that only
 * a config change can fix. */
static smtp_error_kind smtp_classify(CURLcode rc, long reply)
{
	if (reply >= 500 && reply < 600)
		return SMTP_ERROR_PERMANENT;
	if (reply >= 400 && reply < 500)
		return SMTP_ERROR_TEMPORARY;
	switch (rc) {
	case CURLE_USE_SSL_FAILED:          /* the server offers no STARTTLS */
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_LOGIN_DENIED:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return SMTP_ERROR_PERMANENT;
	default:
		return SMTP_ERROR_TEMPORARY;
	}
}

int smtp_send(const conf_smtp *smtp, const char *mail_from, const char *const *recipients,
	      const char *data, size_t len, smtp_error_kind *kind_r, char **error_r)
{
	g_autofree char *where = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *rcpt = NULL;
	smtp_source source = { data, len, 0 };
	char *secret = NULL, *error = NULL;
	CURL *curl = NULL;
	CURLcode rc;
	long reply = 0;
	int ret = -1;

	if (smtp == NULL || smtp->url == NULL)
		return smtp_fail(SMTP_ERROR_PERMANENT, kind_r, error_r,
				 g_strdup("no [smtp] section with a url in the config"));
	where = smtp_url_for_humans(smtp->url);
	if (!g_str_has_prefix(smtp->url, "smtps://") && !g_str_has_prefix(smtp->url, "smtp://"))
		return smtp_fail(SMTP_ERROR_PERMANENT, kind_r, error_r,
				 g_strdup_printf("smtp %s: not an smtp:// or smtps:// url", where));
	if (!smtp_address_is_valid(mail_from))
		return smtp_fail(SMTP_ERROR_PERMANENT, kind_r, error_r,
				 g_strdup_printf("smtp %s: sender address '%s' cannot be used",
						 where, mail_from != NULL ? mail_from : ""));
	if (recipients == NULL || recipients[0] == NULL)
		return smtp_fail(SMTP_ERROR_PERMANENT, kind_r, error_r,
				 g_strdup_printf("smtp %s: no recipient", where));
	for (const char *const *r = recipients; *r != NULL; r++) {
		if (!smtp_address_is_valid(*r)) {
			curl_slist_free_all(rcpt);
			return smtp_fail(SMTP_ERROR_PERMANENT, kind_r, error_r,
					 g_strdup_printf("smtp %s: recipient address '%s' cannot be used",
							 where, *r));
		}
		rcpt = curl_slist_append(rcpt, *r);
	}

	curl = curl_easy_init();
	if (curl == NULL) {
		curl_slist_free_all(rcpt);
		return smtp_fail(SMTP_ERROR_TEMPORARY, kind_r, error_r,
				 g_strdup_printf("smtp %s: cannot initialise libcurl", where));
	}
	curl_easy_setopt(curl, CURLOPT_URL, smtp->url);
	/* Only mail: a redirect or a typo must not turn this into another
	 * protocol. */
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	/* STARTTLS is required, never attempted-then-skipped: CURLUSESSL_TRY
	 * would silently send credentials and mail in the clear when a
	 * man in the middle strips the STARTTLS capability. */
	curl_easy_setopt(curl, CURLOPT_USE_SSL,
			 smtp->tls == CONF_TLS_NONE ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (smtp->ca_file != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, smtp->ca_file);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A server that stops talking for a minute is given up on. */
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 300L);

	if (smtp->oauth2_token_cmd != NULL) {
		secret = process_run_secret_command(smtp->oauth2_token_cmd, &error);
		if (secret == NULL)
			goto out_temporary;
		if (smtp->user != NULL)
			curl_easy_setopt(curl, CURLOPT_USERNAME, smtp->user);
		curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, secret);
	} else if (smtp->password_cmd != NULL) {
		secret = process_run_secret_command(smtp->password_cmd, &error);
		if (secret == NULL)
			goto out_temporary;
		curl_easy_setopt(curl, CURLOPT_USERNAME, smtp->user != NULL ? smtp->user : "");
		curl_easy_setopt(curl, CURLOPT_PASSWORD, secret);
	}

	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(curl, CURLOPT_READDATA, &source);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);

	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
	if (rc != CURLE_OK) {
		g_autofree char *said = reply > 0 ? g_strdup_printf(" (last reply %ld)", reply)
						  : g_strdup("");

		smtp_fail(smtp_classify(rc, reply), kind_r, error_r,
			  g_strdup_printf("smtp %s: %s%s", where,
					  errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc), said));
		goto out;
	}
	ret = 0;
	goto out;

out_temporary:
	smtp_fail(SMTP_ERROR_TEMPORARY, kind_r, error_r,
		  g_strdup_printf("smtp %s: %s", where, error));
	g_free(error);
out:
	curl_easy_cleanup(curl);
	curl_slist_free_all(rcpt);
	if (secret != NULL)
		process_secret_free(secret);
	return ret;
}
