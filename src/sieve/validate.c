/* Validation: RFC 5228 sections 2.6 (arguments), 2.10.5 and 3.2 (require),
 * 3.1 (if/elsif/else). */

#include "sieve/validate.h"
#include "sieve/sieve-private.h"

#include <string.h>

/* Distinct variable names one script may use (Pigeonhole: 255). */
#define SIEVE_MAX_VARIABLES_DECLARED 255

void sieve_validator_error(sieve_validator *v, int line, int column,
			   const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	sieve_errors_addv(v->errors, v->file, line, column, fmt, args);
	va_end(args);
	v->failed = TRUE;
}

gboolean sieve_validator_has_capability(const sieve_validator *v,
					const char *capability)
{
	guint i;

	for (i = 0; i < v->capabilities->len; i++) {
		if (strcmp(g_ptr_array_index(v->capabilities, i),
			   capability) == 0)
			return TRUE;
	}
	return FALSE;
}

gboolean sieve_validator_check_capability(sieve_validator *v,
					  const char *capability,
					  const char *what, int line,
					  int column)
{
	if (capability == NULL || sieve_validator_has_capability(v, capability))
		return TRUE;
	/* RFC 5228 section 2.10.5: using an extension without requiring it
	 * is an error, even though vea could do it. */
	sieve_validator_error(v, line, column,
			      "%s used without require \"%s\"", what,
			      capability);
	return FALSE;
}

static const char *sieve_param_name(sieve_param param)
{
	switch (param) {
	case SIEVE_PARAM_STRING:
		return "a string";
	case SIEVE_PARAM_STRING_LIST:
		return "a string list";
	case SIEVE_PARAM_NUMBER:
		return "a number";
	case SIEVE_PARAM_NONE:
		break;
	}
	return "nothing";
}

static gboolean sieve_param_accepts(sieve_param param,
				    const sieve_ast_arg *arg)
{
	switch (param) {
	case SIEVE_PARAM_STRING:
		return arg->type == SIEVE_AST_STRING;
	case SIEVE_PARAM_STRING_LIST:
		return arg->type == SIEVE_AST_STRING ||
		       arg->type == SIEVE_AST_STRING_LIST;
	case SIEVE_PARAM_NUMBER:
		return arg->type == SIEVE_AST_NUMBER;
	case SIEVE_PARAM_NONE:
		break;
	}
	return FALSE;
}

static sieve_param sieve_positional_param(char c)
{
	switch (c) {
	case 'S':
		return SIEVE_PARAM_STRING;
	case 'L':
		return SIEVE_PARAM_STRING_LIST;
	case 'N':
		return SIEVE_PARAM_NUMBER;
	}
	return SIEVE_PARAM_NONE;
}

gboolean sieve_validator_is_constant(const sieve_validator *v,
				     const char *str)
{
	return !sieve_validator_has_capability(v, "variables") ||
	       strstr(str, "${") == NULL;
}

int sieve_validator_declare_variable(sieve_validator *v,
				     const sieve_ast_arg *arg,
				     const char *name)
{
	if (g_hash_table_contains(v->variables, name))
		return 0;
	if (g_hash_table_size(v->variables) >= SIEVE_MAX_VARIABLES_DECLARED) {
		sieve_validator_error(v, arg->line, arg->column,
				      "too many variables (max %d)",
				      SIEVE_MAX_VARIABLES_DECLARED);
		return -1;
	}
	g_hash_table_add(v->variables, g_ascii_strdown(name, -1));
	return 0;
}

void sieve_regexes_free(void **regexes)
{
	void **r;

	if (regexes == NULL)
		return;
	for (r = regexes; *r != NULL; r++)
		sieve_regex_free(*r);
	g_free(regexes);
}

int sieve_validate_keys(sieve_validator *v, const sieve_match_spec *spec,
			const sieve_ast_arg *keys, void ***regexes_r)
{
	void **regexes;
	guint i;

	*regexes_r = NULL;
	if (spec->type != SIEVE_MATCH_REGEX)
		return 0;
	for (i = 0; i < keys->strings->len; i++) {
		if (!sieve_validator_is_constant(
			    v, g_ptr_array_index(keys->strings, i)))
			return 0;
	}
	/* Compile once here, not for every message. */
	regexes = g_new0(void *, keys->strings->len + 1);
	for (i = 0; i < keys->strings->len; i++) {
		char *error = NULL;

		regexes[i] = sieve_regex_compile(
			g_ptr_array_index(keys->strings, i), spec->comparator,
			&error);
		if (regexes[i] == NULL) {
			sieve_validator_error(v, keys->line, keys->column,
					      "%s", error);
			g_free(error);
			sieve_regexes_free(regexes);
			return -1;
		}
	}
	*regexes_r = regexes;
	return 0;
}

