/* Message access as the rules see it: decoded headers, addresses split
 * into local part and domain, and nothing that could carry a line break. */
#include "mime/message.h"
#include "mime/html-text.h"
#include "mime/fast-parse.h"
#include "mime/rfc2047.h"

#include <gmime/gmime.h>

#include <string.h>
#include <time.h>

static mime_message *parse(const char *text)
{
	char *error = NULL;
	mime_message *msg = mime_message_parse(text, strlen(text), &error);

	g_assert_null(error);
	g_assert_nonnull(msg);
	return msg;
}

static void test_mime_headers(void)
{
	mime_message *msg = parse(
		"From: =?UTF-8?Q?Marco_Bellini?= <marco@Example.org>\r\n"
		"To: a@example.test, Team: b@example.test, \"C, D\" <c@sub.example.test>;\r\n"
		"Subject: =?ISO-8859-1?Q?Caf=E9?= and\r\n more\r\n"
		"X-Tag: one\r\n"
		"x-tag: two\r\n"
		"Message-ID: <abc@example.test>\r\n"
		"\r\n"
		"Body\r\n");
	const char *const *tags;
	const GPtrArray *to;
	const mime_address *address;

	g_assert_cmpstr(mime_message_get_subject(msg), ==, "Café and more");
	g_assert_cmpstr(mime_message_get_from(msg), ==, "Marco Bellini <marco@Example.org>");
	g_assert_cmpstr(mime_message_get_message_id(msg), ==, "abc@example.test");
	tags = mime_message_get_header_values(msg, "X-TAG");
	g_assert_cmpstr(tags[0], ==, "one");
	g_assert_cmpstr(tags[1], ==, "two");
	g_assert_null(tags[2]);
	g_assert_null(mime_message_get_header_values(msg, "absent")[0]);

	/* Groups are flattened (RFC 5228 2.7.4 addresses, not groups). */
	to = mime_message_get_addresses(msg, "to");
	g_assert_cmpuint(to->len, ==, 3);
	address = g_ptr_array_index(to, 2);
	g_assert_cmpstr(address->name, ==, "C, D");
	g_assert_cmpstr(address->localpart, ==, "c");
	g_assert_cmpstr(address->domain, ==, "sub.example.test");
	mime_message_free(&msg);
	g_assert_null(msg);
}

/* Two padded base64 words (what most mailers write, GMime's encoder too)
 * are read whole: GMime 3.2.13 alone keeps only the first (rfc2047.h). */
static void test_mime_encoded_words(void)
{
	mime_message *msg = parse(
		"From: =?UTF-8?B?TWFyY28=?= =?UTF-8?B?IEJlbGxpbmk=?= <marco@example.org>\r\n"
		"Subject: =?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IHdvcmxk?=\r\n"
		"X-Note: Re: =?UTF-8?B?w6k=?=\r\n =?UTF-8?B?w6k=?= done\r\n"
		"\r\n"
		"Body\r\n");
	const GPtrArray *from = mime_message_get_addresses(msg, "from");

	g_assert_cmpstr(mime_message_get_subject(msg), ==, "Hello world");
	g_assert_cmpstr(mime_message_get_header_values(msg, "x-note")[0], ==,
			"Re: \xc3\xa9\xc3\xa9 done");
	g_assert_cmpuint(from->len, ==, 1);
	g_assert_cmpstr(((const mime_address *)g_ptr_array_index(from, 0))->name, ==,
			"Marco Bellini");
	mime_message_free(&msg);
}

/* A well-formed header is split without GMime, a header with stray lines
 * goes through GMime; both give what GMime alone gave (folds, CRLF,
 * Content-* fields, several fields of one name, decoding on demand,
 * plain address lists and the others). */
static void test_mime_header_paths(void)
{
	mime_message *msg = parse(
		"Received: from a\r\n\tby b;\r\n  Mon, 1 Jan 2002\r\n"
		"Content-Type: multipart/mixed;\r\n boundary=\"XX\"\r\n"
		"Subject:   spaced  out  \r\n"
		"To: \"Ann Lee\" <ann@Example.ORG>, bob@ex.test,\r\n"
		" <c.d@sub.ex.test>, Eve Q <e@ex.test>\r\n"
		"Cc: \"Lee, Ann\" <ann@ex.test>, (comment) d@ex.test\r\n"
		"X-Enc: =?ISO-8859-1?Q?Caf=E9?=\r\n"
		"content-type: text/plain\r\n"
		"\r\n"
		"--XX\r\n");
	const char *const *values;
	const GPtrArray *addresses;
	const mime_address *address;
	int id = mime_header_id("Content-TYPE");

	g_assert_cmpint(id, >=, 0);
	g_assert_cmpint(mime_header_id("content-type"), ==, id);
	values = mime_message_get_header_values(msg, "received");
	g_assert_cmpstr(values[0], ==, "from a\tby b;  Mon, 1 Jan 2002");
	g_assert_null(values[1]);
	values = mime_message_get_header_values_by_id(msg, id);
	g_assert_cmpstr(values[0], ==, "multipart/mixed; boundary=\"XX\"");
	g_assert_cmpstr(values[1], ==, "text/plain");
	g_assert_null(values[2]);
	g_assert_true(values == mime_message_get_header_values(msg, "Content-Type"));
	g_assert_cmpstr(mime_message_get_subject(msg), ==, "spaced  out");
	g_assert_cmpstr(mime_message_get_header_values(msg, "x-enc")[0], ==,
			"Caf\xc3\xa9");
	g_assert_cmpstr(mime_message_get_raw_header_values(msg, "x-enc")[0], ==,
			"=?ISO-8859-1?Q?Caf=E9?=");
	addresses = mime_message_get_addresses(msg, "to");
	g_assert_cmpuint(addresses->len, ==, 4);
	address = g_ptr_array_index(addresses, 0);
	g_assert_cmpstr(address->name, ==, "Ann Lee");
	g_assert_cmpstr(address->addr, ==, "ann@Example.ORG");
	g_assert_cmpstr(address->domain, ==, "Example.ORG");
	address = g_ptr_array_index(addresses, 2);
	g_assert_cmpstr(address->name, ==, "");
	g_assert_cmpstr(address->localpart, ==, "c.d");
	address = g_ptr_array_index(addresses, 3);
	g_assert_cmpstr(address->name, ==, "Eve Q");
	addresses = mime_message_get_addresses(msg, "cc");
	g_assert_cmpuint(addresses->len, ==, 2);
	address = g_ptr_array_index(addresses, 0);
	g_assert_cmpstr(address->name, ==, "Lee, Ann");
	address = g_ptr_array_index(addresses, 1);
	g_assert_cmpstr(address->addr, ==, "d@ex.test");
	/* The body is parsed when asked for (GMime takes the last
	 * Content-Type). */
	g_assert_cmpuint(mime_message_get_part_count(msg), ==, 1);
	g_assert_cmpstr(mime_message_get_part(msg, 0)->subtype, ==, "plain");
	mime_message_free(&msg);

	msg = parse("From foo@bar Mon Jan 1 2002\n"
		    "Subject: after mbox line\n"
		    "broken line without colon\n"
		    "To: x@y.test\n"
		    "\n"
		    "body\n");
	g_assert_cmpstr(mime_message_get_subject(msg), ==, "after mbox line");
	g_assert_cmpstr(mime_message_get_header_values(msg, "to")[0], ==,
			"x@y.test");
	g_assert_null(mime_message_get_header_values(msg, "from")[0]);
	mime_message_free(&msg);
}

