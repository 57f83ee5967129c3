/* HTML to text: see html-text.h. A state machine over the input, one
 * pass; each look-ahead is bounded (a tag name, an entity of at most 9
 * bytes), so hostile input costs linear time. */
#include "mime/html-text.h"

#include <glib.h>
#include <string.h>

/* HTML 4 character entities, sorted by name (strcmp) for bsearch. */
typedef struct html_entity {
	const char *name;
	gunichar chr;
} html_entity;

static const html_entity html_entities[] = {
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

static int html_entity_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const html_entity *)elem)->name);
}

#define HTML_WS(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

typedef struct html_out {
	GString *str;
	html_text_flags flags;
	gboolean space; /* READABLE: white space seen, not yet written */
} html_out;

static void html_out_text(html_out *out, const char *text, size_t len)
{
	size_t i;

	if (!(out->flags & HTML_TEXT_READABLE)) {
		g_string_append_len(out->str, text, len);
		return;
	}
	for (i = 0; i < len; i++) {
		if (HTML_WS(text[i])) {
			out->space = TRUE;
			continue;
		}
		if (out->space && out->str->len > 0 &&
		    out->str->str[out->str->len - 1] != '\n')
			g_string_append_c(out->str, ' ');
		out->space = FALSE;
		g_string_append_c(out->str, text[i]);
	}
}

static void html_out_char(html_out *out, char c)
{
	html_out_text(out, &c, 1);
}

/* READABLE: a line ends; at most one empty line in a row. */
static void html_out_break(html_out *out)
{
	GString *s = out->str;

	out->space = FALSE;
	if (s->len == 0)
		return;
	if (s->len >= 2 && s->str[s->len - 1] == '\n' &&
	    s->str[s->len - 2] == '\n')
		return;
	g_string_append_c(s, '\n');
}

/* A tag ends: it separates words. */
static void html_out_tag_end(html_out *out, guint quote_level)
{
	GString *s = out->str;

	if (out->flags & HTML_TEXT_READABLE) {
		out->space = TRUE;
		return;
	}
	/* In a quotation each tag starts a quoted line (Dovecot). */
	if (quote_level > 0)
		g_string_append(s, "\n>");
	if (s->len > 0 && !HTML_WS(s->str[s->len - 1]))
		g_string_append_c(s, ' ');
}

/* "&name;" at p (after the '&'): the number of bytes it takes after the
 * '&', its character written when known. A name of 10 or more bytes, or
 * one that white space cuts short, is no entity: then only the '&' goes
 * (at the end of the input, the rest goes too: Dovecot's rules). */
static size_t html_entity_decode(const char *p, html_out *out)
{
	char name[10];
	const html_entity *entity;
	guint64 chr;
	char *end;
	size_t i;

	for (i = 0; p[i] != ';'; i++) {
		if (p[i] == '\0')
			return i;
		if (HTML_WS(p[i]) || i >= sizeof(name) - 1)
			return 0;
	}
	memcpy(name, p, i);
	name[i] = '\0';
	entity = bsearch(name, html_entities, G_N_ELEMENTS(html_entities),
			 sizeof(html_entities[0]), html_entity_cmp);
	chr = 0;
	if (entity != NULL) {
		chr = entity->chr;
	} else if (name[0] == '#' &&
		   (name[1] == 'x' || name[1] == 'X' ?
			    g_ascii_isxdigit(name[2]) :
			    g_ascii_isdigit(name[1]))) {
		/* At most 8 digits fit in name: no overflow. */
		gboolean hex = name[1] == 'x' || name[1] == 'X';

		chr = g_ascii_strtoull(name + (hex ? 2 : 1), &end,
				       hex ? 16 : 10);
		if (*end != '\0' || chr > 0x10ffff ||
		    (chr >= 0xd800 && chr <= 0xdfff))
			chr = 0;
	}
	if (chr != 0) {
		char utf8[6];
		/* For reading, a no-break space is a space. */
		if (chr == 0xa0 && (out->flags & HTML_TEXT_READABLE))
			chr = ' ';
		html_out_text(out, utf8, g_unichar_to_utf8((gunichar)chr, utf8));
	}
	return i + 1;
}

