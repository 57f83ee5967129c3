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

/* Compile text; stack holds the paths of the including scripts (include,
 * RFC 6609), NULL at the top. */
static int sieve_compile(const char *name, const char *text, size_t len,
			 const sieve_compile_options *opts,
			 sieve_include_ctx *stack,
			 GPtrArray *errors, sieve_script **script_r)
{
	GPtrArray *commands = NULL;
	sieve_script *script;
	sieve_validate_result result;
	int ret;

	*script_r = NULL;
	memset(&result, 0, sizeof(result));
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
	    sieve_validate(name, commands, errors, opts, stack, &result) < 0)
		ret = -1;
	if (ret < 0 || errors->len > 0) {
		g_ptr_array_unref(commands);
		if (result.global_names != NULL)
			g_hash_table_destroy(result.global_names);
		return -1;
	}
	script = g_new0(sieve_script, 1);
	script->file = g_strdup(name);
	script->commands = commands;
	script->needs_body = result.needs_body;
	script->uses_variables = result.uses_variables;
	script->global_names = result.global_names;
	*script_r = script;
	return 0;
}

int sieve_script_compile_string_with_options(
	const char *name, const char *text, size_t len,
	const sieve_compile_options *opts, sieve_script **script_r,
	GPtrArray **errors_r)
{
	static const sieve_compile_options no_opts = { .personal_dir = NULL };
	GPtrArray *errors = sieve_errors_new();
	sieve_include_ctx ctx = { g_ptr_array_new(), 0 };
	int ret;

	*errors_r = errors;
	g_ptr_array_add(ctx.stack, (gpointer)name);
	ret = sieve_compile(name, text, len, opts != NULL ? opts : &no_opts,
			    &ctx, errors, script_r);
	g_ptr_array_unref(ctx.stack);
	/* Parser and validator find errors in different orders; readers
	 * want them in script order (the sort is stable). */
	if (ret < 0)
		g_ptr_array_sort(errors, sieve_error_compare);
	return ret;
}

int sieve_script_compile_string(const char *name, const char *text,
				size_t len, sieve_script **script_r,
				GPtrArray **errors_r)
{
	return sieve_script_compile_string_with_options(name, text, len, NULL,
							script_r, errors_r);
}

/* The file's text, or NULL with an error added. */
static char *sieve_read_file(const char *path, GPtrArray *errors,
			     size_t *len_r)
{
	g_autoptr(GError) error = NULL;
	GMappedFile *mapped;
	char *text;
	size_t len;

	mapped = g_mapped_file_new(path, FALSE, &error);
	if (mapped == NULL) {
		sieve_errors_add(errors, path, 1, 1, "cannot read: %s",
				 error->message);
		return NULL;
	}
	len = g_mapped_file_get_length(mapped);
	if (len > SIEVE_MAX_SCRIPT_SIZE) {
		g_mapped_file_unref(mapped);
		sieve_errors_add(errors, path, 1, 1,
				 "script too large (%zu bytes, max %d)", len,
				 SIEVE_MAX_SCRIPT_SIZE);
		return NULL;
	}
	text = len > 0 ? g_strndup(g_mapped_file_get_contents(mapped), len) :
			 g_strdup("");
	g_mapped_file_unref(mapped);
	*len_r = len;
	return text;
}

int sieve_script_compile_file_with_options(const char *path,
					   const sieve_compile_options *opts,
					   sieve_script **script_r,
					   GPtrArray **errors_r)
{
	g_autofree char *text = NULL;
	size_t len = 0;

	*script_r = NULL;
	text = sieve_read_file(path, *errors_r = sieve_errors_new(), &len);
	if (text == NULL)
		return -1;
	g_ptr_array_unref(*errors_r);
	return sieve_script_compile_string_with_options(path, text, len, opts,
							script_r, errors_r);
}

int sieve_script_compile_file(const char *path, sieve_script **script_r,
			      GPtrArray **errors_r)
{
	return sieve_script_compile_file_with_options(path, NULL, script_r,
						      errors_r);
}

