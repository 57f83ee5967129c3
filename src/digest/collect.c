/* Collecting a digest from the journal, the executive's mailboxes and
 * the ledger. The journal is aggregated in SQL, so a day of 10,000
 * messages costs a few grouped queries and yields a digest of bounded
 * size; the server is asked about at most DIGEST_MAX_CHECK flagged
 * messages and fetched for at most DIGEST_MAX_NEEDS_YOU per account. */
#include "digest/digest.h"
#include "calendar/calendar-sync.h"
#include "util/clock.h"
#include "util/text.h"
#include "account/connect.h"
#include "imap/mailbox-name.h"
#include "ledger/ledger.h"
#include "mime/message.h"

#include <string.h>

static const char *const collect_weekdays[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const collect_months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

GDateTime *digest_clock_now(char **error_r)
{
	return clock_now_checked(error_r);
}

/* Untrusted text made fit to show (util/text.h). */
static char *collect_clean_max(const char *text, guint max)
{
	return text_clean_line(text, max);
}

static char *collect_clean(const char *text)
{
	return collect_clean_max(text, DIGEST_MAX_TEXT);
}

/* A line a reply opens its quote with: "On Tue, 3 Nov 2026, Vi wrote:". */
static gboolean collect_is_attribution(const char *line)
{
	return g_str_has_suffix(line, "wrote:") || g_str_has_suffix(line, "writes:");
}

char *digest_first_line(const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
	g_auto(GStrv) lines = g_strsplit(valid, "\n", -1);
	GString *out = NULL;
	char *clean;

	for (guint i = 0; lines[i] != NULL; i++) {
		char *line = g_strstrip(lines[i]);

		if (*line == '\0' || *line == '>' || collect_is_attribution(line))
			continue;
		/* A signature: nothing was said above it. */
		if (strcmp(line, "--") == 0)
			break;
		if (out == NULL) {
			out = g_string_new(line);
			/* "Hi Dana," alone says nothing: the next line comes along. */
			if (g_utf8_strlen(line, -1) <= 30 && g_str_has_suffix(line, ","))
				continue;
			break;
		}
		g_string_append_printf(out, " %s", line);
		break;
	}
	if (out == NULL)
		return NULL;
	clean = collect_clean_max(out->str, DIGEST_MAX_SNIPPET);
	g_string_free(out, TRUE);
	if (*clean == '\0')
		g_clear_pointer(&clean, g_free);
	return clean;
}

static void collect_item_free(gpointer data)
{
	digest_item *item = data;

	g_free(item->from);
	g_free(item->subject);
	g_free(item->mailbox);
	g_free(item->snippet);
	g_free(item);
}

static void collect_draft_free(gpointer data)
{
	digest_draft *draft = data;

	g_free(draft->to);
	g_free(draft->subject);
	g_free(draft->age);
	g_free(draft->answers_from);
	g_free(draft->answers_subject);
	g_free(draft->machine);
	g_free(draft);
}

static void collect_meeting_free(gpointer data)
{
	digest_meeting *m = data;

	g_free(m->summary);
	g_free(m->start);
	g_free(m->organizer);
	g_free(m->answer);
	g_free(m->why);
	g_free(m->via);
	g_free(m);
}

static void collect_unchecked_free(gpointer data)
{
	digest_unchecked *u = data;

	g_free(u->account);
	g_free(u->reason);
	g_free(u);
}

static void collect_count_free(gpointer data)
{
	digest_count *count = data;

	g_free(count->name);
	g_free(count);
}

static void collect_group_free(gpointer data)
{
	digest_group *group = data;

	g_ptr_array_unref(group->destinations);
	g_ptr_array_unref(group->examples);
	g_free(group);
}

static void collect_time_free(gpointer data)
{
	digest_time *t = data;

	g_free(t->billing_id);
	g_free(t->period);
	g_free(t);
}

void digest_free(digest **digestp)
{
	digest *d = *digestp;

	if (d == NULL)
		return;
	*digestp = NULL;
	g_free(d->local_date);
	g_free(d->date_label);
	g_ptr_array_unref(d->needs_you);
	g_ptr_array_unref(d->unchecked);
	g_ptr_array_unref(d->groups);
	g_ptr_array_unref(d->time);
	g_ptr_array_unref(d->due_today);
	g_ptr_array_unref(d->back_tomorrow);
	g_ptr_array_unref(d->drafts);
	g_ptr_array_unref(d->meetings_waiting);
	g_ptr_array_unref(d->meetings_answered);
	g_ptr_array_unref(d->agenda);
	g_ptr_array_unref(d->calendar_errors);
	g_ptr_array_unref(d->conflicts_ahead);
	g_ptr_array_unref(d->meetings_superseded);
	g_free(d);
}

gboolean digest_is_empty(const digest *d)
{
	return d->needs_you_total == 0 && d->handled == 0 && d->failed == 0 &&
	       d->due_today_total == 0 && d->back_tomorrow_total == 0 &&
	       d->drafts_total == 0 && d->meetings_waiting->len == 0 &&
	       d->meetings_answered->len == 0 && d->agenda->len == 0 &&
	       d->calendar_errors->len == 0 && d->conflicts_ahead->len == 0 &&
	       d->meetings_superseded->len == 0;
}

/* The part of the journal d covers (store.h: store_digest_range). */
static store_digest_range collect_range(const digest *d)
{
	return (store_digest_range){
		.client = d->client->id,
		.after_id = d->after_action_id,
		.last_id = d->last_action_id,
		.flagged_since = d->needs_you_since,
	};
}

int digest_journal_cutoff(store *st, const char *client, int64_t *id_r, char **error_r)
{
	return store_journal_cutoff(st, client, id_r, error_r);
}

/* ---- Needs you ---------------------------------------------------- */

typedef enum {
	COLLECT_UNKNOWN, /* not (yet) asked of the server */
	COLLECT_UNREAD,  /* flagged and unread where the journal says it is */
	COLLECT_DONE,    /* read, unflagged, or no longer there */
} collect_status;

/* A message the rules flagged since the last digest. */
typedef struct collect_flagged {
	store_action *row;    /* its newest addflag row */
	GPtrArray *history;   /* every journal row of the message */
	const char *mailbox;  /* where it is now (rules' name), in history or row */
	collect_status status;
	uint32_t uid;         /* on the server, when UNREAD */
	char *snippet;
} collect_flagged;

static void collect_flagged_free(gpointer data)
{
	collect_flagged *f = data;

	store_action_free(f->row);
	if (f->history != NULL)
		g_ptr_array_unref(f->history);
	g_free(f->snippet);
	g_free(f);
}

/* The messages flagged by a rule ("\Flagged" in an addflag that was not
 * undone) in the digest's range, one per message, newest first, at most
 * DIGEST_MAX_CHECK, each with where the journal says it is now; totals
 * counts them all per account (account id -> GUINT_TO_POINTER(count)). */
static int collect_flagged_rows(store *st, const digest *d, GPtrArray *flagged,
				GHashTable *totals, char **error_r)
{
	/* Not only since the last digest: a message that still waits for
	 * the executive is shown again each day until it is read, for
	 * DIGEST_NEEDS_YOU_DAYS after the rules flagged it. */
	store_digest_range range = collect_range(d);
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(int64_t));

	if (store_digest_flagged_totals(st, &range, totals, error_r) < 0)
		return -1;
	if (g_hash_table_size(totals) == 0)
		return 0;
	if (store_digest_flagged_ids(st, &range, DIGEST_MAX_CHECK, ids, error_r) < 0)
		return -1;
	for (guint i = 0; i < ids->len; i++) {
		collect_flagged *f = g_new0(collect_flagged, 1);
		int found;

		g_ptr_array_add(flagged, f);
		found = store_action_get(st, g_array_index(ids, int64_t, i), &f->row, error_r);
		if (found <= 0) {
			if (found == 0)
				*error_r = g_strdup("digest: a journal row vanished while it was read");
			return -1;
		}
		if (store_message_history(st, f->row, &f->history, error_r) < 0)
			return -1;
		f->mailbox = store_message_current_mailbox(f->history, f->row);
	}
	return 0;
}

