/* The base language of RFC 5228: control commands (section 3), actions
 * (section 4) and tests (section 5). */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"
#include "sieve/ext-mime.h"

#include <string.h>

/* require (section 3.2) */

static int cmd_require_validate(sieve_validator *v, sieve_ast_node *node,
				const sieve_args *args)
{
	const sieve_ast_arg *arg = args->positional[0];
	int ret = 0;
	guint i;

	for (i = 0; i < arg->strings->len; i++) {
		const char *capability = g_ptr_array_index(arg->strings, i);

		/* RFC 5228 section 2.10.5: an unknown capability fails the
		 * script. */
		if (!sieve_registry_knows_capability(capability)) {
			sieve_validator_error(v, arg->line, arg->column,
					      "unknown capability '%s' in require",
					      capability);
			ret = -1;
			continue;
		}
		{
			const sieve_extension *ext =
				sieve_registry_find_extension(capability);

			if (ext != NULL && ext->require_error != NULL) {
				sieve_validator_error(v, arg->line, arg->column,
						      "%s", ext->require_error);
				ret = -1;
				/* Known from here on: one error, not one
				 * per use. */
				if (!sieve_validator_has_capability(
					    v, capability))
					g_ptr_array_add(v->capabilities,
							(gpointer)capability);
				continue;
			}
		}
		if (!sieve_validator_has_capability(v, capability))
			g_ptr_array_add(v->capabilities, (gpointer)capability);
	}
	return ret;
}

static const sieve_command_def cmd_require = {
	.name = "require",
	.flags = SIEVE_CMD_REQUIRE,
	.positional = "L",
	.validate = cmd_require_validate,
};

/* if, elsif, else (section 3.1): the interpreter runs them. */

static const sieve_command_def cmd_if = {
	.name = "if",
	.flags = SIEVE_CMD_IF | SIEVE_CMD_ONE_TEST | SIEVE_CMD_BLOCK,
};

static const sieve_command_def cmd_elsif = {
	.name = "elsif",
	.flags = SIEVE_CMD_ELSE_BRANCH | SIEVE_CMD_ONE_TEST | SIEVE_CMD_BLOCK,
};

static const sieve_command_def cmd_else = {
	.name = "else",
	.flags = SIEVE_CMD_ELSE_BRANCH | SIEVE_CMD_BLOCK,
};

/* stop (section 3.3) */

static sieve_exec_status cmd_stop_execute(sieve_run *run,
					  const sieve_ast_node *node)
{
	return SIEVE_EXEC_STOP;
}

static const sieve_command_def cmd_stop = {
	.name = "stop",
	.execute = cmd_stop_execute,
};

/* keep (section 4.3), with :flags from imap4flags */

static int cmd_keep_validate(sieve_validator *v, sieve_ast_node *node,
			     const sieve_args *args)
{
	node->data = sieve_store_data_new(args, NULL);
	node->data_free = sieve_store_data_free;
	return 0;
}

static sieve_exec_status cmd_keep_execute(sieve_run *run,
					  const sieve_ast_node *node)
{
	const sieve_store_data *data = node->data;
	const char *const *flags = sieve_store_data_flags(run, data);

	if (sieve_result_add_keep(&run->result, node->line, flags,
				  &run->error) < 0)
		return SIEVE_EXEC_FAILED;
	return SIEVE_EXEC_OK;
}

static const sieve_command_def cmd_keep = {
	.name = "keep",
	.validate = cmd_keep_validate,
	.execute = cmd_keep_execute,
};

/* discard (section 4.4) */

static sieve_exec_status cmd_discard_execute(sieve_run *run,
					     const sieve_ast_node *node)
{
	if (sieve_result_add_discard(&run->result, node->line, &run->error) < 0)
		return SIEVE_EXEC_FAILED;
	return SIEVE_EXEC_OK;
}

static const sieve_command_def cmd_discard = {
	.name = "discard",
	.execute = cmd_discard_execute,
};

/* redirect (section 4.2), with :copy from copy */