static void test_mime_body_text(void)
{
	mime_message *msg = parse(
		"From: a@example.test\n"
		"Subject: multipart\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/alternative; boundary=XX\n"
		"\n"
		"--XX\n"
		"Content-Type: text/html; charset=utf-8\n"
		"\n"
		"<p>html</p>\n"
		"--XX\n"
		"Content-Type: text/plain; charset=iso-8859-1\n"
		"Content-Transfer-Encoding: quoted-printable\n"
		"\n"
		"Gr=FC=DFe\n"
		"--XX--\n");

	g_assert_true(g_str_has_prefix(mime_message_get_body_text(msg), "Grüße"));
	g_assert_null(mime_message_get_message_id(msg));
	mime_message_free(&msg);

	msg = parse("Subject: html only\nContent-Type: text/html\n\n<b>Bold</b> text\n");
	g_assert_cmpstr(g_strstrip((char *)mime_message_get_body_text(msg)), ==, "Bold text");
	mime_message_free(&msg);
}

static void test_mime_no_line_breaks(void)
{
	/* A folded value unfolds; no value handed out holds CR or LF. */
	mime_message *msg = parse("Subject: first\r\n\tsecond\r\nFrom: x@example.test\r\n\r\n");

	g_assert_null(strpbrk(mime_message_get_subject(msg), "\r\n"));
	g_assert_null(strpbrk(mime_message_get_raw_header_values(msg, "subject")[0], "\r\n"));
	mime_message_free(&msg);
}

/* GMime's reading of a Message-ID field, the reference. */
static char *gmime_message_id(const char *data, size_t len)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);
	char *id = NULL;

	if (message != NULL) {
		id = g_strdup(g_mime_message_get_message_id(message));
		g_object_unref(message);
	}
	g_object_unref(parser);
	g_object_unref(stream);
	return id;
}

/* The plain Message-ID read without GMime is what GMime reads; anything
 * else is left to GMime. */
static void test_mime_message_id(void)
{
	static const struct {
		const char *field;
		gboolean plain;
	} cases[] = {
		{ "<abc@example.test>", TRUE },
		{ "  <a.b+c=d$e@mail.example.test>  ", TRUE },
		{ "<1234.5678@[192.0.2.1]>", FALSE },
		{ "<\"quoted local\"@example.test>", FALSE },
		{ "<abc@example.test> (comment)", FALSE },
		{ "(comment) <abc@example.test>", FALSE },
		{ "<no-at-sign>", FALSE },
		{ "<a..b@example.test>", FALSE },
		{ "<.a@example.test>", FALSE },
		{ "<a@example.test.>", FALSE },
		{ "<a@b@example.test>", FALSE },
		{ "<@example.test>", FALSE },
		{ "<a@>", FALSE },
		{ "abc@example.test", FALSE },
		{ "<a b@example.test>", FALSE },
		{ "<abc@example.test", FALSE },
		{ "<abc@example.test><def@example.test>", FALSE },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf(
			"From: a@example.test\r\nMessage-ID: %s\r\n\r\nbody\r\n",
			cases[i].field);
		g_autofree char *plain = mime_message_id_parse_plain(cases[i].field);
		g_autofree char *want = gmime_message_id(text, strlen(text));
		mime_message *msg = parse(text);

		g_assert_cmpint(plain != NULL, ==, cases[i].plain);
		if (plain != NULL)
			g_assert_cmpstr(plain, ==, want);
		/* Either way the message gives GMime's reading. */
		g_assert_cmpstr(mime_message_get_message_id(msg), ==, want);
		mime_message_free(&msg);
	}
}

/* Local parts as real corporate mail writes them, dots first, last or
 * doubled: read (Pigeonhole does), in plain lists and in the forms left
 * to GMime (comments, groups), and written quoted as the address. */