/* p at '<' or "</": is the tag name there name (followed by white
 * space, '/' or '>')? */
static gboolean html_tag_is(const char *p, const char *name)
{
	size_t len = strlen(name);

	p += p[1] == '/' ? 2 : 1;
	return g_ascii_strncasecmp(p, name, len) == 0 &&
	       (HTML_WS(p[len]) || p[len] == '>' || p[len] == '/');
}

/* Elements that end a line when read (HTML 4 block elements). */
static gboolean html_tag_is_block(const char *p)
{
	static const char *const blocks[] = {
		"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5",
		"h6", "table", "ul", "ol", "dl", "dt", "dd", "pre",
		"blockquote", "hr", "address", "center", "form", "fieldset",
		NULL
	};
	size_t i;

	for (i = 0; blocks[i] != NULL; i++) {
		if (html_tag_is(p, blocks[i]))
			return TRUE;
	}
	return FALSE;
}

char *html_text_from_html(const char *html, html_text_flags flags)
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
		HTML_HEAD,
		HTML_CDATA,
	} state = HTML_TEXT;
	gboolean readable = (flags & HTML_TEXT_READABLE) != 0;
	html_out out = { g_string_sized_new(strlen(html)), flags, FALSE };
	guint quote_level = 0;
	const char *p;

	for (p = html; *p != '\0'; p++) {
		switch (state) {
		case HTML_TEXT:
			if (*p == '&') {
				p += html_entity_decode(p + 1, &out);
			} else if (*p != '<') {
				const char *q = p + strcspn(p, "&<");

				html_out_text(&out, p, q - p);
				p = q - 1;
			} else if (strncmp(p + 1, "!--", 3) == 0) {
				state = HTML_COMMENT;
				p += 3;
			} else if (html_tag_is(p, "script") && p[1] != '/') {
				state = HTML_SCRIPT;
				p += 7;
			} else if (html_tag_is(p, "style") && p[1] != '/') {
				state = HTML_STYLE;
				p += 6;
			} else if (readable && html_tag_is(p, "head") &&
				   p[1] != '/') {
				state = HTML_HEAD;
				p += 5;
			} else if (strncmp(p + 1, "![CDATA[", 8) == 0) {
				state = HTML_CDATA;
				p += 8;
			} else {
				if (html_tag_is(p, "blockquote")) {
					if (p[1] != '/') {
						quote_level++;
					} else if (quote_level > 0 &&
						   --quote_level == 0 &&
						   !readable) {
						g_string_append_c(out.str, '\n');
					}
				}
				if (readable && html_tag_is_block(p))
					html_out_break(&out);
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
				html_out_tag_end(&out, quote_level);
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
			else if (!HTML_WS(*p))
				state = HTML_COMMENT;
			break;
		case HTML_SCRIPT:
		case HTML_STYLE:
		case HTML_HEAD: {
			const char *end = state == HTML_SCRIPT ? "</script>" :
					  state == HTML_STYLE  ? "</style>" :
								 "</head>";

			if (*p == '<' &&
			    g_ascii_strncasecmp(p, end, strlen(end)) == 0) {
				html_out_tag_end(&out, 0);
				state = HTML_TEXT;
				p += strlen(end) - 1;
			} else if (state == HTML_HEAD && *p == '<' &&
				   html_tag_is(p, "body")) {
				/* <body> ends a <head> left open. */
				state = HTML_TAG;
			}
			break;
		}
		case HTML_CDATA:
			if (strncmp(p, "]]>", 3) == 0) {
				state = HTML_TEXT;
				p += 2;
			} else {
				html_out_char(&out, *p);
			}
			break;
		}
	}
	if (readable) {
		/* Trim each line's ends. */
		GString *s = out.str;
		char **lines = g_strsplit(s->str, "\n", -1);
		guint i;

		g_string_truncate(s, 0);
		for (i = 0; lines[i] != NULL; i++) {
			if (i > 0)
				g_string_append_c(s, '\n');
			g_string_append(s, g_strstrip(lines[i]));
		}
		g_strfreev(lines);
		while (s->len > 0 && s->str[s->len - 1] == '\n')
			g_string_truncate(s, s->len - 1);
	}
	return g_string_free(out.str, FALSE);
}