/* encoded-character (RFC 5228 section 2.4.2.4): "${hex:...}" and
 * "${unicode:...}" in a string, decoded once at compile time. A sequence
 * that does not parse stays as it is; a code point out of range is an
 * error. Returns the decoded string or NULL (error set). */
static char *sieve_decode_encoded(const char *str, char **error_r)
{
	GString *out;
	const char *p = str, *start;

	if (strstr(str, "${") == NULL)
		return NULL;
	out = g_string_new(NULL);
	while ((start = strstr(p, "${")) != NULL) {
		const char *q = start + 2;
		gboolean unicode;
		GString *dec;
		gboolean ok = TRUE;
		int n = 0;

		g_string_append_len(out, p, start - p);
		if (g_ascii_strncasecmp(q, "hex:", 4) == 0) {
			unicode = FALSE;
			q += 4;
		} else if (g_ascii_strncasecmp(q, "unicode:", 8) == 0) {
			unicode = TRUE;
			q += 8;
		} else {
			g_string_append(out, "${");
			p = start + 2;
			continue;
		}
		dec = g_string_new(NULL);
		for (;;) {
			const char *h;
			guint64 value = 0;
			size_t digits;

			while (*q == ' ' || *q == '\t' || *q == '\r' ||
			       *q == '\n')
				q++;
			if (*q == '}')
				break;
			for (h = q; g_ascii_isxdigit(*h); h++)
				;
			digits = h - q;
			if (digits == 0 || digits > (unicode ? 8 : 2) ||
			    (*h != '}' && *h != ' ' && *h != '\t' &&
			     *h != '\r' && *h != '\n')) {
				ok = FALSE;
				break;
			}
			value = g_ascii_strtoull(q, NULL, 16);
			q = h;
			n++;
			if (!unicode) {
				if (value == 0) {
					*error_r = g_strdup(
						"encoded character is a NUL");
					g_string_free(dec, TRUE);
					g_string_free(out, TRUE);
					return NULL;
				}
				g_string_append_c(dec, (char)value);
			} else if (value == 0 || value > 0x10ffff ||
				   (value >= 0xd800 && value <= 0xdfff)) {
				*error_r = g_strdup_printf(
					"invalid unicode character U+%04" G_GINT64_MODIFIER
					"X in encoded character",
					value);
				g_string_free(dec, TRUE);
				g_string_free(out, TRUE);
				return NULL;
			} else {
				g_string_append_unichar(dec, (gunichar)value);
			}
		}
		/* hex-pair-seq and unicode-hex-seq hold at least one hex
		 * pair or code point: "${hex:}" stays as it is. */
		if (ok && n > 0) {
			g_string_append_len(out, dec->str, dec->len);
			p = q + 1;
		} else {
			g_string_append(out, "${");
			p = start + 2;
		}
		g_string_free(dec, TRUE);
	}
	g_string_append(out, p);
	return g_string_free(out, FALSE);
}

static int sieve_validate_encoded(sieve_validator *v, sieve_ast_node *node)
{
	int ret = 0;
	guint i, j;

	for (i = 0; i < node->args->len; i++) {
		sieve_ast_arg *arg = g_ptr_array_index(node->args, i);

		if (arg->strings == NULL)
			continue;
		for (j = 0; j < arg->strings->len; j++) {
			char *error = NULL;
			char *decoded = sieve_decode_encoded(
				g_ptr_array_index(arg->strings, j), &error);

			if (error != NULL) {
				sieve_validator_error(v, arg->line, arg->column,
						      "%s", error);
				g_free(error);
				ret = -1;
			} else if (decoded != NULL) {
				g_free(arg->strings->pdata[j]);
				arg->strings->pdata[j] = decoded;
			}
		}
	}
	return ret;
}

