#include "agent/undo.h"
#include "account/connect.h"
#include "imap/mailbox-name.h"
#include "store/store.h"

#include <string.h>

typedef struct undo_context {
	const conf_account *account;
	store *store;
	imap_session *imap;
	const store_action *row;
} undo_context;

/* Select mailbox (as rules name it) and find the message there. Returns
 * 1 with *uids_r, 0 when it is not there, -1 on error. */
static int undo_find(undo_context *ctx, const char *mailbox, GArray **uids_r, char **error_r)
{
	g_autofree char *server = mailbox_name_to_server(mailbox,
							 imap_session_get_delimiter(ctx->imap),
							 imap_session_get_prefix(ctx->imap), error_r);
	imap_mailbox_status status;

	if (server == NULL || imap_session_select(ctx->imap, server, &status, error_r) < 0)
		return -1;
	if (imap_session_search_message_id(ctx->imap, ctx->row->message_id, uids_r, error_r) < 0)
		return -1;
	if ((*uids_r)->len == 0) {
		g_array_free(*uids_r, TRUE);
		*uids_r = NULL;
		return 0;
	}
	return 1;
}

static int undo_execute(undo_context *ctx, char **done_r, char **error_r)
{
	const store_action *row = ctx->row;
	g_autoptr(GPtrArray) history = NULL;
	GArray *uids = NULL;
	g_autofree char *server = NULL;
	const char *where;
	int found, ret = -1;

	switch (row->operation) {
	case STORE_OPERATION_MOVE:
		found = undo_find(ctx, row->argument, &uids, error_r);
		if (found <= 0) {
			if (found == 0)
				*error_r = g_strdup_printf("the message is no longer in %s (moved or deleted since)",
							   row->argument);
			return -1;
		}
		server = mailbox_name_to_server(row->mailbox, imap_session_get_delimiter(ctx->imap),
						imap_session_get_prefix(ctx->imap), error_r);
		if (server != NULL && imap_session_move(ctx->imap, uids, server, error_r) == 0) {
			*done_r = g_strdup_printf("moved back from %s to %s", row->argument, row->mailbox);
			ret = 0;
		}
		break;
	case STORE_OPERATION_COPY:
		found = undo_find(ctx, row->argument, &uids, error_r);
		if (found <= 0) {
			if (found == 0)
				*error_r = g_strdup_printf("the copy is no longer in %s", row->argument);
			return -1;
		}
		server = mailbox_name_to_server(ctx->account->trash, imap_session_get_delimiter(ctx->imap),
						imap_session_get_prefix(ctx->imap), error_r);
		if (server != NULL && imap_session_create(ctx->imap, server, error_r) == 0 &&
		    imap_session_move(ctx->imap, uids, server, error_r) == 0) {
			*done_r = g_strdup_printf("moved the copy in %s to %s", row->argument,
						  ctx->account->trash);
			ret = 0;
		}
		break;
	case STORE_OPERATION_FLAGS: {
		g_auto(GStrv) flags = g_strsplit(row->argument, " ", -1);

		if (store_message_actions(ctx->store, ctx->account->id, row->message_id, &history,
					  error_r) < 0)
			return -1;
		where = store_message_current_mailbox(history, row);
		found = undo_find(ctx, where, &uids, error_r);
		if (found <= 0) {
			if (found == 0)
				*error_r = g_strdup_printf("the message is no longer in %s", where);
			return -1;
		}
		if (imap_session_remove_flags(ctx->imap, uids, (const char *const *)flags, error_r) == 0) {
			*done_r = g_strdup_printf("removed %s in %s", row->argument, where);
			ret = 0;
		}
		break;
	}
	case STORE_OPERATION_NONE:
		*error_r = g_strdup_printf("nothing to undo: '%s' left the message where it was",
					   action_kind_name(row->kind));
		return -1;
	}
	if (uids != NULL)
		g_array_free(uids, TRUE);
	return ret;
}

static int undo_journal(undo_context *ctx, const char *done, char **error_r)
{
	const store_action *row = ctx->row;
	g_autofree char *argument = g_strdup_printf("#%" G_GINT64_FORMAT ": %s", row->id, done);
	/* The undo row names the mailbox the message is back in, so the agent
	 * leaves it alone there (store_undone_message_ids). */
	store_action undo = *row;
	int64_t undo_id;

	undo.id = 0;
	undo.kind = ACTION_UNDO;
	undo.reason = NULL;
	undo.argument = argument;
	undo.operation = STORE_OPERATION_NONE;
	undo.state = STORE_ACTION_DONE;
	undo.result = (char *)"done";
	undo.created_at = 0;
	undo.rule_file = NULL;
	if (row->operation == STORE_OPERATION_COPY)
		undo.mailbox = (char *)ctx->account->trash;
	if (store_transaction_begin(ctx->store, error_r) < 0)
		return -1;
	if (store_action_insert(ctx->store, &undo, &undo_id, error_r) < 0)
		goto fail;
	if (store_action_set_undone(ctx->store, row->id, undo_id, error_r) < 0)
		goto fail;
	return store_transaction_commit(ctx->store, error_r);
fail:
	store_transaction_rollback(ctx->store);
	return -1;
}

int agent_undo_action(const conf *config, int64_t action_id, char **done_r, char **error_r)
{
	undo_context ctx = { 0 };
	store_action *row = NULL;
	char *done = NULL;
	int ret = -1, found;

	*done_r = NULL;
	if (store_open(config->database, &ctx.store, error_r) < 0)
		return -1;
	found = store_action_get(ctx.store, action_id, &row, error_r);
	if (found <= 0) {
		if (found == 0)
			*error_r = g_strdup_printf("there is no action #%" G_GINT64_FORMAT " (see vea log)", action_id);
		goto out;
	}
	ctx.row = row;
	if (row->state != STORE_ACTION_DONE) {
		*error_r = g_strdup_printf("action #%" G_GINT64_FORMAT " is %s: nothing was done to undo",
					   action_id, store_action_state_name(row->state));
		goto out;
	}
	if (row->undone_by != 0) {
		*error_r = g_strdup_printf("action #%" G_GINT64_FORMAT " is already %s", action_id, row->result);
		goto out;
	}
	if (action_kind_get(row->kind)->undo == ACTION_UNDO_REFUSED) {
		*error_r = g_strdup(action_kind_get(row->kind)->undo_refusal);
		goto out;
	}
	ctx.account = conf_find_account(config, row->account);
	if (ctx.account == NULL) {
		*error_r = g_strdup_printf("account %s is no longer in the config", row->account);
		goto out;
	}
	if (row->message_id == NULL && row->operation != STORE_OPERATION_NONE) {
		*error_r = g_strdup("the message has no Message-ID, so vea cannot find it again to undo");
		goto out;
	}
	if (row->operation != STORE_OPERATION_NONE &&
	    account_connect(ctx.account, &ctx.imap, error_r) < 0)
		goto out;
	if (undo_execute(&ctx, &done, error_r) < 0)
		goto out;
	if (undo_journal(&ctx, done, error_r) < 0)
		goto out;
	*done_r = g_steal_pointer(&done);
	ret = 0;
out:
	g_free(done);
	imap_session_free(&ctx.imap);
	store_action_free(row);
	store_close(&ctx.store);
	return ret;
}
