#ifndef VEA_SIEVE_VALIDATE_H
#define VEA_SIEVE_VALIDATE_H

/* Give meaning to a parsed script: look every command and test up in the
 * registry, check require (RFC 5228 section 3.2), check and sort out the
 * arguments, and let each command build its compiled data. All errors are
 * collected. */

#include "sieve/registry.h"
#include "sieve/sieve.h"

struct sieve_validator {
	const char *file;
	GPtrArray *errors;
	GPtrArray *capabilities; /* const char *, required so far */
	gboolean needs_body;
	gboolean uses_variables; /* this script or an included one */
	gboolean failed;
	/* variables: names set or declared (lower case), to bound them. */
	GHashTable *variables;
	/* include */
	const sieve_compile_options *opts;
	struct sieve_include_ctx *includes;
	GHashTable *global_names; /* char * -> NULL, or NULL */
	/* foreverypart nesting, for break :name and the mime tags. */
	GPtrArray *loops; /* const char *, loop names ("" unnamed) */
};

/* What validation found out about the whole script. */
typedef struct sieve_validate_result {
	gboolean needs_body;
	gboolean uses_variables;
	GHashTable *global_names; /* to the script, NULL when none */
} sieve_validate_result;

/* Returns 0, or -1 with errors appended. */
int sieve_validate(const char *file, GPtrArray *commands, GPtrArray *errors,
		   const sieve_compile_options *opts,
		   struct sieve_include_ctx *includes,
		   sieve_validate_result *result_r);

/* Check a key list for its match type: :regex keys that are constant are
 * compiled now (*regexes_r, parallel to the keys, NULL otherwise; free
 * with sieve_regexes_free). Returns 0 or -1 (reported). */
int sieve_validate_keys(sieve_validator *v, const sieve_match_spec *spec,
			const sieve_ast_arg *keys, void ***regexes_r);
void sieve_regexes_free(void **regexes);
/* A name a script may assign to (set, the variable forms of imap4flags):
 * an identifier, not a match variable (ext-variables.c). */
int sieve_validate_variable_name(sieve_validator *v, const sieve_ast_arg *arg,
				 const char *name);
/* A string whose value is known at compile time: no variable reference
 * (when variables is required). */
gboolean sieve_validator_is_constant(const sieve_validator *v,
				     const char *str);
/* Declare a variable name (set, or a variable-name argument); -1 when the
 * limit of SIEVE_MAX_VARIABLES is passed (reported at arg). */
int sieve_validator_declare_variable(sieve_validator *v,
				     const sieve_ast_arg *arg,
				     const char *name);

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
