/* src/outgoing: whether vea sends an auto-reply, a redirect or a
 * notification, and if not, which check said no and why. Each check has
 * its own case, on real messages parsed as the agent parses them
 * (mime_message through outgoing_message_from_mime), hostile ones
 * included: CR LF in encoded display names, huge fields, encoded words. */
#include "outgoing/outgoing.h"
#include "mime/message.h"

#include <string.h>

#define DANA "dana@example.test"
#define BOB "bob@example.org"

static const char *const own[] = { DANA, "d.whitfield@example.test", NULL };

/* A message: Return-Path bob, From bob, To dana, then extra fields
 * (each "Name: value" line, CRLF added). Use RP_NONE to leave out the
 * Return-Path, or a first extra "Return-Path: ..." of one's own. */
#define RP_NONE "X-No-Return-Path: 1"

static mime_message *message_new(const char *const *fields)
{
	GString *text = g_string_new(NULL);
	gboolean own_rp = FALSE, no_rp = FALSE, own_to = FALSE, own_from = FALSE, own_id = FALSE;
	mime_message *msg;
	char *error = NULL;

	for (const char *const *f = fields; f != NULL && *f != NULL; f++) {
		own_rp |= g_ascii_strncasecmp(*f, "Return-Path:", 12) == 0;
		no_rp |= strcmp(*f, RP_NONE) == 0;
		own_to |= g_ascii_strncasecmp(*f, "To:", 3) == 0;
		own_from |= g_ascii_strncasecmp(*f, "From:", 5) == 0;
		own_id |= g_ascii_strncasecmp(*f, "Message-ID:", 11) == 0;
	}
	if (!own_rp && !no_rp)
		g_string_append(text, "Return-Path: <" BOB ">\r\n");
	for (const char *const *f = fields; f != NULL && *f != NULL; f++) {
		if (g_ascii_strncasecmp(*f, "Return-Path:", 12) == 0)
			g_string_append_printf(text, "%s\r\n", *f);
	}
	if (!own_from)
		g_string_append(text, "From: Bob <" BOB ">\r\n");
	if (!own_to)
		g_string_append(text, "To: Dana <" DANA ">\r\n");
	g_string_append(text, "Subject: Lunch\r\n");
	if (!own_id)
		g_string_append(text, "Message-ID: <m1@example.org>\r\n");
	for (const char *const *f = fields; f != NULL && *f != NULL; f++) {
		if (g_ascii_strncasecmp(*f, "Return-Path:", 12) != 0)
			g_string_append_printf(text, "%s\r\n", *f);
	}
	g_string_append(text, "\r\nAre you free?\r\n");
	msg = mime_message_parse(text->str, text->len, &error);
	if (msg == NULL)
		g_error("cannot parse the test message: %s", error);
	g_string_free(text, TRUE);
	return msg;
}

#define NOW ((int64_t)1796224956)

/* The policy of most cases: Dana's addresses, a two-day cut-off, the
 * default no-reply list, no store. */
static outgoing_vacation policy_default(void)
{
	outgoing_vacation p = { .own_addresses = own, .now = NOW, .max_age = 2 * 86400 };

	return p;
}

/* Decide for a message of fields; returns the check, verdict in *v. */
static outgoing_check vacation(const outgoing_vacation *policy, const char *const *fields,
			       outgoing_verdict *v)
{
	mime_message *msg = message_new(fields);
	outgoing_message m;
	outgoing_check check;

	outgoing_message_from_mime(&m, msg, NOW - 60);
	check = outgoing_vacation_decide(policy, &m, v);
	outgoing_message_clear(&m);
	mime_message_free(&msg);
	return check;
}

/* Expect check for fields, and reason to contain want (NULL: any). */
static void expect(const outgoing_vacation *policy, const char *const *fields,
		   outgoing_check check, const char *want)
{
	outgoing_verdict v;
	outgoing_check got = vacation(policy, fields, &v);

	if (got != check || (want != NULL && strstr(v.reason, want) == NULL))
		g_error("expected %s (\"%s\"), got %s: \"%s\"", outgoing_check_name(check),
			want != NULL ? want : "", outgoing_check_name(got), v.reason);
	/* A reason is one line, whatever the message held. */
	g_assert_null(strpbrk(v.reason, "\r\n"));
	if (got == OUTGOING_SEND) {
		g_assert_nonnull(v.reply_to);
		g_assert_nonnull(v.own_address);
	} else {
		g_assert_null(v.reply_to);
		g_assert_cmpstr(v.reason, !=, "");
	}
	outgoing_verdict_clear(&v);
}

#define F(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_vacation_personal(void)
{
	outgoing_vacation p = policy_default();
	outgoing_verdict v;

	g_assert_cmpint(vacation(&p, NULL, &v), ==, OUTGOING_SEND);
	/* RFC 5230 4: the reply goes to the Return-Path; its From is the
	 * address the message was sent to. */
	g_assert_cmpstr(v.reply_to, ==, BOB);
	g_assert_cmpstr(v.own_address, ==, DANA);
	g_assert_cmpstr(v.sender, ==, BOB);
	outgoing_verdict_clear(&v);

	/* Sent to Dana's other address, in Cc: that one answers. */
	g_assert_cmpint(vacation(&p, F("To: all@example.test", "Cc: D.Whitfield@Example.Test"), &v),
			==, OUTGOING_SEND);
	g_assert_cmpstr(v.own_address, ==, "d.whitfield@example.test");
	outgoing_verdict_clear(&v);
}

