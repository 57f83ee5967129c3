/* src/smtp without a server: parameters from the configuration (whose
 * server, whose login), and what is refused before anything is sent.
 * Sending itself is tests/integration/test_smtp.py, against aiosmtpd. */
#include "smtp/smtp.h"

#include <curl/curl.h>
#include <glib/gstdio.h>
#include <string.h>

static char *test_dir;

static conf *load(const char *text)
{
	g_autofree char *path = g_build_filename(test_dir, "smtp.conf", NULL);
	GPtrArray *errors = NULL;
	conf *config = NULL;

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	if (conf_load(path, &config, &errors) < 0)
		g_error("does not load: %s", (const char *)g_ptr_array_index(errors, 0));
	return config;
}

static void test_params(void)
{
	conf *config = load("[client:dana]\ntimezone = UTC\nemail = dana@example.test\n"
			    "digest = false\n"
			    "[smtp]\nurl = smtps://mail.va.example\nuser = va\npassword_cmd = pass va\n"
			    "from = VA <va@va.example>\n"
			    "[account:work]\nclient = dana\nurl = imaps://imap.example.test\n"
			    "user = dana@example.test\noauth2_token_cmd = token dana\n"
			    "smtp_url = smtp://smtp.example.test:587\n"
			    "[account:home]\nclient = dana\nurl = imaps://imap.example.test\n"
			    "user = dana\npassword_cmd = pass dana\n");
	smtp_params p;
	char *error = NULL;

	/* As the assistant: [smtp]. */
	g_assert_cmpint(smtp_params_for_assistant(config, &p, &error), ==, 0);
	g_assert_cmpstr(p.url, ==, "smtps://mail.va.example");
	g_assert_cmpstr(p.user, ==, "va");
	g_assert_cmpstr(p.password_cmd, ==, "pass va");
	g_assert_cmpint(p.tls, ==, SMTP_TLS_REQUIRED);
	/* As the executive: the account's server with the IMAP login. */
	g_assert_cmpint(smtp_params_for_account(conf_find_account(config, "work"), &p, &error), ==, 0);
	g_assert_cmpstr(p.url, ==, "smtp://smtp.example.test:587");
	g_assert_cmpstr(p.user, ==, "dana@example.test");
	g_assert_cmpstr(p.oauth2_token_cmd, ==, "token dana");
	g_assert_null(p.password_cmd);
	g_assert_cmpstr(p.what, ==, "work");
	/* No smtp_url: nothing is sent as the executive, and the error says
	 * so. */
	g_assert_cmpint(smtp_params_for_account(conf_find_account(config, "home"), &p, &error), ==, -1);
	g_assert_nonnull(strstr(error, "home has no smtp_url"));
	g_free(error);
	conf_free(&config);

	config = load("[client:dana]\ntimezone = UTC\n");
	g_assert_cmpint(smtp_params_for_assistant(config, &p, &error), ==, -1);
	g_assert_nonnull(strstr(error, "[smtp]"));
	g_free(error);
	conf_free(&config);
}

static void test_refused_before_sending(void)
{
	smtp_params params = { .url = "smtp://127.0.0.1:1", .tls = SMTP_TLS_NONE };
	const char *to[] = { "bob@example.org", NULL };
	const char *bad_to[] = { "bob@example.org>\r\nRCPT TO:<eve@example.net", NULL };
	const char *none[] = { NULL };
	const struct {
		smtp_envelope envelope;
		const char *says;
	} cases[] = {
		{ { .mail_from = "", .recipients = to }, "sender address '' cannot be used" },
		{ { .mail_from = NULL, .recipients = to }, "sender address '' cannot be used" },
		{ { .mail_from = "<>", .recipients = to }, "cannot be used" },
		{ { .mail_from = "dana@example.test", .null_sender = TRUE, .recipients = to },
		  "both a null sender and sender" },
		{ { .null_sender = TRUE, .recipients = none }, "no recipient" },
		{ { .null_sender = TRUE, .recipients = bad_to }, "recipient address" },
	};
	smtp_session *session;
	char *error = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		smtp_result r;

		session = smtp_session_new(&params, &error);
		g_assert_nonnull(session);
		g_assert_cmpint(smtp_session_send(session, &cases[i].envelope, "x\r\n", 3, &r), ==, -1);
		g_assert_cmpint(r.outcome, ==, SMTP_PERMANENT);
		if (strstr(r.text, cases[i].says) == NULL)
			g_error("case %u: %s", i, r.text);
		/* One line: an address with CR LF is not repeated raw. */
		g_assert_null(strpbrk(r.text, "\r\n"));
		g_assert_cmpuint(smtp_session_connections(session), ==, 0);
		smtp_result_clear(&r);
		smtp_session_free(&session);
		g_assert_null(session);
	}
	params.url = "http://example.test";
	g_assert_null(smtp_session_new(&params, &error));
	g_assert_nonnull(strstr(error, "not an smtp:// or smtps:// url"));
	g_free(error);
	/* Userinfo in a URL never reaches a message. */
	params.url = "ftp://va:secret@example.test";
	g_assert_null(smtp_session_new(&params, &error));
	g_assert_null(strstr(error, "secret"));
	g_free(error);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_dir = g_dir_make_tmp("vea-test-smtp-XXXXXX", NULL);
	g_test_add_func("/smtp/params", test_params);
	g_test_add_func("/smtp/refused-before-sending", test_refused_before_sending);
	ret = g_test_run();
	{
		g_autofree char *conf_path = g_build_filename(test_dir, "smtp.conf", NULL);

		g_unlink(conf_path);
	}
	g_rmdir(test_dir);
	g_free(test_dir);
	curl_global_cleanup();
	return ret;
}
