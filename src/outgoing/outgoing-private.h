#ifndef VEA_OUTGOING_PRIVATE_H
#define VEA_OUTGOING_PRIVATE_H

/* Shared by the decisions of src/outgoing. */
#include "outgoing/outgoing.h"

/* Set the verdict to check with a reason (printf format). Returns check. */
outgoing_check outgoing_verdict_set(outgoing_verdict *verdict, outgoing_check check,
				    const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Text from a message fit for a reason: valid UTF-8, control characters
 * as spaces, at most max bytes (cut at a character, "..." added). New. */
char *outgoing_clean(const char *text, gsize max);

/* Is address one of list (ASCII case-insensitive)? Returns the entry. */
const char *outgoing_address_in(const char *const *list, const char *address);

/* The first field value holding a value, or NULL. */
const char *outgoing_first_value(const outgoing_message *message, const char *name);

/* Auto-Submitted with a value other than "no" (RFC 3834 5): the value. */
const char *outgoing_auto_submitted(const outgoing_message *message);

/* Does address match one of the globs (lower-cased)? The pattern. */
const char *outgoing_address_matches(const char *const *patterns, const char *address);

#endif
