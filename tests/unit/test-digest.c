/* The digest: when it is due across DST, what it says, that every string
 * from a message is escaped and its size bounded, that its headers cannot
 * be injected, and that the schedule records a missed day once. SMTP
 * itself is tested against a real server (tests/integration). */
#include "digest/digest.h"
#include "digest/schedule.h"
#include "ledger/ledger.h"
#include "mime/message.h"
#include "smtp/smtp.h"

#include <gmime/gmime.h>
#include <string.h>

static char *test_dir;

static conf *load_conf(const char *name, const char *extra)
{
	g_autofree char *dir = g_build_filename(test_dir, name, NULL);
	g_autofree char *path = g_build_filename(dir, "vea.conf", NULL);
	g_autofree char *text = g_strdup_printf(
		"[vea]\ndatabase = vea.db\n\n"
		"[assistant]\nname = Alex\nemail = alex@assistant.example\n\n"
		"[smtp]\nurl = smtp://127.0.0.1:1\ntls = none\nfrom = vea <digest@assistant.example>\n\n"
		"[client:dana]\nname = Dana Whitfield\nemail = dana@example.test\n"
		"timezone = America/New_York\ndigest_at = 07:30\n\n"
		"[billing:dana-retainer]\nclient = dana\nrate = 12000\ncurrency = USD\n"
		"mode = retainer\nretainer_hours = 10h\n\n%s", extra);
	GPtrArray *errors = NULL;
	conf *config = NULL;

	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	if (conf_load(path, &config, &errors) < 0) {
		for (guint i = 0; i < errors->len; i++)
			g_printerr("%s\n", (const char *)g_ptr_array_index(errors, i));
		g_assert_not_reached();
	}
	return config;
}

static GDateTime *at(const char *iso)
{
	GDateTime *t = g_date_time_new_from_iso8601(iso, NULL);

	g_assert_nonnull(t);
	return t;
}

static void journal(store *st, const char *action, const char *argument, const char *from,
		    const char *subject, uint32_t uid, store_action_state state)
{
	store_action row = {
		.client = "dana", .account = "dana-work", .mailbox = "INBOX", .uidvalidity = 1,
		.uid = uid, .from = (char *)from, .subject = (char *)subject,
		.rule_file = "dana.sieve", .rule_line = 3, .kind = action_kind_from_name(action),
		.argument = (char *)argument, .state = state,
	};
	char *error = NULL;

	g_assert_cmpint(store_action_insert(st, &row, NULL, &error), ==, 0);
}

static void test_due_time(void)
{
	/* zone, digest_at, local date -> due in UTC */
	static const struct {
		const char *zone;
		int at;
		int y, m, d;
		const char *want;
	} cases[] = {
		{ "America/New_York", 7 * 60 + 30, 2026, 3, 7, "2026-03-07T12:30:00Z" },  /* EST */
		{ "America/New_York", 7 * 60 + 30, 2026, 3, 8, "2026-03-08T11:30:00Z" },  /* EDT from 02:00 */
		{ "America/New_York", 7 * 60 + 30, 2026, 11, 1, "2026-11-01T12:30:00Z" }, /* EST again */
		/* 02:30 does not exist on 8 Mar: the digest goes with the clock, at 03:30 EDT. */
		{ "America/New_York", 2 * 60 + 30, 2026, 3, 8, "2026-03-08T07:30:00Z" },
		/* 01:30 happens twice on 1 Nov: the first one, EDT. */
		{ "America/New_York", 1 * 60 + 30, 2026, 11, 1, "2026-11-01T05:30:00Z" },
		{ "Europe/Berlin", 8 * 60, 2026, 3, 28, "2026-03-28T07:00:00Z" },
		{ "Europe/Berlin", 8 * 60, 2026, 3, 29, "2026-03-29T06:00:00Z" },
		{ "Asia/Kolkata", 9 * 60, 2026, 6, 1, "2026-06-01T03:30:00Z" },
		{ "Australia/Lord_Howe", 7 * 60, 2026, 10, 4, "2026-10-03T20:00:00Z" }, /* +11 from 2:00 */
		{ "Pacific/Kiritimati", 0, 2026, 1, 1, "2025-12-31T10:00:00Z" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		conf_client client = { .id = "c", .digest_at = cases[i].at };
		g_autoptr(GDateTime) due = NULL;
		g_autofree char *got = NULL;
		GDate date;

		client.tz = g_time_zone_new_identifier(cases[i].zone);
		g_assert_nonnull(client.tz);
		g_date_clear(&date, 1);
		g_date_set_dmy(&date, (GDateDay)cases[i].d, (GDateMonth)cases[i].m, (GDateYear)cases[i].y);
		due = digest_due_time(&client, &date);
		{
			g_autoptr(GDateTime) u = g_date_time_to_utc(due);

			got = g_date_time_format(u, "%Y-%m-%dT%H:%M:%SZ");
		}
		if (g_strcmp0(got, cases[i].want) != 0)
			g_error("case %u (%s %02d:%02d on %04d-%02d-%02d): got %s, want %s", i,
				cases[i].zone, cases[i].at / 60, cases[i].at % 60, cases[i].y, cases[i].m,
				cases[i].d, got, cases[i].want);
		g_time_zone_unref(client.tz);
	}
}

static void test_due_date(void)
{
	/* now -> the local date whose digest is the latest due */
	static const struct {
		const char *now;
		const char *want;
	} cases[] = {
		{ "2026-11-26T12:29:59Z", "2026-11-25" }, /* 07:29:59 EST */
		{ "2026-11-26T12:30:00Z", "2026-11-26" },
		{ "2026-11-27T04:59:00Z", "2026-11-26" }, /* 23:59 local */
		{ "2026-11-27T05:00:00Z", "2026-11-26" }, /* local midnight: not due yet */
		{ "2026-03-08T11:30:00Z", "2026-03-08" }, /* 07:30 EDT */
		{ "2026-03-08T12:29:00Z", "2026-03-08" },
	};
	conf_client client = { .id = "dana", .digest_at = 7 * 60 + 30 };

	client.tz = g_time_zone_new_identifier("America/New_York");
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GDateTime) now = at(cases[i].now);
		g_autoptr(GDateTime) due = NULL;
		char got[16];
		GDate date;

		digest_due_date(&client, now, &date, &due);
		g_snprintf(got, sizeof(got), "%04d-%02d-%02d", g_date_get_year(&date),
			   g_date_get_month(&date), g_date_get_day(&date));
		g_assert_cmpstr(got, ==, cases[i].want);
		g_assert_cmpint(g_date_time_compare(due, now), <=, 0);
	}
	g_time_zone_unref(client.tz);
}

