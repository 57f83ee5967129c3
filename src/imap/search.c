/* UID SEARCH: by UID range, Message-ID, header, UNSEEN FLAGGED, date. */

#include "imap/imap-private.h"
#include "imap/uid-set.h"

#include <string.h>

/* UID SEARCH UID first:* (RFC 3501 section 6.4.4). "first:*" also matches
 * the last message when first is above every UID, hence the filter. */
int imap_search_from(imap_session *session, uint32_t first_uid,
			    GArray **uids_r, char **error_r)
{
	struct mailimap_search_key *key;
	clist *result = NULL;
	GArray *uids;
	int r;

	key = mailimap_search_key_new_uid(
		mailimap_set_new_interval(first_uid, 0));
	r = mailimap_uid_search(session->imap, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r,
				 "UID SEARCH UID %u:* in \"%s\"", first_uid,
				 session->selected);
	uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (clistiter *it = result != NULL ? clist_begin(result) : NULL;
	     it != NULL; it = clist_next(it)) {
		uint32_t uid = *(uint32_t *)clist_content(it);

		if (uid >= first_uid)
			g_array_append_val(uids, uid);
	}
	if (result != NULL)
		mailimap_search_result_free(result);
	g_array_sort(uids, imap_uid_compare);
	*uids_r = uids;
	return 0;
}

/* UID SEARCH with key (freed here), results sorted. */
static int imap_search_key(imap_session *session, struct mailimap_search_key *key,
			   const char *what, GArray **uids_r, char **error_r)
{
	clist *result = NULL;
	GArray *uids;
	int r;

	r = mailimap_uid_search(session->imap, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "UID SEARCH %s in \"%s\"", what,
				 session->selected);
	uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (clistiter *it = result != NULL ? clist_begin(result) : NULL; it != NULL;
	     it = clist_next(it))
		g_array_append_val(uids, *(uint32_t *)clist_content(it));
	if (result != NULL)
		mailimap_search_result_free(result);
	g_array_sort(uids, imap_uid_compare);
	*uids_r = uids;
	return 0;
}

int imap_session_search_message_id(imap_session *session, const char *message_id,
				   GArray **uids_r, char **error_r)
{
	g_autofree char *bracketed = NULL;

	if (imap_check_selected(session, "UID SEARCH", error_r) < 0)
		return -1;
	if (strpbrk(message_id, "\r\n\"") != NULL)
		return imap_refuse(session, error_r, "a Message-ID with quotes or line breaks "
				   "cannot be searched for");
	bracketed = g_strdup_printf("<%s>", message_id);
	return imap_search_key(session,
			       mailimap_search_key_new_header(g_strdup("Message-ID"),
							      g_strdup(bracketed)),
			       "HEADER Message-ID", uids_r, error_r);
}

/* A search key without arguments: UNSEEN, FLAGGED, ... */
int imap_session_search_header(imap_session *session, const char *header, const char *value,
			       GArray **uids_r, char **error_r)
{
	g_autofree char *what = NULL;

	if (imap_check_selected(session, "UID SEARCH", error_r) < 0)
		return -1;
	if (strpbrk(header, "\r\n\" ()") != NULL || strpbrk(value, "\r\n\"") != NULL)
		return imap_refuse(session, error_r, "a header or value with quotes or line "
				   "breaks cannot be searched for");
	what = g_strdup_printf("HEADER %s", header);
	return imap_search_key(session,
			       mailimap_search_key_new_header(g_strdup(header), g_strdup(value)),
			       what, uids_r, error_r);
}

static struct mailimap_search_key *imap_search_key_simple(int type)
{
	return mailimap_search_key_new(type, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
				       NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL,
				       NULL, NULL, NULL, 0, NULL, NULL, NULL);
}

int imap_session_search_unseen_flagged(imap_session *session, GArray **uids_r,
				       char **error_r)
{
	struct mailimap_search_key *key;

	if (imap_check_selected(session, "UID SEARCH", error_r) < 0)
		return -1;
	key = mailimap_search_key_new_multiple_empty();
	mailimap_search_key_multiple_add(key, imap_search_key_simple(MAILIMAP_SEARCH_KEY_UNSEEN));
	mailimap_search_key_multiple_add(key, imap_search_key_simple(MAILIMAP_SEARCH_KEY_FLAGGED));
	return imap_search_key(session, key, "UNSEEN FLAGGED", uids_r, error_r);
}

int imap_session_first_uid_since(imap_session *session, int day, int month, int year,
				 uint32_t *uid_r, char **error_r)
{
	GArray *uids = NULL;

	if (imap_check_selected(session, "UID SEARCH", error_r) < 0)
		return -1;
	/* RFC 3501 6.4.4: SINCE compares the internal date, disregarding
	 * time and time zone: the day the message arrived. */
	if (imap_search_key(session,
			    mailimap_search_key_new_since(mailimap_date_new(day, month, year)),
			    "SINCE", &uids, error_r) < 0)
		return -1;
	*uid_r = uids->len > 0 ? g_array_index(uids, uint32_t, 0) : 0;
	g_array_free(uids, TRUE);
	return 0;
}

int imap_session_search_replies(imap_session *session, const char *message_id,
				GArray **uids_r, char **error_r)
{
	g_autofree char *bracketed = NULL;
	struct mailimap_search_key *key;

	if (imap_check_selected(session, "UID SEARCH", error_r) < 0)
		return -1;
	if (strpbrk(message_id, "\r\n\"") != NULL) {
		*error_r = g_strdup("a Message-ID with quotes or line breaks cannot be searched for");
		return -1;
	}
	bracketed = g_strdup_printf("<%s>", message_id);
	key = mailimap_search_key_new_or(
		mailimap_search_key_new_header(g_strdup("In-Reply-To"), g_strdup(bracketed)),
		mailimap_search_key_new_header(g_strdup("References"), g_strdup(bracketed)));
	return imap_search_key(session, key, "OR HEADER In-Reply-To HEADER References", uids_r,
			       error_r);
}
