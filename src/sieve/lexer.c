/* Sieve lexer: RFC 5228 section 8.1 (lexical tokens) and 2.4.2 (strings). */

#include "sieve/lexer.h"
#include "sieve/sieve-private.h"

#include <string.h>

void sieve_lexer_init(sieve_lexer *lexer, const char *file, const char *text,
		      size_t len, GPtrArray *errors)
{
	memset(lexer, 0, sizeof(*lexer));
	lexer->file = file;
	lexer->p = text;
	lexer->end = text + len;
	lexer->line = 1;
	lexer->line_start = text;
	lexer->errors = errors;
	lexer->value = g_string_sized_new(64);
}

void sieve_lexer_deinit(sieve_lexer *lexer)
{
	g_string_free(lexer->value, TRUE);
	lexer->value = NULL;
}

static int sieve_lexer_column(const sieve_lexer *lexer)
{
	return (int)(lexer->p - lexer->line_start) + 1;
}

static void G_GNUC_PRINTF(4, 5)
sieve_lexer_error(sieve_lexer *lexer, int line, int column, const char *fmt,
		  ...)
{
	va_list args;

	va_start(args, fmt);
	sieve_errors_addv(lexer->errors, lexer->file, line, column, fmt, args);
	va_end(args);
}

/* Consume one byte, keeping line accounting right. */
static void sieve_lexer_advance(sieve_lexer *lexer)
{
	if (*lexer->p == '\n') {
		lexer->line++;
		lexer->line_start = lexer->p + 1;
	}
	lexer->p++;
}

static gboolean sieve_lexer_string_append(sieve_lexer *lexer, char c,
					  gboolean *reported)
{
	if (lexer->value->len >= SIEVE_MAX_STRING_LEN) {
		if (!*reported) {
			sieve_lexer_error(lexer, lexer->tok_line,
					  lexer->tok_column,
					  "string too long (max %d bytes)",
					  SIEVE_MAX_STRING_LEN);
			*reported = TRUE;
		}
		return FALSE;
	}
	g_string_append_c(lexer->value, c);
	return TRUE;
}

/* Skip white space and both comment forms. Returns FALSE at an
 * unterminated bracket comment (reported; input is then exhausted). */
static gboolean sieve_lexer_skip_space(sieve_lexer *lexer)
{
	while (lexer->p < lexer->end) {
		char c = *lexer->p;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			sieve_lexer_advance(lexer);
		} else if (c == '#') {
			while (lexer->p < lexer->end && *lexer->p != '\n')
				lexer->p++;
		} else if (c == '/' && lexer->p + 1 < lexer->end &&
			   lexer->p[1] == '*') {
			int line = lexer->line;
			int column = sieve_lexer_column(lexer);

			lexer->p += 2;
			for (;;) {
				if (lexer->p + 1 >= lexer->end) {
					lexer->p = lexer->end;
					sieve_lexer_error(lexer, line, column,
							  "unterminated comment");
					lexer->fatal = TRUE;
					return FALSE;
				}
				if (lexer->p[0] == '*' && lexer->p[1] == '/') {
					lexer->p += 2;
					break;
				}
				sieve_lexer_advance(lexer);
			}
		} else {
			break;
		}
	}
	return TRUE;
}

/* RFC 5228 section 2.4.2: "\" quotes the next character, whatever it is
 * ("\a" is just "a"). */
static void sieve_lexer_quoted_string(sieve_lexer *lexer)
{
	gboolean too_long = FALSE;

	lexer->p++; /* '"' */
	while (lexer->p < lexer->end && *lexer->p != '"') {
		if (*lexer->p == '\\') {
			lexer->p++;
			if (lexer->p >= lexer->end)
				break;
		}
		(void)sieve_lexer_string_append(lexer, *lexer->p, &too_long);
		sieve_lexer_advance(lexer);
	}
	if (lexer->p >= lexer->end) {
		sieve_lexer_error(lexer, lexer->tok_line, lexer->tok_column,
				  "unterminated string");
		lexer->fatal = TRUE;
		lexer->type = SIEVE_TOKEN_EOF;
		return;
	}
	lexer->p++; /* '"' */
	lexer->type = SIEVE_TOKEN_STRING;
}

/* RFC 5228 section 2.4.2 / 8.1 multi-line: "text:" *(SP / HTAB)
 * (hash-comment / CRLF), lines, "." CRLF; a leading "." of a line is
 * dot-stuffing and removed. Line ends are kept as the script has them.
 * The caller has consumed "text:". */