/* Addresses (section 2.4.2.3): RFC 5322 syntax, parsed here so that a
 * redirect goes to the addr-spec a mail system would use. atext of
 * section 3.2.3, with the UTF-8 of RFC 6532 section 3.2. */
static gboolean address_is_atext(unsigned char c)
{
	return g_ascii_isalnum(c) || c >= 0x80 ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* CFWS (RFC 5322 section 3.2.2): white space and nested comments. FALSE
 * when a comment is not closed. */
static gboolean address_skip_cfws(const char **p)
{
	const char *s = *p;
	unsigned int depth = 0;

	for (; *s != '\0'; s++) {
		if (depth == 0 && *s != ' ' && *s != '\t' && *s != '\r' &&
		    *s != '\n' && *s != '(')
			break;
		if (*s == '(')
			depth++;
		else if (*s == ')')
			depth--;
		else if (*s == '\\' && depth > 0 && s[1] != '\0')
			s++;
	}
	if (depth > 0)
		return FALSE;
	*p = s;
	return TRUE;
}

/* A word (section 3.2.5): [CFWS] (atom / quoted-string) [CFWS]; the
 * atom, or the quoted-string's content unquoted and unfolded, to out. */
static gboolean address_parse_word(const char **p, GString *out)
{
	const char *s = *p;

	if (!address_skip_cfws(&s))
		return FALSE;
	if (*s == '"') {
		for (s++; *s != '"'; s++) {
			if (*s == '\\') {
				s++;
				if (*s == '\0')
					return FALSE;
			} else if (*s == '\r' || *s == '\n') {
				continue; /* FWS: unfold */
			} else if (*s == '\0' ||
				   ((unsigned char)*s < 0x20 && *s != '\t')) {
				return FALSE;
			}
			g_string_append_c(out, *s);
		}
		s++;
	} else if (address_is_atext((unsigned char)*s)) {
		while (address_is_atext((unsigned char)*s))
			g_string_append_c(out, *s++);
	} else {
		return FALSE;
	}
	if (!address_skip_cfws(&s))
		return FALSE;
	*p = s;
	return TRUE;
}

/* dot-atom-text (section 3.2.3). */
static gboolean address_is_dot_atom(const char *s)
{
	gboolean after_dot = TRUE;

	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (after_dot)
				return FALSE;
			after_dot = TRUE;
		} else if (address_is_atext((unsigned char)*s)) {
			after_dot = FALSE;
		} else {
			return FALSE;
		}
	}
	return !after_dot;
}

/* addr-spec (section 3.4.1) at *p, obs-local-part included, to out in
 * its plainest form: the local part as a dot-atom when it is one
 * ("Sirius"@example.net is Sirius@example.net), quoted otherwise. */
static gboolean address_parse_addr_spec(const char **p, GString *out)
{
	g_autoptr(GString) local = g_string_new(NULL);
	const char *s = *p, *q;

	for (;;) {
		if (!address_parse_word(&s, local))
			return FALSE;
		if (*s != '.')
			break;
		g_string_append_c(local, *s++);
	}
	if (*s++ != '@')
		return FALSE;
	if (address_is_dot_atom(local->str)) {
		g_string_append(out, local->str);
	} else {
		g_string_append_c(out, '"');
		for (q = local->str; *q != '\0'; q++) {
			if (*q == '"' || *q == '\\')
				g_string_append_c(out, '\\');
			g_string_append_c(out, *q);
		}
		g_string_append_c(out, '"');
	}
	g_string_append_c(out, '@');
	if (!address_skip_cfws(&s))
		return FALSE;
	if (*s == '[') {
		/* domain-literal: dtext is %d33-90 / %d94-126 */
		g_string_append_c(out, *s++);
		for (; *s != ']'; s++) {
			if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
				continue;
			if ((unsigned char)*s < 33 || (unsigned char)*s > 126 ||
			    *s == '[' || *s == '\\')
				return FALSE;
			g_string_append_c(out, *s);
		}
		g_string_append_c(out, *s++);
	} else {
		q = s;
		while (address_is_atext((unsigned char)*s) || *s == '.')
			s++;
		g_string_append_len(out, q, s - q);
		if (s == q || !address_is_dot_atom(out->str + out->len -
						   (s - q)))
			return FALSE;
	}
	if (!address_skip_cfws(&s))
		return FALSE;
	*p = s;
	return TRUE;
}

