/* bench-sieve: how fast the Sieve engine is (issue 3). Not run by make
 * check; bench_sieve.py drives it and compares with Pigeonhole.
 *
 *   bench-sieve SCRIPT DIR [SECONDS]
 *
 * Reads every file of DIR (one message each, e.g. a Maildir's cur/) and
 * prints two lines:
 *   eval <n> evaluations in <s> s: <rate>/s     (a) evaluation alone, over
 *                                               messages parsed beforehand
 *   full <n> messages in <s> s: <rate>/s        (b) read + parse + evaluate
 * each repeated for at least SECONDS (default 2), on one core.
 * BENCH_SIEVE_ONLY=eval in the environment skips the second (for
 * profiling the evaluator alone). */

#include "sieve/sieve.h"
#include "mime/message.h"

#include <stdio.h>
#include <stdlib.h>

static double now(void)
{
	return g_get_monotonic_time() / 1e6;
}

static void run_once(const sieve_script *script, mime_message *msg,
		     const sieve_envelope *envelope)
{
	GPtrArray *actions = NULL;
	sieve_error *error = NULL;

	if (sieve_script_execute(script, msg, envelope, &actions, &error) < 0)
		sieve_error_free(error);
	else
		g_ptr_array_unref(actions);
}

int main(int argc, char **argv)
{
	const sieve_envelope envelope = { "sender@example.com",
					  "me@example.org" };
	g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) msgs = NULL;
	double secs = argc > 3 ? atof(argv[3]) : 2.0, t0, t;
	sieve_script *script = NULL;
	GPtrArray *errors = NULL;
	GDir *dir;
	const char *name;
	guint64 n;

	if (argc < 3) {
		fprintf(stderr, "Usage: bench-sieve SCRIPT DIR [SECONDS]\n");
		return 2;
	}
	mime_init();
	if (sieve_script_compile_file(argv[1], &script, &errors) < 0) {
		for (guint i = 0; i < errors->len; i++) {
			g_autofree char *line = sieve_error_format(
				g_ptr_array_index(errors, i));

			fprintf(stderr, "%s\n", line);
		}
		return 1;
	}
	if (errors != NULL)
		g_ptr_array_unref(errors);
	dir = g_dir_open(argv[2], 0, NULL);
	if (dir == NULL) {
		fprintf(stderr, "bench-sieve: cannot open %s\n", argv[2]);
		return 1;
	}
	while ((name = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(paths, g_build_filename(argv[2], name, NULL));
	g_dir_close(dir);

	/* (a) evaluation alone. */
	msgs = g_ptr_array_new();
	for (guint i = 0; i < paths->len; i++) {
		g_autofree char *data = NULL;
		char *error = NULL;
		gsize len;
		mime_message *msg;

		if (!g_file_get_contents(g_ptr_array_index(paths, i), &data,
					 &len, NULL))
			continue;
		msg = mime_message_parse(data, len, &error);
		g_free(error);
		if (msg != NULL)
			g_ptr_array_add(msgs, msg);
	}
	/* One warm-up pass: header lookups the parser caches lazily count
	 * as parsing, not evaluating. */
	for (guint i = 0; i < msgs->len; i++)
		run_once(script, g_ptr_array_index(msgs, i), &envelope);
	n = 0;
	t0 = now();
	do {
		for (guint i = 0; i < msgs->len; i++)
			run_once(script, g_ptr_array_index(msgs, i), &envelope);
		n += msgs->len;
		t = now() - t0;
	} while (t < secs);
	printf("eval %" G_GUINT64_FORMAT " evaluations in %.3f s: %.0f/s\n",
	       n, t, n / t);
	for (guint i = 0; i < msgs->len; i++) {
		mime_message *msg = g_ptr_array_index(msgs, i);

		mime_message_free(&msg);
	}

	/* (b) read + parse + evaluate. */
	if (g_strcmp0(g_getenv("BENCH_SIEVE_ONLY"), "eval") == 0) {
		sieve_script_free(&script);
		return 0;
	}
	n = 0;
	t0 = now();
	do {
		for (guint i = 0; i < paths->len; i++) {
			g_autofree char *data = NULL;
			char *error = NULL;
			gsize len;
			mime_message *msg;

			if (!g_file_get_contents(g_ptr_array_index(paths, i),
						 &data, &len, NULL))
				continue;
			msg = mime_message_parse(data, len, &error);
			g_free(error);
			if (msg == NULL)
				continue;
			run_once(script, msg, &envelope);
			mime_message_free(&msg);
			n++;
		}
		t = now() - t0;
	} while (t < secs);
	printf("full %" G_GUINT64_FORMAT " messages in %.3f s: %.0f/s\n", n,
	       t, n / t);
	sieve_script_free(&script);
	return 0;
}
