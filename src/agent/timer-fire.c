/* Firing the timers that are due (timers.h): claim with a lease, act on
 * the server (idempotently), then journal, bill, notify and mark fired in
 * one transaction. */

#include "agent/agent-private.h"
#include "agent/timers.h"
#include "account/connect.h"
#include "mime/compose.h"
#include "outbox/thread.h"
#include "outgoing/outgoing.h"
#include "util/clock.h"
#include "util/log.h"

#include <string.h>

/* A notification that waits longer than this in the outbox is dropped:
 * the digest still lists the follow-up. */
#define TIMER_NOTIFY_EXPIRES 86400

typedef enum {
	FIRE_DONE,     /* fired: journal, bill, notify */
	FIRE_ANSWERED, /* a reminder whose thread has its reply */
	FIRE_GONE,     /* nothing to bring back: cancelled, with the reason */
	FIRE_WAIT,     /* not now (a lost connection): the lease runs out, then again */
} fire_outcome;

/* One account's timers being fired. */
typedef struct timer_firing {
	const conf *config;
	store *st;
	int64_t now;
	agent_timer_round *round;
	agent_options options;
	agent_report *report;
	agent_run run; /* the session and the server's names, as the agent has them */
	gboolean connected;
	char *sent;    /* the executive's sent mail: the client's sent, \Sent, "Sent" */
	GHashTable *sessions; /* the caller's kept sessions, or NULL */
	/* What the firing found, for the journal row. */
	char *mailbox;       /* where the message is now */
	uint32_t uidvalidity, uid;
	char *result;        /* done: what was done; else why not */
} timer_firing;

static char *timer_lateness_text(int64_t seconds)
{
	int64_t d = seconds / 86400, h = seconds % 86400 / 3600, m = seconds % 3600 / 60;

	if (d > 0)
		return g_strdup_printf("%" G_GINT64_FORMAT "d %" G_GINT64_FORMAT "h %" G_GINT64_FORMAT "m",
				       d, h, m);
	if (h > 0)
		return g_strdup_printf("%" G_GINT64_FORMAT "h %" G_GINT64_FORMAT "m", h, m);
	if (m > 0)
		return g_strdup_printf("%" G_GINT64_FORMAT "m", m);
	return g_strdup_printf("%" G_GINT64_FORMAT "s", seconds);
}

static gboolean timer_mailbox_equal(const char *a, const char *b)
{
	if (g_ascii_strcasecmp(a, "INBOX") == 0 && g_ascii_strcasecmp(b, "INBOX") == 0)
		return TRUE;
	return strcmp(a, b) == 0;
}

static int timer_connect(timer_firing *f, char **error_r)
{
	if (f->connected)
		return 0;
	if (f->sessions != NULL &&
	    g_hash_table_steal_extended(f->sessions, f->run.account->id, NULL,
					(gpointer *)&f->run.imap) &&
	    !imap_session_usable(f->run.imap))
		imap_session_free(&f->run.imap);
	if (f->run.imap == NULL && account_connect(f->run.account, &f->run.imap, error_r) < 0)
		return -1;
	f->run.delimiter = imap_session_get_delimiter(f->run.imap);
	f->run.prefix = imap_session_get_prefix(f->run.imap);
	f->connected = TRUE;
	if (f->sent == NULL) {
		const char *configured = f->run.account->client->sent;
		char *error = NULL;

		/* RFC 6154: the mailbox the server marks \Sent. */
		if (configured == NULL &&
		    imap_session_find_special_use(f->run.imap, "\\Sent", &f->sent, &error) < 0)
			g_clear_pointer(&error, g_free);
		if (f->sent == NULL)
			f->sent = g_strdup(configured != NULL ? configured : "Sent");
	}
	return 0;
}

/* A refusal (the mailbox does not exist) is an answer; a lost connection
 * is not: -1, to wait. */
static int timer_lost(timer_firing *f, char **error)
{
	if (imap_session_usable(f->run.imap)) {
		g_clear_pointer(error, g_free);
		return 0;
	}
	return -1;
}

