/* How what a crash left planned is finished. */

#include "agent/agent-private.h"
#include "util/log.h"

#include <string.h>

/* Select a destination of planned copies or moves: 1 when selected, 0
 * when it does not exist (nothing can have been copied there), -1 on
 * error. */
static int agent_select_destination(agent_run *run, const char *destination, char **error_r)
{
	g_autofree char *server = agent_server_name(run, destination, error_r);
	imap_mailbox_status status;
	int exists;

	if (server == NULL)
		return -1;
	exists = imap_session_mailbox_exists(run->imap, server, error_r);
	if (exists <= 0)
		return exists;
	/* Read-only: looking does not clear \Recent. */
	return imap_session_examine(run->imap, server, &status, error_r) < 0 ? -1 : 1;
}

/* What identifies a copy: the header byte for byte and the size (a COPY
 * changes neither; another delivery of the same message has its own
 * Received and Delivered-To fields). */
static char *agent_copy_identity(const imap_fetched *fetched)
{
	g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
							   (const guchar *)fetched->data,
							   fetched->len);

	return g_strdup_printf("%u:%s", fetched->size, sum);
}

typedef struct agent_identities {
	GHashTable *by_uid;  /* uid -> agent_copy_identity() */
	GArray *deleted;     /* uids flagged \Deleted */
} agent_identities;

static int agent_collect_identity(const imap_fetched *fetched, void *context, char **error_r)
{
	agent_identities *ids = context;

	(void)error_r;
	g_hash_table_insert(ids->by_uid, GUINT_TO_POINTER(fetched->uid),
			    agent_copy_identity(fetched));
	for (char **flag = fetched->flags; flag != NULL && *flag != NULL; flag++) {
		if (g_ascii_strcasecmp(*flag, "\\Deleted") == 0)
			g_array_append_val(ids->deleted, fetched->uid);
	}
	return 0;
}

/* During recovery, a refusal that leaves the session usable (a name the
 * server cannot have, a mailbox that cannot be opened, NO to a search)
 * concerns that mailbox only: the check it was for is skipped, and the
 * rows are redone as on a first attempt, which fails them with the
 * server's reason. Only a lost session stops the recovery, to be tried
 * again after reconnecting. Clears *error_r when it returns TRUE. */
static gboolean agent_recover_refused(agent_run *run, const char *mailbox, char **error_r)
{
	imap_error_kind kind = imap_session_error_kind(run->imap);

	/* "Not now" stops this mailbox's recovery too: its rows stay
	 * planned (agent_recover). */
	if (kind == IMAP_ERROR_SESSION_LOST ||
	    (kind == IMAP_ERROR_TEMPORARY && !run->refused_here))
		return FALSE;
	run->refused_here = FALSE;
	log_warning("account %s: recovery: mailbox %s: %s", run->account->id, mailbox,
		    *error_r != NULL ? *error_r : "refused");
	g_clear_pointer(error_r, g_free);
	return TRUE;
}

/* A planned move may have been carried out halfway (copied, perhaps
 * flagged \Deleted, not yet expunged: agent_execute_batches). Where the
 * original is still here and its copy is in the destination (found by
 * Message-ID, then recognised by agent_copy_identity), only the original
 * is expunged. The other rows are redone as usual (a MOVE of a UID that is
 * gone does nothing), after taking off a \Deleted the interrupted round
 * may have set, so that what is moved again does not arrive marked for
 * deletion. Adds the rows finished here to done. */
