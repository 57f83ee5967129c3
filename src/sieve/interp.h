#ifndef VEA_SIEVE_INTERP_H
#define VEA_SIEVE_INTERP_H

/* Executing a validated script: walk the tree, evaluate tests, collect
 * actions. All state of one execution lives in sieve_run, on the stack of
 * sieve_script_execute(). */

#include "sieve/registry.h"
#include "sieve/actions.h"

struct sieve_run {
	const sieve_script *script;
	mime_message *msg;
	const sieve_envelope *envelope; /* never NULL (fields may be) */
	sieve_result result;
	sieve_error *error;
};

/* Run a list of commands (a block or the whole script). */
sieve_exec_status sieve_run_commands(sieve_run *run, GPtrArray *commands);
/* Evaluate a test node. */
int sieve_run_test(sieve_run *run, const sieve_ast_node *test,
		   gboolean *result_r);
/* Set the run error at node; returns SIEVE_EXEC_FAILED. */
sieve_exec_status sieve_run_error(sieve_run *run, const sieve_ast_node *node,
				  const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* The message's values for an address part, fed to a match (shared by
 * address and envelope). Returns TRUE when decided. */
gboolean sieve_match_address(sieve_match *match, sieve_address_part part,
			     const char *localpart, const char *domain,
			     const char *all);

#endif
