#include "conf/conf.h"
#include "calendar/calendar-conf.h"
#include "util/duration.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* GKeyFile gives no line numbers, so a first pass over the text records
 * where each section and key is, and catches lines GKeyFile would reject
 * with a message that does not say where. */
typedef struct conf_lines {
	const char *path;
	GHashTable *where; /* "section" or "section\nkey" -> line number */
} conf_lines;

typedef struct conf_loader {
	conf *conf;
	conf_lines lines;
	GKeyFile *keyfile;
	GPtrArray *errors;
	char *dir;
} conf_loader;

static void conf_error(conf_loader *loader, const char *section,
		       const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int conf_line_of(conf_loader *loader, const char *section, const char *key)
{
	g_autofree char *lookup = key != NULL ? g_strconcat(section, "\n", key, NULL)
					      : g_strdup(section);
	gpointer line = g_hash_table_lookup(loader->lines.where, lookup);

	if (line == NULL && key != NULL)
		line = g_hash_table_lookup(loader->lines.where, section);
	return GPOINTER_TO_INT(line);
}

static void conf_error(conf_loader *loader, const char *section,
		       const char *key, const char *fmt, ...)
{
	g_autofree char *message = NULL;
	va_list args;
	int line = section != NULL ? conf_line_of(loader, section, key) : 0;

	va_start(args, fmt);
	message = g_strdup_vprintf(fmt, args);
	va_end(args);
	if (line > 0)
		g_ptr_array_add(loader->errors, g_strdup_printf("%s:%d: %s", loader->lines.path, line, message));
	else
		g_ptr_array_add(loader->errors, g_strdup_printf("%s: %s", loader->lines.path, message));
}

static void conf_scan_lines(conf_loader *loader, const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autofree char *section = NULL;
	int i;

	for (i = 0; lines[i] != NULL; i++) {
		char *line = g_strstrip(lines[i]);
		char *eq;

		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			size_t len = strlen(line);

			if (len < 3 || line[len - 1] != ']') {
				g_ptr_array_add(loader->errors,
						g_strdup_printf("%s:%d: malformed section header '%s' (expected [name])",
								loader->lines.path, i + 1, line));
				continue;
			}
			g_free(section);
			section = g_strndup(line + 1, len - 2);
			if (g_hash_table_contains(loader->lines.where, section)) {
				g_ptr_array_add(loader->errors,
						g_strdup_printf("%s:%d: section [%s] appears twice",
								loader->lines.path, i + 1, section));
				continue;
			}
			g_hash_table_insert(loader->lines.where, g_strdup(section),
					    GINT_TO_POINTER(i + 1));
			continue;
		}
		eq = strchr(line, '=');
		if (eq == NULL) {
			g_ptr_array_add(loader->errors,
					g_strdup_printf("%s:%d: expected 'key = value', got '%s'",
							loader->lines.path, i + 1, line));
			continue;
		}
		if (section == NULL) {
			g_ptr_array_add(loader->errors,
					g_strdup_printf("%s:%d: key outside any section", loader->lines.path, i + 1));
			continue;
		}
		*eq = '\0';
		g_hash_table_insert(loader->lines.where,
				    g_strconcat(section, "\n", g_strstrip(line), NULL),
				    GINT_TO_POINTER(i + 1));
	}
}

static char *conf_resolve_path(const char *dir, const char *path)
{
	g_autofree char *expanded = NULL;

	if (g_str_has_prefix(path, "~/"))
		expanded = g_build_filename(g_get_home_dir(), path + 2, NULL);
	else
		expanded = g_strdup(path);
	if (g_path_is_absolute(expanded))
		return g_canonicalize_filename(expanded, NULL);
	return g_canonicalize_filename(expanded, dir);
}

static char *conf_get_string(conf_loader *loader, const char *section,
			     const char *key, gboolean required)
{
	GError *error = NULL;
	char *value = g_key_file_get_string(loader->keyfile, section, key, &error);

	if (value == NULL) {
		g_error_free(error);
		if (required)
			conf_error(loader, section, NULL, "[%s] lacks required key '%s'", section, key);
		return NULL;
	}
	g_strstrip(value);
	if (*value == '\0') {
		g_free(value);
		if (required)
			conf_error(loader, section, key, "'%s' is empty", key);
		return NULL;
	}
	return value;
}

static gboolean conf_get_boolean(conf_loader *loader, const char *section,
				 const char *key, gboolean default_value)
{
	g_autofree char *value = conf_get_string(loader, section, key, FALSE);

	if (value == NULL)
		return default_value;
	if (g_ascii_strcasecmp(value, "true") == 0 || g_ascii_strcasecmp(value, "yes") == 0)
		return TRUE;
	if (g_ascii_strcasecmp(value, "false") == 0 || g_ascii_strcasecmp(value, "no") == 0)
		return FALSE;
	conf_error(loader, section, key, "'%s' must be true or false, not '%s'", key, value);
	return default_value;
}

/* Integers are parsed by hand: GKeyFile takes "12abc" for 12. */
static gboolean conf_get_int64(conf_loader *loader, const char *section,
			       const char *key, int64_t min, int64_t max,
			       int64_t *value_r)
{
	g_autofree char *value = conf_get_string(loader, section, key, FALSE);
	GError *error = NULL;
	gint64 number;

	if (value == NULL)
		return FALSE;
	if (!g_ascii_string_to_signed(value, 10, min, max, &number, &error)) {
		conf_error(loader, section, key, "'%s' must be a whole number from %" G_GINT64_FORMAT
			   " to %" G_GINT64_FORMAT ", not '%s'", key, (gint64)min, (gint64)max, value);
		g_error_free(error);
		return FALSE;
	}
	*value_r = number;
	return TRUE;
}

/* A duration such as "6m" or "10h" (see util/duration.h). */
static gboolean conf_get_duration(conf_loader *loader, const char *section,
				  const char *key, int64_t *seconds_r)
{
	g_autofree char *value = conf_get_string(loader, section, key, FALSE);
	char *error = NULL;

	if (value == NULL)
		return FALSE;
	if (duration_parse(value, seconds_r, &error) < 0) {
		conf_error(loader, section, key, "%s: %s", key, error);
		g_free(error);
		return FALSE;
	}
	return TRUE;
}

/* One of a fixed set of words; returns its index, or default_index. */
static int conf_get_choice(conf_loader *loader, const char *section, const char *key,
			   const char *const *choices, int default_index)
{
	g_autofree char *value = conf_get_string(loader, section, key, FALSE);
	g_autofree char *list = NULL;

	if (value == NULL)
		return default_index;
	for (int i = 0; choices[i] != NULL; i++) {
		if (g_ascii_strcasecmp(value, choices[i]) == 0)
			return i;
	}
	list = g_strjoinv(", ", (char **)choices);
	conf_error(loader, section, key, "%s must be one of %s, not '%s'", key, list, value);
	return default_index;
}

