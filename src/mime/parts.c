/* The MIME part tree, depth first (RFC 5703 section 3), with what the
 * rules read of each part: its header fields, parameters, content, and
 * the texts RFC 5173 section 5.2 searches in containers. */
#include "mime/message-private.h"

typedef struct mime_part {
	mime_part_info info;
	GMimeObject *object; /* borrowed from the message */
	GHashTable *headers; /* lower-cased name -> GPtrArray of values */
	char *content;
} mime_part;

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
		parts_collect(msg->parts, g_mime_message_get_mime_part(mime_message_gmime_full(msg)),
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
						      g_free, mime_ptr_array_unref);
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
			unfolded = mime_header_unfold(value != NULL ? value : "");
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

char **mime_message_dup_part_raw_header_values(mime_message *msg,
					       unsigned int index,
					       const char *name)
{
	GPtrArray *parts = parts_get(msg);
	GPtrArray *values;
	GMimeHeaderList *headers;
	mime_part *part;
	int i, count;

	if (index == 0)
		return g_strdupv((char **)mime_message_get_raw_header_values(
			msg, name));
	values = g_ptr_array_new();
	if (index < parts->len) {
		part = g_ptr_array_index(parts, index);
		headers = g_mime_object_get_header_list(part->object);
		count = g_mime_header_list_get_count(headers);
		for (i = 0; i < count; i++) {
			GMimeHeader *header =
				g_mime_header_list_get_header_at(headers, i);
			const char *value = g_mime_header_get_raw_value(header);
			char *unfolded;

			if (g_ascii_strcasecmp(g_mime_header_get_name(header),
					       name) != 0)
				continue;
			unfolded = mime_header_unfold(value != NULL ? value : "");
			g_ptr_array_add(values, g_strdup(g_strstrip(unfolded)));
			g_free(unfolded);
		}
	}
	g_ptr_array_add(values, NULL);
	return (char **)g_ptr_array_free(values, FALSE);
}

char *mime_field_param(const char *value, const char *param)
{
	const char *semi = strchr(value, ';');
	GMimeParamList *list;
	char *result = NULL;

	if (semi == NULL)
		return NULL;
	list = g_mime_param_list_parse(NULL, semi + 1);
	if (list != NULL) {
		GMimeParam *p = g_mime_param_list_get_parameter(list, param);

		if (p != NULL && g_mime_param_get_value(p) != NULL)
			result = g_strdup(g_mime_param_get_value(p));
		g_object_unref(list);
	}
	return result;
}

char **mime_message_dup_part_container_texts(mime_message *msg,
					     unsigned int index)
{
	GPtrArray *parts = parts_get(msg);
	GPtrArray *texts = g_ptr_array_new();
	mime_part *part;

	if (index >= parts->len)
		goto out;
	part = g_ptr_array_index(parts, index);
	if (GMIME_IS_MULTIPART(part->object)) {
		GMimeMultipart *mp = GMIME_MULTIPART(part->object);
		const char *prologue = g_mime_multipart_get_prologue(mp);
		const char *epilogue = g_mime_multipart_get_epilogue(mp);

		if (prologue != NULL)
			g_ptr_array_add(texts, g_strdup(prologue));
		if (epilogue != NULL)
			g_ptr_array_add(texts, g_strdup(epilogue));
	} else if (GMIME_IS_MESSAGE_PART(part->object)) {
		GMimeMessage *inner = g_mime_message_part_get_message(
			GMIME_MESSAGE_PART(part->object));
		GMimeHeaderList *headers;
		GString *header;
		int i, count;

		if (inner == NULL)
			goto out;
		/* Each field as it came: name, colon, the raw value with its
		 * folding and line end. */
		headers = g_mime_object_get_header_list(GMIME_OBJECT(inner));
		count = g_mime_header_list_get_count(headers);
		header = g_string_new(NULL);
		for (i = 0; i < count; i++) {
			GMimeHeader *field =
				g_mime_header_list_get_header_at(headers, i);
			const char *raw = g_mime_header_get_raw_value(field);

			g_string_append(header, g_mime_header_get_name(field));
			g_string_append_c(header, ':');
			if (raw != NULL) {
				g_string_append(header, raw);
			} else {
				g_string_append_c(header, ' ');
				g_string_append(header,
						g_mime_header_get_value(field));
				g_string_append_c(header, '\n');
			}
		}
		g_ptr_array_add(texts, g_string_free(header, FALSE));
	}
out:
	g_ptr_array_add(texts, NULL);
	return (char **)g_ptr_array_free(texts, FALSE);
}

void mime_parts_free(mime_message *msg)
{
	if (msg->parts != NULL)
		g_ptr_array_unref(msg->parts);
	msg->parts = NULL;
}
