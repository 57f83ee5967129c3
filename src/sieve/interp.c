/* The interpreter: RFC 5228 section 3 control flow over the validated
 * tree. Recursion follows the tree, whose depth the parser bounded. */

#include "sieve/interp.h"
#include "sieve/sieve-private.h"

#include <string.h>

sieve_exec_status sieve_run_error(sieve_run *run, const sieve_ast_node *node,
				  const char *fmt, ...)
{
	g_autofree char *message = NULL;
	va_list args;

	if (run->error != NULL)
		return SIEVE_EXEC_FAILED;
	va_start(args, fmt);
	message = g_strdup_vprintf(fmt, args);
	va_end(args);
	run->error = sieve_error_new(run->script->file, node->line,
				     node->column, "%s", message);
	return SIEVE_EXEC_FAILED;
}

int sieve_run_test(sieve_run *run, const sieve_ast_node *test,
		   gboolean *result_r)
{
	return test->def->test(run, test, result_r);
}

sieve_exec_status sieve_run_commands(sieve_run *run, GPtrArray *commands)
{
	guint i = 0;

	while (i < commands->len) {
		const sieve_ast_node *node = g_ptr_array_index(commands, i);
		const sieve_command_def *def = node->def;
		sieve_exec_status status;

		if ((def->flags & SIEVE_CMD_BLOCK) != 0) {
			gboolean taken = TRUE;

			/* if / elsif / else (RFC 5228 section 3.1): a branch
			 * reached here runs when its test holds; then the
			 * rest of the chain is skipped. */
			if ((def->flags & SIEVE_CMD_ONE_TEST) != 0 &&
			    sieve_run_test(run,
					   g_ptr_array_index(node->tests, 0),
					   &taken) < 0)
				return SIEVE_EXEC_FAILED;
			i++;
			if (!taken)
				continue;
			status = sieve_run_commands(run, node->block);
			if (status != SIEVE_EXEC_OK)
				return status;
			while (i < commands->len) {
				const sieve_ast_node *next =
					g_ptr_array_index(commands, i);

				if ((next->def->flags &
				     SIEVE_CMD_ELSE_BRANCH) == 0)
					break;
				i++;
			}
			continue;
		}
		if (def->execute != NULL) {
			status = def->execute(run, node);
			if (status != SIEVE_EXEC_OK)
				return status;
		}
		i++;
	}
	return SIEVE_EXEC_OK;
}

gboolean sieve_match_address(sieve_match *match, sieve_address_part part,
			     const char *localpart, const char *domain,
			     const char *all)
{
	switch (part) {
	case SIEVE_ADDRESS_PART_ALL:
		return sieve_match_value(match, all);
	case SIEVE_ADDRESS_PART_LOCALPART:
		return sieve_match_value(match, localpart);
	case SIEVE_ADDRESS_PART_DOMAIN:
		/* An address without domain has no domain part to match
		 * (RFC 5228 section 2.7.4 leaves it open; Pigeonhole skips
		 * it too). */
		if (domain == NULL)
			return FALSE;
		return sieve_match_value(match, domain);
	}
	return FALSE;
}
