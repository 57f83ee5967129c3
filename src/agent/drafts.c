/* How reply drafts reach the executive's Drafts, and copies of what vea
 * sent as the executive reach Sent.
 *
 * A draft is composed when its message is planned (src/draft), its text
 * first asked of the [ai] endpoint when the rule or client wants that
 * (draft/ai.h; the plain template when it fails), recorded
 * with its complete bytes in the transaction that journals the action
 * (sync.c), and APPENDed after that transaction, flagged \Draft \Seen
 * (RFC 3501 2.3.2: \Seen so that the executive's client does not count it
 * as new mail), into the mailbox the server marks \Drafts (RFC 6154) or
 * the client's `drafts`. Exactly once: each APPEND is counted in the
 * store before it is sent; when an earlier one may have landed (a crash,
 * a lost connection before the server's answer), the mailbox is searched
 * for the draft's Message-ID first (OUTGOING.md 5.1).
 *
 * A Sent copy is the same idea for the outbox's messages sent as the
 * executive (vacation replies): once the server answered 250, the copy is
 * APPENDed to \Sent with \Seen, unless a message with that Message-ID is
 * there already (providers such as Gmail file what their submission
 * server sends).
 *
 * What became of a draft (waiting, edited, sent, discarded) is looked up
 * at most every AGENT_DRAFT_CHECK_SECONDS: in Drafts by Message-ID and by
 * X-Vea-Draft (clients give an edited draft a new UID, some a new
 * Message-ID), then in Sent by In-Reply-To. */

#include "agent/agent-private.h"
#include "draft/ai.h"
#include "draft/draft.h"
#include "mime/compose.h"
#include "outbox/thread.h"
#include "util/clock.h"
#include "util/log.h"

#include <string.h>

#define AGENT_DRAFT_CHECK_SECONDS 300
/* An approved draft not sent within a day of its approval is not sent. */
#define AGENT_DRAFT_SEND_EXPIRES (24 * 3600)

/* After the endpoint failed, drafts go plain for this long without
 * asking again: a model that is down or slow would otherwise cost every
 * draft of the sync its timeout. */
#define AGENT_AI_RETRY_SECONDS 60

/* The body a model writes for this draft, when [ai] is configured and the
 * rule (:ai) or the client (draft_ai) asks for one; NULL for the plain
 * template, the reason logged (never the message text: OUTGOING.md 6.2). */
static char *agent_draft_ai_body(agent_run *run, plan_step *step, mime_message *mime,
				 const draft_options *opts)
{
	const conf_client *client = run->account->client;
	const conf_ai *ai = &run->conf->ai;
	g_autofree char *instructions = NULL, *text = NULL, *reason = NULL;
	const char *const *dates;
	draft_ai_input input = { 0 };
	char *body;
	gboolean truncated = FALSE;
	int64_t now = clock_now_unix();

	if (ai->url == NULL || (!step->source->draft_ai && !client->draft_ai))
		return NULL;
	if (run->ai_failed_at != 0 && now - run->ai_failed_at < AGENT_AI_RETRY_SECONDS) {
		log_warning("account %s: mailbox %s: draft %s: the plain template is used: the AI "
			    "endpoint failed %" G_GINT64_FORMAT " s ago",
			    run->account->id, run->mailbox, step->row.argument,
			    (gint64)(now - run->ai_failed_at));
		return NULL;
	}
	instructions = draft_instructions(step->source, mime, opts, &reason);
	if (instructions == NULL)
		goto failed;
	dates = mime_message_get_header_values(mime, "date");
	text = draft_ai_message_text(mime_message_get_from(mime),
				     dates != NULL && dates[0] != NULL ? dates[0] : NULL,
				     mime_message_get_subject(mime), mime_message_get_body_text(mime),
				     (gsize)ai->max_input);
	input.executive = client->name_given ? client->name : NULL;
	input.instructions = instructions;
	input.style_notes = client->style_notes;
	input.message = text;
	body = draft_ai_write(ai, &input, &truncated, &reason);
	if (body == NULL) {
		run->ai_failed_at = clock_now_unix();
		goto failed;
	}
	run->ai_failed_at = 0;
	log_info("account %s: mailbox %s: draft %s: body written by %s%s", run->account->id,
		 run->mailbox, step->row.argument, ai->model,
		 truncated ? " (it stopped at its length limit: the text may end mid-sentence)" : "");
	return body;
failed:
	log_warning("account %s: mailbox %s: draft %s: the plain template is used: %s",
		    run->account->id, run->mailbox, step->row.argument, reason);
	return NULL;
}

