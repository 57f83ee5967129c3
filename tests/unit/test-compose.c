/* The composer (src/mime/compose.c): what vea writes is a well-formed
 * message whatever text from mail it carries. Each message is read back
 * with GMime, as a recipient's mail client would read it. */
#include "mime/compose.h"
#include "mime/message.h"
#include "mime/rfc2047.h"

#include <gmime/gmime.h>
#include <string.h>

static GMimeMessage *parse_back(GBytes *bytes)
{
	gsize len;
	const char *data = g_bytes_get_data(bytes, &len);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);

	g_object_unref(parser);
	g_object_unref(stream);
	g_assert_nonnull(message);
	return message;
}

/* RFC 5322 2.1.1 and 2.3: CRLF only, no line over 998 octets. */
static void assert_lines_ok(GBytes *bytes)
{
	gsize len;
	const char *data = g_bytes_get_data(bytes, &len);
	gsize line = 0;

	for (gsize i = 0; i < len; i++) {
		if (data[i] == '\n') {
			g_assert_true(i > 0 && data[i - 1] == '\r');
			g_assert_cmpuint(line, <=, 998 + 1);
			line = 0;
		} else {
			g_assert_true(data[i] != '\r' || (i + 1 < len && data[i + 1] == '\n'));
			line++;
		}
	}
}

/* The header block as text, for looking for fields that must not be. */
static char *header_block(GBytes *bytes)
{
	gsize len;
	const char *data = g_bytes_get_data(bytes, &len);
	const char *end = g_strstr_len(data, (gssize)len, "\r\n\r\n");

	g_assert_nonnull(end);
	return g_strndup(data, (gsize)(end - data) + 2);
}