static void test_vacation_no_recipient(void)
{
	outgoing_vacation p = policy_default();
	mime_message *msg = message_new(NULL);
	outgoing_message m;
	outgoing_verdict v;

	outgoing_message_from_mime(&m, msg, NOW);
	m.envelope_to = "";
	g_assert_cmpint(outgoing_vacation_decide(&p, &m, &v), ==, OUTGOING_NO_RECIPIENT);
	outgoing_verdict_clear(&v);
	/* Known and in To: it is the address the reply is from (Pigeonhole
	 * tries the final recipient first). */
	m.envelope_to = "dana@example.test";
	g_assert_cmpint(outgoing_vacation_decide(&p, &m, &v), ==, OUTGOING_SEND);
	g_assert_cmpstr(v.own_address, ==, DANA);
	outgoing_verdict_clear(&v);
	outgoing_message_clear(&m);
	mime_message_free(&msg);
}

static void test_vacation_null_sender(void)
{
	outgoing_vacation p = policy_default();

	expect(&p, F("Return-Path: <>"), OUTGOING_NULL_SENDER, "RFC 3834 2");
	expect(&p, F("Return-Path: <>", "List-Id: <x.example.org>"), OUTGOING_NULL_SENDER, NULL);
	expect(&p, F(RP_NONE), OUTGOING_NO_SENDER, "no Return-Path");
	expect(&p, F("Return-Path: <bob at example.org>"), OUTGOING_NO_SENDER, "not an address");
	/* A source route is ignored (RFC 5321 4.1.2). */
	expect(&p, F("Return-Path: <@relay.example:bob@example.org>"), OUTGOING_SEND, NULL);
}

static void test_vacation_own_address(void)
{
	outgoing_vacation p = policy_default();
	const char *const extra[] = { "Dana@Whitfield.Example", NULL };

	expect(&p, F("Return-Path: <DANA@example.test>"), OUTGOING_OWN_ADDRESS, "executive");
	p.extra_addresses = extra;
	expect(&p, F("Return-Path: <dana@whitfield.example>"), OUTGOING_OWN_ADDRESS, ":addresses");
	/* :addresses also make a message personal (RFC 5230 4.5). */
	expect(&p, F("To: dana@whitfield.example"), OUTGOING_SEND, NULL);
}

static void test_vacation_own_message(void)
{
	outgoing_vacation p = policy_default();

	expect(&p, F("Message-ID: <vea.vacation.0f3c@example.test>"), OUTGOING_OWN_MESSAGE,
	       "Message-ID");
	expect(&p, F("Message-ID: <vea-digest.dana.2026.12.01.ab@va.example>"),
	       OUTGOING_OWN_MESSAGE, "Message-ID");
	expect(&p, F("X-Vea-Auto: vacation"), OUTGOING_OWN_MESSAGE, OUTGOING_MARK_HEADER);
	/* An MSA that strips Auto-Submitted still leaves In-Reply-To. */
	expect(&p, F("In-Reply-To: <other@x.example> <vea.vacation.77@example.test>"),
	       OUTGOING_OWN_MESSAGE, "In-Reply-To");
	/* Not ours: "vea-" is not vea's prefix (test messages use it). */
	expect(&p, F("Message-ID: <vea-test-1-2@example.test>"), OUTGOING_SEND, NULL);
}

static void test_vacation_too_old(void)
{
	outgoing_vacation p = policy_default();
	mime_message *msg = message_new(NULL);
	outgoing_message m;
	outgoing_verdict v;

	outgoing_message_from_mime(&m, msg, NOW - 3 * 86400);
	g_assert_cmpint(outgoing_vacation_decide(&p, &m, &v), ==, OUTGOING_TOO_OLD);
	g_assert_nonnull(strstr(v.reason, "72 h ago"));
	outgoing_verdict_clear(&v);
	m.received_at = 0;
	g_assert_cmpint(outgoing_vacation_decide(&p, &m, &v), ==, OUTGOING_TOO_OLD);
	outgoing_verdict_clear(&v);
	m.received_at = NOW - 2 * 86400 + 1;
	g_assert_cmpint(outgoing_vacation_decide(&p, &m, &v), ==, OUTGOING_SEND);
	outgoing_verdict_clear(&v);
	p.max_age = 0;
	m.received_at = 0;
	g_assert_cmpint(outgoing_vacation_decide(&p, &m, &v), ==, OUTGOING_SEND);
	outgoing_verdict_clear(&v);
	outgoing_message_clear(&m);
	mime_message_free(&msg);
}

typedef struct calls {
	int answered_result, budget_result;
	guint answered, budget;
	char *last_sender;
} calls;

static int cb_answered(void *context, const char *sender, char **error_r)
{
	calls *c = context;

	c->answered++;
	g_free(c->last_sender);
	c->last_sender = g_strdup(sender);
	if (c->answered_result < 0)
		*error_r = g_strdup("database is locked");
	return c->answered_result;
}

static int cb_budget(void *context, const char *sender, char **why_r)
{
	calls *c = context;

	(void)sender;
	c->budget++;
	if (c->budget_result != 0)
		*why_r = g_strdup(c->budget_result > 0 ? "30 automatic messages in the last hour"
						       : "database is locked");
	return c->budget_result;
}

