/* How invitations are answered: the rules' invite test reads the
 * message's iMIP object (RFC 6047) and the executive's availability from
 * their calendars; schedule's answer becomes a decision (table
 * schedule_decisions) with the iTIP REPLY (RFC 5546 3.2.3) composed at
 * once: sent through the outbox (:send), left in Drafts (:draft), or
 * waiting for the assistant (the default; vea schedule approve). An
 * accepted event is then written to the primary calendar.
 *
 * What keeps a user's worst day away (SCHEDULING.md 6): an acceptance is
 * never sent blind (a calendar that could not be read, no calendar at
 * all, or a conflict turn :send into waiting for approval); an event
 * already answered at this SEQUENCE is not answered again; a cancellation
 * counts only from the organizer; an event already over is not answered.
 *
 * Never two replies (issue 14, RFC 6638): when the server of the primary
 * calendar does implicit scheduling (calendar-auto-schedule in its DAV
 * header, asked once per sync, or schedule_agent = server), an answer is
 * given by writing the event there with the executive's PARTSTAT and no
 * SCHEDULE-AGENT, a decline too, and the server sends the REPLY: nothing
 * is queued in the outbox (route "server"). Otherwise vea mails the
 * REPLY and writes the event with ORGANIZER;SCHEDULE-AGENT=CLIENT, which
 * keeps any server silent (route "mail"); that is also the route when
 * the server could not be asked. A write repeated after a crash carries
 * the same text, so the PARTSTAT does not change and the server sends
 * nothing more. */

#include "agent/agent-private.h"
#include "calendar/calendar-sync.h"
#include "calendar/imip.h"
#include "mime/compose.h"
#include "outgoing/outgoing.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/text.h"

#include <string.h>

/* The index of a client's calendars is read again after this long (a
 * sync then fetches only what changed, calendar-sync.h). */
#define AGENT_CALENDAR_MAX_AGE CALENDAR_SYNC_INTERVAL
#define AGENT_VIA_SERVER "answered through the calendar server (RFC 6638)"

struct agent_invitation {
	imip_message *imip;
	const imip_attendee *attendee;
	sieve_invitation facts;
	char *summary, *start, *conflict, *method, *organizer;
	int64_t start_at;
	calendar_verdict verdict;
	char *verdict_reason;   /* calendar_decide's words, or why it is not known */
	gboolean known;         /* availability was computed from every calendar */
	/* A series some of whose instances (not all) cannot be kept: their
	 * RECURRENCE-IDs (int64_t), proposed declined one by one while the
	 * rest is answered as the rule says; NULL otherwise. */
	GArray *declined_ids;
	char *declined_ids_text;  /* the same in decimal, for the store */
	char *declined_times;     /* "Tue 23 Mar 2027 10:00, Tue 30 Mar ..." in the client's zone */
};

void agent_invitation_free(agent_invitation *inv)
{
	if (inv == NULL)
		return;
	imip_message_free(&inv->imip);
	g_free(inv->summary);
	g_free(inv->start);
	g_free(inv->conflict);
	g_free(inv->method);
	g_free(inv->organizer);
	g_free(inv->verdict_reason);
	if (inv->declined_ids != NULL)
		g_array_unref(inv->declined_ids);
	g_free(inv->declined_ids_text);
	g_free(inv->declined_times);
	g_free(inv);
}

void agent_invitation_reset(agent_run *run)
{
	g_clear_pointer(&run->invitation, agent_invitation_free);
	run->invitation_read = FALSE;
}

/* The client's calendars as one index, read at most every
 * AGENT_CALENDAR_MAX_AGE seconds; run->calendar_errors says which could
 * not be read. NULL when the client has no calendar. */
static const calendar_index *agent_calendar(agent_run *run)
{
	const conf_client *client = run->account->client;
	int64_t now = clock_now_unix();
	calendar_sync_stats stats = { 0 };
	gboolean has_calendar = FALSE;

	for (guint i = 0; run->conf->calendars != NULL && i < run->conf->calendars->len; i++) {
		const conf_calendar *cal = g_ptr_array_index(run->conf->calendars, i);

		has_calendar |= cal->client == client;
	}
	if (!has_calendar)
		return NULL;
	if (run->calendar != NULL && now - run->calendar_at < AGENT_CALENDAR_MAX_AGE)
		return run->calendar;
	calendar_index_free(&run->calendar);
	g_clear_pointer(&run->calendar_errors, g_ptr_array_unref);
	run->calendar = calendar_sync_client(run->store, run->conf, client, now - 86400,
					     now + client->calendar_rules->horizon + 86400,
					     &run->calendar_errors, &stats);
	run->calendar_at = now;
	for (guint i = 0; stats.stale != NULL && i < stats.stale->len; i++)
		log_warning("account %s: %s", run->account->id, (const char *)g_ptr_array_index(stats.stale, i));
	calendar_sync_stats_clear(&stats);
	for (guint i = 0; run->calendar_errors != NULL && i < run->calendar_errors->len; i++)
		log_error("account %s: %s; invitations wait for approval",
			  run->account->id, (const char *)g_ptr_array_index(run->calendar_errors, i));
	return run->calendar;
}

/* Does the server of the primary calendar send the executive's answers
 * itself (RFC 6638 implicit scheduling)? 1 yes, 0 no (vea mails them),
 * -1 not known now: the server could not be asked. schedule_agent in
 * vea.conf overrides what the server announces; the DAV header is asked
 * once per sync (run->primary_server_replies; -2: asked, no answer). */