void agent_draft_prepare(agent_run *run, plan_step *step, mime_message *mime)
{
	const conf_client *client = run->account->client;
	const char *user = run->account->user;
	const char *own[] = { user != NULL && strchr(user, '@') != NULL ? user : NULL, NULL };
	draft_options opts = {
		.client = client,
		.assistant = &run->conf->assistant,
		.own_addresses = own,
		.now = clock_now_unix(),
		.id = NULL,
	};
	g_autoptr(draft_message) draft = NULL;
	g_autoptr(GString) recipients = g_string_new(NULL);
	const char *original = mime_message_get_message_id(mime);
	g_autofree char *ai_body = NULL;
	char *error = NULL;
	store_draft *d;
	gsize size;
	const char *data;

	if (step->source == NULL || run->options->dry_run)
		return;
	ai_body = agent_draft_ai_body(run, step, mime, &opts);
	if (ai_body != NULL) {
		opts.body = ai_body;
		opts.machine = run->conf->ai.model;
	}
	if (draft_compose(step->source, mime, &opts, &draft, &error) < 0) {
		step->row.state = STORE_ACTION_FAILED;
		g_free(step->row.reason);
		step->row.reason = error;
		log_error("account %s: mailbox %s: draft %s: %s", run->account->id, run->mailbox,
			  step->row.argument, error);
		return;
	}
	for (char **a = draft->to; *a != NULL; a++)
		g_string_append_printf(recipients, "%s%s", recipients->len > 0 ? "\n" : "", *a);
	for (char **a = draft->cc; *a != NULL; a++)
		g_string_append_printf(recipients, "%s%s", recipients->len > 0 ? "\n" : "", *a);
	for (char **a = draft->dropped; *a != NULL; a++)
		log_info("account %s: mailbox %s: draft %s: %s left out of the reply (not an "
			 "address vea writes to)", run->account->id, run->mailbox, step->row.argument, *a);
	data = g_bytes_get_data(draft->bytes, &size);
	d = g_new0(store_draft, 1);
	d->client = g_strdup(client->id);
	d->account = g_strdup(run->account->id);
	d->draft_id = g_strdup(draft->id);
	d->message_id = g_strdup(draft->message_id);
	d->in_reply_to = g_strdup(original != NULL ? original : "");
	d->subject = g_strdup(draft->subject);
	d->recipients = g_string_free(g_steal_pointer(&recipients), FALSE);
	d->mailbox = g_strdup(draft->mailbox != NULL ? draft->mailbox : "");
	d->data = g_strndup(data, size);
	d->size = size;
	d->created_at = opts.now;
	d->machine = g_strdup(ai_body != NULL ? run->conf->ai.model : "");
	step->draft = d;
	step->row.state = STORE_ACTION_PLANNED;
	g_clear_pointer(&step->row.reason, g_free);
}

/* The server name of the special-use mailbox (attribute "\\Drafts" or
 * "\\Sent"), else of configured (as rules name mailboxes), else of
 * fallback, created when missing. Cached in *cache for the run. NULL
 * with *error_r. */
static const char *agent_special_mailbox(agent_run *run, const char *attribute,
					 const char *configured, const char *fallback,
					 char **cache, char **error_r)
{
	char *name = NULL;

	if (*cache != NULL)
		return *cache;
	if (configured != NULL) {
		name = agent_prepare_destination(run, configured, TRUE, error_r);
	} else {
		int found = imap_session_find_special_use(run->imap, attribute, &name, error_r);

		if (found < 0)
			return NULL;
		if (found == 0)
			name = agent_prepare_destination(run, fallback, TRUE, error_r);
	}
	*cache = name;
	return name;
}