static void test_mime_lenient_addresses(void)
{
	mime_message *msg = parse(
		"From: e..haedicke@enron.com\n"
		"To: b..sanders@enron.com, .schuler@enron.com,\n"
		" \"Lee, Ann\" <john.@enron.com>, \"john\"@enron.com\n"
		"Cc: (legal) x..y@enron.com, Team: a.b@enron.com, c..d@enron.com;\n"
		"Reply-To: =?UTF-8?Q?Caf=C3=A9?= <z..z@enron.com>\n"
		"\n"
		"x\n");
	const GPtrArray *to = mime_message_get_addresses(msg, "to");
	const GPtrArray *cc = mime_message_get_addresses(msg, "cc");
	const GPtrArray *from = mime_message_get_addresses(msg, "from");
	const GPtrArray *reply = mime_message_get_addresses(msg, "reply-to");
	const mime_address *a;

	g_assert_cmpuint(from->len, ==, 1);
	a = g_ptr_array_index(from, 0);
	g_assert_cmpstr(a->localpart, ==, "e..haedicke");
	g_assert_cmpstr(a->domain, ==, "enron.com");
	g_assert_cmpstr(a->addr, ==, "\"e..haedicke\"@enron.com");
	g_assert_cmpuint(to->len, ==, 4);
	a = g_ptr_array_index(to, 0);
	g_assert_cmpstr(a->localpart, ==, "b..sanders");
	a = g_ptr_array_index(to, 1);
	g_assert_cmpstr(a->localpart, ==, ".schuler");
	g_assert_cmpstr(a->addr, ==, "\".schuler\"@enron.com");
	a = g_ptr_array_index(to, 2);
	g_assert_cmpstr(a->name, ==, "Lee, Ann");
	g_assert_cmpstr(a->localpart, ==, "john.");
	/* A quoted local part that needs no quotes is the plain one
	 * (RFC 5322 section 3.4.1). */
	a = g_ptr_array_index(to, 3);
	g_assert_cmpstr(a->localpart, ==, "john");
	g_assert_cmpstr(a->addr, ==, "john@enron.com");
	g_assert_cmpuint(cc->len, ==, 3);
	a = g_ptr_array_index(cc, 0);
	g_assert_cmpstr(a->localpart, ==, "x..y");
	a = g_ptr_array_index(cc, 2);
	g_assert_cmpstr(a->localpart, ==, "c..d");
	g_assert_cmpstr(a->domain, ==, "enron.com");
	g_assert_cmpuint(reply->len, ==, 1);
	a = g_ptr_array_index(reply, 0);
	g_assert_cmpstr(a->name, ==, "Caf\xc3\xa9");
	g_assert_cmpstr(a->localpart, ==, "z..z");
	mime_message_free(&msg);
}

/* The size a server gives (CRLF line ends), whatever the file's. */
static void test_mime_size_crlf(void)
{
	const char *lf = "From: a@example.test\nSubject: s\n\nbody\n";
	const char *crlf = "From: a@example.test\r\nSubject: s\r\n\r\nbody\r\n";
	mime_message *msg = parse(lf);

	g_assert_cmpuint(mime_message_get_size(msg), ==, strlen(crlf));
	mime_message_free(&msg);
	msg = parse(crlf);
	g_assert_cmpuint(mime_message_get_size(msg), ==, strlen(crlf));
	mime_message_free(&msg);
}

/* A header block that starts with folded lines (a continuation of no
 * field): the fields after them are read, the message is one. */
static void test_mime_leading_fold(void)
{
	static const char *const texts[] = {
		" continued nowhere\n\tand more\nFrom: a@example.test\n"
		"Subject: after the fold\n\nbody\n",
		"\t\r\nSubject: after the fold\r\nFrom: a@example.test\r\n\r\n",
		/* Something GMime parses (a stray line) after the fold. */
		" x\nSubject: after the fold\nstray\nFrom: a@example.test\n\nb\n",
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(texts); i++) {
		mime_message *msg = parse(texts[i]);

		g_assert_cmpstr(mime_message_get_subject(msg), ==,
				"after the fold");
		g_assert_cmpstr(mime_message_get_from(msg), ==,
				"a@example.test");
		g_assert_cmpuint(mime_message_get_size(msg), >=,
				 strlen(texts[i]));
		mime_message_free(&msg);
	}
}

/* One HTML-to-text, hostile input included. */
static void test_mime_html_text(void)
{
	static const struct {
		const char *html;
		html_text_flags flags;
		const char *text;
	} cases[] = {
		{ "a&amp;&lt;&clubs;&gt;b", HTML_TEXT_SIEVE, "a&<\xe2\x99\xa3>b" },
		{ "&#65;&#x42;&#X43;", HTML_TEXT_SIEVE, "ABC" },
		/* Numbers that are no character, however large. */
		{ "a&#99999999;&#xD800;&#0;&#x110000;b", HTML_TEXT_SIEVE,
		  "ab" },
		/* Too long for an entity: the '&' alone goes (Dovecot). */
		{ "a&#184467440737095516160;b", HTML_TEXT_SIEVE,
		  "a#184467440737095516160;b" },
		{ "&", HTML_TEXT_SIEVE, "" },
		{ "&amp", HTML_TEXT_SIEVE, "" },
		{ "a&aaaaaaaaaaaaaaaa;b", HTML_TEXT_SIEVE, "aaaaaaaaaaaaaaaaa;b" },
		{ "a<style>p{color:red}</style>b", HTML_TEXT_SIEVE, "a b" },
		{ "a<script>x<p>y</p></script>b", HTML_TEXT_SIEVE, "a b" },
		{ "a<!--x <p>c</p> <!-- nested --> y-->b", HTML_TEXT_SIEVE,
		  "a y-->b" },
		{ "a<!-- never closed <p>b</p>", HTML_TEXT_SIEVE, "a" },
		{ "a<p class=\"x>y\" never closed", HTML_TEXT_SIEVE, "a" },
		{ "a<style>never closed", HTML_TEXT_SIEVE, "a" },
		{ "a<![CDATA[<b>]]>c", HTML_TEXT_SIEVE, "a<b>c" },
		{ "<head><title>T</title></head>x", HTML_TEXT_SIEVE, "T x" },
		/* For reading. */
		{ "<html><head><title>News</title><style>p{color:red}"
		  "</style></head><body><p>Fish &amp; chips\n\n  today</p>"
		  "<p>second</p></body></html>",
		  HTML_TEXT_READABLE, "Fish & chips today\n\nsecond" },
		{ "<head><title>T</title><body>text", HTML_TEXT_READABLE,
		  "text" },
		{ "a&nbsp;b<br>c<br><br><br>d", HTML_TEXT_READABLE,
		  "a b\nc\n\nd" },
		{ "<p>  \n </p>x", HTML_TEXT_READABLE, "x" },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = html_text_from_html(cases[i].html,
							    cases[i].flags);

		if (strcmp(text, cases[i].text) != 0)
			g_error("case %u: got \"%s\", want \"%s\"", i, text,
				cases[i].text);
	}
}

