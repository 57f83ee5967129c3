/* vea.conf loading: every mistake a user can make is reported with the
 * file and line, and a good file loads with the values it says. */
#include "conf/conf.h"

#include <glib/gstdio.h>
#include <string.h>

static char *test_dir;

static char *write_file(const char *name, const char *text)
{
	char *path = g_build_filename(test_dir, name, NULL);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

#define GOOD_CONFIG                                       \
	"[vea]\n"                                         \
	"database = state/vea.db\n"                       \
	"poll_interval = 30\n"                            \
	"\n"                                              \
	"[client:dana]\n"                                 \
	"name = Dana Whitfield\n"                         \
	"email = dana@example.test\n"                     \
	"timezone = America/New_York\n"                   \
	"rules = dana.sieve\n"                            \
	"\n"                                              \
	"[account:dana-work]\n"                           \
	"client = dana\n"                                 \
	"url = imap://127.0.0.1:1143\n"                   \
	"user = dana@example.test\n"                      \
	"password_cmd = cat secret\n"                     \
	"tls = none\n"                                    \
	"mailboxes = INBOX;Later\n"                       \
	"\n"                                              \
	"[billing:dana-hourly]\n"                         \
	"client = dana\n"                                 \
	"rate = 9500\n"                                   \
	"currency = USD\n"

static void test_conf_good(void)
{
	g_autofree char *rules = write_file("dana.sieve", "keep;\n");
	g_autofree char *path = write_file("good.conf", GOOD_CONFIG);
	g_autofree char *db = g_build_filename(test_dir, "state", "vea.db", NULL);
	GPtrArray *errors = NULL;
	conf *config = NULL;
	conf_account *account;
	conf_billing *billing;
	char *error = NULL;

	g_assert_cmpint(conf_load(path, &config, &errors), ==, 0);
	g_assert_null(errors);
	g_assert_cmpstr(config->database, ==, db);
	g_assert_cmpint(config->poll_interval, ==, 30);
	g_assert_cmpuint(config->clients->len, ==, 1);
	account = conf_find_account(config, "dana-work");
	g_assert_nonnull(account);
	g_assert_true(account->client == conf_find_client(config, "dana"));
	g_assert_cmpint(account->tls, ==, CONF_TLS_NONE);
	g_assert_cmpstr(account->mailboxes[0], ==, "INBOX");
	g_assert_cmpstr(account->mailboxes[1], ==, "Later");
	g_assert_cmpstr(account->trash, ==, "Trash");
	g_assert_cmpstr(account->client->rules[0], ==, rules);
	billing = conf_client_billing(config, account->client, NULL, &error);
	g_assert_nonnull(billing);
	g_assert_cmpint(billing->rate, ==, 9500);
	g_assert_cmpint(billing->mode, ==, CONF_BILLING_HOURLY);
	g_assert_cmpint(billing->increment, ==, 60);
	g_assert_cmpint(billing->period_start_day, ==, 1);
	g_assert_true(account->client->digest);
	g_assert_cmpint(account->client->digest_at, ==, 7 * 60 + 30);
	g_assert_cmpstr(config->assistant.invoice_prefix, ==, "INV-");
	g_assert_null(config->smtp.url);
	g_assert_null(conf_client_billing(config, account->client, "other", &error));
	g_assert_nonnull(strstr(error, "no billing account 'other'"));
	g_free(error);
	conf_free(&config);
	g_assert_null(config);
}

/* Each bad file and the one error it must produce, with its line. */
static const struct {
	const char *text;
	const char *error;
} bad_configs[] = {
	{ "[client:a]\ntimezone = Mars/Olympus\n", "bad.conf:2: unknown time zone 'Mars/Olympus'" },
	{ "[client:a]\ntimezone = UTC\n[account:x]\nclient = b\nurl = imap://h\nuser = u\npassword_cmd = true\n",
	  "bad.conf:4: unknown client 'b'" },
	{ "[client:a]\ntimezone = UTC\n[account:x]\nclient = a\nuser = u\npassword_cmd = true\n",
	  "bad.conf:3: [account:x] lacks required key 'url'" },
	{ "[client:a]\ntimezone = UTC\n[account:x]\nclient = a\nurl = http://h\nuser = u\npassword_cmd = true\n",
	  "bad.conf:5: url 'http://h' must start with imap:// or imaps://" },
	{ "[client:a]\ntimezone = UTC\n[account:x]\nclient = a\nurl = imaps://h\nuser = u\n",
	  "bad.conf:3: [account:x] needs password_cmd or oauth2_token_cmd" },
	{ "[client:a]\ntimezone = UTC\nrulez = x\n", "bad.conf:3: unknown key 'rulez' in [client:a]" },
	{ "[client:a]\ntimezone = UTC\nrules = missing.sieve\n", "bad.conf:3: rule file 'missing.sieve' not found" },
	{ "[client:a]\ntimezone = UTC\n[billing:b]\nclient = a\nrate = 12.5\ncurrency = USD\n",
	  "bad.conf:5: 'rate' must be a whole number" },
	{ "[client:a]\ntimezone = UTC\n[billing:b]\nclient = a\nrate = 100\ncurrency = dollars\n",
	  "bad.conf:6: currency 'dollars' is not an ISO 4217 code" },
	{ "[client:a]\ntimezone = UTC\njunk line\n", "bad.conf:3: expected 'key = value', got 'junk line'" },
	{ "[client:a]\ntimezone = UTC\n[client:a]\n", "bad.conf:3: section [client:a] appears twice" },
	{ "[vea]\npoll_interval = 1\n", "bad.conf:2: 'poll_interval' must be a whole number from 5" },
	{ "[customer:a]\n", "bad.conf:1: unknown section type 'customer'" },
	{ "[vea]\nglobal_rules_dir = /nonexistent/global\n[client:a]\ntimezone = UTC\n",
	  "bad.conf:2: global_rules_dir '/nonexistent/global' is not a folder" },
	{ "[client:a]\ntimezone = UTC\n[account:x]\nclient = a\nurl = imaps://h\nuser = u\npassword_cmd = true\nsince = 2026-02-30\n",
	  "bad.conf:8: since '2026-02-30' is not a date" },
	{ "[client:a]\ntimezone = UTC\n[billing:b]\nclient = a\nrate = 1\ncurrency = USD\nmode = retainer\n",
	  "bad.conf:3: [billing:b] has mode = retainer but no retainer_hours" },
	{ "[client:a]\ntimezone = UTC\n[billing:b]\nclient = a\nrate = 1\ncurrency = USD\nincrement = 6x\n",
	  "bad.conf:7: increment: '6x': unknown unit 'x'" },
	{ "[client:a]\ntimezone = UTC\n[billing:b]\nclient = a\nrate = 1\ncurrency = USD\nrounding = down\n",
	  "bad.conf:7: rounding must be one of up, nearest, not 'down'" },
	{ "[client:a]\ntimezone = UTC\nemail = a@x.test\ndigest_at = 25:00\n",
	  "bad.conf:4: digest_at: '25:00' is not a time of day" },
	{ "[client:a]\ntimezone = UTC\ndigest = true\n", "bad.conf:3: digest = true needs the client's email" },
	{ "[client:a]\ntimezone = UTC\n[smtp]\nurl = http://x\nfrom = a@x.test\n",
	  "bad.conf:4: url 'http://x' must start with smtp:// or smtps://" },
	{ "[vea]\n", "bad.conf: no [client:ID] section" },
	{ "[client:a]\ntimezone = UTC\nbilling = nope\n", "bad.conf:3: unknown billing account 'nope'" },
	{ "[client:a]\ntimezone = UTC\n[account:x]\nclient = a\nurl = imaps://h\nuser = u\npassword_cmd = true\ntls = none\n",
	  "bad.conf:8: tls = none contradicts the imaps:// url" },
	{ "[client:a]\ntimezone = UTC\n[account:x]\nclient = a\nurl = imaps://h\nuser = u\npassword_cmd = true\nmailbox_name_replacement = .\n",
	  "bad.conf:8: mailbox_name_replacement must be one punctuation character" },
	{ "[client:a]\ntimezone = UTC\n[account:x]\nclient = a\nurl = imaps://h\nuser = u\npassword_cmd = true\nmailbox_name_replacement = --\n",
	  "bad.conf:8: mailbox_name_replacement must be one punctuation character" },
	{ "[client:a]\ntimezone = UTC\n[account:x]\nclient = a\nurl = imaps://h\nuser = u\npassword_cmd = true\nmailbox_name_refused = ._\n",
	  "bad.conf:8: mailbox_name_refused lists characters a server refuses in a mailbox name; '_' cannot be one" },
	/* The executive's own submission server. */
	{ "[client:a]\ntimezone = UTC\n[account:x]\nclient = a\nurl = imaps://h\nuser = u\npassword_cmd = true\nsmtp_url = imaps://h\n",
	  "bad.conf:8: smtp_url 'imaps://h' must start with smtp:// or smtps://" },
	{ "[client:a]\ntimezone = UTC\n[account:x]\nclient = a\nurl = imaps://h\nuser = u\npassword_cmd = true\nsmtp_url = smtps://u:pw@h\n",
	  "bad.conf:8: smtp_url must not hold a user or password" },
	{ "[client:a]\ntimezone = UTC\n[account:x]\nclient = a\nurl = imaps://h\nuser = u\npassword_cmd = true\nsmtp_user = v\n",
	  "bad.conf:8: smtp_user needs smtp_url" },
	{ "[client:a]\ntimezone = UTC\n[account:x]\nclient = a\nurl = imaps://h\nuser = u\npassword_cmd = true\nsmtp_url = smtps://h\nsmtp_tls = none\n",
	  "bad.conf:9: smtp_tls = none contradicts the smtps:// url" },
	{ "[client:a]\ntimezone = UTC\n[account:x]\nclient = a\nurl = imaps://h\nuser = u\npassword_cmd = true\nsmtp_url = smtp://h\nsmtp_tls = maybe\n",
	  "bad.conf:9: smtp_tls must be one of required, none, not 'maybe'" },
	{ "[client:a]\ntimezone = UTC\n[account:x]\nclient = a\nurl = imaps://h\nuser = u\npassword_cmd = true\nsmtp_url = smtp://h\nsmtp_ca_file = /nonexistent/ca.pem\n",
	  "bad.conf:9: smtp_ca_file '/nonexistent/ca.pem' not found" },
	{ "[client:a]\ntimezone = UTC\n[account:x]\nclient = a\nurl = imaps://h\nuser = u\npassword_cmd = true\nsmtp_server = smtp://h\n",
	  "bad.conf:8: unknown key 'smtp_server' in [account:x]" },
	/* Automatic mail. */
	{ "[vea]\nauto_mail_max_age = 2 days\n[client:a]\ntimezone = UTC\n",
	  "bad.conf:2: auto_mail_max_age: " },
	{ "[vea]\nno_reply_senders = default;noreply\n[client:a]\ntimezone = UTC\n",
	  "bad.conf:2: no_reply_senders: 'noreply' is not an address pattern" },
};

/* Per-account SMTP: what is not given is the IMAP login's; nothing
 * given, no sending as the executive. */
static void test_conf_account_smtp(void)
{
	g_autofree char *rules = write_file("dana.sieve", "keep;\n");
	g_autofree char *ca = write_file("ca.pem", "not really a certificate\n");
	g_autofree char *path = write_file(
		"smtp.conf",
		"[vea]\nauto_mail_max_age = 72h\nno_reply_senders = default;*@alerts.example\n"
		"[client:dana]\ntimezone = UTC\nrules = dana.sieve\n"
		"[account:plain]\nclient = dana\nurl = imaps://imap.example.test\n"
		"user = dana@example.test\npassword_cmd = pass dana\n"
		"[account:same]\nclient = dana\nurl = imaps://imap.example.test\n"
		"user = dana@example.test\noauth2_token_cmd = token dana\nca_file = ca.pem\n"
		"smtp_url = smtps://smtp.example.test\n"
		"[account:own]\nclient = dana\nurl = imap://imap.example.test\ntls = none\n"
		"user = dana\npassword_cmd = pass dana\n"
		"smtp_url = smtp://smtp.example.test:587\nsmtp_user = dana@example.test\n"
		"smtp_password_cmd = pass dana-smtp\nsmtp_tls = none\nsmtp_ca_file = ca.pem\n");
	GPtrArray *errors = NULL;
	conf *config = NULL;
	conf_account *a;

	if (conf_load(path, &config, &errors) < 0) {
		for (guint j = 0; j < errors->len; j++)
			g_test_message("got: %s", (const char *)g_ptr_array_index(errors, j));
		g_error("smtp.conf does not load");
	}
	g_assert_cmpint(config->auto_mail_max_age, ==, 3 * 86400);
	g_assert_cmpuint(g_strv_length(config->no_reply_senders), ==, 2);
	g_assert_cmpstr(config->no_reply_senders[1], ==, "*@alerts.example");

	a = conf_find_account(config, "plain");
	g_assert_null(a->smtp_url);
	g_assert_null(a->smtp_user);
	g_assert_null(a->smtp_password_cmd);

	a = conf_find_account(config, "same");
	g_assert_cmpstr(a->smtp_url, ==, "smtps://smtp.example.test");
	g_assert_cmpstr(a->smtp_user, ==, "dana@example.test");
	g_assert_null(a->smtp_password_cmd);
	g_assert_cmpstr(a->smtp_oauth2_token_cmd, ==, "token dana");
	g_assert_cmpint(a->smtp_tls, ==, CONF_TLS_REQUIRED);
	g_assert_cmpstr(a->smtp_ca_file, ==, a->ca_file);

	a = conf_find_account(config, "own");
	g_assert_cmpstr(a->smtp_user, ==, "dana@example.test");
	g_assert_cmpstr(a->smtp_password_cmd, ==, "pass dana-smtp");
	g_assert_null(a->smtp_oauth2_token_cmd);
	g_assert_cmpint(a->smtp_tls, ==, CONF_TLS_NONE);
	g_assert_cmpstr(a->smtp_ca_file, ==, ca);
	conf_free(&config);

	/* Without [vea] keys: two days, the built-in patterns. */
	g_free(path);
	path = write_file("smtp.conf", "[client:dana]\ntimezone = UTC\n");
	g_assert_cmpint(conf_load(path, &config, &errors), ==, 0);
	g_assert_cmpint(config->auto_mail_max_age, ==, 2 * 86400);
	g_assert_null(config->no_reply_senders);
	conf_free(&config);
}

static void test_conf_bad(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(bad_configs); i++) {
		g_autofree char *path = write_file("bad.conf", bad_configs[i].text);
		GPtrArray *errors = NULL;
		conf *config = NULL;
		gboolean found = FALSE;

		g_assert_cmpint(conf_load(path, &config, &errors), ==, -1);
		g_assert_null(config);
		g_assert_nonnull(errors);
		for (guint j = 0; j < errors->len; j++) {
			const char *error = g_ptr_array_index(errors, j);
			const char *base = strstr(error, "bad.conf");

			if (base != NULL && g_str_has_prefix(base, bad_configs[i].error))
				found = TRUE;
		}
		if (!found) {
			for (guint j = 0; j < errors->len; j++)
				g_test_message("got: %s", (const char *)g_ptr_array_index(errors, j));
			g_error("case %u: expected error '%s'", i, bad_configs[i].error);
		}
		g_ptr_array_unref(errors);
	}
}

