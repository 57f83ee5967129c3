/* Flags: the atom check (RFC 3501 9), flag lists for libetpan, and their
 * text. */

#include "imap/imap-private.h"

#include <stdlib.h>
#include <string.h>

static gboolean imap_is_atom(const char *s)
{
	if (*s == '\0')
		return FALSE;
	for (; *s != '\0'; s++) {
		/* RFC 3501 section 9: atom-specials, plus ']' (resp-specials). */
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
		    strchr("(){%*\"\\]", *s) != NULL)
			return FALSE;
	}
	return TRUE;
}

static struct mailimap_flag *imap_flag_new(const char *flag)
{
	static const struct {
		const char *name;
		struct mailimap_flag *(*make)(void);
	} system_flags[] = {
		{ "\\Answered", mailimap_flag_new_answered },
		{ "\\Flagged", mailimap_flag_new_flagged },
		{ "\\Deleted", mailimap_flag_new_deleted },
		{ "\\Seen", mailimap_flag_new_seen },
		{ "\\Draft", mailimap_flag_new_draft },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(system_flags); i++) {
		if (g_ascii_strcasecmp(flag, system_flags[i].name) == 0)
			return system_flags[i].make();
	}
	if (flag[0] == '\\') {
		/* \Recent cannot be set by clients (RFC 3501 section 2.3.2). */
		if (!imap_is_atom(flag + 1) ||
		    g_ascii_strcasecmp(flag, "\\Recent") == 0)
			return NULL;
		return mailimap_flag_new_flag_extension(strdup(flag + 1));
	}
	if (!imap_is_atom(flag))
		return NULL;
	return mailimap_flag_new_flag_keyword(strdup(flag));
}

struct mailimap_flag_list *
imap_flag_list_new(const char *const *flags, char **error_r)
{
	struct mailimap_flag_list *list = mailimap_flag_list_new_empty();

	for (size_t i = 0; flags != NULL && flags[i] != NULL; i++) {
		struct mailimap_flag *flag = imap_flag_new(flags[i]);

		if (flag == NULL) {
			*error_r = g_strdup_printf("invalid IMAP flag \"%s\"",
						   flags[i]);
			mailimap_flag_list_free(list);
			return NULL;
		}
		mailimap_flag_list_add(list, flag);
	}
	return list;
}

char *imap_flags_to_text(const char *const *flags)
{
	if (flags == NULL || flags[0] == NULL)
		return g_strdup("()");
	{
		char *joined = g_strjoinv(" ", (char **)flags);
		char *text = g_strdup_printf("(%s)", joined);

		g_free(joined);
		return text;
	}
}

char *imap_flag_to_text(const struct mailimap_flag *flag)
{
	switch (flag->fl_type) {
	case MAILIMAP_FLAG_ANSWERED:
		return g_strdup("\\Answered");
	case MAILIMAP_FLAG_FLAGGED:
		return g_strdup("\\Flagged");
	case MAILIMAP_FLAG_DELETED:
		return g_strdup("\\Deleted");
	case MAILIMAP_FLAG_SEEN:
		return g_strdup("\\Seen");
	case MAILIMAP_FLAG_DRAFT:
		return g_strdup("\\Draft");
	case MAILIMAP_FLAG_KEYWORD:
		return g_strdup(flag->fl_data.fl_keyword);
	case MAILIMAP_FLAG_EXTENSION:
		return g_strconcat("\\", flag->fl_data.fl_extension, NULL);
	default:
		return NULL;
	}
}
