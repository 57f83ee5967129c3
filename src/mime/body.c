/* The body: as received, as text for people (logs, the digest), and
 * whether there is one at all. */
#include "mime/message-private.h"
#include "mime/html-text.h"

static GMimeTextPart *body_find_text_part(GMimeObject *object,
					  const char *subtype)
{
	GMimePartIter *iter;
	GMimeTextPart *found = NULL;

	if (GMIME_IS_TEXT_PART(object)) {
		GMimeContentType *type = g_mime_object_get_content_type(object);

		if (g_mime_content_type_is_type(type, "text", subtype))
			return GMIME_TEXT_PART(object);
		return NULL;
	}
	if (!GMIME_IS_MULTIPART(object))
		return NULL;
	iter = g_mime_part_iter_new(object);
	do {
		GMimeObject *part = g_mime_part_iter_get_current(iter);
		GMimeContentDisposition *disposition;

		if (part == NULL || !GMIME_IS_TEXT_PART(part))
			continue;
		disposition = g_mime_object_get_content_disposition(part);
		if (disposition != NULL &&
		    g_mime_content_disposition_is_attachment(disposition))
			continue;
		if (g_mime_content_type_is_type(g_mime_object_get_content_type(part),
						"text", subtype)) {
			found = GMIME_TEXT_PART(part);
			break;
		}
	} while (g_mime_part_iter_next(iter));
	g_mime_part_iter_free(iter);
	return found;
}

const char *mime_message_get_body_text(mime_message *msg)
{
	GMimeObject *body;
	GMimeTextPart *part;
	gboolean html = FALSE;
	char *text;

	if (msg->body_text != NULL)
		return msg->body_text;
	body = g_mime_message_get_mime_part(mime_message_gmime_full(msg));
	part = body != NULL ? body_find_text_part(body, "plain") : NULL;
	if (part == NULL && body != NULL) {
		part = body_find_text_part(body, "html");
		html = part != NULL;
	}
	text = part != NULL ? g_mime_text_part_get_text(part) : NULL;
	if (text == NULL) {
		msg->body_text = g_strdup("");
	} else {
		if (!g_utf8_validate(text, -1, NULL)) {
			/* No charset parameter: raw bytes. Keep what is valid. */
			char *valid = g_utf8_make_valid(text, -1);

			g_free(text);
			text = valid;
		}
		msg->body_text = html ? html_text_from_html(
						 text, HTML_TEXT_READABLE) :
					 g_strdup(text);
		g_free(text);
	}
	return msg->body_text;
}

const char *mime_message_get_raw_body(mime_message *msg, size_t *len_r)
{
	*len_r = msg->raw_body_len;
	return msg->raw_body;
}

gboolean mime_message_has_body(const mime_message *msg)
{
	const char *end = msg->data + msg->header_len;

	/* The header ends with an empty line when there is a body, even an
	 * empty one; else it runs to the end of the data. */
	if (msg->header_len == 0)
		return FALSE;
	if (end[-1] != '\n')
		return FALSE;
	if (msg->header_len == 1)
		return TRUE;
	if (end[-2] == '\n')
		return TRUE;
	return end[-2] == '\r' && (msg->header_len == 2 || end[-3] == '\n');
}