/* Is a message with message_id in the selected mailbox? 1 and its UID in
 * *uid_r (the highest), 0 no, -1 error. */
static int agent_find_message_id(agent_run *run, const char *message_id, uint32_t *uid_r,
				 char **error_r)
{
	g_autoptr(GArray) uids = NULL;

	*uid_r = 0;
	if (message_id == NULL || *message_id == '\0')
		return 0;
	if (imap_session_search_message_id(run->imap, message_id, &uids, error_r) < 0)
		return -1;
	if (uids->len == 0)
		return 0;
	*uid_r = g_array_index(uids, uint32_t, uids->len - 1);
	return 1;
}

/* A failure that is no reason to give up on the draft: the connection
 * went, or the server said "not now" (RFC 5530: over quota, in use...). */
static gboolean agent_draft_retry_later(agent_run *run)
{
	imap_error_kind kind = imap_session_error_kind(run->imap);

	if (run->refused_here && kind != IMAP_ERROR_SESSION_LOST)
		return FALSE;
	return kind == IMAP_ERROR_SESSION_LOST || kind == IMAP_ERROR_TEMPORARY;
}

static int agent_draft_write(agent_run *run, store_draft *d, const char *mailbox, char **error_r)
{
	static const char *const flags[] = { "\\Draft", "\\Seen", NULL };
	imap_mailbox_status status;
	uint32_t uidvalidity = 0, uid = 0;
	g_autofree char *result = NULL;
	int found = 0;

	if (d->attempts > 0) {
		/* An earlier APPEND may have landed: look before writing. */
		if (imap_session_examine(run->imap, mailbox, &status, error_r) < 0)
			return -1;
		found = agent_find_message_id(run, d->message_id, &uid, error_r);
		if (found < 0)
			return -1;
		uidvalidity = status.uidvalidity;
	}
	if (!found) {
		if (store_draft_attempt(run->store, d->id, error_r) < 0 ||
		    imap_session_append(run->imap, mailbox, flags, d->data, d->size, &uidvalidity,
					&uid, error_r) < 0)
			return -1;
		if (uid == 0) {
			/* No APPENDUID (RFC 4315 absent): find where it went. */
			if (imap_session_examine(run->imap, mailbox, &status, error_r) < 0 ||
			    agent_find_message_id(run, d->message_id, &uid, error_r) < 0)
				return -1;
			uidvalidity = status.uidvalidity;
		}
	}
	result = g_strdup_printf("written to %s (UID %u)%s", mailbox, uid,
				 found ? ", found there after an interrupted write" : "");
	if (store_draft_written(run->store, d->id, mailbox, uidvalidity, uid, clock_now_unix(),
				result, error_r) < 0)
		return -1;
	/* vea log and the run's summary say it for every draft. */
	log_debug("account %s: draft to %s, \"%s\": %s", run->account->id, d->recipients,
		  d->subject, result);
	return 0;
}

