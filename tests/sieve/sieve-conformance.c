/* sieve-conformance: run Pigeonhole's .svtest files through vea's engine.
 *
 *   sieve-conformance [--skip-list FILE] [--root DIR] FILE.svtest...
 *
 * One line per test block on stdout:
 *   PASS <file>: <test>
 *   FAIL <file>: <test>: <reason>
 *   SKIP <file>: <test>: <reason>
 * <file> is relative to --root. The skip list (tests/sieve/skip-list) has
 * tab-separated lines "skip|xfail FILE TEST|* REASON": skip reports the
 * block skipped (it still runs when its file compiles), xfail expects it
 * to fail (Pigeonhole's failures/ files, which must fail cleanly rather
 * than crash). Exit status 1 when any block failed. */

#include "testsuite.h"
#include "mime/message.h"

#include <stdio.h>
#include <string.h>

typedef struct skip_entry {
	gboolean xfail;
	char *file;
	char *test; /* "*": every block */
	char *reason;
} skip_entry;

typedef struct file_run {
	const char *rel;
	GPtrArray *skips;  /* skip_entry * */
	GPtrArray *names;  /* blocks found in the text, in order */
	GPtrArray *seen;   /* blocks reported while running */
	guint pass, fail, skip;
} file_run;

static void skip_entry_free(gpointer data)
{
	skip_entry *e = data;

	g_free(e->file);
	g_free(e->test);
	g_free(e->reason);
	g_free(e);
}

static GPtrArray *skip_list_load(const char *path)
{
	GPtrArray *skips = g_ptr_array_new_with_free_func(skip_entry_free);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) lines = NULL;

	if (path == NULL)
		return skips;
	if (!g_file_get_contents(path, &text, NULL, &error)) {
		fprintf(stderr, "sieve-conformance: %s\n", error->message);
		exit(2);
	}
	lines = g_strsplit(text, "\n", -1);
	for (char **line = lines; *line != NULL; line++) {
		g_auto(GStrv) f = NULL;
		skip_entry *e;

		if (**line == '#' || **line == '\0')
			continue;
		f = g_strsplit(*line, "\t", 4);
		/* "todo" lines are known gaps: the block runs as usual and
		 * test_conformance.py reports it as an expected failure. */
		if (g_strv_length(f) == 4 && strcmp(f[0], "todo") == 0)
			continue;
		if (g_strv_length(f) != 4 ||
		    (strcmp(f[0], "skip") != 0 && strcmp(f[0], "xfail") != 0)) {
			fprintf(stderr, "sieve-conformance: %s: bad line: %s\n",
				path, *line);
			exit(2);
		}
		e = g_new0(skip_entry, 1);
		e->xfail = strcmp(f[0], "xfail") == 0;
		e->file = g_strdup(f[1]);
		e->test = g_strdup(f[2]);
		e->reason = g_strdup(f[3]);
		g_ptr_array_add(skips, e);
	}
	return skips;
}

static const skip_entry *skip_find(const file_run *fr, const char *test)
{
	for (guint i = 0; i < fr->skips->len; i++) {
		const skip_entry *e = g_ptr_array_index(fr->skips, i);

		if (strcmp(e->file, fr->rel) == 0 &&
		    (strcmp(e->test, "*") == 0 ||
		     (test != NULL && strcmp(e->test, test) == 0)))
			return e;
	}
	return NULL;
}

/* The test blocks of a file, by their names: top-level lines starting
 * with "test" and a quoted string (as Pigeonhole counts them). */
static GPtrArray *scan_test_names(const char *text)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (char **line = lines; *line != NULL; line++) {
		const char *p = *line;
		GString *name;

		if (strncmp(p, "test", 4) != 0)
			continue;
		p += 4;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '"')
			continue;
		name = g_string_new(NULL);
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			g_string_append_c(name, *p);
		}
		g_ptr_array_add(names, g_string_free(name, FALSE));
	}
	return names;
}

/* Blank out (keeping line numbers) the block of test "name" so that a
 * skipped block does not even have to compile: from its "test" line to
 * the matching '}', skipping strings, comments and text: literals. */
