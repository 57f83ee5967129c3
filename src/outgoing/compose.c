/* The messages the outgoing actions send (see outgoing.h): a vacation
 * reply, a mailto notification. One place, so that the agent and the
 * Sieve conformance runner (tests/sieve/testsuite.c) send the same bytes. */
#include "outgoing/outgoing-private.h"
#include "mime/compose.h"
#include "mime/message.h"

#include <gmime/gmime.h>
#include <string.h>

/* The domain of addr, for Message-IDs; NULL when none. */
static const char *compose_domain(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

void outgoing_from_parse(const char *from, char **name_r, char **addr_r)
{
	const char *lt = from != NULL ? strrchr(from, '<') : NULL;

	*name_r = NULL;
	*addr_r = NULL;
	if (from == NULL)
		return;
	if (lt != NULL && strchr(lt, '>') != NULL) {
		*name_r = g_strstrip(g_strndup(from, (gsize)(lt - from)));
		*addr_r = g_strndup(lt + 1, (gsize)(strchr(lt, '>') - lt - 1));
		if (**name_r == '"' && strlen(*name_r) >= 2 && (*name_r)[strlen(*name_r) - 1] == '"') {
			char *unquoted = g_strndup(*name_r + 1, strlen(*name_r) - 2);

			g_free(*name_r);
			*name_r = unquoted;
		}
		/* A name written with encoded words (RFC 2047) is that text:
		 * left as it is, the composer would quote it, and a quoted
		 * encoded word is not decoded (RFC 2047 5). */
		if (strstr(*name_r, "=?") != NULL) {
			char *decoded = g_mime_utils_header_decode_phrase(NULL, *name_r);

			if (decoded != NULL && g_utf8_validate(decoded, -1, NULL)) {
				g_free(*name_r);
				*name_r = decoded;
			} else {
				g_free(decoded);
			}
		}
	} else {
		*addr_r = g_strstrip(g_strdup(from));
	}
}

/* ---- vacation ---- */

/* The Message-IDs the reply's References carry: the original's
 * References, then its Message-ID (RFC 5322 3.6.4). */
static GPtrArray *compose_references(mime_message *mime)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	const char *const *refs = mime_message_get_header_values(mime, "references");
	const char *own = mime_message_get_message_id(mime);

	for (guint i = 0; refs != NULL && refs[i] != NULL; i++) {
		const char *p = refs[i];

		while ((p = strchr(p, '<')) != NULL) {
			const char *end = strchr(p, '>');
			char *id;

			if (end == NULL)
				break;
			id = g_strndup(p + 1, (gsize)(end - p - 1));
			if (mime_message_id_is_valid(id))
				g_ptr_array_add(ids, id);
			else
				g_free(id);
			p = end + 1;
		}
	}
	if (own != NULL && mime_message_id_is_valid(own))
		g_ptr_array_add(ids, g_strdup(own));
	g_ptr_array_add(ids, NULL);
	return ids;
}

/* The display name the sender gave addr in From or Sender, or NULL. */
static const char *compose_sender_name(mime_message *mime, const char *addr)
{
	static const char *const fields[] = { "from", "sender", NULL };

	for (const char *const *f = fields; *f != NULL; f++) {
		const GPtrArray *list = mime_message_get_addresses(mime, *f);

		for (guint i = 0; i < list->len; i++) {
			const mime_address *a = g_ptr_array_index(list, i);

			if (a->addr != NULL && g_ascii_strcasecmp(a->addr, addr) == 0 &&
			    a->name != NULL && *a->name != '\0')
				return a->name;
		}
	}
	return NULL;
}

/* At most max characters, the last an ellipsis when cut. New. */
static char *compose_cut(const char *text, glong max)
{
	if (g_utf8_strlen(text, -1) <= max)
		return g_strdup(text);
	{
		g_autofree char *head = g_utf8_substring(text, 0, max - 1);

		return g_strconcat(head, "\u2026", NULL);
	}
}

/* :mime (RFC 5230 4.6): the reason is a MIME entity, its own header and
 * body: it replaces the composed body, after the composer's header
 * (without its Content-* fields). */
