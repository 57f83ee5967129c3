/* Building the action list: RFC 5228 sections 2.10.2-2.10.6, RFC 5232. */

#include "sieve/actions.h"
#include "sieve/sieve-private.h"
#include "sieve/template.h"

#include <string.h>

/* The internal flag variable (sieve_result_flags_*) owns no strings: the
 * array is kept for the thread's next run. */
static GPrivate sieve_spare_flags =
	G_PRIVATE_INIT((GDestroyNotify)g_ptr_array_unref);

void sieve_action_free(sieve_action *action)
{
	if (action == NULL)
		return;
	if (!action->packed_mailbox)
		g_free(action->mailbox);
	g_free(action->address);
	if (!action->packed_flags)
		g_strfreev(action->flags);
	g_free(action->account);
	g_free(action->description);
	g_free(action->subject);
	g_free(action->from);
	g_free(action->reason);
	g_free(action->handle);
	g_strfreev(action->addresses);
	g_free(action->method);
	g_free(action->importance);
	g_strfreev(action->options);
	g_free(action->when_text);
	g_free(action->tzid);
	g_free(action->note);
	g_free(action->wake_mailbox);
	g_strfreev(action->addflags);
	g_strfreev(action->removeflags);
	g_free(action->draft_template);
	sieve_template_unref(&action->template);
	g_strfreev(action->draft_to);
	g_strfreev(action->draft_cc);
	g_strfreev(action->draft_vars);
	g_free(action);
}

void sieve_result_init(sieve_result *result, const char *file)
{
	memset(result, 0, sizeof(*result));
	result->file = file;
	result->actions = g_ptr_array_new_with_free_func(
		(GDestroyNotify)sieve_action_free);
}

void sieve_result_deinit(sieve_result *result)
{
	if (result->actions != NULL)
		g_ptr_array_unref(result->actions);
	if (result->flags != NULL) {
		if (g_private_get(&sieve_spare_flags) == NULL) {
			g_ptr_array_set_size(result->flags, 0);
			g_private_set(&sieve_spare_flags, result->flags);
		} else {
			g_ptr_array_unref(result->flags);
		}
	}
	if (result->flag_strings != NULL)
		g_string_chunk_free(result->flag_strings);
	result->actions = NULL;
	result->flags = NULL;
	result->flag_strings = NULL;
}

/* System flags of RFC 3501 section 2.3.2 that a client may set (\Recent
 * is the server's). */
static const char *const sieve_system_flags[] = {
	"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft",
};

/* The canonical spelling of flag, or NULL when it is no valid IMAP flag:
 * system flags are case-insensitive (RFC 3501 section 2.3.2) and written
 * the standard way; keywords must be atoms. Pigeonhole drops invalid
 * flags with a warning; vea drops them silently (no warnings channel). */
static const char *sieve_flag_canonical(const char *flag)
{
	const char *p;
	size_t i;

	if (*flag == '\\') {
		for (i = 0; i < G_N_ELEMENTS(sieve_system_flags); i++) {
			if (g_ascii_strcasecmp(flag, sieve_system_flags[i]) == 0)
				return sieve_system_flags[i];
		}
		return NULL;
	}
	for (p = flag; *p != '\0'; p++) {
		/* RFC 3501 section 9: atom-specials and non-ASCII. */
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return NULL;
		switch (*p) {
		case '(': case ')': case '{': case '%': case '*': case '"':
		case '\\': case ']':
			return NULL;
		default:
			break;
		}
	}
	return flag;
}

static inline char sieve_flag_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

static gint sieve_flags_find(GPtrArray *set, const char *flag)
{
	guint i;

	/* Flags compare case-insensitively (RFC 5232 section 3: "\Seen" and
	 * "\seen" are one flag; keywords likewise in IMAP servers). */
	for (i = 0; i < set->len; i++) {
		const char *a = g_ptr_array_index(set, i), *b = flag;

		if (a == b)
			return (gint)i;
		while (*a != '\0' &&
		       (*a == *b || sieve_flag_lower(*a) == sieve_flag_lower(*b))) {
			a++;
			b++;
		}
		if (*a == '\0' && *b == '\0')
			return (gint)i;
	}
	return -1;
}