static char **conf_get_list(conf_loader *loader, const char *section, const char *key)
{
	char **list = g_key_file_get_string_list(loader->keyfile, section, key, NULL, NULL);
	GPtrArray *out;

	if (list == NULL)
		return NULL;
	out = g_ptr_array_new();
	for (char **p = list; *p != NULL; p++) {
		g_strstrip(*p);
		if (**p != '\0')
			g_ptr_array_add(out, g_strdup(*p));
	}
	g_strfreev(list);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static void conf_check_keys(conf_loader *loader, const char *section,
			    const char *const *known)
{
	g_auto(GStrv) keys = g_key_file_get_keys(loader->keyfile, section, NULL, NULL);

	for (char **key = keys; key != NULL && *key != NULL; key++) {
		if (!g_strv_contains(known, *key) &&
		    !(g_str_has_prefix(section, "client:") && conf_calendar_is_client_key(*key)))
			conf_error(loader, section, *key, "unknown key '%s' in [%s]", *key, section);
	}
}

static gboolean conf_id_is_valid(const char *id)
{
	if (*id == '\0')
		return FALSE;
	for (const char *p = id; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
			return FALSE;
	}
	return TRUE;
}

static char *conf_source(conf_loader *loader, const char *section)
{
	return g_strdup_printf("%s:%d", loader->lines.path, conf_line_of(loader, section, NULL));
}

static void conf_load_vea(conf_loader *loader)
{
	static const char *const known[] = { "database", "rules_dir", "global_rules_dir",
					     "poll_interval", "digest_grace", "auto_mail_max_age",
					     "auto_mail_per_hour", "no_reply_senders", NULL };
	g_autofree char *database = NULL, *rules_dir = NULL, *global_dir = NULL;
	int64_t interval = 60, per_hour = 30;

	loader->conf->digest_grace = 3 * 3600;
	/* Two days: a message read after a weekend's downtime still gets
	 * its auto-reply; last month's, found by a first sync, does not
	 * (OUTGOING.md 1.8). */
	loader->conf->auto_mail_max_age = 2 * 86400;
	if (g_key_file_has_group(loader->keyfile, "vea")) {
		conf_check_keys(loader, "vea", known);
		database = conf_get_string(loader, "vea", "database", FALSE);
		rules_dir = conf_get_string(loader, "vea", "rules_dir", FALSE);
		conf_get_int64(loader, "vea", "poll_interval", 5, 86400, &interval);
		conf_get_duration(loader, "vea", "digest_grace", &loader->conf->digest_grace);
		global_dir = conf_get_string(loader, "vea", "global_rules_dir", FALSE);
		if (conf_get_duration(loader, "vea", "auto_mail_max_age",
				      &loader->conf->auto_mail_max_age) &&
		    loader->conf->auto_mail_max_age < 0) {
			conf_error(loader, "vea", "auto_mail_max_age",
				   "auto_mail_max_age cannot be negative");
			loader->conf->auto_mail_max_age = 2 * 86400;
		}
		loader->conf->no_reply_senders = conf_get_list(loader, "vea", "no_reply_senders");
		for (char **p = loader->conf->no_reply_senders; p != NULL && *p != NULL; p++) {
			/* A pattern is matched against a whole address: one
			 * without '@' would match nothing, surely a mistake. */
			if (strcmp(*p, "default") != 0 && strchr(*p, '@') == NULL)
				conf_error(loader, "vea", "no_reply_senders",
					   "no_reply_senders: '%s' is not an address pattern such "
					   "as noreply@* or *@alerts.example (or the word default)",
					   *p);
		}
		conf_get_int64(loader, "vea", "auto_mail_per_hour", 1, 100000, &per_hour);
	}
	loader->conf->auto_mail_per_hour = (int)per_hour;
	if (global_dir != NULL) {
		loader->conf->global_rules_dir = conf_resolve_path(loader->dir, global_dir);
		if (!g_file_test(loader->conf->global_rules_dir, G_FILE_TEST_IS_DIR))
			conf_error(loader, "vea", "global_rules_dir", "global_rules_dir '%s' is not a folder",
				   loader->conf->global_rules_dir);
	}
	loader->conf->poll_interval = (int)interval;
	loader->conf->rules_dir = rules_dir != NULL ? conf_resolve_path(loader->dir, rules_dir)
						    : g_strdup(loader->dir);
	if (database != NULL)
		loader->conf->database = conf_resolve_path(loader->dir, database);
	else if (g_str_has_prefix(loader->conf->path, SYSCONFDIR "/vea/"))
		/* The system service's configuration: its state lives where
		 * the system's does (the unit's StateDirectory=vea when
		 * localstatedir is /var), not in a home folder it cannot
		 * see (ProtectHome=). */
		loader->conf->database = g_strdup(LOCALSTATEDIR "/lib/vea/vea.db");
	else
		loader->conf->database = g_build_filename(g_get_user_data_dir(), "vea", "vea.db", NULL);
}

static void conf_client_free(gpointer data)
{
	conf_client *client = data;

	g_free(client->id);
	g_free(client->name);
	g_free(client->email);
	g_free(client->address);
	g_free(client->timezone);
	if (client->tz != NULL)
		g_time_zone_unref(client->tz);
	g_strfreev(client->rules);
	g_strfreev(client->notify_allowed);
	g_free(client->billing_id);
	g_strfreev(client->aliases);
	g_free(client->signature);
	g_free(client->style_notes);
	g_free(client->drafts);
	g_free(client->sent);
	g_free(client->holidays);
	g_free(client->approve_mailbox);
	g_free(client->approve_keyword);
	calendar_rules_free(client->calendar_rules);
	g_free(client->source);
	g_free(client);
}

static void conf_account_free(gpointer data)
{
	conf_account *account = data;

	g_free(account->id);
	g_free(account->url);
	g_free(account->user);
	g_free(account->password_cmd);
	g_free(account->oauth2_token_cmd);
	g_free(account->ca_file);
	g_strfreev(account->mailboxes);
	g_free(account->trash);
	g_free(account->snooze_mailbox);
	g_free(account->name_refused);
	g_free(account->smtp_url);
	g_free(account->smtp_user);
	g_free(account->smtp_password_cmd);
	g_free(account->smtp_oauth2_token_cmd);
	g_free(account->smtp_ca_file);
	g_free(account->source);
	g_free(account);
}

static void conf_billing_free(gpointer data)
{
	conf_billing *billing = data;

	g_free(billing->id);
	g_free(billing->currency);
	g_free(billing->source);
	g_free(billing);
}

/* A signature longer than this is a file given by mistake. */
#define CONF_SIGNATURE_MAX (8 * 1024)

/* What reply drafts need of the executive: the other addresses that are
 * theirs (never put in a reply-all's Cc), a signature, a Drafts mailbox
 * when the server marks none (RFC 6154). */
static void conf_load_client_drafts(conf_loader *loader, const char *section,
				    conf_client *client)
{
	g_autofree char *signature_file = NULL;

	g_auto(GStrv) aliases = conf_get_list(loader, section, "aliases");
	GPtrArray *list = g_ptr_array_new();

	/* Addresses are listed with commas as often as with GKeyFile's ';'. */
	for (char **item = aliases; item != NULL && *item != NULL; item++) {
		g_auto(GStrv) parts = g_strsplit(*item, ",", -1);

		for (char **alias = parts; *alias != NULL; alias++) {
			g_strstrip(*alias);
			if (**alias == '\0')
				continue;
			if (strchr(*alias, '@') == NULL || strpbrk(*alias, " \t<>") != NULL)
				conf_error(loader, section, "aliases",
					   "alias '%s' is not an address", *alias);
			g_ptr_array_add(list, g_strdup(*alias));
		}
	}
	g_ptr_array_add(list, NULL);
	client->aliases = (char **)g_ptr_array_free(list, FALSE);
	client->drafts = conf_get_string(loader, section, "drafts", FALSE);
	client->sent = conf_get_string(loader, section, "sent", FALSE);
	client->approve_mailbox = conf_get_string(loader, section, "approve_mailbox", FALSE);
	client->approve_keyword = conf_get_string(loader, section, "approve_keyword", FALSE);
	client->approve_window = 10 * 60;
	conf_get_duration(loader, section, "approve_window", &client->approve_window);
	/* RFC 3501 9: a keyword is an atom; a system flag (\Seen...) is set
	 * by clients for other reasons and cannot mean "send this". */
	if (client->approve_keyword != NULL &&
	    (client->approve_keyword[0] == '\\' || client->approve_keyword[0] == '\0' ||
	     strpbrk(client->approve_keyword, " ()[]{%*\"\\]") != NULL))
		conf_error(loader, section, "approve_keyword",
			   "approve_keyword '%s' is not an IMAP keyword (e.g. $Approved)",
			   client->approve_keyword);
	client->signature = conf_get_string(loader, section, "signature", FALSE);
	signature_file = conf_get_string(loader, section, "signature_file", FALSE);
	if (signature_file != NULL && client->signature != NULL) {
		conf_error(loader, section, "signature_file",
			   "signature and signature_file: set one of them");
	} else if (signature_file != NULL) {
		g_autofree char *path = conf_resolve_path(loader->dir, signature_file);
		GError *error = NULL;
		char *text = NULL;
		gsize len;

		if (!g_file_get_contents(path, &text, &len, &error)) {
			conf_error(loader, section, "signature_file", "signature_file: %s",
				   error->message);
			g_error_free(error);
		} else if (len > CONF_SIGNATURE_MAX || !g_utf8_validate(text, (gssize)len, NULL) ||
			   strlen(text) != len) {
			conf_error(loader, section, "signature_file",
				   "signature_file '%s' is not UTF-8 text of at most %d bytes", path,
				   CONF_SIGNATURE_MAX);
			g_free(text);
		} else {
			client->signature = text;
		}
	}
	if (client->signature != NULL && strlen(client->signature) > CONF_SIGNATURE_MAX) {
		conf_error(loader, section, "signature", "signature longer than %d bytes",
			   CONF_SIGNATURE_MAX);
		g_clear_pointer(&client->signature, g_free);
	}
	client->draft_ai = conf_get_boolean(loader, section, "draft_ai", FALSE);
	client->style_notes = conf_get_string(loader, section, "style_notes", FALSE);
	if (client->style_notes != NULL && strlen(client->style_notes) > CONF_SIGNATURE_MAX) {
		conf_error(loader, section, "style_notes", "style_notes longer than %d bytes",
			   CONF_SIGNATURE_MAX);
		g_clear_pointer(&client->style_notes, g_free);
	}
	/* A broken [ai] is reported there. */
	if (client->draft_ai && !g_key_file_has_group(loader->keyfile, "ai"))
		conf_error(loader, section, "draft_ai",
			   "draft_ai = yes needs an [ai] section (url, model)");
}

/* holidays = 2026-12-24, 2026-12-28..2026-12-31: local dates that
 * reminders' business days skip and invitations are declined on (the
 * same key and syntax as src/calendar/calendar-conf.c reads for
 * scheduling: dates and ranges, at most a year each). */
static void conf_load_client_holidays(conf_loader *loader, const char *section,
				      conf_client *client)
{
	g_auto(GStrv) items = conf_get_list(loader, section, "holidays");
	GArray *dates = g_array_new(FALSE, TRUE, sizeof(GDate));

	for (char **item = items; item != NULL && *item != NULL; item++) {
		g_auto(GStrv) parts = g_strsplit(*item, ",", -1);

		for (char **d = parts; *d != NULL; d++) {
			char *spec = g_strstrip(*d);
			g_auto(GStrv) ends = g_strsplit(spec, "..", 2);
			GDate first, last;
			int year, month, day;
			char end;
			gboolean ok = TRUE;

			if (*spec == '\0')
				continue;
			for (int k = 0; k < 2 && ok; k++) {
				const char *text = g_strstrip(ends[k != 0 && ends[1] != NULL ? 1 : 0]);
				GDate *date = k == 0 ? &first : &last;

				/* YYYY-MM-DD exactly, as src/calendar reads the same key. */
				ok = strlen(text) == 10 &&
				     sscanf(text, "%4d-%2d-%2d%c", &year, &month, &day, &end) == 3 &&
				     g_date_valid_dmy((GDateDay)day, (GDateMonth)month, (GDateYear)year);
				if (ok) {
					g_date_clear(date, 1);
					g_date_set_dmy(date, (GDateDay)day, (GDateMonth)month,
						       (GDateYear)year);
				}
			}
			if (!ok || g_date_get_julian(&last) < g_date_get_julian(&first) ||
			    g_date_get_julian(&last) - g_date_get_julian(&first) > 366) {
				conf_error(loader, section, "holidays",
					   "holidays: '%s' is not a date or range (YYYY-MM-DD or "
					   "YYYY-MM-DD..YYYY-MM-DD, at most a year)", spec);
				continue;
			}
			for (guint32 j = g_date_get_julian(&first); j <= g_date_get_julian(&last); j++) {
				GDate date;

				g_date_clear(&date, 1);
				g_date_set_julian(&date, j);
				g_array_append_val(dates, date);
			}
		}
	}
	client->n_holidays = dates->len;
	client->holidays = dates->len > 0 ? (GDate *)(void *)g_array_free(dates, FALSE) : NULL;
	if (client->holidays == NULL)
		g_array_free(dates, TRUE);
}

static void conf_load_client(conf_loader *loader, const char *section, const char *id)
{
	static const char *const known[] = { "name", "email", "address", "timezone", "rules",
					     "billing", "digest", "digest_at", "digest_skip_empty",
					     "digest_cc_assistant", "notify_allowed", "aliases", "signature",
					     "signature_file", "drafts", "sent", "approve_mailbox",
					     "approve_keyword", "approve_window", "holidays", "draft_ai",
					     "style_notes", NULL };
	conf_client *client = g_new0(conf_client, 1);
	g_autofree char *digest_at = NULL;
	g_auto(GStrv) rules = NULL;
	GPtrArray *paths = g_ptr_array_new();

	conf_check_keys(loader, section, known);
	client->id = g_strdup(id);
	client->source = conf_source(loader, section);
	client->name = conf_get_string(loader, section, "name", FALSE);
	client->name_given = client->name != NULL;
	if (client->name == NULL)
		client->name = g_strdup(id);
	client->email = conf_get_string(loader, section, "email", FALSE);
	if (client->email != NULL && strchr(client->email, '@') == NULL)
		conf_error(loader, section, "email", "email '%s' is not an address", client->email);
	client->timezone = conf_get_string(loader, section, "timezone", TRUE);
	if (client->timezone != NULL) {
		client->tz = g_time_zone_new_identifier(client->timezone);
		if (client->tz == NULL)
			conf_error(loader, section, "timezone",
				   "unknown time zone '%s' (use an IANA name such as Europe/Rome)",
				   client->timezone);
	}
	rules = conf_get_list(loader, section, "rules");
	for (char **rule = rules; rule != NULL && *rule != NULL; rule++) {
		char *path = conf_resolve_path(loader->conf->rules_dir, *rule);

		if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
			conf_error(loader, section, "rules", "rule file '%s' not found (looked for %s)",
				   *rule, path);
		g_ptr_array_add(paths, path);
	}
	g_ptr_array_add(paths, NULL);
	client->rules = (char **)g_ptr_array_free(paths, FALSE);
	client->billing_id = conf_get_string(loader, section, "billing", FALSE);
	client->address = conf_get_string(loader, section, "address", FALSE);
	client->digest = conf_get_boolean(loader, section, "digest", client->email != NULL);
	if (client->digest && client->email == NULL)
		conf_error(loader, section, "digest", "digest = true needs the client's email");
	client->digest_at = 7 * 60 + 30;
	digest_at = conf_get_string(loader, section, "digest_at", FALSE);
	if (digest_at != NULL) {
		char *error = NULL;

		if (time_of_day_parse(digest_at, &client->digest_at, &error) < 0) {
			conf_error(loader, section, "digest_at", "digest_at: %s", error);
			g_free(error);
		}
	}
	client->digest_skip_empty = conf_get_boolean(loader, section, "digest_skip_empty", FALSE);
	client->digest_cc_assistant = conf_get_boolean(loader, section, "digest_cc_assistant", FALSE);
	client->notify_allowed = conf_get_list(loader, section, "notify_allowed");
	for (char **a = client->notify_allowed; a != NULL && *a != NULL; a++) {
		if (strchr(*a, '@') == NULL)
			conf_error(loader, section, "notify_allowed",
				   "notify_allowed: '%s' is not an address", *a);
	}
	conf_load_client_drafts(loader, section, client);
	conf_load_client_holidays(loader, section, client);
	g_ptr_array_add(loader->conf->clients, client);
}

static conf_client *conf_get_client_ref(conf_loader *loader, const char *section)
{
	g_autofree char *id = conf_get_string(loader, section, "client", TRUE);
	conf_client *client;

	if (id == NULL)
		return NULL;
	client = conf_find_client(loader->conf, id);
	if (client == NULL)
		conf_error(loader, section, "client", "unknown client '%s' (no [client:%s] section)", id, id);
	return client;
}

/* Characters that could not stand in for another: '/' separates levels,
 * '.' is the commonest delimiter, '*' and '%' are LIST wildcards (RFC 3501
 * 6.3.8), '&' starts modified UTF-7 (5.1.3), '\\' and '"' need quoting. */
static gboolean conf_name_char_usable(char c)
{
	return c > 0x20 && c < 0x7f && !g_ascii_isalnum(c) && strchr("/.*%&\\\"", c) == NULL;
}

static void conf_load_mailbox_names(conf_loader *loader, const char *section,
				    conf_account *account)
{
	g_autofree char *replacement = conf_get_string(loader, section,
						       "mailbox_name_replacement", FALSE);

	/* '_' by default: every server takes it, and no domain name holds
	 * it (RFC 1035 2.3.1), so "acme_com" cannot be another sender's. */
	account->name_replacement = '_';
	if (replacement != NULL) {
		if (strlen(replacement) != 1 || !conf_name_char_usable(replacement[0]))
			conf_error(loader, section, "mailbox_name_replacement",
				   "mailbox_name_replacement must be one punctuation character "
				   "other than / . * %% & \\ \", such as _ or -, not '%s'",
				   replacement);
		else
			account->name_replacement = replacement[0];
	}
	account->name_refused = conf_get_string(loader, section, "mailbox_name_refused", FALSE);
	if (account->name_refused == NULL)
		account->name_refused = g_strdup("");
	for (const char *p = account->name_refused; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '/' ||
		    *p == account->name_replacement) {
			conf_error(loader, section, "mailbox_name_refused",
				   "mailbox_name_refused lists characters a server refuses in a "
				   "mailbox name; '%c' cannot be one (not '/', not a space, not "
				   "the replacement '%c', ASCII only)",
				   *p, account->name_replacement);
			break;
		}
	}
}