static int agent_recover_moves(agent_run *run, GPtrArray *pending, const char *mailbox,
			       GHashTable *done, char **error_r)
{
	static const char *const deleted[] = { "\\Deleted", NULL };
	g_autoptr(GPtrArray) rows = g_ptr_array_new();
	g_autoptr(GHashTable) originals = NULL, destinations = NULL;
	g_autoptr(GArray) originals_deleted = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	g_autoptr(GArray) undelete = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	agent_identities ids;
	g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	g_autoptr(GArray) expunge = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	g_autoptr(GPtrArray) finished = g_ptr_array_new();
	g_autofree char *source = NULL;
	imap_mailbox_status status;
	GHashTableIter iter;
	gpointer key;

	if (!imap_session_has_capability(run->imap, "UIDPLUS"))
		return 0;
	for (guint i = 0; i < pending->len; i++) {
		store_action *row = g_ptr_array_index(pending, i);

		/* Rows without a Message-ID cannot have their copy found,
		 * but their original's \Deleted is taken off all the same. */
		if (row->operation == STORE_OPERATION_MOVE &&
		    strcmp(row->mailbox, mailbox) == 0 && !g_hash_table_contains(done, row))
			g_ptr_array_add(rows, row);
	}
	if (rows->len == 0)
		return 0;
	source = agent_server_name(run, mailbox, error_r);
	if (source == NULL || imap_session_select(run->imap, source, &status, error_r) < 0)
		return -1;
	for (guint i = 0; i < rows->len; i++) {
		store_action *row = g_ptr_array_index(rows, i);

		if (row->uidvalidity == status.uidvalidity)
			g_array_append_val(uids, row->uid);
	}
	if (uids->len == 0)
		return 0;
	originals = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	ids.by_uid = originals;
	ids.deleted = originals_deleted;
	if (imap_session_fetch_uids(run->imap, uids, TRUE, agent_collect_identity, &ids,
				    error_r) < 0)
		return agent_recover_refused(run, mailbox, error_r) ? 0 : -1;
	if (g_hash_table_size(originals) == 0)
		return 0; /* all gone: moved, or the rows are redone */
	destinations = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < rows->len; i++) {
		store_action *row = g_ptr_array_index(rows, i);

		if (row->uidvalidity == status.uidvalidity && row->message_id != NULL &&
		    g_hash_table_contains(originals, GUINT_TO_POINTER(row->uid)))
			g_hash_table_add(destinations, row->argument);
	}
	g_hash_table_iter_init(&iter, destinations);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		const char *destination = key;
		int selected = agent_select_destination(run, destination, error_r);

		if (selected < 0 && agent_recover_refused(run, destination, error_r))
			continue;
		if (selected < 0)
			return -1;
		if (selected == 0)
			continue;
		for (guint i = 0; i < rows->len; i++) {
			store_action *row = g_ptr_array_index(rows, i);
			const char *original = g_hash_table_lookup(originals,
								   GUINT_TO_POINTER(row->uid));
			g_autoptr(GHashTable) found = NULL;
			GArray *matches = NULL;
			GHashTableIter it;
			gpointer value;

			if (original == NULL || row->uidvalidity != status.uidvalidity ||
			    row->message_id == NULL || strcmp(row->argument, destination) != 0)
				continue;
			if (imap_session_search_message_id(run->imap, row->message_id, &matches,
							   error_r) < 0) {
				if (agent_recover_refused(run, destination, error_r))
					continue;
				return -1;
			}
			found = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
			ids.by_uid = found;
			ids.deleted = undelete; /* ignored here */
			if (matches->len > 0 &&
			    imap_session_fetch_uids(run->imap, matches, TRUE, agent_collect_identity,
						    &ids, error_r) < 0) {
				g_array_free(matches, TRUE);
				if (agent_recover_refused(run, destination, error_r))
					continue;
				return -1;
			}
			g_array_free(matches, TRUE);
			g_hash_table_iter_init(&it, found);
			while (g_hash_table_iter_next(&it, NULL, &value)) {
				if (strcmp(value, original) == 0) {
					g_array_append_val(expunge, row->uid);
					g_ptr_array_add(finished, row);
					break;
				}
			}
		}
	}
	/* Originals marked \Deleted whose copy is not there: redone. */
	g_array_set_size(undelete, 0);
	for (guint i = 0; i < originals_deleted->len; i++) {
		uint32_t uid = g_array_index(originals_deleted, uint32_t, i);
		gboolean copied = FALSE;

		for (guint j = 0; j < expunge->len && !copied; j++)
			copied = g_array_index(expunge, uint32_t, j) == uid;
		if (!copied)
			g_array_append_val(undelete, uid);
	}
	if (finished->len == 0 && undelete->len == 0)
		return 0;
	{
		uint32_t uidvalidity = status.uidvalidity;

		if (imap_session_select(run->imap, source, &status, error_r) < 0)
			return -1;
		if (status.uidvalidity != uidvalidity) {
			/* agent_recover fails the rows: their UIDs name other
			 * messages now. */
			log_warning("account %s: mailbox %s: UIDVALIDITY changed during recovery",
				    run->account->id, mailbox);
			return 0;
		}
	}
	if (undelete->len > 0 &&
	    imap_session_remove_flags(run->imap, undelete, deleted, error_r) < 0) {
		if (!imap_session_usable(run->imap))
			return -1;
		log_warning("account %s: mailbox %s: %s", run->account->id, mailbox, *error_r);
		g_clear_pointer(error_r, g_free);
	}
	if (finished->len == 0)
		return 0;
	if (imap_session_expunge_uids(run->imap, expunge, error_r) < 0) {
		g_autofree char *why = NULL;
		imap_error_kind kind = imap_session_error_kind(run->imap);

		if (kind == IMAP_ERROR_SESSION_LOST || kind == IMAP_ERROR_TEMPORARY)
			return -1;
		/* Refused (no right to expunge here): the copies stay, the
		 * originals too, and the rows say so rather than block every
		 * later start. */
		why = *error_r;
		*error_r = NULL;
		for (guint i = 0; i < finished->len; i++) {
			store_action *row = g_ptr_array_index(finished, i);
			g_autofree char *result = g_strdup_printf(
				"copied to %s, but the server would not let the original "
				"be removed from %s: %s", row->argument, mailbox, why);

			if (store_action_set_failed(run->store, row->id, result, error_r) < 0)
				return -1;
			g_hash_table_add(done, row);
		}
		{
			char *ignored = NULL;

			if (imap_session_remove_flags(run->imap, expunge, deleted, &ignored) < 0)
				g_free(ignored);
		}
		log_warning("account %s: mailbox %s: %u moved messages left in place: %s",
			    run->account->id, mailbox, finished->len, why);
		return 0;
	}
	for (guint i = 0; i < finished->len; i++) {
		store_action *row = g_ptr_array_index(finished, i);

		if (store_action_set_done(run->store, row->id, NULL, error_r) < 0)
			return -1;
		g_hash_table_add(done, row);
	}
	log_info("account %s: mailbox %s: removed the originals of %u messages already copied "
		 "by a move left halfway", run->account->id, mailbox, finished->len);
	return 0;
}