static int agent_server_replies(agent_run *run, const conf_calendar *primary)
{
	caldav_client *dav;
	caldav_info info;
	char *error = NULL;

	if (primary == NULL || primary->feed ||
	    primary->schedule_agent == CALENDAR_SCHEDULE_AGENT_CLIENT)
		return 0;
	if (run->primary_server_replies == -1) {
		run->primary_server_replies = -2;
		dav = calendar_connect(primary, &error);
		if (dav != NULL && caldav_probe(dav, &info, &error) == 0) {
			run->primary_server_replies = info.auto_schedule ? 1 : 0;
			/* Forced, against what the server says: nobody may send
			 * the answers. Said at every sync, not only by vea
			 * calendar check. */
			if (!info.auto_schedule && primary->schedule_agent == CALENDAR_SCHEDULE_AGENT_SERVER)
				log_warning("account %s: calendar %s: schedule_agent = server, but the server "
					    "does not announce calendar-auto-schedule (RFC 6638): answers "
					    "written there may never reach the organizers",
					    run->account->id, primary->id);
			caldav_info_clear(&info);
		} else {
			log_warning("account %s: %s; %s", run->account->id,
				    error != NULL ? error : "calendar not reachable",
				    primary->schedule_agent == CALENDAR_SCHEDULE_AGENT_SERVER
					    ? "answers wait for it (schedule_agent = server)"
					    : "answers are mailed by vea meanwhile");
			g_free(error);
		}
		caldav_client_free(&dav);
	}
	if (primary->schedule_agent == CALENDAR_SCHEDULE_AGENT_SERVER)
		return 1;
	return run->primary_server_replies >= 0 ? run->primary_server_replies : -1;
}

/* Is addr the From or Sender of the message? */
static gboolean agent_sent_by(mime_message *mime, const char *addr)
{
	static const char *const fields[] = { "from", "sender", NULL };

	if (addr == NULL)
		return FALSE;
	for (const char *const *f = fields; *f != NULL; f++) {
		const GPtrArray *list = mime_message_get_addresses(mime, *f);

		for (guint i = 0; list != NULL && i < list->len; i++) {
			const mime_address *a = g_ptr_array_index(list, i);

			if (g_ascii_strcasecmp(a->addr, addr) == 0)
				return TRUE;
		}
	}
	return FALSE;
}

static char *agent_local_time(const agent_run *run, int64_t t)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(t);
	g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, run->account->client->tz);

	return g_date_time_format(local, "%a %-d %b %Y %H:%M");
}

static void agent_invitation_set_declined(const agent_run *run, agent_invitation *inv,
					  const calendar_decision *decision)
{
	GString *ids = g_string_new(NULL), *times = g_string_new(NULL), *why = g_string_new(NULL);

	inv->declined_ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	for (guint i = 0; i < decision->blocked->len; i++) {
		const calendar_blocked *b = &g_array_index(decision->blocked, calendar_blocked, i);
		g_autofree char *when = agent_local_time(run, b->start);

		g_array_append_val(inv->declined_ids, b->recurrence_id);
		g_string_append_printf(ids, "%s%" G_GINT64_FORMAT, i > 0 ? " " : "", b->recurrence_id);
		g_string_append_printf(times, "%s%s", i > 0 ? ", " : "", when);
		g_string_append_printf(why, "%s%s", i > 0 ? "; " : "", b->reason);
	}
	inv->declined_ids_text = g_string_free(ids, FALSE);
	inv->declined_times = g_string_free(times, FALSE);
	g_free(inv->verdict_reason);
	inv->verdict_reason = g_strdup_printf("%u of %u instances cannot be kept (%s)",
					      decision->blocked->len, decision->instances, why->str);
	g_string_free(why, TRUE);
}

