/* vnd.dovecot.testsuite for vea's engine (see testsuite.h). The semantics
 * follow Pigeonhole's src/testsuite: the result lives across test blocks
 * until test_result_reset; test_fail leaves its block; setting a message
 * also sets the envelope from its headers; a message taken from the mail
 * store brings its flags into the imap4flags internal variable.
 *
 * Outgoing mail (issue 12: ../shared/conformance/pigeonhole-next, Pigeonhole's
 * vacation and enotify files). test_result_execute carries vacation and
 * notify out with the agent's own code, not a copy of it:
 *   vacation  outgoing_vacation_decide (every check, in Pigeonhole's order)
 *             then outgoing_vacation_compose (src/outgoing/compose.c, which
 *             src/agent/outgoing.c calls too); the reply goes to the
 *             verdict's reply_to from <> (or, with
 *             sieve_vacation_send_from_recipient, from the executive: the
 *             account's vacation_envelope_sender);
 *   notify    outgoing_mailto_parse, outgoing_notify_decide (every
 *             recipient allowed: the runner has no notify_allowed),
 *             outgoing_notify_compose, from TS_ASSISTANT (the assistant's
 *             [smtp] from; the runner's is the postmaster, Pigeonhole's
 *             default notification sender); one outgoing message per
 *             envelope recipient, as Pigeonhole's testsuite records them;
 *   redirect  the message as it is.
 * The executive is Pigeonhole's user: test_set "envelope.to" (the envelope
 * recipient the decision is given), with "envelope.orig_to" too when
 * sieve_vacation_use_original_recipient is set, and sieve_user_email, which
 * is then also the client's email (the reply's From). "envelope.from" is
 * the Return-Path the decisions read ("<>": the null sender). Nothing is
 * tracked (Pigeonhole's testsuite keeps no duplicate database either), and
 * there is no cut-off by age and no budget.
 * test_message :smtp N makes the N-th message of the last execution
 * current, its envelope the SMTP one, for header, address, envelope and
 * body tests.
 *
 * test_config_set KEY VALUE / test_config_unset KEY keep a setting;
 * test_config_reload [:extension E] puts every kept setting in force. Read:
 * sieve_user_email, sieve_vacation_use_original_recipient,
 * sieve_vacation_send_from_recipient. Any other is accepted and changes
 * nothing: sieve_vacation_min_period, _max_period and _default_period only
 * bound tracking, which the runner does not do; the rest
 * (sieve_vacation_dont_check_recipient, _to_header_ignore_envelope,
 * _default_subject[_template], _max_subject_codepoints,
 * sieve_notify_mailto_envelope_from, sieve_variables_max_variable_size) have
 * no equivalent in vea, and the blocks that need them are in the skip list.
 *
 * test_script_compile FILE (relative to the .svtest file) and
 * test_script_run: the script's actions become the result. */

#include "testsuite.h"
#include "sieve/validate.h"
#include "sieve/interp.h"
#include "sieve/actions.h"
#include "outgoing/outgoing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pigeonhole's testsuite-message.c default message. */
static const char testsuite_default_message[] =
	"From: sender@example.com\n"
	"To: recipient@example.org\n"
	"Subject: Frop!\n"
	"\n"
	"Friep!\n";

typedef struct ts_mail {
	char *text;
	char **flags;   /* NULL-terminated, NULL when none */
	char *env_from; /* outbox only */
	char *env_to;
} ts_mail;

static struct {
	testsuite_report_fn *report;
	void *context;
	GPtrArray *messages;   /* mime_message *: every message made current */
	GHashTable *folders;   /* name -> GPtrArray of ts_mail * */
	GPtrArray *outbox;     /* ts_mail * */
	sieve_envelope envelope;
	char *env_from, *env_to, *env_orig_to, *env_auth;
	char **current_flags;  /* of the current message (mail store) */
	char *current_text;
	GHashTable *config;    /* test_config_set: key -> value, pending */
	GHashTable *active;    /* ... and in force since test_config_reload */
	char *dir;             /* the .svtest file's folder */
	GPtrArray *scripts;    /* sieve_script *: test_script_compile */
	guint executed;        /* result actions already carried out */
	gboolean implicit_done;
	/* The test block running. */
	const char *test_name;
	char *fail_reason;     /* test_fail: leave the block */
	char *soft_fail;       /* test_message command: fail, go on */
} ts;

static void ts_mail_free(gpointer data)
{
	ts_mail *mail = data;

	g_free(mail->text);
	g_strfreev(mail->flags);
	g_free(mail->env_from);
	g_free(mail->env_to);
	g_free(mail);
}

static void ts_message_free(gpointer data)
{
	mime_message *msg = data;

	mime_message_free(&msg);
}

