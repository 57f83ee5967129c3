#ifndef VEA_MIME_FAST_PARSE_H
#define VEA_MIME_FAST_PARSE_H

/* Hand-written readers that stand in for GMime on the plain forms nearly
 * all mail uses. STYLE.md says not to hand-write what GMime does; these
 * break that rule because they were measured: GMime parsing the whole
 * header for the Message-ID alone was half of a first run's CPU (commit
 * b9c1cf3: cold triage of 6,046 messages 1.85 s -> 1.4 s), and splitting
 * the header and the address lists here is most of what makes bench-sieve's
 * read + parse + evaluate several times Pigeonhole's rate.
 *
 * The contract that makes that safe: each reader answers only for input
 * it fully understands and declines (FALSE, NULL) anything else, which
 * then goes to GMime; on what a reader accepts, its answer is GMime's.
 * test-mime /mime/fast-vs-gmime holds each of them to that, on crafted
 * input and over every message in ../shared/corpus. Change them only with
 * that test passing and bench-sieve's numbers before and after.
 *
 * Internal to libveamime (and test-mime). */

#include "mime/message-private.h"

/* Split the header of len bytes (up to and with the empty line, or the
 * end) into index when it is made only of "Name: value" lines (names of
 * letters, digits, "-", "_" and "."), continuation lines and CRLF or LF
 * line ends. FALSE for anything else (an mbox From line, stray text, a
 * line of white space only, a NUL, a bare CR...), and for a header of no
 * field. Entries point into header; their header member is NULL.
 *
 * GMime moves the Content-* fields to the top-level part: an entry of
 * such a name has top_part set, so that lookups see what they saw in
 * GMime's header (the order within a name is kept). */
gboolean mime_fast_header_split(const char *header, size_t len,
				mime_header_index *index);

/* TRUE when len bytes of a raw value are ASCII without encoded words (no
 * "=?") and without NUL: RFC 2047 decoding would give back the value as
 * it is, unfolded and trimmed, so decoding is skipped. */
gboolean mime_fast_value_is_plain(const char *raw, size_t len);

/* Append to out the mailboxes of a raw address field value when it is a
 * plain list: "local@domain", "<local@domain>", "Name Name <local@domain>"
 * and "\"Name\" <local@domain>", comma-separated, with atom local parts
 * (dots anywhere, read leniently as mime_message_get_addresses says) and
 * plain ASCII domains; display names in ASCII or UTF-8, atoms with
 * encoded words decoded. FALSE, and out as it was, for anything else
 * (comments, groups, quoted pairs, IDN...). Linear in the length of raw:
 * every scan stops at the end of the address it reads. */
gboolean mime_fast_address_list_parse(const char *raw, GPtrArray *out);

/* mime_message_id_parse_plain, the plain Message-ID, is declared in
 * message.h (callers outside src/mime use it) and defined in
 * fast-parse.c. */

#endif
