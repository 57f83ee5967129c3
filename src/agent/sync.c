/* How a mailbox is synced: fetch, evaluate, plan, journal. */

#include "agent/agent-private.h"
#include "agent/timers.h"
#include "outbox/thread.h"
#include "util/clock.h"
#include "mime/message.h"
#include "util/log.h"

#include <string.h>

/* mailboxexists (RFC 5490): the account's mailboxes as listed before the
 * fetch, and those vea created since. */
gboolean agent_rules_mailbox_exists(const char *name, void *context)
{
	agent_run *run = context;
	g_autofree char *server = NULL;
	char *error = NULL;

	server = agent_server_name(run, name, &error);
	if (server == NULL) {
		g_free(error);
		return FALSE;
	}
	return g_hash_table_contains(run->known_mailboxes, server);
}

gboolean agent_rules_duplicate_check(const char *id, void *context)
{
	agent_run *run = context;
	int64_t now = clock_now_unix();
	gpointer expires;
	char *error = NULL;
	int seen;

	if (run->pending_duplicates != NULL &&
	    g_hash_table_lookup_extended(run->pending_duplicates, id, NULL, &expires) &&
	    GPOINTER_TO_SIZE(expires) > (gsize)now)
		return TRUE;
	seen = store_duplicate_check(run->store, run->account->client->id, id, now, &error);
	if (seen < 0) {
		log_error("account %s: duplicate test: %s", run->account->id, error);
		g_free(error);
		return FALSE;
	}
	return seen > 0;
}

void agent_rules_duplicate_mark(const char *id, guint64 seconds, gboolean last,
				       void *context)
{
	agent_run *run = context;
	agent_duplicate_mark *mark;
	int64_t now = clock_now_unix();

	if (run->evaluating == NULL || run->options->dry_run)
		return;
	if (run->pending_duplicates == NULL)
		run->pending_duplicates = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_hash_table_insert(run->pending_duplicates, g_strdup(id),
			    GSIZE_TO_POINTER((gsize)(now + (int64_t)seconds)));
	if (run->evaluating->duplicate_marks == NULL)
		run->evaluating->duplicate_marks = g_ptr_array_new_with_free_func(agent_duplicate_mark_free);
	mark = g_new0(agent_duplicate_mark, 1);
	mark->id = g_strdup(id);
	mark->seconds = (int64_t)seconds;
	mark->refresh = last;
	g_ptr_array_add(run->evaluating->duplicate_marks, mark);
}

