/* The hand-written readers that stand in for GMime on plain input
 * (fast-parse.h says why they exist and what holds them to GMime). Hot
 * path, measured by bench-sieve: change only with its numbers and
 * test-mime /mime/fast-vs-gmime passing. */
#include "mime/fast-parse.h"
#include "mime/rfc2047.h"

gboolean mime_fast_header_split(const char *header, size_t len,
				mime_header_index *index)
{
	const char *p = header, *end = header + len;
	mime_header_entry *entry = NULL;

	mime_header_index_reset(index);
	while (p < end) {
		const char *eol = memchr(p, '\n', end - p), *q, *line_end;

		if (eol == NULL)
			eol = end;
		line_end = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		if (line_end == p)
			break; /* the empty line */
		if (memchr(p, '\0', eol - p) != NULL ||
		    memchr(p, '\r', line_end - p) != NULL)
			return FALSE;
		if (*p == ' ' || *p == '\t') {
			for (q = p; q < line_end && (*q == ' ' || *q == '\t'); q++)
				;
			if (entry == NULL || q == line_end)
				return FALSE;
			entry->value_len = line_end - entry->value;
		} else {
			for (q = p; q < line_end && (g_ascii_isalnum(*q) ||
						     *q == '-' || *q == '_' ||
						     *q == '.');
			     q++)
				;
			if (q == p || q == line_end || *q != ':')
				return FALSE;
			entry = mime_header_index_add(index);
			entry->header = NULL;
			entry->name = p;
			entry->name_len = q - p;
			entry->hash = mime_header_name_hash(p, q - p);
			entry->top_part = q - p >= 8 &&
					  g_ascii_strncasecmp(p, "content-", 8) == 0;
			entry->value = q + 1;
			entry->value_len = line_end - (q + 1);
		}
		p = eol + 1;
	}
	mime_header_index_link(index);
	return index->n_entries > 0;
}

gboolean mime_fast_value_is_plain(const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len;
	guint64 word;

	/* Eight bytes at a time for the high bit: most values are ASCII. */
	for (; p + 8 <= end; p += 8) {
		memcpy(&word, p, 8);
		if ((word & G_GUINT64_CONSTANT(0x8080808080808080)) != 0)
			return FALSE;
	}
	for (; p < end; p++) {
		if ((guchar)*p >= 0x80)
			return FALSE;
	}
	for (p = raw; (p = memchr(p, '=', end - p)) != NULL; p++) {
		if (p + 1 < end && p[1] == '?')
			return FALSE;
	}
	return memchr(raw, '\0', len) == NULL;
}

/* name is raw: an atom phrase may hold RFC 2047 encoded words
 * (section 5 (3)), decoded here; a quoted one is taken as it is. */
static void fast_address_add(GPtrArray *out, const char *name,
			     size_t name_len, gboolean decode_name,
			     const char *local, size_t local_len,
			     const char *domain, size_t domain_len)
{
	mime_address *address = g_new0(mime_address, 1);

	if (decode_name) {
		g_autofree char *raw = g_strndup(name, name_len);

		address->name = mime_rfc2047_decode_phrase(raw);
	} else {
		address->name = g_strndup(name, name_len);
	}
	address->localpart = g_strndup(local, local_len);
	address->domain = g_strndup(domain, domain_len);
	/* Real mail has local parts with dots out of place
	 * ("b..sanders@enron.com"): not a dot-atom, so written quoted. */
	if (mime_address_local_is_dot_atom(local, local_len))
		address->addr = g_strndup(local, domain + domain_len - local);
	else
		address->addr = mime_address_format(address->localpart,
						    address->domain);
	g_ptr_array_add(out, address);
}

