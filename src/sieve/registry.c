/* The registry: every extension vea knows, and lookups into them. The
 * tables are static and read-only, so compiled scripts can be shared by
 * threads without any initialisation. */

#include "sieve/registry.h"
#include "sieve/actions.h"
#include "sieve/validate.h"
#include "sieve/ext-mime.h"

#include <string.h>

static const sieve_extension *const sieve_extensions[] = {
	&sieve_ext_core,
	&sieve_ext_fileinto,
	&sieve_ext_envelope,
	&sieve_ext_imap4flags,
	&sieve_ext_copy,
	&sieve_ext_mailbox,
	&sieve_ext_relational,
	&sieve_ext_comparator_numeric,
	&sieve_ext_vnd_vea,
	&sieve_ext_variables,
	&sieve_ext_encoded_character,
	&sieve_ext_subaddress,
	&sieve_ext_regex,
	&sieve_ext_body,
	&sieve_ext_date,
	&sieve_ext_index,
	&sieve_ext_environment,
	&sieve_ext_ihave,
	&sieve_ext_vacation,
	&sieve_ext_vacation_seconds,
	&sieve_ext_enotify,
	&sieve_ext_duplicate,
	&sieve_ext_mime,
	&sieve_ext_foreverypart,
	&sieve_ext_extracttext,
	&sieve_ext_include,
	&sieve_ext_reject,
	&sieve_ext_ereject,
	&sieve_ext_snooze,
};

/* Extensions added at run time by test programs (the conformance runner's
 * vnd.dovecot.testsuite), before any script is compiled. */
#define SIEVE_MAX_REGISTERED 4
static const sieve_extension *sieve_registered[SIEVE_MAX_REGISTERED];
static size_t sieve_n_registered;

void sieve_registry_register(const sieve_extension *ext)
{
	g_return_if_fail(sieve_n_registered < SIEVE_MAX_REGISTERED);
	sieve_registered[sieve_n_registered++] = ext;
}

/* The i-th extension: the built-in table, then the registered ones; NULL
 * past the end. */
static const sieve_extension *sieve_registry_nth(size_t i)
{
	if (i < G_N_ELEMENTS(sieve_extensions))
		return sieve_extensions[i];
	i -= G_N_ELEMENTS(sieve_extensions);
	return i < sieve_n_registered ? sieve_registered[i] : NULL;
}

/* RFC 5228 section 2.7 (COMPARATOR, MATCH-TYPE) and 2.7.4 (ADDRESS-PART);
 * :count and :value come from relational (RFC 5231). */
static const sieve_tag_def sieve_common_tags[] = {
	{ "comparator", SIEVE_TAG_COMPARATOR, SIEVE_TAG_GROUP_COMPARATOR,
	  SIEVE_PARAM_STRING, NULL },
	{ "is", SIEVE_TAG_IS, SIEVE_TAG_GROUP_MATCH_TYPE, SIEVE_PARAM_NONE, NULL },
	{ "contains", SIEVE_TAG_CONTAINS, SIEVE_TAG_GROUP_MATCH_TYPE,
	  SIEVE_PARAM_NONE, NULL },
	{ "matches", SIEVE_TAG_MATCHES, SIEVE_TAG_GROUP_MATCH_TYPE,
	  SIEVE_PARAM_NONE, NULL },
	{ "count", SIEVE_TAG_COUNT, SIEVE_TAG_GROUP_MATCH_TYPE,
	  SIEVE_PARAM_STRING, "relational" },
	{ "value", SIEVE_TAG_VALUE, SIEVE_TAG_GROUP_MATCH_TYPE,
	  SIEVE_PARAM_STRING, "relational" },
	{ "regex", SIEVE_TAG_REGEX, SIEVE_TAG_GROUP_MATCH_TYPE,
	  SIEVE_PARAM_NONE, "regex" },
};

static const sieve_tag_def sieve_address_part_tags[] = {
	{ "all", SIEVE_TAG_ALL, SIEVE_TAG_GROUP_ADDRESS_PART, SIEVE_PARAM_NONE,
	  NULL },
	{ "localpart", SIEVE_TAG_LOCALPART, SIEVE_TAG_GROUP_ADDRESS_PART,
	  SIEVE_PARAM_NONE, NULL },
	{ "domain", SIEVE_TAG_DOMAIN, SIEVE_TAG_GROUP_ADDRESS_PART,
	  SIEVE_PARAM_NONE, NULL },
	{ "user", SIEVE_TAG_USER, SIEVE_TAG_GROUP_ADDRESS_PART,
	  SIEVE_PARAM_NONE, "subaddress" },
	{ "detail", SIEVE_TAG_DETAIL, SIEVE_TAG_GROUP_ADDRESS_PART,
	  SIEVE_PARAM_NONE, "subaddress" },
};