static void ts_script_free(gpointer data)
{
	sieve_script *script = data;

	sieve_script_free(&script);
}

static void ts_set_env(char **field, const char *value)
{
	g_free(*field);
	*field = g_strdup(value);
}

/* The envelope a delivered message would have had, as Pigeonhole's
 * testsuite_message_set_data picks it from the headers. */
static void ts_envelope_from_headers(mime_message *msg)
{
	static const char *const senders[] = { "return-path", "sender",
					       "from" };
	static const char *const recipients[] = { "envelope-to", "to" };
	const char *from = "sender@example.com", *to = "recipient@example.com";
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(senders); i++) {
		const GPtrArray *a = mime_message_get_addresses(msg, senders[i]);

		if (a->len > 0 &&
		    ((mime_address *)g_ptr_array_index(a, 0))->domain != NULL) {
			from = ((mime_address *)g_ptr_array_index(a, 0))->addr;
			break;
		}
	}
	for (i = 0; i < G_N_ELEMENTS(recipients); i++) {
		const GPtrArray *a =
			mime_message_get_addresses(msg, recipients[i]);

		if (a->len > 0 &&
		    ((mime_address *)g_ptr_array_index(a, 0))->domain != NULL) {
			to = ((mime_address *)g_ptr_array_index(a, 0))->addr;
			break;
		}
	}
	ts_set_env(&ts.env_from, from);
	ts_set_env(&ts.env_to, to);
	ts_set_env(&ts.env_orig_to, to);
	ts.envelope.from = ts.env_from;
	ts.envelope.to = ts.env_to;
}

/* Replace the internal flag variable unless the script changed it since
 * the last reset (Pigeonhole initialises it lazily from the message). */
static void ts_flags_from_message(sieve_run *run)
{
	if (run->result.flags_line != 0)
		return;
	sieve_result_flags_set(&run->result, ts.current_flags);
}

static mime_message *ts_message_new(const char *text, char **error_r)
{
	mime_message *msg = mime_message_parse(text, strlen(text), error_r);

	if (msg != NULL)
		g_ptr_array_add(ts.messages, msg);
	return msg;
}

static int ts_set_message(sieve_run *run, const char *text,
			  char *const *flags, char **error_r)
{
	mime_message *msg = ts_message_new(text, error_r);

	if (msg == NULL)
		return -1;
	if (run != NULL)
		run->msg = msg;
	g_free(ts.current_text);
	ts.current_text = g_strdup(text);
	g_strfreev(ts.current_flags);
	ts.current_flags = g_strdupv((char **)flags);
	ts_envelope_from_headers(msg);
	if (run != NULL)
		ts_flags_from_message(run);
	return 0;
}

/* ---------------------------------------------------------------- test */

static sieve_exec_status cmd_test_execute(sieve_run *run,
					  const sieve_ast_node *node)
{
	const char *name = node->data;
	sieve_exec_status status;

	ts.test_name = name;
	g_clear_pointer(&ts.fail_reason, g_free);
	g_clear_pointer(&ts.soft_fail, g_free);
	status = sieve_run_commands(run, node->block);
	if (status == SIEVE_EXEC_FAILED) {
		if (ts.fail_reason != NULL) {
			ts.report(name, TESTSUITE_FAIL, ts.fail_reason,
				  ts.context);
		} else {
			g_autofree char *error =
				run->error != NULL ?
					sieve_error_format(run->error) :
					g_strdup("execution failed");

			ts.report(name, TESTSUITE_FAIL, error, ts.context);
		}
		/* The next block starts clean. */
		sieve_error_free(run->error);
		run->error = NULL;
	} else if (ts.soft_fail != NULL) {
		ts.report(name, TESTSUITE_FAIL, ts.soft_fail, ts.context);
	} else {
		/* "stop" ends the block; Pigeonhole would end the file, but a
		 * block that stops has not failed. */
		ts.report(name, TESTSUITE_PASS, NULL, ts.context);
	}
	ts.test_name = NULL;
	return SIEVE_EXEC_OK;
}

static int cmd_test_validate(sieve_validator *v, sieve_ast_node *node,
			     const sieve_args *args)
{
	node->data = g_strdup(sieve_arg_string(args->positional[0]));
	node->data_free = g_free;
	return 0;
}

static const sieve_command_def cmd_test = {
	.name = "test",
	.flags = SIEVE_CMD_BLOCK,
	.positional = "S",
	.validate = cmd_test_validate,
	.execute = cmd_test_execute,
};

/* ----------------------------------------------------------- test_fail */

static int cmd_string_validate(sieve_validator *v, sieve_ast_node *node,
			       const sieve_args *args)
{
	return cmd_test_validate(v, node, args);
}

