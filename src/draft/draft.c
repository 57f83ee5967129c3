/* Reply drafts (draft.h): recipients, subject, threading and quoting as a
 * mail client does them, through the one composer (mime/compose.h). */

#include "draft/draft.h"
#include "mime/compose.h"
#include "sieve/template.h"
#include "util/text.h"

#include <gmime/gmime.h>
#include <string.h>

static const char *const draft_weekdays[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const draft_weekdays_long[] = { "Monday", "Tuesday", "Wednesday", "Thursday",
						   "Friday", "Saturday", "Sunday" };
static const char *const draft_months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* ---- text from mail ---- */

char *draft_clean_line(const char *text, guint max)
{
	return text_clean_line(text, max);
}

/* Text of several lines for the body: valid UTF-8, LF line ends, no
 * control characters but tab and LF; bidi controls go too unless keep_bidi
 * (the quoted original: it is shown as it was, each line a paragraph of
 * its own where a control ends, UAX #9 rule P1). */
static char *draft_clean_lines(const char *text, gboolean keep_bidi)
{
	g_autofree char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
	GString *out = g_string_sized_new(strlen(valid));

	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c == '\r' && p[1] == '\n')
			continue;
		if (c == '\r' || c == 0x2028 || c == 0x2029)
			c = '\n';
		if ((!keep_bidi && text_is_bidi_control(c)) ||
		    (c != '\n' && c != '\t' && text_is_control(c)))
			continue;
		g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

/* ---- subject (RFC 5322 3.6.5) ---- */

/* Length of one reply prefix at s ("Re:", "RE :", "Re[2]:", "re(3):"), or 0. */
static size_t draft_reply_prefix_len(const char *s)
{
	size_t i = 0;

	if (g_ascii_tolower(s[0]) != 'r' || g_ascii_tolower(s[1]) != 'e')
		return 0;
	i = 2;
	if (s[i] == '[' || s[i] == '(') {
		char close = s[i] == '[' ? ']' : ')';
		size_t j = i + 1;

		while (g_ascii_isdigit(s[j]))
			j++;
		if (j == i + 1 || s[j] != close)
			return 0;
		i = j + 1;
	}
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	return s[i] == ':' ? i + 1 : 0;
}

gboolean draft_subject_is_reply(const char *subject)
{
	g_autofree char *clean = draft_clean_line(subject, G_MAXUINT);

	return draft_reply_prefix_len(clean) > 0;
}

char *draft_subject_base(const char *subject)
{
	g_autofree char *clean = draft_clean_line(subject, G_MAXUINT);
	const char *p = clean;
	size_t len;

	/* "Re: Re: RE: lunch" is one reply: take them all off. */
	while ((len = draft_reply_prefix_len(p)) > 0) {
		p += len;
		while (*p == ' ')
			p++;
	}
	return g_strdup(p);
}

char *draft_reply_subject(const char *subject)
{
	g_autofree char *base = draft_subject_base(subject);

	return g_strconcat("Re: ", base, NULL);
}

/* ---- names ---- */

char *draft_first_name(const char *name, const char *address)
{
	g_autofree char *clean = draft_clean_line(name, DRAFT_NAME_MAX);
	char *p = clean, *comma, *end;

	g_strdelimit(clean, "\"", ' ');
	g_strstrip(clean);
	if (*clean != '\0' && strchr(clean, '@') == NULL) {
		/* "Smith, Bob", as Outlook shows people of a directory. */
		comma = strchr(clean, ',');
		if (comma != NULL && comma[1] != '\0') {
			p = comma + 1;
			while (*p == ' ')
				p++;
		}
		end = strchr(p, ' ');
		if (end != NULL)
			*end = '\0';
		end = strchr(p, ',');
		if (end != NULL)
			*end = '\0';
		if (*p != '\0')
			return g_strdup(p);
	}
	if (address != NULL && *address != '\0') {
		g_autofree char *local = draft_clean_line(address, DRAFT_NAME_MAX);
		char *cut = local + strcspn(local, "@._-+");
		g_autofree char *first = NULL;

		*cut = '\0';
		if (*local == '\0')
			return g_strdup("");
		first = g_utf8_substring(local, 0, 1);
		{
			g_autofree char *upper = g_utf8_strup(first, -1);

			return g_strconcat(upper, g_utf8_offset_to_pointer(local, 1), NULL);
		}
	}
	return g_strdup("");
}

/* ---- dates ---- */

/* "Tue, 3 Dec 2026 at 09:12": English whatever the locale, as the
 * rest of the draft's fixed words are. */
static char *draft_format_date(GDateTime *date)
{
	return g_strdup_printf("%s, %d %s %d at %02d:%02d",
			       draft_weekdays[g_date_time_get_day_of_week(date) - 1],
			       g_date_time_get_day_of_month(date),
			       draft_months[g_date_time_get_month(date) - 1],
			       g_date_time_get_year(date), g_date_time_get_hour(date),
			       g_date_time_get_minute(date));
}

static GDateTime *draft_original_date(mime_message *msg, GTimeZone *tz)
{
	const char *const *raw = mime_message_get_raw_header_values(msg, "date");
	g_autoptr(GDateTime) date = NULL;

	if (raw[0] == NULL)
		return NULL;
	date = g_mime_utils_header_decode_date(raw[0]);
	if (date == NULL)
		return NULL;
	return g_date_time_to_timezone(date, tz);
}

/* ---- recipients (5.3) ---- */

typedef struct draft_recipients {
	GHashTable *own;  /* lower-case addresses of the executive */
	GHashTable *seen; /* lower-case addresses already in To or Cc */
	GPtrArray *to, *cc; /* mime_address (owned strings: name, addr) */
	GPtrArray *dropped; /* char * */
} draft_recipients;

typedef struct draft_mailbox {
	char *name;
	char *addr;
} draft_mailbox;

static void draft_mailbox_free(gpointer data)
{
	draft_mailbox *mailbox = data;

	g_free(mailbox->name);
	g_free(mailbox->addr);
	g_free(mailbox);
}

/* explicit: the rule or template named it; then the executive's own
 * address stays (a rule may copy the executive on purpose). */
static void draft_recipients_add(draft_recipients *r, GPtrArray *list, const char *name,
				 const char *addr, gboolean explicit)
{
	g_autofree char *lower = NULL;
	draft_mailbox *mailbox;

	if (!mime_address_is_sendable(addr)) {
		g_ptr_array_add(r->dropped, draft_clean_line(addr, DRAFT_NAME_MAX));
		return;
	}
	lower = g_utf8_strdown(addr, -1);
	if (g_hash_table_contains(r->seen, lower) ||
	    (!explicit && g_hash_table_contains(r->own, lower)))
		return;
	g_hash_table_add(r->seen, g_steal_pointer(&lower));
	mailbox = g_new0(draft_mailbox, 1);
	mailbox->name = draft_clean_line(name, DRAFT_NAME_MAX);
	mailbox->addr = g_strdup(addr);
	g_ptr_array_add(list, mailbox);
}

static void draft_recipients_add_all(draft_recipients *r, GPtrArray *list,
				     const GPtrArray *addresses)
{
	for (guint i = 0; i < addresses->len; i++) {
		const mime_address *a = g_ptr_array_index(addresses, i);

		draft_recipients_add(r, list, a->name, a->addr, FALSE);
	}
}

/* An explicit recipient: exactly one mailbox, or an error. */
static int draft_recipients_add_one(draft_recipients *r, GPtrArray *list, const char *what,
				    const char *text, char **error_r)
{
	g_autoptr(GPtrArray) parsed = mime_address_list_parse(text);
	const mime_address *a;

	if (parsed->len != 1 ||
	    !mime_address_is_sendable((a = g_ptr_array_index(parsed, 0))->addr)) {
		g_autofree char *shown = draft_clean_line(text, DRAFT_NAME_MAX);

		*error_r = g_strdup_printf("%s '%s' is not one address", what, shown);
		return -1;
	}
	draft_recipients_add(r, list, a->name, a->addr, TRUE);
	return 0;
}

static void draft_own_add(GHashTable *own, const char *addr)
{
	if (addr != NULL && *addr != '\0')
		g_hash_table_add(own, g_utf8_strdown(addr, -1));
}

static gboolean draft_is_own(const draft_recipients *r, const GPtrArray *addresses)
{
	g_autofree char *lower = NULL;

	if (addresses->len == 0)
		return FALSE;
	lower = g_utf8_strdown(((const mime_address *)g_ptr_array_index(addresses, 0))->addr, -1);
	return g_hash_table_contains(r->own, lower);
}

/* ---- threading (RFC 5322 3.6.4) ---- */

/* The msg-ids of a field ("<a@b> <c@d>"), each checked: an id that is
 * not msg-id text is left out rather than carried into the reply. */
static void draft_add_ids(GPtrArray *ids, const char *value)
{
	const char *p = value;

	while (p != NULL && (p = strchr(p, '<')) != NULL) {
		const char *end = strchr(p + 1, '>');
		g_autofree char *id = NULL;

		if (end == NULL)
			break;
		id = g_strndup(p + 1, (size_t)(end - p - 1));
		if (mime_message_id_is_valid(id))
			g_ptr_array_add(ids, g_steal_pointer(&id));
		p = end + 1;
	}
}

static int draft_set_threading(mime_compose *compose, mime_message *msg, char **error_r)
{
	const char *parent = mime_message_get_message_id(msg);
	const char *const *refs = mime_message_get_raw_header_values(msg, "references");
	const char *const *irt = mime_message_get_raw_header_values(msg, "in-reply-to");
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);

	if (parent != NULL && !mime_message_id_is_valid(parent))
		parent = NULL;
	/* The parent's References, else its In-Reply-To when it holds one
	 * id, then the parent's own Message-ID. */
	if (refs[0] != NULL)
		draft_add_ids(ids, refs[0]);
	if (ids->len == 0 && irt[0] != NULL) {
		draft_add_ids(ids, irt[0]);
		if (ids->len != 1)
			g_ptr_array_set_size(ids, 0);
	}
	if (parent != NULL) {
		if (mime_compose_set_in_reply_to(compose, parent, error_r) < 0)
			return -1;
		g_ptr_array_add(ids, g_strdup(parent));
	}
	if (ids->len == 0)
		return 0;
	g_ptr_array_add(ids, NULL);
	return mime_compose_set_references(compose, (const char *const *)ids->pdata, error_r);
}

