#ifndef VEA_MIME_MESSAGE_PRIVATE_H
#define VEA_MIME_MESSAGE_PRIVATE_H

/* Inside libveamime only: struct mime_message and what the files that
 * answer for it share. Which file answers which question:
 *
 *   message.c     a message's life: parse, free, size, the GMime parses
 *                 made on demand, subject, From and Message-ID
 *   headers.c     header fields by name: interning, the field index,
 *                 unfolding and decoding, the per-name caches
 *   fast-parse.c  the hand-written readers that stand in for GMime on
 *                 plain input, for speed (fast-parse.h; test-mime checks
 *                 them against GMime)
 *   packed.c      the Sieve engine's hot path: lower-cased values and
 *                 address arrays packed per message, prefetching
 *   addresses.c   address lists: lenient, through the fast reader or
 *                 GMime
 *   body.c        the body: raw, as text for people, whether there is one
 *   parts.c       the MIME part tree and what RFC 5173 reads of it
 *
 * Nothing here is for code outside src/mime but test-mime. */

#include "mime/message.h"

#include <gmime/gmime.h>
#include <string.h>

/* Field names the rule engine asks for are interned once per process
 * (mime_header_id): a message caches what it found per name id in a
 * plain array, so a lookup is an index, not a hash of the name. */
#define MIME_MAX_HEADER_IDS 1024
#define MIME_MAX_HEADER_NAME 128
#define MIME_HEADER_BUCKETS 64

/* Hostile nesting stops here; deeper parts are not listed. */
#define MIME_MAX_PART_DEPTH 32
#define MIME_MAX_PARTS 1024

/* What one message found for one field name. */
typedef struct mime_header_slot {
	GPtrArray *decoded; /* char *, NULL-terminated */
	GPtrArray *raw;
	GPtrArray *addresses; /* mime_address * */
} mime_header_slot;

/* Lower-cased values, the Sieve engine's hot path (packed.c): per
 * message, one pointer per name id and the values packed after one
 * another in a few blocks, in the order the rules asked for them, so
 * that evaluating a script touches a handful of neighbouring cache lines
 * per message instead of following four pointers per test. */
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
	GMimeHeader *header; /* NULL when split by mime_fast_header_split */
	const char *name;
	size_t name_len;
	const char *value; /* raw: after the colon, folds and all */
	size_t value_len;
} mime_header_entry;

/* The fields of one header, in order and by hash: filled either by
 * mime_fast_header_split from the text or by headers.c from GMime. */
typedef struct mime_header_index {
	mime_header_entry *entries;
	int n_entries; /* -1 until indexed */
	int entries_size;
	/* entries by hash: the first of each bucket (-1: none); the
	 * entries of a bucket are linked in header order. */
	int buckets[MIME_HEADER_BUCKETS];
} mime_header_index;

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
	 * header is split without GMime (mime_fast_header_split) and GMime
	 * parses it (as header_message) only when a value needs RFC 2047
	 * decoding or the Message-ID is not the plain form; any other
	 * header GMime parses at once. The whole message (message) is
	 * parsed on first use of the body or the parts. */
	GMimeMessage *header_message;
	size_t header_len;
	GMimeMessage *message;
	char *data; /* a copy of the message, NUL-terminated */
	size_t data_len;
	mime_header_index index;
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
	GPtrArray *parts; /* mime_part *, built on first use (parts.c) */
};

/* g_str_hash over the ASCII lower case of len bytes of name. Inline: the
 * header splitter hashes every field name of every message with it. */
static inline guint mime_header_name_hash(const char *name, size_t len)
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

static inline void mime_header_index_reset(mime_header_index *index)
{
	int i;

	index->n_entries = 0;
	for (i = 0; i < MIME_HEADER_BUCKETS; i++)
		index->buckets[i] = -1;
}

static inline mime_header_entry *mime_header_index_add(mime_header_index *index)
{
	if (index->n_entries == index->entries_size) {
		index->entries_size = MAX(32, 2 * index->entries_size);
		index->entries = g_renew(mime_header_entry, index->entries,
					 index->entries_size);
	}
	return &index->entries[index->n_entries++];
}

/* Link the entries into their buckets, in header order. */
static inline void mime_header_index_link(mime_header_index *index)
{
	int i;

	for (i = index->n_entries - 1; i >= 0; i--) {
		int *bucket = &index->buckets[index->entries[i].hash %
					      MIME_HEADER_BUCKETS];

		index->entries[i].next = *bucket;
		*bucket = i;
	}
}

/* message.c */
/* GDestroyNotify for hash tables of GPtrArray values. */
void mime_ptr_array_unref(gpointer array);
/* The header alone as GMime parses it (on first use), or NULL when GMime
 * finds no header in it. Owned by msg. */
GMimeMessage *mime_message_gmime_header(mime_message *msg);
/* The whole message as GMime parses it (on first use), up to the parts
 * cap (MIME_MAX_PARTS); never NULL. Owned by msg. */
GMimeMessage *mime_message_gmime_full(mime_message *msg);

/* headers.c */
/* value with CR and LF dropped (RFC 5322 section 2.2.3 unfolding; the
 * stray ones too, so that no value carries a line break into a log or
 * a header vea writes); a new string. */
char *mime_header_unfold(const char *value);
/* The cache slot of name id for msg, grown as needed. */
mime_header_slot *mime_header_slot_grow(mime_message *msg, int id);
static inline mime_header_slot *mime_header_slot_get(mime_message *msg, int id)
{
	if (G_LIKELY((guint)id < msg->n_slots))
		return &msg->slots[id];
	return mime_header_slot_grow(msg, id);
}
void mime_header_slot_clear(mime_header_slot *slot);

/* addresses.c */
/* GDestroyNotify for the mime_address * that the lists hold. */
void mime_address_free(gpointer address);
/* RFC 5322 atext. Inline: the address readers test every character. */
static inline gboolean mime_address_is_atext(char c)
{
	return g_ascii_isalnum(c) ||
	       (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}
/* A local part that is a dot-atom (RFC 5322 section 3.4.1): atext (or
 * UTF-8, RFC 6532 section 3.2), no dot first, last or next to another. */
gboolean mime_address_local_is_dot_atom(const char *local, size_t len);
/* The address in its plain form: the local part as a dot-atom when it
 * is one, else quoted (section 3.4.1; "b..sanders"@enron.com, as
 * Pigeonhole gives it to :all); a new string. */
char *mime_address_format(const char *local, const char *domain);
/* The mailboxes of each value of raw (NULL-terminated), in order; a new
 * array of mime_address *. */
GPtrArray *mime_address_lists_collect(const char *const *raw);
/* Append the mailboxes of one raw field value as GMime reads them (local
 * parts with dots out of place quoted first, so that GMime takes them):
 * what every value mime_fast_address_list_parse declines gets, and the
 * reference test-mime holds that reader to. */
void mime_address_list_parse_gmime(const char *raw, GPtrArray *addresses);

/* packed.c */
void mime_packed_free(mime_message *msg);

/* parts.c */
void mime_parts_free(mime_message *msg);

#endif
