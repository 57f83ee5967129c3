/* Tests of the Sieve engine (src/sieve): compile errors with their exact
 * location, every test and match type, implicit keep, flags, bill, limits.
 *
 * Expected results marked "oracle" were checked against Pigeonhole 0.5.19
 * (sieve-test); deliberate differences are noted where they occur. */

#include "sieve/sieve.h"
#include "sieve/match.h"

#include <glib/gstdio.h>

#include <string.h>
#include <time.h>

static const char test_message[] =
	"From: Alice Example <alice@example.com>\r\n"
	"To: bob@example.org, \"Carol\" <carol@sub.example.net>\r\n"
	"Cc: team@lists.example.com\r\n"
	"Subject: Invoice 2024-17 for ACME\r\n"
	"X-Spam-Score: 7\r\n"
	"X-Tag: one\r\n"
	"X-Tag: two\r\n"
	"X-Star: a*b?c\r\n"
	"Message-ID: <1@example.com>\r\n"
	"\r\n"
	"Hello, body text.\r\n";

static mime_message *test_parse_message(const char *text)
{
	char *error = NULL;
	mime_message *msg = mime_message_parse(text, strlen(text), &error);

	g_assert_null(error);
	g_assert_nonnull(msg);
	return msg;
}

static char *test_format_errors(GPtrArray *errors)
{
	GString *str = g_string_new(NULL);
	guint i;

	for (i = 0; errors != NULL && i < errors->len; i++) {
		g_autofree char *line =
			sieve_error_format(g_ptr_array_index(errors, i));

		if (i > 0)
			g_string_append_c(str, '\n');
		g_string_append(str, line);
	}
	return g_string_free(str, FALSE);
}

static sieve_script *test_compile(const char *text)
{
	sieve_script *script = NULL;
	GPtrArray *errors = NULL;
	int ret = sieve_script_compile_string("test.sieve", text, strlen(text),
					      &script, &errors);

	if (ret < 0) {
		g_autofree char *msg = test_format_errors(errors);

		g_test_message("unexpected compile errors:\n%s", msg);
	}
	g_assert_cmpint(ret, ==, 0);
	g_assert_nonnull(script);
	if (errors != NULL)
		g_assert_cmpuint(errors->len, ==, 0);
	if (errors != NULL)
		g_ptr_array_unref(errors);
	return script;
}

static void test_append_flags(GString *str, char **flags)
{
	char **f;

	if (flags == NULL)
		return;
	g_string_append_c(str, '[');
	for (f = flags; *f != NULL; f++) {
		if (f != flags)
			g_string_append_c(str, ' ');
		g_string_append(str, *f);
	}
	g_string_append_c(str, ']');
}

/* One line per action list: "fileinto:Lists[\Seen] ; keep*" where * marks
 * the implicit keep. */
static char *test_format_actions(GPtrArray *actions)
{
	GString *str = g_string_new(NULL);
	guint i;

	for (i = 0; i < actions->len; i++) {
		const sieve_action *a = g_ptr_array_index(actions, i);

		if (i > 0)
			g_string_append(str, " ; ");
		switch (a->type) {
		case SIEVE_ACTION_KEEP:
			g_string_append(str, "keep");
			if (a->implicit)
				g_string_append_c(str, '*');
			break;
		case SIEVE_ACTION_FILEINTO:
			g_string_append_printf(str, "fileinto:%s", a->mailbox);
			break;
		case SIEVE_ACTION_DISCARD:
			g_string_append(str, "discard");
			break;
		case SIEVE_ACTION_REDIRECT:
			g_string_append_printf(str, "redirect:%s", a->address);
			break;
		case SIEVE_ACTION_BILL:
			g_string_append_printf(str, "bill:%s:%d:%s",
					       a->account != NULL ? a->account : "-",
					       a->minutes, a->description);
			break;
		case SIEVE_ACTION_VACATION:
			g_string_append_printf(
				str, "vacation:%s:%s:%" G_GUINT64_FORMAT ":%s",
				a->address != NULL ? a->address : "-",
				a->subject != NULL ? a->subject : "-",
				a->seconds, a->reason);
			if (a->from != NULL)
				g_string_append_printf(str, ":from=%s", a->from);
			if (a->mime)
				g_string_append(str, ":mime");
			break;
		case SIEVE_ACTION_DRAFT:
			g_string_append_printf(str, "draft:%s:%s", a->draft_template,
					       a->reply_all ? "all" : "sender");
			if (a->subject != NULL)
				g_string_append_printf(str, ":subject=%s", a->subject);
			for (char **v = a->draft_vars; v != NULL && *v != NULL; v += 2)
				g_string_append_printf(str, ":%s=%s", v[0], v[1]);
			break;
		case SIEVE_ACTION_NOTIFY:
			g_string_append_printf(str, "notify:%s", a->method);
			if (a->from != NULL)
				g_string_append_printf(str, ":from=%s", a->from);
			if (a->importance != NULL)
				g_string_append_printf(str, ":importance=%s",
						       a->importance);
			if (a->reason != NULL)
				g_string_append_printf(str, ":message=%s",
						       a->reason);
			break;
		case SIEVE_ACTION_SCHEDULE:
			g_string_append_printf(str, "schedule:%s:%d", a->partstat, a->schedule_mode);
			if (a->note != NULL)
				g_string_append_printf(str, ":comment=%s", a->note);
			break;
		case SIEVE_ACTION_REMIND:
			g_string_append_printf(str, "remind:%s:%s:%s", a->when_text,
					       a->if_unanswered ? "unanswered" : "always",
					       a->to_executive ? "executive" : "assistant");
			if (a->flag)
				g_string_append(str, ":flag");
			if (a->note != NULL)
				g_string_append_printf(str, ":note=%s", a->note);
			break;
		case SIEVE_ACTION_SNOOZE:
			g_string_append_printf(str, "snooze:%s", a->when_text);
			if (a->tzid != NULL)
				g_string_append_printf(str, ":tz=%s", a->tzid);
			if (a->wake_mailbox != NULL)
				g_string_append_printf(str, ":wake=%s", a->wake_mailbox);
			if (a->addflags != NULL) {
				g_string_append(str, ":add");
				test_append_flags(str, a->addflags);
			}
			if (a->removeflags != NULL) {
				g_string_append(str, ":remove");
				test_append_flags(str, a->removeflags);
			}
			if (a->wake_on_reply)
				g_string_append(str, ":reply");
			break;
		}
		if (a->copy)
			g_string_append(str, "+copy");
		if (a->create)
			g_string_append(str, "+create");
		test_append_flags(str, a->flags);
	}
	return g_string_free(str, FALSE);
}

static char *test_run(const char *script_text, const char *message,
		      const sieve_envelope *envelope)
{
	sieve_script *script = test_compile(script_text);
	mime_message *msg = test_parse_message(message);
	GPtrArray *actions = NULL;
	sieve_error *error = NULL;
	char *result;

	if (sieve_script_execute(script, msg, envelope, &actions, &error) < 0) {
		result = g_strdup_printf("ERROR %s", error->message);
		sieve_error_free(error);
	} else {
		g_assert_null(error);
		result = test_format_actions(actions);
		g_ptr_array_unref(actions);
	}
	mime_message_free(&msg);
	sieve_script_free(&script);
	return result;
}

/* A script and what is expected of it: actions, or compile errors. */
typedef struct {
	const char *script;
	const char *expected;
} test_case;

/* Execution: script, expected actions. */
static const test_case run_cases[] = {
	/* Implicit keep (RFC 5228 section 2.10.2). */
	{ "", "keep*" },
	{ "keep;", "keep" },
	{ "discard;", "discard" },
	/* oracle: fileinto + discard lists both, no implicit keep. */
	{ "require \"fileinto\"; fileinto \"A\"; discard;",
	  "fileinto:A ; discard" },
	{ "require \"fileinto\"; fileinto \"A\";", "fileinto:A" },
	{ "require \"fileinto\"; fileinto \"A\"; fileinto \"A\";", "fileinto:A" },
	{ "require \"fileinto\"; fileinto \"A\"; fileinto \"B\"; keep; keep;",
	  "fileinto:A ; fileinto:B ; keep" },
	{ "redirect \"x@example.com\";", "redirect:x@example.com" },
	{ "redirect \"x@example.com\"; redirect \"X@example.com\";",
	  "redirect:x@example.com" },
	{ "require \"copy\"; redirect :copy \"x@example.com\";",
	  "redirect:x@example.com+copy ; keep*" },
	{ "require [\"copy\", \"fileinto\"]; fileinto :copy \"A\";",
	  "fileinto:A+copy ; keep*" },
	/* Deliberate difference: Pigeonhole keeps the implicit keep here
	 * (the second fileinto is a duplicate of a :copy one); vea follows
	 * RFC 3894 section 3: a fileinto without :copy cancels it. */
	{ "require [\"copy\", \"fileinto\"]; fileinto :copy \"A\"; "
	  "fileinto \"A\";", "fileinto:A" },
	{ "require [\"fileinto\", \"mailbox\"]; fileinto :create \"A/B\";",
	  "fileinto:A/B+create" },
	/* bill does not cancel the implicit keep. */
	{ "require \"vnd.vea\"; bill :minutes 15 \"triage\";",
	  "bill:-:15:triage ; keep*" },
	{ "require \"vnd.vea\"; bill :account \"acme\" :minutes 0 \"x\"; "
	  "bill :minutes 1K \"y\"; discard;",
	  "bill:acme:0:x ; bill:-:1024:y ; discard" },
	/* stop */
	{ "require \"fileinto\"; fileinto \"A\"; stop; fileinto \"B\";",
	  "fileinto:A" },
	{ "stop; discard;", "keep*" },
	/* if / elsif / else, nested */
	{ "require \"fileinto\";\n"
	  "if false { fileinto \"1\"; }\n"
	  "elsif true { fileinto \"2\"; }\n"
	  "elsif true { fileinto \"3\"; }\n"
	  "else { fileinto \"4\"; }",
	  "fileinto:2" },
	{ "require \"fileinto\";\n"
	  "if false { fileinto \"1\"; } elsif false { fileinto \"2\"; }\n"
	  "else { if true { if false { keep; } else { fileinto \"in\"; "
	  "stop; } } fileinto \"never\"; }\n"
	  "fileinto \"never2\";",
	  "fileinto:in" },
	{ "require \"fileinto\"; if true { fileinto \"a\"; } "
	  "if true { fileinto \"b\"; } else { fileinto \"c\"; }",
	  "fileinto:a ; fileinto:b" },
	/* header, match types, comparators */
	{ "if header :is \"subject\" \"invoice 2024-17 for acme\" { discard; }",
	  "discard" },
	{ "if header :is :comparator \"i;octet\" \"subject\" "
	  "\"invoice 2024-17 for acme\" { discard; }",
	  "keep*" },
	{ "if header \"Subject\" \"Invoice 2024-17 for ACME\" { discard; }",
	  "discard" },
	{ "if header :contains \"subject\" \"2024\" { discard; }", "discard" },
	{ "if header :contains \"subject\" \"acme\" { discard; }", "discard" },
	{ "if header :contains :comparator \"i;octet\" \"subject\" \"acme\" "
	  "{ discard; }", "keep*" },
	{ "if header :contains \"subject\" \"\" { discard; }", "discard" },
	{ "if header :contains \"x-missing\" \"\" { discard; }", "keep*" },
	{ "if header :matches \"subject\" \"invoice *-?? for *\" { discard; }",
	  "discard" },
	{ "if header :matches \"subject\" \"invoice *-? for *\" { discard; }",
	  "keep*" },
	{ "if header :matches \"subject\" \"*\" { discard; }", "discard" },
	{ "if header :matches \"x-star\" \"a\\\\*b\\\\?c\" { discard; }",
	  "discard" },
	{ "if header :matches \"x-star\" \"a\\\\*\" { discard; }", "keep*" },
	{ "if header :matches \"x-star\" \"a*\\\\?c\" { discard; }", "discard" },
	{ "if header :is \"x-tag\" \"two\" { discard; }", "discard" },
	{ "if header :is [\"x-none\", \"x-tag\"] [\"zero\", \"one\"] "
	  "{ discard; }", "discard" },
	{ "if header :is \"x-tag\" \"three\" { discard; }", "keep*" },
	{ "require \"comparator-i;ascii-numeric\";"
	  "if header :is :comparator \"i;ascii-numeric\" \"x-spam-score\" "
	  "\"007\" { discard; }", "discard" },
	/* relational (RFC 5231) */
	{ "require [\"relational\", \"comparator-i;ascii-numeric\"];"
	  "if header :value \"ge\" :comparator \"i;ascii-numeric\" "
	  "\"x-spam-score\" \"5\" { discard; }", "discard" },
	{ "require [\"relational\", \"comparator-i;ascii-numeric\"];"
	  "if header :value \"gt\" :comparator \"i;ascii-numeric\" "
	  "\"x-spam-score\" \"10\" { discard; }", "keep*" },
	{ "require [\"relational\", \"comparator-i;ascii-numeric\"];"
	  "if header :count \"eq\" :comparator \"i;ascii-numeric\" "
	  "\"x-tag\" \"2\" { discard; }", "discard" },
	{ "require [\"relational\", \"comparator-i;ascii-numeric\"];"
	  "if address :count \"eq\" :comparator \"i;ascii-numeric\" "
	  "[\"to\", \"cc\"] \"3\" { discard; }", "discard" },
	{ "require \"relational\";"
	  "if header :value \"lt\" \"subject\" \"J\" { discard; }", "discard" },
	/* address and address parts */
	{ "if address \"from\" \"alice@example.com\" { discard; }", "discard" },
	{ "if address :all :is \"from\" \"ALICE@EXAMPLE.COM\" { discard; }",
	  "discard" },
	{ "if address :localpart \"to\" \"carol\" { discard; }", "discard" },
	{ "if address :domain :contains \"to\" \"sub.\" { discard; }",
	  "discard" },
	{ "if address :domain \"from\" \"example.org\" { discard; }", "keep*" },
	{ "if address :matches :domain [\"to\", \"cc\"] \"*.example.com\" "
	  "{ discard; }", "discard" },
	{ "if address :is \"from\" \"Alice Example\" { discard; }", "keep*" },
	/* exists, not, allof, anyof, true, false */
	{ "if exists \"x-spam-score\" { discard; }", "discard" },
	{ "if exists [\"x-spam-score\", \"x-none\"] { discard; }", "keep*" },
	{ "if not exists \"x-none\" { discard; }", "discard" },
	{ "if allof (true, exists \"subject\", not false) { discard; }",
	  "discard" },
	{ "if allof (true, false) { discard; }", "keep*" },
	{ "if anyof (false, false, true) { discard; }", "discard" },
	{ "if anyof (false, not true) { discard; }", "keep*" },
	{ "if not not true { discard; }", "discard" },
	/* size */
	{ "if size :over 100 { discard; }", "discard" },
	{ "if size :under 1K { discard; }", "discard" },
	{ "if size :over 1M { discard; }", "keep*" },
	/* envelope: no envelope known -> no values */
	{ "require \"envelope\"; if envelope \"from\" \"a@b.c\" { discard; }",
	  "keep*" },
	/* imap4flags (RFC 5232) */
	{ "require \"imap4flags\"; addflag \"\\\\seen\"; keep;", "keep[\\Seen]" },
	/* oracle: "\seen FOO" (invalid and duplicate flags dropped). */
	{ "require \"imap4flags\"; addflag \"\\\\seen FOO foo \\\\Bogus a(b\";"
	  " keep;", "keep[\\Seen FOO]" },
	{ "require \"imap4flags\"; addflag [\"a b\", \"c\"]; removeflag \"B\";",
	  "keep*[a c]" },
	{ "require \"imap4flags\"; addflag \"a\"; setflag \"\\\\Flagged\";",
	  "keep*[\\Flagged]" },
	{ "require [\"imap4flags\", \"fileinto\"]; setflag \"x\";"
	  "fileinto \"A\"; fileinto :flags \"\\\\Answered y\" \"B\";"
	  "keep :flags \"\";",
	  "fileinto:A[x] ; fileinto:B[\\Answered y] ; keep" },
	{ "require [\"imap4flags\", \"fileinto\"];"
	  "fileinto :flags \"a\" \"A\"; fileinto :flags \"b a\" \"A\";",
	  "fileinto:A[a b]" },
	{ "require \"imap4flags\"; addflag \"$Work \\\\Seen\";"
	  "if hasflag :contains \"work\" { removeflag \"\\\\seen\"; }",
	  "keep*[$Work]" },
	/* text: multi-line strings, dot-stuffing */
	{ "require \"vnd.vea\";\nbill :minutes 5 text:\nline one\n..dot\n.\n;",
	  "bill:-:5:line one\n.dot\n ; keep*" },
	{ "require \"vnd.vea\";\nbill :minutes 5 text: # comment\r\nx\r\n.\r\n;",
	  "bill:-:5:x\r\n ; keep*" },
	/* quoted strings: escapes */
	{ "require \"fileinto\"; fileinto \"a\\\"b\\\\c\\d\";",
	  "fileinto:a\"b\\cd" },
	{ "require \"fileinto\"; fileinto \"two\nlines\";",
	  "fileinto:two\nlines" },
	/* comments and case-insensitive identifiers (oracle: KEEP works) */
	{ "# comment\n/* block\n comment */ KEEP /* x */ ; # end", "keep" },
	{ "if HEADER :CONTAINS \"subject\" \"acme\" { DISCARD; }", "discard" },
};