/* COMPARATOR, MATCH-TYPE and ADDRESS-PART tags into args->match. */
static int sieve_validate_match(sieve_validator *v, const sieve_ast_node *node,
				sieve_args *args)
{
	const sieve_ast_arg *match_token = NULL;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < args->n_tags; i++) {
		const sieve_tag_def *tag = args->tags[i];
		const sieve_ast_arg *param = args->tag_params[i];
		const char *capability;

		switch (tag->id) {
		case SIEVE_TAG_COMPARATOR:
			if (!sieve_comparator_lookup(sieve_arg_string(param),
						     &args->match.comparator,
						     &capability)) {
				sieve_validator_error(
					v, param->line, param->column,
					"unknown comparator '%s'",
					sieve_arg_string(param));
				ret = -1;
			} else if (capability != NULL) {
				g_autofree char *what = g_strdup_printf(
					"comparator '%s'",
					sieve_arg_string(param));

				if (!sieve_validator_check_capability(
					    v, capability, what, param->line,
					    param->column))
					ret = -1;
			}
			break;
		case SIEVE_TAG_IS:
			args->match.type = SIEVE_MATCH_IS;
			match_token = args->tag_tokens[i];
			break;
		case SIEVE_TAG_CONTAINS:
			args->match.type = SIEVE_MATCH_CONTAINS;
			match_token = args->tag_tokens[i];
			break;
		case SIEVE_TAG_MATCHES:
			args->match.type = SIEVE_MATCH_MATCHES;
			match_token = args->tag_tokens[i];
			break;
		case SIEVE_TAG_REGEX:
			args->match.type = SIEVE_MATCH_REGEX;
			match_token = args->tag_tokens[i];
			break;
		case SIEVE_TAG_USER:
			args->match.address_part = SIEVE_ADDRESS_PART_USER;
			break;
		case SIEVE_TAG_DETAIL:
			args->match.address_part = SIEVE_ADDRESS_PART_DETAIL;
			break;
		case SIEVE_TAG_COUNT:
		case SIEVE_TAG_VALUE:
			args->match.type = tag->id == SIEVE_TAG_COUNT ?
						   SIEVE_MATCH_COUNT :
						   SIEVE_MATCH_VALUE;
			match_token = args->tag_tokens[i];
			if (!sieve_relation_lookup(sieve_arg_string(param),
						   &args->match.relation)) {
				sieve_validator_error(
					v, param->line, param->column,
					"invalid relation '%s' for ':%s' "
					"(expected gt, ge, lt, le, eq or ne)",
					sieve_arg_string(param), tag->name);
				ret = -1;
			}
			break;
		case SIEVE_TAG_ALL:
			args->match.address_part = SIEVE_ADDRESS_PART_ALL;
			break;
		case SIEVE_TAG_LOCALPART:
			args->match.address_part = SIEVE_ADDRESS_PART_LOCALPART;
			break;
		case SIEVE_TAG_DOMAIN:
			args->match.address_part = SIEVE_ADDRESS_PART_DOMAIN;
			break;
		default:
			break;
		}
	}
	if (ret == 0 && match_token != NULL &&
	    !sieve_comparator_supports(args->match.comparator,
				       args->match.type)) {
		sieve_validator_error(v, match_token->line, match_token->column,
				      "comparator '%s' cannot do ':%s' in '%s'",
				      sieve_comparator_name(
					      args->match.comparator),
				      match_token->tag, node->name);
		ret = -1;
	}
	return ret;
}

/* Sort tags and positional arguments (RFC 5228 section 2.6: tagged
 * arguments come first) and check them against the definition. */