static void blank_block(char *text, const char *name)
{
	g_autofree char *head = g_strdup_printf("\"%s\"", name);
	char *start = NULL, *p;
	int depth = 0;

	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		const char *q;

		if (*p == '\n')
			p++;
		if (strncmp(p, "test", 4) != 0)
			continue;
		for (q = p + 4; *q == ' ' || *q == '\t'; q++)
			;
		if (strncmp(q, head, strlen(head)) == 0) {
			start = p;
			break;
		}
	}
	if (start == NULL)
		return;
	for (p = start; *p != '\0'; p++) {
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
			}
		} else if (*p == '#') {
			while (p[1] != '\0' && p[1] != '\n')
				p++;
		} else if (*p == '/' && p[1] == '*') {
			char *end = strstr(p + 2, "*/");

			p = end != NULL ? end + 1 : p + strlen(p) - 1;
		} else if (strncmp(p, "text:", 5) == 0) {
			char *end = strstr(p, "\n.\n");

			p = end != NULL ? end + 2 : p + strlen(p) - 1;
		} else if (*p == '{') {
			depth++;
		} else if (*p == '}' && --depth == 0) {
			break;
		}
		if (*p == '\0')
			break;
	}
	for (char *b = start; b <= p && *b != '\0'; b++) {
		if (*b != '\n')
			*b = ' ';
	}
}

static void report_line(file_run *fr, const char *test,
			testsuite_outcome outcome, const char *reason)
{
	const skip_entry *e = skip_find(fr, test);
	const char *name = test != NULL ? test : "(file)";

	if (e != NULL && !e->xfail) {
		printf("SKIP %s: %s: %s\n", fr->rel, name, e->reason);
		fr->skip++;
	} else if (e != NULL && outcome == TESTSUITE_FAIL) {
		printf("PASS %s: %s: failed as expected (%s): %s\n", fr->rel,
		       name, e->reason, reason);
		fr->pass++;
	} else if (e != NULL) {
		printf("FAIL %s: %s: expected to fail (%s) but passed\n",
		       fr->rel, name, e->reason);
		fr->fail++;
	} else if (outcome == TESTSUITE_PASS) {
		printf("PASS %s: %s\n", fr->rel, name);
		fr->pass++;
	} else {
		printf("FAIL %s: %s: %s\n", fr->rel, name, reason);
		fr->fail++;
	}
	fflush(stdout);
}

static void on_report(const char *test, testsuite_outcome outcome,
		      const char *reason, void *context)
{
	file_run *fr = context;
	g_autofree char *one_line = g_strdup(reason != NULL ? reason : "");

	g_strdelimit(one_line, "\r\n", ' ');
	g_ptr_array_add(fr->seen, g_strdup(test));
	report_line(fr, test, outcome, one_line);
}

/* Every block not reported yet gets outcome with reason. */
static void report_rest(file_run *fr, testsuite_outcome outcome,
			const char *reason)
{
	g_autoptr(GPtrArray) seen = g_ptr_array_new();

	if (fr->names->len == 0 && fr->seen->len == 0) {
		report_line(fr, NULL, outcome, reason);
		return;
	}
	for (guint i = 0; i < fr->seen->len; i++)
		g_ptr_array_add(seen, g_ptr_array_index(fr->seen, i));
	for (guint i = 0; i < fr->names->len; i++) {
		const char *name = g_ptr_array_index(fr->names, i);
		guint j;

		for (j = 0; j < seen->len; j++) {
			if (strcmp(g_ptr_array_index(seen, j), name) == 0)
				break;
		}
		if (j < seen->len) {
			g_ptr_array_remove_index(seen, j);
			continue;
		}
		report_line(fr, name, outcome, reason);
	}
}

static char *errors_summary(GPtrArray *errors)
{
	g_autofree char *first = NULL;

	if (errors == NULL || errors->len == 0)
		return g_strdup("does not compile");
	first = sieve_error_format(g_ptr_array_index(errors, 0));
	if (errors->len == 1)
		return g_strdup_printf("does not compile: %s", first);
	return g_strdup_printf("does not compile: %s (and %u more errors)",
			       first, errors->len - 1);
}

static const char *relative_path(const char *path, const char *root)
{
	size_t len = root != NULL ? strlen(root) : 0;

	if (len > 0 && strncmp(path, root, len) == 0 && path[len] == '/')
		return path + len + 1;
	return path;
}

