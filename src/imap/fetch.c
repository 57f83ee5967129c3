/* Fetch: fetch items, plain and size-bounded fetch, the entry points
 * (the pipelined header fetch is fetch-pipelined.c). */

#include "imap/imap-private.h"
#include "imap/uid-set.h"

#include <string.h>

#define IMAP_DEFAULT_BATCH 500
/* Bodies fetched in one command stay under this many bytes (one larger
 * message still goes alone), so a batch of 500 large messages cannot
 * exhaust memory. */
#define IMAP_FETCH_MAX_BYTES (32u * 1024 * 1024)

void imap_fetch_item_parse(struct mailimap_msg_att *att,
				  imap_fetch_item *item)
{
	memset(item, 0, sizeof(*item));
	for (clistiter *it = clist_begin(att->att_list); it != NULL;
	     it = clist_next(it)) {
		struct mailimap_msg_att_item *ai = clist_content(it);

		if (ai->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
			clist *fl = ai->att_data.att_dyn->att_list;

			if (item->flags == NULL)
				item->flags = g_ptr_array_new_with_free_func(
					g_free);
			for (clistiter *f = fl != NULL ? clist_begin(fl) : NULL;
			     f != NULL; f = clist_next(f)) {
				struct mailimap_flag_fetch *ff =
					clist_content(f);
				char *text;

				/* \Recent is session state, not a flag a
				 * rule can act on. */
				if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER ||
				    ff->fl_flag == NULL)
					continue;
				text = imap_flag_to_text(ff->fl_flag);
				if (text != NULL)
					g_ptr_array_add(item->flags, text);
			}
			continue;
		}
		if (ai->att_type == MAILIMAP_MSG_ATT_ITEM_EXTENSION) {
			struct mailimap_extension_data *ext =
				ai->att_data.att_extension_data;

			if (ext != NULL && ext->ext_extension != NULL &&
			    ext->ext_extension->ext_id == MAILIMAP_EXTENSION_CONDSTORE &&
			    ext->ext_type == MAILIMAP_CONDSTORE_TYPE_FETCH_DATA &&
			    ext->ext_data != NULL)
				item->modseq = ((struct mailimap_condstore_fetch_mod_resp *)
							ext->ext_data)->cs_modseq_value;
			continue;
		}
		if (ai->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		{
			struct mailimap_msg_att_static *st =
				ai->att_data.att_static;

			switch (st->att_type) {
			case MAILIMAP_MSG_ATT_UID:
				item->uid = st->att_data.att_uid;
				break;
			case MAILIMAP_MSG_ATT_RFC822_SIZE:
				item->size = st->att_data.att_rfc822_size;
				break;
			case MAILIMAP_MSG_ATT_BODY_SECTION: {
				struct mailimap_msg_att_body_section *bs =
					st->att_data.att_body_section;

				item->has_body = TRUE;
				item->data = bs->sec_body_part != NULL
						     ? bs->sec_body_part
						     : "";
				item->len = bs->sec_body_part != NULL
						    ? bs->sec_length
						    : 0;
				break;
			}
			default:
				break;
			}
		}
	}
}

