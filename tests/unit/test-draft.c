/* Reply drafts (src/draft, vnd.vea draft, templates): a rule file and its
 * templates are compiled as vea loads them, run on a message, and the
 * draft composed; every draft is read back with GMime, as the executive's
 * mail client reads it, and what it shows is asserted. */
#include "draft/ai.h"
#include "draft/draft.h"
#include "sieve/sieve.h"
#include "sieve/template.h"
#include "mime/compose.h"
#include "mime/rfc2047.h"

#include <gmime/gmime.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

static char *test_dir;

/* ---- fixtures ---- */

static char *write_file(const char *name, const char *text)
{
	char *path = g_build_filename(test_dir, name, NULL);
	g_autofree char *dir = g_path_get_dirname(path);

	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static char *format_errors(GPtrArray *errors)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; errors != NULL && i < errors->len; i++) {
		g_autofree char *line = sieve_error_format(g_ptr_array_index(errors, i));

		g_string_append_printf(out, "%s\n", line);
	}
	return g_string_free(out, FALSE);
}

/* Compile rule text (file "rules.sieve" in test_dir, templates beside it);
 * NULL with *errors_r (formatted) on failure. */
static sieve_script *compile_rules(const char *text, char **errors_r)
{
	g_autofree char *path = write_file("rules.sieve", text);
	sieve_script *script = NULL;
	GPtrArray *errors = NULL;

	if (sieve_script_compile_file(path, &script, &errors) < 0) {
		*errors_r = format_errors(errors);
		g_ptr_array_unref(errors);
		return NULL;
	}
	if (errors != NULL)
		g_ptr_array_unref(errors);
	*errors_r = NULL;
	return script;
}

static mime_message *parse_message(const char *text)
{
	char *error = NULL;
	mime_message *msg = mime_message_parse(text, strlen(text), &error);

	g_assert_null(error);
	g_assert_nonnull(msg);
	return msg;
}

/* Run script on msg and hand back its draft action (the caller frees
 * the array). */
static const sieve_action *run_for_draft(sieve_script *script, mime_message *msg,
					 GPtrArray **actions_r)
{
	sieve_envelope envelope = { 0 };
	sieve_error *error = NULL;

	g_assert_cmpint(sieve_script_execute(script, msg, &envelope, actions_r, &error), ==, 0);
	for (guint i = 0; i < (*actions_r)->len; i++) {
		const sieve_action *a = g_ptr_array_index(*actions_r, i);

		if (a->type == SIEVE_ACTION_DRAFT)
			return a;
	}
	g_assert_not_reached();
	return NULL;
}

static conf_client *test_client(void)
{
	static const char *const aliases[] = { "D.Whitfield@Studio.example", NULL };
	conf_client *client = g_new0(conf_client, 1);

	client->id = g_strdup("dana");
	client->name = g_strdup("Dana Whitfield");
	client->name_given = TRUE;
	client->email = g_strdup("dana@studio.example");
	client->tz = g_time_zone_new_identifier("America/New_York");
	client->aliases = g_strdupv((char **)aliases);
	client->signature = g_strdup("Dana Whitfield\nCEO, Whitfield Studio");
	return client;
}

static void test_client_free(conf_client *client)
{
	g_free(client->id);
	g_free(client->name);
	g_free(client->email);
	g_time_zone_unref(client->tz);
	g_strfreev(client->aliases);
	g_free(client->signature);
	g_free(client->drafts);
	g_free(client);
}

/* 2026-12-01 15:00 UTC: 10:00 in New York. */
#define TEST_NOW 1796137200

static conf_assistant test_assistant = { .name = "Vi Assistant", .email = "vi@va.example" };

/* The rules, a template and a message, through to the composed draft;
 * NULL with *error_r when draft_compose refuses. */
static draft_message *make_draft_with(const char *rules, const char *tpl_name, const char *tpl,
				      const char *message, const char *body, const char *machine,
				      char **error_r)
{
	g_autofree char *tpl_file = g_strconcat("templates/", tpl_name, NULL);
	g_autofree char *tpl_path = write_file(tpl_file, tpl);
	g_autofree char *errors = NULL;
	sieve_script *script = compile_rules(rules, &errors);
	mime_message *msg = parse_message(message);
	conf_client *client = test_client();
	draft_options opts = { .client = client, .assistant = &test_assistant, .now = TEST_NOW,
			       .id = "42", .body = body, .machine = machine };
	GPtrArray *actions = NULL;
	draft_message *draft = NULL;

	g_assert_cmpstr(errors, ==, NULL);
	*error_r = NULL;
	if (draft_compose(run_for_draft(script, msg, &actions), msg, &opts, &draft, error_r) < 0)
		draft = NULL;
	g_ptr_array_unref(actions);
	mime_message_free(&msg);
	sieve_script_free(&script);
	test_client_free(client);
	return draft;
}

static draft_message *make_draft(const char *rules, const char *tpl_name, const char *tpl,
				 const char *message, char **error_r)
{
	return make_draft_with(rules, tpl_name, tpl, message, NULL, NULL, error_r);
}

static GMimeMessage *parse_back(const draft_message *draft)
{
	gsize len;
	const char *data = g_bytes_get_data(draft->bytes, &len);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);

	g_object_unref(parser);
	g_object_unref(stream);
	g_assert_nonnull(message);
	return message;
}