/* Select mailbox (as the rules name it). 1 selected, 0 it does not
 * exist or cannot be selected, -1 lost. */
static int timer_select(timer_firing *f, const char *mailbox, imap_mailbox_status *status_r,
			char **error_r)
{
	g_autofree char *server = agent_server_name(&f->run, mailbox, error_r);

	if (server == NULL)
		return 0;
	if (imap_session_select(f->run.imap, server, status_r, error_r) < 0)
		return timer_lost(f, error_r);
	return 1;
}

/* The UID of the message with message_id in mailbox: 1 and *uid_r, 0
 * none there, -1 lost. Selects mailbox. */
static int timer_find(timer_firing *f, const char *mailbox, const char *message_id,
		      uint32_t *uidvalidity_r, uint32_t *uid_r, char **error_r)
{
	g_autoptr(GArray) uids = NULL;
	imap_mailbox_status status;
	int ret = timer_select(f, mailbox, &status, error_r);

	if (ret <= 0)
		return ret;
	if (imap_session_search_message_id(f->run.imap, message_id, &uids, error_r) < 0)
		return timer_lost(f, error_r);
	if (uids->len == 0)
		return 0;
	*uidvalidity_r = status.uidvalidity;
	*uid_r = g_array_index(uids, uint32_t, uids->len - 1);
	return 1;
}

typedef struct timer_reply_scan {
	const char *tracked_from;
	gboolean answered_flag; /* the original's \Answered (the original's fetch) */
	guint replies;          /* replies from someone else, not automatic */
} timer_reply_scan;

static int timer_scan_flags(const imap_fetched *fetched, void *context, char **error_r)
{
	timer_reply_scan *scan = context;

	(void)error_r;
	for (char **flag = fetched->flags; flag != NULL && *flag != NULL; flag++) {
		if (g_ascii_strcasecmp(*flag, "\\Answered") == 0)
			scan->answered_flag = TRUE;
	}
	return 0;
}

static int timer_scan_reply(const imap_fetched *fetched, void *context, char **error_r)
{
	timer_reply_scan *scan = context;
	mime_message *mime = mime_message_parse(fetched->data, fetched->len, NULL);
	const GPtrArray *from;
	const char *const *auto_submitted;
	gboolean counts = TRUE;

	(void)error_r;
	if (mime == NULL)
		return 0;
	from = mime_message_get_addresses(mime, "from");
	auto_submitted = mime_message_get_header_values(mime, "auto-submitted");
	if (auto_submitted != NULL && auto_submitted[0] != NULL) {
		g_autofree char *v = g_strstrip(g_strdup(auto_submitted[0]));

		counts = *v == '\0' || g_ascii_strcasecmp(v, "no") == 0;
	}
	if (counts && scan->tracked_from != NULL && from != NULL && from->len > 0 &&
	    g_ascii_strcasecmp(((const mime_address *)g_ptr_array_index(from, 0))->addr,
			       scan->tracked_from) == 0)
		counts = FALSE;
	scan->replies += counts;
	mime_message_free(&mime);
	return 0;
}

/* Replies in mailbox to message_id from anyone but tracked_from: 1 some,
 * 0 none, -1 lost. */
static int timer_replies_in(timer_firing *f, const char *mailbox, const char *message_id,
			    const char *tracked_from, char **error_r)
{
	g_autoptr(GArray) uids = NULL;
	timer_reply_scan scan = { tracked_from, FALSE, 0 };
	imap_mailbox_status status;
	int ret = timer_select(f, mailbox, &status, error_r);

	if (ret <= 0)
		return ret;
	if (imap_session_search_replies(f->run.imap, message_id, &uids, error_r) < 0)
		return timer_lost(f, error_r);
	if (uids->len == 0)
		return 0;
	if (imap_session_fetch_uids(f->run.imap, uids, TRUE, timer_scan_reply, &scan, error_r) < 0)
		return timer_lost(f, error_r);
	return scan.replies > 0;
}

/* Where the timer's message is now, as the journal knows: the timer's
 * mailbox, or for a reminder the destination of the message's last move. */