static int agent_fetched_message(const imap_fetched *fetched, void *context, char **error_r)
{
	agent_run *run = context;
	g_autoptr(GPtrArray) actions = NULL;
	g_autoptr(GPtrArray) rule_errors = NULL;
	agent_message *msg;
	mime_message *mime;
	char *error = NULL;

	run->fetched_uid = MAX(run->fetched_uid, fetched->uid);
	mime = mime_message_parse(fetched->data, fetched->len, &error);
	msg = g_new0(agent_message, 1);
	msg->uid = fetched->uid;
	if (mime == NULL) {
		/* Not a message at all: keep it where it is, and say so. */
		log_warning("account %s: mailbox %s: UID %u: %s; kept", run->account->id,
			    run->mailbox, fetched->uid, error);
		g_free(error);
		msg->from = g_strdup("");
		msg->subject = g_strdup("");
		actions = g_ptr_array_new_with_free_func((GDestroyNotify)sieve_action_free);
		sieve_action *keep = g_new0(sieve_action, 1);
		keep->type = SIEVE_ACTION_KEEP;
		keep->implicit = TRUE;
		g_ptr_array_add(actions, keep);
	} else {
		const char *message_id = mime_message_get_message_id(mime);

		msg->message_id = g_strdup(message_id);
		msg->from = g_strdup(mime_message_get_from(mime));
		msg->subject = g_strdup(mime_message_get_subject(mime));
		msg->reply_ids = agent_timer_reply_ids(mime);
		{
			const GPtrArray *from = mime_message_get_addresses(mime, "from");

			if (from != NULL && from->len > 0)
				msg->from_address = g_strdup(((const mime_address *)g_ptr_array_index(from, 0))->addr);
		}
		if (message_id != NULL && run->returned != NULL &&
		    g_hash_table_contains(run->returned, message_id)) {
			/* The assistant undid vea's filing: leave it be. */
			mime_message_free(&mime);
			agent_message_free(msg);
			return 0;
		}
		if (run->dedupe_by_message_id && message_id != NULL) {
			int handled = store_message_was_handled(run->store, run->account->id,
								run->mailbox, message_id, error_r);
			if (handled < 0) {
				mime_message_free(&mime);
				agent_message_free(msg);
				return -1;
			}
			if (handled > 0) {
				mime_message_free(&mime);
				agent_message_free(msg);
				return 0;
			}
		}
		if (run->rules != NULL) {
			run->evaluating = msg;
			run->evaluating_mime = mime;
			actions = rules_set_evaluate(run->rules, mime, &run->sieve_options, &rule_errors);
			run->evaluating = NULL;
			run->evaluating_mime = NULL;
		} else {
			actions = g_ptr_array_new_with_free_func((GDestroyNotify)sieve_action_free);
			sieve_action *keep = g_new0(sieve_action, 1);
			keep->type = SIEVE_ACTION_KEEP;
			keep->implicit = TRUE;
			g_ptr_array_add(actions, keep);
		}
		for (guint i = 0; rule_errors != NULL && i < rule_errors->len; i++)
			log_error("account %s: mailbox %s: UID %u: %s; the message is kept",
				  run->account->id, run->mailbox, fetched->uid,
				  (const char *)g_ptr_array_index(rule_errors, i));
	}
	msg->steps = plan_message(actions, run->mailbox, run->account->trash, &run->names);
	for (guint i = 0; mime != NULL && i < msg->steps->len; i++) {
		plan_step *step = g_ptr_array_index(msg->steps, i);

		if (action_kind_get(step->row.kind)->execution == ACTION_EXECUTION_OUTBOX)
			agent_outgoing_prepare(run, step, mime, fetched->data, fetched->len);
		else if (action_kind_get(step->row.kind)->execution == ACTION_EXECUTION_TIMER)
			agent_timer_prepare(run, step, mime, msg);
		else if (action_kind_get(step->row.kind)->execution == ACTION_EXECUTION_APPEND)
			agent_draft_prepare(run, step, mime);
		else if (step->row.kind == ACTION_SCHEDULE)
			agent_schedule_prepare(run, step, mime);
		step->source = NULL; /* the actions are freed below */
	}
	agent_invitation_reset(run);
	mime_message_free(&mime);
	g_ptr_array_add(run->messages, msg);
	return 0;
}

static void agent_fill_row(agent_run *run, const agent_message *msg, store_action *row)
{
	row->client = run->account->client->id;
	row->account = run->account->id;
	row->mailbox = (char *)run->mailbox;
	row->uidvalidity = run->uidvalidity;
	row->uid = msg->uid;
	row->message_id = msg->message_id;
	row->from = msg->from;
	row->subject = msg->subject;
}

/* The configured time-cost of an action (vea.conf: cost_fileinto and the
 * like), charged to the client's default billing account, linked to the
 * action so that it is charged once. */
static int agent_bill_automatic(agent_run *run, const agent_message *msg,
				const store_action *row, char **error_r)
{
	const conf_client *client = run->account->client;
	conf_billing *billing;
	conf_cost_kind kind;
	char *error = NULL;

	kind = action_kind_get(row->kind)->cost;
	if (kind == CONF_COST_COUNT)
		return 0;
	billing = conf_client_billing(run->conf, client, NULL, &error);
	if (billing == NULL) {
		g_free(error); /* no billing account: nothing to charge */
		return 0;
	}
	if (billing->costs[kind] == 0)
		return 0;

	g_autofree char *key = g_strdup_printf("%s/%s/%u/%u", run->account->id, run->mailbox,
					       run->uidvalidity, msg->uid);
	g_autofree char *description = agent_step_summary(row);
	store_ledger_entry entry = {
		.client = client->id,
		.billing_account = billing->id,
		.seconds = billing->costs[kind],
		.description = description,
		.category = action_kind_get(row->kind)->billing_category,
		.source = "rule",
		.action_id = row->id,
		.message_key = key,
	};

	if (store_ledger_insert(run->store, &entry, NULL, error_r) < 0)
		return -1;
	agent_report_bill(run->report, billing->id, entry.seconds);
	return 0;
}

