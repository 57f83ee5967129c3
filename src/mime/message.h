#ifndef VEA_MIME_MESSAGE_H
#define VEA_MIME_MESSAGE_H

/* A parsed email message (RFC 5322 + MIME), built on GMime 3.
 *
 * GMime objects are not thread-safe: a mime_message belongs to one thread at
 * a time. g_mime_init() must have run once (mime_init()) before any thread
 * starts. */

#include <glib.h>
#include <stddef.h>

typedef struct mime_message mime_message;

/* Call once at program start, before threads. Idempotent. */
void mime_init(void);

/* Parse len bytes of a message (CRLF or LF line ends). The data is copied.
 * Returns NULL and sets error_r (free with g_free) when the data is not a
 * message at all; a merely malformed message still parses, as MUAs do
 * (lines of white space before the first field are skipped, as
 * Pigeonhole does). Costs time linear in len. Of a header longer than
 * MIME_MAX_HEADER bytes, the fields after the first MIME_MAX_HEADER
 * bytes are dropped (hostile mail; Postfix drops them past 100 KiB by
 * default, header_size_limit). Only the header is parsed here; the body
 * and the MIME parts are parsed the first time something asks for them. */
#define MIME_MAX_HEADER (1024 * 1024)
mime_message *mime_message_parse(const char *data, size_t len, char **error_r);
void mime_message_free(mime_message **msg);

/* Size of the message in octets as an IMAP server counts it
 * (RFC822.SIZE, CRLF line ends): what was given to mime_message_parse,
 * each bare LF counted as CRLF, so that a file read from disk has the
 * size the server would give it (Sieve size, RFC 5228 section 5.9). */
size_t mime_message_get_size(mime_message *msg);

/* The values of every header field called name (case-insensitive), in the
 * order they appear, unfolded and decoded from RFC 2047 to UTF-8. Returns a
 * NULL-terminated array owned by msg (valid until mime_message_free); an empty
 * array (never NULL) when there is no such field. */
const char *const *mime_message_get_header_values(mime_message *msg,
						   const char *name);

/* Like mime_message_get_header_values, but the raw value: unfolded, not
 * decoded. */
const char *const *mime_message_get_raw_header_values(mime_message *msg,
						       const char *name);

/* A field name interned for the process (case-insensitive): an id for
 * the _by_id lookups below, which are an array index instead of a hash.
 * Thread-safe; -1 when name cannot be interned (too long, or too many
 * names already), then use the lookups by name. */
int mime_header_id(const char *name);
const char *const *mime_message_get_header_values_by_id(mime_message *msg,
							 int id);
const char *const *mime_message_get_raw_header_values_by_id(mime_message *msg,
							     int id);
/* mime_message_get_header_values_by_id with ASCII letters lower-cased
 * (for i;ascii-casemap substring tests); cached like the others. Each
 * value may be read up to MIME_LOWER_PADDING bytes past its NUL (for
 * vector compares that look at 16 bytes at once). */
#define MIME_LOWER_PADDING 32
const char *const *mime_message_get_header_values_lower_by_id(
	mime_message *msg, int id);

/* One address from an address header, split as RFC 5228 section 2.7.4 needs:
 * localpart and domain (domain NULL when the address has none). All strings
 * are owned by the message. */
typedef struct mime_address {
	const char *name;      /* display name, decoded; may be "" */
	const char *localpart; /* before the last '@' */
	const char *domain;    /* after the last '@', or NULL */
	const char *addr;      /* localpart@domain, or localpart alone */
} mime_address;

/* Every mailbox in every field called name (groups flattened), in order.
 * Returns an array of mime_address * owned by msg; never NULL.
 *
 * Lenient, as Pigeonhole reads real mail: a local part with dots first,
 * last or doubled (b..sanders@enron.com) is read (localpart
 * "b..sanders"; addr, not being a dot-atom, quoted:
 * "b..sanders"@enron.com, RFC 5322 section 3.4.1), and a quoted local
 * part is unquoted ("john"@x is john@x). Not for addresses vea sends
 * to: those are checked strictly (sieve_address_normalize).
 *
 * Linear in the size of the fields; of a field longer than
 * MIME_MAX_ADDRESS_FIELD bytes only the addresses in its first
 * MIME_MAX_ADDRESS_FIELD bytes are read (some 10,000; Pigeonhole reads
 * the first 256 addresses of a field). */
#define MIME_MAX_ADDRESS_FIELD (256 * 1024)
const GPtrArray *mime_message_get_addresses(mime_message *msg, const char *name);