static sieve_exec_status cmd_test_fail_execute(sieve_run *run,
					       const sieve_ast_node *node)
{
	const char *reason = sieve_run_str(run, node->data);

	g_free(ts.fail_reason);
	ts.fail_reason = g_strdup(*reason != '\0' ? reason : "test_fail");
	return SIEVE_EXEC_FAILED;
}

static const sieve_command_def cmd_test_fail = {
	.name = "test_fail",
	.positional = "S",
	.validate = cmd_string_validate,
	.execute = cmd_test_fail_execute,
};

/* ------------------------------------------------------------ test_set */

typedef struct ts_set_data {
	char *object;
	char *value;
} ts_set_data;

static void ts_set_data_free(gpointer data)
{
	ts_set_data *d = data;

	g_free(d->object);
	g_free(d->value);
	g_free(d);
}

static const char *const ts_set_objects[] = {
	"message", "envelope.from", "envelope.to", "envelope.orig_to",
	"envelope.auth",
};

static int cmd_test_set_validate(sieve_validator *v, sieve_ast_node *node,
				 const sieve_args *args)
{
	const char *object = sieve_arg_string(args->positional[0]);
	ts_set_data *data;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(ts_set_objects); i++) {
		if (g_ascii_strcasecmp(object, ts_set_objects[i]) == 0)
			break;
	}
	if (i == G_N_ELEMENTS(ts_set_objects)) {
		sieve_validator_error(v, args->positional[0]->line,
				      args->positional[0]->column,
				      "test_set: unknown object '%s'", object);
		return -1;
	}
	data = g_new0(ts_set_data, 1);
	data->object = g_ascii_strdown(object, -1);
	data->value = g_strdup(sieve_arg_string(args->positional[1]));
	node->data = data;
	node->data_free = ts_set_data_free;
	return 0;
}

static sieve_exec_status cmd_test_set_execute(sieve_run *run,
					      const sieve_ast_node *node)
{
	const ts_set_data *data = node->data;
	const char *value = sieve_run_str(run, data->value);

	if (strcmp(data->object, "message") == 0) {
		g_autofree char *error = NULL;

		if (ts_set_message(run, value, NULL, &error) < 0)
			return sieve_run_error(run, node,
					       "test_set: bad message: %s",
					       error);
	} else if (strcmp(data->object, "envelope.from") == 0) {
		ts_set_env(&ts.env_from, value);
		ts.envelope.from = ts.env_from;
	} else if (strcmp(data->object, "envelope.to") == 0) {
		ts_set_env(&ts.env_to, value);
		ts_set_env(&ts.env_orig_to, value);
		ts.envelope.to = ts.env_to;
	} else if (strcmp(data->object, "envelope.orig_to") == 0) {
		ts_set_env(&ts.env_orig_to, value);
	} else {
		ts_set_env(&ts.env_auth, value);
	}
	return SIEVE_EXEC_OK;
}

static const sieve_command_def cmd_test_set = {
	.name = "test_set",
	.positional = "SS",
	.validate = cmd_test_set_validate,
	.execute = cmd_test_set_execute,
};

/* --------------------------------------------------- test_result_reset */

static sieve_exec_status cmd_test_result_reset_execute(
	sieve_run *run, const sieve_ast_node *node)
{
	const char *file = run->result.file;

	sieve_result_deinit(&run->result);
	sieve_result_init(&run->result, file);
	ts.executed = 0;
	ts.implicit_done = FALSE;
	ts_flags_from_message(run);
	return SIEVE_EXEC_OK;
}

static const sieve_command_def cmd_test_result_reset = {
	.name = "test_result_reset",
	.execute = cmd_test_result_reset_execute,
};

/* ------------------------------------------------- test_result_execute */

static ts_mail *ts_mail_new(const char *text, char *const *flags)
{
	ts_mail *mail = g_new0(ts_mail, 1);

	mail->text = g_strdup(text);
	mail->flags = g_strdupv((char **)flags);
	return mail;
}

static gboolean ts_store(const char *folder, gboolean create,
			 char *const *flags)
{
	GPtrArray *mails = g_hash_table_lookup(ts.folders, folder);

	if (mails == NULL) {
		/* RFC 5490 section 3.2: without :create the mailbox must
		 * exist (INBOX always does). */
		if (!create && strcmp(folder, "INBOX") != 0)
			return FALSE;
		mails = g_ptr_array_new_with_free_func(ts_mail_free);
		g_hash_table_insert(ts.folders, g_strdup(folder), mails);
	}
	g_ptr_array_add(mails, ts_mail_new(ts.current_text, flags));
	return TRUE;
}