/* The executive's own submission server (OUTGOING.md 0, decision 2:
 * mail From the executive goes out through their provider, which signs
 * it for their domain). Checked like [smtp]; what is not given is the
 * IMAP login's, which is what Gmail, Fastmail and Microsoft 365 expect. */
static void conf_load_account_smtp(conf_loader *loader, const char *section,
				   conf_account *account)
{
	static const char *const others[] = { "smtp_user", "smtp_password_cmd",
					      "smtp_oauth2_token_cmd", "smtp_tls", "smtp_ca_file",
					      NULL };
	static const char *const tls_modes[] = { "required", "none", NULL };
	g_autofree char *ca_file = NULL;

	account->smtp_url = conf_get_string(loader, section, "smtp_url", FALSE);
	if (account->smtp_url == NULL) {
		/* Settings for a server that is never used are a mistake
		 * the user would not otherwise notice. */
		for (const char *const *key = others; *key != NULL; key++) {
			if (g_key_file_has_key(loader->keyfile, section, *key, NULL))
				conf_error(loader, section, *key, "%s needs smtp_url", *key);
		}
		return;
	}
	if (!g_str_has_prefix(account->smtp_url, "smtp://") &&
	    !g_str_has_prefix(account->smtp_url, "smtps://"))
		conf_error(loader, section, "smtp_url",
			   "smtp_url '%s' must start with smtp:// or smtps://", account->smtp_url);
	else if (strchr(account->smtp_url + strlen("smtp://"), '@') != NULL)
		/* A password in the URL would end up in logs and ps. */
		conf_error(loader, section, "smtp_url",
			   "smtp_url must not hold a user or password: use smtp_user and "
			   "smtp_password_cmd");
	account->smtp_user = conf_get_string(loader, section, "smtp_user", FALSE);
	if (account->smtp_user == NULL)
		account->smtp_user = g_strdup(account->user);
	account->smtp_password_cmd = conf_get_string(loader, section, "smtp_password_cmd", FALSE);
	account->smtp_oauth2_token_cmd =
		conf_get_string(loader, section, "smtp_oauth2_token_cmd", FALSE);
	if (account->smtp_password_cmd == NULL && account->smtp_oauth2_token_cmd == NULL) {
		/* Neither given: the IMAP credentials, both as they are (an
		 * OAuth2 token for IMAP is good for SMTP at Gmail and
		 * Microsoft 365: the same scope). */
		account->smtp_password_cmd = g_strdup(account->password_cmd);
		account->smtp_oauth2_token_cmd = g_strdup(account->oauth2_token_cmd);
	}
	account->smtp_tls = conf_get_choice(loader, section, "smtp_tls", tls_modes, 0) == 1
				    ? CONF_TLS_NONE
				    : CONF_TLS_REQUIRED;
	if (account->smtp_tls == CONF_TLS_NONE && g_str_has_prefix(account->smtp_url, "smtps://"))
		conf_error(loader, section, "smtp_tls", "smtp_tls = none contradicts the smtps:// url");
	ca_file = conf_get_string(loader, section, "smtp_ca_file", FALSE);
	if (ca_file != NULL) {
		account->smtp_ca_file = conf_resolve_path(loader->dir, ca_file);
		if (!g_file_test(account->smtp_ca_file, G_FILE_TEST_IS_REGULAR))
			conf_error(loader, section, "smtp_ca_file", "smtp_ca_file '%s' not found",
				   account->smtp_ca_file);
	} else {
		account->smtp_ca_file = g_strdup(account->ca_file);
	}
}

