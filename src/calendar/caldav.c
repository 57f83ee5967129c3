/* CalDAV over libcurl: see caldav.h. */
#include "calendar/caldav.h"

#include <curl/curl.h>
#include <string.h>

struct caldav_client {
	char *calendar_id, *url, *user, *password, *bearer, *ca_file;
	long timeout;
	CURL *curl;
	long status;
	char errbuf[CURL_ERROR_SIZE];
};

caldav_client *caldav_client_new(const caldav_params *p)
{
	caldav_client *c = g_new0(caldav_client, 1);

	c->calendar_id = g_strdup(p->calendar_id != NULL ? p->calendar_id : "?");
	c->url = g_strdup(p->url);
	c->user = g_strdup(p->user);
	c->password = g_strdup(p->password);
	c->bearer = g_strdup(p->bearer);
	c->ca_file = g_strdup(p->ca_file);
	c->timeout = p->timeout > 0 ? p->timeout : 60;
	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		caldav_client_free(&c);
		return NULL;
	}
	return c;
}

void caldav_client_free(caldav_client **clientp)
{
	caldav_client *c = *clientp;

	if (c == NULL)
		return;
	*clientp = NULL;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	if (c->password != NULL) {
		memset(c->password, 0, strlen(c->password));
		g_free(c->password);
	}
	if (c->bearer != NULL) {
		memset(c->bearer, 0, strlen(c->bearer));
		g_free(c->bearer);
	}
	g_free(c->calendar_id);
	g_free(c->url);
	g_free(c->user);
	g_free(c->ca_file);
	g_free(c);
}

long caldav_last_status(const caldav_client *client)
{
	return client->status;
}

typedef struct caldav_response {
	GString *body;
	char *dav;
	char *etag;
	char *last_modified;
} caldav_response;

static size_t caldav_write(char *data, size_t size, size_t n, void *user)
{
	caldav_response *r = user;

	/* A calendar is a few MB at most; refuse a runaway answer. */
	if (r->body->len + size * n > 256 * 1024 * 1024)
		return 0;
	g_string_append_len(r->body, data, (gssize)(size * n));
	return size * n;
}

static size_t caldav_header(char *data, size_t size, size_t n, void *user)
{
	caldav_response *r = user;
	size_t len = size * n;
	g_autofree char *line = g_strndup(data, len);
	char *colon = strchr(line, ':');

	if (colon != NULL) {
		char *value = g_strstrip(colon + 1);

		*colon = '\0';
		if (g_ascii_strcasecmp(line, "DAV") == 0) {
			/* Several DAV headers add up (RFC 4918 10.1). */
			char *joined = r->dav != NULL ? g_strconcat(r->dav, ", ", value, NULL) : g_strdup(value);

			g_free(r->dav);
			r->dav = joined;
		} else if (g_ascii_strcasecmp(line, "ETag") == 0) {
			g_free(r->etag);
			r->etag = g_strdup(value);
		} else if (g_ascii_strcasecmp(line, "Last-Modified") == 0) {
			g_free(r->last_modified);
			r->last_modified = g_strdup(value);
		}
	}
	return len;
}

static char *caldav_resolve(const caldav_client *c, const char *href)
{
	g_autoptr(GUri) base = NULL;
	g_autoptr(GUri) uri = NULL;

	g_autofree char *collection = NULL;

	if (href == NULL)
		return g_strdup(c->url);
	/* A name is inside the collection, whether or not the configured
	 * URL ends in '/' (RFC 3986 5.2.3 would replace its last segment). */
	collection = g_str_has_suffix(c->url, "/") ? g_strdup(c->url) : g_strconcat(c->url, "/", NULL);
	base = g_uri_parse(collection, G_URI_FLAGS_ENCODED, NULL);
	if (base == NULL)
		return g_strdup(href);
	uri = g_uri_parse_relative(base, href, G_URI_FLAGS_ENCODED, NULL);
	return uri != NULL ? g_uri_to_string(uri) : g_strdup(href);
}

/* One request. Returns 0 when it got an HTTP answer (any status, in
 * c->status), -1 with *error_r when none came. */
static int caldav_request(caldav_client *c, const char *method, const char *url,
			  struct curl_slist *headers, const char *body, caldav_response *r,
			  char **error_r)
{
	CURLcode code;

	curl_easy_reset(c->curl);
	c->errbuf[0] = '\0';
	c->status = 0;
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file != NULL)
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, c->timeout);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "OPTIONS") == 0 || strcmp(method, "GET") == 0)
		curl_easy_setopt(c->curl, CURLOPT_NOBODY, 0L);
	if (c->bearer != NULL) {
		/* Google's CalDAV takes OAuth 2 only (RFC 6750 2.1). */
		curl_easy_setopt(c->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(c->curl, CURLOPT_XOAUTH2_BEARER, c->bearer);
	} else if (c->user != NULL) {
		/* Basic (RFC 7617), sent with the first request: every
		 * CalDAV server takes it over TLS, and offering several
		 * schemes would make curl ask first, a round trip more. */
		curl_easy_setopt(c->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c->curl, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(c->curl, CURLOPT_PASSWORD, c->password != NULL ? c->password : "");
	}
	if (body != NULL) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, caldav_write);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, caldav_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, r);
	code = curl_easy_perform(c->curl);
	if (code != CURLE_OK) {
		*error_r = g_strdup_printf("calendar %s: cannot reach %s: %s", c->calendar_id, url,
					   c->errbuf[0] != '\0' ? c->errbuf : curl_easy_strerror(code));
		return -1;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->status);
	return 0;
}