/* Read the message's invitation and decide it against the calendars. */
static agent_invitation *agent_invitation_read(agent_run *run, mime_message *mime)
{
	const conf_client *client = run->account->client;
	g_autoptr(GPtrArray) own = NULL;
	agent_invitation *inv;
	imip_message *imip = NULL;
	char *error = NULL;
	int64_t now = clock_now_unix();
	int last = -1;

	for (unsigned int i = 0; i < mime_message_get_part_count(mime) && imip == NULL; i++) {
		const mime_part_info *part = mime_message_get_part(mime, i);

		const char *method = mime_message_get_part_param(mime, i, "content-type", "method");

		/* RFC 6047 2.4, as imip_find_part reads it: a text/calendar
		 * part without a method is no iMIP body part (the copy Google
		 * and Lightning attach after the inline one is not read). The
		 * message is parsed already: no second parse of the raw bytes. */
		if (part->multipart || strcmp(part->type, "text") != 0 ||
		    strcmp(part->subtype, "calendar") != 0 || method == NULL)
			continue;
		if (imip_parse(mime_message_get_part_content(mime, i), method, &imip, &error) < 0) {
			log_warning("account %s: mailbox %s: UID %u: an invitation vea cannot read: %s",
				    run->account->id, run->mailbox,
				    run->evaluating != NULL ? run->evaluating->uid : 0, error);
			g_clear_pointer(&error, g_free);
		}
	}
	if (imip == NULL)
		return NULL;
	inv = g_new0(agent_invitation, 1);
	inv->imip = imip;
	own = agent_client_addresses(run);
	inv->attendee = imip_find_attendee(imip, (const char *const *)own->pdata);
	inv->method = g_strdup(imip->method_name);
	inv->organizer = g_strdup(imip->organizer != NULL ? imip->organizer : "");
	inv->summary = text_clean_line(imip->summary, 200);
	inv->facts.method = inv->method;
	inv->facts.organizer = inv->organizer;
	inv->facts.trusted = imip->organizer != NULL && agent_sent_by(mime, imip->organizer);
	for (guint i = 0; i < imip->components->len; i++)
		inv->facts.recurring |= g_array_index(imip->components, imip_component, i).recurring;
	if (store_schedule_last_sequence(run->store, client->id, imip->uid, &last, &error) < 0) {
		log_error("account %s: %s", run->account->id, error);
		g_clear_pointer(&error, g_free);
	}
	inv->facts.update = last >= 0 && imip->sequence > last;
	inv->facts.busy = -1;
	inv->facts.outside_hours = -1;
	inv->verdict = CALENDAR_NOTHING;
	if (imip->method == IMIP_METHOD_REQUEST) {
		const calendar_index *index = agent_calendar(run);
		calendar_index *empty = NULL;
		ical_events *instances = imip_instances(imip, now, now + client->calendar_rules->horizon,
						       &error);
		calendar_decision decision = { 0 };

		if (instances == NULL) {
			inv->verdict_reason = error;
			error = NULL;
		} else {
			if (index == NULL) {
				empty = calendar_index_new(client->tz, now, now + 1);
				calendar_index_finish(empty);
			}
			inv->verdict = calendar_decide(index != NULL ? index : empty,
						       client->calendar_rules, instances, &decision);
			inv->start_at = decision.start;
			inv->known = index != NULL && (run->calendar_errors == NULL ||
						       run->calendar_errors->len == 0);
			inv->verdict_reason = g_strdup(decision.reason);
			switch (inv->verdict) {
			case CALENDAR_FREE:
				inv->facts.busy = inv->known ? 0 : -1;
				inv->facts.outside_hours = 0;
				break;
			case CALENDAR_CONFLICT:
			case CALENDAR_TOO_MANY:
				inv->facts.busy = 1;
				break;
			case CALENDAR_OUTSIDE_HOURS:
			case CALENDAR_HOLIDAY:
				inv->facts.outside_hours = 1;
				break;
			default:
				break;
			}
			if (inv->verdict != CALENDAR_FREE)
				inv->conflict = text_clean_line(decision.reason != NULL ? decision.reason
									: "", 300);
			/* Some instances of a series in the way, not all: the
			 * proposal declines just those (SCHEDULING.md: a weekly
			 * meeting is not refused for one clash). */
			if (inv->known && inv->facts.recurring && decision.blocked != NULL &&
			    decision.blocked->len > 0 && decision.blocked->len < decision.instances) {
				agent_invitation_set_declined(run, inv, &decision);
				/* The series is what is answered: it starts with
				 * its first instance, not the one in the way. */
				inv->start_at = decision.first_start;
			}
			if (!inv->known) {
				g_free(inv->verdict_reason);
				inv->verdict_reason = index == NULL
					? g_strdup("the client has no calendar to check")
					: g_strdup_printf("%s could not be read",
							  (const char *)g_ptr_array_index(
								  run->calendar_errors, 0));
			}
			calendar_decision_clear(&decision);
			ical_events_free(&instances);
			calendar_index_free(&empty);
		}
	}
	if (inv->start_at == 0 && imip->components->len > 0)
		inv->start_at = g_array_index(imip->components, imip_component, 0).start;
	inv->start = inv->start_at > 0 ? agent_local_time(run, inv->start_at) : g_strdup("");
	inv->facts.summary = inv->summary;
	inv->facts.start = inv->start;
	inv->facts.conflict = inv->conflict != NULL ? inv->conflict : "";
	return inv;
}

static agent_invitation *agent_invitation_get(agent_run *run, mime_message *mime)
{
	if (!run->invitation_read && mime != NULL) {
		run->invitation_read = TRUE;
		run->invitation = agent_invitation_read(run, mime);
	}
	return run->invitation;
}

const sieve_invitation *agent_rules_invitation(void *context)
{
	agent_run *run = context;
	agent_invitation *inv = agent_invitation_get(run, run->evaluating_mime);

	return inv != NULL ? &inv->facts : NULL;
}

static imip_partstat agent_partstat(const char *name)
{
	if (g_strcmp0(name, "DECLINED") == 0)
		return IMIP_PARTSTAT_DECLINED;
	if (g_strcmp0(name, "TENTATIVE") == 0)
		return IMIP_PARTSTAT_TENTATIVE;
	return IMIP_PARTSTAT_ACCEPTED;
}

/* The assistant's own address when they send as the executive through a
 * delegate login (smtp_user an address that is none of the executive's):
 * then the REPLY says so, SENT-BY on the ATTENDEE (RFC 5546 2.1.3, RFC
 * 5545 3.2.18) and a Sender field (RFC 5322 3.6.2). NULL otherwise. */
static const char *agent_schedule_sender(const agent_run *run)
{
	const char *user = run->account->smtp_user;
	g_autoptr(GPtrArray) own = NULL;

	if (user == NULL || strchr(user, '@') == NULL || strpbrk(user, " \t\r\n<>\"(),;:\\") != NULL)
		return NULL;
	own = agent_client_addresses(run);
	for (guint i = 0; i < own->len && g_ptr_array_index(own, i) != NULL; i++) {
		if (g_ascii_strcasecmp(g_ptr_array_index(own, i), user) == 0)
			return NULL;
	}
	return user;
}

/* The REPLY as mail: from the executive to the organizer, the text for
 * people and the text/calendar part with method=REPLY in a
 * multipart/alternative (RFC 6047 2.4, 3). */
