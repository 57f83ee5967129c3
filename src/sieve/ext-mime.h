#ifndef VEA_SIEVE_EXT_MIME_H
#define VEA_SIEVE_EXT_MIME_H

/* What the mime extension (RFC 5703 section 4) adds to header, address
 * and exists, and what extracttext shares with set (RFC 5229 section
 * 4.1 modifiers). */

#include "sieve/registry.h"

/* :mime and its options on one test. */
typedef struct sieve_mime_opts {
	gboolean anychild;
	sieve_tag_id option; /* 0, or :type / :subtype / :contenttype / :param */
	char **params;       /* :param names */
} sieve_mime_opts;

/* The :mime options given to a test (NULL without :mime) into *opts_r;
 * -1 (reported) when they are misused. */
int sieve_mime_opts_validate(sieve_validator *v, const sieve_ast_node *node,
			     const sieve_args *args, sieve_mime_opts **opts_r);
void sieve_mime_opts_free(sieve_mime_opts *opts);

/* The :mime forms of header, address and exists. */
int sieve_mime_header_test(sieve_run *run, const sieve_ast_node *node,
			   const sieve_match_test_data *data,
			   gboolean *result_r);
int sieve_mime_address_test(sieve_run *run, const sieve_ast_node *node,
			    const sieve_match_test_data *data,
			    gboolean *result_r);
gboolean sieve_mime_exists(sieve_run *run, const sieve_mime_opts *opts,
			   char *const *names);

/* set modifiers (ext-variables.c), for extracttext too. */
typedef struct sieve_modifiers {
	sieve_tag_id mod_case;      /* 40: :lower / :upper, or 0 */
	sieve_tag_id mod_casefirst; /* 30: :lowerfirst / :upperfirst */
	sieve_tag_id mod_quote;     /* 20: :quotewildcard / :quoteregex /
				       :encodeurl */
	gboolean mod_length;        /* 10 */
} sieve_modifiers;

void sieve_modifiers_from_args(const sieve_args *args, sieve_modifiers *mods);
/* value with the modifiers applied, highest precedence first; a new
 * string. */
char *sieve_modifiers_apply(const sieve_modifiers *mods, const char *value);

extern const sieve_tag_def sieve_tag_lower, sieve_tag_upper,
	sieve_tag_lowerfirst, sieve_tag_upperfirst, sieve_tag_quotewildcard,
	sieve_tag_length;

#endif