static char *timer_current_mailbox(timer_firing *f, const store_timer *t,
				   const store_action *row)
{
	g_autoptr(GPtrArray) history = NULL;
	char *error = NULL;

	if (row == NULL || t->kind != ACTION_REMIND)
		return g_strdup(t->mailbox);
	if (store_message_history(f->st, row, &history, &error) < 0) {
		log_warning("account %s: timer #%" G_GINT64_FORMAT ": %s", t->account, t->id, error);
		g_free(error);
		return g_strdup(t->mailbox);
	}
	return g_strdup(store_message_current_mailbox(history, row));
}

static fire_outcome timer_fire_remind(timer_firing *f, const store_timer *t,
				      const store_action *row, char **error_r)
{
	g_autofree char *unanswered = agent_timer_option(t, "if_unanswered");
	g_autofree char *flag = agent_timer_option(t, "flag");
	g_autofree char *from = agent_timer_option(t, "from");
	g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func(g_free);
	gboolean in_sent;
	int found, ret;

	f->mailbox = timer_current_mailbox(f, t, row);
	in_sent = timer_mailbox_equal(f->mailbox, f->sent);
	found = timer_find(f, f->mailbox, t->message_id, &f->uidvalidity, &f->uid, error_r);
	if (found < 0)
		return FIRE_WAIT;
	if (found > 0)
		g_array_append_val(uids, f->uid);
	if (unanswered != NULL) {
		/* SCHEDULING.md 5.2: the original's \Answered, then replies
		 * in INBOX and Sent, searched on the server. */
		if (found > 0 && !in_sent) {
			timer_reply_scan scan = { NULL, FALSE, 0 };

			if (imap_session_fetch_uids(f->run.imap, uids, TRUE, timer_scan_flags, &scan,
						    error_r) < 0 &&
			    timer_lost(f, error_r) < 0)
				return FIRE_WAIT;
			if (scan.answered_flag) {
				f->result = g_strdup("answered: the message is marked \\Answered");
				return FIRE_ANSWERED;
			}
		}
		for (int i = 0; i < 2; i++) {
			const char *mailbox = i == 0 ? "INBOX" : f->sent;

			ret = timer_replies_in(f, mailbox, t->message_id, from, error_r);
			if (ret < 0)
				return FIRE_WAIT;
			if (ret > 0) {
				f->result = g_strdup_printf("answered: a reply is in %s", mailbox);
				return FIRE_ANSWERED;
			}
		}
	}
	if (found == 0) {
		g_ptr_array_add(done, g_strdup_printf("the message is no longer in %s", f->mailbox));
	} else {
		/* Flags are idempotent; so is the move, redone from where the
		 * message is found. */
		if (timer_select(f, f->mailbox, &(imap_mailbox_status){ 0 }, error_r) <= 0)
			return FIRE_WAIT;
		if (flag != NULL) {
			static const char *const flagged[] = { "\\Flagged", NULL };

			if (imap_session_add_flags(f->run.imap, uids, flagged, error_r) < 0 &&
			    timer_lost(f, error_r) < 0)
				return FIRE_WAIT;
			g_ptr_array_add(done, g_strdup("flagged"));
		}
		if (!in_sent) {
			static const char *const seen[] = { "\\Seen", NULL };

			if (imap_session_remove_flags(f->run.imap, uids, seen, error_r) < 0 &&
			    timer_lost(f, error_r) < 0)
				return FIRE_WAIT;
			g_ptr_array_add(done, g_strdup("marked unread"));
		}
		if (!in_sent && !timer_mailbox_equal(f->mailbox, "INBOX")) {
			g_autofree char *inbox = agent_server_name(&f->run, "INBOX", error_r);

			if (inbox == NULL ||
			    (imap_session_move(f->run.imap, uids, inbox, error_r) < 0 &&
			     timer_lost(f, error_r) < 0))
				return FIRE_WAIT;
			g_ptr_array_add(done, g_strdup_printf("brought back to INBOX from %s", f->mailbox));
			g_free(f->mailbox);
			f->mailbox = g_strdup("INBOX");
			if (timer_find(f, "INBOX", t->message_id, &f->uidvalidity, &f->uid, error_r) < 0)
				return FIRE_WAIT;
		}
	}
	g_ptr_array_add(done, NULL);
	f->result = g_strjoinv(", ", (char **)done->pdata);
	return FIRE_DONE;
}