/* Call fn for each flag of the space-separated lists. */
static void sieve_flags_foreach_in(char *const *lists, GPtrArray *set,
				   gboolean add, GStringChunk *chunk)
{
	char buf[256];

	for (; lists != NULL && *lists != NULL; lists++) {
		const char *p = *lists;

		while (*p != '\0') {
			const char *start, *canonical;
			size_t len;
			gint idx;

			while (*p == ' ')
				p++;
			start = p;
			while (*p != '\0' && *p != ' ')
				p++;
			len = p - start;
			if (len == 0 || len >= sizeof(buf))
				continue;
			memcpy(buf, start, len);
			buf[len] = '\0';
			canonical = sieve_flag_canonical(buf);
			if (canonical == NULL)
				continue;
			idx = sieve_flags_find(set, canonical);
			if (add && idx < 0)
				g_ptr_array_add(set,
						chunk != NULL ?
							g_string_chunk_insert_const(
								chunk,
								canonical) :
							g_strdup(canonical));
			else if (!add && idx >= 0)
				g_ptr_array_remove_index(set, idx);
		}
	}
}

static void sieve_flags_foreach(char *const *lists, GPtrArray *set,
				gboolean add)
{
	sieve_flags_foreach_in(lists, set, add, NULL);
}

void sieve_flags_set(GPtrArray *set, char *const *lists)
{
	g_ptr_array_set_size(set, 0);
	sieve_flags_foreach(lists, set, TRUE);
}

void sieve_flags_add(GPtrArray *set, char *const *lists)
{
	sieve_flags_foreach(lists, set, TRUE);
}

void sieve_flags_add_normalized(GPtrArray *set, char *const *flags)
{
	for (; flags != NULL && *flags != NULL; flags++) {
		if (sieve_flags_find(set, *flags) < 0)
			g_ptr_array_add(set, g_strdup(*flags));
	}
}

void sieve_flags_remove(GPtrArray *set, char *const *lists)
{
	sieve_flags_foreach(lists, set, FALSE);
}

/* The internal variable owns no strings: they are the script's (flags
 * normalised at compile time) or in result->flag_strings. */
static GPtrArray *sieve_result_flag_set(sieve_result *result)
{
	if (result->flags == NULL) {
		result->flags = g_private_get(&sieve_spare_flags);
		if (result->flags != NULL)
			g_private_set(&sieve_spare_flags, NULL);
		else
			result->flags = g_ptr_array_new();
	}
	return result->flags;
}

void sieve_result_flags_set(sieve_result *result, char *const *lists)
{
	GPtrArray *set = sieve_result_flag_set(result);

	if (result->flag_strings == NULL)
		result->flag_strings = g_string_chunk_new(256);
	g_ptr_array_set_size(set, 0);
	sieve_flags_foreach_in(lists, set, TRUE, result->flag_strings);
}

void sieve_result_flags_add(sieve_result *result, char *const *lists)
{
	GPtrArray *set = sieve_result_flag_set(result);

	if (result->flag_strings == NULL)
		result->flag_strings = g_string_chunk_new(256);
	sieve_flags_foreach_in(lists, set, TRUE, result->flag_strings);
}

void sieve_result_flags_add_normalized(sieve_result *result,
				       char *const *flags)
{
	GPtrArray *set = sieve_result_flag_set(result);

	for (; flags != NULL && *flags != NULL; flags++) {
		if (sieve_flags_find(set, *flags) < 0)
			g_ptr_array_add(set, *flags);
	}
}

void sieve_result_flags_remove(sieve_result *result, char *const *lists)
{
	sieve_flags_foreach(lists, sieve_result_flag_set(result), FALSE);
}

static char **sieve_flags_to_strv(GPtrArray *set)
{
	char **strv;
	guint i;

	if (set == NULL || set->len == 0)
		return NULL;
	strv = g_new(char *, set->len + 1);
	for (i = 0; i < set->len; i++)
		strv[i] = g_strdup(g_ptr_array_index(set, i));
	strv[i] = NULL;
	return strv;
}

char **sieve_flags_normalize(char *const *lists)
{
	GPtrArray *set = g_ptr_array_new_with_free_func(g_free);
	char **strv;

	sieve_flags_foreach(lists, set, TRUE);
	strv = sieve_flags_to_strv(set);
	g_ptr_array_unref(set);
	return strv;
}

const char *const *sieve_result_get_flags(sieve_result *result)
{
	if (result->flags == NULL || result->flags->len == 0)
		return NULL;
	/* Keep a NULL after the last element without counting it. */
	g_ptr_array_add(result->flags, NULL);
	g_ptr_array_set_size(result->flags, result->flags->len - 1);
	return (const char *const *)result->flags->pdata;
}