/* The words for a status a person can act on. */
static char *caldav_status_error(const caldav_client *c, const char *method, const char *url)
{
	switch (c->status) {
	case 401:
		if (c->bearer != NULL)
			return g_strdup_printf("calendar %s: the OAuth 2 token was refused (HTTP 401 from %s)",
					       c->calendar_id, url);
		return g_strdup_printf("wrong password for calendar %s (HTTP 401 from %s for user %s)",
				       c->calendar_id, url, c->user != NULL ? c->user : "(none)");
	case 403:
		return g_strdup_printf("calendar %s: access refused (HTTP 403 from %s): the user may not read it",
				       c->calendar_id, url);
	case 404:
		return g_strdup_printf("calendar %s: not found (HTTP 404 for %s)", c->calendar_id, url);
	default:
		return g_strdup_printf("calendar %s: %s %s answered HTTP %ld", c->calendar_id, method, url,
				       c->status);
	}
}

static void caldav_response_clear(caldav_response *r)
{
	if (r->body != NULL)
		g_string_free(r->body, TRUE);
	g_free(r->dav);
	g_free(r->etag);
	g_free(r->last_modified);
	memset(r, 0, sizeof *r);
}

/* Multi-status (RFC 4918 13). */
typedef struct caldav_ms_response {
	char *href;
	char *etag, *data, *display_name, *ctag, *sync_token;
	gboolean is_calendar;
	char *status; /* a response-level status (no propstat) */
} caldav_ms_response;

typedef struct caldav_ms_parser {
	GPtrArray *responses; /* caldav_ms_response * */
	caldav_ms_response *current;
	GPtrArray *stack;     /* local names */
	GString *text;
	/* The propstat being read: values wait for its status. */
	char *ps_etag, *ps_data, *ps_name, *ps_ctag, *ps_sync;
	gboolean ps_calendar;
	char *ps_status;
	char *top_sync; /* multistatus/sync-token (RFC 6578 6.2) */
} caldav_ms_parser;

static void caldav_ms_response_free(gpointer data)
{
	caldav_ms_response *r = data;

	g_free(r->href);
	g_free(r->etag);
	g_free(r->data);
	g_free(r->display_name);
	g_free(r->ctag);
	g_free(r->sync_token);
	g_free(r->status);
	g_free(r);
}

static const char *caldav_local_name(const char *name)
{
	const char *colon = strrchr(name, ':');

	return colon != NULL ? colon + 1 : name;
}

static void caldav_ms_start(GMarkupParseContext *ctx, const char *name, const char **attr_names,
			    const char **attr_values, gpointer user, GError **error)
{
	caldav_ms_parser *p = user;
	const char *local = caldav_local_name(name);

	g_ptr_array_add(p->stack, g_strdup(local));
	g_string_truncate(p->text, 0);
	if (strcmp(local, "response") == 0) {
		p->current = g_new0(caldav_ms_response, 1);
		g_ptr_array_add(p->responses, p->current);
	} else if (strcmp(local, "calendar") == 0 && p->stack->len >= 2 &&
		   strcmp(g_ptr_array_index(p->stack, p->stack->len - 2), "resourcetype") == 0) {
		p->ps_calendar = TRUE;
	}
}

static void caldav_take(char **slot, GString *text)
{
	g_free(*slot);
	*slot = g_strdup(text->str);
}

