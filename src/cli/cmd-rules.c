/* vea rules check | test: work on rule files without any server. */
#include "cli/cli.h"
#include "calendar/imip.h"
#include "sieve/sieve.h"
#include "mime/message.h"
#include "draft/draft.h"
#include "util/clock.h"
#include "imap/mailbox-name.h"
#include "util/json.h"
#include "util/clock.h"
#include "timer/when.h"

#include <stdio.h>
#include <string.h>

static int rules_check(int argc, char **argv)
{
	int failed = 0;

	if (argc < 1) {
		fprintf(stderr, "Usage: vea rules check FILE...\n");
		return CLI_EXIT_USAGE;
	}
	for (int i = 0; i < argc; i++) {
		sieve_script *script = NULL;
		GPtrArray *errors = NULL;

		if (sieve_script_compile_file(argv[i], &script, &errors) < 0) {
			failed = 1;
			for (guint j = 0; errors != NULL && j < errors->len; j++) {
				g_autofree char *line = sieve_error_format(g_ptr_array_index(errors, j));

				fprintf(stderr, "%s\n", line);
			}
		} else {
			printf("%s: OK\n", argv[i]);
		}
		if (errors != NULL)
			g_ptr_array_unref(errors);
		sieve_script_free(&script);
	}
	return failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

/* The name vea would file into on a server with this delimiter ('\0': not
 * known, then Dovecot's default '.' is shown when it changes the name). */
static char rules_delimiter;

static char *rules_mailbox_used(const char *mailbox)
{
	return mailbox_name_clean(mailbox, rules_delimiter != '\0' ? rules_delimiter : '.', NULL,
				  '_');
}

static void rules_json_string(GString *out, const char *value)
{
	json_append_string(out, value);
}

static void rules_json_flags(GString *out, char **flags)
{
	g_string_append(out, "\"flags\":[");
	for (char **flag = flags; flag != NULL && *flag != NULL; flag++) {
		if (flag != flags)
			g_string_append_c(out, ',');
		rules_json_string(out, *flag);
	}
	g_string_append_c(out, ']');
}

static const char *const rules_action_names[] = {
	[SIEVE_ACTION_KEEP] = "keep",
	[SIEVE_ACTION_FILEINTO] = "fileinto",
	[SIEVE_ACTION_DISCARD] = "discard",
	[SIEVE_ACTION_REDIRECT] = "redirect",
	[SIEVE_ACTION_BILL] = "bill",
	[SIEVE_ACTION_VACATION] = "vacation",
	[SIEVE_ACTION_NOTIFY] = "notify",
	[SIEVE_ACTION_REMIND] = "remind",
	[SIEVE_ACTION_SNOOZE] = "snooze",
	[SIEVE_ACTION_DRAFT] = "draft",
	[SIEVE_ACTION_SCHEDULE] = "schedule",
};

static const char *const rules_schedule_modes[] = {
	[SIEVE_SCHEDULE_APPROVE] = "approve",
	[SIEVE_SCHEDULE_SEND] = "send",
	[SIEVE_SCHEDULE_DRAFT] = "draft",
};

/* What a remind or snooze would be due at: the message's arrival is now
 * (VEA_NOW, vea(1)); the zone is --timezone (default: this machine's),
 * or the snooze's :tzid; --holidays are the client's. */
static int64_t rules_arrival;
static GTimeZone *rules_tz;
static GArray *rules_holidays; /* GDate */

typedef struct rules_due {
	gboolean ok;
	int64_t at;
	char *utc, *local, *zone, *error;
} rules_due;

static void rules_due_clear(rules_due *due)
{
	g_free(due->utc);
	g_free(due->local);
	g_free(due->zone);
	g_free(due->error);
}

static void rules_due_compute(const sieve_action *action, rules_due *due_r)
{
	g_autoptr(GTimeZone) tz = action->tzid != NULL ? g_time_zone_new_identifier(action->tzid)
						      : g_time_zone_ref(rules_tz);
	timer_calendar calendar = {
		.tz = tz,
		.holidays = (const GDate *)(void *)rules_holidays->data,
		.n_holidays = rules_holidays->len,
	};
	g_autoptr(GDateTime) utc = NULL, local = NULL;

	memset(due_r, 0, sizeof(*due_r));
	if (tz == NULL) {
		due_r->error = g_strdup_printf("unknown time zone '%s'", action->tzid);
		return;
	}
	if (timer_when_resolve(&action->when, rules_arrival, &calendar, &due_r->at, &due_r->error) < 0)
		return;
	utc = g_date_time_new_from_unix_utc(due_r->at);
	local = g_date_time_to_timezone(utc, tz);
	due_r->ok = TRUE;
	due_r->utc = g_date_time_format(utc, "%Y-%m-%dT%H:%M:%SZ");
	due_r->local = g_date_time_format(local, "%a %Y-%m-%d %H:%M %Z");
	due_r->zone = g_strdup(action->tzid != NULL ? action->tzid : g_time_zone_get_identifier(tz));
}

/* Who the drafts are written for: the client of --client, or a stand-in
 * (the rules alone do not say whose they are). */
static const conf *rules_config;
static const conf_client *rules_client;
static conf_client rules_standin = {
	.id = "executive",
	.name = "executive",
	.email = "executive@example.invalid",
};

static void rules_json_strv(GString *out, const char *key, char **strv)
{
	g_string_append_printf(out, ",\"%s\":[", key);
	for (char **s = strv; s != NULL && *s != NULL; s++) {
		if (s != strv)
			g_string_append_c(out, ',');
		rules_json_string(out, *s);
	}
	g_string_append_c(out, ']');
}

static void rules_due_json(GString *out, const sieve_action *action)
{
	rules_due due;

	rules_due_compute(action, &due);
	g_string_append(out, ",\"when\":");
	rules_json_string(out, action->when_text);
	if (due.ok) {
		g_string_append_printf(out, ",\"due\":%" G_GINT64_FORMAT ",\"due_utc\":", due.at);
		rules_json_string(out, due.utc);
		g_string_append(out, ",\"due_local\":");
		rules_json_string(out, due.local);
		g_string_append(out, ",\"zone\":");
		rules_json_string(out, due.zone);
	} else {
		g_string_append(out, ",\"due_error\":");
		rules_json_string(out, due.error);
	}
	rules_due_clear(&due);
}

static void rules_due_text(const sieve_action *action)
{
	rules_due due;

	rules_due_compute(action, &due);
	if (due.ok)
		printf("    due %s (%s)%s, %s\n", due.local, due.zone,
		       due.at <= rules_arrival ? ", already past" : "", due.utc);
	else
		printf("    due: %s\n", due.error);
	rules_due_clear(&due);
}

/* The draft the action would write, composed exactly as vea run will
 * (draft_compose), with the time now. NULL with *error_r. */
static draft_message *rules_draft(const sieve_action *action, mime_message *msg,
				  char **error_r)
{
	draft_options opts = {
		.client = rules_client != NULL ? rules_client : &rules_standin,
		.assistant = rules_config != NULL ? &rules_config->assistant : NULL,
		.now = clock_now_unix(),
		.id = "test",
	};
	draft_message *draft = NULL;

	if (rules_standin.tz == NULL)
		rules_standin.tz = g_time_zone_new_utc();
	if (draft_compose(action, msg, &opts, &draft, error_r) < 0)
		return NULL;
	return draft;
}

static void rules_draft_json(GString *out, const sieve_action *action, mime_message *msg)
{
	g_autofree char *error = NULL;
	g_autoptr(draft_message) draft = rules_draft(action, msg, &error);
	g_autofree char *text = NULL;
	gsize len;
	const char *data;

	if (draft == NULL) {
		g_string_append(out, ",\"draft_error\":");
		rules_json_string(out, error);
		return;
	}
	g_string_append(out, ",\"draft\":{\"message_id\":");
	rules_json_string(out, draft->message_id);
	g_string_append(out, ",\"subject\":");
	rules_json_string(out, draft->subject);
	rules_json_strv(out, "to", draft->to);
	rules_json_strv(out, "cc", draft->cc);
	rules_json_strv(out, "dropped", draft->dropped);
	data = g_bytes_get_data(draft->bytes, &len);
	text = g_strndup(data, len);
	g_string_append(out, ",\"message\":");
	rules_json_string(out, text);
	g_string_append_c(out, '}');
}

/* The draft as its reader sees it: header fields decoded, then the text. */
static void rules_draft_text(const sieve_action *action, mime_message *msg)
{
	static const char *const fields[] = { "From", "To", "Cc", "Subject", "In-Reply-To",
					      "References", "X-Vea-Draft", NULL };
	g_autofree char *error = NULL;
	g_autoptr(draft_message) draft = rules_draft(action, msg, &error);
	g_autofree char *parse_error = NULL;
	g_auto(GStrv) lines = NULL;
	mime_message *shown;
	gsize len;
	const char *data;

	if (draft == NULL) {
		printf("    error: %s\n", error);
		return;
	}
	if (rules_client == NULL)
		printf("    (for a stand-in executive <%s>, UTC; --client ID writes it as the "
		       "client's)\n", rules_standin.email);
	data = g_bytes_get_data(draft->bytes, &len);
	shown = mime_message_parse(data, len, &parse_error);
	if (shown == NULL) {
		printf("    error: %s\n", parse_error);
		return;
	}
	for (const char *const *field = fields; *field != NULL; field++) {
		const char *const *values = mime_message_get_header_values(shown, *field);

		for (; *values != NULL; values++)
			printf("    %s: %s\n", *field, *values);
	}
	for (char **d = draft->dropped; *d != NULL; d++)
		printf("    (left out: <%s>, not an address vea writes to)\n", *d);
	printf("\n");
	lines = g_strsplit(mime_message_get_body_text(shown), "\n", -1);
	for (char **line = lines; *line != NULL; line++) {
		g_strchomp(*line);
		if (**line != '\0')
			printf("    %s\n", *line);
		else if (line[1] != NULL)
			printf("\n");
	}
	mime_message_free(&shown);
}

/* vnd.vea invite offline: what the message's invitation says (method,
 * organizer, From, a series, summary, start), read as vea run reads it;
 * availability is not known here (no calendar is read), so neither :free
 * nor :busy, :withinhours nor :outsidehours is true: vea run decides those
 * against the calendars (vea run --dry-run shows it). */
typedef struct rules_invitation {
	mime_message *msg;
	gboolean read;
	imip_message *imip;
	sieve_invitation facts;
	char *start;
} rules_invitation;

static const sieve_invitation *rules_invitation_get(void *context)
{
	rules_invitation *ri = context;

	if (!ri->read) {
		ri->read = TRUE;
		for (unsigned int i = 0; i < mime_message_get_part_count(ri->msg) && ri->imip == NULL;
		     i++) {
			const mime_part_info *part = mime_message_get_part(ri->msg, i);
			g_autofree char *error = NULL;

			if (part->multipart || strcmp(part->type, "text") != 0 ||
			    strcmp(part->subtype, "calendar") != 0)
				continue;
			if (imip_parse(mime_message_get_part_content(ri->msg, i),
				       mime_message_get_part_param(ri->msg, i, "content-type", "method"),
				       &ri->imip, &error) < 0)
				fprintf(stderr, "vea rules test: an invitation vea cannot read: %s\n", error);
		}
		if (ri->imip != NULL) {
			const GPtrArray *from = mime_message_get_addresses(ri->msg, "from");
			int64_t start = ri->imip->components->len > 0
				? g_array_index(ri->imip->components, imip_component, 0).start : 0;

			ri->facts.method = ri->imip->method_name;
			ri->facts.organizer = ri->imip->organizer != NULL ? ri->imip->organizer : "";
			for (guint i = 0; from != NULL && i < from->len; i++)
				ri->facts.trusted |= ri->imip->organizer != NULL &&
					g_ascii_strcasecmp(((const mime_address *)g_ptr_array_index(from, i))->addr,
							   ri->imip->organizer) == 0;
			for (guint i = 0; i < ri->imip->components->len; i++)
				ri->facts.recurring |=
					g_array_index(ri->imip->components, imip_component, i).recurring;
			ri->facts.busy = -1;
			ri->facts.outside_hours = -1;
			ri->facts.summary = ri->imip->summary;
			if (start > 0) {
				g_autoptr(GTimeZone) zone = rules_tz != NULL ? g_time_zone_ref(rules_tz)
									     : g_time_zone_new_utc();
				g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(start);
				g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, zone);

				ri->start = g_date_time_format(local, "%a %-d %b %Y %H:%M");
			}
			ri->facts.start = ri->start != NULL ? ri->start : "";
			ri->facts.conflict = "";
		}
	}
	return ri->imip != NULL ? &ri->facts : NULL;
}

