/* How the rules' outgoing actions become outbox messages: vacation
 * replies (RFC 5230, RFC 3834), redirects (RFC 5228 4.2) and mailto
 * notifications (RFC 5436). Decided and composed when the message is
 * planned; queued in the transaction that journals the action (sync.c),
 * sent by the outbox's sender. Mail vea sends on an executive's behalf is
 * the most dangerous thing it does: everything that can stop a message
 * here does, and says why in the journal (state skipped, reason). */

#include "agent/agent-private.h"
#include "mime/compose.h"
#include <gmime/gmime.h>
#include "mime/message.h"
#include "outgoing/outgoing.h"
#include "util/clock.h"
#include "util/log.h"

#include <string.h>

/* How long a message may wait in the outbox before it is pointless:
 * an auto-reply a day late, a notification an hour late. */
#define OUTGOING_VACATION_EXPIRES (24 * 3600)
#define OUTGOING_NOTIFY_EXPIRES 3600
#define OUTGOING_REDIRECT_EXPIRES (5 * 24 * 3600)
/* A redirect larger than this is refused rather than queued. */
#define OUTGOING_REDIRECT_MAX_SIZE (25 * 1024 * 1024)

static void outgoing_skip(plan_step *step, const char *reason)
{
	step->row.state = STORE_ACTION_SKIPPED;
	g_free(step->row.reason);
	step->row.reason = g_strdup(reason);
}

static void outgoing_fail(plan_step *step, const char *reason)
{
	step->row.state = STORE_ACTION_FAILED;
	g_free(step->row.reason);
	step->row.reason = g_strdup(reason);
}

/* The domain of addr, for Message-IDs; NULL when none. */
static const char *outgoing_domain(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

/* The executive's own address for this account: the client's email. */
static const char *outgoing_own_address(const agent_run *run)
{
	return run->account->client->email;
}

/* Queue bytes as the step's outbox message. */
static void outgoing_queue(agent_run *run, plan_step *step, GBytes *bytes, const char *message_id,
			   const char *mail_from, const char *recipient, gboolean as_executive,
			   int64_t expires)
{
	store_outbox_message *m = g_new0(store_outbox_message, 1);
	gsize size = 0;
	const char *data = g_bytes_get_data(bytes, &size);
	int64_t now = clock_now_unix();

	m->client = g_strdup(run->account->client->id);
	m->account = as_executive ? g_strdup(run->account->id) : NULL;
	m->kind = step->row.kind;
	m->message_id = g_strdup(message_id);
	m->mail_from = g_strdup(mail_from != NULL ? mail_from : "");
	m->recipients = g_new0(char *, 2);
	m->recipients[0] = g_strdup(recipient);
	m->data = g_strndup(data, size);
	m->size = size;
	m->next_attempt_at = now;
	m->expires_at = now + expires;
	m->created_at = now;
	/* What the executive "sent" belongs in their Sent (RFC 6154 \Sent):
	 * a vacation reply. A redirect is the sender's message, not theirs. */
	m->sent_copy = g_strdup(as_executive && step->row.kind == ACTION_VACATION ? "wanted" : "");
	step->outgoing = m;
	step->row.state = STORE_ACTION_DONE;
	g_free(step->row.result);
	step->row.result = g_strdup_printf("queued for %s", recipient);
}

/* ---- vacation ---- */

/* The reply (RFC 5230 5, RFC 3834 3), composed by src/outgoing (which the
 * Sieve conformance runner checks against Pigeonhole's tests). */
static GBytes *outgoing_vacation_bytes(agent_run *run, const sieve_action *action,
				       mime_message *mime, const char *to, char **message_id_r,
				       char **error_r)
{
	const conf_client *client = run->account->client;
	outgoing_vacation_reply reply = {
		.from = action->from,
		.subject = action->subject,
		.reason = action->reason,
		.mime = action->mime,
		.own_name = client->name,
		.own_address = client->email,
	};

	return outgoing_vacation_compose(&reply, mime, to, message_id_r, error_r);
}

/* ---- redirect ---- */


/* The message as it was received, with vea's trace and loop fields on
 * top and Return-Path removed (the next delivery adds its own; RFC 5321
 * 4.4), the body and every signed field untouched so that DKIM still
 * verifies. No Resent-*: RFC 5322 3.6.6 says they are not for
 * forwarding. */
static GBytes *outgoing_redirect_bytes(agent_run *run, const char *raw, size_t len)
{
	GString *out = g_string_sized_new(len + 256);
	g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc(clock_now_unix());
	g_autofree char *date = g_date_time_format(now, "%a, %d %b %Y %H:%M:%S +0000");
	const char *p = raw, *end = raw + len;
	gboolean skipping = FALSE;

	g_string_append_printf(out, "Received: by vea (IMAP account %s); %s\r\n",
			       run->account->id, date);
	g_string_append_printf(out, OUTGOING_REDIRECT_HEADER ": %s\r\n", outgoing_own_address(run));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl != NULL ? nl + 1 : end;
		size_t n = (size_t)(line_end - p);

		if (n <= 2 && (*p == '\n' || (*p == '\r' && n == 2 && p[1] == '\n'))) {
			/* The end of the header: the rest is the body, as is. */
			g_string_append(out, "\r\n");
			p = line_end;
			break;
		}
		if (*p != ' ' && *p != '\t')
			skipping = n >= 12 && g_ascii_strncasecmp(p, "return-path:", 12) == 0;
		if (!skipping) {
			g_string_append_len(out, p, (gssize)(n - (n >= 1 && p[n - 1] == '\n')));
			if (n >= 2 && p[n - 2] == '\r')
				g_string_truncate(out, out->len - 1);
			g_string_append(out, "\r\n");
		}
		p = line_end;
	}
	/* The body: lines end CRLF for SMTP (RFC 5321 2.3.8). */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl != NULL ? nl : end;
		size_t n = (size_t)(line_end - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		g_string_append_len(out, p, (gssize)n);
		if (nl != NULL)
			g_string_append(out, "\r\n");
		p = nl != NULL ? nl + 1 : end;
	}
	return g_string_free_to_bytes(out);
}

