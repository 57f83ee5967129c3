/* Sieve parser: RFC 5228 section 8.2 grammar into a generic tree.
 *
 * Recursion is bounded: blocks and tests nest at most SIEVE_MAX_NESTING
 * deep, beyond that parsing stops with an error. After a syntax error the
 * parser skips to the next ';' or '}' of the same level and goes on, so one
 * typo does not hide the next. */

#include "sieve/parser.h"
#include "sieve/lexer.h"
#include "sieve/sieve-private.h"

#include <string.h>

typedef struct sieve_parser {
	sieve_lexer lexer;
	GPtrArray *errors;
	gboolean failed;
	gboolean fatal; /* stop everything (nesting limit) */
} sieve_parser;

static void sieve_ast_arg_free(sieve_ast_arg *arg)
{
	if (arg == NULL)
		return;
	g_free(arg->tag);
	if (arg->strings != NULL)
		g_ptr_array_unref(arg->strings);
	g_free(arg);
}

void sieve_ast_node_free(sieve_ast_node *node)
{
	if (node == NULL)
		return;
	if (node->data_free != NULL && node->data != NULL)
		node->data_free(node->data);
	g_free(node->name);
	if (node->args != NULL)
		g_ptr_array_unref(node->args);
	if (node->tests != NULL)
		g_ptr_array_unref(node->tests);
	if (node->block != NULL)
		g_ptr_array_unref(node->block);
	g_free(node);
}

const char *sieve_ast_arg_type_name(sieve_ast_arg_type type)
{
	switch (type) {
	case SIEVE_AST_TAG:
		return "tag";
	case SIEVE_AST_NUMBER:
		return "number";
	case SIEVE_AST_STRING:
		return "string";
	case SIEVE_AST_STRING_LIST:
		return "string list";
	}
	return "argument";
}

static void G_GNUC_PRINTF(4, 5)
sieve_parser_error(sieve_parser *parser, int line, int column,
		   const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	sieve_errors_addv(parser->errors, parser->lexer.file, line, column, fmt,
			  args);
	va_end(args);
	parser->failed = TRUE;
}

static void sieve_parser_unexpected(sieve_parser *parser, const char *what)
{
	g_autofree char *found = sieve_lexer_describe(&parser->lexer);

	/* A lexer error was reported already; do not pile on. */
	if (parser->lexer.type == SIEVE_TOKEN_ERROR) {
		parser->failed = TRUE;
		return;
	}
	sieve_parser_error(parser, parser->lexer.tok_line,
			   parser->lexer.tok_column, "expected %s, found %s",
			   what, found);
}

static void sieve_parser_next(sieve_parser *parser)
{
	sieve_lexer_next(&parser->lexer);
}

/* Skip to the end of the broken command: past the next ';' of this level,
 * or up to (not past) a '}' closing this level, skipping whole inner
 * blocks. */
static void sieve_parser_recover(sieve_parser *parser)
{
	int depth = 0;

	for (;;) {
		switch (parser->lexer.type) {
		case SIEVE_TOKEN_EOF:
			return;
		case SIEVE_TOKEN_SEMICOLON:
			if (depth == 0) {
				sieve_parser_next(parser);
				return;
			}
			break;
		case SIEVE_TOKEN_LBRACE:
			depth++;
			break;
		case SIEVE_TOKEN_RBRACE:
			if (depth == 0)
				return;
			if (--depth == 0) {
				sieve_parser_next(parser);
				return;
			}
			break;
		default:
			break;
		}
		sieve_parser_next(parser);
	}
}

static gboolean sieve_parser_check_depth(sieve_parser *parser, int depth)
{
	if (depth <= SIEVE_MAX_NESTING)
		return TRUE;
	sieve_parser_error(parser, parser->lexer.tok_line,
			   parser->lexer.tok_column,
			   "nesting too deep (max %d levels)",
			   SIEVE_MAX_NESTING);
	parser->fatal = TRUE;
	return FALSE;
}

static sieve_ast_node *sieve_ast_node_new(const sieve_lexer *lexer)
{
	sieve_ast_node *node = g_new0(sieve_ast_node, 1);

	node->name = g_strdup(lexer->value->str);
	node->line = lexer->tok_line;
	node->column = lexer->tok_column;
	node->end_line = lexer->tok_end_line;
	node->end_column = lexer->tok_end_column;
	node->args = g_ptr_array_new_with_free_func(
		(GDestroyNotify)sieve_ast_arg_free);
	return node;
}