int agent_drafts_write(agent_run *run)
{
	g_autoptr(GPtrArray) pending = NULL;
	char *error = NULL;
	const char *special = NULL;

	if (run->options->dry_run)
		return 0;
	if (store_drafts_pending(run->store, run->account->id, &pending, &error) < 0)
		goto fail;
	for (guint i = 0; i < pending->len && !agent_stopping(run); i++) {
		store_draft *d = g_ptr_array_index(pending, i);
		g_autofree char *configured = NULL;
		const char *mailbox;

		run->refused_here = FALSE;
		if (*d->mailbox != '\0') {
			mailbox = configured = agent_prepare_destination(run, d->mailbox, TRUE, &error);
		} else {
			if (special == NULL)
				special = agent_special_mailbox(run, "\\Drafts",
								run->account->client->drafts, "Drafts",
								&run->drafts_mailbox, &error);
			mailbox = special;
		}
		if (mailbox == NULL || agent_draft_write(run, d, mailbox, &error) < 0) {
			if (!run->refused_here &&
			    imap_session_error_kind(run->imap) == IMAP_ERROR_TEMPORARY) {
				/* Stays planned: written at the next sync. */
				log_warning("account %s: draft to %s, \"%s\": %s; tried again at "
					    "the next sync", run->account->id, d->recipients,
					    d->subject, error);
				g_clear_pointer(&error, g_free);
				continue;
			}
			if (agent_draft_retry_later(run))
				goto fail;
			/* The server refused this draft (NO): it fails, the
			 * others go on. */
			log_error("account %s: draft to %s, \"%s\": %s", run->account->id,
				  d->recipients, d->subject, error);
			if (store_draft_failed(run->store, d->id, error, &error) < 0)
				goto fail;
			run->report->failed_actions++;
			g_clear_pointer(&error, g_free);
		}
	}
	return 0;
fail:
	agent_fail(run, "drafts: %s", error);
	g_free(error);
	return -1;
}

int agent_sent_copies_file(agent_run *run)
{
	static const char *const flags[] = { "\\Seen", NULL };
	g_autoptr(GPtrArray) wanted = NULL;
	char *error = NULL;
	const char *sent;

	if (run->options->dry_run)
		return 0;
	if (store_outbox_sent_copies_wanted(run->store, run->account->id, &wanted, &error) < 0)
		goto fail;
	if (wanted->len == 0)
		return 0;
	sent = agent_special_mailbox(run, "\\Sent", run->account->client->sent, "Sent",
				     &run->sent_mailbox, &error);
	if (sent == NULL) {
		if (agent_draft_retry_later(run))
			goto fail;
		log_error("account %s: no Sent mailbox for copies of what vea sent: %s",
			  run->account->id, error);
		g_clear_pointer(&error, g_free);
		return 0;
	}
	for (guint i = 0; i < wanted->len && !agent_stopping(run); i++) {
		store_outbox_message *m = g_ptr_array_index(wanted, i);
		imap_mailbox_status status;
		uint32_t uid = 0;
		const char *outcome;
		int found;

		/* Look first: the provider may have filed its own copy, or an
		 * earlier run filed this one and stopped before saying so. */
		if (imap_session_examine(run->imap, sent, &status, &error) < 0 ||
		    (found = agent_find_message_id(run, m->message_id, &uid, &error)) < 0)
			goto refused;
		if (found) {
			outcome = "found";
		} else {
			if (imap_session_append(run->imap, sent, flags, m->data, m->size, NULL, &uid,
						&error) < 0)
				goto refused;
			outcome = "filed";
		}
		if (store_outbox_set_sent_copy(run->store, m->id, outcome, &error) < 0)
			goto fail;
		log_info("account %s: outbox message %" G_GINT64_FORMAT ": copy %s in %s",
			 run->account->id, m->id, found ? "already" : "filed", sent);
		continue;
refused:
		if (agent_draft_retry_later(run))
			goto fail;
		log_error("account %s: outbox message %" G_GINT64_FORMAT ": no copy in %s: %s",
			  run->account->id, m->id, sent, error);
		g_clear_pointer(&error, g_free);
		if (store_outbox_set_sent_copy(run->store, m->id, "failed", &error) < 0)
			goto fail;
	}
	return 0;
fail:
	agent_fail(run, "Sent copies: %s", error);
	g_free(error);
	return -1;
}

/* Search the selected mailbox for a header's value: 1 and the highest UID,
 * 0 none, -1. */
static int agent_search_header(agent_run *run, const char *header, const char *value,
			       uint32_t *uid_r, char **error_r)
{
	g_autoptr(GArray) uids = NULL;

	*uid_r = 0;
	if (imap_session_search_header(run->imap, header, value, &uids, error_r) < 0)
		return -1;
	if (uids->len == 0)
		return 0;
	*uid_r = g_array_index(uids, uint32_t, uids->len - 1);
	return 1;
}