/* ---- notify (RFC 5436) ---- */

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(outgoing_mailto, outgoing_mailto_clear)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(outgoing_verdict, outgoing_verdict_clear)

/* ---- deciding ---- */

/* When the message arrived: the newest Received field's date (the last
 * hop, RFC 5321 4.4), else its Date; 0 when neither can be read. */
int64_t agent_message_arrival(mime_message *mime)
{
	const char *const *received = mime_message_get_header_values(mime, "received");
	const char *const *date = mime_message_get_header_values(mime, "date");
	const char *text = NULL;

	if (received != NULL && received[0] != NULL && strrchr(received[0], ';') != NULL)
		text = strrchr(received[0], ';') + 1;
	else if (date != NULL && date[0] != NULL)
		text = date[0];
	if (text == NULL)
		return 0;
	{
		g_autoptr(GDateTime) when = g_mime_utils_header_decode_date(text);

		return when != NULL ? g_date_time_to_unix(when) : 0;
	}
}

/* vea's own checks, because it reads mail after delivery and sends as
 * the executive: no automatic mail for a message older than the cut-off
 * (a first sync of an old inbox, catching up after days down), none for
 * mail vea sent itself, and at most so many a client an hour. Returns the
 * reason to skip, or NULL. */
static char *outgoing_vea_refusal(agent_run *run, mime_message *mime, action_kind kind)
{
	const conf *config = run->conf;
	const char *message_id = mime_message_get_message_id(mime);
	const char *const *mark = mime_message_get_header_values(mime, OUTGOING_MARK_HEADER);
	const char *const *redirected = mime_message_get_header_values(mime, OUTGOING_REDIRECT_HEADER);
	int64_t now = clock_now_unix(), arrived = agent_message_arrival(mime);

	/* The per-client budget is the decisions' (outgoing_over_budget). */
	if ((message_id != NULL && g_str_has_prefix(message_id, "vea.")) ||
	    (mark != NULL && mark[0] != NULL))
		return g_strdup("the message is one vea sent");
	if (redirected != NULL && redirected[0] != NULL && kind != ACTION_REDIRECT)
		return g_strdup("the message was redirected by vea");
	if (config->auto_mail_max_age == 0)
		return NULL; /* auto_mail_max_age = 0: no cut-off */
	if (arrived == 0)
		return g_strdup("the message has no date to tell how old it is");
	if (now - arrived > config->auto_mail_max_age)
		return g_strdup_printf("the message arrived %" G_GINT64_FORMAT " hours ago, more than "
				       "auto_mail_max_age (%" G_GINT64_FORMAT " h) allows",
				       (now - arrived) / 3600, config->auto_mail_max_age / 3600);
	return NULL;
}

