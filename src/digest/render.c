/* Rendering a digest: a subject, text/plain and HTML. The HTML is made
 * for email clients: layout tables and inline CSS only (clients drop
 * <style> and <link>), no script, no image, nothing fetched. Every string
 * that came from a message goes through render_escape. */
#include "digest/digest.h"
#include "ledger/ledger.h"

#include <string.h>

#define RENDER_H2 "<h2 style=\"margin:24px 0 8px 0;font-size:16px;color:#1f2933;\">"
#define RENDER_MUTED "color:#52606d;font-size:13px;"

/* Is there anything for the Meetings section? */
static gboolean render_meetings_shown(const digest *d)
{
	return d->meetings_waiting->len > 0 || d->meetings_answered->len > 0 || d->agenda->len > 0 ||
	       d->calendar_errors->len > 0 || d->conflicts_ahead->len > 0 ||
	       d->meetings_superseded->len > 0;
}

static gboolean render_followups_shown(const digest *d);
static void render_followups(GString *out, const digest *d, gboolean html);

char *digest_render_subject(const digest *d)
{
	GString *s = g_string_new(d->date_label);

	g_string_append(s, ": ");
	if (digest_is_empty(d)) {
		g_string_append(s, "nothing new");
		return g_string_free(s, FALSE);
	}
	if (d->needs_you_total > 0)
		g_string_append_printf(s, "%u need%s you", d->needs_you_total,
				       d->needs_you_total == 1 ? "s" : "");
	else
		g_string_append(s, "nothing needs you");
	if (d->drafts_total > 0)
		g_string_append_printf(s, ", %u draft%s to approve", d->drafts_total,
				       d->drafts_total == 1 ? "" : "s");
	if (d->handled > 0)
		g_string_append_printf(s, ", %u handled", d->handled);
	if (d->failed > 0)
		g_string_append_printf(s, ", %u failed", d->failed);
	return g_string_free(s, FALSE);
}

/* "Newsletters 30, Receipts 12, 3 more 7" */
static void render_destinations(GString *out, const digest_group *group, gboolean html)
{
	for (guint i = 0; i < group->destinations->len; i++) {
		const digest_count *count = g_ptr_array_index(group->destinations, i);

		if (i > 0)
			g_string_append(out, ", ");
		if (html) {
			g_autofree char *name = g_markup_escape_text(count->name, -1);

			g_string_append_printf(out, "<bdi>%s</bdi> %u", name, count->count);
		} else {
			g_string_append_printf(out, "%s %u", count->name, count->count);
		}
	}
	if (group->other_destinations > 0)
		g_string_append_printf(out, ", %u more %u", group->other_destinations,
				       group->other_count);
}

/* Whole percent of used in available, for the bar (0..100). */
static int render_percent(const digest_time *t)
{
	if (t->available_seconds <= 0)
		return t->used_seconds > 0 ? 100 : 0;
	if (t->used_seconds >= t->available_seconds)
		return 100;
	return (int)(t->used_seconds * 100 / t->available_seconds);
}

/* The ledger's numbers in the ledger's words (ledger_format_duration, as
 * `vea bill report` writes them): "3h 20m of 10h 00m used, 6h 40m
 * remaining", "... of 12h 00m (10h 00m + 2h 00m rolled over) used...",
 * "... used: 1h 30m over the retainer". */
static char *render_time_summary(const digest_time *t)
{
	g_autofree char *used = ledger_format_duration(t->used_seconds);
	g_autofree char *available = NULL, *parts = NULL, *rest = NULL;

	if (!t->retainer)
		return g_strdup_printf("%s this period (%s)", used, t->period);
	available = ledger_format_duration(t->available_seconds);
	if (t->carried_in_seconds > 0) {
		g_autofree char *included = ledger_format_duration(t->included_seconds);
		g_autofree char *carried = ledger_format_duration(t->carried_in_seconds);

		parts = g_strdup_printf(" (%s + %s rolled over)", included, carried);
	}
	if (t->overage_seconds <= 0) {
		rest = ledger_format_duration(t->remaining_seconds);
		return g_strdup_printf("%s of %s%s used, %s remaining (%s)", used, available,
				       parts != NULL ? parts : "", rest, t->period);
	}
	rest = ledger_format_duration(t->overage_seconds);
	return g_strdup_printf("%s of %s%s used: %s over the retainer (%s)", used, available,
			       parts != NULL ? parts : "", rest, t->period);
}