/* Journal a chunk of messages (and their ledger entries) in one
 * transaction that also moves the mailbox's sync point past them. */
static int agent_journal_chunk(agent_run *run, guint first, guint last,
			       GPtrArray *batches, char **error_r)
{
	const conf_client *client = run->account->client;
	gboolean queued = FALSE, timers_due = FALSE;

	if (store_transaction_begin(run->store, error_r) < 0)
		return -1;
	for (guint i = first; i < last; i++) {
		agent_message *msg = g_ptr_array_index(run->messages, i);
		gboolean message_billed = FALSE;
		int64_t now = clock_now_unix();

		if (agent_timers_message_seen(run, msg, now, &timers_due, error_r) < 0)
			goto fail;
		for (guint j = 0; msg->duplicate_marks != NULL && j < msg->duplicate_marks->len; j++) {
			agent_duplicate_mark *mark = g_ptr_array_index(msg->duplicate_marks, j);

			if (store_duplicate_mark(run->store, client->id, mark->id, now, mark->seconds,
						 mark->refresh, error_r) < 0)
				goto fail;
		}

		/* A `bill` in the rules prices the message itself; the
		 * configured per-action costs are for the rest. */
		for (guint j = 0; j < msg->steps->len; j++)
			message_billed |= ((plan_step *)g_ptr_array_index(msg->steps, j))->is_bill;
		for (guint j = 0; j < msg->steps->len; j++) {
			plan_step *step = g_ptr_array_index(msg->steps, j);
			conf_billing *billing = NULL;
			char *bill_error = NULL;
			int64_t outbox_id = 0;

			if (step->is_bill) {
				billing = conf_client_billing(run->conf, client, step->billing_account, &bill_error);
				if (billing == NULL) {
					step->row.state = STORE_ACTION_FAILED;
					g_free(step->row.reason);
					step->row.reason = g_strdup(bill_error);
					log_error("account %s: UID %u: %s:%d: bill: %s", run->account->id,
						  msg->uid, step->row.rule_file, step->row.rule_line, bill_error);
					g_free(bill_error);
				} else {
					step->row.state = STORE_ACTION_DONE;
					g_free(step->row.result);
					step->row.result = g_strdup("done");
				}
			}
			agent_fill_row(run, msg, &step->row);
			if (store_action_insert(run->store, &step->row, &step->row.id, error_r) < 0)
				goto fail;
			if (step->outgoing != NULL) {
				/* Queued with its journal row: decided and queued
				 * happen together or not at all. */
				step->outgoing->action_id = step->row.id;
				if (store_outbox_insert(run->store, step->outgoing, &outbox_id, error_r) < 0)
					goto fail;
				if (step->track_sender != NULL &&
				    store_vacation_track(run->store, client->id, step->track_sender,
							 step->track_handle, outbox_id, step->track_period,
							 error_r) < 0)
					goto fail;
				run->report->queued_messages++;
				queued = TRUE;
			}
			if (step->timer != NULL && step->row.state != STORE_ACTION_SKIPPED &&
			    step->row.state != STORE_ACTION_FAILED) {
				/* Set with its journal row: a crash loses or
				 * doubles neither. */
				step->timer->action_id = step->row.id;
				if (store_timer_insert(run->store, step->timer, &step->timer->id, error_r) < 0)
					goto fail;
				timers_due |= step->timer->due_at <= now;
			}
			if (step->schedule != NULL) {
				step->schedule->action_id = step->row.id;
				step->schedule->outbox_id = outbox_id;
				if (store_schedule_insert(run->store, step->schedule, NULL, error_r) < 0)
					goto fail;
			}
			if (step->draft != NULL) {
				/* Recorded with its journal row; written after
				 * the commit (agent_drafts_write). */
				step->draft->action_id = step->row.id;
				if (store_draft_insert(run->store, step->draft, NULL, error_r) < 0)
					goto fail;
			}
			if (billing != NULL) {
				g_autofree char *key = g_strdup_printf("%s/%s/%u/%u", run->account->id,
								       run->mailbox, run->uidvalidity, msg->uid);
				store_ledger_entry entry = {
					.client = client->id,
					.billing_account = billing->id,
					.seconds = step->seconds,
					.description = step->description,
					.category = "triage",
					.source = "rule",
					.action_id = step->row.id,
					.message_key = key,
				};

				if (store_ledger_insert(run->store, &entry, NULL, error_r) < 0)
					goto fail;
				agent_report_bill(run->report, billing->id, step->seconds);
			}
			if (!step->is_bill && !message_billed &&
			    agent_bill_automatic(run, msg, &step->row, error_r) < 0)
				goto fail;
			if (step->row.state == STORE_ACTION_PLANNED && step->draft == NULL)
				agent_batches_add(batches, &step->row, msg->uid);
			else if (step->row.state == STORE_ACTION_FAILED)
				run->report->failed_actions++;
		}
	}
	if (last > first) {
		agent_message *msg = g_ptr_array_index(run->messages, last - 1);

		if (store_mailbox_set(run->store, run->account->id, run->mailbox,
				      run->uidvalidity, msg->uid, error_r) < 0)
			goto fail;
	}
	if (store_transaction_commit(run->store, error_r) < 0)
		goto fail;
	if (queued)
		outbox_thread_wake();
	if (timers_due)
		agent_timers_thread_wake();
	return 0;
fail:
	store_transaction_rollback(run->store);
	return -1;
}