static void conf_load_account(conf_loader *loader, const char *section, const char *id)
{
	static const char *const known[] = {
		"client", "url", "user", "password_cmd", "oauth2_token_cmd", "tls",
		"ca_file", "mailboxes", "trash", "create_mailboxes", "since",
		"mailbox_name_replacement", "mailbox_name_refused", "smtp_url", "smtp_user",
		"smtp_password_cmd", "smtp_oauth2_token_cmd", "smtp_tls", "smtp_ca_file",
		"vacation_envelope", "snooze_mailbox", NULL
	};
	conf_account *account = g_new0(conf_account, 1);
	g_autofree char *tls = NULL, *ca_file = NULL, *since = NULL, *envelope = NULL;

	conf_check_keys(loader, section, known);
	account->id = g_strdup(id);
	account->source = conf_source(loader, section);
	account->client = conf_get_client_ref(loader, section);
	account->url = conf_get_string(loader, section, "url", TRUE);
	if (account->url != NULL && !g_str_has_prefix(account->url, "imap://") &&
	    !g_str_has_prefix(account->url, "imaps://"))
		conf_error(loader, section, "url", "url '%s' must start with imap:// or imaps://",
			   account->url);
	account->user = conf_get_string(loader, section, "user", TRUE);
	account->password_cmd = conf_get_string(loader, section, "password_cmd", FALSE);
	account->oauth2_token_cmd = conf_get_string(loader, section, "oauth2_token_cmd", FALSE);
	if (account->password_cmd == NULL && account->oauth2_token_cmd == NULL)
		conf_error(loader, section, NULL, "[%s] needs password_cmd or oauth2_token_cmd", section);
	tls = conf_get_string(loader, section, "tls", FALSE);
	account->tls = CONF_TLS_REQUIRED;
	if (tls != NULL) {
		if (strcmp(tls, "none") == 0)
			account->tls = CONF_TLS_NONE;
		else if (strcmp(tls, "required") != 0)
			conf_error(loader, section, "tls", "tls must be 'required' or 'none', not '%s'", tls);
	}
	if (account->tls == CONF_TLS_NONE && account->url != NULL &&
	    g_str_has_prefix(account->url, "imaps://"))
		conf_error(loader, section, "tls", "tls = none contradicts the imaps:// url");
	ca_file = conf_get_string(loader, section, "ca_file", FALSE);
	if (ca_file != NULL) {
		account->ca_file = conf_resolve_path(loader->dir, ca_file);
		if (!g_file_test(account->ca_file, G_FILE_TEST_IS_REGULAR))
			conf_error(loader, section, "ca_file", "ca_file '%s' not found", account->ca_file);
	}
	account->mailboxes = conf_get_list(loader, section, "mailboxes");
	if (account->mailboxes == NULL || account->mailboxes[0] == NULL) {
		g_strfreev(account->mailboxes);
		account->mailboxes = g_new0(char *, 2);
		account->mailboxes[0] = g_strdup("INBOX");
	}
	account->trash = conf_get_string(loader, section, "trash", FALSE);
	if (account->trash == NULL)
		account->trash = g_strdup("Trash");
	account->snooze_mailbox = conf_get_string(loader, section, "snooze_mailbox", FALSE);
	if (account->snooze_mailbox == NULL)
		account->snooze_mailbox = g_strdup("Snoozed");
	account->create_mailboxes = conf_get_boolean(loader, section, "create_mailboxes", TRUE);
	envelope = conf_get_string(loader, section, "vacation_envelope", FALSE);
	if (envelope != NULL && strcmp(envelope, "account") == 0)
		account->vacation_envelope_sender = TRUE;
	else if (envelope != NULL && strcmp(envelope, "null") != 0)
		conf_error(loader, section, "vacation_envelope",
			   "vacation_envelope is 'null' (replies from <>) or 'account' (from the "
			   "executive's address), not '%s'", envelope);
	conf_load_mailbox_names(loader, section, account);
	since = conf_get_string(loader, section, "since", FALSE);
	if (since != NULL) {
		unsigned int year, month, day;
		char extra;

		if (sscanf(since, "%4u-%2u-%2u%c", &year, &month, &day, &extra) != 3 ||
		    !g_date_valid_dmy((GDateDay)day, (GDateMonth)month, (GDateYear)year)) {
			conf_error(loader, section, "since", "since '%s' is not a date such as 2026-11-01", since);
		} else {
			account->since_year = (int)year;
			account->since_month = (int)month;
			account->since_day = (int)day;
		}
	}
	conf_load_account_smtp(loader, section, account);
	g_ptr_array_add(loader->conf->accounts, account);
}

