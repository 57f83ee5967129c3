#!/usr/bin/python3
"""Invitations decided by the executive's scheduling rules (issue 14), end
to end against Dovecot, the SMTP server delivering into Dovecot and
Radicale, all started here on loopback, with VEA_NOW fixed. Each answer is
checked on the REPLY delivered to the organizer's mailbox, read back with
libical (calendar-tool parse), and on what is in Radicale.

Dana works in New York, Mon-Fri 09:00-18:00, wants 15 minutes between
meetings and at most 2 meetings a day; her holiday calendar has
Thanksgiving. What a user would notice:
 1. a weekly meeting whose third instance conflicts with her board
    offsite is not sent blind: it waits, proposing to accept the series
    and decline that one Tuesday (vea schedule list says which and why);
    approved, Raj gets one REPLY with two VEVENTs (the series ACCEPTED,
    RECURRENCE-ID of the 24th DECLINED), and her calendar holds the series
    accepted with the 24th declined and free;
 2. a series with one instance moved by the organizer away from a
    conflict is accepted: the moved time is what counts;
 3. an invitation on Thanksgiving is declined (the holiday calendar);
 4. one ending 10 minutes before another meeting is declined (buffer);
 5. one on a day that already has 2 meetings is declined (daily maximum);
 and in 3-5 nothing is written to her calendar;
 7. the digest shows a proposal replaced by a newer version of the
    invitation, and the double bookings of the coming week (the declined
    instance is not one);
 8-10. time zones: Outlook's "Eastern Standard Time" with its VTIMEZONE,
    a zone nobody defines (not answered, never guessed), and a weekly
    15:00 Rome meeting for New York across the March weeks where US and
    EU daylight saving time differ;
 11. an invitation the executive answered already from her phone is not
    answered again; 12. one found days after it arrived waits for approval;
    12b. a series approved --whole: every instance accepted;
 13. sent through the assistant's own delegate login: SENT-BY and Sender;
 14. schedule_agent = server forced on a server that does not schedule:
    honoured, and the log warns.
"""

import email
import email.policy
import hashlib
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from smtpd import SMTPServer  # noqa: E402
import radicale  # noqa: E402

NOW = "2026-11-02T12:00:00Z"   # Monday, 07:00 in New York
LATER = "2026-11-02T12:10:00Z"
DANA = "dana@example.test"
RAJ = "raj@lumen.example"
SECRET = "dav-secret"

RULES = r'''require ["vnd.vea"];
if invite :method "request" :recurring {
    schedule :accept :send;
    stop;
}
if invite :method "request" :free :withinhours {
    schedule :accept :send;
    stop;
}
if invite :method "request" {
    schedule :decline :send :comment "Sorry, I cannot make it";
    stop;
}
'''


def event(uid, summary, start, end, extra=""):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
            "UID:%s\r\nDTSTAMP:20261001T000000Z\r\nSUMMARY:%s\r\n%s%s%sEND:VEVENT\r\n"
            "END:VCALENDAR\r\n" % (uid, summary, start, end, extra))


BUSY = [  # Dana's other calendar: (uid, summary, start, end)
    ("offsite@dana", "Board offsite", "DTSTART:20261124T153000Z\r\n", "DTEND:20261124T163000Z\r\n"),
    ("client@dana", "Client call", "DTSTART:20261112T160000Z\r\n", "DTEND:20261112T170000Z\r\n"),
    ("fri-1@dana", "Hiring panel", "DTSTART:20261113T140000Z\r\n", "DTEND:20261113T150000Z\r\n"),
    ("fri-2@dana", "Budget review", "DTSTART:20261113T160000Z\r\n", "DTEND:20261113T170000Z\r\n"),
    ("old@dana", "Old slot", "DTSTART:20261118T150000Z\r\n", "DTEND:20261118T160000Z\r\n"),
]
THANKSGIVING = event("thanksgiving@holidays", "Thanksgiving", "DTSTART;VALUE=DATE:20261126\r\n",
                     "DTEND;VALUE=DATE:20261127\r\n", "TRANSP:TRANSPARENT\r\n")


def request(uid, start, end, summary, extra="", overrides=""):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//lumen//EN\r\nMETHOD:REQUEST\r\n"
            "BEGIN:VEVENT\r\nUID:%s\r\nSEQUENCE:0\r\nDTSTAMP:20261101T090000Z\r\n"
            "ORGANIZER;CN=Raj:mailto:%s\r\n"
            "ATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:%s\r\n"
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:%s\r\n"
            "SUMMARY:%s\r\nDTSTART:%s\r\nDTEND:%s\r\n%sEND:VEVENT\r\n%sEND:VCALENDAR\r\n"
            % (uid, RAJ, DANA, RAJ, summary, start, end, extra, overrides))