static GBytes *compose_mime_entity(GBytes *bytes, const char *reason, char **error_r)
{
	gsize size;
	const char *data = g_bytes_get_data(bytes, &size);
	const char *end = g_strstr_len(data, (gssize)size, "\r\n\r\n");
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *header = NULL, *entity = NULL;
	g_auto(GStrv) lines = NULL, entity_lines = NULL;
	gboolean skipping = FALSE;

	if (end == NULL) {
		*error_r = g_strdup("the composed reply has no header");
		return NULL;
	}
	header = g_strndup(data, (gsize)(end - data));
	lines = g_strsplit(header, "\r\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		/* A field and its folded lines go together. */
		if (**l != ' ' && **l != '\t')
			skipping = g_ascii_strncasecmp(*l, "content-", 8) == 0;
		if (!skipping)
			g_string_append_printf(out, "%s\r\n", *l);
	}
	/* The entity as written in the script, lines ending CRLF. */
	entity_lines = g_regex_split_simple("\r?\n", reason, 0, 0);
	entity = g_strjoinv("\r\n", entity_lines);
	g_string_append(out, entity);
	if (!g_str_has_suffix(entity, "\r\n"))
		g_string_append(out, "\r\n");
	return g_string_free_to_bytes(g_steal_pointer(&out));
}

GBytes *outgoing_vacation_compose(const outgoing_vacation_reply *reply, mime_message *mime,
				  const char *to, char **message_id_r, char **error_r)
{
	g_autoptr(mime_compose) compose = mime_compose_new();
	g_autoptr(GPtrArray) refs = compose_references(mime);
	g_autofree char *from_name = NULL, *from_addr = NULL, *subject = NULL;
	g_autofree char *message_id = NULL;
	const char *original = mime_message_get_message_id(mime);
	GBytes *bytes;

	outgoing_from_parse(reply->from, &from_name, &from_addr);
	if (from_addr == NULL) {
		from_addr = g_strdup(reply->own_address);
		from_name = g_strdup(reply->own_name);
	}
	if (from_addr == NULL) {
		*error_r = g_strdup("no address to send the reply from");
		return NULL;
	}
	if (mime_compose_set_from(compose, from_name, from_addr, error_r) < 0 ||
	    mime_compose_add_to(compose, compose_sender_name(mime, to), to, error_r) < 0)
		return NULL;
	if (reply->subject != NULL) {
		subject = compose_cut(reply->subject, OUTGOING_VACATION_SUBJECT_MAX);
	} else {
		const char *s = mime_message_get_subject(mime);
		g_autofree char *full = g_strdup_printf("Auto: %s", s != NULL ? s : "");

		/* RFC 5230 4.5: "Auto:" before the original subject. */
		subject = compose_cut(full, OUTGOING_VACATION_SUBJECT_MAX);
	}
	mime_compose_set_subject(compose, subject);
	message_id = mime_message_id_new(compose_domain(from_addr), "vea.vacation");
	if (mime_compose_set_message_id(compose, message_id, error_r) < 0)
		return NULL;
	if (original != NULL && mime_message_id_is_valid(original) &&
	    mime_compose_set_in_reply_to(compose, original, error_r) < 0)
		return NULL;
	if (refs->len > 1 &&
	    mime_compose_set_references(compose, (const char *const *)refs->pdata, error_r) < 0)
		return NULL;
	mime_compose_set_auto_submitted(compose, "auto-replied");
	(void)mime_compose_set_header(compose, OUTGOING_MARK_HEADER, "vacation", NULL);
	mime_compose_set_text(compose, reply->reason != NULL ? reply->reason : "");
	bytes = mime_compose_to_bytes(compose, error_r);
	if (bytes == NULL)
		return NULL;
	if (reply->mime) {
		GBytes *entity = compose_mime_entity(bytes, reply->reason != NULL ? reply->reason : "",
						     error_r);

		g_bytes_unref(bytes);
		bytes = entity;
		if (bytes == NULL)
			return NULL;
	}
	*message_id_r = g_steal_pointer(&message_id);
	return bytes;
}