static GBytes *agent_schedule_compose(agent_run *run, const agent_invitation *inv,
				      mime_message *mime, const sieve_action *action, gboolean whole,
				      char **message_id_r, char **error_r)
{
	const conf_client *client = run->account->client;
	g_autoptr(mime_compose) compose = mime_compose_new();
	g_autofree char *ics = NULL, *subject = NULL, *text = NULL;
	const char *at = strrchr(client->email, '@');
	const char *original = mime_message_get_message_id(mime);
	imip_reply_params params = {
		.attendee = inv->attendee,
		.partstat = agent_partstat(action->partstat),
		.comment = action->note,
		.dtstamp = clock_now_unix(),
		.sent_by = agent_schedule_sender(run),
	};
	/* whole: the series answered for every instance, even those in the
	 * way (vea schedule approve N --whole). */
	gboolean partial = !whole && inv->declined_ids != NULL &&
			   params.partstat != IMIP_PARTSTAT_DECLINED;
	static const char *const verbs[] = {
		[IMIP_PARTSTAT_ACCEPTED] = "Accepted", [IMIP_PARTSTAT_DECLINED] = "Declined",
		[IMIP_PARTSTAT_TENTATIVE] = "Tentative",
	};
	GBytes *bytes;

	if (partial) {
		params.declined_ids = (const int64_t *)(void *)inv->declined_ids->data;
		params.n_declined_ids = inv->declined_ids->len;
	}
	ics = imip_build_reply(inv->imip, &params, error_r);
	if (ics == NULL)
		return NULL;
	if (mime_compose_set_from(compose, client->name, client->email, error_r) < 0 ||
	    mime_compose_add_to(compose, inv->imip->organizer_name, inv->imip->organizer,
				error_r) < 0)
		return NULL;
	subject = g_strdup_printf("%s: %s", verbs[params.partstat], inv->summary);
	mime_compose_set_subject(compose, subject);
	/* One Message-ID for both versions of an answer: only one is sent. */
	if (*message_id_r == NULL)
		*message_id_r = mime_message_id_new(at != NULL ? at + 1 : NULL, "vea.schedule");
	if (mime_compose_set_message_id(compose, *message_id_r, error_r) < 0)
		return NULL;
	if (original != NULL && mime_message_id_is_valid(original) &&
	    mime_compose_set_in_reply_to(compose, original, error_r) < 0)
		return NULL;
	if (params.sent_by != NULL &&
	    mime_compose_set_sender(compose, NULL, params.sent_by, error_r) < 0)
		return NULL;
	mime_compose_set_auto_submitted(compose, "auto-replied");
	(void)mime_compose_set_header(compose, OUTGOING_MARK_HEADER, "schedule", NULL);
	/* Only the times of the instances declined, never why: the other
	 * meetings in the way are the executive's business. */
	text = g_strdup_printf("%s has %s: %s\n%s%s%s%s%s%s%s\n", client->name,
			       params.partstat == IMIP_PARTSTAT_ACCEPTED ? "accepted"
			       : params.partstat == IMIP_PARTSTAT_DECLINED ? "declined"
									   : "tentatively accepted",
			       inv->summary, inv->start, *inv->start != '\0' ? "\n" : "",
			       partial ? "\nExcept these dates, declined: " : "",
			       partial ? inv->declined_times : "", partial ? "\n" : "",
			       action->note != NULL ? "\n" : "", action->note != NULL ? action->note : "");
	mime_compose_set_text(compose, text);
	mime_compose_set_calendar(compose, ics, "REPLY");
	bytes = mime_compose_to_bytes(compose, error_r);
	return bytes;
}

/* Has the executive answered this invitation already, in their own
 * calendar client (or on their phone), so that the event in the primary
 * calendar carries their PARTSTAT at this SEQUENCE or later? vea would
 * otherwise send the organizer a second answer. 1 with *why_r (skip), 0
 * not answered, -1 when it cannot be told (*why_r: the answer waits). */
static int agent_answered_elsewhere(agent_run *run, const agent_invitation *inv, char **why_r)
{
	const conf_calendar *primary = calendar_find_primary(run->conf, run->account->client);
	g_autoptr(GPtrArray) own = NULL, objects = NULL;
	caldav_client *cal;
	char *error = NULL;
	int ret = 0;

	if (primary == NULL || primary->feed)
		return 0;
	cal = calendar_connect(primary, &error);
	if (cal == NULL || caldav_query_uid(cal, inv->imip->uid, &objects, &error) < 0) {
		*why_r = g_strdup_printf("could not check whether the executive answered it already: %s",
					 error);
		g_free(error);
		caldav_client_free(&cal);
		return -1;
	}
	caldav_client_free(&cal);
	own = agent_client_addresses(run);
	for (guint i = 0; i < objects->len && ret == 0; i++) {
		const caldav_object *o = g_ptr_array_index(objects, i);

		for (guint k = 0; k < own->len && g_ptr_array_index(own, k) != NULL && ret == 0; k++) {
			g_autofree char *partstat = NULL;
			int sequence = 0;

			if (imip_stored_answer(o->data, g_ptr_array_index(own, k), &sequence, &partstat) == 1 &&
			    partstat != NULL && strcmp(partstat, "NEEDS-ACTION") != 0 &&
			    strcmp(partstat, "DELEGATED") != 0 && sequence >= inv->imip->sequence) {
				*why_r = g_strdup_printf("already answered in calendar %s (%s at SEQUENCE %d)",
							 primary->id, partstat, sequence);
				ret = 1;
			}
		}
	}
	return ret;
}

static void agent_schedule_skip(plan_step *step, const char *reason)
{
	step->row.state = STORE_ACTION_SKIPPED;
	g_free(step->row.reason);
	step->row.reason = g_strdup(reason);
}