static void caldav_ms_end(GMarkupParseContext *ctx, const char *name, gpointer user, GError **error)
{
	caldav_ms_parser *p = user;
	const char *local = caldav_local_name(name);
	const char *parent = p->stack->len >= 2 ? g_ptr_array_index(p->stack, p->stack->len - 2) : "";

	if (p->current == NULL && strcmp(local, "sync-token") == 0 && strcmp(parent, "multistatus") == 0)
		caldav_take(&p->top_sync, p->text);
	if (p->current != NULL) {
		if (strcmp(local, "href") == 0 && strcmp(parent, "response") == 0)
			caldav_take(&p->current->href, p->text);
		else if (strcmp(local, "status") == 0 && strcmp(parent, "propstat") == 0)
			caldav_take(&p->ps_status, p->text);
		else if (strcmp(local, "status") == 0 && strcmp(parent, "response") == 0)
			caldav_take(&p->current->status, p->text);
		else if (strcmp(local, "getetag") == 0)
			caldav_take(&p->ps_etag, p->text);
		else if (strcmp(local, "calendar-data") == 0)
			caldav_take(&p->ps_data, p->text);
		else if (strcmp(local, "displayname") == 0)
			caldav_take(&p->ps_name, p->text);
		else if (strcmp(local, "getctag") == 0)
			caldav_take(&p->ps_ctag, p->text);
		else if (strcmp(local, "sync-token") == 0)
			caldav_take(&p->ps_sync, p->text);
		else if (strcmp(local, "propstat") == 0) {
			/* Only a 200 propstat holds values (RFC 4918 9.1). */
			if (p->ps_status != NULL && strstr(p->ps_status, " 200") != NULL) {
				if (p->ps_etag != NULL) {
					g_free(p->current->etag);
					p->current->etag = g_steal_pointer(&p->ps_etag);
				}
				if (p->ps_data != NULL) {
					g_free(p->current->data);
					p->current->data = g_steal_pointer(&p->ps_data);
				}
				if (p->ps_name != NULL) {
					g_free(p->current->display_name);
					p->current->display_name = g_steal_pointer(&p->ps_name);
				}
				if (p->ps_ctag != NULL) {
					g_free(p->current->ctag);
					p->current->ctag = g_steal_pointer(&p->ps_ctag);
				}
				if (p->ps_sync != NULL) {
					g_free(p->current->sync_token);
					p->current->sync_token = g_steal_pointer(&p->ps_sync);
				}
				p->current->is_calendar |= p->ps_calendar;
			}
			g_clear_pointer(&p->ps_etag, g_free);
			g_clear_pointer(&p->ps_data, g_free);
			g_clear_pointer(&p->ps_name, g_free);
			g_clear_pointer(&p->ps_ctag, g_free);
			g_clear_pointer(&p->ps_sync, g_free);
			g_clear_pointer(&p->ps_status, g_free);
			p->ps_calendar = FALSE;
		} else if (strcmp(local, "response") == 0) {
			p->current = NULL;
		}
	}
	g_ptr_array_remove_index(p->stack, p->stack->len - 1);
	g_string_truncate(p->text, 0);
}

static void caldav_ms_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer user,
			   GError **error)
{
	caldav_ms_parser *p = user;

	g_string_append_len(p->text, text, (gssize)len);
}

static GPtrArray *caldav_parse_multistatus(const char *xml, gsize len, char **sync_token_r,
					   char **error_r)
{
	static const GMarkupParser parser = { caldav_ms_start, caldav_ms_end, caldav_ms_text, NULL, NULL };
	caldav_ms_parser p = { 0 };
	GMarkupParseContext *ctx;
	GError *error = NULL;
	gboolean ok;

	p.responses = g_ptr_array_new_with_free_func(caldav_ms_response_free);
	p.stack = g_ptr_array_new_with_free_func(g_free);
	p.text = g_string_new(NULL);
	ctx = g_markup_parse_context_new(&parser, G_MARKUP_TREAT_CDATA_AS_TEXT, &p, NULL);
	ok = g_markup_parse_context_parse(ctx, xml, (gssize)len, &error) &&
	     g_markup_parse_context_end_parse(ctx, &error);
	g_markup_parse_context_free(ctx);
	g_ptr_array_unref(p.stack);
	g_string_free(p.text, TRUE);
	g_free(p.ps_etag);
	g_free(p.ps_data);
	g_free(p.ps_name);
	g_free(p.ps_ctag);
	g_free(p.ps_sync);
	g_free(p.ps_status);
	if (sync_token_r != NULL)
		*sync_token_r = g_steal_pointer(&p.top_sync);
	g_free(p.top_sync);
	if (!ok) {
		*error_r = g_strdup_printf("unreadable multi-status XML: %s", error->message);
		g_error_free(error);
		if (sync_token_r != NULL)
			g_clear_pointer(sync_token_r, g_free);
		g_ptr_array_unref(p.responses);
		return NULL;
	}
	return p.responses;
}

void caldav_info_clear(caldav_info *info)
{
	g_free(info->dav);
	g_free(info->display_name);
	g_free(info->ctag);
	g_free(info->sync_token);
	memset(info, 0, sizeof *info);
}

static gboolean caldav_dav_has(const char *dav, const char *token)
{
	g_auto(GStrv) parts = NULL;

	if (dav == NULL)
		return FALSE;
	parts = g_strsplit(dav, ",", -1);
	for (char **p = parts; *p != NULL; p++) {
		if (g_ascii_strcasecmp(g_strstrip(*p), token) == 0)
			return TRUE;
	}
	return FALSE;
}

/* A PROPFIND or REPORT on the collection answered 207 Multi-Status
 * (RFC 4918 13), parsed; -1 with *error_r otherwise (the status in
 * c->status, the body in *body_r when asked for). depth NULL: no Depth
 * header (RFC 6578 3.3: sync-collection has none). */