static gboolean render_needs_you_shown(const digest *d)
{
	return d->needs_you_total > 0 || d->needs_you_older > 0;
}

/* Why some of Needs you may already be read, one sentence per reason. */
static void render_needs_you_notes(GString *out, const digest *d, gboolean html)
{
	for (guint i = 0; i < d->unchecked->len; i++) {
		const digest_unchecked *u = g_ptr_array_index(d->unchecked, i);
		g_autofree char *account = html ? g_markup_escape_text(u->account, -1)
						: g_strdup(u->account);

		g_string_append_printf(out, "%s%s%s: vea could not check which flagged messages are"
				       " still unread, so %s listed whether you read %s or not.%s",
				       html ? "<p style=\"margin:8px 0 0 0;" RENDER_MUTED "\"><bdi>" : "  Note: ",
				       account, html ? "</bdi>" : "",
				       u->count == 1 ? "its one is" : "they are",
				       u->count == 1 ? "it" : "them", html ? "</p>\n" : "\n");
	}
	if (d->needs_you_older > 0)
		g_string_append_printf(out, "%s%u older flagged message%s not checked.%s",
				       html ? "<p style=\"margin:8px 0 0 0;" RENDER_MUTED "\">" : "  Note: ",
				       d->needs_you_older, d->needs_you_older == 1 ? " was" : "s were",
				       html ? "</p>\n" : "\n");
}

static const char *render_time_heading(const digest *d)
{
	for (guint i = 0; i < d->time->len; i++) {
		const digest_time *t = g_ptr_array_index(d->time, i);

		if (t->retainer || t->used_seconds > 0)
			return "Time used this period";
	}
	return NULL;
}

static gboolean render_time_shown(const digest_time *t)
{
	return t->retainer || t->used_seconds > 0;
}