static void test_vacation_tracking(void)
{
	outgoing_vacation p = policy_default();
	calls c = { .answered_result = 1 };

	p.answered = cb_answered;
	p.over_budget = cb_budget;
	p.context = &c;
	/* Tracked by the canonical sender: an SRS forwarder's rewriting
	 * would otherwise make each message a new sender. */
	expect(&p, F("Return-Path: <SRS0=HHH=TT=example.org=bob@forwarder.example>"),
	       OUTGOING_ALREADY_ANSWERED, "RFC 5230 4.2");
	g_assert_cmpstr(c.last_sender, ==, BOB);
	g_assert_cmpuint(c.budget, ==, 0);
	c.answered_result = -1;
	expect(&p, NULL, OUTGOING_ERROR, "database is locked");
	/* Looked up before the header checks, as Pigeonhole does. */
	c.answered_result = 0;
	c.answered = 0;
	expect(&p, F("List-Id: <team.example.org>"), OUTGOING_MAILING_LIST, NULL);
	g_assert_cmpuint(c.answered, ==, 1);
	g_free(c.last_sender);
}

static void test_vacation_rate_limit(void)
{
	outgoing_vacation p = policy_default();
	calls c = { .budget_result = 1 };

	p.over_budget = cb_budget;
	p.context = &c;
	expect(&p, NULL, OUTGOING_RATE_LIMIT, "30 automatic messages");
	g_assert_cmpuint(c.budget, ==, 1);
	/* Only what would be answered spends the budget. */
	expect(&p, F("Precedence: bulk"), OUTGOING_PRECEDENCE, NULL);
	expect(&p, F("To: all@example.test"), OUTGOING_NOT_PERSONAL, NULL);
	g_assert_cmpuint(c.budget, ==, 1);
	c.budget_result = -1;
	expect(&p, NULL, OUTGOING_ERROR, "locked");
}

static void test_vacation_lists(void)
{
	outgoing_vacation p = policy_default();
	static const char *const fields[] = {
		"List-Id: Team <team.lists.example.org>", "List-Help: <mailto:help@lists.example.org>",
		"List-Subscribe: <mailto:sub@lists.example.org>",
		"List-Unsubscribe: <https://lists.example.org/u>",
		"List-Post: <mailto:team@lists.example.org>",
		"List-Owner: <mailto:owner@lists.example.org>",
		"List-Archive: <https://lists.example.org/a>", NULL
	};

	for (const char *const *f = fields; *f != NULL; f++) {
		g_autofree char *name = g_strndup(*f, strcspn(*f, ":"));
		const char *one[] = { *f, NULL };

		expect(&p, one, OUTGOING_MAILING_LIST, name);
	}
	/* A field that only looks like one. */
	expect(&p, F("List-Idea: no"), OUTGOING_SEND, NULL);
}

static void test_vacation_auto_submitted(void)
{
	outgoing_vacation p = policy_default();

	expect(&p, F("Auto-Submitted: auto-replied (vacation)"), OUTGOING_AUTO_SUBMITTED,
	       "RFC 3834");
	expect(&p, F("Auto-Submitted: auto-generated"), OUTGOING_AUTO_SUBMITTED, NULL);
	expect(&p, F("Auto-Submitted: no"), OUTGOING_SEND, NULL);
	expect(&p, F("Auto-Submitted:  No "), OUTGOING_SEND, NULL);
	/* Pigeonhole compares the whole value: in doubt, stay quiet. */
	expect(&p, F("Auto-Submitted: no (manual)"), OUTGOING_AUTO_SUBMITTED, NULL);
	expect(&p, F("Auto-Submitted: no", "Auto-Submitted: auto-notified"),
	       OUTGOING_AUTO_SUBMITTED, "auto-notified");
}

static void test_vacation_precedence(void)
{
	outgoing_vacation p = policy_default();

	expect(&p, F("Precedence: bulk"), OUTGOING_PRECEDENCE, "bulk");
	expect(&p, F("Precedence: List"), OUTGOING_PRECEDENCE, "list");
	expect(&p, F("Precedence: junk (spam)"), OUTGOING_PRECEDENCE, "junk");
	expect(&p, F("Precedence: first-class"), OUTGOING_SEND, NULL);
	expect(&p, F("Precedence: bulky"), OUTGOING_SEND, NULL);
}

static void test_vacation_suppress(void)
{
	outgoing_vacation p = policy_default();

	expect(&p, F("X-Auto-Response-Suppress: All"), OUTGOING_SUPPRESSED, "All");
	expect(&p, F("X-Auto-Response-Suppress: OOF"), OUTGOING_SUPPRESSED, "OOF");
	expect(&p, F("X-Auto-Response-Suppress: DR, oof, RN"), OUTGOING_SUPPRESSED, "OOF");
	expect(&p, F("X-Auto-Response-Suppress: DR, RN, NRN"), OUTGOING_SEND, NULL);
}