/* The JSON form is a public interface (vea(1)): add keys, never change
 * the meaning of one. */
static void rules_action_json(GString *out, const sieve_action *action, mime_message *msg)
{
	g_string_append_printf(out, "{\"type\":\"%s\"", rules_action_names[action->type]);
	switch (action->type) {
	case SIEVE_ACTION_KEEP:
		g_string_append_printf(out, ",\"implicit\":%s,", action->implicit ? "true" : "false");
		rules_json_flags(out, action->flags);
		break;
	case SIEVE_ACTION_FILEINTO:
		g_string_append(out, ",\"mailbox\":");
		rules_json_string(out, action->mailbox);
		if (rules_delimiter != '\0') {
			g_autofree char *used = rules_mailbox_used(action->mailbox);

			g_string_append(out, ",\"mailbox_used\":");
			rules_json_string(out, used);
		}
		g_string_append_c(out, ',');
		rules_json_flags(out, action->flags);
		g_string_append_printf(out, ",\"copy\":%s,\"create\":%s", action->copy ? "true" : "false",
				       action->create ? "true" : "false");
		break;
	case SIEVE_ACTION_REDIRECT:
		g_string_append(out, ",\"address\":");
		rules_json_string(out, action->address);
		g_string_append_printf(out, ",\"copy\":%s", action->copy ? "true" : "false");
		break;
	case SIEVE_ACTION_BILL:
		g_string_append(out, ",\"account\":");
		rules_json_string(out, action->account);
		g_string_append_printf(out, ",\"minutes\":%d,\"description\":", action->minutes);
		rules_json_string(out, action->description);
		break;
	case SIEVE_ACTION_VACATION:
		g_string_append(out, ",\"to\":");
		rules_json_string(out, action->address);
		g_string_append(out, ",\"subject\":");
		rules_json_string(out, action->subject);
		g_string_append_printf(out, ",\"seconds\":%" G_GUINT64_FORMAT, action->seconds);
		break;
	case SIEVE_ACTION_NOTIFY:
		g_string_append(out, ",\"method\":");
		rules_json_string(out, action->method);
		break;
	case SIEVE_ACTION_REMIND:
		rules_due_json(out, action);
		g_string_append_printf(out, ",\"if_unanswered\":%s,\"to\":\"%s\",\"flag\":%s,\"note\":",
				       action->if_unanswered ? "true" : "false",
				       action->to_executive ? "executive" : "assistant",
				       action->flag ? "true" : "false");
		rules_json_string(out, action->note);
		break;
	case SIEVE_ACTION_SNOOZE:
		rules_due_json(out, action);
		g_string_append(out, ",\"tzid\":");
		rules_json_string(out, action->tzid);
		g_string_append(out, ",\"wake_mailbox\":");
		rules_json_string(out, action->wake_mailbox);
		g_string_append_c(out, ',');
		rules_json_flags(out, action->flags);
		rules_json_strv(out, "addflags", action->addflags);
		rules_json_strv(out, "removeflags", action->removeflags);
		g_string_append_printf(out, ",\"wake_on_reply\":%s", action->wake_on_reply ? "true" : "false");
		break;
	case SIEVE_ACTION_DRAFT:
		g_string_append(out, ",\"template\":");
		rules_json_string(out, action->draft_template);
		g_string_append_printf(out, ",\"reply\":\"%s\",\"ai\":%s", action->reply_all ? "all" : "sender",
				       action->draft_ai ? "true" : "false");
		rules_draft_json(out, action, msg);
		break;
	case SIEVE_ACTION_SCHEDULE:
		g_string_append_printf(out, ",\"partstat\":\"%s\",\"mode\":\"%s\",\"comment\":",
				       action->partstat, rules_schedule_modes[action->schedule_mode]);
		rules_json_string(out, action->note);
		break;
	case SIEVE_ACTION_DISCARD:
		break;
	}
	if (action->rule_file != NULL) {
		g_string_append(out, ",\"rule\":");
		g_autofree char *rule = g_strdup_printf("%s:%d", action->rule_file, action->rule_line);
		rules_json_string(out, rule);
	}
	g_string_append_c(out, '}');
}