/* ---- the quote (5.4) ---- */

static char *draft_attribution(mime_message *msg, GTimeZone *tz)
{
	const GPtrArray *from = mime_message_get_addresses(msg, "from");
	g_autoptr(GDateTime) date = draft_original_date(msg, tz);
	g_autofree char *who = NULL;
	g_autofree char *when = date != NULL ? draft_format_date(date) : NULL;

	if (from->len > 0) {
		const mime_address *a = g_ptr_array_index(from, 0);
		g_autofree char *name = draft_clean_line(a->name, DRAFT_NAME_MAX);
		g_autofree char *addr = draft_clean_line(a->addr, DRAFT_NAME_MAX);

		who = *name != '\0' ? g_strdup_printf("%s <%s>", name, addr) : g_strdup(addr);
	} else {
		who = g_strdup("someone");
	}
	if (when != NULL)
		return g_strdup_printf("On %s, %s wrote:", when, who);
	return g_strdup_printf("%s wrote:", who);
}

static char *draft_quote(mime_message *msg, GTimeZone *tz)
{
	g_autofree char *text = draft_clean_lines(mime_message_get_body_text(msg), TRUE);
	g_autofree char *attribution = draft_attribution(msg, tz);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_new(attribution);
	guint n = g_strv_length(lines), shown = 0;

	g_string_append_c(out, '\n');
	/* The original's signature is not quoted (RFC 3676 4.3: "-- "). */
	for (guint i = 0; i < n; i++) {
		if (strcmp(lines[i], "-- ") == 0) {
			n = i;
			break;
		}
	}
	while (n > 0 && *g_strstrip(lines[n - 1]) == '\0')
		n--;
	for (guint i = 0; i < n; i++) {
		const char *line = lines[i];

		if (shown == DRAFT_QUOTE_MAX_LINES) {
			g_string_append(out, "> [… quoted text trimmed by vea]\n");
			break;
		}
		/* ">" on a quoted line makes it one level deeper, ">>"
		 * (RFC 3676 4.5: quote depth is the count of '>'). */
		g_string_append(out, *line == '\0' ? ">" : *line == '>' ? ">" : "> ");
		g_string_append(out, line);
		g_string_append_c(out, '\n');
		shown++;
	}
	return g_string_free(out, FALSE);
}

