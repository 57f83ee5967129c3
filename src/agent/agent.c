#include "agent/agent.h"
#include "util/clock.h"
#include "agent/plan.h"
#include "account/connect.h"
#include "imap/imap.h"
#include "imap/mailbox-name.h"
#include "mime/message.h"
#include "store/store.h"
#include "util/log.h"

#include <string.h>
#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim */
#endif

/* Messages are journalled and carried out in chunks: one transaction and
 * one UID MOVE per destination for each chunk, so a crash redoes at most
 * one chunk and a large mailbox does not hold one long transaction. */
#define AGENT_CHUNK_MESSAGES 500
#define AGENT_IDLE_SECONDS 60
/* Connections of one account in IDLE beyond its own: servers cap the
 * connections per user (Dovecot: 10 per user and address by default), and
 * the executive's own clients need some. Watched mailboxes past these are
 * synced each time the account's IDLE is re-issued (AGENT_IDLE_SECONDS). */
#define AGENT_MAX_IDLERS 4
#define AGENT_EXECUTE_MESSAGES 5000

typedef struct agent_message {
	uint32_t uid;
	char *message_id;
	char *from;
	char *subject;
	GPtrArray *steps; /* plan_step * */
	GPtrArray *duplicate_marks; /* agent_duplicate_mark *: written with the journal */
} agent_message;

/* A Sieve duplicate id to remember (RFC 7352), recorded in the same
 * transaction as the message's actions: a message evaluated again after
 * a crash must not find its own mark. */
typedef struct agent_duplicate_mark {
	char *id;
	int64_t seconds;
	gboolean refresh;
} agent_duplicate_mark;

static void agent_duplicate_mark_free(gpointer data)
{
	agent_duplicate_mark *mark = data;

	g_free(mark->id);
	g_free(mark);
}

typedef struct agent_run {
	const conf *conf;
	const conf_account *account;
	const rules_set *rules;
	const agent_options *options;
	agent_report *report;
	imap_session *imap;
	store *store;
	char delimiter;
	const char *prefix;
	plan_names names; /* how names from the rules are made fit for this server */
	GHashTable *known_mailboxes; /* server names known to exist */
	/* the mailbox being worked on */
	const char *mailbox;
	char *mailbox_server;
	uint32_t uidvalidity;
	gboolean read_only; /* the server opened it read-only */
	gboolean dedupe_by_message_id; /* after a UIDVALIDITY change */
	gboolean recovering; /* carrying out what an earlier run left planned */
	gboolean unreachable; /* the last connect failed before any login */
	GHashTable *returned; /* Message-IDs put back here by vea undo */
	/* Rule evaluation: callbacks for mailboxexists and duplicate. */
	sieve_execute_options sieve_options;
	agent_message *evaluating;   /* the message whose rules run now */
	GHashTable *pending_duplicates; /* ids marked by messages not yet journalled */
	GPtrArray *messages; /* agent_message * */
	uint32_t fetched_uid; /* the highest UID this sync fetched, skipped or not */
} agent_run;

static void agent_message_free(agent_message *msg)
{
	g_free(msg->message_id);
	g_free(msg->from);
	g_free(msg->subject);
	if (msg->steps != NULL)
		g_ptr_array_unref(msg->steps);
	if (msg->duplicate_marks != NULL)
		g_ptr_array_unref(msg->duplicate_marks);
	g_free(msg);
}

agent_report *agent_report_new(const conf_account *account)
{
	agent_report *report = g_new0(agent_report, 1);

	report->account = account;
	report->summary_keys = g_ptr_array_new_with_free_func(g_free);
	report->summary_counts = g_hash_table_new(g_str_hash, g_str_equal);
	report->billed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	report->dry_run_lines = g_ptr_array_new_with_free_func(g_free);
	return report;
}

void agent_report_free(agent_report *report)
{
	if (report == NULL)
		return;
	g_free(report->error);
	g_free(report->recovery_error);
	g_hash_table_destroy(report->summary_counts);
	g_ptr_array_unref(report->summary_keys);
	g_hash_table_destroy(report->billed);
	g_ptr_array_unref(report->dry_run_lines);
	g_free(report);
}

