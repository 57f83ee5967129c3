#ifndef VEA_SIEVE_PARSER_H
#define VEA_SIEVE_PARSER_H

/* Syntax tree of RFC 5228 section 8.2 and its parser. The tree is generic
 * (identifiers with arguments, tests and blocks); the validator gives every
 * node its meaning (def and data). */

#include <glib.h>

struct sieve_command_def;

typedef enum {
	SIEVE_AST_TAG,
	SIEVE_AST_NUMBER,
	SIEVE_AST_STRING,      /* a single string */
	SIEVE_AST_STRING_LIST, /* "[" ... "]" */
} sieve_ast_arg_type;

typedef struct sieve_ast_arg {
	sieve_ast_arg_type type;
	int line, column;
	char *tag;         /* TAG: name without ':' */
	guint64 number;    /* NUMBER */
	GPtrArray *strings; /* STRING (one) and STRING_LIST: char * */
} sieve_ast_arg;

typedef struct sieve_ast_node {
	char *name;
	int line, column;
	/* Just after the last token before the tests: where a missing ';'
	 * would have been. */
	int end_line, end_column;
	/* The ';' or '{' that ends the command. */
	int term_line, term_column;
	GPtrArray *args;  /* sieve_ast_arg * */
	GPtrArray *tests; /* sieve_ast_node *, NULL when none */
	gboolean test_list; /* tests were given as "(...)" */
	GPtrArray *block; /* sieve_ast_node *, NULL when none */
	/* A syntax error was reported inside: the validator skips the node
	 * rather than pile more errors on it. */
	gboolean broken;

	/* Set by the validator. */
	const struct sieve_command_def *def;
	gpointer data;
	GDestroyNotify data_free;
} sieve_ast_node;

/* Parse a script into a list of commands (sieve_ast_node *). Errors are
 * appended to errors; returns -1 when there were any (the list is returned
 * anyway, possibly partial, so the validator can report more). */
int sieve_parse(const char *file, const char *text, size_t len,
		GPtrArray *errors, GPtrArray **commands_r);

void sieve_ast_node_free(sieve_ast_node *node);
const char *sieve_ast_arg_type_name(sieve_ast_arg_type type);

#endif