/* The HTML-only message's body text, for the digest. */
static void test_mime_body_text_html(void)
{
	mime_message *msg = parse(
		"Subject: html only\nContent-Type: text/html\n\n"
		"<html><head><style>p { color: red; }</style></head><body>"
		"<script>var x;</script><p>Fish &amp; chips &#x26; more</p>"
		"</body></html>\n");

	g_assert_cmpstr(mime_message_get_body_text(msg), ==,
			"Fish & chips & more");
	mime_message_free(&msg);
}

/* The hostile-mail tests' limit of one CPU second, times
 * $VEA_TEST_TIME_SCALE when set (under valgrind, say 50). */
static double test_time_limit(void)
{
	const char *scale = g_getenv("VEA_TEST_TIME_SCALE");

	return scale != NULL && g_ascii_strtod(scale, NULL) > 0 ?
		       g_ascii_strtod(scale, NULL) : 1.0;
}

/* CPU time, not wall time: the machine may be shared. */
static gint64 cpu_now(void)
{
	return (gint64)clock() * G_USEC_PER_SEC / CLOCKS_PER_SEC;
}

static double seconds_since(gint64 start)
{
	return (cpu_now() - start) / 1e6;
}

/* Hostile mail costs linear time: 100,000 addresses in one field, as
 * many fields, 100,000 MIME parts (the parts listed are capped), a
 * megabyte of tags and entities; each well under a second. */
static void test_mime_hostile_linear(void)
{
	const guint n = 100000;
	GString *text = g_string_new("From: ");
	mime_message *msg;
	gint64 start;
	guint i;

	for (i = 0; i < n; i++)
		g_string_append_printf(text, "%su%u@example%u.test",
				       i > 0 ? ", " : "", i, i);
	g_string_append(text, "\nSubject: many\n\nx\n");
	start = cpu_now();
	msg = parse(text->str);
	/* The field is over MIME_MAX_ADDRESS_FIELD: the addresses of its
	 * first MIME_MAX_ADDRESS_FIELD bytes, the first one included. */
	g_assert_cmpuint(mime_message_get_addresses(msg, "from")->len, >, 9000);
	g_assert_cmpuint(mime_message_get_addresses(msg, "from")->len, <, n);
	g_assert_cmpstr(mime_message_get_from(msg), ==, "u0@example0.test");
	g_assert_cmpfloat(seconds_since(start), <, test_time_limit());
	mime_message_free(&msg);

	/* The same, each with a comment (GMime's path) and dots. */
	g_string_assign(text, "To: ");
	for (i = 0; i < n; i++)
		g_string_append_printf(text, "%s(c) u..%u@example.test",
				       i > 0 ? ", " : "", i);
	g_string_append(text, "\n\nx\n");
	start = cpu_now();
	msg = parse(text->str);
	g_assert_cmpuint(mime_message_get_addresses(msg, "to")->len, >, 9000);
	g_assert_cmpfloat(seconds_since(start), <, test_time_limit());
	mime_message_free(&msg);

	/* Below the caps, every address: 2,000 fields of 10 each. */
	g_string_assign(text, "Subject: fields\n");
	for (i = 0; i < 20000; i++)
		g_string_append_printf(text, "%su%u@example.test%s",
				       i % 10 == 0 ? "Bcc: " : "", i,
				       i % 10 == 9 ? "\n" : ", ");
	g_string_append(text, "\nx\n");
	start = cpu_now();
	msg = parse(text->str);
	g_assert_cmpuint(mime_message_get_addresses(msg, "bcc")->len, ==, 20000);
	g_assert_cmpfloat(seconds_since(start), <, test_time_limit());
	mime_message_free(&msg);

	/* Many fields, with a stray line (GMime parses the header). */
	g_string_assign(text, "Subject: many fields\nstray\n");
	for (i = 0; i < n; i++)
		g_string_append_printf(text, "X-F%u: v\nCc: c%u@example.test\n",
				       i % 97, i);
	g_string_append(text, "\nx\n");
	start = cpu_now();
	msg = parse(text->str);
	/* The header is over MIME_MAX_HEADER: the fields of its first
	 * MIME_MAX_HEADER bytes. */
	g_assert_cmpuint(mime_message_get_addresses(msg, "cc")->len, >, 20000);
	g_assert_cmpuint(mime_message_get_addresses(msg, "cc")->len, <, n);
	g_assert_nonnull(mime_message_get_header_values(msg, "x-f1")[0]);
	g_assert_cmpstr(mime_message_get_body_text(msg), ==, "x\n");
	/* The size is the message's, as received. */
	g_assert_cmpuint(mime_message_get_size(msg), ==, text->len + 2 * n + 4);
	g_assert_cmpfloat(seconds_since(start), <, test_time_limit());
	mime_message_free(&msg);

	/* Many parts. */
	g_string_assign(text, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (i = 0; i < n; i++)
		g_string_append(text, "--b\nContent-Type: text/plain\n\np\n");
	g_string_append(text, "--b--\n");
	start = cpu_now();
	msg = parse(text->str);
	g_assert_cmpuint(mime_message_get_part_count(msg), ==, 1024);
	g_assert_cmpstr(mime_message_get_body_text(msg), ==, "p");
	g_assert_cmpfloat(seconds_since(start), <, test_time_limit());
	mime_message_free(&msg);

	/* HTML: unterminated tags, comments, entities, a megabyte each. */
	{
		static const char *const pieces[] = { "<", "<!--", "&", "&#",
						      "<p a=\"", "<style>",
						      "<head>", "&amp;" };

		for (i = 0; i < G_N_ELEMENTS(pieces); i++) {
			GString *html = g_string_new(NULL);
			g_autofree char *out1 = NULL, *out2 = NULL;

			while (html->len < 1000000)
				g_string_append(html, pieces[i]);
			start = cpu_now();
			out1 = html_text_from_html(html->str, HTML_TEXT_SIEVE);
			out2 = html_text_from_html(html->str,
						   HTML_TEXT_READABLE);
			g_assert_cmpfloat(seconds_since(start), <, test_time_limit());
			g_string_free(html, TRUE);
		}
	}
	g_string_free(text, TRUE);
}

/* One corpus message: vea's Message-ID is GMime's. */
static void check_corpus_message(const char *path, guint *n, guint *plain)
{
	g_autofree char *data = NULL, *want = NULL;
	const char *const *raw;
	mime_message *msg;
	char *error = NULL;
	gsize len;

	if (!g_file_get_contents(path, &data, &len, NULL))
		return;
	msg = mime_message_parse(data, len, &error);
	g_free(error);
	if (msg == NULL)
		return;
	raw = mime_message_get_raw_header_values(msg, "message-id");
	if (raw[0] != NULL) {
		g_autofree char *p = mime_message_id_parse_plain(raw[0]);

		*plain += p != NULL;
	}
	want = gmime_message_id(data, len);
	if (want == NULL || *want == '\0')
		g_assert_null(mime_message_get_message_id(msg));
	else if (strpbrk(want, "\r\n") == NULL) /* vea unfolds what GMime did not */
		g_assert_cmpstr(mime_message_get_message_id(msg), ==, want);
	mime_message_free(&msg);
	(*n)++;
}

static void check_corpus_dir(const char *path, guint *n, guint *plain)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir == NULL) {
		check_corpus_message(path, n, plain);
		return;
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *sub = g_build_filename(path, name, NULL);

		check_corpus_dir(sub, n, plain);
	}
	g_dir_close(dir);
}

