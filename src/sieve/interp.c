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

		/* A block command with its own execute runs its block
		 * itself (the testsuite's test). */
		if ((def->flags & SIEVE_CMD_BLOCK) != 0 && def->execute == NULL) {
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

const char *const *sieve_run_header_values(sieve_run *run, const char *name)
{
	return mime_message_get_header_values(run->msg, name);
}

const GPtrArray *sieve_run_addresses(sieve_run *run, const char *name)
{
	return mime_message_get_addresses(run->msg, name);
}

const char *const *sieve_run_header_values_id(sieve_run *run,
					      const char *name, int id)
{
	if (id < 0)
		return sieve_run_header_values(run, name);
	return mime_message_get_header_values_by_id(run->msg, id);
}

const GPtrArray *sieve_run_addresses_id(sieve_run *run, const char *name,
					int id)
{
	if (id < 0)
		return sieve_run_addresses(run, name);
	return mime_message_get_addresses_by_id(run->msg, id);
}

const char *const *sieve_store_data_flags(sieve_run *run,
					  const sieve_store_data *data)
{
	char *const *lists;
	char **flags;

	/* RFC 5232 section 3: without :flags, the internal variable. */
	if (!data->has_flags)
		return sieve_result_get_flags(&run->result);
	lists = sieve_run_strv(run, data->flag_lists);
	if (lists == data->flag_lists)
		return (const char *const *)data->flags;
	flags = sieve_flags_normalize(lists);
	if (flags == NULL)
		return NULL;
	sieve_run_keep(run, (char *)flags);
	for (lists = flags; *lists != NULL; lists++)
		sieve_run_keep(run, *lists);
	return (const char *const *)flags;
}

void sieve_dup_mark_free(gpointer data)
{
	sieve_dup_mark *mark = data;

	g_free(mark->id);
	g_free(mark);
}

char *sieve_run_keep(sieve_run *run, char *str)
{
	if (run->scratch == NULL)
		run->scratch = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(run->scratch, str);
	return str;
}

static gboolean sieve_is_identifier(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || g_ascii_isdigit(s[0]))
		return FALSE;
	for (i = 0; i < len; i++) {
		if (!g_ascii_isalnum(s[i]) && s[i] != '_')
			return FALSE;
	}
	return TRUE;
}

static GHashTable *sieve_run_scope(sieve_run *run, const char **name)
{
	if (g_ascii_strncasecmp(*name, "global.", 7) == 0) {
		*name += 7;
		return run->globals;
	}
	return run->vars;
}

const char *sieve_run_get_variable(sieve_run *run, const char *name)
{
	char buf[128];
	GHashTable *scope = sieve_run_scope(run, &name);
	const char *value;
	size_t len = strlen(name), i;

	if (len >= sizeof(buf))
		return NULL;
	for (i = 0; i <= len; i++)
		buf[i] = g_ascii_tolower(name[i]);
	/* A name declared "global" in this script lives in the global
	 * scope (RFC 6609 section 3.4). */
	if (scope == run->vars && sieve_script_is_global(run->script, buf))
		scope = run->globals;
	value = g_hash_table_lookup(scope, buf);
	return value;
}

int sieve_run_set_variable(sieve_run *run, const sieve_ast_node *node,
			   const char *name, const char *value)
{
	GHashTable *scope = sieve_run_scope(run, &name);
	char *key = g_ascii_strdown(name, -1);
	size_t len = strlen(value);

	if (scope == run->vars && sieve_script_is_global(run->script, key))
		scope = run->globals;
	if (g_hash_table_size(scope) >= SIEVE_MAX_VARIABLES &&
	    !g_hash_table_contains(scope, key)) {
		g_free(key);
		sieve_run_error(run, node, "too many variables (max %d)",
				SIEVE_MAX_VARIABLES);
		return -1;
	}
	if (len > SIEVE_MAX_VARIABLE_SIZE) {
		const char *end = value + SIEVE_MAX_VARIABLE_SIZE;

		/* Cut at a character boundary. */
		while (end > value && (*end & 0xc0) == 0x80)
			end--;
		len = end - value;
	}
	g_hash_table_insert(scope, key, g_strndup(value, len));
	return 0;
}

/* RFC 5229 section 3: variable-ref = "${" [namespace] variable-name "}".
 * A reference that does not parse stays as it is. */
static gboolean sieve_expand_ref(sieve_run *run, const char *p, GString *out,
				 const char **end_r)
{
	const char *start = p + 2, *q = start, *value;
	char name[128];
	size_t len;

	while (g_ascii_isalnum(*q) || *q == '_' || *q == '.')
		q++;
	if (*q != '}' || q == start)
		return FALSE;
	len = q - start;
	if (len >= sizeof(name))
		return FALSE;
	memcpy(name, start, len);
	name[len] = '\0';
	*end_r = q + 1;
	if (g_ascii_isdigit(name[0])) {
		guint64 n;
		size_t i;

		for (i = 0; i < len; i++) {
			if (!g_ascii_isdigit(name[i]))
				return FALSE;
		}
		n = g_ascii_strtoull(name, NULL, 10);
		/* Unset match variables are empty (section 3.2). */
		if (run->match_values != NULL && n < run->match_values->len)
			g_string_append(out, g_ptr_array_index(
						     run->match_values, n));
		return TRUE;
	}
	{
		/* namespace: "global." (RFC 5229 3) and vnd.vea's "invite."
		 * (read only); the parts must all be identifiers. */
		const char *dot = strchr(name, '.');

		if (dot != NULL && g_ascii_strncasecmp(name, "invite.", 7) == 0 &&
		    sieve_is_identifier(name + 7, len - 7)) {
			const sieve_invitation *inv = sieve_run_invitation(run);
			const char *field = name + 7, *text = NULL;

			if (inv != NULL) {
				if (g_ascii_strcasecmp(field, "summary") == 0)
					text = inv->summary;
				else if (g_ascii_strcasecmp(field, "start") == 0)
					text = inv->start;
				else if (g_ascii_strcasecmp(field, "organizer") == 0)
					text = inv->organizer;
				else if (g_ascii_strcasecmp(field, "conflict") == 0)
					text = inv->conflict;
				else if (g_ascii_strcasecmp(field, "method") == 0)
					text = inv->method;
			}
			if (text != NULL)
				g_string_append(out, text);
			return TRUE;
		}
		if (dot != NULL) {
			if (g_ascii_strncasecmp(name, "global.", 7) != 0 ||
			    !sieve_is_identifier(name + 7, len - 7))
				return FALSE;
		} else if (!sieve_is_identifier(name, len)) {
			return FALSE;
		}
	}
	value = sieve_run_get_variable(run, name);
	if (value != NULL)
		g_string_append(out, value);
	return TRUE;
}