static void ts_send(const char *from, const char *to, GBytes *bytes)
{
	gsize size = 0;
	const char *data = g_bytes_get_data(bytes, &size);
	ts_mail *mail = g_new0(ts_mail, 1);

	mail->text = g_strndup(data, size);
	mail->env_from = g_strdup(from);
	mail->env_to = g_strdup(to);
	g_ptr_array_add(ts.outbox, mail);
	if (getenv("VEA_TESTSUITE_DEBUG") != NULL)
		fprintf(stderr, "testsuite: sent from <%s> to <%s>:\n%s\n", from, to, mail->text);
}

static const char *ts_config(const char *key)
{
	const char *value = g_hash_table_lookup(ts.active, key);

	return value != NULL && *value != '\0' ? value : NULL;
}

static gboolean ts_config_bool(const char *key)
{
	const char *value = ts_config(key);

	return value != NULL &&
	       (g_ascii_strcasecmp(value, "yes") == 0 || g_ascii_strcasecmp(value, "true") == 0 ||
		strcmp(value, "1") == 0 || g_ascii_strcasecmp(value, "on") == 0);
}

/* An envelope path as the decisions take it: "" for <>, the address
 * without its angle brackets, NULL when unknown. New. */
static char *ts_path(const char *value)
{
	g_autofree char *path = NULL;
	size_t len;

	if (value == NULL)
		return NULL;
	path = g_strstrip(g_strdup(value));
	len = strlen(path);
	if (len >= 2 && path[0] == '<' && path[len - 1] == '>') {
		char *inner = g_strndup(path + 1, len - 2);

		g_free(path);
		path = inner;
	}
	return g_steal_pointer(&path);
}

static void ts_debug(const char *what, const outgoing_verdict *verdict)
{
	if (getenv("VEA_TESTSUITE_DEBUG") != NULL)
		fprintf(stderr, "testsuite: %s: %s: %s\n", ts.test_name != NULL ? ts.test_name : "",
			what, verdict->check == OUTGOING_SEND ? "send" : verdict->reason);
}

/* A vacation action as the agent carries it out (src/agent/outgoing.c):
 * outgoing_vacation_decide, then outgoing_vacation_compose. The
 * executive is Pigeonhole's user: the envelope recipient (or, with
 * sieve_vacation_use_original_recipient, the original one too) and
 * sieve_user_email, which is also the reply's From when set. */
static gboolean ts_send_vacation(sieve_run *run, const sieve_action *action)
{
	g_autofree char *sender = ts_path(ts.envelope.from);
	g_autofree char *recipient = ts_path(ts.envelope.to);
	g_autofree char *orig = ts_path(ts.env_orig_to);
	const char *user_email = ts_config("sieve_user_email");
	gboolean use_orig = ts_config_bool("sieve_vacation_use_original_recipient") &&
			    orig != NULL && *orig != '\0';
	const char *own[4] = { NULL };
	const char *email = user_email != NULL ? user_email : use_orig ? orig : recipient;
	outgoing_vacation policy = { 0 };
	outgoing_message message;
	outgoing_verdict verdict = { 0 };
	g_autofree char *message_id = NULL, *error = NULL;
	g_autoptr(GBytes) bytes = NULL;
	outgoing_check check;
	guint n = 0;

	if (user_email != NULL)
		own[n++] = user_email;
	if (recipient != NULL && *recipient != '\0')
		own[n++] = recipient;
	if (use_orig)
		own[n++] = orig;
	policy.own_addresses = own;
	policy.extra_addresses = (const char *const *)action->addresses;
	/* No cut-off by age, no tracking (Pigeonhole's testsuite keeps no
	 * duplicate database either: each test answers again), no budget. */
	outgoing_message_from_mime(&message, run->msg, 0);
	message.return_path = sender;
	message.envelope_to = recipient;
	check = outgoing_vacation_decide(&policy, &message, &verdict);
	ts_debug("vacation", &verdict);
	if (check == OUTGOING_SEND) {
		outgoing_vacation_reply reply = {
			.from = action->from,
			.subject = action->subject,
			.reason = action->reason,
			.mime = action->mime,
			.own_address = email,
		};

		bytes = outgoing_vacation_compose(&reply, run->msg, verdict.reply_to, &message_id,
						  &error);
		/* RFC 3834 3.3: from <>, unless the account sends replies
		 * from the executive's address (vacation_envelope_sender,
		 * Pigeonhole's sieve_vacation_send_from_recipient). */
		if (bytes != NULL)
			ts_send(ts_config_bool("sieve_vacation_send_from_recipient") ? email : "",
				verdict.reply_to, bytes);
	}
	outgoing_verdict_clear(&verdict);
	outgoing_message_clear(&message);
	return check != OUTGOING_SEND || bytes != NULL;
}