static char *draft_first_line(mime_message *msg)
{
	g_autofree char *text = draft_clean_lines(mime_message_get_body_text(msg), FALSE);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (char **line = lines; *line != NULL; line++) {
		g_strstrip(*line);
		if (**line != '\0' && **line != '>')
			return draft_clean_line(*line, DRAFT_NAME_MAX);
	}
	return g_strdup("");
}

/* ---- template values ---- */

typedef struct draft_values {
	GHashTable *fields;    /* name -> one-line value */
	const char *const *vars; /* action->draft_vars */
	char *quote;	       /* several lines */
	char *signature;       /* several lines, NULL: none */
	gboolean header;       /* expanding a header: everything one line */
	GPtrArray *scratch;
} draft_values;

static const char *draft_lookup(const char *name, void *context)
{
	draft_values *values = context;
	const char *value = NULL;

	if (strcmp(name, "quote") == 0)
		value = values->quote;
	else if (strcmp(name, "executive.signature") == 0)
		value = values->signature;
	else if (g_hash_table_contains(values->fields, name))
		return g_hash_table_lookup(values->fields, name);
	else {
		for (const char *const *v = values->vars; v != NULL && *v != NULL; v += 2) {
			if (strcmp(v[0], name) == 0) {
				value = v[1];
				break;
			}
		}
	}
	if (value == NULL)
		return "";
	/* Sieve variables can hold mail text (a header matched into ${1}):
	 * one clean line in a header; in the body lines, but no controls. */
	value = values->header ? draft_clean_line(value, MIME_COMPOSE_SUBJECT_MAX)
			       : draft_clean_lines(value, FALSE);
	g_ptr_array_add(values->scratch, (gpointer)value);
	return value;
}