gboolean mime_fast_address_list_parse(const char *p, GPtrArray *out)
{
	guint start = out->len;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return FALSE;
	for (;;) {
		const char *name = "", *local, *at, *domain, *q;
		size_t name_len = 0;
		gboolean angle = FALSE, decode_name = FALSE;

		if (*p == '"') {
			/* "Display Name" <addr> */
			for (q = p + 1; *q != '"'; q++) {
				if (*q == '\0' || *q == '\\' || *q == '=' ||
				    *q == '\t' || *q == '\r' || *q == '\n')
					goto fail;
			}
			name = p + 1;
			name_len = q - name;
			/* Spaces at the ends or doubled: left to GMime. */
			if (name_len == 0 || name[0] == ' ' ||
			    name[name_len - 1] == ' ' ||
			    g_strstr_len(name, name_len, "  ") != NULL ||
			    !g_utf8_validate(name, name_len, NULL))
				goto fail;
			p = q + 1;
			if (*p != ' ')
				goto fail;
			p++;
			if (*p != '<')
				goto fail;
		} else if (*p != '<') {
			/* Either atoms then <addr>, or a bare addr-spec. */
			for (q = p; mime_address_is_atext(*q) ||
				    (guchar)*q >= 0x80 || *q == '.' ||
				    *q == '@' ||
				    (*q == ' ' && (mime_address_is_atext(q[1]) ||
						   (guchar)q[1] >= 0x80));
			     q++)
				;
			if (*q == ' ' && q[1] == '<') {
				name = p;
				name_len = q - p;
				if (memchr(name, '@', name_len) != NULL ||
				    memchr(name, '.', name_len) != NULL ||
				    !g_utf8_validate(name, name_len, NULL))
					goto fail;
				/* Encoded words (RFC 2047) or UTF-8 (RFC
				 * 6532): GMime decodes the phrase. */
				decode_name = g_strstr_len(name, name_len, "=?") !=
						      NULL ||
					      !mime_fast_value_is_plain(name, name_len);
				p = q + 1;
			}
		}
		if (*p == '<') {
			angle = TRUE;
			p++;
		}
		local = p;
		for (q = p; mime_address_is_atext(*q) || *q == '.'; q++)
			;
		if (q == local || *q != '@')
			goto fail;
		at = q;
		domain = at + 1;
		for (q = domain; g_ascii_isalnum(*q) || *q == '-' ||
				 (*q == '.' && q > domain && q[-1] != '.' &&
				  g_ascii_isalnum(q[1]));
		     q++)
			;
		if (q == domain || q[-1] == '-' ||
		    g_ascii_strncasecmp(domain, "xn--", 4) == 0 ||
		    g_strstr_len(domain, q - domain, ".xn--") != NULL)
			goto fail;
		if (angle) {
			if (*q != '>')
				goto fail;
			fast_address_add(out, name, name_len, decode_name,
					 local, at - local, domain, q - domain);
			q++;
		} else {
			fast_address_add(out, "", 0, FALSE, local, at - local,
					 domain, q - domain);
		}
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '\0')
			return TRUE;
		if (*q != ',')
			goto fail;
		q++;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '\0')
			goto fail;
		p = q;
	}
fail:
	g_ptr_array_remove_range(out, start, out->len - start);
	return FALSE;
}

char *mime_message_id_parse_plain(const char *raw)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
	const char *p = raw, *start, *at = NULL, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '<')
		return NULL;
	start = ++p;
	for (; *p != '>'; p++) {
		if (*p == '@') {
			if (at != NULL)
				return NULL;
			at = p;
		} else if (*p == '.') {
			/* dot-atoms: no dot first, last or doubled */
			if (p == start || p[-1] == '.' || p[-1] == '@' ||
			    p[1] == '.' || p[1] == '@' || p[1] == '>')
				return NULL;
		} else if (*p == '\0' ||
			   (!g_ascii_isalnum(*p) && strchr(atext, *p) == NULL)) {
			return NULL;
		}
	}
	if (at == NULL || at == start || at + 1 == p)
		return NULL;
	for (end = p + 1; *end == ' ' || *end == '\t'; end++)
		;
	if (*end != '\0')
		return NULL;
	return g_strndup(start, p - start);
}