void agent_schedule_prepare(agent_run *run, plan_step *step, mime_message *mime)
{
	const sieve_action *action = step->source;
	const conf_client *client = run->account->client;
	agent_invitation *inv;
	store_schedule *d;
	sieve_schedule_mode mode;
	g_autofree char *message_id = NULL, *error = NULL, *why_waiting = NULL, *why_unsure = NULL;
	g_autoptr(GBytes) bytes = NULL;
	int64_t now = clock_now_unix();
	int last = -1;
	gboolean server;

	if (action == NULL || run->options->dry_run)
		return;
	if (client->email == NULL) {
		agent_schedule_skip(step, "the client has no email to answer invitations from");
		return;
	}
	inv = agent_invitation_get(run, mime);
	if (inv == NULL) {
		agent_schedule_skip(step, "the message carries no invitation (text/calendar)");
		return;
	}
	d = g_new0(store_schedule, 1);
	d->client = g_strdup(client->id);
	d->account = g_strdup(run->account->id);
	d->event_uid = g_strdup(inv->imip->uid);
	d->sequence = inv->imip->sequence;
	d->method = g_strdup(inv->method);
	d->organizer = g_strdup(inv->organizer);
	d->summary = g_strdup(inv->summary);
	d->start_at = inv->start_at;
	d->start_local = g_strdup(inv->start);
	d->partstat = g_strdup(action->partstat);
	d->verdict = g_strdup(inv->verdict_reason != NULL ? inv->verdict_reason
			      : calendar_verdict_name(inv->verdict));
	d->created_at = now;
	d->request = g_strdup(inv->imip->text);
	if (inv->declined_ids != NULL && agent_partstat(action->partstat) != IMIP_PARTSTAT_DECLINED)
		d->declined_instances = g_strdup(inv->declined_ids_text);
	if (inv->imip->method == IMIP_METHOD_CANCEL) {
		if (!inv->facts.trusted) {
			/* RFC 5546 3.2.5: only the organizer cancels. */
			g_autofree char *why = g_strdup_printf(
				"a cancellation not sent by the organizer (%s): ignored", inv->organizer);
			agent_schedule_skip(step, why);
			store_schedule_free(d);
			return;
		}
		d->state = STORE_SCHEDULE_CANCELLED;
		d->partstat = (g_free(d->partstat), g_strdup(""));
		d->result = g_strdup("cancelled by the organizer");
		step->schedule = d;
		step->row.state = STORE_ACTION_DONE;
		g_free(step->row.result);
		step->row.result = g_strdup("cancelled by the organizer; the earlier answer stands "
					    "until the assistant changes the calendar");
		return;
	}
	if (inv->imip->method != IMIP_METHOD_REQUEST) {
		g_autofree char *why = g_strdup_printf("an iTIP %s is not answered", inv->method);

		agent_schedule_skip(step, why);
		store_schedule_free(d);
		return;
	}
	if (inv->attendee == NULL) {
		agent_schedule_skip(step, "the executive is not among the invitation's attendees");
		store_schedule_free(d);
		return;
	}
	if (inv->verdict == CALENDAR_NOTHING) {
		agent_schedule_skip(step, "no instance of the event is still to come");
		store_schedule_free(d);
		return;
	}
	if (store_schedule_last_sequence(run->store, client->id, inv->imip->uid, &last, &error) < 0) {
		step->row.state = STORE_ACTION_FAILED;
		g_free(step->row.reason);
		step->row.reason = g_steal_pointer(&error);
		store_schedule_free(d);
		return;
	}
	if (last >= inv->imip->sequence) {
		g_autofree char *why = g_strdup_printf("already answered (SEQUENCE %d)", last);

		agent_schedule_skip(step, why);
		store_schedule_free(d);
		return;
	}
	switch (agent_answered_elsewhere(run, inv, &error)) {
	case 1:
		agent_schedule_skip(step, error);
		g_clear_pointer(&error, g_free);
		store_schedule_free(d);
		return;
	case -1:
		/* Not known: nothing is sent on the rules' word alone. */
		why_unsure = g_steal_pointer(&error);
		break;
	default:
		break;
	}
	server = agent_server_replies(run, calendar_find_primary(run->conf, client)) == 1;
	d->route = g_strdup(server ? "server" : "mail");
	mode = action->schedule_mode;
	if (server && mode == SIEVE_SCHEDULE_DRAFT) {
		/* A REPLY in Drafts would be a second answer once the server
		 * sends its own. */
		why_waiting = g_strdup("waiting for approval: the calendar server sends the answer "
				       "itself (RFC 6638), so there is no reply to leave in Drafts");
		mode = SIEVE_SCHEDULE_APPROVE;
	}
	if (mode != SIEVE_SCHEDULE_APPROVE && why_unsure != NULL) {
		why_waiting = g_strdup_printf("waiting for approval: %s", why_unsure);
		mode = SIEVE_SCHEDULE_APPROVE;
	}
	/* An invitation found late (a first sync of an old inbox, days
	 * down): the executive may have answered it by other means. */
	if (mode != SIEVE_SCHEDULE_APPROVE && run->conf->auto_mail_max_age > 0) {
		int64_t arrived = agent_message_arrival(mime);

		if (arrived == 0 || now - arrived > run->conf->auto_mail_max_age) {
			why_waiting = arrived == 0
				? g_strdup("waiting for approval: the invitation has no date to tell how old it is")
				: g_strdup_printf("waiting for approval: the invitation arrived %" G_GINT64_FORMAT
						  " hours ago, more than auto_mail_max_age (%" G_GINT64_FORMAT
						  " h) allows", (now - arrived) / 3600,
						  run->conf->auto_mail_max_age / 3600);
			mode = SIEVE_SCHEDULE_APPROVE;
		}
	}
	/* Never accept blind, never double-book on the rules' word alone. */
	if (mode != SIEVE_SCHEDULE_APPROVE && agent_partstat(action->partstat) != IMIP_PARTSTAT_DECLINED) {
		if (!inv->known || inv->verdict != CALENDAR_FREE) {
			g_free(why_waiting);
			why_waiting = g_strdup_printf("waiting for approval: %s", inv->verdict_reason);
		}
		if (why_waiting != NULL)
			mode = SIEVE_SCHEDULE_APPROVE;
	}
	bytes = agent_schedule_compose(run, inv, mime, action, FALSE, &message_id, &error);
	if (bytes != NULL && d->declined_instances != NULL) {
		g_autoptr(GBytes) whole = agent_schedule_compose(run, inv, mime, action, TRUE,
								 &message_id, &error);
		gsize size;
		const char *data = whole != NULL ? g_bytes_get_data(whole, &size) : NULL;

		if (whole == NULL)
			g_clear_pointer(&bytes, g_bytes_unref);
		else {
			d->reply_whole = g_strndup(data, size);
			d->reply_whole_size = size;
		}
	}
	if (bytes == NULL) {
		step->row.state = STORE_ACTION_FAILED;
		g_free(step->row.reason);
		step->row.reason = g_steal_pointer(&error);
		store_schedule_free(d);
		return;
	}
	{
		gsize size;
		const char *data = g_bytes_get_data(bytes, &size);

		d->reply = g_strndup(data, size);
		d->reply_size = size;
	}
	d->reply_message_id = g_strdup(message_id);
	d->mode = g_strdup(mode == SIEVE_SCHEDULE_SEND ? "send"
			   : mode == SIEVE_SCHEDULE_DRAFT ? "draft" : "approve");
	step->row.state = STORE_ACTION_DONE;
	g_free(step->row.result);
	switch (mode) {
	case SIEVE_SCHEDULE_SEND: {
		store_outbox_message *m;

		if (server) {
			/* Written to the primary calendar after the sync
			 * (agent_schedule_store_events); the server sends
			 * the REPLY, vea nothing. */
			d->state = STORE_SCHEDULE_SENT;
			d->decided_at = now;
			d->result = g_strdup(AGENT_VIA_SERVER);
			step->row.result = g_strdup_printf("%s, " AGENT_VIA_SERVER " to %s",
							   action->partstat, inv->imip->organizer);
			break;
		}
		m = g_new0(store_outbox_message, 1);

		m->client = g_strdup(client->id);
		m->account = g_strdup(run->account->id);
		m->kind = ACTION_SCHEDULE;
		m->message_id = g_strdup(message_id);
		m->mail_from = g_strdup(client->email);
		m->recipients = g_new0(char *, 2);
		m->recipients[0] = g_strdup(inv->imip->organizer);
		m->data = g_strndup(d->reply, d->reply_size);
		m->size = d->reply_size;
		m->next_attempt_at = now;
		m->expires_at = now + STORE_SCHEDULE_REPLY_LIFETIME;
		m->created_at = now;
		m->sent_copy = g_strdup("wanted");
		step->outgoing = m;
		d->state = STORE_SCHEDULE_SENT;
		d->decided_at = now;
		step->row.result = g_strdup_printf("%s, queued for %s", action->partstat,
						   inv->imip->organizer);
		break;
	}
	case SIEVE_SCHEDULE_DRAFT: {
		store_draft *draft = g_new0(store_draft, 1);

		draft->client = g_strdup(client->id);
		draft->account = g_strdup(run->account->id);
		draft->draft_id = g_strdup(message_id);
		draft->message_id = g_strdup(message_id);
		draft->in_reply_to = g_strdup(mime_message_get_message_id(mime) != NULL
					      ? mime_message_get_message_id(mime) : "");
		draft->subject = g_strdup_printf("%s: %s", action->partstat, inv->summary);
		draft->recipients = g_strdup(inv->imip->organizer);
		draft->mailbox = g_strdup(client->drafts != NULL ? client->drafts : "");
		draft->data = g_strndup(d->reply, d->reply_size);
		draft->size = d->reply_size;
		draft->created_at = now;
		step->draft = draft;
		d->state = STORE_SCHEDULE_DRAFTED;
		d->decided_at = now;
		step->row.result = g_strdup_printf("%s, left in Drafts", action->partstat);
		break;
	}
	default:
		d->state = STORE_SCHEDULE_WAITING;
		step->row.result = g_strdup_printf("%s proposed%s%s, %s", action->partstat,
						   d->declined_instances != NULL ? " for the series, declined on "
										 : "",
						   d->declined_instances != NULL ? inv->declined_times : "",
						   why_waiting != NULL ? why_waiting
						   : "waiting for approval (vea schedule list)");
		if (d->declined_instances != NULL)
			d->result = g_strdup_printf("for the series, DECLINED on %s; waiting for approval",
						    inv->declined_times);
		else
			d->result = g_strdup(why_waiting != NULL ? why_waiting : "");
		if (server) {
			char *more = g_strdup_printf("%s; once approved, " AGENT_VIA_SERVER,
						     step->row.result);
			g_free(step->row.result);
			step->row.result = more;
		}
		break;
	}
	step->schedule = d;
}