const sieve_command_def *sieve_registry_find_command(
	const char *name, const sieve_extension **ext_r)
{
	size_t i;

	for (i = 0; sieve_registry_nth(i) != NULL; i++) {
		const sieve_extension *ext = sieve_registry_nth(i);
		const sieve_command_def *const *def;

		if (ext->commands == NULL)
			continue;
		for (def = ext->commands; *def != NULL; def++) {
			if (g_ascii_strcasecmp((*def)->name, name) == 0) {
				*ext_r = ext;
				return *def;
			}
		}
	}
	*ext_r = NULL;
	return NULL;
}

const sieve_command_def *sieve_registry_find_command_kind(
	const char *name, gboolean is_test, const sieve_extension **ext_r)
{
	const sieve_command_def *first = NULL;
	const sieve_extension *first_ext = NULL;
	size_t i;

	for (i = 0; sieve_registry_nth(i) != NULL; i++) {
		const sieve_extension *ext = sieve_registry_nth(i);
		const sieve_command_def *const *def;

		for (def = ext->commands; def != NULL && *def != NULL; def++) {
			if (g_ascii_strcasecmp((*def)->name, name) != 0)
				continue;
			if (is_test == (((*def)->flags & SIEVE_CMD_TEST) != 0)) {
				*ext_r = ext;
				return *def;
			}
			if (first == NULL) {
				first = *def;
				first_ext = ext;
			}
		}
	}
	*ext_r = first_ext;
	return first;
}

const sieve_tag_def *sieve_registry_find_tag(const sieve_command_def *def,
					     const char *name)
{
	size_t i;

	if (def->tags != NULL) {
		const sieve_tag_def *const *tag;

		for (tag = def->tags; *tag != NULL; tag++) {
			if (g_ascii_strcasecmp((*tag)->name, name) == 0)
				return *tag;
		}
	}
	for (i = 0; sieve_registry_nth(i) != NULL; i++) {
		const sieve_tag_ext *ext = sieve_registry_nth(i)->tags;

		for (; ext != NULL && ext->command != NULL; ext++) {
			if (strcmp(ext->command, def->name) == 0 &&
			    g_ascii_strcasecmp(ext->tag->name, name) == 0)
				return ext->tag;
		}
	}
	if ((def->flags & SIEVE_CMD_MATCH) != 0) {
		for (i = 0; i < G_N_ELEMENTS(sieve_common_tags); i++) {
			if (g_ascii_strcasecmp(sieve_common_tags[i].name,
					       name) == 0)
				return &sieve_common_tags[i];
		}
	}
	if ((def->flags & SIEVE_CMD_ADDRESS_PART) != 0) {
		for (i = 0; i < G_N_ELEMENTS(sieve_address_part_tags); i++) {
			if (g_ascii_strcasecmp(sieve_address_part_tags[i].name,
					       name) == 0)
				return &sieve_address_part_tags[i];
		}
	}
	return NULL;
}

const sieve_extension *sieve_registry_find_extension(const char *capability)
{
	size_t i;

	for (i = 0; sieve_registry_nth(i) != NULL; i++) {
		const sieve_extension *ext = sieve_registry_nth(i);

		if (ext->capability != NULL &&
		    strcmp(ext->capability, capability) == 0)
			return ext;
	}
	return NULL;
}

gboolean sieve_registry_knows_capability(const char *capability)
{
	size_t i;

	/* RFC 5228 section 2.7.3: always there, but may be required. */
	if (strcmp(capability, "comparator-i;octet") == 0 ||
	    strcmp(capability, "comparator-i;ascii-casemap") == 0)
		return TRUE;
	for (i = 0; sieve_registry_nth(i) != NULL; i++) {
		const char *cap = sieve_registry_nth(i)->capability;

		if (cap != NULL && strcmp(cap, capability) == 0)
			return TRUE;
	}
	return FALSE;
}

gboolean sieve_registry_ihave_capability(const char *capability)
{
	const sieve_extension *ext;

	if (!sieve_registry_knows_capability(capability))
		return FALSE;
	ext = sieve_registry_find_extension(capability);
	return ext == NULL || !ext->require_only;
}

const sieve_ast_arg *sieve_args_find_tag(const sieve_args *args,
					 sieve_tag_id id,
					 const sieve_ast_arg **param_r)
{
	unsigned int i;

	for (i = 0; i < args->n_tags; i++) {
		if (args->tags[i]->id == id) {
			if (param_r != NULL)
				*param_r = args->tag_params[i];
			return args->tag_tokens[i];
		}
	}
	if (param_r != NULL)
		*param_r = NULL;
	return NULL;
}

char **sieve_arg_dup_strv(const sieve_ast_arg *arg)
{
	char **strv = g_new(char *, arg->strings->len + 1);
	guint i;

	for (i = 0; i < arg->strings->len; i++)
		strv[i] = g_strdup(g_ptr_array_index(arg->strings, i));
	strv[i] = NULL;
	return strv;
}