static void conf_load_billing(conf_loader *loader, const char *section, const char *id)
{
	static const char *const known[] = {
		"client", "mode", "rate", "currency", "increment", "rounding", "round",
		"retainer_hours", "overage_rate", "rollover", "rollover_cap", "period_start_day",
		"payment_terms_days", "cost_fileinto", "cost_keep", "cost_discard", "cost_flag", "cost_draft",
		"cost_remind", "cost_snooze", NULL
	};
	static const char *const modes[] = { "hourly", "retainer", NULL };
	static const char *const roundings[] = { "up", "nearest", NULL };
	static const char *const round_pers[] = { "entry", "period", NULL };
	static const char *const rollovers[] = { "none", "capped", NULL };
	static const char *const cost_keys[] = {
		[CONF_COST_FILEINTO] = "cost_fileinto", [CONF_COST_KEEP] = "cost_keep",
		[CONF_COST_DISCARD] = "cost_discard", [CONF_COST_FLAG] = "cost_flag",
		[CONF_COST_DRAFT] = "cost_draft", [CONF_COST_REMIND] = "cost_remind",
		[CONF_COST_SNOOZE] = "cost_snooze",
	};
	conf_billing *billing = g_new0(conf_billing, 1);
	int64_t rate = 0, number;

	conf_check_keys(loader, section, known);
	billing->id = g_strdup(id);
	billing->source = conf_source(loader, section);
	billing->client = conf_get_client_ref(loader, section);
	if (!g_key_file_has_key(loader->keyfile, section, "rate", NULL))
		conf_error(loader, section, NULL, "[%s] lacks required key 'rate' (minor units per hour, e.g. 9500 for 95.00)", section);
	else
		conf_get_int64(loader, section, "rate", 0, G_MAXINT32, &rate);
	billing->rate = rate;
	billing->currency = conf_get_string(loader, section, "currency", TRUE);
	if (billing->currency != NULL) {
		gboolean ok = strlen(billing->currency) == 3;

		for (const char *p = billing->currency; ok && *p != '\0'; p++)
			ok = g_ascii_isupper(*p);
		if (!ok)
			conf_error(loader, section, "currency",
				   "currency '%s' is not an ISO 4217 code such as USD or EUR",
				   billing->currency);
	}
	billing->mode = conf_get_choice(loader, section, "mode", modes, CONF_BILLING_HOURLY);
	billing->increment = 60;
	if (conf_get_duration(loader, section, "increment", &billing->increment) &&
	    (billing->increment <= 0 || billing->increment > 24 * 3600)) {
		conf_error(loader, section, "increment", "increment must be between 1s and 24h");
		billing->increment = 60;
	}
	billing->rounding = conf_get_choice(loader, section, "rounding", roundings, CONF_ROUNDING_UP);
	billing->round_per = conf_get_choice(loader, section, "round", round_pers, CONF_ROUND_PER_ENTRY);
	billing->overage_rate = billing->rate;
	if (conf_get_int64(loader, section, "overage_rate", 0, G_MAXINT32, &number))
		billing->overage_rate = number;
	if (billing->mode == CONF_BILLING_RETAINER) {
		if (!conf_get_duration(loader, section, "retainer_hours", &billing->retainer_seconds))
			conf_error(loader, section, NULL, "[%s] has mode = retainer but no retainer_hours (e.g. retainer_hours = 10h)",
				   section);
	} else if (g_key_file_has_key(loader->keyfile, section, "retainer_hours", NULL)) {
		conf_error(loader, section, "retainer_hours", "retainer_hours needs mode = retainer");
	}
	billing->rollover = conf_get_choice(loader, section, "rollover", rollovers, CONF_ROLLOVER_NONE);
	if (conf_get_duration(loader, section, "rollover_cap", &billing->rollover_cap_seconds) &&
	    billing->rollover != CONF_ROLLOVER_CAPPED)
		conf_error(loader, section, "rollover_cap", "rollover_cap needs rollover = capped");
	if (billing->rollover == CONF_ROLLOVER_CAPPED &&
	    !g_key_file_has_key(loader->keyfile, section, "rollover_cap", NULL))
		conf_error(loader, section, "rollover", "rollover = capped needs rollover_cap (e.g. 5h)");
	billing->period_start_day = 1;
	if (conf_get_int64(loader, section, "period_start_day", 1, 28, &number))
		billing->period_start_day = (int)number;
	billing->payment_terms_days = 14;
	if (conf_get_int64(loader, section, "payment_terms_days", 0, 365, &number))
		billing->payment_terms_days = (int)number;
	for (int kind = 0; kind < CONF_COST_COUNT; kind++)
		conf_get_duration(loader, section, cost_keys[kind], &billing->costs[kind]);
	g_ptr_array_add(loader->conf->billing, billing);
}