static int caldav_multistatus(caldav_client *c, const char *method, const char *depth,
			      const char *body, GPtrArray **responses_r, char **sync_token_r,
			      GString **body_r, char **error_r)
{
	caldav_response r = { g_string_new(NULL), NULL, NULL, NULL };
	struct curl_slist *headers = NULL;
	char *error = NULL;
	int status = -1;

	*responses_r = NULL;
	if (depth != NULL) {
		g_autofree char *line = g_strdup_printf("Depth: %s", depth);

		headers = curl_slist_append(headers, line);
	}
	headers = curl_slist_append(headers, "Content-Type: application/xml; charset=utf-8");
	if (caldav_request(c, method, c->url, headers, body, &r, error_r) < 0)
		goto out;
	if (c->status != 207) {
		*error_r = caldav_status_error(c, method, c->url);
		if (body_r != NULL) {
			*body_r = r.body;
			r.body = NULL;
		}
		goto out;
	}
	*responses_r = caldav_parse_multistatus(r.body->str, r.body->len, sync_token_r, &error);
	if (*responses_r == NULL) {
		*error_r = g_strdup_printf("calendar %s: %s %s: %s", c->calendar_id, method, c->url, error);
		g_free(error);
		goto out;
	}
	status = 0;
out:
	curl_slist_free_all(headers);
	caldav_response_clear(&r);
	return status;
}

static caldav_object *caldav_object_from(const caldav_ms_response *m)
{
	caldav_object *o = g_new0(caldav_object, 1);

	o->href = g_strdup(m->href);
	o->etag = g_strdup(m->etag);
	o->data = g_strdup(m->data);
	return o;
}

int caldav_probe(caldav_client *c, caldav_info *info, char **error_r)
{
	static const char body[] =
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<D:propfind xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\""
		" xmlns:CS=\"http://calendarserver.org/ns/\">\n"
		"<D:prop><D:resourcetype/><D:displayname/><CS:getctag/><D:sync-token/></D:prop>\n"
		"</D:propfind>\n";
	caldav_response r = { g_string_new(NULL), NULL, NULL, NULL };
	GPtrArray *responses = NULL;
	int status = -1;

	memset(info, 0, sizeof *info);
	/* RFC 4791 5.1: a CalDAV server says calendar-access in DAV. */
	if (caldav_request(c, "OPTIONS", c->url, NULL, NULL, &r, error_r) < 0)
		goto out;
	if (c->status == 401 || c->status >= 500) {
		*error_r = caldav_status_error(c, "OPTIONS", c->url);
		goto out;
	}
	info->dav = g_strdup(r.dav);
	info->calendar_access = caldav_dav_has(r.dav, "calendar-access");
	info->auto_schedule = caldav_dav_has(r.dav, "calendar-auto-schedule");
	if (!info->calendar_access) {
		*error_r = g_strdup_printf("calendar %s: %s is not a CalDAV server (DAV header: %s)",
					   c->calendar_id, c->url, r.dav != NULL ? r.dav : "none");
		goto out;
	}
	if (caldav_multistatus(c, "PROPFIND", "0", body, &responses, NULL, NULL, error_r) < 0)
		goto out;
	for (guint i = 0; i < responses->len; i++) {
		caldav_ms_response *m = g_ptr_array_index(responses, i);

		info->is_calendar |= m->is_calendar;
		if (info->display_name == NULL)
			info->display_name = g_strdup(m->display_name);
		if (info->ctag == NULL)
			info->ctag = g_strdup(m->ctag);
		if (info->sync_token == NULL)
			info->sync_token = g_strdup(m->sync_token);
	}
	if (!info->is_calendar) {
		*error_r = g_strdup_printf("calendar %s: %s is not a calendar collection "
					   "(its resourcetype has no calendar; RFC 4791 4.2)",
					   c->calendar_id, c->url);
		goto out;
	}
	status = 0;
out:
	if (responses != NULL)
		g_ptr_array_unref(responses);
	caldav_response_clear(&r);
	return status;
}

char *caldav_utc_stamp(int64_t t)
{
	g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc(t);

	return d != NULL ? g_date_time_format(d, "%Y%m%dT%H%M%SZ") : g_strdup("19700101T000000Z");
}

void caldav_object_free(gpointer data)
{
	caldav_object *o = data;

	if (o == NULL) /* taken out of its array */
		return;
	g_free(o->href);
	g_free(o->etag);
	g_free(o->data);
	g_free(o);
}

/* A calendar-query REPORT (RFC 4791 7.8) with filter, returning each
 * object's href, etag and calendar-data. */
static int caldav_report_objects(caldav_client *c, const char *filter, GPtrArray **objects_r,
				 char **error_r)
{
	g_autofree char *body = g_strdup_printf(
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<C:calendar-query xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n"
		"<D:prop><D:getetag/><C:calendar-data/></D:prop>\n"
		"<C:filter><C:comp-filter name=\"VCALENDAR\"><C:comp-filter name=\"VEVENT\">\n"
		"%s\n"
		"</C:comp-filter></C:comp-filter></C:filter>\n"
		"</C:calendar-query>\n", filter);
	GPtrArray *responses = NULL;

	*objects_r = NULL;
	if (caldav_multistatus(c, "REPORT", "1", body, &responses, NULL, NULL, error_r) < 0)
		return -1;
	*objects_r = g_ptr_array_new_with_free_func(caldav_object_free);
	for (guint i = 0; i < responses->len; i++) {
		caldav_ms_response *m = g_ptr_array_index(responses, i);

		if (m->data != NULL && m->href != NULL)
			g_ptr_array_add(*objects_r, caldav_object_from(m));
	}
	g_ptr_array_unref(responses);
	return 0;
}