/* Like mime_message_get_addresses, by mime_header_id(). */
const GPtrArray *mime_message_get_addresses_by_id(mime_message *msg, int id);
/* Hint the processor to load what the lookups above have cached for msg
 * (a message evaluated long after it was parsed is out of cache). */
void mime_message_prefetch(const mime_message *msg);
/* The same addresses as one array ending with an entry whose addr is
 * NULL, packed with their strings so that the Sieve engine's address
 * test reads one stretch of memory; owned by msg. */
const mime_address *mime_message_get_address_array_by_id(mime_message *msg,
							  int id);

/* Convenience for logs and the digest: decoded Subject ("" if none), the
 * first From as "Name <addr>" or addr ("" if none), and Message-ID without
 * angle brackets (NULL if none). Owned by msg. */
const char *mime_message_get_subject(mime_message *msg);
const char *mime_message_get_from(mime_message *msg);
const char *mime_message_get_message_id(mime_message *msg);
/* The Message-ID without angle brackets when raw (one field's unfolded
 * value) is the plain "<dot-atom@dot-atom>" nearly every message has; a
 * new string, or NULL for anything else (which GMime then parses). */
char *mime_message_id_parse_plain(const char *raw);

/* The first text/plain part (or, when there is none, the text/html part
 * as text for people to read: html_text_from_html, HTML_TEXT_READABLE),
 * decoded to UTF-8; "" when there is none. Owned by msg. */
const char *mime_message_get_body_text(mime_message *msg);

/* The body as received (after the blank line ending the header), not
 * decoded; *len_r gets its length. Owned by msg. */
const char *mime_message_get_raw_body(mime_message *msg, size_t *len_r);

/* The MIME parts, depth first in the order they appear, the top-level
 * entity first (RFC 5703 section 3); a message/rfc822 part is followed
 * by the parts of the message it holds. Hostile mail is capped: at most
 * 1,024 parts, 32 deep, are listed, and the body is read up to its
 * 4,096th line starting with "--" (a boundary, RFC 2046 section 5.1.1),
 * so a message of a million parts costs no more than one of a few
 * thousand. */
typedef struct mime_part_info {
	int parent;          /* index of the enclosing part, -1 for the top */
	int depth;           /* 0 for the top */
	gboolean multipart;  /* multipart/ container */
	gboolean message;    /* message/rfc822 */
	const char *type;    /* lower case, "text" when not given */
	const char *subtype; /* lower case, "plain" when not given */
} mime_part_info;

unsigned int mime_message_get_part_count(mime_message *msg);
const mime_part_info *mime_message_get_part(mime_message *msg,
					    unsigned int index);
/* The part's header fields called name, decoded (part 0: the message's
 * header). Same contract as mime_message_get_header_values. */
const char *const *mime_message_get_part_header_values(mime_message *msg,
							unsigned int index,
							const char *name);
/* Parameter param of the part's Content-Type or Content-Disposition
 * (field "content-type" / "content-disposition"), NULL when absent. */
const char *mime_message_get_part_param(mime_message *msg, unsigned int index,
					const char *field, const char *param);
/* The part's content with the transfer encoding removed; text/ parts are
 * converted to UTF-8 from their charset. "" for containers. Owned by
 * msg. */
const char *mime_message_get_part_content(mime_message *msg,
					  unsigned int index);

/* FALSE when the message is a header alone, not followed by an empty
 * line (RFC 5173 section 5: then it has no body at all, not even an
 * empty one). */
gboolean mime_message_has_body(const mime_message *msg);
/* What RFC 5173 section 5.2 searches in a container part: the prologue
 * and the epilogue of a multipart (those present, each one string,
 * boundaries left out), or the header of the message a message/rfc822
 * part holds (one string, the fields raw: folded, not decoded). A new
 * NULL-terminated array to g_strfreev; empty for other parts. */
char **mime_message_dup_part_container_texts(mime_message *msg,
					     unsigned int index);

/* The mailboxes of one raw address field value (groups flattened), as
 * mime_message_get_addresses splits them; a new array of mime_address *
 * to g_ptr_array_unref. */
GPtrArray *mime_address_list_parse(const char *raw);
/* The part's header fields called name, raw (unfolded, not decoded); a
 * new NULL-terminated array to g_strfreev (part 0: the message's). */
char **mime_message_dup_part_raw_header_values(mime_message *msg,
					       unsigned int index,
					       const char *name);
/* Parameter param of a structured field value such as a Content-Type or
 * Content-Disposition ("type/subtype; param=value"), RFC 2231 decoded;
 * a new string or NULL when absent. */
char *mime_field_param(const char *value, const char *param);

#endif
