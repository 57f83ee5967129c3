/* APPEND, with APPENDUID where the server has UIDPLUS (RFC 4315 3). */

#include "imap/imap-private.h"

int imap_session_append(imap_session *session, const char *mailbox,
			const char *const *flags, const char *data, size_t len,
			uint32_t *uidvalidity_r, uint32_t *uid_r, char **error_r)
{
	struct mailimap_flag_list *list;
	uint32_t uidvalidity = 0;
	uint32_t uid = 0;
	int r;

	if (uid_r != NULL)
		*uid_r = 0;
	if (uidvalidity_r != NULL)
		*uidvalidity_r = 0;
	if (imap_check_alive(session, error_r) < 0)
		return -1;
	list = imap_flag_list_new(flags, error_r);
	if (list == NULL) {
		session->error_kind = IMAP_ERROR_REFUSED;
		return -1;
	}
	if (mailimap_has_extension(session->imap, "UIDPLUS"))
		r = mailimap_uidplus_append(session->imap, mailbox, list, NULL,
					    data, len, &uidvalidity, &uid);
	else
		r = mailimap_append(session->imap, mailbox, list, NULL, data,
				    len);
	mailimap_flag_list_free(list);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r,
				 "APPEND of %zu bytes to \"%s\"", len, mailbox);
	if (uid_r != NULL)
		*uid_r = uid;
	if (uidvalidity_r != NULL)
		*uidvalidity_r = uidvalidity;
	return 0;
}