static void draft_field(draft_values *values, const char *name, char *value)
{
	g_hash_table_insert(values->fields, g_strdup(name), value != NULL ? value : g_strdup(""));
}

static void draft_values_init(draft_values *values, const sieve_action *action,
			      mime_message *msg, const draft_options *opts, GDateTime *now)
{
	const conf_client *client = opts->client;
	const GPtrArray *from = mime_message_get_addresses(msg, "from");
	const mime_address *sender = from->len > 0 ? g_ptr_array_index(from, 0) : NULL;
	g_autoptr(GDateTime) date = draft_original_date(msg, client->tz);

	memset(values, 0, sizeof(*values));
	values->fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	values->scratch = g_ptr_array_new_with_free_func(g_free);
	values->vars = (const char *const *)action->draft_vars;
	draft_field(values, "sender.name",
		    sender != NULL ? draft_clean_line(*sender->name != '\0' ? sender->name
									   : sender->addr,
						      DRAFT_NAME_MAX)
				   : NULL);
	draft_field(values, "sender.first_name",
		    sender != NULL ? draft_first_name(sender->name, sender->addr) : NULL);
	draft_field(values, "sender.address",
		    sender != NULL ? draft_clean_line(sender->addr, DRAFT_NAME_MAX) : NULL);
	{
		g_autofree char *base = draft_subject_base(mime_message_get_subject(msg));

		draft_field(values, "original.subject",
			    draft_clean_line(base, MIME_COMPOSE_SUBJECT_MAX));
	}
	draft_field(values, "original.date", date != NULL ? draft_format_date(date) : NULL);
	draft_field(values, "original.first_line", draft_first_line(msg));
	draft_field(values, "executive.name",
		    client->name_given ? draft_clean_line(client->name, DRAFT_NAME_MAX) : NULL);
	draft_field(values, "executive.first_name",
		    client->name_given ? draft_first_name(client->name, NULL)
				       : draft_first_name(NULL, client->email));
	draft_field(values, "executive.email", g_strdup(client->email));
	draft_field(values, "assistant.name",
		    opts->assistant != NULL ? draft_clean_line(opts->assistant->name, DRAFT_NAME_MAX)
					    : NULL);
	draft_field(values, "assistant.email",
		    opts->assistant != NULL ? g_strdup(opts->assistant->email) : NULL);
	draft_field(values, "today",
		    g_strdup_printf("%d %s %d", g_date_time_get_day_of_month(now),
				    draft_months[g_date_time_get_month(now) - 1],
				    g_date_time_get_year(now)));
	draft_field(values, "weekday",
		    g_strdup(draft_weekdays_long[g_date_time_get_day_of_week(now) - 1]));
	values->quote = draft_quote(msg, client->tz);
	if (client->signature != NULL) {
		values->signature = draft_clean_lines(client->signature, FALSE);
		g_strchomp(values->signature);
	}
}

