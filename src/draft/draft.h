#ifndef VEA_DRAFT_DRAFT_H
#define VEA_DRAFT_DRAFT_H

/* Reply drafts: the message a Sieve draft action (vnd.vea, ext-vea-draft.c)
 * asks for, composed as a careful mail client composes a reply
 * (OUTGOING.md 5.2-5.4), for vea to APPEND to the executive's Drafts. vea
 * never sends it: the executive reads, edits and sends it.
 *
 *  - From: the executive (client email and name);
 *  - To: the original's Reply-To, else its From (RFC 5322 3.6.2); for a
 *    message the executive wrote, the original To;
 *  - reply-all: Cc = the original To and Cc, without the executive's own
 *    addresses (email, aliases, own_addresses) and without duplicates
 *    (compared case-insensitively on the address) or addresses already in
 *    To; groups flattened, Bcc never;
 *  - the rule's :to/:cc and the template's To/Cc are added (each exactly
 *    one address);
 *  - Subject: the rule's :subject, else the template's, else "Re: " and
 *    the original subject (decoded from RFC 2047) with its own Re: taken
 *    off, so that there is one (RFC 5322 3.6.5);
 *  - In-Reply-To and References (RFC 5322 3.6.4), trimmed by the composer;
 *  - the body: the template, the signature unless the template places
 *    ${executive.signature}, then the original quoted ("> ") under an
 *    attribution line unless the template places ${quote} (5.4);
 *  - X-Vea-Draft: the draft's id, so that vea can find its drafts again
 *    (recovery, `vea drafts`) even when a client gives an edited draft a
 *    new Message-ID.
 *
 * Text from the message (names, subject, Sieve variables holding mail
 * text) is made one line of valid UTF-8 without control or bidi
 * override characters before it reaches a header or a line of the body
 * it could forge; the composer (mime/compose.h) then encodes and folds.
 * Only the quoted text keeps the original as it was (as text).
 *
 * Pure: no I/O, no clock (the caller gives now); thread-safe for
 * distinct messages. */

#include <glib.h>
#include "conf/conf.h"
#include "mime/message.h"
#include "sieve/sieve.h"

typedef struct draft_options {
	const conf_client *client;	 /* required: email, name, tz, aliases, signature */
	const conf_assistant *assistant; /* ${assistant.*}; NULL: empty */
	/* More addresses of the executive's (an account's user name when it
	 * is an address), NULL-terminated; NULL: none. */
	const char *const *own_addresses;
	gint64 now;	/* seconds since the epoch: the draft's Date */
	const char *id; /* X-Vea-Draft and part of the Message-ID; NULL: a new one */
	/* A body written elsewhere (a model's answer, ai.h) in place of the
	 * template's text: cleaned again here (valid UTF-8, no controls but
	 * newlines, no bidi controls, at most DRAFT_BODY_MAX bytes); the
	 * signature and the quoted original follow it as usual. Recipients,
	 * subject and threading never depend on it. NULL: the template. */
	const char *body;
	/* Who wrote body: X-Vea-Draft-Machine carries it (the model's name).
	 * NULL: no such header. */
	const char *machine;
} draft_options;

/* A body given in draft_options is cut at this many bytes. */
#define DRAFT_BODY_MAX (16 * 1024)

/* Quoting stops after this many lines of the original (5.4). */
#define DRAFT_QUOTE_MAX_LINES 200
/* Names and one-line values from mail are cut at this many characters. */
#define DRAFT_NAME_MAX 200

typedef struct draft_message {
	GBytes *bytes;	  /* the whole message, RFC 5322, CRLF line ends */
	char *message_id; /* without angle brackets */
	char *id;	  /* the X-Vea-Draft value */
	char *subject;	  /* as a mail client shows it (decoded) */
	char **to;	  /* addresses (local@domain), NULL-terminated, never NULL */
	char **cc;	  /* the same */
	/* Recipients of the original that could not be kept (not an address
	 * vea writes to, mime_address_is_sendable), for the log. Never NULL. */
	char **dropped;
	char *mailbox;	  /* the client's drafts mailbox, NULL: the \Drafts one */
} draft_message;

/* Compose the draft action (type SIEVE_ACTION_DRAFT) asks for, in reply to
 * msg. Returns 0 and *draft_r (free with draft_message_free), or -1 and
 * *error_r (new) saying what is wrong: the client has no email, a :to item
 * is not one address, the draft would have no recipient... */
int draft_compose(const sieve_action *action, mime_message *msg, const draft_options *opts,
		  draft_message **draft_r, char **error_r);
void draft_message_free(draft_message **draft);

/* The template's body for action, expanded for msg as draft_compose
 * would, without the signature and the quoted original: the
 * instructions given to a model (ai.h). New; NULL with *error_r. */
char *draft_instructions(const sieve_action *action, mime_message *msg, const draft_options *opts,
			 char **error_r);

/* The pieces, for tests and for `vea rules test`. */

/* TRUE when subject (decoded) already starts with a reply prefix: "Re:",
 * "RE:", "re :", "Re[2]:", "Re(2):", after leading white space (RFC 5256
 * 2.1's subj-refwd without "fw"/"fwd": a forward is answered with "Re: Fwd:"). */
gboolean draft_subject_is_reply(const char *subject);
/* The subject without its leading reply prefixes, one clean line. New. */
char *draft_subject_base(const char *subject);
/* "Re: " + draft_subject_base(subject). New. */
char *draft_reply_subject(const char *subject);
/* The first name in a display name: "Bob" of "Bob Smith" and of "Smith,
 * Bob"; without a name, the address's local part up to its first '.',
 * '_', '-' or '+', capitalised ("bob.smith@x" -> "Bob"). New. */
char *draft_first_name(const char *name, const char *address);
/* Untrusted text made one line: valid UTF-8, controls and runs of white
 * space one space, no bidi controls (UAX #9 embeddings, overrides,
 * isolates, marks), at most max characters ("…" after). New. */
char *draft_clean_line(const char *text, guint max);

static inline void draft_message_free_ptr(draft_message *draft)
{
	draft_message_free(&draft);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(draft_message, draft_message_free_ptr)

#endif
