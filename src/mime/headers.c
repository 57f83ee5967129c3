/* Header fields by name: names interned per process, the index of a
 * message's fields (split by fast-parse.c or read from GMime), values
 * unfolded and decoded, cached per message. */
#include "mime/message-private.h"
#include "mime/fast-parse.h"
#include "mime/rfc2047.h"

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
		entry->hash = mime_header_name_hash(buf, strlen(buf));
		id = (int)header_names_count++;
		g_hash_table_insert(header_names, entry->name,
				    GINT_TO_POINTER(id + 1));
	}
	g_mutex_unlock(&header_names_lock);
	return id;
}

char *mime_header_unfold(const char *value)
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

static const char *header_value_decode(mime_message *msg,
				       GMimeHeader *header)
{
	const char *raw = g_mime_header_get_raw_value(header);
	const char *value, *kept;
	char *unfolded, *decoded, *trimmed;

	if (raw != NULL && mime_fast_value_is_plain(raw, strlen(raw)))
		return header_unfold_strip(msg, raw, strlen(raw));
	/* From the raw value, not g_mime_header_get_value: GMime 3.2.13
	 * decodes two padded base64 words as the first alone (rfc2047.h). */
	value = raw != NULL ? raw : g_mime_header_get_value(header);
	unfolded = mime_header_unfold(value != NULL ? value : "");
	decoded = mime_rfc2047_decode_text(unfolded);
	g_free(unfolded);
	trimmed = g_strstrip(decoded);
	if (msg->strings == NULL)
		msg->strings = g_string_chunk_new(4096);
	kept = g_string_chunk_insert(msg->strings, trimmed);
	g_free(decoded);
	return kept;
}

static void header_index_list(mime_header_index *index,
			      GMimeHeaderList *headers, gboolean top_part)
{
	int i, count = g_mime_header_list_get_count(headers);

	for (i = 0; i < count; i++) {
		GMimeHeader *header = g_mime_header_list_get_header_at(headers, i);
		mime_header_entry *entry = mime_header_index_add(index);
		const char *raw = g_mime_header_get_raw_value(header);

		entry->header = header;
		entry->top_part = top_part;
		entry->name = g_mime_header_get_name(header);
		entry->name_len = strlen(entry->name);
		entry->hash = mime_header_name_hash(entry->name, entry->name_len);
		entry->value = raw != NULL ? raw : "";
		entry->value_len = strlen(entry->value);
	}
}

/* Index the fields of a header GMime parsed. GMime 3 moves the Content-*
 * fields of the message's header to its top-level MIME part: those come
 * after the others, and only answer for Content-* names. */
static void header_index_gmime(mime_message *msg)
{
	GMimeMessage *message = mime_message_gmime_header(msg);
	GMimeObject *top;

	mime_header_index_reset(&msg->index);
	if (message == NULL)
		return;
	top = g_mime_message_get_mime_part(message);
	header_index_list(&msg->index,
			  g_mime_object_get_header_list(GMIME_OBJECT(message)),
			  FALSE);
	if (top != NULL)
		header_index_list(&msg->index,
				  g_mime_object_get_header_list(top), TRUE);
	mime_header_index_link(&msg->index);
}

/* Decoded values of a header that mime_fast_header_split split, from
 * GMime. */
static void header_collect_gmime(mime_message *msg, const char *name,
				 GPtrArray *values)
{
	GMimeMessage *message = mime_message_gmime_header(msg);
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
	const mime_header_index *index = &msg->index;
	size_t name_len = strlen(name);
	guint hash = mime_header_name_hash(name, name_len);
	gboolean content = g_ascii_strncasecmp(name, "content-", 8) == 0;
	int i;

	if (index->n_entries < 0)
		header_index_gmime(msg);
	for (i = index->n_entries > 0 ?
		     index->buckets[hash % MIME_HEADER_BUCKETS] : -1;
	     i >= 0; i = index->entries[i].next) {
		const mime_header_entry *entry = &index->entries[i];

		if (entry->hash != hash || entry->name_len != name_len ||
		    (entry->top_part && !content) ||
		    g_ascii_strncasecmp(entry->name, name, name_len) != 0)
			continue;
		if (!decode ||
		    mime_fast_value_is_plain(entry->value, entry->value_len)) {
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

mime_header_slot *mime_header_slot_grow(mime_message *msg, int id)
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

void mime_header_slot_clear(mime_header_slot *slot)
{
	if (slot->decoded != NULL)
		g_ptr_array_unref(slot->decoded);
	if (slot->raw != NULL)
		g_ptr_array_unref(slot->raw);
	if (slot->addresses != NULL)
		g_ptr_array_unref(slot->addresses);
}

const char *const *mime_message_get_header_values_by_id(mime_message *msg,
							 int id)
{
	mime_header_slot *slot = mime_header_slot_get(msg, id);

	if (slot->decoded == NULL)
		slot->decoded = header_collect(
			msg, header_names_by_id[id].name, TRUE);
	return (const char *const *)slot->decoded->pdata;
}

const char *const *mime_message_get_raw_header_values_by_id(mime_message *msg,
							     int id)
{
	mime_header_slot *slot = mime_header_slot_get(msg, id);

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
						mime_ptr_array_unref);
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