/* store_schedule.declined_instances back into RECURRENCE-IDs. */
static GArray *agent_parse_instances(const char *text)
{
	GArray *rids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	g_auto(GStrv) words = g_strsplit(text, " ", -1);

	for (char **w = words; *w != NULL; w++) {
		gint64 rid;

		if (**w != '\0' && g_ascii_string_to_signed(*w, 10, G_MININT64, G_MAXINT64, &rid, NULL))
			g_array_append_val(rids, rid);
	}
	return rids;
}

/* An answer routed to the calendar server that the server will not send:
 * it no longer does implicit scheduling (its DAV header changed, or
 * schedule_agent was set to client), or the PARTSTAT does not change
 * (agent_schedule_server_silent). vea mails the REPLY composed with the
 * decision instead (why: the decision's result). 0, or -1 with
 * *error_r. */
static int agent_schedule_reroute(agent_run *run, const store_schedule *d, const char *why,
				  char **error_r)
{
	char *recipients[2];
	store_outbox_message m;

	store_schedule_reply_message(d, run->account->client->email, clock_now_unix(), recipients, &m);
	if (d->reply == NULL || *d->organizer == '\0') {
		*error_r = g_strdup("no REPLY was composed with the decision");
		return -1;
	}
	return store_schedule_reroute_mail(run->store, d->id, &m, why, error_r);
}

