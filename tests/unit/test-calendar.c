/* src/calendar: what an executive would notice about the answers vea
 * gives to invitations (free, conflict, hours, holidays, limits, time
 * zones) and about the REPLY the organizer receives. */
#include "calendar/calendar.h"
#include "calendar/imip.h"
#include "conf/conf.h"

#include <glib/gstdio.h>
#include <gmime/gmime.h>
#include <libical/ical.h>
#include <string.h>

#define VCAL_BEGIN "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
#define VCAL_END "END:VCALENDAR\r\n"

#define TZ_ROME \
	"BEGIN:VTIMEZONE\r\nTZID:Europe/Rome\r\n" \
	"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n" \
	"DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n" \
	"BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n" \
	"DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n" \
	"END:VTIMEZONE\r\n"

/* As Outlook sends it: a Windows name, rules from 1601. */
#define TZ_OUTLOOK_EASTERN \
	"BEGIN:VTIMEZONE\r\nTZID:Eastern Standard Time\r\n" \
	"BEGIN:STANDARD\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\n" \
	"RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11\r\nEND:STANDARD\r\n" \
	"BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\n" \
	"RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3\r\nEND:DAYLIGHT\r\n" \
	"END:VTIMEZONE\r\n"

static int64_t utc(const char *iso)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(iso, NULL);

	g_assert_nonnull(t);
	return g_date_time_to_unix(t);
}

/* A VEVENT with UTC times ("20261109T150000Z"). */
static char *vevent(const char *uid, const char *summary, const char *start, const char *end,
		    const char *extra)
{
	return g_strdup_printf("BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20261001T000000Z\r\n"
			       "SUMMARY:%s\r\nDTSTART:%s\r\nDTEND:%s\r\n%sEND:VEVENT\r\n",
			       uid, summary, start, end, extra != NULL ? extra : "");
}

static char *request(const char *uid, const char *start_line, const char *end_line,
		     const char *extra, const char *vtimezone)
{
	return g_strdup_printf(VCAL_BEGIN "METHOD:REQUEST\r\n%s"
			       "BEGIN:VEVENT\r\nUID:%s\r\nSEQUENCE:2\r\nDTSTAMP:20261020T120000Z\r\n"
			       "ORGANIZER;CN=Raj Patel:mailto:raj@lumen.example\r\n"
			       "ATTENDEE;CN=Dana;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:Dana@Example.test\r\n"
			       "ATTENDEE;CN=Ana:mailto:ana@example.test\r\n"
			       "SUMMARY:Investor sync\r\n%s\r\n%s\r\n%s"
			       "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nDESCRIPTION:x\r\nEND:VALARM\r\n"
			       "END:VEVENT\r\n" VCAL_END,
			       vtimezone != NULL ? vtimezone : "", uid, start_line, end_line,
			       extra != NULL ? extra : "");
}

/* Dana: New York, Mon-Fri 09:00-18:00 unless a test says otherwise. */
typedef struct fixture {
	GTimeZone *tz;
	calendar_rules *rules;
	calendar_index *index;
	calendar_decision d;
} fixture;

static void fixture_setup(fixture *f, const char *now)
{
	char *error = NULL;

	g_setenv("VEA_NOW", now, TRUE);
	f->tz = g_time_zone_new_identifier("America/New_York");
	g_assert_nonnull(f->tz);
	f->rules = calendar_rules_new(f->tz);
	g_assert_cmpint(calendar_rules_parse_hours(f->rules, "mon-fri 09:00-18:00", &error), ==, 0);
	f->index = calendar_index_new(f->tz, utc(now) - 86400, utc(now) + 120 * 86400);
}

static void fixture_add(fixture *f, const char *calendar_id, calendar_role role, const char *events)
{
	g_autofree char *text = g_strconcat(VCAL_BEGIN, events, VCAL_END, NULL);
	char *error = NULL;

	g_assert_cmpint(calendar_index_add_text(f->index, calendar_id, role, text, &error), ==, 0);
	calendar_index_finish(f->index);
}

static calendar_verdict fixture_decide(fixture *f, const char *invitation)
{
	imip_message *m = NULL;
	ical_events *instances;
	char *error = NULL;
	int64_t now = utc(g_getenv("VEA_NOW"));

	calendar_decision_clear(&f->d);
	if (imip_parse(invitation, "REQUEST", &m, &error) < 0)
		g_error("imip_parse: %s", error);
	instances = imip_instances(m, now, now + f->rules->horizon, &error);
	if (instances == NULL)
		g_error("imip_instances: %s", error);
	calendar_decide(f->index, f->rules, instances, &f->d);
	g_test_message("verdict %s: %s", calendar_verdict_name(f->d.verdict), f->d.reason);
	ical_events_free(&instances);
	imip_message_free(&m);
	return f->d.verdict;
}

/* An invitation at UTC times. */
static calendar_verdict fixture_decide_at(fixture *f, const char *start, const char *end)
{
	g_autofree char *s = g_strdup_printf("DTSTART:%s", start);
	g_autofree char *e = g_strdup_printf("DTEND:%s", end);
	g_autofree char *inv = request("inv-1@lumen", s, e, NULL, NULL);

	return fixture_decide(f, inv);
}

static void fixture_teardown(fixture *f)
{
	calendar_decision_clear(&f->d);
	calendar_index_free(&f->index);
	calendar_rules_free(f->rules);
	g_time_zone_unref(f->tz);
	g_unsetenv("VEA_NOW");
}

#define NOV2 "2026-11-02T12:00:00Z"

/* Mon 9 Nov 2026 in New York is UTC-5. */
static void test_free_and_conflict(void)
{
	fixture f = { 0 };
	g_autofree char *dentist = vevent("d1", "Dentist", "20261109T150000Z", "20261109T160000Z", NULL);

	fixture_setup(&f, NOV2);
	fixture_add(&f, "personal", CALENDAR_ROLE_BUSY, dentist);
	/* 14:00-15:00 New York: nothing there. */
	g_assert_cmpint(fixture_decide_at(&f, "20261109T190000Z", "20261109T200000Z"), ==, CALENDAR_FREE);
	g_assert_nonnull(strstr(f.d.reason, "Mon 09 Nov 2026 14:00-15:00 EST: free"));
	/* 10:30-11:30 New York overlaps the dentist in another calendar. */
	g_assert_cmpint(fixture_decide_at(&f, "20261109T153000Z", "20261109T163000Z"), ==,
			CALENDAR_CONFLICT);
	g_assert_cmpstr(f.d.calendar_id, ==, "personal");
	g_assert_cmpstr(f.d.event_summary, ==, "Dentist");
	g_assert_nonnull(strstr(f.d.reason, "conflicts with 'Dentist' (calendar personal)"));
	/* Back to back is fine without a buffer. */
	g_assert_cmpint(fixture_decide_at(&f, "20261109T160000Z", "20261109T170000Z"), ==, CALENDAR_FREE);
	fixture_teardown(&f);
}

static void test_outside_hours(void)
{
	fixture f = { 0 };
	char *error = NULL;

	fixture_setup(&f, NOV2);
	/* 19:00 New York. */
	g_assert_cmpint(fixture_decide_at(&f, "20261110T000000Z", "20261110T010000Z"), ==,
			CALENDAR_OUTSIDE_HOURS);
	g_assert_nonnull(strstr(f.d.reason, "outside working hours"));
	/* Saturday 14 Nov, 11:00. */
	g_assert_cmpint(fixture_decide_at(&f, "20261114T160000Z", "20261114T170000Z"), ==,
			CALENDAR_OUTSIDE_HOURS);
	/* 17:30-18:30: must fit entirely. */
	g_assert_cmpint(fixture_decide_at(&f, "20261109T223000Z", "20261109T233000Z"), ==,
			CALENDAR_OUTSIDE_HOURS);
	/* Two ranges with lunch between them. */
	g_assert_cmpint(calendar_rules_parse_hours(f.rules, "mon-fri 09:00-12:30,13:30-18:00", &error), ==, 0);
	g_assert_cmpint(fixture_decide_at(&f, "20261109T170000Z", "20261109T180000Z"), ==,
			CALENDAR_OUTSIDE_HOURS); /* 12:00-13:00 */
	g_assert_cmpint(fixture_decide_at(&f, "20261109T183000Z", "20261109T190000Z"), ==,
			CALENDAR_FREE); /* 13:30-14:00 */
	fixture_teardown(&f);
}

