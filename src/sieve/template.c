/* Reply templates (template.h): parsed once, when the rules are compiled,
 * into literal text and references, so that expanding one for a message
 * is a single pass that never reads a value for references again. */

#include "sieve/template.h"
#include "sieve/sieve-private.h"

#include <string.h>

const char *const sieve_template_fields[] = {
	"sender.name",	     "sender.first_name",  "sender.address",
	"original.subject",  "original.date",	   "original.first_line",
	"executive.name",    "executive.first_name", "executive.email",
	"executive.signature", "assistant.name",   "assistant.email",
	"today",	     "weekday",		   "quote",
	NULL,
};

/* A piece of text: literal (name NULL) or a reference (text NULL). */
typedef struct tpl_seg {
	char *text;
	char *name; /* canonical */
} tpl_seg;

typedef struct tpl_text {
	GPtrArray *segs; /* tpl_seg * */
} tpl_text;

struct sieve_template {
	gatomicrefcount ref;
	char *path;
	tpl_text *subject;  /* NULL: none */
	GPtrArray *to, *cc; /* tpl_text * */
	tpl_text *body;
	GPtrArray *variables; /* char *, NULL-terminated */
	GHashTable *body_names;
};

typedef struct tpl_parser {
	const char *path;
	gboolean (*known)(const char *name, void *context);
	void *context;
	GPtrArray *errors;
	gboolean failed;
	sieve_template *tpl;
} tpl_parser;

static void tpl_seg_free(gpointer data)
{
	tpl_seg *seg = data;

	g_free(seg->text);
	g_free(seg->name);
	g_free(seg);
}

static tpl_text *tpl_text_new(void)
{
	tpl_text *text = g_new0(tpl_text, 1);

	text->segs = g_ptr_array_new_with_free_func(tpl_seg_free);
	return text;
}

static void tpl_text_free(gpointer data)
{
	tpl_text *text = data;

	if (text == NULL)
		return;
	g_ptr_array_unref(text->segs);
	g_free(text);
}

static void tpl_text_add_literal(tpl_text *text, const char *s, size_t len)
{
	tpl_seg *last = text->segs->len > 0 ? g_ptr_array_index(text->segs, text->segs->len - 1)
					    : NULL;

	if (len == 0)
		return;
	if (last != NULL && last->text != NULL) {
		char *joined = g_malloc(strlen(last->text) + len + 1);

		strcpy(joined, last->text);
		memcpy(joined + strlen(last->text), s, len);
		joined[strlen(last->text) + len] = '\0';
		g_free(last->text);
		last->text = joined;
		return;
	}
	last = g_new0(tpl_seg, 1);
	last->text = g_strndup(s, len);
	g_ptr_array_add(text->segs, last);
}

static gboolean tpl_is_identifier(const char *s, size_t len)
{
	if (len == 0 || (!g_ascii_isalpha(*s) && *s != '_'))
		return FALSE;
	for (size_t i = 1; i < len; i++) {
		if (!g_ascii_isalnum(s[i]) && s[i] != '_')
			return FALSE;
	}
	return TRUE;
}

/* RFC 5229 section 3: namespace *identifier "." then an identifier, or
 * a num-variable. */
static gboolean tpl_ref_is_wellformed(const char *name, size_t len)
{
	const char *part = name, *end = name + len, *dot;
	gboolean digits = TRUE;

	for (size_t i = 0; i < len; i++)
		digits = digits && g_ascii_isdigit(name[i]);
	if (digits)
		return len > 0;
	while ((dot = memchr(part, '.', (size_t)(end - part))) != NULL) {
		if (!tpl_is_identifier(part, (size_t)(dot - part)))
			return FALSE;
		part = dot + 1;
	}
	return tpl_is_identifier(part, (size_t)(end - part));
}

static gboolean tpl_is_field(const char *name)
{
	return g_strv_contains(sieve_template_fields, name);
}

gboolean sieve_template_name_is_variable(const char *name, char **canonical_r)
{
	g_autofree char *lower = g_ascii_strdown(name, -1);
	const char *plain = g_str_has_prefix(lower, "vars.") ? lower + 5 : lower;
	const char *dot = strchr(plain, '.');

	if (canonical_r != NULL)
		*canonical_r = NULL;
	if (tpl_is_field(lower) || *plain == '\0')
		return FALSE;
	/* Other namespaces are the fields' (and RFC 6609's "global."). */
	if (dot != NULL && !(g_str_has_prefix(plain, "global.") && strchr(dot + 1, '.') == NULL))
		return FALSE;
	if (canonical_r != NULL)
		*canonical_r = g_strdup(plain);
	return TRUE;
}