def override(uid, rid, start, end, summary):
    return ("BEGIN:VEVENT\r\nUID:%s\r\nSEQUENCE:0\r\nDTSTAMP:20261101T090000Z\r\n"
            "RECURRENCE-ID:%s\r\nORGANIZER;CN=Raj:mailto:%s\r\n"
            "ATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:%s\r\n"
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:%s\r\n"
            "SUMMARY:%s\r\nDTSTART:%s\r\nDTEND:%s\r\nEND:VEVENT\r\n"
            % (uid, rid, RAJ, DANA, RAJ, summary, start, end))


ROME = ("BEGIN:VTIMEZONE\r\nTZID:Europe/Rome\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\n"
        "TZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\n"
        "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n")
# As Outlook writes it: a Windows name, its own rules from 1601.
OUTLOOK_EASTERN = ("BEGIN:VTIMEZONE\r\nTZID:Eastern Standard Time\r\nBEGIN:STANDARD\r\n"
                   "DTSTART:16010101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\n"
                   "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11\r\nEND:STANDARD\r\n"
                   "BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0500\r\n"
                   "TZOFFSETTO:-0400\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3\r\n"
                   "END:DAYLIGHT\r\nEND:VTIMEZONE\r\n")


def with_zone(calendar, vtimezone):
    """The request with a VTIMEZONE before its VEVENTs."""
    return calendar.replace("METHOD:REQUEST\r\n", "METHOD:REQUEST\r\n" + vtimezone, 1)


def invitation_mail(mid, calendar):
    boundary = "b-%s" % mid
    return ("From: Raj <%s>\r\nTo: %s\r\nSubject: Invitation\r\nDate: Mon, 2 Nov 2026 11:00:00 "
            "+0000\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
            "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nYou are invited.\r\n"
            "--%s\r\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\n%s"
            "--%s--\r\n" % (RAJ, DANA, mid, boundary, boundary, boundary, calendar,
                            boundary)).encode()


def utc(stamp):
    """"20261124T150000Z" as Unix seconds."""
    import calendar as pycal
    import time
    return pycal.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))


def replies_for(d, uid):
    """The iTIP REPLYs Raj received for uid: (message, calendar text)."""
    out = []
    for m in d.messages(RAJ, body=True):
        msg = email.message_from_bytes(m["data"], policy=email.policy.default)
        for part in msg.walk():
            if part.get_content_type() == "text/calendar":
                text = part.get_content()
                if ("UID:%s" % uid) in text.replace("\r\n ", ""):
                    out.append((msg, text))
    return out


def resource_name(uid):
    """The name vea stores an event under (imip_resource_name)."""
    safe = re.sub(r"[^A-Za-z0-9\-._~]", "_", uid)[:64]
    return "%s-%s.ics" % (safe, hashlib.sha1(uid.encode()).hexdigest()[:12])


def stored(dav, uid):
    status, _, body = dav.get("dana", dav.collection("dana", "work") + resource_name(uid))
    return body.decode() if status == 200 else None


def dana_partstat(ev):
    return ev["attendees"].get("mailto:%s" % DANA)


def run(cfg, now=NOW):
    return vt.run_vea(["run", "--once"], cfg, check=True, timeout=120, env={"VEA_NOW": now})


def decisions(cfg, uid):
    return vt.db_query(cfg.db, "SELECT id, partstat, mode, state, verdict, result, stored,"
                               " declined_instances FROM schedule_decisions WHERE event_uid = ?"
                               " ORDER BY id", (uid,))