static void rules_action_text(const sieve_action *action, mime_message *msg)
{
	g_autofree char *flags = action->flags != NULL ? g_strjoinv(" ", action->flags) : NULL;
	g_autofree char *rule = action->rule_file != NULL
					? g_strdup_printf("  (%s:%d)", action->rule_file, action->rule_line)
					: g_strdup("");

	switch (action->type) {
	case SIEVE_ACTION_KEEP:
		printf("  %skeep%s%s%s\n", action->implicit ? "implicit " : "", flags ? " flags: " : "",
		       flags ? flags : "", rule);
		break;
	case SIEVE_ACTION_FILEINTO: {
		g_autofree char *used = rules_mailbox_used(action->mailbox);
		gboolean changed = strcmp(used, action->mailbox) != 0;

		printf("  fileinto \"%s\"%s%s%s%s%s\n",
		       rules_delimiter != '\0' ? used : action->mailbox, action->copy ? " :copy" : "",
		       action->create ? " :create" : "", flags ? " flags: " : "", flags ? flags : "", rule);
		if (changed && rules_delimiter != '\0')
			printf("    (the rule named \"%s\"; a level cannot hold the server's "
			       "delimiter '%c')\n", action->mailbox, rules_delimiter);
		else if (changed)
			printf("    (on a server whose delimiter is '.', as Dovecot's by default: "
			       "\"%s\")\n", used);
		break;
	}
	case SIEVE_ACTION_DISCARD:
		printf("  discard (vea moves the message to Trash)%s\n", rule);
		break;
	case SIEVE_ACTION_REDIRECT:
		printf("  redirect <%s>%s%s\n", action->address, action->copy ? " :copy" : "", rule);
		break;
	case SIEVE_ACTION_BILL:
		printf("  bill %d min \"%s\"%s%s%s\n", action->minutes,
		       action->description ? action->description : "", action->account ? " to " : "",
		       action->account ? action->account : "", rule);
		break;
	case SIEVE_ACTION_VACATION:
		printf("  vacation to <%s> every %" G_GUINT64_FORMAT " s subject \"%s\"%s\n",
		       action->address ? action->address : "", action->seconds,
		       action->subject ? action->subject : "", rule);
		break;
	case SIEVE_ACTION_NOTIFY:
		printf("  notify %s%s\n", action->method ? action->method : "", rule);
		break;
	case SIEVE_ACTION_REMIND:
		printf("  remind %s, %s, to the %s%s%s%s%s%s\n", action->when_text,
		       action->if_unanswered ? "if unanswered" : "always",
		       action->to_executive ? "executive" : "assistant", action->flag ? ", flag" : "",
		       action->note ? " \"" : "", action->note ? action->note : "",
		       action->note ? "\"" : "", rule);
		rules_due_text(action);
		break;
	case SIEVE_ACTION_SNOOZE: {
		g_autofree char *add = action->addflags ? g_strjoinv(" ", action->addflags) : NULL;
		g_autofree char *remove = action->removeflags ? g_strjoinv(" ", action->removeflags) : NULL;

		printf("  snooze until %s, then to %s%s%s%s%s%s%s%s%s%s%s\n", action->when_text,
		       action->wake_mailbox ? "\"" : "",
		       action->wake_mailbox ? action->wake_mailbox : "the mailbox it was in",
		       action->wake_mailbox ? "\"" : "", add ? ", addflags: " : "", add ? add : "",
		       remove ? ", removeflags: " : "", remove ? remove : "",
		       action->wake_on_reply ? ", or on a reply" : "", flags ? ", flags: " : "",
		       flags ? flags : "", rule);
		rules_due_text(action);
		break;
	}
	case SIEVE_ACTION_DRAFT:
		printf("  draft \"%s\" reply to %s (written to Drafts, never sent)%s%s\n",
		       action->draft_template, action->reply_all ? "all" : "the sender",
		       action->draft_ai ? "; body asked of [ai] (the template below is the fallback)" : "",
		       rule);
		rules_draft_text(action, msg);
		break;
	case SIEVE_ACTION_SCHEDULE:
		printf("  schedule %s%s%s%s, %s%s\n", action->partstat,
		       action->note ? " \"" : "", action->note ? action->note : "",
		       action->note ? "\"" : "",
		       action->schedule_mode == SIEVE_SCHEDULE_SEND ? "sent to the organizer"
		       : action->schedule_mode == SIEVE_SCHEDULE_DRAFT ? "as a reply in Drafts"
								       : "after the assistant approves",
		       rule);
		break;
	}
}