static int count_fields(const char *headers, const char *name)
{
	g_autofree char *needle = g_strdup_printf("\r\n%s:", name);
	int n = g_ascii_strncasecmp(headers, needle + 2, strlen(needle) - 2) == 0;

	for (const char *p = headers; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* A header's text as a careful reader decodes it (see rfc2047.h on why not
 * GMime's own decoding). */
static char *header_text(GMimeMessage *message, const char *name)
{
	GMimeHeaderList *headers = g_mime_object_get_header_list(GMIME_OBJECT(message));
	GMimeHeader *header = g_mime_header_list_get_header(headers, name);
	g_autofree char *unfolded = NULL;

	g_assert_nonnull(header);
	unfolded = g_mime_utils_header_unfold(g_mime_header_get_raw_value(header));
	return mime_rfc2047_decode_text(unfolded);
}

static mime_compose *basic(void)
{
	mime_compose *compose = mime_compose_new();
	char *error = NULL;

	g_assert_cmpint(mime_compose_set_from(compose, "Dana Whitfield", "dana@example.test", &error),
			==, 0);
	mime_compose_set_text(compose, "Hello.\n");
	return compose;
}

static void test_compose_hostile_names(void)
{
	g_autoptr(mime_compose) compose = basic();
	g_autoptr(GBytes) bytes = NULL;
	g_autofree char *headers = NULL;
	GMimeMessage *message;
	InternetAddressList *to;
	char *error = NULL;

	g_assert_cmpint(mime_compose_add_to(compose, "Evil\r\nBcc: victim@attacker.test",
					    "sam@example.test", &error), ==, 0);
	g_assert_cmpint(mime_compose_add_cc(compose, "\"Quoted\" <fake@x.test>, Other",
					    "cc@example.test", &error), ==, 0);
	mime_compose_set_subject(compose, "Re: lunch\r\nBcc: victim@attacker.test\nX-Evil: 1");
	bytes = mime_compose_to_bytes(compose, &error);
	g_assert_nonnull(bytes);
	assert_lines_ok(bytes);
	headers = header_block(bytes);
	g_assert_cmpint(count_fields(headers, "Bcc"), ==, 0);
	g_assert_cmpint(count_fields(headers, "X-Evil"), ==, 0);
	g_assert_cmpint(count_fields(headers, "To"), ==, 1);
	g_assert_cmpint(count_fields(headers, "Cc"), ==, 1);

	message = parse_back(bytes);
	to = g_mime_message_get_addresses(message, GMIME_ADDRESS_TYPE_TO);
	g_assert_cmpint(internet_address_list_length(to), ==, 1);
	g_assert_cmpstr(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(
				internet_address_list_get_address(to, 0))), ==, "sam@example.test");
	g_assert_cmpstr(internet_address_get_name(internet_address_list_get_address(to, 0)), ==,
			"Evil  Bcc: victim@attacker.test");
	/* The display name that looks like two addresses is one phrase. */
	g_assert_cmpint(internet_address_list_length(g_mime_message_get_addresses(
				message, GMIME_ADDRESS_TYPE_CC)), ==, 1);
	{
		g_autofree char *got = header_text(message, "Subject");

		g_assert_cmpstr(got, ==, "Re: lunch  Bcc: victim@attacker.test X-Evil: 1");
	}
	g_object_unref(message);
}

static void test_compose_international(void)
{
	/* 8-bit, right-to-left and combining text survives intact. */
	static const char *const subject = "Réunion — اجتماع الغد ‏(عاجل) 会議 Ω̃";
	static const char *const body = "Shalom: שלום עליכם\nZürich, 10 h.\n";
	g_autoptr(mime_compose) compose = basic();
	g_autoptr(GBytes) bytes = NULL;
	GMimeMessage *message;
	char *error = NULL;
	gsize len;
	const char *data;
	GMimeTextPart *part;
	g_autofree char *text = NULL;

	g_assert_cmpint(mime_compose_add_to(compose, "Ahmad الأحمد", "ahmad@example.test", &error),
			==, 0);
	mime_compose_set_subject(compose, subject);
	mime_compose_set_text(compose, body);
	bytes = mime_compose_to_bytes(compose, &error);
	g_assert_nonnull(bytes);
	assert_lines_ok(bytes);
	data = g_bytes_get_data(bytes, &len);
	for (gsize i = 0; i < len; i++)
		g_assert_cmpuint((unsigned char)data[i], <, 0x80); /* 7-bit on the wire */
	message = parse_back(bytes);
	{
		g_autofree char *got = header_text(message, "Subject");

		g_assert_cmpstr(got, ==, subject);
	}
	g_assert_cmpstr(internet_address_get_name(internet_address_list_get_address(
				g_mime_message_get_addresses(message, GMIME_ADDRESS_TYPE_TO), 0)),
			==, "Ahmad الأحمد");
	part = GMIME_TEXT_PART(g_mime_message_get_mime_part(message));
	text = g_mime_text_part_get_text(part);
	g_assert_true(g_str_has_prefix(text, "Shalom: שלום עליכם\r\nZürich") ||
		      g_str_has_prefix(text, "Shalom: שלום עליכם\nZürich"));
	g_object_unref(message);
}

static void test_compose_long_subject(void)
{
	g_autoptr(mime_compose) compose = basic();
	g_autoptr(GString) subject = g_string_new(NULL);
	g_autoptr(GBytes) bytes = NULL;
	GMimeMessage *message;
	char *error = NULL;
	g_autofree char *decoded = NULL;
	const char *got;

	for (int i = 0; i < 10000; i++)
		g_string_append_c(subject, i % 7 == 6 ? ' ' : (char)('a' + i % 26));
	mime_compose_set_subject(compose, subject->str);
	bytes = mime_compose_to_bytes(compose, &error);
	g_assert_nonnull(bytes);
	assert_lines_ok(bytes);
	message = parse_back(bytes);
	decoded = header_text(message, "Subject");
	got = g_strstrip(decoded);
	g_assert_cmpuint(g_utf8_strlen(got, -1), ==, MIME_COMPOSE_SUBJECT_MAX);
	g_assert_true(g_str_has_suffix(got, "..."));
	g_assert_cmpint(strncmp(got, subject->str, MIME_COMPOSE_SUBJECT_MAX - 3), ==, 0);
	g_object_unref(message);
}

static void test_compose_addresses(void)
{
	static const struct {
		const char *address;
		gboolean sendable;
	} cases[] = {
		{ "dana@example.test", TRUE },
		{ "first.last+tag@sub.example.test", TRUE },
		{ "jörg@bücher.example", TRUE }, /* RFC 6531 */
		{ "", FALSE },
		{ "no-at.example.test", FALSE },
		{ "@example.test", FALSE },
		{ "dana@", FALSE },
		{ "a@b@example.test", FALSE },
		{ "b..sanders@enron.example", FALSE }, /* read leniently, never sent to */
		{ ".schuler@enron.example", FALSE },
		{ "dana.@example.test", FALSE },
		{ "dana@example..test", FALSE },
		{ "dana@-example.test", FALSE },
		{ "dana@example.test.", FALSE },
		{ "dana@exa mple.test", FALSE },
		{ "dana@example.test>\r\nRCPT TO:<x@y.test", FALSE },
		{ "dana@example.test\n", FALSE },
		{ "\"dana\"@example.test", FALSE },
		{ "dana@[127.0.0.1]", FALSE },
		{ "a,b@example.test", FALSE },
		{ "\xff@example.test", FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("case %zu: %s", i, cases[i].address);
		g_assert_cmpint(mime_address_is_sendable(cases[i].address), ==, cases[i].sendable);
	}
	{
		g_autoptr(mime_compose) compose = basic();
		char *error = NULL;

		g_assert_cmpint(mime_compose_add_to(compose, "x", "x@y.test>\r\nBcc: z@y.test", &error),
				==, -1);
		g_assert_nonnull(strstr(error, "To: "));
		g_free(error);
	}
}

static void test_compose_threading(void)
{
	g_autoptr(mime_compose) compose = basic();
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GBytes) bytes = NULL;
	g_autofree char *headers = NULL;
	char *error = NULL;
	GMimeMessage *message;
	const char *refs;

	g_assert_cmpint(mime_compose_set_in_reply_to(compose, "x@y.test>\r\nBcc: z@y.test", &error),
			==, -1);
	g_clear_pointer(&error, g_free);
	g_assert_cmpint(mime_compose_set_in_reply_to(compose, "parent@example.test", &error), ==, 0);
	for (int i = 0; i < 30; i++)
		g_ptr_array_add(ids, g_strdup_printf("m%d@example.test", i));
	g_ptr_array_add(ids, NULL);
	g_assert_cmpint(mime_compose_set_references(compose, (const char *const *)ids->pdata, &error),
			==, 0);
	g_assert_cmpint(mime_compose_set_message_id(compose, "bad id@x", &error), ==, -1);
	g_clear_pointer(&error, g_free);
	bytes = mime_compose_to_bytes(compose, &error);
	g_assert_nonnull(bytes);
	assert_lines_ok(bytes);
	headers = header_block(bytes);
	g_assert_cmpint(count_fields(headers, "Bcc"), ==, 0);
	message = parse_back(bytes);
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(message), "In-Reply-To"), ==,
			"<parent@example.test>");
	refs = g_mime_object_get_header(GMIME_OBJECT(message), "References");
	/* The root and the 19 newest. */
	g_assert_true(g_str_has_prefix(refs, "<m0@example.test> <m11@example.test>"));
	g_assert_true(g_str_has_suffix(refs, "<m29@example.test>"));
	g_assert_null(strstr(refs, "<m10@example.test>"));
	/* A Message-ID was made, in the From domain. */
	g_assert_true(g_str_has_suffix(g_mime_message_get_message_id(message), "@example.test"));
	g_assert_cmpstr(g_mime_message_get_message_id(message), ==,
			mime_compose_get_message_id(compose));
	g_object_unref(message);
}

