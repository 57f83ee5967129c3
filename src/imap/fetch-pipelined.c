/* The pipelined header fetch (RFC 3501 5.5).
 *
 * The only file that reaches into libetpan's private fields: imap->imap_tag
 * is swapped and restored, imap_response_info->rsp_fetch_list is taken, and
 * mailimap_read_line/mailimap_parse_response are called directly. Checked
 * against libetpan 1.9.4. */

#include "imap/imap-private.h"
#include "imap/uid-set.h"

#include <string.h>

/* Send "UID FETCH set (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER])" without
 * waiting for the answer; *tag_r is its tag. libetpan has no pipelining,
 * so the command is written here on its stream, after its own tag. */
static int imap_pipeline_send(imap_session *session, const GArray *sorted, int *tag_r,
			      char **error_r)
{
	g_autoptr(GString) command = g_string_new("UID FETCH ");
	mailimap *imap = session->imap;
	struct mailimap_set *set;
	guint pos = 0;
	int r;

	/* sorted holds at most IMAP_SET_MAX_RANGES UIDs (the batch size is
	 * capped): one set. */
	set = imap_set_next(sorted, &pos);
	imap_set_append_text(command, set);
	mailimap_set_free(set);
	/* PEEK: fetching must not set \Seen (RFC 3501 6.4.5). */
	g_string_append(command, " (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER])\r\n");
	r = mailimap_send_current_tag(imap);
	if (r == MAILIMAP_NO_ERROR &&
	    (mailstream_write(imap->imap_stream, command->str, command->len) < 0 ||
	     mailstream_flush(imap->imap_stream) < 0))
		r = MAILIMAP_ERROR_STREAM;
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "UID FETCH in \"%s\"", session->selected);
	*tag_r = imap->imap_tag;
	return 0;
}

/* Read the answer to the command tagged tag; *result_r gets its FETCH
 * responses (to mailimap_fetch_list_free). libetpan checks a response's
 * tag against the session's latest one, so that one is set to tag for
 * the read and put back after. Returns 0, 1 when the server refused the
 * batch (the session stays usable), -1 when the session broke. */
static int imap_pipeline_receive(imap_session *session, int tag, clist **result_r,
				 char **error_r)
{
	mailimap *imap = session->imap;
	struct mailimap_response *response = NULL;
	int latest = imap->imap_tag, r, state;

	*result_r = NULL;
	imap->imap_tag = tag;
	if (mailimap_read_line(imap) == NULL)
		r = MAILIMAP_ERROR_STREAM;
	else
		r = mailimap_parse_response(imap, &response);
	imap->imap_tag = latest;
	if (r != MAILIMAP_NO_ERROR) {
		/* Another command's answer is still on its way: the session
		 * cannot be used again. */
		session->dead = TRUE;
		return imap_fail(session, r, error_r, "UID FETCH in \"%s\"", session->selected);
	}
	state = response->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type;
	mailimap_response_free(response);
	*result_r = imap->imap_response_info->rsp_fetch_list;
	imap->imap_response_info->rsp_fetch_list = clist_new();
	/* A NO that still brought messages (one unreadable message, say)
	 * counts as an answer, as libetpan's own mailimap_uid_fetch has it;
	 * one with nothing is the server refusing the batch. */
	if (state != MAILIMAP_RESP_COND_STATE_OK && clist_count(*result_r) == 0) {
		mailimap_fetch_list_free(*result_r);
		*result_r = NULL;
		imap_fail(session, MAILIMAP_ERROR_UID_FETCH, error_r, "UID FETCH in \"%s\"",
			  session->selected);
		return 1;
	}
	return 0;
}

/* Headers of every UID in uids, in batches of batch_size, pipelined two
 * deep (RFC 3501 5.5): the next batch is asked for before this one is
 * handed to the callback, so the server reads and sends while vea parses
 * and evaluates. A server may work on both commands at once (Dovecot
 * does), so messages of the next batch can come before this batch's
 * tagged answer: those are kept (copied) until their batch's turn. */
