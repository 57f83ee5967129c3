/* RFC 2047 decoding around GMime 3.2.13's base64 joining: see rfc2047.h. */
#include "mime/rfc2047.h"

#include <gmime/gmime.h>
#include <string.h>

/* Length of the encoded word at p ("=?charset?B?text?="), 0 if none. An
 * encoded word holds no white space (RFC 2047 section 2). */
static size_t rfc2047_word_length(const char *p, gboolean *base64_r)
{
	const char *q, *encoding, *end;

	if (p[0] != '=' || p[1] != '?')
		return 0;
	q = p + 2;
	q += strcspn(q, "? \t\r\n");
	if (*q != '?' || q == p + 2)
		return 0;
	encoding = q + 1;
	if (strchr("BbQq", *encoding) == NULL || *encoding == '\0' || encoding[1] != '?')
		return 0;
	end = encoding + 2;
	end += strcspn(end, "? \t\r\n");
	if (end[0] != '?' || end[1] != '=')
		return 0;
	*base64_r = *encoding == 'B' || *encoding == 'b';
	return (size_t)(end + 2 - p);
}

/* Two base64 words or more: the case GMime gets wrong. */
static gboolean rfc2047_needs_splitting(const char *raw)
{
	guint base64_words = 0;

	for (const char *p = strstr(raw, "=?"); p != NULL; p = strstr(p + 2, "=?")) {
		gboolean base64 = FALSE;
		size_t len = rfc2047_word_length(p, &base64);

		if (len > 0 && base64 && ++base64_words >= 2)
			return TRUE;
		if (len > 0)
			p += len - 2;
	}
	return FALSE;
}

static gboolean rfc2047_is_space(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return FALSE;
	}
	return TRUE;
}

char *mime_rfc2047_decode_text(const char *raw)
{
	GString *out;
	const char *p, *text;
	gboolean after_word = FALSE;

	if (raw == NULL)
		return g_strdup("");
	if (!rfc2047_needs_splitting(raw))
		return g_mime_utils_header_decode_text(NULL, raw);
	out = g_string_new(NULL);
	for (p = text = raw; *p != '\0';) {
		gboolean base64 = FALSE;
		size_t len = rfc2047_word_length(p, &base64);
		g_autofree char *word = NULL, *decoded = NULL;

		if (len == 0) {
			p++;
			continue;
		}
		/* Plain text before this word, unless it is only the space
		 * between two encoded words. */
		if (p > text && !(after_word && rfc2047_is_space(text, (size_t)(p - text)))) {
			g_autofree char *plain = g_strndup(text, (size_t)(p - text));
			g_autofree char *plain_decoded = g_mime_utils_header_decode_text(NULL, plain);

			g_string_append(out, plain_decoded);
		}
		word = g_strndup(p, len);
		decoded = g_mime_utils_header_decode_text(NULL, word);
		g_string_append(out, decoded);
		p += len;
		text = p;
		after_word = TRUE;
	}
	if (*text != '\0') {
		g_autofree char *plain_decoded = g_mime_utils_header_decode_text(NULL, text);

		g_string_append(out, plain_decoded);
	}
	return g_string_free(out, FALSE);
}

char *mime_rfc2047_decode_phrase(const char *raw)
{
	/* A quoted phrase is GMime's to read (it unquotes, and some mailers
	 * put encoded words inside quotes). */
	if (raw == NULL || strchr(raw, '"') != NULL || !rfc2047_needs_splitting(raw))
		return g_mime_utils_header_decode_phrase(NULL, raw != NULL ? raw : "");
	return mime_rfc2047_decode_text(raw);
}