/* Every case run over message must give exactly the actions expected. */
static void test_run_cases(const test_case *cases, guint n, const char *message)
{
	for (guint i = 0; i < n; i++) {
		g_autofree char *got = test_run(cases[i].script, message, NULL);

		if (strcmp(got, cases[i].expected) != 0)
			g_test_message("case %u: script:\n%s\nexpected: %s\ngot:      %s", i,
				       cases[i].script, cases[i].expected, got);
		g_assert_cmpstr(got, ==, cases[i].expected);
	}
}

static void test_sieve_run_cases(void)
{
	test_run_cases(run_cases, G_N_ELEMENTS(run_cases), test_message);
}

/* Compile errors: script, every error formatted. */
static const test_case error_cases[] = {
	{ "filein \"x\";", "test.sieve:1:1: unknown command 'filein'" },
	{ "keep;\n  fileinto \"x\";",
	  "test.sieve:2:3: 'fileinto' used without require \"fileinto\"" },
	{ "require \"bogus\";",
	  "test.sieve:1:9: unknown capability 'bogus' in require" },
	{ "require \"FILEINTO\";",
	  "test.sieve:1:9: unknown capability 'FILEINTO' in require" },
	{ "keep\ndiscard;",
	  "test.sieve:1:5: missing ';' after command 'keep'" },
	{ "keep \"x\"\n", "test.sieve:1:9: missing ';' after command 'keep'" },
	{ "keep", "test.sieve:1:5: missing ';' after command 'keep'" },
	{ "require \"fileinto\";\nfileinto \"abc;\n",
	  "test.sieve:2:10: unterminated string" },
	{ "keep; /* never closed", "test.sieve:1:7: unterminated comment" },
	{ "require \"vnd.vea\";\nbill :minutes 1 text:\nabc\n",
	  "test.sieve:2:17: unterminated multi-line string (missing '.' line)" },
	{ "require \"vnd.vea\";\nbill :minutes 1 text: x\nabc\n.\n;",
	  "test.sieve:2:23: expected end of line after 'text:'" },
	{ "keep :copy;", "test.sieve:1:6: unknown tag ':copy' for 'keep'" },
	{ "require \"fileinto\"; fileinto :copy \"x\";",
	  "test.sieve:1:30: ':copy' used without require \"copy\"" },
	{ "require \"fileinto\"; fileinto :flags \"a\" \"x\";",
	  "test.sieve:1:30: ':flags' used without require \"imap4flags\"" },
	{ "if header :count \"eq\" \"x\" \"1\" { keep; }",
	  "test.sieve:1:11: ':count' used without require \"relational\"" },
	{ "if header :comparator \"i;ascii-numeric\" \"x\" \"1\" { keep; }",
	  "test.sieve:1:23: comparator 'i;ascii-numeric' used without require "
	  "\"comparator-i;ascii-numeric\"" },
	{ "if header :comparator \"i;bogus\" \"x\" \"1\" { keep; }",
	  "test.sieve:1:23: unknown comparator 'i;bogus'" },
	{ "require \"comparator-i;ascii-numeric\";\n"
	  "if header :contains :comparator \"i;ascii-numeric\" \"x\" \"1\" {}",
	  "test.sieve:2:11: comparator 'i;ascii-numeric' cannot do ':contains' "
	  "in 'header'" },
	{ "if header :is :contains \"x\" \"y\" {}",
	  "test.sieve:1:15: tag ':contains' conflicts with ':is'" },
	{ "if header \"x\" {}",
	  "test.sieve:1:4: 'header' needs 2 arguments, got 1" },
	{ "if header 1 \"x\" {}",
	  "test.sieve:1:11: argument 1 of 'header' must be a string list, "
	  "not a number" },
	{ "if address \"subject\" \"x\" {}",
	  "test.sieve:1:12: header 'subject' holds no addresses: not allowed "
	  "in the address test" },
	{ "if true keep;", "test.sieve:1:9: 'true' takes no test\n"
	  "test.sieve:1:13: 'if' needs a block" },
	{ "if bogus { keep; }", "test.sieve:1:4: unknown test 'bogus'" },
	{ "if true;", "test.sieve:1:8: 'if' needs a block" },
	{ "keep { discard; }", "test.sieve:1:6: 'keep' takes no block" },
	{ "if { keep; }", "test.sieve:1:1: 'if' needs exactly one test" },
	{ "else { keep; }", "test.sieve:1:1: 'else' without a preceding 'if'" },
	{ "if true {} else {} elsif true {}",
	  "test.sieve:1:20: 'elsif' without a preceding 'if'" },
	{ "keep;\nrequire \"fileinto\";",
	  "test.sieve:2:1: 'require' must come before all other commands" },
	{ "if true { require \"fileinto\"; }",
	  "test.sieve:1:11: 'require' must come before all other commands" },
	{ "require \"vnd.vea\"; bill \"x\";",
	  "test.sieve:1:20: 'bill' needs :minutes" },
	{ "bill :minutes 1 \"x\";",
	  "test.sieve:1:1: 'bill' used without require \"vnd.vea\"" },
	{ "require \"vnd.vea\"; bill :minutes \"1\" \"x\";",
	  "test.sieve:1:25: tag ':minutes' needs a number after it" },
	{ "require \"vnd.vea\"; bill :minutes 5G \"x\";",
	  "test.sieve:1:34: ':minutes' too large (max 1000000)" },
	{ "if size 100 {}", "test.sieve:1:9: too many arguments for 'size' "
	  "(expected 0)" },
	{ "if size :over 1 :under 2 {}",
	  "test.sieve:1:17: tag ':under' conflicts with ':over'" },
	{ "redirect \"nobody\";",
	  "test.sieve:1:10: invalid redirect address 'nobody'" },
	{ "require \"envelope\"; if envelope \"cc\" \"x\" {}",
	  "test.sieve:1:33: unknown envelope part 'cc'" },
	{ "keep; }", "test.sieve:1:7: unexpected '}' without block" },
	{ "if true { keep;", "test.sieve:1:9: missing '}' to close this block" },
	{ "keep @;", "test.sieve:1:6: unexpected character '@'" },
	{ "if header [\"a\" \"b\"] \"x\" {}",
	  "test.sieve:1:16: expected ',' or ']', found string" },
	{ "if 99999999999999999999 {}", "test.sieve:1:4: number too large" },
	/* Several errors collected in one compile. */
	{ "require \"fileinto\";\n"
	  "filein \"a\";\n"
	  "fileinto \"b\"\n"
	  "keep;\n"
	  "discard :x;\n",
	  "test.sieve:2:1: unknown command 'filein'\n"
	  "test.sieve:3:13: missing ';' after command 'fileinto'\n"
	  "test.sieve:5:9: unknown tag ':x' for 'discard'" },
};

/* Every case must fail to compile with exactly the errors expected. */
static void test_compile_error_cases(const test_case *cases, guint n)
{
	for (guint i = 0; i < n; i++) {
		sieve_script *script = NULL;
		GPtrArray *errors = NULL;
		g_autofree char *got = NULL;
		int ret;

		ret = sieve_script_compile_string("test.sieve", cases[i].script,
						  strlen(cases[i].script), &script, &errors);
		got = test_format_errors(errors);
		if (strcmp(got, cases[i].expected) != 0)
			g_test_message("case %u: script:\n%s\nexpected: %s\ngot:      %s", i,
				       cases[i].script, cases[i].expected, got);
		g_assert_cmpint(ret, ==, -1);
		g_assert_null(script);
		g_assert_cmpstr(got, ==, cases[i].expected);
		g_ptr_array_unref(errors);
	}
}

static void test_sieve_compile_errors(void)
{
	test_compile_error_cases(error_cases, G_N_ELEMENTS(error_cases));
}

/* remind and snooze (vnd.vea; snooze also the IETF draft's form): the
 * actions carry the WHEN unresolved, in its canonical form; a reminder
 * keeps the message where it is, a snooze files it away (no implicit
 * keep). */