/* The account could not be asked, for reason: its messages are listed
 * from the journal (they stay UNKNOWN). */
static void collect_unchecked(digest *d, const char *account, const char *reason)
{
	digest_unchecked *u = g_new0(digest_unchecked, 1);

	u->account = g_strdup(account);
	u->reason = g_strdup(reason);
	g_ptr_array_add(d->unchecked, u);
}

static int collect_uid_compare(gconstpointer a, gconstpointer b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static gboolean collect_uid_in(const GArray *sorted, uint32_t uid)
{
	return g_array_binary_search((GArray *)sorted, &uid, collect_uid_compare, NULL);
}

/* Decide the status of f in the mailbox selected, whose unread and
 * flagged UIDs (sorted) are unread. */
static int collect_check_one(imap_session *imap, collect_flagged *f,
			     const imap_mailbox_status *status, const GArray *unread,
			     char **error_r)
{
	GArray *found = NULL;

	f->status = COLLECT_DONE;
	if (unread->len == 0)
		return 0;
	/* Still where the rules saw it: its UID says which it is. */
	if (strcmp(f->mailbox, f->row->mailbox) == 0 && f->row->uidvalidity == status->uidvalidity) {
		if (collect_uid_in(unread, f->row->uid)) {
			f->status = COLLECT_UNREAD;
			f->uid = f->row->uid;
		}
		return 0;
	}
	/* Moved (or the mailbox was rebuilt): by Message-ID. Without one
	 * the message cannot be found again. */
	if (f->row->message_id == NULL || strpbrk(f->row->message_id, "\r\n\"") != NULL)
		return 0;
	if (imap_session_search_message_id(imap, f->row->message_id, &found, error_r) < 0)
		return -1;
	for (guint i = found->len; i-- > 0;) {
		uint32_t uid = g_array_index(found, uint32_t, i);

		if (collect_uid_in(unread, uid)) {
			f->status = COLLECT_UNREAD;
			f->uid = uid;
			break;
		}
	}
	g_array_free(found, TRUE);
	return 0;
}

/* Select mailbox (rules' name) read-only. 1: selected; 0: it does not
 * exist (so nothing is in it any more); -1: error. */
static int collect_examine(imap_session *imap, const char *mailbox, imap_mailbox_status *status,
			   char **error_r)
{
	g_autofree char *server = mailbox_name_to_server(mailbox, imap_session_get_delimiter(imap),
							 imap_session_get_prefix(imap), error_r);
	char *exists_error = NULL;
	int exists;

	if (server == NULL)
		return -1;
	if (imap_session_examine(imap, server, status, error_r) == 0)
		return 1;
	exists = imap_session_mailbox_exists(imap, server, &exists_error);
	g_free(exists_error);
	if (exists == 0) {
		g_clear_pointer(error_r, g_free);
		return 0;
	}
	return -1;
}

static int collect_fetch_one(const imap_fetched *msg, void *context, char **error_r)
{
	GPtrArray *batch = context; /* collect_flagged *, of one mailbox */
	char *error = NULL;

	(void)error_r;
	for (guint i = 0; i < batch->len; i++) {
		collect_flagged *f = g_ptr_array_index(batch, i);
		mime_message *mime;

		if (f->uid != msg->uid || f->snippet != NULL)
			continue;
		mime = mime_message_parse(msg->data, msg->len, &error);
		if (mime == NULL) {
			/* Not a message: listed without a first line. */
			g_free(error);
			return 0;
		}
		f->snippet = digest_first_line(mime_message_get_body_text(mime));
		mime_message_free(&mime);
		return 0;
	}
	return 0;
}

/* The first lines of the newest DIGEST_MAX_NEEDS_YOU of mine still
 * unread, fetched mailbox by mailbox with BODY.PEEK[] (nothing becomes
 * read). A failure costs first lines, not the list. */
static void collect_fetch_snippets(imap_session *imap, GPtrArray *mine)
{
	g_autoptr(GPtrArray) newest = g_ptr_array_new();

	for (guint i = 0; i < mine->len && newest->len < DIGEST_MAX_NEEDS_YOU; i++) {
		collect_flagged *f = g_ptr_array_index(mine, i);

		if (f->status == COLLECT_UNREAD)
			g_ptr_array_add(newest, f);
	}
	while (newest->len > 0) {
		collect_flagged *first = g_ptr_array_index(newest, 0);
		const char *mailbox = first->mailbox;
		g_autoptr(GPtrArray) batch = g_ptr_array_new();
		g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
		imap_mailbox_status status;
		char *error = NULL;

		for (guint k = 0; k < newest->len;) {
			collect_flagged *f = g_ptr_array_index(newest, k);

			if (strcmp(f->mailbox, mailbox) == 0) {
				g_ptr_array_add(batch, f);
				g_array_append_val(uids, f->uid);
				g_ptr_array_remove_index(newest, k);
			} else {
				k++;
			}
		}
		if (collect_examine(imap, mailbox, &status, &error) <= 0 ||
		    imap_session_fetch_uids(imap, uids, FALSE, collect_fetch_one, batch, &error) < 0)
			g_clear_pointer(&error, g_free);
	}
}

/* Ask the server which of one account's flagged messages (mine, newest
 * first) are still unread and flagged, mailbox by mailbox. -1 with
 * *error_r when it could not be asked. */
static int collect_check_account(imap_session *imap, GPtrArray *mine, char **error_r)
{
	g_autoptr(GHashTable) done = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < mine->len; i++) {
		collect_flagged *f = g_ptr_array_index(mine, i);
		imap_mailbox_status status;
		GArray *unread = NULL;
		int selected, ret = 0;

		if (g_hash_table_contains(done, f->mailbox))
			continue;
		g_hash_table_add(done, (gpointer)f->mailbox);
		selected = collect_examine(imap, f->mailbox, &status, error_r);
		if (selected < 0)
			return -1;
		if (selected > 0 && imap_session_search_unseen_flagged(imap, &unread, error_r) < 0)
			return -1;
		for (guint k = i; ret == 0 && k < mine->len; k++) {
			collect_flagged *other = g_ptr_array_index(mine, k);

			if (strcmp(other->mailbox, f->mailbox) != 0)
				continue;
			if (selected == 0)
				other->status = COLLECT_DONE;
			else
				ret = collect_check_one(imap, other, &status, unread, error_r);
		}
		if (unread != NULL)
			g_array_free(unread, TRUE);
		if (ret < 0)
			return -1;
	}
	/* Two journal entries found as one message (flagged again after a
	 * UIDVALIDITY change): listed once, as the newest. */
	for (guint i = 0; i < mine->len; i++) {
		collect_flagged *f = g_ptr_array_index(mine, i);

		for (guint k = 0; k < i && f->status == COLLECT_UNREAD; k++) {
			const collect_flagged *newer = g_ptr_array_index(mine, k);

			if (newer->status == COLLECT_UNREAD && newer->uid == f->uid &&
			    strcmp(newer->mailbox, f->mailbox) == 0)
				f->status = COLLECT_DONE;
		}
	}
	collect_fetch_snippets(imap, mine);
	return 0;
}