static int sieve_validate_args(sieve_validator *v, const sieve_ast_node *node,
			       const sieve_command_def *def, sieve_args *args)
{
	const char *positional = def->positional != NULL ? def->positional : "";
	size_t expected = strlen(positional);
	gboolean failed = FALSE;
	guint i;

	memset(args, 0, sizeof(*args));
	if (def->positional_alt != NULL) {
		size_t n = 0;

		/* Count positional arguments to pick the form. */
		for (i = 0; i < node->args->len; i++) {
			const sieve_ast_arg *arg =
				g_ptr_array_index(node->args, i);
			const sieve_tag_def *tag;

			if (arg->type != SIEVE_AST_TAG) {
				n++;
				continue;
			}
			tag = sieve_registry_find_tag(def, arg->tag);
			if (tag != NULL && tag->param != SIEVE_PARAM_NONE)
				i++;
		}
		if (n == strlen(def->positional_alt)) {
			positional = def->positional_alt;
			expected = n;
		}
	}
	for (i = 0; i < node->args->len; i++) {
		const sieve_ast_arg *arg = g_ptr_array_index(node->args, i);
		const sieve_tag_def *tag;
		unsigned int j;

		if (arg->type != SIEVE_AST_TAG) {
			sieve_param param;

			if (args->n_positional >= expected) {
				sieve_validator_error(
					v, arg->line, arg->column,
					"too many arguments for '%s' "
					"(expected %zu)",
					node->name, expected);
				return -1;
			}
			param = sieve_positional_param(
				positional[args->n_positional]);
			if (!sieve_param_accepts(param, arg)) {
				sieve_validator_error(
					v, arg->line, arg->column,
					"argument %u of '%s' must be %s, "
					"not a %s",
					args->n_positional + 1, node->name,
					sieve_param_name(param),
					sieve_ast_arg_type_name(arg->type));
				failed = TRUE;
			}
			args->positional[args->n_positional++] = arg;
			continue;
		}

		if (args->n_positional > 0) {
			sieve_validator_error(
				v, arg->line, arg->column,
				"tag ':%s' must come before the other "
				"arguments of '%s'",
				arg->tag, node->name);
			failed = TRUE;
		}
		tag = sieve_registry_find_tag(def, arg->tag);
		if (tag == NULL) {
			sieve_validator_error(v, arg->line, arg->column,
					      "unknown tag ':%s' for '%s'",
					      arg->tag, node->name);
			return -1;
		}
		if (tag->capability != NULL) {
			g_autofree char *what =
				g_strdup_printf("':%s'", tag->name);

			if (!sieve_validator_check_capability(
				    v, tag->capability, what, arg->line,
				    arg->column))
				failed = TRUE;
		}
		for (j = 0; j < args->n_tags; j++) {
			const sieve_tag_def *other = args->tags[j];

			if (other->id == tag->id) {
				sieve_validator_error(
					v, arg->line, arg->column,
					"tag ':%s' given twice", tag->name);
				failed = TRUE;
			} else if (tag->group != SIEVE_TAG_GROUP_NONE &&
				   other->group == tag->group) {
				sieve_validator_error(
					v, arg->line, arg->column,
					"tag ':%s' conflicts with ':%s'",
					tag->name, other->name);
				failed = TRUE;
			}
		}
		if (args->n_tags >= SIEVE_MAX_TAGS) {
			sieve_validator_error(v, arg->line, arg->column,
					      "too many tags for '%s'",
					      node->name);
			return -1;
		}
		args->tags[args->n_tags] = tag;
		args->tag_tokens[args->n_tags] = arg;
		args->tag_params[args->n_tags] = NULL;
		if (tag->param != SIEVE_PARAM_NONE) {
			const sieve_ast_arg *param =
				i + 1 < node->args->len ?
					g_ptr_array_index(node->args, i + 1) :
					NULL;

			if (param == NULL ||
			    !sieve_param_accepts(tag->param, param)) {
				sieve_validator_error(
					v, arg->line, arg->column,
					"tag ':%s' needs %s after it",
					tag->name, sieve_param_name(tag->param));
				return -1;
			}
			args->tag_params[args->n_tags] = param;
			i++;
		}
		args->n_tags++;
	}
	if (args->n_positional < expected) {
		sieve_validator_error(v, node->line, node->column,
				      "'%s' needs %zu argument%s, got %u",
				      node->name, expected,
				      expected == 1 ? "" : "s",
				      args->n_positional);
		return -1;
	}
	if (failed)
		return -1;
	return sieve_validate_match(v, node, args);
}

static int sieve_validate_commands(sieve_validator *v, GPtrArray *commands,
				   gboolean toplevel);

/* ihave (RFC 5463 section 4): in "if ihave [...] { ... }" the block may
 * use the capabilities tested. Known ones count as required there (and
 * after: vea has one set per script); with an unknown one, or one only
 * require can enable (encoded-character, variables), the block can never
 * run and is not checked. Returns FALSE to skip the block. */
