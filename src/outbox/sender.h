#ifndef VEA_OUTBOX_SENDER_H
#define VEA_OUTBOX_SENDER_H

/* The sender: delivers what the outbox holds (store.h, "the outbox").
 *
 * Each round claims the messages that are due with a lease longer than
 * libcurl's whole time-out, sends each one's stored bytes, never
 * recomposed, through the submission server it names (the executive's
 * account, or [smtp]), and records the end of the attempt in the outbox
 * and on the journal row the message carries out:
 *   250                     sent; the action's result says so
 *   4xx, network, time-out  queued again after 1, 5, 30 min, then doubling
 *                           up to 4 h (RFC 5321 4.5.4.1), until it expires
 *   5xx                     failed; the action fails with the server's words
 *   configuration           held (credentials, TLS, URL): not retried until
 *                           vea outbox retry or a reload
 * A sender that dies after the server's 250 and before the row is marked
 * leaves a lease that runs out: the next round sends the same bytes with
 * the same Message-ID again. Delivery is at least once; the outbox counts
 * such resends (vea outbox shows them). */

#include <glib.h>
#include <stdint.h>
#include "conf/conf.h"
#include "store/store.h"

/* How long a claim lasts: longer than every SMTP time-out of one message
 * together (RFC 5321 4.5.3.2: up to 10 minutes for the end of data). */
#define OUTBOX_LEASE_SECONDS (20 * 60)

typedef struct outbox_round {
	guint sent, retried, failed, held;
	guint resent; /* sent again after a lease ran out */
} outbox_round;

/* One round at now: claim what is due and send it. 0, or -1 with
 * *error_r when the store could not be read or written (the messages
 * then wait for their lease). */
int outbox_send_due(const conf *config, store *st, int64_t now, outbox_round *round_r,
		    char **error_r);

/* The next retry after attempts attempts (1: the first retry). */
int64_t outbox_backoff_seconds(int attempts);

#endif
