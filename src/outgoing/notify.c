/* The notify mailto decision (see outgoing.h; RFC 5436, OUTGOING.md 3). */
#include "outgoing/outgoing-private.h"
#include "mime/compose.h"

#include <string.h>

outgoing_check outgoing_notify_decide(const outgoing_notify *policy, const outgoing_message *m,
				      const char *const *recipients, outgoing_verdict *v)
{
	g_autoptr(GPtrArray) unique = g_ptr_array_new_with_free_func(g_free);
	const char *automatic;

	memset(v, 0, sizeof(*v));
	v->reason = g_strdup("");
	/* RFC 5436 2.7: "SHOULD NOT" notify about automatic mail, so that
	 * two notifiers cannot answer each other forever. */
	automatic = outgoing_auto_submitted(m);
	if (automatic != NULL) {
		g_autofree char *shown = outgoing_clean(automatic, 120);

		return outgoing_verdict_set(v, OUTGOING_AUTO_SUBMITTED,
					    "Auto-Submitted: %s: no notification about automatic mail "
					    "(RFC 5436 2.7)",
					    shown);
	}
	for (const char *const *r = recipients; r != NULL && *r != NULL; r++) {
		g_autofree char *shown = outgoing_clean(*r, 120);

		if (!mime_address_is_sendable(*r))
			return outgoing_verdict_set(v, OUTGOING_BAD_RECIPIENT,
						    "'%s' is not an address vea can send to", shown);
		/* RFC 5435 8: recipients taken from mail make an open relay;
		 * only the ones the configuration allows. */
		if (outgoing_address_matches(policy->allowed, *r) == NULL)
			return outgoing_verdict_set(v, OUTGOING_NOT_ALLOWED,
						    "%s is not in notify_allowed (RFC 5435 8)", shown);
		/* RFC 5436 2.7: not twice to one address. */
		gboolean seen = FALSE;

		for (guint i = 0; i < unique->len && !seen; i++)
			seen = g_ascii_strcasecmp(g_ptr_array_index(unique, i), *r) == 0;
		if (!seen)
			g_ptr_array_add(unique, g_strdup(*r));
	}
	if (unique->len == 0)
		return outgoing_verdict_set(v, OUTGOING_BAD_RECIPIENT, "no recipient to notify");
	if (unique->len > OUTGOING_NOTIFY_MAX_RECIPIENTS)
		return outgoing_verdict_set(v, OUTGOING_TOO_MANY,
					    "%u recipients: at most %d per notification", unique->len,
					    OUTGOING_NOTIFY_MAX_RECIPIENTS);
	for (guint i = 0; i < unique->len && policy->over_budget != NULL; i++) {
		char *why = NULL;
		int answer = policy->over_budget(policy->context, g_ptr_array_index(unique, i), &why);

		if (answer != 0) {
			outgoing_verdict_set(v, answer < 0 ? OUTGOING_ERROR : OUTGOING_RATE_LIMIT, "%s",
					     why != NULL ? why : "over the notification budget");
			g_free(why);
			return v->check;
		}
	}
	/* RFC 5436 2.7: the envelope sender MUST be empty when the
	 * trigger's is. */
	v->null_sender = m->return_path != NULL && *m->return_path == '\0';
	g_ptr_array_add(unique, NULL);
	v->recipients = (char **)g_ptr_array_steal(unique, NULL);
	return OUTGOING_SEND;
}

char *outgoing_notify_auto_submitted(const char *owner)
{
	/* RFC 5436 2.7.1: owner-email is a quoted-string; a sendable
	 * address holds no '"' or '\\' (mime_address_is_sendable). */
	if (owner == NULL || !mime_address_is_sendable(owner))
		return g_strdup("auto-notified");
	return g_strdup_printf("auto-notified; owner-email=\"%s\"", owner);
}

gboolean outgoing_notify_header_allowed(const char *name)
{
	static const char *const refused[] = { "auto-submitted", "received", "message-id", "date",
					       "from", "sender", "bcc", "in-reply-to", "references",
					       "return-path", "to", "cc", "subject", "body",
					       OUTGOING_MARK_HEADER, OUTGOING_REDIRECT_HEADER, NULL };

	if (name == NULL || *name == '\0' || strlen(name) > 76)
		return FALSE;
	/* RFC 5322 3.6.8: printable ASCII but ':' and space. */
	for (const char *p = name; *p != '\0'; p++) {
		if (*p < 33 || *p > 126 || *p == ':')
			return FALSE;
	}
	if (g_ascii_strncasecmp(name, "resent-", 7) == 0)
		return FALSE;
	for (const char *const *r = refused; *r != NULL; r++) {
		if (g_ascii_strcasecmp(name, *r) == 0)
			return FALSE;
	}
	return TRUE;
}