static fire_outcome timer_fire_snooze(timer_firing *f, const store_timer *t,
				      const store_action *row, char **error_r)
{
	g_autofree char *wake = agent_timer_option(t, "wake_mailbox");
	g_autofree char *add = agent_timer_option(t, "addflags");
	g_autofree char *remove = agent_timer_option(t, "removeflags");
	g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	g_auto(GStrv) add_flags = NULL, remove_flags = NULL;
	uint32_t uidvalidity = 0, uid = 0;
	GPtrArray *unset;
	int found;

	if (row != NULL && row->state == STORE_ACTION_PLANNED)
		return FIRE_WAIT; /* not in Snoozed yet: the agent moves it first */
	if (row != NULL && row->state == STORE_ACTION_FAILED) {
		f->result = g_strdup_printf("the message never went to %s: %s", t->mailbox,
					    row->reason != NULL ? row->reason : "failed");
		return FIRE_GONE;
	}
	if (wake == NULL)
		wake = g_strdup("INBOX");
	found = timer_find(f, t->mailbox, t->message_id, &uidvalidity, &uid, error_r);
	if (found < 0)
		return FIRE_WAIT;
	if (found > 0) {
		g_autofree char *server = agent_prepare_destination(&f->run, wake, TRUE, error_r);

		if (server == NULL && timer_lost(f, error_r) < 0)
			return FIRE_WAIT;
		if (server == NULL) {
			/* The draft: INBOX when the mailbox is gone. */
			g_free(wake);
			wake = g_strdup("INBOX");
			server = agent_server_name(&f->run, wake, error_r);
			if (server == NULL)
				return FIRE_WAIT;
		}
		g_array_append_val(uids, uid);
		if (imap_session_move(f->run.imap, uids, server, error_r) < 0) {
			if (timer_lost(f, error_r) < 0)
				return FIRE_WAIT;
			f->result = g_strdup_printf("could not move it back to %s", wake);
			return FIRE_WAIT;
		}
	}
	/* Found in the wake mailbox: moved now, or by a firer that died
	 * before it could record it. */
	g_array_set_size(uids, 0);
	found = timer_find(f, wake, t->message_id, &f->uidvalidity, &f->uid, error_r);
	if (found < 0)
		return FIRE_WAIT;
	if (found == 0) {
		/* SCHEDULING.md 5.3: the user wins. */
		f->result = g_strdup_printf("the message is no longer in %s: someone moved it", t->mailbox);
		return FIRE_GONE;
	}
	g_array_append_val(uids, f->uid);
	f->mailbox = g_strdup(wake);
	add_flags = add != NULL ? g_strsplit(add, " ", -1) : NULL;
	remove_flags = remove != NULL ? g_strsplit(remove, " ", -1) : NULL;
	unset = g_ptr_array_new();
	g_ptr_array_add(unset, (gpointer) "\\Seen");
	for (char **fl = remove_flags; fl != NULL && *fl != NULL; fl++)
		g_ptr_array_add(unset, *fl);
	g_ptr_array_add(unset, NULL);
	if (imap_session_remove_flags(f->run.imap, uids, (const char *const *)unset->pdata,
				      error_r) < 0 &&
	    timer_lost(f, error_r) < 0) {
		g_ptr_array_free(unset, TRUE);
		return FIRE_WAIT;
	}
	g_ptr_array_free(unset, TRUE);
	if (add_flags != NULL &&
	    imap_session_add_flags(f->run.imap, uids, (const char *const *)add_flags, error_r) < 0 &&
	    timer_lost(f, error_r) < 0)
		return FIRE_WAIT;
	f->result = g_strdup_printf("back in %s, unread%s%s%s%s", wake, add != NULL ? ", +" : "",
				    add != NULL ? add : "", remove != NULL ? ", -" : "",
				    remove != NULL ? remove : "");
	return FIRE_DONE;
}

