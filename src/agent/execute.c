/* How planned actions are carried out on the server. */

#include "agent/agent-private.h"
#include "util/log.h"

#include <string.h>

void agent_batch_free(agent_batch *batch)
{
	g_free(batch->argument);
	g_array_unref(batch->uids);
	g_array_unref(batch->action_ids);
	g_free(batch);
}

void agent_batches_add(GPtrArray *batches, const store_action *row, uint32_t uid)
{
	agent_batch *batch = NULL;

	for (guint i = 0; i < batches->len && batch == NULL; i++) {
		agent_batch *b = g_ptr_array_index(batches, i);

		if (b->operation == row->operation && strcmp(b->argument, row->argument) == 0)
			batch = b;
	}
	if (batch == NULL) {
		batch = g_new0(agent_batch, 1);
		batch->operation = row->operation;
		batch->argument = g_strdup(row->argument);
		batch->uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
		batch->action_ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
		g_ptr_array_add(batches, batch);
	}
	batch->create = batch->create || row->create_mailbox;
	g_array_append_val(batch->uids, uid);
	g_array_append_val(batch->action_ids, row->id);
}

/* Order matters: flags before copies before moves, so that what moves
 * carries its flags and copies are made before the original leaves. */
static int agent_batch_compare(gconstpointer a, gconstpointer b)
{
	const agent_batch *x = *(agent_batch *const *)a, *y = *(agent_batch *const *)b;
	static const int rank[] = {
		[STORE_OPERATION_NONE] = 0, [STORE_OPERATION_FLAGS] = 1,
		[STORE_OPERATION_COPY] = 2, [STORE_OPERATION_MOVE] = 3,
	};

	return rank[x->operation] - rank[y->operation];
}

/* Carry out one batch on the selected mailbox. Returns 0 done, -1 failed
 * (*error_r): refused when the session is still usable, else lost (the
 * caller leaves the rows planned, to be redone after reconnecting). */
static int agent_batch_execute(agent_run *run, const agent_batch *batch, char **error_r)
{
	g_autofree char *server = NULL;
	int ret;

	switch (batch->operation) {
	case STORE_OPERATION_NONE:
		return 0;
	case STORE_OPERATION_FLAGS: {
		g_auto(GStrv) flags = g_strsplit(batch->argument, " ", -1);

		ret = imap_session_add_flags(run->imap, batch->uids, (const char *const *)flags, error_r);
		break;
	}
	case STORE_OPERATION_COPY:
	case STORE_OPERATION_MOVE:
		server = agent_prepare_destination(run, batch->argument, batch->create, error_r);
		if (server == NULL)
			return -1;
		if (batch->operation == STORE_OPERATION_COPY)
			ret = imap_session_copy(run->imap, batch->uids, server, error_r);
		else
			ret = imap_session_move(run->imap, batch->uids, server, error_r);
		break;
	default:
		g_assert_not_reached();
	}
	return ret < 0 ? -1 : 0;
}

/* Execute batches in order and record each outcome in one transaction.
 * A batch that fails is journalled as failed with the reason; the message
 * stays where it was.
 *
 * Moves to several mailboxes: a MOVE is an expunge in the source, and a
 * server pays for an expunge by the size of the mailbox, not by the
 * messages expunged (Dovecot rewrites a Maildir's UID list: half a second
 * at 50,000 messages). So where the server has UIDPLUS the moves of a
 * round are one UID COPY per destination and then a single \Deleted +
 * UID EXPUNGE of exactly what was copied (RFC 4315 section 2.1). Should
 * that expunge not happen, the rows stay planned and agent_recover_moves
 * finds the copies and only expunges. */
