/* The vacation decision (see outgoing.h): RFC 5230 4.5, 4.6, RFC 3834 2,
 * in the order of Pigeonhole's act_vacation_commit (OUTGOING.md 1.2). */
#include "outgoing/outgoing-private.h"
#include "mime/compose.h"

#include <string.h>

/* Shown in reasons: enough to recognise a sender, never a screenful. */
#define SHOWN_MAX 120

/* RFC 2369 and RFC 2919: any of these says "a list sent this". */
static const char *const list_fields[] = { "List-Id", "List-Help", "List-Subscribe",
					   "List-Unsubscribe", "List-Post", "List-Owner",
					   "List-Archive", NULL };

/* RFC 5230 4.5, RFC 3834 2: where a personal message names its
 * recipient, in the order Pigeonhole looks. */
static const char *const recipient_fields[] = { "To", "Cc", "Bcc", "Resent-To", "Resent-Cc",
						"Resent-Bcc", NULL };

/* Does a msg-id (with or without <>) start with one of vea's prefixes? */
static gboolean vacation_id_is_own(const char *id)
{
	while (*id == ' ' || *id == '\t' || *id == '<')
		id++;
	for (const char *const *p = outgoing_own_id_prefixes; *p != NULL; p++) {
		if (g_ascii_strncasecmp(id, *p, strlen(*p)) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Each "<id>" in an In-Reply-To (which may hold several, RFC 5322
 * 3.6.4). */
static gboolean vacation_ids_hold_own(const char *value)
{
	for (const char *p = strchr(value, '<'); p != NULL; p = strchr(p + 1, '<')) {
		if (vacation_id_is_own(p))
			return TRUE;
	}
	return FALSE;
}

static outgoing_check vacation_own_message(const outgoing_message *m, outgoing_verdict *v)
{
	const char *const *ids = m->header_values(m->context, "Message-ID");
	const char *const *replies = m->header_values(m->context, "In-Reply-To");

	if (outgoing_first_value(m, OUTGOING_MARK_HEADER) != NULL)
		return outgoing_verdict_set(v, OUTGOING_OWN_MESSAGE,
					    "vea generated this message (%s field)",
					    OUTGOING_MARK_HEADER);
	if (ids[0] != NULL && vacation_id_is_own(ids[0]))
		return outgoing_verdict_set(v, OUTGOING_OWN_MESSAGE,
					    "vea generated this message (its Message-ID)");
	/* An answer to vea's own auto-reply: answering it back is how two
	 * responders loop when one strips Auto-Submitted (OUTGOING.md 1.8). */
	for (const char *const *r = replies; *r != NULL; r++) {
		if (vacation_ids_hold_own(*r))
			return outgoing_verdict_set(v, OUTGOING_OWN_MESSAGE,
						    "answers a message vea generated (In-Reply-To)");
	}
	return OUTGOING_SEND;
}

static outgoing_check vacation_headers(const outgoing_message *m, outgoing_verdict *v)
{
	const char *value;

	for (const char *const *f = list_fields; *f != NULL; f++) {
		if (m->header_values(m->context, *f)[0] != NULL)
			return outgoing_verdict_set(v, OUTGOING_MAILING_LIST,
						    "%s present: mailing list (RFC 5230 4.6)", *f);
	}
	value = outgoing_auto_submitted(m);
	if (value != NULL) {
		g_autofree char *shown = outgoing_clean(value, SHOWN_MAX);

		return outgoing_verdict_set(v, OUTGOING_AUTO_SUBMITTED,
					    "Auto-Submitted: %s: automatic mail (RFC 3834 2)", shown);
	}
	for (const char *const *p = m->header_values(m->context, "Precedence"); *p != NULL; p++) {
		/* The first word: "bulk" and "bulk (newsletter)" alike. */
		g_autofree char *word = g_strstrip(g_strdup(*p));

		word[strcspn(word, " \t(;")] = '\0';
		if (g_ascii_strcasecmp(word, "bulk") == 0 || g_ascii_strcasecmp(word, "list") == 0 ||
		    g_ascii_strcasecmp(word, "junk") == 0) {
			g_autofree char *lower = g_ascii_strdown(word, -1);

			return outgoing_verdict_set(v, OUTGOING_PRECEDENCE,
						    "Precedence: %s (RFC 3834 2)", lower);
		}
	}
	/* MS-OXCMAIL 2.2.3.2.14: a comma-separated list; All or OOF asks
	 * for no out-of-office reply. */
	for (const char *const *p = m->header_values(m->context, "X-Auto-Response-Suppress");
	     *p != NULL; p++) {
		g_auto(GStrv) words = g_strsplit(*p, ",", -1);

		for (char **w = words; *w != NULL; w++) {
			g_strstrip(*w);
			if (g_ascii_strcasecmp(*w, "All") == 0 || g_ascii_strcasecmp(*w, "OOF") == 0)
				return outgoing_verdict_set(v, OUTGOING_SUPPRESSED,
							    "X-Auto-Response-Suppress: %s: the sender "
							    "asks for no out-of-office reply",
							    g_ascii_strcasecmp(*w, "All") == 0 ? "All"
											       : "OOF");
		}
	}
	return OUTGOING_SEND;
}

static outgoing_check vacation_no_reply(const outgoing_vacation *policy,
					const outgoing_message *m, outgoing_verdict *v)
{
	static const char *const fields[] = { "From", "Sender", "Reply-To", NULL };
	const char *pattern = NULL;

	if (outgoing_address_is_no_reply(policy->no_reply_patterns, m->return_path, &pattern)) {
		g_autofree char *shown = outgoing_clean(m->return_path, SHOWN_MAX);

		return outgoing_verdict_set(v, OUTGOING_NO_REPLY_ADDRESS,
					    "the sender %s matches no_reply_senders %s", shown, pattern);
	}
	/* The Return-Path of a shop's mail is often a bounce handler; its
	 * From says what the sender thinks of replies. */
	for (const char *const *f = fields; *f != NULL; f++) {
		g_auto(GStrv) addresses = m->addresses(m->context, *f);

		for (char **a = addresses; *a != NULL; a++) {
			if (outgoing_address_is_no_reply(policy->no_reply_patterns, *a, &pattern)) {
				g_autofree char *shown = outgoing_clean(*a, SHOWN_MAX);

				return outgoing_verdict_set(v, OUTGOING_NO_REPLY_ADDRESS,
							    "%s %s matches no_reply_senders %s", *f,
							    shown, pattern);
			}
		}
	}
	return OUTGOING_SEND;
}

/* RFC 5230 4.5: the first of the executive's addresses found in the
 * recipient fields, trying the envelope recipient first, then
 * :addresses, then the addresses vea knows (Pigeonhole's order). */
static char *vacation_find_personal(const outgoing_vacation *policy, const outgoing_message *m)
{
	GPtrArray *found = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	const char *const *lists[] = { policy->extra_addresses, policy->own_addresses };
	char *hit = NULL;

	for (const char *const *f = recipient_fields; *f != NULL; f++)
		g_ptr_array_add(found, m->addresses(m->context, *f));
	if (m->envelope_to != NULL && *m->envelope_to != '\0') {
		for (guint i = 0; i < found->len && hit == NULL; i++) {
			if (outgoing_address_in(g_ptr_array_index(found, i), m->envelope_to))
				hit = g_strdup(m->envelope_to);
		}
	}
	for (guint l = 0; l < G_N_ELEMENTS(lists) && hit == NULL; l++) {
		for (const char *const *own = lists[l]; own != NULL && *own != NULL && hit == NULL;
		     own++) {
			for (guint i = 0; i < found->len && hit == NULL; i++) {
				if (outgoing_address_in(g_ptr_array_index(found, i), *own))
					hit = g_strdup(*own);
			}
		}
	}
	g_ptr_array_unref(found);
	return hit;
}

static outgoing_check vacation_callback(int (*fn)(void *, const char *, char **), void *context,
					const char *sender, outgoing_check check,
					const char *fallback, outgoing_verdict *v)
{
	char *why = NULL;
	int answer = fn(context, sender, &why);

	if (answer < 0) {
		outgoing_verdict_set(v, OUTGOING_ERROR, "%s", why != NULL ? why : "lookup failed");
	} else if (answer > 0) {
		outgoing_verdict_set(v, check, "%s", why != NULL ? why : fallback);
	}
	g_free(why);
	return answer != 0 ? v->check : OUTGOING_SEND;
}

outgoing_check outgoing_vacation_decide(const outgoing_vacation *policy,
					const outgoing_message *m, outgoing_verdict *v)
{
	g_autofree char *shown = NULL;
	char *personal;

	memset(v, 0, sizeof(*v));
	v->reason = g_strdup("");

	/* 1, 2 (RFC 3834 2: never answer the null address). */
	if (m->envelope_to != NULL && *m->envelope_to == '\0')
		return outgoing_verdict_set(v, OUTGOING_NO_RECIPIENT, "the envelope recipient is <>");
	if (m->return_path != NULL && *m->return_path == '\0')
		return outgoing_verdict_set(v, OUTGOING_NULL_SENDER,
					    "the sender is <> (a bounce or report): RFC 3834 2");
	/* RFC 5230 4: the reply goes to the Return-Path, never to From. */
	if (m->return_path == NULL)
		return outgoing_verdict_set(v, OUTGOING_NO_SENDER,
					    "no Return-Path: nobody to answer (RFC 5230 4)");
	shown = outgoing_clean(m->return_path, SHOWN_MAX);
	if (!mime_address_is_sendable(m->return_path))
		return outgoing_verdict_set(v, OUTGOING_NO_SENDER,
					    "the Return-Path %s is not an address vea can send to",
					    shown);
	v->sender = outgoing_sender_canonical(m->return_path);

	/* 3, 4: the executive's own mail, or from one of :addresses. */
	if (outgoing_address_in(policy->own_addresses, m->return_path) ||
	    outgoing_address_in(policy->own_addresses, v->sender))
		return outgoing_verdict_set(v, OUTGOING_OWN_ADDRESS,
					    "sent by the executive (%s)", shown);
	if (outgoing_address_in(policy->extra_addresses, m->return_path) ||
	    outgoing_address_in(policy->extra_addresses, v->sender))
		return outgoing_verdict_set(v, OUTGOING_OWN_ADDRESS,
					    "sent from one of :addresses (%s)", shown);

	/* vea's own: it reads mail after delivery, its own replies included. */
	if (vacation_own_message(m, v) != OUTGOING_SEND)
		return v->check;
	if (policy->max_age > 0) {
		if (m->received_at <= 0)
			return outgoing_verdict_set(v, OUTGOING_TOO_OLD,
						    "arrival time unknown: not answered");
		if (policy->now - m->received_at > policy->max_age)
			return outgoing_verdict_set(
				v, OUTGOING_TOO_OLD,
				"arrived %" G_GINT64_FORMAT " h ago, before the cut-off of %" G_GINT64_FORMAT
				" h (auto_mail_max_age)",
				(policy->now - m->received_at) / 3600, policy->max_age / 3600);
	}

	/* 5: tracking, where Pigeonhole looks it up. */
	if (policy->answered != NULL &&
	    vacation_callback(policy->answered, policy->context, v->sender,
			      OUTGOING_ALREADY_ANSWERED,
			      "already answered within the period (RFC 5230 4.2)", v) != OUTGOING_SEND)
		return v->check;

	/* 6-9 */
	if (vacation_headers(m, v) != OUTGOING_SEND)
		return v->check;
	/* 10 */
	if (outgoing_address_is_system(m->return_path) || outgoing_address_is_system(v->sender))
		return outgoing_verdict_set(v, OUTGOING_SYSTEM_ADDRESS,
					    "%s is list or system software (RFC 5230 4.6)", shown);
	if (vacation_no_reply(policy, m, v) != OUTGOING_SEND)
		return v->check;
	/* 11 */
	personal = vacation_find_personal(policy, m);
	if (personal == NULL)
		return outgoing_verdict_set(v, OUTGOING_NOT_PERSONAL,
					    "none of the executive's addresses is in To, Cc, Bcc or "
					    "Resent-*: not personally addressed (RFC 5230 4.5)");
	/* Last: only what would be answered spends the budget. */
	if (policy->over_budget != NULL &&
	    vacation_callback(policy->over_budget, policy->context, v->sender, OUTGOING_RATE_LIMIT,
			      "over the budget of automatic mail", v) != OUTGOING_SEND) {
		g_free(personal);
		return v->check;
	}
	v->own_address = personal;
	v->reply_to = g_strdup(m->return_path);
	return outgoing_verdict_set(v, OUTGOING_SEND, "%s", "");
}