static void outgoing_count_pending(agent_run *run, action_kind kind)
{
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(run->pending_outgoing, GINT_TO_POINTER(kind)));

	g_hash_table_insert(run->pending_outgoing, GINT_TO_POINTER(kind), GUINT_TO_POINTER(n + 1));
}

/* What the decisions ask of the agent while one step is prepared. */
typedef struct outgoing_context {
	agent_run *run;
	const char *handle;
	action_kind kind;
} outgoing_context;

/* RFC 5230 4.2 tracking: a reply queued earlier in this sync (not yet in
 * the store), or one the store knows. */
static int outgoing_answered(void *context, const char *sender, char **error_r)
{
	outgoing_context *ctx = context;
	g_autofree char *key = g_strdup_printf("%s\n%s", sender, ctx->handle);

	if (g_hash_table_contains(ctx->run->pending_keys, key))
		return 1;
	return store_vacation_answered(ctx->run->store, ctx->run->account->client->id, sender,
				       ctx->handle, clock_now_unix(), error_r);
}

/* The client's budget: auto_mail_per_hour messages of a kind an hour. */
static int outgoing_over_budget(void *context, const char *who, char **why_r)
{
	outgoing_context *ctx = context;
	agent_run *run = ctx->run;
	guint last_hour = 0, pending;
	char *error = NULL;

	(void)who;
	if (store_outbox_count_since(run->store, run->account->client->id, ctx->kind,
				     clock_now_unix() - 3600, &last_hour, &error) < 0) {
		*why_r = error;
		return -1;
	}
	pending = GPOINTER_TO_UINT(g_hash_table_lookup(run->pending_outgoing,
						       GINT_TO_POINTER(ctx->kind)));
	if (last_hour + pending < (guint)run->conf->auto_mail_per_hour)
		return 0;
	*why_r = g_strdup_printf("%u %s messages for client %s in the last hour: auto_mail_per_hour "
				 "is %d", last_hour + pending, action_kind_name(ctx->kind),
				 run->account->client->id, run->conf->auto_mail_per_hour);
	return 1;
}

static void outgoing_prepare_vacation(agent_run *run, plan_step *step, const sieve_action *action,
				      mime_message *mime)
{
	const conf_client *client = run->account->client;
	g_autoptr(GPtrArray) own = agent_client_addresses(run);
	g_auto(GStrv) no_reply = outgoing_no_reply_patterns(
		(const char *const *)run->conf->no_reply_senders);
	outgoing_context ctx = { run, action->handle, ACTION_VACATION };
	outgoing_vacation policy = {
		.own_addresses = (const char *const *)own->pdata,
		.extra_addresses = (const char *const *)action->addresses,
		.no_reply_patterns = (const char *const *)no_reply,
		.now = clock_now_unix(),
		.max_age = run->conf->auto_mail_max_age,
		.answered = outgoing_answered,
		.over_budget = outgoing_over_budget,
		.context = &ctx,
	};
	outgoing_message message;
	outgoing_verdict verdict = { 0 };
	g_autofree char *message_id = NULL, *error = NULL, *track_key = NULL;
	g_autoptr(GBytes) bytes = NULL;

	outgoing_message_from_mime(&message, mime, agent_message_arrival(mime));
	if (outgoing_vacation_decide(&policy, &message, &verdict) != OUTGOING_SEND) {
		if (verdict.check == OUTGOING_ERROR)
			outgoing_fail(step, verdict.reason);
		else
			outgoing_skip(step, verdict.reason);
		goto out;
	}
	bytes = outgoing_vacation_bytes(run, action, mime, verdict.reply_to, &message_id, &error);
	if (bytes == NULL) {
		outgoing_fail(step, error);
		goto out;
	}
	/* RFC 3834 3.3: replies go from <> unless the account says the
	 * executive's own address (some submission servers refuse <>). */
	outgoing_queue(run, step, bytes, message_id,
		       run->account->vacation_envelope_sender ? client->email : "", verdict.reply_to,
		       TRUE, OUTGOING_VACATION_EXPIRES);
	step->track_sender = g_strdup(verdict.sender);
	step->track_handle = g_strdup(action->handle);
	step->track_period = (int64_t)action->seconds;
	track_key = g_strdup_printf("%s\n%s", verdict.sender, action->handle);
	g_hash_table_add(run->pending_keys, g_steal_pointer(&track_key));
	outgoing_count_pending(run, ACTION_VACATION);
out:
	outgoing_verdict_clear(&verdict);
	outgoing_message_clear(&message);
}

