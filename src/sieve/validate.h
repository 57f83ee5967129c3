#ifndef VEA_SIEVE_VALIDATE_H
#define VEA_SIEVE_VALIDATE_H

/* Give meaning to a parsed script: look every command and test up in the
 * registry, check require (RFC 5228 section 3.2), check and sort out the
 * arguments, and let each command build its compiled data. All errors are
 * collected. */

#include "sieve/registry.h"

struct sieve_validator {
	const char *file;
	GPtrArray *errors;
	GPtrArray *capabilities; /* const char *, required so far */
	gboolean needs_body;
	gboolean failed;
};

/* Returns 0, or -1 with errors appended. */
int sieve_validate(const char *file, GPtrArray *commands, GPtrArray *errors,
		   gboolean *needs_body_r);

void sieve_validator_error(sieve_validator *v, int line, int column,
			   const char *fmt, ...) G_GNUC_PRINTF(4, 5);
gboolean sieve_validator_has_capability(const sieve_validator *v,
					const char *capability);
/* Check that capability was required; report at line:column using what
 * (e.g. "'fileinto'" or "':copy'") when not. */
gboolean sieve_validator_check_capability(sieve_validator *v,
					  const char *capability,
					  const char *what, int line,
					  int column);

#endif
