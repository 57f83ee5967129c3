#ifndef VEA_AGENT_UNDO_H
#define VEA_AGENT_UNDO_H

/* vea undo: reverse one journalled action on the server.
 *  - a filing or discard (a MOVE) moves the message back where it was;
 *  - a copy is moved to the account's trash (vea never deletes);
 *  - added flags are removed.
 * The message is found again by its Message-ID (UIDs change when a message
 * moves). The undo is journalled, the original action is marked undone,
 * and the agent will not triage the returned message again. Billing is
 * not touched: correct it with `vea bill adjust`. */

#include <glib.h>
#include "conf/conf.h"

/* Returns 0 and a sentence for the user in *done_r, or -1 and *error_r. */
int agent_undo_action(const conf *config, int64_t action_id, char **done_r,
		      char **error_r);

#endif