/* Who sends notifications: the assistant's [smtp] from. The runner's
 * assistant is the postmaster, as Pigeonhole's default notification
 * sender (sieve_notify_mailto_envelope_from). */
#define TS_ASSISTANT "postmaster@vea.example"

/* A notify mailto action as the agent carries it out: outgoing_mailto_parse,
 * outgoing_notify_decide (every recipient allowed: the runner has no
 * notify_allowed), outgoing_notify_compose; one outgoing message per
 * envelope recipient, as Pigeonhole's testsuite records them. */
static gboolean ts_send_notify(sieve_run *run, const sieve_action *action)
{
	static const char *const anyone[] = { "*", NULL };
	outgoing_mailto uri;
	outgoing_notify policy = { .allowed = anyone };
	outgoing_message message;
	outgoing_verdict verdict = { 0 };
	g_autofree const char **recipients = NULL;
	g_autofree char *sender = ts_path(ts.envelope.from);
	g_autofree char *message_id = NULL, *error = NULL;
	g_autoptr(GBytes) bytes = NULL;
	gboolean ok = TRUE;

	if (action->method == NULL || g_ascii_strncasecmp(action->method, "mailto:", 7) != 0)
		return TRUE;
	outgoing_mailto_parse(action->method, &uri);
	recipients = outgoing_mailto_recipients(&uri);
	outgoing_message_from_mime(&message, run->msg, 0);
	message.return_path = sender;
	outgoing_notify_decide(&policy, &message, recipients, &verdict);
	ts_debug("notify", &verdict);
	if (verdict.check == OUTGOING_SEND) {
		outgoing_notification notification = {
			.uri = &uri,
			.recipients = (const char *const *)verdict.recipients,
			.from_address = TS_ASSISTANT,
			.message = action->reason,
			.importance = action->importance,
		};

		bytes = outgoing_notify_compose(&notification, run->msg, &message_id, &error);
		ok = bytes != NULL;
		for (char **r = verdict.recipients; ok && *r != NULL; r++)
			ts_send(verdict.null_sender ? "" : TS_ASSISTANT, *r, bytes);
	} else if (verdict.check == OUTGOING_BAD_RECIPIENT || verdict.check == OUTGOING_ERROR) {
		ok = FALSE;
	}
	outgoing_verdict_clear(&verdict);
	outgoing_message_clear(&message);
	outgoing_mailto_clear(&uri);
	return ok;
}

/* A redirect: the message as it is, from the envelope sender. */
static gboolean ts_send_redirect(const sieve_action *action)
{
	g_autoptr(GBytes) bytes = g_bytes_new(ts.current_text, strlen(ts.current_text));

	ts_send(ts.envelope.from != NULL ? ts.envelope.from : "", action->address, bytes);
	return TRUE;
}

static gboolean ts_execute_action(sieve_run *run, const sieve_action *action)
{
	switch (action->type) {
	case SIEVE_ACTION_KEEP:
		return ts_store("INBOX", TRUE, action->flags);
	case SIEVE_ACTION_FILEINTO:
		return ts_store(action->mailbox, action->create, action->flags);
	case SIEVE_ACTION_REDIRECT:
		return ts_send_redirect(action);
	case SIEVE_ACTION_VACATION:
		return ts_send_vacation(run, action);
	case SIEVE_ACTION_NOTIFY:
		return ts_send_notify(run, action);
	default:
		return TRUE;
	}
}

static int tst_test_result_execute_test(sieve_run *run,
					const sieve_ast_node *node,
					gboolean *result_r)
{
	GPtrArray *actions = run->result.actions;
	gboolean ok = TRUE;

	/* As Pigeonhole's testsuite, the outgoing messages are those of
	 * this execution: test_message :smtp 0 is the first one it sent. */
	g_ptr_array_set_size(ts.outbox, 0);
	/* Like Pigeonhole's result execution, each action is carried out
	 * once however often the result is executed. */
	for (; ts.executed < actions->len; ts.executed++) {
		if (!ts_execute_action(run, g_ptr_array_index(actions, ts.executed)))
			ok = FALSE;
	}
	if (!run->result.keep_cancelled && !ts.implicit_done) {
		g_auto(GStrv) flags = run->result.flags != NULL &&
						      run->result.flags->len > 0 ?
					      g_strdupv((char **)sieve_result_get_flags(
						      &run->result)) :
					      NULL;

		ts.implicit_done = TRUE;
		if (!ts_store("INBOX", TRUE, flags))
			ok = FALSE;
	}
	*result_r = ok;
	return 0;
}