static void test_conf_retainer(void)
{
	g_autofree char *path = write_file("retainer.conf",
		"[assistant]\nname = Alex Rivera\ninvoice_prefix = AR-\n"
		"[smtp]\nurl = smtps://mail.example.test\nfrom = Alex <alex@example.test>\npassword_cmd = true\n"
		"[client:a]\ntimezone = Europe/Rome\nemail = a@example.test\ndigest_at = 06:45\n"
		"[billing:b]\nclient = a\nmode = retainer\nrate = 7000\ncurrency = EUR\n"
		"retainer_hours = 10h\nincrement = 6m\nrounding = nearest\nround = period\n"
		"overage_rate = 9000\nrollover = capped\nrollover_cap = 5h\nperiod_start_day = 15\n"
		"cost_fileinto = 1m\ncost_flag = 30s\n");
	GPtrArray *errors = NULL;
	conf *config = NULL;
	conf_billing *billing;

	if (conf_load(path, &config, &errors) < 0) {
		for (guint j = 0; j < errors->len; j++)
			g_test_message("%s", (const char *)g_ptr_array_index(errors, j));
		g_assert_not_reached();
	}
	billing = conf_find_billing(config, "b");
	g_assert_cmpint(billing->mode, ==, CONF_BILLING_RETAINER);
	g_assert_cmpint(billing->retainer_seconds, ==, 36000);
	g_assert_cmpint(billing->increment, ==, 360);
	g_assert_cmpint(billing->rounding, ==, CONF_ROUNDING_NEAREST);
	g_assert_cmpint(billing->round_per, ==, CONF_ROUND_PER_PERIOD);
	g_assert_cmpint(billing->overage_rate, ==, 9000);
	g_assert_cmpint(billing->rollover, ==, CONF_ROLLOVER_CAPPED);
	g_assert_cmpint(billing->rollover_cap_seconds, ==, 18000);
	g_assert_cmpint(billing->period_start_day, ==, 15);
	g_assert_cmpint(billing->costs[CONF_COST_FILEINTO], ==, 60);
	g_assert_cmpint(billing->costs[CONF_COST_FLAG], ==, 30);
	g_assert_cmpint(billing->costs[CONF_COST_KEEP], ==, 0);
	g_assert_cmpstr(config->smtp.url, ==, "smtps://mail.example.test");
	g_assert_cmpint(config->smtp.tls, ==, CONF_TLS_REQUIRED);
	g_assert_cmpstr(config->assistant.invoice_prefix, ==, "AR-");
	g_assert_cmpint(conf_find_client(config, "a")->digest_at, ==, 6 * 60 + 45);
	conf_free(&config);
}