static void test_clock(void)
{
	char *error = NULL;
	GDateTime *now;

	g_setenv("VEA_NOW", "2026-11-26T07:30:00-05:00", TRUE);
	now = digest_clock_now(&error);
	g_assert_nonnull(now);
	g_assert_cmpint(g_date_time_to_unix(now), ==, 1795696200);
	g_date_time_unref(now);
	g_setenv("VEA_NOW", "tomorrow", TRUE);
	g_assert_null(digest_clock_now(&error));
	g_assert_nonnull(strstr(error, "VEA_NOW"));
	g_free(error);
	g_unsetenv("VEA_NOW");
	now = digest_clock_now(&error);
	g_assert_nonnull(now);
	g_date_time_unref(now);
}

static void test_hostile_content(void)
{
	conf *config = load_conf("hostile", "");
	const conf_client *client = conf_find_client(config, "dana");
	g_autoptr(GDateTime) now = at("2026-11-26T12:30:00Z");
	g_autofree char *html = NULL, *text = NULL, *subject = NULL;
	store *st = NULL;
	digest *d = NULL;
	char *error = NULL;

	g_assert_cmpint(store_open(config->database, &st, &error), ==, 0);
	journal(st, "addflag", "\\Flagged", "Vi <vi@board.example>", "<script>alert(1)</script>", 1,
		STORE_ACTION_DONE);
	journal(st, "addflag", "\\Flagged", "Mallory\r\nBcc: victim@evil.example <m@board.example>",
		"a\"b'c&d", 2, STORE_ACTION_DONE);
	journal(st, "addflag", "\\Flagged", "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d <pr@board.example>",
		"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xe2\x80\xae" "gnp.exe \xff\xfe", 3, STORE_ACTION_DONE);
	journal(st, "fileinto", "Lists/<img src=x>", "news@x", "<iframe>", 4, STORE_ACTION_DONE);
	journal(st, "fileinto", "Receipts", "shop@x", "receipt", 5, STORE_ACTION_FAILED);
	journal(st, "keep", "INBOX", "digest@assistant.example", "yesterday's digest", 6,
		STORE_ACTION_DONE);
	/* vea's own digest, triaged when it landed in the inbox: not news. */
	{
		store_action row = { .client = "dana", .account = "dana-work", .mailbox = "INBOX",
				     .uidvalidity = 1, .uid = 7, .message_id = "vea-digest.dana.x@y",
				     .from = "vea", .subject = "Thu 26 Nov", .kind = ACTION_KEEP,
				     .argument = "INBOX", .state = STORE_ACTION_DONE };

		g_assert_cmpint(store_action_insert(st, &row, NULL, &error), ==, 0);
	}

	g_assert_cmpint(digest_collect(st, config, client, now, NULL, &d, &error), ==, 0);
	g_assert_cmpuint(d->needs_you_total, ==, 3);
	g_assert_cmpuint(d->handled, ==, 6);
	g_assert_cmpuint(d->failed, ==, 1);
	subject = digest_render_subject(d);
	g_assert_cmpstr(subject, ==, "Thu 26 Nov: 3 need you, 6 handled, 1 failed");
	html = digest_render_html(d);
	text = digest_render_text(d);

	g_assert_null(strstr(html, "<script"));
	g_assert_null(strstr(html, "<img"));
	g_assert_null(strstr(html, "<iframe"));
	g_assert_nonnull(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	g_assert_nonnull(strstr(html, "a&quot;b&apos;c&amp;d"));
	g_assert_nonnull(strstr(html, "Lists/&lt;img src=x&gt;"));
	g_assert_nonnull(strstr(text, "Mallory Bcc: victim@evil.example"));
	g_assert_null(strstr(text, "\r"));
	g_assert_null(strstr(text, "\xe2\x80\xae")); /* U+202E RIGHT-TO-LEFT OVERRIDE */
	g_assert_null(strstr(html, "\xe2\x80\xae"));
	g_assert_true(g_utf8_validate(text, -1, NULL));
	g_assert_true(g_utf8_validate(html, -1, NULL));
	g_assert_nonnull(strstr(text, "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d gnp.exe"));
	g_assert_nonnull(strstr(text, "Marked 3: Flagged 3"));
	g_assert_nonnull(strstr(text, "Filed 1: Lists/<img src=x> 1"));
	g_assert_null(strstr(text, "- vea: "));
	g_assert_nonnull(strstr(text, "10h 00m"));

	digest_free(&d);
	store_close(&st);
	conf_free(&config);
}

static void test_bounded(void)
{
	conf *config = load_conf("bounded", "");
	const conf_client *client = conf_find_client(config, "dana");
	g_autoptr(GDateTime) now = at("2026-11-26T12:30:00Z");
	g_autofree char *html = NULL, *text = NULL;
	g_autofree char *long_subject = NULL;
	store *st = NULL;
	digest *d = NULL;
	char *error = NULL;

	g_assert_cmpint(store_open(config->database, &st, &error), ==, 0);
	long_subject = g_strnfill(5000, 'x');
	g_assert_cmpint(store_transaction_begin(st, &error), ==, 0);
	for (uint32_t i = 0; i < 10000; i++) {
		g_autofree char *box = g_strdup_printf("Folder %u", i % 100);

		journal(st, "fileinto", box, "bulk@x", long_subject, i + 1, STORE_ACTION_DONE);
		if (i % 4 == 0)
			journal(st, "addflag", "\\Flagged", "vip@x", long_subject, i + 1, STORE_ACTION_DONE);
	}
	g_assert_cmpint(store_transaction_commit(st, &error), ==, 0);
	g_assert_cmpint(digest_collect(st, config, client, now, NULL, &d, &error), ==, 0);
	g_assert_cmpuint(d->handled, ==, 10000);
	g_assert_cmpuint(d->needs_you_total, ==, 2500);
	g_assert_cmpuint(d->needs_you->len, ==, DIGEST_MAX_NEEDS_YOU);
	g_assert_cmpuint(((digest_group *)g_ptr_array_index(d->groups, 0))->destinations->len, ==,
			 DIGEST_MAX_DESTINATIONS);
	html = digest_render_html(d);
	text = digest_render_text(d);
	g_assert_cmpuint(strlen(html), <, 48 * 1024);
	g_assert_cmpuint(strlen(text), <, 16 * 1024);
	g_assert_nonnull(strstr(text, "Filed 10000: "));
	g_assert_nonnull(strstr(text, ", 92 more 9200"));
	g_assert_nonnull(strstr(text, "... and 2480 more"));
	digest_free(&d);
	store_close(&st);
	conf_free(&config);
}

static void test_compose(void)
{
	conf *config = load_conf("compose", "");
	conf_client *client = conf_find_client(config, "dana");
	g_autoptr(GDateTime) now = at("2026-11-26T12:30:00Z");
	GMimeParser *parser;
	GMimeStream *stream;
	GMimeMessage *message;
	GMimeObject *body;
	digest_mail *mail = NULL;
	store *st = NULL;
	digest *d = NULL;
	char *error = NULL;
	const char *data;
	gsize size;

	/* A display name from the config with characters that need quoting
	 * or encoding: GMime must keep it one header. */
	g_free(client->name);
	client->name = g_strdup("Dana \"D\" Whitfield, CEO \xc3\x9c\r\nBcc: x@evil.example");
	client->digest_cc_assistant = TRUE;
	g_assert_cmpint(store_open(config->database, &st, &error), ==, 0);
	journal(st, "addflag", "\\Flagged", "vi@board.example", "Board", 1, STORE_ACTION_DONE);
	g_assert_cmpint(digest_collect(st, config, client, now, NULL, &d, &error), ==, 0);
	g_assert_cmpint(digest_compose(config, d, "vea-digest.dana.2026.11.26.abc@assistant.example",
				       now, &mail, &error), ==, 0);
	g_assert_cmpstr(mail->mail_from, ==, "digest@assistant.example");
	g_assert_cmpstr(mail->recipients[0], ==, "dana@example.test");
	g_assert_cmpstr(mail->recipients[1], ==, "alex@assistant.example");
	g_assert_null(mail->recipients[2]);

	data = g_bytes_get_data(mail->data, &size);
	for (gsize i = 0; i < size; i++) {
		/* 7-bit, and every line ends in CRLF (RFC 5322 section 2.1). */
		g_assert_cmpuint((guchar)data[i], <, 0x80);
		if (data[i] == '\n')
			g_assert_true(i > 0 && data[i - 1] == '\r');
		if (data[i] == '\r')
			g_assert_true(i + 1 < size && data[i + 1] == '\n');
	}
	{
		/* The name's CRLF did not start a header of its own. */
		const char *end = g_strstr_len(data, (gssize)size, "\r\n\r\n");
		g_autofree char *headers = g_strndup(data, (gsize)(end - data) + 2);

		g_assert_null(strstr(headers, "\r\nBcc:"));
		g_assert_nonnull(strstr(headers, "\r\nAuto-Submitted: auto-generated\r\n"));
		g_assert_nonnull(g_strstr_len(data, (gssize)size, "Content-Type: text/plain; charset=utf-8\r\n"));
	}

	stream = g_mime_stream_mem_new_with_buffer(data, size);
	parser = g_mime_parser_new_with_stream(stream);
	message = g_mime_parser_construct_message(parser, NULL);
	g_assert_nonnull(message);
	g_assert_cmpstr(g_mime_message_get_subject(message), ==, "Thu 26 Nov: 1 needs you, 1 handled");
	g_assert_cmpstr(g_mime_message_get_message_id(message), ==,
			"vea-digest.dana.2026.11.26.abc@assistant.example");
	{
		InternetAddressList *to = g_mime_message_get_to(message);
		InternetAddress *addr;

		g_assert_cmpint(internet_address_list_length(to), ==, 1);
		addr = internet_address_list_get_address(to, 0);
		g_assert_cmpstr(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(addr)), ==,
				"dana@example.test");
		g_assert_cmpstr(internet_address_get_name(addr), ==,
				"Dana \"D\" Whitfield, CEO \xc3\x9c  Bcc: x@evil.example");
	}
	body = g_mime_message_get_mime_part(message);
	g_assert_true(GMIME_IS_MULTIPART(body));
	g_assert_cmpstr(g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(body)), ==,
			"alternative");
	g_assert_cmpint(g_mime_multipart_get_count(GMIME_MULTIPART(body)), ==, 2);
	g_assert_cmpstr(g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(
				g_mime_multipart_get_part(GMIME_MULTIPART(body), 0))), ==, "plain");
	g_assert_cmpstr(g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(
				g_mime_multipart_get_part(GMIME_MULTIPART(body), 1))), ==, "html");
	g_object_unref(message);
	g_object_unref(parser);
	g_object_unref(stream);

	digest_mail_free(&mail);
	digest_free(&d);
	store_close(&st);
	conf_free(&config);
}