/* Which flagged messages are still unread, account by account. Never
 * fails: what cannot be asked is listed from the journal. */
static void collect_check_unread(const conf *config, digest *d, GPtrArray *flagged)
{
	g_autoptr(GPtrArray) accounts = g_ptr_array_new(); /* ids, borrowed */

	for (guint i = 0; i < flagged->len; i++) {
		collect_flagged *f = g_ptr_array_index(flagged, i);
		gboolean seen = FALSE;

		for (guint k = 0; k < accounts->len && !seen; k++)
			seen = strcmp(g_ptr_array_index(accounts, k), f->row->account) == 0;
		if (!seen)
			g_ptr_array_add(accounts, f->row->account);
	}
	for (guint i = 0; i < accounts->len; i++) {
		const char *id = g_ptr_array_index(accounts, i);
		const conf_account *account = conf_find_account(config, id);
		g_autoptr(GPtrArray) mine = g_ptr_array_new();
		imap_session *imap = NULL;
		char *error = NULL;

		if (account == NULL || account->client != d->client) {
			collect_unchecked(d, id, "the account is no longer in the config");
			continue;
		}
		for (guint k = 0; k < flagged->len; k++) {
			collect_flagged *f = g_ptr_array_index(flagged, k);

			if (strcmp(f->row->account, id) == 0)
				g_ptr_array_add(mine, f);
		}
		if (account_connect(account, &imap, &error) < 0 ||
		    collect_check_account(imap, mine, &error) < 0) {
			/* Half an answer is no answer: all of the account's
			 * messages come from the journal. */
			for (guint k = 0; k < mine->len; k++) {
				collect_flagged *f = g_ptr_array_index(mine, k);

				f->status = COLLECT_UNKNOWN;
				g_clear_pointer(&f->snippet, g_free);
			}
			collect_unchecked(d, id, error != NULL ? error : "unknown error");
		}
		g_free(error);
		imap_session_free(&imap);
	}
}

