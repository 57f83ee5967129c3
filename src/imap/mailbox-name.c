/* Mailbox names: from what rules write to what the server wants. */

#include "imap/mailbox-name.h"

#include <glib.h>
#include <string.h>

/* RFC 3501 section 5.1: INBOX is case-insensitive; every other name is
 * the server's business. */
static gboolean mailbox_name_is_inbox(const char *level, size_t len)
{
	return len == 5 && g_ascii_strncasecmp(level, "INBOX", 5) == 0;
}

/* Modified UTF-7 (RFC 3501 section 5.1.3). glibc >= 2.36 ships it as the
 * iconv charset "UTF-7-IMAP", which GLib reaches through g_convert(); it
 * also turns '&' into "&-". Printable ASCII (hence every delimiter) passes
 * through unchanged, so converting the joined name is the same as
 * converting each level. */
static char *mailbox_name_encode_utf7(const char *utf8, char **error_r)
{
	GError *error = NULL;
	char *out;

	out = g_convert(utf8, -1, "UTF-7-IMAP", "UTF-8", NULL, NULL, &error);
	if (out == NULL) {
		*error_r = g_strdup_printf(
			"mailbox name \"%s\" cannot be encoded in modified "
			"UTF-7: %s", utf8, error->message);
		g_error_free(error);
	}
	return out;
}

char *mailbox_name_to_server(const char *name, char delimiter,
			     const char *prefix, char **error_r)
{
	char **levels = NULL;
	GString *joined = NULL;
	char *result = NULL;
	gboolean starts_with_inbox;

	if (name == NULL || *name == '\0') {
		*error_r = g_strdup("mailbox name is empty");
		goto out;
	}
	if (!g_utf8_validate(name, -1, NULL)) {
		*error_r = g_strdup("mailbox name is not valid UTF-8");
		goto out;
	}
	for (const char *p = name; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			*error_r = g_strdup_printf(
				"mailbox name \"%s\" contains a control "
				"character", name);
			goto out;
		}
	}

	levels = g_strsplit(name, "/", -1);
	if (levels[1] != NULL && delimiter == '\0') {
		*error_r = g_strdup_printf(
			"mailbox name \"%s\" has levels but the server has no "
			"hierarchy delimiter", name);
		goto out;
	}

	joined = g_string_new(NULL);
	for (size_t i = 0; levels[i] != NULL; i++) {
		const char *level = levels[i];

		if (*level == '\0') {
			*error_r = g_strdup_printf(
				"mailbox name \"%s\" has an empty level", name);
			goto out;
		}
		if (delimiter != '\0' && delimiter != '/' &&
		    strchr(level, delimiter) != NULL) {
			/* It would silently become a hierarchy level. */
			*error_r = g_strdup_printf(
				"mailbox name \"%s\" contains the server's "
				"hierarchy delimiter '%c'; use '/' between "
				"levels", name, delimiter);
			goto out;
		}
		if (i > 0)
			g_string_append_c(joined, delimiter);
		if (i == 0 && mailbox_name_is_inbox(level, strlen(level)))
			g_string_append(joined, "INBOX");
		else
			g_string_append(joined, level);
	}

	result = mailbox_name_encode_utf7(joined->str, error_r);
	if (result == NULL)
		goto out;

	/* The personal namespace prefix (RFC 2342), e.g. "INBOX.", is already
	 * in the server's form; it goes before every name but INBOX itself and
	 * names already under it. */
	starts_with_inbox = mailbox_name_is_inbox(levels[0], strlen(levels[0]));
	if (prefix != NULL && *prefix != '\0' && !starts_with_inbox &&
	    !g_str_has_prefix(result, prefix)) {
		char *prefixed = g_strconcat(prefix, result, NULL);

		g_free(result);
		result = prefixed;
	}
out:
	if (joined != NULL)
		g_string_free(joined, TRUE);
	g_strfreev(levels);
	return result;
}

char *mailbox_name_clean(const char *name, char delimiter, const char *refused,
			 char replacement)
{
	char *clean = g_strdup(name);
	gboolean level_start = TRUE;

	for (char *p = clean; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '/') {
			level_start = TRUE;
			continue;
		}
		if (c < 0x20 || c == 0x7f || (c == (unsigned char)delimiter && c != '/') ||
		    (refused != NULL && c < 0x80 && strchr(refused, c) != NULL) ||
		    (level_start && c == '~'))
			*p = replacement;
		level_start = FALSE;
	}
	return clean;
}
