#ifndef VEA_SIEVE_MATCH_H
#define VEA_SIEVE_MATCH_H

/* Comparators (RFC 4790, RFC 5228 section 2.7.3), match types (section
 * 2.7.1, RFC 5231 relational) and address parts (section 2.7.4).
 *
 * Matching never allocates: a test feeds each value of the message to
 * sieve_match_value() and stops as soon as it returns TRUE. */

#include <glib.h>

typedef enum {
	SIEVE_COMPARATOR_ASCII_CASEMAP, /* the default */
	SIEVE_COMPARATOR_OCTET,
	SIEVE_COMPARATOR_ASCII_NUMERIC, /* RFC 4790 section 9.1 */
} sieve_comparator;

typedef enum {
	SIEVE_MATCH_IS, /* the default */
	SIEVE_MATCH_CONTAINS,
	SIEVE_MATCH_MATCHES,
	SIEVE_MATCH_COUNT, /* RFC 5231 */
	SIEVE_MATCH_VALUE,
} sieve_match_type;

typedef enum {
	SIEVE_RELATION_GT,
	SIEVE_RELATION_GE,
	SIEVE_RELATION_LT,
	SIEVE_RELATION_LE,
	SIEVE_RELATION_EQ,
	SIEVE_RELATION_NE,
} sieve_relation;

typedef enum {
	SIEVE_ADDRESS_PART_ALL, /* the default */
	SIEVE_ADDRESS_PART_LOCALPART,
	SIEVE_ADDRESS_PART_DOMAIN,
} sieve_address_part;

typedef struct sieve_match_spec {
	sieve_comparator comparator;
	sieve_match_type type;
	sieve_relation relation; /* COUNT and VALUE */
	sieve_address_part address_part;
} sieve_match_spec;

/* Look names up; FALSE when unknown. The capability a comparator needs is
 * returned in capability_r (NULL when always available). */
gboolean sieve_comparator_lookup(const char *name, sieve_comparator *cmp_r,
				 const char **capability_r);
const char *sieve_comparator_name(sieve_comparator cmp);
gboolean sieve_relation_lookup(const char *name, sieve_relation *rel_r);

/* Whether the comparator can do the match type (RFC 4790: i;ascii-numeric
 * has no substring operation). */
gboolean sieve_comparator_supports(sieve_comparator cmp,
				   sieve_match_type type);

/* One match of a key list against any number of values. */
typedef struct sieve_match {
	const sieve_match_spec *spec;
	char *const *keys; /* NULL-terminated */
	guint count;
} sieve_match;

void sieve_match_init(sieve_match *match, const sieve_match_spec *spec,
		      char *const *keys);
/* TRUE when the test is decided true by this value (not for :count, which
 * needs all values first). */
gboolean sieve_match_value(sieve_match *match, const char *value);
/* The final result when no sieve_match_value() returned TRUE. */
gboolean sieve_match_finish(sieve_match *match);

/* Exposed for the tests. */
gboolean sieve_match_glob(const char *pattern, const char *value,
			  gboolean casemap);

#endif