/* Needs you, from what the server said (or the journal, where it could
 * not be asked), newest first. Beyond the messages checked, an account
 * that could not be asked counts all the journal has; one that was asked
 * counts only what it said, the rest is d->needs_you_older. */
static void collect_needs_you_items(digest *d, GPtrArray *flagged, GHashTable *totals)
{
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init(&iter, totals);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		guint total = GPOINTER_TO_UINT(value), checked = 0;
		digest_unchecked *u = NULL;

		for (guint i = 0; i < flagged->len; i++) {
			collect_flagged *f = g_ptr_array_index(flagged, i);

			if (strcmp(f->row->account, key) == 0)
				checked++;
		}
		for (guint i = 0; i < d->unchecked->len && u == NULL; i++) {
			u = g_ptr_array_index(d->unchecked, i);
			if (strcmp(u->account, key) != 0)
				u = NULL;
		}
		if (u != NULL) {
			u->count = total;
			d->needs_you_total += total - checked;
		} else {
			d->needs_you_older += total - checked;
		}
	}
	for (guint i = 0; i < flagged->len; i++) {
		collect_flagged *f = g_ptr_array_index(flagged, i);
		digest_item *item;

		if (f->status == COLLECT_DONE)
			continue;
		d->needs_you_total++;
		if (d->needs_you->len >= DIGEST_MAX_NEEDS_YOU)
			continue;
		item = g_new0(digest_item, 1);
		item->from = collect_clean(f->row->from);
		item->subject = collect_clean(f->row->subject);
		item->mailbox = collect_clean(f->mailbox);
		item->snippet = g_steal_pointer(&f->snippet);
		item->unchecked = f->status == COLLECT_UNKNOWN;
		g_ptr_array_add(d->needs_you, item);
	}
}