static int sieve_parse_string_list(sieve_parser *parser, sieve_ast_arg *arg)
{
	sieve_lexer *lexer = &parser->lexer;

	sieve_parser_next(parser); /* '[' */
	for (;;) {
		if (lexer->type != SIEVE_TOKEN_STRING) {
			sieve_parser_unexpected(parser, "string in list");
			return -1;
		}
		if (arg->strings->len >= SIEVE_MAX_LIST_ITEMS) {
			sieve_parser_error(parser, lexer->tok_line,
					   lexer->tok_column,
					   "string list too long (max %d items)",
					   SIEVE_MAX_LIST_ITEMS);
			return -1;
		}
		g_ptr_array_add(arg->strings,
				g_strndup(lexer->value->str, lexer->value->len));
		sieve_parser_next(parser);
		if (lexer->type == SIEVE_TOKEN_RBRACKET)
			break;
		if (lexer->type != SIEVE_TOKEN_COMMA) {
			sieve_parser_unexpected(parser, "',' or ']'");
			return -1;
		}
		sieve_parser_next(parser);
	}
	return 0;
}

static int sieve_parse_test(sieve_parser *parser, int depth,
			    sieve_ast_node **test_r);

/* arguments = *argument [ test / test-list ] */
static int sieve_parse_arguments(sieve_parser *parser, sieve_ast_node *node,
				 int depth)
{
	sieve_lexer *lexer = &parser->lexer;

	for (;;) {
		sieve_ast_arg *arg;

		if (lexer->type != SIEVE_TOKEN_STRING &&
		    lexer->type != SIEVE_TOKEN_NUMBER &&
		    lexer->type != SIEVE_TOKEN_TAG &&
		    lexer->type != SIEVE_TOKEN_LBRACKET)
			break;
		if (node->args->len >= SIEVE_MAX_ARGS) {
			sieve_parser_error(parser, lexer->tok_line,
					   lexer->tok_column,
					   "too many arguments (max %d)",
					   SIEVE_MAX_ARGS);
			return -1;
		}
		arg = g_new0(sieve_ast_arg, 1);
		arg->line = lexer->tok_line;
		arg->column = lexer->tok_column;
		g_ptr_array_add(node->args, arg);
		switch (lexer->type) {
		case SIEVE_TOKEN_TAG:
			arg->type = SIEVE_AST_TAG;
			arg->tag = g_strdup(lexer->value->str);
			break;
		case SIEVE_TOKEN_NUMBER:
			arg->type = SIEVE_AST_NUMBER;
			arg->number = lexer->number;
			break;
		case SIEVE_TOKEN_STRING:
			arg->type = SIEVE_AST_STRING;
			arg->strings = g_ptr_array_new_with_free_func(g_free);
			g_ptr_array_add(arg->strings,
					g_strndup(lexer->value->str,
						  lexer->value->len));
			break;
		default:
			arg->type = SIEVE_AST_STRING_LIST;
			arg->strings = g_ptr_array_new_with_free_func(g_free);
			if (sieve_parse_string_list(parser, arg) < 0)
				return -1;
			break;
		}
		node->end_line = lexer->tok_end_line;
		node->end_column = lexer->tok_end_column;
		sieve_parser_next(parser);
	}

	if (lexer->type == SIEVE_TOKEN_IDENTIFIER) {
		sieve_ast_node *test;

		node->tests = g_ptr_array_new_with_free_func(
			(GDestroyNotify)sieve_ast_node_free);
		if (sieve_parse_test(parser, depth + 1, &test) < 0)
			return -1;
		g_ptr_array_add(node->tests, test);
	} else if (lexer->type == SIEVE_TOKEN_LPAREN) {
		node->tests = g_ptr_array_new_with_free_func(
			(GDestroyNotify)sieve_ast_node_free);
		node->test_list = TRUE;
		if (!sieve_parser_check_depth(parser, depth + 1))
			return -1;
		sieve_parser_next(parser);
		for (;;) {
			sieve_ast_node *test;

			if (lexer->type != SIEVE_TOKEN_IDENTIFIER) {
				sieve_parser_unexpected(parser, "test");
				return -1;
			}
			if (node->tests->len >= SIEVE_MAX_ARGS) {
				sieve_parser_error(parser, lexer->tok_line,
						   lexer->tok_column,
						   "too many tests in list (max %d)",
						   SIEVE_MAX_ARGS);
				return -1;
			}
			if (sieve_parse_test(parser, depth + 1, &test) < 0)
				return -1;
			g_ptr_array_add(node->tests, test);
			if (lexer->type == SIEVE_TOKEN_RPAREN)
				break;
			if (lexer->type != SIEVE_TOKEN_COMMA) {
				sieve_parser_unexpected(parser, "',' or ')'");
				return -1;
			}
			sieve_parser_next(parser);
		}
		sieve_parser_next(parser); /* ')' */
	}
	return 0;
}