char *sieve_address_normalize(const char *address, gboolean mailbox)
{
	g_autoptr(GString) out = g_string_new(NULL);
	const char *p = address;

	if (!g_utf8_validate(address, -1, NULL))
		return NULL;
	if (address_parse_addr_spec(&p, out) && *p == '\0')
		return g_string_free(g_steal_pointer(&out), FALSE);
	if (!mailbox)
		return NULL;
	/* name-addr (section 3.4): [display-name] "<" addr-spec ">", the
	 * display name a phrase (obs-phrase: "M." has a dot). */
	p = address;
	if (!address_skip_cfws(&p))
		return NULL;
	g_string_truncate(out, 0);
	while (*p != '<') {
		if (*p == '.' && out->len > 0) {
			p++;
			if (!address_skip_cfws(&p))
				return NULL;
		} else if (!address_parse_word(&p, out))
			return NULL;
	}
	p++;
	g_string_truncate(out, 0);
	if (!address_parse_addr_spec(&p, out) || *p != '>')
		return NULL;
	p++;
	if (!address_skip_cfws(&p) || *p != '\0')
		return NULL;
	return g_string_free(g_steal_pointer(&out), FALSE);
}

gboolean sieve_address_is_valid(const char *address)
{
	g_autofree char *normalized = sieve_address_normalize(address, FALSE);

	return normalized != NULL;
}

typedef struct cmd_redirect_data {
	char *address;
	char *normalized; /* of a constant address */
	gboolean copy;
} cmd_redirect_data;

static void cmd_redirect_data_free(gpointer data)
{
	cmd_redirect_data *d = data;

	g_free(d->address);
	g_free(d->normalized);
	g_free(d);
}

/* Section 4.2 with section 2.4.2.3: the argument is an RFC 5322
 * mailbox, a display name allowed; the message goes to its addr-spec. */
static int cmd_redirect_validate(sieve_validator *v, sieve_ast_node *node,
				 const sieve_args *args)
{
	const sieve_ast_arg *arg = args->positional[0];
	const char *address = sieve_arg_string(arg);
	g_autofree char *normalized = NULL;
	cmd_redirect_data *data;

	if (sieve_validator_is_constant(v, address)) {
		normalized = sieve_address_normalize(address, TRUE);
		if (normalized == NULL) {
			sieve_validator_error(v, arg->line, arg->column,
					      "invalid redirect address '%s'",
					      address);
			return -1;
		}
	}
	data = g_new0(cmd_redirect_data, 1);
	data->address = g_strdup(address);
	data->normalized = g_steal_pointer(&normalized);
	data->copy = sieve_args_find_tag(args, SIEVE_TAG_COPY, NULL) != NULL;
	node->data = data;
	node->data_free = cmd_redirect_data_free;
	return 0;
}

static sieve_exec_status cmd_redirect_execute(sieve_run *run,
					      const sieve_ast_node *node)
{
	const cmd_redirect_data *data = node->data;
	const char *address = sieve_run_str(run, data->address);

	if (address != data->address || data->normalized == NULL) {
		char *normalized = sieve_address_normalize(address, TRUE);

		if (normalized == NULL)
			return sieve_run_error(run, node,
					       "invalid redirect address '%s'",
					       address);
		address = sieve_run_keep(run, normalized);
	} else {
		address = data->normalized;
	}
	if (sieve_result_add_redirect(&run->result, node->line, address,
				      data->copy, &run->error) < 0)
		return SIEVE_EXEC_FAILED;
	return SIEVE_EXEC_OK;
}

/* The agent then fetches whole messages: a redirect sends the message
 * itself (RFC 5228 4.2), not its header. */
static const sieve_command_def cmd_redirect = {
	.name = "redirect",
	.flags = SIEVE_CMD_READS_BODY,
	.positional = "S",
	.validate = cmd_redirect_validate,
	.execute = cmd_redirect_execute,
};