static const sieve_command_def tst_test_result_execute = {
	.name = "test_result_execute",
	.flags = SIEVE_CMD_TEST,
	.test = tst_test_result_execute_test,
};

/* -------------------------------------------------- test_result_action */

static const sieve_tag_def tag_index = {
	"index", (sieve_tag_id)0x1000, SIEVE_TAG_GROUP_NONE,
	SIEVE_PARAM_NUMBER, NULL
};
static const sieve_tag_def *const tst_test_result_action_tags[] = {
	&tag_index, NULL
};

typedef struct ts_action_data {
	sieve_match_spec match;
	char **keys;
	guint64 index; /* 0: every action */
} ts_action_data;

static void ts_action_data_free(gpointer data)
{
	ts_action_data *d = data;

	g_strfreev(d->keys);
	g_free(d);
}

static int tst_test_result_action_validate(sieve_validator *v,
					   sieve_ast_node *node,
					   const sieve_args *args)
{
	ts_action_data *data = g_new0(ts_action_data, 1);
	unsigned int i;

	data->match = args->match;
	data->keys = sieve_arg_dup_strv(args->positional[0]);
	for (i = 0; i < args->n_tags; i++) {
		if (args->tags[i] == &tag_index)
			data->index = args->tag_params[i]->number;
	}
	node->data = data;
	node->data_free = ts_action_data_free;
	return 0;
}

/* Pigeonhole's action names. */
static const char *ts_action_name(const sieve_action *action)
{
	switch (action->type) {
	case SIEVE_ACTION_KEEP:
		return "keep";
	case SIEVE_ACTION_FILEINTO:
		return "store";
	case SIEVE_ACTION_DISCARD:
		return "discard";
	case SIEVE_ACTION_REDIRECT:
		return "redirect";
	case SIEVE_ACTION_VACATION:
		return "vacation";
	case SIEVE_ACTION_NOTIFY:
		return "notify";
	default:
		return "bill";
	}
}

static int tst_test_result_action_test(sieve_run *run,
				       const sieve_ast_node *node,
				       gboolean *result_r)
{
	const ts_action_data *data = node->data;
	GPtrArray *actions = run->result.actions;
	sieve_match match;
	gboolean matched = FALSE;
	guint i;

	sieve_match_init(&match, &data->match, data->keys);
	for (i = 0; i < actions->len && !matched; i++) {
		if (data->index > 0 && i + 1 != data->index)
			continue;
		matched = sieve_match_value(
			&match, ts_action_name(g_ptr_array_index(actions, i)));
	}
	*result_r = matched || sieve_match_finish(&match);
	sieve_match_deinit(&match);
	return 0;
}

static const sieve_command_def tst_test_result_action = {
	.name = "test_result_action",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_MATCH,
	.positional = "L",
	.tags = tst_test_result_action_tags,
	.validate = tst_test_result_action_validate,
	.test = tst_test_result_action_test,
};

/* -------------------------------------------------------- test_message */

static const sieve_tag_def tag_smtp = {
	"smtp", (sieve_tag_id)0x1001, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE,
	NULL
};
static const sieve_tag_def tag_folder = {
	"folder", (sieve_tag_id)0x1002, SIEVE_TAG_GROUP_NONE,
	SIEVE_PARAM_STRING, NULL
};
static const sieve_tag_def *const test_message_tags[] = {
	&tag_smtp, &tag_folder, NULL
};

typedef struct ts_message_data {
	char *folder; /* NULL: :smtp */
	guint64 index;
} ts_message_data;

static void ts_message_data_free(gpointer data)
{
	ts_message_data *d = data;

	g_free(d->folder);
	g_free(d);
}

static int test_message_validate(sieve_validator *v, sieve_ast_node *node,
				 const sieve_args *args)
{
	ts_message_data *data;
	unsigned int i, n = 0;
	const char *folder = NULL;

	for (i = 0; i < args->n_tags; i++) {
		if (args->tags[i] == &tag_folder) {
			folder = sieve_arg_string(args->tag_params[i]);
			n++;
		} else if (args->tags[i] == &tag_smtp) {
			n++;
		}
	}
	if (n != 1) {
		sieve_validator_error(v, node->line, node->column,
				      "test_message needs exactly one of "
				      ":smtp and :folder");
		return -1;
	}
	data = g_new0(ts_message_data, 1);
	data->folder = g_strdup(folder);
	data->index = args->positional[0]->number;
	node->data = data;
	node->data_free = ts_message_data_free;
	return 0;
}