int caldav_query(caldav_client *c, int64_t from, int64_t to, GPtrArray **objects_r, char **error_r)
{
	g_autofree char *start = caldav_utc_stamp(from);
	g_autofree char *end = caldav_utc_stamp(to);
	g_autofree char *filter = g_strdup_printf("<C:time-range start=\"%s\" end=\"%s\"/>", start, end);

	return caldav_report_objects(c, filter, objects_r, error_r);
}

static gboolean caldav_has_uid(const char *data, const char *uid);

int caldav_query_uid(caldav_client *c, const char *uid, GPtrArray **objects_r, char **error_r)
{
	/* The UID is a stranger's text: escaped for XML; matched octet by
	 * octet (RFC 4791 9.7.5, i;octet: UIDs are case-sensitive). */
	g_autofree char *escaped = g_markup_escape_text(uid, -1);
	g_autofree char *filter = g_strdup_printf(
		"<C:prop-filter name=\"UID\"><C:text-match collation=\"i;octet\">%s</C:text-match>"
		"</C:prop-filter>", escaped);

	if (caldav_report_objects(c, filter, objects_r, error_r) < 0)
		return -1;
	/* text-match is a substring match: only the whole UID counts. */
	for (guint i = (*objects_r)->len; i > 0; i--) {
		const caldav_object *o = g_ptr_array_index(*objects_r, i - 1);

		if (!caldav_has_uid(o->data, uid))
			g_ptr_array_remove_index(*objects_r, i - 1);
	}
	return 0;
}

int caldav_get(caldav_client *c, const char *href, char **body_r, char **etag_r, char **error_r)
{
	g_autofree char *url = caldav_resolve(c, href);
	caldav_response r = { g_string_new(NULL), NULL, NULL, NULL };
	int status = -1;

	*body_r = NULL;
	if (etag_r != NULL)
		*etag_r = NULL;
	if (caldav_request(c, "GET", url, NULL, NULL, &r, error_r) < 0)
		goto out;
	if (c->status != 200) {
		*error_r = caldav_status_error(c, "GET", url);
		goto out;
	}
	*body_r = g_string_free(r.body, FALSE);
	r.body = NULL;
	if (etag_r != NULL)
		*etag_r = g_steal_pointer(&r.etag);
	status = 0;
out:
	caldav_response_clear(&r);
	return status;
}

/* The href a PUT refused with 403/409 names as the resource that holds
 * the UID already: RFC 4791 5.3.2.1 CALDAV:no-uid-conflict, or RFC 6638
 * 3.2.4.1 CALDAV:unique-scheduling-object-resource (Cyrus). */
typedef struct caldav_conflict_parser {
	int depth_in;  /* >0 inside one of the two preconditions */
	gboolean in_href;
	GString *href;
} caldav_conflict_parser;

static void caldav_conflict_start(GMarkupParseContext *ctx, const char *name, const char **attr_names,
				  const char **attr_values, gpointer user, GError **error)
{
	caldav_conflict_parser *p = user;
	const char *local = caldav_local_name(name);

	if (p->depth_in > 0)
		p->depth_in++;
	else if (strcmp(local, "no-uid-conflict") == 0 ||
		 strcmp(local, "unique-scheduling-object-resource") == 0)
		p->depth_in = 1;
	if (p->depth_in > 0 && strcmp(local, "href") == 0 && p->href->len == 0)
		p->in_href = TRUE;
}

static void caldav_conflict_end(GMarkupParseContext *ctx, const char *name, gpointer user,
				GError **error)
{
	caldav_conflict_parser *p = user;

	p->in_href = FALSE;
	if (p->depth_in > 0)
		p->depth_in--;
}

static void caldav_conflict_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer user,
				 GError **error)
{
	caldav_conflict_parser *p = user;

	if (p->in_href)
		g_string_append_len(p->href, text, (gssize)len);
}

/* The name inside the collection of href (a path or URL a server gave),
 * or NULL when it is elsewhere (another host, another collection): it is
 * not followed, so that credentials never go where the configuration did
 * not send them. */
static char *caldav_name_in_collection(const caldav_client *c, const char *href)
{
	g_autofree char *url = caldav_resolve(c, href);
	g_autofree char *collection = g_str_has_suffix(c->url, "/") ? g_strdup(c->url)
								   : g_strconcat(c->url, "/", NULL);
	const char *name;

	if (!g_str_has_prefix(url, collection))
		return NULL;
	name = url + strlen(collection);
	if (*name == '\0' || strchr(name, '/') != NULL)
		return NULL;
	return g_strdup(name);
}