/* RFC 5322 2.1.1 and 2.3: CRLF only, no line over 998 octets. */
static void assert_lines_ok(const draft_message *draft)
{
	gsize len;
	const char *data = g_bytes_get_data(draft->bytes, &len);
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

static char *header_block(const draft_message *draft)
{
	gsize len;
	const char *data = g_bytes_get_data(draft->bytes, &len);
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

/* A header's text as a careful reader decodes it. */
static char *header_text(GMimeMessage *message, const char *name)
{
	GMimeHeaderList *headers = g_mime_object_get_header_list(GMIME_OBJECT(message));
	GMimeHeader *header = g_mime_header_list_get_header(headers, name);
	g_autofree char *unfolded = NULL;

	if (header == NULL)
		return NULL;
	unfolded = g_mime_utils_header_unfold(g_mime_header_get_raw_value(header));
	return mime_rfc2047_decode_text(unfolded);
}

/* The text/plain body, decoded from its transfer encoding and charset. */
static char *body_text(const draft_message *draft)
{
	gsize len;
	const char *data = g_bytes_get_data(draft->bytes, &len);
	char *error = NULL;
	mime_message *msg = mime_message_parse(data, len, &error);
	char *text;

	g_assert_nonnull(msg);
	/* Lines as a reader sees them: LF for CRLF. */
	text = g_strdup(mime_message_get_body_text(msg));
	{
		char *w = text;

		for (const char *r = text; *r != '\0'; r++) {
			if (!(*r == '\r' && r[1] == '\n'))
				*w++ = *r;
		}
		*w = '\0';
	}
	mime_message_free(&msg);
	return text;
}

static GPtrArray *addresses_of(GMimeMessage *message, GMimeAddressType type)
{
	InternetAddressList *list = g_mime_message_get_addresses(message, type);
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

	for (int i = 0; list != NULL && i < internet_address_list_length(list); i++) {
		InternetAddress *a = internet_address_list_get_address(list, i);

		g_assert_true(INTERNET_ADDRESS_IS_MAILBOX(a));
		g_ptr_array_add(out, g_strdup(internet_address_mailbox_get_addr(
					     INTERNET_ADDRESS_MAILBOX(a))));
	}
	return out;
}

static const char plain_rules[] = "require \"vnd.vea\";\ndraft \"ack\";\n";
static const char all_rules[] = "require \"vnd.vea\";\ndraft :reply \"all\" \"ack\";\n";
static const char plain_template[] = "\nThanks, ${sender.first_name}.\n";

#define MSG_HEAD                                                \
	"Date: Tue, 1 Dec 2026 09:12:00 -0500\r\n"              \
	"Message-ID: <orig.1@northwind.example>\r\n"

/* ---- templates ---- */

static void test_draft_template_variables(void)
{
	static const char rules[] =
		"require [\"vnd.vea\", \"variables\"];\n"
		"set \"deadline\" \"Friday\";\n"
		"if header :matches \"subject\" \"Board *\" { set \"topic\" \"${1}\"; }\n"
		"draft \"board-ack\";\n"
		"set \"deadline\" \"never\";\n";
	static const char tpl[] =
		"Subject: Re: ${original.subject} (${topic})\n"
		"Cc: ${assistant.name} <${assistant.email}>\n"
		"\n"
		"Hi ${sender.first_name},\n"
		"\n"
		"${executive.first_name} has your note and will reply by ${deadline}.\n"
		"Your mail of ${original.date} began \"${original.first_line}\".\n"
		"Sent ${weekday} ${today}; ${vars.deadline}; ${nosuch literal\n"
		"\n"
		"${executive.signature}\n"
		"\n"
		"${quote}";
	static const char message[] =
		"From: \"Park, Eleanor\" <eleanor.park@northwind.example>\r\n"
		"To: Dana Whitfield <dana@studio.example>\r\n"
		"Subject: Board pack for Q4\r\n" MSG_HEAD "\r\n"
		"Please read the attached pack.\r\nThanks\r\n";
	g_autofree char *error = NULL;
	g_autoptr(draft_message) draft = make_draft(rules, "board-ack", tpl, message, &error);
	g_autofree char *body = NULL;
	g_autofree char *subject = NULL;
	g_autoptr(GPtrArray) cc = NULL;
	GMimeMessage *back;

	g_assert_cmpstr(error, ==, NULL);
	back = parse_back(draft);
	subject = header_text(back, "Subject");
	g_assert_cmpstr(subject, ==, "Re: Board pack for Q4 (pack for Q4)");
	g_assert_cmpstr(draft->subject, ==, subject);
	cc = addresses_of(back, GMIME_ADDRESS_TYPE_CC);
	g_assert_cmpuint(cc->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(cc, 0), ==, "vi@va.example");
	body = body_text(draft);
	g_assert_nonnull(strstr(body, "Hi Eleanor,\n"));
	/* The value when the draft ran, not the later set. */
	g_assert_nonnull(strstr(body, "Dana has your note and will reply by Friday.\n"));
	g_assert_nonnull(strstr(body, "Your mail of Tue, 1 Dec 2026 at 09:12 began \"Please read "
				      "the attached pack.\".\n"));
	g_assert_nonnull(strstr(body, "Sent Tuesday 1 Dec 2026; Friday; ${nosuch literal\n"));
	/* The template placed the signature and the quote: once each. */
	g_assert_nonnull(strstr(body, "\nDana Whitfield\nCEO, Whitfield Studio\n\nOn Tue, 1 Dec "
				      "2026 at 09:12, Park, Eleanor <eleanor.park@northwind.example> "
				      "wrote:\n> Please read the attached pack.\n> Thanks\n"));
	g_assert_null(strstr(body, "-- \n"));
	g_object_unref(back);
}

static void test_draft_template_defaults(void)
{
	static const char message[] = "From: Bob Smith <bob@example.org>\r\n"
				      "To: dana@studio.example\r\n"
				      "Subject: lunch\r\n" MSG_HEAD "\r\n"
				      "Lunch on Friday?\r\n\r\n-- \r\nBob's signature\r\n";
	g_autofree char *error = NULL;
	g_autoptr(draft_message) draft = make_draft(plain_rules, "ack", plain_template, message,
						    &error);
	g_autofree char *body = NULL;

	g_assert_cmpstr(error, ==, NULL);
	body = body_text(draft);
	/* Signature after "-- " (RFC 3676 4.3), then the attribution and the
	 * quote, without the original's signature. */
	g_assert_cmpstr(body, ==,
			"Thanks, Bob.\n"
			"\n-- \nDana Whitfield\nCEO, Whitfield Studio\n"
			"\nOn Tue, 1 Dec 2026 at 09:12, Bob Smith <bob@example.org> wrote:\n"
			"> Lunch on Friday?\n");
	g_assert_cmpstr(draft->subject, ==, "Re: lunch");
	g_assert_cmpstr(draft->id, ==, "42");
	g_assert_true(g_str_has_prefix(draft->message_id, "vea.draft.42."));
	g_assert_true(g_str_has_suffix(draft->message_id, "@studio.example"));
}

typedef struct error_case {
	const char *rules;
	const char *tpl; /* templates/ack, or NULL: none */
	const char *expected; /* a line of the errors, with @DIR@ for test_dir */
} error_case;

static const error_case error_cases[] = {
	/* Missing: at the draft command, in the rule file. */
	{ "require \"vnd.vea\";\n\n  draft \"nosuch\";\n", NULL,
	  "@DIR@/rules.sieve:3:3: draft: template 'nosuch' cannot be read: " },
	/* Unknown variable: the template's own line and column. */
	{ "require [\"vnd.vea\", \"variables\"];\ndraft \"ack\";\n",
	  "Subject: hi\n\nHello ${sender.first_name},\n  see ${deadline}.\n",
	  "@DIR@/templates/ack:4:7: unknown variable '${deadline}': the rule file sets no "
	  "variable 'deadline' before this draft" },
	{ "require \"vnd.vea\";\ndraft \"ack\";\n", "\nHi ${sender.frist_name}\n",
	  "@DIR@/templates/ack:2:4: unknown variable '${sender.frist_name}': no such field" },
	/* Set after the draft: not known when it runs. */
	{ "require [\"vnd.vea\", \"variables\"];\ndraft \"ack\";\nset \"x\" \"1\";\n",
	  "\n${x}\n", "@DIR@/templates/ack:2:1: unknown variable '${x}'" },
	/* Without variables, no script variable exists. */
	{ "require \"vnd.vea\";\ndraft \"ack\";\n", "\n${1}\n",
	  "@DIR@/templates/ack:2:1: unknown variable '${1}'" },
	{ "require \"vnd.vea\";\ndraft \"ack\";\n", "Hi Bob,\n\nThanks.\n",
	  "@DIR@/templates/ack:1:1: not a header field" },
	{ "require \"vnd.vea\";\ndraft \"ack\";\n", "Subject: a\nBcc: x@y.example\n\nHi\n",
	  "@DIR@/templates/ack:2:1: a template cannot set 'Bcc'" },
	{ "require \"vnd.vea\";\ndraft \"../rules.sieve\";\n", NULL,
	  "@DIR@/rules.sieve:2:7: invalid template name '../rules.sieve'" },
	{ "require [\"vnd.vea\", \"variables\"];\nset \"t\" \"ack\";\ndraft \"${t}\";\n", NULL,
	  "@DIR@/rules.sieve:3:7: invalid template name '${t}'" },
	{ "require \"vnd.vea\";\ndraft :reply \"everyone\" \"ack\";\n", "\nHi\n",
	  "@DIR@/rules.sieve:2:14: draft :reply must be \"sender\" or \"all\"" },
	{ "require \"vnd.vea\";\ndraft :cc \"a@b.example, c@d.example\" \"ack\";\n", "\nHi\n",
	  "@DIR@/rules.sieve:2:11: draft :cc: 'a@b.example, c@d.example' is not one address" },
	{ "draft \"ack\";\n", "\nHi\n", "@DIR@/rules.sieve:1:1: " },
	{ "require \"vnd.vea\";\ndraft \"ack\";\n", "\nHi \xff\n",
	  "@DIR@/templates/ack:2:4: the template is not UTF-8 text" },
};

static void test_draft_template_errors(void)
{
	g_autofree char *tpl_path = g_build_filename(test_dir, "templates", "ack", NULL);
	g_autofree char *fifo = g_build_filename(test_dir, "templates", "fifo", NULL);
	g_autofree char *load_errors = NULL;
	GString *big = g_string_new("\n");

	/* Neither a FIFO (the load would wait for ever) nor a huge file. */
	g_free(write_file("templates/big", ""));
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	g_assert_null(compile_rules("require \"vnd.vea\";\ndraft \"fifo\";\n", &load_errors));
	g_assert_nonnull(strstr(load_errors, "rules.sieve:2:1: draft: template 'fifo'"));
	g_clear_pointer(&load_errors, g_free);
	while (big->len <= SIEVE_TEMPLATE_MAX_SIZE)
		g_string_append(big, "Thanks for your note.\n");
	g_free(write_file("templates/big", big->str));
	g_string_free(big, TRUE);
	g_assert_null(compile_rules("require \"vnd.vea\";\ndraft \"big\";\n", &load_errors));
	g_assert_nonnull(strstr(load_errors, "is not a file of at most 65536 bytes"));
	g_clear_pointer(&load_errors, g_free);

	for (guint i = 0; i < G_N_ELEMENTS(error_cases); i++) {
		const error_case *c = &error_cases[i];
		g_autofree char *errors = NULL;
		GString *expected = g_string_new(c->expected);
		sieve_script *script;

		g_string_replace(expected, "@DIR@", test_dir, 0);
		g_unlink(tpl_path);
		if (c->tpl != NULL)
			g_free(write_file("templates/ack", c->tpl));
		script = compile_rules(c->rules, &errors);
		if (script != NULL || strstr(errors, expected->str) == NULL)
			g_error("case %u: expected \"%s\", got:\n%s", i, expected->str,
				errors != NULL ? errors : "(compiled)");
		g_string_free(expected, TRUE);
	}
}

/* The script and its draft action do not depend on the template file once
 * compiled: the action holds the template. */
static void test_draft_sieve_action(void)
{
	static const char rules[] = "require [\"vnd.vea\", \"variables\"];\n"
				    "set \"who\" \"VA\";\n"
				    "draft :to \"x@example.org\" :subject \"Note from ${who}\" \"ack\";\n";
	g_autofree char *tpl = write_file("templates/ack", "\nHi ${who}\n");
	g_autofree char *errors = NULL;
	sieve_script *script = compile_rules(rules, &errors);
	mime_message *msg = parse_message("From: a@b.example\r\nSubject: s\r\n\r\nbody\r\n");
	GPtrArray *actions = NULL;
	const sieve_action *a;
	sieve_error *error = NULL;
	sieve_action *kept;

	g_assert_nonnull(script);
	g_unlink(tpl);
	a = run_for_draft(script, msg, &actions);
	g_assert_cmpstr(a->draft_template, ==, "ack");
	g_assert_false(a->reply_all);
	g_assert_cmpstr(a->subject, ==, "Note from VA");
	g_assert_cmpstr(a->draft_to[0], ==, "x@example.org");
	g_assert_cmpstr(a->draft_vars[0], ==, "who");
	g_assert_cmpstr(a->draft_vars[1], ==, "VA");
	/* The draft leaves the implicit keep. */
	g_assert_cmpuint(actions->len, ==, 2);
	g_assert_cmpint(((sieve_action *)g_ptr_array_index(actions, 1))->type, ==,
			SIEVE_ACTION_KEEP);
	/* The action outlives its script. */
	kept = g_ptr_array_steal_index(actions, 0);
	g_ptr_array_unref(actions);
	sieve_script_free(&script);
	g_assert_cmpstr(sieve_template_get_path(kept->template), !=, NULL);
	sieve_action_free(kept);

	/* Two drafts for one message: a run-time error, the message kept. */
	g_free(write_file("templates/ack", "\nHi\n"));
	script = compile_rules("require \"vnd.vea\";\ndraft \"ack\";\ndraft \"ack\";\n", &errors);
	g_assert_nonnull(script);
	g_assert_cmpint(sieve_script_execute(script, msg, NULL, &actions, &error), ==, -1);
	g_assert_nonnull(strstr(error->message, "more than one draft"));
	sieve_error_free(error);
	if (actions != NULL)
		g_ptr_array_unref(actions);
	sieve_script_free(&script);
	mime_message_free(&msg);
}

/* ---- recipients ---- */

static void test_draft_reply_all(void)
{
	GString *message = g_string_new("From: Eleanor Park <eleanor@northwind.example>\r\n"
					"To: Dana <DANA@studio.example>, ");
	g_autofree char *error = NULL;
	g_autoptr(draft_message) draft = NULL;
	g_autoptr(GPtrArray) to = NULL;
	g_autoptr(GPtrArray) cc = NULL;
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autofree char *headers = NULL;
	GMimeMessage *back;

	/* 150 people in To, each again in Cc in upper case, plus the
	 * executive's alias, the sender again and a group. */
	for (int i = 0; i < 150; i++)
		g_string_append_printf(message, "%sPerson %d <p%d@example.com>", i ? ", " : "", i,
				       i);
	g_string_append(message, "\r\nCc: d.whitfield@STUDIO.example, Eleanor@Northwind.example, "
				 "Board: Raj <raj@lumen.example>, dana@studio.example;");
	for (int i = 0; i < 150; i++)
		g_string_append_printf(message, ", P%d@EXAMPLE.COM", i);
	g_string_append(message, ", \"b..sanders\"@enron.example\r\nSubject: Q4\r\n" MSG_HEAD
				 "\r\nHello all\r\n");
	draft = make_draft(all_rules, "ack", plain_template, message->str, &error);
	g_string_free(message, TRUE);
	g_assert_cmpstr(error, ==, NULL);
	assert_lines_ok(draft);
	back = parse_back(draft);
	to = addresses_of(back, GMIME_ADDRESS_TYPE_TO);
	cc = addresses_of(back, GMIME_ADDRESS_TYPE_CC);
	g_assert_cmpuint(to->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(to, 0), ==, "eleanor@northwind.example");
	/* Everyone else once: the 150, Raj from the group; not Dana (email
	 * or alias, any case), not the sender again. */
	g_assert_cmpuint(cc->len, ==, 151);
	for (guint i = 0; i < cc->len; i++) {
		const char *addr = g_ptr_array_index(cc, i);

		g_assert_false(g_str_has_suffix(addr, "studio.example"));
		g_assert_cmpstr(addr, !=, "Eleanor@Northwind.example");
		g_assert_true(g_hash_table_add(seen, g_ascii_strdown(addr, -1)));
	}
	g_assert_cmpstr(g_ptr_array_index(cc, 0), ==, "p0@example.com");
	g_assert_cmpstr(g_ptr_array_index(cc, 150), ==, "raj@lumen.example");
	g_assert_cmpuint(g_strv_length(draft->cc), ==, 151);
	/* An address vea cannot write to is left out and said. */
	g_assert_cmpuint(g_strv_length(draft->dropped), ==, 1);
	headers = header_block(draft);
	g_assert_cmpint(count_fields(headers, "Bcc"), ==, 0);
	g_assert_cmpint(count_fields(headers, "Cc"), ==, 1);
	g_object_unref(back);
}

static void test_draft_recipients(void)
{
	static const char reply_to[] = "From: Bob <bob@example.org>\r\n"
				       "Reply-To: Team <team@example.org>\r\n"
				       "Sender: list-bounces@example.org\r\n"
				       "To: dana@studio.example, carol@example.org\r\n"
				       "Subject: x\r\n" MSG_HEAD "\r\nhi\r\n";
	static const char own[] = "From: Dana Whitfield <dana@studio.example>\r\n"
				  "To: Raj <raj@lumen.example>\r\n"
				  "Cc: carol@example.org, d.whitfield@studio.example\r\n"
				  "Subject: x\r\n" MSG_HEAD "\r\nhi\r\n";
	static const char nobody[] = "Subject: x\r\n\r\nhi\r\n";
	g_autofree char *error = NULL;
	draft_message *draft;

	/* Reply-To wins over From (RFC 5322 3.6.2); Sender is never used. */
	draft = make_draft(plain_rules, "ack", plain_template, reply_to, &error);
	g_assert_nonnull(draft);
	g_assert_cmpstr(draft->to[0], ==, "team@example.org");
	g_assert_null(draft->to[1]);
	g_assert_null(draft->cc[0]);
	draft_message_free(&draft);

	/* The executive's own message: the reply goes where it went. */
	draft = make_draft(all_rules, "ack", plain_template, own, &error);
	g_assert_nonnull(draft);
	g_assert_cmpstr(draft->to[0], ==, "raj@lumen.example");
	g_assert_null(draft->to[1]);
	g_assert_cmpstr(draft->cc[0], ==, "carol@example.org");
	g_assert_null(draft->cc[1]);
	draft_message_free(&draft);

	/* Explicit :to and :cc are added; the template's To too. */
	draft = make_draft("require \"vnd.vea\";\n"
			   "draft :to \"Vi <vi@va.example>\" :cc \"dana@studio.example\" \"ack\";\n",
			   "ack", "To: ${sender.address}\n\nHi\n", reply_to, &error);
	g_assert_nonnull(draft);
	g_assert_cmpstr(draft->to[0], ==, "team@example.org");
	g_assert_cmpstr(draft->to[1], ==, "vi@va.example");
	g_assert_cmpstr(draft->to[2], ==, "bob@example.org");
	g_assert_cmpstr(draft->cc[0], ==, "dana@studio.example");
	draft_message_free(&draft);

	/* A sender's name holding a comma never becomes a second recipient
	 * through a template's To. */
	draft = make_draft("require \"vnd.vea\";\ndraft \"ack\";\n", "ack",
			   "To: ${sender.name} <${sender.address}>\n\nHi\n",
			   "From: \"x@evil.example, Bob\" <bob@example.org>\r\nSubject: s\r\n\r\n"
			   "hi\r\n",
			   &error);
	g_assert_null(draft);
	g_assert_nonnull(strstr(error, "is not one address"));
	g_assert_true(g_str_has_prefix(error, "draft \"ack\": "));
	g_clear_pointer(&error, g_free);

	/* Nobody to write to. */
	draft = make_draft(plain_rules, "ack", plain_template, nobody, &error);
	g_assert_null(draft);
	g_assert_nonnull(strstr(error, "no recipient"));
}

/* ---- subject and threading ---- */

static void test_draft_subject(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Lunch", "Re: Lunch" },
		{ "Re: Lunch", "Re: Lunch" },
		{ "RE: Lunch", "Re: Lunch" },
		{ "re: Re: RE:Lunch", "Re: Lunch" },
		{ "Re[2]: Lunch", "Re: Lunch" },
		{ "Re(2): Lunch", "Re: Lunch" },
		{ "Re (2): Lunch", "Re: Re (2): Lunch" },
		{ "  Re : Lunch", "Re: Lunch" },
		{ "Fwd: Lunch", "Re: Fwd: Lunch" },
		{ "AW: Lunch", "Re: AW: Lunch" },
		{ "Regarding lunch", "Re: Regarding lunch" },
		{ "", "Re: " },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *out = draft_reply_subject(cases[i].in);

		g_assert_cmpstr(out, ==, cases[i].out);
	}
	g_assert_true(draft_subject_is_reply("RE: x"));
	g_assert_false(draft_subject_is_reply("Fwd: x"));
}

static void test_draft_subject_encoded(void)
{
	/* "Re: Lunch" as an encoded word: decoded first (RFC 2047), then it
	 * is already a reply and gets no second "Re:". */
	static const char message[] = "From: bob@example.org\r\n"
				      "Subject: =?UTF-8?B?UmU6IEx1bmNo?=\r\n" MSG_HEAD "\r\nhi\r\n";
	g_autofree char *error = NULL;
	g_autoptr(draft_message) draft = make_draft(plain_rules, "ack", plain_template, message,
						    &error);
	GMimeMessage *back = parse_back(draft);
	g_autofree char *subject = header_text(back, "Subject");

	g_assert_cmpstr(subject, ==, "Re: Lunch");
	g_object_unref(back);
}

static void test_draft_threading(void)
{
	GString *refs = g_string_new("References:");
	g_autofree char *error = NULL;
	g_autofree char *message = NULL;
	g_autofree char *irt = NULL;
	g_autofree char *references = NULL;
	g_auto(GStrv) ids = NULL;
	draft_message *draft;
	GMimeMessage *back;

	/* A long thread: the root and the newest kept, the parent last. */
	for (int i = 0; i < 40; i++)
		g_string_append_printf(refs, " <m%d@example.org>", i);
	g_string_append(refs, " <bad id@x> <\"q\"@x>");
	message = g_strdup_printf("From: bob@example.org\r\n%s\r\nSubject: x\r\n" MSG_HEAD
				  "\r\nhi\r\n",
				  refs->str);
	g_string_free(refs, TRUE);
	draft = make_draft(plain_rules, "ack", plain_template, message, &error);
	g_assert_nonnull(draft);
	back = parse_back(draft);
	irt = header_text(back, "In-Reply-To");
	g_assert_cmpstr(irt, ==, "<orig.1@northwind.example>");
	references = header_text(back, "References");
	/* Folded (RFC 5322 2.2.3): ids apart by any white space. */
	ids = g_regex_split_simple("\\s+", g_strstrip(references), 0, 0);
	g_assert_cmpuint(g_strv_length(ids), ==, MIME_COMPOSE_REFERENCES_MAX);
	g_assert_cmpstr(ids[0], ==, "<m0@example.org>");
	g_assert_cmpstr(ids[MIME_COMPOSE_REFERENCES_MAX - 2], ==, "<m39@example.org>");
	g_assert_cmpstr(ids[MIME_COMPOSE_REFERENCES_MAX - 1], ==, "<orig.1@northwind.example>");
	g_object_unref(back);
	draft_message_free(&draft);
	g_clear_pointer(&irt, g_free);
	g_clear_pointer(&references, g_free);

	/* No References, an In-Reply-To with one id: that id, then the
	 * parent (RFC 5322 3.6.4). */
	draft = make_draft(plain_rules, "ack", plain_template,
			   "From: bob@example.org\r\nIn-Reply-To: <up@example.org>\r\n"
			   "Subject: x\r\n" MSG_HEAD "\r\nhi\r\n",
			   &error);
	back = parse_back(draft);
	references = header_text(back, "References");
	g_assert_cmpstr(g_strstrip(references), ==, "<up@example.org> <orig.1@northwind.example>");
	g_object_unref(back);
	draft_message_free(&draft);
	g_clear_pointer(&references, g_free);

	/* No Message-ID: nothing to thread to. */
	draft = make_draft(plain_rules, "ack", plain_template,
			   "From: bob@example.org\r\nSubject: x\r\n\r\nhi\r\n", &error);
	back = parse_back(draft);
	g_assert_null(header_text(back, "In-Reply-To"));
	g_assert_null(header_text(back, "References"));
	/* The draft's own header: recovery and `vea drafts` find it. */
	irt = header_text(back, "X-Vea-Draft");
	g_assert_cmpstr(g_strstrip(irt), ==, "42");
	g_object_unref(back);
	draft_message_free(&draft);
}

/* ---- hostile senders ---- */

static void test_draft_hostile(void)
{
	/* From's name decodes to "Eve\r\nBcc: victim@example.net", the
	 * subject to "Hi\r\nBcc: x@example.net", Reply-To's name holds a
	 * right-to-left override, Message-ID tries to end the field. */
	static const char message[] =
		"From: =?UTF-8?B?RXZlDQpCY2M6IHZpY3RpbUBleGFtcGxlLm5ldA==?= <eve@example.org>\r\n"
		"Reply-To: \"=?UTF-8?B?4oCuZ3BqLmV4ZQ==?=\" <eve@example.org>\r\n"
		"To: dana@studio.example, \"Mallory\r\n Bcc: m@example.net\" <mal@example.org>\r\n"
		"Subject: =?UTF-8?Q?Hi=0D=0ABcc:_x@example.net?=\r\n"
		"Message-ID: <a@b>\r\n X-Evil: 1\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"\r\nReal text \xe2\x80\xae with an override\r\n";
	g_autofree char *error = NULL;
	g_autoptr(draft_message) draft = make_draft(all_rules, "ack",
						    "\nHi ${sender.name} / ${original.subject}\n",
						    message, &error);
	g_autofree char *headers = NULL;
	g_autofree char *subject = NULL;
	g_autofree char *body = NULL;
	g_autoptr(GPtrArray) to = NULL;
	g_autoptr(GPtrArray) cc = NULL;
	InternetAddressList *list;
	GMimeMessage *back;

	g_assert_cmpstr(error, ==, NULL);
	assert_lines_ok(draft);
	headers = header_block(draft);
	g_assert_cmpint(count_fields(headers, "Bcc"), ==, 0);
	g_assert_cmpint(count_fields(headers, "X-Evil"), ==, 0);
	g_assert_cmpint(count_fields(headers, "To"), ==, 1);
	g_assert_cmpint(count_fields(headers, "Subject"), ==, 1);
	back = parse_back(draft);
	to = addresses_of(back, GMIME_ADDRESS_TYPE_TO);
	cc = addresses_of(back, GMIME_ADDRESS_TYPE_CC);
	g_assert_cmpuint(to->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(to, 0), ==, "eve@example.org");
	g_assert_cmpuint(cc->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(cc, 0), ==, "mal@example.org");
	/* The override is gone from the name a client shows. */
	list = g_mime_message_get_addresses(back, GMIME_ADDRESS_TYPE_TO);
	g_assert_cmpstr(internet_address_get_name(internet_address_list_get_address(list, 0)), ==,
			"gpj.exe");
	subject = header_text(back, "Subject");
	g_assert_cmpstr(subject, ==, "Re: Hi Bcc: x@example.net");
	body = body_text(draft);
	/* One line each in the text; only the quote keeps the original. */
	g_assert_nonnull(strstr(body, "Hi Eve Bcc: victim@example.net / Hi Bcc: x@example.net\n"));
	g_assert_nonnull(strstr(body, "Eve Bcc: victim@example.net <eve@example.org> wrote:\n"
				      "> Real text \xe2\x80\xae with an override\n"));
	g_object_unref(back);
}

static void test_draft_long_subject(void)
{
	GString *message = g_string_new("From: bob@example.org\r\nSubject: ");
	g_autofree char *error = NULL;
	g_autoptr(draft_message) draft = NULL;
	g_autofree char *subject = NULL;
	GMimeMessage *back;

	for (int i = 0; i < 10000; i++)
		g_string_append_c(message, "abcdefghij"[i % 10]);
	g_string_append(message, "\r\n" MSG_HEAD "\r\nhi\r\n");
	draft = make_draft(plain_rules, "ack", "\n${original.subject}\n", message->str, &error);
	g_string_free(message, TRUE);
	g_assert_cmpstr(error, ==, NULL);
	assert_lines_ok(draft);
	back = parse_back(draft);
	subject = header_text(back, "Subject");
	g_assert_true(g_str_has_prefix(subject, "Re: abcdefghij"));
	g_assert_cmpuint(g_utf8_strlen(subject, -1), <=, MIME_COMPOSE_SUBJECT_MAX);
	g_object_unref(back);
}

static void test_draft_8bit(void)
{
	/* Hebrew, Arabic and accented Latin in 8-bit UTF-8 and encoded words. */
	static const char message[] =
		"From: =?UTF-8?B?15PXoNeZINec15XXmQ==?= <dani@example.co.il>\r\n"
		"Subject: =?UTF-8?Q?=D7=A9=D7=9C=D7=95=D7=9D_caf=C3=A9?=\r\n" MSG_HEAD
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: 8bit\r\n\r\n"
		"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 "
		"caf\xc3\xa9\r\n";
	g_autofree char *error = NULL;
	g_autoptr(draft_message) draft = make_draft(plain_rules, "ack",
						    "\n\xc3\x80 bient\xc3\xb4t, ${sender.first_name}\n",
						    message, &error);
	g_autofree char *subject = NULL;
	g_autofree char *body = NULL;
	g_autofree char *headers = NULL;
	GMimeMessage *back;
	gsize len;
	const guchar *data;

	g_assert_cmpstr(error, ==, NULL);
	/* Nothing 8-bit on the wire: encoded words and a transfer encoding. */
	data = g_bytes_get_data(draft->bytes, &len);
	for (gsize i = 0; i < len; i++)
		g_assert_cmpuint(data[i], <, 0x80);
	headers = header_block(draft);
	g_assert_nonnull(strstr(headers, "charset=utf-8"));
	back = parse_back(draft);
	subject = header_text(back, "Subject");
	g_assert_cmpstr(subject, ==, "Re: \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d caf\xc3\xa9");
	body = body_text(draft);
	g_assert_true(g_str_has_prefix(body, "\xc3\x80 bient\xc3\xb4t, \xd7\x93\xd7\xa0\xd7\x99\n"));
	g_assert_nonnull(strstr(body, "> \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd9\x85\xd8\xb1\xd8\xad"
				      "\xd8\xa8\xd8\xa7 caf\xc3\xa9\n"));
	g_object_unref(back);
}

/* ---- pieces ---- */

static void test_draft_first_name(void)
{
	static const struct {
		const char *name, *addr, *out;
	} cases[] = {
		{ "Bob Smith", "bob@x.example", "Bob" },
		{ "Smith, Bob", "bob@x.example", "Bob" },
		{ "\"Bob\"", "b@x.example", "Bob" },
		{ "", "bob.smith@x.example", "Bob" },
		{ "bob@x.example", "bob@x.example", "Bob" },
		{ NULL, "élodie_martin@x.example", "Élodie" },
		{ "\xe2\x80\xae Eve", "e@x.example", "Eve" },
		{ "", "", "" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *out = draft_first_name(cases[i].name, cases[i].addr);

		g_assert_cmpstr(out, ==, cases[i].out);
	}
}

static void test_draft_quote_limits(void)
{
	GString *message = g_string_new("From: bob@example.org\r\nSubject: x\r\n\r\n");
	g_autofree char *error = NULL;
	g_autoptr(draft_message) draft = NULL;
	g_autofree char *body = NULL;
	guint quoted = 0;
	g_auto(GStrv) lines = NULL;

	for (int i = 0; i < 500; i++)
		g_string_append_printf(message, "%sline %d\r\n", i % 7 == 0 ? "> " : "", i);
	draft = make_draft(plain_rules, "ack", plain_template, message->str, &error);
	g_string_free(message, TRUE);
	body = body_text(draft);
	lines = g_strsplit(body, "\n", -1);
	for (char **l = lines; *l != NULL; l++)
		quoted += **l == '>';
	g_assert_cmpuint(quoted, ==, DRAFT_QUOTE_MAX_LINES + 1);
	/* No Date: the attribution says who, not when. */
	g_assert_nonnull(strstr(body, "\nbob@example.org wrote:\n>> line 0\n> line 1\n"));
	g_assert_nonnull(strstr(body, "> [… quoted text trimmed by vea]\n"));
}

/* ---- configuration ---- */

static void test_draft_conf(void)
{
	g_autofree char *rules = write_file("conf/dana.sieve", "keep;\n");
	g_autofree char *sig = write_file("conf/sig.txt", "Dana\nWhitfield Studio\n");
	g_autofree char *path = write_file("conf/vea.conf",
					   "[client:dana]\n"
					   "email = dana@studio.example\n"
					   "timezone = UTC\n"
					   "rules = dana.sieve\n"
					   "aliases = d.whitfield@studio.example, dana@home.example\n"
					   "signature_file = sig.txt\n"
					   "drafts = Brouillons\n"
					   "[client:marco]\n"
					   "name = Marco\n"
					   "timezone = UTC\n"
					   "signature = Marco\\nRossi\n"
					   "[client:bad]\n"
					   "timezone = UTC\n"
					   "aliases = nobody\n"
					   "signature = x\n"
					   "signature_file = sig.txt\n");
	GPtrArray *errors = NULL;
	conf *config = NULL;
	conf_client *dana;
	g_autofree char *joined = NULL;

	g_assert_cmpint(conf_load(path, &config, &errors), ==, -1);
	g_assert_cmpuint(errors->len, ==, 2);
	g_ptr_array_add(errors, NULL);
	joined = g_strjoinv("\n", (char **)errors->pdata);
	g_assert_nonnull(strstr(joined, "vea.conf:14: alias 'nobody' is not an address"));
	g_assert_nonnull(strstr(joined, "vea.conf:16: signature and signature_file: set one"));
	g_ptr_array_unref(errors);
	errors = NULL;

	g_free(path);
	path = write_file("conf/vea.conf", "[client:dana]\n"
					   "email = dana@studio.example\n"
					   "timezone = UTC\n"
					   "aliases = d.whitfield@studio.example, dana@home.example\n"
					   "signature_file = sig.txt\n"
					   "drafts = Brouillons\n"
					   "[client:marco]\n"
					   "name = Marco\n"
					   "timezone = UTC\n"
					   "signature = Marco\\nRossi\n");
	g_assert_cmpint(conf_load(path, &config, &errors), ==, 0);
	dana = conf_find_client(config, "dana");
	g_assert_false(dana->name_given);
	g_assert_cmpuint(g_strv_length(dana->aliases), ==, 2);
	g_assert_cmpstr(dana->aliases[1], ==, "dana@home.example");
	g_assert_cmpstr(dana->signature, ==, "Dana\nWhitfield Studio\n");
	g_assert_cmpstr(dana->drafts, ==, "Brouillons");
	g_assert_true(conf_find_client(config, "marco")->name_given);
	g_assert_cmpstr(conf_find_client(config, "marco")->signature, ==, "Marco\nRossi");
	g_assert_cmpuint(g_strv_length(conf_find_client(config, "marco")->aliases), ==, 0);
	conf_free(&config);
}

/* The sample rules and templates in rules/ compile together. */
static void test_draft_samples(void)
{
	g_autofree char *path = g_build_filename(VEA_TEST_SRCDIR, "rules", "drafts.sieve", NULL);
	sieve_script *script = NULL;
	GPtrArray *errors = NULL;

	if (sieve_script_compile_file(path, &script, &errors) < 0) {
		g_autofree char *text = format_errors(errors);

		g_error("%s", text);
	}
	if (errors != NULL)
		g_ptr_array_unref(errors);
	sieve_script_free(&script);
}

/* ---- AI drafting (ai.h): the body from elsewhere, the JSON ---- */

static void test_draft_ai_body(void)
{
	static const char message[] = "From: Bob Smith <bob@northwind.example>\r\n"
				      "To: dana@studio.example\r\nSubject: Lunch?\r\n" MSG_HEAD
				      "\r\nAre you free?\r\n";
	/* The template places the quote and the signature; a given body
	 * replaces the template's text, and both still follow it. */
	static const char tpl[] = "Subject: Lunch\n\nHi ${sender.first_name}.\n${quote}\n";
	static const char answer[] = "To: x@evil.example\nSubject: pwned\n\nThursday works.\x07\n";
	g_autofree char *error = NULL;
	g_autoptr(draft_message) draft = make_draft_with(plain_rules, "ack", tpl, message, answer,
							 "local\r\nBcc: x@evil.example", &error);
	g_autofree char *headers = NULL, *body = NULL, *machine = NULL, *subject = NULL;
	g_autoptr(GPtrArray) to = NULL;
	GMimeMessage *back;

	g_assert_cmpstr(error, ==, NULL);
	assert_lines_ok(draft);
	headers = header_block(draft);
	g_assert_cmpint(count_fields(headers, "Bcc"), ==, 0);
	g_assert_cmpint(count_fields(headers, "X-Vea-Draft-Machine"), ==, 1);
	back = parse_back(draft);
	machine = header_text(back, "X-Vea-Draft-Machine");
	g_assert_cmpstr(machine, ==, "local Bcc: x@evil.example");
	subject = header_text(back, "Subject");
	g_assert_cmpstr(subject, ==, "Lunch");
	to = addresses_of(back, GMIME_ADDRESS_TYPE_TO);
	g_assert_cmpuint(to->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(to, 0), ==, "bob@northwind.example");
	body = body_text(draft);
	g_assert_true(g_str_has_prefix(body, "To: x@evil.example\nSubject: pwned\n\nThursday works.\n"
					     "\n-- \nDana Whitfield\nCEO, Whitfield Studio\n\n"));
	g_assert_nonnull(strstr(body, "wrote:\n> Are you free?\n"));
	g_assert_null(strstr(body, "Hi Bob."));
	g_assert_null(strchr(body, '\x07'));
	g_object_unref(back);
}

static void test_draft_ai_instructions(void)
{
	static const char message[] = "From: Bob Smith <bob@northwind.example>\r\n"
				      "To: dana@studio.example\r\nSubject: Lunch?\r\n" MSG_HEAD
				      "\r\nAre you free?\r\n";
	g_autofree char *tpl_path = write_file("templates/ack", "\nHi ${sender.first_name}.\n${quote}\n");
	g_autofree char *errors = NULL, *error = NULL, *text = NULL;
	sieve_script *script = compile_rules(plain_rules, &errors);
	mime_message *msg = parse_message(message);
	conf_client *client = test_client();
	draft_options opts = { .client = client, .now = TEST_NOW };
	GPtrArray *actions = NULL;

	g_assert_cmpstr(errors, ==, NULL);
	text = draft_instructions(run_for_draft(script, msg, &actions), msg, &opts, &error);
	g_assert_cmpstr(error, ==, NULL);
	/* Expanded; no quote and no signature: the model sees the message
	 * apart, and vea adds the signature. */
	g_assert_cmpstr(text, ==, "Hi Bob.");
	g_ptr_array_unref(actions);
	mime_message_free(&msg);
	sieve_script_free(&script);
	test_client_free(client);
}

static void test_draft_ai_clean(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Hello\r\nworld\r\n", "Hello\nworld" },
		{ "\n\n  \nHi\tthere\x1b[1m\x7f\n\n", "Hi there[1m" },
		{ "a\xe2\x80\xae" "b\xe2\x80\x8f" "c", "abc" }, /* RLO, RLM */
		{ "bad \xff\xfe utf-8", "bad \xef\xbf\xbd\xef\xbf\xbd utf-8" },
		{ "", "" },
	};
	GString *big = g_string_new(NULL);
	g_autofree char *cut = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *out = draft_ai_clean_answer(cases[i].in);

		g_assert_cmpstr(out, ==, cases[i].out);
	}
	for (int i = 0; i < DRAFT_AI_ANSWER_MAX; i++)
		g_string_append(big, "\xc3\xa9"); /* two bytes each */
	cut = draft_ai_clean_answer(big->str);
	g_assert_cmpuint(strlen(cut), <=, DRAFT_AI_ANSWER_MAX);
	g_assert_true(g_utf8_validate(cut, -1, NULL));
	g_string_free(big, TRUE);
}

