/* A message's life: parse, free, size, the GMime parses made on demand,
 * and the one-line views the logs and the digest use (subject, From,
 * Message-ID). The other questions are answered beside it
 * (message-private.h lists which file answers which). */
#include "mime/message-private.h"
#include "mime/fast-parse.h"

void mime_init(void)
{
	static gsize initialised = 0;

	if (g_once_init_enter(&initialised)) {
		g_mime_init();
		g_once_init_leave(&initialised, 1);
	}
}

void mime_ptr_array_unref(gpointer array)
{
	g_ptr_array_unref(array);
}

/* The first empty line ends the header; the offset of what follows. */
static size_t message_body_offset(const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);

		if (nl == NULL)
			break;
		if (nl == p || (nl == p + 1 && *p == '\r'))
			return nl + 1 - data;
		p = nl + 1;
	}
	return len;
}

static GMimeMessage *message_construct(const char *data, size_t len)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *message;

	stream = g_mime_stream_mem_new_with_buffer(data, len);
	parser = g_mime_parser_new_with_stream(stream);
	message = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	return message;
}

GMimeMessage *mime_message_gmime_header(mime_message *msg)
{
	if (msg->header_message == NULL)
		msg->header_message = message_construct(msg->data,
							msg->header_len);
	return msg->header_message;
}

/* The size a server gives the message (IMAP RFC822.SIZE, RFC 3501
 * section 2.3.4: the message in RFC 5322 form, CRLF line ends), which
 * the Sieve size test compares (RFC 5228 section 5.9): a bare LF, as in
 * a file on disk, counts as CRLF. */
static size_t message_size_crlf(const char *data, size_t len)
{
	const char *p = data, *end = data + len, *nl;
	size_t size = len;

	while ((nl = memchr(p, '\n', end - p)) != NULL) {
		if (nl == data || nl[-1] != '\r')
			size++;
		p = nl + 1;
	}
	return size;
}

/* Lines of white space before the first field: a continuation of no
 * field (RFC 5322 section 2.2.3 folds only within a field). Mail does
 * arrive so (a broken gateway, a forwarded header cut short), and
 * Pigeonhole reads the fields that follow; so does vea. The length of
 * those lines. */
static size_t message_leading_folds(const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	while (p < end && (*p == ' ' || *p == '\t')) {
		const char *nl = memchr(p, '\n', end - p);

		if (nl == NULL)
			return len;
		p = nl + 1;
	}
	return p - data;
}

/* A copy of a message whose header (body: the offset after the empty
 * line) is over MIME_MAX_HEADER, without the fields after its first
 * MIME_MAX_HEADER bytes (hostile mail; Postfix's header_size_limit drops
 * them past 100 KiB by default): the header is cut at a line end (a
 * first line longer than the cap is cut and ended), then comes the
 * empty line and the body. *len_r gets the copy's length. */
static char *message_copy_cut_header(const char *data, size_t len,
				     size_t body, size_t *len_r)
{
	const char *cut = g_strrstr_len(data, MIME_MAX_HEADER, "\n");
	size_t keep = cut != NULL ? (size_t)(cut + 1 - data) : MIME_MAX_HEADER;
	size_t rest = len; /* where the empty line starts; len: none */
	char *copy;

	if (body >= 2 && data[body - 1] == '\n' && data[body - 2] == '\n')
		rest = body - 1;
	else if (body >= 3 && data[body - 1] == '\n' &&
		 data[body - 2] == '\r' && data[body - 3] == '\n')
		rest = body - 2;
	copy = g_malloc(keep + 1 + (len - rest) + 1);
	memcpy(copy, data, keep);
	if (cut == NULL)
		copy[keep++] = '\n';
	memcpy(copy + keep, data + rest, len - rest);
	*len_r = keep + (len - rest);
	copy[*len_r] = '\0';
	return copy;
}