/* The resource a refused PUT's error body names as holding the UID, as
 * a name inside the collection (caldav_name_in_collection), or NULL: none
 * named, or one elsewhere (RFC 6638 makes a UID unique across all of the
 * user's calendars, so Cyrus may name another collection). */
static char *caldav_conflict_href(const caldav_client *c, const char *body)
{
	static const GMarkupParser parser = { caldav_conflict_start, caldav_conflict_end,
					      caldav_conflict_text, NULL, NULL };
	caldav_conflict_parser p = { 0, FALSE, g_string_new(NULL) };
	GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &p, NULL);
	g_autofree char *href = NULL;
	gboolean ok;

	ok = g_markup_parse_context_parse(ctx, body, -1, NULL) &&
	     g_markup_parse_context_end_parse(ctx, NULL);
	g_markup_parse_context_free(ctx);
	href = g_strstrip(g_string_free(p.href, FALSE));
	if (!ok || *href == '\0')
		return NULL;
	return caldav_name_in_collection(c, href);
}

caldav_put_result caldav_put(caldav_client *c, const char *name, const char *ics, const char *if_match,
			     char **etag_r, char **existing_r, char **error_r)
{
	g_autofree char *url = caldav_resolve(c, name);
	g_autofree char *condition = if_match != NULL ? g_strdup_printf("If-Match: %s", if_match)
						      : g_strdup("If-None-Match: *");
	caldav_response r = { g_string_new(NULL), NULL, NULL, NULL };
	struct curl_slist *headers = NULL;
	caldav_put_result result = CALDAV_PUT_ERROR;

	if (etag_r != NULL)
		*etag_r = NULL;
	if (existing_r != NULL)
		*existing_r = NULL;
	headers = curl_slist_append(headers, "Content-Type: text/calendar; charset=utf-8");
	headers = curl_slist_append(headers, condition);
	if (caldav_request(c, "PUT", url, headers, ics, &r, error_r) < 0)
		goto out;
	if (c->status == 412) {
		*error_r = g_strdup_printf(if_match != NULL
						   ? "calendar %s: %s was changed meanwhile (HTTP 412)"
						   : "calendar %s: %s exists already (HTTP 412)",
					   c->calendar_id, url);
		result = CALDAV_PUT_PRECONDITION;
		goto out;
	}
	if (c->status != 201 && c->status != 204 && c->status != 200) {
		*error_r = caldav_status_error(c, "PUT", url);
		if (c->status == 409 || c->status == 403) {
			/* RFC 4791 5.3.2.1: no-uid-conflict (RFC 6638
			 * 3.2.4.1: unique-scheduling-object-resource): the
			 * UID is stored under another name already. */
			const char *body = r.body->str;
			char *existing = caldav_conflict_href(c, body);
			gboolean conflict = existing != NULL || strstr(body, "no-uid-conflict") != NULL ||
					    strstr(body, "unique-scheduling-object-resource") != NULL;
			char *more = g_strdup_printf(
				"%s%s%s%s", *error_r,
				conflict ? ": the event is already in the calendar under another name" : "",
				existing != NULL ? " " : "", existing != NULL ? existing : "");

			g_free(*error_r);
			*error_r = more;
			if (conflict && existing_r != NULL) {
				/* Radicale names no href (caldav_find_uid). */
				*existing_r = existing;
				existing = NULL;
				result = CALDAV_PUT_ELSEWHERE;
			}
			g_free(existing);
		}
		goto out;
	}
	if (etag_r != NULL)
		*etag_r = g_steal_pointer(&r.etag);
	result = CALDAV_PUT_DONE;
out:
	curl_slist_free_all(headers);
	caldav_response_clear(&r);
	return result;
}

/* Does text (iCalendar) have the line UID:uid, after unfolding (RFC 5545
 * 3.1)? */
