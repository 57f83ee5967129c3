/* The digest's "Follow-ups" section: what the timers (agent/timers.h)
 * will bring up today and tomorrow, read from the timers table. */
#include "digest/digest.h"
#include "util/text.h"

#include <string.h>

void digest_followup_free(gpointer data)
{
	digest_followup *f = data;

	g_free(f->subject);
	g_free(f->when);
	g_free(f->mailbox);
	g_free(f);
}

/* The value of key in a timer's "key=value" option lines, or NULL. */
static char *followup_option(const store_timer *t, const char *key)
{
	size_t len = strlen(key);

	for (const char *line = t->options; line != NULL && *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t n = end != NULL ? (size_t)(end - line) : strlen(line);

		if (n > len && strncmp(line, key, len) == 0 && line[len] == '=')
			return g_strndup(line + len + 1, n - len - 1);
		if (end == NULL)
			break;
		line = end + 1;
	}
	return NULL;
}

static digest_followup *followup_new(const store_timer *t, GTimeZone *tz)
{
	digest_followup *f = g_new0(digest_followup, 1);
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(t->due_at);
	g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, tz);
	g_autofree char *unanswered = followup_option(t, "if_unanswered");
	g_autofree char *wake = followup_option(t, "wake_mailbox");

	f->subject = text_clean_line(t->subject != NULL ? t->subject : "", DIGEST_MAX_TEXT);
	f->when = g_date_time_format(local, "%H:%M");
	f->mailbox = text_clean_line(t->kind == ACTION_SNOOZE && wake != NULL ? wake : t->mailbox,
				     DIGEST_MAX_TEXT);
	f->unanswered = unanswered != NULL;
	return f;
}

int digest_collect_followups(store *st, digest *d, GDateTime *now, const GDate *date,
			     char **error_r)
{
	g_autoptr(GPtrArray) timers = NULL;
	g_autoptr(GDateTime) midnight = NULL, tomorrow = NULL, after = NULL;
	GTimeZone *tz = d->client->tz != NULL ? d->client->tz : NULL;
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	int64_t end_today, end_tomorrow;

	(void)now;

	if (tz == NULL)
		tz = utc;
	midnight = g_date_time_new(tz, g_date_get_year(date), g_date_get_month(date),
				   g_date_get_day(date), 0, 0, 0);
	if (midnight == NULL)
		return 0;
	tomorrow = g_date_time_add_days(midnight, 1);
	after = g_date_time_add_days(midnight, 2);
	end_today = g_date_time_to_unix(tomorrow);
	end_tomorrow = g_date_time_to_unix(after);
	if (store_timer_list(st, d->client->id, ACTION_KIND_UNKNOWN, STORE_TIMER_PENDING, &timers,
			     error_r) < 0)
		return -1;
	for (guint i = 0; i < timers->len; i++) {
		const store_timer *t = g_ptr_array_index(timers, i);
		g_autofree char *unanswered = followup_option(t, "if_unanswered");

		if (t->kind == ACTION_REMIND) {
			d->awaiting_reply += unanswered != NULL;
			if (t->due_at < end_today) {
				d->due_today_total++;
				if (d->due_today->len < DIGEST_MAX_FOLLOWUPS)
					g_ptr_array_add(d->due_today, followup_new(t, tz));
			}
		} else if (t->kind == ACTION_SNOOZE && t->due_at >= end_today &&
			   t->due_at < end_tomorrow) {
			d->back_tomorrow_total++;
			if (d->back_tomorrow->len < DIGEST_MAX_FOLLOWUPS)
				g_ptr_array_add(d->back_tomorrow, followup_new(t, tz));
		}
	}
	return 0;
}