static void tpl_error(tpl_parser *p, int line, int column, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

static void tpl_error(tpl_parser *p, int line, int column, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	sieve_errors_addv(p->errors, p->path, line, column, fmt, args);
	va_end(args);
	p->failed = TRUE;
}

static gboolean tpl_has_variable(const sieve_template *tpl, const char *name)
{
	/* The array ends with its NULL. */
	for (guint i = 0; i + 1 < tpl->variables->len; i++) {
		if (strcmp(g_ptr_array_index(tpl->variables, i), name) == 0)
			return TRUE;
	}
	return FALSE;
}

/* The references of one line of text (line:column of its first byte)
 * appended to text, checked against what the template may name. */
static void tpl_parse_refs(tpl_parser *p, tpl_text *text, const char *s, size_t len, int line,
			   int column)
{
	const char *end = s + len, *lit = s, *dollar;

	while ((dollar = g_strstr_len(lit, end - lit, "${")) != NULL) {
		const char *q = dollar + 2;
		g_autofree char *name = NULL;
		g_autofree char *canonical = NULL;
		int col = column + (int)(dollar - s);
		tpl_seg *seg;

		while (q < end && (g_ascii_isalnum(*q) || *q == '_' || *q == '.'))
			q++;
		if (q >= end || *q != '}' || q - dollar - 2 >= 128 ||
		    !tpl_ref_is_wellformed(dollar + 2, (size_t)(q - dollar - 2))) {
			/* Not a reference: literal, as in Sieve strings. */
			tpl_text_add_literal(text, lit, (size_t)(dollar + 2 - lit));
			lit = dollar + 2;
			continue;
		}
		tpl_text_add_literal(text, lit, (size_t)(dollar - lit));
		lit = q + 1;
		name = g_strndup(dollar + 2, (size_t)(q - dollar - 2));
		canonical = g_ascii_strdown(name, -1);
		if (!tpl_is_field(canonical)) {
			g_clear_pointer(&canonical, g_free);
			if (!sieve_template_name_is_variable(name, &canonical)) {
				tpl_error(p, line, col,
					  "unknown variable '${%s}': no such field (see "
					  "vea-rules(5), DRAFTS)",
					  name);
				continue;
			}
			if (p->known == NULL || !p->known(canonical, p->context)) {
				tpl_error(p, line, col,
					  "unknown variable '${%s}': the rule file sets no "
					  "variable '%s' before this draft",
					  name, canonical);
				continue;
			}
			if (!tpl_has_variable(p->tpl, canonical)) {
				g_ptr_array_insert(p->tpl->variables, (gint)p->tpl->variables->len - 1,
						   g_strdup(canonical));
			}
		}
		seg = g_new0(tpl_seg, 1);
		seg->name = g_steal_pointer(&canonical);
		g_ptr_array_add(text->segs, seg);
		if (text == p->tpl->body)
			g_hash_table_add(p->tpl->body_names, g_strdup(seg->name));
	}
	tpl_text_add_literal(text, lit, (size_t)(end - lit));
}

/* To and Cc: one item per address, split at the template's own commas
 * (outside quotes), so that no value put in later can make two
 * recipients of one. */
static void tpl_split_addresses(GPtrArray *items, const tpl_text *field)
{
	tpl_text *item = tpl_text_new();
	gboolean quoted = FALSE;

	for (guint i = 0; i < field->segs->len; i++) {
		const tpl_seg *seg = g_ptr_array_index(field->segs, i);
		const char *start;

		if (seg->name != NULL) {
			tpl_seg *copy = g_new0(tpl_seg, 1);

			copy->name = g_strdup(seg->name);
			g_ptr_array_add(item->segs, copy);
			continue;
		}
		start = seg->text;
		for (const char *c = seg->text; *c != '\0'; c++) {
			if (*c == '"')
				quoted = !quoted;
			else if (*c == '\\' && quoted && c[1] != '\0')
				c++;
			else if (*c == ',' && !quoted) {
				tpl_text_add_literal(item, start, (size_t)(c - start));
				if (item->segs->len > 0)
					g_ptr_array_add(items, item);
				else
					tpl_text_free(item);
				item = tpl_text_new();
				start = c + 1;
			}
		}
		tpl_text_add_literal(item, start, strlen(start));
	}
	if (item->segs->len > 0)
		g_ptr_array_add(items, item);
	else
		tpl_text_free(item);
}

/* One line of text: its start, its length without the line end, where
 * the next begins. */
static gboolean tpl_next_line(const char **pos, const char *end, const char **line_r,
			      size_t *len_r)
{
	const char *nl;

	if (*pos >= end)
		return FALSE;
	nl = memchr(*pos, '\n', (size_t)(end - *pos));
	*line_r = *pos;
	*len_r = nl != NULL ? (size_t)(nl - *pos) : (size_t)(end - *pos);
	*pos = nl != NULL ? nl + 1 : end;
	if (*len_r > 0 && (*line_r)[*len_r - 1] == '\r')
		(*len_r)--;
	return TRUE;
}

/* A header field name (RFC 5322 3.6.8 ftext) followed by ':'; its
 * length, or 0. */
static size_t tpl_field_name_len(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && line[i] >= 33 && line[i] <= 126 && line[i] != ':')
		i++;
	return i > 0 && i < len && line[i] == ':' ? i : 0;
}