static void collect_example(const char *from, const char *subject, const char *argument,
			    void *context)
{
	digest_group *group = context;
	digest_item *item = g_new0(digest_item, 1);

	item->from = collect_clean(from);
	item->subject = collect_clean(subject);
	item->mailbox = collect_clean(argument);
	g_ptr_array_add(group->examples, item);
}

static void collect_destination(const char *name, guint n, void *context)
{
	digest_group *group = context;

	group->total += n;
	if (group->destinations->len < DIGEST_MAX_DESTINATIONS) {
		digest_count *count = g_new0(digest_count, 1);

		/* "\Flagged" is IMAP's spelling (RFC 9051 section
		 * 2.3.2), not the executive's. */
		if (group->action == ACTION_ADDFLAG && name[0] == '\\')
			name++;
		count->name = collect_clean(name);
		count->count = n;
		g_ptr_array_add(group->destinations, count);
	} else {
		group->other_destinations++;
		group->other_count += n;
	}
}

static int collect_groups(store *st, digest *d, char **error_r)
{
	store_digest_range range = collect_range(d);

	if (store_digest_count_handled(st, &range, &d->handled, error_r) < 0 ||
	    store_digest_count_failed(st, &range, &d->failed, error_r) < 0)
		return -1;
	/* The sections of "What vea did", one per kind that has a heading,
	 * in the table's order; `bill` has none: "Time used" says it. */
	for (int kind = 0; kind < ACTION_KIND_COUNT; kind++) {
		const action_kind_info *info = action_kind_get(kind);
		digest_group *group;

		if (info->digest_heading == NULL)
			continue;
		group = g_new0(digest_group, 1);
		group->action = kind;
		group->verb = info->digest_heading;
		group->destinations = g_ptr_array_new_with_free_func(collect_count_free);
		group->examples = g_ptr_array_new_with_free_func(collect_item_free);
		if (store_digest_destinations_foreach(st, &range, group->action, collect_destination,
						      group, error_r) < 0) {
			collect_group_free(group);
			return -1;
		}
		if (group->total == 0) {
			collect_group_free(group);
			continue;
		}
		g_ptr_array_add(d->groups, group);
		if (store_digest_examples_foreach(st, &range, group->action, DIGEST_MAX_EXAMPLES,
						  collect_example, group, error_r) < 0)
			return -1;
	}
	return 0;
}

static char *collect_date_label(const GDate *date)
{
	return g_strdup_printf("%d %s", g_date_get_day(date),
			       collect_months[g_date_get_month(date) - 1]);
}

/* "40 min", "3 h", "2 days": how long a draft has waited. */
static char *collect_age(int64_t seconds)
{
	if (seconds < 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT " min", MAX(seconds, 0) / 60);
	if (seconds < 48 * 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT " h", seconds / 3600);
	return g_strdup_printf("%" G_GINT64_FORMAT " days", seconds / 86400);
}

/* Drafts waiting for your approval: what vea wrote that is still in
 * Drafts, with the message each answers (from the journal). */
static int collect_drafts(store *st, digest *d, GDateTime *now, char **error_r)
{
	g_autoptr(GPtrArray) written = NULL;

	if (store_drafts_list(st, d->client->id, STORE_DRAFT_WRITTEN, 0, &written, error_r) < 0)
		return -1;
	/* The list is newest first; the digest shows the oldest first (the
	 * one waiting longest matters most). */
	for (guint i = written->len; i > 0; i--) {
		const store_draft *w = g_ptr_array_index(written, i - 1);
		g_autoptr(GString) to = g_string_new(NULL);
		g_auto(GStrv) recipients = NULL;
		store_action *original = NULL;
		digest_draft *item;

		if (w->status != STORE_DRAFT_WAITING && w->status != STORE_DRAFT_EDITED)
			continue;
		if (++d->drafts_total > DIGEST_MAX_NEEDS_YOU)
			continue;
		recipients = g_strsplit(w->recipients, "\n", -1);
		for (char **r = recipients; *r != NULL; r++)
			g_string_append_printf(to, "%s%s", r != recipients ? ", " : "", *r);
		item = g_new0(digest_draft, 1);
		item->to = collect_clean(to->str);
		item->subject = collect_clean(w->subject);
		item->age = collect_age(g_date_time_to_unix(now) - w->created_at);
		item->edited = w->status == STORE_DRAFT_EDITED;
		/* AI drafts are labelled (OUTGOING.md 6.2): read before sending. */
		if (w->machine != NULL && *w->machine != '\0')
			item->machine = collect_clean(w->machine);
		if (w->action_id > 0 && store_action_get(st, w->action_id, &original, error_r) < 0) {
			collect_draft_free(item);
			return -1;
		}
		item->answers_from = collect_clean(original != NULL ? original->from : "");
		item->answers_subject = collect_clean(original != NULL ? original->subject : "");
		store_action_free(original);
		g_ptr_array_add(d->drafts, item);
	}
	return 0;
}