static void test_compose_headers(void)
{
	g_autoptr(mime_compose) compose = basic();
	g_autoptr(GBytes) bytes = NULL;
	char *error = NULL;
	GMimeMessage *message;

	g_assert_cmpint(mime_compose_set_header(compose, "From", "x@y.test", &error), ==, -1);
	g_clear_pointer(&error, g_free);
	g_assert_cmpint(mime_compose_set_header(compose, "content-type", "text/html", &error), ==, -1);
	g_clear_pointer(&error, g_free);
	g_assert_cmpint(mime_compose_set_header(compose, "X-A: b", "c", &error), ==, -1);
	g_clear_pointer(&error, g_free);
	g_assert_cmpint(mime_compose_set_header(compose, "Precedence", "bulk\r\nBcc: z@y.test", &error),
			==, 0);
	mime_compose_set_auto_submitted(compose, "auto-replied");
	bytes = mime_compose_to_bytes(compose, &error);
	g_assert_nonnull(bytes);
	message = parse_back(bytes);
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(message), "Precedence"), ==,
			"bulk  Bcc: z@y.test");
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(message), "Auto-Submitted"), ==,
			"auto-replied");
	g_assert_null(g_mime_object_get_header(GMIME_OBJECT(message), "Bcc"));
	g_object_unref(message);
}

