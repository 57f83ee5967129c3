/* Comparators and match types: RFC 5228 section 2.7, RFC 4790, RFC 5231. */

#include "sieve/match.h"

#include <regex.h>
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
		 (type == SIEVE_MATCH_CONTAINS || type == SIEVE_MATCH_MATCHES ||
		  type == SIEVE_MATCH_REGEX));
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

/* len bytes of a and b equal, ASCII letters in either case. */
static inline gboolean sieve_casemap_equal(const char *a, const char *b,
					   size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!sieve_chars_equal(a[i], b[i], TRUE))
			return FALSE;
	}
	return TRUE;
}

#define SIEVE_ONES G_GUINT64_CONSTANT(0x0101010101010101)
#define SIEVE_HIGHS G_GUINT64_CONSTANT(0x8080808080808080)

/* i;ascii-casemap :contains, the hot loop of most scripts: candidates for
 * the key's first character are found eight bytes at a time (a byte
 * equal to it, or to it in the other case when it is a letter: OR-ing
 * 0x20 folds the case of letters, and of a few other bytes, which the
 * full compare then rules out). */
gboolean sieve_contains_casemap(const char *value, size_t vlen,
				const char *key, size_t klen)
{
	const char *p = value, *last;
	char first = sieve_ascii_lower(key[0]);
	gboolean letter = first >= 'a' && first <= 'z';
	G_GNUC_UNUSED guint64 fold = letter ? 0x20 * SIEVE_ONES : 0;
	G_GNUC_UNUSED guint64 want = (guint64)(guchar)first * SIEVE_ONES;

	if (klen > vlen)
		return FALSE;
	last = value + (vlen - klen); /* the last place the key can start */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
	while (p + 8 <= last + 1) {
		guint64 word, x, hits;

		memcpy(&word, p, 8);
		x = (word | fold) ^ want;
		/* A high bit for each zero byte of x (and maybe for a 0x01
		 * byte just above one; the compare sorts those out). */
		hits = (x - SIEVE_ONES) & ~x & SIEVE_HIGHS;
		while (hits != 0) {
			if (sieve_casemap_equal(p + __builtin_ctzll(hits) / 8,
						key, klen))
				return TRUE;
			hits &= hits - 1;
		}
		p += 8;
	}
#endif
	for (; p <= last; p++) {
		if (sieve_ascii_lower(*p) == first &&
		    sieve_casemap_equal(p, key, klen))
			return TRUE;
	}
	return FALSE;
}

#if defined(__SSE2__)
#include <emmintrin.h>

/* Sixteen candidate positions at a time: those where both the key's first
 * byte and its last (klen - 1 further on) are found, compared in full
 * only then (W. Mula, "SIMD-friendly algorithms for substring
 * searching"). Bytes past the NUL are read, never matched: a candidate
 * must start before the NUL, and one that runs over it fails the full
 * compare at the NUL (the key has none). */
gboolean sieve_contains_padded(const char *value, const char *key,
			       size_t klen)
{
	const __m128i first = _mm_set1_epi8(key[0]);
	const __m128i last = _mm_set1_epi8(key[klen - 1]);
	const __m128i zero = _mm_setzero_si128();
	size_t i;

	/* The second load reaches klen - 1 + 15 bytes past the block:
	 * within the padding for keys of up to 16 bytes. */
	if (klen > 16)
		return strstr(value, key) != NULL;
	for (i = 0;; i += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(value + i));
		__m128i b = _mm_loadu_si128(
			(const __m128i *)(value + i + klen - 1));
		unsigned nul = (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(a, zero));
		unsigned hits = (unsigned)_mm_movemask_epi8(_mm_and_si128(
			_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last)));

		if (nul != 0)
			hits &= nul - 1; /* before the NUL */
		while (hits != 0) {
			unsigned at = (unsigned)__builtin_ctz(hits);

			if (klen <= 2 ||
			    memcmp(value + i + at + 1, key + 1, klen - 2) == 0)
				return TRUE;
			hits &= hits - 1;
		}
		if (nul != 0)
			return FALSE;
	}
}
#else
gboolean sieve_contains_padded(const char *value, const char *key,
			       size_t klen)
{
	(void)klen;
	return strstr(value, key) != NULL;
}
#endif

