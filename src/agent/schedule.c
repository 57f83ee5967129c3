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
 * counts only from the organizer; an event already over is not answered. */

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
/* How long a REPLY may wait in the outbox. */
#define AGENT_SCHEDULE_EXPIRES (24 * 3600)

struct agent_invitation {
	imip_message *imip;
	const imip_attendee *attendee;
	sieve_invitation facts;
	char *summary, *start, *conflict, *method, *organizer;
	int64_t start_at;
	calendar_verdict verdict;
	char *verdict_reason;   /* calendar_decide's words, or why it is not known */
	gboolean known;         /* availability was computed from every calendar */
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

/* The REPLY as mail: from the executive to the organizer, the text for
 * people and the text/calendar part with method=REPLY in a
 * multipart/alternative (RFC 6047 2.4, 3). */
static GBytes *agent_schedule_compose(agent_run *run, const agent_invitation *inv,
				      mime_message *mime, const sieve_action *action,
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
	};
	static const char *const verbs[] = {
		[IMIP_PARTSTAT_ACCEPTED] = "Accepted", [IMIP_PARTSTAT_DECLINED] = "Declined",
		[IMIP_PARTSTAT_TENTATIVE] = "Tentative",
	};
	GBytes *bytes;

	ics = imip_build_reply(inv->imip, &params, error_r);
	if (ics == NULL)
		return NULL;
	if (mime_compose_set_from(compose, client->name, client->email, error_r) < 0 ||
	    mime_compose_add_to(compose, inv->imip->organizer_name, inv->imip->organizer,
				error_r) < 0)
		return NULL;
	subject = g_strdup_printf("%s: %s", verbs[params.partstat], inv->summary);
	mime_compose_set_subject(compose, subject);
	*message_id_r = mime_message_id_new(at != NULL ? at + 1 : NULL, "vea.schedule");
	if (mime_compose_set_message_id(compose, *message_id_r, error_r) < 0)
		return NULL;
	if (original != NULL && mime_message_id_is_valid(original) &&
	    mime_compose_set_in_reply_to(compose, original, error_r) < 0)
		return NULL;
	mime_compose_set_auto_submitted(compose, "auto-replied");
	(void)mime_compose_set_header(compose, OUTGOING_MARK_HEADER, "schedule", NULL);
	text = g_strdup_printf("%s has %s: %s\n%s%s%s%s\n", client->name,
			       params.partstat == IMIP_PARTSTAT_ACCEPTED ? "accepted"
			       : params.partstat == IMIP_PARTSTAT_DECLINED ? "declined"
									   : "tentatively accepted",
			       inv->summary, inv->start, *inv->start != '\0' ? "\n" : "",
			       action->note != NULL ? "\n" : "", action->note != NULL ? action->note : "");
	mime_compose_set_text(compose, text);
	mime_compose_set_calendar(compose, ics, "REPLY");
	bytes = mime_compose_to_bytes(compose, error_r);
	return bytes;
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
	g_autofree char *message_id = NULL, *error = NULL, *why_waiting = NULL;
	g_autoptr(GBytes) bytes = NULL;
	int64_t now = clock_now_unix();
	int last = -1;

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
	mode = action->schedule_mode;
	/* Never accept blind, never double-book on the rules' word alone. */
	if (mode != SIEVE_SCHEDULE_APPROVE && agent_partstat(action->partstat) != IMIP_PARTSTAT_DECLINED) {
		if (!inv->known)
			why_waiting = g_strdup_printf("waiting for approval: %s", inv->verdict_reason);
		else if (inv->verdict != CALENDAR_FREE)
			why_waiting = g_strdup_printf("waiting for approval: %s", inv->verdict_reason);
		if (why_waiting != NULL)
			mode = SIEVE_SCHEDULE_APPROVE;
	}
	bytes = agent_schedule_compose(run, inv, mime, action, &message_id, &error);
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
		store_outbox_message *m = g_new0(store_outbox_message, 1);

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
		m->expires_at = now + AGENT_SCHEDULE_EXPIRES;
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
		step->row.result = g_strdup_printf("%s proposed, %s", action->partstat,
						   why_waiting != NULL ? why_waiting
						   : "waiting for approval (vea schedule list)");
		d->result = g_strdup(why_waiting != NULL ? why_waiting : "");
		break;
	}
	step->schedule = d;
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

		if (primary == NULL || (d->state != STORE_SCHEDULE_CANCELLED &&
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
				    caldav_put(cal, uid_name, cancelled, etag, NULL, &error) == CALDAV_PUT_DONE)
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
		    (ics = imip_build_stored(imip, attendee, agent_partstat(d->partstat),
					     &error)) == NULL) {
			stored = g_strdup_printf("not written: %s",
						 error != NULL ? error : "the executive is not an attendee");
			imip_message_free(&imip);
			g_clear_pointer(&error, g_free);
			if (store_schedule_set_stored(run->store, d->id, stored, &error) < 0)
				break;
			continue;
		}
		name = imip_resource_name(imip->uid);
		imip_message_free(&imip);
		/* Create it once (If-None-Match); an event already there (an
		 * update, or a write whose answer was lost) is replaced at the
		 * ETag the server has (If-Match). */
		put = caldav_put(cal, name, ics, NULL, NULL, &error);
		if (put == CALDAV_PUT_PRECONDITION) {
			g_autofree char *body = NULL, *etag = NULL;

			g_clear_pointer(&error, g_free);
			if (caldav_get(cal, name, &body, &etag, &error) == 0)
				put = caldav_put(cal, name, ics, etag, NULL, &error);
			else
				put = CALDAV_PUT_ERROR;
		}
		if (put != CALDAV_PUT_DONE) {
			/* Tried again at the next sync; triage goes on. */
			log_warning("account %s: calendar %s: %s was not written: %s", run->account->id,
				    primary->id, d->summary, error != NULL ? error : "refused");
			g_clear_pointer(&error, g_free);
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
