#ifndef VEA_UTIL_TEXT_H
#define VEA_UTIL_TEXT_H

/* Untrusted text (a sender's name, a subject, a calendar's summary) made
 * fit to show in a digest, a draft or a log line. */

#include <glib.h>

/* Embeddings, overrides, isolates and marks (Unicode UAX #9): a name
 * holding U+202E shows "Bob <moc.live@bob>" the wrong way round, and reads
 * on into what follows it on the line. Letters of right-to-left scripts
 * are not controls and stay. */
gboolean text_is_bidi_control(gunichar c);
/* C0, DEL, C1 and the Unicode line and paragraph separators. */
gboolean text_is_control(gunichar c);
/* Valid UTF-8, one line (controls and white space become one space,
 * leading and trailing ones go), no bidi controls, at most max characters
 * (then "…"). Newly allocated; text NULL gives "". */
char *text_clean_line(const char *text, guint max);

#endif