static gboolean sieve_validate_ihave_block(sieve_validator *v,
					   const sieve_ast_node *node)
{
	const sieve_ast_node *test;
	const sieve_ast_arg *arg;
	guint i;

	if (node->tests == NULL || node->tests->len != 1)
		return TRUE;
	test = g_ptr_array_index(node->tests, 0);
	if (g_ascii_strcasecmp(test->name, "ihave") != 0 ||
	    !sieve_validator_has_capability(v, "ihave") ||
	    test->args->len != 1)
		return TRUE;
	arg = g_ptr_array_index(test->args, 0);
	if (arg->strings == NULL)
		return TRUE;
	for (i = 0; i < arg->strings->len; i++) {
		if (!sieve_registry_ihave_capability(
			    g_ptr_array_index(arg->strings, i)))
			return FALSE;
	}
	for (i = 0; i < arg->strings->len; i++) {
		const char *capability = g_ptr_array_index(arg->strings, i);

		if (!sieve_validator_has_capability(v, capability))
			g_ptr_array_add(v->capabilities, (gpointer)capability);
	}
	return TRUE;
}

static int sieve_validate_node(sieve_validator *v, sieve_ast_node *node,
			       gboolean is_test)
{
	const sieve_extension *ext;
	const sieve_command_def *def;
	sieve_args args;
	int ret = 0;
	guint i;

	def = sieve_registry_find_command_kind(node->name, is_test, &ext);
	if (def != NULL && is_test != ((def->flags & SIEVE_CMD_TEST) != 0))
		def = NULL;
	if (def == NULL) {
		sieve_validator_error(v, node->line, node->column,
				      "unknown %s '%s'",
				      is_test ? "test" : "command", node->name);
		return -1;
	}
	if (ext->capability != NULL &&
	    (def->capability_alt == NULL ||
	     !sieve_validator_has_capability(v, def->capability_alt))) {
		g_autofree char *what = g_strdup_printf("'%s'", def->name);

		if (!sieve_validator_check_capability(v, ext->capability, what,
						      node->line,
						      node->column))
			ret = -1;
	}

	/* "keep\nfileinto ..." parses as keep with the test "fileinto":
	 * say what really happened. */
	if (!is_test && node->tests != NULL && !node->test_list &&
	    (def->flags & (SIEVE_CMD_ONE_TEST | SIEVE_CMD_TEST_LIST)) == 0) {
		const sieve_ast_node *next = g_ptr_array_index(node->tests, 0);
		const sieve_extension *next_ext;
		const sieve_command_def *next_def =
			sieve_registry_find_command(next->name, &next_ext);

		if (next_def == NULL ||
		    (next_def->flags & SIEVE_CMD_TEST) == 0) {
			sieve_validator_error(v, node->end_line,
					      node->end_column,
					      "missing ';' after command '%s'",
					      node->name);
			return -1;
		}
	}

	if (sieve_validator_has_capability(v, "encoded-character") &&
	    (def->flags & SIEVE_CMD_REQUIRE) == 0 &&
	    sieve_validate_encoded(v, node) < 0)
		return -1;
	if (sieve_validate_args(v, node, def, &args) < 0)
		ret = -1;

	if ((def->flags & SIEVE_CMD_ONE_TEST) != 0) {
		if (node->tests == NULL || node->tests->len != 1) {
			sieve_validator_error(v, node->line, node->column,
					      "'%s' needs exactly one test",
					      node->name);
			ret = -1;
		}
	} else if ((def->flags & SIEVE_CMD_TEST_LIST) != 0) {
		if (node->tests == NULL || node->tests->len == 0) {
			sieve_validator_error(v, node->line, node->column,
					      "'%s' needs a list of tests",
					      node->name);
			ret = -1;
		}
	} else if (node->tests != NULL) {
		const sieve_ast_node *test = g_ptr_array_index(node->tests, 0);

		sieve_validator_error(v, test->line, test->column,
				      "'%s' takes no test", node->name);
		return -1;
	}
	for (i = 0; node->tests != NULL && i < node->tests->len; i++) {
		if (sieve_validate_node(v, g_ptr_array_index(node->tests, i),
					TRUE) < 0)
			ret = -1;
	}

	if ((def->flags & SIEVE_CMD_BLOCK) != 0) {
		if (node->block == NULL) {
			sieve_validator_error(v, node->term_line,
					      node->term_column,
					      "'%s' needs a block", node->name);
			ret = -1;
		} else if (sieve_validate_ihave_block(v, node)) {
			/* foreverypart: break (:name) inside knows its loops */
			if ((def->flags & SIEVE_CMD_LOOP) != 0) {
				const sieve_ast_arg *name = NULL;

				sieve_args_find_tag(&args, SIEVE_TAG_NAME,
						    &name);
				g_ptr_array_add(v->loops,
						name != NULL ?
							(gpointer)sieve_arg_string(
								name) :
							(gpointer) "");
			}
			if (sieve_validate_commands(v, node->block, FALSE) < 0)
				ret = -1;
			if ((def->flags & SIEVE_CMD_LOOP) != 0)
				g_ptr_array_remove_index(v->loops,
							 v->loops->len - 1);
		}
	} else if (node->block != NULL) {
		sieve_validator_error(v, node->term_line, node->term_column,
				      "'%s' takes no block", node->name);
		ret = -1;
	}

	if (ret == 0 && def->validate != NULL &&
	    def->validate(v, node, &args) < 0)
		ret = -1;
	if ((def->flags & SIEVE_CMD_READS_BODY) != 0)
		v->needs_body = TRUE;
	if (ret == 0)
		node->def = def;
	return ret;
}