sieve_script *sieve_script_compile_included(const char *path,
					    const sieve_compile_options *opts,
					    sieve_include_ctx *ctx,
					    GPtrArray *errors)
{
	g_autofree char *text = NULL;
	sieve_script *script = NULL;
	size_t len = 0;

	text = sieve_read_file(path, errors, &len);
	if (text == NULL)
		return NULL;
	ctx->n_compiled++;
	g_ptr_array_add(ctx->stack, (gpointer)path);
	(void)sieve_compile(path, text, len, opts, ctx, errors, &script);
	g_ptr_array_remove_index(ctx->stack, ctx->stack->len - 1);
	return script;
}

gboolean sieve_script_is_global(const sieve_script *script, const char *name)
{
	return script->global_names != NULL &&
	       g_hash_table_contains(script->global_names, name);
}

void sieve_script_free(sieve_script **script)
{
	if (*script == NULL)
		return;
	g_ptr_array_unref((*script)->commands);
	if ((*script)->global_names != NULL)
		g_hash_table_destroy((*script)->global_names);
	g_free((*script)->file);
	g_free(*script);
	*script = NULL;
}

gboolean sieve_script_needs_body(const sieve_script *script)
{
	return script->needs_body;
}

static void sieve_run_deinit(sieve_run *run)
{
	sieve_result_deinit(&run->result);
	if (run->vars != NULL)
		g_hash_table_destroy(run->vars);
	if (run->globals != NULL)
		g_hash_table_destroy(run->globals);
	if (run->match_values != NULL)
		g_ptr_array_unref(run->match_values);
	if (run->pending_values != NULL)
		g_ptr_array_unref(run->pending_values);
	if (run->scratch != NULL)
		g_ptr_array_unref(run->scratch);
	if (run->included_once != NULL)
		g_ptr_array_unref(run->included_once);
	if (run->dup_seen != NULL)
		g_hash_table_destroy(run->dup_seen);
	if (run->dup_marks != NULL)
		g_ptr_array_unref(run->dup_marks);
}

int sieve_script_execute_with_options(const sieve_script *script,
				      mime_message *msg,
				      const sieve_envelope *envelope,
				      const sieve_execute_options *opts,
				      GPtrArray **actions_r,
				      sieve_error **error_r)
{
	static const sieve_envelope no_envelope = { NULL, NULL };
	static const sieve_execute_options no_opts;
	sieve_run run;

	*actions_r = NULL;
	*error_r = NULL;
	memset(&run, 0, sizeof(run));
	run.script = script;
	run.msg = msg;
	run.envelope = envelope != NULL ? envelope : &no_envelope;
	run.opts = opts != NULL ? opts : &no_opts;
	run.part = -1;
	/* The clock is read by currentdate only, on first use. */
	run.now = run.opts->now;
	/* A message parsed a while ago (a batch, a benchmark) is cold;
	 * its packed header values are fetched ahead of the tests. */
	mime_message_prefetch(msg);
	run.expand = script->uses_variables;
	if (run.expand) {
		run.vars = g_hash_table_new_full(g_str_hash, g_str_equal,
						 g_free, g_free);
		run.globals = g_hash_table_new_full(g_str_hash, g_str_equal,
						    g_free, g_free);
	}
	sieve_result_init(&run.result, script->file);

	if (sieve_run_commands(&run, script->commands) == SIEVE_EXEC_FAILED) {
		*error_r = run.error != NULL ?
				   run.error :
				   sieve_error_new(script->file, 0, 0,
						   "execution failed");
		sieve_run_deinit(&run);
		return -1;
	}
	/* RFC 7352 section 3: the ids are recorded only when the script
	 * ran to its end. */
	if (run.dup_marks != NULL && run.opts->duplicate_mark != NULL) {
		guint i;

		for (i = 0; i < run.dup_marks->len; i++) {
			const sieve_dup_mark *mark =
				g_ptr_array_index(run.dup_marks, i);

			run.opts->duplicate_mark(mark->id, mark->seconds,
						 mark->last,
						 run.opts->context);
		}
	}
	*actions_r = sieve_result_finish(&run.result);
	sieve_run_deinit(&run);
	return 0;
}

int sieve_script_execute(const sieve_script *script, mime_message *msg,
			 const sieve_envelope *envelope,
			 GPtrArray **actions_r, sieve_error **error_r)
{
	return sieve_script_execute_with_options(script, msg, envelope, NULL,
						 actions_r, error_r);
}