/* Make the message current: 1 done, 0 no such message, -1 run error. */
static int test_message_get(sieve_run *run, const sieve_ast_node *node,
			    char **what_r)
{
	const ts_message_data *data = node->data;
	g_autofree char *error = NULL;
	const ts_mail *mail;

	if (data->folder == NULL) {
		*what_r = g_strdup_printf("no outgoing SMTP message with "
					  "index %" G_GUINT64_FORMAT,
					  data->index);
		if (data->index >= ts.outbox->len)
			return 0;
		mail = g_ptr_array_index(ts.outbox, data->index);
	} else {
		const char *folder = sieve_run_str(run, data->folder);
		GPtrArray *mails = g_hash_table_lookup(ts.folders, folder);

		*what_r = g_strdup_printf("no message in folder '%s' with "
					  "index %" G_GUINT64_FORMAT,
					  folder, data->index);
		if (mails == NULL || data->index >= mails->len)
			return 0;
		mail = g_ptr_array_index(mails, data->index);
	}
	if (ts_set_message(run, mail->text, mail->flags, &error) < 0) {
		sieve_run_error(run, node, "test_message: bad message: %s",
				error);
		return -1;
	}
	if (data->folder == NULL) {
		ts_set_env(&ts.env_from, mail->env_from);
		ts_set_env(&ts.env_to, mail->env_to);
		ts.envelope.from = ts.env_from;
		ts.envelope.to = ts.env_to;
	}
	return 1;
}

static sieve_exec_status cmd_test_message_execute(sieve_run *run,
						  const sieve_ast_node *node)
{
	g_autofree char *what = NULL;
	int ret = test_message_get(run, node, &what);

	if (ret < 0)
		return SIEVE_EXEC_FAILED;
	/* As Pigeonhole: the test fails, but the block goes on. */
	if (ret == 0 && ts.soft_fail == NULL)
		ts.soft_fail = g_steal_pointer(&what);
	return SIEVE_EXEC_OK;
}

static int tst_test_message_test(sieve_run *run, const sieve_ast_node *node,
				 gboolean *result_r)
{
	g_autofree char *what = NULL;
	int ret = test_message_get(run, node, &what);

	*result_r = ret > 0;
	return ret < 0 ? -1 : 0;
}

static const sieve_command_def cmd_test_message = {
	.name = "test_message",
	.positional = "N",
	.tags = test_message_tags,
	.validate = test_message_validate,
	.execute = cmd_test_message_execute,
};

static const sieve_command_def tst_test_message = {
	.name = "test_message",
	.flags = SIEVE_CMD_TEST,
	.positional = "N",
	.tags = test_message_tags,
	.validate = test_message_validate,
	.test = tst_test_message_test,
};

/* ----------------------------------------- test_config_set and reload */

/* Settings are kept as given and take effect at test_config_reload, as
 * in Pigeonhole; the runner reads the ones vea has an equivalent of
 * (see the top of this file), any other is accepted and changes nothing. */
static int cmd_test_config_set_validate(sieve_validator *v, sieve_ast_node *node,
					const sieve_args *args)
{
	ts_set_data *data = g_new0(ts_set_data, 1);

	data->object = g_strdup(sieve_arg_string(args->positional[0]));
	data->value = args->positional[1] != NULL ?
			      g_strdup(sieve_arg_string(args->positional[1])) :
			      NULL;
	node->data = data;
	node->data_free = ts_set_data_free;
	return 0;
}

static sieve_exec_status cmd_test_config_set_execute(sieve_run *run,
						     const sieve_ast_node *node)
{
	const ts_set_data *data = node->data;

	g_hash_table_insert(ts.config, g_strdup(sieve_run_str(run, data->object)),
			    g_strdup(data->value != NULL ? sieve_run_str(run, data->value) : ""));
	return SIEVE_EXEC_OK;
}

static const sieve_command_def cmd_test_config_set = {
	.name = "test_config_set",
	.positional = "SS",
	.validate = cmd_test_config_set_validate,
	.execute = cmd_test_config_set_execute,
};

static const sieve_command_def cmd_test_config_unset = {
	.name = "test_config_unset",
	.positional = "S",
	.validate = cmd_test_config_set_validate,
	.execute = cmd_test_config_set_execute,
};

static const sieve_tag_def tag_extension = {
	"extension", (sieve_tag_id)0x1003, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING, NULL
};
static const sieve_tag_def *const test_config_reload_tags[] = { &tag_extension, NULL };

static sieve_exec_status cmd_test_config_reload_execute(sieve_run *run,
							const sieve_ast_node *node)
{
	GHashTableIter iter;
	gpointer key, value;

	(void)run;
	(void)node;
	/* Every setting, whichever :extension is named: the runner reads
	 * them only when a result is executed. */
	g_hash_table_iter_init(&iter, ts.config);
	while (g_hash_table_iter_next(&iter, &key, &value))
		g_hash_table_insert(ts.active, g_strdup(key), g_strdup(value));
	return SIEVE_EXEC_OK;
}