/* Was s (superseded) replaced by a decision of the same event journalled
 * in the range d covers? all: the client's decisions, newest first. */
static gboolean collect_superseded_since(const GPtrArray *all, const store_schedule *s,
					 const digest *d)
{
	for (guint i = 0; i < all->len; i++) {
		const store_schedule *newer = g_ptr_array_index(all, i);

		if (newer->id > s->id && g_strcmp0(newer->event_uid, s->event_uid) == 0 &&
		    newer->sequence > s->sequence && newer->action_id > d->after_action_id &&
		    newer->action_id <= d->last_action_id)
			return TRUE;
	}
	return FALSE;
}

/* Meetings: every answer waiting for the assistant, and the answers
 * vea sent (or left in Drafts, or the organizer's cancellations) in the
 * journal range this digest covers. */
static int collect_meetings(store *st, digest *d, char **error_r)
{
	g_autoptr(GPtrArray) all = NULL;

	if (store_schedule_list(st, d->client->id, -1, FALSE, &all, error_r) < 0)
		return -1;
	for (guint i = all->len; i > 0; i--) {
		const store_schedule *s = g_ptr_array_index(all, i - 1);
		gboolean waiting = s->state == STORE_SCHEDULE_WAITING;
		gboolean answered = (s->state == STORE_SCHEDULE_SENT ||
				     s->state == STORE_SCHEDULE_DRAFTED ||
				     s->state == STORE_SCHEDULE_CANCELLED) &&
				    s->action_id > d->after_action_id && s->action_id <= d->last_action_id;
		gboolean superseded = s->state == STORE_SCHEDULE_SUPERSEDED &&
				      collect_superseded_since(all, s, d);
		GPtrArray *into = waiting ? d->meetings_waiting
				  : superseded ? d->meetings_superseded : d->meetings_answered;
		digest_meeting *m;
		const char *answer;

		if ((!waiting && !answered && !superseded) || into->len >= DIGEST_MAX_NEEDS_YOU)
			continue;
		answer = s->state == STORE_SCHEDULE_CANCELLED ? "Cancelled by the organizer"
			 : g_strcmp0(s->partstat, "ACCEPTED") == 0 ? "Accepted"
			 : g_strcmp0(s->partstat, "DECLINED") == 0 ? "Declined" : "Tentative";
		m = g_new0(digest_meeting, 1);
		m->summary = collect_clean(s->summary);
		m->start = collect_clean(s->start_local);
		m->organizer = collect_clean(s->organizer);
		m->answer = g_strdup_printf("%s%s", answer,
					    s->state == STORE_SCHEDULE_DRAFTED ? " (reply in Drafts)" : "");
		m->why = collect_clean(s->verdict);
		if (g_strcmp0(s->route, "server") == 0 && s->state != STORE_SCHEDULE_CANCELLED)
			m->via = g_strdup(DIGEST_VIA_SERVER);
		g_ptr_array_add(into, m);
	}
	return 0;
}

typedef struct collect_agenda_item {
	int64_t start;
	char *text;
} collect_agenda_item;

typedef struct collect_agenda {
	GTimeZone *tz;
	GArray *items; /* collect_agenda_item */
} collect_agenda;

static void collect_agenda_add(int64_t start, int64_t end, const char *summary,
			       const char *calendar_id, gboolean all_day, void *context)
{
	collect_agenda *agenda = context;
	g_autoptr(GDateTime) s = g_date_time_new_from_unix_utc(start);
	g_autoptr(GDateTime) e = g_date_time_new_from_unix_utc(end);
	g_autoptr(GDateTime) ls = g_date_time_to_timezone(s, agenda->tz);
	g_autoptr(GDateTime) le = g_date_time_to_timezone(e, agenda->tz);
	g_autofree char *day = g_date_time_format(ls, "%a");
	g_autofree char *from = g_date_time_format(ls, "%H:%M");
	g_autofree char *to = g_date_time_format(le, "%H:%M");
	g_autofree char *clean = collect_clean(summary != NULL && *summary != '\0' ? summary
								    : "(no title)");
	collect_agenda_item item = { start, NULL };

	(void)calendar_id;
	item.text = all_day ? g_strdup_printf("%s all day  %s", day, clean)
			    : g_strdup_printf("%s %s-%s  %s", day, from, to, clean);
	g_array_append_val(agenda->items, item);
}

typedef struct collect_conflicts {
	GTimeZone *tz;
	int64_t from, to;
	GArray *items; /* collect_agenda_item, in start order already */
} collect_conflicts;

static char *collect_local(GTimeZone *tz, int64_t t, const char *format)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(t);
	g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, tz);

	return g_date_time_format(local, format);
}

