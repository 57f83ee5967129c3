/* Validation: RFC 5228 sections 2.6 (arguments), 2.10.5 and 3.2 (require),
 * 3.1 (if/elsif/else). */

#include "sieve/validate.h"
#include "sieve/sieve-private.h"

#include <string.h>

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

static int sieve_validate_node(sieve_validator *v, sieve_ast_node *node,
			       gboolean is_test)
{
	const sieve_extension *ext;
	const sieve_command_def *def;
	sieve_args args;
	int ret = 0;
	guint i;

	def = sieve_registry_find_command(node->name, &ext);
	if (def != NULL && is_test != ((def->flags & SIEVE_CMD_TEST) != 0))
		def = NULL;
	if (def == NULL) {
		sieve_validator_error(v, node->line, node->column,
				      "unknown %s '%s'",
				      is_test ? "test" : "command", node->name);
		return -1;
	}
	if (ext->capability != NULL) {
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
		} else if (sieve_validate_commands(v, node->block, FALSE) < 0) {
			ret = -1;
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
		   gboolean *needs_body_r)
{
	sieve_validator v;
	int ret;

	memset(&v, 0, sizeof(v));
	v.file = file;
	v.errors = errors;
	v.capabilities = g_ptr_array_new();
	ret = sieve_validate_commands(&v, commands, TRUE);
	g_ptr_array_unref(v.capabilities);
	*needs_body_r = v.needs_body;
	return ret < 0 || v.failed ? -1 : 0;
}