/* The SpamAssassin corpus of ../shared (VEA_SHARED), extracted once for
 * the tests that read it and removed at exit; NULL when it is absent. */
static char *corpus_spamassassin_dir;

static const char *corpus_spamassassin(void)
{
	const char *shared = g_getenv("VEA_SHARED");
	g_autofree char *tarball = NULL;
	g_autoptr(GError) error = NULL;
	char *tar[] = { "tar", "-xJf", NULL, "-C", NULL, NULL };
	int status;

	if (corpus_spamassassin_dir != NULL)
		return corpus_spamassassin_dir;
	tarball = g_build_filename(shared != NULL ? shared : "../shared", "corpus",
				   "spamassassin.tar.xz", NULL);
	if (!g_file_test(tarball, G_FILE_TEST_EXISTS))
		return NULL;
	corpus_spamassassin_dir = g_dir_make_tmp("vea-mime-XXXXXX", &error);
	g_assert_no_error(error);
	tar[2] = tarball;
	tar[4] = corpus_spamassassin_dir;
	g_assert_true(g_spawn_sync(NULL, tar, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
				   NULL, NULL, &status, &error));
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	return corpus_spamassassin_dir;
}

static void corpus_spamassassin_remove(void)
{
	char *rm[] = { "rm", "-rf", corpus_spamassassin_dir, NULL };

	if (corpus_spamassassin_dir == NULL)
		return;
	g_spawn_sync(NULL, rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
		     NULL);
	g_clear_pointer(&corpus_spamassassin_dir, g_free);
}

/* The same over every message of the SpamAssassin corpus (when
 * ../shared is there): 6,046 Message-IDs as real mail writes them. */
static void test_mime_message_id_corpus(void)
{
	const char *dir = corpus_spamassassin();
	guint n = 0, plain = 0;

	if (dir == NULL) {
		g_test_skip("no corpus (../shared/corpus/spamassassin.tar.xz)");
		return;
	}
	check_corpus_dir(dir, &n, &plain);
	g_test_message("%u messages, %u with a plain Message-ID", n, plain);
	g_assert_cmpuint(n, >=, 6000);
	g_assert_cmpuint(plain, >=, n * 9 / 10);
}

/* ---- The fast readers (fast-parse.h) against GMime ----
 * Each reader may decline anything; what it accepts must read as GMime
 * reads it. The counts say how much the fast readers take, so that a
 * change that quietly sends everything to GMime (slow, but "passing")
 * shows too. */

typedef struct fast_counts {
	guint messages, headers_split;
	guint values_plain;
	guint address_fields, addresses_fast;
} fast_counts;

/* What a lookup hands out of a raw value: CR and LF dropped, the white
 * space at the ends stripped (headers.c, header_unfold_strip). */
static char *value_unfold_strip(const char *value, size_t len)
{
	g_autofree char *copy = g_strndup(value, len);
	char *unfolded = mime_header_unfold(copy);

	return g_strstrip(unfolded);
}

/* name (lower case) -> GPtrArray of its values, in the order lookups
 * give them. */
static GHashTable *fields_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				     (GDestroyNotify)g_ptr_array_unref);
}

static void fields_add(GHashTable *fields, const char *name, size_t name_len,
		       char *value)
{
	g_autofree char *key = g_ascii_strdown(name, name_len);
	GPtrArray *values = g_hash_table_lookup(fields, key);

	if (values == NULL) {
		values = g_ptr_array_new_with_free_func(g_free);
		g_hash_table_insert(fields, g_strdup(key), values);
	}
	g_ptr_array_add(values, value);
}

static void fields_add_gmime(GHashTable *fields, GMimeHeaderList *list)
{
	int count = g_mime_header_list_get_count(list);

	for (int i = 0; i < count; i++) {
		GMimeHeader *header = g_mime_header_list_get_header_at(list, i);
		const char *name = g_mime_header_get_name(header);
		const char *raw = g_mime_header_get_raw_value(header);

		fields_add(fields, name, strlen(name),
			   value_unfold_strip(raw != NULL ? raw : "",
					      raw != NULL ? strlen(raw) : 0));
	}
}

/* The fields as GMime reads header: the message's, then its top-level
 * part's (where GMime 3 puts the Content-* fields). */
