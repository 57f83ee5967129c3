#ifndef VEA_AGENT_RULES_H
#define VEA_AGENT_RULES_H

/* A client's rule files, compiled together: all of them compile, or the
 * client's rules are not used at all (vea never half-applies a rule set). */

#include <glib.h>
#include "conf/conf.h"
#include "sieve/sieve.h"

typedef struct rules_set {
	GPtrArray *scripts; /* sieve_script *, in the order of the config */
	gboolean needs_body;
} rules_set;

/* Compile every rule file of client. Returns 0 and *set_r, or -1 and
 * appends one "file:line:col: message" string per error to errors (all of
 * them, from every file). */
int rules_set_compile(const conf *config, const conf_client *client, rules_set **set_r,
		      GPtrArray *errors);
void rules_set_free(rules_set **set);

/* Run every script on msg, in order, and merge what they decide into one
 * action list (GPtrArray of sieve_action *, owned by the caller): the
 * explicit actions of each script in order, then one implicit keep when no
 * script cancelled it. A script that fails at run time contributes a keep
 * (RFC 5228 section 2.10.6) and its error goes to *errors_r (GPtrArray of
 * "file:line:col: message", or NULL when none). */
GPtrArray *rules_set_evaluate(const rules_set *set, mime_message *msg,
			      const sieve_execute_options *options, GPtrArray **errors_r);

#endif
