#ifndef VEA_SIEVE_TEMPLATE_H
#define VEA_SIEVE_TEMPLATE_H

/* Reply templates of vnd.vea's draft command (vea-rules(5), DRAFTS).
 *
 * A template is compiled with the rule file that names it, so that a
 * missing template or a misspelt variable fails the whole rule file at
 * load time, as any other error in it does (vea never half-applies a rule
 * file). The file is templates/NAME beside the rule file:
 *
 *     Subject: Re: ${original.subject}
 *     Cc: ${assistant.email}
 *
 *     Hi ${sender.first_name},
 *     ...
 *
 * A few header fields (Subject, To, Cc; folded lines allowed), a blank
 * line, then the body. A template without header fields starts with the
 * blank line: a first line that is not a field is an error, so that a
 * body line such as "Note: ..." is never taken for a header.
 *
 * ${NAME} references, as RFC 5229 section 3 writes them: the script's
 * variables (the names the script sets before the draft command, match
 * variables ${0}..${9}; ${vars.NAME} is ${NAME}) and the fields of
 * sieve_template_fields. A reference to anything else is an error at its
 * line and column. Like Sieve strings, "${" that does not start a
 * well-formed reference is literal text. Expansion is a single pass: a
 * value is never read again for references, so "${" inside a sender's
 * name stays as it is.
 *
 * A compiled template is immutable and reference-counted (a draft action
 * holds a reference, so it may outlive the script). */

#include <glib.h>

typedef struct sieve_template sieve_template;

/* The fields a template may name besides the script's variables, lower
 * case, NULL-terminated. src/draft gives each its value. */
extern const char *const sieve_template_fields[];

/* Templates are small: a bigger file is a mistake, not a template. */
#define SIEVE_TEMPLATE_MAX_SIZE (64 * 1024)

/* TRUE when name (as written between "${" and "}") is a reference a
 * template may make to a script variable: not a field, and not
 * namespaced other than "vars.". *canonical_r (may be NULL) gets the
 * name the lookup will be given (lower case, without "vars."), new. */
gboolean sieve_template_name_is_variable(const char *name, char **canonical_r);

/* Parse a template. known answers whether a script variable (canonical
 * name) is set; fields are always known. Errors go to errors
 * (sieve_error *, file = path) with the template's own line:column.
 * Returns NULL on any error. */
sieve_template *sieve_template_parse(const char *path, const char *text, size_t len,
				     gboolean (*known)(const char *name, void *context),
				     void *context, GPtrArray *errors);

sieve_template *sieve_template_ref(sieve_template *tpl);
void sieve_template_unref(sieve_template **tpl);

/* The file it was read from, as given to sieve_template_parse. */
const char *sieve_template_get_path(const sieve_template *tpl);

/* The script variables the template reads (canonical names, each once),
 * NULL-terminated; the draft command records their values. */
const char *const *sieve_template_get_variables(const sieve_template *tpl);

/* TRUE when the body names the field or variable (canonical name). */
gboolean sieve_template_body_uses(const sieve_template *tpl, const char *name);

typedef enum {
	SIEVE_TEMPLATE_SUBJECT, /* 0 or 1 */
	SIEVE_TEMPLATE_TO,      /* one per address, split at the template's commas */
	SIEVE_TEMPLATE_CC,
	SIEVE_TEMPLATE_BODY,    /* always 1 */
} sieve_template_slot;

guint sieve_template_count(const sieve_template *tpl, sieve_template_slot slot);

/* The text of item index of slot with every reference replaced by
 * lookup(canonical name, context) (NULL: empty). Lines end in "\n".
 * A new string. */
char *sieve_template_expand(const sieve_template *tpl, sieve_template_slot slot, guint index,
			    const char *(*lookup)(const char *name, void *context),
			    void *context);

#endif