static void test_holiday(void)
{
	fixture f = { 0 };
	char *error = NULL;
	/* Transparent, as holiday feeds usually are: blocks the day anyway. */
	const char *veterans = "BEGIN:VEVENT\r\nUID:h1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Veterans Day\r\n"
			       "DTSTART;VALUE=DATE:20261111\r\nDTEND;VALUE=DATE:20261112\r\n"
			       "TRANSP:TRANSPARENT\r\nEND:VEVENT\r\n";

	fixture_setup(&f, NOV2);
	fixture_add(&f, "us-holidays", CALENDAR_ROLE_HOLIDAY, veterans);
	g_assert_cmpint(fixture_decide_at(&f, "20261111T150000Z", "20261111T160000Z"), ==, CALENDAR_HOLIDAY);
	g_assert_nonnull(strstr(f.d.reason, "a holiday, 'Veterans Day' (calendar us-holidays)"));
	/* The day after is a working day. */
	g_assert_cmpint(fixture_decide_at(&f, "20261112T150000Z", "20261112T160000Z"), ==, CALENDAR_FREE);
	/* The client's own days off (holidays = ... in vea.conf). */
	g_assert_cmpint(calendar_rules_parse_holidays(f.rules, "2026-11-26; 2026-12-24..2026-12-31", &error), ==, 0);
	g_assert_cmpuint(f.rules->n_holidays, ==, 9);
	g_assert_cmpint(fixture_decide_at(&f, "20261126T150000Z", "20261126T160000Z"), ==, CALENDAR_HOLIDAY);
	g_assert_nonnull(strstr(f.d.reason, "a day off (the client's holidays in vea.conf)"));
	g_assert_cmpint(fixture_decide_at(&f, "20261224T150000Z", "20261224T160000Z"), ==, CALENDAR_HOLIDAY);
	g_assert_cmpint(fixture_decide_at(&f, "20261125T150000Z", "20261125T160000Z"), ==, CALENDAR_FREE);
	g_assert_cmpint(calendar_rules_parse_holidays(f.rules, "2026-12-31..2026-12-24", &error), ==, -1);
	g_assert_nonnull(strstr(error, "YYYY-MM-DD"));
	g_free(error);
	fixture_teardown(&f);
}

static void test_transparent_and_tentative(void)
{
	fixture f = { 0 };
	g_autofree char *fyi = vevent("t1", "Office open house", "20261109T150000Z", "20261109T160000Z",
				      "TRANSP:TRANSPARENT\r\n");
	g_autofree char *maybe = vevent("t2", "Maybe lunch", "20261110T170000Z", "20261110T180000Z",
					"STATUS:TENTATIVE\r\n");

	fixture_setup(&f, NOV2);
	fixture_add(&f, "work", CALENDAR_ROLE_PRIMARY, fyi);
	fixture_add(&f, "work", CALENDAR_ROLE_PRIMARY, maybe);
	g_assert_cmpint(fixture_decide_at(&f, "20261109T150000Z", "20261109T160000Z"), ==, CALENDAR_FREE);
	g_assert_cmpint(fixture_decide_at(&f, "20261110T170000Z", "20261110T173000Z"), ==, CALENDAR_CONFLICT);
	g_assert_true(f.d.tentative);
	g_assert_nonnull(strstr(f.d.reason, "the tentative 'Maybe lunch'"));
	fixture_teardown(&f);
}

static void test_buffer(void)
{
	fixture f = { 0 };
	g_autofree char *board = vevent("b1", "Board call", "20261109T150000Z", "20261109T160000Z", NULL);

	fixture_setup(&f, NOV2);
	f.rules->buffer = 15 * 60;
	fixture_add(&f, "work", CALENDAR_ROLE_PRIMARY, board);
	/* 11:10: ten minutes after the board call ends. */
	g_assert_cmpint(fixture_decide_at(&f, "20261109T161000Z", "20261109T170000Z"), ==, CALENDAR_CONFLICT);
	g_assert_nonnull(strstr(f.d.reason, "too close to 'Board call'"));
	g_assert_nonnull(strstr(f.d.reason, "15 minutes' buffer"));
	g_assert_cmpint(fixture_decide_at(&f, "20261109T161500Z", "20261109T170000Z"), ==, CALENDAR_FREE);
	/* And before: ending 09:50 for a 10:00 call. */
	g_assert_cmpint(fixture_decide_at(&f, "20261109T142000Z", "20261109T145000Z"), ==, CALENDAR_CONFLICT);
	fixture_teardown(&f);
}

static void test_daily_maximum(void)
{
	fixture f = { 0 };
	g_autofree char *a = vevent("m1", "One", "20261110T150000Z", "20261110T153000Z", NULL);
	g_autofree char *b = vevent("m2", "Two", "20261110T190000Z", "20261110T193000Z", NULL);
	g_autofree char *both = g_strconcat(a, b, NULL);

	fixture_setup(&f, NOV2);
	f.rules->max_per_day = 2;
	fixture_add(&f, "work", CALENDAR_ROLE_PRIMARY, both);
	g_assert_cmpint(fixture_decide_at(&f, "20261110T210000Z", "20261110T213000Z"), ==, CALENDAR_TOO_MANY);
	g_assert_nonnull(strstr(f.d.reason, "already 2 meetings that day (at most 2)"));
	g_assert_cmpint(fixture_decide_at(&f, "20261111T210000Z", "20261111T213000Z"), ==, CALENDAR_FREE);
	fixture_teardown(&f);
}

static void test_min_notice(void)
{
	fixture f = { 0 };

	/* Now: Mon 2 Nov 12:00Z = 07:00 New York. */
	fixture_setup(&f, NOV2);
	f.rules->min_notice = 4 * 3600;
	g_assert_cmpint(fixture_decide_at(&f, "20261102T143000Z", "20261102T150000Z"), ==,
			CALENDAR_SHORT_NOTICE);
	g_assert_nonnull(strstr(f.d.reason, "less than 240 minutes' notice"));
	g_assert_cmpint(fixture_decide_at(&f, "20261102T170000Z", "20261102T173000Z"), ==, CALENDAR_FREE);
	/* Over already: nothing to answer. */
	g_assert_cmpint(fixture_decide_at(&f, "20261030T170000Z", "20261030T173000Z"), ==, CALENDAR_NOTHING);
	fixture_teardown(&f);
}

static void test_series_third_instance_conflicts(void)
{
	fixture f = { 0 };
	g_autofree char *busy = vevent("x1", "Offsite", "20261123T140000Z", "20261123T220000Z", NULL);
	g_autofree char *inv = request("weekly@lumen", "DTSTART;TZID=America/New_York:20261109T100000",
				       "DTEND;TZID=America/New_York:20261109T110000",
				       "RRULE:FREQ=WEEKLY;COUNT=4\r\n", NULL);

	fixture_setup(&f, NOV2);
	fixture_add(&f, "personal", CALENDAR_ROLE_BUSY, busy);
	g_assert_cmpint(fixture_decide(&f, inv), ==, CALENDAR_CONFLICT);
	g_assert_cmpint(f.d.instance, ==, 2);
	g_assert_cmpuint(f.d.instances, ==, 4);
	g_assert_cmpint(f.d.start, ==, utc("2026-11-23T15:00:00Z"));
	g_assert_nonnull(strstr(f.d.reason, "3rd of 4 instances, Mon 23 Nov 2026 10:00-11:00"));
	/* Only that one is in the way: the series can be accepted with it
	 * declined, by its RECURRENCE-ID (the original start, in UTC). */
	g_assert_cmpuint(f.d.blocked->len, ==, 1);
	g_assert_cmpint(g_array_index(f.d.blocked, calendar_blocked, 0).recurrence_id, ==,
			utc("2026-11-23T15:00:00Z"));
	g_assert_cmpint(g_array_index(f.d.blocked, calendar_blocked, 0).verdict, ==, CALENDAR_CONFLICT);
	g_assert_nonnull(strstr(g_array_index(f.d.blocked, calendar_blocked, 0).reason, "'Offsite'"));
	fixture_teardown(&f);
}

