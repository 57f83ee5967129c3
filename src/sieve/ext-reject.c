/* reject and ereject (RFC 5429) refuse a message during delivery. vea
 * runs after delivery, on mail already in the mailbox: there is nothing
 * left to refuse, so requiring them is a compile error that says so
 * rather than a script that silently does something else. */

#include "sieve/registry.h"

/* Known, so that their use adds no error of its own. */
static const sieve_command_def cmd_reject = {
	.name = "reject",
	.positional = "S",
};

static const sieve_command_def cmd_ereject = {
	.name = "ereject",
	.positional = "S",
};

static const sieve_command_def *const reject_commands[] = {
	&cmd_reject, NULL
};

static const sieve_command_def *const ereject_commands[] = {
	&cmd_ereject, NULL
};

#define REJECT_ERROR                                                      \
	"reject and ereject mean nothing after delivery: vea works on mail " \
	"already in the mailbox; use discard or fileinto"

const sieve_extension sieve_ext_reject = {
	.capability = "reject",
	.commands = reject_commands,
	.require_error = REJECT_ERROR,
};

const sieve_extension sieve_ext_ereject = {
	.capability = "ereject",
	.commands = ereject_commands,
	.require_error = REJECT_ERROR,
};
