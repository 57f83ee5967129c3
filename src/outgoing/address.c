/* Addresses: the canonical sender, system and no-reply addresses. */
#include "outgoing/outgoing-private.h"

#include <string.h>

const char *const outgoing_no_reply_defaults[] = {
	/* What senders call the addresses nobody reads. Pigeonhole answers
	 * them (OUTGOING.md 1.1); postfixadmin skips any address holding
	 * "noreply", which caught a real person (postfixadmin#678), so these
	 * match whole local parts, or a local part with a suffix after a
	 * separator. */
	"noreply@*", "noreply-*@*", "noreply+*@*", "noreply.*@*",
	"no-reply@*", "no-reply-*@*", "no-reply+*@*", "no_reply@*",
	"donotreply@*", "donotreply-*@*", "do-not-reply@*", "do_not_reply@*",
	"notifications@*", "notification@*", "notify@*",
	/* Return-Paths of bulk mail and of list software (Mailman's
	 * list-bounces+user=domain@). */
	"bounce@*", "bounces@*", "bounce-*@*", "bounces-*@*", "bounces+*@*",
	"*-bounces@*", "*-bounces+*@*",
	NULL
};

const char *const outgoing_own_id_prefixes[] = { "vea.", "vea-digest.", NULL };

static gboolean outgoing_has_prefix_ci(const char *text, const char *prefix)
{
	return g_ascii_strncasecmp(text, prefix, strlen(prefix)) == 0;
}

/* A BATV tag (draft-levine-smtp-batv 4.1): K DDD SSSSSS, a key digit,
 * three digits of day, six hex digits of hash. */
static gboolean outgoing_is_batv_tag(const char *tag, gsize len)
{
	if (len != 10)
		return FALSE;
	for (gsize i = 0; i < 4; i++) {
		if (!g_ascii_isdigit(tag[i]))
			return FALSE;
	}
	for (gsize i = 4; i < 10; i++) {
		if (!g_ascii_isxdigit(tag[i]))
			return FALSE;
	}
	return TRUE;
}

/* "HHH=TT=domain=local" (the tail of an SRS0 address): domain and local,
 * or FALSE. */
static gboolean outgoing_srs0_tail(const char *tail, char **local_r, char **domain_r)
{
	g_auto(GStrv) parts = g_strsplit(tail, "=", 4);

	if (g_strv_length(parts) != 4 || parts[2][0] == '\0' || parts[3][0] == '\0')
		return FALSE;
	*domain_r = g_strdup(parts[2]);
	*local_r = g_strdup(parts[3]);
	return TRUE;
}

/* One rewriting undone: TRUE and a new local (and maybe domain) when the
 * local part was one. */
static gboolean outgoing_unwrap(const char *local, char **local_r, char **domain_r)
{
	*domain_r = NULL;
	/* SRS (Shevek's scheme, as libsrs2 and postsrsd write it): the
	 * separator after SRS0/SRS1 may be '=', '+' or '-'. */
	if (outgoing_has_prefix_ci(local, "SRS0") && local[4] != '\0' && strchr("=+-", local[4]))
		return outgoing_srs0_tail(local + 5, local_r, domain_r);
	if (outgoing_has_prefix_ci(local, "SRS1") && local[4] != '\0' && strchr("=+-", local[4])) {
		/* SRS1=HHH=forwarder==HHH=TT=domain=local: the SRS0 part
		 * follows the first forwarder, its separator doubled. */
		const char *hash_end = strchr(local + 5, '=');
		const char *fwd_end = hash_end != NULL ? strchr(hash_end + 1, '=') : NULL;

		if (fwd_end == NULL || fwd_end[1] == '\0' || strchr("=+-", fwd_end[1]) == NULL)
			return FALSE;
		return outgoing_srs0_tail(fwd_end + 2, local_r, domain_r);
	}
	if (outgoing_has_prefix_ci(local, "prvs=")) {
		const char *rest = local + 5;
		const char *eq = strchr(rest, '=');
		const char *last = strrchr(rest, '=');

		if (eq == NULL || eq[1] == '\0')
			return FALSE;
		/* prvs=tag=local, or the older prvs=local=tag. */
		if (!outgoing_is_batv_tag(rest, (gsize)(eq - rest)) &&
		    outgoing_is_batv_tag(last + 1, strlen(last + 1)) && last > rest) {
			*local_r = g_strndup(rest, (gsize)(last - rest));
			return TRUE;
		}
		*local_r = g_strdup(eq + 1);
		return TRUE;
	}
	if (outgoing_has_prefix_ci(local, "msprvs1=")) {
		const char *eq = strchr(local + 8, '=');

		if (eq == NULL || eq[1] == '\0')
			return FALSE;
		*local_r = g_strdup(eq + 1);
		return TRUE;
	}
	if (outgoing_has_prefix_ci(local, "btv1==")) {
		/* Barracuda: btv1==HHH==local */
		const char *sep = strstr(local + 6, "==");

		if (sep == NULL || sep[2] == '\0')
			return FALSE;
		*local_r = g_strdup(sep + 2);
		return TRUE;
	}
	return FALSE;
}

