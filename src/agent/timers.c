/* Reminders and snooze when a message is planned: the timer row that goes
 * with the journal row, and replies seen among new mail (timers.h). The
 * firing is timer-fire.c's; the thread timer-thread.c's. */

#include "agent/agent-private.h"
#include "agent/timers.h"
#include "util/clock.h"
#include "util/log.h"

#include <gmime/gmime.h>
#include <string.h>

/* A date far outside this window reads as no arrival at all: a message
 * kept in a mailbox for years, a clock gone wrong. */
#define TIMER_ARRIVAL_WINDOW (7 * 86400)

char *agent_timer_option(const store_timer *timer, const char *key)
{
	size_t len = strlen(key);

	if (timer->options == NULL)
		return NULL;
	for (const char *line = timer->options; *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t n = end != NULL ? (size_t)(end - line) : strlen(line);

		if (n > len && strncmp(line, key, len) == 0 && line[len] == '=')
			return g_strndup(line + len + 1, n - len - 1);
		if (end == NULL)
			break;
		line = end + 1;
	}
	return NULL;
}

/* key=value, the value on one line. */
static void timer_option_add(GString *options, const char *key, const char *value)
{
	g_autofree char *flat = NULL;

	if (value == NULL)
		return;
	flat = g_strdup(value);
	g_strdelimit(flat, "\r\n", ' ');
	g_string_append_printf(options, "%s=%s\n", key, flat);
}

int agent_timer_resolve(const conf_client *client, const char *tzid, const timer_when *when,
			int64_t base, int64_t *due_r, char **local_r, char **error_r)
{
	g_autoptr(GTimeZone) tz = NULL;
	g_autoptr(GDateTime) utc = NULL, local = NULL;
	g_autofree char *wall = NULL;
	timer_calendar calendar = { 0 };

	tz = tzid != NULL ? g_time_zone_new_identifier(tzid)
			  : client->tz != NULL ? g_time_zone_ref(client->tz) : g_time_zone_new_utc();
	if (tz == NULL) {
		*error_r = g_strdup_printf("unknown time zone '%s'", tzid);
		return -1;
	}
	calendar.tz = tz;
	calendar.holidays = client->holidays;
	calendar.n_holidays = client->n_holidays;
	if (timer_when_resolve(when, base, &calendar, due_r, error_r) < 0)
		return -1;
	utc = g_date_time_new_from_unix_utc(*due_r);
	local = g_date_time_to_timezone(utc, tz);
	wall = g_date_time_format(local, "%Y-%m-%d %H:%M %Z");
	*local_r = g_strdup_printf("%s %s", wall,
				   tzid != NULL ? tzid : client->timezone != NULL ? client->timezone
										: "UTC");
	return 0;
}

/* When the message arrived, as far as its header says (the last hop's
 * Received, else Date), when that is believable; else now (when vea saw
 * it). WHEN counts from there ("+2bd" after the question was asked). */
static int64_t timer_arrival(mime_message *mime, int64_t now)
{
	const char *const *received = mime != NULL ? mime_message_get_header_values(mime, "received")
						   : NULL;
	const char *const *date = mime != NULL ? mime_message_get_header_values(mime, "date") : NULL;
	const char *text = NULL;
	g_autoptr(GDateTime) when = NULL;
	int64_t t;

	if (received != NULL && received[0] != NULL && strrchr(received[0], ';') != NULL)
		text = strrchr(received[0], ';') + 1;
	else if (date != NULL && date[0] != NULL)
		text = date[0];
	if (text == NULL || (when = g_mime_utils_header_decode_date(text)) == NULL)
		return now;
	t = g_date_time_to_unix(when);
	return t <= now && now - t <= TIMER_ARRIVAL_WINDOW ? t : now;
}

static const char *timer_from_address(mime_message *mime)
{
	const GPtrArray *from = mime != NULL ? mime_message_get_addresses(mime, "from") : NULL;

	if (from == NULL || from->len == 0)
		return NULL;
	return ((const mime_address *)g_ptr_array_index(from, 0))->addr;
}

static void timer_step_skip(plan_step *step, const char *reason)
{
	step->row.state = STORE_ACTION_SKIPPED;
	step->row.operation = STORE_OPERATION_NONE;
	g_free(step->row.reason);
	step->row.reason = g_strdup(reason);
}

