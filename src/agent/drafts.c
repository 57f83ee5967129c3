/* How reply drafts reach the executive's Drafts, and copies of what vea
 * sent as the executive reach Sent.
 *
 * A draft is composed when its message is planned (src/draft), recorded
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
#include "draft/draft.h"
#include "util/clock.h"
#include "util/log.h"

#include <string.h>

#define AGENT_DRAFT_CHECK_SECONDS 300

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
	char *error = NULL;
	store_draft *d;
	gsize size;
	const char *data;

	if (step->source == NULL || run->options->dry_run)
		return;
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
 * went, or the store could not be written. */
static gboolean agent_draft_retry_later(agent_run *run)
{
	return !imap_session_usable(run->imap);
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

		if (now - d->checked_at < AGENT_DRAFT_CHECK_SECONDS)
			continue;
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
