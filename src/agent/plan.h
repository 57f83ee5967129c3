#ifndef VEA_AGENT_PLAN_H
#define VEA_AGENT_PLAN_H

/* From what the rules decided about one message to the steps vea takes on
 * the server, each a journal row. vea works after delivery, over IMAP, so
 * Sieve's actions map onto mailbox operations:
 *  - the flags of keep/fileinto (RFC 5232) are added to the message first,
 *    so they travel with it when it moves;
 *  - when the message is kept, each fileinto is a COPY; otherwise every
 *    fileinto but the last is a COPY and the last a MOVE;
 *  - discard, with nowhere else to go, is a MOVE to the account's trash:
 *    vea never deletes mail;
 *  - redirect, vacation and notify are messages to send: planned here,
 *    decided and composed by agent/outgoing.c, sent by the outbox; a
 *    redirect without :copy cancels the keep but the message stays where
 *    it is (vea never deletes, and a sent copy is no reason to move it);
 *  - remind is journalled as done with a timer row (agent/timers.c);
 *    snooze is a MOVE to the account's snooze mailbox (its name is
 *    filled in by agent/timers.c), also with a timer row; it is the
 *    message's one move, so every fileinto beside it is a COPY;
 *  - draft is a message to APPEND to the executive's Drafts: composed by
 *    agent/drafts.c, recorded with its journal row, written after;
 *  - bill becomes a ledger entry. */

#include <glib.h>
#include "sieve/sieve.h"
#include "store/store.h"

typedef struct plan_step {
	/* The journal row to write (client/account/message fields are filled
	 * in by the caller); strings owned by the step. */
	store_action row;
	/* BILL */
	char *billing_account; /* NULL: the client's default */
	int64_t seconds;
	char *description;
	gboolean is_bill;
	/* The rule's action behind the step; borrowed, valid while the
	 * message is planned (agent_outgoing_prepare reads it). */
	const sieve_action *source;
	/* Kinds carried out by the outbox: the message to queue with the
	 * journal row (its action_id is filled in then), and for a vacation
	 * reply whom it answers under which handle, for how long. */
	store_outbox_message *outgoing;
	char *track_sender;
	char *track_handle;
	int64_t track_period;
	/* Kinds carried out by a timer (remind, snooze): the row to insert
	 * with the journal row (agent/timers.c fills it in; its action_id
	 * is set then). */
	store_timer *timer;
	/* DRAFT: the composed draft to record with the journal row
	 * (agent/drafts.c; its action_id is filled in then). */
	store_draft *draft;
	/* SCHEDULE: the decision to record with the journal row
	 * (agent/schedule.c). */
	store_schedule *schedule;
} plan_step;

void plan_step_free(plan_step *step);

/* How the names of mailboxes filed into are made fit for the server
 * (mailbox_name_clean): the journal, vea log and the server all see the
 * name actually used. */
typedef struct plan_names {
	char delimiter;      /* the server's; '\0' when it has none */
	const char *refused; /* further characters it refuses; may be NULL */
	char replacement;
} plan_names;

/* Steps for one message now in source_mailbox. trash is where discarded
 * mail goes; names NULL leaves names as the rules wrote them. Returns a
 * GPtrArray of plan_step * (free func set). */
GPtrArray *plan_message(const GPtrArray *actions, const char *source_mailbox,
			const char *trash, const plan_names *names);

/* "\\Flagged $Vip" from a NULL-terminated list; "" for none. */
char *plan_flags_to_string(const char *const *flags);

#endif