static void agent_report_messages(agent_run *run, guint first, guint last)
{
	for (guint i = first; i < last; i++) {
		agent_message *msg = g_ptr_array_index(run->messages, i);

		run->report->messages++;
		for (guint j = 0; j < msg->steps->len; j++) {
			plan_step *step = g_ptr_array_index(msg->steps, j);
			g_autofree char *summary = NULL;

			if (step->is_bill)
				continue;
			summary = agent_step_summary(&step->row);
			agent_report_count(run->report, summary);
			if (run->options->dry_run) {
				g_ptr_array_add(run->report->dry_run_lines,
						g_strdup_printf("%s UID %u \"%s\" from %s: would be %s (%s:%d)",
								run->mailbox, msg->uid, msg->subject, msg->from,
								summary, step->row.rule_file != NULL ? step->row.rule_file : "implicit keep",
								step->row.rule_line));
			}
		}
	}
}

int agent_sync_mailbox(agent_run *run, const char *mailbox)
{
	imap_mailbox_status status;
	uint32_t stored_validity = 0, last_uid = 0;
	gint64 started = g_get_monotonic_time();
	GPtrArray *batches = NULL;
	guint round_start = 0;
	gboolean stopped = FALSE;
	char *error = NULL;
	int known, ret;

	run->mailbox = mailbox;
	g_clear_pointer(&run->mailbox_server, g_free);
	g_hash_table_remove_all(run->pending_keys);
	g_hash_table_remove_all(run->pending_outgoing);
	run->mailbox_server = agent_server_name(run, mailbox, &error);
	if (run->mailbox_server == NULL ||
	    imap_session_select(run->imap, run->mailbox_server, &status, &error) < 0)
		goto fail;
	run->uidvalidity = status.uidvalidity;
	run->read_only = status.read_only;
	known = store_mailbox_get(run->store, run->account->id, mailbox, &stored_validity,
				  &last_uid, &error);
	if (known < 0)
		goto fail;
	run->dedupe_by_message_id = FALSE;
	if (known > 0 && stored_validity != status.uidvalidity) {
		/* RFC 3501 2.3.1.1: every UID may now name another message.
		 * Start over, recognising handled messages by Message-ID. */
		log_warning("account %s: mailbox %s: UIDVALIDITY changed (%u -> %u); matching handled messages by Message-ID",
			    run->account->id, mailbox, stored_validity, status.uidvalidity);
		last_uid = 0;
		run->dedupe_by_message_id = TRUE;
	}
	if (status.uidnext != 0 && last_uid + 1 >= status.uidnext && known > 0 &&
	    !run->dedupe_by_message_id)
		return 0; /* nothing new */
	if (known == 0 && run->account->since_year != 0) {
		uint32_t first = 0;

		/* A first sync that starts at a date: older mail is left as
		 * the assistant found it. */
		if (imap_session_first_uid_since(run->imap, run->account->since_day,
						 run->account->since_month, run->account->since_year,
						 &first, &error) < 0)
			goto fail;
		last_uid = first == 0 ? (status.uidnext > 0 ? status.uidnext - 1 : 0) : first - 1;
		log_info("account %s: mailbox %s: first sync starts at messages since %04d-%02d-%02d",
			 run->account->id, mailbox, run->account->since_year,
			 run->account->since_month, run->account->since_day);
	}

	g_clear_pointer(&run->returned, g_hash_table_destroy);
	if (store_undone_message_ids(run->store, run->account->id, mailbox, &run->returned,
				     &error) < 0)
		goto fail;
	/* Mail a timer brings or brought back (agent/timers.h): not
	 * triaged, nor snoozed, again. */
	if (store_timer_returned_ids(run->store, run->account->id, mailbox, clock_now_unix(),
				     run->returned, &error) < 0)
		goto fail;
	/* What mailboxexists answers from: the rules run while the fetch
	 * holds the connection, so the list is taken first (one LIST per
	 * sync that has new mail). */
	if (run->rules != NULL) {
		GHashTable *names = NULL;
		GHashTableIter iter;
		gpointer name;

		if (imap_session_list_mailboxes(run->imap, &names, &error) < 0)
			goto fail;
		g_hash_table_iter_init(&iter, names);
		while (g_hash_table_iter_next(&iter, &name, NULL))
			g_hash_table_add(run->known_mailboxes, g_strdup(name));
		g_hash_table_destroy(names);
	}
	run->messages = g_ptr_array_new_with_free_func((GDestroyNotify)agent_message_free);
	run->fetched_uid = 0;
	if (imap_session_fetch_from(run->imap, last_uid + 1,
				    run->rules == NULL || !run->rules->needs_body, 0,
				    agent_fetched_message, run, &error) < 0)
		goto fail;

	/* Journal in chunks (one transaction each), but carry out the
	 * journalled actions in larger rounds: one UID MOVE per destination
	 * costs the server about as much for 5,000 messages as for 500. */
	batches = g_ptr_array_new_with_free_func((GDestroyNotify)agent_batch_free);
	for (guint first = 0; first < run->messages->len; first += AGENT_CHUNK_MESSAGES) {
		guint last = MIN(first + AGENT_CHUNK_MESSAGES, run->messages->len);

		/* Asked to stop: what is journalled is carried out below; the
		 * rest waits for the next start (the sync point has not moved
		 * past it). */
		if (agent_stopping(run)) {
			stopped = TRUE;
			break;
		}
		if (run->options->dry_run) {
			agent_report_messages(run, first, last);
			continue;
		}
		if (agent_journal_chunk(run, first, last, batches, &error) < 0)
			goto fail;
		agent_report_messages(run, first, last);
		if (last - round_start >= AGENT_EXECUTE_MESSAGES || last == run->messages->len) {
			ret = agent_execute_batches(run, batches);
			g_ptr_array_set_size(batches, 0);
			round_start = last;
			if (ret < 0)
				goto out;
		}
		if (run->options->progress && run->messages->len > AGENT_CHUNK_MESSAGES) {
			double seconds = (g_get_monotonic_time() - started) / (double)G_USEC_PER_SEC;

			log_info("account %s: mailbox %s: %u/%u messages (%.0f/s)", run->account->id,
				 mailbox, last, run->messages->len, seconds > 0 ? last / seconds : 0.0);
		}
	}
	if (batches->len > 0 && agent_execute_batches(run, batches) < 0)
		goto out;
	if (!stopped && !run->options->dry_run) {
		/* Past everything this sync saw, also what it skipped (mail
		 * already handled before a UIDVALIDITY change, mail put back by
		 * vea undo), which no chunk journals: else every later sync
		 * would fetch it all again. A UID below UIDNEXT that the fetch
		 * did not return names no message. */
		uint32_t through = MAX(run->fetched_uid,
				       status.uidnext > 0 ? status.uidnext - 1 : 0);

		if ((through > last_uid || run->dedupe_by_message_id || known == 0) &&
		    store_mailbox_set(run->store, run->account->id, mailbox, run->uidvalidity,
				      MAX(through, last_uid), &error) < 0)
			goto fail;
	}
	g_ptr_array_unref(batches);
	g_clear_pointer(&run->messages, g_ptr_array_unref);
	return 0;
fail:
	agent_fail(run, "mailbox %s: %s", mailbox, error);
	g_free(error);
out:
	if (batches != NULL)
		g_ptr_array_unref(batches);
	g_clear_pointer(&run->messages, g_ptr_array_unref);
	return -1;
}