static void conf_load_assistant(conf_loader *loader)
{
	static const char *const known[] = { "name", "business", "address", "email", "phone",
					     "tax_id", "invoice_prefix", NULL };
	conf_assistant *assistant = &loader->conf->assistant;

	if (g_key_file_has_group(loader->keyfile, "assistant")) {
		conf_check_keys(loader, "assistant", known);
		assistant->name = conf_get_string(loader, "assistant", "name", FALSE);
		assistant->business = conf_get_string(loader, "assistant", "business", FALSE);
		assistant->address = conf_get_string(loader, "assistant", "address", FALSE);
		assistant->email = conf_get_string(loader, "assistant", "email", FALSE);
		assistant->phone = conf_get_string(loader, "assistant", "phone", FALSE);
		assistant->tax_id = conf_get_string(loader, "assistant", "tax_id", FALSE);
		assistant->invoice_prefix = conf_get_string(loader, "assistant", "invoice_prefix", FALSE);
	}
	if (assistant->invoice_prefix == NULL)
		assistant->invoice_prefix = g_strdup("INV-");
}

static void conf_load_smtp(conf_loader *loader)
{
	static const char *const known[] = { "url", "user", "password_cmd", "oauth2_token_cmd",
					     "tls", "ca_file", "from", NULL };
	static const char *const tls_modes[] = { "required", "none", NULL };
	conf_smtp *smtp = &loader->conf->smtp;
	g_autofree char *ca_file = NULL;

	if (!g_key_file_has_group(loader->keyfile, "smtp"))
		return;
	conf_check_keys(loader, "smtp", known);
	smtp->source = conf_source(loader, "smtp");
	smtp->url = conf_get_string(loader, "smtp", "url", TRUE);
	if (smtp->url != NULL && !g_str_has_prefix(smtp->url, "smtp://") &&
	    !g_str_has_prefix(smtp->url, "smtps://"))
		conf_error(loader, "smtp", "url", "url '%s' must start with smtp:// or smtps://", smtp->url);
	smtp->user = conf_get_string(loader, "smtp", "user", FALSE);
	smtp->password_cmd = conf_get_string(loader, "smtp", "password_cmd", FALSE);
	smtp->oauth2_token_cmd = conf_get_string(loader, "smtp", "oauth2_token_cmd", FALSE);
	smtp->tls = conf_get_choice(loader, "smtp", "tls", tls_modes, 0) == 1 ? CONF_TLS_NONE
									      : CONF_TLS_REQUIRED;
	if (smtp->tls == CONF_TLS_NONE && smtp->url != NULL && g_str_has_prefix(smtp->url, "smtps://"))
		conf_error(loader, "smtp", "tls", "tls = none contradicts the smtps:// url");
	ca_file = conf_get_string(loader, "smtp", "ca_file", FALSE);
	if (ca_file != NULL) {
		smtp->ca_file = conf_resolve_path(loader->dir, ca_file);
		if (!g_file_test(smtp->ca_file, G_FILE_TEST_IS_REGULAR))
			conf_error(loader, "smtp", "ca_file", "ca_file '%s' not found", smtp->ca_file);
	}
	smtp->from = conf_get_string(loader, "smtp", "from", TRUE);
	if (smtp->from != NULL && strchr(smtp->from, '@') == NULL)
		conf_error(loader, "smtp", "from", "from '%s' is not an address", smtp->from);
	if (smtp->from != NULL && strpbrk(smtp->from, "\r\n") != NULL)
		conf_error(loader, "smtp", "from", "from must be one line");
}