static void test_busy_series_exdate(void)
{
	fixture f = { 0 };
	/* Weekly Thursdays 10:00 New York since September: the 10th
	 * instance is 12 Nov, the 11th (19 Nov) is an EXDATE. */
	const char *series = "BEGIN:VEVENT\r\nUID:s1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Staff meeting\r\n"
			     "DTSTART;TZID=America/New_York:20260903T100000\r\n"
			     "DTEND;TZID=America/New_York:20260903T110000\r\n"
			     "RRULE:FREQ=WEEKLY;BYDAY=TH\r\n"
			     "EXDATE;TZID=America/New_York:20261119T100000\r\nEND:VEVENT\r\n";

	fixture_setup(&f, NOV2);
	fixture_add(&f, "work", CALENDAR_ROLE_PRIMARY, series);
	g_assert_cmpint(fixture_decide_at(&f, "20261112T153000Z", "20261112T160000Z"), ==, CALENDAR_CONFLICT);
	g_assert_cmpstr(f.d.event_summary, ==, "Staff meeting");
	g_assert_cmpint(fixture_decide_at(&f, "20261119T153000Z", "20261119T160000Z"), ==, CALENDAR_FREE);
	fixture_teardown(&f);
}

static void test_moved_and_cancelled_instances(void)
{
	fixture f = { 0 };
	/* Tuesdays 09:00-10:00; 17 Nov moved to 11:00-12:00, 24 Nov cancelled. */
	const char *series = "BEGIN:VEVENT\r\nUID:r1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:1:1 with Sam\r\n"
			     "DTSTART;TZID=America/New_York:20261103T090000\r\n"
			     "DTEND;TZID=America/New_York:20261103T100000\r\n"
			     "RRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n"
			     "BEGIN:VEVENT\r\nUID:r1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:1:1 with Sam (moved)\r\n"
			     "RECURRENCE-ID;TZID=America/New_York:20261117T090000\r\n"
			     "DTSTART;TZID=America/New_York:20261117T110000\r\n"
			     "DTEND;TZID=America/New_York:20261117T120000\r\nEND:VEVENT\r\n"
			     "BEGIN:VEVENT\r\nUID:r1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:1:1 with Sam\r\n"
			     "RECURRENCE-ID;TZID=America/New_York:20261124T090000\r\nSTATUS:CANCELLED\r\n"
			     "DTSTART;TZID=America/New_York:20261124T090000\r\n"
			     "DTEND;TZID=America/New_York:20261124T100000\r\nEND:VEVENT\r\n";

	fixture_setup(&f, NOV2);
	fixture_add(&f, "work", CALENDAR_ROLE_PRIMARY, series);
	/* The usual slot on 10 Nov is busy; on 17 Nov it moved away. */
	g_assert_cmpint(fixture_decide_at(&f, "20261110T140000Z", "20261110T150000Z"), ==, CALENDAR_CONFLICT);
	g_assert_cmpint(fixture_decide_at(&f, "20261117T140000Z", "20261117T150000Z"), ==, CALENDAR_FREE);
	g_assert_cmpint(fixture_decide_at(&f, "20261117T163000Z", "20261117T170000Z"), ==, CALENDAR_CONFLICT);
	g_assert_cmpstr(f.d.event_summary, ==, "1:1 with Sam (moved)");
	/* Cancelled on 24 Nov: free. */
	g_assert_cmpint(fixture_decide_at(&f, "20261124T140000Z", "20261124T150000Z"), ==, CALENDAR_FREE);
	fixture_teardown(&f);
}

static void test_cancelled_event_is_free(void)
{
	fixture f = { 0 };
	g_autofree char *gone = vevent("c1", "Cancelled review", "20261109T150000Z", "20261109T160000Z",
				       "STATUS:CANCELLED\r\n");

	fixture_setup(&f, NOV2);
	fixture_add(&f, "work", CALENDAR_ROLE_PRIMARY, gone);
	g_assert_cmpint(fixture_decide_at(&f, "20261109T150000Z", "20261109T160000Z"), ==, CALENDAR_FREE);
	fixture_teardown(&f);
}

/* A weekly 15:00 Rome meeting seen from New York in March 2027: the US
 * changes on 14 March, the EU on 28 March, so for two weeks the meeting
 * is at 10:00 in New York instead of 09:00. */
static void test_dst_rome_new_york(void)
{
	fixture f = { 0 };
	g_autofree char *inv = request("rome@lumen", "DTSTART;TZID=Europe/Rome:20270308T150000",
				       "DTEND;TZID=Europe/Rome:20270308T160000",
				       "RRULE:FREQ=WEEKLY;COUNT=4\r\n", TZ_ROME);
	g_autofree char *later = request("rome2@lumen", "DTSTART;TZID=Europe/Rome:20270315T150000",
					 "DTEND;TZID=Europe/Rome:20270315T160000",
					 "RRULE:FREQ=WEEKLY;COUNT=2\r\n", TZ_ROME);
	static const char *expected[] = { "2027-03-08T14:00:00Z", "2027-03-15T14:00:00Z",
					  "2027-03-22T14:00:00Z", "2027-03-29T13:00:00Z" };
	imip_message *m = NULL;
	ical_events *in;
	char *error = NULL;

	fixture_setup(&f, "2027-03-01T12:00:00Z");
	g_assert_cmpint(imip_parse(inv, NULL, &m, &error), ==, 0);
	in = imip_instances(m, utc("2027-03-01T00:00:00Z"), utc("2027-05-01T00:00:00Z"), &error);
	g_assert_nonnull(in);
	g_assert_cmpuint(in->instances->len, ==, 4);
	for (guint i = 0; i < 4; i++)
		g_assert_cmpint(g_array_index(in->instances, ical_instance, i).start, ==, utc(expected[i]));
	ical_events_free(&in);
	imip_message_free(&m);

	g_assert_cmpint(calendar_rules_parse_hours(f.rules, "mon-fri 09:30-18:00", &error), ==, 0);
	/* 8 March is 09:00 in New York: before hours. */
	g_assert_cmpint(fixture_decide(&f, inv), ==, CALENDAR_OUTSIDE_HOURS);
	g_assert_cmpint(f.d.instance, ==, 0);
	g_assert_nonnull(strstr(f.d.reason, "Mon 08 Mar 2027 09:00-10:00 EST"));
	/* 15 and 22 March are 10:00 EDT: fine. */
	g_assert_cmpint(fixture_decide(&f, later), ==, CALENDAR_FREE);
	fixture_teardown(&f);
}

/* Outlook: TZID "Eastern Standard Time" with its own VTIMEZONE; the US
 * change on 1 Nov 2026 moves the UTC time by an hour. */
static void test_outlook_windows_zone(void)
{
	g_autofree char *with_vtz = request("outlook@lumen", "DTSTART;TZID=Eastern Standard Time:20261026T090000",
					    "DTEND;TZID=Eastern Standard Time:20261026T093000",
					    "RRULE:FREQ=WEEKLY;COUNT=2\r\n", TZ_OUTLOOK_EASTERN);
	/* The same name with no VTIMEZONE (an event copied without it):
	 * the Windows table gives America/New_York. */
	g_autofree char *bare = request("outlook2@lumen", "DTSTART;TZID=\"Eastern Standard Time\":20261026T090000",
					"DTEND;TZID=\"Eastern Standard Time\":20261026T093000",
					"RRULE:FREQ=WEEKLY;COUNT=2\r\n", NULL);
	const char *texts[] = { with_vtz, bare };

	g_assert_cmpstr(ical_windows_zone("W. Europe Standard Time"), ==, "Europe/Berlin");
	for (int k = 0; k < 2; k++) {
		imip_message *m = NULL;
		char *error = NULL;
		ical_events *in;

		g_assert_cmpint(imip_parse(texts[k], "request", &m, &error), ==, 0);
		in = imip_instances(m, utc("2026-10-20T00:00:00Z"), utc("2026-12-01T00:00:00Z"), &error);
		g_assert_nonnull(in);
		g_assert_cmpuint(in->instances->len, ==, 2);
		g_assert_cmpint(g_array_index(in->instances, ical_instance, 0).start, ==, utc("2026-10-26T13:00:00Z"));
		g_assert_cmpint(g_array_index(in->instances, ical_instance, 1).start, ==, utc("2026-11-02T14:00:00Z"));
		g_assert_cmpint(g_array_index(in->instances, ical_instance, 1).end, ==, utc("2026-11-02T14:30:00Z"));
		ical_events_free(&in);
		imip_message_free(&m);
	}
}