static void sieve_lexer_multiline(sieve_lexer *lexer)
{
	gboolean too_long = FALSE;

	while (lexer->p < lexer->end && (*lexer->p == ' ' || *lexer->p == '\t'))
		lexer->p++;
	if (lexer->p < lexer->end && *lexer->p == '#') {
		while (lexer->p < lexer->end && *lexer->p != '\n')
			lexer->p++;
	} else if (lexer->p < lexer->end && *lexer->p == '\r' &&
		   lexer->p + 1 < lexer->end && lexer->p[1] == '\n') {
		lexer->p++;
	}
	if (lexer->p >= lexer->end || *lexer->p != '\n') {
		sieve_lexer_error(lexer, lexer->line, sieve_lexer_column(lexer),
				  "expected end of line after 'text:'");
		/* Skip the rest of the line and read the text anyway. */
		while (lexer->p < lexer->end && *lexer->p != '\n')
			lexer->p++;
		if (lexer->p >= lexer->end) {
			lexer->fatal = TRUE;
			lexer->type = SIEVE_TOKEN_EOF;
			return;
		}
	}
	sieve_lexer_advance(lexer); /* '\n' */

	for (;;) {
		const char *eol;
		size_t n;

		if (lexer->p >= lexer->end) {
			sieve_lexer_error(lexer, lexer->tok_line,
					  lexer->tok_column,
					  "unterminated multi-line string "
					  "(missing '.' line)");
			lexer->fatal = TRUE;
			lexer->type = SIEVE_TOKEN_EOF;
			return;
		}
		eol = memchr(lexer->p, '\n', lexer->end - lexer->p);
		if (eol == NULL)
			eol = lexer->end;
		n = eol - lexer->p;
		if (n > 0 && lexer->p[n - 1] == '\r')
			n--;
		if (n == 1 && lexer->p[0] == '.') {
			/* Terminator; a final one without newline is
			 * tolerated at end of file. */
			lexer->p = eol;
			if (lexer->p < lexer->end)
				sieve_lexer_advance(lexer);
			break;
		}
		if (n >= 2 && lexer->p[0] == '.' && lexer->p[1] == '.')
			lexer->p++;
		while (lexer->p < eol) {
			(void)sieve_lexer_string_append(lexer, *lexer->p,
							&too_long);
			lexer->p++;
		}
		if (eol < lexer->end) {
			(void)sieve_lexer_string_append(lexer, '\n', &too_long);
			sieve_lexer_advance(lexer);
		}
	}
	lexer->type = SIEVE_TOKEN_STRING;
}

/* RFC 5228 section 8.1: number = 1*DIGIT [ QUANTIFIER ], K M G (ABNF
 * literals are case-insensitive). */
static void sieve_lexer_number(sieve_lexer *lexer)
{
	guint64 value = 0, mult = 1;
	gboolean overflow = FALSE;

	while (lexer->p < lexer->end && g_ascii_isdigit(*lexer->p)) {
		guint digit = *lexer->p - '0';

		if (value > ((guint64)G_MAXINT64 - digit) / 10)
			overflow = TRUE;
		else
			value = value * 10 + digit;
		lexer->p++;
	}
	if (lexer->p < lexer->end) {
		switch (g_ascii_toupper(*lexer->p)) {
		case 'K':
			mult = 1024;
			lexer->p++;
			break;
		case 'M':
			mult = 1024 * 1024;
			lexer->p++;
			break;
		case 'G':
			mult = 1024 * 1024 * 1024;
			lexer->p++;
			break;
		}
	}
	if (!overflow && value > (guint64)G_MAXINT64 / mult)
		overflow = TRUE;
	if (overflow) {
		sieve_lexer_error(lexer, lexer->tok_line, lexer->tok_column,
				  "number too large");
		value = 0;
		mult = 1;
	}
	lexer->number = value * mult;
	lexer->type = SIEVE_TOKEN_NUMBER;
}

static gboolean sieve_is_identifier_start(char c)
{
	return g_ascii_isalpha(c) || c == '_';
}

static gboolean sieve_is_identifier_char(char c)
{
	return g_ascii_isalnum(c) || c == '_';
}

static void sieve_lexer_identifier(sieve_lexer *lexer)
{
	const char *start = lexer->p;

	while (lexer->p < lexer->end && sieve_is_identifier_char(*lexer->p))
		lexer->p++;
	g_string_append_len(lexer->value, start, lexer->p - start);
}