static void draft_values_clear(draft_values *values)
{
	g_hash_table_destroy(values->fields);
	g_ptr_array_unref(values->scratch);
	g_free(values->quote);
	g_free(values->signature);
}

/* ---- the draft ---- */

/* Text written elsewhere (a model's answer): the lines cleaned, cut at
 * DRAFT_BODY_MAX bytes on a character boundary. */
static char *draft_clean_body(const char *text)
{
	char *clean = draft_clean_lines(text, FALSE);

	if (strlen(clean) > DRAFT_BODY_MAX) {
		const char *end = clean + DRAFT_BODY_MAX;

		/* Back to the start of the character the cut falls in. */
		while (end > clean && (*end & 0xC0) == 0x80)
			end--;
		clean[end - clean] = '\0';
	}
	return clean;
}

static char *draft_body(const sieve_template *tpl, draft_values *values, const char *given)
{
	g_autofree char *text = NULL;
	GString *body;
	gboolean placed_signature = given == NULL && sieve_template_body_uses(tpl, "executive.signature");
	gboolean placed_quote = given == NULL && sieve_template_body_uses(tpl, "quote");

	values->header = FALSE;
	text = given != NULL ? g_strchomp(draft_clean_body(given))
			     : sieve_template_expand(tpl, SIEVE_TEMPLATE_BODY, 0, draft_lookup, values);
	body = g_string_new(text);
	while (body->len > 0 && body->str[body->len - 1] == '\n')
		g_string_truncate(body, body->len - 1);
	g_string_append_c(body, '\n');
	if (values->signature != NULL && !placed_signature) {
		/* RFC 3676 4.3: the separator line is "-- ". */
		g_string_append(body, g_str_has_prefix(values->signature, "-- \n") ? "\n" : "\n-- \n");
		g_string_append(body, values->signature);
		g_string_append_c(body, '\n');
	}
	if (!placed_quote) {
		g_string_append_c(body, '\n');
		g_string_append(body, values->quote);
	}
	return g_string_free(body, FALSE);
}

static void draft_strv_from(GPtrArray *mailboxes, char ***strv_r)
{
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; i < mailboxes->len; i++)
		g_ptr_array_add(out,
				g_strdup(((draft_mailbox *)g_ptr_array_index(mailboxes, i))->addr));
	g_ptr_array_add(out, NULL);
	*strv_r = (char **)g_ptr_array_free(out, FALSE);
}

static int draft_add_explicit(draft_recipients *r, const sieve_template *tpl,
			      draft_values *values, const sieve_action *action, char **error_r)
{
	values->header = TRUE;
	for (char **a = action->draft_to; a != NULL && *a != NULL; a++) {
		if (draft_recipients_add_one(r, r->to, ":to", *a, error_r) < 0)
			return -1;
	}
	for (guint i = 0; i < sieve_template_count(tpl, SIEVE_TEMPLATE_TO); i++) {
		g_autofree char *a = sieve_template_expand(tpl, SIEVE_TEMPLATE_TO, i, draft_lookup,
							   values);

		if (draft_recipients_add_one(r, r->to, "the template's To:", a, error_r) < 0)
			return -1;
	}
	for (char **a = action->draft_cc; a != NULL && *a != NULL; a++) {
		if (draft_recipients_add_one(r, r->cc, ":cc", *a, error_r) < 0)
			return -1;
	}
	for (guint i = 0; i < sieve_template_count(tpl, SIEVE_TEMPLATE_CC); i++) {
		g_autofree char *a = sieve_template_expand(tpl, SIEVE_TEMPLATE_CC, i, draft_lookup,
							   values);

		if (draft_recipients_add_one(r, r->cc, "the template's Cc:", a, error_r) < 0)
			return -1;
	}
	return 0;
}

