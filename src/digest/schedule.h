#ifndef VEA_DIGEST_SCHEDULE_H
#define VEA_DIGEST_SCHEDULE_H

/* When digests go out, and the record that makes it once per client per
 * local date (table digests, src/store/schema.c).
 *
 * A client's digest for local date D is due at D + digest_at in the
 * client's zone. A digest_at that falls in a spring-forward gap moves
 * forward with the clock (02:30 -> 03:30); one in a repeated
 * hour uses the first; both as RFC 5545 section 3.3.5 reads local
 * times). At each tick the latest due date is looked at:
 *
 *   no row yet, within [vea] digest_grace of due   -> send
 *   no row yet, later than that (vea was down)     -> row 'skipped'
 *   'pending' whose next attempt has come          -> send
 *   'sending' whose lease ran out (vea died)       -> send again
 *   'sent', 'skipped', 'failed', or lease held     -> nothing
 *
 * Claiming a row is one IMMEDIATE transaction, so two vea processes never
 * both send. A send keeps the Message-ID chosen when the row was made, so
 * a retry after a lost "250 OK" is recognisably the same message. Failed
 * sends are retried after 1, 2, 4, ... minutes (at most an hour apart), at
 * most DIGEST_MAX_ATTEMPTS times and never once the next day's digest is
 * due (which covers the same actions anyway); then the row is 'failed'. */

#include <glib.h>
#include "conf/conf.h"
#include "store/store.h"

#define DIGEST_MAX_ATTEMPTS 8
/* How long a claimed send may take before another process may assume the
 * sender died: longer than libcurl's whole-transfer timeout. */
#define DIGEST_LEASE_SECONDS 600

/* The latest local date whose digest is due at or before now, and when it
 * was due. */
void digest_due_date(const conf_client *client, GDateTime *now, GDate *date_r,
		     GDateTime **due_r);
/* When client's digest for date is due. */
GDateTime *digest_due_time(const conf_client *client, const GDate *date);

/* What one tick did for one client. */
typedef enum {
	DIGEST_OUTCOME_NOTHING, /* not due, already done, or held by another process */
	DIGEST_OUTCOME_SENT,
	DIGEST_OUTCOME_SKIPPED, /* too late (grace), or nothing to say */
	DIGEST_OUTCOME_RETRY,   /* failed; will be retried */
	DIGEST_OUTCOME_FAILED,  /* failed for good */
} digest_outcome;

/* Send client's digest if it is due at now (see above). *detail_r (may be
 * NULL) says what happened, for the log: the error of a failed send, why
 * a digest was skipped, where it went. Returns the outcome, or -1 with
 * *error_r when the database failed. */
int digest_tick_client(store *st, const conf *config, const conf_client *client,
		       GDateTime *now, digest_outcome *outcome_r, char **detail_r,
		       char **error_r);

/* Send client's digest now (`vea digest send`): it takes the place of
 * today's scheduled digest when that has not gone out yet, else it is an
 * extra one. Returns 0 with *detail_r, or -1 with *error_r. */
int digest_send_now(store *st, const conf *config, const conf_client *client,
		    GDateTime *now, char **detail_r, char **error_r);

/* The hook `vea run` calls after every pass: tick every client with
 * digest = true. Opens its own database connection; logs one line per
 * digest sent, skipped or failed. Never fails the caller. */
void digest_send_due(const conf *config);

#endif
