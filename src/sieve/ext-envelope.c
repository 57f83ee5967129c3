/* envelope (RFC 5228 section 5.4). An IMAP agent often knows no
 * envelope: then the test sees no values and is false (:count "eq" "0"
 * aside). */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

#include <string.h>

static int tst_envelope_validate(sieve_validator *v, sieve_ast_node *node,
				 const sieve_args *args)
{
	const sieve_ast_arg *arg = args->positional[0];
	guint i;

	for (i = 0; i < arg->strings->len; i++) {
		const char *part = g_ptr_array_index(arg->strings, i);

		/* Section 5.4: "from" and "to" are the parts defined. */
		if (sieve_validator_is_constant(v, part) &&
		    g_ascii_strcasecmp(part, "from") != 0 &&
		    g_ascii_strcasecmp(part, "to") != 0) {
			sieve_validator_error(v, arg->line, arg->column,
					      "unknown envelope part '%s'",
					      part);
			return -1;
		}
	}
	return sieve_match_test_validate(v, node, args);
}

/* An SMTP path (RFC 5321 section 4.1.2) as the envelope test reads it
 * (RFC 5228 section 5.4): angle brackets optional, a source route
 * ("@a.example,@b.example:") skipped, "" and "<>" the null path (every
 * part empty), a mailbox without domain allowed ("<MAILER-DAEMON>").
 * Returns FALSE for a path that does not parse: the test sees no value
 * for it. local_r and domain_r (NULL when none) are new strings. */
static gboolean envelope_domain_valid(const char *p, size_t len)
{
	size_t i, label = 0;

	if (len == 0)
		return FALSE;
	if (p[0] == '[')
		return p[len - 1] == ']';
	for (i = 0; i < len; i++) {
		if (p[i] == '.') {
			if (label == 0)
				return FALSE;
			label = 0;
		} else if (g_ascii_isalnum(p[i]) || p[i] == '-' || p[i] == '_' ||
			   (unsigned char)p[i] >= 0x80) {
			label++;
		} else {
			return FALSE;
		}
	}
	return label > 0;
}

/* sieve_envelope_parse_path without allocating: the local part and
 * domain as spans of path (*domain_r NULL when none; both empty for the
 * null path). */
static gboolean envelope_split_path(const char *path, const char **local_r,
				    size_t *local_len_r, const char **domain_r,
				    size_t *domain_len_r)
{
	const char *p = path, *end = path + strlen(path), *at = NULL, *q;

	*local_r = *domain_r = NULL;
	*local_len_r = *domain_len_r = 0;
	if (*p == '<') {
		if (end - p < 2 || end[-1] != '>')
			return FALSE;
		p++;
		end--;
	}
	for (q = p; q < end; q++) {
		if (*q == '<' || *q == '>')
			return FALSE;
	}
	if (p == end) {
		/* The null path. */
		*local_r = *domain_r = "";
		return TRUE;
	}
	if (*p == '@') {
		/* A source route: "@domain" items separated by ',', then
		 * ':'. */
		for (;;) {
			const char *d = ++p;

			while (p < end && *p != ',' && *p != ':')
				p++;
			if (p == end || !envelope_domain_valid(d, p - d))
				return FALSE;
			if (*p == ':') {
				p++;
				break;
			}
			if (++p >= end || *p != '@')
				return FALSE;
		}
	}
	if (p < end && *p == '"') {
		for (q = p + 1; q < end && *q != '"'; q++) {
			if (*q == '\\' && q + 1 < end)
				q++;
		}
		if (q == end)
			return FALSE;
		q++;
	} else {
		for (q = p; q < end && *q != '@'; q++) {
			if ((unsigned char)*q <= 0x20 || *q == 0x7f)
				return FALSE;
			switch (*q) {
			case '(': case ')': case '<': case '>': case ',':
			case ';': case ':': case '\\': case '"': case '[':
			case ']':
				return FALSE;
			default:
				break;
			}
		}
	}
	if (q == p)
		return FALSE;
	if (q < end) {
		if (*q != '@')
			return FALSE;
		at = q;
		if (!envelope_domain_valid(at + 1, end - at - 1))
			return FALSE;
	}
	*local_r = p;
	*local_len_r = (at != NULL ? at : end) - p;
	if (at != NULL) {
		*domain_r = at + 1;
		*domain_len_r = end - at - 1;
	}
	return TRUE;
}

gboolean sieve_envelope_parse_path(const char *path, char **local_r,
				   char **domain_r)
{
	const char *local, *domain;
	size_t local_len, domain_len;

	*local_r = *domain_r = NULL;
	if (!envelope_split_path(path, &local, &local_len, &domain,
				 &domain_len))
		return FALSE;
	*local_r = g_strndup(local, local_len);
	if (domain != NULL)
		*domain_r = g_strndup(domain, domain_len);
	return TRUE;
}

static int tst_envelope_test(sieve_run *run, const sieve_ast_node *node,
			     gboolean *result_r)
{
	const sieve_match_test_data *data = node->data;
	char *const *part;
	sieve_match match;
	gboolean matched = FALSE;

	sieve_run_match_init(run, &match, &data->match, data->keys,
			     data->regexes);
	for (part = sieve_run_strv(run, data->names);
	     *part != NULL && !matched; part++) {
		const char *value =
			g_ascii_strcasecmp(*part, "from") == 0 ?
				run->envelope->from :
			g_ascii_strcasecmp(*part, "to") == 0 ?
				run->envelope->to :
				NULL;
		const char *lp, *dp;
		size_t llen, dlen;
		char stack[512], *buf, *local, *domain, *all;

		if (value == NULL ||
		    !envelope_split_path(value, &lp, &llen, &dp, &dlen))
			continue;
		/* One buffer: "local\0domain\0local@domain\0" (the
		 * last is local alone without a domain). */
		buf = 2 * (llen + dlen) + 4 <= sizeof(stack) ?
			      stack :
			      g_malloc(2 * (llen + dlen) + 4);
		local = buf;
		memcpy(local, lp, llen);
		local[llen] = '\0';
		domain = NULL;
		all = local + llen + 1;
		if (dp != NULL) {
			domain = all;
			memcpy(domain, dp, dlen);
			domain[dlen] = '\0';
			all = domain + dlen + 1;
		}
		memcpy(all, lp, llen);
		if (dp != NULL && dlen > 0) {
			all[llen] = '@';
			memcpy(all + llen + 1, dp, dlen);
			all[llen + 1 + dlen] = '\0';
		} else {
			all[llen] = '\0';
		}
		matched = sieve_match_address(&match, data->match.address_part,
					      local, domain, all);
		if (buf != stack)
			g_free(buf);
	}
	return sieve_run_match_end(run, node, &match, matched, result_r);
}

static const sieve_command_def tst_envelope = {
	.name = "envelope",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_MATCH | SIEVE_CMD_ADDRESS_PART,
	.positional = "LL",
	.validate = tst_envelope_validate,
	.test = tst_envelope_test,
};

static const sieve_command_def *const envelope_commands[] = {
	&tst_envelope, NULL
};

const sieve_extension sieve_ext_envelope = {
	.capability = "envelope",
	.commands = envelope_commands,
};
