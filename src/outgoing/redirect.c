/* The redirect decision (see outgoing.h; OUTGOING.md 2). */
#include "outgoing/outgoing-private.h"
#include "mime/compose.h"

#include <string.h>

outgoing_check outgoing_redirect_decide(const outgoing_redirect *policy,
					const outgoing_message *m, const char *target,
					outgoing_verdict *v)
{
	g_autofree char *shown = outgoing_clean(target, 120);
	const char *const *loops;
	guint hops;
	char *why = NULL;
	int answer;

	memset(v, 0, sizeof(*v));
	v->reason = g_strdup("");
	/* RFC 5228 4.2: a redirect of null-sender mail MUST keep <>, which
	 * an authenticated submission server may refuse, and a redirected
	 * bounce is rarely wanted; RFC 5228 lets vea ignore the redirect
	 * for policy ("Any ignored redirect MUST NOT cancel the implicit
	 * keep": the caller keeps the message). */
	if (m->return_path != NULL && *m->return_path == '\0')
		return outgoing_verdict_set(v, OUTGOING_NULL_SENDER,
					    "the sender is <> (a bounce or report): not redirected, "
					    "kept (RFC 5228 4.2)");
	if (target == NULL || !mime_address_is_sendable(target))
		return outgoing_verdict_set(v, OUTGOING_BAD_RECIPIENT,
					    "'%s' is not an address vea can send to", shown);
	if (outgoing_address_in(policy->own_addresses, target))
		return outgoing_verdict_set(v, OUTGOING_LOOP,
					    "%s is the executive's own address: a redirect there "
					    "would loop", shown);
	if (policy->allowed != NULL && outgoing_address_matches(policy->allowed, target) == NULL)
		return outgoing_verdict_set(v, OUTGOING_NOT_ALLOWED,
					    "%s is not in redirect_allowed", shown);
	/* RFC 5228 4.2 and 10: loop control, here by our own header, as
	 * Pigeonhole's X-Sieve-Redirected-From. */
	loops = m->header_values(m->context, OUTGOING_REDIRECT_HEADER);
	for (const char *const *l = loops; *l != NULL; l++) {
		g_autofree char *value = g_strstrip(g_strdup(*l));
		char *inner = value;

		if (*inner == '<') {
			inner++;
			inner[strcspn(inner, ">")] = '\0';
		}
		if (outgoing_address_in(policy->own_addresses, inner))
			return outgoing_verdict_set(v, OUTGOING_LOOP,
						    "%s already names %s: vea redirected this message "
						    "before (a loop)",
						    OUTGOING_REDIRECT_HEADER, inner);
	}
	hops = g_strv_length((char **)m->header_values(m->context, "Received"));
	if (hops > OUTGOING_MAX_HOPS)
		return outgoing_verdict_set(v, OUTGOING_LOOP,
					    "%u Received fields: the message is looping "
					    "(RFC 5321 6.3)",
					    hops);
	/* RFC 5228 10: a limit on the redirects of one message. */
	if (policy->max_per_message > 0 && policy->done_for_message >= policy->max_per_message)
		return outgoing_verdict_set(v, OUTGOING_TOO_MANY,
					    "already redirected to %u addresses: at most %u per message "
					    "(RFC 5228 10)",
					    policy->done_for_message, policy->max_per_message);
	if (policy->over_budget != NULL) {
		answer = policy->over_budget(policy->context, target, &why);
		if (answer != 0) {
			outgoing_verdict_set(v, answer < 0 ? OUTGOING_ERROR : OUTGOING_RATE_LIMIT, "%s",
					     why != NULL ? why : "over the redirect budget");
			g_free(why);
			return v->check;
		}
		g_free(why);
	}
	return OUTGOING_SEND;
}