static const sieve_command_def cmd_test_config_reload = {
	.name = "test_config_reload",
	.tags = test_config_reload_tags,
	.execute = cmd_test_config_reload_execute,
};

/* ----------------------------- test_script_compile and test_script_run */

static int tst_test_script_compile_test(sieve_run *run, const sieve_ast_node *node,
					gboolean *result_r)
{
	const char *name = sieve_run_str(run, node->data);
	g_autofree char *path = g_path_is_absolute(name) ? g_strdup(name) :
				g_build_filename(ts.dir, name, NULL);
	sieve_script *script = NULL;
	GPtrArray *errors = NULL;

	*result_r = sieve_script_compile_file(path, &script, &errors) == 0;
	if (*result_r)
		g_ptr_array_add(ts.scripts, script);
	if (errors != NULL)
		g_ptr_array_unref(errors);
	return 0;
}

static const sieve_command_def tst_test_script_compile = {
	.name = "test_script_compile",
	.flags = SIEVE_CMD_TEST,
	.positional = "S",
	.validate = cmd_string_validate,
	.test = tst_test_script_compile_test,
};

/* Run the script compiled last on the current message: its actions
 * become the result (the implicit keep among them, when it applies). */
static int tst_test_script_run_test(sieve_run *run, const sieve_ast_node *node,
				    gboolean *result_r)
{
	const char *file = run->result.file;
	GPtrArray *actions = NULL;
	sieve_error *error = NULL;

	(void)node;
	*result_r = FALSE;
	if (ts.scripts->len == 0)
		return 0;
	if (sieve_script_execute(g_ptr_array_index(ts.scripts, ts.scripts->len - 1), run->msg,
				 &ts.envelope, &actions, &error) < 0) {
		sieve_error_free(error);
		return 0;
	}
	sieve_result_deinit(&run->result);
	sieve_result_init(&run->result, file);
	g_ptr_array_unref(run->result.actions);
	run->result.actions = actions;
	run->result.keep_cancelled = TRUE;
	ts.executed = 0;
	ts.implicit_done = FALSE;
	*result_r = TRUE;
	return 0;
}

static const sieve_command_def tst_test_script_run = {
	.name = "test_script_run",
	.flags = SIEVE_CMD_TEST,
	.test = tst_test_script_run_test,
};

/* ----------------------------------------------------------- extension */

static const sieve_command_def *const testsuite_commands[] = {
	&cmd_test,
	&cmd_test_fail,
	&cmd_test_set,
	&cmd_test_result_reset,
	&tst_test_result_execute,
	&tst_test_result_action,
	&cmd_test_message,
	&tst_test_message,
	&cmd_test_config_set,
	&cmd_test_config_unset,
	&cmd_test_config_reload,
	&tst_test_script_compile,
	&tst_test_script_run,
	NULL
};

const sieve_extension testsuite_extension = {
	.capability = "vnd.dovecot.testsuite",
	.commands = testsuite_commands,
};

void testsuite_begin(const char *path, testsuite_report_fn *report, void *context,
		     mime_message **msg_r, const sieve_envelope **envelope_r)
{
	g_autofree char *error = NULL;

	memset(&ts, 0, sizeof(ts));
	ts.report = report;
	ts.context = context;
	ts.messages = g_ptr_array_new_with_free_func(ts_message_free);
	ts.folders = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   (GDestroyNotify)g_ptr_array_unref);
	ts.outbox = g_ptr_array_new_with_free_func(ts_mail_free);
	ts.config = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	ts.active = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	ts.scripts = g_ptr_array_new_with_free_func(ts_script_free);
	ts.dir = g_path_get_dirname(path);
	ts_set_message(NULL, testsuite_default_message, NULL, &error);
	*msg_r = g_ptr_array_index(ts.messages, 0);
	*envelope_r = &ts.envelope;
}

void testsuite_end(void)
{
	g_ptr_array_unref(ts.messages);
	g_hash_table_unref(ts.folders);
	g_ptr_array_unref(ts.outbox);
	g_hash_table_unref(ts.config);
	g_hash_table_unref(ts.active);
	g_ptr_array_unref(ts.scripts);
	g_free(ts.dir);
	g_free(ts.env_from);
	g_free(ts.env_to);
	g_free(ts.env_orig_to);
	g_free(ts.env_auth);
	g_strfreev(ts.current_flags);
	g_free(ts.current_text);
	g_free(ts.fail_reason);
	g_free(ts.soft_fail);
	memset(&ts, 0, sizeof(ts));
}
