#ifndef VEA_SIEVE_H
#define VEA_SIEVE_H

/* vea's Sieve engine (RFC 5228 and extensions, plus vea's own vnd.vea).
 *
 * Compile a script once, execute it against many messages; each execution
 * yields an action list. The engine never prints and never touches a
 * mailbox: carrying the actions out is the agent's job.
 *
 * A compiled script is immutable and may be shared by threads; each
 * execution keeps its state on its own. */

#include <glib.h>
#include "mime/message.h"

typedef struct sieve_script sieve_script;

/* A compile or run-time error, located in its script. */
typedef struct sieve_error {
	char *file;   /* script path as given to the compiler */
	int line;     /* 1-based */
	int column;   /* 1-based, in bytes */
	char *message;
} sieve_error;

/* "file:line:col: message", newly allocated. */
char *sieve_error_format(const sieve_error *error);
void sieve_error_free(sieve_error *error);

/* Compile the script in path. On success returns 0 and sets *script_r.
 * On failure returns -1 and sets *errors_r to a GPtrArray of sieve_error *
 * (free function set; every error found, not just the first) and *script_r
 * to NULL. Either way *errors_r may be NULL or hold nothing on success. */
int sieve_script_compile_file(const char *path, sieve_script **script_r,
			      GPtrArray **errors_r);
/* The same from memory; name is used in errors (e.g. the file name). */
int sieve_script_compile_string(const char *name, const char *text,
				size_t len, sieve_script **script_r,
				GPtrArray **errors_r);
void sieve_script_free(sieve_script **script);

/* TRUE when some test of the script reads the message body (body, size
 * needs only the size): the agent can then fetch headers only. */
gboolean sieve_script_needs_body(const sieve_script *script);

typedef enum {
	SIEVE_ACTION_KEEP,     /* keep in the mailbox it is in */
	SIEVE_ACTION_FILEINTO, /* file into mailbox */
	SIEVE_ACTION_DISCARD,  /* vea moves to Trash; never deletes */
	SIEVE_ACTION_REDIRECT,
	SIEVE_ACTION_BILL,     /* vnd.vea: ledger entry */
} sieve_action_type;

typedef struct sieve_action {
	sieve_action_type type;
	/* Where the command is: file and 1-based line (for the audit log).
	 * The implicit keep has no command: its line is that of the
	 * setflag/addflag/removeflag that last changed its flags, or 0. */
	const char *rule_file; /* owned by the script */
	int rule_line;
	gboolean implicit;     /* the implicit keep (RFC 5228 section 2.10.2) */
	gboolean copy;         /* :copy (RFC 3894) */
	gboolean create;       /* :create (RFC 5490) */
	char *mailbox;         /* FILEINTO: UTF-8, '/' as hierarchy separator */
	char *address;         /* REDIRECT */
	char **flags;          /* KEEP/FILEINTO: NULL-terminated IMAP flags
				  (RFC 5232), NULL when none */
	char *account;         /* BILL: :account, NULL for the client's default */
	int minutes;           /* BILL */
	char *description;     /* BILL */
} sieve_action;

void sieve_action_free(sieve_action *action);

/* The envelope, when known (NULL fields when not; an IMAP agent after
 * delivery usually knows neither). */
typedef struct sieve_envelope {
	const char *from;
	const char *to;
} sieve_envelope;

/* Execute the script against msg. On success returns 0 and sets *actions_r
 * to a GPtrArray of sieve_action * (free function set) in the order the
 * script produced them, with the implicit keep last when it applies.
 * Duplicate fileinto/keep to the same mailbox are merged (RFC 5228 section
 * 2.10.3). On a run-time error returns -1, sets *error_r, and the message
 * is to be kept (RFC 5228 section 2.10.6). */
int sieve_script_execute(const sieve_script *script, mime_message *msg,
			 const sieve_envelope *envelope,
			 GPtrArray **actions_r, sieve_error **error_r);

#endif