static void test_unknown_zone(void)
{
	fixture f = { 0 };
	g_autofree char *inv = request("nowhere@lumen", "DTSTART;TZID=Nowhere/Land:20261109T100000",
				       "DTEND;TZID=Nowhere/Land:20261109T110000", NULL, NULL);
	const char *busy = "BEGIN:VEVENT\r\nUID:n1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Where?\r\n"
			   "DTSTART;TZID=Mars/Olympus:20261109T100000\r\n"
			   "DTEND;TZID=Mars/Olympus:20261109T110000\r\nEND:VEVENT\r\n";
	imip_message *m = NULL;
	char *error = NULL;
	const GPtrArray *warnings;

	/* Never guessed as floating time: the invitation is refused... */
	g_assert_cmpint(imip_parse(inv, "REQUEST", &m, &error), ==, -1);
	g_assert_null(m);
	g_assert_cmpstr(error, ==, "event nowhere@lumen: unknown time zone 'Nowhere/Land'");
	g_free(error);
	/* ...and an event in a calendar is left out, with a warning. */
	fixture_setup(&f, NOV2);
	fixture_add(&f, "work", CALENDAR_ROLE_PRIMARY, busy);
	warnings = calendar_index_warnings(f.index);
	g_assert_cmpuint(warnings->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(warnings, 0), ==,
			"calendar work: event n1: unknown time zone 'Mars/Olympus'");
	g_assert_cmpuint(calendar_index_busy_count(f.index), ==, 0);
	fixture_teardown(&f);
}

static void test_all_day_and_floating(void)
{
	fixture f = { 0 };
	/* An all-day opaque event blocks the executive's local day; a
	 * floating 10:00 is 10:00 in their zone. */
	const char *events = "BEGIN:VEVENT\r\nUID:a1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Conference\r\n"
			     "DTSTART;VALUE=DATE:20261112\r\nDTEND;VALUE=DATE:20261114\r\nEND:VEVENT\r\n"
			     "BEGIN:VEVENT\r\nUID:f1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Floating\r\n"
			     "DTSTART:20261109T100000\r\nDTEND:20261109T110000\r\nEND:VEVENT\r\n";

	fixture_setup(&f, NOV2);
	fixture_add(&f, "work", CALENDAR_ROLE_PRIMARY, events);
	g_assert_cmpint(fixture_decide_at(&f, "20261113T200000Z", "20261113T210000Z"), ==, CALENDAR_CONFLICT);
	g_assert_cmpstr(f.d.event_summary, ==, "Conference");
	/* Thursday 12 Nov 09:00 New York = 14:00Z: inside the first day. */
	g_assert_cmpint(fixture_decide_at(&f, "20261112T140000Z", "20261112T150000Z"), ==, CALENDAR_CONFLICT);
	/* Monday 16 Nov: after the two days. */
	g_assert_cmpint(fixture_decide_at(&f, "20261116T140000Z", "20261116T150000Z"), ==, CALENDAR_FREE);
	g_assert_cmpint(fixture_decide_at(&f, "20261109T150000Z", "20261109T153000Z"), ==, CALENDAR_CONFLICT);
	g_assert_cmpstr(f.d.event_summary, ==, "Floating");
	fixture_teardown(&f);
}

static void test_own_event_no_conflict(void)
{
	fixture f = { 0 };
	/* Already accepted and in the calendar; the update is not in its
	 * own way. */
	g_autofree char *mine = vevent("inv-1@lumen", "Investor sync", "20261109T150000Z", "20261109T160000Z", NULL);

	fixture_setup(&f, NOV2);
	fixture_add(&f, "work", CALENDAR_ROLE_PRIMARY, mine);
	g_assert_cmpint(fixture_decide_at(&f, "20261109T153000Z", "20261109T163000Z"), ==, CALENDAR_FREE);
	fixture_teardown(&f);
}

/* The span a copy of the calendar keeps per object (ical_events): an
 * object is read again only when its span meets the window, so it must
 * cover every instance, whatever the window it was read with. */
static void test_event_span(void)
{
	int64_t from = utc("2026-11-01T00:00:00Z"), to = utc("2026-12-01T00:00:00Z");
	struct {
		const char *what, *text;
		int64_t start, end; /* INT64_MIN / INT64_MAX: unknown / no end */
	} cases[] = {
		{ "a single event outside the window: its own times, a day either side",
		  VCAL_BEGIN "BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20261001T000000Z\r\n"
			     "DTSTART:20270310T150000Z\r\nDTEND:20270310T160000Z\r\nEND:VEVENT\r\n" VCAL_END,
		  utc("2027-03-09T15:00:00Z"), utc("2027-03-11T16:00:00Z") },
		{ "a floating all-day event: widened by the 14 h any zone may add",
		  VCAL_BEGIN "BEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20261001T000000Z\r\n"
			     "DTSTART;VALUE=DATE:20261110\r\nEND:VEVENT\r\n" VCAL_END,
		  utc("2026-11-09T00:00:00Z") - 14 * 3600, utc("2026-11-12T00:00:00Z") + 14 * 3600 },
		{ "a weekly series: no end, whatever its window",
		  VCAL_BEGIN "BEGIN:VEVENT\r\nUID:c\r\nDTSTAMP:20261001T000000Z\r\n"
			     "DTSTART:20200106T150000Z\r\nDTEND:20200106T160000Z\r\nRRULE:FREQ=WEEKLY\r\n"
			     "END:VEVENT\r\n" VCAL_END,
		  INT64_MIN, INT64_MAX },
		{ "an event that cannot be read: unknown, read every time (its warning with it)",
		  VCAL_BEGIN "BEGIN:VEVENT\r\nUID:d\r\nDTSTAMP:20261001T000000Z\r\n"
			     "DTSTART;TZID=Mars/Olympus:20261110T100000\r\nEND:VEVENT\r\n" VCAL_END,
		  INT64_MIN, INT64_MAX },
		{ "a cancelled event only: nothing to read",
		  VCAL_BEGIN "BEGIN:VEVENT\r\nUID:e\r\nDTSTAMP:20261001T000000Z\r\nSTATUS:CANCELLED\r\n"
			     "DTSTART:20261110T150000Z\r\nEND:VEVENT\r\n" VCAL_END,
		  INT64_MAX, INT64_MIN },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		ical_events *events = ical_events_new();
		char *error = NULL;

		g_test_message("%s", cases[i].what);
		g_assert_cmpint(ical_events_add(events, cases[i].text, from, to, &error), ==, 0);
		g_assert_cmpint(events->span_start, ==, cases[i].start);
		g_assert_cmpint(events->span_end, ==, cases[i].end);
		ical_events_free(&events);
	}
}

/* An object's expansion kept in the copy reads back the same, and
 * clipped to a narrower window it is what that window's expansion is. */