/* "Thu 12 Nov 11:00-12:00 'Client call' overlaps 11:30-12:30 'Quick chat'". */
static void collect_conflict_add(const calendar_event_view *a, const calendar_event_view *b,
				 void *context)
{
	collect_conflicts *c = context;
	g_autofree char *day = collect_local(c->tz, a->start, "%a %-d %b");
	g_autofree char *a_from = collect_local(c->tz, a->start, "%H:%M");
	g_autofree char *a_to = collect_local(c->tz, a->end, "%H:%M");
	g_autofree char *b_from = collect_local(c->tz, b->start, "%H:%M");
	g_autofree char *b_to = collect_local(c->tz, b->end, "%H:%M");
	g_autofree char *a_title = collect_clean_max(a->summary != NULL && *a->summary != '\0'
						     ? a->summary : "(no title)", 80);
	g_autofree char *b_title = collect_clean_max(b->summary != NULL && *b->summary != '\0'
						     ? b->summary : "(no title)", 80);
	collect_agenda_item item = { a->start, NULL };

	item.text = g_strdup_printf("%s %s-%s '%s' overlaps %s-%s '%s'", day, a_from, a_to, a_title,
				    b_from, b_to, b_title);
	g_array_append_val(c->items, item);
}

static int collect_agenda_compare(gconstpointer a, gconstpointer b)
{
	const collect_agenda_item *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Today and tomorrow from the client's calendars, read now (a calendar
 * that cannot be read is named, never holds the digest back). */
static void collect_agenda_read(store *st, const conf *config, digest *d, GDateTime *now)
{
	const conf_client *client = d->client;
	gboolean has_calendar = FALSE;
	g_autoptr(GDateTime) local = g_date_time_to_timezone(now, client->tz);
	g_autoptr(GDateTime) midnight = NULL;
	g_autoptr(GPtrArray) errors = NULL;
	calendar_index *index;
	collect_agenda agenda = { client->tz, NULL };
	collect_conflicts conflicts = { 0 };
	int64_t from, to;

	for (guint i = 0; config->calendars != NULL && i < config->calendars->len; i++)
		has_calendar |= ((const conf_calendar *)g_ptr_array_index(config->calendars, i))
					->client == client;
	if (!has_calendar)
		return;
	midnight = g_date_time_new(client->tz, g_date_time_get_year(local),
				   g_date_time_get_month(local), g_date_time_get_day_of_month(local),
				   0, 0, 0);
	from = g_date_time_to_unix(midnight);
	{
		g_autoptr(GDateTime) after = g_date_time_add_days(midnight, 2);

		to = g_date_time_to_unix(after);
	}
	{
		g_autoptr(GDateTime) ahead = g_date_time_add_days(midnight, DIGEST_CONFLICT_DAYS + 1);

		conflicts.to = g_date_time_to_unix(ahead);
	}
	conflicts.from = g_date_time_to_unix(now);
	index = calendar_sync_client(st, config, client, from, conflicts.to, &errors, NULL);
	for (guint i = 0; errors != NULL && i < errors->len; i++)
		g_ptr_array_add(d->calendar_errors,
				collect_clean_max(g_ptr_array_index(errors, i), 300));
	if (index == NULL)
		return;
	agenda.items = g_array_new(FALSE, FALSE, sizeof(collect_agenda_item));
	calendar_index_foreach(index, from, to, collect_agenda_add, &agenda);
	conflicts.items = g_array_new(FALSE, FALSE, sizeof(collect_agenda_item));
	conflicts.tz = client->tz;
	calendar_index_foreach_overlap(index, conflicts.from, conflicts.to, collect_conflict_add,
				       &conflicts);
	for (guint i = 0; i < conflicts.items->len; i++) {
		collect_agenda_item *item = &g_array_index(conflicts.items, collect_agenda_item, i);

		if (d->conflicts_ahead->len < DIGEST_MAX_NEEDS_YOU)
			g_ptr_array_add(d->conflicts_ahead, item->text);
		else
			g_free(item->text);
	}
	g_array_unref(conflicts.items);
	g_array_sort(agenda.items, collect_agenda_compare);
	for (guint i = 0; i < agenda.items->len; i++) {
		collect_agenda_item *item = &g_array_index(agenda.items, collect_agenda_item, i);

		if (d->agenda->len < DIGEST_MAX_NEEDS_YOU)
			g_ptr_array_add(d->agenda, item->text);
		else
			g_free(item->text);
	}
	g_array_unref(agenda.items);
	calendar_index_free(&index);
}

/* Each billing account's period holding now, as `vea bill report` shows
 * it: the ledger's report (rounding per the terms, the retainer with what
 * rolled over into it). Reads in a transaction of its own. */