/* true, false (sections 5.6, 5.10) */

static int tst_true_test(sieve_run *run, const sieve_ast_node *node,
			 gboolean *result_r)
{
	*result_r = TRUE;
	return 0;
}

static int tst_false_test(sieve_run *run, const sieve_ast_node *node,
			  gboolean *result_r)
{
	*result_r = FALSE;
	return 0;
}

static const sieve_command_def tst_true = {
	.name = "true",
	.flags = SIEVE_CMD_TEST,
	.test = tst_true_test,
};

static const sieve_command_def tst_false = {
	.name = "false",
	.flags = SIEVE_CMD_TEST,
	.test = tst_false_test,
};

/* not, allof, anyof (sections 5.8, 5.2, 5.3): short-circuit. */

static int tst_not_test(sieve_run *run, const sieve_ast_node *node,
			gboolean *result_r)
{
	if (sieve_run_test(run, g_ptr_array_index(node->tests, 0), result_r) < 0)
		return -1;
	*result_r = !*result_r;
	return 0;
}

static int tst_allof_anyof(sieve_run *run, const sieve_ast_node *node,
			   gboolean anyof, gboolean *result_r)
{
	guint i;

	for (i = 0; i < node->tests->len; i++) {
		if (sieve_run_test(run, g_ptr_array_index(node->tests, i),
				   result_r) < 0)
			return -1;
		if (*result_r == anyof)
			return 0;
	}
	*result_r = !anyof;
	return 0;
}

static int tst_allof_test(sieve_run *run, const sieve_ast_node *node,
			  gboolean *result_r)
{
	return tst_allof_anyof(run, node, FALSE, result_r);
}

static int tst_anyof_test(sieve_run *run, const sieve_ast_node *node,
			  gboolean *result_r)
{
	return tst_allof_anyof(run, node, TRUE, result_r);
}

static const sieve_command_def tst_not = {
	.name = "not",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_ONE_TEST,
	.test = tst_not_test,
};

static const sieve_command_def tst_allof = {
	.name = "allof",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_TEST_LIST,
	.test = tst_allof_test,
};

static const sieve_command_def tst_anyof = {
	.name = "anyof",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_TEST_LIST,
	.test = tst_anyof_test,
};

/* exists (section 5.5): true when every named header is there. */

typedef struct tst_exists_data {
	char **names;
	int *name_ids; /* mime_header_id() of each name */
	sieve_mime_opts *mime; /* :mime (RFC 5703 section 4.3), or NULL */
} tst_exists_data;

static void tst_exists_data_free(gpointer data)
{
	tst_exists_data *d = data;

	g_strfreev(d->names);
	g_free(d->name_ids);
	sieve_mime_opts_free(d->mime);
	g_free(d);
}

static int tst_exists_validate(sieve_validator *v, sieve_ast_node *node,
			       const sieve_args *args)
{
	tst_exists_data *data;
	sieve_mime_opts *mime;
	guint i;

	if (sieve_mime_opts_validate(v, node, args, &mime) < 0)
		return -1;
	data = g_new0(tst_exists_data, 1);
	data->names = sieve_arg_dup_strv_lower(args->positional[0]);
	data->name_ids = g_new(int, g_strv_length(data->names) + 1);
	for (i = 0; data->names[i] != NULL; i++)
		data->name_ids[i] = mime_header_id(data->names[i]);
	data->name_ids[i] = -1;
	data->mime = mime;
	node->data = data;
	node->data_free = tst_exists_data_free;
	return 0;
}

static int tst_exists_test(sieve_run *run, const sieve_ast_node *node,
			   gboolean *result_r)
{
	const tst_exists_data *data = node->data;
	char *const *names, *const *name;

	if (data->mime != NULL) {
		*result_r = sieve_mime_exists(run, data->mime,
					      sieve_run_strv(run, data->names));
		return 0;
	}
	names = sieve_run_strv(run, data->names);
	for (name = names; *name != NULL; name++) {
		int id = names == data->names ? data->name_ids[name - names] :
						-1;

		/* The lower-cased values are the packed ones (one read). */
		if (id >= 0) {
			if (mime_message_get_header_values_lower_by_id(
				    run->msg, id)[0] == NULL) {
				*result_r = FALSE;
				return 0;
			}
			continue;
		}
		if (sieve_run_header_values_id(
			    run, *name,
			    names == data->names ? data->name_ids[name - names] :
						   -1)[0] == NULL) {
			*result_r = FALSE;
			return 0;
		}
	}
	*result_r = TRUE;
	return 0;
}