static void tpl_parse_header(tpl_parser *p, const char **pos, const char *end, int *line_no)
{
	const char *line;
	size_t len;
	tpl_text *field = NULL;
	GPtrArray *split_into = NULL;

	while (tpl_next_line(pos, end, &line, &len)) {
		size_t name_len, skip;

		(*line_no)++;
		if (len == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t') {
			/* RFC 5322 2.2.3: a folded field continues. */
			if (field == NULL) {
				tpl_error(p, *line_no, 1,
					  "a template's header fields cannot start with a "
					  "continuation line");
				continue;
			}
			tpl_parse_refs(p, field, line, len, *line_no, 1);
			continue;
		}
		if (split_into != NULL)
			tpl_split_addresses(split_into, field);
		if (split_into != NULL)
			tpl_text_free(field);
		field = NULL;
		split_into = NULL;
		name_len = tpl_field_name_len(line, len);
		if (name_len == 0) {
			tpl_error(p, *line_no, 1,
				  "not a header field: a template starts with header fields "
				  "(Subject:, To:, Cc:) and a blank line, or with a blank line "
				  "when it has none");
			continue;
		}
		skip = name_len + 1;
		while (skip < len && (line[skip] == ' ' || line[skip] == '\t'))
			skip++;
		if (name_len == 7 && g_ascii_strncasecmp(line, "subject", 7) == 0) {
			if (p->tpl->subject != NULL) {
				tpl_error(p, *line_no, 1, "the template has two Subject fields");
				continue;
			}
			field = p->tpl->subject = tpl_text_new();
		} else if (name_len == 2 && g_ascii_strncasecmp(line, "to", 2) == 0) {
			field = tpl_text_new();
			split_into = p->tpl->to;
		} else if (name_len == 2 && g_ascii_strncasecmp(line, "cc", 2) == 0) {
			field = tpl_text_new();
			split_into = p->tpl->cc;
		} else {
			tpl_error(p, *line_no, 1,
				  "a template cannot set '%.*s' (Subject, To and Cc are the "
				  "fields it may set)",
				  (int)name_len, line);
			continue;
		}
		tpl_parse_refs(p, field, line + skip, len - skip, *line_no, (int)skip + 1);
	}
	if (split_into != NULL) {
		tpl_split_addresses(split_into, field);
		tpl_text_free(field);
	}
}