static void test_vacation_system(void)
{
	outgoing_vacation p = policy_default();
	static const char *const system[] = {
		"Return-Path: <MAILER-DAEMON@mx.example.org>", "Return-Path: <listserv@example.org>",
		"Return-Path: <Majordomo@example.org>", "Return-Path: <team-request@example.org>",
		"Return-Path: <Team-Request@example.org>", "Return-Path: <owner-team@example.org>",
		NULL
	};

	for (const char *const *s = system; *s != NULL; s++) {
		const char *one[] = { *s, NULL };

		expect(&p, one, OUTGOING_SYSTEM_ADDRESS, "RFC 5230 4.6");
	}
	/* RFC 5230 4.6: people read postmaster. */
	expect(&p, F("Return-Path: <postmaster@example.org>"), OUTGOING_SEND, NULL);
	g_assert_false(outgoing_address_is_system("requester@example.org"));
	g_assert_true(outgoing_address_is_system("list-request"));
}

static void test_vacation_no_reply(void)
{
	outgoing_vacation p = policy_default();
	const char *const replace[] = { "*@alerts.example", NULL };
	const char *const extend[] = { "default", "*@Alerts.Example", NULL };
	char **patterns;

	expect(&p, F("Return-Path: <noreply@shop.example>"), OUTGOING_NO_REPLY_ADDRESS, "noreply@*");
	expect(&p, F("Return-Path: <No-Reply+123@shop.example>"), OUTGOING_NO_REPLY_ADDRESS, NULL);
	/* The Return-Path a bounce handler, the From says it all. */
	expect(&p, F("Return-Path: <b-7f3a@mailer.shop.example>",
		     "From: Shop <donotreply@shop.example>"),
	       OUTGOING_NO_REPLY_ADDRESS, "From donotreply@shop.example");
	expect(&p, F("Reply-To: notifications@github.example"), OUTGOING_NO_REPLY_ADDRESS,
	       "Reply-To");
	/* Whole local parts only: a person called Noreen is answered. */
	expect(&p, F("Return-Path: <noreen@example.org>"), OUTGOING_SEND, NULL);
	expect(&p, F("Return-Path: <team-bounces+dana=example.test@lists.example.org>"),
	       OUTGOING_NO_REPLY_ADDRESS, NULL);

	/* Replaced: noreply@ is answered again, alerts are not. */
	patterns = outgoing_no_reply_patterns(replace);
	p.no_reply_patterns = (const char *const *)patterns;
	expect(&p, F("Return-Path: <noreply@shop.example>"), OUTGOING_SEND, NULL);
	expect(&p, F("Return-Path: <disk@alerts.example>"), OUTGOING_NO_REPLY_ADDRESS, NULL);
	g_strfreev(patterns);
	/* Extended with "default": both. */
	patterns = outgoing_no_reply_patterns(extend);
	p.no_reply_patterns = (const char *const *)patterns;
	g_assert_cmpuint(g_strv_length(patterns), ==,
			 g_strv_length((char **)outgoing_no_reply_defaults) + 1);
	expect(&p, F("Return-Path: <noreply@shop.example>"), OUTGOING_NO_REPLY_ADDRESS, NULL);
	expect(&p, F("Return-Path: <disk@ALERTS.example>"), OUTGOING_NO_REPLY_ADDRESS, NULL);
	g_strfreev(patterns);
}

static void test_vacation_not_personal(void)
{
	outgoing_vacation p = policy_default();

	expect(&p, F("To: all-staff@example.test"), OUTGOING_NOT_PERSONAL, "RFC 5230 4.5");
	expect(&p, F("To: all-staff@example.test", "Bcc: dana@example.test"), OUTGOING_SEND, NULL);
	expect(&p, F("To: all-staff@example.test", "Resent-To: dana@example.test"), OUTGOING_SEND,
	       NULL);
	expect(&p, F("To: all-staff@example.test", "Resent-Cc: <dana@example.test>"), OUTGOING_SEND,
	       NULL);
	expect(&p, F("To: all-staff@example.test", "Resent-Bcc: dana@example.test"), OUTGOING_SEND,
	       NULL);
	/* Delivered-To is not a recipient field: anyone can write it. */
	expect(&p, F("To: all-staff@example.test", "Delivered-To: dana@example.test"),
	       OUTGOING_NOT_PERSONAL, NULL);
	/* A display name that reads like Dana's address is not her address. */
	expect(&p, F("To: \"dana@example.test\" <all-staff@example.test>"), OUTGOING_NOT_PERSONAL,
	       NULL);
	expect(&p, F("To: =?utf-8?q?dana=40example=2Etest?= <all-staff@example.test>"),
	       OUTGOING_NOT_PERSONAL, NULL);
	/* Groups are flattened (RFC 5322 3.4). */
	expect(&p, F("To: Board: eleanor@acme.example, dana@example.test;"), OUTGOING_SEND, NULL);
}

/* Pigeonhole's order, then vea's: the first check that fails names the
 * reason. */
static void test_vacation_order(void)
{
	outgoing_vacation p = policy_default();

	expect(&p, F("Return-Path: <dana@example.test>", "List-Id: <x.example>"),
	       OUTGOING_OWN_ADDRESS, NULL);
	expect(&p, F("List-Id: <x.example>", "Auto-Submitted: auto-generated", "Precedence: bulk"),
	       OUTGOING_MAILING_LIST, NULL);
	expect(&p, F("Auto-Submitted: auto-generated", "Precedence: bulk"), OUTGOING_AUTO_SUBMITTED,
	       NULL);
	expect(&p, F("Precedence: bulk", "X-Auto-Response-Suppress: All"), OUTGOING_PRECEDENCE,
	       NULL);
	expect(&p, F("Return-Path: <MAILER-DAEMON@mx.example>", "To: all@example.test"),
	       OUTGOING_SYSTEM_ADDRESS, NULL);
	expect(&p, F("Message-ID: <vea.vacation.1@example.test>", "Auto-Submitted: auto-replied"),
	       OUTGOING_OWN_MESSAGE, NULL);
}

