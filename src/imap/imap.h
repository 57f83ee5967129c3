#ifndef VEA_IMAP_H
#define VEA_IMAP_H

/* One IMAP4rev1 session (RFC 3501) over libetpan, blocking, for one thread.
 *
 * Every function returns 0 on success and -1 on failure with *error_r set
 * to a newly allocated sentence that names what failed (the command and the
 * server's words), never a credential, and imap_session_error_kind() says
 * what it means (refused, temporary, or the session lost). After a network
 * failure the session is dead: free it and connect again. */

#include <glib.h>
#include <stdint.h>

typedef struct imap_session imap_session;

typedef enum {
	IMAP_TLS_REQUIRED, /* imaps:// implicit TLS, or imap:// + STARTTLS (required) */
	IMAP_TLS_NONE,     /* plaintext: only when the config says tls = none;
			    * imaps:// URLs still get TLS and verification */
} imap_tls_mode;

typedef struct imap_connect_params {
	const char *url;      /* imap://host[:port] or imaps://host[:port] */
	imap_tls_mode tls;
	const char *ca_file;  /* PEM CA bundle to trust instead of the system's; NULL: system */
	int timeout_secs;     /* network timeout; 0: 60 s */
} imap_connect_params;

/* Connect, and with TLS verify the certificate chain and host name with
 * GnuTLS before anything else is sent (libetpan checks nothing). */
int imap_session_connect(const imap_connect_params *params,
			 imap_session **session_r, char **error_r);
/* LOGIN (or AUTHENTICATE PLAIN). The password is not kept. */
int imap_session_login(imap_session *session, const char *user,
		       const char *password, char **error_r);
/* AUTHENTICATE XOAUTH2. */
int imap_session_login_xoauth2(imap_session *session, const char *user,
			       const char *token, char **error_r);
/* LOGOUT (best effort) and free. NULLs *session. */
void imap_session_free(imap_session **session);

gboolean imap_session_has_capability(imap_session *session, const char *name);

/* What a failure means for the caller: the one place where "retry, give
 * up or reconnect" is decided. */
typedef enum {
	IMAP_ERROR_NONE,
	/* NO or BAD to this command (or a command vea would not send, such as
	 * an invalid flag); the session is still usable. Retrying the same
	 * command will not help. */
	IMAP_ERROR_REFUSED,
	/* NO with an RFC 5530 code that says "not now": [UNAVAILABLE],
	 * [INUSE], [LIMIT], [SERVERBUG], [OVERQUOTA]. The session is usable;
	 * try the same command again later. */
	IMAP_ERROR_TEMPORARY,
	/* The connection failed, the server said BYE (RFC 3501 7.1.5), or
	 * the session fell out of step: every later command fails. Free it
	 * and reconnect. */
	IMAP_ERROR_SESSION_LOST,
} imap_error_kind;

/* The kind of the session's last failure; IMAP_ERROR_NONE when the last
 * command that failed did so without the server (the fetch callback's
 * own error) or nothing failed since the last command began. */
imap_error_kind imap_session_error_kind(imap_session *session);
/* imap_session_error_kind() != IMAP_ERROR_SESSION_LOST: FALSE once the
 * connection failed or fell out of step with the server (every later
 * command fails); a NO from the server leaves it usable. */
gboolean imap_session_usable(imap_session *session);

/* The hierarchy delimiter of the personal namespace ('.' for Dovecot
 * Maildir, '/' elsewhere) and its prefix ("" or e.g. "INBOX."). */
char imap_session_get_delimiter(imap_session *session);
const char *imap_session_get_prefix(imap_session *session);

typedef struct imap_mailbox_status {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint32_t exists;
	/* The server opened it read-only ([READ-ONLY], RFC 3501 7.1): no
	 * flag can be stored and nothing expunged there (Dovecot answers OK
	 * and does nothing). */
	gboolean read_only;
} imap_mailbox_status;

/* SELECT (read-write). name is the server's name (already translated). */
int imap_session_select(imap_session *session, const char *name,
			imap_mailbox_status *status_r, char **error_r);