/* Union of flags into an existing action (duplicates merged). */
static void sieve_action_merge_flags(sieve_action *action,
				     const char *const *flags)
{
	GPtrArray *set;

	if (flags == NULL)
		return;
	set = g_ptr_array_new_with_free_func(g_free);
	sieve_flags_foreach(action->flags, set, TRUE);
	sieve_flags_foreach((char *const *)flags, set, TRUE);
	if (!action->packed_flags)
		g_strfreev(action->flags);
	action->packed_flags = FALSE;
	action->flags = sieve_flags_to_strv(set);
	g_ptr_array_unref(set);
}

/* A keep or fileinto with its mailbox (NULL: none) and a copy of flags
 * (NULL or empty: none) in one allocation. */
static sieve_action *sieve_action_new_packed(const char *mailbox,
					     const char *const *flags,
					     guint n_flags)
{
	size_t size = sizeof(sieve_action), mailbox_len = 0;
	sieve_action *action;
	char *p, **strv;
	guint i;

	if (n_flags > 0) {
		size += (n_flags + 1) * sizeof(char *);
		for (i = 0; i < n_flags; i++)
			size += strlen(flags[i]) + 1;
	}
	if (mailbox != NULL) {
		mailbox_len = strlen(mailbox);
		size += mailbox_len + 1;
	}
	action = g_malloc(size);
	memset(action, 0, sizeof(*action));
	p = (char *)(action + 1);
	if (n_flags > 0) {
		strv = (char **)p;
		p += (n_flags + 1) * sizeof(char *);
		for (i = 0; i < n_flags; i++) {
			size_t len = strlen(flags[i]) + 1;

			memcpy(p, flags[i], len);
			strv[i] = p;
			p += len;
		}
		strv[n_flags] = NULL;
		action->flags = strv;
		action->packed_flags = TRUE;
	}
	if (mailbox != NULL) {
		memcpy(p, mailbox, mailbox_len + 1);
		action->mailbox = p;
		action->packed_mailbox = TRUE;
	}
	return action;
}

static guint sieve_strv_len(const char *const *strv)
{
	guint n = 0;

	while (strv != NULL && strv[n] != NULL)
		n++;
	return n;
}

static sieve_action *sieve_result_find(sieve_result *result,
				       sieve_action_type type,
				       const char *name)
{
	guint i;

	for (i = 0; i < result->actions->len; i++) {
		sieve_action *action = g_ptr_array_index(result->actions, i);

		if (action->type != type)
			continue;
		if (type == SIEVE_ACTION_FILEINTO &&
		    strcmp(action->mailbox, name) != 0)
			continue;
		/* Addresses: the domain is case-insensitive, the local part
		 * in practice too. */
		if (type == SIEVE_ACTION_REDIRECT &&
		    g_ascii_strcasecmp(action->address, name) != 0)
			continue;
		return action;
	}
	return NULL;
}

static int sieve_result_add_packed(sieve_result *result,
				   sieve_action_type type, int line,
				   const char *mailbox,
				   const char *const *flags,
				   sieve_action **action_r,
				   sieve_error **error_r)
{
	sieve_action *action;

	if (result->actions->len >= SIEVE_MAX_ACTIONS) {
		*error_r = sieve_error_new(result->file, line, 1,
					   "too many actions (max %d)",
					   SIEVE_MAX_ACTIONS);
		return -1;
	}
	action = sieve_action_new_packed(mailbox, flags, sieve_strv_len(flags));
	action->type = type;
	action->rule_file = result->file;
	action->rule_line = line;
	g_ptr_array_add(result->actions, action);
	*action_r = action;
	return 0;
}

static int sieve_result_add(sieve_result *result, sieve_action_type type,
			    int line, sieve_action **action_r,
			    sieve_error **error_r)
{
	sieve_action *action;

	if (result->actions->len >= SIEVE_MAX_ACTIONS) {
		*error_r = sieve_error_new(result->file, line, 1,
					   "too many actions (max %d)",
					   SIEVE_MAX_ACTIONS);
		return -1;
	}
	action = g_new0(sieve_action, 1);
	action->type = type;
	action->rule_file = result->file;
	action->rule_line = line;
	g_ptr_array_add(result->actions, action);
	*action_r = action;
	return 0;
}

int sieve_result_add_keep(sieve_result *result, int line,
			  const char *const *flags, sieve_error **error_r)
{
	sieve_action *action;

	/* An explicit keep does what the implicit one would have. */
	result->keep_cancelled = TRUE;
	action = sieve_result_find(result, SIEVE_ACTION_KEEP, NULL);
	if (action != NULL) {
		sieve_action_merge_flags(action, flags);
		return 0;
	}
	if (sieve_result_add_packed(result, SIEVE_ACTION_KEEP, line, NULL,
				    flags, &action, error_r) < 0)
		return -1;
	return 0;
}