static void outgoing_prepare_redirect(agent_run *run, plan_step *step, const sieve_action *action,
				      mime_message *mime, const char *raw, size_t len)
{
	const conf_client *client = run->account->client;
	g_autofree char *refusal = NULL;
	g_autoptr(GBytes) bytes = NULL;
	const char *message_id = mime_message_get_message_id(mime);
	g_autofree char *own_id = NULL;

	{
		g_autoptr(GPtrArray) own = agent_client_addresses(run);
		outgoing_context ctx = { run, NULL, ACTION_REDIRECT };
		outgoing_redirect policy = {
			.own_addresses = (const char *const *)own->pdata,
			.max_per_message = 4, /* Pigeonhole's sieve_max_redirects */
			.over_budget = outgoing_over_budget,
			.context = &ctx,
		};
		outgoing_message message;
		outgoing_verdict verdict = { 0 };
		outgoing_check check;

		outgoing_message_from_mime(&message, mime, agent_message_arrival(mime));
		check = outgoing_redirect_decide(&policy, &message, action->address, &verdict);
		if (check != OUTGOING_SEND) {
			if (check == OUTGOING_ERROR)
				outgoing_fail(step, verdict.reason);
			else
				outgoing_skip(step, verdict.reason);
		}
		outgoing_verdict_clear(&verdict);
		outgoing_message_clear(&message);
		if (check != OUTGOING_SEND)
			return;
	}
	if (len > OUTGOING_REDIRECT_MAX_SIZE) {
		outgoing_fail(step, "the message is larger than 25 MiB: not redirected");
		return;
	}
	refusal = outgoing_vea_refusal(run, mime, ACTION_REDIRECT);
	if (refusal != NULL) {
		outgoing_skip(step, refusal);
		return;
	}
	bytes = outgoing_redirect_bytes(run, raw, len);
	if (message_id == NULL || !mime_message_id_is_valid(message_id))
		message_id = own_id = mime_message_id_new(outgoing_domain(client->email),
							  "vea.redirect");
	/* The outbox keys a redirect by the message and where it goes: the
	 * same message is never sent to the same address twice, whichever
	 * mailbox or account it is found in again. */
	{
		g_autofree char *key = g_strdup_printf("%s redirected to %s", message_id,
						       action->address);
		char *error = NULL;
		int known = store_outbox_has_message_id(run->store, key, &error);

		if (known != 0 || g_hash_table_contains(run->pending_keys, key)) {
			if (known < 0)
				outgoing_fail(step, error);
			else
				outgoing_skip(step, "already redirected to this address");
			g_free(error);
			return;
		}
		outgoing_queue(run, step, bytes, key, client->email, action->address, TRUE,
			       OUTGOING_REDIRECT_EXPIRES);
		g_hash_table_add(run->pending_keys, g_steal_pointer(&key));
	}
	outgoing_count_pending(run, ACTION_REDIRECT);
}

/* RFC 5435 8: notifications go only where the configuration allows (the
 * assistant, the executive, notify_allowed), never to an address the
 * message chose. Strings borrowed. */
static GPtrArray *outgoing_notify_allowed_list(const agent_run *run)
{
	const conf_client *client = run->account->client;
	GPtrArray *allowed = g_ptr_array_new();

	if (client->email != NULL)
		g_ptr_array_add(allowed, client->email);
	for (char **a = client->aliases; a != NULL && *a != NULL; a++)
		g_ptr_array_add(allowed, *a);
	if (run->conf->assistant.email != NULL)
		g_ptr_array_add(allowed, run->conf->assistant.email);
	for (char **a = client->notify_allowed; a != NULL && *a != NULL; a++)
		g_ptr_array_add(allowed, *a);
	g_ptr_array_add(allowed, NULL);
	return allowed;
}

