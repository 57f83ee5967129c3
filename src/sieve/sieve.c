/* The public face of the engine (sieve.h): compile = parse + validate,
 * execute = run the tree and finish the result. */

#include "sieve/sieve.h"
#include "sieve/sieve-private.h"
#include "sieve/parser.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

#include <string.h>

sieve_error *sieve_error_new(const char *file, int line, int column,
			     const char *fmt, ...)
{
	sieve_error *error = g_new0(sieve_error, 1);
	va_list args;

	error->file = g_strdup(file);
	error->line = line;
	error->column = column;
	va_start(args, fmt);
	error->message = g_strdup_vprintf(fmt, args);
	va_end(args);
	return error;
}

gboolean sieve_errors_full(const GPtrArray *errors)
{
	return errors->len >= SIEVE_MAX_ERRORS;
}

void sieve_errors_addv(GPtrArray *errors, const char *file, int line,
		       int column, const char *fmt, va_list args)
{
	sieve_error *error;

	if (sieve_errors_full(errors))
		return;
	error = g_new0(sieve_error, 1);
	error->file = g_strdup(file);
	error->line = line;
	error->column = column;
	error->message = g_strdup_vprintf(fmt, args);
	g_ptr_array_add(errors, error);
}

void sieve_errors_add(GPtrArray *errors, const char *file, int line,
		      int column, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	sieve_errors_addv(errors, file, line, column, fmt, args);
	va_end(args);
}

char *sieve_error_format(const sieve_error *error)
{
	return g_strdup_printf("%s:%d:%d: %s", error->file, error->line,
			       error->column, error->message);
}

void sieve_error_free(sieve_error *error)
{
	if (error == NULL)
		return;
	g_free(error->file);
	g_free(error->message);
	g_free(error);
}

static gint sieve_error_compare(gconstpointer a, gconstpointer b)
{
	const sieve_error *ea = *(sieve_error *const *)a;
	const sieve_error *eb = *(sieve_error *const *)b;

	if (ea->line != eb->line)
		return ea->line < eb->line ? -1 : 1;
	if (ea->column != eb->column)
		return ea->column < eb->column ? -1 : 1;
	return 0;
}

static GPtrArray *sieve_errors_new(void)
{
	return g_ptr_array_new_with_free_func(
		(GDestroyNotify)sieve_error_free);
}

int sieve_script_compile_string(const char *name, const char *text,
				size_t len, sieve_script **script_r,
				GPtrArray **errors_r)
{
	GPtrArray *errors = sieve_errors_new();
	GPtrArray *commands = NULL;
	sieve_script *script;
	gboolean needs_body = FALSE;
	int ret;

	*script_r = NULL;
	*errors_r = errors;
	if (len > SIEVE_MAX_SCRIPT_SIZE) {
		sieve_errors_add(errors, name, 1, 1,
				 "script too large (%zu bytes, max %d)", len,
				 SIEVE_MAX_SCRIPT_SIZE);
		return -1;
	}
	/* A NUL would end strings early and hide text from the reader. */
	if (memchr(text, '\0', len) != NULL) {
		const char *nul = memchr(text, '\0', len);
		int line = 1, column = 1;
		const char *p;

		for (p = text; p < nul; p++) {
			if (*p == '\n') {
				line++;
				column = 1;
			} else {
				column++;
			}
		}
		sieve_errors_add(errors, name, line, column,
				 "NUL byte in script");
		return -1;
	}

	ret = sieve_parse(name, text, len, errors, &commands);
	/* Validate even a script with syntax errors: more errors at once,
	 * unless the parse stopped early. */
	if (!sieve_errors_full(errors) &&
	    sieve_validate(name, commands, errors, &needs_body) < 0)
		ret = -1;
	if (ret < 0 || errors->len > 0) {
		/* Parser and validator find errors in different orders;
		 * readers want them in script order (the sort is stable). */
		g_ptr_array_sort(errors, sieve_error_compare);
		g_ptr_array_unref(commands);
		return -1;
	}
	script = g_new0(sieve_script, 1);
	script->file = g_strdup(name);
	script->commands = commands;
	script->needs_body = needs_body;
	*script_r = script;
	return 0;
}

int sieve_script_compile_file(const char *path, sieve_script **script_r,
			      GPtrArray **errors_r)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	GMappedFile *mapped;
	size_t len;
	int ret;

	*script_r = NULL;
	mapped = g_mapped_file_new(path, FALSE, &error);
	if (mapped == NULL) {
		*errors_r = sieve_errors_new();
		sieve_errors_add(*errors_r, path, 1, 1, "cannot read: %s",
				 error->message);
		return -1;
	}
	len = g_mapped_file_get_length(mapped);
	if (len > SIEVE_MAX_SCRIPT_SIZE) {
		g_mapped_file_unref(mapped);
		*errors_r = sieve_errors_new();
		sieve_errors_add(*errors_r, path, 1, 1,
				 "script too large (%zu bytes, max %d)", len,
				 SIEVE_MAX_SCRIPT_SIZE);
		return -1;
	}
	text = len > 0 ? g_strndup(g_mapped_file_get_contents(mapped), len) :
			 g_strdup("");
	g_mapped_file_unref(mapped);
	ret = sieve_script_compile_string(path, text, len, script_r, errors_r);
	return ret;
}

void sieve_script_free(sieve_script **script)
{
	if (*script == NULL)
		return;
	g_ptr_array_unref((*script)->commands);
	g_free((*script)->file);
	g_free(*script);
	*script = NULL;
}

gboolean sieve_script_needs_body(const sieve_script *script)
{
	return script->needs_body;
}

int sieve_script_execute(const sieve_script *script, mime_message *msg,
			 const sieve_envelope *envelope,
			 GPtrArray **actions_r, sieve_error **error_r)
{
	static const sieve_envelope no_envelope = { NULL, NULL };
	sieve_run run;

	*actions_r = NULL;
	*error_r = NULL;
	memset(&run, 0, sizeof(run));
	run.script = script;
	run.msg = msg;
	run.envelope = envelope != NULL ? envelope : &no_envelope;
	sieve_result_init(&run.result, script->file);

	if (sieve_run_commands(&run, script->commands) == SIEVE_EXEC_FAILED) {
		sieve_result_deinit(&run.result);
		*error_r = run.error != NULL ?
				   run.error :
				   sieve_error_new(script->file, 0, 0,
						   "execution failed");
		return -1;
	}
	*actions_r = sieve_result_finish(&run.result);
	sieve_result_deinit(&run.result);
	return 0;
}