static const sieve_command_def tst_exists = {
	.name = "exists",
	.flags = SIEVE_CMD_TEST,
	.positional = "L",
	.validate = tst_exists_validate,
	.test = tst_exists_test,
};

/* header (section 5.7) */

int sieve_match_test_validate(sieve_validator *v, sieve_ast_node *node,
			      const sieve_args *args)
{
	sieve_match_test_data *data;
	const sieve_ast_arg *index;
	void **regexes;

	if (sieve_validate_keys(v, &args->match,
				args->positional[args->n_positional - 1],
				&regexes) < 0)
		return -1;
	data = sieve_match_test_data_new(args);
	data->regexes = regexes;
	if (sieve_mime_opts_validate(v, node, args, &data->mime) < 0) {
		sieve_match_test_data_free(data);
		return -1;
	}
	if (sieve_args_find_tag(args, SIEVE_TAG_INDEX, &index) != NULL)
		data->index = (int)MIN(index->number, G_MAXINT);
	data->last = sieve_args_find_tag(args, SIEVE_TAG_LAST, NULL) != NULL;
	if (data->last && data->index == 0) {
		sieve_validator_error(v, node->line, node->column,
				      "':last' needs ':index'");
		sieve_match_test_data_free(data);
		return -1;
	}
	node->data = data;
	node->data_free = sieve_match_test_data_free;
	return 0;
}

/* i;ascii-casemap :is, :contains or :matches with keys as written, and
 * no match variables to set (no variables): the keys lower-cased at
 * compile time against the values lower-cased once per message, octet by
 * octet. The same result as sieve_match_value (casemap compares bytes
 * with only A-Z folded; "*", "?" and "\\" have no case), and nothing to
 * clean up (no :count, no match values). */
static gboolean tst_header_lower_match(const char *value, gboolean padded,
				       const sieve_lower_key *keys, guint n)
{
	size_t vlen;
	guint i;

	for (i = 0; i < n; i++) {
		const sieve_lower_key *key = &keys[i];

		switch (key->kind) {
		case SIEVE_LOWER_IS:
			if (strcmp(value, key->text) == 0)
				return TRUE;
			break;
		case SIEVE_LOWER_CONTAINS:
			if (key->len == 0 ||
			    (padded ? sieve_contains_padded(value, key->text,
							    key->len) :
				      strstr(value, key->text) != NULL))
				return TRUE;
			break;
		case SIEVE_LOWER_PREFIX:
			if (strncmp(value, key->text, key->len) == 0)
				return TRUE;
			break;
		case SIEVE_LOWER_SUFFIX:
			vlen = strlen(value);
			if (vlen >= key->len &&
			    memcmp(value + vlen - key->len, key->text,
				   key->len) == 0)
				return TRUE;
			break;
		case SIEVE_LOWER_GLOB:
			if (sieve_match_glob(key->text, value, FALSE))
				return TRUE;
			break;
		}
	}
	return FALSE;
}

static int tst_header_lower(sieve_run *run, const sieve_match_test_data *data,
			    gboolean *result_r)
{
	guint i;

	for (i = 0; data->names[i] != NULL; i++) {
		int id = data->name_ids[i];
		const char *const *value;

		if (id < 0) {
			/* Not interned: lower-cased here. */
			value = sieve_run_header_values(run, data->names[i]);
			for (; *value != NULL; value++) {
				g_autofree char *low =
					g_ascii_strdown(*value, -1);

				if (tst_header_lower_match(
					    low, FALSE, data->lower_keys,
					    data->n_keys_lower)) {
					*result_r = TRUE;
					return 0;
				}
			}
			continue;
		}
		value = mime_message_get_header_values_lower_by_id(run->msg,
								    id);
		for (; *value != NULL; value++) {
			if (tst_header_lower_match(*value, TRUE,
						   data->lower_keys,
						   data->n_keys_lower)) {
				*result_r = TRUE;
				return 0;
			}
		}
	}
	*result_r = FALSE;
	return 0;
}