/* Hostile mail: what reaches the verdict is one sender, one line. */
static void test_vacation_hostile(void)
{
	outgoing_vacation p = policy_default();
	outgoing_verdict v;
	GString *huge = g_string_new("To: ");
	GString *big = g_string_new("Auto-Submitted: ");
	const char *one[2] = { NULL, NULL };
	gint64 start;

	/* A display name that decodes to "Eve\r\nBcc: victim@example.net". */
	g_assert_cmpint(vacation(&p,
				 F("Return-Path: <eve@example.org>",
				   "From: =?UTF-8?B?RXZlDQpCY2M6IHZpY3RpbUBleGFtcGxlLm5ldA==?= "
				   "<eve@example.org>"),
				 &v),
			==, OUTGOING_SEND);
	g_assert_cmpstr(v.reply_to, ==, "eve@example.org");
	outgoing_verdict_clear(&v);
	/* An encoded word with CR LF in a value that becomes the reason. */
	expect(&p, F("Auto-Submitted: =?UTF-8?B?YXV0by1yZXBsaWVkDQpCY2M6IHhAZXhhbXBsZS5uZXQ=?="),
	       OUTGOING_AUTO_SUBMITTED, NULL);

	/* 5,000 addresses before Dana's: still found, quickly. */
	for (int i = 0; i < 5000; i++)
		g_string_append_printf(huge, "person%d@example.org, ", i);
	g_string_append(huge, DANA);
	one[0] = huge->str;
	start = g_get_monotonic_time();
	expect(&p, one, OUTGOING_SEND, NULL);
	g_assert_cmpint(g_get_monotonic_time() - start, <, 2 * G_USEC_PER_SEC);
	g_string_free(huge, TRUE);

	/* A 100 KB value: the reason stays short. */
	for (int i = 0; i < 10000; i++)
		g_string_append(big, "auto-gen. ");
	one[0] = big->str;
	g_assert_cmpint(vacation(&p, one, &v), ==, OUTGOING_AUTO_SUBMITTED);
	g_assert_cmpuint(strlen(v.reason), <, 400);
	outgoing_verdict_clear(&v);
	g_string_free(big, TRUE);
}

/* ---- the canonical sender ---- */

static void test_sender_canonical(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Bob@EXAMPLE.org", "Bob@example.org" },
		{ "SRS0=HHH=TT=example.org=bob@forwarder.example", BOB },
		{ "srs0+HHH=TT=Example.ORG=bob@forwarder.example", BOB },
		{ "SRS0-HHH=TT=example.org=bob@forwarder.example", BOB },
		{ "SRS1=HHH=fwd1.example==HHH=TT=example.org=bob@fwd2.example", BOB },
		/* The local part may hold '=' itself. */
		{ "SRS0=HHH=TT=example.org=a=b@fwd.example", "a=b@example.org" },
		{ "prvs=1234abcdef=bob@Example.Org", BOB },
		{ "PRVS=0123456789=bob@example.org", BOB },
		{ "prvs=bob=1234abcdef@example.org", BOB },
		{ "msprvs1=19727ABCDefg=bounces-42@Mail.example", "bounces-42@mail.example" },
		{ "btv1==0ab12cd34ef==bob@example.org", BOB },
		/* SRS around BATV. */
		{ "SRS0=HHH=TT=example.org=prvs=1234abcdef=bob@fwd.example", BOB },
		/* Not rewritings: kept. */
		{ "SRS0=broken@fwd.example", "SRS0=broken@fwd.example" },
		{ "prvs@example.org", "prvs@example.org" },
		{ "srsly@example.org", "srsly@example.org" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = outgoing_sender_canonical(cases[i].in);

		if (g_strcmp0(got, cases[i].out) != 0)
			g_error("%s: got %s, want %s", cases[i].in, got, cases[i].out);
	}
	g_assert_null(outgoing_sender_canonical(""));
	g_assert_null(outgoing_sender_canonical(NULL));
	g_assert_null(outgoing_sender_canonical("no-at-sign"));
	g_assert_null(outgoing_sender_canonical("@example.org"));
}

/* ---- redirect ---- */

static int cb_target_budget(void *context, const char *target, char **why_r)
{
	(void)target;
	if (GPOINTER_TO_INT(context) == 0)
		return 0;
	*why_r = g_strdup("20 redirects today");
	return 1;
}

static outgoing_check redirect(const outgoing_redirect *policy, const char *const *fields,
			       const char *target, char **reason_r)
{
	mime_message *msg = message_new(fields);
	outgoing_message m;
	outgoing_verdict v;
	outgoing_check check;

	outgoing_message_from_mime(&m, msg, NOW);
	check = outgoing_redirect_decide(policy, &m, target, &v);
	g_assert_null(strpbrk(v.reason, "\r\n"));
	if (reason_r != NULL)
		*reason_r = g_strdup(v.reason);
	outgoing_verdict_clear(&v);
	outgoing_message_clear(&m);
	mime_message_free(&msg);
	return check;
}