/* test = identifier arguments */
static int sieve_parse_test(sieve_parser *parser, int depth,
			    sieve_ast_node **test_r)
{
	sieve_ast_node *test;
	int ret;

	*test_r = NULL;
	if (!sieve_parser_check_depth(parser, depth))
		return -1;
	test = sieve_ast_node_new(&parser->lexer);
	sieve_parser_next(parser);
	ret = sieve_parse_arguments(parser, test, depth);
	if (ret < 0) {
		sieve_ast_node_free(test);
		return -1;
	}
	*test_r = test;
	return 0;
}

static void sieve_parse_commands(sieve_parser *parser, GPtrArray *commands,
				 int depth);

/* command = identifier arguments (";" / block) */
static void sieve_parse_command(sieve_parser *parser, GPtrArray *commands,
				int depth)
{
	sieve_lexer *lexer = &parser->lexer;
	sieve_ast_node *node = sieve_ast_node_new(lexer);
	guint n_errors = parser->errors->len;

	g_ptr_array_add(commands, node);
	sieve_parser_next(parser);
	if (sieve_parse_arguments(parser, node, depth) < 0) {
		node->broken = TRUE;
		if (!parser->fatal)
			sieve_parser_recover(parser);
		return;
	}
	if (parser->errors->len != n_errors || lexer->fatal)
		node->broken = TRUE;
	node->term_line = lexer->tok_line;
	node->term_column = lexer->tok_column;
	if (lexer->type == SIEVE_TOKEN_SEMICOLON) {
		sieve_parser_next(parser);
	} else if (lexer->type == SIEVE_TOKEN_LBRACE) {
		int line = lexer->tok_line, column = lexer->tok_column;

		if (!sieve_parser_check_depth(parser, depth + 1))
			return;
		sieve_parser_next(parser);
		node->block = g_ptr_array_new_with_free_func(
			(GDestroyNotify)sieve_ast_node_free);
		sieve_parse_commands(parser, node->block, depth + 1);
		if (parser->fatal)
			return;
		if (lexer->type != SIEVE_TOKEN_RBRACE) {
			sieve_parser_error(parser, line, column,
					   "missing '}' to close this block");
			return;
		}
		sieve_parser_next(parser);
	} else if (lexer->type == SIEVE_TOKEN_ERROR) {
		node->broken = TRUE;
		parser->failed = TRUE;
		sieve_parser_recover(parser);
	} else if (lexer->fatal) {
		/* The real error (unterminated string...) is reported. */
		node->broken = TRUE;
		parser->failed = TRUE;
	} else {
		node->broken = TRUE;
		sieve_parser_error(parser, node->end_line, node->end_column,
				   "missing ';' after command '%s'", node->name);
		/* Most often the next command follows: go on from it. */
		if (lexer->type != SIEVE_TOKEN_IDENTIFIER)
			sieve_parser_recover(parser);
	}
}

/* commands = *command; ends at EOF or at a '}' (left for the caller). */
static void sieve_parse_commands(sieve_parser *parser, GPtrArray *commands,
				 int depth)
{
	sieve_lexer *lexer = &parser->lexer;

	while (!parser->fatal && !sieve_errors_full(parser->errors)) {
		if (lexer->type == SIEVE_TOKEN_EOF)
			return;
		if (lexer->type == SIEVE_TOKEN_RBRACE) {
			if (depth > 0)
				return;
			sieve_parser_error(parser, lexer->tok_line,
					   lexer->tok_column,
					   "unexpected '}' without block");
			sieve_parser_next(parser);
		} else if (lexer->type == SIEVE_TOKEN_IDENTIFIER) {
			sieve_parse_command(parser, commands, depth);
		} else {
			sieve_parser_unexpected(parser, "command");
			sieve_parser_next(parser);
		}
	}
}

int sieve_parse(const char *file, const char *text, size_t len,
		GPtrArray *errors, GPtrArray **commands_r)
{
	sieve_parser parser;
	GPtrArray *commands;

	memset(&parser, 0, sizeof(parser));
	parser.errors = errors;
	commands = g_ptr_array_new_with_free_func(
		(GDestroyNotify)sieve_ast_node_free);
	sieve_lexer_init(&parser.lexer, file, text, len, errors);
	sieve_parser_next(&parser);
	sieve_parse_commands(&parser, commands, 0);
	sieve_lexer_deinit(&parser.lexer);
	*commands_r = commands;
	return parser.failed || errors->len > 0 ? -1 : 0;
}
