/* Composing the digest as a MIME message (RFC 5322, RFC 2045-2049). */
#include "digest/digest.h"
#include "mime/compose.h"
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
	g_autofree char *tag = g_strdup_printf("vea-digest.%s.%s", client->id, local_date);
	char *message_id;

	/* "vea-digest." first: the journal's digest rows are told apart by it. */
	g_strdelimit(tag + strlen("vea-digest."), "-", '.');
	message_id = mime_message_id_new(at != NULL && at[1] != '\0' ? at + 1 : NULL, tag);
	if (list != NULL)
		g_object_unref(list);
	return message_id;
}

int digest_compose(const conf *config, const digest *d, const char *message_id, GDateTime *now,
		   digest_mail **mail_r, char **error_r)
{
	const conf_client *client = d->client;
	InternetAddressList *from_list = NULL;
	InternetAddressMailbox *from;
	g_autoptr(mime_compose) compose = NULL;
	g_autoptr(GPtrArray) recipients = NULL;
	g_autofree char *subject = NULL, *text_body = NULL, *html_body = NULL;
	char *error = NULL;
	GBytes *data;
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

	compose = mime_compose_new();
	if (mime_compose_set_from(compose, internet_address_get_name(INTERNET_ADDRESS(from)),
				  internet_address_mailbox_get_addr(from), &error) < 0 ||
	    mime_compose_add_to(compose, client->name, client->email, &error) < 0)
		goto composer_failed;
	if (client->digest_cc_assistant && config->assistant.email != NULL) {
		if (!smtp_address_is_valid(config->assistant.email)) {
			*error_r = g_strdup_printf("[assistant] email '%s' is not a usable address",
						   config->assistant.email);
			goto out;
		}
		if (mime_compose_add_cc(compose, config->assistant.name, config->assistant.email,
					&error) < 0)
			goto composer_failed;
		if (g_ascii_strcasecmp(config->assistant.email, client->email) != 0)
			g_ptr_array_add(recipients, g_strdup(config->assistant.email));
	}
	subject = digest_render_subject(d);
	mime_compose_set_subject(compose, subject);
	mime_compose_set_date(compose, now);
	if (mime_compose_set_message_id(compose, message_id, &error) < 0)
		goto composer_failed;
	/* RFC 3834 section 5: no vacation responder should answer it. */
	mime_compose_set_auto_submitted(compose, "auto-generated");
	text_body = digest_render_text(d);
	html_body = digest_render_html(d);
	mime_compose_set_text(compose, text_body);
	mime_compose_set_html(compose, html_body);
	data = mime_compose_to_bytes(compose, &error);
	if (data == NULL)
		goto composer_failed;
	mail = g_new0(digest_mail, 1);
	mail->data = data;
	mail->mail_from = g_strdup(internet_address_mailbox_get_addr(from));
	g_ptr_array_add(recipients, NULL);
	mail->recipients = (char **)g_ptr_array_free(g_steal_pointer(&recipients), FALSE);
	*mail_r = mail;
	ret = 0;
	goto out;
composer_failed:
	*error_r = g_strdup_printf("client %s: digest: %s", client->id, error);
	g_free(error);
out:
	if (from_list != NULL)
		g_object_unref(from_list);
	return ret;
}