int sieve_result_add_fileinto(sieve_result *result, int line,
			      const char *mailbox, const char *const *flags,
			      gboolean copy, gboolean create,
			      sieve_error **error_r)
{
	sieve_action *action;

	/* RFC 3894 section 3: :copy leaves the implicit keep alone. */
	if (!copy)
		result->keep_cancelled = TRUE;
	/* RFC 5228 section 2.10.3: file only once. */
	action = sieve_result_find(result, SIEVE_ACTION_FILEINTO, mailbox);
	if (action != NULL) {
		sieve_action_merge_flags(action, flags);
		action->copy = action->copy && copy;
		action->create = action->create || create;
		return 0;
	}
	if (sieve_result_add_packed(result, SIEVE_ACTION_FILEINTO, line,
				    mailbox, flags, &action, error_r) < 0)
		return -1;
	action->copy = copy;
	action->create = create;
	return 0;
}

int sieve_result_add_redirect(sieve_result *result, int line,
			      const char *address, gboolean copy,
			      sieve_error **error_r)
{
	sieve_action *action;

	if (!copy)
		result->keep_cancelled = TRUE;
	action = sieve_result_find(result, SIEVE_ACTION_REDIRECT, address);
	if (action != NULL) {
		action->copy = action->copy && copy;
		return 0;
	}
	/* RFC 5228 section 4.2: implementations may limit redirects, to
	 * stop mail loops and abuse. */
	if (result->n_redirects >= SIEVE_MAX_REDIRECTS) {
		*error_r = sieve_error_new(result->file, line, 1,
					   "too many redirects (max %d)",
					   SIEVE_MAX_REDIRECTS);
		return -1;
	}
	if (sieve_result_add(result, SIEVE_ACTION_REDIRECT, line, &action,
			     error_r) < 0)
		return -1;
	result->n_redirects++;
	action->address = g_strdup(address);
	action->copy = copy;
	return 0;
}

/* RFC 5228 section 4.5: discard only cancels the implicit keep; other
 * actions still happen. Like Pigeonhole, the action is listed anyway
 * (once) so the audit log shows which rule discarded: the agent must
 * trash the message only when no keep or fileinto is in the list. */
int sieve_result_add_discard(sieve_result *result, int line,
			     sieve_error **error_r)
{
	sieve_action *action;

	result->keep_cancelled = TRUE;
	if (sieve_result_find(result, SIEVE_ACTION_DISCARD, NULL) != NULL)
		return 0;
	return sieve_result_add(result, SIEVE_ACTION_DISCARD, line, &action,
				error_r);
}

/* vnd.vea: a ledger entry; it does not touch the message, so it does not
 * cancel the implicit keep, and two bills are two entries. */
int sieve_result_add_bill(sieve_result *result, int line,
			  const char *account, int minutes,
			  const char *description, sieve_error **error_r)
{
	sieve_action *action;

	if (sieve_result_add(result, SIEVE_ACTION_BILL, line, &action,
			     error_r) < 0)
		return -1;
	action->account = g_strdup(account);
	action->minutes = minutes;
	action->description = g_strdup(description);
	return 0;
}

static int sieve_result_append(sieve_result *result, int line,
			       sieve_action *action, sieve_error **error_r)
{
	if (result->actions->len >= SIEVE_MAX_ACTIONS) {
		*error_r = sieve_error_new(result->file, line, 1,
					   "too many actions (max %d)",
					   SIEVE_MAX_ACTIONS);
		sieve_action_free(action);
		return -1;
	}
	action->rule_file = result->file;
	action->rule_line = line;
	g_ptr_array_add(result->actions, action);
	return 0;
}

int sieve_result_add_vacation(sieve_result *result, int line,
			      sieve_action *action, sieve_error **error_r)
{
	action->type = SIEVE_ACTION_VACATION;
	if (sieve_result_find(result, SIEVE_ACTION_VACATION, NULL) != NULL) {
		*error_r = sieve_error_new(result->file, line, 1,
					   "more than one vacation action");
		sieve_action_free(action);
		return -1;
	}
	return sieve_result_append(result, line, action, error_r);
}

