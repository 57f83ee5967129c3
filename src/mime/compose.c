/* Composing messages with GMime: see compose.h for what is guaranteed. */
#include "mime/compose.h"
#include "mime/message.h"

#include <gmime/gmime.h>
#include <string.h>

typedef struct compose_mailbox {
	char *name;
	char *addr;
} compose_mailbox;

struct mime_compose {
	compose_mailbox *from, *reply_to, *sender;
	GPtrArray *to, *cc; /* compose_mailbox * */
	char *subject;
	GDateTime *date;
	char *message_id;
	char *in_reply_to;
	GPtrArray *references; /* char * */
	char *auto_submitted;
	GPtrArray *headers; /* alternately name, value */
	char *text, *html, *calendar, *calendar_method;
};

static void compose_mailbox_free(compose_mailbox *mailbox)
{
	if (mailbox == NULL)
		return;
	g_free(mailbox->name);
	g_free(mailbox->addr);
	g_free(mailbox);
}

mime_compose *mime_compose_new(void)
{
	mime_compose *compose = g_new0(mime_compose, 1);

	mime_init();
	compose->to = g_ptr_array_new_with_free_func((GDestroyNotify)compose_mailbox_free);
	compose->cc = g_ptr_array_new_with_free_func((GDestroyNotify)compose_mailbox_free);
	compose->references = g_ptr_array_new_with_free_func(g_free);
	compose->headers = g_ptr_array_new_with_free_func(g_free);
	return compose;
}

void mime_compose_free(mime_compose **composep)
{
	mime_compose *compose = *composep;

	if (compose == NULL)
		return;
	*composep = NULL;
	compose_mailbox_free(compose->from);
	compose_mailbox_free(compose->reply_to);
	compose_mailbox_free(compose->sender);
	g_ptr_array_unref(compose->to);
	g_ptr_array_unref(compose->cc);
	g_free(compose->subject);
	if (compose->date != NULL)
		g_date_time_unref(compose->date);
	g_free(compose->message_id);
	g_free(compose->in_reply_to);
	g_ptr_array_unref(compose->references);
	g_free(compose->auto_submitted);
	g_ptr_array_unref(compose->headers);
	g_free(compose->text);
	g_free(compose->html);
	g_free(compose->calendar);
	g_free(compose->calendar_method);
	g_free(compose);
}

gboolean mime_address_is_sendable(const char *address)
{
	const char *at, *label;

	if (address == NULL || *address == '\0' || strlen(address) > 254 ||
	    !g_utf8_validate(address, -1, NULL))
		return FALSE;
	for (const char *p = address; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		/* Anything that could end or extend a header or an SMTP
		 * command line; vea sends no quoted local parts. */
		if (c <= 0x20 || c == 0x7f || strchr("<>()[],;:\"\\", c) != NULL)
			return FALSE;
	}
	at = strrchr(address, '@');
	if (at == NULL || at == address || at[1] == '\0' || memchr(address, '@', (size_t)(at - address)))
		return FALSE;
	/* RFC 5321 4.1.2 Dot-string: no leading, trailing or doubled dot. */
	if (address[0] == '.' || at[-1] == '.' || g_strstr_len(address, at - address, "..") != NULL)
		return FALSE;
	for (label = at + 1; *label != '\0';) {
		size_t len = strcspn(label, ".");

		if (len == 0 || len > 63 || label[0] == '-' || label[len - 1] == '-')
			return FALSE;
		label += len;
		if (*label == '.' && *++label == '\0')
			return FALSE;
	}
	return TRUE;
}

gboolean mime_message_id_is_valid(const char *message_id)
{
	const char *at;

	if (message_id == NULL || *message_id == '\0' || strlen(message_id) > 995)
		return FALSE;
	for (const char *p = message_id; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\')
			return FALSE;
	}
	at = strchr(message_id, '@');
	return at != NULL && at != message_id && at[1] != '\0' && strchr(at + 1, '@') == NULL;
}

char *mime_message_id_new(const char *domain, const char *tag)
{
	g_autofree char *host = g_strdup(domain != NULL && *domain != '\0' ? domain : "vea.invalid");
	g_autofree char *left = g_strdup(tag != NULL && *tag != '\0' ? tag : "vea");
	g_autofree char *uuid = g_uuid_string_random();

	/* RFC 5322 3.6.4: dot-atom text on both sides. */
	g_strcanon(host, G_CSET_A_2_Z G_CSET_a_2_z G_CSET_DIGITS ".-", '-');
	g_strcanon(left, G_CSET_A_2_Z G_CSET_a_2_z G_CSET_DIGITS ".-", '-');
	return g_strdup_printf("%s.%s@%s", left, uuid, host);
}

