/* What the decisions share: verdicts, the message adapter, addresses. */
#include "outgoing/outgoing-private.h"
#include "mime/message.h"

#include <stdarg.h>
#include <string.h>

static const char *const check_names[OUTGOING_CHECK_COUNT] = {
	[OUTGOING_SEND] = "send",
	[OUTGOING_NO_RECIPIENT] = "no-recipient",
	[OUTGOING_NULL_SENDER] = "null-sender",
	[OUTGOING_NO_SENDER] = "no-sender",
	[OUTGOING_OWN_ADDRESS] = "own-address",
	[OUTGOING_OWN_MESSAGE] = "own-message",
	[OUTGOING_TOO_OLD] = "too-old",
	[OUTGOING_ALREADY_ANSWERED] = "already-answered",
	[OUTGOING_MAILING_LIST] = "mailing-list",
	[OUTGOING_AUTO_SUBMITTED] = "auto-submitted",
	[OUTGOING_PRECEDENCE] = "precedence",
	[OUTGOING_SUPPRESSED] = "auto-response-suppressed",
	[OUTGOING_SYSTEM_ADDRESS] = "system-address",
	[OUTGOING_NO_REPLY_ADDRESS] = "no-reply-address",
	[OUTGOING_NOT_PERSONAL] = "not-personal",
	[OUTGOING_RATE_LIMIT] = "rate-limit",
	[OUTGOING_LOOP] = "loop",
	[OUTGOING_TOO_MANY] = "too-many",
	[OUTGOING_BAD_RECIPIENT] = "bad-recipient",
	[OUTGOING_NOT_ALLOWED] = "not-allowed",
	[OUTGOING_ERROR] = "error",
};

const char *outgoing_check_name(outgoing_check check)
{
	if ((int)check < 0 || check >= OUTGOING_CHECK_COUNT)
		return "?";
	return check_names[check];
}

void outgoing_verdict_clear(outgoing_verdict *verdict)
{
	g_clear_pointer(&verdict->reason, g_free);
	g_clear_pointer(&verdict->sender, g_free);
	g_clear_pointer(&verdict->reply_to, g_free);
	g_clear_pointer(&verdict->own_address, g_free);
	g_clear_pointer(&verdict->recipients, g_strfreev);
	verdict->check = OUTGOING_SEND;
	verdict->null_sender = FALSE;
}

outgoing_check outgoing_verdict_set(outgoing_verdict *verdict, outgoing_check check,
				    const char *fmt, ...)
{
	va_list args;

	g_free(verdict->reason);
	va_start(args, fmt);
	verdict->reason = g_strdup_vprintf(fmt, args);
	va_end(args);
	verdict->check = check;
	return check;
}

char *outgoing_clean(const char *text, gsize max)
{
	char *clean = g_utf8_make_valid(text != NULL ? text : "", -1);

	for (char *p = clean; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	if (strlen(clean) > max) {
		const char *cut = g_utf8_find_prev_char(clean, clean + max + 1);
		char *shorter = g_strdup_printf("%.*s...", (int)(cut - clean), clean);

		g_free(clean);
		clean = shorter;
	}
	return clean;
}

const char *outgoing_address_in(const char *const *list, const char *address)
{
	if (address == NULL)
		return NULL;
	for (const char *const *p = list; p != NULL && *p != NULL; p++) {
		if (g_ascii_strcasecmp(*p, address) == 0)
			return *p;
	}
	return NULL;
}

const char *outgoing_first_value(const outgoing_message *message, const char *name)
{
	const char *const *values = message->header_values(message->context, name);

	return values != NULL ? values[0] : NULL;
}

const char *outgoing_auto_submitted(const outgoing_message *message)
{
	const char *const *values = message->header_values(message->context, "Auto-Submitted");

	/* RFC 3834 2: any value other than "no". Like Pigeonhole, the
	 * whole value is compared, so "no (x)" counts as automatic: in
	 * doubt, stay quiet. */
	for (const char *const *v = values; v != NULL && *v != NULL; v++) {
		g_autofree char *value = g_strstrip(g_strdup(*v));

		if (g_ascii_strcasecmp(value, "no") != 0)
			return *v;
	}
	return NULL;
}

/* ---- the adapter over mime_message ---- */

static const char *const *outgoing_mime_values(void *context, const char *name)
{
	return mime_message_get_header_values(context, name);
}

static char **outgoing_mime_addresses(void *context, const char *name)
{
	const GPtrArray *list = mime_message_get_addresses(context, name);
	char **out = g_new0(char *, list->len + 1);
	guint n = 0;

	for (guint i = 0; i < list->len; i++) {
		const mime_address *a = g_ptr_array_index(list, i);

		if (a->addr != NULL && a->domain != NULL)
			out[n++] = g_strdup(a->addr);
	}
	return out;
}

/* The address in a Return-Path value: "<addr>", "<>", a source route
 * "<@relay:addr>" (RFC 5321 4.1.2, to be ignored), or a bare address
 * some software writes. */
static char *outgoing_return_path_parse(const char *raw)
{
	g_autofree char *value = g_strstrip(g_strdup(raw));
	const char *start = value, *end;

	if (*start == '<') {
		start++;
		end = strchr(start, '>');
		if (end == NULL)
			end = start + strlen(start);
		if (*start == '@') {
			const char *colon = memchr(start, ':', (size_t)(end - start));

			if (colon != NULL)
				start = colon + 1;
		}
		return g_strndup(start, (gsize)(end - start));
	}
	return g_strdup(start);
}

void outgoing_message_from_mime(outgoing_message *message_r, mime_message *msg,
				int64_t received_at)
{
	const char *const *raw = mime_message_get_raw_header_values(msg, "Return-Path");

	memset(message_r, 0, sizeof(*message_r));
	message_r->header_values = outgoing_mime_values;
	message_r->addresses = outgoing_mime_addresses;
	message_r->context = msg;
	message_r->received_at = received_at;
	/* The first Return-Path is the one the final delivery wrote
	 * (RFC 5321 4.4); any below it came with the message. */
	if (raw[0] != NULL) {
		message_r->owned = outgoing_return_path_parse(raw[0]);
		message_r->return_path = message_r->owned;
	}
}

void outgoing_message_clear(outgoing_message *message)
{
	g_clear_pointer(&message->owned, g_free);
	message->return_path = NULL;
}
