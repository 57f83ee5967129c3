/* libFuzzer target: the script compiler (lexer, parser, validator) on
 * arbitrary bytes. Any crash, leak or undefined behaviour is a bug: a bad
 * script must only ever give errors. */

#include "sieve/sieve.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sieve_script *script = NULL;
	GPtrArray *errors = NULL;

	(void)sieve_script_compile_string("fuzz.sieve", (const char *)data,
					  size, &script, &errors);
	if (errors != NULL) {
		for (guint i = 0; i < errors->len; i++)
			g_free(sieve_error_format(g_ptr_array_index(errors, i)));
		g_ptr_array_unref(errors);
	}
	sieve_script_free(&script);
	return 0;
}
