/* Changing messages: STORE, COPY, MOVE (RFC 6851, with its RFC 4315
 * fallback), EXPUNGE, and CONDSTORE (RFC 7162: max MODSEQ and
 * UNCHANGEDSINCE). */

#include "imap/imap-private.h"
#include "imap/uid-set.h"

static int imap_store_flags(imap_session *session, struct mailimap_set *set,
			    const char *const *flags, gboolean add, char **error_r)
{
	struct mailimap_flag_list *list;
	struct mailimap_store_att_flags *att;
	char *text;
	int r;

	list = imap_flag_list_new(flags, error_r);
	if (list == NULL) {
		session->error_kind = IMAP_ERROR_REFUSED;
		return -1;
	}
	att = add ? mailimap_store_att_flags_new_add_flags_silent(list)
		  : mailimap_store_att_flags_new_remove_flags_silent(list);
	r = mailimap_uid_store(session->imap, set, att);
	mailimap_store_att_flags_free(att);
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	text = imap_flags_to_text(flags);
	imap_fail(session, r, error_r, "UID STORE %cFLAGS.SILENT %s in \"%s\"",
		  add ? '+' : '-', text, session->selected);
	g_free(text);
	return -1;
}

static int imap_store_command(imap_session *session, struct mailimap_set *set,
			      void *context, char **error_r)
{
	return imap_store_flags(session, set, context, TRUE, error_r);
}

static int imap_unstore_command(imap_session *session, struct mailimap_set *set,
				void *context, char **error_r)
{
	return imap_store_flags(session, set, context, FALSE, error_r);
}

/* UID STORE +FLAGS or -FLAGS; bad flags are refused before anything is
 * sent. */
static int imap_change_flags(imap_session *session, const GArray *uids,
			     const char *const *flags, gboolean add, char **error_r)
{
	struct mailimap_flag_list *check;

	if (imap_check_selected(session, "UID STORE", error_r) < 0)
		return -1;
	check = imap_flag_list_new(flags, error_r);
	if (check == NULL) {
		session->error_kind = IMAP_ERROR_REFUSED;
		return -1;
	}
	mailimap_flag_list_free(check);
	if (flags == NULL || flags[0] == NULL)
		return 0;
	return imap_for_each_set(session, uids,
				 add ? imap_store_command : imap_unstore_command,
				 (void *)flags, error_r);
}

int imap_session_remove_flags(imap_session *session, const GArray *uids,
			      const char *const *flags, char **error_r)
{
	return imap_change_flags(session, uids, flags, FALSE, error_r);
}

int imap_session_add_flags(imap_session *session, const GArray *uids,
			   const char *const *flags, char **error_r)
{
	return imap_change_flags(session, uids, flags, TRUE, error_r);
}

static int imap_copy_command(imap_session *session, struct mailimap_set *set,
			     void *context, char **error_r)
{
	const char *mailbox = context;
	int r;

	r = mailimap_uid_copy(session->imap, set, mailbox);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r,
				 "UID COPY from \"%s\" to \"%s\"",
				 session->selected, mailbox);
	return 0;
}

int imap_session_copy(imap_session *session, const GArray *uids,
		      const char *mailbox, char **error_r)
{
	if (imap_check_selected(session, "UID COPY", error_r) < 0)
		return -1;
	return imap_for_each_set(session, uids, imap_copy_command,
				 (void *)mailbox, error_r);
}

static int imap_move_command(imap_session *session, struct mailimap_set *set,
			     void *context, char **error_r)
{
	const char *mailbox = context;
	int r;

	r = mailimap_uid_move(session->imap, set, mailbox);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r,
				 "UID MOVE from \"%s\" to \"%s\"",
				 session->selected, mailbox);
	return 0;
}

/* Without MOVE: COPY, then \Deleted, then UID EXPUNGE of exactly the same
 * set (RFC 4315 section 2.1) so other \Deleted messages stay. */