static void test_schedule_skips(void)
{
	conf *config = load_conf("schedule", "");
	conf_client *client = conf_find_client(config, "dana");
	digest_outcome outcome;
	store *st = NULL;
	char *error = NULL, *detail = NULL;

	g_assert_cmpint(store_open(config->database, &st, &error), ==, 0);
	/* Due 07:30 EST = 12:30Z, grace 3h: at 15:31Z it is too late... */
	{
		g_autoptr(GDateTime) now = at("2026-11-26T15:31:00Z");

		g_assert_cmpint(digest_tick_client(st, config, client, now, &outcome, &detail, &error), ==, 0);
		g_assert_cmpint(outcome, ==, DIGEST_OUTCOME_SKIPPED);
		g_assert_nonnull(strstr(detail, "2026-11-26"));
		g_clear_pointer(&detail, g_free);
		/* ...and recorded once: the next tick does nothing. */
		g_assert_cmpint(digest_tick_client(st, config, client, now, &outcome, &detail, &error), ==, 0);
		g_assert_cmpint(outcome, ==, DIGEST_OUTCOME_NOTHING);
		g_assert_null(detail);
	}
	/* digest_skip_empty: a day with nothing to say sends nothing (and
	 * needs no SMTP server, which this test has not). */
	client->digest_skip_empty = TRUE;
	{
		g_autoptr(GDateTime) now = at("2026-11-27T12:31:00Z");

		g_assert_cmpint(digest_tick_client(st, config, client, now, &outcome, &detail, &error), ==, 0);
		g_assert_cmpint(outcome, ==, DIGEST_OUTCOME_SKIPPED);
		g_assert_nonnull(strstr(detail, "nothing to say"));
		g_clear_pointer(&detail, g_free);
	}
	/* With something to say, the send fails (nothing listens on port 1):
	 * retried later, not duplicated, not lost. */
	journal(st, "fileinto", "Receipts", "shop@x", "receipt", 1, STORE_ACTION_DONE);
	{
		g_autoptr(GDateTime) now = at("2026-11-28T12:30:00Z");
		g_autoptr(GDateTime) soon = at("2026-11-28T12:30:30Z");

		g_assert_cmpint(digest_tick_client(st, config, client, now, &outcome, &detail, &error), ==, 0);
		g_assert_cmpint(outcome, ==, DIGEST_OUTCOME_RETRY);
		g_assert_nonnull(strstr(detail, "next try at 2026-11-28 07:31"));
		g_clear_pointer(&detail, g_free);
		g_assert_cmpint(digest_tick_client(st, config, client, soon, &outcome, &detail, &error), ==, 0);
		g_assert_cmpint(outcome, ==, DIGEST_OUTCOME_NOTHING);
	}
	store_close(&st);
	conf_free(&config);
}