/* Control characters (CR and LF above all) become spaces, invalid UTF-8
 * becomes U+FFFD: what is left can only be one header's text. */
static char *compose_clean_text(const char *text)
{
	char *clean = g_utf8_make_valid(text != NULL ? text : "", -1);

	for (char *p = clean; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return clean;
}

static compose_mailbox *compose_mailbox_new(const char *field, const char *name, const char *addr,
					    char **error_r)
{
	compose_mailbox *mailbox;

	if (!mime_address_is_sendable(addr)) {
		*error_r = g_strdup_printf("%s: '%s' is not an address vea can send to", field,
					   addr != NULL ? addr : "");
		return NULL;
	}
	mailbox = g_new0(compose_mailbox, 1);
	mailbox->name = compose_clean_text(name);
	mailbox->addr = g_strdup(addr);
	return mailbox;
}

static int compose_set_mailbox(compose_mailbox **slot, const char *field, const char *name,
			       const char *addr, char **error_r)
{
	compose_mailbox *mailbox = compose_mailbox_new(field, name, addr, error_r);

	if (mailbox == NULL)
		return -1;
	compose_mailbox_free(*slot);
	*slot = mailbox;
	return 0;
}

int mime_compose_set_from(mime_compose *compose, const char *name, const char *addr,
			  char **error_r)
{
	return compose_set_mailbox(&compose->from, "From", name, addr, error_r);
}

int mime_compose_set_reply_to(mime_compose *compose, const char *name, const char *addr,
			      char **error_r)
{
	return compose_set_mailbox(&compose->reply_to, "Reply-To", name, addr, error_r);
}

int mime_compose_set_sender(mime_compose *compose, const char *name, const char *addr,
			    char **error_r)
{
	return compose_set_mailbox(&compose->sender, "Sender", name, addr, error_r);
}

static int compose_add_mailbox(GPtrArray *list, const char *field, const char *name,
			       const char *addr, char **error_r)
{
	compose_mailbox *mailbox = compose_mailbox_new(field, name, addr, error_r);

	if (mailbox == NULL)
		return -1;
	g_ptr_array_add(list, mailbox);
	return 0;
}

int mime_compose_add_to(mime_compose *compose, const char *name, const char *addr,
			char **error_r)
{
	return compose_add_mailbox(compose->to, "To", name, addr, error_r);
}

int mime_compose_add_cc(mime_compose *compose, const char *name, const char *addr,
			char **error_r)
{
	return compose_add_mailbox(compose->cc, "Cc", name, addr, error_r);
}

void mime_compose_set_subject(mime_compose *compose, const char *subject)
{
	char *clean = compose_clean_text(subject);

	if (g_utf8_strlen(clean, -1) > MIME_COMPOSE_SUBJECT_MAX) {
		char *end = g_utf8_offset_to_pointer(clean, MIME_COMPOSE_SUBJECT_MAX - 3);

		*end = '\0';
		g_free(compose->subject);
		compose->subject = g_strconcat(clean, "...", NULL);
		g_free(clean);
		return;
	}
	g_free(compose->subject);
	compose->subject = clean;
}

void mime_compose_set_date(mime_compose *compose, GDateTime *date)
{
	if (compose->date != NULL)
		g_date_time_unref(compose->date);
	compose->date = date != NULL ? g_date_time_ref(date) : NULL;
}

static int compose_check_id(const char *field, const char *message_id, char **error_r)
{
	if (mime_message_id_is_valid(message_id))
		return 0;
	*error_r = g_strdup_printf("%s: '%s' is not a Message-ID (local@domain)", field,
				   message_id != NULL ? message_id : "");
	return -1;
}

int mime_compose_set_message_id(mime_compose *compose, const char *message_id, char **error_r)
{
	if (compose_check_id("Message-ID", message_id, error_r) < 0)
		return -1;
	g_free(compose->message_id);
	compose->message_id = g_strdup(message_id);
	return 0;
}

int mime_compose_set_in_reply_to(mime_compose *compose, const char *message_id, char **error_r)
{
	if (compose_check_id("In-Reply-To", message_id, error_r) < 0)
		return -1;
	g_free(compose->in_reply_to);
	compose->in_reply_to = g_strdup(message_id);
	return 0;
}

int mime_compose_set_references(mime_compose *compose, const char *const *message_ids,
				char **error_r)
{
	guint n = message_ids != NULL ? g_strv_length((char **)message_ids) : 0;

	for (guint i = 0; i < n; i++) {
		if (compose_check_id("References", message_ids[i], error_r) < 0)
			return -1;
	}
	g_ptr_array_set_size(compose->references, 0);
	for (guint i = 0; i < n; i++) {
		/* The first (the thread's root) and the newest. */
		if (n > MIME_COMPOSE_REFERENCES_MAX && i > 0 && i < n - (MIME_COMPOSE_REFERENCES_MAX - 1))
			continue;
		g_ptr_array_add(compose->references, g_strdup(message_ids[i]));
	}
	return 0;
}

void mime_compose_set_auto_submitted(mime_compose *compose, const char *value)
{
	g_free(compose->auto_submitted);
	compose->auto_submitted = value != NULL ? compose_clean_text(value) : NULL;
}

/* Fields the composer writes itself: set elsewhere they would be
 * duplicated, or would change what the message is. */
static gboolean compose_header_is_reserved(const char *name)
{
	static const char *const reserved[] = {
		"From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date", "Message-ID",
		"In-Reply-To", "References", "Auto-Submitted", "MIME-Version", NULL
	};

	if (g_ascii_strncasecmp(name, "Content-", 8) == 0)
		return TRUE;
	for (const char *const *r = reserved; *r != NULL; r++) {
		if (g_ascii_strcasecmp(name, *r) == 0)
			return TRUE;
	}
	return FALSE;
}

int mime_compose_set_header(mime_compose *compose, const char *name, const char *value,
			    char **error_r)
{
	if (name == NULL || *name == '\0' || strlen(name) > 76) {
		*error_r = g_strdup("a header needs a name of 1 to 76 characters");
		return -1;
	}
	/* RFC 5322 3.6.8: ftext is printable US-ASCII except ':'. */
	for (const char *p = name; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == ':') {
			*error_r = g_strdup_printf("'%s' is not a header name (RFC 5322 3.6.8)", name);
			return -1;
		}
	}
	if (compose_header_is_reserved(name)) {
		*error_r = g_strdup_printf("%s is written by the composer itself", name);
		return -1;
	}
	g_ptr_array_add(compose->headers, g_strdup(name));
	g_ptr_array_add(compose->headers, compose_clean_text(value));
	return 0;
}