void agent_timer_prepare(agent_run *run, plan_step *step, mime_message *mime,
			 const agent_message *msg)
{
	const sieve_action *action = step->source;
	const conf_account *account = run->account;
	g_autoptr(GString) options = g_string_new("");
	g_autofree char *local = NULL, *error = NULL, *flags = NULL;
	gboolean snooze = step->row.kind == ACTION_SNOOZE;
	int64_t now = clock_now_unix(), due = 0;
	store_timer *timer;

	if (snooze) {
		g_free(step->row.argument);
		step->row.argument = g_strdup(account->snooze_mailbox);
	}
	if (action == NULL || step->row.state == STORE_ACTION_SKIPPED)
		return;
	if (snooze && strcmp(run->mailbox, account->snooze_mailbox) == 0) {
		timer_step_skip(step, "the message is in the snooze mailbox already");
		return;
	}
	if (msg->message_id == NULL || *msg->message_id == '\0') {
		/* Found again by Message-ID when due: without one it would be
		 * lost track of. */
		timer_step_skip(step, "the message has no Message-ID: vea could not find it again");
		return;
	}
	if (agent_timer_resolve(account->client, snooze ? action->tzid : NULL, &action->when,
				timer_arrival(mime, now), &due, &local, &error) < 0) {
		step->row.state = STORE_ACTION_FAILED;
		step->row.operation = STORE_OPERATION_NONE;
		g_free(step->row.reason);
		step->row.reason = g_strdup_printf("%s: %s", action->when_text, error);
		return;
	}
	timer_option_add(options, "from", timer_from_address(mime));
	if (snooze) {
		timer_option_add(options, "wake_mailbox",
				 action->wake_mailbox != NULL ? action->wake_mailbox : run->mailbox);
		flags = plan_flags_to_string((const char *const *)action->addflags);
		if (*flags != '\0')
			timer_option_add(options, "addflags", flags);
		g_free(flags);
		flags = plan_flags_to_string((const char *const *)action->removeflags);
		if (*flags != '\0')
			timer_option_add(options, "removeflags", flags);
		if (action->wake_on_reply)
			timer_option_add(options, "wake_on_reply", "1");
	} else {
		if (action->if_unanswered)
			timer_option_add(options, "if_unanswered", "1");
		timer_option_add(options, "to", action->to_executive ? "executive" : "assistant");
		if (action->flag)
			timer_option_add(options, "flag", "1");
		timer_option_add(options, "note", action->note);
	}
	timer_option_add(options, "when", action->when_text);
	/* What resolved it, for resolving it again (agent_timers_reschedule). */
	{
		g_autofree char *base = g_strdup_printf("%" G_GINT64_FORMAT, timer_arrival(mime, now));

		timer_option_add(options, "base", base);
	}
	if (snooze)
		timer_option_add(options, "tzid", action->tzid);

	timer = g_new0(store_timer, 1);
	timer->client = g_strdup(account->client->id);
	timer->account = g_strdup(account->id);
	timer->kind = step->row.kind;
	timer->mailbox = g_strdup(snooze ? account->snooze_mailbox : run->mailbox);
	if (!snooze) {
		timer->uidvalidity = run->uidvalidity;
		timer->uid = msg->uid;
	}
	timer->message_id = g_strdup(msg->message_id);
	timer->subject = g_strdup(msg->subject != NULL ? msg->subject : "");
	timer->due_at = due;
	timer->local_due = g_strdup(local);
	timer->options = g_string_free(g_steal_pointer(&options), FALSE);
	timer->created_at = now;
	store_timer_free(step->timer);
	step->timer = timer;
	if (!snooze) {
		g_free(step->row.result);
		step->row.result = g_strdup_printf("due %s", local);
	}
}