static void test_events_bytes_and_clip(void)
{
	const char *text = VCAL_BEGIN TZ_ROME
		"BEGIN:VEVENT\r\nUID:weekly@rome\r\nDTSTAMP:20261001T000000Z\r\nSUMMARY:Weekly\r\n"
		"DTSTART;TZID=Europe/Rome:20261005T090000\r\nDTEND;TZID=Europe/Rome:20261005T100000\r\n"
		"RRULE:FREQ=WEEKLY\r\nEXDATE;TZID=Europe/Rome:20261109T090000\r\nEND:VEVENT\r\n"
		"BEGIN:VEVENT\r\nUID:weekly@rome\r\nDTSTAMP:20261001T000000Z\r\nSUMMARY:Weekly (moved)\r\n"
		"RECURRENCE-ID;TZID=Europe/Rome:20261116T090000\r\nDTSTART;TZID=Europe/Rome:20261116T150000\r\n"
		"DTEND;TZID=Europe/Rome:20261116T160000\r\nEND:VEVENT\r\n"
		"BEGIN:VEVENT\r\nUID:day@floating\r\nDTSTAMP:20261001T000000Z\r\nSUMMARY:Off\r\n"
		"TRANSP:TRANSPARENT\r\nDTSTART;VALUE=DATE:20261120\r\nEND:VEVENT\r\n"
		"BEGIN:VEVENT\r\nUID:bad@zone\r\nDTSTAMP:20261001T000000Z\r\n"
		"DTSTART;TZID=Mars/Olympus:20261110T100000\r\nEND:VEVENT\r\n"
		"BEGIN:VEVENT\r\nUID:no@thanks\r\nDTSTAMP:20261001T000000Z\r\nSUMMARY:Declined\r\n"
		"ORGANIZER:mailto:raj@lumen.example\r\nATTENDEE;PARTSTAT=DECLINED:mailto:Dana@Example.test\r\n"
		"DTSTART:20261112T150000Z\r\nDTEND:20261112T160000Z\r\nEND:VEVENT\r\n" VCAL_END;
	static const char *const owner[] = { "dana@example.test", NULL };
	int64_t from = utc("2026-11-01T00:00:00Z"), to = utc("2026-12-01T00:00:00Z");
	ical_events *wide = ical_events_new(), *narrow = ical_events_new(), *back;
	guint declined = 0;
	g_autoptr(GBytes) bytes = NULL;
	char *error = NULL;
	gsize len;
	const void *data;

	ical_events_set_owner(wide, owner);
	ical_events_set_owner(narrow, owner);
	g_assert_cmpint(ical_events_add(wide, text, from - 7 * 86400, to + 35 * 86400, &error), ==, 0);
	g_assert_cmpint(ical_events_add(narrow, text, from, to, &error), ==, 0);
	bytes = ical_events_to_bytes(wide);
	data = g_bytes_get_data(bytes, &len);
	back = ical_events_from_bytes(data, len);
	g_assert_nonnull(back);
	g_assert_cmpuint(back->events, ==, wide->events);
	g_assert_cmpuint(back->warnings->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(back->warnings, 0), ==, g_ptr_array_index(wide->warnings, 0));
	g_assert_cmpuint(back->instances->len, ==, wide->instances->len);
	g_assert_cmpuint(wide->instances->len, >, narrow->instances->len);
	ical_events_clip(back, from, to);
	ical_events_sort(back);
	ical_events_sort(narrow);
	g_assert_cmpuint(back->instances->len, ==, narrow->instances->len);
	for (guint i = 0; i < narrow->instances->len; i++) {
		const ical_instance *a = &g_array_index(back->instances, ical_instance, i);
		const ical_instance *b = &g_array_index(narrow->instances, ical_instance, i);

		g_assert_cmpint(a->start, ==, b->start);
		g_assert_cmpint(a->end, ==, b->end);
		g_assert_cmpint(a->recurrence_id, ==, b->recurrence_id);
		g_assert_cmpstr(a->uid, ==, b->uid);
		g_assert_cmpstr(a->summary, ==, b->summary);
		g_assert_cmpuint(a->floating, ==, b->floating);
		g_assert_cmpuint(a->all_day, ==, b->all_day);
		g_assert_cmpuint(a->transparent, ==, b->transparent);
		g_assert_cmpuint(a->recurring, ==, b->recurring);
		g_assert_cmpuint(a->overridden, ==, b->overridden);
		g_assert_cmpuint(a->declined, ==, b->declined);
		declined += a->declined;
	}
	/* The owner's decline survives the copy: still free time. */
	g_assert_cmpuint(declined, ==, 1);
	/* Not such bytes: NULL, and the caller parses the text again. */
	g_assert_null(ical_events_from_bytes("\x02\0\0\0", 4));
	ical_events_free(&back);
	ical_events_free(&wide);
	ical_events_free(&narrow);
}

static void test_imip_parse_request(void)
{
	g_autofree char *inv = request("uid-42@lumen", "DTSTART:20261109T150000Z", "DTEND:20261109T160000Z",
				       NULL, NULL);
	const char *dana[] = { "dana.whitfield@studio.example", "mailto:dana@example.test", NULL };
	const char *not_dana[] = { "na@example.test", "dana@example.tes", NULL };
	imip_message *m = NULL;
	char *error = NULL;
	const imip_attendee *a;

	g_assert_cmpint(imip_parse(inv, "REQUEST", &m, &error), ==, 0);
	g_assert_cmpint(m->method, ==, IMIP_METHOD_REQUEST);
	g_assert_cmpstr(m->uid, ==, "uid-42@lumen");
	g_assert_cmpint(m->sequence, ==, 2);
	g_assert_cmpint(m->dtstamp, ==, utc("2026-10-20T12:00:00Z"));
	g_assert_cmpstr(m->organizer, ==, "raj@lumen.example");
	g_assert_cmpstr(m->organizer_name, ==, "Raj Patel");
	g_assert_cmpstr(m->summary, ==, "Investor sync");
	g_assert_cmpuint(m->attendees->len, ==, 2);
	a = imip_find_attendee(m, dana);
	g_assert_nonnull(a);
	g_assert_cmpstr(a->value, ==, "mailto:Dana@Example.test");
	g_assert_cmpstr(a->partstat, ==, "NEEDS-ACTION");
	g_assert_true(a->rsvp);
	/* Whole addresses only: "na@" is not "dana@"'s tail. */
	g_assert_null(imip_find_attendee(m, not_dana));
	imip_message_free(&m);
}

static void test_imip_refused(void)
{
	g_autofree char *inv = request("u@l", "DTSTART:20261109T150000Z", "DTEND:20261109T160000Z", NULL, NULL);
	g_autofree char *broken = request("u@l", "DTSTART:20261109T150000Z", "DTEND:garbage", NULL, NULL);
	const char *no_organizer = VCAL_BEGIN "METHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:x\r\n"
				   "DTSTAMP:20261020T120000Z\r\nDTSTART:20261109T150000Z\r\nEND:VEVENT\r\n" VCAL_END;
	imip_message *m = NULL;
	char *error = NULL;

	g_assert_cmpint(imip_parse(inv, "CANCEL", &m, &error), ==, -1);
	g_assert_nonnull(strstr(error, "RFC 6047 2.4"));
	g_clear_pointer(&error, g_free);
	g_assert_cmpint(imip_parse(broken, NULL, &m, &error), ==, -1);
	g_assert_nonnull(strstr(error, "DTEND"));
	g_clear_pointer(&error, g_free);
	g_assert_cmpint(imip_parse(no_organizer, NULL, &m, &error), ==, -1);
	g_assert_nonnull(strstr(error, "no ORGANIZER"));
	g_clear_pointer(&error, g_free);
	g_assert_cmpint(imip_parse("hello", NULL, &m, &error), ==, -1);
	g_clear_pointer(&error, g_free);
}

static void test_imip_cancel(void)
{
	const char *whole = VCAL_BEGIN "METHOD:CANCEL\r\nBEGIN:VEVENT\r\nUID:w@lumen\r\nSEQUENCE:3\r\n"
			    "DTSTAMP:20261101T120000Z\r\nORGANIZER:mailto:raj@lumen.example\r\n"
			    "ATTENDEE:mailto:dana@example.test\r\nSTATUS:CANCELLED\r\n"
			    "DTSTART:20261109T150000Z\r\nEND:VEVENT\r\n" VCAL_END;
	const char *future = VCAL_BEGIN "METHOD:CANCEL\r\n" TZ_ROME
			     "BEGIN:VEVENT\r\nUID:w@lumen\r\nSEQUENCE:4\r\n"
			     "DTSTAMP:20261101T120000Z\r\nORGANIZER:mailto:raj@lumen.example\r\n"
			     "ATTENDEE:mailto:dana@example.test\r\n"
			     "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Rome:20270315T150000\r\n"
			     "END:VEVENT\r\n" VCAL_END;
	imip_message *m = NULL;
	char *error = NULL;
	const imip_component *c;

	g_assert_cmpint(imip_parse(whole, "CANCEL", &m, &error), ==, 0);
	g_assert_cmpint(m->method, ==, IMIP_METHOD_CANCEL);
	g_assert_cmpint(m->sequence, ==, 3);
	g_assert_cmpuint(m->components->len, ==, 1);
	c = &g_array_index(m->components, imip_component, 0);
	g_assert_false(c->has_recurrence_id);
	g_assert_true(c->cancelled);
	imip_message_free(&m);

	g_assert_cmpint(imip_parse(future, "cancel", &m, &error), ==, 0);
	c = &g_array_index(m->components, imip_component, 0);
	g_assert_true(c->has_recurrence_id);
	g_assert_true(c->this_and_future);
	/* The RECURRENCE-ID read in its own zone (libical does not). */
	g_assert_cmpint(c->recurrence_id, ==, utc("2027-03-15T14:00:00Z"));
	imip_message_free(&m);
}

static int count_properties(icalcomponent *c, icalproperty_kind kind)
{
	return icalcomponent_count_properties(c, kind);
}