static void run_file(const char *path, const char *root, GPtrArray *skips,
		     guint totals[3])
{
	g_autofree char *text = NULL;
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *personal = g_build_filename(dir, "included", NULL);
	g_autofree char *global = g_build_filename(dir, "included-global", NULL);
	g_autoptr(GError) error = NULL;
	sieve_compile_options opts = { .personal_dir = personal, .global_dir = global };
	sieve_script *script = NULL;
	GPtrArray *errors = NULL;
	file_run fr = { 0 };
	const skip_entry *whole;

	fr.rel = relative_path(path, root);
	fr.skips = skips;
	fr.seen = g_ptr_array_new_with_free_func(g_free);
	if (!g_file_get_contents(path, &text, NULL, &error)) {
		fr.names = g_ptr_array_new_with_free_func(g_free);
		report_rest(&fr, TESTSUITE_FAIL, error->message);
		goto out;
	}
	fr.names = scan_test_names(text);
	whole = skip_find(&fr, "*");
	if (whole != NULL && !whole->xfail) {
		report_rest(&fr, TESTSUITE_PASS, NULL);
		goto out;
	}
	/* Skipped blocks are left out of what is compiled. */
	for (guint i = 0; i < skips->len; i++) {
		const skip_entry *e = g_ptr_array_index(skips, i);

		if (!e->xfail && strcmp(e->file, fr.rel) == 0 &&
		    strcmp(e->test, "*") != 0) {
			blank_block(text, e->test);
			report_line(&fr, e->test, TESTSUITE_PASS, NULL);
			g_ptr_array_add(fr.seen, g_strdup(e->test));
		}
	}
	if (sieve_script_compile_string_with_options(
		    path, text, strlen(text), &opts, &script, &errors) < 0) {
		g_autofree char *why = errors_summary(errors);

		report_rest(&fr, TESTSUITE_FAIL, why);
	} else {
		mime_message *msg;
		const sieve_envelope *envelope;
		GPtrArray *actions = NULL;
		sieve_error *run_error = NULL;

		testsuite_begin(path, on_report, &fr, &msg, &envelope);
		if (sieve_script_execute(script, msg, envelope, &actions,
					 &run_error) < 0) {
			g_autofree char *why = sieve_error_format(run_error);
			g_autofree char *reason =
				g_strdup_printf("not reached: run-time error "
						"outside a test block: %s",
						why);

			report_rest(&fr, TESTSUITE_FAIL, reason);
			sieve_error_free(run_error);
		} else {
			report_rest(&fr, TESTSUITE_FAIL,
				    "not reached (the file stopped earlier)");
			g_ptr_array_unref(actions);
		}
		testsuite_end();
	}
out:
	printf("# %s: %u pass, %u fail, %u skip\n", fr.rel, fr.pass, fr.fail,
	       fr.skip);
	totals[0] += fr.pass;
	totals[1] += fr.fail;
	totals[2] += fr.skip;
	if (errors != NULL)
		g_ptr_array_unref(errors);
	sieve_script_free(&script);
	g_ptr_array_unref(fr.names);
	g_ptr_array_unref(fr.seen);
}

int main(int argc, char **argv)
{
	const char *skip_path = NULL, *root = NULL;
	g_autoptr(GPtrArray) skips = NULL;
	guint totals[3] = { 0, 0, 0 };
	int i, first;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--skip-list") == 0 && i + 1 < argc) {
			skip_path = argv[++i];
		} else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
			root = argv[++i];
		} else {
			fprintf(stderr, "Usage: sieve-conformance [--skip-list "
					"FILE] [--root DIR] FILE.svtest...\n");
			return 2;
		}
	}
	if (i == argc) {
		fprintf(stderr, "Usage: sieve-conformance [--skip-list FILE] "
				"[--root DIR] FILE.svtest...\n");
		return 2;
	}
	mime_init();
	sieve_registry_register(&testsuite_extension);
	skips = skip_list_load(skip_path);
	first = i;
	for (; i < argc; i++)
		run_file(argv[i], root, skips, totals);
	if (argc - first > 1)
		printf("# total: %u pass, %u fail, %u skip\n", totals[0], totals[1],
	       totals[2]);
	return totals[1] > 0 ? 1 : 0;
}
