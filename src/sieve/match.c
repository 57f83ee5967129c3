/* Comparators and match types: RFC 5228 section 2.7, RFC 4790, RFC 5231. */

#include "sieve/match.h"

#include <string.h>

static const struct {
	const char *name;
	sieve_comparator cmp;
	const char *capability;
} sieve_comparators[] = {
	/* RFC 5228 section 2.7.3: these two are always available. */
	{ "i;ascii-casemap", SIEVE_COMPARATOR_ASCII_CASEMAP, NULL },
	{ "i;octet", SIEVE_COMPARATOR_OCTET, NULL },
	{ "i;ascii-numeric", SIEVE_COMPARATOR_ASCII_NUMERIC,
	  "comparator-i;ascii-numeric" },
};

gboolean sieve_comparator_lookup(const char *name, sieve_comparator *cmp_r,
				 const char **capability_r)
{
	size_t i;

	/* RFC 4790 section 3.1: comparator names are case-insensitive. */
	for (i = 0; i < G_N_ELEMENTS(sieve_comparators); i++) {
		if (g_ascii_strcasecmp(name, sieve_comparators[i].name) == 0) {
			*cmp_r = sieve_comparators[i].cmp;
			*capability_r = sieve_comparators[i].capability;
			return TRUE;
		}
	}
	return FALSE;
}

const char *sieve_comparator_name(sieve_comparator cmp)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(sieve_comparators); i++) {
		if (sieve_comparators[i].cmp == cmp)
			return sieve_comparators[i].name;
	}
	return "?";
}

gboolean sieve_relation_lookup(const char *name, sieve_relation *rel_r)
{
	static const char *const names[] = { "gt", "ge", "lt", "le", "eq", "ne" };
	size_t i;

	/* RFC 5231 section 4: relational-match is case-insensitive. */
	for (i = 0; i < G_N_ELEMENTS(names); i++) {
		if (g_ascii_strcasecmp(name, names[i]) == 0) {
			*rel_r = (sieve_relation)i;
			return TRUE;
		}
	}
	return FALSE;
}

gboolean sieve_comparator_supports(sieve_comparator cmp,
				   sieve_match_type type)
{
	return !(cmp == SIEVE_COMPARATOR_ASCII_NUMERIC &&
		 (type == SIEVE_MATCH_CONTAINS || type == SIEVE_MATCH_MATCHES));
}

/* g_ascii_tolower() is an out-of-line call; this is the hot loop of
 * every :contains and :matches. */
static inline char sieve_ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

static inline char sieve_ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - ('a' - 'A')) : c;
}

/* RFC 4790 section 9.1.1: the value is the leading digits; a string that
 * does not start with a digit is positive infinity. Leading zeros do not
 * count, and the numbers are compared as digit strings so any length
 * works. */
static int sieve_numeric_compare(const char *a, const char *b)
{
	const char *ea, *eb;
	size_t la, lb;
	int ret;

	if (!g_ascii_isdigit(*a))
		return g_ascii_isdigit(*b) ? 1 : 0;
	if (!g_ascii_isdigit(*b))
		return -1;
	while (*a == '0' && g_ascii_isdigit(a[1]))
		a++;
	while (*b == '0' && g_ascii_isdigit(b[1]))
		b++;
	for (ea = a; g_ascii_isdigit(*ea); ea++)
		;
	for (eb = b; g_ascii_isdigit(*eb); eb++)
		;
	la = ea - a;
	lb = eb - b;
	if (la != lb)
		return la < lb ? -1 : 1;
	ret = memcmp(a, b, la);
	return ret < 0 ? -1 : (ret > 0 ? 1 : 0);
}

static int sieve_comparator_compare(sieve_comparator cmp, const char *a,
				    const char *b)
{
	int ret;

	switch (cmp) {
	case SIEVE_COMPARATOR_ASCII_NUMERIC:
		return sieve_numeric_compare(a, b);
	case SIEVE_COMPARATOR_ASCII_CASEMAP:
		/* RFC 4790 section 9.2: i;octet after mapping a-z to A-Z
		 * (upper, not lower case, which matters for ordering of
		 * "[" to "`"). */
		while (*a != '\0' &&
		       sieve_ascii_upper(*a) == sieve_ascii_upper(*b)) {
			a++;
			b++;
		}
		ret = (int)(unsigned char)sieve_ascii_upper(*a) -
		      (int)(unsigned char)sieve_ascii_upper(*b);
		break;
	case SIEVE_COMPARATOR_OCTET:
	default:
		ret = strcmp(a, b);
		break;
	}
	return ret < 0 ? -1 : (ret > 0 ? 1 : 0);
}

static inline gboolean sieve_chars_equal(char a, char b, gboolean casemap)
{
	return a == b ||
	       (casemap && sieve_ascii_lower(a) == sieve_ascii_lower(b));
}