void sieve_lexer_next(sieve_lexer *lexer)
{
	char c;

	g_string_truncate(lexer->value, 0);
	lexer->number = 0;
	if (!sieve_lexer_skip_space(lexer) || lexer->p >= lexer->end) {
		lexer->type = SIEVE_TOKEN_EOF;
		lexer->tok_line = lexer->tok_end_line = lexer->line;
		lexer->tok_column = lexer->tok_end_column =
			sieve_lexer_column(lexer);
		return;
	}
	lexer->tok_line = lexer->line;
	lexer->tok_column = sieve_lexer_column(lexer);
	c = *lexer->p;

	if (sieve_is_identifier_start(c)) {
		sieve_lexer_identifier(lexer);
		if (lexer->p < lexer->end && *lexer->p == ':' &&
		    g_ascii_strcasecmp(lexer->value->str, "text") == 0) {
			lexer->p++;
			g_string_truncate(lexer->value, 0);
			sieve_lexer_multiline(lexer);
		} else {
			lexer->type = SIEVE_TOKEN_IDENTIFIER;
		}
	} else if (c == ':') {
		lexer->p++;
		if (lexer->p < lexer->end &&
		    sieve_is_identifier_start(*lexer->p)) {
			sieve_lexer_identifier(lexer);
			lexer->type = SIEVE_TOKEN_TAG;
		} else {
			sieve_lexer_error(lexer, lexer->tok_line,
					  lexer->tok_column,
					  "expected tag name after ':'");
			lexer->type = SIEVE_TOKEN_ERROR;
		}
	} else if (g_ascii_isdigit(c)) {
		sieve_lexer_number(lexer);
	} else if (c == '"') {
		sieve_lexer_quoted_string(lexer);
	} else {
		static const struct {
			char c;
			sieve_token_type type;
		} singles[] = {
			{ '[', SIEVE_TOKEN_LBRACKET }, { ']', SIEVE_TOKEN_RBRACKET },
			{ '(', SIEVE_TOKEN_LPAREN },   { ')', SIEVE_TOKEN_RPAREN },
			{ '{', SIEVE_TOKEN_LBRACE },   { '}', SIEVE_TOKEN_RBRACE },
			{ ',', SIEVE_TOKEN_COMMA },    { ';', SIEVE_TOKEN_SEMICOLON },
		};
		size_t i;

		lexer->p++;
		lexer->type = SIEVE_TOKEN_ERROR;
		for (i = 0; i < G_N_ELEMENTS(singles); i++) {
			if (singles[i].c == c) {
				lexer->type = singles[i].type;
				break;
			}
		}
		if (lexer->type == SIEVE_TOKEN_ERROR) {
			if (g_ascii_isprint(c)) {
				sieve_lexer_error(lexer, lexer->tok_line,
						  lexer->tok_column,
						  "unexpected character '%c'", c);
			} else {
				sieve_lexer_error(lexer, lexer->tok_line,
						  lexer->tok_column,
						  "unexpected character 0x%02x",
						  (unsigned char)c);
			}
		}
	}
	lexer->tok_end_line = lexer->line;
	lexer->tok_end_column = sieve_lexer_column(lexer);
}

char *sieve_lexer_describe(const sieve_lexer *lexer)
{
	switch (lexer->type) {
	case SIEVE_TOKEN_EOF:
		return g_strdup("end of script");
	case SIEVE_TOKEN_ERROR:
		return g_strdup("invalid character");
	case SIEVE_TOKEN_IDENTIFIER:
		return g_strdup_printf("identifier '%s'", lexer->value->str);
	case SIEVE_TOKEN_TAG:
		return g_strdup_printf("tag ':%s'", lexer->value->str);
	case SIEVE_TOKEN_NUMBER:
		return g_strdup("number");
	case SIEVE_TOKEN_STRING:
		return g_strdup("string");
	case SIEVE_TOKEN_LBRACKET:
		return g_strdup("'['");
	case SIEVE_TOKEN_RBRACKET:
		return g_strdup("']'");
	case SIEVE_TOKEN_LPAREN:
		return g_strdup("'('");
	case SIEVE_TOKEN_RPAREN:
		return g_strdup("')'");
	case SIEVE_TOKEN_LBRACE:
		return g_strdup("'{'");
	case SIEVE_TOKEN_RBRACE:
		return g_strdup("'}'");
	case SIEVE_TOKEN_COMMA:
		return g_strdup("','");
	case SIEVE_TOKEN_SEMICOLON:
		return g_strdup("';'");
	}
	return g_strdup("token");
}
