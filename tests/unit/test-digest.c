/* The digest: when it is due across DST, what it says, that every string
 * from a message is escaped and its size bounded, that its headers cannot
 * be injected, and that the schedule records a missed day once. SMTP
 * itself is tested against a real server (tests/integration). */
#include "digest/digest.h"
#include "digest/schedule.h"
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
		.rule_file = "dana.sieve", .rule_line = 3, .action = (char *)action,
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
				     .from = "vea", .subject = "Thu 26 Nov", .action = "keep",
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
	g_test_add_func("/smtp/addresses", test_smtp_addresses);
	ret = g_test_run();
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", test_dir);
	g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL);
	g_free(test_dir);
	return ret;
}