static gboolean sieve_contains(const char *value, const char *key,
			       gboolean casemap)
{
	size_t klen = strlen(key);

	char first;

	if (!casemap)
		return strstr(value, key) != NULL;
	if (klen == 0)
		return TRUE;
	first = sieve_ascii_lower(key[0]);
	for (; *value != '\0'; value++) {
		size_t i;

		if (sieve_ascii_lower(*value) != first)
			continue;
		for (i = 1; i < klen; i++) {
			if (value[i] == '\0')
				return FALSE;
			if (!sieve_chars_equal(value[i], key[i], TRUE))
				break;
		}
		if (i == klen)
			return TRUE;
	}
	return FALSE;
}

/* One character forward; stops at NUL even inside a broken sequence. */
static const char *sieve_utf8_next(const char *s)
{
	unsigned char c = (unsigned char)*s;
	int n = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

	s++;
	while (--n > 0 && (*s & 0xc0) == 0x80)
		s++;
	return s;
}

/* RFC 5228 section 2.7.1 :matches: "*" any sequence, "?" one character,
 * "\" makes the next character literal. Greedy with one backtrack point:
 * with only "*" and "?" a later "*" can always absorb what an earlier one
 * would have, so linear backtracking suffices (no exponential blow-up). */
gboolean sieve_match_glob(const char *pattern, const char *value,
			  gboolean casemap)
{
	const char *p = pattern, *s = value;
	const char *star_p = NULL, *star_s = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star_p = ++p;
			star_s = s;
			continue;
		}
		if (*p == '?') {
			p++;
			s = sieve_utf8_next(s);
			continue;
		}
		if (*p != '\0') {
			const char *lit = p;

			if (*p == '\\' && p[1] != '\0')
				lit = p + 1;
			if (sieve_chars_equal(*lit, *s, casemap)) {
				p = lit + 1;
				s++;
				continue;
			}
		}
		if (star_p == NULL)
			return FALSE;
		star_s = sieve_utf8_next(star_s);
		s = star_s;
		p = star_p;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static gboolean sieve_relation_holds(sieve_relation rel, int cmp)
{
	switch (rel) {
	case SIEVE_RELATION_GT:
		return cmp > 0;
	case SIEVE_RELATION_GE:
		return cmp >= 0;
	case SIEVE_RELATION_LT:
		return cmp < 0;
	case SIEVE_RELATION_LE:
		return cmp <= 0;
	case SIEVE_RELATION_EQ:
		return cmp == 0;
	case SIEVE_RELATION_NE:
		return cmp != 0;
	}
	return FALSE;
}

void sieve_match_init(sieve_match *match, const sieve_match_spec *spec,
		      char *const *keys)
{
	match->spec = spec;
	match->keys = keys;
	match->count = 0;
}

static gboolean sieve_match_key(const sieve_match_spec *spec,
				const char *value, const char *key)
{
	gboolean casemap = spec->comparator == SIEVE_COMPARATOR_ASCII_CASEMAP;

	switch (spec->type) {
	case SIEVE_MATCH_IS:
		if (casemap) {
			/* Equality needs no ordering: skip the upper-casing
			 * of the general compare. */
			while (*value != '\0' &&
			       sieve_chars_equal(*value, *key, TRUE)) {
				value++;
				key++;
			}
			return *value == '\0' && *key == '\0';
		}
		return sieve_comparator_compare(spec->comparator, value, key) == 0;
	case SIEVE_MATCH_CONTAINS:
		return sieve_contains(value, key, casemap);
	case SIEVE_MATCH_MATCHES:
		return sieve_match_glob(key, value, casemap);
	case SIEVE_MATCH_VALUE:
		return sieve_relation_holds(
			spec->relation,
			sieve_comparator_compare(spec->comparator, value, key));
	case SIEVE_MATCH_COUNT:
		break;
	}
	return FALSE;
}

gboolean sieve_match_value(sieve_match *match, const char *value)
{
	char *const *key;

	if (match->spec->type == SIEVE_MATCH_COUNT) {
		match->count++;
		return FALSE;
	}
	for (key = match->keys; *key != NULL; key++) {
		if (sieve_match_key(match->spec, value, *key))
			return TRUE;
	}
	return FALSE;
}

gboolean sieve_match_finish(sieve_match *match)
{
	char buf[16];
	char *const *key;

	if (match->spec->type != SIEVE_MATCH_COUNT)
		return FALSE;
	/* RFC 5231 section 4.1: the count, as a decimal string, is compared
	 * with each key using the comparator. */
	g_snprintf(buf, sizeof(buf), "%u", match->count);
	for (key = match->keys; *key != NULL; key++) {
		if (sieve_relation_holds(match->spec->relation,
					 sieve_comparator_compare(
						 match->spec->comparator, buf,
						 *key)))
			return TRUE;
	}
	return FALSE;
}