static int imap_copy_delete_command(imap_session *session,
				    struct mailimap_set *set, void *context,
				    char **error_r)
{
	static const char *const deleted[] = { "\\Deleted", NULL };
	int r;

	if (imap_copy_command(session, set, context, error_r) < 0)
		return -1;
	if (imap_store_command(session, set, (void *)deleted, error_r) < 0)
		return -1;
	if (!mailimap_has_extension(session->imap, "UIDPLUS"))
		return 0;
	r = mailimap_uid_expunge(session->imap, set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "UID EXPUNGE in \"%s\"",
				 session->selected);
	return 0;
}

static int imap_require_uidplus(imap_session *session, char **error_r)
{
	if (imap_check_selected(session, "UID EXPUNGE", error_r) < 0)
		return -1;
	if (!mailimap_has_extension(session->imap, "UIDPLUS"))
		return imap_refuse(session, error_r,
				   "UID EXPUNGE in \"%s\": the server has no UIDPLUS",
				   session->selected);
	return 0;
}

int imap_session_expunge_uids(imap_session *session, const GArray *uids,
			      char **error_r)
{
	static const char *const deleted[] = { "\\Deleted", NULL };

	if (imap_require_uidplus(session, error_r) < 0 ||
	    imap_session_add_flags(session, uids, deleted, error_r) < 0)
		return -1;
	return imap_session_expunge_deleted(session, uids, error_r);
}

/* ---- CONDSTORE (RFC 7162) ------------------------------------------ */

static gboolean imap_uid_in_set(struct mailimap_set *set, uint32_t uid)
{
	for (clistiter *it = clist_begin(set->set_list); it != NULL; it = clist_next(it)) {
		const struct mailimap_set_item *range = clist_content(it);

		if (uid >= range->set_first && uid <= range->set_last)
			return TRUE;
	}
	return FALSE;
}

/* UID FETCH (UID FLAGS MODSEQ) of one set; items are appended. */
static int imap_fetch_flags_modseq(imap_session *session, struct mailimap_set *set,
				   GArray *items, char **error_r)
{
	struct mailimap_fetch_type *type = mailimap_fetch_type_new_fetch_att_list_empty();
	clist *result = NULL;
	int r;

	mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_flags());
	mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_modseq());
	r = mailimap_uid_fetch(session->imap, set, type, &result);
	mailimap_fetch_type_free(type);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "UID FETCH MODSEQ in \"%s\"",
				 session->selected);
	for (clistiter *it = clist_begin(result); it != NULL; it = clist_next(it)) {
		imap_fetch_item item;

		imap_fetch_item_parse(clist_content(it), &item);
		item.data = NULL; /* points into result */
		if (item.uid != 0 && imap_uid_in_set(set, item.uid))
			g_array_append_val(items, item);
		else if (item.flags != NULL)
			g_ptr_array_free(item.flags, TRUE);
	}
	mailimap_fetch_list_free(result);
	return 0;
}

static int imap_modseq_command(imap_session *session, struct mailimap_set *set,
			       void *context, char **error_r)
{
	uint64_t *max = context;
	g_autoptr(GArray) items = g_array_new(FALSE, FALSE, sizeof(imap_fetch_item));
	int ret = imap_fetch_flags_modseq(session, set, items, error_r);

	for (guint i = 0; i < items->len; i++)
		*max = MAX(*max, g_array_index(items, imap_fetch_item, i).modseq);
	imap_fetch_items_clear(items);
	return ret;
}

int imap_session_max_modseq(imap_session *session, const GArray *uids,
			    uint64_t *modseq_r, char **error_r)
{
	*modseq_r = 0;
	if (imap_check_selected(session, "UID FETCH MODSEQ", error_r) < 0)
		return -1;
	if (!mailimap_has_condstore(session->imap))
		return 0;
	return imap_for_each_set(session, uids, imap_modseq_command, modseq_r, error_r);
}

typedef struct imap_unchanged_context {
	uint64_t modseq;
	GArray *changed;
} imap_unchanged_context;