/* i;octet :contains for a key that is not NUL-terminated. */
static gboolean sieve_contains_octet(const char *value, size_t vlen,
				     const char *key, size_t klen)
{
	const char *p = value, *end = value + vlen;

	while ((size_t)(end - p) >= klen) {
		p = memchr(p, key[0], (end - p) - klen + 1);
		if (p == NULL)
			return FALSE;
		if (memcmp(p, key, klen) == 0)
			return TRUE;
		p++;
	}
	return FALSE;
}

static gboolean sieve_contains(const char *value, const char *key,
			       gboolean casemap)
{
	size_t klen;

	if (!casemap)
		return strstr(value, key) != NULL;
	klen = strlen(key);
	if (klen == 0)
		return TRUE;
	return sieve_contains_casemap(value, strlen(value), key, klen);
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
/* Length of the literal text at p, up to a "*" or the end, in *len_r;
 * FALSE when it holds "?", "\\" or non-ASCII (which the fast paths of
 * sieve_match_glob leave to the general loop). */
static gboolean sieve_glob_literal(const char *p, size_t *len_r)
{
	const char *q;

	for (q = p; *q != '\0' && *q != '*'; q++) {
		if (*q == '?' || *q == '\\' || (guchar)*q >= 0x80)
			return FALSE;
	}
	*len_r = q - p;
	return TRUE;
}

static inline gboolean sieve_bytes_equal(const char *a, const char *b,
					 size_t len, gboolean casemap)
{
	return casemap ? sieve_casemap_equal(a, b, len) :
			 memcmp(a, b, len) == 0;
}

/* The common shapes "*text*", "text*" and "*text" with ASCII text are a
 * substring, prefix and suffix test: the same result as the general
 * loop (an ASCII byte is never inside a UTF-8 sequence, so every place
 * it could start is one "*" can reach), without its backtracking.
 * Returns -1 when pattern has another shape. */
static int sieve_match_glob_simple(const char *pattern, const char *value,
				   gboolean casemap)
{
	size_t len, vlen;
	const char *lit;

	if (*pattern == '*') {
		lit = pattern + 1;
		if (!sieve_glob_literal(lit, &len) || len == 0)
			return -1;
		vlen = strlen(value);
		if (lit[len] == '\0')
			return vlen >= len && sieve_bytes_equal(value + vlen - len,
							       lit, len,
							       casemap);
		if (lit[len] != '*' || lit[len + 1] != '\0')
			return -1;
		if (!casemap)
			return sieve_contains_octet(value, vlen, lit, len);
		return sieve_contains_casemap(value, vlen, lit, len);
	}
	if (!sieve_glob_literal(pattern, &len) || pattern[len] != '*' ||
	    pattern[len + 1] != '\0')
		return -1;
	return strlen(value) >= len &&
	       sieve_bytes_equal(value, pattern, len, casemap);
}

/* Any other pattern of ASCII literals and "*" only ("*@*example.com>"):
 * the text before the first "*" is a prefix, the text after the last a
 * suffix, and the literals between are found leftmost, in order, in what
 * lies between them: the first place a literal fits leaves the most room
 * for the rest, so this finds a match whenever the backtracking loop
 * would. Returns -1 for other patterns. */
static int sieve_match_glob_stars(const char *pattern, const char *value,
				  gboolean casemap)
{
	const char *p, *first_star, *last_star, *s, *end;
	size_t plen, slen, vlen, len;

	for (p = pattern; *p != '\0'; p++) {
		if (*p == '?' || *p == '\\' || (guchar)*p >= 0x80)
			return -1;
	}
	first_star = strchr(pattern, '*');
	if (first_star == NULL)
		return -1;
	last_star = strrchr(pattern, '*');
	plen = first_star - pattern;
	slen = strlen(last_star + 1);
	vlen = strlen(value);
	if (plen + slen > vlen ||
	    !sieve_bytes_equal(value, pattern, plen, casemap) ||
	    !sieve_bytes_equal(value + vlen - slen, last_star + 1, slen,
			       casemap))
		return 0;
	s = value + plen;
	end = value + vlen - slen;
	p = first_star;
	while (p < last_star) {
		const char *lit = p + 1, *q;

		for (q = lit; *q != '*'; q++)
			;
		len = q - lit;
		p = q;
		if (len == 0)
			continue;
		for (;; s++) {
			if ((size_t)(end - s) < len)
				return 0;
			if (!casemap) {
				s = memchr(s, lit[0], (end - s) - len + 1);
				if (s == NULL)
					return 0;
			}
			if (sieve_bytes_equal(s, lit, len, casemap))
				break;
		}
		s += len;
	}
	return 1;
}

gboolean sieve_match_glob(const char *pattern, const char *value,
			  gboolean casemap)
{
	const char *p = pattern, *s = value;
	const char *star_p = NULL, *star_s = NULL;
	int simple = sieve_match_glob_simple(pattern, value, casemap);

	if (simple >= 0)
		return simple;
	simple = sieve_match_glob_stars(pattern, value, casemap);
	if (simple >= 0)
		return simple;

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

gboolean sieve_match_glob_capture(const char *pattern, const char *value,
				  gboolean casemap, const char **caps,
				  guint max_caps, guint *n_wild_r)
{
	const char *p = pattern, *s = value;
	const char *star_p = NULL, *star_s = NULL;
	guint wild = 0, star_wild = 0;

	while (*s != '\0') {
		if (*p == '*') {
			if (2 * wild + 1 < max_caps)
				caps[2 * wild] = caps[2 * wild + 1] = s;
			star_wild = wild++;
			star_p = ++p;
			star_s = s;
			continue;
		}
		if (*p == '?') {
			if (2 * wild + 1 < max_caps)
				caps[2 * wild] = s;
			s = sieve_utf8_next(s);
			if (2 * wild + 1 < max_caps)
				caps[2 * wild + 1] = s;
			wild++;
			p++;
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
		/* The last '*' takes one more character; what came after it
		 * is matched again. */
		star_s = sieve_utf8_next(star_s);
		if (2 * star_wild + 1 < max_caps)
			caps[2 * star_wild + 1] = star_s;
		s = star_s;
		p = star_p;
		wild = star_wild + 1;
	}
	while (*p == '*') {
		if (2 * wild + 1 < max_caps)
			caps[2 * wild] = caps[2 * wild + 1] = s;
		wild++;
		p++;
	}
	*n_wild_r = wild;
	return *p == '\0';
}

void *sieve_regex_compile(const char *key, sieve_comparator cmp,
			  char **error_r)
{
	regex_t *regex;
	const char *p;
	int ret;

	*error_r = NULL;
	if (strlen(key) > SIEVE_MAX_REGEX_LEN) {
		*error_r = g_strdup_printf("regex too long (max %d bytes)",
					   SIEVE_MAX_REGEX_LEN);
		return NULL;
	}
	/* glibc accepts \1 in extended syntax; back-references make
	 * matching exponential in the worst case, and the draft only asks
	 * for POSIX extended regular expressions, which have none. */
	for (p = key; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			if (g_ascii_isdigit(p[1])) {
				*error_r = g_strdup(
					"back-references are not supported "
					"in :regex");
				return NULL;
			}
			p++;
		}
	}
	regex = g_new0(regex_t, 1);
	ret = regcomp(regex, key,
		      REG_EXTENDED |
			      (cmp == SIEVE_COMPARATOR_ASCII_CASEMAP ? REG_ICASE :
								       0));
	if (ret != 0) {
		char buf[256];

		regerror(ret, regex, buf, sizeof(buf));
		*error_r = g_strdup_printf("invalid regex '%s': %s", key, buf);
		g_free(regex);
		return NULL;
	}
	return regex;
}

void sieve_regex_free(void *regex)
{
	if (regex == NULL)
		return;
	regfree(regex);
	g_free(regex);
}

static void sieve_match_set_values(sieve_match *match, const char *value,
				   const char *const *caps, guint n)
{
	guint i;

	g_ptr_array_set_size(match->values, 0);
	g_ptr_array_add(match->values, g_strdup(value));
	for (i = 0; i < n && i + 1 < SIEVE_MAX_MATCH_VALUES; i++) {
		const char *start = caps[2 * i], *end = caps[2 * i + 1];

		g_ptr_array_add(match->values,
				start != NULL && end != NULL ?
					g_strndup(start, end - start) :
					g_strdup(""));
	}
}

static gboolean sieve_match_regex(sieve_match *match, const char *value,
				  const void *regex_in)
{
	regmatch_t groups[SIEVE_MAX_MATCH_VALUES];
	const char *caps[2 * SIEVE_MAX_MATCH_VALUES];
	const regex_t *regex = regex_in;
	guint i;

	if (regexec(regex, value, match->values != NULL ?
					  SIEVE_MAX_MATCH_VALUES : 0,
		    match->values != NULL ? groups : NULL, 0) != 0)
		return FALSE;
	if (match->values == NULL)
		return TRUE;
	for (i = 1; i < SIEVE_MAX_MATCH_VALUES; i++) {
		gboolean set = groups[i].rm_so >= 0;

		caps[2 * (i - 1)] = set ? value + groups[i].rm_so : NULL;
		caps[2 * (i - 1) + 1] = set ? value + groups[i].rm_eo : NULL;
	}
	/* ${0} is what the whole expression matched. */
	g_ptr_array_set_size(match->values, 0);
	g_ptr_array_add(match->values,
			g_strndup(value + groups[0].rm_so,
				  groups[0].rm_eo - groups[0].rm_so));
	for (i = 0; i + 1 < SIEVE_MAX_MATCH_VALUES; i++) {
		g_ptr_array_add(match->values,
				caps[2 * i] != NULL ?
					g_strndup(caps[2 * i],
						  caps[2 * i + 1] - caps[2 * i]) :
					g_strdup(""));
	}
	return TRUE;
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
	match->regexes = NULL;
	match->count = 0;
	match->values = NULL;
	match->error = NULL;
}

void sieve_match_deinit(sieve_match *match)
{
	if (match->error != NULL) {
		g_free(match->error);
		match->error = NULL;
	}
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
	case SIEVE_MATCH_REGEX:
		break;
	}
	return FALSE;
}

gboolean sieve_match_value(sieve_match *match, const char *value)
{
	guint i;

	switch (match->spec->type) {
	case SIEVE_MATCH_COUNT:
		match->count++;
		return FALSE;
	case SIEVE_MATCH_REGEX:
		for (i = 0; match->keys[i] != NULL; i++) {
			gboolean ok;
			void *regex;

			if (match->regexes != NULL) {
				if (sieve_match_regex(match, value,
						      match->regexes[i]))
					return TRUE;
				continue;
			}
			if (match->error != NULL)
				return FALSE;
			regex = sieve_regex_compile(match->keys[i],
						    match->spec->comparator,
						    &match->error);
			if (regex == NULL)
				return FALSE;
			ok = sieve_match_regex(match, value, regex);
			sieve_regex_free(regex);
			if (ok)
				return TRUE;
		}
		return FALSE;
	case SIEVE_MATCH_MATCHES:
		if (match->values == NULL)
			break;
		for (i = 0; match->keys[i] != NULL; i++) {
			const char *caps[2 * SIEVE_MAX_MATCH_VALUES];
			guint n = 0;

			memset(caps, 0, sizeof(caps));
			if (sieve_match_glob_capture(
				    match->keys[i], value,
				    match->spec->comparator ==
					    SIEVE_COMPARATOR_ASCII_CASEMAP,
				    caps, G_N_ELEMENTS(caps), &n)) {
				sieve_match_set_values(match, value, caps, n);
				return TRUE;
			}
		}
		return FALSE;
	default:
		break;
	}
	for (i = 0; match->keys[i] != NULL; i++) {
		if (sieve_match_key(match->spec, value, match->keys[i]))
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
	{
		/* g_snprintf costs more than the rest of the test. */
		char *p = buf + sizeof(buf) - 1;
		guint n = match->count;

		*p = '\0';
		do {
			*--p = (char)('0' + n % 10);
			n /= 10;
		} while (n != 0);
		memmove(buf, p, buf + sizeof(buf) - p);
	}
	for (key = match->keys; *key != NULL; key++) {
		if (sieve_relation_holds(match->spec->relation,
					 sieve_comparator_compare(
						 match->spec->comparator, buf,
						 *key)))
			return TRUE;
	}
	return FALSE;
}