char **agent_timer_reply_ids(mime_message *mime)
{
	static const char *const fields[] = { "in-reply-to", "references" };
	const char *const *auto_submitted = mime_message_get_header_values(mime, "auto-submitted");
	GPtrArray *ids;

	/* RFC 3834 5: an automatic reply (out of office, a bounce's
	 * auto-replied) is no answer. */
	if (auto_submitted != NULL && auto_submitted[0] != NULL) {
		g_autofree char *v = g_strstrip(g_strdup(auto_submitted[0]));

		if (*v != '\0' && g_ascii_strcasecmp(v, "no") != 0)
			return NULL;
	}
	ids = g_ptr_array_new();
	for (size_t f = 0; f < G_N_ELEMENTS(fields); f++) {
		const char *const *values = mime_message_get_raw_header_values(mime, fields[f]);

		for (guint v = 0; values != NULL && values[v] != NULL; v++) {
			const char *p = values[v];

			while ((p = strchr(p, '<')) != NULL) {
				const char *end = strchr(p, '>');

				if (end == NULL)
					break;
				if (end > p + 1) {
					char *id = g_strndup(p + 1, (gsize)(end - p - 1));
					gboolean seen = FALSE;

					for (guint i = 0; i < ids->len && !seen; i++)
						seen = strcmp(g_ptr_array_index(ids, i), id) == 0;
					if (seen || ids->len >= 64)
						g_free(id);
					else
						g_ptr_array_add(ids, id);
				}
				p = end + 1;
			}
		}
	}
	if (ids->len == 0) {
		g_ptr_array_free(ids, TRUE);
		return NULL;
	}
	g_ptr_array_add(ids, NULL);
	return (char **)g_ptr_array_free(ids, FALSE);
}

int agent_timers_message_seen(agent_run *run, const agent_message *msg, int64_t now,
			      gboolean *woken_r, char **error_r)
{
	g_autoptr(GPtrArray) timers = NULL;

	if (msg->reply_ids == NULL)
		return 0;
	if (store_timer_waiting_for(run->store, run->account->id,
				    (const char *const *)msg->reply_ids, &timers, error_r) < 0)
		return -1;
	for (guint i = 0; i < timers->len; i++) {
		const store_timer *t = g_ptr_array_index(timers, i);
		g_autofree char *from = agent_timer_option(t, "from");
		g_autofree char *unanswered = agent_timer_option(t, "if_unanswered");
		g_autofree char *on_reply = agent_timer_option(t, "wake_on_reply");
		g_autofree char *result = NULL;
		/* A message from the tracked message's own sender is a
		 * follow-up, not the answer it waits for. */
		gboolean other = from == NULL || msg->from_address == NULL ||
				 g_ascii_strcasecmp(from, msg->from_address) != 0;

		if (g_strcmp0(t->message_id, msg->message_id) == 0)
			continue;
		if (t->kind == ACTION_REMIND && unanswered != NULL && other) {
			result = g_strdup_printf("answered by <%s> in %s", msg->message_id != NULL
						 ? msg->message_id : "?", run->mailbox);
			if (store_timer_finish(run->store, t->id, STORE_TIMER_ANSWERED, now, result,
					       error_r) < 0)
				return -1;
			log_info("account %s: reminder #%" G_GINT64_FORMAT " about <%s>: %s; it will not fire",
				 run->account->id, t->id, t->message_id, result);
		} else if (t->kind == ACTION_SNOOZE && on_reply != NULL) {
			if (store_timer_make_due(run->store, t->id, now, error_r) < 0)
				return -1;
			log_info("account %s: snooze #%" G_GINT64_FORMAT " of <%s>: a reply in the thread "
				 "(in %s) wakes it now", run->account->id, t->id, t->message_id,
				 run->mailbox);
			*woken_r = TRUE;
		}
	}
	return 0;
}