/* The "from" of [smtp]: "Name <addr>" or "addr"; NULL when unset. */
static char *timer_smtp_from(const conf *config, char **name_r)
{
	const char *from = config->smtp.from, *lt, *gt;

	*name_r = NULL;
	if (from == NULL)
		return NULL;
	lt = strchr(from, '<');
	gt = lt != NULL ? strchr(lt, '>') : NULL;
	if (lt == NULL || gt == NULL)
		return g_strstrip(g_strdup(from));
	*name_r = g_strstrip(g_strndup(from, (gsize)(lt - from)));
	return g_strndup(lt + 1, (gsize)(gt - lt - 1));
}

/* The notification of a reminder that fell due, to the assistant or the
 * executive (:to). What the reader needs to find the message, never its
 * text. NULL with *why_r when there is nobody to send it to, or no way. */
static store_outbox_message *timer_notification(timer_firing *f, const store_timer *t,
						const store_action *row, const char *late,
						char **why_r)
{
	const conf *config = f->config;
	const conf_client *client = f->run.account->client;
	g_autofree char *to_whom = agent_timer_option(t, "to");
	g_autofree char *note = agent_timer_option(t, "note");
	g_autofree char *unanswered = agent_timer_option(t, "if_unanswered");
	g_autofree char *from_name = NULL, *from_addr = timer_smtp_from(config, &from_name);
	g_autofree char *subject = NULL, *body = NULL, *message_id = NULL, *error = NULL;
	g_autoptr(mime_compose) compose = NULL;
	g_autoptr(GBytes) bytes = NULL;
	const char *to = g_strcmp0(to_whom, "executive") == 0 ? client->email : config->assistant.email;
	const char *const references[] = { t->message_id, NULL };
	store_outbox_message *m;
	gsize size = 0;
	const char *data;

	if (config->smtp.url == NULL || from_addr == NULL) {
		*why_r = g_strdup("no notification: [smtp] is not set (the digest lists it)");
		return NULL;
	}
	if (to == NULL) {
		*why_r = g_strdup_printf("no notification: the %s has no email address",
					 g_strcmp0(to_whom, "executive") == 0 ? "executive" : "assistant");
		return NULL;
	}
	compose = mime_compose_new();
	subject = g_strdup_printf("%s: %s", unanswered != NULL ? "No reply yet" : "Reminder",
				  t->subject != NULL && *t->subject != '\0' ? t->subject
									   : "(no subject)");
	body = g_strdup_printf("%s%sA follow-up for %s fell due%s%s.\n\nFrom: %s\nSubject: %s\n"
			       "In: %s/%s\nDue: %s\n%s",
			       note != NULL ? note : "", note != NULL ? "\n\n" : "", client->name,
			       late != NULL ? ", late by " : "", late != NULL ? late : "",
			       row != NULL && row->from != NULL ? row->from : "",
			       t->subject != NULL ? t->subject : "", t->account,
			       f->mailbox != NULL ? f->mailbox : t->mailbox, t->local_due,
			       unanswered != NULL ? "No reply was seen (it may have been answered "
						    "from another server).\n" : "");
	message_id = mime_message_id_new(strrchr(from_addr, '@') != NULL ? strrchr(from_addr, '@') + 1
									 : NULL, "vea.remind");
	if (mime_compose_set_from(compose, from_name, from_addr, &error) < 0 ||
	    mime_compose_add_to(compose, NULL, to, &error) < 0 ||
	    mime_compose_set_message_id(compose, message_id, &error) < 0 ||
	    (mime_message_id_is_valid(t->message_id) &&
	     (mime_compose_set_in_reply_to(compose, t->message_id, &error) < 0 ||
	      mime_compose_set_references(compose, references, &error) < 0))) {
		*why_r = g_strdup_printf("no notification: %s", error);
		return NULL;
	}
	mime_compose_set_subject(compose, subject);
	/* Never taken for a reply by vea's own reply detection (RFC 3834). */
	mime_compose_set_auto_submitted(compose, "auto-notified");
	(void)mime_compose_set_header(compose, OUTGOING_MARK_HEADER, "remind", NULL);
	mime_compose_set_text(compose, body);
	bytes = mime_compose_to_bytes(compose, &error);
	if (bytes == NULL) {
		*why_r = g_strdup_printf("no notification: %s", error);
		return NULL;
	}
	data = g_bytes_get_data(bytes, &size);
	m = g_new0(store_outbox_message, 1);
	m->client = g_strdup(client->id);
	m->kind = ACTION_REMINDED;
	m->message_id = g_strdup(message_id);
	m->mail_from = g_strdup(from_addr);
	m->recipients = g_new0(char *, 2);
	m->recipients[0] = g_strdup(to);
	m->data = g_strndup(data, size);
	m->size = size;
	m->next_attempt_at = f->now;
	m->expires_at = f->now + TIMER_NOTIFY_EXPIRES;
	m->created_at = f->now;
	return m;
}