static int tst_header_test(sieve_run *run, const sieve_ast_node *node,
			   gboolean *result_r)
{
	const sieve_match_test_data *data = node->data;
	char *const *names, *const *name;
	sieve_match match;
	gboolean matched = FALSE;

	if (data->mime != NULL)
		return sieve_mime_header_test(run, node, data, result_r);
	if (data->keys_lower != NULL && !run->expand && data->index == 0 &&
	    data->name_ids != NULL)
		return tst_header_lower(run, data, result_r);
	sieve_run_match_init(run, &match, &data->match, data->keys,
			     data->regexes);
	names = sieve_run_strv(run, data->names);
	for (name = names; *name != NULL && !matched; name++) {
		/* Names as compiled have their interned ids. */
		int id = names == data->names && data->name_ids != NULL ?
				 data->name_ids[name - names] :
				 -1;
		const char *const *value;

		/* Where case cannot matter (a :count; a :value compared
		 * without regard to case), the packed lower-cased values. */
		if (id >= 0 &&
		    (data->match.type == SIEVE_MATCH_COUNT ||
		     (data->match.type == SIEVE_MATCH_VALUE &&
		      data->match.comparator != SIEVE_COMPARATOR_OCTET)))
			value = mime_message_get_header_values_lower_by_id(
				run->msg, id);
		else
			value = sieve_run_header_values_id(run, *name, id);

		if (data->index > 0) {
			/* index (RFC 5260 section 6): the N-th field only,
			 * counted from the end with :last. */
			guint n = g_strv_length((char **)value);

			if ((guint)data->index <= n)
				matched = sieve_match_value(
					&match,
					value[data->last ? n - data->index :
							   (guint)data->index - 1]);
			continue;
		}
		for (; *value != NULL && !matched; value++)
			matched = sieve_match_value(&match, *value);
	}
	return sieve_run_match_end(run, node, &match, matched, result_r);
}

static const sieve_command_def tst_header = {
	.name = "header",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_MATCH,
	.positional = "LL",
	.validate = sieve_match_test_validate,
	.test = tst_header_test,
};

/* address (section 5.1) */

/* Section 5.1: the address test is for headers that hold addresses;
 * Pigeonhole rejects others ("specified header 'subject' is not allowed
 * for the address test") and so does vea. */
static const char *const tst_address_headers[] = {
	"from", "sender", "reply-to", "to", "cc", "bcc",
	"resent-from", "resent-sender", "resent-reply-to", "resent-to",
	"resent-cc", "resent-bcc", "return-path", "delivered-to",
	"envelope-to", "x-original-to", "x-envelope-to", "original-recipient",
	"errors-to", "disposition-notification-to", "apparently-to",
	"mail-followup-to", "mail-reply-to", "approved",
};

static int tst_address_validate(sieve_validator *v, sieve_ast_node *node,
				const sieve_args *args)
{
	const sieve_ast_arg *arg = args->positional[0];
	int ret = 0;
	guint i;
	size_t j;

	for (i = 0; i < arg->strings->len; i++) {
		const char *name = g_ptr_array_index(arg->strings, i);

		for (j = 0; j < G_N_ELEMENTS(tst_address_headers); j++) {
			if (g_ascii_strcasecmp(name, tst_address_headers[j]) == 0)
				break;
		}
		if (j == G_N_ELEMENTS(tst_address_headers)) {
			sieve_validator_error(v, arg->line, arg->column,
					      "header '%s' holds no addresses: "
					      "not allowed in the address test",
					      name);
			ret = -1;
		}
	}
	if (ret < 0)
		return -1;
	return sieve_match_test_validate(v, node, args);
}

