/* UID sets: sorted unique UIDs, their ranges and the one writer of their
 * text (RFC 3501 9, sequence-set). */

#include "imap/uid-set.h"

int imap_uid_compare(gconstpointer a, gconstpointer b)
{
	uint32_t x = *(const uint32_t *)a;
	uint32_t y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorted, without duplicates or 0. */
GArray *imap_uids_sorted(const GArray *uids)
{
	GArray *sorted = g_array_sized_new(FALSE, FALSE, sizeof(uint32_t),
					   uids != NULL ? uids->len : 0);
	guint out = 0;

	if (uids != NULL)
		g_array_append_vals(sorted, uids->data, uids->len);
	g_array_sort(sorted, imap_uid_compare);
	for (guint i = 0; i < sorted->len; i++) {
		uint32_t uid = g_array_index(sorted, uint32_t, i);

		if (uid == 0 ||
		    (out > 0 && g_array_index(sorted, uint32_t, out - 1) == uid))
			continue;
		g_array_index(sorted, uint32_t, out++) = uid;
	}
	g_array_set_size(sorted, out);
	return sorted;
}

/* One mailimap_set with at most IMAP_SET_MAX_RANGES ranges, starting at
 * sorted[*pos]; advances *pos past what it took. */
struct mailimap_set *imap_set_next(const GArray *sorted, guint *pos)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	guint ranges = 0;

	while (*pos < sorted->len && ranges < IMAP_SET_MAX_RANGES) {
		uint32_t first = g_array_index(sorted, uint32_t, *pos);
		uint32_t last = first;

		(*pos)++;
		while (*pos < sorted->len &&
		       g_array_index(sorted, uint32_t, *pos) == last + 1) {
			last++;
			(*pos)++;
		}
		mailimap_set_add_interval(set, first, last);
		ranges++;
	}
	return set;
}

void imap_set_append_text(GString *out, const struct mailimap_set *set)
{
	for (clistiter *it = clist_begin(set->set_list); it != NULL; it = clist_next(it)) {
		const struct mailimap_set_item *range = clist_content(it);

		if (it != clist_begin(set->set_list))
			g_string_append_c(out, ',');
		if (range->set_first == range->set_last)
			g_string_append_printf(out, "%u", range->set_first);
		else
			g_string_append_printf(out, "%u:%u", range->set_first, range->set_last);
	}
}

/* Runs command once per UID set of at most IMAP_SET_MAX_RANGES ranges. */
int imap_for_each_set(imap_session *session, const GArray *uids,
			     imap_set_command *command, void *context,
			     char **error_r)
{
	GArray *sorted = imap_uids_sorted(uids);
	guint pos = 0;
	int ret = 0;

	while (pos < sorted->len && ret == 0) {
		struct mailimap_set *set = imap_set_next(sorted, &pos);

		ret = command(session, set, context, error_r);
		mailimap_set_free(set);
	}
	g_array_free(sorted, TRUE);
	return ret;
}