/* ---- notify ---- */

/* The mailboxes of a (percent-decoded) address list, display names
 * decoded (RFC 2047); what does not parse is kept as it is, for the
 * decision to refuse. */
static void mailto_add(GPtrArray *addrs, GPtrArray *names, const char *encoded)
{
	g_autofree char *list = g_uri_unescape_string(encoded, NULL);
	InternetAddressList *parsed;
	int n;

	if (list == NULL || *g_strstrip(list) == '\0')
		return;
	parsed = internet_address_list_parse(NULL, list);
	n = parsed != NULL ? internet_address_list_length(parsed) : 0;
	for (int i = 0; i < n; i++) {
		InternetAddress *a = internet_address_list_get_address(parsed, i);
		InternetAddressList *members = NULL;
		int m = 1;

		if (INTERNET_ADDRESS_IS_GROUP(a)) {
			members = internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a));
			m = internet_address_list_length(members);
		}
		for (int j = 0; j < m; j++) {
			InternetAddress *b =
				members != NULL ? internet_address_list_get_address(members, j) : a;
			const char *name = internet_address_get_name(b);

			if (!INTERNET_ADDRESS_IS_MAILBOX(b))
				continue;
			g_ptr_array_add(addrs, g_strdup(internet_address_mailbox_get_addr(
						       INTERNET_ADDRESS_MAILBOX(b))));
			g_ptr_array_add(names, g_strdup(name != NULL ? name : ""));
		}
	}
	if (n == 0) {
		g_ptr_array_add(addrs, g_strdup(list));
		g_ptr_array_add(names, g_strdup(""));
	}
	if (parsed != NULL)
		g_object_unref(parsed);
}

void outgoing_mailto_parse(const char *uri, outgoing_mailto *m_r)
{
	const char *p = uri + (g_ascii_strncasecmp(uri, "mailto:", 7) == 0 ? 7 : 0);
	const char *q = strchr(p, '?');
	g_autofree char *to = g_strndup(p, q != NULL ? (gsize)(q - p) : strlen(p));
	g_auto(GStrv) fields = NULL;

	memset(m_r, 0, sizeof(*m_r));
	m_r->to = g_ptr_array_new_with_free_func(g_free);
	m_r->to_names = g_ptr_array_new_with_free_func(g_free);
	m_r->cc = g_ptr_array_new_with_free_func(g_free);
	m_r->cc_names = g_ptr_array_new_with_free_func(g_free);
	mailto_add(m_r->to, m_r->to_names, to);
	if (q == NULL)
		return;
	fields = g_strsplit(q + 1, "&", -1);
	for (char **f = fields; *f != NULL; f++) {
		char *eq = strchr(*f, '=');
		g_autofree char *name = NULL, *value = NULL;

		if (eq == NULL)
			continue;
		name = g_uri_unescape_segment(*f, eq, NULL);
		value = g_uri_unescape_string(eq + 1, NULL);
		if (name == NULL || value == NULL)
			continue;
		if (g_ascii_strcasecmp(name, "to") == 0)
			mailto_add(m_r->to, m_r->to_names, eq + 1);
		else if (g_ascii_strcasecmp(name, "cc") == 0)
			mailto_add(m_r->cc, m_r->cc_names, eq + 1);
		else if (g_ascii_strcasecmp(name, "subject") == 0 && m_r->subject == NULL)
			m_r->subject = g_steal_pointer(&value);
		else if (g_ascii_strcasecmp(name, "body") == 0 && m_r->body == NULL)
			m_r->body = g_steal_pointer(&value);
	}
}

void outgoing_mailto_clear(outgoing_mailto *m)
{
	g_clear_pointer(&m->to, g_ptr_array_unref);
	g_clear_pointer(&m->to_names, g_ptr_array_unref);
	g_clear_pointer(&m->cc, g_ptr_array_unref);
	g_clear_pointer(&m->cc_names, g_ptr_array_unref);
	g_clear_pointer(&m->subject, g_free);
	g_clear_pointer(&m->body, g_free);
}