static void draft_compute_recipients(draft_recipients *r, mime_message *msg, gboolean reply_all)
{
	const GPtrArray *from = mime_message_get_addresses(msg, "from");
	const GPtrArray *reply_to = mime_message_get_addresses(msg, "reply-to");
	const GPtrArray *to = mime_message_get_addresses(msg, "to");
	const GPtrArray *cc = mime_message_get_addresses(msg, "cc");

	if (draft_is_own(r, from)) {
		/* A reply to the executive's own message goes where it went,
		 * as mail clients do. */
		draft_recipients_add_all(r, r->to, to);
		if (reply_all)
			draft_recipients_add_all(r, r->cc, cc);
		return;
	}
	/* RFC 5322 3.6.2: Reply-To when present, else From; never Sender
	 * (RFC 822 4.4.4). */
	draft_recipients_add_all(r, r->to, reply_to->len > 0 ? reply_to : from);
	if (reply_all) {
		draft_recipients_add_all(r, r->cc, to);
		draft_recipients_add_all(r, r->cc, cc);
	}
}

static int draft_add_mailboxes(mime_compose *compose, GPtrArray *list, gboolean cc,
			       char **error_r)
{
	for (guint i = 0; i < list->len; i++) {
		const draft_mailbox *m = g_ptr_array_index(list, i);
		int ret = cc ? mime_compose_add_cc(compose, *m->name != '\0' ? m->name : NULL,
						   m->addr, error_r)
			     : mime_compose_add_to(compose, *m->name != '\0' ? m->name : NULL,
						   m->addr, error_r);

		if (ret < 0)
			return -1;
	}
	return 0;
}

static int draft_compose_message(const sieve_action *action, mime_message *msg,
				 const draft_options *opts, draft_message *draft, char **error_r)
{
	const conf_client *client = opts->client;
	const sieve_template *tpl = action->template;
	g_autoptr(mime_compose) compose = mime_compose_new();
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(opts->now);
	g_autoptr(GDateTime) now = NULL;
	g_autofree char *tag = NULL;
	g_autofree char *body = NULL;
	draft_recipients r = { 0 };
	draft_values values;
	const char *at;
	int ret = -1;

	if (client->email == NULL || !mime_address_is_sendable(client->email)) {
		*error_r = g_strdup_printf("client %s has no email vea can write From with "
					   "(email = in [client:%s])",
					   client->id, client->id);
		return -1;
	}
	if (utc == NULL) {
		*error_r = g_strdup("the time is out of range");
		return -1;
	}
	now = g_date_time_to_timezone(utc, client->tz);
	draft_values_init(&values, action, msg, opts, now);
	r.own = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	r.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	r.to = g_ptr_array_new_with_free_func(draft_mailbox_free);
	r.cc = g_ptr_array_new_with_free_func(draft_mailbox_free);
	r.dropped = g_ptr_array_new_with_free_func(g_free);
	draft_own_add(r.own, client->email);
	for (char **alias = client->aliases; alias != NULL && *alias != NULL; alias++)
		draft_own_add(r.own, *alias);
	for (const char *const *own = opts->own_addresses; own != NULL && *own != NULL; own++)
		draft_own_add(r.own, *own);

	draft_compute_recipients(&r, msg, action->reply_all);
	if (draft_add_explicit(&r, tpl, &values, action, error_r) < 0)
		goto out;
	if (r.to->len == 0 && r.cc->len == 0) {
		*error_r = g_strdup("the draft would have no recipient: the message has no "
				    "From or Reply-To vea can write to");
		goto out;
	}
	if (mime_compose_set_from(compose, client->name_given ? client->name : NULL,
				  client->email, error_r) < 0 ||
	    draft_add_mailboxes(compose, r.to, FALSE, error_r) < 0 ||
	    draft_add_mailboxes(compose, r.cc, TRUE, error_r) < 0)
		goto out;

	values.header = TRUE;
	if (action->subject != NULL)
		draft->subject = draft_clean_line(action->subject, G_MAXUINT);
	else if (sieve_template_count(tpl, SIEVE_TEMPLATE_SUBJECT) > 0) {
		g_autofree char *s = sieve_template_expand(tpl, SIEVE_TEMPLATE_SUBJECT, 0,
							   draft_lookup, &values);

		draft->subject = draft_clean_line(s, G_MAXUINT);
	} else {
		draft->subject = draft_reply_subject(mime_message_get_subject(msg));
	}
	mime_compose_set_subject(compose, draft->subject);
	mime_compose_set_date(compose, now);
	if (draft_set_threading(compose, msg, error_r) < 0)
		goto out;

	draft->id = opts->id != NULL ? g_strdup(opts->id) : g_uuid_string_random();
	at = strrchr(client->email, '@');
	tag = g_strconcat("vea.draft.", draft->id, NULL);
	draft->message_id = mime_message_id_new(at + 1, tag);
	if (mime_compose_set_message_id(compose, draft->message_id, error_r) < 0 ||
	    mime_compose_set_header(compose, "X-Vea-Draft", draft->id, error_r) < 0)
		goto out;
	if (opts->machine != NULL) {
		g_autofree char *machine = draft_clean_line(opts->machine, DRAFT_NAME_MAX);

		if (mime_compose_set_header(compose, "X-Vea-Draft-Machine", machine, error_r) < 0)
			goto out;
	}
	body = draft_body(tpl, &values, opts->body);
	mime_compose_set_text(compose, body);
	draft->bytes = mime_compose_to_bytes(compose, error_r);
	if (draft->bytes == NULL)
		goto out;
	draft_strv_from(r.to, &draft->to);
	draft_strv_from(r.cc, &draft->cc);
	g_ptr_array_add(r.dropped, NULL);
	draft->dropped = (char **)g_ptr_array_free(g_steal_pointer(&r.dropped), FALSE);
	draft->mailbox = g_strdup(client->drafts);
	ret = 0;
out:
	draft_values_clear(&values);
	g_hash_table_destroy(r.own);
	g_hash_table_destroy(r.seen);
	g_ptr_array_unref(r.to);
	g_ptr_array_unref(r.cc);
	if (r.dropped != NULL)
		g_ptr_array_unref(r.dropped);
	return ret;
}