int agent_timer_add(const conf *config, store *st, int64_t action_id, const char *when_text,
		    int64_t now, store_timer **timer_r, char **error_r)
{
	g_autoptr(GPtrArray) history = NULL;
	g_autoptr(GString) options = g_string_new("");
	g_autofree char *local = NULL, *canonical = NULL, *plus = NULL;
	const conf_account *account;
	store_action *row = NULL;
	timer_when when;
	store_timer *timer;
	int64_t due = 0, id = 0;
	int found;

	found = store_action_get(st, action_id, &row, error_r);
	if (found < 0)
		return -1;
	if (found == 0) {
		*error_r = g_strdup_printf("no action #%" G_GINT64_FORMAT " in the log", action_id);
		return -1;
	}
	if (row->message_id == NULL) {
		*error_r = g_strdup_printf("action #%" G_GINT64_FORMAT "'s message has no Message-ID: "
					   "vea could not find it again", action_id);
		store_action_free(row);
		return -1;
	}
	account = conf_find_account(config, row->account);
	if (account == NULL) {
		*error_r = g_strdup_printf("account '%s' of action #%" G_GINT64_FORMAT " is not in "
					   "the configuration", row->account, action_id);
		store_action_free(row);
		return -1;
	}
	/* "2d" as the command line has it is "+2d". */
	if (g_ascii_isdigit(when_text[0]))
		plus = g_strdup_printf("+%s", when_text);
	if (timer_when_parse(plus != NULL ? plus : when_text, &when, error_r) < 0 ||
	    agent_timer_resolve(account->client, NULL, &when, now, &due, &local, error_r) < 0) {
		store_action_free(row);
		return -1;
	}
	canonical = timer_when_format(&when);
	timer_option_add(options, "to", "assistant");
	timer_option_add(options, "when", canonical);
	timer_option_add(options, "set_by", "hand");
	{
		g_autofree char *base = g_strdup_printf("%" G_GINT64_FORMAT, now);

		timer_option_add(options, "base", base);
	}

	if (store_message_history(st, row, &history, error_r) < 0) {
		store_action_free(row);
		return -1;
	}
	timer = g_new0(store_timer, 1);
	timer->client = g_strdup(row->client);
	timer->account = g_strdup(row->account);
	timer->kind = ACTION_REMIND;
	timer->action_id = row->id;
	timer->mailbox = g_strdup(store_message_current_mailbox(history, row));
	timer->message_id = g_strdup(row->message_id);
	timer->subject = g_strdup(row->subject != NULL ? row->subject : "");
	timer->due_at = due;
	timer->local_due = g_strdup(local);
	timer->options = g_string_free(g_steal_pointer(&options), FALSE);
	timer->created_at = now;
	store_action_free(row);
	if (store_timer_insert(st, timer, &id, error_r) < 0) {
		store_timer_free(timer);
		return -1;
	}
	timer->id = id;
	timer->state = STORE_TIMER_PENDING;
	*timer_r = timer;
	agent_timers_thread_wake();
	return 0;
}

int agent_timers_reschedule(const conf *config, store *st, guint *moved_r, char **error_r)
{
	g_autoptr(GPtrArray) timers = NULL;

	*moved_r = 0;
	if (store_transaction_begin(st, error_r) < 0)
		return -1;
	if (store_timer_list(st, NULL, ACTION_KIND_UNKNOWN, STORE_TIMER_PENDING, &timers,
			     error_r) < 0)
		goto fail;
	for (guint i = 0; i < timers->len; i++) {
		const store_timer *t = g_ptr_array_index(timers, i);
		g_autofree char *text = agent_timer_option(t, "when");
		g_autofree char *base = agent_timer_option(t, "base");
		g_autofree char *tzid = agent_timer_option(t, "tzid");
		g_autofree char *local = NULL, *error = NULL;
		const conf_client *client = conf_find_client(config, t->client);
		timer_when when;
		int64_t due;

		g_autofree char *woken = agent_timer_option(t, "woken");

		/* Made due now (vea snooze wake, a reply), or set before this
		 * build: as it is. */
		if (client == NULL || text == NULL || base == NULL || woken != NULL)
			continue;
		if (timer_when_parse(text, &when, &error) < 0 ||
		    agent_timer_resolve(client, tzid, &when, g_ascii_strtoll(base, NULL, 10), &due,
					&local, &error) < 0) {
			log_warning("timer #%" G_GINT64_FORMAT ": %s: %s", t->id, text, error);
			continue;
		}
		if (due == t->due_at && g_strcmp0(local, t->local_due) == 0)
			continue;
		if (store_timer_reschedule(st, t->id, due, local, error_r) < 0)
			goto fail;
		log_info("account %s: %s #%" G_GINT64_FORMAT " \"%s\": due %s, was %s (the client's "
			 "time zone, holidays or the time zone data changed)", t->account,
			 t->kind == ACTION_REMIND ? "reminder" : "snooze", t->id, t->subject, local,
			 t->local_due);
		(*moved_r)++;
	}
	if (store_transaction_commit(st, error_r) < 0)
		goto fail;
	return 0;
fail:
	store_transaction_rollback(st);
	return -1;
}