static int sieve_validate_commands(sieve_validator *v, GPtrArray *commands,
				   gboolean toplevel)
{
	const sieve_command_def *prev = NULL;
	gboolean requires_allowed = toplevel;
	int ret = 0;
	guint i;

	for (i = 0; i < commands->len && !sieve_errors_full(v->errors); i++) {
		sieve_ast_node *node = g_ptr_array_index(commands, i);
		const sieve_extension *ext;
		const sieve_command_def *def =
			sieve_registry_find_command(node->name, &ext);
		unsigned int flags = def != NULL ? def->flags : 0;

		/* RFC 5228 section 3.2: require before anything else. */
		if ((flags & SIEVE_CMD_REQUIRE) != 0 && !requires_allowed) {
			sieve_validator_error(v, node->line, node->column,
					      "'require' must come before "
					      "all other commands");
			ret = -1;
		} else if ((flags & SIEVE_CMD_REQUIRE) == 0) {
			requires_allowed = FALSE;
		}
		/* RFC 5228 section 3.1: elsif and else follow if/elsif. */
		if ((flags & SIEVE_CMD_ELSE_BRANCH) != 0 &&
		    (prev == NULL ||
		     (prev->flags & (SIEVE_CMD_IF | SIEVE_CMD_ELSE_BRANCH)) == 0 ||
		     (prev->flags & SIEVE_CMD_ONE_TEST) == 0)) {
			sieve_validator_error(v, node->line, node->column,
					      "'%s' without a preceding 'if'",
					      node->name);
			ret = -1;
		}
		if (node->broken)
			ret = -1;
		else if (sieve_validate_node(v, node, FALSE) < 0)
			ret = -1;
		prev = def;
	}
	return ret;
}

int sieve_validate(const char *file, GPtrArray *commands, GPtrArray *errors,
		   const sieve_compile_options *opts,
		   struct sieve_include_ctx *includes,
		   sieve_validate_result *result_r)
{
	sieve_validator v;
	int ret;

	memset(&v, 0, sizeof(v));
	v.file = file;
	v.errors = errors;
	v.opts = opts;
	v.includes = includes;
	v.capabilities = g_ptr_array_new();
	v.variables = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    NULL);
	v.loops = g_ptr_array_new();
	ret = sieve_validate_commands(&v, commands, TRUE);
	if (sieve_validator_has_capability(&v, "variables"))
		v.uses_variables = TRUE;
	g_ptr_array_unref(v.capabilities);
	g_ptr_array_unref(v.loops);
	g_hash_table_destroy(v.variables);
	memset(result_r, 0, sizeof(*result_r));
	result_r->needs_body = v.needs_body;
	result_r->uses_variables = v.uses_variables;
	result_r->global_names = v.global_names;
	return ret < 0 || v.failed ? -1 : 0;
}