char *digest_render_text(const digest *d)
{
	GString *out = g_string_new(NULL);
	g_autofree char *subject = digest_render_subject(d);

	g_string_append_printf(out, "%s's digest, %s\n", d->client->name, d->date_label);
	g_string_append_printf(out, "%s\n", subject);

	if (render_needs_you_shown(d)) {
		g_string_append_printf(out, "\nNEEDS YOU (%u)\n\n", d->needs_you_total);
		for (guint i = 0; i < d->needs_you->len; i++) {
			const digest_item *item = g_ptr_array_index(d->needs_you, i);

			g_string_append_printf(out, "  * %s\n    %s\n", item->from,
					       item->subject[0] != '\0' ? item->subject : "(no subject)");
			if (item->snippet != NULL)
				g_string_append_printf(out, "    \"%s\"\n", item->snippet);
			g_string_append_printf(out, "    in %s%s\n", item->mailbox,
					       item->unchecked ? " (may already be read)" : "");
		}
		if (d->needs_you_total > d->needs_you->len)
			g_string_append_printf(out, "  ... and %u more\n",
					       d->needs_you_total - d->needs_you->len);
		render_needs_you_notes(out, d, FALSE);
	}

	if (render_followups_shown(d))
		render_followups(out, d, FALSE);
	if (render_meetings_shown(d)) {
		g_string_append(out, "\nMEETINGS\n");
		if (d->agenda->len > 0)
			g_string_append(out, "\n  Today and tomorrow:\n");
		for (guint i = 0; i < d->agenda->len; i++)
			g_string_append_printf(out, "  * %s\n", (const char *)g_ptr_array_index(d->agenda, i));
		for (guint i = 0; i < d->calendar_errors->len; i++)
			g_string_append_printf(out, "\n  Not read (invitations wait for approval): %s\n",
					       (const char *)g_ptr_array_index(d->calendar_errors, i));
		if (d->meetings_waiting->len > 0)
			g_string_append_printf(out, "\n  Waiting for your assistant's approval (%u):\n",
					       d->meetings_waiting->len);
		for (guint i = 0; i < d->meetings_waiting->len; i++) {
			const digest_meeting *m = g_ptr_array_index(d->meetings_waiting, i);

			g_string_append_printf(out, "  * %s, %s, from %s\n    proposed: %s (%s)%s%s\n",
					       m->summary, m->start, m->organizer, m->answer, m->why,
					       m->via != NULL ? "; once approved, " : "",
					       m->via != NULL ? m->via : "");
		}
		if (d->meetings_answered->len > 0)
			g_string_append_printf(out, "\n  Answered on your behalf (%u):\n",
					       d->meetings_answered->len);
		for (guint i = 0; i < d->meetings_answered->len; i++) {
			const digest_meeting *m = g_ptr_array_index(d->meetings_answered, i);

			g_string_append_printf(out, "  * %s: %s, %s, from %s%s%s\n", m->answer, m->summary,
					       m->start, m->organizer, m->via != NULL ? "; " : "",
					       m->via != NULL ? m->via : "");
		}
		if (d->meetings_superseded->len > 0)
			g_string_append_printf(out, "\n  Replaced by a newer version before approval "
					       "(%u):\n", d->meetings_superseded->len);
		for (guint i = 0; i < d->meetings_superseded->len; i++) {
			const digest_meeting *m = g_ptr_array_index(d->meetings_superseded, i);

			g_string_append_printf(out, "  * %s, %s, from %s: nothing was sent for it\n",
					       m->summary, m->start, m->organizer);
		}
		if (d->conflicts_ahead->len > 0)
			g_string_append_printf(out, "\n  Conflicts ahead (%u):\n", d->conflicts_ahead->len);
		for (guint i = 0; i < d->conflicts_ahead->len; i++)
			g_string_append_printf(out, "  * %s\n",
					       (const char *)g_ptr_array_index(d->conflicts_ahead, i));
	}

	if (d->drafts_total > 0) {
		g_string_append_printf(out, "\nDRAFTS WAITING FOR YOUR APPROVAL (%u)\n\n",
				       d->drafts_total);
		for (guint i = 0; i < d->drafts->len; i++) {
			const digest_draft *draft = g_ptr_array_index(d->drafts, i);

			g_string_append_printf(out, "  * To %s: %s\n", draft->to,
					       draft->subject[0] != '\0' ? draft->subject : "(no subject)");
			g_string_append_printf(out, "    in Drafts %s%s, answering %s: %s\n", draft->age,
					       draft->edited ? " (you edited it)" : "", draft->answers_from,
					       draft->answers_subject[0] != '\0' ? draft->answers_subject
										 : "(no subject)");
			if (draft->machine != NULL)
				g_string_append_printf(out, "    AI draft (written by %s): check it before "
						       "sending\n", draft->machine);
		}
		if (d->drafts_total > d->drafts->len)
			g_string_append_printf(out, "  ... and %u more\n",
					       d->drafts_total - d->drafts->len);
	}

	if (d->groups->len > 0 || d->failed > 0) {
		g_string_append_printf(out, "\nWHAT VEA DID (%u message%s)\n", d->handled,
				       d->handled == 1 ? "" : "s");
		for (guint i = 0; i < d->groups->len; i++) {
			const digest_group *group = g_ptr_array_index(d->groups, i);

			g_string_append_printf(out, "\n  %s %u: ", group->verb, group->total);
			render_destinations(out, group, FALSE);
			g_string_append_c(out, '\n');
			for (guint k = 0; k < group->examples->len; k++) {
				const digest_item *item = g_ptr_array_index(group->examples, k);

				g_string_append_printf(out, "    - %s: %s\n", item->from,
						       item->subject[0] != '\0' ? item->subject
										: "(no subject)");
			}
		}
		if (d->failed > 0)
			g_string_append_printf(out, "\n  %u action%s could not be carried out"
					       " (your assistant has the details).\n",
					       d->failed, d->failed == 1 ? "" : "s");
	}

	if (render_time_heading(d) != NULL) {
		g_string_append(out, "\nTIME USED THIS PERIOD\n\n");
		for (guint i = 0; i < d->time->len; i++) {
			const digest_time *t = g_ptr_array_index(d->time, i);
			g_autofree char *summary = NULL;

			if (!render_time_shown(t))
				continue;
			summary = render_time_summary(t);
			g_string_append_printf(out, "  %s: %s\n", t->billing_id, summary);
			if (t->retainer) {
				int filled = render_percent(t) / 5;

				g_string_append(out, "  [");
				for (int k = 0; k < 20; k++)
					g_string_append_c(out, k < filled ? '#' : '-');
				g_string_append_printf(out, "] %d%%\n",
						       t->available_seconds > 0
						       ? (int)(t->used_seconds * 100 / t->available_seconds)
						       : 0);
			}
		}
	}
	if (digest_is_empty(d))
		g_string_append(out, "\nNothing happened since the last digest.\n");
	g_string_append(out, "\n-- \nSent by vea for your assistant.\n");
	return g_string_free(out, FALSE);
}