/* What the calendar holds already for an event vea writes. */
typedef struct agent_existing {
	char *name, *body, *etag;
} agent_existing;

static void agent_existing_clear(agent_existing *e)
{
	g_free(e->name);
	g_free(e->body);
	g_free(e->etag);
	memset(e, 0, sizeof *e);
}

/* Create ics as name (If-None-Match): CALDAV_PUT_DONE. When the event is
 * there already (the same name: an update, or a write whose answer was
 * lost; or another name holding the same UID, RFC 4791 5.3.2.1
 * no-uid-conflict, as Cyrus may have filed the invitation itself, or
 * the executive's own client: the name the server gives, or the one a
 * UID query finds): CALDAV_PUT_PRECONDITION with *existing_r, to be updated at
 * its ETag (If-Match), so nobody's change is overwritten blind. */
static caldav_put_result agent_schedule_create(caldav_client *cal, const char *name, const char *uid,
					       const char *ics, agent_existing *existing_r,
					       char **error_r)
{
	char *other = NULL;
	caldav_put_result put = caldav_put(cal, name, ics, NULL, NULL, &other, error_r);

	memset(existing_r, 0, sizeof *existing_r);
	if (put != CALDAV_PUT_ELSEWHERE && put != CALDAV_PUT_PRECONDITION)
		return put;
	if (put == CALDAV_PUT_ELSEWHERE && other == NULL) {
		/* The server did not say where (Radicale): look it up. */
		char *error = NULL;

		if (caldav_find_uid(cal, uid, &other, &error) <= 0) {
			g_free(error);
			return CALDAV_PUT_ERROR; /* *error_r: the PUT's */
		}
	}
	g_clear_pointer(error_r, g_free);
	existing_r->name = other != NULL ? other : g_strdup(name);
	if (caldav_get(cal, existing_r->name, &existing_r->body, &existing_r->etag, error_r) < 0)
		return CALDAV_PUT_ERROR;
	if (existing_r->etag == NULL) {
		*error_r = g_strdup_printf("%s: the server gave no ETag to update it at",
					   existing_r->name);
		return CALDAV_PUT_ERROR;
	}
	return CALDAV_PUT_PRECONDITION;
}

/* An update of an event the calendar holds with the executive's answer
 * already (a higher SEQUENCE, the same PARTSTAT): a server doing
 * implicit scheduling sends no REPLY for an unchanged PARTSTAT (Cyrus
 * does not), yet the organizer asked again (RFC 5546 2.1.4). The same
 * SEQUENCE is the write repeated after a crash: its REPLY went already. */
static gboolean agent_schedule_server_silent(const agent_existing *e, const store_schedule *d,
					     const imip_attendee *attendee)
{
	g_autofree char *partstat = NULL;
	int sequence = 0;

	if (imip_stored_answer(e->body, attendee->address, &sequence, &partstat) <= 0)
		return FALSE;
	return sequence < d->sequence && g_strcmp0(partstat, d->partstat) == 0;
}

/* The event as it goes into the primary calendar: the request with the
 * executive's answer (imip_build_stored), and the instances declined one
 * by one when the series was answered but for them. */
static char *agent_schedule_stored_text(const imip_message *imip, const imip_attendee *attendee,
					const store_schedule *d, gboolean server, char **error_r)
{
	char *ics = imip_build_stored(imip, attendee, agent_partstat(d->partstat), server, error_r);
	char *with;
	g_autoptr(GArray) rids = NULL;

	if (ics == NULL || d->declined_instances == NULL || *d->declined_instances == '\0')
		return ics;
	rids = agent_parse_instances(d->declined_instances);
	with = imip_stored_decline_instances(ics, attendee, (const int64_t *)(void *)rids->data, rids->len,
					     error_r);
	g_free(ics);
	return with;
}