/* The endpoint's URL as curl is given it: a base ("http://host:port",
 * ".../v1") is completed with the OpenAI-compatible path that llama.cpp's
 * server and ollama both serve (OUTGOING.md 6.1). NULL with *error_r. */
static char *conf_ai_url(const char *url, char **error_r)
{
	g_autoptr(GUri) uri = NULL;
	GError *error = NULL;
	const char *scheme, *path;
	g_autofree char *trimmed = NULL;

	uri = g_uri_parse(url, G_URI_FLAGS_NONE, &error);
	if (uri == NULL) {
		*error_r = g_strdup_printf("url '%s': %s", url, error->message);
		g_error_free(error);
		return NULL;
	}
	scheme = g_uri_get_scheme(uri);
	if (g_ascii_strcasecmp(scheme, "http") != 0 && g_ascii_strcasecmp(scheme, "https") != 0) {
		*error_r = g_strdup_printf("url '%s' must start with http:// or https://", url);
		return NULL;
	}
	if (g_uri_get_host(uri) == NULL || *g_uri_get_host(uri) == '\0') {
		*error_r = g_strdup_printf("url '%s' has no host", url);
		return NULL;
	}
	if (g_uri_get_userinfo(uri) != NULL) {
		*error_r = g_strdup("url must not hold a user or password: use api_key_cmd");
		return NULL;
	}
	if (g_uri_get_query(uri) != NULL || g_uri_get_fragment(uri) != NULL) {
		*error_r = g_strdup_printf("url '%s': no query or fragment, please", url);
		return NULL;
	}
	path = g_uri_get_path(uri);
	trimmed = g_strdup(url);
	while (*trimmed != '\0' && trimmed[strlen(trimmed) - 1] == '/')
		trimmed[strlen(trimmed) - 1] = '\0';
	if (g_str_has_suffix(path, "/chat/completions") || g_str_has_suffix(path, "/chat/completions/"))
		return g_strdup(url);
	if (g_str_has_suffix(trimmed, "/v1"))
		return g_strconcat(trimmed, "/chat/completions", NULL);
	if (*path == '\0' || strcmp(path, "/") == 0)
		return g_strconcat(trimmed, "/v1/chat/completions", NULL);
	*error_r = g_strdup_printf("url '%s' is neither a server (http://127.0.0.1:8080) nor a "
				   ".../chat/completions endpoint", url);
	return NULL;
}

static void conf_load_ai(conf_loader *loader)
{
	static const char *const known[] = { "url", "model", "api_key_cmd", "timeout", "max_input",
					     NULL };
	conf_ai *ai = &loader->conf->ai;
	g_autofree char *url = NULL;
	char *error = NULL;

	ai->timeout = CONF_AI_TIMEOUT;
	ai->max_input = CONF_AI_MAX_INPUT;
	if (!g_key_file_has_group(loader->keyfile, "ai"))
		return;
	conf_check_keys(loader, "ai", known);
	ai->source = conf_source(loader, "ai");
	url = conf_get_string(loader, "ai", "url", TRUE);
	ai->model = conf_get_string(loader, "ai", "model", TRUE);
	ai->api_key_cmd = conf_get_string(loader, "ai", "api_key_cmd", FALSE);
	if (conf_get_duration(loader, "ai", "timeout", &ai->timeout) &&
	    (ai->timeout < 1 || ai->timeout > 600)) {
		conf_error(loader, "ai", "timeout", "timeout must be between 1s and 10m");
		ai->timeout = CONF_AI_TIMEOUT;
	}
	conf_get_int64(loader, "ai", "max_input", 256, 1024 * 1024, &ai->max_input);
	if (ai->model != NULL && strpbrk(ai->model, "\r\n") != NULL)
		conf_error(loader, "ai", "model", "model must be one line");
	if (url != NULL) {
		ai->url = conf_ai_url(url, &error);
		if (ai->url == NULL) {
			conf_error(loader, "ai", "url", "%s", error);
			g_free(error);
		}
	}
}

/* After every section is read: references that go the other way. */
static void conf_check_references(conf_loader *loader)
{
	for (guint i = 0; i < loader->conf->clients->len; i++) {
		conf_client *client = g_ptr_array_index(loader->conf->clients, i);
		g_autofree char *section = g_strconcat("client:", client->id, NULL);

		if (client->billing_id != NULL) {
			conf_billing *billing = conf_find_billing(loader->conf, client->billing_id);

			if (billing == NULL)
				conf_error(loader, section, "billing", "unknown billing account '%s'",
					   client->billing_id);
			else if (billing->client != client)
				conf_error(loader, section, "billing",
					   "billing account '%s' belongs to another client",
					   client->billing_id);
		}
	}
}

/* [calendar:ID] and the clients' scheduling keys live in
 * src/calendar/calendar-conf.c; it reports through conf_error. */
static void conf_calendar_error(void *ctx, const char *section, const char *key, const char *message)
{
	conf_error(ctx, section, key, "%s", message);
}

static char *conf_calendar_source(void *ctx, const char *section)
{
	return conf_source(ctx, section);
}

static void conf_load_calendars(conf_loader *loader)
{
	conf_calendar_loader calendar_loader = { loader->keyfile, loader->conf, loader,
						 conf_calendar_error, conf_calendar_source };

	conf_calendar_load(&calendar_loader);
}