static gboolean caldav_has_uid(const char *text, const char *uid)
{
	GString *unfolded = g_string_new(NULL);
	g_autofree char *want = g_strconcat("UID:", uid, NULL);
	gboolean found = FALSE;
	g_auto(GStrv) lines = NULL;

	for (const char *p = text; *p != '\0'; p++) {
		if ((p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t')) ||
		    (p[0] == '\n' && (p[1] == ' ' || p[1] == '\t'))) {
			p += p[0] == '\r' ? 2 : 1;
			continue;
		}
		g_string_append_c(unfolded, *p);
	}
	lines = g_strsplit(unfolded->str, "\n", -1);
	g_string_free(unfolded, TRUE);
	for (char **l = lines; *l != NULL && !found; l++) {
		g_strchomp(*l);
		found = strcmp(*l, want) == 0;
	}
	return found;
}

int caldav_find_uid(caldav_client *c, const char *uid, char **name_r, char **error_r)
{
	g_autoptr(GPtrArray) objects = NULL;

	*name_r = NULL;
	if (caldav_query_uid(c, uid, &objects, error_r) < 0)
		return -1;
	for (guint i = 0; i < objects->len && *name_r == NULL; i++)
		*name_r = caldav_name_in_collection(c, ((caldav_object *)g_ptr_array_index(objects, i))->href);
	return *name_r != NULL ? 1 : 0;
}

void caldav_delta_clear(caldav_delta *delta)
{
	if (delta->changed != NULL)
		g_ptr_array_unref(delta->changed);
	if (delta->removed != NULL)
		g_ptr_array_unref(delta->removed);
	g_free(delta->sync_token);
	memset(delta, 0, sizeof *delta);
}



caldav_sync_result caldav_sync_collection(caldav_client *c, const char *token, gboolean with_data,
					  caldav_delta *delta_r, char **error_r)
{
	g_autofree char *escaped = g_markup_escape_text(token != NULL ? token : "", -1);
	/* RFC 6578 3.2: sync-level 1, the members' properties in prop;
	 * calendar-data among them saves the multiget where the server
	 * sends it (Radicale, SabreDAV do); one that does not is asked by
	 * calendar-multiget afterwards. */
	g_autofree char *body = g_strdup_printf(
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<D:sync-collection xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n"
		"<D:sync-token>%s</D:sync-token>\n<D:sync-level>1</D:sync-level>\n"
		"<D:prop><D:getetag/>%s</D:prop>\n</D:sync-collection>\n",
		escaped, with_data ? "<C:calendar-data/>" : "");
	GPtrArray *responses = NULL;
	GString *refused = NULL;
	char *error = NULL;
	caldav_sync_result result = CALDAV_SYNC_ERROR;
	g_autofree char *own_path = NULL;

	memset(delta_r, 0, sizeof *delta_r);
	if (caldav_multistatus(c, "REPORT", NULL, body, &responses, &delta_r->sync_token, &refused, &error) < 0) {
		/* No answer, a wrong password or no such calendar: an error.
		 * Anything else (403 valid-sync-token, RFC 6578 3.2; 409 from
		 * some servers; 400/403/405/501 from one without the report;
		 * 507) is a reason to compare ETags instead. */
		if (c->status == 0 || c->status == 401 || c->status == 404 ||
		    (c->status >= 500 && c->status != 501 && c->status != 507)) {
			*error_r = error;
		} else {
			*error_r = g_strdup_printf("%s%s", error,
						   refused != NULL && strstr(refused->str, "valid-sync-token") != NULL
							   ? " (the sync token was refused, RFC 6578 3.2)"
							   : "");
			g_free(error);
			result = CALDAV_SYNC_FALLBACK;
		}
		if (refused != NULL)
			g_string_free(refused, TRUE);
		goto out;
	}
	if (delta_r->sync_token == NULL || delta_r->sync_token[0] == '\0') {
		*error_r = g_strdup_printf("calendar %s: sync-collection REPORT %s gave no sync-token",
					   c->calendar_id, c->url);
		result = CALDAV_SYNC_FALLBACK;
		goto out;
	}
	{
		g_autoptr(GUri) uri = g_uri_parse(c->url, G_URI_FLAGS_ENCODED, NULL);

		own_path = g_strdup(uri != NULL ? g_uri_get_path(uri) : "");
	}
	delta_r->changed = g_ptr_array_new_with_free_func(caldav_object_free);
	delta_r->removed = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < responses->len; i++) {
		caldav_ms_response *m = g_ptr_array_index(responses, i);

		if (m->href == NULL)
			continue;
		if (m->status != NULL && strstr(m->status, " 507") != NULL) {
			/* RFC 6578 3.6: the answer was truncated. */
			*error_r = g_strdup_printf("calendar %s: sync-collection REPORT %s was truncated "
						   "(HTTP 507, RFC 6578 3.6)", c->calendar_id, c->url);
			result = CALDAV_SYNC_FALLBACK;
			goto out;
		}
		/* The collection itself, should a server list it. */
		if (g_str_has_suffix(m->href, "/") &&
		    (strcmp(m->href, c->url) == 0 || strcmp(m->href, own_path) == 0))
			continue;
		if (m->status != NULL && strstr(m->status, " 404") != NULL)
			g_ptr_array_add(delta_r->removed, g_strdup(m->href));
		else if (m->etag != NULL || m->data != NULL)
			g_ptr_array_add(delta_r->changed, caldav_object_from(m));
	}
	result = CALDAV_SYNC_DONE;
out:
	if (result != CALDAV_SYNC_DONE)
		caldav_delta_clear(delta_r);
	if (responses != NULL)
		g_ptr_array_unref(responses);
	return result;
}

/* Hrefs per calendar-multiget: a body of a few hundred KB at most. */
#define CALDAV_MULTIGET_BATCH 500