static void outgoing_prepare_notify(agent_run *run, plan_step *step, const sieve_action *action,
				    mime_message *mime)
{
	const conf *config = run->conf;
	g_auto(outgoing_mailto) uri = { 0 };
	g_auto(outgoing_verdict) verdict = { 0 };
	g_autoptr(GBytes) bytes = NULL;
	g_autofree char *refusal = NULL, *message_id = NULL, *where = NULL;
	g_autofree char *from_name = NULL, *from_addr = NULL, *error = NULL;

	outgoing_mailto_parse(action->method, &uri);
	{
		g_autoptr(GPtrArray) allowed = outgoing_notify_allowed_list(run);
		g_autofree const char **recipients = outgoing_mailto_recipients(&uri);
		outgoing_context ctx = { run, NULL, ACTION_NOTIFY };
		outgoing_notify policy = {
			.allowed = (const char *const *)allowed->pdata,
			.over_budget = outgoing_over_budget,
			.context = &ctx,
		};
		outgoing_message message;
		outgoing_check check;

		outgoing_message_from_mime(&message, mime, agent_message_arrival(mime));
		check = outgoing_notify_decide(&policy, &message, recipients, &verdict);
		outgoing_message_clear(&message);
		if (check != OUTGOING_SEND) {
			if (check == OUTGOING_ERROR || check == OUTGOING_BAD_RECIPIENT ||
			    check == OUTGOING_NO_RECIPIENT)
				outgoing_fail(step, verdict.reason);
			else
				outgoing_skip(step, verdict.reason);
			return;
		}
	}
	refusal = outgoing_vea_refusal(run, mime, ACTION_NOTIFY);
	if (refusal != NULL) {
		outgoing_skip(step, refusal);
		return;
	}
	/* From the assistant's own sending identity, through [smtp]. */
	outgoing_from_parse(config->smtp.from, &from_name, &from_addr);
	if (from_addr == NULL) {
		outgoing_fail(step, "[smtp] from is not set: vea has no address to notify from");
		return;
	}
	where = g_strdup_printf("%s/%s", run->account->id, run->mailbox);
	{
		outgoing_notification notification = {
			.uri = &uri,
			.recipients = (const char *const *)verdict.recipients,
			.from_name = from_name,
			.from_address = from_addr,
			.message = action->reason,
			.importance = action->importance,
			.where = where,
		};

		bytes = outgoing_notify_compose(&notification, mime, &message_id, &error);
	}
	if (bytes == NULL) {
		outgoing_fail(step, error);
		return;
	}
	/* Envelope <> when the trigger had one (RFC 5436 2.7: MUST). */
	outgoing_queue(run, step, bytes, message_id, verdict.null_sender ? "" : from_addr,
		       verdict.recipients[0], FALSE, OUTGOING_NOTIFY_EXPIRES);
	g_strfreev(step->outgoing->recipients);
	step->outgoing->recipients = g_strdupv(verdict.recipients);
	outgoing_count_pending(run, ACTION_NOTIFY);
}

void agent_outgoing_prepare(agent_run *run, plan_step *step, mime_message *mime, const char *raw,
			    size_t len)
{
	const sieve_action *action = step->source;

	if (action == NULL || run->options->dry_run)
		return;
	switch (step->row.kind) {
	case ACTION_VACATION:
		outgoing_prepare_vacation(run, step, action, mime);
		break;
	case ACTION_REDIRECT:
		outgoing_prepare_redirect(run, step, action, mime, raw, len);
		break;
	case ACTION_NOTIFY:
		outgoing_prepare_notify(run, step, action, mime);
		break;
	default:
		break;
	}
	if (step->row.state == STORE_ACTION_SKIPPED || step->row.state == STORE_ACTION_FAILED)
		log_info("account %s: mailbox %s: %s %s: %s", run->account->id, run->mailbox,
			 action_kind_name(step->row.kind), step->row.argument,
			 step->row.state == STORE_ACTION_SKIPPED ? step->row.reason : step->row.reason);
}