char *outgoing_sender_canonical(const char *address)
{
	g_autofree char *local = NULL, *domain = NULL;
	const char *at;

	if (address == NULL || *address == '\0')
		return NULL;
	at = strrchr(address, '@');
	if (at == NULL || at == address || at[1] == '\0')
		return NULL;
	local = g_strndup(address, (gsize)(at - address));
	domain = g_strdup(at + 1);
	/* An SRS address may wrap a BATV one and so on: a few rounds. */
	for (int round = 0; round < 4; round++) {
		char *new_local = NULL, *new_domain = NULL;

		if (!outgoing_unwrap(local, &new_local, &new_domain))
			break;
		g_free(local);
		local = new_local;
		if (new_domain != NULL) {
			g_free(domain);
			domain = new_domain;
		}
	}
	{
		g_autofree char *lower = g_ascii_strdown(domain, -1);

		return g_strdup_printf("%s@%s", local, lower);
	}
}

gboolean outgoing_address_is_system(const char *address)
{
	const char *at = address != NULL ? strrchr(address, '@') : NULL;
	g_autofree char *local = NULL;

	if (address == NULL)
		return FALSE;
	local = g_ascii_strdown(address, at != NULL ? (gssize)(at - address) : -1);
	/* RFC 5230 4.6 names these; RFC 3834 2 adds owner-* and *-request
	 * (RFC 2142 list conventions). POSTMASTER is left out on purpose:
	 * RFC 5230 4.6 warns that people read it. */
	return strcmp(local, "mailer-daemon") == 0 || strcmp(local, "listserv") == 0 ||
	       strcmp(local, "majordomo") == 0 || strstr(local, "-request") != NULL ||
	       g_str_has_prefix(local, "owner-");
}

char **outgoing_no_reply_patterns(const char *const *configured)
{
	GPtrArray *out = g_ptr_array_new();

	if (configured == NULL)
		configured = (const char *const *)outgoing_no_reply_defaults;
	for (const char *const *p = configured; *p != NULL; p++) {
		if (configured != outgoing_no_reply_defaults && g_ascii_strcasecmp(*p, "default") == 0) {
			for (const char *const *d = outgoing_no_reply_defaults; *d != NULL; d++)
				g_ptr_array_add(out, g_ascii_strdown(*d, -1));
		} else {
			g_ptr_array_add(out, g_ascii_strdown(*p, -1));
		}
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

const char *outgoing_address_matches(const char *const *patterns, const char *address)
{
	g_autofree char *lower = NULL;

	if (address == NULL || patterns == NULL)
		return NULL;
	/* Longer than any address vea could send to (RFC 5321 4.5.3.1.3):
	 * not worth matching, and the glob backtracks. */
	if (strlen(address) > 254)
		return NULL;
	lower = g_ascii_strdown(address, -1);
	for (const char *const *p = patterns; *p != NULL; p++) {
		g_autofree char *pattern = g_ascii_strdown(*p, -1);

		if (g_pattern_match_simple(pattern, lower))
			return *p;
	}
	return NULL;
}

gboolean outgoing_address_is_no_reply(const char *const *patterns, const char *address,
				      const char **pattern_r)
{
	const char *hit = outgoing_address_matches(
		patterns != NULL ? patterns : (const char *const *)outgoing_no_reply_defaults,
		address);

	if (pattern_r != NULL)
		*pattern_r = hit;
	return hit != NULL;
}