static void test_conf_missing_file(void)
{
	GPtrArray *errors = NULL;
	conf *config = NULL;

	g_assert_cmpint(conf_load("/nonexistent/vea.conf", &config, &errors), ==, -1);
	g_assert_nonnull(strstr(g_ptr_array_index(errors, 0), "/nonexistent/vea.conf"));
	g_ptr_array_unref(errors);
}

/* [ai]: a base URL is completed to the chat-completions endpoint; the
 * defaults; every mistake at its line. */
static void test_conf_ai(void)
{
	static const struct {
		const char *url, *full; /* full NULL: an error naming url */
	} urls[] = {
		{ "http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/chat/completions" },
		{ "http://127.0.0.1:8080/", "http://127.0.0.1:8080/v1/chat/completions" },
		{ "http://localhost:11434/v1", "http://localhost:11434/v1/chat/completions" },
		{ "http://localhost:11434/v1/", "http://localhost:11434/v1/chat/completions" },
		{ "https://llm.example/v1/chat/completions", "https://llm.example/v1/chat/completions" },
		{ "ftp://127.0.0.1/", NULL },
		{ "http://user:pw@127.0.0.1/", NULL },
		{ "http://127.0.0.1/api/generate", NULL },
		{ "not a url", NULL },
	};
	g_autofree char *rules = write_file("dana.sieve", "keep;\n");

	for (gsize i = 0; i < G_N_ELEMENTS(urls); i++) {
		g_autofree char *text = g_strdup_printf(
			"[client:dana]\ntimezone = UTC\nrules = dana.sieve\ndraft_ai = yes\n"
			"style_notes = Brief.\\nNo exclamation marks.\n"
			"[ai]\nurl = %s\nmodel = local\n", urls[i].url);
		g_autofree char *path = write_file("ai.conf", text);
		GPtrArray *errors = NULL;
		conf *config = NULL;
		int ret = conf_load(path, &config, &errors);

		if (urls[i].full != NULL) {
			g_assert_cmpint(ret, ==, 0);
			g_assert_cmpstr(config->ai.url, ==, urls[i].full);
			g_assert_cmpstr(config->ai.model, ==, "local");
			g_assert_cmpint(config->ai.timeout, ==, CONF_AI_TIMEOUT);
			g_assert_cmpint(config->ai.max_input, ==, CONF_AI_MAX_INPUT);
			g_assert_null(config->ai.api_key_cmd);
			g_assert_true(conf_find_client(config, "dana")->draft_ai);
			g_assert_cmpstr(conf_find_client(config, "dana")->style_notes, ==,
					"Brief.\nNo exclamation marks.");
			conf_free(&config);
		} else {
			g_autofree char *want = g_strdup_printf("%s:7: ", path);

			g_assert_cmpint(ret, ==, -1);
			g_assert_cmpuint(errors->len, ==, 1);
			g_assert_true(g_str_has_prefix(g_ptr_array_index(errors, 0), want));
			g_ptr_array_unref(errors);
		}
	}
	{
		g_autofree char *path = write_file(
			"ai-bad.conf",
			"[client:dana]\ntimezone = UTC\nrules = dana.sieve\ndraft_ai = maybe\n"
			"[client:marco]\ntimezone = UTC\ndraft_ai = yes\n");
		g_autofree char *path2 = write_file(
			"ai-bad2.conf",
			"[client:dana]\ntimezone = UTC\n"
			"[ai]\nurl = http://127.0.0.1:8080\ntimeout = 0s\nmax_input = 12\nprompt = x\n");
		GPtrArray *errors = NULL;
		conf *config = NULL;

		g_assert_cmpint(conf_load(path, &config, &errors), ==, -1);
		/* draft_ai = maybe (line 4); marco's draft_ai = yes without [ai] (line 7). */
		g_assert_cmpuint(errors->len, ==, 2);
		g_assert_nonnull(strstr(g_ptr_array_index(errors, 0), ":4: 'draft_ai' must be true or false"));
		g_assert_nonnull(strstr(g_ptr_array_index(errors, 1), ":7: draft_ai = yes needs an [ai]"));
		g_ptr_array_unref(errors);
		g_assert_cmpint(conf_load(path2, &config, &errors), ==, -1);
		/* No model, timeout 0, max_input too small, an unknown key. */
		for (guint j = 0; j < errors->len; j++)
			g_test_message("got: %s", (const char *)g_ptr_array_index(errors, j));
		g_assert_cmpuint(errors->len, ==, 4);
		g_ptr_array_unref(errors);
	}
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	test_dir = g_dir_make_tmp("vea-test-conf-XXXXXX", NULL);
	g_test_add_func("/conf/good", test_conf_good);
	g_test_add_func("/conf/bad", test_conf_bad);
	g_test_add_func("/conf/account-smtp", test_conf_account_smtp);
	g_test_add_func("/conf/retainer", test_conf_retainer);
	g_test_add_func("/conf/missing-file", test_conf_missing_file);
	g_test_add_func("/conf/ai", test_conf_ai);
	ret = g_test_run();
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", test_dir);
	g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL);
	g_free(test_dir);
	return ret;
}
