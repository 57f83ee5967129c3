/* Mailboxes: SELECT/EXAMINE, LIST, special-use (RFC 6154), exists,
 * CREATE. */

#include "imap/imap-private.h"

#include <string.h>

/* SELECT (read-write) or EXAMINE (read-only, RFC 3501 6.3.2). */
static int imap_open_mailbox(imap_session *session, const char *name, gboolean read_only,
			     imap_mailbox_status *status_r, char **error_r)
{
	struct mailimap_selection_info *info;
	int r;

	if (imap_check_alive(session, error_r) < 0)
		return -1;
	g_clear_pointer(&session->selected, g_free);
	r = read_only ? mailimap_examine(session->imap, name) : mailimap_select(session->imap, name);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "%s \"%s\"", read_only ? "EXAMINE" : "SELECT",
				 name);
	session->selected = g_strdup(name);
	info = session->imap->imap_selection_info;
	if (status_r != NULL) {
		memset(status_r, 0, sizeof(*status_r));
		if (info != NULL) {
			status_r->uidvalidity = info->sel_uidvalidity;
			status_r->uidnext = info->sel_uidnext;
			status_r->exists = info->sel_exists;
			status_r->read_only = info->sel_perm == MAILIMAP_MAILBOX_READONLY;
		}
	}
	return 0;
}

int imap_session_select(imap_session *session, const char *name,
			imap_mailbox_status *status_r, char **error_r)
{
	return imap_open_mailbox(session, name, FALSE, status_r, error_r);
}

int imap_session_examine(imap_session *session, const char *name,
			 imap_mailbox_status *status_r, char **error_r)
{
	return imap_open_mailbox(session, name, TRUE, status_r, error_r);
}

static gboolean imap_list_flags_unusable(struct mailimap_mbx_list_flags *f)
{
	if (f == NULL)
		return FALSE;
	if (f->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
	    f->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT)
		return TRUE;
	for (clistiter *it = clist_begin(f->mbf_oflags); it != NULL;
	     it = clist_next(it)) {
		struct mailimap_mbx_list_oflag *of = clist_content(it);

		/* RFC 5258: \NonExistent; RFC 3501: \Noselect. */
		if (of->of_type == MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT &&
		    of->of_flag_ext != NULL &&
		    (g_ascii_strcasecmp(of->of_flag_ext, "NonExistent") == 0 ||
		     g_ascii_strcasecmp(of->of_flag_ext, "Noselect") == 0))
			return TRUE;
	}
	return FALSE;
}

static gboolean imap_mailbox_names_equal(const char *a, const char *b)
{
	/* RFC 3501 section 5.1: INBOX is case-insensitive. */
	if (g_ascii_strcasecmp(a, "INBOX") == 0)
		return g_ascii_strcasecmp(b, "INBOX") == 0;
	return strcmp(a, b) == 0;
}

int imap_session_list_mailboxes(imap_session *session, GHashTable **names_r,
				char **error_r)
{
	clist *list = NULL;
	GHashTable *names;
	int r;

	if (imap_check_alive(session, error_r) < 0)
		return -1;
	r = mailimap_list(session->imap, "", "*", &list);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "LIST \"\" \"*\"");
	names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (clistiter *it = list != NULL ? clist_begin(list) : NULL;
	     it != NULL; it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);

		if (!imap_list_flags_unusable(mb->mb_flag)) {
			/* INBOX is case-insensitive (RFC 3501 5.1): one spelling. */
			g_hash_table_add(names, g_ascii_strcasecmp(mb->mb_name, "INBOX") == 0
							? g_strdup("INBOX") : g_strdup(mb->mb_name));
		}
	}
	if (list != NULL)
		mailimap_list_result_free(list);
	*names_r = names;
	return 0;
}

/* Does the LIST entry carry the attribute (RFC 6154 2: "\\Drafts",
 * "\\Sent"...)? libetpan keeps the ones it does not know as extension
 * flags, without the backslash. */
static gboolean imap_list_flags_have(struct mailimap_mbx_list_flags *f, const char *attribute)
{
	if (f == NULL || attribute[0] != '\\')
		return FALSE;
	for (clistiter *it = clist_begin(f->mbf_oflags); it != NULL; it = clist_next(it)) {
		struct mailimap_mbx_list_oflag *of = clist_content(it);

		if (of->of_type == MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT && of->of_flag_ext != NULL &&
		    g_ascii_strcasecmp(of->of_flag_ext, attribute + 1) == 0)
			return TRUE;
	}
	return FALSE;
}

int imap_session_find_special_use(imap_session *session, const char *attribute,
				  char **name_r, char **error_r)
{
	clist *list = NULL;
	int r, found = 0;

	*name_r = NULL;
	if (imap_check_alive(session, error_r) < 0)
		return -1;
	/* A plain LIST: servers with SPECIAL-USE (RFC 6154 5.1) return the
	 * attributes in it, and one without answers the same way. */
	r = mailimap_list(session->imap, "", "*", &list);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "LIST \"\" \"*\"");
	for (clistiter *it = list != NULL ? clist_begin(list) : NULL; it != NULL && !found;
	     it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);

		if (!imap_list_flags_unusable(mb->mb_flag) &&
		    imap_list_flags_have(mb->mb_flag, attribute)) {
			*name_r = g_strdup(mb->mb_name);
			found = 1;
		}
	}
	if (list != NULL)
		mailimap_list_result_free(list);
	return found;
}

int imap_session_mailbox_exists(imap_session *session, const char *name,
				char **error_r)
{
	clist *list = NULL;
	int found = 0;
	int r;

	if (imap_check_alive(session, error_r) < 0)
		return -1;
	r = mailimap_list(session->imap, "", name, &list);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "LIST \"\" \"%s\"", name);
	/* The name is a pattern: '%' and '*' may match other mailboxes. */
	for (clistiter *it = list != NULL ? clist_begin(list) : NULL;
	     it != NULL; it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);

		if (imap_mailbox_names_equal(mb->mb_name, name) &&
		    !imap_list_flags_unusable(mb->mb_flag)) {
			found = 1;
			break;
		}
	}
	if (list != NULL)
		mailimap_list_result_free(list);
	return found;
}

int imap_session_create(imap_session *session, const char *name,
			char **error_r)
{
	char *exists_error = NULL;
	imap_error_kind kind;
	int r;

	if (imap_check_alive(session, error_r) < 0)
		return -1;
	r = mailimap_create(session->imap, name);
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	imap_fail(session, r, error_r, "CREATE \"%s\"", name);
	if (session->dead)
		return -1;
	kind = session->error_kind;
	/* RFC 5530 ALREADYEXISTS is only kept as rsp_atom by libetpan, and
	 * not every server sends it: ask. */
	if (imap_session_mailbox_exists(session, name, &exists_error) == 1) {
		g_clear_pointer(error_r, g_free);
		return 0;
	}
	g_free(exists_error);
	/* The failure reported is the CREATE's. */
	if (!session->dead)
		session->error_kind = kind;
	return -1;
}