void mime_compose_set_text(mime_compose *compose, const char *text)
{
	g_free(compose->text);
	compose->text = g_utf8_make_valid(text != NULL ? text : "", -1);
}

void mime_compose_set_html(mime_compose *compose, const char *html)
{
	g_free(compose->html);
	compose->html = html != NULL ? g_utf8_make_valid(html, -1) : NULL;
}

void mime_compose_set_calendar(mime_compose *compose, const char *ics, const char *method)
{
	g_free(compose->calendar);
	g_free(compose->calendar_method);
	compose->calendar = ics != NULL ? g_utf8_make_valid(ics, -1) : NULL;
	compose->calendar_method = method != NULL ? g_strdup(method) : NULL;
	if (compose->calendar_method != NULL)
		g_strcanon(compose->calendar_method, G_CSET_A_2_Z G_CSET_a_2_z "-", '-');
}

const char *mime_compose_get_message_id(const mime_compose *compose)
{
	return compose->message_id;
}

static GMimeObject *compose_text_part(const char *subtype, const char *text)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream(stream,
									 GMIME_CONTENT_ENCODING_DEFAULT);

	/* Always UTF-8 (g_mime_text_part_set_text would pick Latin-1 when it
	 * fits), so that the part agrees with an HTML <meta charset>. */
	g_mime_part_set_content(GMIME_PART(part), content);
	g_mime_text_part_set_charset(part, "utf-8");
	g_object_unref(content);
	g_object_unref(stream);
	/* Quoted-printable or base64 as the content needs: 8-bit names,
	 * long HTML lines. */
	g_mime_object_encode(GMIME_OBJECT(part), GMIME_ENCODING_CONSTRAINT_7BIT);
	return GMIME_OBJECT(part);
}