static int tst_address_test(sieve_run *run, const sieve_ast_node *node,
			    gboolean *result_r)
{
	const sieve_match_test_data *data = node->data;
	char *const *names, *const *name;
	sieve_match match;
	gboolean matched = FALSE;

	if (data->mime != NULL || data->index > 0)
		return sieve_mime_address_test(run, node, data, result_r);
	sieve_run_match_init(run, &match, &data->match, data->keys,
			     data->regexes);
	names = sieve_run_strv(run, data->names);
	name = names;
	if (names == data->names && data->name_ids != NULL) {
		/* Names as compiled: the packed addresses. */
		for (; *name != NULL && !matched; name++) {
			int id = data->name_ids[name - names];
			const mime_address *addr;

			if (id < 0)
				break;
			addr = mime_message_get_address_array_by_id(run->msg,
								     id);
			for (; addr->addr != NULL && !matched; addr++)
				matched = sieve_match_address(
					&match, data->match.address_part,
					addr->localpart, addr->domain,
					addr->addr);
		}
	}
	for (; *name != NULL && !matched; name++) {
		const GPtrArray *addresses = sieve_run_addresses_id(
			run, *name,
			names == data->names && data->name_ids != NULL ?
				data->name_ids[name - names] : -1);
		guint i;

		for (i = 0; i < addresses->len && !matched; i++) {
			const mime_address *addr =
				g_ptr_array_index(addresses, i);

			matched = sieve_match_address(
				&match, data->match.address_part,
				addr->localpart, addr->domain, addr->addr);
		}
	}
	return sieve_run_match_end(run, node, &match, matched, result_r);
}

static const sieve_command_def tst_address = {
	.name = "address",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_MATCH | SIEVE_CMD_ADDRESS_PART,
	.positional = "LL",
	.validate = tst_address_validate,
	.test = tst_address_test,
};

/* size (section 5.9): exactly one of :over / :under. */

static const sieve_tag_def tag_over = {
	"over", SIEVE_TAG_OVER, SIEVE_TAG_GROUP_SIZE, SIEVE_PARAM_NUMBER, NULL
};
static const sieve_tag_def tag_under = {
	"under", SIEVE_TAG_UNDER, SIEVE_TAG_GROUP_SIZE, SIEVE_PARAM_NUMBER, NULL
};
static const sieve_tag_def *const tst_size_tags[] = {
	&tag_over, &tag_under, NULL
};

typedef struct tst_size_data {
	gboolean over;
	guint64 limit;
} tst_size_data;

static int tst_size_validate(sieve_validator *v, sieve_ast_node *node,
			     const sieve_args *args)
{
	const sieve_ast_arg *param;
	tst_size_data *data = g_new0(tst_size_data, 1);

	if (sieve_args_find_tag(args, SIEVE_TAG_OVER, &param) != NULL) {
		data->over = TRUE;
	} else if (sieve_args_find_tag(args, SIEVE_TAG_UNDER, &param) == NULL) {
		g_free(data);
		sieve_validator_error(v, node->line, node->column,
				      "'size' needs :over or :under");
		return -1;
	}
	data->limit = param->number;
	node->data = data;
	node->data_free = g_free;
	return 0;
}

static int tst_size_test(sieve_run *run, const sieve_ast_node *node,
			 gboolean *result_r)
{
	const tst_size_data *data = node->data;
	guint64 size = mime_message_get_size(run->msg);

	*result_r = data->over ? size > data->limit : size < data->limit;
	return 0;
}

static const sieve_command_def tst_size = {
	.name = "size",
	.flags = SIEVE_CMD_TEST,
	.tags = tst_size_tags,
	.validate = tst_size_validate,
	.test = tst_size_test,
};

static const sieve_command_def *const core_commands[] = {
	&cmd_require, &cmd_if, &cmd_elsif, &cmd_else, &cmd_stop,
	&cmd_keep, &cmd_discard, &cmd_redirect,
	&tst_true, &tst_false, &tst_not, &tst_allof, &tst_anyof,
	&tst_exists, &tst_header, &tst_address, &tst_size,
	NULL
};

const sieve_extension sieve_ext_core = {
	.capability = NULL,
	.commands = core_commands,
};