static void test_redirect(void)
{
	const char *const allowed[] = { "*@example.test", "va@va.example", NULL };
	outgoing_redirect p = { .own_addresses = own, .max_per_message = 4 };
	GString *hops = g_string_new(NULL);
	g_autofree char *reason = NULL;
	g_autofree char *many = NULL;
	const char *one[2] = { NULL, NULL };

	g_assert_cmpint(redirect(&p, NULL, "marco@example.test", NULL), ==, OUTGOING_SEND);
	/* RFC 5228 4.2: null-sender mail is not redirected; the keep stays. */
	g_assert_cmpint(redirect(&p, F("Return-Path: <>"), "marco@example.test", &reason), ==,
			OUTGOING_NULL_SENDER);
	g_assert_nonnull(strstr(reason, "kept"));
	g_assert_cmpint(redirect(&p, NULL, "marco@example.test>\r\nBcc: x@example.net", NULL), ==,
			OUTGOING_BAD_RECIPIENT);
	g_assert_cmpint(redirect(&p, NULL, "", NULL), ==, OUTGOING_BAD_RECIPIENT);
	g_assert_cmpint(redirect(&p, NULL, "Dana@Example.Test", NULL), ==, OUTGOING_LOOP);
	p.allowed = allowed;
	g_assert_cmpint(redirect(&p, NULL, "stranger@elsewhere.example", NULL), ==,
			OUTGOING_NOT_ALLOWED);
	g_assert_cmpint(redirect(&p, NULL, "VA@va.example", NULL), ==, OUTGOING_SEND);
	/* Our loop header naming Dana: this message came round. */
	g_assert_cmpint(redirect(&p, F(OUTGOING_REDIRECT_HEADER ": <dana@example.test>"),
				 "marco@example.test", NULL),
			==, OUTGOING_LOOP);
	g_assert_cmpint(redirect(&p, F(OUTGOING_REDIRECT_HEADER ": D.Whitfield@example.test"),
				 "marco@example.test", NULL),
			==, OUTGOING_LOOP);
	/* Another executive redirected it to Dana: Dana may pass it on. */
	g_assert_cmpint(redirect(&p, F(OUTGOING_REDIRECT_HEADER ": marco@example.test"),
				 "va@va.example", NULL),
			==, OUTGOING_SEND);
	/* RFC 5321 6.3: a hop count. */
	for (int i = 0; i <= OUTGOING_MAX_HOPS; i++)
		g_string_append_printf(hops, "%sReceived: from h%d by h%d; Mon, 1 Dec 2025 10:00:00 +0000",
				       i > 0 ? "\r\n" : "", i, i + 1);
	many = g_string_free(hops, FALSE);
	one[0] = many;
	g_assert_cmpint(redirect(&p, one, "marco@example.test", NULL), ==, OUTGOING_LOOP);
	/* RFC 5228 10: a limit per message. */
	p.done_for_message = 4;
	g_assert_cmpint(redirect(&p, NULL, "marco@example.test", NULL), ==, OUTGOING_TOO_MANY);
	p.done_for_message = 3;
	p.over_budget = cb_target_budget;
	p.context = GINT_TO_POINTER(1);
	g_free(reason);
	g_assert_cmpint(redirect(&p, NULL, "marco@example.test", &reason), ==, OUTGOING_RATE_LIMIT);
	g_assert_cmpstr(reason, ==, "20 redirects today");
}

/* ---- notify ---- */

static outgoing_check notify(const outgoing_notify *policy, const char *const *fields,
			     const char *const *to, outgoing_verdict *v)
{
	mime_message *msg = message_new(fields);
	outgoing_message m;
	outgoing_check check;

	outgoing_message_from_mime(&m, msg, NOW);
	check = outgoing_notify_decide(policy, &m, to, v);
	outgoing_message_clear(&m);
	mime_message_free(&msg);
	return check;
}