static void test_first_line(void)
{
	static const struct {
		const char *text;
		const char *want; /* NULL: none */
	} cases[] = {
		{ "Can we move the board meeting to Friday?\nThanks, Vi\n", "Can we move the board meeting to Friday?" },
		{ "\n\n   \r\n  Budget attached.  \r\n", "Budget attached." },
		{ "> quoted\n>> more\nOn Tue, 3 Nov 2026, Dana wrote:\nSounds good.\n", "Sounds good." },
		{ "On Tue, 3 Nov 2026, Dana wrote:\n> the question\n\nYes.\n", "Yes." },
		{ "Hi Dana,\n\nThe auditors need your signature by noon.\n",
		  "Hi Dana, The auditors need your signature by noon." },
		{ "Dear Board Members, the agenda is attached,\nsee you Thursday\n",
		  "Dear Board Members, the agenda is attached," },
		{ "", NULL },
		{ "\n> only a quote\n", NULL },
		{ "--\nVi Pearson\nChair\n", NULL },
		{ "a\tb\x1b[31mc \xe2\x80\xae" "gnp.exe \xff", "a b [31mc gnp.exe \xef\xbf\xbd" },
	};
	g_autofree char *long_line = g_strnfill(1000, 'y');
	g_autofree char *got = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *line = digest_first_line(cases[i].text);

		if (g_strcmp0(line, cases[i].want) != 0)
			g_error("case %u: got \"%s\", want \"%s\"", i, line, cases[i].want);
	}
	got = digest_first_line(long_line);
	g_assert_cmpuint(g_utf8_strlen(got, -1), ==, DIGEST_MAX_SNIPPET + 1); /* and "…" */
	g_assert_true(g_str_has_suffix(got, "\xe2\x80\xa6"));
}