static void render_escape(GString *out, const char *text)
{
	g_autofree char *escaped = g_markup_escape_text(text, -1);

	g_string_append(out, escaped);
}

/* Follow-ups: shown when a reminder is due today or snoozed mail comes
 * back tomorrow. */
static gboolean render_followups_shown(const digest *d)
{
	return d->due_today_total > 0 || d->back_tomorrow_total > 0;
}

static void render_followup_list(GString *out, const char *heading, const GPtrArray *list,
				 guint total, gboolean html)
{
	if (total == 0)
		return;
	if (html)
		g_string_append_printf(out, "<p style=\"margin:8px 0 4px 0;font-weight:bold;\">%s (%u)"
				       "</p>\n", heading, total);
	else
		g_string_append_printf(out, "\n  %s (%u):\n", heading, total);
	for (guint i = 0; i < list->len; i++) {
		const digest_followup *f = g_ptr_array_index(list, i);
		const char *subject = f->subject[0] != '\0' ? f->subject : "(no subject)";

		if (!html) {
			g_string_append_printf(out, "    %s  %s  (in %s%s)\n", f->when, subject,
					       f->mailbox, f->unanswered ? ", no reply yet" : "");
			continue;
		}
		g_string_append(out, "<div style=\"padding:2px 0;\">");
		render_escape(out, f->when);
		g_string_append(out, " &#8212; <bdi>");
		render_escape(out, subject);
		g_string_append(out, "</bdi> <span style=\"" RENDER_MUTED "\">in <bdi>");
		render_escape(out, f->mailbox);
		g_string_append_printf(out, "</bdi>%s</span></div>\n",
				       f->unanswered ? ", no reply yet" : "");
	}
	if (total > list->len)
		g_string_append_printf(out, html ? "<div style=\"" RENDER_MUTED "\">and %u more</div>\n"
						 : "    ... and %u more\n", total - list->len);
}

static void render_followups(GString *out, const digest *d, gboolean html)
{
	if (html)
		g_string_append(out, "<tr><td style=\"padding:0 24px;\">" RENDER_H2 "Follow-ups</h2>\n");
	else
		g_string_append(out, "\nFOLLOW-UPS\n");
	render_followup_list(out, "Reminders due today", d->due_today, d->due_today_total, html);
	render_followup_list(out, "Back from snooze tomorrow", d->back_tomorrow,
			     d->back_tomorrow_total, html);
	if (d->awaiting_reply > 0)
		g_string_append_printf(out, html ? "<p style=\"margin:8px 0 0 0;" RENDER_MUTED "\">%u "
						   "thread%s waiting for a reply.</p>\n"
						 : "\n  %u thread%s waiting for a reply.\n",
				       d->awaiting_reply, d->awaiting_reply == 1 ? "" : "s");
	if (html)
		g_string_append(out, "</td></tr>\n");
}

static void render_html_needs_you(GString *out, const digest *d)
{
	g_string_append_printf(out, "<tr><td style=\"padding:0 24px;\">" RENDER_H2
			       "Needs you (%u)</h2>\n<table role=\"presentation\" width=\"100%%\""
			       " cellpadding=\"0\" cellspacing=\"0\" border=\"0\""
			       " style=\"width:100%%;border-collapse:collapse;\">\n",
			       d->needs_you_total);
	for (guint i = 0; i < d->needs_you->len; i++) {
		const digest_item *item = g_ptr_array_index(d->needs_you, i);

		g_string_append(out, "<tr><td style=\"padding:8px 0;border-top:1px solid #e4e7eb;\">"
			       "<div style=\"font-weight:bold;\"><bdi>");
		render_escape(out, item->subject[0] != '\0' ? item->subject : "(no subject)");
		g_string_append(out, "</bdi></div><div><bdi>");
		render_escape(out, item->from);
		g_string_append(out, "</bdi></div>");
		if (item->snippet != NULL) {
			g_string_append(out, "<div style=\"color:#323f4b;\"><bdi>");
			render_escape(out, item->snippet);
			g_string_append(out, "</bdi></div>");
		}
		g_string_append(out, "<div style=\"" RENDER_MUTED "\">in <bdi>");
		render_escape(out, item->mailbox);
		g_string_append_printf(out, "</bdi>%s</div></td></tr>\n",
				       item->unchecked ? " (may already be read)" : "");
	}
	if (d->needs_you_total > d->needs_you->len)
		g_string_append_printf(out, "<tr><td style=\"padding:8px 0;border-top:1px solid #e4e7eb;"
				       RENDER_MUTED "\">and %u more</td></tr>\n",
				       d->needs_you_total - d->needs_you->len);
	g_string_append(out, "</table>\n");
	render_needs_you_notes(out, d, TRUE);
	g_string_append(out, "</td></tr>\n");
}