/* Record the outcome in one transaction, if the timer is still ours
 * (claimed by this firer, lease_until unchanged): the journal row, its
 * ledger entry and notification, the timer's end. Returns 1 recorded, 0
 * no longer ours, -1. */
static int timer_record(timer_firing *f, const store_timer *t, const store_action *row,
			fire_outcome outcome, gboolean *queued_r, char **error_r)
{
	const conf_client *client = f->run.account->client;
	gboolean remind = t->kind == ACTION_REMIND;
	g_autofree char *late = NULL, *result = NULL, *why = NULL, *key = NULL, *argument = NULL;
	store_outbox_message *notice = NULL;
	store_timer *now_t = NULL;
	store_action journal = { 0 };
	int64_t lateness = f->now - t->due_at;
	store_timer_state state;
	int found;

	if (lateness > AGENT_TIMER_LATE)
		late = timer_lateness_text(lateness);
	if (store_transaction_begin(f->st, error_r) < 0)
		return -1;
	found = store_timer_get(f->st, t->id, &now_t, error_r);
	if (found < 0)
		goto fail;
	if (found == 0 || now_t->state != STORE_TIMER_FIRING || now_t->lease_until != t->lease_until) {
		/* Another firer took it over after our lease ran out. */
		store_timer_free(now_t);
		store_transaction_rollback(f->st);
		return 0;
	}
	store_timer_free(now_t);

	journal.client = client->id;
	journal.account = t->account;
	journal.mailbox = f->mailbox != NULL ? f->mailbox : t->mailbox;
	journal.uidvalidity = f->uidvalidity;
	journal.uid = f->uid;
	journal.message_id = t->message_id;
	journal.from = row != NULL && row->from != NULL ? row->from : "";
	journal.subject = t->subject;
	journal.rule_file = row != NULL ? row->rule_file : NULL;
	journal.rule_line = row != NULL ? row->rule_line : 0;
	journal.kind = remind ? ACTION_REMINDED : ACTION_WOKEN;
	/* The lateness in the argument: vea log shows it whatever the
	 * outbox later writes into the result. */
	if (remind) {
		/* "2026-11-02 17:00 EST": the zone's name is in vea remind list. */
		g_auto(GStrv) words = g_strsplit(t->local_due, " ", 4);

		argument = g_strjoinv(" ", words[0] != NULL && words[1] != NULL && words[2] != NULL
						   ? (char *[]){ words[0], words[1], words[2], NULL }
						   : words);
	} else {
		argument = g_strdup(journal.mailbox);
	}
	if (late != NULL && outcome == FIRE_DONE) {
		char *longer = g_strdup_printf("%s, late by %s", argument, late);

		g_free(argument);
		argument = longer;
	}
	journal.argument = argument;
	journal.operation = STORE_OPERATION_NONE;
	if (outcome == FIRE_DONE) {
		journal.state = STORE_ACTION_DONE;
		if (remind) {
			notice = timer_notification(f, t, row, late, &why);
		}
		result = g_strdup_printf("%s%s%s%s%s (timer #%" G_GINT64_FORMAT ")", f->result,
					 late != NULL ? "; late by " : "", late != NULL ? late : "",
					 notice != NULL ? "; notified " : why != NULL ? "; " : "",
					 notice != NULL ? notice->recipients[0] : why != NULL ? why : "",
					 t->id);
		journal.result = result;
		state = STORE_TIMER_FIRED;
	} else {
		journal.state = STORE_ACTION_SKIPPED;
		result = g_strdup_printf("%s (timer #%" G_GINT64_FORMAT ")", f->result, t->id);
		journal.reason = result;
		state = outcome == FIRE_ANSWERED ? STORE_TIMER_ANSWERED : STORE_TIMER_CANCELLED;
	}
	if (store_action_insert(f->st, &journal, &journal.id, error_r) < 0)
		goto fail;
	if (outcome == FIRE_DONE) {
		conf_cost_kind cost = action_kind_get(journal.kind)->cost;
		char *error = NULL;
		conf_billing *billing = conf_client_billing(f->config, client, NULL, &error);

		g_free(error);
		if (billing != NULL && billing->costs[cost] > 0) {
			store_ledger_entry entry = { 0 };
			g_autofree char *description = agent_step_summary(&journal);

			key = g_strdup_printf("%s/%s/%u/%u", t->account, journal.mailbox,
					      journal.uidvalidity, journal.uid);
			entry.client = client->id;
			entry.billing_account = billing->id;
			entry.seconds = billing->costs[cost];
			entry.description = description;
			entry.category = action_kind_get(journal.kind)->billing_category;
			entry.source = "rule";
			entry.action_id = journal.id;
			entry.message_key = key;
			if (store_ledger_insert(f->st, &entry, NULL, error_r) < 0)
				goto fail;
		}
		if (notice != NULL) {
			notice->action_id = journal.id;
			if (store_outbox_insert(f->st, notice, NULL, error_r) < 0)
				goto fail;
			*queued_r = TRUE;
		}
	}
	if (store_timer_finish(f->st, t->id, state, f->now, result, error_r) < 0 ||
	    store_transaction_commit(f->st, error_r) < 0)
		goto fail;
	store_outbox_message_free(notice);

	if (outcome == FIRE_DONE && late != NULL)
		log_warning("account %s: %s #%" G_GINT64_FORMAT " \"%s\" (due %s) fired late by %s: %s",
			    t->account, remind ? "reminder" : "snooze", t->id, t->subject, t->local_due,
			    late, result);
	else
		log_info("account %s: %s #%" G_GINT64_FORMAT " \"%s\" (due %s): %s: %s", t->account,
			 remind ? "reminder" : "snooze", t->id, t->subject, t->local_due,
			 store_timer_state_name(state), result);
	if (outcome == FIRE_DONE) {
		f->round->fired++;
		f->round->late += late != NULL;
	} else if (outcome == FIRE_ANSWERED) {
		f->round->answered++;
	} else {
		f->round->cancelled++;
	}
	return 1;
fail:
	store_outbox_message_free(notice);
	store_transaction_rollback(f->st);
	return -1;
}

