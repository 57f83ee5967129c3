#ifndef VEA_UTIL_JSON_H
#define VEA_UTIL_JSON_H

#include <glib.h>

/* Append text as a JSON string (RFC 8259 section 7), or null for NULL.
 * Text from messages may be any bytes: invalid UTF-8 is replaced, so the
 * output is always valid JSON. */
void json_append_string(GString *out, const char *text);

#endif