static void test_notify(void)
{
	const char *const allowed[] = { "va@va.example", DANA, NULL };
	outgoing_notify p = { .allowed = allowed };
	outgoing_verdict v;
	char *nine[10];

	g_assert_cmpint(notify(&p, NULL, F("va@va.example"), &v), ==, OUTGOING_SEND);
	g_assert_false(v.null_sender);
	g_assert_cmpuint(g_strv_length(v.recipients), ==, 1);
	outgoing_verdict_clear(&v);
	/* RFC 5436 2.7: not twice to one address. */
	g_assert_cmpint(notify(&p, NULL, F("va@va.example", "VA@va.example", DANA), &v), ==,
			OUTGOING_SEND);
	g_assert_cmpuint(g_strv_length(v.recipients), ==, 2);
	outgoing_verdict_clear(&v);
	/* RFC 5436 2.7: null-sender mail MUST be able to trigger; the
	 * notification then goes with MAIL FROM:<>. */
	g_assert_cmpint(notify(&p, F("Return-Path: <>"), F("va@va.example"), &v), ==,
			OUTGOING_SEND);
	g_assert_true(v.null_sender);
	outgoing_verdict_clear(&v);
	g_assert_cmpint(notify(&p, F("Auto-Submitted: auto-notified; owner-email=\"x@y.example\""),
			       F("va@va.example"), &v),
			==, OUTGOING_AUTO_SUBMITTED);
	g_assert_nonnull(strstr(v.reason, "RFC 5436 2.7"));
	outgoing_verdict_clear(&v);
	/* RFC 5435 8: a recipient the configuration does not allow. */
	g_assert_cmpint(notify(&p, NULL, F("eve@example.net"), &v), ==, OUTGOING_NOT_ALLOWED);
	outgoing_verdict_clear(&v);
	g_assert_cmpint(notify(&p, NULL, F("va@va.example\r\nBcc: eve@example.net"), &v), ==,
			OUTGOING_BAD_RECIPIENT);
	outgoing_verdict_clear(&v);
	g_assert_cmpint(notify(&p, NULL, F(NULL), &v), ==, OUTGOING_BAD_RECIPIENT);
	outgoing_verdict_clear(&v);
	/* More than eight, all allowed. */
	p.allowed = F("*@va.example");
	for (int i = 0; i < 9; i++)
		nine[i] = g_strdup_printf("a%d@va.example", i);
	nine[9] = NULL;
	g_assert_cmpint(notify(&p, NULL, (const char *const *)nine, &v), ==, OUTGOING_TOO_MANY);
	outgoing_verdict_clear(&v);
	for (int i = 0; i < 9; i++)
		g_free(nine[i]);
	p.over_budget = cb_target_budget;
	p.context = GINT_TO_POINTER(1);
	g_assert_cmpint(notify(&p, NULL, F("a@va.example"), &v), ==, OUTGOING_RATE_LIMIT);
	outgoing_verdict_clear(&v);
}

static void test_notify_headers(void)
{
	g_autofree char *plain = outgoing_notify_auto_submitted(DANA);
	g_autofree char *bad = outgoing_notify_auto_submitted("d\"ana@example.test");

	/* RFC 5436 2.7.1 */
	g_assert_cmpstr(plain, ==, "auto-notified; owner-email=\"dana@example.test\"");
	g_assert_cmpstr(bad, ==, "auto-notified");
	g_assert_true(outgoing_notify_header_allowed("X-Project"));
	g_assert_true(outgoing_notify_header_allowed("Reply-To"));
	for (const char *const *n = F("Auto-Submitted", "received", "Message-ID", "Date", "From",
				      "Sender", "Bcc", "In-Reply-To", "References", "Resent-To",
				      "resent-message-id", "X-Vea-Auto", "Bad Name", "Bad:Name", "");
	     *n != NULL; n++) {
		if (outgoing_notify_header_allowed(*n))
			g_error("'%s' must not be copied into a notification", *n);
	}
}

static void test_check_names(void)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (int c = 0; c < OUTGOING_CHECK_COUNT; c++) {
		const char *name = outgoing_check_name(c);

		g_assert_nonnull(name);
		g_assert_cmpstr(name, !=, "?");
		g_assert_false(g_hash_table_contains(seen, name));
		g_hash_table_add(seen, (gpointer)name);
	}
	g_assert_cmpstr(outgoing_check_name(OUTGOING_CHECK_COUNT), ==, "?");
	g_hash_table_destroy(seen);
}

/* The composer the agent and the conformance runner share. */
static void test_compose_mailto(void)
{
	outgoing_mailto uri;
	const char **all;

	outgoing_mailto_parse("mailto:timo@example.com%2cstephan@dovecot.example.net"
			      "?cc=postmaster@frop.example.org&subject=Frop%20received"
			      "&bcc=hidden@example.org", &uri);
	g_assert_cmpuint(uri.to->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(uri.to, 1), ==, "stephan@dovecot.example.net");
	g_assert_cmpuint(uri.cc->len, ==, 1);
	g_assert_cmpstr(uri.subject, ==, "Frop received");
	all = outgoing_mailto_recipients(&uri);
	g_assert_cmpstr(all[2], ==, "postmaster@frop.example.org");
	g_assert_null(all[3]); /* bcc= is ignored (RFC 5436 2.7) */
	g_free(all);
	outgoing_mailto_clear(&uri);

	outgoing_mailto_parse("mailto:?to=%3D%3Futf-8%3Fq%3FG%3DC3%3DBCnther%3F%3D%20"
			      "%3Cg.m%40example.com%3E", &uri);
	g_assert_cmpuint(uri.to->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(uri.to, 0), ==, "g.m@example.com");
	g_assert_cmpstr(g_ptr_array_index(uri.to_names, 0), ==, "G\u00fcnther");
	outgoing_mailto_clear(&uri);
}