static void render_html_meeting_rows(GString *out, const GPtrArray *meetings, gboolean waiting)
{
	for (guint i = 0; i < meetings->len; i++) {
		const digest_meeting *m = g_ptr_array_index(meetings, i);

		g_string_append(out, "<tr><td style=\"padding:8px 0;border-top:1px solid #e4e7eb;\">"
			       "<div style=\"font-weight:bold;\"><bdi>");
		render_escape(out, m->summary);
		g_string_append(out, "</bdi></div><div>");
		render_escape(out, m->start);
		g_string_append(out, ", from <bdi>");
		render_escape(out, m->organizer);
		g_string_append(out, "</bdi></div><div style=\"" RENDER_MUTED "\">");
		render_escape(out, waiting ? "Proposed: " : "");
		render_escape(out, m->answer);
		if (waiting) {
			g_string_append(out, " (<bdi>");
			render_escape(out, m->why);
			g_string_append(out, "</bdi>)");
		}
		if (m->via != NULL) {
			render_escape(out, waiting ? "; once approved, " : "; ");
			render_escape(out, m->via);
		}
		g_string_append(out, "</div></td></tr>\n");
	}
}

static void render_html_meetings(GString *out, const digest *d)
{
	g_string_append(out, "<tr><td style=\"padding:0 24px;\">" RENDER_H2 "Meetings</h2>\n");
	if (d->agenda->len > 0) {
		g_string_append(out, "<p style=\"margin:0;\">Today and tomorrow</p>\n<ul style=\"margin:4px 0;\">");
		for (guint i = 0; i < d->agenda->len; i++) {
			g_string_append(out, "<li><bdi>");
			render_escape(out, g_ptr_array_index(d->agenda, i));
			g_string_append(out, "</bdi></li>");
		}
		g_string_append(out, "</ul>\n");
	}
	for (guint i = 0; i < d->calendar_errors->len; i++) {
		g_string_append(out, "<p style=\"margin:4px 0;" RENDER_MUTED "\">Not read (invitations wait"
			       " for approval): <bdi>");
		render_escape(out, g_ptr_array_index(d->calendar_errors, i));
		g_string_append(out, "</bdi></p>\n");
	}
	if (d->meetings_waiting->len > 0) {
		g_string_append_printf(out, "<p style=\"margin:0;\">Waiting for your assistant&#8217;s"
				       " approval (%u)</p>\n<table role=\"presentation\" width=\"100%%\""
				       " cellpadding=\"0\" cellspacing=\"0\" border=\"0\">\n",
				       d->meetings_waiting->len);
		render_html_meeting_rows(out, d->meetings_waiting, TRUE);
		g_string_append(out, "</table>\n");
	}
	if (d->meetings_answered->len > 0) {
		g_string_append_printf(out, "<p style=\"margin:8px 0 0 0;\">Answered on your behalf"
				       " (%u)</p>\n<table role=\"presentation\" width=\"100%%\""
				       " cellpadding=\"0\" cellspacing=\"0\" border=\"0\">\n",
				       d->meetings_answered->len);
		render_html_meeting_rows(out, d->meetings_answered, FALSE);
		g_string_append(out, "</table>\n");
	}
	if (d->meetings_superseded->len > 0) {
		g_string_append_printf(out, "<p style=\"margin:8px 0 0 0;\">Replaced by a newer version"
				       " before approval (%u)</p>\n<ul style=\"margin:4px 0;\">",
				       d->meetings_superseded->len);
		for (guint i = 0; i < d->meetings_superseded->len; i++) {
			const digest_meeting *m = g_ptr_array_index(d->meetings_superseded, i);

			g_string_append(out, "<li><bdi>");
			render_escape(out, m->summary);
			g_string_append(out, "</bdi>, ");
			render_escape(out, m->start);
			g_string_append(out, ", from <bdi>");
			render_escape(out, m->organizer);
			g_string_append(out, "</bdi>: nothing was sent for it</li>");
		}
		g_string_append(out, "</ul>\n");
	}
	if (d->conflicts_ahead->len > 0) {
		g_string_append_printf(out, "<p style=\"margin:8px 0 0 0;\">Conflicts ahead (%u)</p>\n"
				       "<ul style=\"margin:4px 0;\">", d->conflicts_ahead->len);
		for (guint i = 0; i < d->conflicts_ahead->len; i++) {
			g_string_append(out, "<li><bdi>");
			render_escape(out, g_ptr_array_index(d->conflicts_ahead, i));
			g_string_append(out, "</bdi></li>");
		}
		g_string_append(out, "</ul>\n");
	}
	g_string_append(out, "</td></tr>\n");
}