int imap_fetch_item_compare(gconstpointer a, gconstpointer b)
{
	const imap_fetch_item *x = a;
	const imap_fetch_item *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

void imap_fetch_items_clear(GArray *items)
{
	for (guint i = 0; i < items->len; i++) {
		imap_fetch_item *item = &g_array_index(items, imap_fetch_item, i);

		if (item->flags != NULL)
			g_ptr_array_free(item->flags, TRUE);
		g_free(item->owned);
	}
	g_array_set_size(items, 0);
}

/* UID FETCH of exactly these sorted UIDs; the items point into *result_r,
 * which the caller frees with mailimap_fetch_list_free(). Unsolicited
 * FETCH responses (flag changes of other messages) are dropped. */
static int imap_fetch_set(imap_session *session, const GArray *sorted,
			  gboolean body, gboolean headers_only, GArray *items,
			  clist **result_r, char **error_r)
{
	struct mailimap_fetch_type *type;
	struct mailimap_set *set;
	guint pos = 0;
	int r;

	*result_r = NULL;
	type = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(type,
						   mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
		type, mailimap_fetch_att_new_rfc822_size());
	if (body) {
		mailimap_fetch_type_new_fetch_att_list_add(
			type, mailimap_fetch_att_new_flags());
		/* PEEK: fetching must not set \Seen (RFC 3501 6.4.5). */
		mailimap_fetch_type_new_fetch_att_list_add(
			type, mailimap_fetch_att_new_body_peek_section(
				      headers_only
					      ? mailimap_section_new_header()
					      : mailimap_section_new(NULL)));
	}
	/* sorted holds at most IMAP_SET_MAX_RANGES UIDs: one set. */
	set = imap_set_next(sorted, &pos);
	r = mailimap_uid_fetch(session->imap, set, type, result_r);
	mailimap_set_free(set);
	mailimap_fetch_type_free(type);
	if (r != MAILIMAP_NO_ERROR) {
		*result_r = NULL;
		return imap_fail(session, r, error_r, "UID FETCH in \"%s\"",
				 session->selected);
	}

	for (clistiter *it = clist_begin(*result_r); it != NULL;
	     it = clist_next(it)) {
		imap_fetch_item item;

		imap_fetch_item_parse(clist_content(it), &item);
		if (item.uid == 0 || (body && !item.has_body) ||
		    !g_array_binary_search((GArray *)sorted, &item.uid,
					   imap_uid_compare,
					   NULL)) {
			if (item.flags != NULL)
				g_ptr_array_free(item.flags, TRUE);
			continue;
		}
		g_array_append_val(items, item);
	}
	g_array_sort(items, imap_fetch_item_compare);
	return 0;
}

/* Hand fetched items (in UID order) to the callback, one by one, until
 * it fails. */
int imap_fetch_items_deliver(imap_session *session, GArray *items,
				    imap_fetch_callback *callback, void *context,
				    char **error_r)
{
	for (guint i = 0; i < items->len; i++) {
		imap_fetch_item *item = &g_array_index(items, imap_fetch_item, i);
		imap_fetched msg;

		if (item->flags == NULL)
			item->flags = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(item->flags, NULL);
		msg.uid = item->uid;
		msg.flags = (char **)item->flags->pdata;
		msg.data = item->data;
		msg.len = item->len;
		msg.size = item->size;
		if (callback(&msg, context, error_r) < 0) {
			if (*error_r == NULL)
				*error_r = g_strdup_printf("processing UID %u of \"%s\" failed",
							   item->uid, session->selected);
			return -1;
		}
	}
	return 0;
}

static int imap_fetch_bodies(imap_session *session, const GArray *uids,
			     gboolean headers_only,
			     imap_fetch_callback *callback, void *context,
			     char **error_r)
{
	GArray *items = g_array_new(FALSE, TRUE, sizeof(imap_fetch_item));
	clist *result = NULL;
	int ret;

	ret = imap_fetch_set(session, uids, TRUE, headers_only, items, &result,
			     error_r);
	if (ret == 0)
		ret = imap_fetch_items_deliver(session, items, callback, context, error_r);
	imap_fetch_items_clear(items);
	g_array_free(items, TRUE);
	if (result != NULL)
		mailimap_fetch_list_free(result);
	return ret;
}

/* Splits one batch of UIDs by RFC822.SIZE so that no single FETCH holds
 * more than IMAP_FETCH_MAX_BYTES of bodies (a larger message goes alone). */
static int imap_fetch_batch(imap_session *session, const GArray *batch,
			    gboolean headers_only,
			    imap_fetch_callback *callback, void *context,
			    char **error_r)
{
	GArray *sizes;
	GArray *part;
	clist *result = NULL;
	uint64_t bytes = 0;
	int ret;

	if (headers_only)
		return imap_fetch_bodies(session, batch, TRUE, callback,
					 context, error_r);

	sizes = g_array_new(FALSE, TRUE, sizeof(imap_fetch_item));
	ret = imap_fetch_set(session, batch, FALSE, FALSE, sizes, &result,
			     error_r);
	if (result != NULL)
		mailimap_fetch_list_free(result);
	part = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (guint i = 0; ret == 0 && i < sizes->len; i++) {
		imap_fetch_item *item = &g_array_index(sizes, imap_fetch_item, i);

		if (part->len > 0 && bytes + item->size > IMAP_FETCH_MAX_BYTES) {
			ret = imap_fetch_bodies(session, part, FALSE, callback,
						context, error_r);
			g_array_set_size(part, 0);
			bytes = 0;
		}
		g_array_append_val(part, item->uid);
		bytes += item->size;
	}
	if (ret == 0 && part->len > 0)
		ret = imap_fetch_bodies(session, part, FALSE, callback, context,
					error_r);
	g_array_free(part, TRUE);
	imap_fetch_items_clear(sizes);
	g_array_free(sizes, TRUE);
	return ret;
}

int imap_session_fetch_from(imap_session *session, uint32_t first_uid,
			    gboolean headers_only, unsigned int batch_size,
			    imap_fetch_callback *callback, void *context,
			    char **error_r)
{
	GArray *uids = NULL;
	GArray *batch;
	int ret = 0;

	*error_r = NULL;
	if (imap_check_selected(session, "UID FETCH", error_r) < 0)
		return -1;
	if (first_uid == 0)
		first_uid = 1;
	/* A batch is one UID set: keep its command line short. */
	if (batch_size == 0 || batch_size > IMAP_SET_MAX_RANGES)
		batch_size = batch_size == 0 ? IMAP_DEFAULT_BATCH
					     : IMAP_SET_MAX_RANGES;
	if (imap_search_from(session, first_uid, &uids, error_r) < 0)
		return -1;
	if (headers_only) {
		ret = imap_fetch_headers_pipelined(session, uids, batch_size, callback, context,
						   error_r);
		g_array_free(uids, TRUE);
		return ret;
	}

	batch = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (guint pos = 0; ret == 0 && pos < uids->len;) {
		guint n = MIN(batch_size, uids->len - pos);

		g_array_set_size(batch, 0);
		g_array_append_vals(batch, &g_array_index(uids, uint32_t, pos),
				    n);
		pos += n;
		ret = imap_fetch_batch(session, batch, headers_only, callback,
				       context, error_r);
	}
	g_array_free(batch, TRUE);
	g_array_free(uids, TRUE);
	return ret;
}

int imap_session_fetch_uids(imap_session *session, const GArray *uids,
			    gboolean headers_only, imap_fetch_callback *callback,
			    void *context, char **error_r)
{
	GArray *sorted;
	GArray *batch;
	int ret = 0;

	*error_r = NULL;
	if (imap_check_selected(session, "UID FETCH", error_r) < 0)
		return -1;
	sorted = imap_uids_sorted(uids);
	batch = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	/* A batch is one UID set (imap_fetch_set). */
	for (guint pos = 0; ret == 0 && pos < sorted->len;) {
		guint n = MIN(IMAP_SET_MAX_RANGES, sorted->len - pos);

		g_array_set_size(batch, 0);
		g_array_append_vals(batch, &g_array_index(sorted, uint32_t, pos), n);
		pos += n;
		ret = imap_fetch_batch(session, batch, headers_only, callback, context,
				       error_r);
	}
	g_array_free(batch, TRUE);
	g_array_free(sorted, TRUE);
	return ret;
}
