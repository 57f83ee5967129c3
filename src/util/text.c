/* Untrusted text made fit to show (text.h). */
#include "util/text.h"

#include <string.h>

gboolean text_is_bidi_control(gunichar c)
{
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e ||
	       c == 0x200f || c == 0x061c;
}

gboolean text_is_control(gunichar c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029;
}

char *text_clean_line(const char *text, guint max)
{
	g_autofree char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
	GString *out = g_string_sized_new(strlen(valid));
	gboolean space = TRUE; /* drops leading white space */
	guint chars = 0;

	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (text_is_bidi_control(c))
			continue;
		if (text_is_control(c) || g_unichar_isspace(c)) {
			if (!space) {
				g_string_append_c(out, ' ');
				chars++;
			}
			space = TRUE;
			continue;
		}
		if (chars >= max) {
			if (space && out->len > 0)
				g_string_truncate(out, out->len - 1);
			g_string_append(out, "…");
			space = FALSE;
			break;
		}
		g_string_append_unichar(out, c);
		chars++;
		space = FALSE;
	}
	if (space && out->len > 0)
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}

