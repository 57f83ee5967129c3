/* IDLE (RFC 2177). */

#include "imap/imap-private.h"

#include "imap/stream.h"

/* RFC 2177 section 3: re-issue IDLE at least every 29 minutes. */
#define IMAP_IDLE_MAX_SECS (25 * 60)

int imap_session_idle_wait(imap_session *session, int timeout_secs,
			   gboolean *changed_r, char **error_r)
{
	struct mailimap_selection_info *info;
	mailstream *stream;
	uint32_t exists_before;
	gboolean has_data = FALSE;
	imap_stream_wait_result wait = IMAP_STREAM_WAIT_TIMEOUT;
	int r;

	*changed_r = FALSE;
	if (imap_check_selected(session, "IDLE", error_r) < 0)
		return -1;
	if (!mailimap_has_extension(session->imap, "IDLE"))
		return imap_refuse(session, error_r, "IMAP IDLE on %s: the server does not "
				   "offer IDLE; poll instead", session->host);
	if (timeout_secs <= 0 || timeout_secs > IMAP_IDLE_MAX_SECS)
		timeout_secs = IMAP_IDLE_MAX_SECS;
	info = session->imap->imap_selection_info;
	exists_before = info != NULL ? info->sel_exists : 0;

	r = mailimap_idle(session->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "IDLE in \"%s\"",
				 session->selected);
	stream = session->imap->imap_stream;
	/* Data that came with the continuation is already buffered: waiting
	 * on the socket would miss it. */
	if (stream->read_buffer_len > 0) {
		has_data = TRUE;
	} else {
		wait = imap_stream_wait(mailstream_get_low(stream), timeout_secs);
		has_data = wait == IMAP_STREAM_WAIT_DATA;
	}
	/* An interrupt that came while the wait was ending is for this wait
	 * too: the caller syncs next anyway. */
	imap_stream_clear_interrupt(mailstream_get_low(stream));
	/* The untagged responses reach imap_selection_info only now. */
	r = mailimap_idle_done(session->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(session, r, error_r, "IDLE DONE in \"%s\"",
				 session->selected);
	/* IDLE DONE was answered: the session is still in step. */
	if (wait == IMAP_STREAM_WAIT_ERROR)
		return imap_refuse(session, error_r, "IMAP IDLE in \"%s\" on %s: waiting for "
				   "the server failed", session->selected, session->host);
	info = session->imap->imap_selection_info;
	*changed_r = has_data ||
		     (info != NULL && info->sel_exists != exists_before);
	return 0;
}

void imap_session_idle_interrupt(imap_session *session)
{
	/* Kept by the stream when no wait is under way (stream.h). */
	if (session->imap != NULL && session->imap->imap_stream != NULL)
		imap_stream_interrupt(mailstream_get_low(session->imap->imap_stream));
}