static void test_compose_alternative_calendar(void)
{
	static const char *const ics = "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n";
	g_autoptr(mime_compose) compose = basic();
	g_autoptr(GBytes) bytes = NULL;
	char *error = NULL;
	GMimeMessage *message;
	GMimeObject *body;
	GMimeMultipart *multipart;
	GMimeContentType *type;

	mime_compose_set_html(compose, "<p>Hello &amp; welcome</p>");
	mime_compose_set_calendar(compose, ics, "REPLY");
	bytes = mime_compose_to_bytes(compose, &error);
	g_assert_nonnull(bytes);
	assert_lines_ok(bytes);
	message = parse_back(bytes);
	body = g_mime_message_get_mime_part(message);
	g_assert_true(GMIME_IS_MULTIPART(body));
	g_assert_cmpstr(g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(body)),
			==, "alternative");
	multipart = GMIME_MULTIPART(body);
	g_assert_cmpint(g_mime_multipart_get_count(multipart), ==, 3);
	type = g_mime_object_get_content_type(g_mime_multipart_get_part(multipart, 0));
	g_assert_cmpstr(g_mime_content_type_get_media_subtype(type), ==, "plain");
	type = g_mime_object_get_content_type(g_mime_multipart_get_part(multipart, 1));
	g_assert_cmpstr(g_mime_content_type_get_media_subtype(type), ==, "html");
	type = g_mime_object_get_content_type(g_mime_multipart_get_part(multipart, 2));
	g_assert_cmpstr(g_mime_content_type_get_media_subtype(type), ==, "calendar");
	g_assert_cmpstr(g_mime_content_type_get_parameter(type, "method"), ==, "REPLY");
	g_assert_cmpstr(g_mime_content_type_get_parameter(type, "charset"), ==, "utf-8");
	g_object_unref(message);
}

static void test_compose_needs_from_and_text(void)
{
	g_autoptr(mime_compose) compose = mime_compose_new();
	char *error = NULL;

	g_assert_null(mime_compose_to_bytes(compose, &error));
	g_assert_nonnull(strstr(error, "From"));
	g_clear_pointer(&error, g_free);
	g_assert_cmpint(mime_compose_set_from(compose, NULL, "a@b.test", &error), ==, 0);
	g_assert_null(mime_compose_to_bytes(compose, &error));
	g_assert_nonnull(strstr(error, "text"));
	g_free(error);
}

static void test_rfc2047_decode(void)
{
	static const struct {
		const char *raw, *text;
	} cases[] = {
		/* GMime 3.2.13 reads this as "Hello" (its issue #133). */
		{ "=?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IHdvcmxk?=", "Hello world" },
		{ "Re: =?UTF-8?B?YQ==?=  =?utf-8?b?Yg==?= end", "Re: ab end" },
		{ "=?UTF-8?Q?a?= b =?UTF-8?B?Yw==?=", "a b c" },
		{ "=?iso-8859-1?B?6Q==?= =?UTF-8?B?w6k=?=", "\xc3\xa9\xc3\xa9" },
		{ "plain text, no words", "plain text, no words" },
		{ "=?UTF-8?B?YQ==?= x=?y", "a x=?y" },
		{ "", "" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = mime_rfc2047_decode_text(cases[i].raw);
		g_autofree char *phrase = mime_rfc2047_decode_phrase(cases[i].raw);

		g_test_message("case %zu: %s", i, cases[i].raw);
		g_assert_cmpstr(got, ==, cases[i].text);
		g_assert_cmpstr(phrase, ==, cases[i].text);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	mime_init();
	g_test_add_func("/compose/hostile-names", test_compose_hostile_names);
	g_test_add_func("/compose/international", test_compose_international);
	g_test_add_func("/compose/long-subject", test_compose_long_subject);
	g_test_add_func("/compose/addresses", test_compose_addresses);
	g_test_add_func("/compose/threading", test_compose_threading);
	g_test_add_func("/compose/headers", test_compose_headers);
	g_test_add_func("/compose/alternative-calendar", test_compose_alternative_calendar);
	g_test_add_func("/compose/needs-from-and-text", test_compose_needs_from_and_text);
	g_test_add_func("/rfc2047/decode", test_rfc2047_decode);
	return g_test_run();
}
