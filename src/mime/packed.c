/* The Sieve engine's hot path: per message, the lower-cased values and
 * the address arrays the rules ask for, packed into a few blocks in the
 * order they were asked for, found by name id in the table at the start
 * of struct mime_message, and prefetched from there. Measured by
 * bench-sieve (commits e28f51c, bd474c6: +10-15% evaluation rate): change
 * only with its numbers. test-mime /mime/fast-vs-gmime checks that the
 * packed copies say what the plain lookups say. */
#include "mime/message-private.h"

/* Room for size bytes, pointer-aligned, in the message's lower blocks. */
static void *packed_alloc(mime_message *msg, size_t size)
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

void mime_packed_free(mime_message *msg)
{
	g_free(msg->fast);
	while (msg->lower_blocks != NULL) {
		mime_lower_block *next = msg->lower_blocks->next;

		g_free(msg->lower_blocks);
		msg->lower_blocks = next;
	}
}

static const char *const lower_none[] = { NULL };

/* Out of line: the cached lookup stays small. */
static __attribute__((noinline)) const char *const *
packed_values_lower(mime_message *msg, int id)
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
	lower = packed_alloc(msg, (n + 1) * sizeof(char *) + bytes +
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

static mime_fast_slot *packed_slot(mime_message *msg, int id)
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
packed_values_lower_slow(mime_message *msg, int id)
{
	const char *const *lower = packed_values_lower(msg, id);

	packed_slot(msg, id)->lower = lower;
	return lower;
}

const char *const *mime_message_get_header_values_lower_by_id(
	mime_message *msg, int id)
{
	if (G_LIKELY((guint)id < msg->n_fast && msg->fast[id].lower != NULL))
		return msg->fast[id].lower;
	return packed_values_lower_slow(msg, id);
}

static const mime_address addresses_none[] = { { NULL, NULL, NULL, NULL } };

/* The addresses as one array with their strings behind it (see
 * mime_fast_slot). */
static __attribute__((noinline)) const mime_address *
packed_addresses(mime_message *msg, int id)
{
	const GPtrArray *list = mime_message_get_addresses_by_id(msg, id);
	size_t bytes = 0;
	mime_address *packed;
	char *p;
	guint i;

	if (list->len == 0) {
		packed_slot(msg, id)->addresses = addresses_none;
		return addresses_none;
	}
	for (i = 0; i < list->len; i++) {
		const mime_address *a = g_ptr_array_index(list, i);

		bytes += strlen(a->name) + strlen(a->localpart) +
			 strlen(a->addr) + 3 +
			 (a->domain != NULL ? strlen(a->domain) + 1 : 0);
	}
	packed = packed_alloc(msg, (list->len + 1) * sizeof(*packed) + bytes);
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
	packed_slot(msg, id)->addresses = packed;
	return packed;
}

const mime_address *mime_message_get_address_array_by_id(mime_message *msg,
							  int id)
{
	if (G_LIKELY((guint)id < msg->n_fast &&
		     msg->fast[id].addresses != NULL))
		return msg->fast[id].addresses;
	return packed_addresses(msg, id);
}