static int imap_delete_unchanged_command(imap_session *session, struct mailimap_set *set,
					 void *context, char **error_r)
{
	static const char *const deleted[] = { "\\Deleted", NULL };
	imap_unchanged_context *ctx = context;
	g_autoptr(GArray) items = g_array_new(FALSE, FALSE, sizeof(imap_fetch_item));
	g_autoptr(GString) command = g_string_new("UID STORE ");
	int r, ret;

	/* Written here: libetpan's mailimap_uid_store_unchangedsince leaves
	 * out the space before the modifier, which Dovecot rejects. */
	imap_set_append_text(command, set);
	g_string_append_printf(command, " (UNCHANGEDSINCE %" G_GUINT64_FORMAT
			       ") +FLAGS.SILENT (%s)", ctx->modseq, deleted[0]);
	r = mailimap_custom_command(session->imap, command->str);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r,
				 "UID STORE (UNCHANGEDSINCE) \\Deleted in \"%s\"",
				 session->selected);
	/* Which were refused ([MODIFIED], RFC 7162 3.1.3): those that are
	 * still there without \Deleted. */
	ret = imap_fetch_flags_modseq(session, set, items, error_r);
	if (ret == 0) {
		/* The last answer for a UID is the current one. */
		g_autoptr(GHashTable) deleted_now = g_hash_table_new(g_direct_hash,
								     g_direct_equal);
		GHashTableIter iter;
		gpointer uid, yes;

		for (guint i = 0; i < items->len; i++) {
			imap_fetch_item *item = &g_array_index(items, imap_fetch_item, i);
			gboolean has_deleted = FALSE;

			for (guint j = 0; item->flags != NULL && j < item->flags->len; j++)
				has_deleted = has_deleted ||
					  g_ascii_strcasecmp(g_ptr_array_index(item->flags, j),
							     "\\Deleted") == 0;
			g_hash_table_insert(deleted_now, GUINT_TO_POINTER(item->uid),
					    GINT_TO_POINTER(has_deleted));
		}
		g_hash_table_iter_init(&iter, deleted_now);
		while (g_hash_table_iter_next(&iter, &uid, &yes)) {
			uint32_t u = GPOINTER_TO_UINT(uid);

			if (!GPOINTER_TO_INT(yes))
				g_array_append_val(ctx->changed, u);
		}
	}
	imap_fetch_items_clear(items);
	return ret;
}

int imap_session_delete_unchanged(imap_session *session, const GArray *uids,
				  uint64_t modseq, GArray **changed_r, char **error_r)
{
	imap_unchanged_context ctx = { modseq, g_array_new(FALSE, FALSE, sizeof(uint32_t)) };

	*changed_r = NULL;
	if (imap_check_selected(session, "UID STORE", error_r) < 0 ||
	    imap_for_each_set(session, uids, imap_delete_unchanged_command, &ctx,
			      error_r) < 0) {
		g_array_free(ctx.changed, TRUE);
		return -1;
	}
	*changed_r = ctx.changed;
	return 0;
}

static int imap_expunge_command(imap_session *session, struct mailimap_set *set,
				void *context, char **error_r)
{
	int r;

	(void)context;
	r = mailimap_uid_expunge(session->imap, set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "UID EXPUNGE in \"%s\"",
				 session->selected);
	return 0;
}

int imap_session_expunge_deleted(imap_session *session, const GArray *uids,
				 char **error_r)
{
	if (imap_require_uidplus(session, error_r) < 0)
		return -1;
	return imap_for_each_set(session, uids, imap_expunge_command, NULL, error_r);
}

int imap_session_move(imap_session *session, const GArray *uids,
		      const char *mailbox, char **error_r)
{
	if (imap_check_selected(session, "UID MOVE", error_r) < 0)
		return -1;
	if (mailimap_has_extension(session->imap, "MOVE"))
		return imap_for_each_set(session, uids, imap_move_command,
					 (void *)mailbox, error_r);
	return imap_for_each_set(session, uids, imap_copy_delete_command,
				 (void *)mailbox, error_r);
}