const char *sieve_run_str_expand(sieve_run *run, const char *str)
{
	const char *p = str, *dollar;
	GString *out;

	if (!run->expand || (dollar = strstr(str, "${")) == NULL)
		return str;
	out = g_string_sized_new(strlen(str) + 32);
	while (dollar != NULL) {
		const char *end;

		g_string_append_len(out, p, dollar - p);
		if (sieve_expand_ref(run, dollar, out, &end)) {
			p = end;
		} else {
			g_string_append_c(out, '$');
			p = dollar + 1;
		}
		if (out->len > SIEVE_MAX_STRING_LEN) {
			g_string_truncate(out, SIEVE_MAX_STRING_LEN);
			return sieve_run_keep(run, g_string_free(out, FALSE));
		}
		dollar = strstr(p, "${");
	}
	g_string_append(out, p);
	return sieve_run_keep(run, g_string_free(out, FALSE));
}

char *const *sieve_run_strv_expand(sieve_run *run, char *const *strv)
{
	char **copy;
	guint i, n;

	if (!run->expand || strv == NULL)
		return strv;
	for (n = 0; strv[n] != NULL; n++) {
		if (strstr(strv[n], "${") != NULL)
			break;
	}
	if (strv[n] == NULL)
		return strv;
	n = g_strv_length((char **)strv);
	copy = g_new(char *, n + 1);
	for (i = 0; i < n; i++)
		copy[i] = (char *)sieve_run_str(run, strv[i]);
	copy[n] = NULL;
	sieve_run_keep(run, (char *)copy);
	return copy;
}

void sieve_run_match_init(sieve_run *run, sieve_match *match,
			  const sieve_match_spec *spec, char *const *keys,
			  void *const *regexes)
{
	char *const *expanded = sieve_run_strv(run, keys);

	sieve_match_init(match, spec, expanded);
	/* Keys that were expanded have no compiled form. */
	match->regexes = expanded == keys ? regexes : NULL;
	if (run->expand &&
	    (spec->type == SIEVE_MATCH_MATCHES ||
	     spec->type == SIEVE_MATCH_REGEX)) {
		if (run->pending_values == NULL)
			run->pending_values =
				g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_set_size(run->pending_values, 0);
		match->values = run->pending_values;
	}
}

int sieve_run_match_end(sieve_run *run, const sieve_ast_node *node,
			sieve_match *match, gboolean matched,
			gboolean *result_r)
{
	if (match->error != NULL) {
		sieve_run_error(run, node, "%s", match->error);
		sieve_match_deinit(match);
		return -1;
	}
	if (!matched && match->spec->type == SIEVE_MATCH_COUNT)
		matched = sieve_match_finish(match);
	/* RFC 5229 section 3.2: match variables change only when the test
	 * succeeds. */
	if (matched && match->values != NULL && match->values->len > 0) {
		GPtrArray *tmp = run->match_values;

		run->match_values = run->pending_values;
		run->pending_values = tmp;
	}
	sieve_match_deinit(match);
	*result_r = matched;
	return 0;
}

int sieve_run_match_values(sieve_run *run, const sieve_ast_node *node,
			   const sieve_match_spec *spec, char *const *keys,
			   void *const *regexes, const char *const *values,
			   gboolean *result_r)
{
	sieve_match match;
	gboolean matched = FALSE;

	sieve_run_match_init(run, &match, spec, keys, regexes);
	for (; *values != NULL && !matched; values++)
		matched = sieve_match_value(&match, *values);
	return sieve_run_match_end(run, node, &match, matched, result_r);
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
	case SIEVE_ADDRESS_PART_USER:
	case SIEVE_ADDRESS_PART_DETAIL: {
		/* RFC 5233 section 4: the separator is '+'; the user is what
		 * precedes the first one; without one there is no detail
		 * (the test does not match it at all). */
		const char *plus = strchr(localpart, '+');
		char buf[512];
		size_t len;

		if (part == SIEVE_ADDRESS_PART_DETAIL)
			return plus != NULL && sieve_match_value(match,
								 plus + 1);
		if (plus == NULL)
			return sieve_match_value(match, localpart);
		len = MIN((size_t)(plus - localpart), sizeof(buf) - 1);
		memcpy(buf, localpart, len);
		buf[len] = '\0';
		return sieve_match_value(match, buf);
	}
	}
	return FALSE;
}

const sieve_invitation *sieve_run_invitation(sieve_run *run)
{
	if (!run->invitation_asked) {
		run->invitation_asked = TRUE;
		run->invitation = run->opts->invitation != NULL
			? run->opts->invitation(run->opts->context) : NULL;
	}
	return run->invitation;
}