def main():
    t = vt.TAP(timeout=600)
    why = radicale.available()
    if why:
        t.skip("scheduling rules against Radicale", why)
        return t.done()
    tool = vt.calendar_tool()
    if tool is None:
        t.skip("scheduling rules against Radicale", "calendar-tool is not built (make check "
               "builds it)")
        return t.done()
    tmp = vt.mkdtemp("vea-schedule-rules-")
    d = vt.Dovecot()
    for u in (DANA, RAJ):
        d.add_user(u, "pw")
    d.start()
    smtp = SMTPServer(home=os.path.join(d.dir, "home"), log=os.path.join(tmp, "smtp.log"),
                      auth="u:p").start()
    dav = radicale.Radicale({"dana": SECRET}).start()
    try:
        for coll in ("work", "personal", "holidays"):
            dav.mkcalendar("dana", coll)
        for uid, summary, start, end in BUSY:
            status, _ = dav.put("dana", "personal", uid.split("@")[0] + ".ics",
                                event(uid, summary, start, end))
            assert status == 201, status
        status, _ = dav.put("dana", "holidays", "thanksgiving.ics", THANKSGIVING)
        assert status == 201, status
        os.makedirs(os.path.join(tmp, "rules"))
        with open(os.path.join(tmp, "rules", "dana.sieve"), "w") as f:
            f.write(RULES)
        pw = os.path.join(tmp, "dav.pw")
        with open(pw, "w") as f:
            f.write(SECRET + "\n")
        extra = ""
        for cid, coll, role in (("dana-work", "work", "primary"),
                                ("dana-personal", "personal", "busy"),
                                ("dana-holidays", "holidays", "holiday")):
            extra += ("[calendar:%s]\nclient = dana\nurl = %s\nrole = %s\nuser = dana\n"
                      "password_cmd = cat %s\n\n" % (cid, dav.collection_url("dana", coll),
                                                     role, pw))
        cfg = vt.write_config(
            os.path.join(tmp, "vea.conf"), dovecot=d,
            clients={"dana": {"name": "Dana Whitfield", "email": DANA,
                              "timezone": "America/New_York", "rules": ["dana.sieve"],
                              "working_hours": "mon-fri 09:00-18:00",
                              "meeting_buffer": "15m", "max_meetings_per_day": "2"}},
            accounts={"dana-work": {"client": "dana", "user": DANA, "password": "pw",
                                    "smtp_url": smtp.url, "smtp_user": "u",
                                    "smtp_password_cmd": "echo p", "smtp_tls": "none"}},
            rules_dir=os.path.join(tmp, "rules"), extra=extra)

        with t.case("0. vea config check --online: each account logs in and each calendar is "
                    "read (one line each); a wrong IMAP password and a wrong calendar password "
                    "each name the account or calendar and where it is configured"):
            rc, out, err = vt.run_vea(["config", "check", "--online"], cfg, check=None,
                                      env={"VEA_NOW": NOW})
            vt.assert_eq(rc, 0, "exit status: %s" % err)
            assert "account dana-work (client dana): OK: logged in" in out, out
            for cid, role in (("dana-work", "primary"), ("dana-personal", "busy"),
                              ("dana-holidays", "holiday")):
                assert "calendar %s (client dana, %s): OK: CalDAV" % (cid, role) in out, out
            os.makedirs(os.path.join(tmp, "bad"))
            bad_pw = os.path.join(tmp, "bad", "dav.pw")
            with open(bad_pw, "w") as f:
                f.write("not-the-password\n")
            bad = vt.write_config(
                os.path.join(tmp, "bad", "bad.conf"), dovecot=d,
                clients={"dana": {"name": "Dana Whitfield", "email": DANA,
                                  "timezone": "America/New_York", "rules": ["dana.sieve"]}},
                accounts={"dana-work": {"client": "dana", "user": DANA,
                                        "password": "not-the-password"}},
                rules_dir=os.path.join(tmp, "rules"),
                extra="[calendar:dana-work]\nclient = dana\nurl = %s\nrole = primary\n"
                      "user = dana\npassword_cmd = cat %s\n" % (dav.collection_url("dana", "work"),
                                                               bad_pw))
            rc, out, err = vt.run_vea(["config", "check", "--online"], bad, check=None,
                                      env={"VEA_NOW": NOW})
            vt.assert_eq(rc, 69, "exit status (EX_UNAVAILABLE): %s" % err)
            assert re.search(r"bad\.conf:\d+: account dana-work: ", err), err
            assert re.search(r"bad\.conf:\d+: wrong password for calendar dana-work \(HTTP 401",
                             err), err
            assert "not-the-password" not in out + err, "a password was printed"

        # Tuesdays 10:00 New York, six weeks; the third (24 Nov) meets the offsite.
        weekly = request("weekly@lumen", "20261110T150000Z", "20261110T160000Z",
                         "Weekly pipeline review", extra="RRULE:FREQ=WEEKLY;COUNT=6\r\n")
        # Wednesdays, the second moved from 15:00 UTC (Dana's old slot) to 19:00.
        moved = request("moved@lumen", "20261111T150000Z", "20261111T160000Z", "Design crit",
                        extra="RRULE:FREQ=WEEKLY;COUNT=4\r\n",
                        overrides=override("moved@lumen", "20261118T150000Z",
                                           "20261118T190000Z", "20261118T200000Z",
                                           "Design crit (moved)"))
        holiday = request("turkey@lumen", "20261126T150000Z", "20261126T160000Z", "Pitch")
        buffer = request("tight@lumen", "20261112T150000Z", "20261112T155000Z", "Quick chat")
        busy_day = request("fourth@lumen", "20261113T180000Z", "20261113T190000Z", "Intro")
        for i, cal in enumerate((weekly, moved, holiday, buffer, busy_day)):
            d.append(DANA, "INBOX", invitation_mail("inv%d@lumen" % i, cal))
        run(cfg)

        # ------------------------------------------------ 1. a series
        with t.case("1a. a weekly series whose third instance conflicts waits for approval: "
                    "proposed accepted for the series, 24 Nov declined, with why; nothing sent"):
            rows = decisions(cfg, "weekly@lumen")
            vt.assert_eq([(r["state"], r["partstat"]) for r in rows], [("waiting", "ACCEPTED")],
                         "decisions")
            vt.assert_eq(rows[0]["declined_instances"], str(utc("20261124T150000Z")),
                         "instances declined")
            rc, out, err = vt.run_vea(["schedule", "list"], cfg, check=True,
                                      env={"VEA_NOW": LATER})
            assert "Weekly pipeline review" in out and "DECLINED on Tue 24 Nov 2026 10:00" in out, out
            assert "1 of 6 instances" in out and "Board offsite" in out, out
            vt.assert_eq(replies_for(d, "weekly@lumen"), [], "replies before approval")
        with t.case("1a'. vea status shows each calendar's copy (when synced, how many objects) "
                    "and the answer waiting for approval"):
            rc, out, err = vt.run_vea(["status"], cfg, check=True, env={"VEA_NOW": LATER})
            for cid, role, n in (("dana-work", "primary", 0), ("dana-personal", "busy", 5),
                                 ("dana-holidays", "holiday", 1)):
                assert re.search(r"calendar %s +client dana, %s: copy synced \d+ min ago, %d "
                                 r"objects" % (cid, role, n), out), out
            assert "invitations of dana    1 answer waiting for approval (vea schedule list)" \
                in out, out
        with t.case("1b. approved: Raj gets one REPLY with the series ACCEPTED and the 24th "
                    "DECLINED (its RECURRENCE-ID), read back with libical; the reason for "
                    "people names the date, not Dana's other meeting"):
            rows = decisions(cfg, "weekly@lumen")
            vt.run_vea(["schedule", "approve", str(rows[0]["id"])], cfg, check=True,
                       env={"VEA_NOW": LATER})
            run(cfg, LATER)
            got = replies_for(d, "weekly@lumen")
            vt.assert_eq(len(got), 1, "replies for the series")
            msg, text = got[0]
            reply = vt.ical_parse(text)
            vt.assert_eq(reply["method"], "REPLY", "METHOD")
            by_rid = {ev["recurrence_id"]: ev for ev in reply["events"]}
            vt.assert_eq(sorted(by_rid, key=lambda x: (x is not None, x or 0)),
                         [None, utc("20261124T150000Z")], "VEVENTs (RECURRENCE-IDs)")
            vt.assert_eq(dana_partstat(by_rid[None]), "ACCEPTED", "the series")
            vt.assert_eq(dana_partstat(by_rid[utc("20261124T150000Z")]), "DECLINED",
                         "the 24th")
            for ev in reply["events"]:
                vt.assert_eq(len(ev["attendees"]), 1, "ATTENDEEs per VEVENT")
                vt.assert_eq((ev["uid"], ev["sequence"]), ("weekly@lumen", 0), "UID, SEQUENCE")
            body = msg.get_body(("plain",)).get_content()
            assert "Except these dates, declined: Tue 24 Nov 2026 10:00" in body, body
            assert "Board offsite" not in str(msg), "Dana's other meeting leaked to Raj"
        with t.case("1c. her primary calendar in Radicale: the series ACCEPTED, the 24th an "
                    "override DECLINED and TRANSPARENT (free), read back with libical"):
            text = stored(dav, "weekly@lumen")
            assert text is not None, "the series is not in the primary calendar"
            got = vt.ical_parse(text)
            vt.assert_eq(got["method"], "", "METHOD in a stored object")
            by_rid = {ev["recurrence_id"]: ev for ev in got["events"]}
            vt.assert_eq(sorted(by_rid, key=lambda x: (x is not None, x or 0)),
                         [None, utc("20261124T150000Z")], "VEVENTs (RECURRENCE-IDs)")
            assert by_rid[None]["rrule"], by_rid[None]
            vt.assert_eq(dana_partstat(by_rid[None]), "ACCEPTED", "the series")
            declined = by_rid[utc("20261124T150000Z")]
            vt.assert_eq((dana_partstat(declined), declined["transp"], declined["rrule"]),
                         ("DECLINED", "TRANSPARENT", False), "the 24th")
            vt.assert_eq((declined["start"], declined["end"]),
                         (utc("20261124T150000Z"), utc("20261124T160000Z")), "the 24th's time")
            rc, out, err = vt.run_vea(["schedule", "list", "--all"], cfg, check=True,
                                      env={"VEA_NOW": LATER})
            entry = out.split("Weekly pipeline review")[1].split("\n#")[0]
            assert "calendar: written to the primary calendar" in entry, out
        with t.case("1d. vea reads its own copy back: the accepted Tuesdays are busy, the "
                    "declined 24th is free"):
            def decide(start, end):
                path = os.path.join(tmp, "probe-%s.ics" % start)
                with open(path, "w", newline="") as f:
                    f.write(request("probe-%s@lumen" % start, start, end, "Probe"))
                out = subprocess.run([tool, "decide", cfg.path, "dana", path],
                                     capture_output=True, text=True, timeout=60,
                                     env=dict(os.environ, VEA_NOW=LATER))
                return json.loads(out.stdout)
            got = decide("20261201T150000Z", "20261201T151000Z")
            vt.assert_eq((got["verdict"], got["event"]), ("conflict", "Weekly pipeline review"),
                         "1 Dec 10:00 (an accepted instance)")
            got = decide("20261124T150000Z", "20261124T151000Z")
            vt.assert_eq(got["verdict"], "free", "24 Nov 10:00 (the declined instance): %s"
                         % got.get("reason"))

        # ----------------------------------------- 2. a moved instance
        with t.case("2. a series with one instance moved away from a conflict (Dana's old "
                    "slot) is accepted and sent at once; the REPLY answers the moved instance "
                    "in its own VEVENT; the event is written"):
            rows = decisions(cfg, "moved@lumen")
            vt.assert_eq([(r["state"], r["partstat"], r["declined_instances"]) for r in rows],
                         [("sent", "ACCEPTED", "")], "decisions")
            got = replies_for(d, "moved@lumen")
            vt.assert_eq(len(got), 1, "replies for the series")
            reply = vt.ical_parse(got[0][1])
            by_rid = {ev["recurrence_id"]: ev for ev in reply["events"]}
            vt.assert_eq(sorted(by_rid, key=lambda x: (x is not None, x or 0)),
                         [None, utc("20261118T150000Z")], "VEVENTs (RECURRENCE-IDs)")
            vt.assert_eq(by_rid[utc("20261118T150000Z")]["start"], utc("20261118T190000Z"),
                         "the moved instance's time in the REPLY")
            assert all(dana_partstat(ev) == "ACCEPTED" for ev in reply["events"]), reply
            assert stored(dav, "moved@lumen") is not None, "the series is not in the calendar"

        # ------------------------------ 3-5. holiday, buffer, daily maximum
        for n, uid, why_words in (("3", "turkey@lumen", "holiday, 'Thanksgiving'"),
                                  ("4", "tight@lumen", "15 minutes' buffer needed"),
                                  ("5", "fourth@lumen", "already 2 meetings that day (at most 2)")):
            title = {"3": "on Thanksgiving (the holiday calendar)",
                     "4": "ending 10 minutes before the client call (15 minutes' buffer)",
                     "5": "on a day that has 2 meetings already (at most 2)"}[n]
            with t.case("%s. an invitation %s: declined and sent, the REPLY DECLINED (libical), "
                        "nothing written to her calendar" % (n, title)):
                rows = decisions(cfg, uid)
                vt.assert_eq([(r["state"], r["partstat"]) for r in rows], [("sent", "DECLINED")],
                             "decisions")
                assert why_words in rows[0]["verdict"], rows[0]["verdict"]
                got = replies_for(d, uid)
                vt.assert_eq(len(got), 1, "replies")
                reply = vt.ical_parse(got[0][1])
                vt.assert_eq([dana_partstat(ev) for ev in reply["events"]], ["DECLINED"],
                             "PARTSTAT")
                vt.assert_eq(stored(dav, uid), None, "the event in her calendar")
        with t.case("6. a second run changes nothing: no reply sent twice, the series written "
                    "once"):
            run(cfg, LATER)
            for uid in ("weekly@lumen", "moved@lumen", "turkey@lumen", "tight@lumen",
                        "fourth@lumen"):
                vt.assert_eq(len(replies_for(d, uid)), 1, "replies for %s" % uid)
            body = dav.report("dana", "work", "20261101T000000Z", "20270101T000000Z")
            vt.assert_eq(body.replace(b"\r\n ", b"").count(b"UID:weekly@lumen"), 2,
                         "VEVENTs of the series in the calendar (master and the 24th)")
        with t.case("7. the digest's Meetings: a proposal replaced by a newer version of the "
                    "invitation before approval, and the conflicts ahead (a double booking in "
                    "the next days; the declined 24th is no conflict)"):
            standup = request("standup@lumen", "20261124T150000Z", "20261124T153000Z", "Standup",
                              extra="RRULE:FREQ=WEEKLY;COUNT=3\r\n")
            d.append(DANA, "INBOX", invitation_mail("standup0@lumen", standup))
            run(cfg, LATER)
            vt.assert_eq([r["state"] for r in decisions(cfg, "standup@lumen")], ["waiting"],
                         "the standup before its update")
            d.append(DANA, "INBOX", invitation_mail("standup1@lumen", standup.replace(
                "SEQUENCE:0", "SEQUENCE:1").replace("T150000Z", "T170000Z").replace(
                "T153000Z", "T173000Z")))
            run(cfg, LATER)
            vt.assert_eq([r["state"] for r in decisions(cfg, "standup@lumen")],
                         ["superseded", "sent"], "the standup after its update")
            status, _ = dav.put("dana", "personal", "dentist.ics", event(
                "dentist@dana", "Dentist", "DTSTART:20261125T153000Z\r\n",
                "DTEND:20261125T160000Z\r\n"))
            assert status == 201, status
            rc, out, err = vt.run_vea(["digest", "preview", "dana", "--text"], cfg, check=True,
                                      env={"VEA_NOW": "2026-11-20T12:00:00Z"})
            assert "Replaced by a newer version before approval (1):" in out, out
            assert "Standup" in out.split("Replaced by a newer version")[1], out
            assert "Conflicts ahead (1):" in out, out
            assert "Wed 25 Nov 10:00-11:00 'Design crit' overlaps 10:30-11:00 'Dentist'" in out, out
            assert "Board offsite' overlaps" not in out and "overlaps 10:30-11:30 'Board" \
                not in out, out
            rc, html, err = vt.run_vea(["digest", "preview", "dana", "--html", "-"], cfg,
                                       check=True,
                                       env={"VEA_NOW": "2026-11-20T12:00:00Z"})
            assert "Conflicts ahead (1)" in html, html
            assert "&apos;Design crit&apos; overlaps 10:30-11:00 &apos;Dentist&apos;" in html, html
        # --------------------------- answered elsewhere, found late
        with t.case("11. an invitation Dana already accepted on her phone (the event in her "
                    "primary calendar with her PARTSTAT=ACCEPTED at this SEQUENCE): not "
                    "answered again, and vea log says why"):
            phone = request("phone@lumen", "20261119T150000Z", "20261119T160000Z", "Coffee")
            stored_by_phone = phone.replace("METHOD:REQUEST\r\n", "").replace(
                "ATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:%s" % DANA,
                "ATTENDEE;PARTSTAT=ACCEPTED:mailto:%s" % DANA)
            status, _ = dav.put("dana", "work", "from-her-phone.ics", stored_by_phone)
            assert status == 201, status
            d.append(DANA, "INBOX", invitation_mail("phone@lumen", phone))
            run(cfg, LATER)
            vt.assert_eq(decisions(cfg, "phone@lumen"), [], "decisions")
            vt.assert_eq(replies_for(d, "phone@lumen"), [], "replies")
            rows = vt.db_query(cfg.db, "SELECT reason FROM actions WHERE action = 'schedule' "
                                       "ORDER BY id DESC LIMIT 1")
            assert "already answered in calendar dana-work (ACCEPTED at SEQUENCE 0)" in \
                rows[0]["reason"], rows
        with t.case("12. an invitation found three days after it arrived (auto_mail_max_age "
                    "48h): even free, the :send acceptance waits for approval, with why"):
            late = request("late@lumen", "20261120T150000Z", "20261120T160000Z", "Catch-up")
            d.append(DANA, "INBOX", invitation_mail("late@lumen", late))
            run(cfg, "2026-11-05T12:00:00Z")
            rows = decisions(cfg, "late@lumen")
            vt.assert_eq([(r["state"], r["partstat"]) for r in rows], [("waiting", "ACCEPTED")],
                         "decisions")
            assert "arrived 73 hours ago, more than auto_mail_max_age (48 h)" in \
                rows[0]["result"], rows
            vt.assert_eq(replies_for(d, "late@lumen"), [], "replies")

        with t.case("12b. a series proposed with Thanksgiving declined, approved with --whole: "
                    "one VEVENT, every instance ACCEPTED, and no override in Radicale; --whole "
                    "on an answer that declines nothing is refused"):
            thursdays = request("thursdays@lumen", "20261119T170000Z", "20261119T173000Z",
                                "Thursday check-in", extra="RRULE:FREQ=WEEKLY;COUNT=3\r\n")
            d.append(DANA, "INBOX", invitation_mail("thursdays@lumen", thursdays))
            when = "2026-11-05T12:30:00Z"
            run(cfg, when)
            rows = decisions(cfg, "thursdays@lumen")
            vt.assert_eq([(r["state"], r["declined_instances"]) for r in rows],
                         [("waiting", str(utc("20261126T170000Z")))], "decisions")
            late = decisions(cfg, "late@lumen")
            rc, out, err = vt.run_vea(["schedule", "approve", str(late[0]["id"]), "--whole"], cfg,
                                      check=None, env={"VEA_NOW": when})
            assert rc == 64 and "declines no instance" in err, (rc, err)
            vt.run_vea(["schedule", "approve", str(rows[0]["id"]), "--whole"], cfg, check=True,
                       env={"VEA_NOW": when})
            run(cfg, when)
            got = replies_for(d, "thursdays@lumen")
            vt.assert_eq(len(got), 1, "replies")
            reply = vt.ical_parse(got[0][1])
            vt.assert_eq([(e["recurrence_id"], dana_partstat(e)) for e in reply["events"]],
                         [(None, "ACCEPTED")], "the REPLY's VEVENTs")
            assert "Except these dates" not in got[0][0].get_body(("plain",)).get_content()
            ev = vt.ical_parse(stored(dav, "thursdays@lumen"))["events"]
            vt.assert_eq([(e["recurrence_id"], dana_partstat(e)) for e in ev],
                         [(None, "ACCEPTED")], "the event in Radicale")

        # ------------------------------------------------ time zones
        with t.case("8. an Outlook invitation in \"Eastern Standard Time\" with its own "
                    "VTIMEZONE: read as New York (14:00 EST = 19:00 UTC), accepted; the REPLY "
                    "and the event in Radicale say the same instant (libical)"):
            outlook = with_zone(request("outlook@lumen", "", "", "Vendor review"),
                                OUTLOOK_EASTERN).replace(
                "DTSTART:\r\nDTEND:\r\n",
                "DTSTART;TZID=Eastern Standard Time:20261117T140000\r\n"
                "DTEND;TZID=Eastern Standard Time:20261117T150000\r\n")
            d.append(DANA, "INBOX", invitation_mail("outlook@lumen", outlook))
            run(cfg, LATER)
            vt.assert_eq([(r["state"], r["partstat"]) for r in decisions(cfg, "outlook@lumen")],
                         [("sent", "ACCEPTED")], "decisions")
            got = replies_for(d, "outlook@lumen")
            vt.assert_eq(len(got), 1, "replies")
            reply = vt.ical_parse(got[0][1])
            vt.assert_eq([(ev["start"], ev["end"]) for ev in reply["events"]],
                         [(utc("20261117T190000Z"), utc("20261117T200000Z"))], "the REPLY's time")
            assert "TZID:Eastern Standard Time" in got[0][1], got[0][1]
            got = vt.ical_parse(stored(dav, "outlook@lumen"))
            vt.assert_eq([(ev["start"], dana_partstat(ev)) for ev in got["events"]],
                         [(utc("20261117T190000Z"), "ACCEPTED")], "the event in Radicale")
        with t.case("9. an invitation in a zone nobody defines: not guessed as floating time, "
                    "not answered; the log names the account, mailbox, UID and the zone; the "
                    "message stays in INBOX"):
            mars = request("mars@lumen", "", "", "Rover sync").replace(
                "DTSTART:\r\nDTEND:\r\n", "DTSTART;TZID=Mars/Olympus:20261118T100000\r\n"
                "DTEND;TZID=Mars/Olympus:20261118T110000\r\n")
            d.append(DANA, "INBOX", invitation_mail("mars@lumen", mars))
            rc, out, err = run(cfg, LATER)
            vt.assert_eq(decisions(cfg, "mars@lumen"), [], "decisions")
            vt.assert_eq(replies_for(d, "mars@lumen"), [], "replies")
            line = [x for x in err.splitlines() if "Mars/Olympus" in x]
            assert line and "account dana-work" in line[0] and "mailbox INBOX" in line[0] and \
                "UID " in line[0], err
            inbox = [m for m in d.messages(DANA, body=True) if m["mailbox"] == "INBOX" and
                     b"mars@lumen" in m["data"]]
            vt.assert_eq(len(inbox), 1, "the invitation in INBOX")
        with t.case("10. a weekly 15:00 Rome meeting for New York across March 2027 (US clocks "
                    "change on the 14th, Rome's on the 28th): only 16 Mar, when it is 10:00 in "
                    "New York, meets Dana's 10:00 call; approved, the REPLY declines that "
                    "instance (RECURRENCE-ID 14:00 UTC) and Radicale has the override"):
            rome = with_zone(request("rome@lumen", "", "", "Milan office weekly",
                                     extra="RRULE:FREQ=WEEKLY;COUNT=6\r\n"), ROME).replace(
                "DTSTART:\r\nDTEND:\r\n", "DTSTART;TZID=Europe/Rome:20270302T150000\r\n"
                "DTEND;TZID=Europe/Rome:20270302T160000\r\n")
            # 16 Mar 10:00 New York (EDT) = 14:00 UTC = the meeting (15:00 CET).
            # 23 Mar 09:00 EDT = 13:00 UTC, half an hour before it (14:00 UTC): free.
            # 30 Mar 10:30 EDT = 14:30 UTC, half an hour after it (13:00 UTC, CEST): free.
            for uid, start, end in (("call-16@dana", "20270316T140000Z", "20270316T143000Z"),
                                    ("call-23@dana", "20270323T130000Z", "20270323T133000Z"),
                                    ("call-30@dana", "20270330T143000Z", "20270330T150000Z")):
                status, _ = dav.put("dana", "personal", uid.split("@")[0] + ".ics", event(
                    uid, "Kids' school call", "DTSTART:%s\r\n" % start, "DTEND:%s\r\n" % end))
                assert status == 201, status
            march = "2027-03-01T12:00:00Z"
            d.append(DANA, "INBOX", invitation_mail("rome@lumen", rome))
            run(cfg, march)
            rows = decisions(cfg, "rome@lumen")
            vt.assert_eq([(r["state"], r["declined_instances"]) for r in rows],
                         [("waiting", str(utc("20270316T140000Z")))], "decisions")
            assert "1 of 6 instances" in rows[0]["verdict"], rows[0]["verdict"]
            vt.run_vea(["schedule", "approve", str(rows[0]["id"])], cfg, check=True,
                       env={"VEA_NOW": march})
            run(cfg, march)
            got = replies_for(d, "rome@lumen")
            vt.assert_eq(len(got), 1, "replies")
            reply = vt.ical_parse(got[0][1])
            answers = sorted(((ev["recurrence_id"] or 0), dana_partstat(ev))
                             for ev in reply["events"])
            vt.assert_eq(answers, [(0, "ACCEPTED"), (utc("20270316T140000Z"), "DECLINED")],
                         "the REPLY's VEVENTs")
            assert "Except these dates, declined: Tue 16 Mar 2027 10:00" in \
                got[0][0].get_body(("plain",)).get_content(), "the REPLY's text"
            got = vt.ical_parse(stored(dav, "rome@lumen"))
            answers = sorted(((ev["recurrence_id"] or 0), dana_partstat(ev), ev["transp"])
                             for ev in got["events"])
            vt.assert_eq(answers, [(0, "ACCEPTED", ""),
                                   (utc("20270316T140000Z"), "DECLINED", "TRANSPARENT")],
                         "the event in Radicale")
        with t.case("13. the assistant sends through a delegate login of her own "
                    "(smtp_user ava@agency.example): the REPLY has SENT-BY on Dana's ATTENDEE and "
                    "a Sender field, From is still Dana"):
            exec2, ava = "dana2@example.test", "ava@agency.example"
            d.add_user(exec2, "pw")
            dav.mkcalendar("dana", "delegate")
            ddir = os.path.join(tmp, "delegate")
            os.makedirs(ddir)
            asmtp = SMTPServer(home=os.path.join(d.dir, "home"),
                               log=os.path.join(tmp, "smtp-delegate.log"),
                               auth="%s:p" % ava).start()
            try:
                dcfg = vt.write_config(
                    os.path.join(ddir, "vea.conf"), dovecot=d,
                    clients={"dana": {"name": "Dana Whitfield", "email": exec2,
                                      "timezone": "America/New_York", "rules": ["dana.sieve"],
                                      "working_hours": "mon-fri 09:00-18:00"}},
                    accounts={"dana-work": {"client": "dana", "user": exec2, "password": "pw",
                                            "smtp_url": asmtp.url, "smtp_user": ava,
                                            "smtp_password_cmd": "echo p", "smtp_tls": "none"}},
                    rules_dir=os.path.join(tmp, "rules"),
                    extra="[calendar:dana-delegate]\nclient = dana\nurl = %s\nrole = primary\n"
                          "user = dana\npassword_cmd = cat %s\n"
                          % (dav.collection_url("dana", "delegate"), pw))
                inv = request("delegate@lumen", "20261116T150000Z", "20261116T160000Z",
                              "Delegated").replace("mailto:%s" % DANA, "mailto:%s" % exec2)
                d.append(exec2, "INBOX", invitation_mail("delegate@lumen", inv))
                run(dcfg, LATER)
                got = replies_for(d, "delegate@lumen")
                vt.assert_eq(len(got), 1, "replies")
                msg, text = got[0]
                assert exec2 in str(msg["From"]) and ava in str(msg["Sender"]), \
                    (msg["From"], msg["Sender"])
                attendee = [line for line in text.replace("\r\n ", "").splitlines()
                            if line.startswith("ATTENDEE")]
                vt.assert_eq(len(attendee), 1, "ATTENDEEs")
                assert 'SENT-BY="mailto:%s"' % ava in attendee[0] and exec2 in attendee[0], \
                    attendee
                # 14. schedule_agent = server on a server that does not
                # schedule (Radicale): honoured, and said at every sync.
                with open(dcfg.path) as f:
                    text = f.read()
                with open(dcfg.path, "w") as f:
                    f.write(text.replace("role = primary\n", "role = primary\nschedule_agent = server\n"))
                forced = request("forced@lumen", "20261116T170000Z", "20261116T180000Z",
                                 "Forced").replace("mailto:%s" % DANA, "mailto:%s" % exec2)
                d.append(exec2, "INBOX", invitation_mail("forced@lumen", forced))
                rc, out, err = run(dcfg, LATER)
                forced_case_err = err
            finally:
                asmtp.stop()
        with t.case("14. schedule_agent = server on a calendar server that does not announce "
                    "implicit scheduling: honoured (vea mails nothing) and the log says the "
                    "answers may never reach the organizers"):
            assert "schedule_agent = server, but the server does not announce " \
                "calendar-auto-schedule" in forced_case_err, forced_case_err
            rows = vt.db_query(dcfg.db, "SELECT route FROM schedule_decisions WHERE event_uid = ?",
                               ("forced@lumen",))
            vt.assert_eq([r["route"] for r in rows], ["server"], "routes")
            vt.assert_eq(replies_for(d, "forced@lumen"), [], "REPLYs vea mailed")
    finally:
        dav.stop()
        smtp.stop()
        d.stop()
    return t.done()


if __name__ == "__main__":
    vt.main(main)