char **sieve_arg_dup_strv_lower(const sieve_ast_arg *arg)
{
	char **strv = g_new(char *, arg->strings->len + 1);
	guint i;

	for (i = 0; i < arg->strings->len; i++)
		strv[i] = g_ascii_strdown(g_ptr_array_index(arg->strings, i),
					  -1);
	strv[i] = NULL;
	return strv;
}

const char *sieve_arg_string(const sieve_ast_arg *arg)
{
	return g_ptr_array_index(arg->strings, 0);
}

/* RFC 5228 section 2.7.1: in :matches, '*' is any sequence and '?' one
 * character, '\\' quotes the next. */
static void sieve_lower_key_init(sieve_lower_key *key, sieve_match_type type,
				 const char *lower)
{
	size_t len = strlen(lower), start = 0, end = len;

	key->kind = type == SIEVE_MATCH_IS ? SIEVE_LOWER_IS :
					       SIEVE_LOWER_CONTAINS;
	if (type == SIEVE_MATCH_MATCHES) {
		gboolean lead, trail;

		while (start < len && lower[start] == '*')
			start++;
		while (end > start && lower[end - 1] == '*')
			end--;
		lead = start > 0;
		trail = end < len;
		if (strpbrk(lower, "?\\") != NULL ||
		    memchr(lower + start, '*', end - start) != NULL) {
			key->kind = SIEVE_LOWER_GLOB;
			start = 0;
			end = len;
		} else if (lead && trail) {
			key->kind = SIEVE_LOWER_CONTAINS;
		} else if (lead) {
			key->kind = SIEVE_LOWER_SUFFIX;
		} else if (trail) {
			key->kind = SIEVE_LOWER_PREFIX;
		} else {
			key->kind = SIEVE_LOWER_IS;
		}
	}
	key->text = g_strndup(lower + start, end - start);
	key->len = end - start;
}

sieve_match_test_data *sieve_match_test_data_new(const sieve_args *args)
{
	sieve_match_test_data *data = g_new0(sieve_match_test_data, 1);
	guint i;

	data->match = args->match;
	/* Header names are case-insensitive: fold them once here rather than
	 * on every message. */
	data->names = sieve_arg_dup_strv_lower(args->positional[0]);
	/* Interned once: the message finds them by index at run time. */
	data->name_ids = g_new(int, g_strv_length(data->names) + 1);
	for (i = 0; data->names[i] != NULL; i++)
		data->name_ids[i] = mime_header_id(data->names[i]);
	data->name_ids[i] = -1;
	data->keys = sieve_arg_dup_strv(args->positional[1]);
	if ((data->match.type == SIEVE_MATCH_CONTAINS ||
	     data->match.type == SIEVE_MATCH_IS ||
	     data->match.type == SIEVE_MATCH_MATCHES) &&
	    data->match.comparator == SIEVE_COMPARATOR_ASCII_CASEMAP)
	{
		data->keys_lower = sieve_arg_dup_strv_lower(args->positional[1]);
		data->n_keys_lower = g_strv_length(data->keys_lower);
		data->lower_keys = g_new0(sieve_lower_key,
					  data->n_keys_lower);
		for (i = 0; i < data->n_keys_lower; i++)
			sieve_lower_key_init(&data->lower_keys[i],
					     data->match.type,
					     data->keys_lower[i]);
	}
	return data;
}

void sieve_match_test_data_free(gpointer data)
{
	sieve_match_test_data *d = data;

	g_strfreev(d->names);
	g_free(d->name_ids);
	g_strfreev(d->keys);
	g_strfreev(d->keys_lower);
	for (guint i = 0; i < d->n_keys_lower; i++)
		g_free(d->lower_keys[i].text);
	g_free(d->lower_keys);
	sieve_regexes_free(d->regexes);
	sieve_mime_opts_free(d->mime);
	g_free(d);
}

sieve_store_data *sieve_store_data_new(const sieve_args *args,
				       const char *mailbox)
{
	sieve_store_data *data = g_new0(sieve_store_data, 1);
	const sieve_ast_arg *param;

	data->mailbox = g_strdup(mailbox);
	if (sieve_args_find_tag(args, SIEVE_TAG_FLAGS, &param) != NULL) {
		char **lists = sieve_arg_dup_strv(param);

		data->has_flags = TRUE;
		data->flags = sieve_flags_normalize(lists);
		data->flag_lists = lists; /* variables expand at run time */
	}
	data->copy = sieve_args_find_tag(args, SIEVE_TAG_COPY, NULL) != NULL;
	data->create = sieve_args_find_tag(args, SIEVE_TAG_CREATE, NULL) != NULL;
	return data;
}

void sieve_store_data_free(gpointer data)
{
	sieve_store_data *d = data;

	g_free(d->mailbox);
	g_strfreev(d->flags);
	g_strfreev(d->flag_lists);
	g_free(d);
}
