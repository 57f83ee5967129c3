#ifndef VEA_SIEVE_MATCH_H
#define VEA_SIEVE_MATCH_H

/* Comparators (RFC 4790, RFC 5228 section 2.7.3), match types (section
 * 2.7.1, RFC 5231 relational) and address parts (section 2.7.4).
 *
 * A test feeds each value of the message to sieve_match_value() and stops
 * as soon as it returns TRUE. Matching allocates only to keep match
 * variables (when the script uses variables) and to compile a :regex key
 * that was not known at compile time. */

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
	SIEVE_MATCH_REGEX, /* draft-ietf-sieve-regex, POSIX extended */
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
	SIEVE_ADDRESS_PART_USER,   /* RFC 5233 */
	SIEVE_ADDRESS_PART_DETAIL,
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

/* Match variables: RFC 5229 section 3.2 asks for ${0} to ${9} at least;
 * like Pigeonhole, vea keeps more (a "?" each in a long pattern). */
#define SIEVE_MAX_MATCH_VALUES 32
/* Regex keys longer than this are refused: a pattern is a program. */
#define SIEVE_MAX_REGEX_LEN 1024

/* Compile a :regex key (REG_EXTENDED, REG_ICASE for i;ascii-casemap).
 * Back-references (a GNU extension to extended syntax that makes matching
 * exponential) are refused. Returns NULL and sets *error_r (to free) when
 * the key is no valid pattern. */
void *sieve_regex_compile(const char *key, sieve_comparator cmp,
			  char **error_r);
void sieve_regex_free(void *regex);

/* One match of a key list against any number of values. */
typedef struct sieve_match {
	const sieve_match_spec *spec;
	char *const *keys; /* NULL-terminated */
	/* :regex: compiled keys parallel to keys (from
	 * sieve_regex_compile), or NULL to compile them here. */
	void *const *regexes;
	guint count;
	/* When not NULL, a successful :matches or :regex stores its match
	 * values here (char *, ${0} first). */
	GPtrArray *values;
	/* A key failed to compile as a regex (run-time expanded key). */
	char *error;
} sieve_match;

void sieve_match_init(sieve_match *match, const sieve_match_spec *spec,
		      char *const *keys);
void sieve_match_deinit(sieve_match *match);
/* TRUE when the test is decided true by this value (not for :count, which
 * needs all values first). */
gboolean sieve_match_value(sieve_match *match, const char *value);
/* The final result when no sieve_match_value() returned TRUE. */
gboolean sieve_match_finish(sieve_match *match);

/* Exposed for the tests. */
gboolean sieve_match_glob(const char *pattern, const char *value,
			  gboolean casemap);
/* The same recording what each wildcard matched: caps[2k], caps[2k+1]
 * are the start and end in value of wildcard k (k < max_caps / 2);
 * *n_wild_r is the number of wildcards. Leftmost wildcards match as little
 * as possible (RFC 5229 section 3.2 example "[*] *"). */
gboolean sieve_match_glob_capture(const char *pattern, const char *value,
				  gboolean casemap, const char **caps,
				  guint max_caps, guint *n_wild_r);

/* i;ascii-casemap :contains over a value of vlen bytes (the key need
 * not be NUL-terminated; klen > 0). */
gboolean sieve_contains_casemap(const char *value, size_t vlen,
				const char *key, size_t klen);
/* strstr(value, key) != NULL for a key of klen (>= 1) bytes without NUL,
 * where value may be read up to 32 bytes past its NUL
 * (MIME_LOWER_PADDING). */
gboolean sieve_contains_padded(const char *value, const char *key,
			       size_t klen);

#endif