/* The first line of an HTML-only message, as "Needs you" shows it
 * (collect.c: digest_first_line of the body text): what the sender
 * wrote, not the <title>, the <style> or the <script>, entities
 * decoded. */
static void test_first_line_html(void)
{
	static const char html[] =
		"From: a@example.com\nSubject: s\nMIME-Version: 1.0\n"
		"Content-Type: text/html; charset=utf-8\n\n"
		"<html><head><title>Newsletter</title>\n"
		"<style>p { color: red; }</style></head>\n"
		"<body><script>var x = 1;</script><!-- tracking -->\n"
		"<p>Fish &amp; chips &#x26; more &lt;today&gt;</p>\n"
		"<p>Second paragraph</p></body></html>\n";
	char *error = NULL;
	mime_message *msg = mime_message_parse(html, strlen(html), &error);
	g_autofree char *line = NULL;

	g_assert_nonnull(msg);
	line = digest_first_line(mime_message_get_body_text(msg));
	g_assert_cmpstr(line, ==, "Fish & chips & more <today>");
	mime_message_free(&msg);
}

/* Where the journal says a message is now (shared with vea undo). */
static void test_current_mailbox(void)
{
	conf *config = load_conf("current-mailbox", "");
	store *st = NULL;
	char *error = NULL;
	store_action base = { .client = "dana", .account = "dana-work", .mailbox = "INBOX",
			      .uidvalidity = 7, .uid = 42, .message_id = "m1@x", .from = "vi@x",
			      .subject = "s", .state = STORE_ACTION_DONE, .result = "done" };
	store_action row = base;
	GPtrArray *history = NULL;
	store_action *flag = NULL;
	int64_t flag_id = 0, move_id = 0;

	g_assert_cmpint(store_open(config->database, &st, &error), ==, 0);
	row.kind = ACTION_ADDFLAG;
	row.argument = "\\Flagged";
	row.operation = STORE_OPERATION_FLAGS;
	g_assert_cmpint(store_action_insert(st, &row, &flag_id, &error), ==, 0);
	g_assert_cmpint(store_action_get(st, flag_id, &flag, &error), ==, 1);

	g_assert_cmpint(store_message_history(st, flag, &history, &error), ==, 0);
	g_assert_cmpstr(store_message_current_mailbox(history, flag), ==, "INBOX");
	g_ptr_array_unref(history);

	/* A copy leaves it where it is; a move takes it along. */
	row = base;
	row.kind = ACTION_FILEINTO;
	row.argument = "Board";
	row.operation = STORE_OPERATION_COPY;
	g_assert_cmpint(store_action_insert(st, &row, NULL, &error), ==, 0);
	row.argument = "VIP";
	row.operation = STORE_OPERATION_MOVE;
	g_assert_cmpint(store_action_insert(st, &row, &move_id, &error), ==, 0);
	/* Another message, and a failed move, change nothing. */
	row.message_id = "m2@x";
	row.argument = "Elsewhere";
	g_assert_cmpint(store_action_insert(st, &row, NULL, &error), ==, 0);
	row.message_id = base.message_id;
	row.state = STORE_ACTION_FAILED;
	g_assert_cmpint(store_action_insert(st, &row, NULL, &error), ==, 0);
	g_assert_cmpint(store_message_history(st, flag, &history, &error), ==, 0);
	g_assert_cmpuint(history->len, ==, 4);
	g_assert_cmpstr(store_message_current_mailbox(history, flag), ==, "VIP");
	g_ptr_array_unref(history);

	/* Undone: back where it came from. */
	g_assert_cmpint(store_action_set_undone(st, move_id, move_id, &error), ==, 0);
	g_assert_cmpint(store_message_history(st, flag, &history, &error), ==, 0);
	g_assert_cmpstr(store_message_current_mailbox(history, flag), ==, "INBOX");
	g_ptr_array_unref(history);

	/* Without a Message-ID: by mailbox, UIDVALIDITY and UID. */
	row = base;
	row.message_id = NULL;
	row.uid = 43;
	row.kind = ACTION_FILEINTO;
	row.argument = "Receipts";
	row.operation = STORE_OPERATION_MOVE;
	g_assert_cmpint(store_action_insert(st, &row, NULL, &error), ==, 0);
	row.uid = 44;
	row.argument = "Other";
	g_assert_cmpint(store_action_insert(st, &row, NULL, &error), ==, 0);
	row.uid = 43;
	row.kind = ACTION_ADDFLAG;
	row.argument = "\\Flagged";
	row.operation = STORE_OPERATION_FLAGS;
	g_assert_cmpint(store_message_history(st, &row, &history, &error), ==, 0);
	g_assert_cmpuint(history->len, ==, 1);
	g_assert_cmpstr(store_message_current_mailbox(history, &row), ==, "Receipts");
	g_ptr_array_unref(history);

	store_action_free(flag);
	store_close(&st);
	conf_free(&config);
}

