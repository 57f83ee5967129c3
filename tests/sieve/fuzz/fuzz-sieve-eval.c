/* libFuzzer target: evaluate(script, message). The input is a script and
 * a message separated by the first "\n\f\n" (without one, a fixed message
 * is used); the seed corpus pairs the conformance scripts with corpus
 * messages. Run-time errors are fine; crashes, leaks and undefined
 * behaviour are not. */

#include "sieve/sieve.h"
#include "mime/message.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_default_message[] =
	"From: Sender <sender@example.com>\n"
	"To: rcpt+detail@example.org\n"
	"Subject: =?utf-8?q?Fr=C3=B6p?= [list] money\n"
	"Date: Tue, 1 Apr 1997 09:06:31 -0800\n"
	"Content-Type: multipart/mixed; boundary=b\n"
	"\n"
	"--b\n"
	"Content-Type: text/plain; charset=utf-8\n"
	"\n"
	"Hi there\n"
	"--b\n"
	"Content-Type: text/html\n"
	"\n"
	"<p>click <a href=x>here</a></p>\n"
	"--b--\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mime_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n\f\n";
	const char *text = (const char *)data;
	const char *msg_text = fuzz_default_message;
	size_t script_len = size, msg_len = strlen(fuzz_default_message);
	const sieve_envelope envelope = { "sender@example.com",
					  "rcpt+detail@example.org" };
	sieve_script *script = NULL;
	GPtrArray *errors = NULL, *actions = NULL;
	sieve_error *error = NULL;
	mime_message *msg;
	char *parse_error = NULL;

	for (size_t i = 0; i + 3 <= size; i++) {
		if (memcmp(text + i, sep, 3) == 0) {
			script_len = i;
			msg_text = text + i + 3;
			msg_len = size - i - 3;
			break;
		}
	}
	if (sieve_script_compile_string("fuzz.sieve", text, script_len,
					&script, &errors) < 0) {
		g_ptr_array_unref(errors);
		return 0;
	}
	if (errors != NULL)
		g_ptr_array_unref(errors);
	msg = mime_message_parse(msg_text, msg_len, &parse_error);
	if (msg == NULL) {
		g_free(parse_error);
		sieve_script_free(&script);
		return 0;
	}
	(void)sieve_script_needs_body(script);
	if (sieve_script_execute(script, msg, &envelope, &actions, &error) < 0)
		sieve_error_free(error);
	else
		g_ptr_array_unref(actions);
	mime_message_free(&msg);
	sieve_script_free(&script);
	return 0;
}