int agent_execute_batches(agent_run *run, GPtrArray *batches)
{
	g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GArray) copied = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	g_autoptr(GArray) still_planned = g_array_new(FALSE, TRUE, sizeof(gboolean));
	/* Refused for now (IMAP_ERROR_TEMPORARY): planned, whatever else
	 * happens to the round. */
	g_autoptr(GArray) deferred = g_array_new(FALSE, TRUE, sizeof(gboolean));
	g_autoptr(GHashTable) changed = g_hash_table_new(g_direct_hash, g_direct_equal);
	char *error = NULL, *expunge_error = NULL;
	g_autofree char *expunge_refused = NULL, *lost = NULL;
	guint n_moves = 0;
	gboolean merge, modseq_taken = FALSE;
	uint64_t modseq = 0;

	g_ptr_array_sort(batches, agent_batch_compare);
	for (guint i = 0; i < batches->len; i++) {
		const agent_batch *batch = g_ptr_array_index(batches, i);

		n_moves += batch->operation == STORE_OPERATION_MOVE;
	}
	merge = n_moves >= 2 && imap_session_has_capability(run->imap, "UIDPLUS") &&
		!run->read_only;
	g_array_set_size(still_planned, batches->len);
	g_array_set_size(deferred, batches->len);
	for (guint i = 0; i < batches->len; i++) {
		agent_batch *batch = g_ptr_array_index(batches, i);
		gboolean copy_only = merge && batch->operation == STORE_OPERATION_MOVE;
		imap_error_kind kind;
		int ret;

		if (lost != NULL) {
			/* The connection is gone: the rest stays planned, for
			 * the recovery after reconnecting. */
			g_ptr_array_add(results, NULL);
			g_array_index(still_planned, gboolean, i) = TRUE;
			continue;
		}

		run->refused_here = FALSE;
		if (copy_only && !modseq_taken) {
			/* CONDSTORE (RFC 7162): what the moved messages were
			 * like when copied, so that one another client changes
			 * meanwhile is not expunged with its change. */
			g_autoptr(GArray) moving = g_array_new(FALSE, FALSE, sizeof(uint32_t));

			for (guint j = i; j < batches->len; j++) {
				const agent_batch *b = g_ptr_array_index(batches, j);

				if (b->operation == STORE_OPERATION_MOVE)
					g_array_append_vals(moving, b->uids->data, b->uids->len);
			}
			if (imap_session_max_modseq(run->imap, moving, &modseq, &error) < 0) {
				log_warning("account %s: mailbox %s: %s", run->account->id,
					    run->mailbox, error);
				g_clear_pointer(&error, g_free);
				modseq = 0;
			}
			modseq_taken = TRUE;
		}
		if (run->read_only && batch->operation != STORE_OPERATION_COPY) {
			/* Dovecot would answer OK and change nothing; a move
			 * would leave a copy behind. */
			error = g_strdup_printf("the server opened %s read-only for this "
						"account: no flag can be set or message moved there",
						run->mailbox);
			run->refused_here = TRUE;
			ret = -1;
		} else if (copy_only) {
			g_autofree char *server = agent_prepare_destination(
				run, batch->argument, batch->create, &error);

			ret = server == NULL ? -1 :
					       imap_session_copy(run->imap, batch->uids, server, &error);
			if (ret == 0)
				g_array_append_vals(copied, batch->uids->data, batch->uids->len);
		} else {
			ret = agent_batch_execute(run, batch, &error);
		}
		kind = ret == 0 ? IMAP_ERROR_NONE : imap_session_error_kind(run->imap);
		if (ret < 0 && run->refused_here && kind != IMAP_ERROR_SESSION_LOST)
			kind = IMAP_ERROR_REFUSED;
		if (kind == IMAP_ERROR_SESSION_LOST) {
			/* Lost, not refused (a cut connection, BYE, a time-out):
			 * retried later, never failed for good. */
			lost = error;
			error = NULL;
			g_ptr_array_add(results, NULL);
			g_array_index(still_planned, gboolean, i) = TRUE;
		} else if (kind == IMAP_ERROR_TEMPORARY) {
			/* "Not now" (RFC 5530: over quota, in use...): the rows
			 * stay planned and the next sync tries again. */
			log_warning("account %s: mailbox %s: %s; %u actions left planned, tried "
				    "again at the next sync", run->account->id, run->mailbox, error,
				    batch->action_ids->len);
			g_clear_pointer(&error, g_free);
			g_ptr_array_add(results, NULL);
			g_array_index(deferred, gboolean, i) = TRUE;
			run->retry_planned = TRUE;
		} else if (ret < 0) {
			log_error("account %s: mailbox %s: %s %s (UIDs %u..%u): %s",
				  run->account->id, run->mailbox,
				  batch->operation == STORE_OPERATION_FLAGS ? "adding flags" :
				  batch->operation == STORE_OPERATION_COPY ? "copying to" : "moving to",
				  batch->argument, g_array_index(batch->uids, uint32_t, 0),
				  g_array_index(batch->uids, uint32_t, batch->uids->len - 1), error);
			g_ptr_array_add(results, g_strdup(error));
			run->report->failed_actions += batch->action_ids->len;
			g_clear_pointer(&error, g_free);
		} else {
			g_ptr_array_add(results, NULL);
			g_array_index(still_planned, gboolean, i) = copy_only;
		}
	}
	if (copied->len > 0 && lost == NULL) {
		static const char *const deleted[] = { "\\Deleted", NULL };
		g_autoptr(GArray) refused = NULL;
		g_autoptr(GArray) expunge = g_array_new(FALSE, FALSE, sizeof(uint32_t));
		int ret;

		if (modseq > 0) {
			ret = imap_session_delete_unchanged(run->imap, copied, modseq, &refused,
							    &expunge_error);
			for (guint i = 0; ret == 0 && i < refused->len; i++)
				g_hash_table_add(changed, GUINT_TO_POINTER(g_array_index(
								  refused, uint32_t, i)));
		} else {
			ret = imap_session_add_flags(run->imap, copied, deleted, &expunge_error);
		}
		for (guint i = 0; ret == 0 && i < copied->len; i++) {
			uint32_t uid = g_array_index(copied, uint32_t, i);

			if (!g_hash_table_contains(changed, GUINT_TO_POINTER(uid)))
				g_array_append_val(expunge, uid);
		}
		if (ret == 0 && expunge->len > 0)
			ret = imap_session_expunge_deleted(run->imap, expunge, &expunge_error);
		if (ret < 0 && imap_session_error_kind(run->imap) == IMAP_ERROR_TEMPORARY) {
			/* Copied, not yet removed: the rows stay planned and the
			 * recovery at the next sync finds the copies and only
			 * expunges (agent_recover_moves). */
			log_warning("account %s: mailbox %s: removing the originals of %u moved "
				    "messages: %s; tried again at the next sync", run->account->id,
				    run->mailbox, copied->len, expunge_error);
			g_clear_pointer(&expunge_error, g_free);
			run->retry_planned = TRUE;
		} else if (ret == 0 || imap_session_usable(run->imap)) {
			/* Done, or refused by the server (a read-only mailbox,
			 * no right to expunge): then the copies stay and the
			 * originals too, without the \Deleted (below), and the
			 * rows fail with the reason rather than wait for a
			 * recovery that would be refused again. */
			for (guint i = 0; i < batches->len; i++)
				g_array_index(still_planned, gboolean, i) = FALSE;
			if (ret < 0) {
				char *ignored = NULL;

				if (imap_session_remove_flags(run->imap, copied, deleted, &ignored) < 0)
					g_free(ignored);
				expunge_refused = expunge_error;
				expunge_error = NULL;
			}
		}
	}
	if (store_transaction_begin(run->store, &error) < 0)
		goto fail;
	for (guint i = 0; i < batches->len; i++) {
		agent_batch *batch = g_ptr_array_index(batches, i);
		const char *result = g_ptr_array_index(results, i);

		for (guint j = 0; j < batch->action_ids->len; j++) {
			uint32_t uid = g_array_index(batch->uids, uint32_t, j);
			g_autofree char *refused = NULL;

			if (g_array_index(deferred, gboolean, i))
				continue;
			/* Copied, removal cut off: finished by the recovery,
			 * except where another client's change was seen (that
			 * original stays, whatever happens next). */
			if (g_array_index(still_planned, gboolean, i) &&
			    !g_hash_table_contains(changed, GUINT_TO_POINTER(uid)))
				continue;

			if (result == NULL && batch->operation == STORE_OPERATION_MOVE &&
			    g_hash_table_contains(changed, GUINT_TO_POINTER(uid))) {
				refused = g_strdup_printf(
					"another client changed the message while vea moved "
					"it: copied to %s, the original left in %s",
					batch->argument, run->mailbox);
			} else if (result == NULL && batch->operation == STORE_OPERATION_MOVE &&
				   merge && expunge_refused != NULL) {
				refused = g_strdup_printf(
					"copied to %s, but the server would not let the "
					"original be removed from %s: %s",
					batch->argument, run->mailbox, expunge_refused);
			}
			if (refused != NULL) {
				log_warning("account %s: mailbox %s: UID %u %s", run->account->id,
					    run->mailbox, uid, refused);
				run->report->failed_actions++;
			}
			if (result != NULL || refused != NULL)
				agent_report_recovery_failure(run, refused != NULL ? refused : result);
			int64_t id = g_array_index(batch->action_ids, int64_t, j);

			if ((result == NULL && refused == NULL
				     ? store_action_set_done(run->store, id, NULL, &error)
				     : store_action_set_failed(run->store, id,
							       refused != NULL ? refused : result,
							       &error)) < 0)
				goto fail;
		}
	}
	if (store_transaction_commit(run->store, &error) < 0)
		goto fail;
	if (lost != NULL) {
		agent_fail(run, "mailbox %s: %s; the actions not yet done are finished after "
			   "reconnecting", run->mailbox, lost);
		return -1;
	}
	if (expunge_error != NULL) {
		/* Copied, not yet expunged: finished after reconnecting. */
		agent_fail(run, "mailbox %s: removing the originals of %u moved messages: %s",
			   run->mailbox, copied->len, expunge_error);
		g_free(expunge_error);
		return -1;
	}
	return 0;
fail:
	store_transaction_rollback(run->store);
	agent_fail(run, "%s", error);
	g_free(error);
	g_free(expunge_error);
	return -1;
}