int caldav_multiget(caldav_client *c, const char *const *hrefs, guint n, GPtrArray *objects,
		    char **error_r)
{
	for (guint at = 0; at < n; at += CALDAV_MULTIGET_BATCH) {
		GString *body = g_string_new("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
					     "<C:calendar-multiget xmlns:D=\"DAV:\""
					     " xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n"
					     "<D:prop><D:getetag/><C:calendar-data/></D:prop>\n");
		GPtrArray *responses = NULL;
		int rc;

		for (guint i = at; i < n && i < at + CALDAV_MULTIGET_BATCH; i++) {
			g_autofree char *escaped = g_markup_escape_text(hrefs[i], -1);

			g_string_append_printf(body, "<D:href>%s</D:href>\n", escaped);
		}
		g_string_append(body, "</C:calendar-multiget>\n");
		/* RFC 4791 7.9: Depth 0 on the collection. */
		rc = caldav_multistatus(c, "REPORT", "0", body->str, &responses, NULL, NULL, error_r);
		g_string_free(body, TRUE);
		if (rc < 0)
			return -1;
		for (guint i = 0; i < responses->len; i++) {
			caldav_ms_response *m = g_ptr_array_index(responses, i);

			/* A 404 here: deleted since it was listed; the next
			 * sync says so. */
			if (m->href != NULL && m->data != NULL)
				g_ptr_array_add(objects, caldav_object_from(m));
		}
		g_ptr_array_unref(responses);
	}
	return 0;
}

int caldav_list(caldav_client *c, gboolean with_data, GPtrArray **objects_r, char **error_r)
{
	/* Every object, not only a window's: the copy is of the whole
	 * collection, so that moving the window needs no new query. */
	g_autofree char *body = g_strdup_printf(
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<C:calendar-query xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n"
		"<D:prop><D:getetag/>%s</D:prop>\n"
		"<C:filter><C:comp-filter name=\"VCALENDAR\"/></C:filter>\n"
		"</C:calendar-query>\n", with_data ? "<C:calendar-data/>" : "");
	GPtrArray *responses = NULL;

	*objects_r = NULL;
	if (caldav_multistatus(c, "REPORT", "1", body, &responses, NULL, NULL, error_r) < 0)
		return -1;
	*objects_r = g_ptr_array_new_with_free_func(caldav_object_free);
	for (guint i = 0; i < responses->len; i++) {
		caldav_ms_response *m = g_ptr_array_index(responses, i);

		if (m->href == NULL || m->etag == NULL || g_str_has_suffix(m->href, "/"))
			continue;
		g_ptr_array_add(*objects_r, caldav_object_from(m));
	}
	g_ptr_array_unref(responses);
	return 0;
}

caldav_get_result caldav_get_conditional(caldav_client *c, const char *href, const char *etag,
					 const char *modified, char **body_r, char **etag_r,
					 char **modified_r, char **error_r)
{
	g_autofree char *url = caldav_resolve(c, href);
	caldav_response r = { g_string_new(NULL), NULL, NULL, NULL };
	struct curl_slist *headers = NULL;
	caldav_get_result result = CALDAV_GET_ERROR;

	*body_r = NULL;
	*etag_r = NULL;
	*modified_r = NULL;
	/* RFC 9110 13.1.2, 13.1.3: If-None-Match wins where both are
	 * understood; If-Modified-Since serves the servers that send only
	 * Last-Modified. */
	if (etag != NULL && etag[0] != '\0') {
		g_autofree char *line = g_strdup_printf("If-None-Match: %s", etag);

		headers = curl_slist_append(headers, line);
	}
	if (modified != NULL && modified[0] != '\0') {
		g_autofree char *line = g_strdup_printf("If-Modified-Since: %s", modified);

		headers = curl_slist_append(headers, line);
	}
	if (caldav_request(c, "GET", url, headers, NULL, &r, error_r) < 0)
		goto out;
	if (c->status == 304) {
		result = CALDAV_GET_NOT_MODIFIED;
		goto out;
	}
	if (c->status != 200) {
		*error_r = caldav_status_error(c, "GET", url);
		goto out;
	}
	*body_r = g_string_free(r.body, FALSE);
	r.body = NULL;
	*etag_r = g_steal_pointer(&r.etag);
	*modified_r = g_steal_pointer(&r.last_modified);
	result = CALDAV_GET_OK;
out:
	curl_slist_free_all(headers);
	caldav_response_clear(&r);
	return result;
}

int caldav_ctag(caldav_client *c, char **ctag_r, char **error_r)
{
	/* getctag alone: a server may compute sync-token at a higher cost
	 * (Radicale walks its sync history for it). */
	static const char body[] =
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<D:propfind xmlns:D=\"DAV:\" xmlns:CS=\"http://calendarserver.org/ns/\">\n"
		"<D:prop><CS:getctag/></D:prop>\n</D:propfind>\n";
	GPtrArray *responses = NULL;

	*ctag_r = NULL;
	if (caldav_multistatus(c, "PROPFIND", "0", body, &responses, NULL, NULL, error_r) < 0)
		return -1;
	for (guint i = 0; i < responses->len && *ctag_r == NULL; i++) {
		caldav_ms_response *m = g_ptr_array_index(responses, i);

		if (m->ctag != NULL && m->ctag[0] != '\0')
			*ctag_r = g_strdup(m->ctag);
	}
	g_ptr_array_unref(responses);
	return 0;
}
