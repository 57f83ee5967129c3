#include "util/json.h"

void json_append_string(GString *out, const char *text)
{
	g_autofree char *valid = NULL;

	if (text == NULL) {
		g_string_append(out, "null");
		return;
	}
	valid = g_utf8_make_valid(text, -1);
	g_string_append_c(out, '"');
	for (const char *p = valid; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\')
			g_string_append_printf(out, "\\%c", c);
		else if (c == '\n')
			g_string_append(out, "\\n");
		else if (c < 0x20 || c == 0x7f)
			g_string_append_printf(out, "\\u%04x", c);
		else
			g_string_append_c(out, (char)c);
	}
	g_string_append_c(out, '"');
}