static GHashTable *fields_from_gmime(const char *header, size_t len)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(header, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);
	GHashTable *fields = fields_new();

	if (message != NULL) {
		GMimeObject *top = g_mime_message_get_mime_part(message);

		fields_add_gmime(fields, g_mime_object_get_header_list(
						 GMIME_OBJECT(message)));
		if (top != NULL)
			fields_add_gmime(fields, g_mime_object_get_header_list(top));
		g_object_unref(message);
	}
	g_object_unref(parser);
	g_object_unref(stream);
	return fields;
}

static void fields_assert_equal(const char *what, GHashTable *fast,
				GHashTable *gmime)
{
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init(&iter, gmime);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		GPtrArray *want = value, *got = g_hash_table_lookup(fast, key);

		if (got == NULL)
			g_error("%s: field %s: GMime reads it, the splitter does not",
				what, (const char *)key);
		if (got->len != want->len)
			g_error("%s: field %s: %u values split, GMime reads %u", what,
				(const char *)key, got->len, want->len);
		for (guint i = 0; i < want->len; i++) {
			if (strcmp(g_ptr_array_index(got, i),
				   g_ptr_array_index(want, i)) != 0)
				g_error("%s: field %s, value %u: split \"%s\", GMime \"%s\"",
					what, (const char *)key, i,
					(const char *)g_ptr_array_index(got, i),
					(const char *)g_ptr_array_index(want, i));
		}
	}
	if (g_hash_table_size(fast) != g_hash_table_size(gmime))
		g_error("%s: %u field names split, GMime reads %u", what,
			g_hash_table_size(fast), g_hash_table_size(gmime));
}

/* A plain value reads as itself, both decoders agreeing. */
static void check_plain_value(const char *what, const char *value, size_t len)
{
	g_autofree char *raw = g_strndup(value, len);
	g_autofree char *unfolded = mime_header_unfold(raw);
	g_autofree char *gmime = g_mime_utils_header_decode_text(NULL, unfolded);
	g_autofree char *vea = mime_rfc2047_decode_text(unfolded);
	g_autofree char *fast = value_unfold_strip(value, len);

	if (strcmp(fast, g_strstrip(gmime)) != 0)
		g_error("%s: plain value \"%s\": GMime decodes it to \"%s\"", what,
			fast, gmime);
	if (strcmp(fast, g_strstrip(vea)) != 0)
		g_error("%s: plain value \"%s\": rfc2047 decodes it to \"%s\"", what,
			fast, vea);
}

/* The fields rules read addresses from (RFC 5228 section 5.1 lists the
 * first ones; the rest are what rules in the wild test). */
static gboolean is_address_field(const char *name)
{
	static const char *const names[] = {
		"from", "sender", "reply-to", "to", "cc", "bcc", "resent-from",
		"resent-sender", "resent-to", "resent-cc", "resent-bcc",
		"delivered-to", "x-original-to", "return-path", "errors-to",
		"disposition-notification-to", NULL
	};

	return g_strv_contains(names, name);
}

static void check_address_list(const char *what, const char *raw, fast_counts *counts)
{
	g_autoptr(GPtrArray) fast = g_ptr_array_new_with_free_func(mime_address_free);
	g_autoptr(GPtrArray) gmime = g_ptr_array_new_with_free_func(mime_address_free);

	counts->address_fields++;
	if (!mime_fast_address_list_parse(raw, fast)) {
		g_assert_cmpuint(fast->len, ==, 0);
		return;
	}
	counts->addresses_fast++;
	mime_address_list_parse_gmime(raw, gmime);
	if (fast->len != gmime->len)
		g_error("%s: address list \"%s\": %u read fast, GMime reads %u", what,
			raw, fast->len, gmime->len);
	for (guint i = 0; i < fast->len; i++) {
		const mime_address *a = g_ptr_array_index(fast, i);
		const mime_address *b = g_ptr_array_index(gmime, i);

		if (strcmp(a->addr, b->addr) != 0 || strcmp(a->localpart, b->localpart) != 0 ||
		    g_strcmp0(a->domain, b->domain) != 0 || strcmp(a->name, b->name) != 0)
			g_error("%s: address list \"%s\", address %u: fast \"%s\" <%s> (%s @ %s), "
				"GMime \"%s\" <%s> (%s @ %s)",
				what, raw, i, a->name, a->addr, a->localpart, a->domain,
				b->name, b->addr, b->localpart, b->domain);
	}
}

/* The lookups through the packed copies (packed.c) say what the plain
 * lookups say. */
static void check_packed(const char *what, mime_message *msg)
{
	static const char *const names[] = { "subject", "from", "to", "cc", "received",
					     "content-type" };

	for (guint n = 0; n < G_N_ELEMENTS(names); n++) {
		int id = mime_header_id(names[n]);
		const char *const *values = mime_message_get_header_values_by_id(msg, id);
		const char *const *lower = mime_message_get_header_values_lower_by_id(msg, id);
		const GPtrArray *list = mime_message_get_addresses_by_id(msg, id);
		const mime_address *packed = mime_message_get_address_array_by_id(msg, id);
		guint i;

		for (i = 0; values[i] != NULL; i++) {
			g_autofree char *want = g_ascii_strdown(values[i], -1);

			if (lower[i] == NULL || strcmp(lower[i], want) != 0)
				g_error("%s: %s value %u lower-cased: \"%s\", want \"%s\"",
					what, names[n], i, lower[i], want);
		}
		g_assert_null(lower[i]);
		for (i = 0; i < list->len; i++) {
			const mime_address *a = g_ptr_array_index(list, i);

			g_assert_nonnull(packed[i].addr);
			g_assert_cmpstr(packed[i].addr, ==, a->addr);
			g_assert_cmpstr(packed[i].localpart, ==, a->localpart);
			g_assert_cmpstr(packed[i].domain, ==, a->domain);
			g_assert_cmpstr(packed[i].name, ==, a->name);
		}
		g_assert_null(packed[i].addr);
	}
}

/* Everything the fast readers answer for one message, against GMime. data
 * is as an IMAP server gives it (no mbox From line). */
