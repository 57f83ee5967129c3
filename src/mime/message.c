/* Parsed messages for the rule engine and the logs, on top of GMime 3. */
#include "mime/message.h"

#include <gmime/gmime.h>
#include <string.h>

struct mime_message {
	GMimeMessage *message;
	size_t size;
	/* Lower-cased field name -> GPtrArray of values (NULL-terminated);
	 * filled lazily so a script that reads three headers decodes three. */
	GHashTable *decoded;
	GHashTable *raw;
	GHashTable *addresses;
	char *from;
	char *message_id;
	char *body_text;
	char *raw_body;
	size_t raw_body_len;
	GPtrArray *parts; /* mime_part *, built on first use */
};

typedef struct mime_part {
	mime_part_info info;
	GMimeObject *object; /* borrowed from the message */
	GHashTable *headers; /* lower-cased name -> GPtrArray of values */
	char *content;
} mime_part;

void mime_init(void)
{
	static gsize initialised = 0;

	if (g_once_init_enter(&initialised)) {
		g_mime_init();
		g_once_init_leave(&initialised, 1);
	}
}

static void ptr_array_unref(gpointer array)
{
	g_ptr_array_unref(array);
}

mime_message *mime_message_parse(const char *data, size_t len, char **error_r)
{
	mime_message *msg;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *message;

	mime_init();
	/* The stream copies nothing; the parser reads it all before we return,
	 * and GMime keeps its own copies of what it keeps. */
	stream = g_mime_stream_mem_new_with_buffer(data, len);
	parser = g_mime_parser_new_with_stream(stream);
	message = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (message == NULL) {
		*error_r = g_strdup("not an email message (no header could be parsed)");
		return NULL;
	}

	msg = g_new0(mime_message, 1);
	msg->message = message;
	msg->size = len;
	{
		/* The body starts after the first empty line. */
		const char *p = data, *end = data + len, *body = end;

		while (p < end) {
			const char *nl = memchr(p, '\n', end - p);

			if (nl == NULL)
				break;
			if (nl == p || (nl == p + 1 && *p == '\r')) {
				body = nl + 1;
				break;
			}
			p = nl + 1;
		}
		msg->raw_body_len = end - body;
		msg->raw_body = g_strndup(body, msg->raw_body_len);
	}
	msg->decoded = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     ptr_array_unref);
	msg->raw = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 ptr_array_unref);
	msg->addresses = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       ptr_array_unref);
	return msg;
}

void mime_message_free(mime_message **msgp)
{
	mime_message *msg = *msgp;

	if (msg == NULL)
		return;
	*msgp = NULL;
	g_object_unref(msg->message);
	g_hash_table_destroy(msg->decoded);
	g_hash_table_destroy(msg->raw);
	g_hash_table_destroy(msg->addresses);
	g_free(msg->from);
	g_free(msg->message_id);
	g_free(msg->body_text);
	g_free(msg->raw_body);
	if (msg->parts != NULL)
		g_ptr_array_unref(msg->parts);
	g_free(msg);
}

size_t mime_message_get_size(const mime_message *msg)
{
	return msg->size;
}

/* Unfold per RFC 5322 section 2.2.3: CRLF followed by WSP is removed
 * (the WSP stays). Stray CR/LF that are not folds are dropped too, so a
 * value can never carry a line break into a log or a header we write. */