const char **outgoing_mailto_recipients(const outgoing_mailto *m)
{
	const char **all = g_new0(const char *, m->to->len + m->cc->len + 1);
	guint n = 0;

	for (guint i = 0; i < m->to->len; i++)
		all[n++] = g_ptr_array_index(m->to, i);
	for (guint i = 0; i < m->cc->len; i++)
		all[n++] = g_ptr_array_index(m->cc, i);
	return all;
}

/* Add the URI's mailboxes of one field: each address once in the whole
 * message (RFC 5436 2.7), and only those the verdict kept. */
static int notify_add(mime_compose *compose, gboolean cc, GPtrArray *addrs, GPtrArray *names,
		      const char *const *recipients, GPtrArray *done, char **error_r)
{
	for (guint i = 0; i < addrs->len; i++) {
		const char *addr = g_ptr_array_index(addrs, i);
		const char *name = g_ptr_array_index(names, i);
		int ret;

		if (outgoing_address_in(recipients, addr) == NULL ||
		    outgoing_address_in((const char *const *)done->pdata, addr) != NULL)
			continue;
		g_ptr_array_insert(done, (gint)done->len - 1, (gpointer)addr);
		if (*name == '\0')
			name = NULL;
		ret = cc ? mime_compose_add_cc(compose, name, addr, error_r)
			 : mime_compose_add_to(compose, name, addr, error_r);
		if (ret < 0)
			return -1;
	}
	return 0;
}

GBytes *outgoing_notify_compose(const outgoing_notification *n, mime_message *mime,
				char **message_id_r, char **error_r)
{
	g_autoptr(mime_compose) compose = mime_compose_new();
	g_autoptr(GPtrArray) done = g_ptr_array_new();
	g_autofree char *subject = NULL, *body = NULL, *message_id = NULL;
	const char *s = mime_message_get_subject(mime), *from = mime_message_get_from(mime);
	const outgoing_mailto *uri = n->uri;
	GBytes *bytes;

	g_ptr_array_add(done, NULL);
	if (mime_compose_set_from(compose, n->from_name, n->from_address, error_r) < 0 ||
	    notify_add(compose, FALSE, uri->to, uri->to_names, n->recipients, done, error_r) < 0 ||
	    notify_add(compose, TRUE, uri->cc, uri->cc_names, n->recipients, done, error_r) < 0)
		return NULL;
	/* RFC 5435 3.6 / 5436 2.7: :message is the subject, else the URI's,
	 * else the message's own. */
	subject = n->message != NULL ? g_strdup(n->message)
		  : uri->subject != NULL ? g_strdup(uri->subject)
					   : g_strdup_printf("Notification: %s", s != NULL && *s != '\0'
								 ? s : "(no subject)");
	mime_compose_set_subject(compose, subject);
	mime_compose_set_auto_submitted(compose, "auto-notified");
	(void)mime_compose_set_header(compose, OUTGOING_MARK_HEADER, "notify", NULL);
	if (n->importance != NULL && strcmp(n->importance, "2") != 0)
		(void)mime_compose_set_header(compose, "Importance",
					      strcmp(n->importance, "1") == 0 ? "High" : "Low", NULL);
	/* What the assistant needs to find the message, never its text. */
	body = g_strdup_printf("%s%sFrom: %s\nSubject: %s\n%s%s%s",
			       uri->body != NULL ? uri->body : "", uri->body != NULL ? "\n\n" : "",
			       from != NULL ? from : "", s != NULL ? s : "",
			       n->where != NULL ? "In: " : "", n->where != NULL ? n->where : "",
			       n->where != NULL ? "\n" : "");
	mime_compose_set_text(compose, body);
	message_id = mime_message_id_new(compose_domain(n->from_address), "vea.notify");
	if (mime_compose_set_message_id(compose, message_id, error_r) < 0 ||
	    (bytes = mime_compose_to_bytes(compose, error_r)) == NULL)
		return NULL;
	*message_id_r = g_steal_pointer(&message_id);
	return bytes;
}
