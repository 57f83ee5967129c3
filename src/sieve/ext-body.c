/* body (RFC 5173): match the body with :raw (as received), :content
 * (decoded parts of the given types) or :text (the default: decoded text
 * parts, the text of HTML ones). Each part is one value. */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

#include <string.h>

static const sieve_tag_def tag_raw = {
	"raw", SIEVE_TAG_RAW, SIEVE_TAG_GROUP_BODY_TRANSFORM, SIEVE_PARAM_NONE,
	NULL
};
static const sieve_tag_def tag_content = {
	"content", SIEVE_TAG_CONTENT, SIEVE_TAG_GROUP_BODY_TRANSFORM,
	SIEVE_PARAM_STRING_LIST, NULL
};
static const sieve_tag_def tag_text = {
	"text", SIEVE_TAG_TEXT, SIEVE_TAG_GROUP_BODY_TRANSFORM,
	SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def *const tst_body_tags[] = {
	&tag_raw, &tag_content, &tag_text, NULL
};

typedef struct tst_body_data {
	sieve_match_spec match;
	sieve_tag_id transform;
	char **types; /* :content */
	char **keys;
	void **regexes;
} tst_body_data;

static void tst_body_data_free(gpointer data)
{
	tst_body_data *d = data;

	g_strfreev(d->types);
	g_strfreev(d->keys);
	sieve_regexes_free(d->regexes);
	g_free(d);
}

static int tst_body_validate(sieve_validator *v, sieve_ast_node *node,
			     const sieve_args *args)
{
	const sieve_ast_arg *types;
	tst_body_data *data;
	void **regexes;

	if (sieve_validate_keys(v, &args->match, args->positional[0],
				&regexes) < 0)
		return -1;
	data = g_new0(tst_body_data, 1);
	data->match = args->match;
	data->transform = SIEVE_TAG_TEXT;
	if (sieve_args_find_tag(args, SIEVE_TAG_RAW, NULL) != NULL)
		data->transform = SIEVE_TAG_RAW;
	if (sieve_args_find_tag(args, SIEVE_TAG_CONTENT, &types) != NULL) {
		data->transform = SIEVE_TAG_CONTENT;
		data->types = sieve_arg_dup_strv_lower(types);
	}
	data->keys = sieve_arg_dup_strv(args->positional[0]);
	data->regexes = regexes;
	node->data = data;
	node->data_free = tst_body_data_free;
	return 0;
}

/* Section 5.2: "" matches every type, "text" a type, "text/html" one
 * type and subtype; a type with a slash first, last or twice matches
 * none (no part has an empty subtype or one with a slash). */
static gboolean tst_body_type_matches(char *const *types, const char *type,
				      const char *subtype)
{
	for (; *types != NULL; types++) {
		const char *slash = strchr(*types, '/');

		if (**types == '\0')
			return TRUE;
		if (slash == NULL) {
			if (g_ascii_strcasecmp(*types, type) == 0)
				return TRUE;
		} else if ((size_t)(slash - *types) == strlen(type) &&
			   g_ascii_strncasecmp(*types, type, slash - *types) ==
				   0 &&
			   g_ascii_strcasecmp(slash + 1, subtype) == 0) {
			return TRUE;
		}
	}
	return FALSE;
}

/* RFC 2045 section 6.4: a part whose Content-Transfer-Encoding is not
 * known "must be treated as if it has a Content-Type of
 * application/octet-stream". */
static gboolean tst_body_encoding_known(mime_message *msg,
					unsigned int index)
{
	static const char *const known[] = {
		"7bit", "8bit", "binary", "quoted-printable", "base64",
		"x-uuencode", "uuencode", "x-uue", NULL
	};
	const char *const *values = mime_message_get_part_header_values(
		msg, index, "content-transfer-encoding");
	g_autofree char *value = NULL;
	guint i;

	if (values[0] == NULL)
		return TRUE;
	value = g_strstrip(g_strdup(values[0]));
	for (i = 0; known[i] != NULL; i++) {
		if (g_ascii_strcasecmp(value, known[i]) == 0)
			return TRUE;
	}
	return FALSE;
}

/* HTML 4 character entities, sorted by name (strcmp) for bsearch. */
typedef struct tst_body_entity {
	const char *name;
	gunichar chr;
} tst_body_entity;

static const tst_body_entity tst_body_entities[] = {
	{ "AElig", 0x00c6 }, { "Aacute", 0x00c1 }, { "Acirc", 0x00c2 },
	{ "Agrave", 0x00c0 }, { "Alpha", 0x0391 }, { "Aring", 0x00c5 },
	{ "Atilde", 0x00c3 }, { "Auml", 0x00c4 }, { "Beta", 0x0392 },
	{ "Ccedil", 0x00c7 }, { "Chi", 0x03a7 }, { "Dagger", 0x2021 },
	{ "Delta", 0x0394 }, { "ETH", 0x00d0 }, { "Eacute", 0x00c9 },
	{ "Ecirc", 0x00ca }, { "Egrave", 0x00c8 }, { "Epsilon", 0x0395 },
	{ "Eta", 0x0397 }, { "Euml", 0x00cb }, { "Gamma", 0x0393 },
	{ "Iacute", 0x00cd }, { "Icirc", 0x00ce }, { "Igrave", 0x00cc },
	{ "Iota", 0x0399 }, { "Iuml", 0x00cf }, { "Kappa", 0x039a },
	{ "Lambda", 0x039b }, { "Mu", 0x039c }, { "Ntilde", 0x00d1 },
	{ "Nu", 0x039d }, { "OElig", 0x0152 }, { "Oacute", 0x00d3 },
	{ "Ocirc", 0x00d4 }, { "Ograve", 0x00d2 }, { "Omega", 0x03a9 },
	{ "Omicron", 0x039f }, { "Oslash", 0x00d8 }, { "Otilde", 0x00d5 },
	{ "Ouml", 0x00d6 }, { "Phi", 0x03a6 }, { "Pi", 0x03a0 },
	{ "Prime", 0x2033 }, { "Psi", 0x03a8 }, { "Rho", 0x03a1 },
	{ "Scaron", 0x0160 }, { "Sigma", 0x03a3 }, { "THORN", 0x00de },
	{ "Tau", 0x03a4 }, { "Theta", 0x0398 }, { "Uacute", 0x00da },
	{ "Ucirc", 0x00db }, { "Ugrave", 0x00d9 }, { "Upsilon", 0x03a5 },
	{ "Uuml", 0x00dc }, { "Xi", 0x039e }, { "Yacute", 0x00dd },
	{ "Yuml", 0x0178 }, { "Zeta", 0x0396 }, { "aacute", 0x00e1 },
	{ "acirc", 0x00e2 }, { "acute", 0x00b4 }, { "aelig", 0x00e6 },
	{ "agrave", 0x00e0 }, { "alefsym", 0x2135 }, { "alpha", 0x03b1 },
	{ "amp", 0x0026 }, { "and", 0x2227 }, { "ang", 0x2220 },
	{ "apos", 0x0027 }, { "aring", 0x00e5 }, { "asymp", 0x2248 },
	{ "atilde", 0x00e3 }, { "auml", 0x00e4 }, { "bdquo", 0x201e },
	{ "beta", 0x03b2 }, { "brvbar", 0x00a6 }, { "bull", 0x2022 },
	{ "cap", 0x2229 }, { "ccedil", 0x00e7 }, { "cedil", 0x00b8 },
	{ "cent", 0x00a2 }, { "chi", 0x03c7 }, { "circ", 0x02c6 },
	{ "clubs", 0x2663 }, { "cong", 0x2245 }, { "copy", 0x00a9 },
	{ "crarr", 0x21b5 }, { "cup", 0x222a }, { "curren", 0x00a4 },
	{ "dArr", 0x21d3 }, { "dagger", 0x2020 }, { "darr", 0x2193 },
	{ "deg", 0x00b0 }, { "delta", 0x03b4 }, { "diams", 0x2666 },
	{ "divide", 0x00f7 }, { "eacute", 0x00e9 }, { "ecirc", 0x00ea },
	{ "egrave", 0x00e8 }, { "empty", 0x2205 }, { "emsp", 0x2003 },
	{ "ensp", 0x2002 }, { "epsilon", 0x03b5 }, { "equiv", 0x2261 },
	{ "eta", 0x03b7 }, { "eth", 0x00f0 }, { "euml", 0x00eb },
	{ "euro", 0x20ac }, { "exist", 0x2203 }, { "fnof", 0x0192 },
	{ "forall", 0x2200 }, { "frac12", 0x00bd }, { "frac14", 0x00bc },
	{ "frac34", 0x00be }, { "frasl", 0x2044 }, { "gamma", 0x03b3 },
	{ "ge", 0x2265 }, { "gt", 0x003e }, { "hArr", 0x21d4 },
	{ "harr", 0x2194 }, { "hearts", 0x2665 }, { "hellip", 0x2026 },
	{ "iacute", 0x00ed }, { "icirc", 0x00ee }, { "iexcl", 0x00a1 },
	{ "igrave", 0x00ec }, { "image", 0x2111 }, { "infin", 0x221e },
	{ "int", 0x222b }, { "iota", 0x03b9 }, { "iquest", 0x00bf },
	{ "isin", 0x2208 }, { "iuml", 0x00ef }, { "kappa", 0x03ba },
	{ "lArr", 0x21d0 }, { "lambda", 0x03bb }, { "lang", 0x27e8 },
	{ "laquo", 0x00ab }, { "larr", 0x2190 }, { "lceil", 0x2308 },
	{ "ldquo", 0x201c }, { "le", 0x2264 }, { "lfloor", 0x230a },
	{ "lowast", 0x2217 }, { "loz", 0x25ca }, { "lrm", 0x200e },
	{ "lsaquo", 0x2039 }, { "lsquo", 0x2018 }, { "lt", 0x003c },
	{ "macr", 0x00af }, { "mdash", 0x2014 }, { "micro", 0x00b5 },
	{ "middot", 0x00b7 }, { "minus", 0x2212 }, { "mu", 0x03bc },
	{ "nabla", 0x2207 }, { "nbsp", 0x00a0 }, { "ndash", 0x2013 },
	{ "ne", 0x2260 }, { "ni", 0x220b }, { "not", 0x00ac },
	{ "notin", 0x2209 }, { "nsub", 0x2284 }, { "ntilde", 0x00f1 },
	{ "nu", 0x03bd }, { "oacute", 0x00f3 }, { "ocirc", 0x00f4 },
	{ "oelig", 0x0153 }, { "ograve", 0x00f2 }, { "oline", 0x203e },
	{ "omega", 0x03c9 }, { "omicron", 0x03bf }, { "oplus", 0x2295 },
	{ "or", 0x2228 }, { "ordf", 0x00aa }, { "ordm", 0x00ba },
	{ "oslash", 0x00f8 }, { "otilde", 0x00f5 }, { "otimes", 0x2297 },
	{ "ouml", 0x00f6 }, { "para", 0x00b6 }, { "part", 0x2202 },
	{ "permil", 0x2030 }, { "perp", 0x22a5 }, { "phi", 0x03c6 },
	{ "pi", 0x03c0 }, { "piv", 0x03d6 }, { "plusmn", 0x00b1 },
	{ "pound", 0x00a3 }, { "prime", 0x2032 }, { "prod", 0x220f },
	{ "prop", 0x221d }, { "psi", 0x03c8 }, { "quot", 0x0022 },
	{ "rArr", 0x21d2 }, { "radic", 0x221a }, { "rang", 0x27e9 },
	{ "raquo", 0x00bb }, { "rarr", 0x2192 }, { "rceil", 0x2309 },
	{ "rdquo", 0x201d }, { "real", 0x211c }, { "reg", 0x00ae },
	{ "rfloor", 0x230b }, { "rho", 0x03c1 }, { "rlm", 0x200f },
	{ "rsaquo", 0x203a }, { "rsquo", 0x2019 }, { "sbquo", 0x201a },
	{ "scaron", 0x0161 }, { "sdot", 0x22c5 }, { "sect", 0x00a7 },
	{ "shy", 0x00ad }, { "sigma", 0x03c3 }, { "sigmaf", 0x03c2 },
	{ "sim", 0x223c }, { "spades", 0x2660 }, { "sub", 0x2282 },
	{ "sube", 0x2286 }, { "sum", 0x2211 }, { "sup", 0x2283 },
	{ "sup1", 0x00b9 }, { "sup2", 0x00b2 }, { "sup3", 0x00b3 },
	{ "supe", 0x2287 }, { "szlig", 0x00df }, { "tau", 0x03c4 },
	{ "there4", 0x2234 }, { "theta", 0x03b8 }, { "thetasym", 0x03d1 },
	{ "thinsp", 0x2009 }, { "thorn", 0x00fe }, { "tilde", 0x02dc },
	{ "times", 0x00d7 }, { "trade", 0x2122 }, { "uArr", 0x21d1 },
	{ "uacute", 0x00fa }, { "uarr", 0x2191 }, { "ucirc", 0x00fb },
	{ "ugrave", 0x00f9 }, { "uml", 0x00a8 }, { "upsih", 0x03d2 },
	{ "upsilon", 0x03c5 }, { "uuml", 0x00fc }, { "weierp", 0x2118 },
	{ "xi", 0x03be }, { "yacute", 0x00fd }, { "yen", 0x00a5 },
	{ "yuml", 0x00ff }, { "zeta", 0x03b6 }, { "zwj", 0x200d },
	{ "zwnj", 0x200c },
};

static int tst_body_entity_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const tst_body_entity *)elem)->name);
}