/* EXAMINE: SELECT read-only (RFC 3501 section 6.3.2). Nothing done in the
 * mailbox can change it, and \Recent stays for the executive's client.
 * Only searches and fetches make sense after it. */
int imap_session_examine(imap_session *session, const char *name,
			 imap_mailbox_status *status_r, char **error_r);

/* Does the mailbox exist (LIST)? Returns 1 yes, 0 no, -1 error. */
int imap_session_mailbox_exists(imap_session *session, const char *name,
				char **error_r);
/* LIST "" "*": the server names of every selectable mailbox, as a new
 * set of strings (INBOX spelled "INBOX"). */
int imap_session_list_mailboxes(imap_session *session, GHashTable **names_r,
				char **error_r);
/* The server name of the mailbox LIST marks with a special-use attribute
 * (RFC 6154 2: "\\Drafts", "\\Sent", "\\Trash"...): 1 and *name_r
 * (new), 0 when no mailbox has it, -1 on error. */
int imap_session_find_special_use(imap_session *session, const char *attribute,
				  char **name_r, char **error_r);
/* CREATE; succeeds when it already exists. */
int imap_session_create(imap_session *session, const char *name,
			char **error_r);

/* A message fetched from the selected mailbox. */
typedef struct imap_fetched {
	uint32_t uid;
	char **flags;      /* NULL-terminated, e.g. "\\Seen" */
	const char *data;  /* the message (BODY.PEEK[] or BODY.PEEK[HEADER]) */
	size_t len;
	uint32_t size;     /* RFC822.SIZE: the full size even for headers only */
} imap_fetched;

/* Called once per message, in UID order; return 0 to go on, -1 to stop
 * (the fetch then fails with the callback's error). */
typedef int imap_fetch_callback(const imap_fetched *msg, void *context,
				char **error_r);

/* UID FETCH every message with UID >= first_uid in the selected mailbox,
 * in batches of at most batch_size UIDs (0: 500), with FLAGS, RFC822.SIZE
 * and BODY.PEEK[] (or BODY.PEEK[HEADER] when headers_only). Does not set
 * \Seen. */
int imap_session_fetch_from(imap_session *session, uint32_t first_uid,
			    gboolean headers_only, unsigned int batch_size,
			    imap_fetch_callback *callback, void *context,
			    char **error_r);

/* UIDs are given as a GArray of uint32_t; they become one UID set. */

/* UID FETCH exactly these UIDs of the selected mailbox (in UID order,
 * duplicates once; UIDs that no longer exist are skipped), with the same
 * items and \Seen-keeping PEEK as imap_session_fetch_from. */
int imap_session_fetch_uids(imap_session *session, const GArray *uids,
			    gboolean headers_only, imap_fetch_callback *callback,
			    void *context, char **error_r);

/* UID STORE +FLAGS.SILENT (adds flags, removes none). */
int imap_session_add_flags(imap_session *session, const GArray *uids,
			   const char *const *flags, char **error_r);
/* UID STORE -FLAGS.SILENT (for undo). */
int imap_session_remove_flags(imap_session *session, const GArray *uids,
			      const char *const *flags, char **error_r);
/* UID SEARCH HEADER Message-ID in the selected mailbox: the UIDs of the
 * messages with this Message-ID (given without angle brackets), sorted;
 * *uids_r is a new GArray of uint32_t. */
int imap_session_search_message_id(imap_session *session, const char *message_id,
				   GArray **uids_r, char **error_r);
/* UID SEARCH OR HEADER In-Reply-To "<id>" HEADER References "<id>" in
 * the selected mailbox: the replies in the thread of message_id (given
 * without angle brackets; RFC 5322 3.6.4), sorted, as a new GArray of
 * uint32_t. For reminders: a reply read first on a phone still counts. */
int imap_session_search_replies(imap_session *session, const char *message_id,
				GArray **uids_r, char **error_r);
/* UID SEARCH HEADER header value (RFC 3501 6.4.4: a substring match) in
 * the selected mailbox, sorted; *uids_r is a new GArray of uint32_t. */