/* A COPY is the one operation that is not idempotent: before redoing a
 * planned copy, look for the message in the destination (by Message-ID)
 * and count it done when it is there. Adds the ids of such rows to done. */
static int agent_recover_copies(agent_run *run, GPtrArray *pending, const char *mailbox,
				GHashTable *done, char **error_r)
{
	g_autoptr(GHashTable) destinations = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTableIter iter;
	gpointer key;

	for (guint i = 0; i < pending->len; i++) {
		store_action *row = g_ptr_array_index(pending, i);

		if (row->operation == STORE_OPERATION_COPY && row->message_id != NULL &&
		    strcmp(row->mailbox, mailbox) == 0)
			g_hash_table_add(destinations, row->argument);
	}
	g_hash_table_iter_init(&iter, destinations);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		const char *destination = key;
		int selected = agent_select_destination(run, destination, error_r);

		if (selected < 0 && agent_recover_refused(run, destination, error_r))
			continue; /* redone below, and refused as a first try would be */
		if (selected < 0)
			return -1;
		if (selected == 0)
			continue; /* nothing can have been copied there */
		for (guint i = 0; i < pending->len; i++) {
			store_action *row = g_ptr_array_index(pending, i);
			GArray *uids = NULL;

			if (row->operation != STORE_OPERATION_COPY || row->message_id == NULL ||
			    strcmp(row->mailbox, mailbox) != 0 || strcmp(row->argument, destination) != 0)
				continue;
			if (imap_session_search_message_id(run->imap, row->message_id, &uids,
							   error_r) < 0) {
				if (agent_recover_refused(run, destination, error_r))
					continue;
				return -1;
			}
			if (uids->len > 0) {
				if (store_action_set_done(run->store, row->id, NULL, error_r) < 0) {
					g_array_free(uids, TRUE);
					return -1;
				}
				g_hash_table_add(done, row);
			}
			g_array_free(uids, TRUE);
		}
	}
	return 0;
}

/* Fail every action left planned in a mailbox that cannot be opened
 * (reason: why), except those already finished (done). 0, or -1 when the
 * journal cannot be written. */
static int agent_recover_fail_mailbox(agent_run *run, GPtrArray *pending, const char *mailbox,
				      GHashTable *done, const char *reason)
{
	g_autofree char *result = g_strdup_printf("mailbox %s cannot be opened: %s",
						  mailbox, reason != NULL ? reason : "refused");
	char *error = NULL;
	guint failed = 0;

	for (guint i = 0; i < pending->len; i++) {
		store_action *row = g_ptr_array_index(pending, i);

		if (strcmp(row->mailbox, mailbox) != 0 || g_hash_table_contains(done, row))
			continue;
		if (store_action_set_failed(run->store, row->id, result, &error) < 0) {
			log_error("account %s: %s", run->account->id, error);
			g_free(error);
			return -1;
		}
		agent_report_recovery_failure(run, result);
		run->report->failed_actions++;
		failed++;
	}
	log_error("account %s: recovery: %u actions in mailbox %s failed: %s", run->account->id,
		  failed, mailbox, result);
	return 0;
}