static void test_reply_round_trip(void)
{
	g_autofree char *inv = request("outlook@lumen", "DTSTART;TZID=Eastern Standard Time:20261026T090000",
				       "DTEND;TZID=Eastern Standard Time:20261026T093000", NULL, TZ_OUTLOOK_EASTERN);
	const char *dana[] = { "dana@example.test", NULL };
	imip_message *m = NULL;
	char *error = NULL;
	imip_reply_params p = { 0 };
	g_autofree char *reply = NULL;
	icalcomponent *cal, *ev;
	icalproperty *att;

	g_assert_cmpint(imip_parse(inv, "REQUEST", &m, &error), ==, 0);
	p.attendee = imip_find_attendee(m, dana);
	p.partstat = IMIP_PARTSTAT_ACCEPTED;
	p.sent_by = "assistant@va.example.test";
	p.comment = "Accepted by Dana's assistant";
	p.dtstamp = utc("2026-10-21T09:00:00Z");
	reply = imip_build_reply(m, &p, &error);
	g_assert_nonnull(reply);
	/* RFC 5545 3.1: CRLF, and no bare LF. */
	g_assert_nonnull(strstr(reply, "METHOD:REPLY\r\n"));
	for (const char *q = strchr(reply, '\n'); q != NULL; q = strchr(q + 1, '\n'))
		g_assert_cmpint(q[-1], ==, '\r');
	cal = icalparser_parse_string(reply);
	g_assert_nonnull(cal);
	g_assert_cmpint(icalcomponent_get_method(cal), ==, ICAL_METHOD_REPLY);
	g_assert_cmpint(icalcomponent_count_components(cal, ICAL_VEVENT_COMPONENT), ==, 1);
	g_assert_cmpint(icalcomponent_count_components(cal, ICAL_VTIMEZONE_COMPONENT), ==, 1);
	ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	g_assert_cmpstr(icalcomponent_get_uid(ev), ==, "outlook@lumen");
	g_assert_cmpint(icalcomponent_get_sequence(ev), ==, 2);
	g_assert_cmpint(count_properties(ev, ICAL_ATTENDEE_PROPERTY), ==, 1);
	g_assert_cmpint(count_properties(ev, ICAL_ORGANIZER_PROPERTY), ==, 1);
	g_assert_cmpint(icalcomponent_count_components(ev, ICAL_VALARM_COMPONENT), ==, 0);
	att = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY);
	g_assert_cmpstr(icalproperty_get_attendee(att), ==, "mailto:Dana@Example.test");
	g_assert_cmpstr(icalproperty_get_parameter_as_string(att, "PARTSTAT"), ==, "ACCEPTED");
	g_assert_cmpstr(icalproperty_get_parameter_as_string(att, "SENT-BY"), ==,
			"mailto:assistant@va.example.test");
	g_assert_cmpint(icaltime_as_timet(icalcomponent_get_dtstamp(ev)), ==, utc("2026-10-21T09:00:00Z"));
	g_assert_cmpstr(icalproperty_get_organizer(icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY)),
			==, "mailto:raj@lumen.example");
	g_assert_cmpstr(icalcomponent_get_comment(ev), ==, "Accepted by Dana's assistant");
	/* DTSTART copied unchanged, and resolvable through the copied zone. */
	g_assert_nonnull(strstr(reply, "DTSTART;TZID=Eastern Standard Time:20261026T090000"));
	g_assert_null(strstr(reply, "freeassociation"));
	icalcomponent_free(cal);
	imip_message_free(&m);
}

/* Untrusted text (the organizer's SUMMARY, the rule's comment) cannot
 * add a property to the REPLY. */
static void test_reply_no_injection(void)
{
	g_autofree char *inv = request("inj@lumen", "DTSTART:20261109T150000Z", "DTEND:20261109T160000Z", NULL, NULL);
	const char *dana[] = { "dana@example.test", NULL };
	const char *evil = "Sorry\r\nATTENDEE;PARTSTAT=DECLINED:mailto:boss@example.test\r\nX-EVIL:1";
	imip_message *m = NULL;
	char *error = NULL;
	imip_reply_params p = { 0 };
	g_autofree char *reply = NULL;
	g_autofree char *summary_inv = NULL;
	icalcomponent *cal, *ev;
	char *pos;

	g_assert_cmpint(imip_parse(inv, NULL, &m, &error), ==, 0);
	g_free(m->text);
	/* A SUMMARY with an escaped newline and property text in it. */
	summary_inv = g_strdup(inv);
	pos = strstr(summary_inv, "SUMMARY:Investor sync");
	g_assert_nonnull(pos);
	m->text = g_strdup_printf("%.*sSUMMARY:Lunch\\nATTENDEE:mailto:x@evil.example%s", (int)(pos - summary_inv),
				  summary_inv, pos + strlen("SUMMARY:Investor sync"));
	p.attendee = imip_find_attendee(m, dana);
	p.partstat = IMIP_PARTSTAT_DECLINED;
	p.comment = evil;
	p.dtstamp = utc("2026-10-21T09:00:00Z");
	reply = imip_build_reply(m, &p, &error);
	g_assert_nonnull(reply);
	cal = icalparser_parse_string(reply);
	ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	g_assert_cmpint(count_properties(ev, ICAL_ATTENDEE_PROPERTY), ==, 1);
	g_assert_cmpint(count_properties(ev, ICAL_X_PROPERTY), ==, 0);
	g_assert_cmpstr(icalproperty_get_parameter_as_string(
				icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY), "PARTSTAT"),
			==, "DECLINED");
	g_assert_cmpstr(icalcomponent_get_comment(ev), ==,
			"Sorry\nATTENDEE;PARTSTAT=DECLINED:mailto:boss@example.test\nX-EVIL:1");
	g_assert_cmpstr(icalcomponent_get_summary(ev), ==, "Lunch\nATTENDEE:mailto:x@evil.example");
	g_assert_null(strstr(reply, "\r\nATTENDEE;PARTSTAT=DECLINED:mailto:boss"));
	icalcomponent_free(cal);
	/* A SENT-BY that would break out of its quotes is refused. */
	p.sent_by = "va@x\":mailto:evil@x";
	g_assert_null(imip_build_reply(m, &p, &error));
	g_free(error);
	imip_message_free(&m);
}

static void test_reply_per_instance(void)
{
	/* A weekly request with one instance moved: answer that instance
	 * and one ordinary instance, not the series. */
	const char *inv = VCAL_BEGIN "METHOD:REQUEST\r\n" TZ_ROME
			  "BEGIN:VEVENT\r\nUID:w@lumen\r\nSEQUENCE:1\r\nDTSTAMP:20270101T000000Z\r\n"
			  "ORGANIZER:mailto:raj@lumen.example\r\nATTENDEE:mailto:dana@example.test\r\n"
			  "SUMMARY:Weekly\r\nDTSTART;TZID=Europe/Rome:20270308T150000\r\n"
			  "DTEND;TZID=Europe/Rome:20270308T160000\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nEND:VEVENT\r\n"
			  "BEGIN:VEVENT\r\nUID:w@lumen\r\nSEQUENCE:1\r\nDTSTAMP:20270101T000000Z\r\n"
			  "ORGANIZER:mailto:raj@lumen.example\r\nATTENDEE:mailto:dana@example.test\r\n"
			  "SUMMARY:Weekly (moved)\r\nRECURRENCE-ID;TZID=Europe/Rome:20270315T150000\r\n"
			  "DTSTART;TZID=Europe/Rome:20270315T170000\r\n"
			  "DTEND;TZID=Europe/Rome:20270315T180000\r\nEND:VEVENT\r\n" VCAL_END;
	const char *dana[] = { "dana@example.test", NULL };
	int64_t rids[] = { utc("2027-03-15T14:00:00Z"), utc("2027-03-22T14:00:00Z") };
	imip_message *m = NULL;
	char *error = NULL;
	imip_reply_params p = { 0 };
	g_autofree char *reply = NULL;
	icalcomponent *cal;
	ical_events *in;
	int n = 0;

	g_assert_cmpint(imip_parse(inv, "REQUEST", &m, &error), ==, 0);
	/* The moved instance replaces the one it names. */
	in = imip_instances(m, utc("2027-03-01T00:00:00Z"), utc("2027-05-01T00:00:00Z"), &error);
	g_assert_cmpuint(in->instances->len, ==, 4);
	g_assert_cmpint(g_array_index(in->instances, ical_instance, 1).start, ==, utc("2027-03-15T16:00:00Z"));
	g_assert_cmpint(g_array_index(in->instances, ical_instance, 1).recurrence_id, ==, rids[0]);
	ical_events_free(&in);

	p.attendee = imip_find_attendee(m, dana);
	p.partstat = IMIP_PARTSTAT_TENTATIVE;
	p.recurrence_ids = rids;
	p.n_recurrence_ids = 2;
	p.dtstamp = utc("2027-03-02T09:00:00Z");
	reply = imip_build_reply(m, &p, &error);
	g_assert_nonnull(reply);
	cal = icalparser_parse_string(reply);
	for (icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); ev != NULL;
	     ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
		icalproperty *rid = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
		icalparameter *tzid;
		struct icaltimetype t;

		g_assert_nonnull(rid);
		t = icalproperty_get_recurrenceid(rid);
		tzid = icalproperty_get_first_parameter(rid, ICAL_TZID_PARAMETER);
		if (tzid != NULL)
			t.zone = icalcomponent_get_timezone(cal, icalparameter_get_tzid(tzid));
		g_assert_cmpint(icaltime_as_timet_with_zone(t, t.zone != NULL ? t.zone : icaltimezone_get_utc_timezone()),
				==, rids[n]);
		g_assert_cmpint(count_properties(ev, ICAL_ATTENDEE_PROPERTY), ==, 1);
		g_assert_cmpint(icalcomponent_get_sequence(ev), ==, 1);
		n++;
	}
	g_assert_cmpint(n, ==, 2);
	icalcomponent_free(cal);
	imip_message_free(&m);
}