/* The zone, holidays and arrival the due times are shown for. */
static int rules_setup_time(const char *timezone_name, const char *holidays)
{
	g_autoptr(GDateTime) now = NULL;
	g_autofree char *error = NULL;
	g_auto(GStrv) days = g_strsplit(holidays != NULL ? holidays : "", ",", -1);

	now = clock_now_checked(&error);
	if (now == NULL) {
		fprintf(stderr, "vea rules test: %s\n", error);
		return -1;
	}
	rules_arrival = g_date_time_to_unix(now);
	rules_tz = timezone_name != NULL ? g_time_zone_new_identifier(timezone_name)
					 : g_time_zone_new_local();
	if (rules_tz == NULL) {
		fprintf(stderr, "vea rules test: unknown time zone '%s' (an IANA name, e.g. "
				"America/New_York)\n", timezone_name);
		return -1;
	}
	rules_holidays = g_array_new(FALSE, TRUE, sizeof(GDate));
	for (char **d = days; *d != NULL; d++) {
		GDate date;
		int y, m, dd;
		char end;

		g_strstrip(*d);
		if (**d == '\0')
			continue;
		if (sscanf(*d, "%4d-%2d-%2d%c", &y, &m, &dd, &end) != 3 ||
		    !g_date_valid_dmy((GDateDay)dd, (GDateMonth)m, (GDateYear)y)) {
			fprintf(stderr, "vea rules test: --holidays: '%s' is not a date (YYYY-MM-DD)\n", *d);
			return -1;
		}
		g_date_clear(&date, 1);
		g_date_set_dmy(&date, (GDateDay)dd, (GDateMonth)m, (GDateYear)y);
		g_array_append_val(rules_holidays, date);
	}
	return 0;
}