/* An account that cannot be reached holds nothing back: the flagged
 * messages are listed from the journal, marked, and the digest says why. */
static void test_unreachable_account(void)
{
	conf *config = load_conf("unreachable",
		"[account:dana-work]\nclient = dana\nurl = imap://127.0.0.1:1\ntls = none\n"
		"user = dana\npassword_cmd = echo secret\n");
	const conf_client *client = conf_find_client(config, "dana");
	g_autoptr(GDateTime) now = at("2026-11-26T12:30:00Z");
	g_autofree char *html = NULL, *text = NULL;
	const digest_unchecked *u;
	const digest_item *item;
	store *st = NULL;
	digest *d = NULL;
	char *error = NULL;

	g_assert_cmpint(store_open(config->database, &st, &error), ==, 0);
	journal(st, "addflag", "\\Flagged", "Vi <vi@board.example>", "Board meeting moved", 1,
		STORE_ACTION_DONE);
	journal(st, "addflag", "\\Flagged", "Chair <chair@board.example>", "Budget sign-off", 2,
		STORE_ACTION_DONE);
	/* Flagged, then undone by the assistant: not the executive's business. */
	{
		store_action row = { .client = "dana", .account = "dana-work", .mailbox = "INBOX",
				     .uidvalidity = 1, .uid = 3, .from = "x@board.example",
				     .subject = "Undone", .kind = ACTION_ADDFLAG, .argument = "\\Flagged",
				     .operation = STORE_OPERATION_FLAGS, .state = STORE_ACTION_DONE,
				     .result = "done" };
		int64_t id;

		g_assert_cmpint(store_action_insert(st, &row, &id, &error), ==, 0);
		g_assert_cmpint(store_action_set_undone(st, id, id, &error), ==, 0);
	}
	g_assert_cmpint(digest_collect(st, config, client, now, NULL, &d, &error), ==, 0);
	g_assert_cmpuint(d->needs_you_total, ==, 2);
	g_assert_cmpuint(d->needs_you->len, ==, 2);
	item = g_ptr_array_index(d->needs_you, 0);
	g_assert_cmpstr(item->subject, ==, "Budget sign-off");
	g_assert_true(item->unchecked);
	g_assert_null(item->snippet);
	g_assert_cmpuint(d->unchecked->len, ==, 1);
	u = g_ptr_array_index(d->unchecked, 0);
	g_assert_cmpstr(u->account, ==, "dana-work");
	g_assert_cmpuint(u->count, ==, 2);
	g_assert_nonnull(strstr(u->reason, "127.0.0.1"));
	g_assert_null(strstr(u->reason, "secret"));
	text = digest_render_text(d);
	html = digest_render_html(d);
	g_assert_nonnull(strstr(text, "NEEDS YOU (2)"));
	g_assert_nonnull(strstr(text, "in INBOX (may already be read)"));
	g_assert_nonnull(strstr(text, "Note: dana-work: vea could not check which flagged messages"
				      " are still unread"));
	g_assert_null(g_strstr_len(text, strstr(text, "WHAT VEA DID") - text, "Undone"));
	g_assert_nonnull(strstr(html, "(may already be read)"));
	g_assert_nonnull(strstr(html, "<bdi>dana-work</bdi>: vea could not check"));
	/* The reason is for the assistant's log, not the executive. */
	g_assert_null(strstr(text, "127.0.0.1"));
	g_assert_null(strstr(html, "127.0.0.1"));
	digest_free(&d);
	store_close(&st);
	conf_free(&config);
}