static const test_case remind_snooze_cases[] = {
	{ "require \"vnd.vea\"; remind;",
	  "remind:+3d:unanswered:assistant ; keep*" },
	{ "require \"vnd.vea\"; remind :businessdays 2 :always :to \"Executive\" "
	  ":flag \"Chase Raj\";",
	  "remind:+2bd:always:executive:flag:note=Chase Raj ; keep*" },
	{ "require \"vnd.vea\"; remind :hours 4; remind :days 1 :ifunanswered;",
	  "remind:+4h:unanswered:assistant ; remind:+1d:unanswered:assistant ; keep*" },
	{ "require \"vnd.vea\"; remind :until \"MONDAY 9:00\";",
	  "remind:monday 09:00:unanswered:assistant ; keep*" },
	/* The same reminder twice is one. */
	{ "require \"vnd.vea\"; remind :days 3 \"x\"; remind \"x\";",
	  "remind:+3d:unanswered:assistant:note=x ; keep*" },
	{ "require [\"vnd.vea\", \"variables\"]; set \"when\" \"tomorrow 08:00\"; "
	  "set \"who\" \"executive\"; remind :until \"${when}\" :to \"${who}\" \"re ${when}\";",
	  "remind:tomorrow 08:00:unanswered:executive:note=re tomorrow 08:00 ; keep*" },
	{ "require \"vnd.vea\"; snooze :until \"tomorrow 08:00\";",
	  "snooze:tomorrow 08:00" },
	{ "require [\"vnd.vea\", \"imap4flags\"]; addflag \"$Later\"; "
	  "snooze :until \"+2bd 09:00\" :mailbox \"Follow up\" "
	  ":addflags [\"\\\\flagged\", \"$Woke\"] :removeflags \"\\\\Seen\" :tzid \"Europe/Berlin\" "
	  ":wakeonreply;",
	  "snooze:+2bd 09:00:tz=Europe/Berlin:wake=Follow up:add[\\Flagged $Woke]"
	  ":remove[\\Seen]:reply[$Later]" },
	/* The draft's form, as Cyrus and Fastmail write it. */
	{ "require [\"snooze\", \"imap4flags\"]; snooze :mailbox \"INBOX.awakened\" "
	  ":addflags [\"\\\\Flagged\", \"$awakened\"] \"17:05:00\";",
	  "snooze:at 17:05:wake=INBOX.awakened:add[\\Flagged $awakened]" },
	{ "require \"snooze\"; snooze :tzid \"America/New_York\" :weekdays [\"1\", \"2\", \"5\"] "
	  ":times [\"12:00\", \"9:00\"];",
	  "snooze:at 09:00, 12:00 on mon, tue, fri:tz=America/New_York" },
	{ "require \"snooze\"; snooze :weekdays [\"0\", \"6\"] [\"10:30\"];",
	  "snooze:at 10:30 on sat, sun" },
	/* A snooze and a fileinto :copy: the copy is filed, the message
	 * itself snoozed. */
	{ "require [\"vnd.vea\", \"fileinto\", \"copy\"]; fileinto :copy \"Archive\"; "
	  "snooze :until \"+1w\";",
	  "fileinto:Archive+copy ; snooze:+1w" },
	{ "require \"vnd.vea\"; snooze :until \"+1d\"; snooze :until \"+2d\";",
	  "ERROR more than one snooze action" },
	{ "require [\"vnd.vea\", \"variables\"]; set \"w\" \"someday\"; snooze :until \"${w}\";",
	  "ERROR snooze: unknown time 'someday' (e.g. \"monday 09:00\", \"tomorrow 08:00\", "
	  "\"2026-12-24 17:00\", \"+3d\", \"+4h\", \"+2bd\")" },
	{ "require [\"vnd.vea\", \"variables\"]; set \"z\" \"Nowhere/Land\"; "
	  "snooze :tzid \"${z}\" :until \"+1d\";",
	  "ERROR snooze: unknown time zone 'Nowhere/Land'" },
	{ "require [\"vnd.vea\", \"variables\"]; set \"t\" \"boss\"; remind :to \"${t}\";",
	  "ERROR remind :to must be \"assistant\" or \"executive\", not 'boss'" },
};

/* What `vea rules check` says: file:line:col of the argument at fault. */
static const test_case remind_snooze_errors[] = {
	{ "remind;", "test.sieve:1:1: 'remind' used without require \"vnd.vea\"" },
	{ "require \"vnd.vea\";\nremind :days 0;",
	  "test.sieve:2:14: ':days' must be 1 to 3660" },
	{ "require \"vnd.vea\";\nremind :hours 100000;",
	  "test.sieve:2:15: ':hours' must be 1 to 87840" },
	{ "require \"vnd.vea\";\nremind :days 2 :until \"+1d\";",
	  "test.sieve:2:16: tag ':until' conflicts with ':days'" },
	{ "require \"vnd.vea\";\nremind :always :ifunanswered;",
	  "test.sieve:2:16: tag ':ifunanswered' conflicts with ':always'" },
	{ "require \"vnd.vea\";\n  remind :until \"monday\";",
	  "test.sieve:2:17: ':until': 'monday' needs a time of day after it (HH:MM)" },
	{ "require \"vnd.vea\";\nremind :until \"2026-02-29 09:00\";",
	  "test.sieve:2:15: ':until': there is no date 2026-02-29" },
	{ "require \"vnd.vea\";\nremind :to \"boss\";",
	  "test.sieve:2:12: ':to' must be \"assistant\" or \"executive\", not 'boss'" },
	{ "require \"vnd.vea\";\nremind \"a\" \"b\";",
	  "test.sieve:2:8: too many arguments for 'remind' (expected 0)" },
	/* RFC 5228 section 8.1: no '-' in a tag. */
	{ "require \"vnd.vea\";\nremind :business-days 2;",
	  "test.sieve:2:17: unexpected character '-'" },
	{ "snooze \"09:00\";", "test.sieve:1:1: 'snooze' used without require \"vnd.vea\"" },
	{ "require \"snooze\";\nsnooze :until \"+1d\";",
	  "test.sieve:2:8: ':until' used without require \"vnd.vea\"" },
	{ "require \"vnd.vea\";\nsnooze;",
	  "test.sieve:2:1: 'snooze' needs :until WHEN or a list of times" },
	{ "require \"vnd.vea\";\nsnooze :until \"+1d\" \"09:00\";",
	  "test.sieve:2:21: 'snooze' takes its times once: a list, :times or :until" },
	{ "require \"vnd.vea\";\nsnooze :weekdays \"1\" :until \"+1d\";",
	  "test.sieve:2:8: ':weekdays' goes with a list of times, not with ':until'" },
	{ "require \"snooze\";\nsnooze [\"09:00\", \"9am\"];",
	  "test.sieve:2:8: '9am' is not a time of day (HH:MM or HH:MM:SS)" },
	{ "require \"snooze\";\nsnooze :weekdays [\"1\", \"7\"] \"09:00\";",
	  "test.sieve:2:18: '7' is not a weekday (\"0\" Sunday to \"6\" Saturday)" },
	{ "require \"snooze\";\nsnooze :tzid \"Mars/Olympus\" \"09:00\";",
	  "test.sieve:2:14: unknown time zone 'Mars/Olympus' (an IANA name, e.g. "
	  "\"America/New_York\")" },
	{ "require \"snooze\";\nsnooze :mailbox \"\" \"09:00\";",
	  "test.sieve:2:17: empty ':mailbox'" },
	{ "require \"snooze\";\nsnooze :mailboxid \"F1\" \"09:00\";",
	  "test.sieve:2:8: unknown tag ':mailboxid' for 'snooze'" },
};

static void test_sieve_remind_snooze(void)
{
	test_run_cases(remind_snooze_cases, G_N_ELEMENTS(remind_snooze_cases), test_message);
	test_compile_error_cases(remind_snooze_errors, G_N_ELEMENTS(remind_snooze_errors));
}

/* A run-time error in a WHEN says where the command is. */
static void test_sieve_remind_runtime_position(void)
{
	const char *text = "require [\"vnd.vea\", \"variables\"];\nset \"w\" \"soon\";\n"
			   "if true {\n  remind :until \"${w}\";\n}\n";
	sieve_script *script = test_compile(text);
	mime_message *msg = test_parse_message(test_message);
	GPtrArray *actions = NULL;
	sieve_error *error = NULL;
	g_autofree char *line = NULL;

	g_assert_cmpint(sieve_script_execute(script, msg, NULL, &actions, &error), ==, -1);
	line = sieve_error_format(error);
	g_assert_true(g_str_has_prefix(line, "test.sieve:4:3: remind :until: unknown time 'soon'"));
	sieve_error_free(error);
	mime_message_free(&msg);
	sieve_script_free(&script);
}

static void test_sieve_rule_lines(void)
{
	static const char script_text[] =
		"require [\"fileinto\", \"vnd.vea\"];\n"
		"\n"
		"if header :contains \"subject\" \"invoice\" {\n"
		"    fileinto \"Invoices\";\n"
		"    bill :account \"acme\" :minutes 10\n"
		"         \"invoice\";\n"
		"}\n";
	sieve_script *script = test_compile(script_text);
	mime_message *msg = test_parse_message(test_message);
	GPtrArray *actions = NULL;
	sieve_error *error = NULL;
	const sieve_action *a;

	g_assert_cmpint(sieve_script_execute(script, msg, NULL, &actions,
					     &error), ==, 0);
	g_assert_cmpuint(actions->len, ==, 2);
	a = g_ptr_array_index(actions, 0);
	g_assert_cmpint(a->type, ==, SIEVE_ACTION_FILEINTO);
	g_assert_cmpstr(a->rule_file, ==, "test.sieve");
	g_assert_cmpint(a->rule_line, ==, 4);
	g_assert_false(a->implicit);
	a = g_ptr_array_index(actions, 1);
	g_assert_cmpint(a->type, ==, SIEVE_ACTION_BILL);
	g_assert_cmpint(a->rule_line, ==, 5);
	g_ptr_array_unref(actions);
	g_assert_false(sieve_script_needs_body(script));
	mime_message_free(&msg);
	sieve_script_free(&script);
	g_assert_null(script);
}

static void test_sieve_envelope(void)
{
	static const sieve_envelope env = { "bounce+x@lists.example.com",
					    "bob@example.org" };
	static const sieve_envelope null_sender = { "", "bob@example.org" };
	static const sieve_envelope null_path = { "<>", "bob@example.org" };
	static const sieve_envelope routed = {
		"<@a.example.org,@b.example.net:stephan@example.org>",
		"<MAILER-DAEMON>"
	};
	static const sieve_envelope bad_path = { "<<x@example.org>",
						 "knurft@" };
	static const struct {
		const char *script;
		const sieve_envelope *env;
		const char *expected;
	} cases[] = {
		{ "if envelope :domain \"from\" \"lists.example.com\" "
		  "{ discard; }", &env, "discard" },
		{ "if envelope :localpart :matches \"from\" \"bounce+*\" "
		  "{ discard; }", &env, "discard" },
		{ "if envelope \"to\" \"BOB@example.org\" { discard; }", &env,
		  "discard" },
		{ "if envelope \"to\" \"carol@example.org\" { discard; }", &env,
		  "keep*" },
		{ "if envelope :all :is \"from\" \"\" { discard; }",
		  &null_sender, "discard" },
		/* SMTP paths (RFC 5228 section 5.4, RFC 5321 4.1.2): the
		 * null path is empty in every part, a source route is
		 * skipped, a path that does not parse has no value. */
		{ "if envelope :domain :is \"from\" \"\" { discard; }",
		  &null_path, "discard" },
		{ "if envelope :localpart \"from\" \"stephan\" { discard; }",
		  &routed, "discard" },
		{ "if envelope :domain :contains \"from\" \"\" { discard; }",
		  &bad_path, "keep*" },
		{ "if envelope :domain :contains \"to\" \"\" { discard; }",
		  &bad_path, "keep*" },
		{ "if envelope :all \"to\" \"MAILER-DAEMON\" { discard; }",
		  &routed, "discard" },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *script = g_strconcat(
			"require \"envelope\";\n", cases[i].script, NULL);
		g_autofree char *got =
			test_run(script, test_message, cases[i].env);

		g_assert_cmpstr(got, ==, cases[i].expected);
	}
}

static void test_sieve_runtime_errors(void)
{
	GString *script = g_string_new("require \"fileinto\";\n");
	g_autofree char *got = NULL;
	int i;

	for (i = 0; i < 40; i++)
		g_string_append_printf(script, "fileinto \"box%d\";\n", i);
	got = test_run(script->str, test_message, NULL);
	g_assert_cmpstr(got, ==, "ERROR too many actions (max 32)");
	g_string_free(script, TRUE);
	g_free(got);

	/* oracle: the 5th redirect exceeds Pigeonhole's limit too. */
	got = test_run("redirect \"a@x.org\"; redirect \"b@x.org\";"
		       "redirect \"c@x.org\"; redirect \"d@x.org\";"
		       "redirect \"e@x.org\";",
		       test_message, NULL);
	g_assert_cmpstr(got, ==, "ERROR too many redirects (max 4)");
}