sieve_template *sieve_template_parse(const char *path, const char *text, size_t len,
				     gboolean (*known)(const char *name, void *context),
				     void *context, GPtrArray *errors)
{
	tpl_parser p = { path, known, context, errors, FALSE, NULL };
	const char *pos = text, *end = text + len, *bad, *line;
	size_t line_len;
	int line_no = 0;

	if (len > SIEVE_TEMPLATE_MAX_SIZE) {
		tpl_error(&p, 1, 1, "template too large (max %d bytes)", SIEVE_TEMPLATE_MAX_SIZE);
		return NULL;
	}
	if (!g_utf8_validate(text, (gssize)len, &bad)) {
		int l = 1, c = 1;

		for (const char *q = text; q < bad; q++) {
			if (*q == '\n') {
				l++;
				c = 1;
			} else {
				c++;
			}
		}
		tpl_error(&p, l, c, "the template is not UTF-8 text");
		return NULL;
	}
	p.tpl = g_new0(sieve_template, 1);
	g_atomic_ref_count_init(&p.tpl->ref);
	p.tpl->path = g_strdup(path);
	p.tpl->to = g_ptr_array_new_with_free_func(tpl_text_free);
	p.tpl->cc = g_ptr_array_new_with_free_func(tpl_text_free);
	p.tpl->body = tpl_text_new();
	p.tpl->variables = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(p.tpl->variables, NULL);
	p.tpl->body_names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	if (len > 0 && text[0] == '\n')
		pos++, line_no++;
	else if (len > 1 && text[0] == '\r' && text[1] == '\n')
		pos += 2, line_no++;
	else
		tpl_parse_header(&p, &pos, end, &line_no);
	while (tpl_next_line(&pos, end, &line, &line_len)) {
		line_no++;
		tpl_parse_refs(&p, p.tpl->body, line, line_len, line_no, 1);
		tpl_text_add_literal(p.tpl->body, "\n", 1);
	}
	if (p.failed) {
		sieve_template_unref(&p.tpl);
		return NULL;
	}
	return p.tpl;
}

sieve_template *sieve_template_ref(sieve_template *tpl)
{
	g_atomic_ref_count_inc(&tpl->ref);
	return tpl;
}

void sieve_template_unref(sieve_template **tplp)
{
	sieve_template *tpl = *tplp;

	*tplp = NULL;
	if (tpl == NULL || !g_atomic_ref_count_dec(&tpl->ref))
		return;
	g_free(tpl->path);
	tpl_text_free(tpl->subject);
	g_ptr_array_unref(tpl->to);
	g_ptr_array_unref(tpl->cc);
	tpl_text_free(tpl->body);
	g_ptr_array_unref(tpl->variables);
	g_hash_table_destroy(tpl->body_names);
	g_free(tpl);
}

const char *sieve_template_get_path(const sieve_template *tpl)
{
	return tpl->path;
}

const char *const *sieve_template_get_variables(const sieve_template *tpl)
{
	return (const char *const *)tpl->variables->pdata;
}

gboolean sieve_template_body_uses(const sieve_template *tpl, const char *name)
{
	return g_hash_table_contains(tpl->body_names, name);
}

static const tpl_text *tpl_slot(const sieve_template *tpl, sieve_template_slot slot, guint index)
{
	switch (slot) {
	case SIEVE_TEMPLATE_SUBJECT:
		return index == 0 ? tpl->subject : NULL;
	case SIEVE_TEMPLATE_TO:
		return index < tpl->to->len ? g_ptr_array_index(tpl->to, index) : NULL;
	case SIEVE_TEMPLATE_CC:
		return index < tpl->cc->len ? g_ptr_array_index(tpl->cc, index) : NULL;
	case SIEVE_TEMPLATE_BODY:
		return index == 0 ? tpl->body : NULL;
	}
	return NULL;
}

guint sieve_template_count(const sieve_template *tpl, sieve_template_slot slot)
{
	switch (slot) {
	case SIEVE_TEMPLATE_SUBJECT:
		return tpl->subject != NULL ? 1 : 0;
	case SIEVE_TEMPLATE_TO:
		return tpl->to->len;
	case SIEVE_TEMPLATE_CC:
		return tpl->cc->len;
	case SIEVE_TEMPLATE_BODY:
		return 1;
	}
	return 0;
}

char *sieve_template_expand(const sieve_template *tpl, sieve_template_slot slot, guint index,
			    const char *(*lookup)(const char *name, void *context),
			    void *context)
{
	const tpl_text *text = tpl_slot(tpl, slot, index);
	GString *out = g_string_new(NULL);

	for (guint i = 0; text != NULL && i < text->segs->len; i++) {
		const tpl_seg *seg = g_ptr_array_index(text->segs, i);
		const char *value;

		if (seg->text != NULL) {
			g_string_append(out, seg->text);
			continue;
		}
		value = lookup(seg->name, context);
		if (value != NULL)
			g_string_append(out, value);
	}
	return g_string_free(out, FALSE);
}