int draft_compose(const sieve_action *action, mime_message *msg, const draft_options *opts,
		  draft_message **draft_r, char **error_r)
{
	draft_message *draft;
	char *error = NULL;

	*draft_r = NULL;
	if (action == NULL || action->type != SIEVE_ACTION_DRAFT || action->template == NULL) {
		*error_r = g_strdup("not a draft action");
		return -1;
	}
	if (opts == NULL || opts->client == NULL || opts->client->tz == NULL) {
		*error_r = g_strdup("draft: no client (with a time zone) to write it for");
		return -1;
	}
	draft = g_new0(draft_message, 1);
	if (draft_compose_message(action, msg, opts, draft, &error) < 0) {
		*error_r = g_strdup_printf("draft \"%s\": %s",
					   action->draft_template != NULL ? action->draft_template
									  : "",
					   error);
		g_free(error);
		draft_message_free(&draft);
		return -1;
	}
	*draft_r = draft;
	return 0;
}

char *draft_instructions(const sieve_action *action, mime_message *msg, const draft_options *opts,
			 char **error_r)
{
	g_autoptr(GDateTime) utc = NULL;
	g_autoptr(GDateTime) now = NULL;
	draft_values values;
	char *text;

	if (action == NULL || action->type != SIEVE_ACTION_DRAFT || action->template == NULL ||
	    opts == NULL || opts->client == NULL || opts->client->tz == NULL) {
		*error_r = g_strdup("not a draft action with a client");
		return NULL;
	}
	utc = g_date_time_new_from_unix_utc(opts->now);
	if (utc == NULL) {
		*error_r = g_strdup("the time is out of range");
		return NULL;
	}
	now = g_date_time_to_timezone(utc, opts->client->tz);
	draft_values_init(&values, action, msg, opts, now);
	/* The model sees the original on its own; the signature is vea's. */
	g_free(values.quote);
	values.quote = g_strdup("");
	g_clear_pointer(&values.signature, g_free);
	values.header = FALSE;
	text = sieve_template_expand(action->template, SIEVE_TEMPLATE_BODY, 0, draft_lookup, &values);
	draft_values_clear(&values);
	g_strstrip(text);
	return text;
}

void draft_message_free(draft_message **draftp)
{
	draft_message *draft = *draftp;

	*draftp = NULL;
	if (draft == NULL)
		return;
	if (draft->bytes != NULL)
		g_bytes_unref(draft->bytes);
	g_free(draft->message_id);
	g_free(draft->id);
	g_free(draft->subject);
	g_strfreev(draft->to);
	g_strfreev(draft->cc);
	g_strfreev(draft->dropped);
	g_free(draft->mailbox);
	g_free(draft);
}