static int rules_test(cli_context *ctx, int argc, char **argv)
{
	conf *config;
	const char *client_id = NULL;
	sieve_envelope envelope = { 0 };
	gboolean json = FALSE;
	sieve_script *script = NULL;
	GPtrArray *errors = NULL;
	int i, failed = 0;
	const char *timezone_name = NULL, *holidays = NULL;

	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = TRUE;
		else if (strcmp(argv[i], "--envelope-from") == 0 && i + 1 < argc)
			envelope.from = argv[++i];
		else if (strcmp(argv[i], "--envelope-to") == 0 && i + 1 < argc)
			envelope.to = argv[++i];
		else if (strcmp(argv[i], "--timezone") == 0 && i + 1 < argc)
			timezone_name = argv[++i];
		else if (strcmp(argv[i], "--holidays") == 0 && i + 1 < argc)
			holidays = argv[++i];
		else if (strcmp(argv[i], "--client") == 0 && i + 1 < argc)
			client_id = argv[++i];
		else if (strcmp(argv[i], "--delimiter") == 0 && i + 1 < argc &&
			 strlen(argv[i + 1]) == 1 && (unsigned char)argv[i + 1][0] > 0x20 &&
			 (unsigned char)argv[i + 1][0] < 0x7f)
			rules_delimiter = argv[++i][0];
		else {
			fprintf(stderr, "vea rules test: unknown option '%s'\n", argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	if (argc - i < 2) {
		fprintf(stderr, "Usage: vea rules test [--envelope-from A] [--envelope-to B] [--delimiter C] "
				"[--client ID] [--timezone ZONE] [--holidays YYYY-MM-DD,...] [--json] SCRIPT MESSAGE...\n");
		return CLI_EXIT_USAGE;
	}
	if (rules_setup_time(timezone_name, holidays) < 0)
		return CLI_EXIT_USAGE;
	if (client_id != NULL) {
		/* Drafts are written as this client's: name, addresses,
		 * signature, time zone. */
		config = cli_load_config(ctx);
		if (config == NULL)
			return CLI_EXIT_CONFIG;
		rules_config = config;
		rules_client = conf_find_client(config, client_id);
		if (rules_client == NULL) {
			fprintf(stderr, "vea rules test: no client '%s' in %s\n", client_id,
				config->path);
			return CLI_EXIT_CONFIG;
		}
	}
	if (sieve_script_compile_file(argv[i], &script, &errors) < 0) {
		for (guint j = 0; errors != NULL && j < errors->len; j++) {
			g_autofree char *line = sieve_error_format(g_ptr_array_index(errors, j));

			fprintf(stderr, "%s\n", line);
		}
		if (errors != NULL)
			g_ptr_array_unref(errors);
		return CLI_EXIT_FAILURE;
	}
	if (errors != NULL)
		g_ptr_array_unref(errors);
	for (i++; i < argc; i++) {
		g_autofree char *data = NULL;
		g_autofree char *parse_error = NULL;
		g_autoptr(GString) out = g_string_new(NULL);
		GPtrArray *actions = NULL;
		sieve_error *run_error = NULL;
		GError *error = NULL;
		mime_message *msg;
		gsize len;
		g_autofree char *invitation_note = NULL;

		if (!g_file_get_contents(argv[i], &data, &len, &error)) {
			fprintf(stderr, "vea rules test: %s\n", error->message);
			g_error_free(error);
			failed = 1;
			continue;
		}
		msg = mime_message_parse(data, len, &parse_error);
		if (msg == NULL) {
			fprintf(stderr, "vea rules test: %s: %s\n", argv[i], parse_error);
			failed = 1;
			continue;
		}
		{
			rules_invitation ri = { .msg = msg };
			sieve_execute_options opts = {
				.invitation = rules_invitation_get,
				.context = &ri,
			};

			if (sieve_script_execute_with_options(script, msg, &envelope, &opts, &actions,
							      &run_error) < 0)
				failed = 1;
			if (ri.imip != NULL)
				invitation_note = g_strdup_printf(
					"  (an invitation: %s from %s; vea run decides availability against "
					"the calendars: offline :free, :busy, :withinhours and :outsidehours "
					"are false)\n", ri.imip->method_name, ri.facts.organizer);
			imip_message_free(&ri.imip);
			g_free(ri.start);
		}
		if (json) {
			g_string_append(out, "{\"message\":");
			rules_json_string(out, argv[i]);
			g_string_append(out, ",\"actions\":[");
			for (guint j = 0; actions != NULL && j < actions->len; j++) {
				if (j > 0)
					g_string_append_c(out, ',');
				rules_action_json(out, g_ptr_array_index(actions, j), msg);
			}
			g_string_append(out, "],\"errors\":[");
			if (run_error != NULL) {
				g_autofree char *line = sieve_error_format(run_error);

				rules_json_string(out, line);
			}
			g_string_append(out, "]}");
			puts(out->str);
		} else {
			printf("%s:\n", argv[i]);
			for (guint j = 0; actions != NULL && j < actions->len; j++)
				rules_action_text(g_ptr_array_index(actions, j), msg);
			if (invitation_note != NULL)
				fputs(invitation_note, stdout);
			if (run_error != NULL) {
				g_autofree char *line = sieve_error_format(run_error);

				printf("  error: %s (the message would be kept)\n", line);
			}
		}
		if (run_error != NULL)
			sieve_error_free(run_error);
		if (actions != NULL)
			g_ptr_array_unref(actions);
		mime_message_free(&msg);
	}
	sieve_script_free(&script);
	return failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

int cmd_rules(cli_context *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return rules_check(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "test") == 0) {
		int ret = rules_test(ctx, argc - 2, argv + 2);

		g_clear_pointer(&rules_tz, g_time_zone_unref);
		g_clear_pointer(&rules_holidays, g_array_unref);
		/* rules_test keeps the config of --client for the drafts. */
		if (rules_config != NULL) {
			conf *config = (conf *)rules_config;

			rules_config = NULL;
			rules_client = NULL;
			conf_free(&config);
		}
		return ret;
	}
	fprintf(stderr, "Usage: vea rules check FILE...\n"
			"       vea rules test [--envelope-from A] [--envelope-to B] [--delimiter C] [--client ID] [--timezone ZONE] [--holidays YYYY-MM-DD,...] [--json] SCRIPT MESSAGE...\n");
	return CLI_EXIT_USAGE;
}