int conf_load(const char *path, conf **conf_r, GPtrArray **errors_r)
{
	conf_loader loader = { 0 };
	g_autofree char *text = NULL;
	g_auto(GStrv) groups = NULL;
	GError *error = NULL;
	gsize len;

	*conf_r = NULL;
	*errors_r = NULL;
	loader.errors = g_ptr_array_new_with_free_func(g_free);
	loader.lines.path = path;
	loader.lines.where = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (!g_file_get_contents(path, &text, &len, &error)) {
		g_ptr_array_add(loader.errors, g_strdup_printf("%s: %s", path, error->message));
		g_error_free(error);
		goto out;
	}
	conf_scan_lines(&loader, text);
	if (loader.errors->len > 0)
		goto out;
	loader.keyfile = g_key_file_new();
	g_key_file_set_list_separator(loader.keyfile, ';');
	if (!g_key_file_load_from_data(loader.keyfile, text, len, G_KEY_FILE_NONE, &error)) {
		g_ptr_array_add(loader.errors, g_strdup_printf("%s: %s", path, error->message));
		g_error_free(error);
		goto out;
	}

	loader.conf = g_new0(conf, 1);
	loader.conf->path = g_canonicalize_filename(path, NULL);
	loader.dir = g_path_get_dirname(loader.conf->path);
	loader.conf->clients = g_ptr_array_new_with_free_func(conf_client_free);
	loader.conf->accounts = g_ptr_array_new_with_free_func(conf_account_free);
	loader.conf->billing = g_ptr_array_new_with_free_func(conf_billing_free);
	loader.conf->calendars = g_ptr_array_new_with_free_func(conf_calendar_free);
	conf_load_vea(&loader);
	conf_load_assistant(&loader);
	conf_load_smtp(&loader);
	conf_load_ai(&loader);

	/* Clients first: accounts and billing refer to them. */
	groups = g_key_file_get_groups(loader.keyfile, NULL);
	for (int pass = 0; pass < 2; pass++) {
		for (char **group = groups; *group != NULL; group++) {
			const char *colon = strchr(*group, ':');
			g_autofree char *kind = colon != NULL ? g_strndup(*group, colon - *group)
							      : g_strdup(*group);
			const char *id = colon != NULL ? colon + 1 : NULL;

			if ((strcmp(kind, "vea") == 0 || strcmp(kind, "assistant") == 0 ||
			     strcmp(kind, "smtp") == 0 || strcmp(kind, "ai") == 0) && id == NULL)
				continue;
			if (id == NULL || !conf_id_is_valid(id)) {
				if (pass == 0)
					conf_error(&loader, *group, NULL,
						   "section [%s] must be [vea], [client:ID], [account:ID] or [billing:ID] (ID of letters, digits, '-', '_', '.')",
						   *group);
				continue;
			}
			if (pass == 0 && strcmp(kind, "client") == 0)
				conf_load_client(&loader, *group, id);
			else if (pass == 1 && strcmp(kind, "account") == 0)
				conf_load_account(&loader, *group, id);
			else if (pass == 1 && strcmp(kind, "billing") == 0)
				conf_load_billing(&loader, *group, id);
			else if (pass == 0 && strcmp(kind, "account") != 0 && strcmp(kind, "billing") != 0 &&
				 strcmp(kind, "calendar") != 0) /* conf_load_calendars */
				conf_error(&loader, *group, NULL, "unknown section type '%s'", kind);
		}
	}
	conf_check_references(&loader);
	conf_load_calendars(&loader);
	if (loader.conf->clients->len == 0)
		conf_error(&loader, NULL, NULL, "no [client:ID] section: nobody to work for");
out:
	g_hash_table_destroy(loader.lines.where);
	if (loader.keyfile != NULL)
		g_key_file_free(loader.keyfile);
	g_free(loader.dir);
	if (loader.errors->len > 0) {
		conf_free(&loader.conf);
		*errors_r = loader.errors;
		return -1;
	}
	g_ptr_array_unref(loader.errors);
	*conf_r = loader.conf;
	return 0;
}

void conf_free(conf **confp)
{
	conf *c = *confp;

	if (c == NULL)
		return;
	*confp = NULL;
	g_ptr_array_unref(c->accounts);
	g_ptr_array_unref(c->billing);
	g_ptr_array_unref(c->calendars);
	g_ptr_array_unref(c->clients);
	g_free(c->path);
	g_free(c->database);
	g_free(c->rules_dir);
	g_free(c->global_rules_dir);
	g_strfreev(c->no_reply_senders);
	g_free(c->assistant.name);
	g_free(c->assistant.business);
	g_free(c->assistant.address);
	g_free(c->assistant.email);
	g_free(c->assistant.phone);
	g_free(c->assistant.tax_id);
	g_free(c->assistant.invoice_prefix);
	g_free(c->smtp.url);
	g_free(c->smtp.user);
	g_free(c->smtp.password_cmd);
	g_free(c->smtp.oauth2_token_cmd);
	g_free(c->smtp.ca_file);
	g_free(c->smtp.from);
	g_free(c->smtp.source);
	g_free(c->ai.url);
	g_free(c->ai.model);
	g_free(c->ai.api_key_cmd);
	g_free(c->ai.source);
	g_free(c);
}

#define CONF_FIND(fn, type, array)                                      \
	type *fn(const conf *c, const char *id)                         \
	{                                                               \
		for (guint i = 0; i < c->array->len; i++) {             \
			type *item = g_ptr_array_index(c->array, i);    \
			if (strcmp(item->id, id) == 0)                  \
				return item;                            \
		}                                                       \
		return NULL;                                            \
	}

CONF_FIND(conf_find_client, conf_client, clients)
CONF_FIND(conf_find_account, conf_account, accounts)
CONF_FIND(conf_find_billing, conf_billing, billing)

conf_billing *conf_client_billing(const conf *c, const conf_client *client,
				  const char *id, char **error_r)
{
	conf_billing *found = NULL;
	guint count = 0;

	if (id == NULL)
		id = client->billing_id;
	if (id != NULL) {
		found = conf_find_billing(c, id);
		if (found == NULL || found->client != client) {
			*error_r = g_strdup_printf("client %s has no billing account '%s'", client->id, id);
			return NULL;
		}
		return found;
	}
	for (guint i = 0; i < c->billing->len; i++) {
		conf_billing *billing = g_ptr_array_index(c->billing, i);

		if (billing->client == client) {
			found = billing;
			count++;
		}
	}
	if (count == 1)
		return found;
	*error_r = count == 0
			   ? g_strdup_printf("client %s has no [billing:ID] section", client->id)
			   : g_strdup_printf("client %s has %u billing accounts: set billing = ID in [client:%s] or name one with :account",
					     client->id, count, client->id);
	return NULL;
}

const char *conf_system_path(void)
{
	return SYSCONFDIR "/vea/vea.conf";
}

char *conf_default_path(char **error_r)
{
	const char *env = g_getenv("VEA_CONFIG");
	g_autofree char *user = NULL;

	if (env != NULL && *env != '\0')
		return g_strdup(env);
	/* The user's own first: an assistant running vea on a laptop where a
	 * system service also runs keeps their own configuration. */
	user = g_build_filename(g_get_user_config_dir(), "vea", "vea.conf", NULL);
	if (g_file_test(user, G_FILE_TEST_EXISTS))
		return g_steal_pointer(&user);
	if (g_file_test(conf_system_path(), G_FILE_TEST_EXISTS))
		return g_strdup(conf_system_path());
	*error_r = g_strdup_printf("no configuration file: neither %s nor %s exists, and VEA_CONFIG is "
				   "not set (see vea.conf(5), or give one with -c FILE)",
				   user, conf_system_path());
	return NULL;
}