int sieve_result_add_notify(sieve_result *result, int line,
			    sieve_action *action, sieve_error **error_r)
{
	guint i;

	action->type = SIEVE_ACTION_NOTIFY;
	/* RFC 5435 section 3.8: a duplicate notification is dropped. */
	for (i = 0; i < result->actions->len; i++) {
		const sieve_action *other = g_ptr_array_index(result->actions, i);

		if (other->type == SIEVE_ACTION_NOTIFY &&
		    strcmp(other->method, action->method) == 0) {
			sieve_action_free(action);
			return 0;
		}
	}
	return sieve_result_append(result, line, action, error_r);
}

/* vnd.vea: a reminder does not touch the message (the implicit keep
 * stays); the same reminder twice is one. */
int sieve_result_add_remind(sieve_result *result, int line,
			    sieve_action *action, sieve_error **error_r)
{
	action->type = SIEVE_ACTION_REMIND;
	for (guint i = 0; i < result->actions->len; i++) {
		const sieve_action *other = g_ptr_array_index(result->actions, i);

		if (other->type == SIEVE_ACTION_REMIND &&
		    strcmp(other->when_text, action->when_text) == 0 &&
		    other->if_unanswered == action->if_unanswered &&
		    other->to_executive == action->to_executive &&
		    g_strcmp0(other->note, action->note) == 0) {
			sieve_action_free(action);
			return 0;
		}
	}
	return sieve_result_append(result, line, action, error_r);
}

/* The snooze draft (draft-ietf-extra-email-snooze-00, its Sieve action):
 * snooze delivers the message, into the snooze mailbox, as fileinto
 * would, so it cancels the implicit keep (RFC 5228 section 2.10.2). A
 * message waits in one place for one time: a second snooze is an error,
 * as a second vacation is (RFC 5230 section 4.7). */
int sieve_result_add_snooze(sieve_result *result, int line,
			    sieve_action *action, sieve_error **error_r)
{
	action->type = SIEVE_ACTION_SNOOZE;
	if (sieve_result_find(result, SIEVE_ACTION_SNOOZE, NULL) != NULL) {
		*error_r = sieve_error_new(result->file, line, 1,
					   "more than one snooze action");
		sieve_action_free(action);
		return -1;
	}
	result->keep_cancelled = TRUE;
	return sieve_result_append(result, line, action, error_r);
}

/* vnd.vea draft: one per message, like vacation (RFC 5230 section
 * 4.7): two drafts of one reply are a mistake in the rules, and the
 * executive would find two half-answers in Drafts. */
int sieve_result_add_draft(sieve_result *result, int line, sieve_action *action,
			   sieve_error **error_r)
{
	action->type = SIEVE_ACTION_DRAFT;
	if (sieve_result_find(result, SIEVE_ACTION_DRAFT, NULL) != NULL) {
		*error_r = sieve_error_new(result->file, line, 1, "more than one draft action");
		sieve_action_free(action);
		return -1;
	}
	return sieve_result_append(result, line, action, error_r);
}

/* vnd.vea schedule: one answer per invitation; two are a mistake in the
 * rules (which would the organizer get?). */
int sieve_result_add_schedule(sieve_result *result, int line, sieve_action *action,
			      sieve_error **error_r)
{
	action->type = SIEVE_ACTION_SCHEDULE;
	if (sieve_result_find(result, SIEVE_ACTION_SCHEDULE, NULL) != NULL) {
		*error_r = sieve_error_new(result->file, line, 1, "more than one schedule action");
		sieve_action_free(action);
		return -1;
	}
	return sieve_result_append(result, line, action, error_r);
}

GPtrArray *sieve_result_finish(sieve_result *result)
{
	GPtrArray *actions = result->actions;

	/* RFC 5228 section 2.10.2, with the flags of RFC 5232 section 3
	 * ("the implicit keep uses the current value of the internal
	 * variable"). The implicit keep has no command of its own: its
	 * rule_line is that of the command that last changed the flags it
	 * carries (0 when none did), so the log can say which rule flagged. */
	if (!result->keep_cancelled) {
		sieve_action *action = sieve_action_new_packed(
			NULL,
			result->flags != NULL ?
				(const char *const *)result->flags->pdata :
				NULL,
			result->flags != NULL ? result->flags->len : 0);

		action->type = SIEVE_ACTION_KEEP;
		action->rule_file = result->file;
		action->rule_line = result->flags != NULL && result->flags->len > 0
					    ? result->flags_line : 0;
		action->implicit = TRUE;
		g_ptr_array_add(actions, action);
	}
	result->actions = NULL;
	return actions;
}