static void test_sieve_limits(void)
{
	sieve_script *script = NULL;
	GPtrArray *errors = NULL;
	char *msg = NULL;
	GString *text = g_string_new(NULL);
	int i;

	/* Nesting: blocks. */
	for (i = 0; i < 100; i++)
		g_string_append(text, "if true {\n");
	g_assert_cmpint(sieve_script_compile_string("deep.sieve", text->str,
						    text->len, &script,
						    &errors), ==, -1);
	msg = test_format_errors(errors);
	g_assert_cmpstr(msg, ==,
			"deep.sieve:33:4: nesting too deep (max 32 levels)");
	g_ptr_array_unref(errors);
	g_free(msg);

	/* Nesting: tests, far deeper than any stack would like. */
	g_string_truncate(text, 0);
	g_string_append(text, "if ");
	for (i = 0; i < 100000; i++)
		g_string_append(text, "not ");
	g_string_append(text, "true { keep; }");
	g_assert_cmpint(sieve_script_compile_string("deep.sieve", text->str,
						    text->len, &script,
						    &errors), ==, -1);
	msg = test_format_errors(errors);
	g_assert_cmpstr(msg, ==,
			"deep.sieve:1:132: nesting too deep (max 32 levels)");
	g_ptr_array_unref(errors);
	g_free(msg);

	g_string_truncate(text, 0);
	g_string_append(text, "if ");
	for (i = 0; i < 100000; i++)
		g_string_append(text, "anyof(");
	g_assert_cmpint(sieve_script_compile_string("deep.sieve", text->str,
						    text->len, &script,
						    &errors), ==, -1);
	g_assert_cmpuint(errors->len, ==, 1);
	g_ptr_array_unref(errors);

	/* Nesting at the limit is fine. */
	g_string_truncate(text, 0);
	for (i = 0; i < 31; i++)
		g_string_append(text, "if true {\n");
	g_string_append(text, "discard;");
	for (i = 0; i < 31; i++)
		g_string_append(text, "}");
	g_assert_cmpint(sieve_script_compile_string("deep.sieve", text->str,
						    text->len, &script,
						    &errors), ==, 0);
	sieve_script_free(&script);
	if (errors != NULL)
		g_ptr_array_unref(errors);

	/* Script size. */
	g_string_truncate(text, 0);
	while (text->len <= 1024 * 1024)
		g_string_append(text, "keep; # padding padding padding\n");
	g_assert_cmpint(sieve_script_compile_string("big.sieve", text->str,
						    text->len, &script,
						    &errors), ==, -1);
	msg = test_format_errors(errors);
	g_assert_true(g_str_has_prefix(msg, "big.sieve:1:1: script too large"));
	g_ptr_array_unref(errors);
	g_free(msg);

	/* String length. */
	g_string_truncate(text, 0);
	g_string_append(text, "require \"fileinto\"; fileinto \"");
	for (i = 0; i < 70000; i++)
		g_string_append_c(text, 'a');
	g_string_append(text, "\";");
	g_assert_cmpint(sieve_script_compile_string("long.sieve", text->str,
						    text->len, &script,
						    &errors), ==, -1);
	msg = test_format_errors(errors);
	g_assert_cmpstr(msg, ==,
			"long.sieve:1:30: string too long (max 65536 bytes)");
	g_ptr_array_unref(errors);
	g_free(msg);

	/* Errors are capped, not unbounded. */
	g_string_truncate(text, 0);
	for (i = 0; i < 1000; i++)
		g_string_append(text, "bogus;\n");
	g_assert_cmpint(sieve_script_compile_string("many.sieve", text->str,
						    text->len, &script,
						    &errors), ==, -1);
	g_assert_cmpuint(errors->len, ==, 50);
	g_ptr_array_unref(errors);

	/* NUL bytes. */
	g_assert_cmpint(sieve_script_compile_string("nul.sieve", "keep;\n\0x",
						    8, &script, &errors), ==, -1);
	msg = test_format_errors(errors);
	g_assert_cmpstr(msg, ==, "nul.sieve:2:1: NUL byte in script");
	g_ptr_array_unref(errors);
	g_free(msg);

	g_string_free(text, TRUE);
}

