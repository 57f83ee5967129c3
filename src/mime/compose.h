#ifndef VEA_MIME_COMPOSE_H
#define VEA_MIME_COMPOSE_H

/* Composing the messages vea sends or writes: the digest today; auto-
 * replies, notifications, reply drafts and iMIP replies next. One place
 * knows how a message is put together safely (RFC 5322, RFC 2045-2049,
 * RFC 2047), so that text taken from mail (a sender's display name, a
 * subject, a Message-ID) can never add a header or end one early:
 *
 *  - addresses are checked before they are used (mime_address_is_sendable)
 *    and display names lose their control characters, then GMime quotes or
 *    encodes them (RFC 5322 3.2.5, RFC 2047);
 *  - the subject and any extra field values lose CR, LF and other control
 *    characters, and are encoded and folded by GMime (RFC 5322 2.2.3);
 *  - Message-IDs (own, In-Reply-To, References) must be msg-id text
 *    (RFC 5322 3.6.4) or are refused;
 *  - bodies are UTF-8, quoted-printable or base64 as their content needs,
 *    lines end in CRLF.
 *
 * A composer is filled in any order, then written once with
 * mime_compose_to_bytes. Setters that can refuse their input return -1
 * and say why in *error_r (newly allocated), naming the field. */

#include <glib.h>

typedef struct mime_compose mime_compose;

mime_compose *mime_compose_new(void);
void mime_compose_free(mime_compose **composep);

/* An address vea may put in From/To/Cc or give to an SMTP server
 * (RFC 5321 4.1.2 Mailbox, RFC 6531 for UTF-8): local@domain, at most 254
 * octets, no space, control character or any of <>()[],;:"\ , not empty on
 * either side of the last '@', a domain of non-empty labels. Stricter than
 * what vea reads from incoming mail, on purpose: mail vea sends must not
 * go to an address a lenient parser made up. */
gboolean mime_address_is_sendable(const char *address);

/* msg-id text without its angle brackets (RFC 5322 3.6.4): id-left "@"
 * id-right of printable ASCII, no space, '<', '>', '"', '\' or a second
 * '@' in the domain; at most 995 octets (the line limit of 2.1.1). */
gboolean mime_message_id_is_valid(const char *message_id);

/* A new, unique Message-ID (without brackets): "TAG.UUID@DOMAIN", with
 * the tag and domain reduced to dot-atom text. domain NULL or unusable:
 * "vea.invalid" (RFC 2606). */
char *mime_message_id_new(const char *domain, const char *tag);

/* From, Reply-To, To and Cc. name may be NULL or any UTF-8; addr must be
 * mime_address_is_sendable. From and Reply-To hold one mailbox (a second
 * call replaces it); To and Cc add. */
int mime_compose_set_from(mime_compose *compose, const char *name, const char *addr,
			  char **error_r);
int mime_compose_set_reply_to(mime_compose *compose, const char *name, const char *addr,
			      char **error_r);
/* Sender (RFC 5322 3.6.2): who sent the message when it is not the
 * author in From (an assistant sending for the executive). */
int mime_compose_set_sender(mime_compose *compose, const char *name, const char *addr,
			    char **error_r);
int mime_compose_add_to(mime_compose *compose, const char *name, const char *addr,
			char **error_r);
int mime_compose_add_cc(mime_compose *compose, const char *name, const char *addr,
			char **error_r);

/* Any UTF-8; control characters become spaces. Over MIME_COMPOSE_SUBJECT_MAX
 * characters it is cut there (with "..."): the rest would only be folded
 * onto line after line of encoded words. */
#define MIME_COMPOSE_SUBJECT_MAX 998
void mime_compose_set_subject(mime_compose *compose, const char *subject);
void mime_compose_set_date(mime_compose *compose, GDateTime *date);
int mime_compose_set_message_id(mime_compose *compose, const char *message_id, char **error_r);

/* Threading (RFC 5322 3.6.4): the parent's Message-ID, and the chain of
 * References (oldest first). A chain longer than MIME_COMPOSE_REFERENCES_MAX
 * keeps its first id and the most recent ones, as mail clients do, so a
 * thread of hundreds of replies does not make a header of kilobytes. */
#define MIME_COMPOSE_REFERENCES_MAX 20
int mime_compose_set_in_reply_to(mime_compose *compose, const char *message_id, char **error_r);
int mime_compose_set_references(mime_compose *compose, const char *const *message_ids,
				char **error_r);

/* Auto-Submitted (RFC 3834 5): "auto-generated" (the digest, notices) or
 * "auto-replied" (vacation). */
void mime_compose_set_auto_submitted(mime_compose *compose, const char *value);

/* Another field (Precedence, List-Unsubscribe, X-...). The name must be
 * RFC 5322 3.6.8 ftext and not one the composer writes itself (From, To,
 * Cc, Reply-To, Subject, Date, Message-ID, In-Reply-To, References,
 * Auto-Submitted, MIME-Version, Content-*); control characters in the
 * value become spaces. */
int mime_compose_set_header(mime_compose *compose, const char *name, const char *value,
			    char **error_r);

/* The body. Text alone is text/plain; with HTML, a calendar or both,
 * multipart/alternative in the order text, HTML, calendar (RFC 2046 5.1.4:
 * the richest last; RFC 6047 2.4 for iMIP). method is the iTIP method of
 * the calendar (RFC 5546: "REPLY", "REQUEST"...), put in the part's
 * Content-Type as RFC 6047 2.4 asks. */
void mime_compose_set_text(mime_compose *compose, const char *text);
void mime_compose_set_html(mime_compose *compose, const char *html);
void mime_compose_set_calendar(mime_compose *compose, const char *ics, const char *method);

/* The whole message, CRLF line ends. Needs a From and a text body; a
 * message with no recipient is allowed (a draft the executive addresses).
 * Without a Date, the time now; without a Message-ID, one is made from the
 * From domain. Returns NULL with *error_r. */
GBytes *mime_compose_to_bytes(mime_compose *compose, char **error_r);

/* The Message-ID the message has or will have (set, or made by
 * mime_compose_to_bytes); NULL before either. Owned by the composer. */
const char *mime_compose_get_message_id(const mime_compose *compose);

static inline void mime_compose_free_ptr(mime_compose *compose)
{
	mime_compose_free(&compose);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mime_compose, mime_compose_free_ptr)

#endif