static void ledger_entry(store *st, const char *billing, int64_t seconds, int64_t at_unix)
{
	/* Backdated: without created_at, store_ledger_insert stamps now. */
	store_ledger_entry entry = { .client = "dana", .billing_account = billing, .seconds = seconds,
				     .description = "work", .category = "manual", .source = "manual",
				     .created_at = at_unix };
	gboolean inserted = FALSE;
	char *error = NULL;

	g_assert_cmpint(store_ledger_insert(st, &entry, &inserted, &error), ==, 0);
	g_assert_true(inserted);
}

/* Time used is the ledger's: rounded per the terms, with the retainer
 * time rolled over from last period, the same numbers as vea bill report. */
static void test_time_from_ledger(void)
{
	conf *config = load_conf("time",
		"[billing:dana-hourly]\nclient = dana\nrate = 9500\ncurrency = USD\n"
		"increment = 15m\nrounding = up\n\n"
		"[billing:dana-small]\nclient = dana\nrate = 12000\ncurrency = USD\nmode = retainer\n"
		"retainer_hours = 1h\nincrement = 6m\n");
	const conf_client *client = conf_find_client(config, "dana");
	g_autoptr(GDateTime) now = at("2026-11-26T12:30:00Z");
	g_autofree char *text = NULL, *html = NULL;
	ledger_query query = { .client = "dana", .range = LEDGER_RANGE_CURRENT };
	ledger_report *report = NULL;
	store *st = NULL;
	digest *d = NULL;
	char *error = NULL;

	/* dana-retainer (10h, 1m increments, no rollover): 3h 20m 30s worked
	 * this month rounds to 3h 21m. Last month's work is not this one's. */
	g_assert_cmpint(store_open(config->database, &st, &error), ==, 0);
	ledger_entry(st, "dana-retainer", 2 * 3600 + 30, 1795000000);      /* 18 Nov */
	ledger_entry(st, "dana-retainer", 80 * 60, 1795100000);
	ledger_entry(st, "dana-retainer", 5 * 3600, 1793000000);            /* 26 Oct */
	/* dana-hourly: 20m and 50m, each rounded up to 15m: 30m + 1h. */
	ledger_entry(st, "dana-hourly", 20 * 60, 1795000000);
	ledger_entry(st, "dana-hourly", 50 * 60, 1795000100);
	/* dana-small: 1h retainer, 1h 07m used -> 1h 12m billed, 12m over. */
	ledger_entry(st, "dana-small", 67 * 60, 1795000000);

	g_assert_cmpint(digest_collect(st, config, client, now, NULL, &d, &error), ==, 0);
	g_assert_cmpint(ledger_report_build(st, config, &query, g_date_time_to_unix(now), &report,
					    &error), ==, 0);
	g_assert_cmpuint(d->time->len, ==, report->n_accounts);
	for (guint i = 0; i < report->n_accounts; i++) {
		const ledger_account_report *a = &report->accounts[i];
		const digest_time *t = g_ptr_array_index(d->time, i);

		g_assert_cmpstr(t->billing_id, ==, a->account);
		g_assert_cmpint(t->worked_seconds, ==, a->seconds);
		g_assert_cmpint(t->retainer, ==, a->has_retainer);
		if (a->has_retainer) {
			g_assert_cmpint(t->used_seconds, ==, a->retainer.used);
			g_assert_cmpint(t->available_seconds, ==, a->retainer.available);
			g_assert_cmpint(t->remaining_seconds, ==, a->retainer.remaining);
			g_assert_cmpint(t->overage_seconds, ==, a->retainer.overage);
		} else {
			g_assert_cmpint(t->used_seconds, ==, a->billed);
		}
	}
	ledger_report_free(&report);
	text = digest_render_text(d);
	html = digest_render_html(d);
	g_assert_nonnull(strstr(text, "dana-retainer: 3h 21m of 10h 00m used, 6h 39m remaining (1 Nov – 30 Nov)"));
	g_assert_nonnull(strstr(text, "dana-hourly: 1h 30m this period (1 Nov – 30 Nov)"));
	g_assert_nonnull(strstr(text, "dana-small: 1h 12m of 1h 00m used: 12m over the retainer"));
	g_assert_nonnull(strstr(text, "[######--------------] 33%"));
	g_assert_nonnull(strstr(html, "width=\"33%\" style=\"width:33%;height:14px;background:#3b82f6"));
	g_assert_nonnull(strstr(html, "width=\"100%\" style=\"width:100%;height:14px;background:#d64545"));
	digest_free(&d);
	store_close(&st);
	conf_free(&config);
}

