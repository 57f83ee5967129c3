#ifndef VEA_IMAP_PRIVATE_H
#define VEA_IMAP_PRIVATE_H

/* What the files of src/imap share and nothing outside it sees: the
 * session, the one way a failure is described, the state checks, flag
 * lists and fetch items.
 *
 * libetpan's traps (../shared/reference/LIBRARIES.md) shape this layer: its
 * streams wait with select() and verify no certificate, so every session
 * runs on vea's own stream (stream.c: poll(), TLS verified before LOGIN);
 * COMPRESS is never enabled; IDLE drops untagged data that comes before
 * the continuation. */

#include "imap/imap.h"

#include <libetpan/libetpan.h>
#include <stdint.h>

struct imap_session {
	mailimap *imap;
	char *host; /* as in the URL; for messages and the certificate check */
	uint16_t port;
	gboolean dead; /* the stream failed: no LOGOUT on free */
	imap_error_kind error_kind; /* of the last failure (error.c) */
	char delimiter;
	char *prefix;
	char *selected; /* server name of the selected mailbox, or NULL */
};

/* ---- error.c ------------------------------------------------------- */

/* Sets *error_r to "IMAP <command> failed on <host>: <why>" for libetpan's
 * result r and returns -1; marks the session dead when r says the
 * connection is gone. The command (fmt) names what was attempted, e.g.
 * "SELECT \"INBOX\"", and never holds a credential. */
int imap_fail(imap_session *session, int r, char **error_r, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);
/* Sets *error_r (printf-like) for a command vea refuses to send or the
 * server cannot do (no UIDPLUS, LOGINDISABLED...), marks the failure
 * IMAP_ERROR_REFUSED and returns -1. */
int imap_refuse(imap_session *session, char **error_r, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
/* Every command begins here: -1 with *error_r set once the session is
 * dead; else the last failure's kind is cleared. */
int imap_check_alive(imap_session *session, char **error_r);
/* imap_check_alive, and a mailbox must be selected for command. */
int imap_check_selected(imap_session *session, const char *command, char **error_r);

/* ---- flags.c ------------------------------------------------------- */

/* A libetpan flag list (to mailimap_flag_list_free), or NULL with *error_r
 * for a flag that is no atom (RFC 3501 9) or \Recent. */
struct mailimap_flag_list *imap_flag_list_new(const char *const *flags, char **error_r);
/* "(\\Seen $Label)", for messages (new). */
char *imap_flags_to_text(const char *const *flags);
/* A fetched flag as text (new), or NULL for one vea does not know. */
char *imap_flag_to_text(const struct mailimap_flag *flag);

/* ---- fetch.c ------------------------------------------------------- */

typedef struct imap_fetch_item {
	uint32_t uid;
	uint32_t size;
	gboolean has_body;
	const char *data;
	size_t len;
	GPtrArray *flags; /* char *, NULL-terminated once complete */
	uint64_t modseq;  /* MODSEQ (RFC 7162), 0 when not fetched */
	char *owned;      /* data, when copied out of the response */
} imap_fetch_item;

/* One FETCH response; data points into att. */
void imap_fetch_item_parse(struct mailimap_msg_att *att, imap_fetch_item *item);
/* By UID, for g_array_sort. */
int imap_fetch_item_compare(gconstpointer a, gconstpointer b);
/* Frees what the items own and empties the array. */
void imap_fetch_items_clear(GArray *items);
/* Hand fetched items (in UID order) to the callback, one by one, until
 * it fails. */
int imap_fetch_items_deliver(imap_session *session, GArray *items,
			     imap_fetch_callback *callback, void *context, char **error_r);

/* ---- fetch-pipelined.c --------------------------------------------- */

int imap_fetch_headers_pipelined(imap_session *session, const GArray *uids, guint batch_size,
				 imap_fetch_callback *callback, void *context, char **error_r);

/* ---- search.c ------------------------------------------------------ */

/* The UIDs >= first_uid in the selected mailbox, sorted (new GArray). */
int imap_search_from(imap_session *session, uint32_t first_uid, GArray **uids_r,
		     char **error_r);

#endif
