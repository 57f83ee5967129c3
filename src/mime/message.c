/* Parsed messages for the rule engine and the logs, on top of GMime 3. */
#include "mime/message.h"
#include "mime/rfc2047.h"
#include "mime/html-text.h"

#include <gmime/gmime.h>
#include <string.h>

/* Field names the rule engine asks for are interned once per process
 * (mime_header_id): a message caches what it found per name id in a
 * plain array, so a lookup is an index, not a hash of the name. */
#define MIME_MAX_HEADER_IDS 1024
#define MIME_MAX_HEADER_NAME 128
#define MIME_HEADER_BUCKETS 64

typedef struct mime_header_name {
	char *name; /* lower case */
	guint hash;
} mime_header_name;

static GMutex header_names_lock;
static GHashTable *header_names; /* lower-case name -> id + 1 */
/* Written once under the lock before the id is handed out; read without
 * it by whoever holds the id. */
static mime_header_name header_names_by_id[MIME_MAX_HEADER_IDS];
static guint header_names_count;

/* What one message found for one field name. */
typedef struct mime_header_slot {
	GPtrArray *decoded; /* char *, NULL-terminated */
	GPtrArray *raw;
	GPtrArray *addresses; /* mime_address * */
} mime_header_slot;

/* Lower-cased values, the Sieve engine's hot path: per message, one
 * pointer per name id and the values packed after one another in a few
 * blocks, in the order the rules asked for them, so that evaluating a
 * script touches a handful of neighbouring cache lines per message
 * instead of following four pointers per test. */
typedef struct mime_lower_block {
	struct mime_lower_block *next;
	size_t used, size;
	char data[];
} mime_lower_block;

typedef struct mime_fast_slot {
	const char *const *lower; /* NULL-terminated */
	const mime_address *addresses; /* ends with addr == NULL */
} mime_fast_slot;

/* A field of the header, its name hashed lower case (built once). */
typedef struct mime_header_entry {
	guint hash;
	int next; /* the next entry in the same bucket, -1 at the end */
	gboolean top_part; /* from the top-level MIME part's header */
	GMimeHeader *header; /* NULL when split here (header_split) */
	const char *name;
	size_t name_len;
	const char *value; /* raw: after the colon, folds and all */
	size_t value_len;
} mime_header_entry;

#define MIME_PREFETCH_BLOCKS 4