int imap_session_search_header(imap_session *session, const char *header, const char *value,
			       GArray **uids_r, char **error_r);
/* UID SEARCH UNSEEN FLAGGED in the selected mailbox: the messages still
 * flagged that nobody has read, sorted; *uids_r is a new GArray of
 * uint32_t. */
int imap_session_search_unseen_flagged(imap_session *session, GArray **uids_r,
				       char **error_r);
/* The lowest UID of a message that arrived on or after the date (UID
 * SEARCH SINCE, RFC 3501 6.4.4), or 0 in *uid_r when there is none. */
int imap_session_first_uid_since(imap_session *session, int day, int month, int year,
				 uint32_t *uid_r, char **error_r);
/* UID COPY to mailbox. */
int imap_session_copy(imap_session *session, const GArray *uids,
		      const char *mailbox, char **error_r);
/* UID MOVE (RFC 6851) where the server has MOVE; else UID COPY, UID STORE
 * +FLAGS \Deleted and UID EXPUNGE (RFC 4315) of exactly these UIDs. A server
 * with neither MOVE nor UIDPLUS gets the copy and \Deleted only: vea never
 * expunges messages it did not name. UIDs that no longer exist are not an
 * error (the move is idempotent). */
int imap_session_move(imap_session *session, const GArray *uids,
		      const char *mailbox, char **error_r);
/* UID STORE +FLAGS.SILENT (\Deleted) and UID EXPUNGE (RFC 4315 section
 * 2.1) of exactly these UIDs, which must have been copied elsewhere
 * first; other \Deleted messages stay. Fails without UIDPLUS. */
int imap_session_expunge_uids(imap_session *session, const GArray *uids,
			      char **error_r);
/* CONDSTORE (RFC 7162), where the server has it (else *modseq_r is 0):
 * the highest MODSEQ of these messages now. */
int imap_session_max_modseq(imap_session *session, const GArray *uids,
			    uint64_t *modseq_r, char **error_r);
/* UID STORE (UNCHANGEDSINCE modseq) +FLAGS.SILENT (\Deleted): marks the
 * messages nobody changed since modseq; *changed_r (a new GArray of
 * uint32_t) gets those the server refused because they were changed
 * meanwhile (RFC 7162 3.1.3). */
int imap_session_delete_unchanged(imap_session *session, const GArray *uids,
				  uint64_t modseq, GArray **changed_r, char **error_r);
/* UID EXPUNGE (RFC 4315) of these UIDs, already marked \Deleted. */
int imap_session_expunge_deleted(imap_session *session, const GArray *uids,
				 char **error_r);

/* APPEND a message to mailbox with flags (e.g. "\\Draft"); the
 * mailbox's UIDVALIDITY and the new UID in *uidvalidity_r and *uid_r when
 * the server says (APPENDUID, RFC 4315 3), else 0. Either may be NULL. */
int imap_session_append(imap_session *session, const char *mailbox,
			const char *const *flags, const char *data, size_t len,
			uint32_t *uidvalidity_r, uint32_t *uid_r, char **error_r);

/* IDLE (RFC 2177) in the selected mailbox for at most timeout_secs (<= 0
 * or above 25 minutes: 25 minutes, so IDLE is re-issued before the 29
 * minutes of RFC 2177 section 3). *changed_r is TRUE when the server sent
 * anything (new mail, expunges, flag changes). Fails when the server lacks
 * IDLE: poll with imap_session_fetch_from() instead.
 *
 * libetpan 1.9.4 discards untagged responses that arrive before the
 * server's "+" continuation, so a message delivered in that instant is
 * only noticed at the next wake-up: fetch from the last UID after every
 * return, changed or not. */
int imap_session_idle_wait(imap_session *session, int timeout_secs,
			   gboolean *changed_r, char **error_r);
/* The only call allowed from another thread: ends a running
 * imap_session_idle_wait() early (*changed_r FALSE). A call made before
 * the wait has begun is remembered: that wait then returns at once. */
void imap_session_idle_interrupt(imap_session *session);

#endif