static void check_fast_message(const char *what, const char *data, size_t len,
			       fast_counts *counts)
{
	mime_header_index index = { 0 };
	const char *p = data, *end = data + len;
	size_t header_len = len;
	mime_message *msg;
	char *error = NULL;

	/* The header: up to and with the first empty line. */
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);

		if (nl == NULL)
			break;
		if (nl == p || (nl == p + 1 && *p == '\r')) {
			header_len = nl + 1 - data;
			break;
		}
		p = nl + 1;
	}
	counts->messages++;
	if (header_len <= MIME_MAX_HEADER &&
	    mime_fast_header_split(data, header_len, &index)) {
		g_autoptr(GHashTable) fast = fields_new();
		g_autoptr(GHashTable) gmime = fields_from_gmime(data, header_len);

		counts->headers_split++;
		for (int i = 0; i < index.n_entries; i++) {
			const mime_header_entry *e = &index.entries[i];
			g_autofree char *name = g_ascii_strdown(e->name, e->name_len);

			fields_add(fast, e->name, e->name_len,
				   value_unfold_strip(e->value, e->value_len));
			if (mime_fast_value_is_plain(e->value, e->value_len)) {
				counts->values_plain++;
				check_plain_value(what, e->value, e->value_len);
			}
			if (is_address_field(name)) {
				g_autofree char *raw = value_unfold_strip(e->value, e->value_len);

				check_address_list(what, raw, counts);
			}
		}
		fields_assert_equal(what, fast, gmime);
	}
	g_free(index.entries);

	msg = mime_message_parse(data, len, &error);
	g_free(error);
	if (msg != NULL) {
		check_packed(what, msg);
		mime_message_free(&msg);
	}
}

/* Crafted headers: what the splitter takes reads as GMime reads it, and
 * it declines what it cannot be sure of. */
static void test_mime_fast_headers(void)
{
	static const struct {
		const char *header;
		gboolean split;
	} cases[] = {
		{ "Subject: a\r\nFrom: b@example.test\r\n\r\n", TRUE },
		{ "Subject: a\n\tfolded\n  twice\nX_Under.Dot-1: v\n\n", TRUE },
		{ "Subject:\nTo:   \n\n", TRUE },
		{ "Subject:no space\n\n", TRUE },
		{ "Subject: trailing   \t\n\n", TRUE },
		{ "Subject: no empty line, no line end", TRUE },
		{ "Content-Type: text/plain\nSubject: s\nCONTENT-TRANSFER-ENCODING: 8bit\n\n",
		  TRUE },
		{ "Content-Type: multipart/mixed; boundary=x\ncontent-type: text/plain\n\n",
		  TRUE },
		{ "Received: from a\r\n\tby b;\r\n  Mon, 1 Jan 2002\r\nReceived: from c\r\n\r\n",
		  TRUE },
		{ "X-8bit: caf\xc3\xa9 \xff\n\n", TRUE },
		{ "Subject: =?UTF-8?Q?Caf=C3=A9?=\n\n", TRUE },
		{ "Subject: a == b ?= c\n\n", TRUE },
		{ "X-Empty-Then-Fold:\n\tvalue\n\n", TRUE },
		{ "From foo@bar Mon Jan 1 2002\nSubject: x\n\n", FALSE },
		{ "Subject : spaced name\n\n", FALSE },
		{ "Subject: bare\rcr\n\n", FALSE },
		{ " leading fold\nSubject: x\n\n", FALSE },
		{ "stray line\nSubject: x\n\n", FALSE },
		{ "Subject: a\n \t\nTo: b@example.test\n\n", FALSE },
		{ "X-Bracket[1]: v\n\n", FALSE },
		{ ": no name\n\n", FALSE },
		{ "\n", FALSE },
	};
	fast_counts counts = { 0 };

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *header = cases[i].header;
		mime_header_index index = { 0 };
		gboolean split = mime_fast_header_split(header, strlen(header), &index);
		g_autofree char *what = g_strdup_printf("header case %u", i);

		if (split != cases[i].split)
			g_error("%s: split %d, want %d", what, split, cases[i].split);
		g_free(index.entries);
		/* Whatever the path, the fields are GMime's. */
		check_fast_message(what, header, strlen(header), &counts);
	}
	/* A NUL in a field: declined (GMime ends the value there). */
	{
		static const char nul[] = "Subject: a\0b\nTo: c@example.test\n\n";
		mime_header_index index = { 0 };

		g_assert_false(mime_fast_header_split(nul, sizeof(nul) - 1, &index));
		g_free(index.entries);
	}
	/* Values: the plain check says TRUE only where decoding changes
	 * nothing. */
	{
		static const struct {
			const char *value;
			gboolean plain;
		} values[] = {
			{ " plain ascii text", TRUE },
			{ " a = b, c ? d", TRUE },
			{ " folded\r\n\tline", TRUE },
			{ " =?UTF-8?Q?Caf=C3=A9?=", FALSE },
			{ " x=?", FALSE },
			{ " caf\xc3\xa9", FALSE },
			{ " 0123456789abcdef\x80", FALSE },
		};

		for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
			const char *v = values[i].value;

			g_assert_cmpint(mime_fast_value_is_plain(v, strlen(v)), ==,
					values[i].plain);
			if (values[i].plain)
				check_plain_value("value case", v, strlen(v));
		}
	}
}

/* Crafted address lists: what the fast reader takes reads as GMime reads
 * it (with misplaced dots quoted first, as vea gives GMime every list). */