/* What became of one written draft. */
static int agent_draft_fate(agent_run *run, store_draft *d, const char *sent,
			    store_draft_status *status_r, uint32_t *uid_r, char **error_r)
{
	imap_mailbox_status status;
	uint32_t uid = 0;
	int found;

	*uid_r = 0;
	if (imap_session_examine(run->imap, d->mailbox, &status, error_r) < 0)
		return -1;
	if (status.uidvalidity == d->uidvalidity) {
		found = agent_find_message_id(run, d->message_id, &uid, error_r);
		if (found < 0)
			return -1;
		if (found && uid == d->uid) {
			*status_r = d->status; /* as it was: waiting, or edited before */
			return 0;
		}
	}
	found = uid != 0 ? 1 : agent_search_header(run, "X-Vea-Draft", d->draft_id, &uid, error_r);
	if (found < 0)
		return -1;
	if (found) {
		*status_r = STORE_DRAFT_EDITED;
		*uid_r = uid;
		return 0;
	}
	/* Gone from Drafts: sent (its Message-ID, or a reply to the same
	 * message, in Sent), or discarded. */
	if (sent != NULL) {
		if (imap_session_examine(run->imap, sent, &status, error_r) < 0)
			return -1;
		found = agent_find_message_id(run, d->message_id, &uid, error_r);
		if (found == 0 && *d->in_reply_to != '\0') {
			g_autofree char *bracketed = g_strdup_printf("<%s>", d->in_reply_to);

			found = agent_search_header(run, "In-Reply-To", bracketed, &uid, error_r);
		}
		if (found < 0)
			return -1;
		if (found) {
			*status_r = STORE_DRAFT_SENT;
			return 0;
		}
	}
	*status_r = STORE_DRAFT_DISCARDED;
	return 0;
}

/* ---- sending on approval (opt-in per client) ---- */

typedef struct agent_fetched_one {
	char **flags;
	char *data;
	size_t len;
	gboolean found;
} agent_fetched_one;

static int agent_fetch_one_cb(const imap_fetched *msg, void *context, char **error_r)
{
	agent_fetched_one *one = context;

	(void)error_r;
	one->found = TRUE;
	g_strfreev(one->flags);
	one->flags = g_strdupv(msg->flags);
	g_free(one->data);
	one->data = g_memdup2(msg->data, msg->len + 1);
	one->data[msg->len] = '\0';
	one->len = msg->len;
	return 0;
}

/* Fetch one message of the selected mailbox (flags; the whole message
 * unless headers_only). */
static int agent_fetch_one(agent_run *run, uint32_t uid, gboolean headers_only,
			   agent_fetched_one *one_r, char **error_r)
{
	g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));

	memset(one_r, 0, sizeof(*one_r));
	g_array_append_val(uids, uid);
	return imap_session_fetch_uids(run->imap, uids, headers_only, agent_fetch_one_cb, one_r,
				       error_r);
}

static void agent_fetched_one_clear(agent_fetched_one *one)
{
	g_strfreev(one->flags);
	g_free(one->data);
	memset(one, 0, sizeof(*one));
}