#define TST_BODY_HTML_WS(c) \
	((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

/* "&name;" at p (after the '&'): the number of bytes it takes after the
 * '&', its character appended to out when known. A name of 10 or more
 * bytes, or one that white space or the end cuts short, is no entity:
 * then only the '&' goes (0 at the end: the rest goes too). */
static size_t tst_body_html_entity(const char *p, GString *out)
{
	char name[10];
	const tst_body_entity *entity;
	guint64 chr;
	char *end;
	size_t i;

	for (i = 0; p[i] != ';'; i++) {
		if (p[i] == '\0')
			return strlen(p);
		if (TST_BODY_HTML_WS(p[i]) || i >= sizeof(name) - 1)
			return 0;
	}
	memcpy(name, p, i);
	name[i] = '\0';
	entity = bsearch(name, tst_body_entities,
			 G_N_ELEMENTS(tst_body_entities),
			 sizeof(tst_body_entities[0]), tst_body_entity_cmp);
	if (entity != NULL) {
		g_string_append_unichar(out, entity->chr);
	} else if (name[0] == '#' &&
		   (name[1] == 'x' ? g_ascii_isxdigit(name[2]) :
				     g_ascii_isdigit(name[1]))) {
		/* &#nnn; and &#xhhh;: a code point that is a character. */
		chr = g_ascii_strtoull(name + (name[1] == 'x' ? 2 : 1), &end,
				       name[1] == 'x' ? 16 : 10);
		if (*end == '\0' && chr != 0 && chr <= 0x10ffff &&
		    (chr < 0xd800 || chr > 0xdfff))
			g_string_append_unichar(out, (gunichar)chr);
	}
	return i + 1;
}

/* A tag ends: it separates words, as a space unless one is there; in a
 * quotation each tag starts a quoted line. */
static void tst_body_html_tag_end(GString *out, guint quote_level)
{
	if (quote_level > 0)
		g_string_append(out, "\n>");
	if (out->len > 0 && !TST_BODY_HTML_WS(out->str[out->len - 1]))
		g_string_append_c(out, ' ');
}

/* The text of an HTML part for :text (RFC 5173 section 5.3 leaves it to
 * the implementation's "best effort"): as Dovecot's html2text, which
 * Pigeonhole uses, so that vea and Pigeonhole find the same words. Tags
 * are word breaks, quoted attribute values are part of their tag (an
 * unbalanced quote hides what follows, as there), comments, scripts and
 * styles go, CDATA stays, entities are decoded and blockquote lines get
 * "> ". White space is left as it is. */
static char *tst_body_html_to_text(const char *html)
{
	enum {
		HTML_TEXT,
		HTML_TAG,
		HTML_TAG_DQUOTED,
		HTML_TAG_SQUOTED,
		HTML_COMMENT,
		HTML_COMMENT_END,
		HTML_SCRIPT,
		HTML_STYLE,
		HTML_CDATA,
	} state = HTML_TEXT;
	GString *out = g_string_sized_new(strlen(html));
	guint quote_level = 0;
	const char *p;

	for (p = html; *p != '\0'; p++) {
		switch (state) {
		case HTML_TEXT:
			if (*p == '&') {
				p += tst_body_html_entity(p + 1, out);
			} else if (*p != '<') {
				g_string_append_c(out, *p);
			} else if (strncmp(p + 1, "!--", 3) == 0) {
				state = HTML_COMMENT;
				p += 3;
			} else if (g_ascii_strncasecmp(p + 1, "script", 6) == 0 &&
				   (TST_BODY_HTML_WS(p[7]) || p[7] == '>')) {
				state = HTML_SCRIPT;
				p += 7;
			} else if (g_ascii_strncasecmp(p + 1, "style", 5) == 0 &&
				   (TST_BODY_HTML_WS(p[6]) || p[6] == '>')) {
				state = HTML_STYLE;
				p += 6;
			} else if (strncmp(p + 1, "![CDATA[", 8) == 0) {
				state = HTML_CDATA;
				p += 8;
			} else if (g_ascii_strncasecmp(p + 1, "blockquote",
						       10) == 0 &&
				   (TST_BODY_HTML_WS(p[11]) || p[11] == '>')) {
				quote_level++;
				state = HTML_TAG;
			} else if (quote_level > 0 &&
				   g_ascii_strncasecmp(p + 1, "/blockquote>",
						       12) == 0) {
				if (--quote_level == 0)
					g_string_append_c(out, '\n');
				state = HTML_TAG;
			} else {
				state = HTML_TAG;
			}
			break;
		case HTML_TAG:
			if (*p == '"') {
				state = HTML_TAG_DQUOTED;
			} else if (*p == '\'') {
				state = HTML_TAG_SQUOTED;
			} else if (*p == '>') {
				state = HTML_TEXT;
				tst_body_html_tag_end(out, quote_level);
			}
			break;
		case HTML_TAG_DQUOTED:
		case HTML_TAG_SQUOTED:
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == (state == HTML_TAG_DQUOTED ? '"' : '\''))
				state = HTML_TAG;
			break;
		case HTML_COMMENT:
			if (*p == '-' && p[1] == '-') {
				state = HTML_COMMENT_END;
				p++;
			}
			break;
		case HTML_COMMENT_END:
			if (*p == '>')
				state = HTML_TEXT;
			else if (!TST_BODY_HTML_WS(*p))
				state = HTML_COMMENT;
			break;
		case HTML_SCRIPT:
		case HTML_STYLE: {
			const char *end = state == HTML_SCRIPT ? "</script>" :
								 "</style>";

			if (*p == '<' &&
			    g_ascii_strncasecmp(p, end, strlen(end)) == 0) {
				if (out->len > 0 &&
				    !TST_BODY_HTML_WS(out->str[out->len - 1]))
					g_string_append_c(out, ' ');
				state = HTML_TEXT;
				p += strlen(end) - 1;
			}
			break;
		}
		case HTML_CDATA:
			if (strncmp(p, "]]>", 3) == 0) {
				state = HTML_TEXT;
				p += 2;
			} else {
				g_string_append_c(out, *p);
			}
			break;
		}
	}
	return g_string_free(out, FALSE);
}

/* Section 5.2: a multipart part is searched in its prologue and
 * epilogue, a message/rfc822 part in the header of the message it holds;
 * what they contain, only when its own type matches. */
static gboolean tst_body_match_container(sieve_run *run, sieve_match *match,
					 unsigned int index)
{
	g_auto(GStrv) texts =
		mime_message_dup_part_container_texts(run->msg, index);
	gboolean matched = FALSE;
	guint i;

	for (i = 0; texts[i] != NULL && !matched; i++)
		matched = sieve_match_value(match, texts[i]);
	return matched;
}

static int tst_body_test(sieve_run *run, const sieve_ast_node *node,
			 gboolean *result_r)
{
	const tst_body_data *data = node->data;
	char *const *types = NULL;
	sieve_match match;
	gboolean matched = FALSE;
	unsigned int i, n;

	sieve_run_match_init(run, &match, &data->match, data->keys,
			     data->regexes);
	/* Section 6: wildcards of body keys set no match variables; the
	 * ones there are stay. */
	match.values = NULL;
	/* Section 5: a header without the empty line after it has no body,
	 * and every body test fails, even for "". */
	if (!mime_message_has_body(run->msg))
		return sieve_run_match_end(run, node, &match, FALSE, result_r);
	if (data->transform == SIEVE_TAG_RAW) {
		size_t len;

		matched = sieve_match_value(
			&match, mime_message_get_raw_body(run->msg, &len));
		return sieve_run_match_end(run, node, &match, matched,
					   result_r);
	}
	if (data->transform == SIEVE_TAG_CONTENT)
		types = sieve_run_strv(run, data->types);
	n = mime_message_get_part_count(run->msg);
	for (i = 0; i < n && !matched; i++) {
		const mime_part_info *info = mime_message_get_part(run->msg, i);
		const char *type = info->type, *subtype = info->subtype;
		const char *content;
		gboolean html;

		if (!info->multipart && !info->message &&
		    !tst_body_encoding_known(run->msg, i)) {
			type = "application";
			subtype = "octet-stream";
		}
		if (data->transform == SIEVE_TAG_CONTENT) {
			if (!tst_body_type_matches(types, type, subtype))
				continue;
			if (info->multipart || info->message) {
				matched = tst_body_match_container(run, &match,
								   i);
				continue;
			}
			content = mime_message_get_part_content(run->msg, i);
			matched = sieve_match_value(&match, content);
			continue;
		}
		/* :text: the text parts, and XHTML as Pigeonhole does. */
		html = (strcmp(type, "text") == 0 &&
			strcmp(subtype, "html") == 0) ||
		       (strcmp(type, "application") == 0 &&
			strcmp(subtype, "xhtml+xml") == 0);
		if (info->multipart || info->message ||
		    (!html && strcmp(type, "text") != 0))
			continue;
		content = mime_message_get_part_content(run->msg, i);
		if (html)
			content = sieve_run_keep(run,
						 tst_body_html_to_text(content));
		matched = sieve_match_value(&match, content);
	}
	return sieve_run_match_end(run, node, &match, matched, result_r);
}

static const sieve_command_def tst_body = {
	.name = "body",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_MATCH | SIEVE_CMD_READS_BODY,
	.positional = "L",
	.tags = tst_body_tags,
	.validate = tst_body_validate,
	.test = tst_body_test,
};

static const sieve_command_def *const body_commands[] = {
	&tst_body, NULL
};

const sieve_extension sieve_ext_body = {
	.capability = "body",
	.commands = body_commands,
};