mime_message *mime_message_parse(const char *data, size_t len, char **error_r)
{
	mime_message *msg;
	size_t body, folds;

	mime_init();
	msg = g_new0(mime_message, 1);
	folds = message_leading_folds(data, len);
	body = message_body_offset(data + folds, len - folds);
	if (body > MIME_MAX_HEADER) {
		msg->size = message_size_crlf(data, len);
		msg->size_counted = TRUE;
		msg->data = message_copy_cut_header(data + folds, len - folds,
						    body, &len);
		body = message_body_offset(msg->data, len);
	} else {
		/* The rest is counted on first use. */
		msg->size = message_size_crlf(data, folds);
		len -= folds;
		msg->data = g_malloc(len + 1);
		memcpy(msg->data, data + folds, len);
		msg->data[len] = '\0';
	}
	msg->data_len = len;
	msg->header_len = body;
	msg->raw_body = msg->data + body;
	msg->raw_body_len = len - body;
	if (!mime_fast_header_split(msg->data, msg->header_len, &msg->index)) {
		/* GMime parses the header alone (up to and with the empty
		 * line): the fields are the same as in a whole parse; the
		 * index is built from it when a field is first asked for. */
		msg->index.n_entries = -1;
		if (mime_message_gmime_header(msg) == NULL) {
			mime_message_free(&msg);
			*error_r = g_strdup("not an email message (no header could be parsed)");
			return NULL;
		}
	}
	return msg;
}

/* How much of the message GMime parses for the body and the parts: up
 * to the line before the (4 * MIME_MAX_PARTS)-th line starting with
 * "--" after the header (boundary lines, RFC 2046 section 5.1.1). GMime
 * builds an object per part, some 15 microseconds each: a message of a
 * million empty parts would hold the account's thread for a quarter of
 * a minute for parts that are never listed. */
static size_t message_parse_len(const mime_message *msg)
{
	const char *p = msg->raw_body, *end = msg->data + msg->data_len;
	guint dashes = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);

		if (end - p >= 2 && p[0] == '-' && p[1] == '-' &&
		    ++dashes == 4 * MIME_MAX_PARTS)
			return p - msg->data;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return msg->data_len;
}

/* The whole message, parsed on first use. */
GMimeMessage *mime_message_gmime_full(mime_message *msg)
{
	if (msg->message == NULL) {
		msg->message = message_construct(msg->data,
						 message_parse_len(msg));
		/* It parsed as a header before; keep going with that. */
		if (msg->message == NULL && mime_message_gmime_header(msg) != NULL)
			msg->message = g_object_ref(msg->header_message);
		if (msg->message == NULL)
			msg->message = g_mime_message_new(FALSE);
	}
	return msg->message;
}

void mime_message_free(mime_message **msgp)
{
	mime_message *msg = *msgp;
	guint i;

	if (msg == NULL)
		return;
	*msgp = NULL;
	mime_parts_free(msg);
	if (msg->message != NULL)
		g_object_unref(msg->message);
	if (msg->header_message != NULL)
		g_object_unref(msg->header_message);
	for (i = 0; i < msg->n_slots; i++)
		mime_header_slot_clear(&msg->slots[i]);
	g_free(msg->slots);
	mime_packed_free(msg);
	g_free(msg->index.entries);
	if (msg->strings != NULL)
		g_string_chunk_free(msg->strings);
	if (msg->decoded != NULL)
		g_hash_table_destroy(msg->decoded);
	if (msg->raw != NULL)
		g_hash_table_destroy(msg->raw);
	if (msg->addresses != NULL)
		g_hash_table_destroy(msg->addresses);
	g_free(msg->from);
	g_free(msg->message_id);
	g_free(msg->body_text);
	g_free(msg->data);
	g_free(msg);
}

size_t mime_message_get_size(mime_message *msg)
{
	if (!msg->size_counted) {
		msg->size += message_size_crlf(msg->data, msg->data_len);
		msg->size_counted = TRUE;
	}
	return msg->size;
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
	const char *const *raw;
	const char *id;

	if (msg->message_id != NULL)
		return msg->message_id;
	/* The plain form read here; anything else GMime parses, the whole
	 * header (it strips comments, RFC 5322 3.6.4): costly enough that
	 * the agent's first run spent half its time on it. */
	raw = mime_message_get_raw_header_values(msg, "message-id");
	if (raw[0] != NULL && raw[1] == NULL) {
		msg->message_id = mime_message_id_parse_plain(raw[0]);
		if (msg->message_id != NULL)
			return msg->message_id;
	}
	id = mime_message_gmime_header(msg) != NULL ?
		     g_mime_message_get_message_id(msg->header_message) : NULL;
	if (id == NULL || *id == '\0')
		return NULL;
	msg->message_id = mime_header_unfold(id);
	return msg->message_id;
}