/* Fire one claimed timer of the account being fired. -1 only on a
 * database error. */
static int timer_fire_one(timer_firing *f, const store_timer *t, gboolean *queued_r,
			  char **error_r)
{
	g_autofree char *error = NULL;
	store_action *row = NULL;
	fire_outcome outcome;
	int ret;

	g_clear_pointer(&f->mailbox, g_free);
	g_clear_pointer(&f->result, g_free);
	f->uidvalidity = f->uid = 0;
	if (t->action_id > 0 && store_action_get(f->st, t->action_id, &row, error_r) < 0)
		return -1;
	if (timer_connect(f, &error) < 0) {
		log_warning("account %s: timer #%" G_GINT64_FORMAT " waits: %s", t->account, t->id,
			    error);
		f->round->waiting++;
		store_action_free(row);
		return 0;
	}
	outcome = t->kind == ACTION_REMIND ? timer_fire_remind(f, t, row, &error)
					   : timer_fire_snooze(f, t, row, &error);
	if (outcome == FIRE_WAIT) {
		/* The lease runs out, then it is tried again. */
		log_warning("account %s: timer #%" G_GINT64_FORMAT " waits: %s", t->account, t->id,
			    error != NULL ? error : f->result != NULL ? f->result
								      : "the message is not in place yet");
		f->round->waiting++;
		if (f->run.imap != NULL && !imap_session_usable(f->run.imap)) {
			imap_session_free(&f->run.imap);
			f->connected = FALSE;
		}
		store_action_free(row);
		return 0;
	}
	ret = timer_record(f, t, row, outcome, queued_r, error_r);
	store_action_free(row);
	return ret < 0 ? -1 : 0;
}