static void test_working_hours_syntax(void)
{
	g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
	calendar_rules *rules = calendar_rules_new(tz);
	char *error = NULL;

	g_assert_cmpint(calendar_rules_parse_hours(rules, "mon-fri 09:00-12:30,13:30-18:00; sat 10:00-12:00",
						   &error), ==, 0);
	g_assert_cmpint(rules->n_ranges[0], ==, 2);
	g_assert_cmpint(rules->ranges[0][1].start, ==, 13 * 60 + 30);
	g_assert_cmpint(rules->n_ranges[5], ==, 1);
	g_assert_cmpint(rules->n_ranges[6], ==, 0);
	g_assert_cmpint(rules->horizon, ==, 8 * 7 * 86400);
	g_assert_cmpint(calendar_rules_parse_hours(rules, "mon-fri 18:00-09:00", &error), ==, -1);
	g_assert_nonnull(strstr(error, "start before end"));
	g_clear_pointer(&error, g_free);
	g_assert_cmpint(calendar_rules_parse_hours(rules, "funday 09:00-10:00", &error), ==, -1);
	g_assert_nonnull(strstr(error, "unknown day"));
	g_clear_pointer(&error, g_free);
	/* A failed parse leaves the previous hours. */
	g_assert_cmpint(rules->n_ranges[0], ==, 2);
	calendar_rules_free(rules);
}

/* As Google and Lightning send it: multipart/mixed holding
 * multipart/alternative (text/plain, text/calendar;method=REQUEST in
 * base64) and the same calendar again as an attachment; plus a
 * text/calendar without method, which is not iMIP. */
