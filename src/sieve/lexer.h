#ifndef VEA_SIEVE_LEXER_H
#define VEA_SIEVE_LEXER_H

/* Tokens of RFC 5228 section 8.1. Errors go to the error array given at
 * init; the lexer never stops the parser by itself except at end of input
 * (an unterminated string or comment ends the input). */

#include <glib.h>

typedef enum {
	SIEVE_TOKEN_EOF,
	SIEVE_TOKEN_ERROR, /* stray character, already reported */
	SIEVE_TOKEN_IDENTIFIER,
	SIEVE_TOKEN_TAG,        /* value without the ':' */
	SIEVE_TOKEN_NUMBER,
	SIEVE_TOKEN_STRING,     /* quoted or text: multi-line, unescaped */
	SIEVE_TOKEN_LBRACKET,
	SIEVE_TOKEN_RBRACKET,
	SIEVE_TOKEN_LPAREN,
	SIEVE_TOKEN_RPAREN,
	SIEVE_TOKEN_LBRACE,
	SIEVE_TOKEN_RBRACE,
	SIEVE_TOKEN_COMMA,
	SIEVE_TOKEN_SEMICOLON,
} sieve_token_type;

typedef struct sieve_lexer {
	const char *file;
	const char *p, *end;
	int line;
	const char *line_start;
	GPtrArray *errors;
	/* The input ended inside a string or comment (reported). */
	gboolean fatal;

	/* The current token. */
	sieve_token_type type;
	int tok_line, tok_column;
	/* Just after the token: where a missing ';' belongs. */
	int tok_end_line, tok_end_column;
	GString *value;   /* IDENTIFIER, TAG, STRING */
	guint64 number;   /* NUMBER, quantifier applied */
} sieve_lexer;

void sieve_lexer_init(sieve_lexer *lexer, const char *file, const char *text,
		      size_t len, GPtrArray *errors);
void sieve_lexer_deinit(sieve_lexer *lexer);
/* Advance to the next token. */
void sieve_lexer_next(sieve_lexer *lexer);
/* "identifier 'keep'", "';'", "end of script", ... for messages. */
char *sieve_lexer_describe(const sieve_lexer *lexer);

#endif