static void render_html_drafts(GString *out, const digest *d)
{
	g_string_append_printf(out, "<tr><td style=\"padding:0 24px;\">" RENDER_H2
			       "Drafts waiting for your approval (%u)</h2>\n<table role=\"presentation\""
			       " width=\"100%%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\""
			       " style=\"width:100%%;border-collapse:collapse;\">\n", d->drafts_total);
	for (guint i = 0; i < d->drafts->len; i++) {
		const digest_draft *draft = g_ptr_array_index(d->drafts, i);

		g_string_append(out, "<tr><td style=\"padding:8px 0;border-top:1px solid #e4e7eb;\">"
			       "<div style=\"font-weight:bold;\"><bdi>");
		render_escape(out, draft->subject[0] != '\0' ? draft->subject : "(no subject)");
		g_string_append(out, "</bdi></div><div>To <bdi>");
		render_escape(out, draft->to);
		g_string_append(out, "</bdi></div><div style=\"" RENDER_MUTED "\">in Drafts ");
		render_escape(out, draft->age);
		g_string_append(out, draft->edited ? " (you edited it)" : "");
		g_string_append(out, ", answering <bdi>");
		render_escape(out, draft->answers_from);
		g_string_append(out, "</bdi>: <bdi>");
		render_escape(out, draft->answers_subject[0] != '\0' ? draft->answers_subject
								   : "(no subject)");
		g_string_append(out, "</bdi></div>");
		if (draft->machine != NULL) {
			g_string_append(out, "<div style=\"" RENDER_MUTED "\"><b>AI draft</b> (written by <bdi>");
			render_escape(out, draft->machine);
			g_string_append(out, "</bdi>): check it before sending</div>");
		}
		g_string_append(out, "</td></tr>\n");
	}
	if (d->drafts_total > d->drafts->len)
		g_string_append_printf(out, "<tr><td style=\"padding:8px 0;border-top:1px solid #e4e7eb;"
				       RENDER_MUTED "\">and %u more</td></tr>\n",
				       d->drafts_total - d->drafts->len);
	g_string_append(out, "</table></td></tr>\n");
}

static void render_html_groups(GString *out, const digest *d)
{
	g_string_append_printf(out, "<tr><td style=\"padding:0 24px;\">" RENDER_H2
			       "What vea did (%u message%s)</h2>\n", d->handled,
			       d->handled == 1 ? "" : "s");
	for (guint i = 0; i < d->groups->len; i++) {
		const digest_group *group = g_ptr_array_index(d->groups, i);

		g_string_append_printf(out, "<p style=\"margin:8px 0 2px 0;\"><strong>%s %u</strong>: ",
				       group->verb, group->total);
		render_destinations(out, group, TRUE);
		g_string_append(out, "</p>\n");
		for (guint k = 0; k < group->examples->len; k++) {
			const digest_item *item = g_ptr_array_index(group->examples, k);

			g_string_append(out, "<div style=\"" RENDER_MUTED "padding-left:12px;\"><bdi>");
			render_escape(out, item->from);
			g_string_append(out, "</bdi>: <bdi>");
			render_escape(out, item->subject[0] != '\0' ? item->subject : "(no subject)");
			g_string_append(out, "</bdi></div>\n");
		}
	}
	if (d->failed > 0)
		g_string_append_printf(out, "<p style=\"margin:8px 0;color:#b42318;\">%u action%s could"
				       " not be carried out (your assistant has the details).</p>\n",
				       d->failed, d->failed == 1 ? "" : "s");
	g_string_append(out, "</td></tr>\n");
}

