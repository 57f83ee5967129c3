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
	/* This script or one it includes requires variables: strings are
	 * expanded at run time. */
	gboolean uses_variables;
	/* Variable names declared "global" (RFC 6609), lower case; NULL
	 * when none. */
	GHashTable *global_names;
};

/* TRUE when name (lower case) is declared global in script. */
gboolean sieve_script_is_global(const sieve_script *script, const char *name);

/* The scripts being compiled for one top-level compile (include): the
 * paths on the way down (a cycle is an error) and how many were compiled
 * (bounded, so includes cannot multiply without end). */
typedef struct sieve_include_ctx {
	GPtrArray *stack; /* const char * */
	guint n_compiled;
} sieve_include_ctx;

/* Compile an included script (include, RFC 6609): path is read, errors go
 * to errors. Returns the script or NULL. */
sieve_script *sieve_script_compile_included(const char *path,
					    const sieve_compile_options *opts,
					    sieve_include_ctx *ctx,
					    GPtrArray *errors);

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