static char *header_unfold(const char *value)
{
	GString *out = g_string_sized_new(strlen(value));
	const char *p;

	for (p = value; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n')
			continue;
		g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

static GPtrArray *header_collect(mime_message *msg, const char *name,
				 gboolean decode)
{
	GMimeHeaderList *headers;
	GPtrArray *values;
	int i, count;

	headers = g_mime_object_get_header_list(GMIME_OBJECT(msg->message));
	values = g_ptr_array_new_with_free_func(g_free);
	count = g_mime_header_list_get_count(headers);
	for (i = 0; i < count; i++) {
		GMimeHeader *header = g_mime_header_list_get_header_at(headers, i);
		const char *value;
		char *unfolded;

		if (g_ascii_strcasecmp(g_mime_header_get_name(header), name) != 0)
			continue;
		value = decode ? g_mime_header_get_value(header)
			       : g_mime_header_get_raw_value(header);
		unfolded = header_unfold(value != NULL ? value : "");
		if (decode) {
			/* g_mime_header_get_value is already decoded for most
			 * fields; decoding again is harmless and covers the
			 * rest (RFC 2047 section 6.2). */
			char *decoded = g_mime_utils_header_decode_text(NULL, unfolded);
			char *trimmed = g_strstrip(decoded);

			g_ptr_array_add(values, g_strdup(trimmed));
			g_free(decoded);
			g_free(unfolded);
		} else {
			g_ptr_array_add(values, g_strdup(g_strstrip(unfolded)));
			g_free(unfolded);
		}
	}
	g_ptr_array_add(values, NULL);
	return values;
}

static const char *const *header_lookup(mime_message *msg, GHashTable *cache,
					const char *name, gboolean decode)
{
	GPtrArray *values;
	char *key;

	/* The rule engine asks with names already in lower case, many times
	 * per message: find those without copying. */
	values = g_hash_table_lookup(cache, name);
	if (values != NULL)
		return (const char *const *)values->pdata;
	key = g_ascii_strdown(name, -1);
	values = g_hash_table_lookup(cache, key);
	if (values == NULL) {
		values = header_collect(msg, key, decode);
		g_hash_table_insert(cache, key, values);
	} else {
		g_free(key);
	}
	return (const char *const *)values->pdata;
}

const char *const *mime_message_get_header_values(mime_message *msg,
						   const char *name)
{
	return header_lookup(msg, msg->decoded, name, TRUE);
}

const char *const *mime_message_get_raw_header_values(mime_message *msg,
						       const char *name)
{
	return header_lookup(msg, msg->raw, name, FALSE);
}

static void mime_address_free(gpointer data)
{
	mime_address *address = data;

	g_free((char *)address->name);
	g_free((char *)address->localpart);
	g_free((char *)address->domain);
	g_free((char *)address->addr);
	g_free(address);
}

static void address_list_flatten(InternetAddressList *list, GPtrArray *out)
{
	int i, count = internet_address_list_length(list);

	for (i = 0; i < count; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			address_list_flatten(internet_address_group_get_members(
						     INTERNET_ADDRESS_GROUP(ia)),
					     out);
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *addr = internet_address_mailbox_get_addr(
				INTERNET_ADDRESS_MAILBOX(ia));
			const char *name = internet_address_get_name(ia);
			const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
			mime_address *address = g_new0(mime_address, 1);

			if (addr == NULL)
				addr = "";
			address->name = g_strdup(name != NULL ? name : "");
			address->addr = g_strdup(addr);
			if (at != NULL) {
				address->localpart = g_strndup(addr, at - addr);
				address->domain = g_strdup(at + 1);
			} else {
				address->localpart = g_strdup(addr);
			}
			g_ptr_array_add(out, address);
		}
	}
}

const GPtrArray *mime_message_get_addresses(mime_message *msg, const char *name)
{
	GPtrArray *addresses;
	char *key = g_ascii_strdown(name, -1);
	const char *const *raw;

	addresses = g_hash_table_lookup(msg->addresses, key);
	if (addresses != NULL) {
		g_free(key);
		return addresses;
	}
	addresses = g_ptr_array_new_with_free_func(mime_address_free);
	for (raw = mime_message_get_raw_header_values(msg, key); *raw != NULL; raw++) {
		InternetAddressList *list = internet_address_list_parse(NULL, *raw);

		if (list != NULL) {
			address_list_flatten(list, addresses);
			g_object_unref(list);
		}
	}
	g_hash_table_insert(msg->addresses, key, addresses);
	return addresses;
}

const char *mime_message_get_subject(mime_message *msg)
{
	const char *const *values = mime_message_get_header_values(msg, "subject");

	return values[0] != NULL ? values[0] : "";
}

const char *mime_message_get_from(mime_message *msg)
{
	const GPtrArray *from;
	const mime_address *first;

	if (msg->from != NULL)
		return msg->from;
	from = mime_message_get_addresses(msg, "from");
	if (from->len == 0) {
		msg->from = g_strdup("");
	} else {
		first = g_ptr_array_index(from, 0);
		msg->from = first->name[0] != '\0'
				    ? g_strdup_printf("%s <%s>", first->name, first->addr)
				    : g_strdup(first->addr);
	}
	return msg->from;
}

const char *mime_message_get_message_id(mime_message *msg)
{
	const char *id;

	if (msg->message_id != NULL)
		return msg->message_id;
	/* GMime strips the angle brackets and comments (RFC 5322 3.6.4). */
	id = g_mime_message_get_message_id(msg->message);
	if (id == NULL || *id == '\0')
		return NULL;
	msg->message_id = header_unfold(id);
	return msg->message_id;
}

static GMimeTextPart *message_find_text_part(GMimeObject *object,
					     const char *subtype)
{
	GMimePartIter *iter;
	GMimeTextPart *found = NULL;

	if (GMIME_IS_TEXT_PART(object)) {
		GMimeContentType *type = g_mime_object_get_content_type(object);

		if (g_mime_content_type_is_type(type, "text", subtype))
			return GMIME_TEXT_PART(object);
		return NULL;
	}
	if (!GMIME_IS_MULTIPART(object))
		return NULL;
	iter = g_mime_part_iter_new(object);
	do {
		GMimeObject *part = g_mime_part_iter_get_current(iter);
		GMimeContentDisposition *disposition;

		if (part == NULL || !GMIME_IS_TEXT_PART(part))
			continue;
		disposition = g_mime_object_get_content_disposition(part);
		if (disposition != NULL &&
		    g_mime_content_disposition_is_attachment(disposition))
			continue;
		if (g_mime_content_type_is_type(g_mime_object_get_content_type(part),
						"text", subtype)) {
			found = GMIME_TEXT_PART(part);
			break;
		}
	} while (g_mime_part_iter_next(iter));
	g_mime_part_iter_free(iter);
	return found;
}

/* Tags out, entities left as they are: this text only feeds a snippet. */
static char *html_strip_tags(const char *html)
{
	GString *out = g_string_sized_new(strlen(html));
	gboolean in_tag = FALSE;
	const char *p;

	for (p = html; *p != '\0'; p++) {
		if (*p == '<')
			in_tag = TRUE;
		else if (*p == '>')
			in_tag = FALSE;
		else if (!in_tag)
			g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

const char *mime_message_get_body_text(mime_message *msg)
{
	GMimeObject *body;
	GMimeTextPart *part;
	gboolean html = FALSE;
	char *text;

	if (msg->body_text != NULL)
		return msg->body_text;
	body = g_mime_message_get_mime_part(msg->message);
	part = body != NULL ? message_find_text_part(body, "plain") : NULL;
	if (part == NULL && body != NULL) {
		part = message_find_text_part(body, "html");
		html = part != NULL;
	}
	text = part != NULL ? g_mime_text_part_get_text(part) : NULL;
	if (text == NULL) {
		msg->body_text = g_strdup("");
	} else {
		if (!g_utf8_validate(text, -1, NULL)) {
			/* No charset parameter: raw bytes. Keep what is valid. */
			char *valid = g_utf8_make_valid(text, -1);

			g_free(text);
			text = valid;
		}
		msg->body_text = html ? html_strip_tags(text) : g_strdup(text);
		g_free(text);
	}
	return msg->body_text;
}

const char *mime_message_get_raw_body(mime_message *msg, size_t *len_r)
{
	*len_r = msg->raw_body_len;
	return msg->raw_body;
}

static void mime_part_free(gpointer data)
{
	mime_part *part = data;

	g_free((char *)part->info.type);
	g_free((char *)part->info.subtype);
	if (part->headers != NULL)
		g_hash_table_destroy(part->headers);
	g_free(part->content);
	g_free(part);
}

/* Hostile nesting stops here; deeper parts are not listed. */
#define MIME_MAX_PART_DEPTH 32
#define MIME_MAX_PARTS 1024

static void parts_collect(GPtrArray *parts, GMimeObject *object, int parent,
			  int depth)
{
	GMimeContentType *ct;
	mime_part *part;
	int index;

	if (object == NULL || depth > MIME_MAX_PART_DEPTH ||
	    parts->len >= MIME_MAX_PARTS)
		return;
	part = g_new0(mime_part, 1);
	part->object = object;
	part->info.parent = parent;
	part->info.depth = depth;
	ct = g_mime_object_get_content_type(object);
	part->info.type = g_ascii_strdown(
		ct != NULL && g_mime_content_type_get_media_type(ct) != NULL ?
			g_mime_content_type_get_media_type(ct) : "text",
		-1);
	part->info.subtype = g_ascii_strdown(
		ct != NULL && g_mime_content_type_get_media_subtype(ct) != NULL ?
			g_mime_content_type_get_media_subtype(ct) : "plain",
		-1);
	part->info.multipart = GMIME_IS_MULTIPART(object);
	part->info.message = GMIME_IS_MESSAGE_PART(object);
	index = (int)parts->len;
	g_ptr_array_add(parts, part);
	if (GMIME_IS_MULTIPART(object)) {
		GMimeMultipart *mp = GMIME_MULTIPART(object);
		int i, n = g_mime_multipart_get_count(mp);

		for (i = 0; i < n; i++)
			parts_collect(parts, g_mime_multipart_get_part(mp, i),
				      index, depth + 1);
	} else if (GMIME_IS_MESSAGE_PART(object)) {
		GMimeMessage *inner =
			g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));

		if (inner != NULL)
			parts_collect(parts, g_mime_message_get_mime_part(inner),
				      index, depth + 1);
	}
}

static GPtrArray *parts_get(mime_message *msg)
{
	if (msg->parts == NULL) {
		msg->parts = g_ptr_array_new_with_free_func(mime_part_free);
		parts_collect(msg->parts, g_mime_message_get_mime_part(msg->message),
			      -1, 0);
	}
	return msg->parts;
}

unsigned int mime_message_get_part_count(mime_message *msg)
{
	return parts_get(msg)->len;
}

const mime_part_info *mime_message_get_part(mime_message *msg,
					    unsigned int index)
{
	GPtrArray *parts = parts_get(msg);

	if (index >= parts->len)
		return NULL;
	return &((mime_part *)g_ptr_array_index(parts, index))->info;
}

const char *const *mime_message_get_part_header_values(mime_message *msg,
							unsigned int index,
							const char *name)
{
	static const char *const none[] = { NULL };
	GPtrArray *parts = parts_get(msg);
	mime_part *part;
	GPtrArray *values;
	char *key;

	if (index == 0)
		return mime_message_get_header_values(msg, name);
	if (index >= parts->len)
		return none;
	part = g_ptr_array_index(parts, index);
	if (part->headers == NULL)
		part->headers = g_hash_table_new_full(g_str_hash, g_str_equal,
						      g_free, ptr_array_unref);
	key = g_ascii_strdown(name, -1);
	values = g_hash_table_lookup(part->headers, key);
	if (values == NULL) {
		GMimeHeaderList *headers = g_mime_object_get_header_list(part->object);
		int i, count = g_mime_header_list_get_count(headers);

		values = g_ptr_array_new_with_free_func(g_free);
		for (i = 0; i < count; i++) {
			GMimeHeader *header = g_mime_header_list_get_header_at(headers, i);
			const char *value = g_mime_header_get_value(header);
			char *unfolded;

			if (g_ascii_strcasecmp(g_mime_header_get_name(header), key) != 0)
				continue;
			unfolded = header_unfold(value != NULL ? value : "");
			g_ptr_array_add(values, g_strdup(g_strstrip(unfolded)));
			g_free(unfolded);
		}
		g_ptr_array_add(values, NULL);
		g_hash_table_insert(part->headers, key, values);
	} else {
		g_free(key);
	}
	return (const char *const *)values->pdata;
}

const char *mime_message_get_part_param(mime_message *msg, unsigned int index,
					const char *field, const char *param)
{
	GPtrArray *parts = parts_get(msg);
	mime_part *part;

	if (index >= parts->len)
		return NULL;
	part = g_ptr_array_index(parts, index);
	if (g_ascii_strcasecmp(field, "content-type") == 0) {
		GMimeContentType *ct = g_mime_object_get_content_type(part->object);

		return ct != NULL ? g_mime_content_type_get_parameter(ct, param) : NULL;
	} else {
		GMimeContentDisposition *cd =
			g_mime_object_get_content_disposition(part->object);

		return cd != NULL ? g_mime_content_disposition_get_parameter(cd, param)
				  : NULL;
	}
}

const char *mime_message_get_part_content(mime_message *msg,
					  unsigned int index)
{
	GPtrArray *parts = parts_get(msg);
	mime_part *part;

	if (index >= parts->len)
		return "";
	part = g_ptr_array_index(parts, index);
	if (part->content != NULL)
		return part->content;
	if (GMIME_IS_TEXT_PART(part->object)) {
		char *text = g_mime_text_part_get_text(GMIME_TEXT_PART(part->object));

		if (text != NULL && !g_utf8_validate(text, -1, NULL)) {
			char *valid = g_utf8_make_valid(text, -1);

			g_free(text);
			text = valid;
		}
		part->content = text != NULL ? text : g_strdup("");
	} else if (GMIME_IS_PART(part->object)) {
		GMimeDataWrapper *content =
			g_mime_part_get_content(GMIME_PART(part->object));
		GMimeStream *stream = g_mime_stream_mem_new();
		GByteArray *bytes;

		if (content != NULL)
			g_mime_data_wrapper_write_to_stream(content, stream);
		bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
		/* A NUL ends what the rule engine sees; fine for matching. */
		part->content = g_strndup((const char *)bytes->data, bytes->len);
		g_object_unref(stream);
	} else {
		part->content = g_strdup("");
	}
	return part->content;
}