struct mime_message {
	/* First, in one cache line: what evaluating rules reads of a message
	 * it has seen before (mime_message_prefetch); by name id, n_fast
	 * long: NULL until asked for, then arrays in lower_blocks (or the
	 * static empty ones), the first blocks' places and sizes repeated
	 * here so that prefetching them follows no pointer. */
	mime_fast_slot *fast;
	guint n_fast;
	guint fast_used; /* 1 + the highest id set in fast */
	const char *prefetch_at[MIME_PREFETCH_BLOCKS];
	guint32 prefetch_len[MIME_PREFETCH_BLOCKS];
	guint n_prefetch;
	/* As the server counts it (message_size_crlf), counted on first
	 * use: most messages are never asked. Until then, what was cut
	 * from data. */
	size_t size;
	gboolean size_counted;
	/* The header alone: what rules read nearly always. A well-formed
	 * header is split here (header_split) and GMime parses it (as
	 * header_message) only when a value needs RFC 2047 decoding or the
	 * Message-ID is asked for; any other header GMime parses at once.
	 * The whole message (message) is parsed on first use of the body or
	 * the parts. */
	GMimeMessage *header_message;
	size_t header_len;
	GMimeMessage *message;
	char *data; /* a copy of the message, NUL-terminated */
	size_t data_len;
	mime_header_entry *entries;
	int n_entries; /* -1 until indexed */
	int entries_size;
	/* entries by hash: the first of each bucket (-1: none); the
	 * entries of a bucket are linked in header order. */
	int buckets[MIME_HEADER_BUCKETS];
	mime_header_slot *slots; /* by name id, n_slots long */
	guint n_slots;
	mime_lower_block *lower_blocks;
	/* The header values handed out (one allocation for many). */
	GStringChunk *strings;
	/* Names beyond the interned ones: lower-cased field name ->
	 * GPtrArray of values (NULL-terminated); created on first use. */
	GHashTable *decoded;
	GHashTable *raw;
	GHashTable *addresses;
	char *from;
	char *message_id;
	char *body_text;
	const char *raw_body; /* in data */
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

/* g_str_hash over the ASCII lower case of len bytes of name. */
static guint header_name_hash_len(const char *name, size_t len)
{
	guint h = 5381;
	size_t i;

	for (i = 0; i < len; i++) {
		guchar c = (guchar)name[i];

		/* g_ascii_tolower, without the call. */
		h = (h << 5) + h + (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	return h;
}

int mime_header_id(const char *name)
{
	char buf[MIME_MAX_HEADER_NAME];
	size_t i;
	gpointer found;
	int id = -1;

	for (i = 0; name[i] != '\0'; i++) {
		if (i + 1 >= sizeof(buf))
			return -1;
		buf[i] = g_ascii_tolower(name[i]);
	}
	buf[i] = '\0';
	g_mutex_lock(&header_names_lock);
	if (header_names == NULL)
		header_names = g_hash_table_new(g_str_hash, g_str_equal);
	found = g_hash_table_lookup(header_names, buf);
	if (found != NULL) {
		id = GPOINTER_TO_INT(found) - 1;
	} else if (header_names_count < MIME_MAX_HEADER_IDS) {
		mime_header_name *entry = &header_names_by_id[header_names_count];

		entry->name = g_strdup(buf);
		entry->hash = header_name_hash_len(buf, strlen(buf));
		id = (int)header_names_count++;
		g_hash_table_insert(header_names, entry->name,
				    GINT_TO_POINTER(id + 1));
	}
	g_mutex_unlock(&header_names_lock);
	return id;
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

static void header_entries_reset(mime_message *msg)
{
	int i;

	msg->n_entries = 0;
	for (i = 0; i < MIME_HEADER_BUCKETS; i++)
		msg->buckets[i] = -1;
}

static mime_header_entry *header_entry_add(mime_message *msg)
{
	if (msg->n_entries == msg->entries_size) {
		msg->entries_size = MAX(32, 2 * msg->entries_size);
		msg->entries = g_renew(mime_header_entry, msg->entries,
				       msg->entries_size);
	}
	return &msg->entries[msg->n_entries++];
}

/* Link the entries into their buckets, in header order. */
static void header_entries_link(mime_message *msg)
{
	int i;

	for (i = msg->n_entries - 1; i >= 0; i--) {
		int *bucket = &msg->buckets[msg->entries[i].hash %
					    MIME_HEADER_BUCKETS];

		msg->entries[i].next = *bucket;
		*bucket = i;
	}
}

/* Split a header made only of "Name: value" lines (names of letters,
 * digits, "-", "_" and "."), continuation lines and CRLF or LF line
 * ends, which GMime parses the same way (the differential test over
 * the corpora holds it to that). FALSE for anything else (mbox From
 * line, stray text, white-space-only lines, NUL, bare CR...), left to
 * GMime. GMime moves the Content-* fields to the top-level part; that
 * keeps the order within a name, which is all lookups see. */
static gboolean header_split(mime_message *msg)
{
	const char *p = msg->data, *end = msg->data + msg->header_len;
	mime_header_entry *entry = NULL;

	header_entries_reset(msg);
	while (p < end) {
		const char *eol = memchr(p, '\n', end - p), *q, *line_end;

		if (eol == NULL)
			eol = end;
		line_end = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		if (line_end == p)
			break; /* the empty line */
		if (memchr(p, '\0', eol - p) != NULL ||
		    memchr(p, '\r', line_end - p) != NULL)
			return FALSE;
		if (*p == ' ' || *p == '\t') {
			for (q = p; q < line_end && (*q == ' ' || *q == '\t'); q++)
				;
			if (entry == NULL || q == line_end)
				return FALSE;
			entry->value_len = line_end - entry->value;
		} else {
			for (q = p; q < line_end && (g_ascii_isalnum(*q) ||
						     *q == '-' || *q == '_' ||
						     *q == '.');
			     q++)
				;
			if (q == p || q == line_end || *q != ':')
				return FALSE;
			entry = header_entry_add(msg);
			entry->header = NULL;
			entry->name = p;
			entry->name_len = q - p;
			entry->hash = header_name_hash_len(p, q - p);
			entry->top_part = q - p >= 8 &&
					  g_ascii_strncasecmp(p, "content-", 8) == 0;
			entry->value = q + 1;
			entry->value_len = line_end - (q + 1);
		}
		p = eol + 1;
	}
	header_entries_link(msg);
	return msg->n_entries > 0;
}

static GMimeMessage *header_message_get(mime_message *msg)
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
	msg->n_entries = -1;
	if (!header_split(msg)) {
		/* GMime parses the header alone (up to and with the empty
		 * line): the fields are the same as in a whole parse. */
		msg->n_entries = -1;
		if (header_message_get(msg) == NULL) {
			mime_message_free(&msg);
			*error_r = g_strdup("not an email message (no header could be parsed)");
			return NULL;
		}
	}
	return msg;
}

/* Hostile nesting stops here; deeper parts are not listed. */
#define MIME_MAX_PART_DEPTH 32
#define MIME_MAX_PARTS 1024

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
static GMimeMessage *message_full(mime_message *msg)
{
	if (msg->message == NULL) {
		msg->message = message_construct(msg->data,
						 message_parse_len(msg));
		/* It parsed as a header before; keep going with that. */
		if (msg->message == NULL && header_message_get(msg) != NULL)
			msg->message = g_object_ref(msg->header_message);
		if (msg->message == NULL)
			msg->message = g_mime_message_new(FALSE);
	}
	return msg->message;
}

static void header_slot_clear(mime_header_slot *slot)
{
	if (slot->decoded != NULL)
		g_ptr_array_unref(slot->decoded);
	if (slot->raw != NULL)
		g_ptr_array_unref(slot->raw);
	if (slot->addresses != NULL)
		g_ptr_array_unref(slot->addresses);
}

void mime_message_free(mime_message **msgp)
{
	mime_message *msg = *msgp;
	guint i;

	if (msg == NULL)
		return;
	*msgp = NULL;
	if (msg->parts != NULL)
		g_ptr_array_unref(msg->parts);
	if (msg->message != NULL)
		g_object_unref(msg->message);
	if (msg->header_message != NULL)
		g_object_unref(msg->header_message);
	for (i = 0; i < msg->n_slots; i++)
		header_slot_clear(&msg->slots[i]);
	g_free(msg->slots);
	g_free(msg->fast);
	while (msg->lower_blocks != NULL) {
		mime_lower_block *next = msg->lower_blocks->next;

		g_free(msg->lower_blocks);
		msg->lower_blocks = next;
	}
	g_free(msg->entries);
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

/* len bytes of value unfolded (CR and LF dropped) and stripped of leading
 * and trailing white space (as g_strstrip), kept in msg. */
static const char *header_unfold_strip(mime_message *msg, const char *value,
				       size_t len)
{
	const char *end;
	char *out, *q, *p;

	if (msg->strings == NULL)
		msg->strings = g_string_chunk_new(4096);
	/* A NUL ends the value, as it did when values were C strings. */
	end = memchr(value, '\0', len);
	if (end == NULL)
		end = value + len;
	while (value < end && g_ascii_isspace(*value))
		value++;
	while (end > value && g_ascii_isspace(end[-1]))
		end--;
	out = g_string_chunk_insert_len(msg->strings, value, end - value);
	/* Unfold in place (most values are one line). */
	q = strpbrk(out, "\r\n");
	if (q == NULL)
		return out;
	for (p = q; *p != '\0'; p++) {
		if (*p != '\r' && *p != '\n')
			*q++ = *p;
	}
	*q = '\0';
	return out;
}

/* A raw value that RFC 2047 decoding leaves as it is: ASCII without
 * encoded words. Decoding it would change nothing but cost a lot. */
static gboolean header_is_plain(const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len;
	guint64 word;

	for (; p + 8 <= end; p += 8) {
		memcpy(&word, p, 8);
		if ((word & G_GUINT64_CONSTANT(0x8080808080808080)) != 0)
			return FALSE;
	}
	for (; p < end; p++) {
		if ((guchar)*p >= 0x80)
			return FALSE;
	}
	for (p = raw; (p = memchr(p, '=', end - p)) != NULL; p++) {
		if (p + 1 < end && p[1] == '?')
			return FALSE;
	}
	return memchr(raw, '\0', len) == NULL;
}

static const char *header_value_decode(mime_message *msg,
				       GMimeHeader *header)
{
	const char *raw = g_mime_header_get_raw_value(header);
	const char *value, *kept;
	char *unfolded, *decoded, *trimmed;

	if (raw != NULL && header_is_plain(raw, strlen(raw)))
		return header_unfold_strip(msg, raw, strlen(raw));
	/* From the raw value, not g_mime_header_get_value: GMime 3.2.13
	 * decodes two padded base64 words as the first alone (rfc2047.h). */
	value = raw != NULL ? raw : g_mime_header_get_value(header);
	unfolded = header_unfold(value != NULL ? value : "");
	decoded = mime_rfc2047_decode_text(unfolded);
	g_free(unfolded);
	trimmed = g_strstrip(decoded);
	if (msg->strings == NULL)
		msg->strings = g_string_chunk_new(4096);
	kept = g_string_chunk_insert(msg->strings, trimmed);
	g_free(decoded);
	return kept;
}

static void header_index_list(mime_message *msg, GMimeHeaderList *headers,
			      gboolean top_part)
{
	int i, count = g_mime_header_list_get_count(headers);

	for (i = 0; i < count; i++) {
		GMimeHeader *header = g_mime_header_list_get_header_at(headers, i);
		mime_header_entry *entry = header_entry_add(msg);
		const char *raw = g_mime_header_get_raw_value(header);

		entry->header = header;
		entry->top_part = top_part;
		entry->name = g_mime_header_get_name(header);
		entry->name_len = strlen(entry->name);
		entry->hash = header_name_hash_len(entry->name, entry->name_len);
		entry->value = raw != NULL ? raw : "";
		entry->value_len = strlen(entry->value);
	}
}

/* Index the fields of a header GMime parsed. GMime 3 moves the Content-*
 * fields of the message's header to its top-level MIME part: those come
 * after the others, and only answer for Content-* names. */
static void header_index(mime_message *msg)
{
	GMimeMessage *message = header_message_get(msg);
	GMimeObject *top;

	header_entries_reset(msg);
	if (message == NULL)
		return;
	top = g_mime_message_get_mime_part(message);
	header_index_list(msg,
			  g_mime_object_get_header_list(GMIME_OBJECT(message)),
			  FALSE);
	if (top != NULL)
		header_index_list(msg, g_mime_object_get_header_list(top), TRUE);
	header_entries_link(msg);
}

/* Decoded values of a header that header_split split, from GMime. */
static void header_collect_gmime(mime_message *msg, const char *name,
				 GPtrArray *values)
{
	GMimeMessage *message = header_message_get(msg);
	GMimeHeaderList *lists[2];
	int i, l;

	if (message == NULL)
		return;
	lists[0] = g_mime_object_get_header_list(GMIME_OBJECT(message));
	lists[1] = g_ascii_strncasecmp(name, "content-", 8) == 0 &&
				   g_mime_message_get_mime_part(message) != NULL ?
			   g_mime_object_get_header_list(
				   g_mime_message_get_mime_part(message)) :
			   NULL;
	for (l = 0; l < 2 && lists[l] != NULL; l++) {
		int count = g_mime_header_list_get_count(lists[l]);

		for (i = 0; i < count; i++) {
			GMimeHeader *header =
				g_mime_header_list_get_header_at(lists[l], i);

			if (g_ascii_strcasecmp(g_mime_header_get_name(header),
					       name) == 0)
				g_ptr_array_add(values,
						(char *)header_value_decode(
							msg, header));
		}
	}
}

/* The values of the fields called name (lower case). */
static GPtrArray *header_collect(mime_message *msg, const char *name,
				 gboolean decode)
{
	GPtrArray *values = g_ptr_array_new(); /* strings in msg->strings */
	size_t name_len = strlen(name);
	guint hash = header_name_hash_len(name, name_len);
	gboolean content = g_ascii_strncasecmp(name, "content-", 8) == 0;
	int i;

	if (msg->n_entries < 0)
		header_index(msg);
	for (i = msg->n_entries > 0 ? msg->buckets[hash % MIME_HEADER_BUCKETS] :
				      -1;
	     i >= 0; i = msg->entries[i].next) {
		const mime_header_entry *entry = &msg->entries[i];

		if (entry->hash != hash || entry->name_len != name_len ||
		    (entry->top_part && !content) ||
		    g_ascii_strncasecmp(entry->name, name, name_len) != 0)
			continue;
		if (!decode || header_is_plain(entry->value, entry->value_len)) {
			g_ptr_array_add(values, (char *)header_unfold_strip(
							msg, entry->value,
							entry->value_len));
		} else if (entry->header != NULL) {
			g_ptr_array_add(values, (char *)header_value_decode(
							msg, entry->header));
		} else {
			/* Something to decode: GMime decodes the lot. */
			g_ptr_array_set_size(values, 0);
			header_collect_gmime(msg, name, values);
			break;
		}
	}
	g_ptr_array_add(values, NULL);
	return values;
}

static mime_header_slot *header_slot_grow(mime_message *msg, int id)
{
	guint n = MAX(32, msg->n_slots);

	while (n <= (guint)id)
		n *= 2;
	msg->slots = g_renew(mime_header_slot, msg->slots, n);
	memset(msg->slots + msg->n_slots, 0,
	       (n - msg->n_slots) * sizeof(*msg->slots));
	msg->n_slots = n;
	return &msg->slots[id];
}

static inline mime_header_slot *header_slot(mime_message *msg, int id)
{
	if (G_LIKELY((guint)id < msg->n_slots))
		return &msg->slots[id];
	return header_slot_grow(msg, id);
}

const char *const *mime_message_get_header_values_by_id(mime_message *msg,
							 int id)
{
	mime_header_slot *slot = header_slot(msg, id);

	if (slot->decoded == NULL)
		slot->decoded = header_collect(
			msg, header_names_by_id[id].name, TRUE);
	return (const char *const *)slot->decoded->pdata;
}

/* Room for size bytes, pointer-aligned, in the message's lower blocks. */
static void *lower_alloc(mime_message *msg, size_t size)
{
	mime_lower_block *block = msg->lower_blocks;
	void *p;

	size = (size + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
	if (block == NULL || block->size - block->used < size) {
		size_t want = MAX(size, block == NULL ? 1024 : 4096);

		block = g_malloc(sizeof(*block) + want);
		block->used = 0;
		block->size = want;
		if (msg->n_prefetch < MIME_PREFETCH_BLOCKS && want <= 4096)
			msg->prefetch_at[msg->n_prefetch++] = block->data;
		/* The newest block first: that is where room is left. */
		block->next = msg->lower_blocks;
		msg->lower_blocks = block;
	}
	p = block->data + block->used;
	block->used += size;
	if (msg->n_prefetch > 0 &&
	    msg->prefetch_at[msg->n_prefetch - 1] == block->data)
		msg->prefetch_len[msg->n_prefetch - 1] = (guint32)block->used;
	return p;
}

static const char *const lower_none[] = { NULL };

/* Out of line: the cached lookup stays small. */
static __attribute__((noinline)) const char *const *
header_values_lower(mime_message *msg, int id)
{
	const char *const *values = mime_message_get_header_values_by_id(msg,
									  id);
	size_t n, i, bytes = 0;
	const char **lower;
	char *p;

	for (n = 0; values[n] != NULL; n++)
		bytes += strlen(values[n]) + 1;
	if (n == 0)
		return lower_none;
	/* The array, then its strings right behind it, then zeros. */
	lower = lower_alloc(msg, (n + 1) * sizeof(char *) + bytes +
					 MIME_LOWER_PADDING);
	p = (char *)(lower + n + 1);
	for (i = 0; i < n; i++) {
		const char *v;

		lower[i] = p;
		for (v = values[i]; *v != '\0'; v++)
			*p++ = g_ascii_tolower(*v);
		*p++ = '\0';
	}
	memset(p, 0, MIME_LOWER_PADDING);
	lower[n] = NULL;
	return lower;
}

void mime_message_prefetch(const mime_message *msg)
{
	size_t i;

	/* What is filled in, not the room left: a processor has only so
	 * many loads in flight. */
	for (i = 0; i < msg->fast_used * sizeof(*msg->fast); i += 64)
		__builtin_prefetch((const char *)msg->fast + i);
	for (guint b = 0; b < msg->n_prefetch; b++) {
		for (i = 0; i < msg->prefetch_len[b]; i += 64)
			__builtin_prefetch(msg->prefetch_at[b] + i);
	}
}

static mime_fast_slot *fast_slot(mime_message *msg, int id)
{
	g_assert(id >= 0 && id < MIME_MAX_HEADER_IDS);
	if ((guint)id >= msg->n_fast) {
		guint n = MAX(64, msg->n_fast);

		while (n <= (guint)id)
			n *= 2;
		msg->fast = g_renew(mime_fast_slot, msg->fast, n);
		memset(msg->fast + msg->n_fast, 0,
		       (n - msg->n_fast) * sizeof(*msg->fast));
		msg->n_fast = n;
	}
	msg->fast_used = MAX(msg->fast_used, (guint)id + 1);
	return &msg->fast[id];
}

static __attribute__((noinline)) const char *const *
header_values_lower_slow(mime_message *msg, int id)
{
	const char *const *lower = header_values_lower(msg, id);

	fast_slot(msg, id)->lower = lower;
	return lower;
}

const char *const *mime_message_get_header_values_lower_by_id(
	mime_message *msg, int id)
{
	if (G_LIKELY((guint)id < msg->n_fast && msg->fast[id].lower != NULL))
		return msg->fast[id].lower;
	return header_values_lower_slow(msg, id);
}

const char *const *mime_message_get_raw_header_values_by_id(mime_message *msg,
							     int id)
{
	mime_header_slot *slot = header_slot(msg, id);

	if (slot->raw == NULL)
		slot->raw = header_collect(msg, header_names_by_id[id].name,
					   FALSE);
	return (const char *const *)slot->raw->pdata;
}

/* Names that could not be interned (too long, too many). */
static const char *const *header_lookup(mime_message *msg, GHashTable **cachep,
					const char *name, gboolean decode)
{
	GPtrArray *values;
	char *key;

	if (*cachep == NULL)
		*cachep = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						ptr_array_unref);
	key = g_ascii_strdown(name, -1);
	values = g_hash_table_lookup(*cachep, key);
	if (values == NULL) {
		values = header_collect(msg, key, decode);
		g_hash_table_insert(*cachep, key, values);
	} else {
		g_free(key);
	}
	return (const char *const *)values->pdata;
}

const char *const *mime_message_get_header_values(mime_message *msg,
						   const char *name)
{
	int id = mime_header_id(name);

	if (id >= 0)
		return mime_message_get_header_values_by_id(msg, id);
	return header_lookup(msg, &msg->decoded, name, TRUE);
}

const char *const *mime_message_get_raw_header_values(mime_message *msg,
						       const char *name)
{
	int id = mime_header_id(name);

	if (id >= 0)
		return mime_message_get_raw_header_values_by_id(msg, id);
	return header_lookup(msg, &msg->raw, name, FALSE);
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

/* RFC 5322 atext. */
static gboolean address_is_atext(char c)
{
	return g_ascii_isalnum(c) || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

/* A local part that is a dot-atom (RFC 5322 section 3.4.1): atext (or
 * UTF-8, RFC 6532 section 3.2), no dot first, last or next to another. */
static gboolean address_local_is_dot_atom(const char *local, size_t len)
{
	size_t i;

	if (len == 0 || local[0] == '.' || local[len - 1] == '.')
		return FALSE;
	for (i = 0; i < len; i++) {
		if (local[i] == '.' ? local[i - 1] == '.' :
				      !address_is_atext(local[i]) &&
					      (guchar)local[i] < 0x80)
			return FALSE;
	}
	return TRUE;
}

/* The local part as RFC 5322 section 3.4.1 means it: a quoted-string
 * stands for its content ("john"@x is john@x). */
static char *address_local_unquote(const char *local, size_t len)
{
	GString *out;
	size_t i;

	if (len < 2 || local[0] != '"' || local[len - 1] != '"')
		return g_strndup(local, len);
	out = g_string_sized_new(len);
	for (i = 1; i + 1 < len; i++) {
		if (local[i] == '\\' && i + 2 < len)
			i++;
		g_string_append_c(out, local[i]);
	}
	return g_string_free(out, FALSE);
}

/* The address in its plain form: the local part as a dot-atom when it
 * is one, else quoted (section 3.4.1; "b..sanders"@enron.com, as
 * Pigeonhole gives it to :all). */
static char *address_format(const char *local, const char *domain)
{
	GString *out;
	const char *p;

	if (address_local_is_dot_atom(local, strlen(local)))
		return g_strconcat(local, "@", domain, NULL);
	out = g_string_new("\"");
	for (p = local; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *p);
	}
	g_string_append_printf(out, "\"@%s", domain);
	return g_string_free(out, FALSE);
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
			if (at != NULL) {
				address->localpart = address_local_unquote(
					addr, at - addr);
				address->domain = g_strdup(at + 1);
				address->addr = address_format(
					address->localpart, address->domain);
			} else {
				address->localpart = g_strdup(addr);
				address->addr = g_strdup(addr);
			}
			g_ptr_array_add(out, address);
		}
	}
}

/* name is raw: an atom phrase may hold RFC 2047 encoded words
 * (section 5 (3)), decoded here; a quoted one is taken as it is. */
static void address_add(GPtrArray *out, const char *name, size_t name_len,
			gboolean decode_name, const char *local,
			size_t local_len, const char *domain, size_t domain_len)
{
	mime_address *address = g_new0(mime_address, 1);

	if (decode_name) {
		g_autofree char *raw = g_strndup(name, name_len);

		address->name = mime_rfc2047_decode_phrase(raw);
	} else {
		address->name = g_strndup(name, name_len);
	}
	address->localpart = g_strndup(local, local_len);
	address->domain = g_strndup(domain, domain_len);
	/* Real mail has local parts with dots out of place
	 * ("b..sanders@enron.com"): not a dot-atom, so written quoted. */
	if (address_local_is_dot_atom(local, local_len))
		address->addr = g_strndup(local, domain + domain_len - local);
	else
		address->addr = address_format(address->localpart,
					       address->domain);
	g_ptr_array_add(out, address);
}

/* The plain address lists most fields hold, split without GMime:
 * "local@domain", "<local@domain>", "Name Name <local@domain>" and
 * "\"Name\" <local@domain>", comma-separated, with atom local parts
 * (dots anywhere: see address_add) and plain ASCII domains; display
 * names in ASCII or UTF-8, atoms with encoded words decoded. FALSE (out
 * untouched) for anything else (comments, groups, quoted pairs, IDN...),
 * which GMime parses; on what is accepted both give the same (the
 * differential test over the corpora holds it to that), but for the
 * local parts GMime refuses. Linear in the length of p: every scan
 * stops at the end of the address it reads. */
static gboolean address_list_parse_plain(const char *p, GPtrArray *out)
{
	guint start = out->len;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return FALSE;
	for (;;) {
		const char *name = "", *local, *at, *domain, *q;
		size_t name_len = 0;
		gboolean angle = FALSE, decode_name = FALSE;

		if (*p == '"') {
			/* "Display Name" <addr> */
			for (q = p + 1; *q != '"'; q++) {
				if (*q == '\0' || *q == '\\' || *q == '=' ||
				    *q == '\t' || *q == '\r' || *q == '\n')
					goto fail;
			}
			name = p + 1;
			name_len = q - name;
			/* Spaces at the ends or doubled: left to GMime. */
			if (name_len == 0 || name[0] == ' ' ||
			    name[name_len - 1] == ' ' ||
			    g_strstr_len(name, name_len, "  ") != NULL ||
			    !g_utf8_validate(name, name_len, NULL))
				goto fail;
			p = q + 1;
			if (*p != ' ')
				goto fail;
			p++;
			if (*p != '<')
				goto fail;
		} else if (*p != '<') {
			/* Either atoms then <addr>, or a bare addr-spec. */
			for (q = p; address_is_atext(*q) || (guchar)*q >= 0x80 ||
				    *q == '.' || *q == '@' ||
				    (*q == ' ' && (address_is_atext(q[1]) ||
						   (guchar)q[1] >= 0x80));
			     q++)
				;
			if (*q == ' ' && q[1] == '<') {
				name = p;
				name_len = q - p;
				if (memchr(name, '@', name_len) != NULL ||
				    memchr(name, '.', name_len) != NULL ||
				    !g_utf8_validate(name, name_len, NULL))
					goto fail;
				/* Encoded words (RFC 2047) or UTF-8 (RFC
				 * 6532): GMime decodes the phrase. */
				decode_name = g_strstr_len(name, name_len, "=?") !=
						      NULL ||
					      !header_is_plain(name, name_len);
				p = q + 1;
			}
		}
		if (*p == '<') {
			angle = TRUE;
			p++;
		}
		local = p;
		for (q = p; address_is_atext(*q) || *q == '.'; q++)
			;
		if (q == local || *q != '@')
			goto fail;
		at = q;
		domain = at + 1;
		for (q = domain; g_ascii_isalnum(*q) || *q == '-' ||
				 (*q == '.' && q > domain && q[-1] != '.' &&
				  g_ascii_isalnum(q[1]));
		     q++)
			;
		if (q == domain || q[-1] == '-' ||
		    g_ascii_strncasecmp(domain, "xn--", 4) == 0 ||
		    g_strstr_len(domain, q - domain, ".xn--") != NULL)
			goto fail;
		if (angle) {
			if (*q != '>')
				goto fail;
			address_add(out, name, name_len, decode_name, local,
				    at - local, domain, q - domain);
			q++;
		} else {
			address_add(out, "", 0, FALSE, local, at - local,
				    domain, q - domain);
		}
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '\0')
			return TRUE;
		if (*q != ',')
			goto fail;
		q++;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '\0')
			goto fail;
		p = q;
	}
fail:
	g_ptr_array_remove_range(out, start, out->len - start);
	return FALSE;
}

/* raw with every local part that has dots out of place quoted
 * (b..sanders@enron.com -> "b..sanders"@enron.com), which GMime would
 * refuse; NULL when there is none. Outside quoted strings, comments
 * and domain literals, in one pass. */
static char *address_list_quote_dots(const char *raw)
{
	GString *out = NULL;
	const char *p = raw, *copied = raw;
	gboolean quoted = FALSE, literal = FALSE;
	unsigned int comment = 0;

	while (*p != '\0') {
		const char *q;

		if (*p == '\\' && (quoted || comment > 0) && p[1] != '\0') {
			p += 2;
			continue;
		}
		if (quoted || literal || comment > 0) {
			if (quoted && *p == '"')
				quoted = FALSE;
			else if (literal && *p == ']')
				literal = FALSE;
			else if (!quoted && !literal && *p == '(')
				comment++;
			else if (!quoted && !literal && *p == ')')
				comment--;
			p++;
			continue;
		}
		if (*p == '"' || *p == '[' || *p == '(') {
			quoted = *p == '"';
			literal = *p == '[';
			comment = *p == '(';
			p++;
			continue;
		}
		if (!address_is_atext(*p) && *p != '.' && (guchar)*p < 0x80) {
			p++;
			continue;
		}
		for (q = p; address_is_atext(*q) || *q == '.' ||
			    (guchar)*q >= 0x80;
		     q++)
			;
		if (*q == '@' && !address_local_is_dot_atom(p, q - p)) {
			if (out == NULL)
				out = g_string_sized_new(strlen(raw) + 16);
			g_string_append_len(out, copied, p - copied);
			g_string_append_c(out, '"');
			g_string_append_len(out, p, q - p);
			g_string_append_c(out, '"');
			copied = q;
		}
		p = q;
	}
	if (out == NULL)
		return NULL;
	g_string_append(out, copied);
	return g_string_free(out, FALSE);
}

/* The mailboxes of one field value: the plain parser, else GMime (on the
 * value with misplaced dots quoted: header tests read real mail as
 * Pigeonhole does). This is the lenient parser; addresses vea sends to
 * are checked strictly elsewhere (sieve_address_normalize). */
static void address_list_collect(const char *raw, GPtrArray *addresses)
{
	InternetAddressList *list;
	g_autofree char *quoted = NULL, *cut = NULL;
	size_t len = strlen(raw);

	if (len > MIME_MAX_ADDRESS_FIELD) {
		/* Hostile mail (a field of a million addresses would hold
		 * the account's thread for seconds in GMime): the
		 * addresses in the first MIME_MAX_ADDRESS_FIELD bytes,
		 * cut after the last comma there. */
		const char *comma = g_strrstr_len(raw, MIME_MAX_ADDRESS_FIELD,
						  ",");

		cut = g_strndup(raw, comma != NULL ? (size_t)(comma - raw) :
						     MIME_MAX_ADDRESS_FIELD);
		raw = cut;
	}
	if (address_list_parse_plain(raw, addresses))
		return;
	quoted = address_list_quote_dots(raw);
	list = internet_address_list_parse(NULL, quoted != NULL ? quoted : raw);
	if (list != NULL) {
		address_list_flatten(list, addresses);
		g_object_unref(list);
	}
}

static GPtrArray *addresses_collect(const char *const *raw)
{
	GPtrArray *addresses = g_ptr_array_new_with_free_func(mime_address_free);

	for (; *raw != NULL; raw++)
		address_list_collect(*raw, addresses);
	return addresses;
}

const GPtrArray *mime_message_get_addresses_by_id(mime_message *msg, int id)
{
	mime_header_slot *slot = header_slot(msg, id);

	if (slot->addresses == NULL) {
		GPtrArray *addresses = addresses_collect(
			mime_message_get_raw_header_values_by_id(msg, id));

		/* That may have moved the slots. */
		slot = header_slot(msg, id);
		slot->addresses = addresses;
	}
	return slot->addresses;
}

static const mime_address addresses_none[] = { { NULL, NULL, NULL, NULL } };

/* The addresses as one array with their strings behind it (see
 * mime_fast_slot). */
static __attribute__((noinline)) const mime_address *
addresses_packed(mime_message *msg, int id)
{
	const GPtrArray *list = mime_message_get_addresses_by_id(msg, id);
	size_t bytes = 0;
	mime_address *packed;
	char *p;
	guint i;

	if (list->len == 0) {
		fast_slot(msg, id)->addresses = addresses_none;
		return addresses_none;
	}
	for (i = 0; i < list->len; i++) {
		const mime_address *a = g_ptr_array_index(list, i);

		bytes += strlen(a->name) + strlen(a->localpart) +
			 strlen(a->addr) + 3 +
			 (a->domain != NULL ? strlen(a->domain) + 1 : 0);
	}
	packed = lower_alloc(msg, (list->len + 1) * sizeof(*packed) + bytes);
	p = (char *)(packed + list->len + 1);
	for (i = 0; i < list->len; i++) {
		const mime_address *a = g_ptr_array_index(list, i);

		packed[i].addr = p;
		p = g_stpcpy(p, a->addr) + 1;
		packed[i].localpart = p;
		p = g_stpcpy(p, a->localpart) + 1;
		packed[i].domain = NULL;
		if (a->domain != NULL) {
			packed[i].domain = p;
			p = g_stpcpy(p, a->domain) + 1;
		}
		packed[i].name = p;
		p = g_stpcpy(p, a->name) + 1;
	}
	memset(&packed[i], 0, sizeof(packed[i]));
	fast_slot(msg, id)->addresses = packed;
	return packed;
}

const mime_address *mime_message_get_address_array_by_id(mime_message *msg,
							  int id)
{
	if (G_LIKELY((guint)id < msg->n_fast &&
		     msg->fast[id].addresses != NULL))
		return msg->fast[id].addresses;
	return addresses_packed(msg, id);
}

const GPtrArray *mime_message_get_addresses(mime_message *msg, const char *name)
{
	GPtrArray *addresses;
	char *key;
	int id = mime_header_id(name);

	if (id >= 0)
		return mime_message_get_addresses_by_id(msg, id);
	if (msg->addresses == NULL)
		msg->addresses = g_hash_table_new_full(
			g_str_hash, g_str_equal, g_free, ptr_array_unref);
	key = g_ascii_strdown(name, -1);
	addresses = g_hash_table_lookup(msg->addresses, key);
	if (addresses != NULL) {
		g_free(key);
		return addresses;
	}
	addresses = addresses_collect(
		mime_message_get_raw_header_values(msg, key));
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

char *mime_message_id_parse_plain(const char *raw)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
	const char *p = raw, *start, *at = NULL, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '<')
		return NULL;
	start = ++p;
	for (; *p != '>'; p++) {
		if (*p == '@') {
			if (at != NULL)
				return NULL;
			at = p;
		} else if (*p == '.') {
			/* dot-atoms: no dot first, last or doubled */
			if (p == start || p[-1] == '.' || p[-1] == '@' ||
			    p[1] == '.' || p[1] == '@' || p[1] == '>')
				return NULL;
		} else if (*p == '\0' ||
			   (!g_ascii_isalnum(*p) && strchr(atext, *p) == NULL)) {
			return NULL;
		}
	}
	if (at == NULL || at == start || at + 1 == p)
		return NULL;
	for (end = p + 1; *end == ' ' || *end == '\t'; end++)
		;
	if (*end != '\0')
		return NULL;
	return g_strndup(start, p - start);
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
	id = header_message_get(msg) != NULL ?
		     g_mime_message_get_message_id(msg->header_message) : NULL;
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

const char *mime_message_get_body_text(mime_message *msg)
{
	GMimeObject *body;
	GMimeTextPart *part;
	gboolean html = FALSE;
	char *text;

	if (msg->body_text != NULL)
		return msg->body_text;
	body = g_mime_message_get_mime_part(message_full(msg));
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
		msg->body_text = html ? html_text_from_html(
						 text, HTML_TEXT_READABLE) :
					 g_strdup(text);
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
		parts_collect(msg->parts, g_mime_message_get_mime_part(message_full(msg)),
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

GPtrArray *mime_address_list_parse(const char *raw)
{
	GPtrArray *addresses = g_ptr_array_new_with_free_func(mime_address_free);

	address_list_collect(raw, addresses);
	return addresses;
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
			unfolded = header_unfold(value != NULL ? value : "");
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

gboolean mime_message_has_body(const mime_message *msg)
{
	const char *end = msg->data + msg->header_len;

	/* The header ends with an empty line when there is a body, even an
	 * empty one; else it runs to the end of the data. */
	if (msg->header_len == 0)
		return FALSE;
	if (end[-1] != '\n')
		return FALSE;
	if (msg->header_len == 1)
		return TRUE;
	if (end[-2] == '\n')
		return TRUE;
	return end[-2] == '\r' && (msg->header_len == 2 || end[-3] == '\n');
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