/* Finish what an earlier run journalled but did not confirm (a crash, a
 * lost connection). Flags are added again and a MOVE of a UID that is gone
 * does nothing; a COPY is redone only when the copy is not there. */
int agent_recover(agent_run *run)
{
	g_autoptr(GPtrArray) pending = NULL;
	char *error = NULL;
	GHashTable *mailboxes;
	GHashTableIter iter;
	gpointer key;

	/* The database is closed while the account waits (agent_wait_for_mail),
	 * and the daemon recovers between waits (run->retry_planned). */
	if ((run->store == NULL && store_open(run->conf->database, &run->store, &error) < 0) ||
	    store_actions_pending(run->store, run->account->id, &pending, &error) < 0) {
		agent_fail(run, "%s", error);
		g_free(error);
		return -1;
	}
	/* Drafts left planned are written by agent_drafts_write (drafts.c),
	 * which knows whether an earlier APPEND may have landed. */
	for (guint i = pending->len; i > 0; i--) {
		store_action *row = g_ptr_array_index(pending, i - 1);

		if (action_kind_get(row->kind)->execution == ACTION_EXECUTION_APPEND)
			g_ptr_array_remove_index(pending, i - 1);
	}
	if (pending->len == 0)
		return 0;
	log_info("account %s: completing %u actions left from an earlier run",
		 run->account->id, pending->len);
	mailboxes = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < pending->len; i++) {
		store_action *row = g_ptr_array_index(pending, i);

		g_hash_table_add(mailboxes, row->mailbox);
	}
	run->recovering = TRUE;
	g_hash_table_iter_init(&iter, mailboxes);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		const char *mailbox = key;
		g_autoptr(GPtrArray) batches = g_ptr_array_new_with_free_func((GDestroyNotify)agent_batch_free);
		g_autoptr(GHashTable) copied = g_hash_table_new(g_direct_hash, g_direct_equal);
		g_autofree char *server = NULL;
		imap_mailbox_status status;

		run->refused_here = FALSE;
		if (agent_recover_copies(run, pending, mailbox, copied, &error) < 0 ||
		    agent_recover_moves(run, pending, mailbox, copied, &error) < 0 ||
		    (server = agent_server_name(run, mailbox, &error)) == NULL ||
		    imap_session_select(run->imap, server, &status, &error) < 0) {
			imap_error_kind kind = imap_session_error_kind(run->imap);

			if (run->refused_here && kind != IMAP_ERROR_SESSION_LOST)
				kind = IMAP_ERROR_REFUSED;

			if (kind == IMAP_ERROR_TEMPORARY) {
				/* "Not now" (RFC 5530): this mailbox's rows stay
				 * planned for the next sync; the others go on. */
				log_warning("account %s: recovery: mailbox %s: %s; tried again at "
					    "the next sync", run->account->id, mailbox, error);
				g_clear_pointer(&error, g_free);
				run->retry_planned = TRUE;
				continue;
			}
			/* The mailbox the messages are in cannot be opened (a
			 * name the server refuses, NO to SELECT): its actions
			 * fail as a first attempt's would; the others go on. */
			if (kind != IMAP_ERROR_SESSION_LOST &&
			    agent_recover_fail_mailbox(run, pending, mailbox, copied, error) == 0) {
				g_clear_pointer(&error, g_free);
				continue;
			}
			g_hash_table_destroy(mailboxes);
			run->recovering = FALSE;
			agent_fail(run, "mailbox %s: %s", mailbox, error);
			g_free(error);
			return -1;
		}
		run->mailbox = mailbox;
		run->read_only = status.read_only;
		for (guint i = 0; i < pending->len; i++) {
			store_action *row = g_ptr_array_index(pending, i);

			if (strcmp(row->mailbox, mailbox) != 0 || g_hash_table_contains(copied, row))
				continue;
			if (row->uidvalidity != status.uidvalidity) {
				/* The UIDs name other messages now: redoing could
				 * move the wrong one. */
				agent_report_recovery_failure(run, "UIDVALIDITY changed before it was done; not redone");
				if (store_action_set_failed(run->store, row->id,
							    "UIDVALIDITY changed before it was done; not redone",
							    &error) < 0) {
					log_error("account %s: %s", run->account->id, error);
					g_clear_pointer(&error, g_free);
				}
				continue;
			}
			agent_batches_add(batches, row, row->uid);
		}
		if (agent_execute_batches(run, batches) < 0) {
			g_hash_table_destroy(mailboxes);
			run->recovering = FALSE;
			return -1;
		}
	}
	run->recovering = FALSE;
	run->report->recovered += pending->len;
	g_hash_table_destroy(mailboxes);
	return 0;
}
