/* Composing the digest as a MIME message (RFC 5322, RFC 2045-2049). */
#include "digest/digest.h"
#include "smtp/smtp.h"

#include <gmime/gmime.h>
#include <string.h>

void digest_mail_free(digest_mail **mailp)
{
	digest_mail *mail = *mailp;

	if (mail == NULL)
		return;
	*mailp = NULL;
	if (mail->data != NULL)
		g_bytes_unref(mail->data);
	g_free(mail->mail_from);
	g_strfreev(mail->recipients);
	g_free(mail);
}

/* The first mailbox of an address list as written in the config. */
static InternetAddressMailbox *compose_parse_mailbox(const char *text, InternetAddressList **list_r)
{
	InternetAddressList *list = internet_address_list_parse(NULL, text);

	*list_r = list;
	if (list == NULL || internet_address_list_length(list) < 1)
		return NULL;
	InternetAddress *address = internet_address_list_get_address(list, 0);
	if (!INTERNET_ADDRESS_IS_MAILBOX(address))
		return NULL;
	return INTERNET_ADDRESS_MAILBOX(address);
}

char *digest_message_id_new(const conf *config, const conf_client *client, const char *local_date)
{
	InternetAddressList *list = NULL;
	InternetAddressMailbox *from = config->smtp.from != NULL
					       ? compose_parse_mailbox(config->smtp.from, &list)
					       : NULL;
	const char *addr = from != NULL ? internet_address_mailbox_get_addr(from) : NULL;
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
	g_autofree char *domain = g_strdup(at != NULL && at[1] != '\0' ? at + 1 : "vea.invalid");
	g_autofree char *id = g_strdup(client->id);
	g_autofree char *date = g_strdup(local_date);
	g_autofree char *uuid = g_uuid_string_random();
	char *message_id;

	/* RFC 5322 section 3.6.4: dot-atom text only. */
	g_strcanon(domain, G_CSET_A_2_Z G_CSET_a_2_z G_CSET_DIGITS ".-", '-');
	g_strcanon(id, G_CSET_A_2_Z G_CSET_a_2_z G_CSET_DIGITS "-", '-');
	g_strdelimit(date, "-", '.');
	message_id = g_strdup_printf("vea-digest.%s.%s.%s@%s", id, date, uuid, domain);
	if (list != NULL)
		g_object_unref(list);
	return message_id;
}

static GMimeTextPart *compose_text_part(const char *subtype, const char *text)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream(stream,
									 GMIME_CONTENT_ENCODING_DEFAULT);

	/* Always UTF-8 (g_mime_text_part_set_text would pick Latin-1 when it
	 * fits), so that the part agrees with the HTML's <meta charset>. */
	g_mime_part_set_content(GMIME_PART(part), content);
	g_mime_text_part_set_charset(part, "utf-8");
	g_object_unref(content);
	g_object_unref(stream);
	/* Quoted-printable or base64 as the content needs: the HTML has long
	 * lines, the text may hold 8-bit names and subjects. */
	g_mime_object_encode(GMIME_OBJECT(part), GMIME_ENCODING_CONSTRAINT_7BIT);
	return part;
}

int digest_compose(const conf *config, const digest *d, const char *message_id, GDateTime *now,
		   digest_mail **mail_r, char **error_r)
{
	const conf_client *client = d->client;
	InternetAddressList *from_list = NULL;
	InternetAddressMailbox *from;
	GMimeMessage *message = NULL;
	GMimeMultipart *alternative = NULL;
	GMimeTextPart *text = NULL, *html = NULL;
	GMimeFormatOptions *options = NULL;
	GMimeStream *stream = NULL;
	GPtrArray *recipients = NULL;
	g_autofree char *subject = NULL, *text_body = NULL, *html_body = NULL;
	g_autofree char *to_name = NULL;
	GByteArray *bytes;
	digest_mail *mail;
	int ret = -1;

	*mail_r = NULL;
	if (config->smtp.from == NULL) {
		*error_r = g_strdup("no sender: [smtp] from is not set");
		return -1;
	}
	from = compose_parse_mailbox(config->smtp.from, &from_list);
	if (from == NULL || !smtp_address_is_valid(internet_address_mailbox_get_addr(from))) {
		*error_r = g_strdup_printf("[smtp] from '%s' is not a usable address", config->smtp.from);
		goto out;
	}
	if (client->email == NULL || !smtp_address_is_valid(client->email)) {
		*error_r = g_strdup_printf("client %s: email '%s' is not a usable address", client->id,
					   client->email != NULL ? client->email : "");
		goto out;
	}
	recipients = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(recipients, g_strdup(client->email));

	message = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_FROM,
				   internet_address_get_name(INTERNET_ADDRESS(from)),
				   internet_address_mailbox_get_addr(from));
	/* A display name is a phrase (RFC 5322 section 3.2.5): GMime quotes
	 * or encodes it; control characters have no place in it at all. */
	to_name = g_strdup(client->name != NULL ? client->name : "");
	g_strdelimit(to_name, "\r\n\t", ' ');
	g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_TO, to_name, client->email);
	if (client->digest_cc_assistant && config->assistant.email != NULL) {
		if (!smtp_address_is_valid(config->assistant.email)) {
			*error_r = g_strdup_printf("[assistant] email '%s' is not a usable address",
						   config->assistant.email);
			goto out;
		}
		g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_CC,
					   config->assistant.name != NULL ? config->assistant.name : "",
					   config->assistant.email);
		if (g_ascii_strcasecmp(config->assistant.email, client->email) != 0)
			g_ptr_array_add(recipients, g_strdup(config->assistant.email));
	}
	subject = digest_render_subject(d);
	g_mime_message_set_subject(message, subject, "utf-8");
	g_mime_message_set_date(message, now);
	g_mime_message_set_message_id(message, message_id);
	/* RFC 3834 section 5: no vacation responder should answer it. */
	g_mime_object_set_header(GMIME_OBJECT(message), "Auto-Submitted", "auto-generated", NULL);

	text_body = digest_render_text(d);
	html_body = digest_render_html(d);
	text = compose_text_part("plain", text_body);
	html = compose_text_part("html", html_body);
	alternative = g_mime_multipart_new_with_subtype("alternative");
	g_mime_multipart_add(alternative, GMIME_OBJECT(text));
	g_mime_multipart_add(alternative, GMIME_OBJECT(html));
	g_mime_message_set_mime_part(message, GMIME_OBJECT(alternative));

	options = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(options, GMIME_NEWLINE_FORMAT_DOS);
	stream = g_mime_stream_mem_new();
	if (g_mime_object_write_to_stream(GMIME_OBJECT(message), options, stream) < 0) {
		*error_r = g_strdup("cannot write the digest message");
		goto out;
	}
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
	mail = g_new0(digest_mail, 1);
	mail->data = g_bytes_new(bytes->data, bytes->len);
	mail->mail_from = g_strdup(internet_address_mailbox_get_addr(from));
	g_ptr_array_add(recipients, NULL);
	mail->recipients = (char **)g_ptr_array_free(g_steal_pointer(&recipients), FALSE);
	*mail_r = mail;
	ret = 0;
out:
	if (recipients != NULL)
		g_ptr_array_unref(recipients);
	if (stream != NULL)
		g_object_unref(stream);
	if (options != NULL)
		g_mime_format_options_free(options);
	if (text != NULL)
		g_object_unref(text);
	if (html != NULL)
		g_object_unref(html);
	if (alternative != NULL)
		g_object_unref(alternative);
	if (message != NULL)
		g_object_unref(message);
	if (from_list != NULL)
		g_object_unref(from_list);
	return ret;
}
