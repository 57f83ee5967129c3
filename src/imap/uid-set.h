#ifndef VEA_IMAP_UID_SET_H
#define VEA_IMAP_UID_SET_H

/* UID sets (RFC 3501 section 9, sequence-set): the one place that sorts
 * UIDs, cuts them into ranges and batches, and writes the set's text.
 * Everything but imap_for_each_set() is pure: tests need no server. */

#include "imap/imap.h"

#include <glib.h>
#include <libetpan/libetpan.h>
#include <stdint.h>

/* Keeps each command line far below servers' limits (Dovecot: 64 KiB). */
#define IMAP_SET_MAX_RANGES 500

/* Compares two uint32_t, for g_array_sort and g_array_binary_search. */
int imap_uid_compare(gconstpointer a, gconstpointer b);
/* A new GArray of uint32_t: uids sorted, without duplicates or 0. uids
 * may be NULL. */
GArray *imap_uids_sorted(const GArray *uids);
/* One mailimap_set (to mailimap_set_free) of at most IMAP_SET_MAX_RANGES
 * ranges of consecutive UIDs, starting at sorted[*pos]; advances *pos past
 * what it took. sorted as from imap_uids_sorted(). */
struct mailimap_set *imap_set_next(const GArray *sorted, guint *pos);
/* Appends the set's text to out: "1:3,7,9:12" (a single UID alone). The
 * only writer of a UID set's text, for commands libetpan cannot send. */
void imap_set_append_text(GString *out, const struct mailimap_set *set);

typedef int imap_set_command(imap_session *session, struct mailimap_set *set,
			     void *context, char **error_r);

/* Runs command once per UID set of at most IMAP_SET_MAX_RANGES ranges of
 * uids (sorted, duplicates once), until one fails. */
int imap_for_each_set(imap_session *session, const GArray *uids, imap_set_command *command,
		      void *context, char **error_r);

#endif