static void agent_report_count(agent_report *report, const char *key)
{
	gpointer stored_key, count;

	if (!g_hash_table_lookup_extended(report->summary_counts, key, &stored_key, &count)) {
		/* The key array owns the strings; the table borrows them. */
		stored_key = g_strdup(key);
		g_ptr_array_add(report->summary_keys, stored_key);
		count = GUINT_TO_POINTER(0);
	}
	g_hash_table_insert(report->summary_counts, stored_key,
			    GUINT_TO_POINTER(GPOINTER_TO_UINT(count) + 1));
}

static void agent_report_bill(agent_report *report, const char *billing_account, int64_t seconds)
{
	int64_t *total = g_hash_table_lookup(report->billed, billing_account);

	if (total == NULL) {
		total = g_new0(int64_t, 1);
		g_hash_table_insert(report->billed, g_strdup(billing_account), total);
	}
	*total += seconds;
}

/* What a user reads in the run summary for a step. */
static char *agent_step_summary(const store_action *row)
{
	return action_kind_summary(row->kind, row->argument);
}

static int agent_fail(agent_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int agent_fail(agent_run *run, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	g_free(run->report->error);
	run->report->error = g_strdup_vprintf(fmt, args);
	va_end(args);
	if (!run->report->failed)
		run->report->failure = run->imap == NULL ? (run->unreachable ? AGENT_FAILURE_UNREACHABLE
									  : AGENT_FAILURE_OTHER)
				       : !imap_session_usable(run->imap) ? AGENT_FAILURE_LOST
									  : AGENT_FAILURE_OTHER;
	run->report->failed = TRUE;
	return -1;
}

static int agent_connect(agent_run *run)
{
	char *error = NULL;

	if (account_connect_reach(run->account, &run->imap, &run->unreachable, &error) < 0) {
		agent_fail(run, "%s", error);
		g_free(error);
		return -1;
	}
	run->delimiter = imap_session_get_delimiter(run->imap);
	run->prefix = imap_session_get_prefix(run->imap);
	run->names.delimiter = run->delimiter;
	run->names.refused = run->account->name_refused;
	run->names.replacement = run->account->name_replacement;
	return 0;
}

static char *agent_server_name(agent_run *run, const char *name, char **error_r)
{
	return mailbox_name_to_server(name, run->delimiter, run->prefix, error_r);
}

/* Make sure a destination exists before COPY/MOVE. Returns the server
 * name, or NULL with *error_r. */
static char *agent_prepare_destination(agent_run *run, const char *name,
				       gboolean create, char **error_r)
{
	char *server = agent_server_name(run, name, error_r);
	int exists;

	if (server == NULL)
		return NULL;
	if (g_hash_table_contains(run->known_mailboxes, server))
		return server;
	exists = imap_session_mailbox_exists(run->imap, server, error_r);
	if (exists < 0) {
		g_free(server);
		return NULL;
	}
	if (exists == 0) {
		if (!create && !run->account->create_mailboxes) {
			*error_r = g_strdup_printf("mailbox '%s' does not exist (create_mailboxes = false and the rule has no :create)", name);
			g_free(server);
			return NULL;
		}
		if (imap_session_create(run->imap, server, error_r) < 0) {
			g_free(server);
			return NULL;
		}
		log_info("account %s: created mailbox %s", run->account->id, name);
	}
	g_hash_table_add(run->known_mailboxes, g_strdup(server));
	return server;
}

/* An action left by an earlier run that failed now: counted apart, so
 * that vea status can say recovery failed something, and why. */
static void agent_report_recovery_failure(agent_run *run, const char *result)
{
	if (!run->recovering)
		return;
	run->report->recovery_failed++;
	g_free(run->report->recovery_error);
	run->report->recovery_error = g_strdup(result);
}

/* One server operation for a set of journal rows that share it. */
typedef struct agent_batch {
	store_operation operation;
	char *argument;
	gboolean create;
	GArray *uids;
	GArray *action_ids; /* int64_t */
} agent_batch;

static void agent_batch_free(agent_batch *batch)
{
	g_free(batch->argument);
	g_array_unref(batch->uids);
	g_array_unref(batch->action_ids);
	g_free(batch);
}

static void agent_batches_add(GPtrArray *batches, const store_action *row, uint32_t uid)
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
static int agent_execute_batches(agent_run *run, GPtrArray *batches)
{
	g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GArray) copied = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	g_autoptr(GArray) still_planned = g_array_new(FALSE, TRUE, sizeof(gboolean));
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
	for (guint i = 0; i < batches->len; i++) {
		agent_batch *batch = g_ptr_array_index(batches, i);
		gboolean copy_only = merge && batch->operation == STORE_OPERATION_MOVE;
		int ret;

		if (lost != NULL) {
			/* The connection is gone: the rest stays planned, for
			 * the recovery after reconnecting. */
			g_ptr_array_add(results, NULL);
			g_array_index(still_planned, gboolean, i) = TRUE;
			continue;
		}

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
		if (ret < 0 && !imap_session_usable(run->imap)) {
			/* Lost, not refused (a cut connection, BYE, a time-out):
			 * retried later, never failed for good. */
			lost = error;
			error = NULL;
			g_ptr_array_add(results, NULL);
			g_array_index(still_planned, gboolean, i) = TRUE;
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
		if (ret == 0 || imap_session_usable(run->imap)) {
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
	if (!imap_session_usable(run->imap))
		return FALSE;
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

		if (!imap_session_usable(run->imap))
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
static int agent_recover(agent_run *run)
{
	g_autoptr(GPtrArray) pending = NULL;
	char *error = NULL;
	GHashTable *mailboxes;
	GHashTableIter iter;
	gpointer key;

	if (store_actions_pending(run->store, run->account->id, &pending, &error) < 0) {
		agent_fail(run, "%s", error);
		g_free(error);
		return -1;
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

		if (agent_recover_copies(run, pending, mailbox, copied, &error) < 0 ||
		    agent_recover_moves(run, pending, mailbox, copied, &error) < 0 ||
		    (server = agent_server_name(run, mailbox, &error)) == NULL ||
		    imap_session_select(run->imap, server, &status, &error) < 0) {
			/* The mailbox the messages are in cannot be opened (a
			 * name the server refuses, NO to SELECT): its actions
			 * fail as a first attempt's would; the others go on. */
			if (imap_session_usable(run->imap) &&
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

/* mailboxexists (RFC 5490): the account's mailboxes as listed before the
 * fetch, and those vea created since. */
static gboolean agent_rules_mailbox_exists(const char *name, void *context)
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

static gboolean agent_rules_duplicate_check(const char *id, void *context)
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

static void agent_rules_duplicate_mark(const char *id, guint64 seconds, gboolean last,
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
			actions = rules_set_evaluate(run->rules, mime, &run->sieve_options, &rule_errors);
			run->evaluating = NULL;
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
		mime_message_free(&mime);
	}
	msg->steps = plan_message(actions, run->mailbox, run->account->trash, &run->names);
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

	if (store_transaction_begin(run->store, error_r) < 0)
		return -1;
	for (guint i = first; i < last; i++) {
		agent_message *msg = g_ptr_array_index(run->messages, i);
		gboolean message_billed = FALSE;
		int64_t now = clock_now_unix();

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
			if (step->row.state == STORE_ACTION_PLANNED)
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
	return store_transaction_commit(run->store, error_r);
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

static gboolean agent_stopping(agent_run *run)
{
	return run->options->stop != NULL && agent_watch_stopping(run->options->stop);
}

static int agent_sync_mailbox(agent_run *run, const char *mailbox)
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

/* Best effort: a status that cannot be written is not worth failing the
 * account for. Dry runs leave no trace. */
static void agent_status(agent_run *run, const char *state, const char *error, gboolean synced)
{
	char *store_error = NULL;

	if (run->options->dry_run)
		return;
	/* Reopened on demand: a waiting account closes its connection. */
	if (run->store == NULL && store_open(run->conf->database, &run->store, &store_error) < 0) {
		log_warning("account %s: %s", run->account->id, store_error);
		g_free(store_error);
		return;
	}
	if (store_account_status_set(run->store, run->account->id, state, error, synced,
				     &store_error) < 0) {
		log_warning("account %s: %s", run->account->id, store_error);
		g_free(store_error);
	}
}

static void agent_run_init(agent_run *run, const conf *config, const conf_account *account,
			   const rules_set *rules, const agent_options *options,
			   agent_report *report)
{
	memset(run, 0, sizeof(*run));
	run->conf = config;
	run->account = account;
	run->rules = rules;
	run->options = options;
	run->report = report;
	run->known_mailboxes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	run->sieve_options.mailbox_exists = agent_rules_mailbox_exists;
	run->sieve_options.duplicate_check = agent_rules_duplicate_check;
	run->sieve_options.duplicate_mark = agent_rules_duplicate_mark;
	run->sieve_options.context = run;
}

static void agent_run_deinit(agent_run *run)
{
	imap_session_free(&run->imap);
	store_close(&run->store);
	g_clear_pointer(&run->mailbox_server, g_free);
	g_clear_pointer(&run->returned, g_hash_table_destroy);
	g_clear_pointer(&run->pending_duplicates, g_hash_table_destroy);
	g_hash_table_destroy(run->known_mailboxes);
}

/* Open the store, connect, log in, finish what an earlier run left. */
static int agent_open(agent_run *run)
{
	char *error = NULL;

	if (run->store == NULL && store_open(run->conf->database, &run->store, &error) < 0) {
		agent_fail(run, "%s", error);
		g_free(error);
		return -1;
	}
	agent_status(run, "connecting", NULL, FALSE);
	if (agent_connect(run) < 0)
		return -1;
	agent_status(run, "syncing", NULL, FALSE);
	if (!run->options->dry_run && agent_recover(run) < 0)
		return -1;
	if (run->report->recovery_failed > 0) {
		g_autofree char *text = g_strdup_printf(
			"recovery: %u action%s left from an earlier run failed (see vea log); "
			"the last: %s", run->report->recovery_failed,
			run->report->recovery_failed == 1 ? "" : "s", run->report->recovery_error);

		agent_status(run, "syncing", text, FALSE);
	}
	return 0;
}

/* Every watched mailbox once. One mailbox failing (say, it was deleted)
 * does not stop the others; the account is reported as failed. */
static int agent_sync_all(agent_run *run)
{
	char *error = NULL;
	int ret = 0;

	/* The database is closed while the account waits (see
	 * agent_wait_for_mail). */
	if (run->store == NULL && store_open(run->conf->database, &run->store, &error) < 0) {
		agent_fail(run, "%s", error);
		g_free(error);
		return -1;
	}

	for (char **mailbox = run->account->mailboxes; *mailbox != NULL; mailbox++) {
		if (agent_stopping(run))
			break;
		if (agent_sync_mailbox(run, *mailbox) < 0) {
			log_error("account %s: %s", run->account->id, run->report->error);
			ret = -1;
		}
	}
	return ret;
}

int agent_run_account(const conf *config, const conf_account *account,
		      const rules_set *rules, const agent_options *options,
		      agent_report *report)
{
	agent_run run;
	int ret = -1;

	agent_run_init(&run, config, account, rules, options, report);
	if (agent_open(&run) == 0)
		ret = agent_sync_all(&run);
	if (run.store != NULL)
		agent_status(&run, ret < 0 ? "failed" : "synced", ret < 0 ? report->error : NULL,
			     ret == 0);
	agent_run_deinit(&run);
	return ret;
}

/* The control block shared with the thread that stops watchers. */
struct agent_watch {
	GMutex lock;
	GCond wake;
	gboolean stop;
	imap_session *idling; /* the session in IDLE, to interrupt */
	/* Set by a mailbox idler that saw a change: the account's thread
	 * syncs before it waits again. */
	gboolean woken;
	GPtrArray *idler_sessions; /* imap_session * of the idlers in IDLE */
};

agent_watch *agent_watch_new(void)
{
	agent_watch *watch = g_new0(agent_watch, 1);

	g_mutex_init(&watch->lock);
	g_cond_init(&watch->wake);
	watch->idler_sessions = g_ptr_array_new();
	return watch;
}

void agent_watch_free(agent_watch *watch)
{
	if (watch == NULL)
		return;
	g_mutex_clear(&watch->lock);
	g_cond_clear(&watch->wake);
	g_ptr_array_unref(watch->idler_sessions);
	g_free(watch);
}

void agent_watch_stop(agent_watch *watch)
{
	g_mutex_lock(&watch->lock);
	watch->stop = TRUE;
	if (watch->idling != NULL)
		imap_session_idle_interrupt(watch->idling);
	for (guint i = 0; i < watch->idler_sessions->len; i++)
		imap_session_idle_interrupt(g_ptr_array_index(watch->idler_sessions, i));
	g_cond_broadcast(&watch->wake);
	g_mutex_unlock(&watch->lock);
}

gboolean agent_watch_stopping(agent_watch *watch)
{
	gboolean stop;

	g_mutex_lock(&watch->lock);
	stop = watch->stop;
	g_mutex_unlock(&watch->lock);
	return stop;
}

/* Sleep up to seconds; returns early (TRUE) when asked to stop. */
static gboolean agent_watch_sleep(agent_watch *watch, int64_t seconds)
{
	gint64 deadline = g_get_monotonic_time() + seconds * G_USEC_PER_SEC;
	gboolean stop;

	g_mutex_lock(&watch->lock);
	while (!watch->stop && g_cond_wait_until(&watch->wake, &watch->lock, deadline))
		;
	stop = watch->stop;
	g_mutex_unlock(&watch->lock);
	return stop;
}

/* A waiting account holds no database connection (its page cache and
 * descriptors are worth more to the hundreds of others), and gives back
 * to the system what its sync freed: glibc keeps freed memory in its
 * arenas and threads' caches, and with hundreds of threads that was
 * about 80 KB an idle account (tests/bench/bench_agent.py, 200 accounts:
 * 53 MB resident before, 38 MB after). One trim is cheap next to the
 * sync before it. */
static void agent_watch_release(agent_run *run)
{
	store_close(&run->store);
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/* Wait for news on the selected mailbox: IDLE where the server has it,
 * else sleep out the poll interval. Returns -1 when the session broke. */
static int agent_wait_for_mail(agent_run *run, agent_watch *watch)
{
	gboolean changed = FALSE;
	char *error = NULL;
	int ret;

	if (!imap_session_has_capability(run->imap, "IDLE")) {
		agent_status(run, "polling", NULL, TRUE);
		agent_watch_release(run);
		agent_watch_sleep(watch, run->conf->poll_interval);
		return 0;
	}
	/* IDLE reports on the selected mailbox only (RFC 2177): this
	 * session waits on the first; agent_idler threads watch the others
	 * on connections of their own. */
	if (run->account->mailboxes[1] != NULL) {
		g_autofree char *first = agent_server_name(run, run->account->mailboxes[0], &error);
		imap_mailbox_status status;

		if (first == NULL || imap_session_select(run->imap, first, &status, &error) < 0) {
			agent_fail(run, "mailbox %s: %s", run->account->mailboxes[0], error);
			g_free(error);
			return -1;
		}
	}
	agent_status(run, "idle", NULL, TRUE);
	agent_watch_release(run);
	g_mutex_lock(&watch->lock);
	if (watch->stop || watch->woken) {
		watch->woken = FALSE;
		g_mutex_unlock(&watch->lock);
		return 0;
	}
	watch->idling = run->imap;
	g_mutex_unlock(&watch->lock);
	/* IDLE is re-issued every minute, well inside RFC 2177's 29: libetpan
	 * drops untagged responses that arrive between the last sync and the
	 * server's "+", so a message delivered in that instant is found by
	 * the sync after the next wake-up, at most a minute later. */
	ret = imap_session_idle_wait(run->imap, AGENT_IDLE_SECONDS, &changed, &error);
	g_mutex_lock(&watch->lock);
	watch->idling = NULL;
	watch->woken = FALSE; /* the sync that follows covers it */
	g_mutex_unlock(&watch->lock);
	if (ret < 0) {
		agent_fail(run, "IDLE: %s", error);
		g_free(error);
		return -1;
	}
	return 0;
}

static void agent_report_log_and_reset(agent_run *run)
{
	agent_report *report = run->report;
	g_autoptr(GString) line = NULL;

	if (report->messages > 0) {
		line = g_string_new(NULL);
		for (guint i = 0; i < report->summary_keys->len; i++) {
			const char *key = g_ptr_array_index(report->summary_keys, i);

			g_string_append_printf(line, "%s%s %u", i > 0 ? ", " : "", key,
					       GPOINTER_TO_UINT(g_hash_table_lookup(report->summary_counts, key)));
		}
		log_info("account %s: %u new message%s: %s", run->account->id, report->messages,
			 report->messages == 1 ? "" : "s", line->str);
	}
	report->messages = 0;
	report->recovered = 0;
	report->recovery_failed = 0;
	g_clear_pointer(&report->recovery_error, g_free);
	report->failed_actions = 0;
	report->failed = FALSE;
	report->failure = AGENT_FAILURE_NONE;
	g_clear_pointer(&report->error, g_free);
	g_hash_table_remove_all(report->summary_counts);
	g_ptr_array_set_size(report->summary_keys, 0);
	g_hash_table_remove_all(report->billed);
}

/* A watched mailbox other than the account's first, in IDLE on a
 * connection of its own, read-only (EXAMINE): when the server reports a
 * change there, the account's thread is woken to sync. Where the server
 * has no IDLE the idler ends and the account is polled. */
typedef struct agent_idler {
	agent_watch *watch;
	const conf_account *account;
	const char *mailbox;
	GThread *thread;
} agent_idler;

static void agent_watch_wake(agent_watch *watch)
{
	g_mutex_lock(&watch->lock);
	watch->woken = TRUE;
	if (watch->idling != NULL)
		imap_session_idle_interrupt(watch->idling);
	g_mutex_unlock(&watch->lock);
}

/* One IDLE of the idler's session; the session is registered so that
 * agent_watch_stop can interrupt it. FALSE when stopping. */
static gboolean agent_idler_register(agent_idler *idler, imap_session *session)
{
	gboolean ok;

	g_mutex_lock(&idler->watch->lock);
	ok = !idler->watch->stop;
	if (ok)
		g_ptr_array_add(idler->watch->idler_sessions, session);
	g_mutex_unlock(&idler->watch->lock);
	return ok;
}

static void agent_idler_unregister(agent_idler *idler, imap_session *session)
{
	g_mutex_lock(&idler->watch->lock);
	g_ptr_array_remove_fast(idler->watch->idler_sessions, session);
	g_mutex_unlock(&idler->watch->lock);
}

static gpointer agent_idler_thread(gpointer data)
{
	agent_idler *idler = data;
	int64_t backoff = 1;

	while (!agent_watch_stopping(idler->watch)) {
		imap_session *session = NULL;
		g_autofree char *server = NULL;
		imap_mailbox_status status;
		char *error = NULL;

		if (account_connect(idler->account, &session, &error) < 0)
			goto retry;
		if (!imap_session_has_capability(session, "IDLE")) {
			imap_session_free(&session);
			return NULL; /* the account's thread polls them all */
		}
		server = mailbox_name_to_server(idler->mailbox, imap_session_get_delimiter(session),
						imap_session_get_prefix(session), &error);
		if (server == NULL || imap_session_examine(session, server, &status, &error) < 0)
			goto retry;
		backoff = 1;
		/* A change while connecting: the account syncs once more. */
		agent_watch_wake(idler->watch);
		while (agent_idler_register(idler, session)) {
			gboolean changed = FALSE;
			int ret = imap_session_idle_wait(session, AGENT_IDLE_SECONDS, &changed, &error);

			agent_idler_unregister(idler, session);
			if (ret < 0)
				goto retry;
			if (changed)
				agent_watch_wake(idler->watch);
		}
		imap_session_free(&session);
		break;
retry:
		if (error != NULL) {
			log_warning("account %s: watching mailbox %s: %s", idler->account->id,
				    idler->mailbox, error);
			g_free(error);
		}
		imap_session_free(&session);
		agent_watch_sleep(idler->watch, backoff + g_random_int_range(0, (gint32)backoff + 1));
		backoff = MIN(backoff * 2, 300);
	}
	return NULL;
}

int agent_watch_account(const conf *config, const conf_account *account,
			const rules_set *rules, const agent_options *options,
			agent_watch *watch)
{
	g_autoptr(GPtrArray) idlers = g_ptr_array_new_with_free_func(g_free);
	agent_report *report = agent_report_new(account);
	agent_options watch_options = *options;
	gboolean again;
	int64_t backoff = 1;
	agent_run run;

	watch_options.stop = watch;
	agent_run_init(&run, config, account, rules, &watch_options, report);
	for (guint i = 1; account->mailboxes[i] != NULL && i <= AGENT_MAX_IDLERS; i++) {
		agent_idler *idler = g_new0(agent_idler, 1);

		idler->watch = watch;
		idler->account = account;
		idler->mailbox = account->mailboxes[i];
		idler->thread = g_thread_new(account->id, agent_idler_thread, idler);
		g_ptr_array_add(idlers, idler);
	}
	while (!agent_watch_stopping(watch)) {
		if (agent_open(&run) < 0 || agent_sync_all(&run) < 0) {
			/* Exponential backoff with jitter, so that many accounts
			 * on one server that went down do not all come back in
			 * the same second. */
			int64_t delay = backoff + g_random_int_range(0, (gint32)backoff + 1);

			log_error("account %s: %s; retrying in %" G_GINT64_FORMAT " s", account->id,
				  report->error != NULL ? report->error : "failed", delay);
			agent_status(&run, "backing-off", report->error, FALSE);
			agent_report_log_and_reset(&run);
			imap_session_free(&run.imap);
			g_hash_table_remove_all(run.known_mailboxes);
			backoff = MIN(backoff * 2, 300);
			agent_watch_sleep(watch, delay);
			continue;
		}
		backoff = 1;
		/* Mail that arrived while a sync was busy was announced in the
		 * replies to its commands, so IDLE would not report it: after a
		 * sync that found something, sync again before waiting. */
		again = report->messages > 0;
		agent_report_log_and_reset(&run);
		/* Stay connected: wait, sync, wait... until the session breaks. */
		while (!agent_watch_stopping(watch)) {
			if (!again && agent_wait_for_mail(&run, watch) < 0)
				break;
			if (agent_watch_stopping(watch) || agent_sync_all(&run) < 0)
				break;
			again = report->messages > 0;
			agent_report_log_and_reset(&run);
		}
		if (!agent_watch_stopping(watch)) {
			log_warning("account %s: %s; reconnecting", account->id,
				    report->error != NULL ? report->error : "connection lost");
			agent_report_log_and_reset(&run);
		}
		imap_session_free(&run.imap);
		g_hash_table_remove_all(run.known_mailboxes);
	}
	for (guint i = 0; i < idlers->len; i++) {
		agent_idler *idler = g_ptr_array_index(idlers, i);

		g_thread_join(idler->thread);
	}
	agent_status(&run, "stopped", NULL, FALSE);
	agent_run_deinit(&run);
	agent_report_free(report);
	return 0;
}