static void test_draft_ai_message_text(void)
{
	GString *body = g_string_new(NULL);
	g_autofree char *small = NULL, *cut = NULL;

	small = draft_ai_message_text("Bob <bob@x.example>", "Tue, 1 Dec 2026", "Lunch\r\nBcc: x",
				      "Hi\r\nthere\0", 8192);
	g_assert_cmpstr(small, ==, "From: Bob <bob@x.example>\nDate: Tue, 1 Dec 2026\n"
				   "Subject: Lunch Bcc: x\n\nHi\nthere");
	for (int i = 0; i < 3000; i++)
		g_string_append(body, "\xc3\xa9t\xc3\xa9 ");
	cut = draft_ai_message_text("Bob", NULL, "S", body->str, 1000);
	g_assert_cmpuint(strlen(cut), <=, 1000);
	g_assert_true(g_utf8_validate(cut, -1, NULL));
	g_assert_true(g_str_has_suffix(cut, "[... the rest of the message was cut by vea]\n"));
	g_string_free(body, TRUE);
}

static void test_draft_ai_parse(void)
{
	static const struct {
		const char *json;
		const char *content; /* NULL: refused */
		const char *reason;
		gboolean truncated;
	} cases[] = {
		{ "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
		  "\"content\":\"Thursday works.\\r\\n\"},\"finish_reason\":\"stop\"}]}",
		  "Thursday works.", NULL, FALSE },
		{ "{\"choices\":[{\"message\":{\"content\":\"Thurs\"},\"finish_reason\":\"length\"}]}",
		  "Thurs", NULL, TRUE },
		{ "{\"choices\":[{\"message\":{\"content\":\"x\"},\"finish_reason\":null}]}", "x", NULL, FALSE },
		{ "{\"choices\":[{\"message\":{\"content\":\"x\"},\"finish_reason\":[1]}]}", "x", NULL, FALSE },
		{ "{\"choices\":[]}", NULL, "no choices", FALSE },
		{ "{\"choices\":[{\"message\":{\"content\":null}}]}", NULL, "content text", FALSE },
		{ "{\"choices\":[{\"message\":{\"content\":42}}]}", NULL, "content text", FALSE },
		{ "{\"choices\":[{\"message\":{\"content\":\" \\n \"}}]}", NULL, "empty", FALSE },
		{ "[1,2]", NULL, "no JSON object", FALSE },
		{ "{\"error\":\"x\"}", NULL, "no choices", FALSE },
		{ "<html>not json", NULL, "not JSON", FALSE },
		{ "", NULL, "not", FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *reason = NULL;
		gboolean truncated = FALSE;
		g_autofree char *content = draft_ai_parse_answer(cases[i].json, strlen(cases[i].json),
								 &truncated, &reason);

		g_assert_cmpstr(content, ==, cases[i].content);
		if (content != NULL)
			g_assert_cmpint(truncated, ==, cases[i].truncated);
		if (cases[i].reason != NULL) {
			g_assert_nonnull(reason);
			g_assert_nonnull(strstr(reason, cases[i].reason));
		}
		g_free(reason);
	}
}

static void test_draft_ai_deep(void)
{
	GString *deep = g_string_new(NULL);
	char *reason = NULL;
	g_autofree char *content = NULL;

	for (int i = 0; i < 200000; i++)
		g_string_append_c(deep, '[');
	content = draft_ai_parse_answer(deep->str, deep->len, NULL, &reason);
	g_assert_null(content);
	g_assert_nonnull(strstr(reason, "nested too deep"));
	g_free(reason);
	g_string_free(deep, TRUE);
}

static void test_draft_ai_request(void)
{
	conf_ai ai = { .url = (char *)"http://127.0.0.1:1/v1/chat/completions",
		       .model = (char *)"llama \"3\"", .timeout = 5, .max_input = 1024 };
	draft_ai_input input = { .executive = "Dana", .instructions = "Say yes.",
				 .style_notes = "Brief.", .message = "From: Bob\n\nIgnore \"all\"\x01" };
	g_autofree char *json = draft_ai_request_json(&ai, &input);
	char *reason = NULL;
	g_autofree char *none = NULL;

	/* json-glib wrote it: quotes and controls escaped, valid JSON. */
	g_assert_nonnull(strstr(json, "\"model\":\"llama \\\"3\\\"\""));
	/* 0.3 as a double: json-glib may print its 17 digits. */
	g_assert_true(strstr(json, "\"temperature\":0.3") != NULL ||
		      strstr(json, "\"temperature\":0.2999") != NULL);
	g_assert_nonnull(strstr(json, "\"stream\":false"));
	g_assert_nonnull(strstr(json, "Say yes."));
	g_assert_nonnull(strstr(json, "Brief."));
	g_assert_nonnull(strstr(json, "<<<MESSAGE\\nFrom: Bob\\n\\nIgnore \\\"all\\\"\\u0001\\nMESSAGE>>>"));
	/* Nothing listens on port 1: a reason, no body. */
	none = draft_ai_write(&ai, &input, NULL, &reason);
	g_assert_null(none);
	g_assert_nonnull(reason);
	g_free(reason);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	mime_init();
	test_dir = g_dir_make_tmp("vea-test-draft-XXXXXX", NULL);
	g_assert_nonnull(test_dir);
	g_test_add_func("/draft/template/variables", test_draft_template_variables);
	g_test_add_func("/draft/template/defaults", test_draft_template_defaults);
	g_test_add_func("/draft/template/errors", test_draft_template_errors);
	g_test_add_func("/draft/sieve-action", test_draft_sieve_action);
	g_test_add_func("/draft/reply-all", test_draft_reply_all);
	g_test_add_func("/draft/recipients", test_draft_recipients);
	g_test_add_func("/draft/subject", test_draft_subject);
	g_test_add_func("/draft/subject-encoded", test_draft_subject_encoded);
	g_test_add_func("/draft/threading", test_draft_threading);
	g_test_add_func("/draft/hostile", test_draft_hostile);
	g_test_add_func("/draft/long-subject", test_draft_long_subject);
	g_test_add_func("/draft/8bit", test_draft_8bit);
	g_test_add_func("/draft/first-name", test_draft_first_name);
	g_test_add_func("/draft/quote-limits", test_draft_quote_limits);
	g_test_add_func("/draft/conf", test_draft_conf);
	g_test_add_func("/draft/samples", test_draft_samples);
	g_test_add_func("/draft/ai/body", test_draft_ai_body);
	g_test_add_func("/draft/ai/instructions", test_draft_ai_instructions);
	g_test_add_func("/draft/ai/clean", test_draft_ai_clean);
	g_test_add_func("/draft/ai/message-text", test_draft_ai_message_text);
	g_test_add_func("/draft/ai/parse", test_draft_ai_parse);
	g_test_add_func("/draft/ai/request", test_draft_ai_request);
	g_test_add_func("/draft/ai/deep", test_draft_ai_deep);
	ret = g_test_run();
	{
		g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", test_dir);

		if (system(cmd) != 0)
			ret = 1;
	}
	g_free(test_dir);
	return ret;
}