/* A bar that survives email clients: a one-row table whose cells are
 * coloured by inline CSS and sized by the width attribute. */
static void render_html_bar(GString *out, const digest_time *t)
{
	int percent = render_percent(t);
	gboolean over = t->overage_seconds > 0;

	g_string_append(out, "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\""
			" cellspacing=\"0\" border=\"0\" style=\"width:100%;border-collapse:collapse;"
			"margin:4px 0 2px 0;\"><tr>");
	if (percent > 0)
		g_string_append_printf(out, "<td width=\"%d%%\" style=\"width:%d%%;height:14px;"
				       "background:%s;font-size:0;line-height:0;\">&nbsp;</td>",
				       percent, percent, over ? "#d64545" : "#3b82f6");
	if (percent < 100)
		g_string_append_printf(out, "<td width=\"%d%%\" style=\"width:%d%%;height:14px;"
				       "background:#e4e7eb;font-size:0;line-height:0;\">&nbsp;</td>",
				       100 - percent, 100 - percent);
	g_string_append(out, "</tr></table>\n");
}

static void render_html_time(GString *out, const digest *d)
{
	g_string_append(out, "<tr><td style=\"padding:0 24px;\">" RENDER_H2 "Time used this period</h2>\n");
	for (guint i = 0; i < d->time->len; i++) {
		const digest_time *t = g_ptr_array_index(d->time, i);
		g_autofree char *summary = NULL;

		if (!render_time_shown(t))
			continue;
		summary = render_time_summary(t);
		g_string_append(out, "<p style=\"margin:8px 0 0 0;\"><strong>");
		render_escape(out, t->billing_id);
		g_string_append(out, "</strong></p>\n");
		if (t->retainer)
			render_html_bar(out, t);
		g_string_append(out, "<div style=\"" RENDER_MUTED "\">");
		render_escape(out, summary);
		g_string_append(out, "</div>\n");
	}
	g_string_append(out, "</td></tr>\n");
}

char *digest_render_html(const digest *d)
{
	GString *out = g_string_new(NULL);
	g_autofree char *subject = digest_render_subject(d);

	g_string_append(out,
		"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		/* For browsers and the webmail clients that honour it: nothing
		 * but inline style, whatever slipped through. */
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
		" style-src 'unsafe-inline'\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	render_escape(out, subject);
	g_string_append(out,
		"</title>\n</head>\n<body style=\"margin:0;padding:0;background:#f4f5f7;\">\n"
		"<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\""
		" border=\"0\" style=\"width:100%;background:#f4f5f7;\"><tr><td align=\"center\""
		" style=\"padding:24px 12px;\">\n"
		"<table role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\""
		" border=\"0\" style=\"width:100%;max-width:600px;background:#ffffff;"
		"border:1px solid #dde1e6;font-family:Arial,Helvetica,sans-serif;font-size:15px;"
		"line-height:1.45;color:#1f2933;text-align:left;\">\n"
		"<tr><td style=\"padding:20px 24px 0 24px;\"><h1 style=\"margin:0;font-size:20px;\">");
	render_escape(out, d->client->name);
	g_string_append(out, "&#8217;s digest, ");
	render_escape(out, d->date_label);
	g_string_append(out, "</h1><p style=\"margin:4px 0 0 0;" RENDER_MUTED "\">");
	render_escape(out, subject);
	g_string_append(out, "</p></td></tr>\n");

	if (render_needs_you_shown(d))
		render_html_needs_you(out, d);
	if (render_followups_shown(d))
		render_followups(out, d, TRUE);
	if (render_meetings_shown(d))
		render_html_meetings(out, d);
	if (d->drafts_total > 0)
		render_html_drafts(out, d);
	if (d->groups->len > 0 || d->failed > 0)
		render_html_groups(out, d);
	if (render_time_heading(d) != NULL)
		render_html_time(out, d);
	if (digest_is_empty(d))
		g_string_append(out, "<tr><td style=\"padding:16px 24px 0 24px;\">Nothing happened"
				" since the last digest.</td></tr>\n");
	g_string_append(out,
		"<tr><td style=\"padding:24px;" RENDER_MUTED "\">Sent by vea for your assistant."
		"</td></tr>\n</table>\n</td></tr></table>\n</body>\n</html>\n");
	return g_string_free(out, FALSE);
}
