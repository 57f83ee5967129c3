/* Address lists as rules read them (RFC 5228 section 2.7.4): every
 * mailbox of a field, groups flattened, read leniently as Pigeonhole
 * reads real mail; the plain lists by fast-parse.c, the rest by GMime. */
#include "mime/message-private.h"
#include "mime/fast-parse.h"

void mime_address_free(gpointer data)
{
	mime_address *address = data;

	g_free((char *)address->name);
	g_free((char *)address->localpart);
	g_free((char *)address->domain);
	g_free((char *)address->addr);
	g_free(address);
}

gboolean mime_address_local_is_dot_atom(const char *local, size_t len)
{
	size_t i;

	if (len == 0 || local[0] == '.' || local[len - 1] == '.')
		return FALSE;
	for (i = 0; i < len; i++) {
		if (local[i] == '.' ? local[i - 1] == '.' :
				      !mime_address_is_atext(local[i]) &&
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

char *mime_address_format(const char *local, const char *domain)
{
	GString *out;
	const char *p;

	if (mime_address_local_is_dot_atom(local, strlen(local)))
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
				address->addr = mime_address_format(
					address->localpart, address->domain);
			} else {
				address->localpart = g_strdup(addr);
				address->addr = g_strdup(addr);
			}
			g_ptr_array_add(out, address);
		}
	}
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
		if (!mime_address_is_atext(*p) && *p != '.' && (guchar)*p < 0x80) {
			p++;
			continue;
		}
		for (q = p; mime_address_is_atext(*q) || *q == '.' ||
			    (guchar)*q >= 0x80;
		     q++)
			;
		if (*q == '@' && !mime_address_local_is_dot_atom(p, q - p)) {
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

void mime_address_list_parse_gmime(const char *raw, GPtrArray *addresses)
{
	g_autofree char *quoted = address_list_quote_dots(raw);
	InternetAddressList *list;

	list = internet_address_list_parse(NULL, quoted != NULL ? quoted : raw);
	if (list != NULL) {
		address_list_flatten(list, addresses);
		g_object_unref(list);
	}
}

/* The mailboxes of one field value: the plain reader, else GMime. This
 * is the lenient reading; addresses vea sends to are checked strictly
 * elsewhere (mime_address_is_sendable, sieve_address_normalize). */
static void address_list_collect(const char *raw, GPtrArray *addresses)
{
	g_autofree char *cut = NULL;
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
	if (mime_fast_address_list_parse(raw, addresses))
		return;
	mime_address_list_parse_gmime(raw, addresses);
}

GPtrArray *mime_address_lists_collect(const char *const *raw)
{
	GPtrArray *addresses = g_ptr_array_new_with_free_func(mime_address_free);

	for (; *raw != NULL; raw++)
		address_list_collect(*raw, addresses);
	return addresses;
}

GPtrArray *mime_address_list_parse(const char *raw)
{
	GPtrArray *addresses = g_ptr_array_new_with_free_func(mime_address_free);

	address_list_collect(raw, addresses);
	return addresses;
}

const GPtrArray *mime_message_get_addresses_by_id(mime_message *msg, int id)
{
	mime_header_slot *slot = mime_header_slot_get(msg, id);

	if (slot->addresses == NULL) {
		GPtrArray *addresses = mime_address_lists_collect(
			mime_message_get_raw_header_values_by_id(msg, id));

		/* That may have moved the slots. */
		slot = mime_header_slot_get(msg, id);
		slot->addresses = addresses;
	}
	return slot->addresses;
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
			g_str_hash, g_str_equal, g_free, mime_ptr_array_unref);
	key = g_ascii_strdown(name, -1);
	addresses = g_hash_table_lookup(msg->addresses, key);
	if (addresses != NULL) {
		g_free(key);
		return addresses;
	}
	addresses = mime_address_lists_collect(
		mime_message_get_raw_header_values(msg, key));
	g_hash_table_insert(msg->addresses, key, addresses);
	return addresses;
}