static void test_mime_fast_addresses(void)
{
	static const struct {
		const char *raw;
		gboolean fast;
	} cases[] = {
		{ "a@example.test", TRUE },
		{ "<a@example.test>", TRUE },
		{ "Ann Lee <ann@Example.ORG>", TRUE },
		{ "Ann <a@x.test>", TRUE },
		{ "\"Lee, Ann\" <ann@ex.test>", TRUE },
		{ "a@x.test, b@y.test,c@z.test", TRUE },
		{ "  a@x.test  ", TRUE },
		{ "a@x", TRUE },
		{ "b..sanders@enron.com", TRUE },
		{ ".schuler@enron.com, john.@enron.com", TRUE },
		{ "Caf\xc3\xa9 Owner <o@x.test>", TRUE },
		{ "=?UTF-8?Q?Caf=C3=A9?= <z@x.test>", TRUE },
		{ "=?ISO-8859-1?Q?Andr=E9?= Pirard <pirard@example.test>", TRUE },
		{ "a+tag=x@sub-domain.example.test", TRUE },
		{ "x@a-b.c-d.test", TRUE },
		{ "(comment) d@ex.test", FALSE },
		{ "a@x.test (comment)", FALSE },
		{ "Team: a@x.test, b@x.test;", FALSE },
		{ "undisclosed-recipients:;", FALSE },
		{ "\"quoted \\\"pair\\\"\" <a@x.test>", FALSE },
		{ "\"  spaced\" <a@x.test>", FALSE },
		{ "\"Ann  Lee\" <a@x.test>", FALSE },
		{ "A. Lee <a@x.test>", FALSE },
		{ "a@xn--caf-dma.test", FALSE },
		{ "a@b.xn--p1ai", FALSE },
		{ "a@[192.0.2.1]", FALSE },
		{ "a@x-.test", TRUE }, /* GMime reads it too */
		{ "a@x..test", FALSE },
		{ "a@x.test,", FALSE },
		{ "a@x.test,,b@y.test", FALSE },
		{ "", FALSE },
		{ "   ", FALSE },
		{ "\"john\"@enron.com", FALSE },
		{ "Ann Lee ann@x.test", FALSE },
		{ "<a@x.test", FALSE },
	};
	fast_counts counts = { 0 };

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *what = g_strdup_printf("address case %u", i);
		guint before = counts.addresses_fast;

		check_address_list(what, cases[i].raw, &counts);
		if ((counts.addresses_fast > before) != cases[i].fast)
			g_error("%s: \"%s\": read fast %d, want %d", what, cases[i].raw,
				counts.addresses_fast > before, cases[i].fast);
	}
}

/* A message file as an IMAP server would give it: the mbox From line of
 * the SpamAssassin files stripped (as tests/harness/veatest.py does before
 * an APPEND). */
static void check_fast_file(const char *path, fast_counts *counts)
{
	g_autofree char *data = NULL;
	const char *start;
	gsize len;

	if (!g_file_get_contents(path, &data, &len, NULL))
		return;
	start = data;
	if (len >= 5 && strncmp(data, "From ", 5) == 0) {
		const char *nl = memchr(data, '\n', len);

		if (nl == NULL)
			return;
		start = nl + 1;
	}
	check_fast_message(path, start, len - (start - data), counts);
}

static void check_fast_dir(const char *path, fast_counts *counts)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir == NULL) {
		if (g_str_has_suffix(path, ".eml"))
			check_fast_file(path, counts);
		return;
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *sub = g_build_filename(path, name, NULL);

		check_fast_dir(sub, counts);
	}
	g_dir_close(dir);
}

/* The same over every message of ../shared/corpus: the SpamAssassin
 * corpus, the MIME edge cases, the invitations and the torture tests. */
static void test_mime_fast_corpus(void)
{
	const char *shared = g_getenv("VEA_SHARED");
	const char *spamassassin = corpus_spamassassin();
	static const char *const dirs[] = { "mime-edge", "invites", "torture" };
	fast_counts counts = { 0 };

	if (spamassassin == NULL) {
		g_test_skip("no corpus (../shared/corpus/spamassassin.tar.xz): "
			    "the fast readers were checked on crafted input only");
		return;
	}
	check_fast_dir(spamassassin, &counts);
	for (guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
		g_autofree char *dir = g_build_filename(shared != NULL ? shared : "../shared",
							"corpus", dirs[i], NULL);

		check_fast_dir(dir, &counts);
	}
	g_test_message("%u messages: %u headers split without GMime, %u plain values, "
		       "%u of %u address fields read without GMime",
		       counts.messages, counts.headers_split, counts.values_plain,
		       counts.addresses_fast, counts.address_fields);
	g_assert_cmpuint(counts.messages, >=, 6000);
	/* Most real mail takes the fast paths; if it stopped doing so, the
	 * speed would be gone while every comparison still passed. */
	g_assert_cmpuint(counts.headers_split, >=, counts.messages * 9 / 10);
	g_assert_cmpuint(counts.addresses_fast, >=, counts.address_fields * 3 / 4);
}

int main(int argc, char **argv)
{
	int status;

	g_test_init(&argc, &argv, NULL);
	mime_init();
	g_test_add_func("/mime/headers", test_mime_headers);
	g_test_add_func("/mime/header-paths", test_mime_header_paths);
	g_test_add_func("/mime/encoded-words", test_mime_encoded_words);
	g_test_add_func("/mime/body-text", test_mime_body_text);
	g_test_add_func("/mime/no-line-breaks", test_mime_no_line_breaks);
	g_test_add_func("/mime/message-id", test_mime_message_id);
	g_test_add_func("/mime/message-id-corpus", test_mime_message_id_corpus);
	g_test_add_func("/mime/lenient-addresses", test_mime_lenient_addresses);
	g_test_add_func("/mime/size-crlf", test_mime_size_crlf);
	g_test_add_func("/mime/leading-fold", test_mime_leading_fold);
	g_test_add_func("/mime/html-text", test_mime_html_text);
	g_test_add_func("/mime/body-text-html", test_mime_body_text_html);
	g_test_add_func("/mime/hostile-linear", test_mime_hostile_linear);
	g_test_add_func("/mime/fast-vs-gmime/headers", test_mime_fast_headers);
	g_test_add_func("/mime/fast-vs-gmime/addresses", test_mime_fast_addresses);
	g_test_add_func("/mime/fast-vs-gmime/corpus", test_mime_fast_corpus);
	status = g_test_run();
	corpus_spamassassin_remove();
	return status;
}
