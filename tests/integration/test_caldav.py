#!/usr/bin/python3
"""src/calendar against a real CalDAV server (issue 14): Radicale, started
by tests/harness/radicale.py on loopback with htpasswd auth.

Driven through calendar-tool (tests/integration/calendar-tool.c), which
reads vea.conf's [calendar:ID] sections the way vea does:

  * a calendar URL is probed (DAV header, resourcetype calendar); a URL
    that is no calendar, and a wrong password, give errors naming the
    calendar and the HTTP status;
  * events PUT into Radicale come back through calendar-query REPORT with
    the ETags the PUTs returned;
  * invitations are decided against three calendars (primary, busy, and a
    holiday calendar read as an ICS feed): free; a conflict in the busy
    calendar; a conflict only with a later instance of a weekly series;
    a holiday; a calendar that cannot be read means no decision;
  * an accepted invitation is written into the primary calendar once:
    the second PUT (If-None-Match: *) is refused with 412, and the stored
    object has no METHOD and Dana's PARTSTAT=ACCEPTED."""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from veatest import TAP, Skip, assert_eq  # noqa: E402
import radicale  # noqa: E402

NOW = "2026-11-02T12:00:00Z"
SECRET = "s3cret-dav-password"

SERIES = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:staff-weekly@dana
DTSTAMP:20260901T000000Z
SUMMARY:Staff meeting
DTSTART;TZID=America/New_York:20261005T100000
DTEND;TZID=America/New_York:20261005T110000
RRULE:FREQ=WEEKLY;BYDAY=MO
EXDATE;TZID=America/New_York:20261109T100000
END:VEVENT
END:VCALENDAR
"""


def single(uid, summary, start, end, extra=""):
    return ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nBEGIN:VEVENT\nUID:%s\n"
            "DTSTAMP:20261001T000000Z\nSUMMARY:%s\nDTSTART:%s\nDTEND:%s\n%sEND:VEVENT\n"
            "END:VCALENDAR\n" % (uid, summary, start, end, extra))


THANKSGIVING = ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nBEGIN:VEVENT\nUID:thanks@us\n"
                "DTSTAMP:20260101T000000Z\nSUMMARY:Thanksgiving\nDTSTART;VALUE=DATE:20261126\n"
                "DTEND;VALUE=DATE:20261127\nTRANSP:TRANSPARENT\nEND:VEVENT\nEND:VCALENDAR\n")


def invitation(uid, start, end, extra=""):
    return ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//lumen//EN\nMETHOD:REQUEST\nBEGIN:VEVENT\n"
            "UID:%s\nSEQUENCE:0\nDTSTAMP:20261101T090000Z\n"
            "ORGANIZER;CN=Raj:mailto:raj@lumen.example\n"
            "ATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:Dana@Example.test\n"
            "SUMMARY:Investor sync\nDTSTART:%s\nDTEND:%s\n%sEND:VEVENT\nEND:VCALENDAR\n"
            % (uid, start, end, extra))


def tool_binary():
    builddir = os.environ.get("VEA_BUILDDIR") or vt.srcdir()
    path = os.path.join(builddir, "calendar-tool")
    if not os.access(path, os.X_OK):
        raise vt.HarnessError("calendar-tool not built: %s (make check builds it)" % path)
    return path


def tool(*args):
    env = dict(os.environ, VEA_NOW=NOW)
    r = subprocess.run([tool_binary()] + list(args), capture_output=True, text=True,
                       timeout=120, env=env)
    if r.returncode == 2:
        raise AssertionError("calendar-tool usage/config error: %s" % r.stderr)
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        raise AssertionError("calendar-tool printed no JSON (rc %d): %r %r"
                             % (r.returncode, r.stdout, r.stderr))


def write_config(tmp, dav):
    good = os.path.join(tmp, "dana.pw")
    bad = os.path.join(tmp, "wrong.pw")
    with open(good, "w") as f:
        f.write(SECRET + "\n")
    with open(bad, "w") as f:
        f.write("not-the-password\n")
    path = os.path.join(tmp, "vea.conf")
    with open(path, "w") as f:
        f.write("[vea]\ndatabase = %s\n\n" % os.path.join(tmp, "vea.db"))
        f.write("[client:dana]\nname = Dana Whitfield\nemail = dana@example.test\n"
                "timezone = America/New_York\n"
                "working_hours = mon-fri 09:00-18:00\nmeeting_buffer = 0m\n"
                "max_meetings_per_day = 8\nmin_notice = 1h\ninvitation_horizon = 8w\n\n")
        f.write("[client:marco]\nemail = marco@example.test\ntimezone = Europe/Rome\n\n")
        for cid, coll, role, extra in (("dana-work", "work", "primary", ""),
                                       ("dana-personal", "personal", "busy", ""),
                                       ("us-holidays", "holidays", "holiday", "ics = true\n")):
            f.write("[calendar:%s]\nclient = dana\nurl = %s\nrole = %s\nuser = dana\n"
                    "password_cmd = cat %s\n%s\n" % (cid, dav.collection_url("dana", coll), role,
                                                    good, extra))
        f.write("[calendar:marco-work]\nclient = marco\nurl = %s\nrole = primary\nuser = dana\n"
                "password_cmd = cat %s\n\n" % (dav.collection_url("dana", "work"), bad))
        with open(os.path.join(tmp, "token"), "w") as tf:
            tf.write("ya29.not-a-token\n")
        f.write("[calendar:marco-oauth]\nclient = marco\nurl = %s\nrole = busy\n"
                "oauth2_token_cmd = cat %s\n\n" % (dav.collection_url("dana", "work"),
                                                    os.path.join(tmp, "token")))
        f.write("[calendar:dana-home]\nclient = marco\nurl = %s/dana/\nrole = busy\nuser = dana\n"
                "password_cmd = cat %s\n" % (dav.url, good))
    return path


def write_invitation(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(vt.to_crlf(text.encode()))
    return path


def main():
    t = TAP(timeout=600)
    why = radicale.available()
    if why:
        t.skip("CalDAV tests against Radicale", why)
        return t.done()
    tmp = vt.mkdtemp()
    with radicale.Radicale({"dana": SECRET, "marco": "marco-pw"}) as dav:
        for name in ("work", "personal", "holidays"):
            dav.mkcalendar("dana", name)
        etags = {}
        for cal, name, ics in (("work", "staff.ics", SERIES),
                               ("personal", "dentist.ics",
                                single("dentist@dana", "Dentist", "20261110T150000Z", "20261110T160000Z")),
                               ("holidays", "thanksgiving.ics", THANKSGIVING)):
            status, etag = dav.put("dana", cal, name, ics)
            if status != 201:
                raise vt.HarnessError("seeding %s/%s: HTTP %d" % (cal, name, status))
            etags[name] = etag
        conf = write_config(tmp, dav)

        with t.case("probe: Radicale's work calendar is a CalDAV calendar without implicit scheduling"):
            rc, out = tool("probe", conf, "dana-work")
            assert_eq(rc, 0, "exit status: %r" % out)
            assert "calendar-access" in out["dav"], out
            assert_eq(out["auto_schedule"], False, "auto_schedule")

        with t.case("probe: a wrong password is named as such, with the calendar and HTTP 401"):
            rc, out = tool("probe", conf, "marco-work")
            assert_eq(rc, 1, "exit status")
            assert out["error"].startswith("wrong password for calendar marco-work (HTTP 401"), out
            assert "not-the-password" not in json.dumps(out), "the password was printed"

        with t.case("probe: an OAuth 2 token (oauth2_token_cmd) goes as a Bearer token; refused, it is named"):
            rc, out = tool("probe", conf, "marco-oauth")
            assert_eq(rc, 1, "exit status")
            assert out["error"].startswith("calendar marco-oauth: the OAuth 2 token was refused (HTTP 401"), out
            assert "ya29" not in json.dumps(out), "the token was printed"

        with t.case("probe: a collection that is not a calendar is refused, naming the calendar"):
            rc, out = tool("probe", conf, "dana-home")
            assert_eq(rc, 1, "exit status")
            assert "calendar dana-home" in out["error"] and "not a calendar collection" in out["error"], out

        with t.case("query: calendar-query REPORT returns the PUT objects with their ETags"):
            rc, out = tool("query", conf, "dana-work", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")
            assert_eq(rc, 0, "exit status: %r" % out)
            assert_eq(len(out["objects"]), 1, "objects")
            o = out["objects"][0]
            assert o["href"].endswith("/dana/work/staff.ics"), o
            assert_eq(o["etag"], etags["staff.ics"], "ETag")
            assert_eq(o["uids"], ["staff-weekly@dana"], "UIDs")
            # Mondays 2, 16, 23, 30 Nov (9 Nov is an EXDATE).
            assert_eq(o["instances"], 4, "instances expanded by vea")

        cases = (
            ("free: Wednesday 11 Nov 14:00 New York", "free.ics",
             invitation("inv-free@lumen", "20261111T190000Z", "20261111T200000Z"), "free", None),
            ("conflict: the Dentist in the busy calendar on 10 Nov", "dentist.ics",
             invitation("inv-dentist@lumen", "20261110T153000Z", "20261110T163000Z"), "conflict",
             ("dana-personal", "Dentist")),
            ("conflict: only with a later instance of the weekly staff meeting (23 Nov)", "series.ics",
             invitation("inv-series@lumen", "20261123T150000Z", "20261123T153000Z"), "conflict",
             ("dana-work", "Staff meeting")),
            ("free: the staff meeting's EXDATE on 9 Nov", "exdate.ics",
             invitation("inv-exdate@lumen", "20261109T150000Z", "20261109T153000Z"), "free", None),
            ("holiday: Thanksgiving from the holiday calendar read as an ICS feed", "thanks.ics",
             invitation("inv-thanks@lumen", "20261126T150000Z", "20261126T160000Z"), "holiday",
             ("us-holidays", "Thanksgiving")),
            ("conflict: a weekly invitation from 9 Nov (the EXDATE) whose 2nd instance meets the staff meeting", "weekly.ics",
             invitation("inv-weekly@lumen", "20261109T150000Z", "20261109T153000Z",
                        "RRULE:FREQ=WEEKLY;COUNT=4\n"), "conflict", ("dana-work", "Staff meeting")),
        )
        for desc, name, text, verdict, where in cases:
            with t.case("decide: " + desc):
                rc, out = tool("decide", conf, "dana", write_invitation(tmp, name, text))
                assert_eq(rc, 0, "exit status: %r" % out)
                assert_eq(out["errors"], [], "errors")
                assert_eq(out["verdict"], verdict, "verdict (%s)" % out.get("reason"))
                if where:
                    assert_eq((out["calendar"], out["event"]), where, "what is in the way")
                if name == "weekly.ics":
                    # 9 Nov is free (EXDATE); 16 Nov, the 2nd instance, is not.
                    assert out["reason"].startswith("2nd of 4 instances, Mon 16 Nov 2026 10:00"), out

        with t.case("decide: a calendar that cannot be read (wrong password) means no decision"):
            rc, out = tool("decide", conf, "marco", os.path.join(tmp, "free.ics"))
            assert_eq(rc, 1, "exit status")
            assert_eq(out["verdict"], None, "verdict")
            assert any(e.startswith("wrong password for calendar marco-work") for e in out["errors"]), out

        accept = os.path.join(tmp, "free.ics")
        with t.case("accept: the accepted event is PUT into the primary calendar (If-None-Match: *)"):
            rc, out = tool("accept", conf, "dana", accept)
            assert_eq((rc, out["put"], out["status"]), (0, "done", 201), "first PUT: %r" % out)

        with t.case("accept: the same event again is refused with 412, not written twice"):
            rc, out = tool("accept", conf, "dana", accept)
            assert_eq((rc, out["put"], out["status"]), (0, "exists", 412), "second PUT: %r" % out)
            body = dav.report("dana", "work", "20261111T000000Z", "20261112T000000Z").decode()
            assert_eq(body.count("UID:inv-free@lumen"), 1, "copies of the event in Radicale")
            data = body.replace("&#13;", "").replace("\r", "")
            assert "METHOD:" not in data, "METHOD stored (RFC 4791 5.3.2.1)"
            assert re.search(r"ATTENDEE;[^\n]*PARTSTAT=ACCEPTED[^\n]*:mailto:Dana@Example\.test", data) or \
                re.search(r"ATTENDEE;[^\n]*PARTSTAT=ACCEPTED", data), data[:2000]

        with t.case("decide: after accepting, the same slot conflicts for another invitation, not for itself"):
            rc, out = tool("decide", conf, "dana", accept)
            assert_eq(out["verdict"], "free", "the accepted invitation itself: %r" % out)
            rc, out = tool("decide", conf, "dana", write_invitation(
                tmp, "other.ics", invitation("inv-other@lumen", "20261111T193000Z", "20261111T203000Z")))
            assert_eq((out["verdict"], out["calendar"], out["event"]),
                      ("conflict", "dana-work", "Investor sync"), "verdict: %r" % out)

        with t.case("reply: the REPLY for Dana has METHOD:REPLY and exactly one ATTENDEE"):
            r = subprocess.run([tool_binary(), "reply", conf, "dana", accept, "accepted"],
                               capture_output=True, env=dict(os.environ, VEA_NOW=NOW))
            assert_eq(r.returncode, 0, "exit status: %r" % r.stdout)
            unfolded = r.stdout.decode().replace("\r\n ", "")
            assert "METHOD:REPLY\r\n" in unfolded, unfolded
            assert_eq(len(re.findall(r"^ATTENDEE", unfolded, re.M)), 1, "ATTENDEEs")
            assert "PARTSTAT=ACCEPTED" in unfolded and "UID:inv-free@lumen" in unfolded, unfolded
        with t.case("vea calendar check: each calendar reached and read, one line each"):
            rc, out, err = vt.run_vea(["calendar", "check", "--client", "dana"], config=conf,
                                      env={"VEA_NOW": NOW})
            assert_eq(rc, 0, "exit status: %s" % err)
            assert "calendar dana-work (client dana, primary): OK: CalDAV" in out, out
            assert "calendar us-holidays (client dana, holiday): OK: ICS feed" in out, out

        with t.case("vea calendar check: a wrong password and a non-calendar URL, each with its line"):
            rc, out, err = vt.run_vea(["calendar", "check", "--client", "marco"], config=conf,
                                      env={"VEA_NOW": NOW})
            assert_eq(rc, 69, "exit status (EX_UNAVAILABLE)")
            assert re.search(r"vea\.conf:\d+: wrong password for calendar marco-work \(HTTP 401", err), err
            assert re.search(r"vea\.conf:\d+: calendar dana-home: .* is not a calendar collection", err), err
            assert "not-the-password" not in out + err, "the password was printed"
    if not vt.keep_tmp():
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    vt.main(main)