static gboolean agent_flags_have(char **flags, const char *flag)
{
	for (char **f = flags; f != NULL && *f != NULL; f++) {
		if (g_ascii_strcasecmp(*f, flag) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Where the executive approved the draft, if they did: the mailbox and
 * UID of the message carrying its X-Vea-Draft in the client's
 * approve_mailbox, or in the drafts mailbox flagged approve_keyword.
 * 1 approved (*mailbox_r new), 0 not, -1. */
static int agent_draft_approval(agent_run *run, const store_draft *d, char **mailbox_r,
				uint32_t *uid_r, char **error_r)
{
	const conf_client *client = run->account->client;
	imap_mailbox_status status;
	uint32_t uid = 0;
	int found;

	*mailbox_r = NULL;
	*uid_r = 0;
	if (client->approve_mailbox != NULL) {
		g_autofree char *server = agent_server_name(run, client->approve_mailbox, error_r);
		int exists;

		if (server == NULL)
			return -1;
		exists = imap_session_mailbox_exists(run->imap, server, error_r);
		if (exists < 0)
			return -1;
		if (exists > 0) {
			if (imap_session_examine(run->imap, server, &status, error_r) < 0)
				return -1;
			found = agent_search_header(run, "X-Vea-Draft", d->draft_id, &uid, error_r);
			if (found < 0)
				return -1;
			if (found) {
				*mailbox_r = g_steal_pointer(&server);
				*uid_r = uid;
				return 1;
			}
		}
	}
	if (client->approve_keyword != NULL) {
		agent_fetched_one one;

		if (imap_session_examine(run->imap, d->mailbox, &status, error_r) < 0)
			return -1;
		found = agent_search_header(run, "X-Vea-Draft", d->draft_id, &uid, error_r);
		if (found <= 0)
			return found;
		if (agent_fetch_one(run, uid, TRUE, &one, error_r) < 0)
			return -1;
		found = one.found && agent_flags_have(one.flags, client->approve_keyword);
		agent_fetched_one_clear(&one);
		if (found) {
			*mailbox_r = g_strdup(d->mailbox);
			*uid_r = uid;
			return 1;
		}
	}
	return 0;
}

/* The approved message as it goes out: the executive's text as they left
 * it, without Bcc (RFC 5322 3.6.3: the blind recipients are not shown),
 * vea's X-Vea-Draft and X-Vea-Draft-Machine (which model helped is no
 * recipient's business) or the composing client's private fields, with
 * Date now (the time it is sent). Header fields are copied line by line, never
 * re-encoded. */
static GBytes *agent_approved_bytes(const char *data, size_t len, const char *message_id,
				    gboolean add_message_id)
{
	static const char *const dropped[] = { "bcc:", "x-vea-draft:", "x-vea-draft-machine:",
					       "date:", "x-mozilla-draft-info:",
					       "x-uniform-type-identifier:", "x-apple-mail-remote-attachments:",
					       NULL };
	GString *out = g_string_sized_new(len + 128);
	g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc(clock_now_unix());
	g_autofree char *date = g_date_time_format(now, "%a, %d %b %Y %H:%M:%S +0000");
	const char *p = data, *end = data + len;
	gboolean skipping = FALSE;

	g_string_append_printf(out, "Date: %s\r\n", date);
	if (add_message_id)
		g_string_append_printf(out, "Message-ID: <%s>\r\n", message_id);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl != NULL ? nl + 1 : end;
		size_t n = (size_t)(line_end - p), text = n;

		if (text > 0 && p[text - 1] == '\n')
			text--;
		if (text > 0 && p[text - 1] == '\r')
			text--;
		if (text == 0) {
			g_string_append(out, "\r\n");
			p = line_end;
			break;
		}
		if (*p != ' ' && *p != '\t') {
			skipping = FALSE;
			for (const char *const *d = dropped; *d != NULL && !skipping; d++)
				skipping = text >= strlen(*d) && g_ascii_strncasecmp(p, *d, strlen(*d)) == 0;
		}
		if (!skipping) {
			g_string_append_len(out, p, (gssize)text);
			g_string_append(out, "\r\n");
		}
		p = line_end;
	}
	/* The body as the client stored it (CRLF already, RFC 3501 2.3.2). */
	g_string_append_len(out, p, (gssize)(end - p));
	return g_string_free_to_bytes(out);
}

/* Queue the approved draft: exactly the message the executive approved,
 * to its To, Cc and Bcc, from the executive's own submission server. */
static int agent_draft_send(agent_run *run, const store_draft *d, char **error_r)
{
	const conf_client *client = run->account->client;
	imap_mailbox_status status;
	agent_fetched_one one;
	g_autoptr(GPtrArray) recipients = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *message_id = NULL, *result = NULL, *approval = NULL;
	g_autoptr(GBytes) bytes = NULL;
	store_outbox_message m = { 0 };
	mime_message *mime;
	const char *id;
	gsize size;
	int64_t now = clock_now_unix();
	int queued;

	if (client->email == NULL) {
		*error_r = g_strdup("the client has no email to send the approved draft from");
		return -1;
	}
	if (imap_session_examine(run->imap, d->approved_in, &status, error_r) < 0 ||
	    agent_fetch_one(run, d->approved_uid, FALSE, &one, error_r) < 0)
		return -1;
	if (!one.found) {
		*error_r = g_strdup_printf("the approved draft is gone from %s", d->approved_in);
		return -1;
	}
	mime = mime_message_parse(one.data, one.len, error_r);
	if (mime == NULL) {
		agent_fetched_one_clear(&one);
		return -1;
	}
	for (const char *const *field = (const char *const[]){ "to", "cc", "bcc", NULL };
	     *field != NULL; field++) {
		const GPtrArray *list = mime_message_get_addresses(mime, *field);

		for (guint i = 0; list != NULL && i < list->len; i++) {
			const mime_address *a = g_ptr_array_index(list, i);
			gboolean seen = FALSE;

			if (!mime_address_is_sendable(a->addr)) {
				log_warning("account %s: approved draft %s: %s: not an address vea "
					    "sends to; left out", run->account->id, d->draft_id, a->addr);
				continue;
			}
			for (guint k = 0; k < recipients->len && !seen; k++)
				seen = g_ascii_strcasecmp(g_ptr_array_index(recipients, k), a->addr) == 0;
			if (!seen)
				g_ptr_array_add(recipients, g_strdup(a->addr));
		}
	}
	id = mime_message_get_message_id(mime);
	message_id = id != NULL && mime_message_id_is_valid(id)
		? g_strdup(id)
		: g_strdup_printf("vea.approved.%s@%s", d->draft_id,
				  strrchr(client->email, '@') != NULL ? strrchr(client->email, '@') + 1
								      : "vea.invalid");
	bytes = agent_approved_bytes(one.data, one.len, message_id, id == NULL ||
				     !mime_message_id_is_valid(id));
	mime_message_free(&mime);
	agent_fetched_one_clear(&one);
	if (recipients->len == 0) {
		*error_r = g_strdup("the approved draft has no recipient vea can send to");
		return -1;
	}
	g_ptr_array_add(recipients, NULL);
	m.client = client->id;
	m.account = run->account->id;
	m.kind = ACTION_SEND;
	m.message_id = message_id;
	m.mail_from = client->email;
	m.recipients = (char **)recipients->pdata;
	m.data = (char *)g_bytes_get_data(bytes, &size);
	m.size = size;
	m.next_attempt_at = now;
	m.expires_at = now + AGENT_DRAFT_SEND_EXPIRES;
	m.created_at = now;
	m.sent_copy = "wanted";
	{
		g_autoptr(GDateTime) at = g_date_time_new_from_unix_utc(d->approved_at);
		g_autofree char *when = g_date_time_format(at, "%Y-%m-%d %H:%M UTC");

		approval = g_strdup_printf("approved in %s at %s", d->approved_in, when);
		result = g_strdup_printf("queued for %u recipient%s", recipients->len - 1,
					 recipients->len == 2 ? "" : "s");
	}
	queued = store_draft_queue_send(run->store, d->id, &m, approval, result, now, error_r);
	if (queued < 0)
		return -1;
	if (queued == 0)
		log_warning("account %s: approved draft %s: a message with its Message-ID was "
			    "queued already; not sent again", run->account->id, d->draft_id);
	else
		log_info("account %s: draft to %s, \"%s\": approved in %s; sending",
			 run->account->id, d->recipients, d->subject, d->approved_in);
	outbox_thread_wake();
	return 0;
}

/* A draft with approval on: approved now, withdrawn, or due to be sent.
 * 1 when it was dealt with here (nothing else to look at), 0 when its
 * fate is to be looked at as usual, -1. */
static int agent_draft_check_approval(agent_run *run, store_draft *d, int64_t now,
				      char **error_r)
{
	const conf_client *client = run->account->client;
	g_autofree char *mailbox = NULL;
	uint32_t uid = 0;
	int approved;

	if (client->approve_mailbox == NULL && client->approve_keyword == NULL)
		return 0;
	approved = agent_draft_approval(run, d, &mailbox, &uid, error_r);
	if (approved < 0)
		return -1;
	if (d->status == STORE_DRAFT_APPROVED) {
		if (!approved) {
			/* Moved back (or unflagged) within the window: not sent. */
			log_info("account %s: draft to %s, \"%s\": approval withdrawn; not sent",
				 run->account->id, d->recipients, d->subject);
			if (store_draft_set_approval(run->store, d->id, 0, NULL, 0, STORE_DRAFT_WAITING,
						     error_r) < 0)
				return -1;
			d->status = STORE_DRAFT_WAITING;
			return 0;
		}
		g_free(d->approved_in);
		d->approved_in = g_steal_pointer(&mailbox);
		d->approved_uid = uid;
		if (now - d->approved_at < client->approve_window)
			return 1;
		return agent_draft_send(run, d, error_r) < 0 ? -1 : 1;
	}
	if (!approved)
		return 0;
	log_info("account %s: draft to %s, \"%s\": approved in %s; sent in %" G_GINT64_FORMAT
		 " s unless moved back", run->account->id, d->recipients, d->subject, mailbox,
		 client->approve_window);
	if (store_draft_set_approval(run->store, d->id, now, mailbox, uid, STORE_DRAFT_APPROVED,
				     error_r) < 0)
		return -1;
	if (client->approve_window <= 0) {
		d->approved_at = now;
		g_free(d->approved_in);
		d->approved_in = g_steal_pointer(&mailbox);
		d->approved_uid = uid;
		return agent_draft_send(run, d, error_r) < 0 ? -1 : 1;
	}
	return 1;
}

int agent_drafts_check(agent_run *run)
{
	g_autoptr(GPtrArray) open = NULL;
	char *error = NULL;
	const char *sent = NULL;
	int64_t now = clock_now_unix();

	if (run->options->dry_run)
		return 0;
	if (store_drafts_open(run->store, run->account->id, &open, &error) < 0)
		goto fail;
	for (guint i = 0; i < open->len && !agent_stopping(run); i++) {
		store_draft *d = g_ptr_array_index(open, i);
		store_draft_status status;
		uint32_t uid;

		/* With approval on, every sync looks (an approval must be seen
		 * within its window); else every few minutes. */
		if (run->account->client->approve_mailbox == NULL &&
		    run->account->client->approve_keyword == NULL &&
		    now - d->checked_at < AGENT_DRAFT_CHECK_SECONDS)
			continue;
		switch (agent_draft_check_approval(run, d, now, &error)) {
		case -1:
			if (agent_draft_retry_later(run))
				goto fail;
			log_warning("account %s: draft %s: %s", run->account->id, d->draft_id, error);
			g_clear_pointer(&error, g_free);
			continue;
		case 1:
			continue;
		default:
			break;
		}
		if (sent == NULL) {
			sent = agent_special_mailbox(run, "\\Sent", run->account->client->sent, "Sent",
						     &run->sent_mailbox, &error);
			if (sent == NULL) {
				if (agent_draft_retry_later(run))
					goto fail;
				g_clear_pointer(&error, g_free);
			}
		}
		if (agent_draft_fate(run, d, sent, &status, &uid, &error) < 0) {
			if (agent_draft_retry_later(run))
				goto fail;
			log_warning("account %s: draft %s in %s: %s", run->account->id, d->draft_id,
				    d->mailbox, error);
			g_clear_pointer(&error, g_free);
			continue;
		}
		if (status != d->status)
			log_info("account %s: draft to %s, \"%s\": %s", run->account->id,
				 d->recipients, d->subject, store_draft_status_name(status));
		if (store_draft_set_status(run->store, d->id, status, uid, now, &error) < 0)
			goto fail;
	}
	return 0;
fail:
	agent_fail(run, "drafts: %s", error);
	g_free(error);
	return -1;
}