static void test_imip_find_part(void)
{
	const char *ics = VCAL_BEGIN "METHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:mime@lumen\r\n"
			  "DTSTAMP:20261020T120000Z\r\nORGANIZER:mailto:raj@lumen.example\r\n"
			  "ATTENDEE:mailto:dana@example.test\r\nSUMMARY:Caf\xc3\xa9 m\xc3\xa9" "eting\r\n"
			  "DTSTART:20261109T150000Z\r\nDTEND:20261109T160000Z\r\nEND:VEVENT\r\n" VCAL_END;
	g_autofree char *b64 = g_base64_encode((const guchar *)ics, strlen(ics));
	g_autofree char *mail = g_strdup_printf(
		"From: Raj <raj@lumen.example>\r\nTo: dana@example.test\r\nSubject: Invitation\r\n"
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
		"--outer\r\nContent-Type: text/calendar; charset=utf-8\r\n\r\n%s\r\n"
		"--outer\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n"
		"--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nYou are invited.\r\n"
		"--inner\r\nContent-Type: text/calendar; charset=\"UTF-8\"; method=request\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--inner--\r\n"
		"--outer\r\nContent-Type: application/ics; name=invite.ics\r\n"
		"Content-Disposition: attachment; filename=invite.ics\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--outer--\r\n",
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR", b64, b64);
	const char *plain = "From: a@b.example\r\nSubject: hi\r\n\r\nno calendar here\r\n";
	char *text = NULL, *method = NULL, *error = NULL;
	imip_message *m = NULL;

	g_mime_init();
	g_assert_cmpint(imip_find_part(mail, strlen(mail), &text, &method, &error), ==, 1);
	g_assert_cmpstr(method, ==, "REQUEST");
	g_assert_cmpint(imip_parse(text, method, &m, &error), ==, 0);
	g_assert_cmpstr(m->uid, ==, "mime@lumen");
	g_assert_cmpstr(m->summary, ==, "Caf\xc3\xa9 m\xc3\xa9" "eting");
	imip_message_free(&m);
	g_free(text);
	g_free(method);
	g_assert_cmpint(imip_find_part(plain, strlen(plain), &text, &method, &error), ==, 0);
	g_assert_null(text);
}

static conf *load_conf(const char *text, GPtrArray **errors_r)
{
	g_autofree char *dir = g_dir_make_tmp("test-calendar-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "vea.conf", NULL);
	conf *c = NULL;

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	*errors_r = NULL;
	conf_load(path, &c, errors_r);
	g_unlink(path);
	g_rmdir(dir);
	return c;
}


/* Issue 14: an invitation the executive declined stays in the calendar
 * (an RFC 6638 server keeps it; vea writes declines there): not busy. */
static void test_declined_is_free(void)
{
	fixture f = { 0 };
	const char *dana[] = { "mailto:dana@example.test", "d.whitfield@example.test", NULL };
	g_autofree char *no = vevent("n1", "Declined sync", "20261109T150000Z", "20261109T160000Z",
				     "ORGANIZER:mailto:raj@lumen.example\r\n"
				     "ATTENDEE;PARTSTAT=DECLINED:mailto:Dana@Example.test\r\n"
				     "ATTENDEE;PARTSTAT=ACCEPTED:mailto:raj@lumen.example\r\n");
	g_autofree char *alias = vevent("n2", "Declined by alias", "20261110T150000Z",
					"20261110T160000Z",
					"ATTENDEE;PARTSTAT=DECLINED:mailto:d.whitfield@example.test\r\n");
	g_autofree char *other = vevent("n3", "Raj declined", "20261111T150000Z", "20261111T160000Z",
					"ATTENDEE;PARTSTAT=ACCEPTED:mailto:dana@example.test\r\n"
					"ATTENDEE;PARTSTAT=DECLINED:mailto:raj@lumen.example\r\n");

	fixture_setup(&f, NOV2);
	calendar_index_set_owner(f.index, dana);
	fixture_add(&f, "work", CALENDAR_ROLE_PRIMARY, no);
	fixture_add(&f, "work", CALENDAR_ROLE_PRIMARY, alias);
	fixture_add(&f, "work", CALENDAR_ROLE_PRIMARY, other);
	g_assert_cmpint(fixture_decide_at(&f, "20261109T150000Z", "20261109T160000Z"), ==, CALENDAR_FREE);
	g_assert_cmpint(fixture_decide_at(&f, "20261110T150000Z", "20261110T160000Z"), ==, CALENDAR_FREE);
	/* Someone else's decline is not hers. */
	g_assert_cmpint(fixture_decide_at(&f, "20261111T150000Z", "20261111T160000Z"), ==,
			CALENDAR_CONFLICT);
	fixture_teardown(&f);
}

static char *unfold_text(const char *text)
{
	GString *out = g_string_new(NULL);

	for (const char *p = text; *p != '\0'; p++) {
		if (p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t')) {
			p += 2;
			continue;
		}
		g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

/* RFC 6638 7.1: the copy vea writes keeps a scheduling server silent when
 * vea mails the REPLY, and lets it answer otherwise. */
static void test_stored_schedule_agent(void)
{
	g_autofree char *inv = request("agent@lumen", "DTSTART:20261110T150000Z",
				       "DTEND:20261110T160000Z", NULL, NULL);
	const char *dana[] = { "dana@example.test", NULL };
	imip_message *m = NULL;
	char *error = NULL;
	g_autofree char *client = NULL, *server = NULL, *again = NULL;
	g_autofree char *uclient = NULL, *userver = NULL;

	g_assert_cmpint(imip_parse(inv, "REQUEST", &m, &error), ==, 0);
	client = imip_build_stored(m, imip_find_attendee(m, dana), IMIP_PARTSTAT_ACCEPTED, FALSE,
				   &error);
	server = imip_build_stored(m, imip_find_attendee(m, dana), IMIP_PARTSTAT_DECLINED, TRUE,
				   &error);
	again = imip_build_stored(m, imip_find_attendee(m, dana), IMIP_PARTSTAT_DECLINED, TRUE,
				  &error);
	g_assert_nonnull(client);
	g_assert_nonnull(server);
	uclient = unfold_text(client);
	userver = unfold_text(server);
	g_assert_nonnull(strstr(uclient, "SCHEDULE-AGENT=CLIENT"));
	g_assert_null(strstr(userver, "SCHEDULE-AGENT"));
	g_assert_null(strstr(userver, "METHOD:"));
	g_assert_nonnull(strstr(userver, "PARTSTAT=DECLINED"));
	/* A write repeated after a crash is the same text. */
	g_assert_cmpstr(server, ==, again);
	/* What a calendar's copy says, for an update answered again. */
	{
		g_autofree char *partstat = NULL;
		int sequence = -1;

		g_assert_cmpint(imip_stored_answer(server, "mailto:DANA@example.test", &sequence,
						   &partstat), ==, 1);
		g_assert_cmpint(sequence, ==, 2);
		g_assert_cmpstr(partstat, ==, "DECLINED");
		g_clear_pointer(&partstat, g_free);
		g_assert_cmpint(imip_stored_answer(server, "nobody@example.test", &sequence, &partstat),
				==, 1);
		g_assert_null(partstat);
		g_assert_cmpint(imip_stored_answer("not iCalendar", "dana@example.test", &sequence,
						   &partstat), ==, 0);
	}
	imip_message_free(&m);
}

static void test_conf_calendars(void)
{
	const char *good = "[vea]\ndatabase = /tmp/x.db\n"
			   "[client:dana]\ntimezone = America/New_York\n"
			   "working_hours = mon-thu 09:00-18:00; fri 09:00-13:00\n"
			   "meeting_buffer = 10m\nmax_meetings_per_day = 6\nmin_notice = 4h\n"
			   "invitation_horizon = 4w\nholidays = 2026-11-26, 2026-12-24..2026-12-26\n"
			   "[calendar:dana-work]\nclient = dana\nurl = https://dav.example.test/dana/work/\n"
			   "role = primary\nuser = dana\npassword_cmd = pass show dav/dana\n"
			   "schedule_agent = client\n"
			   "[calendar:us-holidays]\nclient = dana\nurl = https://example.test/us.ics\nrole = holiday\n";
	const char *bad = "[vea]\ndatabase = /tmp/x.db\n"
			  "[client:dana]\ntimezone = America/New_York\nworking_hours = mon 9-5\n"
			  "[calendar:a]\nclient = dana\nurl = https://a.example/\nrole = primary\n"
			  "[calendar:b]\nclient = dana\nurl = ftp://b.example/\nrole = primary\ncolour = red\n"
			  "[calendar:c]\nclient = nobody\nurl = https://c.example/x.ics\nrole = primary\n"
			  "[calendar:d]\nclient = dana\nurl = https://d.example/\nschedule_agent = maybe\n";
	GPtrArray *errors = NULL;
	conf *c = load_conf(good, &errors);
	conf_client *dana;
	conf_calendar *cal;
	g_autofree char *all = NULL;

	g_assert_null(errors);
	g_assert_nonnull(c);
	dana = conf_find_client(c, "dana");
	g_assert_true(dana->calendar_rules->hours_set);
	g_assert_cmpint(dana->calendar_rules->n_ranges[4], ==, 1);
	g_assert_cmpint(dana->calendar_rules->ranges[4][0].end, ==, 13 * 60);
	g_assert_cmpint(dana->calendar_rules->buffer, ==, 600);
	g_assert_cmpint(dana->calendar_rules->max_per_day, ==, 6);
	g_assert_cmpint(dana->calendar_rules->min_notice, ==, 4 * 3600);
	g_assert_cmpint(dana->calendar_rules->horizon, ==, 28 * 86400);
	g_assert_cmpuint(dana->calendar_rules->n_holidays, ==, 4);
	g_assert_cmpuint(c->calendars->len, ==, 2);
	cal = g_ptr_array_index(c->calendars, 0);
	g_assert_cmpstr(cal->id, ==, "dana-work");
	g_assert_true(cal->client == dana);
	g_assert_cmpint(cal->role, ==, CALENDAR_ROLE_PRIMARY);
	g_assert_false(cal->feed);
	g_assert_cmpint(cal->schedule_agent, ==, CALENDAR_SCHEDULE_AGENT_CLIENT);
	cal = g_ptr_array_index(c->calendars, 1);
	g_assert_cmpint(cal->role, ==, CALENDAR_ROLE_HOLIDAY);
	g_assert_true(cal->feed);
	g_assert_cmpint(cal->schedule_agent, ==, CALENDAR_SCHEDULE_AGENT_AUTO);
	conf_free(&c);

	/* Every problem, each with its line. */
	c = load_conf(bad, &errors);
	g_assert_null(c);
	g_assert_nonnull(errors);
	g_ptr_array_add(errors, NULL);
	all = g_strjoinv("\n", (char **)errors->pdata);
	g_test_message("%s", all);
	g_assert_nonnull(strstr(all, "vea.conf:5: working_hours: '9-5'"));
	g_assert_nonnull(strstr(all, "vea.conf:12: url 'ftp://b.example/' must start with https://"));
	g_assert_nonnull(strstr(all, "vea.conf:14: unknown key 'colour' in [calendar:b]"));
	g_assert_nonnull(strstr(all, "vea.conf:16: unknown client 'nobody'"));
	g_assert_nonnull(strstr(all, "an ICS feed is read only"));
	g_assert_nonnull(strstr(all, "vea.conf:13: client 'dana' already has a primary calendar ('a')"));
	g_assert_nonnull(strstr(all, "schedule_agent must be server or client, not 'maybe'"));
	g_assert_nonnull(strstr(all, "schedule_agent is for the primary calendar"));
	g_ptr_array_unref(errors);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/calendar/free-and-conflict", test_free_and_conflict);
	g_test_add_func("/calendar/event-span", test_event_span);
	g_test_add_func("/calendar/events-bytes-and-clip", test_events_bytes_and_clip);
	g_test_add_func("/calendar/outside-hours", test_outside_hours);
	g_test_add_func("/calendar/holiday", test_holiday);
	g_test_add_func("/calendar/transparent-and-tentative", test_transparent_and_tentative);
	g_test_add_func("/calendar/buffer", test_buffer);
	g_test_add_func("/calendar/daily-maximum", test_daily_maximum);
	g_test_add_func("/calendar/min-notice", test_min_notice);
	g_test_add_func("/calendar/series-third-instance-conflicts", test_series_third_instance_conflicts);
	g_test_add_func("/calendar/busy-series-exdate", test_busy_series_exdate);
	g_test_add_func("/calendar/moved-and-cancelled-instances", test_moved_and_cancelled_instances);
	g_test_add_func("/calendar/cancelled-event-is-free", test_cancelled_event_is_free);
	g_test_add_func("/calendar/dst-rome-new-york", test_dst_rome_new_york);
	g_test_add_func("/calendar/outlook-windows-zone", test_outlook_windows_zone);
	g_test_add_func("/calendar/unknown-zone", test_unknown_zone);
	g_test_add_func("/calendar/all-day-and-floating", test_all_day_and_floating);
	g_test_add_func("/calendar/own-event-no-conflict", test_own_event_no_conflict);
	g_test_add_func("/calendar/working-hours-syntax", test_working_hours_syntax);
	g_test_add_func("/calendar/declined-is-free", test_declined_is_free);
	g_test_add_func("/imip/stored-schedule-agent", test_stored_schedule_agent);
	g_test_add_func("/conf/calendars", test_conf_calendars);
	g_test_add_func("/imip/parse-request", test_imip_parse_request);
	g_test_add_func("/imip/refused", test_imip_refused);
	g_test_add_func("/imip/cancel", test_imip_cancel);
	g_test_add_func("/imip/find-part", test_imip_find_part);
	g_test_add_func("/imip/reply-round-trip", test_reply_round_trip);
	g_test_add_func("/imip/reply-no-injection", test_reply_no_injection);
	g_test_add_func("/imip/reply-per-instance", test_reply_per_instance);
	return g_test_run();
}