int agent_schedule_store_events(agent_run *run)
{
	g_autoptr(GPtrArray) todo = NULL, own = NULL;
	const conf_calendar *primary;
	caldav_client *cal = NULL;
	char *error = NULL;

	if (run->options->dry_run)
		return 0;
	if (store_schedule_to_store(run->store, run->account->id, &todo, &error) < 0) {
		agent_fail(run, "invitations: %s", error);
		g_free(error);
		return -1;
	}
	if (todo->len == 0)
		return 0;
	primary = calendar_find_primary(run->conf, run->account->client);
	own = agent_client_addresses(run);
	for (guint i = 0; i < todo->len; i++) {
		store_schedule *d = g_ptr_array_index(todo, i);
		g_autofree char *ics = NULL, *name = NULL, *stored = NULL;
		imip_message *imip = NULL;
		const imip_attendee *attendee;
		caldav_put_result put;
		agent_existing existing = { 0 };
		gboolean server = g_strcmp0(d->route, "server") == 0;

		if (server && d->state != STORE_SCHEDULE_CANCELLED) {
			int replies = agent_server_replies(run, primary);

			if (replies < 0) {
				/* Asked again at the next sync. */
				log_warning("account %s: the answer to %s waits: the calendar server "
					    "could not be asked whether it sends it", run->account->id,
					    d->summary);
				continue;
			}
			if (replies == 0) {
				if (agent_schedule_reroute(run, d, "the calendar server no longer "
							   "sends answers itself: mailed by vea",
							   &error) < 0) {
					g_autofree char *why = g_strdup_printf("not written: %s", error);
					int saved;

					g_clear_pointer(&error, g_free);
					saved = store_schedule_set_stored(run->store, d->id, why, &error);
					if (saved < 0)
						break;
					continue;
				}
				log_warning("account %s: calendar %s no longer sends answers itself (no "
					    "calendar-auto-schedule): the answer to %s is mailed by vea",
					    run->account->id, primary != NULL ? primary->id : "(none)",
					    d->summary);
				server = FALSE;
			}
		}
		/* A decline vea mails is not written: there is nothing to
		 * keep. One the server sends is written, DECLINED, so that
		 * it does (RFC 6638 3.2.2.3). */
		if (primary == NULL || (d->state != STORE_SCHEDULE_CANCELLED && !server &&
					strcmp(d->partstat, "DECLINED") == 0)) {
			if (store_schedule_set_stored(run->store, d->id, "none", &error) < 0)
				break;
			continue;
		}
		if (cal == NULL && (cal = calendar_connect(primary, &error)) == NULL)
			break;
		if (d->state == STORE_SCHEDULE_CANCELLED) {
			/* The organizer cancelled: the event vea wrote (if any)
			 * is marked cancelled where it is, at the ETag the
			 * server has. */
			g_autofree char *body = NULL, *etag = NULL, *cancelled = NULL;
			g_autofree char *uid_name = imip_resource_name(d->event_uid);
			const char *outcome = "none";

			if (caldav_get(cal, uid_name, &body, &etag, &error) == 0) {
				cancelled = imip_build_cancelled(body, &error);
				if (cancelled != NULL &&
				    caldav_put(cal, uid_name, cancelled, etag, NULL, NULL, &error) ==
					    CALDAV_PUT_DONE)
					outcome = "done";
				else
					outcome = NULL;
			} else if (caldav_last_status(cal) != 404) {
				outcome = NULL;
			}
			if (outcome == NULL) {
				log_warning("account %s: calendar %s: the cancellation of %s was not "
					    "written: %s", run->account->id, primary->id, d->summary,
					    error != NULL ? error : "refused");
				g_clear_pointer(&error, g_free);
				continue;
			}
			g_clear_pointer(&error, g_free);
			if (strcmp(outcome, "done") == 0)
				log_info("account %s: calendar %s: %s marked cancelled", run->account->id,
					 primary->id, d->summary);
			if (store_schedule_set_stored(run->store, d->id, outcome, &error) < 0)
				break;
			continue;
		}
		if (imip_parse(d->request, NULL, &imip, &error) < 0 ||
		    (attendee = imip_find_attendee(imip, (const char *const *)own->pdata)) == NULL ||
		    (ics = agent_schedule_stored_text(imip, attendee, d, server, &error)) == NULL) {
			stored = g_strdup_printf("not written: %s",
						 error != NULL ? error : "the executive is not an attendee");
			imip_message_free(&imip);
			g_clear_pointer(&error, g_free);
			if (store_schedule_set_stored(run->store, d->id, stored, &error) < 0)
				break;
			continue;
		}
		name = imip_resource_name(imip->uid);
		/* A kill -9 after this PUT and before the row says "done"
		 * makes the next sync PUT the same text again (If-Match):
		 * the PARTSTAT is unchanged, so a scheduling server sends no
		 * second REPLY (RFC 6638 3.2.2.3). */
		put = agent_schedule_create(cal, name, imip->uid, ics, &existing, &error);
		if (put == CALDAV_PUT_PRECONDITION && server &&
		    agent_schedule_server_silent(&existing, d, attendee)) {
			/* vea mails this answer, and the copy keeps the
			 * server silent (SCHEDULE-AGENT=CLIENT). */
			g_clear_pointer(&ics, g_free);
			if (agent_schedule_reroute(run, d, "an update the calendar already had "
						   "this answer for (the server would not send "
						   "it): mailed by vea", &error) < 0 ||
			    (ics = agent_schedule_stored_text(imip, attendee, d, FALSE, &error)) == NULL) {
				log_warning("account %s: calendar %s: %s was not written: %s",
					    run->account->id, primary->id, d->summary, error);
				g_clear_pointer(&error, g_free);
				imip_message_free(&imip);
				agent_existing_clear(&existing);
				continue;
			}
			log_info("account %s: calendar %s: %s already says %s: the calendar server "
				 "would not answer the update, vea mails the REPLY", run->account->id,
				 primary->id, d->summary, d->partstat);
			server = FALSE;
		}
		imip_message_free(&imip);
		if (put == CALDAV_PUT_PRECONDITION)
			put = caldav_put(cal, existing.name, ics, existing.etag, NULL, NULL, &error);
		agent_existing_clear(&existing);
		if (put != CALDAV_PUT_DONE) {
			/* Tried again at the next sync; triage goes on. */
			log_warning("account %s: calendar %s: %s was not written: %s", run->account->id,
				    primary->id, d->summary, error != NULL ? error : "refused");
			g_clear_pointer(&error, g_free);
			continue;
		}
		if (server) {
			g_autofree char *result = g_strdup_printf("%s in calendar %s; " AGENT_VIA_SERVER
								  " to %s", d->partstat, primary->id,
								  d->organizer);

			log_info("account %s: calendar %s: %s written (%s); the calendar server sends "
				 "the answer to %s (RFC 6638)", run->account->id, primary->id,
				 d->summary, d->partstat, d->organizer);
			if (store_schedule_set_stored(run->store, d->id, "done", &error) < 0)
				break;
			if (d->action_id > 0 &&
			    store_action_set_done(run->store, d->action_id, result, &error) < 0)
				break;
			continue;
		}
		log_info("account %s: calendar %s: %s written (%s)", run->account->id, primary->id,
			 d->summary, d->partstat);
		if (store_schedule_set_stored(run->store, d->id, "done", &error) < 0)
			break;
	}
	caldav_client_free(&cal);
	if (error != NULL) {
		log_warning("account %s: invitations: %s", run->account->id, error);
		g_free(error);
	}
	return 0;
}