static int collect_time(store *st, const conf *config, digest *d, GDateTime *now, char **error_r)
{
	ledger_query query = { .client = d->client->id, .range = LEDGER_RANGE_CURRENT };
	ledger_report *report = NULL;

	if (ledger_report_build(st, config, &query, g_date_time_to_unix(now), &report, error_r) < 0)
		return -1;
	for (guint i = 0; i < report->n_accounts; i++) {
		const ledger_account_report *a = &report->accounts[i];
		g_autofree char *from_label = collect_date_label(&a->first_day);
		g_autofree char *to_label = collect_date_label(&a->last_day);
		digest_time *t = g_new0(digest_time, 1);

		t->billing_id = g_strdup(a->account);
		t->worked_seconds = a->seconds;
		t->used_seconds = a->billed;
		t->retainer = a->has_retainer;
		if (a->has_retainer) {
			t->used_seconds = a->retainer.used;
			t->included_seconds = a->retainer.included;
			t->carried_in_seconds = a->retainer.carried_in;
			t->available_seconds = a->retainer.available;
			t->remaining_seconds = a->retainer.remaining;
			t->overage_seconds = a->retainer.overage;
		}
		t->period = g_strdup_printf("%s – %s", from_label, to_label);
		g_ptr_array_add(d->time, t);
	}
	ledger_report_free(&report);
	return 0;
}

int digest_collect(store *st, const conf *config, const conf_client *client, GDateTime *now,
		   const GDate *date, digest **digest_r, char **error_r)
{
	digest *d = g_new0(digest, 1);
	g_autoptr(GPtrArray) flagged = g_ptr_array_new_with_free_func(collect_flagged_free);
	g_autoptr(GHashTable) totals = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GDate day;

	d->client = client;
	d->needs_you = g_ptr_array_new_with_free_func(collect_item_free);
	d->unchecked = g_ptr_array_new_with_free_func(collect_unchecked_free);
	d->groups = g_ptr_array_new_with_free_func(collect_group_free);
	d->time = g_ptr_array_new_with_free_func(collect_time_free);
	d->due_today = g_ptr_array_new_with_free_func(digest_followup_free);
	d->back_tomorrow = g_ptr_array_new_with_free_func(digest_followup_free);
	d->drafts = g_ptr_array_new_with_free_func(collect_draft_free);
	d->meetings_waiting = g_ptr_array_new_with_free_func(collect_meeting_free);
	d->meetings_answered = g_ptr_array_new_with_free_func(collect_meeting_free);
	d->agenda = g_ptr_array_new_with_free_func(g_free);
	d->calendar_errors = g_ptr_array_new_with_free_func(g_free);
	d->conflicts_ahead = g_ptr_array_new_with_free_func(g_free);
	d->meetings_superseded = g_ptr_array_new_with_free_func(collect_meeting_free);
	if (date != NULL) {
		day = *date;
	} else {
		g_autoptr(GDateTime) local = g_date_time_to_timezone(now, client->tz);

		g_date_clear(&day, 1);
		g_date_set_dmy(&day, (GDateDay)g_date_time_get_day_of_month(local),
			       (GDateMonth)g_date_time_get_month(local),
			       (GDateYear)g_date_time_get_year(local));
	}
	d->local_date = g_strdup_printf("%04d-%02d-%02d", g_date_get_year(&day),
					g_date_get_month(&day), g_date_get_day(&day));
	d->date_label = g_strdup_printf("%s %d %s", collect_weekdays[g_date_get_weekday(&day) - 1],
					g_date_get_day(&day), collect_months[g_date_get_month(&day) - 1]);

	/* A consistent picture: the journal is read in one transaction,
	 * closed before the servers are asked anything (that may take a
	 * while) and before the ledger's own. */
	if (store_read_begin(st, error_r) < 0) {
		digest_free(&d);
		return -1;
	}
	d->needs_you_since = g_date_time_to_unix(now) - DIGEST_NEEDS_YOU_DAYS * 86400;
	if (store_digest_last_sent(st, client->id, &d->after_action_id, error_r) < 0 ||
	    store_journal_cutoff(st, client->id, &d->last_action_id, error_r) < 0 ||
	    collect_flagged_rows(st, d, flagged, totals, error_r) < 0 ||
	    collect_groups(st, d, error_r) < 0 ||
	    digest_collect_followups(st, d, now, &day, error_r) < 0 ||
	    collect_drafts(st, d, now, error_r) < 0 ||
	    collect_meetings(st, d, error_r) < 0 ||
	    store_transaction_commit(st, error_r) < 0) {
		store_transaction_rollback(st);
		digest_free(&d);
		return -1;
	}
	if (collect_time(st, config, d, now, error_r) < 0) {
		digest_free(&d);
		return -1;
	}
	if (d->last_action_id < d->after_action_id)
		d->last_action_id = d->after_action_id;
	collect_check_unread(config, d, flagged);
	collect_agenda_read(st, config, d, now);
	collect_needs_you_items(d, flagged, totals);
	*digest_r = d;
	return 0;
}