int imap_fetch_headers_pipelined(imap_session *session, const GArray *uids,
					guint batch_size, imap_fetch_callback *callback,
					void *context, char **error_r)
{
	GArray *batches[2] = { g_array_new(FALSE, FALSE, sizeof(uint32_t)),
			       g_array_new(FALSE, FALSE, sizeof(uint32_t)) };
	int tags[2] = { 0, 0 };
	gboolean outstanding[2] = { FALSE, FALSE };
	GArray *early = g_array_new(FALSE, TRUE, sizeof(imap_fetch_item));
	guint pos = 0, k = 0;
	int ret = 0;

	for (;; k++) {
		guint cur = k % 2;
		GArray *items;
		clist *result = NULL;

		/* Ask for batch k (the first time) and k + 1, so that one is
		 * always on its way while another is read. */
		for (guint i = 0; ret == 0 && i < 2; i++) {
			guint s2 = (cur + i) % 2, n;

			if (outstanding[s2] || pos >= uids->len)
				continue;
			n = MIN(batch_size, uids->len - pos);
			g_array_set_size(batches[s2], 0);
			g_array_append_vals(batches[s2], &g_array_index(uids, uint32_t, pos), n);
			pos += n;
			ret = imap_pipeline_send(session, batches[s2], &tags[s2], error_r);
			outstanding[s2] = ret == 0;
		}
		if (ret < 0 || !outstanding[cur])
			break;
		ret = imap_pipeline_receive(session, tags[cur], &result, error_r);
		outstanding[cur] = FALSE;
		if (ret > 0) {
			/* Refused: read the other answer if one is on its way,
			 * so that the session stays in step. */
			guint other = (cur + 1) % 2;
			char *ignored = NULL;

			if (outstanding[other]) {
				clist *rest = NULL;
				/* The failure reported is the refused batch's. */
				imap_error_kind kind = session->error_kind;

				if (imap_pipeline_receive(session, tags[other], &rest, &ignored) == 0)
					mailimap_fetch_list_free(rest);
				g_free(ignored);
				outstanding[other] = FALSE;
				if (!session->dead)
					session->error_kind = kind;
			}
			ret = -1;
		}
		if (ret < 0)
			break;
		items = g_array_new(FALSE, TRUE, sizeof(imap_fetch_item));
		/* This batch's messages that came with the previous answer. */
		for (guint i = 0; i < early->len;) {
			imap_fetch_item *item = &g_array_index(early, imap_fetch_item, i);

			if (g_array_binary_search(batches[cur], &item->uid, imap_uid_compare, NULL)) {
				g_array_append_val(items, *item);
				g_array_remove_index_fast(early, i);
			} else {
				i++;
			}
		}
		for (clistiter *it = clist_begin(result); it != NULL; it = clist_next(it)) {
			guint next = (cur + 1) % 2;
			imap_fetch_item item;

			imap_fetch_item_parse(clist_content(it), &item);
			if (item.uid != 0 && item.has_body &&
			    g_array_binary_search(batches[cur], &item.uid, imap_uid_compare, NULL)) {
				g_array_append_val(items, item);
			} else if (item.uid != 0 && item.has_body && outstanding[next] &&
				   g_array_binary_search(batches[next], &item.uid, imap_uid_compare,
							 NULL)) {
				item.owned = g_malloc(item.len + 1);
				memcpy(item.owned, item.data, item.len);
				item.owned[item.len] = '\0';
				item.data = item.owned;
				g_array_append_val(early, item);
			} else if (item.flags != NULL) {
				/* Unsolicited FETCH responses (flag changes of
				 * other messages) are dropped. */
				g_ptr_array_free(item.flags, TRUE);
			}
		}
		g_array_sort(items, imap_fetch_item_compare);
		ret = imap_fetch_items_deliver(session, items, callback, context, error_r);
		imap_fetch_items_clear(items);
		g_array_free(items, TRUE);
		mailimap_fetch_list_free(result);
		if (ret < 0)
			break;
	}
	/* Stopped with an answer still to come: the session is unusable. */
	if (outstanding[0] || outstanding[1])
		session->dead = TRUE;
	imap_fetch_items_clear(early);
	g_array_free(early, TRUE);
	g_array_free(batches[0], TRUE);
	g_array_free(batches[1], TRUE);
	return ret;
}
