/* Running one account: connecting, the run, its report and status. */

#include "agent/agent-private.h"
#include "calendar/calendar.h"
#include "account/connect.h"
#include "imap/mailbox-name.h"
#include "util/log.h"

#include <string.h>

void agent_duplicate_mark_free(gpointer data)
{
	agent_duplicate_mark *mark = data;

	g_free(mark->id);
	g_free(mark);
}

void agent_message_free(agent_message *msg)
{
	g_free(msg->message_id);
	g_free(msg->from);
	g_free(msg->subject);
	g_strfreev(msg->reply_ids);
	g_free(msg->from_address);
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

void agent_report_count(agent_report *report, const char *key)
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

void agent_report_bill(agent_report *report, const char *billing_account, int64_t seconds)
{
	int64_t *total = g_hash_table_lookup(report->billed, billing_account);

	if (total == NULL) {
		total = g_new0(int64_t, 1);
		g_hash_table_insert(report->billed, g_strdup(billing_account), total);
	}
	*total += seconds;
}

/* What a user reads in the run summary for a step. */
char *agent_step_summary(const store_action *row)
{
	g_autofree char *summary = action_kind_summary(row->kind, row->argument);

	/* What vea declined or could not do reads so, not as done. */
	if (row->state == STORE_ACTION_SKIPPED || row->state == STORE_ACTION_FAILED)
		return g_strdup_printf("%s: not %s", store_action_state_name(row->state), summary);
	return g_steal_pointer(&summary);
}

int agent_fail(agent_run *run, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	g_free(run->report->error);
	run->report->error = g_strdup_vprintf(fmt, args);
	va_end(args);
	run->sync_failures++;
	if (run->imap != NULL && imap_session_error_kind(run->imap) == IMAP_ERROR_TEMPORARY)
		run->sync_failures_temporary++;
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

GPtrArray *agent_client_addresses(const agent_run *run)
{
	const conf_client *client = run->account->client;
	GPtrArray *own = g_ptr_array_new();

	if (client->email != NULL)
		g_ptr_array_add(own, client->email);
	for (char **a = client->aliases; a != NULL && *a != NULL; a++)
		g_ptr_array_add(own, *a);
	g_ptr_array_add(own, NULL);
	return own;
}

char *agent_server_name(agent_run *run, const char *name, char **error_r)
{
	char *server = mailbox_name_to_server(name, run->delimiter, run->prefix, error_r);

	if (server == NULL)
		run->refused_here = TRUE;
	return server;
}

/* Make sure a destination exists before COPY/MOVE. Returns the server
 * name, or NULL with *error_r. */
char *agent_prepare_destination(agent_run *run, const char *name,
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
			run->refused_here = TRUE;
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
void agent_report_recovery_failure(agent_run *run, const char *result)
{
	if (!run->recovering)
		return;
	run->report->recovery_failed++;
	g_free(run->report->recovery_error);
	run->report->recovery_error = g_strdup(result);
}

gboolean agent_stopping(agent_run *run)
{
	return run->options->stop != NULL && agent_watch_stopping(run->options->stop);
}

/* Best effort: a status that cannot be written is not worth failing the
 * account for. Dry runs leave no trace. */
void agent_status(agent_run *run, const char *state, const char *error, gboolean synced)
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

void agent_run_init(agent_run *run, const conf *config, const conf_account *account,
			   const rules_set *rules, const agent_options *options,
			   agent_report *report)
{
	memset(run, 0, sizeof(*run));
	run->conf = config;
	run->account = account;
	run->rules = rules;
	run->options = options;
	run->report = report;
	run->primary_server_replies = -1;
	run->known_mailboxes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	run->pending_keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	run->pending_outgoing = g_hash_table_new(g_direct_hash, g_direct_equal);
	run->sieve_options.mailbox_exists = agent_rules_mailbox_exists;
	run->sieve_options.duplicate_check = agent_rules_duplicate_check;
	run->sieve_options.duplicate_mark = agent_rules_duplicate_mark;
	run->sieve_options.invitation = agent_rules_invitation;
	run->sieve_options.context = run;
}

void agent_run_deinit(agent_run *run)
{
	imap_session_free(&run->imap);
	store_close(&run->store);
	g_clear_pointer(&run->mailbox_server, g_free);
	g_clear_pointer(&run->drafts_mailbox, g_free);
	agent_invitation_reset(run);
	calendar_index_free(&run->calendar);
	g_clear_pointer(&run->calendar_errors, g_ptr_array_unref);
	g_clear_pointer(&run->sent_mailbox, g_free);
	g_clear_pointer(&run->returned, g_hash_table_destroy);
	g_clear_pointer(&run->pending_duplicates, g_hash_table_destroy);
	g_hash_table_destroy(run->known_mailboxes);
	g_hash_table_destroy(run->pending_keys);
	g_hash_table_destroy(run->pending_outgoing);
}

/* Open the store, connect, log in, finish what an earlier run left. */
int agent_open(agent_run *run)
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
int agent_sync_all(agent_run *run)
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

	run->sync_failures = run->sync_failures_temporary = 0;
	run->primary_server_replies = -1;
	for (char **mailbox = run->account->mailboxes; *mailbox != NULL; mailbox++) {
		if (agent_stopping(run))
			break;
		if (agent_sync_mailbox(run, *mailbox) < 0) {
			log_error("account %s: %s", run->account->id, run->report->error);
			ret = -1;
			/* The others would fail the same way: reconnect first. */
			if (!imap_session_usable(run->imap))
				break;
		}
	}
	/* What the sync recorded to write (drafts), what the outbox sent
	 * meanwhile (Sent copies), and what the executive did with drafts.
	 * A lost connection stops them; the next sync goes on. */
	if (imap_session_usable(run->imap) && !agent_stopping(run) &&
	    (agent_drafts_write(run) < 0 || agent_sent_copies_file(run) < 0 ||
	     agent_drafts_check(run) < 0 || agent_schedule_store_events(run) < 0)) {
		log_error("account %s: %s", run->account->id, run->report->error);
		ret = -1;
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