static void timer_firing_deinit(timer_firing *f)
{
	/* Kept for the next round, when the caller keeps sessions. */
	if (f->sessions != NULL && f->run.imap != NULL && imap_session_usable(f->run.imap))
		g_hash_table_insert(f->sessions, g_strdup(f->run.account->id),
				    g_steal_pointer(&f->run.imap));
	g_clear_pointer(&f->mailbox, g_free);
	g_clear_pointer(&f->result, g_free);
	g_clear_pointer(&f->sent, g_free);
	f->run.store = NULL; /* the caller's */
	agent_run_deinit(&f->run);
	agent_report_free(f->report);
}

static void timer_session_free(gpointer data)
{
	imap_session *session = data;

	imap_session_free(&session);
}

GHashTable *agent_timer_sessions_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, timer_session_free);
}

int agent_timers_fire_due(const conf *config, store *st, const char *const *only, int64_t now,
			  GHashTable *sessions, agent_timer_round *round_r, char **error_r)
{
	gboolean queued = FALSE;
	int ret = 0;

	for (;;) {
		g_autoptr(GPtrArray) claimed = NULL;
		g_autoptr(GHashTable) done = g_hash_table_new(g_str_hash, g_str_equal);
		guint handled = 0;

		if (store_timer_claim(st, now, now + AGENT_TIMER_LEASE, AGENT_TIMER_BATCH, &claimed,
				      error_r) < 0)
			return -1;
		if (claimed->len == 0)
			break;
		/* One connection per account for its timers of this batch. */
		for (guint i = 0; i < claimed->len && ret == 0; i++) {
			const store_timer *first = g_ptr_array_index(claimed, i);
			const conf_account *account;
			timer_firing f = { 0 };

			if (g_hash_table_contains(done, first->account))
				continue;
			g_hash_table_add(done, first->account);
			account = conf_find_account(config, first->account);
			if (account == NULL) {
				for (guint j = i; j < claimed->len; j++) {
					const store_timer *t = g_ptr_array_index(claimed, j);

					if (strcmp(t->account, first->account) == 0 &&
					    store_timer_finish(st, t->id, STORE_TIMER_CANCELLED, now,
							       "the account is no longer configured",
							       error_r) < 0)
						return -1;
					handled++;
				}
				continue;
			}
			if (only != NULL && !g_strv_contains(only, account->id)) {
				handled++; /* left claimed: the lease runs out */
				continue;
			}
			f.config = config;
			f.st = st;
			f.now = now;
			f.round = round_r;
			f.sessions = sessions;
			f.report = agent_report_new(account);
			agent_run_init(&f.run, config, account, NULL, &f.options, f.report);
			f.run.store = st;
			for (guint j = i; j < claimed->len && ret == 0; j++) {
				const store_timer *t = g_ptr_array_index(claimed, j);

				if (strcmp(t->account, account->id) != 0)
					continue;
				handled++;
				ret = timer_fire_one(&f, t, &queued, error_r);
			}
			timer_firing_deinit(&f);
		}
		if (ret < 0)
			break;
		if (claimed->len < AGENT_TIMER_BATCH || handled == 0)
			break;
	}
	if (queued)
		outbox_thread_wake();
	return ret;
}
