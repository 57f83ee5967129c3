#ifndef VEA_SIEVE_PRIVATE_H
#define VEA_SIEVE_PRIVATE_H

/* Internals shared by the files of the Sieve engine; not for other modules. */

#include "sieve/sieve.h"

/* Limits against hostile scripts: a violated limit is a compile (or run)
 * error, never a crash or unbounded work. */
#define SIEVE_MAX_SCRIPT_SIZE (1024 * 1024)
/* Blocks and tests together; the parser, validator and interpreter recurse
 * at most this deep. */
#define SIEVE_MAX_NESTING 32
#define SIEVE_MAX_STRING_LEN (64 * 1024)
#define SIEVE_MAX_LIST_ITEMS 1024
#define SIEVE_MAX_ARGS 32
/* More errors than this are not worth reading; stop collecting. */
#define SIEVE_MAX_ERRORS 50
/* Run time: like Pigeonhole's defaults (max_actions 32, max_redirects 4). */
#define SIEVE_MAX_ACTIONS 32
#define SIEVE_MAX_REDIRECTS 4

struct sieve_script {
	char *file;
	GPtrArray *commands; /* sieve_ast_node *, validated */
	gboolean needs_body;
};

sieve_error *sieve_error_new(const char *file, int line, int column,
			     const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* Append an error unless SIEVE_MAX_ERRORS are already there. */
void sieve_errors_add(GPtrArray *errors, const char *file, int line,
		      int column, const char *fmt, ...) G_GNUC_PRINTF(5, 6);
void sieve_errors_addv(GPtrArray *errors, const char *file, int line,
		       int column, const char *fmt, va_list args)
	G_GNUC_PRINTF(5, 0);
gboolean sieve_errors_full(const GPtrArray *errors);

#endif