/* Unused retainer time that rolls over shows as part of what is available. */
static void test_time_rollover(void)
{
	conf *config = load_conf("rollover", "");
	g_autoptr(GDateTime) now = at("2026-11-26T12:30:00Z");
	g_autofree char *text = NULL;
	conf_billing *billing = conf_find_billing(config, "dana-retainer");
	store *st = NULL;
	digest *d = NULL;
	char *error = NULL;

	billing->rollover = CONF_ROLLOVER_CAPPED;
	billing->rollover_cap_seconds = 2 * 3600;
	g_assert_cmpint(store_open(config->database, &st, &error), ==, 0);
	/* October: 7h of 10h used, 3h unused, 2h carried (the cap). */
	ledger_entry(st, "dana-retainer", 7 * 3600, 1793000000);
	ledger_entry(st, "dana-retainer", 3600, 1795000000);
	g_assert_cmpint(digest_collect(st, config, conf_find_client(config, "dana"), now, NULL, &d,
				       &error), ==, 0);
	text = digest_render_text(d);
	g_assert_nonnull(strstr(text, "1h 00m of 12h 00m (10h 00m + 2h 00m rolled over) used,"
				      " 11h 00m remaining"));
	digest_free(&d);
	store_close(&st);
	conf_free(&config);
}

static void test_smtp_addresses(void)
{
	static const struct {
		const char *address;
		gboolean valid;
	} cases[] = {
		{ "dana@example.com", TRUE },
		{ "d.a+tag@sub.example.com", TRUE },
		{ "", FALSE },
		{ "dana", FALSE },
		{ "@example.com", FALSE },
		{ "dana@", FALSE },
		{ "dana@example.com\r\nRCPT TO:<x@evil>", FALSE },
		{ "dana@example.com>", FALSE },
		{ "<dana@example.com", FALSE },
		{ "dana smith@example.com", FALSE },
		{ "dana@example.com,x@evil", FALSE },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpint(smtp_address_is_valid(cases[i].address), ==, cases[i].valid);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	mime_init();
	test_dir = g_dir_make_tmp("vea-test-digest-XXXXXX", NULL);
	g_test_add_func("/digest/due-time", test_due_time);
	g_test_add_func("/digest/due-date", test_due_date);
	g_test_add_func("/digest/clock", test_clock);
	g_test_add_func("/digest/hostile-content", test_hostile_content);
	g_test_add_func("/digest/bounded", test_bounded);
	g_test_add_func("/digest/compose", test_compose);
	g_test_add_func("/digest/schedule-skips", test_schedule_skips);
	g_test_add_func("/digest/first-line", test_first_line);
	g_test_add_func("/digest/first-line-html", test_first_line_html);
	g_test_add_func("/digest/current-mailbox", test_current_mailbox);
	g_test_add_func("/digest/unreachable-account", test_unreachable_account);
	g_test_add_func("/digest/time-from-ledger", test_time_from_ledger);
	g_test_add_func("/digest/time-rollover", test_time_rollover);
	g_test_add_func("/smtp/addresses", test_smtp_addresses);
	ret = g_test_run();
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", test_dir);
	g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL);
	g_free(test_dir);
	return ret;
}
