#ifndef VEA_SIEVE_ACTIONS_H
#define VEA_SIEVE_ACTIONS_H

/* The result of one execution: the action list with RFC 5228 section
 * 2.10.2 (implicit keep) and 2.10.3 (duplicates) applied, and the
 * imap4flags internal variable (RFC 5232 section 3). */

#include "sieve/sieve.h"

typedef struct sieve_result {
	const char *file;
	GPtrArray *actions;        /* sieve_action * */
	gboolean keep_cancelled;   /* implicit keep cancelled */
	unsigned int n_redirects;
	GPtrArray *flags;          /* char *, normalised; NULL until used;
				      the strings are not its own (use
				      sieve_result_flags_*) */
	GStringChunk *flag_strings; /* flags' strings not the script's */
	int flags_line;            /* last setflag/addflag/removeflag, 0: none */
} sieve_result;

void sieve_result_init(sieve_result *result, const char *file);
void sieve_result_deinit(sieve_result *result);

/* Each returns 0, or -1 and sets *error_r when a limit is exceeded.
 * flags (NULL-terminated, or NULL) are copied. */
int sieve_result_add_keep(sieve_result *result, int line,
			  const char *const *flags, sieve_error **error_r);
int sieve_result_add_fileinto(sieve_result *result, int line,
			      const char *mailbox, const char *const *flags,
			      gboolean copy, gboolean create,
			      sieve_error **error_r);
int sieve_result_add_redirect(sieve_result *result, int line,
			      const char *address, gboolean copy,
			      sieve_error **error_r);
int sieve_result_add_discard(sieve_result *result, int line,
			     sieve_error **error_r);
int sieve_result_add_bill(sieve_result *result, int line,
			  const char *account, int minutes,
			  const char *description, sieve_error **error_r);

/* vacation (RFC 5230): one per execution (section 4.7: a second is an
 * error). action is filled by the caller; ownership passes. */
int sieve_result_add_vacation(sieve_result *result, int line,
			      sieve_action *action, sieve_error **error_r);
/* enotify (RFC 5435): the same notification twice is sent once. */
int sieve_result_add_notify(sieve_result *result, int line,
			    sieve_action *action, sieve_error **error_r);

/* vnd.vea remind (the same reminder twice is one) and snooze (cancels the
 * implicit keep; a second is an error). action is filled by the caller
 * (when_text set); ownership passes. */
int sieve_result_add_remind(sieve_result *result, int line,
			    sieve_action *action, sieve_error **error_r);
int sieve_result_add_snooze(sieve_result *result, int line,
			    sieve_action *action, sieve_error **error_r);

/* vnd.vea draft: one per execution (a second is an error). action is
 * filled by the caller; ownership passes. */
int sieve_result_add_draft(sieve_result *result, int line, sieve_action *action,
			   sieve_error **error_r);

/* vnd.vea schedule: one per execution (a second is an error). */
int sieve_result_add_schedule(sieve_result *result, int line, sieve_action *action,
			      sieve_error **error_r);

/* Append the implicit keep when it applies and hand the list over. */
GPtrArray *sieve_result_finish(sieve_result *result);

/* The internal flag variable as a NULL-terminated array, NULL when
 * empty; points into result (valid until it changes). */
const char *const *sieve_result_get_flags(sieve_result *result);

/* imap4flags: flag lists are space-separated (RFC 5232 section 3). */
void sieve_flags_set(GPtrArray *set, char *const *lists);
void sieve_flags_add(GPtrArray *set, char *const *lists);
/* sieve_flags_add for flags sieve_flags_normalize returned (NULL: none):
 * the same result without parsing them again. */
void sieve_flags_add_normalized(GPtrArray *set, char *const *flags);
void sieve_flags_remove(GPtrArray *set, char *const *lists);
/* The same on the internal variable, result->flags. */
void sieve_result_flags_set(sieve_result *result, char *const *lists);
void sieve_result_flags_add(sieve_result *result, char *const *lists);
/* flags (from sieve_flags_normalize) must outlive the result: the
 * script's. */
void sieve_result_flags_add_normalized(sieve_result *result,
				       char *const *flags);
void sieve_result_flags_remove(sieve_result *result, char *const *lists);
/* Normalise lists into a NULL-terminated array (NULL when empty). */
char **sieve_flags_normalize(char *const *lists);

#endif