static void test_sieve_compile_file(void)
{
	g_autofree char *dir = g_dir_make_tmp("test-sieve-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "rules.sieve", NULL);
	static const char text[] = "require \"fileinto\";\nfileinto \"A\"\n";
	sieve_script *script = NULL;
	GPtrArray *errors = NULL;
	g_autofree char *msg = NULL;

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_assert_cmpint(sieve_script_compile_file(path, &script, &errors), ==,
			-1);
	g_assert_cmpuint(errors->len, ==, 1);
	g_assert_cmpstr(((sieve_error *)g_ptr_array_index(errors, 0))->file,
			==, path);
	g_assert_cmpint(((sieve_error *)g_ptr_array_index(errors, 0))->line,
			==, 2);
	g_ptr_array_unref(errors);

	g_assert_true(g_file_set_contents(path, "keep;", -1, NULL));
	g_assert_cmpint(sieve_script_compile_file(path, &script, &errors), ==,
			0);
	sieve_script_free(&script);
	if (errors != NULL)
		g_ptr_array_unref(errors);
	g_assert_cmpint(g_unlink(path), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);

	g_assert_cmpint(sieve_script_compile_file(path, &script, &errors), ==,
			-1);
	msg = test_format_errors(errors);
	g_assert_true(strstr(msg, "cannot read") != NULL);
	g_ptr_array_unref(errors);
}

static void test_sieve_glob(void)
{
	static const struct {
		const char *pattern, *value;
		gboolean casemap, expected;
	} cases[] = {
		{ "*", "", TRUE, TRUE },
		{ "?", "", TRUE, FALSE },
		{ "?", "\xc3\xa9", TRUE, TRUE }, /* one character, two bytes */
		{ "??", "\xc3\xa9", TRUE, FALSE },
		{ "a*b*c", "aXbYbZc", TRUE, TRUE },
		{ "a*b*c", "aXbYbZ", TRUE, FALSE },
		{ "*.example.com", "x.Example.COM", TRUE, TRUE },
		{ "*.example.com", "x.Example.COM", FALSE, FALSE },
		{ "\\*", "*", TRUE, TRUE },
		{ "\\*", "x", TRUE, FALSE },
		{ "\\\\", "\\", TRUE, TRUE },
		{ "a\\?", "a?", TRUE, TRUE },
		{ "a\\?", "ab", TRUE, FALSE },
		{ "*a*a*a*a*a*a*a*a*b",
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", TRUE,
		  FALSE },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_assert_cmpint(sieve_match_glob(cases[i].pattern,
						 cases[i].value,
						 cases[i].casemap),
				==, cases[i].expected);
	}
}

/* The header test's fast path (lower-cased values packed with padding,
 * :matches patterns sorted into prefix/suffix/substring at compile time,
 * the 16-byte substring search) gives what the general matcher gives. */
static void test_sieve_header_fast_path(void)
{
	static const char *const values[] = {
		"", "a", "Re: Meeting", "re:", "MONEY", "Free money!",
		"0123456789abcdef", "0123456789abcdefX", "xx0123456789abcdef",
		"[SAtalk] Re: the rules [SAtalk]", "Subject ending in viagra",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
		"long subject line, long enough to span three blocks: XYZ",
		"*star* and ?question?", "\xc3\xa9t\xc3\xa9 Caf\xc3\xa9",
	};
	static const char *const keys[] = {
		"", "a", "re: *", "*re:", "*money*", "money", "*", "**",
		"0123456789abcdef", "0123456789ABCDEF*", "*abcdefx",
		"*[satalk]*", "*viagra", "viagra*", "*aab", "ab*ab", "?e*",
		"*\\**", "*\\?*", "*xyz", "three blocks", "*caf\xc3\xa9",
		"0123456789abcdefXYZ0123", "span three blocks: xyz",
	};
	static const char *const types[] = { "is", "contains", "matches" };
	guint v, k, t;

	for (v = 0; v < G_N_ELEMENTS(values); v++) {
		g_autofree char *message = g_strdup_printf(
			"From: a@example.com\r\nSubject: %s\r\n\r\nbody\r\n",
			values[v]);

		for (k = 0; k < G_N_ELEMENTS(keys); k++) {
			for (t = 0; t < G_N_ELEMENTS(types); t++) {
				/* The key as a Sieve string: '\\' doubled. */
				g_auto(GStrv) parts =
					g_strsplit(keys[k], "\\", -1);
				g_autofree char *quoted =
					g_strjoinv("\\\\", parts);
				g_autofree char *script = g_strdup_printf(
					"require \"fileinto\";\n"
					"if header :%s \"Subject\" \"%s\" "
					"{ fileinto \"Hit\"; }\n",
					types[t], quoted);
				g_autofree char *result =
					test_run(script, message, NULL);
				g_autofree char *lv =
					g_ascii_strdown(values[v], -1);
				g_autofree char *lk =
					g_ascii_strdown(keys[k], -1);
				gboolean want;

				if (t == 0)
					want = strcmp(lv, lk) == 0;
				else if (t == 1)
					want = strstr(lv, lk) != NULL;
				else
					want = sieve_match_glob(keys[k],
								values[v], TRUE);
				if (want != (strstr(result, "Hit") != NULL))
					g_error("header :%s \"%s\" on \"%s\": "
						"%s",
						types[t], keys[k], values[v],
						result);
			}
		}
	}
}

/* sieve_contains_padded against strstr, the key at every place in
 * values of every length up to 70 (the search reads past the NUL). */
static void test_sieve_contains_padded(void)
{
	char buf[128 + 32];
	guint len, at, klen;

	for (len = 0; len <= 70; len++) {
		for (klen = 1; klen <= 20; klen++) {
			for (at = 0; at + 1 <= len + 1; at++) {
				char key[32];
				guint i;

				memset(buf, 0, sizeof(buf));
				for (i = 0; i < len; i++)
					buf[i] = (char)('a' + i % 3);
				for (i = 0; i < klen; i++)
					key[i] = (char)('a' + (i * 7 + klen) % 4);
				key[klen] = '\0';
				/* Sometimes plant it (whole or cut off). */
				for (i = 0; i < klen && at + i < len; i++)
					buf[at + i] = key[i];
				g_assert_cmpint(sieve_contains_padded(buf, key,
								      klen),
						==, strstr(buf, key) != NULL);
				/* Something past the NUL never matches. */
				memcpy(buf + len + 1, key, klen);
				g_assert_cmpint(sieve_contains_padded(buf, key,
								      klen),
						==, strstr(buf, key) != NULL);
			}
		}
	}
}

/* A message with a MIME structure, a Date and a Return-Path, for the
 * extensions (expected results: oracle, Pigeonhole 0.5.19 sieve-test). */
static const char ext_message[] =
	"Return-Path: <bounce+x@lists.example.com>\r\n"
	"From: Alice Example <alice+news@example.com>\r\n"
	"To: bob@example.org, \"Carol\" <carol@sub.example.net>\r\n"
	"To: second@example.org\r\n"
	"Subject: [acme-users] [fwd] version 1.0 is out\r\n"
	"Date: Tue, 5 Mar 2024 14:30:15 +0100\r\n"
	"Message-ID: <1@example.com>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/alternative; boundary=\"b\"\r\n"
	"\r\n"
	"preamble\r\n"
	"--b\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"Caf=C3=A9 tomorrow\r\n"
	"--b\r\n"
	"Content-Type: text/html\r\n"
	"\r\n"
	"<p>Hello <b>html</b></p>\r\n"
	"--b--\r\n";

static const test_case ext_cases[] = {
	/* variables (RFC 5229) */
	{ "require [\"variables\", \"fileinto\"];"
	  "if header :matches \"subject\" \"[*] *\" "
	  "{ fileinto \"${1}/${2}\"; }",
	  "fileinto:acme-users/[fwd] version 1.0 is out" },
	{ "require [\"variables\", \"fileinto\"];"
	  "set \"a\" \"Hello\"; set :upper \"b\" \"${a}\";"
	  "set :lower :upperfirst \"c\" \"wORLD\";"
	  "set :length \"n\" \"${a}\u00e9\";"
	  "set :quotewildcard \"q\" \"a*b?c\\\\\";"
	  "fileinto \"${b}-${c}-${n}-${q}\";",
	  "fileinto:HELLO-World-6-a\\*b\\?c\\\\" },
	/* oracle: unknown variables are empty; bad references stay. */
	{ "require [\"variables\", \"fileinto\"];"
	  "set \"x\" \"${unknown}${ bad}$${1\"; fileinto \"X${x}\";",
	  "fileinto:X${ bad}$${1" },
	/* Names are case-insensitive; a failed test keeps the match
	 * values of the last successful one. */
	{ "require [\"variables\", \"fileinto\"];"
	  "set \"Name\" \"v\";"
	  "if header :matches \"from\" \"*@*\" {}"
	  "if header :matches \"from\" \"nomatch*\" {}"
	  "fileinto \"${NAME}-${2}\";",
	  "fileinto:v-example.com>" },
	{ "require [\"variables\", \"relational\"];"
	  "if string :count \"eq\" [\"a\", \"\", \"b\"] \"2\" { discard; }",
	  "discard" },
	{ "require \"variables\";"
	  "set \"s\" \"x@example.com\";"
	  "if string :is \"${s}\" \"x@example.com\" { redirect \"${s}\"; }",
	  "redirect:x@example.com" },
	{ "require [\"variables\", \"imap4flags\"];"
	  "set \"f\" \"\\\\Seen\"; addflag \"${f} work\";",
	  "keep*[\\Seen work]" },
	{ "require [\"variables\", \"imap4flags\"];"
	  "addflag \"myflags\" \"a b\"; removeflag \"myflags\" \"a\";"
	  "if hasflag \"myflags\" \"b\" { addflag \"${myflags}x\"; }",
	  "keep*[bx]" },
	/* encoded-character (RFC 5228 section 2.4.2.4) */
	{ "require [\"encoded-character\", \"fileinto\"];"
	  "fileinto \"${hex:41 42}${unicode:e9}${hex:zz}\";",
	  "fileinto:AB\xc3\xa9${hex:zz}" },
	/* subaddress (RFC 5233) */
	{ "require \"subaddress\";"
	  "if address :detail \"from\" \"news\" { discard; }", "discard" },
	{ "require \"subaddress\";"
	  "if address :user \"from\" \"alice\" { discard; }", "discard" },
	{ "require \"subaddress\";"
	  "if address :detail \"to\" \"\" { discard; }", "keep*" },
	/* regex */
	{ "require [\"regex\", \"variables\", \"fileinto\"];"
	  "if header :regex \"subject\" \"v([a-z]+) ([0-9.]+)\" "
	  "{ fileinto \"${1}-${2}\"; }",
	  "fileinto:ersion-1.0" },
	{ "require [\"regex\", \"variables\"];"
	  "set :quoteregex \"q\" \"1.0\";"
	  "if header :regex \"subject\" \"version ${q} \" { discard; }",
	  "discard" },
	{ "require \"regex\";"
	  "if header :regex :comparator \"i;octet\" \"subject\" \"ACME\" "
	  "{ discard; }", "keep*" },
	/* body (RFC 5173) */
	{ "require \"body\"; if body :contains \"caf\xc3\xa9\" { discard; }",
	  "discard" },
	{ "require \"body\"; if body :text :contains \"hello html\" "
	  "{ discard; }", "discard" },
	{ "require \"body\"; if body :raw :contains \"Caf=C3=A9\" "
	  "{ discard; }", "discard" },
	{ "require \"body\"; if body :content \"text/html\" :contains "
	  "\"<b>\" { discard; }", "discard" },
	{ "require \"body\"; if body :content \"image\" :contains \"\" "
	  "{ discard; }", "keep*" },
	/* date, index (RFC 5260) */
	{ "require [\"date\", \"variables\", \"fileinto\"];"
	  "if date :matches :zone \"-0500\" \"date\" \"std11\" \"*\" "
	  "{ fileinto \"${0}\"; }",
	  "fileinto:Tue, 05 Mar 2024 08:30:15 -0500" },
	{ "require [\"date\", \"variables\", \"fileinto\"];"
	  "if date :matches :originalzone \"date\" \"iso8601\" \"*\" "
	  "{ fileinto \"${0}\"; }",
	  "fileinto:2024-03-05T14:30:15+01:00" },
	{ "require [\"date\", \"variables\", \"fileinto\"];"
	  "if date :matches :zone \"+0000\" \"date\" \"julian\" \"*\" "
	  "{ fileinto \"${0}\"; }", "fileinto:60374" },
	{ "require \"date\";"
	  "if date :zone \"+0000\" \"date\" \"weekday\" \"2\" { discard; }",
	  "discard" },
	{ "require [\"date\", \"relational\"];"
	  "if currentdate :value \"ge\" \"year\" \"2024\" { discard; }",
	  "discard" },
	{ "require \"index\";"
	  "if header :index 2 :is \"to\" \"second@example.org\" "
	  "{ discard; }", "discard" },
	{ "require \"index\";"
	  "if header :index 1 :last :contains \"to\" \"carol\" "
	  "{ discard; }", "keep*" },
	/* environment, ihave (RFC 5183, 5463) */
	{ "require \"environment\";"
	  "if allof (environment \"location\" \"MS\", "
	  "environment \"phase\" \"post\", not environment \"host\" \"\") "
	  "{ discard; }", "discard" },
	{ "require [\"ihave\", \"fileinto\"];"
	  "if ihave \"x-unknown\" { x_unknown_command 1; } "
	  "elsif ihave \"copy\" { fileinto :copy \"A\"; }",
	  "fileinto:A+copy ; keep*" },
	{ "require \"ihave\"; error \"stop here\";", "ERROR stop here" },
	/* vacation (RFC 5230, 6131) */
	{ "require \"vacation\"; vacation \"Away\";",
	  "vacation:bounce+x@lists.example.com:-:604800:Away ; keep*" },
	{ "require [\"vacation\", \"vacation-seconds\", \"variables\"];"
	  "set \"s\" \"Re\"; vacation :seconds 90000 :subject \"${s}\" "
	  ":from \"me@example.org\" :mime \"Away\";",
	  "vacation:bounce+x@lists.example.com:Re:90000:Away:"
	  "from=me@example.org:mime ; keep*" },
	/* oracle: :days 0 is raised to the 1 day minimum. */
	{ "require \"vacation\"; vacation :days 0 \"x\";",
	  "vacation:bounce+x@lists.example.com:-:86400:x ; keep*" },
	{ "require \"vacation\"; vacation \"a\"; vacation \"b\";",
	  "ERROR more than one vacation action" },
	/* enotify (RFC 5435, 5436) */
	{ "require \"enotify\"; notify :importance \"1\" :message \"m\" "
	  "\"mailto:a@example.com\"; notify \"mailto:a@example.com\";",
	  "notify:mailto:a@example.com:importance=1:message=m ; keep*" },
	{ "require \"enotify\";"
	  "if allof (valid_notify_method \"mailto:a@b.c\", "
	  "not valid_notify_method \"xmpp:a@b.c\", "
	  "notify_method_capability \"mailto:a@b.c\" \"online\" \"maybe\") "
	  "{ discard; }", "discard" },
	{ "require [\"enotify\", \"variables\", \"fileinto\"];"
	  "set :encodeurl \"e\" \"a b&c\"; fileinto \"${e}\";",
	  "fileinto:a%20b%26c" },	/* mime (RFC 5703 section 4): the message's own part, any part
	 * with :anychild, structured field parts. */
	{ "require [\"mime\", \"fileinto\"];"
	  "if header :mime :type \"content-type\" \"multipart\" "
	  "{ fileinto \"M\"; }"
	  "if header :mime :subtype \"content-type\" \"html\" "
	  "{ fileinto \"top-html\"; }"
	  "if header :mime :anychild :subtype \"content-type\" \"html\" "
	  "{ fileinto \"H\"; }"
	  "if header :mime :param \"charset\" :anychild \"content-type\" "
	  "\"UTF-8\" { fileinto \"U\"; }"
	  "if header :mime :param \"boundary\" :contains \"content-type\" "
	  "\"b\" { fileinto \"B\"; }",
	  "fileinto:M ; fileinto:H ; fileinto:U ; fileinto:B" },
	{ "require [\"mime\", \"fileinto\"];"
	  "if exists :mime :anychild [\"mime-version\", "
	  "\"content-transfer-encoding\"] { fileinto \"E\"; }"
	  "if exists :mime [\"mime-version\", "
	  "\"content-transfer-encoding\"] { fileinto \"never\"; }"
	  "if address :mime :anychild :domain \"to\" \"sub.example.net\" "
	  "{ fileinto \"A\"; }",
	  "fileinto:E ; fileinto:A" },
	/* The message's Content-* fields (GMime keeps them on its top
	 * part) are there for plain header tests too. */
	{ "if header :contains \"content-type\" \"alternative\" "
	  "{ discard; }", "discard" },
	/* foreverypart (section 3): the message, then its parts; a nested
	 * loop runs over the parts inside; break leaves the innermost
	 * loop or the one named. */
	{ "require [\"foreverypart\", \"mime\", \"variables\", "
	  "\"fileinto\"];"
	  "set \"n\" \"\";"
	  "foreverypart { set \"n\" \"${n}x\";"
	  "  if header :mime :contenttype \"content-type\" \"text/plain\" "
	  "  { break; } }"
	  "set \"m\" \"\";"
	  "foreverypart :name \"outer\" { set \"m\" \"${m}o\";"
	  "  foreverypart { set \"m\" \"${m}i\";"
	  "    if header :mime :subtype \"content-type\" \"html\" "
	  "    { break :name \"outer\"; } } }"
	  "fileinto \"${n}-${m}\";",
	  "fileinto:xx-oii" },
	/* extracttext (section 7): the text of the current part, HTML as
	 * text, :first characters, then the modifiers. */
	{ "require [\"foreverypart\", \"mime\", \"extracttext\", "
	  "\"variables\", \"fileinto\"];"
	  "foreverypart {"
	  "  if header :mime :subtype \"content-type\" \"html\" "
	  "  { extracttext :upper :first 8 \"t\"; fileinto \"${t}\"; }"
	  "  elsif header :mime :subtype \"content-type\" \"plain\" "
	  "  { extracttext :first 4 \"p\"; fileinto \"${p}\"; }"
	  "  else { extracttext \"c\"; fileinto \"c${c}\"; } }",
	  "fileinto:c ; fileinto:Caf\u00e9 ; fileinto:HELLO HT" },
	/* index (RFC 5260 section 6) on address: the N-th field. */
	{ "require [\"index\", \"fileinto\"];"
	  "if address :index 2 \"to\" \"second@example.org\" "
	  "{ fileinto \"A\"; }"
	  "if address :index 1 :last :localpart \"to\" \"second\" "
	  "{ fileinto \"B\"; }"
	  "if address :index 1 \"to\" \"second@example.org\" "
	  "{ fileinto \"never\"; }"
	  "if address :index 1 :domain \"to\" \"sub.example.net\" "
	  "{ fileinto \"C\"; }",
	  "fileinto:A ; fileinto:B ; fileinto:C" },
	/* More than ten match values: one per '?' (Pigeonhole's
	 * variables/match.svtest "Alphabet ?"). */
	{ "require [\"variables\", \"fileinto\"];"
	  "if header :matches \"subject\" \"[?????????????*\" "
	  "{ fileinto \"${10}${11}${13}\"; }",
	  "fileinto:s][" },
	/* set modifiers apply by precedence, not in the order written
	 * (RFC 5229 section 4.1). */
	{ "require [\"variables\", \"fileinto\"];"
	  "set :upperfirst :lower \"a\" \"vAlUe\";"
	  "set :lowerfirst :upper \"b\" \"vAlUe\";"
	  "fileinto \"${a}-${b}\";",
	  "fileinto:Value-vALUE" },
};

static void test_sieve_extensions(void)
{
	test_run_cases(ext_cases, G_N_ELEMENTS(ext_cases), ext_message);
}

static const test_case ext_error_cases[] = {
	{ "require \"reject\";",
	  "test.sieve:1:9: reject and ereject mean nothing after delivery: "
	  "vea works on mail already in the mailbox; use discard or "
	  "fileinto" },
	{ "require \"ereject\"; ereject \"no\";",
	  "test.sieve:1:9: reject and ereject mean nothing after delivery: "
	  "vea works on mail already in the mailbox; use discard or "
	  "fileinto" },
	{ "require \"variables\"; set \"1\" \"x\";",
	  "test.sieve:1:26: cannot assign to match variable '1'" },
	{ "require \"variables\"; set \"a-b\" \"x\";",
	  "test.sieve:1:26: invalid variable name 'a-b'" },
	{ "require \"variables\"; set :lower :upper \"a\" \"x\";",
	  "test.sieve:1:33: tag ':upper' conflicts with ':lower'" },
	{ "require \"variables\"; set :quoteregex \"a\" \"x\";",
	  "test.sieve:1:26: ':quoteregex' used without require \"regex\"" },
	{ "require \"regex\"; if header :regex \"s\" \"(a\" {}",
	  "test.sieve:1:39: invalid regex '(a': Unmatched ( or \\(" },
	{ "require \"regex\"; if header :regex \"s\" \"(a)\\\\1\" {}",
	  "test.sieve:1:39: back-references are not supported in :regex" },
	{ "require \"regex\";"
	  "require \"comparator-i;ascii-numeric\";"
	  "if header :regex :comparator \"i;ascii-numeric\" \"s\" \"a\" {}",
	  "test.sieve:1:64: comparator 'i;ascii-numeric' cannot do ':regex' "
	  "in 'header'" },
	{ "require \"encoded-character\"; keep :flags \"${unicode:D800}\";",
	  "test.sieve:1:42: invalid unicode character U+D800 in encoded "
	  "character" },
	{ "require \"date\"; if date \"date\" \"century\" \"x\" {}",
	  "test.sieve:1:32: unknown date part 'century'" },
	{ "require \"date\"; if date :zone \"CET\" \"date\" \"year\" \"x\" {}",
	  "test.sieve:1:31: invalid time zone 'CET' (expected +hhmm or -hhmm)" },
	{ "require \"index\"; if header :last \"to\" \"x\" {}",
	  "test.sieve:1:21: ':last' needs ':index'" },
	{ "require \"vacation\"; vacation :seconds 5 \"x\";",
	  "test.sieve:1:30: ':seconds' used without require "
	  "\"vacation-seconds\"" },
	{ "require \"enotify\"; notify \"xmpp:a@b.c\";",
	  "test.sieve:1:27: invalid or unsupported notification method "
	  "'xmpp:a@b.c' (vea knows mailto:)" },
	{ "require \"include\"; include \"../x\";",
	  "test.sieve:1:28: invalid script name '../x' for include" },
	{ "require \"include\"; include :global \"x\";",
	  "test.sieve:1:36: include :global \"x\": no global script folder "
	  "is set" },
	{ "require \"include\"; global \"x\";",
	  "test.sieve:1:20: 'global' used without require \"variables\"" },	{ "require \"foreverypart\"; break;",
	  "test.sieve:1:25: 'break' outside a foreverypart loop" },
	{ "require \"foreverypart\"; foreverypart :name \"a\" "
	  "{ break :name \"b\"; }",
	  "test.sieve:1:62: 'break :name \"b\"': no enclosing foreverypart "
	  "loop has that name" },
	{ "require [\"extracttext\", \"variables\"]; extracttext \"x\";",
	  "test.sieve:1:39: 'extracttext' outside a foreverypart loop" },
	{ "require [\"extracttext\", \"foreverypart\"];"
	  "foreverypart { extracttext \"x\"; }",
	  "test.sieve:1:56: 'extracttext' used without require "
	  "\"variables\"" },
	{ "require \"mime\"; if header :anychild \"x\" \"y\" {}",
	  "test.sieve:1:27: ':anychild' needs ':mime' in 'header'" },
	{ "require \"mime\"; if exists :mime :type \"x\" {}",
	  "test.sieve:1:33: unknown tag ':type' for 'exists'" },
};

static void test_sieve_extension_errors(void)
{
	test_compile_error_cases(ext_error_cases, G_N_ELEMENTS(ext_error_cases));
}

/* needs_body is computed from the script, includes too. */
static void test_sieve_needs_body(void)
{
	static const struct {
		const char *script;
		gboolean body;
	} cases[] = {
		{ "if size :over 10 { discard; }", FALSE },
		{ "if header :contains \"subject\" \"x\" { discard; }", FALSE },
		{ "require \"body\"; if body :contains \"x\" { discard; }", TRUE },
		{ "require \"body\"; if false { if body :raw \"x\" {} }", TRUE },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		sieve_script *script = test_compile(cases[i].script);

		g_assert_cmpint(sieve_script_needs_body(script), ==,
				cases[i].body);
		sieve_script_free(&script);
	}
}

/* duplicate (RFC 7352) with an in-memory store of ids. */
static gboolean test_dup_check(const char *id, void *context)
{
	return g_hash_table_contains(context, id);
}

static void test_dup_mark(const char *id, guint64 seconds, gboolean last,
			  void *context)
{
	g_hash_table_add(context, g_strdup(id));
}

/* vnd.vea invite and schedule: each condition of invite against what the
 * caller knows of the invitation; a calendar that could not be read
 * makes neither :free nor :busy true; ${invite.*}; compile errors. */
static const sieve_invitation *test_invitation(void *context)
{
	return context;
}

static char *test_invite_run(const char *text, const sieve_invitation *inv)
{
	sieve_execute_options opts = { 0 };
	sieve_script *script = test_compile(text);
	mime_message *msg = test_parse_message(ext_message);
	GPtrArray *actions = NULL;
	sieve_error *error = NULL;
	char *got;

	opts.invitation = test_invitation;
	opts.context = (gpointer)inv;
	g_assert_cmpint(sieve_script_execute_with_options(script, msg, NULL, &opts, &actions,
							  &error), ==, 0);
	got = test_format_actions(actions);
	g_ptr_array_unref(actions);
	mime_message_free(&msg);
	sieve_script_free(&script);
	return got;
}

static void test_sieve_invite(void)
{
	static const char rules[] =
		"require [\"vnd.vea\", \"variables\", \"fileinto\"];\n"
		"if invite :method \"cancel\" :trusted { fileinto \"Cancelled\"; stop; }\n"
		"if invite :method \"request\" :free :withinhours :organizer \"ann@example.org\" {\n"
		"  schedule :accept :send :comment \"See you at ${invite.start}\"; stop;\n"
		"}\n"
		"if invite :busy { schedule :decline :comment \"Busy: ${invite.conflict}\"; stop; }\n"
		"if invite :recurring { schedule :tentative :draft; stop; }\n"
		"if invite { schedule :accept; }\n";
	sieve_invitation free_in_hours = {
		.method = "REQUEST", .organizer = "Ann@Example.org", .trusted = TRUE,
		.busy = 0, .outside_hours = 0, .summary = "Budget", .start = "Tue 8 Dec 15:00",
		.conflict = "",
	};
	sieve_invitation busy = free_in_hours, unknown = free_in_hours, other = free_in_hours;
	sieve_invitation series = free_in_hours, cancel = free_in_hours, spoofed;
	g_autofree char *got = NULL;

	busy.busy = 1;
	busy.conflict = "Board call 15:00-16:00";
	unknown.busy = -1;
	other.organizer = "bob@example.org";
	series.busy = -1;
	series.recurring = TRUE;
	cancel.method = "CANCEL";
	spoofed = cancel;
	spoofed.trusted = FALSE;

	got = test_invite_run(rules, &free_in_hours);
	g_assert_cmpstr(got, ==, "schedule:ACCEPTED:1:comment=See you at Tue 8 Dec 15:00 ; keep*");
	g_clear_pointer(&got, g_free);
	got = test_invite_run(rules, &busy);
	g_assert_cmpstr(got, ==, "schedule:DECLINED:0:comment=Busy: Board call 15:00-16:00 ; keep*");
	g_clear_pointer(&got, g_free);
	/* Not known whether free: never the :free rule, nor the :busy one. */
	got = test_invite_run(rules, &unknown);
	g_assert_cmpstr(got, ==, "schedule:ACCEPTED:0 ; keep*");
	g_clear_pointer(&got, g_free);
	got = test_invite_run(rules, &other);
	g_assert_cmpstr(got, ==, "schedule:ACCEPTED:0 ; keep*");
	g_clear_pointer(&got, g_free);
	got = test_invite_run(rules, &series);
	g_assert_cmpstr(got, ==, "schedule:TENTATIVE:2 ; keep*");
	g_clear_pointer(&got, g_free);
	got = test_invite_run(rules, &cancel);
	g_assert_cmpstr(got, ==, "fileinto:Cancelled");
	g_clear_pointer(&got, g_free);
	/* A cancel not from the organizer is not :trusted: the catch-all
	 * rule only (the agent still checks the organizer itself). */
	got = test_invite_run(rules, &spoofed);
	g_assert_cmpstr(got, ==, "schedule:ACCEPTED:0 ; keep*");
	g_clear_pointer(&got, g_free);
	/* No invitation: no invite test is true. */
	got = test_invite_run(rules, NULL);
	g_assert_cmpstr(got, ==, "keep*");
}

static const test_case invite_error_cases[] = {
	{ "require \"vnd.vea\";\nschedule :comment \"x\";\n",
	  "test.sieve:2:1: 'schedule' needs :accept, :decline or :tentative" },
	{ "require \"vnd.vea\";\nif invite :method \"invite\" { keep; }\n",
	  "test.sieve:2:19: ':method' must be an iTIP method (request, cancel, reply, ...), "
	  "not 'invite'" },
	{ "require \"vnd.vea\";\nif invite :free :busy { keep; }\n",
	  "test.sieve:2:17: tag ':busy' conflicts with ':free'" },
	{ "require \"vnd.vea\";\nschedule :accept :decline;\n",
	  "test.sieve:2:18: tag ':decline' conflicts with ':accept'" },
};

static void test_sieve_invite_errors(void)
{
	test_compile_error_cases(invite_error_cases, G_N_ELEMENTS(invite_error_cases));
}

static void test_sieve_duplicate(void)
{
	static const char text[] =
		"require [\"duplicate\", \"fileinto\"];\n"
		"if duplicate { fileinto \"Dup\"; stop; }\n"
		"if duplicate :header \"subject\" :handle \"s\" "
		"{ fileinto \"SameSubject\"; }\n";
	g_autoptr(GHashTable) seen =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	sieve_execute_options opts = { 0 };
	sieve_script *script = test_compile(text);
	mime_message *msg = test_parse_message(ext_message);
	const char *expected[] = { "keep*", "fileinto:Dup" };
	guint i;

	opts.duplicate_check = test_dup_check;
	opts.duplicate_mark = test_dup_mark;
	opts.context = seen;
	for (i = 0; i < G_N_ELEMENTS(expected); i++) {
		GPtrArray *actions = NULL;
		sieve_error *error = NULL;
		g_autofree char *got = NULL;

		g_assert_cmpint(sieve_script_execute_with_options(
					script, msg, NULL, &opts, &actions,
					&error), ==, 0);
		got = test_format_actions(actions);
		g_assert_cmpstr(got, ==, expected[i]);
		g_ptr_array_unref(actions);
	}
	g_assert_true(g_hash_table_contains(seen, "\n<1@example.com>"));
	g_assert_true(g_hash_table_contains(
		seen, "s\n[acme-users] [fwd] version 1.0 is out"));
	/* Within one execution, the second test of an id is a duplicate. */
	g_hash_table_remove_all(seen);
	sieve_script_free(&script);
	script = test_compile("require \"duplicate\";"
			      "if not duplicate { if duplicate { discard; } }");
	{
		GPtrArray *actions = NULL;
		sieve_error *error = NULL;
		g_autofree char *got = NULL;

		g_assert_cmpint(sieve_script_execute_with_options(
					script, msg, NULL, &opts, &actions,
					&error), ==, 0);
		got = test_format_actions(actions);
		g_assert_cmpstr(got, ==, "discard");
		g_ptr_array_unref(actions);
	}
	mime_message_free(&msg);
	sieve_script_free(&script);
}

/* include (RFC 6609): personal scripts next to the including one, global
 * ones in the folder given, :once, :optional, return, global variables,
 * and no endless recursion. */
static void test_sieve_include(void)
{
	g_autofree char *dir = g_dir_make_tmp("test-sieve-XXXXXX", NULL);
	g_autofree char *global_dir = g_build_filename(dir, "global", NULL);
	g_autofree char *main_path = g_build_filename(dir, "main.sieve", NULL);
	g_autofree char *sub_path = g_build_filename(dir, "sub.sieve", NULL);
	g_autofree char *loop_path = g_build_filename(dir, "loop.sieve", NULL);
	g_autofree char *g_path = g_build_filename(global_dir, "g.sieve", NULL);
	sieve_compile_options opts = { .personal_dir = NULL, .global_dir = global_dir };
	mime_message *msg = test_parse_message(ext_message);
	sieve_script *script = NULL;
	GPtrArray *errors = NULL, *actions = NULL;
	sieve_error *error = NULL;
	g_autofree char *got = NULL;
	g_autofree char *msgs = NULL;
	const sieve_action *a;

	g_assert_cmpint(g_mkdir(global_dir, 0700), ==, 0);
	g_assert_true(g_file_set_contents(
		sub_path,
		"require [\"include\", \"variables\", \"fileinto\"];\n"
		"global \"who\";\n"
		"fileinto \"sub-${who}\";\n"
		"set \"who\" \"sub\";\n"
		"return;\n"
		"fileinto \"never\";\n",
		-1, NULL));
	g_assert_true(g_file_set_contents(
		g_path, "require \"fileinto\"; fileinto \"global\";\n", -1,
		NULL));
	g_assert_true(g_file_set_contents(
		main_path,
		"require [\"include\", \"variables\", \"fileinto\"];\n"
		"global \"who\";\n"
		"set \"who\" \"main\";\n"
		"include \"sub\";\n"
		"include :once \"sub\";\n"
		"include :global \"g\";\n"
		"include :optional \"missing\";\n"
		"fileinto \"main-${who}\";\n",
		-1, NULL));
	g_assert_cmpint(sieve_script_compile_file_with_options(
				main_path, &opts, &script, &errors), ==, 0);
	g_ptr_array_unref(errors);
	g_assert_cmpint(sieve_script_execute(script, msg, NULL, &actions,
					     &error), ==, 0);
	got = test_format_actions(actions);
	g_assert_cmpstr(got, ==, "fileinto:sub-main ; fileinto:global ; "
				 "fileinto:main-sub");
	/* Actions say which file they come from. */
	a = g_ptr_array_index(actions, 0);
	g_assert_cmpstr(a->rule_file, ==, sub_path);
	g_assert_cmpint(a->rule_line, ==, 3);
	g_ptr_array_unref(actions);
	sieve_script_free(&script);

	/* A script that includes itself is an error, not a hang. */
	g_assert_true(g_file_set_contents(
		loop_path, "require \"include\";\ninclude \"loop\";\n", -1,
		NULL));
	g_assert_cmpint(sieve_script_compile_file(loop_path, &script,
						  &errors), ==, -1);
	msgs = test_format_errors(errors);
	g_assert_nonnull(strstr(msgs, "includes itself"));
	g_ptr_array_unref(errors);
	g_free(msgs);
	/* ... but with :once the cycle ends at the script already
	 * running (RFC 6609 section 3.2). */
	g_assert_true(g_file_set_contents(
		loop_path,
		"require [\"include\", \"fileinto\"];\n"
		"fileinto \"loop\";\ninclude :once \"loop\";\n", -1, NULL));
	g_assert_cmpint(sieve_script_compile_file(loop_path, &script,
						  &errors), ==, 0);
	g_ptr_array_unref(errors);
	g_assert_cmpint(sieve_script_execute(script, msg, NULL, &actions,
					     &error), ==, 0);
	msgs = test_format_actions(actions);
	g_assert_cmpstr(msgs, ==, "fileinto:loop");
	g_free(msgs);
	g_ptr_array_unref(actions);
	sieve_script_free(&script);
	/* A missing script without :optional is an error. */
	g_assert_true(g_file_set_contents(
		loop_path, "require \"include\";\ninclude \"nothere\";\n", -1,
		NULL));
	g_assert_cmpint(sieve_script_compile_file(loop_path, &script,
						  &errors), ==, -1);
	msgs = test_format_errors(errors);
	g_assert_nonnull(strstr(msgs, "cannot read"));
	g_ptr_array_unref(errors);

	mime_message_free(&msg);
	g_unlink(main_path);
	g_unlink(sub_path);
	g_unlink(loop_path);
	g_unlink(g_path);
	g_rmdir(global_dir);
	g_rmdir(dir);
}

/* RFC 5260 section 4: a Date that is not RFC 5322 makes the date test
 * false; obsolete forms and unknown zone names still parse. */
static void test_sieve_date_strict(void)
{
	static const struct {
		const char *date;
		const char *expected;
	} cases[] = {
		{ "Sat, 14 Sep 2002 13:06:03 GMT", "discard" },
		{ "14 Sep 02 13:06 +0200 (CEST)", "discard" },
		{ "Sat, 14 Sep 02 05:01:06 Greenwich Standard Time", "discard" },
		{ "2002/09/14 Sat 13:06:03 GMT", "keep*" },
		{ "Sat, 14 Sep 2002", "keep*" },
		{ "yesterday", "keep*" },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *msg = g_strdup_printf(
			"From: a@example.com\r\nDate: %s\r\n\r\nx\r\n",
			cases[i].date);
		g_autofree char *got = test_run(
			"require \"date\";"
			"if date :originalzone \"date\" \"year\" \"2002\" "
			"{ discard; }",
			msg, NULL);

		if (strcmp(got, cases[i].expected) != 0)
			g_test_message("date '%s'", cases[i].date);
		g_assert_cmpstr(got, ==, cases[i].expected);
	}
}

/* Matching with match values: leftmost wildcards match as little as
 * possible. */
/* Addresses (RFC 5228 sections 2.4.2.3 and 4.2, RFC 5322 section 3.4):
 * redirect goes to the plainest form of the addr-spec, a display name
 * allowed; vacation :from may carry encoded words or UTF-8 (RFC 5230
 * section 4.4). Pigeonhole's execute/address-normalize.svtest and
 * extensions/vacation/utf-8.svtest. */
static void test_sieve_addresses(void)
{
	static const struct {
		const char *script;
		const char *expected;
	} cases[] = {
		{ "redirect \"\\\"Sirius\\\"@example.net\";",
		  "redirect:Sirius@example.net" },
		{ "redirect \"\\\"S[r]us\\\"@example.net\";",
		  "redirect:\"S[r]us\"@example.net" },
		{ "redirect \"\\\"Stephan Bosch\\\" <\\\"S.Bosch\\\"@example.net>\";",
		  "redirect:S.Bosch@example.net" },
		{ "redirect \"Ann (work) <ann@[192.0.2.1]> (x)\";",
		  "redirect:ann@[192.0.2.1]" },
		{ "redirect \"\\\"a\\\\\\\\b c\\\"@example.net\";",
		  "redirect:\"a\\\\b c\"@example.net" },
		{ "require \"variables\"; set \"a\" \"\\\"x\\\"@example.com\";"
		  "redirect \"Mr X <${a}>\";",
		  "redirect:x@example.com" },
		{ "require \"variables\"; set \"a\" \"x@@example.com\";"
		  "redirect \"${a}\";",
		  "ERROR invalid redirect address 'x@@example.com'" },
		{ "require \"vacation\"; vacation :from "
		  "\"=?utf-8?q?G=C3=BCnther?= M. Karotte <g.m@example.com>\" "
		  "\"away\";",
		  "vacation:-:-:604800:away:from==?utf-8?q?G=C3=BCnther?= M. "
		  "Karotte <g.m@example.com> ; keep*" },
		{ "require \"vacation\"; vacation :from "
		  "\"G\u00fcnther M. Karotte <g.m@example.com>\" \"away\";",
		  "vacation:-:-:604800:away:from=G\u00fcnther M. Karotte "
		  "<g.m@example.com> ; keep*" },
	};
	static const struct {
		const char *script;
		const char *expected;
	} errors[] = {
		{ "redirect \"a@b@example.com\";",
		  "test.sieve:1:10: invalid redirect address 'a@b@example.com'" },
		{ "redirect \"a b@example.com\";",
		  "test.sieve:1:10: invalid redirect address 'a b@example.com'" },
		{ "redirect \"a..b@example.com\";",
		  "test.sieve:1:10: invalid redirect address 'a..b@example.com'" },
		{ "redirect \"Ann <a@example.com\";",
		  "test.sieve:1:10: invalid redirect address 'Ann <a@example.com'" },
		{ "redirect \"\\\"a@example.com\";",
		  "test.sieve:1:10: invalid redirect address '\"a@example.com'" },
		{ "require \"vacation\"; vacation :from \"Ann\" \"x\";",
		  "test.sieve:1:36: invalid :from address 'Ann'" },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got =
			test_run(cases[i].script, test_message, NULL);

		if (strcmp(got, cases[i].expected) != 0)
			g_test_message("case %u: %s", i, cases[i].script);
		g_assert_cmpstr(got, ==, cases[i].expected);
	}
	for (i = 0; i < G_N_ELEMENTS(errors); i++) {
		sieve_script *script = NULL;
		GPtrArray *errs = NULL;
		g_autofree char *got = NULL;

		g_assert_cmpint(sieve_script_compile_string(
					"test.sieve", errors[i].script,
					strlen(errors[i].script), &script,
					&errs),
				==, -1);
		got = test_format_errors(errs);
		g_assert_cmpstr(got, ==, errors[i].expected);
		g_ptr_array_unref(errs);
	}
}

/* valid_notify_method (RFC 5435 section 5.1) on mailto URIs (RFC 6068
 * section 2, RFC 5436): hfnames are header field names, to/cc/bcc
 * hfields hold addr-specs, one recipient at least. */
static void test_sieve_mailto(void)
{
	static const struct {
		const char *uri;
		gboolean valid;
	} cases[] = {
		{ "mailto:stephan@example.org", TRUE },
		{ "mailto:a@example.org,b@example.org?subject=Hi%20there", TRUE },
		{ "mailto:?to=a@example.org&cc=b@example.org", TRUE },
		{ "mailto:%22a%20b%22@example.org", TRUE },
		{ "mailto:stephan@example.org?header:=frop", FALSE },
		{ "mailto:stephan%23example.org", FALSE },
		{ "mailto:stephan@example.org?to=nico%23frop.example.org", FALSE },
		{ "mailto:?subject=x", FALSE },
		{ "mailto:", FALSE },
		{ "mailto:a@example.org?subject", FALSE },
		{ "mailto:a@example.org?=x", FALSE },
		{ "mailto:a@example.org?subject=%zz", FALSE },
		{ "mailto:a@example.org?subject=a%00b", FALSE },
		{ "mailto:a@example.org?subject=<x>", FALSE },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *script = g_strdup_printf(
			"require [\"enotify\", \"fileinto\"];"
			"if valid_notify_method \"%s\" { fileinto \"yes\"; }",
			cases[i].uri);
		g_autofree char *got = test_run(script, test_message, NULL);

		if (strcmp(got, cases[i].valid ? "fileinto:yes" : "keep*") != 0)
			g_test_message("case %u: %s", i, cases[i].uri);
		g_assert_cmpstr(got, ==,
				cases[i].valid ? "fileinto:yes" : "keep*");
	}
}

/* ihave (RFC 5463 section 4) says no to what only require can switch on,
 * and leaves that block unchecked; encoded-character sequences that do
 * not parse stay as written (RFC 5228 section 2.4.2.4). */
static void test_sieve_ihave_encoded(void)
{
	static const struct {
		const char *script;
		const char *expected;
	} cases[] = {
		{ "require [\"ihave\", \"fileinto\"];"
		  "if ihave \"variables\" { set \"a\" \"b\"; fileinto \"y\"; }"
		  "else { fileinto \"n\"; }",
		  "fileinto:n" },
		{ "require [\"ihave\", \"fileinto\"];"
		  "if ihave \"encoded-character\" { fileinto \"y\"; }"
		  "else { fileinto \"n\"; }",
		  "fileinto:n" },
		{ "require [\"ihave\", \"fileinto\"];"
		  "if ihave [\"fileinto\", \"body\"] { fileinto \"y\"; }",
		  "fileinto:y" },
		{ "require [\"encoded-character\", \"fileinto\"];"
		  "fileinto \"${hex:}|${hex:41 42}|${unicode:}|${hex: 4}|"
		  "${hex:4x}|${unicode: 263a }\";",
		  "fileinto:${hex:}|AB|${unicode:}|\x04|${hex:4x}|\u263a" },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got =
			test_run(cases[i].script, test_message, NULL);

		if (strcmp(got, cases[i].expected) != 0)
			g_test_message("case %u: %s", i, cases[i].script);
		g_assert_cmpstr(got, ==, cases[i].expected);
	}
}

/* body (RFC 5173): no body at all, container parts under :content
 * (section 5.2), parts with an unknown transfer encoding (RFC 2045
 * section 6.4), the text of HTML as Pigeonhole extracts it (checked
 * against Dovecot's html2text), and no match variables (section 6). */
static const char body_message[] =
	"From: a@example.com\r\n"
	"Content-Type: multipart/mixed; boundary=outer\r\n"
	"\r\n"
	"The prologue.\r\n"
	"--outer\r\n"
	"Content-Type: text/html\r\n"
	"\r\n"
	"<p>one<b>two</b></p><img alt=x\"> hidden <b>\"</b> shown "
	"<!-- comment --> &amp;&lt;&#65;&eacute;&bogus;&lt x "
	"<script>script</script><style type=x>style</style>"
	"<blockquote>quoted</blockquote>after\r\n"
	"--outer\r\n"
	"Content-Type: application/xhtml+xml\r\n"
	"\r\n"
	"<html><body>XHTML words</body></html>\r\n"
	"--outer\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Transfer-Encoding: multipart/related\r\n"
	"\r\n"
	"Broken encoding\r\n"
	"--outer\r\n"
	"Content-Type: message/rfc822\r\n"
	"\r\n"
	"From: Inner <i@example.com>\r\n"
	"Subject: folded\r\n"
	" subject\r\n"
	"\r\n"
	"Inner body\r\n"
	"--outer--\r\n"
	"The epilogue.\r\n";

static void test_sieve_body(void)
{
	static const struct {
		const char *script;
		const char *message; /* NULL: body_message */
		const char *expected;
	} cases[] = {
		{ "require [\"body\", \"fileinto\"];"
		  "if body :raw :contains \"\" { fileinto \"y\"; }",
		  "From: a@example.com\r\nSubject: no body\r\n", "keep*" },
		{ "require [\"body\", \"fileinto\"];"
		  "if body :raw :is \"\" { fileinto \"y\"; }",
		  "From: a@example.com\r\nSubject: empty body\r\n\r\n",
		  "fileinto:y" },
		/* oracle: Dovecot's html2text gives "one two  shown
		 * &<A\u00e9lt x \n> quoted\nafter\r\n" */
		{ "require [\"body\", \"fileinto\"];"
		  "if body :text :matches \"one two  shown  &<A\u00e9lt x ?> "
		  "quoted?after*\" { fileinto \"y\"; }",
		  NULL, "fileinto:y" },
		{ "require [\"body\", \"fileinto\"];"
		  "if body :text :contains [\"hidden\", \"comment\", \"script\","
		  "\"style\", \"<p>\", \"Broken\", \"prologue\", \"Inner <\"] "
		  "{ fileinto \"y\"; }",
		  NULL, "keep*" },
		{ "require [\"body\", \"fileinto\"];"
		  "if body :text :contains \"XHTML words\" { fileinto \"y\"; }",
		  NULL, "fileinto:y" },
		{ "require [\"body\", \"fileinto\"];"
		  "if body :content \"application/octet-stream\" :contains "
		  "\"Broken\" { fileinto \"y\"; }",
		  NULL, "fileinto:y" },
		{ "require [\"body\", \"fileinto\"];"
		  "if body :content \"text/plain\" :contains \"Broken\" "
		  "{ fileinto \"y\"; }",
		  NULL, "keep*" },
		{ "require [\"body\", \"fileinto\"];"
		  "if allof (body :content \"multipart\" :contains "
		  "\"The prologue.\", body :content \"multipart\" :contains "
		  "\"The epilogue.\", not body :content \"multipart\" "
		  ":contains \"--outer\") { fileinto \"y\"; }",
		  NULL, "fileinto:y" },
		{ "require [\"body\", \"fileinto\"];"
		  "if body :content \"Message/RFC822\" :matches \"From: Inner "
		  "<i@example.com>?*Subject: folded?* subject?*\" "
		  "{ fileinto \"y\"; }",
		  NULL, "fileinto:y" },
		{ "require [\"body\", \"fileinto\"];"
		  "if body :content \"message/rfc822\" :contains \"Inner body\" "
		  "{ fileinto \"y\"; }",
		  NULL, "keep*" },
		{ "require [\"body\", \"fileinto\", \"variables\"];"
		  "if header :matches \"from\" \"*@*\" {}"
		  "if body :raw :matches \"*prologue*\" "
		  "{ fileinto \"${1}-${2}\"; }",
		  NULL, "fileinto:a-example.com" },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = test_run(
			cases[i].script,
			cases[i].message != NULL ? cases[i].message :
						   body_message,
			NULL);

		if (strcmp(got, cases[i].expected) != 0)
			g_test_message("case %u: %s", i, cases[i].script);
		g_assert_cmpstr(got, ==, cases[i].expected);
	}
}

static void test_sieve_glob_capture(void)
{
	const char *caps[8];
	guint n = 0;

	g_assert_true(sieve_match_glob_capture("[*] *", "[a] [b] c", TRUE,
					       caps, G_N_ELEMENTS(caps), &n));
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpint((int)(caps[1] - caps[0]), ==, 1);
	g_assert_cmpstr(caps[2], ==, "[b] c");
	g_assert_true(sieve_match_glob_capture("?*x", "abx", TRUE, caps,
					       G_N_ELEMENTS(caps), &n));
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpint((int)(caps[3] - caps[2]), ==, 1);
	g_assert_false(sieve_match_glob_capture("a*b", "aXc", TRUE, caps,
						G_N_ELEMENTS(caps), &n));
}

/* Real-world mail (issue 10): local parts with dots out of place count
 * and match as Pigeonhole reads them; dates without a zone, with
 * two-digit years and AM/PM; a header that starts with a folded line;
 * size as the server counts it (CRLF). */
static void test_sieve_real_world(void)
{
	static const char enron[] =
		"Date: Sun, 19 Oct 1980 10:55:16\n"
		"From: e..haedicke@enron.com\n"
		"To: b..sanders@enron.com, .schuler@enron.com,\n"
		" \"Lee, Ann\" <john.@enron.com>\n"
		"Cc: (legal) x..y@enron.com, Team: a.b@enron.com, c..d@enron.com;\n"
		"Subject: Gas\n\nPlease review.\n";
	static const struct {
		const char *script;
		const char *expected;
	} cases[] = {
		{ "if address :domain :is \"from\" \"enron.com\" { discard; }",
		  "discard" },
		{ "if address :localpart :is \"to\" \".schuler\" { discard; }",
		  "discard" },
		{ "if address :all :is \"to\" \"\\\"b..sanders\\\"@enron.com\" "
		  "{ discard; }",
		  "discard" },
		{ "require [\"relational\", \"comparator-i;ascii-numeric\"];"
		  "if address :count \"eq\" :comparator \"i;ascii-numeric\" "
		  "[\"to\", \"cc\"] \"6\" { discard; }",
		  "discard" },
		{ "require [\"date\", \"variables\", \"fileinto\"];"
		  "if date :originalzone :matches \"date\" \"iso8601\" \"*\" "
		  "{ fileinto \"${1}\"; }",
		  "fileinto:1980-10-19T10:55:16+00:00" },
		/* Sending stays strict: the address as :all gives it
		 * (quoted) is valid, the unquoted form is refused. */
		{ "require \"variables\";"
		  "if address :matches \"from\" \"*\" { set \"a\" \"${1}\"; }"
		  "redirect \"${a}\";",
		  "redirect:\"e..haedicke\"@enron.com" },
		{ "require \"variables\"; set \"a\" \"b..sanders@enron.com\";"
		  "redirect \"${a}\";",
		  "ERROR invalid redirect address 'b..sanders@enron.com'" },
	};
	static const struct {
		const char *date;
		const char *iso;
	} dates[] = {
		{ "05 Jul 01 4:00:55 AM", "2001-07-05T04:00:55+00:00" },
		{ "05 Jul 01 4:00:55 PM", "2001-07-05T16:00:55+00:00" },
		{ "05 Jul 01 12:00:55 AM", "2001-07-05T00:00:55+00:00" },
		{ "Fri, 5 Jul 99 12:30 PM EDT", "1999-07-05T12:30:00-04:00" },
		{ "Mon, 3 Feb 2003 9:00 +0100", "2003-02-03T09:00:00+01:00" },
		{ "Thu, 18 Jul 0102 19:51:35 -0100", NULL },
		{ "Mon, 31 Feb 2003 09:00:00 +0100", NULL },
		{ "05 Jul 01 13:00:55 PM", NULL },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = test_run(cases[i].script, enron, NULL);

		if (strcmp(got, cases[i].expected) != 0)
			g_test_message("script %s", cases[i].script);
		g_assert_cmpstr(got, ==, cases[i].expected);
	}
	for (i = 0; i < G_N_ELEMENTS(dates); i++) {
		g_autofree char *msg = g_strdup_printf(
			"From: a@example.com\nDate: %s\n\nx\n", dates[i].date);
		g_autofree char *want =
			dates[i].iso != NULL ?
				g_strdup_printf("fileinto:%s", dates[i].iso) :
				g_strdup("keep*");
		g_autofree char *got = test_run(
			"require [\"date\", \"variables\", \"fileinto\"];"
			"if date :originalzone :matches \"date\" \"iso8601\" "
			"\"*\" { fileinto \"${1}\"; }",
			msg, NULL);

		if (strcmp(got, want) != 0)
			g_test_message("date '%s'", dates[i].date);
		g_assert_cmpstr(got, ==, want);
	}
	{
		/* Folded lines before the first field. */
		g_autofree char *got = test_run(
			"if allof (exists \"from\", header :is \"subject\" "
			"\"Leading fold\") { discard; }",
			" continued nowhere\n\tsecond\nFrom: a@example.com\n"
			"Subject: Leading fold\n\nBody.\n",
			NULL);

		g_assert_cmpstr(got, ==, "discard");
	}
	{
		/* 216 octets on disk (five LF), 221 with CRLF line ends. */
		GString *msg = g_string_new(
			"From: size@example.com\nTo: me@example.org\n"
			"Subject: Exactly 221 octets\n\n");
		g_autofree char *under = NULL, *over = NULL;

		while (msg->len + 1 < 216)
			g_string_append_c(msg, 'x');
		g_string_append_c(msg, '\n');
		g_assert_cmpuint(msg->len, ==, 216);
		under = test_run("if size :under 221 { discard; }", msg->str,
				 NULL);
		over = test_run("if size :over 220 { discard; }", msg->str,
				NULL);
		g_assert_cmpstr(under, ==, "keep*");
		g_assert_cmpstr(over, ==, "discard");
		g_string_free(msg, TRUE);
	}
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
static double test_cpu_seconds(void)
{
	return (double)clock() / CLOCKS_PER_SEC;
}

/* Hostile mail costs linear time (issue 10): each of these messages is
 * evaluated in well under a second. */
static void test_sieve_hostile_linear(void)
{
	static const char *const scripts[] = {
		"if address :is \"from\" \"x@y\" { discard; }",
		"if address :all :contains [\"to\", \"cc\"] \"nowhere\" "
		"{ discard; }",
		"require [\"relational\", \"comparator-i;ascii-numeric\"];"
		"if header :count \"eq\" :comparator \"i;ascii-numeric\" "
		"\"cc\" \"1\" { discard; }",
		"require \"body\"; if body :text :contains \"nowhere\" "
		"{ discard; }",
		"require \"body\"; if body :raw :matches \"*a*b*c*nowhere\" "
		"{ discard; }",
		"require [\"mime\", \"foreverypart\"]; foreverypart { if header "
		":mime :type \"content-type\" \"image\" { discard; } }",
	};
	GPtrArray *messages = g_ptr_array_new_with_free_func(g_free);
	GString *m;
	guint i, j;

	/* 100,000 addresses in From (the issue's quadratic case). */
	m = g_string_new("From: ");
	for (i = 0; i < 100000; i++)
		g_string_append_printf(m, "%su%u@example%u.test",
				       i > 0 ? ", " : "", i, i);
	g_string_append(m, "\nSubject: many\n\nx\n");
	g_ptr_array_add(messages, g_string_free(m, FALSE));
	/* 100,000 fields. */
	m = g_string_new("Subject: many fields\n");
	for (i = 0; i < 100000; i++)
		g_string_append_printf(m, "Cc: c%u..x@example.test\n", i);
	g_string_append(m, "\nx\n");
	g_ptr_array_add(messages, g_string_free(m, FALSE));
	/* 100,000 MIME parts. */
	m = g_string_new("Content-Type: multipart/mixed; boundary=b\n\n");
	for (i = 0; i < 100000; i++)
		g_string_append(m, "--b\nContent-Type: text/html\n\n<p>a&amp;b\n");
	g_string_append(m, "--b--\n");
	g_ptr_array_add(messages, g_string_free(m, FALSE));
	/* 4 MB of HTML made of unterminated constructs. */
	m = g_string_new("Content-Type: text/html\n\n");
	while (m->len < 4000000)
		g_string_append(m, "a<!--b&#x1 <p c=\"d&e");
	g_ptr_array_add(messages, g_string_free(m, FALSE));
	for (i = 0; i < messages->len; i++) {
		for (j = 0; j < G_N_ELEMENTS(scripts); j++) {
			double start = test_cpu_seconds();
			g_autofree char *got = test_run(
				scripts[j], g_ptr_array_index(messages, i),
				NULL);
			double spent = test_cpu_seconds() - start;

			if (spent >= test_time_limit())
				g_error("message %u, script %u: %.2f s", i, j,
					spent);
			g_assert_cmpstr(got, ==, "keep*");
		}
	}
	g_ptr_array_unref(messages);
}

/* RFC 5230 4.2: the handle a vacation derives is that of the arguments as
 * written, so a subject built from variables does not make every message
 * a new reply (the sender is answered once per period). */
static void test_sieve_vacation_handle_before_expansion(void)
{
	const char *script_text =
		"require [\"vacation\", \"variables\"];"
		"if header :matches \"subject\" \"*\" { set \"s\" \"${1}\"; }"
		"vacation :subject \"Re: ${s}\" \"Away until Monday\";";
	const char *subjects[] = { "Budget", "Travel", NULL };
	char *handles[2] = { NULL, NULL };
	sieve_script *script = test_compile(script_text);

	for (int i = 0; subjects[i] != NULL; i++) {
		g_autofree char *message = g_strdup_printf(
			"From: bob@example.com\r\nTo: dana@example.org\r\nSubject: %s\r\n\r\nHi\r\n",
			subjects[i]);
		mime_message *msg = test_parse_message(message);
		GPtrArray *actions = NULL;
		sieve_error *error = NULL;

		g_assert_cmpint(sieve_script_execute(script, msg, NULL, &actions, &error), ==, 0);
		for (guint j = 0; j < actions->len; j++) {
			const sieve_action *a = g_ptr_array_index(actions, j);

			if (a->type == SIEVE_ACTION_VACATION) {
				g_autofree char *want = g_strdup_printf("Re: %s", subjects[i]);

				g_assert_cmpstr(a->subject, ==, want);
				handles[i] = g_strdup(a->handle);
			}
		}
		g_ptr_array_unref(actions);
		mime_message_free(&msg);
	}
	g_assert_nonnull(handles[0]);
	g_assert_cmpstr(handles[0], ==, handles[1]);
	g_free(handles[0]);
	g_free(handles[1]);
	sieve_script_free(&script);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	mime_init();
	g_test_add_func("/sieve/run", test_sieve_run_cases);
	g_test_add_func("/sieve/compile-errors", test_sieve_compile_errors);
	g_test_add_func("/sieve/rule-lines", test_sieve_rule_lines);
	g_test_add_func("/sieve/remind-snooze", test_sieve_remind_snooze);
	g_test_add_func("/sieve/remind-runtime-position", test_sieve_remind_runtime_position);
	g_test_add_func("/sieve/envelope", test_sieve_envelope);
	g_test_add_func("/sieve/runtime-errors", test_sieve_runtime_errors);
	g_test_add_func("/sieve/limits", test_sieve_limits);
	g_test_add_func("/sieve/compile-file", test_sieve_compile_file);
	g_test_add_func("/sieve/glob", test_sieve_glob);
	g_test_add_func("/sieve/glob-capture", test_sieve_glob_capture);
	g_test_add_func("/sieve/header-fast-path",
			test_sieve_header_fast_path);
	g_test_add_func("/sieve/contains-padded", test_sieve_contains_padded);
	g_test_add_func("/sieve/extensions", test_sieve_extensions);
	g_test_add_func("/sieve/extension-errors",
			test_sieve_extension_errors);
	g_test_add_func("/sieve/needs-body", test_sieve_needs_body);
	g_test_add_func("/sieve/duplicate", test_sieve_duplicate);
	g_test_add_func("/sieve/include", test_sieve_include);
	g_test_add_func("/sieve/date-strict", test_sieve_date_strict);
	g_test_add_func("/sieve/addresses", test_sieve_addresses);
	g_test_add_func("/sieve/mailto", test_sieve_mailto);
	g_test_add_func("/sieve/ihave-encoded", test_sieve_ihave_encoded);
	g_test_add_func("/sieve/body", test_sieve_body);
	g_test_add_func("/sieve/vea-invite", test_sieve_invite);
	g_test_add_func("/sieve/vea-invite-errors", test_sieve_invite_errors);
	g_test_add_func("/sieve/real-world", test_sieve_real_world);
	g_test_add_func("/sieve/hostile-linear", test_sieve_hostile_linear);
	g_test_add_func("/sieve/vacation-handle-before-expansion",
			test_sieve_vacation_handle_before_expansion);
	return g_test_run();
}