static void test_compose_vacation(void)
{
	g_autoptr(GString) subject = g_string_new("Subject: ");
	g_autofree char *text = NULL, *error = NULL, *id = NULL, *copy = NULL;
	mime_message *msg, *reply;
	outgoing_vacation_reply params = { .reason = "Away.", .own_address = "dana@example.test",
					   .from = "=?utf-8?q?D=C3=A1na?= <dana@example.test>" };
	GBytes *bytes;
	gsize size;
	const char *data, *s;

	for (int i = 0; i < 60; i++)
		g_string_append(subject, "word ");
	text = g_strdup_printf("From: \"Bob B\" <bob@example.org>\r\nSender: Bob Sender "
			       "<bs@example.org>\r\nTo: dana@example.test\r\n%s\r\n"
			       "Message-ID: <m1@example.org>\r\nReferences: <r0@example.org>\r\n\r\nHi\r\n",
			       subject->str);
	msg = mime_message_parse(text, strlen(text), &error);
	g_assert_nonnull(msg);
	bytes = outgoing_vacation_compose(&params, msg, "bs@example.org", &id, &error);
	g_assert_nonnull(bytes);
	g_assert_true(g_str_has_prefix(id, "vea.vacation."));
	data = g_bytes_get_data(bytes, &size);
	data = copy = g_strndup(data, size); /* GBytes is not NUL-terminated */
	reply = mime_message_parse(data, size, &error);
	g_assert_nonnull(reply);
	s = mime_message_get_subject(reply);
	g_assert_true(g_str_has_prefix(s, "Auto: word word"));
	g_assert_cmpint(g_utf8_strlen(s, -1), ==, OUTGOING_VACATION_SUBJECT_MAX);
	g_assert_true(g_str_has_suffix(s, "\u2026"));
	/* The name is the one the sender gave in Sender; :from's encoded
	 * word is decoded, not quoted. */
	g_assert_nonnull(strstr(data, "Bob Sender <bs@example.org>"));
	g_assert_null(strstr(data, "\"=?utf-8"));
	g_assert_nonnull(strstr(data, "In-Reply-To: <m1@example.org>"));
	g_assert_nonnull(strstr(data, "<r0@example.org> <m1@example.org>"));
	g_assert_nonnull(strstr(data, "Auto-Submitted: auto-replied"));
	mime_message_free(&reply);
	mime_message_free(&msg);
	g_bytes_unref(bytes);
}

static void test_compose_notify(void)
{
	const char *text = "From: a@example.org\r\nSubject: Hello\r\n\r\nSecret text\r\n";
	g_autofree char *error = NULL, *id = NULL, *copy = NULL;
	mime_message *msg = mime_message_parse(text, strlen(text), &error);
	outgoing_mailto uri;
	/* x@ was refused by the decision: it is not written. */
	const char *const recipients[] = { "alex@assistant.example", "b@example.org", NULL };
	outgoing_notification n = { .uri = &uri, .recipients = recipients,
				    .from_address = "alex@assistant.example", .importance = "1",
				    .where = "work/INBOX" };
	GBytes *bytes;
	const char *data;
	gsize size;

	outgoing_mailto_parse("mailto:alex@assistant.example,x@example.org?cc=alex@assistant.example,"
			      "b@example.org", &uri);
	bytes = outgoing_notify_compose(&n, msg, &id, &error);
	g_assert_nonnull(bytes);
	data = g_bytes_get_data(bytes, &size);
	data = copy = g_strndup(data, size);
	g_assert_nonnull(strstr(data, "To: alex@assistant.example\r\n"));
	g_assert_nonnull(strstr(data, "Cc: b@example.org\r\n"));
	g_assert_null(strstr(data, "x@example.org"));
	g_assert_nonnull(strstr(data, "Subject: Notification: Hello"));
	g_assert_nonnull(strstr(data, "Auto-Submitted: auto-notified"));
	g_assert_nonnull(strstr(data, "Importance: High"));
	g_assert_nonnull(strstr(data, "In: work/INBOX"));
	g_assert_null(strstr(data, "Secret text"));
	g_bytes_unref(bytes);
	outgoing_mailto_clear(&uri);
	mime_message_free(&msg);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	mime_init();
	g_test_add_func("/outgoing/vacation/personal", test_vacation_personal);
	g_test_add_func("/outgoing/vacation/no-recipient", test_vacation_no_recipient);
	g_test_add_func("/outgoing/vacation/null-sender", test_vacation_null_sender);
	g_test_add_func("/outgoing/vacation/own-address", test_vacation_own_address);
	g_test_add_func("/outgoing/vacation/own-message", test_vacation_own_message);
	g_test_add_func("/outgoing/vacation/too-old", test_vacation_too_old);
	g_test_add_func("/outgoing/vacation/tracking", test_vacation_tracking);
	g_test_add_func("/outgoing/vacation/rate-limit", test_vacation_rate_limit);
	g_test_add_func("/outgoing/vacation/lists", test_vacation_lists);
	g_test_add_func("/outgoing/vacation/auto-submitted", test_vacation_auto_submitted);
	g_test_add_func("/outgoing/vacation/precedence", test_vacation_precedence);
	g_test_add_func("/outgoing/vacation/suppress", test_vacation_suppress);
	g_test_add_func("/outgoing/vacation/system", test_vacation_system);
	g_test_add_func("/outgoing/vacation/no-reply", test_vacation_no_reply);
	g_test_add_func("/outgoing/vacation/not-personal", test_vacation_not_personal);
	g_test_add_func("/outgoing/vacation/order", test_vacation_order);
	g_test_add_func("/outgoing/vacation/hostile", test_vacation_hostile);
	g_test_add_func("/outgoing/sender-canonical", test_sender_canonical);
	g_test_add_func("/outgoing/redirect", test_redirect);
	g_test_add_func("/outgoing/notify", test_notify);
	g_test_add_func("/outgoing/notify-headers", test_notify_headers);
	g_test_add_func("/outgoing/check-names", test_check_names);
	g_test_add_func("/outgoing/compose/mailto", test_compose_mailto);
	g_test_add_func("/outgoing/compose/vacation", test_compose_vacation);
	g_test_add_func("/outgoing/compose/notify", test_compose_notify);
	return g_test_run();
}
