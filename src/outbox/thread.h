#ifndef VEA_OUTBOX_THREAD_H
#define VEA_OUTBOX_THREAD_H

/* The sender thread of `vea run`: one per process, beside the accounts'
 * threads. It sends what is due (sender.h), then sleeps until the next
 * message is due, at most OUTBOX_THREAD_TICK seconds, or until an account
 * queues a message (outbox_thread_wake). A thread rather than a process:
 * it shares the config and needs nothing the accounts do not have; one
 * slow submission server delays only the outbox, never triage, and two
 * vea processes on one database never send one message twice, because a
 * message is claimed with a lease in the database (store_outbox_claim). */

#include "conf/conf.h"

#define OUTBOX_THREAD_TICK 30

/* Start the thread for config (borrowed until outbox_thread_stop). */
void outbox_thread_start(const conf *config);
/* Something was queued: look now. Safe from any thread, started or not. */
void outbox_thread_wake(void);
/* Finish the message in hand and stop. */
void outbox_thread_stop(void);

#endif