static GMimeObject *compose_body(const mime_compose *compose)
{
	GMimeObject *text = compose_text_part("plain", compose->text);
	GMimeMultipart *alternative;

	if (compose->html == NULL && compose->calendar == NULL)
		return text;
	alternative = g_mime_multipart_new_with_subtype("alternative");
	g_mime_multipart_add(alternative, text);
	g_object_unref(text);
	if (compose->html != NULL) {
		GMimeObject *html = compose_text_part("html", compose->html);

		g_mime_multipart_add(alternative, html);
		g_object_unref(html);
	}
	if (compose->calendar != NULL) {
		GMimeObject *calendar = compose_text_part("calendar", compose->calendar);

		if (compose->calendar_method != NULL)
			g_mime_object_set_content_type_parameter(calendar, "method",
								 compose->calendar_method);
		g_mime_multipart_add(alternative, calendar);
		g_object_unref(calendar);
	}
	return GMIME_OBJECT(alternative);
}

static void compose_add_mailboxes(GMimeMessage *message, GMimeAddressType type, GPtrArray *list)
{
	for (guint i = 0; i < list->len; i++) {
		const compose_mailbox *mailbox = g_ptr_array_index(list, i);

		g_mime_message_add_mailbox(message, type, mailbox->name, mailbox->addr);
	}
}

GBytes *mime_compose_to_bytes(mime_compose *compose, char **error_r)
{
	GMimeMessage *message;
	GMimeObject *body;
	GMimeStream *stream;
	GMimeFormatOptions *options;
	GByteArray *bytes;
	GBytes *result = NULL;
	int written;

	if (compose->from == NULL) {
		*error_r = g_strdup("the message has no From");
		return NULL;
	}
	if (compose->text == NULL) {
		*error_r = g_strdup("the message has no text");
		return NULL;
	}
	if (compose->message_id == NULL) {
		const char *at = strrchr(compose->from->addr, '@');

		compose->message_id = mime_message_id_new(at != NULL ? at + 1 : NULL, "vea");
	}
	message = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_FROM, compose->from->name,
				   compose->from->addr);
	if (compose->sender != NULL)
		g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_SENDER, compose->sender->name,
					   compose->sender->addr);
	if (compose->reply_to != NULL)
		g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_REPLY_TO,
					   compose->reply_to->name, compose->reply_to->addr);
	compose_add_mailboxes(message, GMIME_ADDRESS_TYPE_TO, compose->to);
	compose_add_mailboxes(message, GMIME_ADDRESS_TYPE_CC, compose->cc);
	g_mime_message_set_subject(message, compose->subject != NULL ? compose->subject : "",
				   "utf-8");
	if (compose->date != NULL) {
		g_mime_message_set_date(message, compose->date);
	} else {
		g_autoptr(GDateTime) now = g_date_time_new_now_local();

		g_mime_message_set_date(message, now);
	}
	g_mime_message_set_message_id(message, compose->message_id);
	if (compose->in_reply_to != NULL) {
		g_autofree char *value = g_strdup_printf("<%s>", compose->in_reply_to);

		g_mime_object_set_header(GMIME_OBJECT(message), "In-Reply-To", value, NULL);
	}
	if (compose->references->len > 0) {
		g_autoptr(GString) value = g_string_new(NULL);

		for (guint i = 0; i < compose->references->len; i++)
			g_string_append_printf(value, "%s<%s>", i > 0 ? " " : "",
					       (const char *)g_ptr_array_index(compose->references, i));
		g_mime_object_set_header(GMIME_OBJECT(message), "References", value->str, NULL);
	}
	if (compose->auto_submitted != NULL)
		g_mime_object_set_header(GMIME_OBJECT(message), "Auto-Submitted",
					 compose->auto_submitted, NULL);
	for (guint i = 0; i + 1 < compose->headers->len; i += 2)
		g_mime_object_append_header(GMIME_OBJECT(message),
					    g_ptr_array_index(compose->headers, i),
					    g_ptr_array_index(compose->headers, i + 1), "utf-8");
	body = compose_body(compose);
	g_mime_message_set_mime_part(message, body);
	g_object_unref(body);

	options = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(options, GMIME_NEWLINE_FORMAT_DOS);
	stream = g_mime_stream_mem_new();
	written = (int)g_mime_object_write_to_stream(GMIME_OBJECT(message), options, stream);
	g_mime_format_options_free(options);
	if (written < 0) {
		*error_r = g_strdup("the message could not be written");
	} else {
		bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
		result = g_bytes_new(bytes->data, bytes->len);
	}
	g_object_unref(stream);
	g_object_unref(message);
	return result;
}
