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
    object has no METHOD and Dana's PARTSTAT=ACCEPTED;
  * incremental sync through the copies in the database (calendar-tool
    sync): the first sync takes everything; a change and a deletion by
    another client are picked up (and only they are fetched); a sync
    token the server refuses is recovered by comparing ETags; an ICS
    feed answered 304 keeps its copy; a wrong password leaves the copy
    as it was and is reported (the copy stands in only while younger
    than the sync interval); a calendar taken out of vea.conf has its
    copy forgotten."""

import http.server
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
from xml.sax.saxutils import escape

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


class Feed:
    """An ICS feed on loopback that answers conditional GETs (RFC 9110
    13.1.2): 304 when If-None-Match names its ETag. Radicale has no 304."""

    def __init__(self, body):
        self.body = body
        self.etag = '"feed-1"'
        self.requests = []  # (If-None-Match, status)
        feed = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                inm = self.headers.get("If-None-Match")
                if inm == feed.etag:
                    feed.requests.append((inm, 304))
                    self.send_response(304)
                    self.send_header("ETag", feed.etag)
                    self.end_headers()
                    return
                data = vt.to_crlf(feed.body.encode())
                feed.requests.append((inm, 200))
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                self.send_header("ETag", feed.etag)
                self.send_header("Last-Modified", "Sun, 01 Nov 2026 00:00:00 GMT")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/holidays.ics" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class FakeDav:
    """A CalDAV collection that is not Radicale, for what Radicale never
    does: no sync-collection at all (403 supported-report), or a
    sync-collection answer truncated (507, RFC 6578 3.6). It answers
    PROPFIND getctag, calendar-query (ETags, data when asked) and
    calendar-multiget, and logs each REPORT (kind, hrefs asked)."""

    def __init__(self):
        self.objects = {}  # href -> (etag, ics)
        self.version = 0
        self.mode = "no-sync"
        self.reports = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, status, body):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _response(self, href, with_data):
                etag, ics = fake.objects[href]
                data = "<C:calendar-data>%s</C:calendar-data>" % escape(ics) if with_data else ""
                return ("<D:response><D:href>%s</D:href><D:propstat><D:prop><D:getetag>%s</D:getetag>%s"
                        "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
                        % (href, escape(etag), data))

            def do_PROPFIND(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._answer(207, '<D:multistatus xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">'
                             '<D:response><D:href>/cal/</D:href><D:propstat><D:prop><CS:getctag>v%d'
                             '</CS:getctag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>'
                             '</D:response></D:multistatus>' % fake.version)

            def do_REPORT(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                head = '<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
                with_data = "calendar-data" in body
                if "sync-collection" in body:
                    fake.reports.append(("sync-collection", []))
                    if fake.mode == "no-sync":
                        self._answer(403, '<D:error xmlns:D="DAV:"><D:supported-report/></D:error>')
                        return
                    first = sorted(fake.objects)[:1]
                    self._answer(207, head + "".join(self._response(h, with_data) for h in first) +
                                 "<D:response><D:href>/cal/</D:href><D:status>HTTP/1.1 507 Insufficient Storage"
                                 "</D:status></D:response><D:sync-token>urn:fake:%d</D:sync-token>"
                                 "</D:multistatus>" % fake.version)
                elif "calendar-multiget" in body:
                    hrefs = re.findall(r"<D:href>([^<]*)</D:href>", body)
                    fake.reports.append(("multiget", hrefs))
                    self._answer(207, head + "".join(self._response(h, True) for h in hrefs
                                                     if h in fake.objects) + "</D:multistatus>")
                else:
                    fake.reports.append(("calendar-query" + (" with data" if with_data else ""), []))
                    self._answer(207, head + "".join(self._response(h, with_data)
                                                     for h in sorted(fake.objects)) + "</D:multistatus>")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/cal/" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def put(self, name, ics):
        self.version += 1
        self.objects["/cal/" + name] = ('"%s-%d"' % (name, self.version), vt.to_crlf(ics.encode()).decode())

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def fake_cases(t, tmp):
    fake = FakeDav()
    conf = os.path.join(tmp, "fake.conf")
    with open(conf, "w") as f:
        f.write("[vea]\ndatabase = %s\n\n[client:dana]\nemail = dana@example.test\n"
                "timezone = America/New_York\ninvitation_horizon = 8w\nmin_notice = 1h\n\n"
                "[calendar:fake]\nclient = dana\nurl = %s\nrole = busy\n"
                % (os.path.join(tmp, "fake.db"), fake.url))
    board = write_invitation(tmp, "f-board.ics", invitation("f-board@lumen", "20261110T150000Z",
                                                            "20261110T153000Z"))
    fake.put("board.ics", single("board@dana", "Board call", "20261110T150000Z", "20261110T160000Z"))
    fake.put("gym.ics", single("gym@dana", "Gym", "20261111T120000Z", "20261111T130000Z"))
    try:
        with t.case("sync: a server without sync-collection (403): the first sync takes everything by one calendar-query"):
            rc, out = sync(conf, board)
            assert_eq((rc, out["errors"]), (0, []), "%r" % out)
            assert_eq((out["fallbacks"], out["fetched"], out["verdict"]), (1, 2, "conflict"), "%r" % out)
            assert_eq([k for k, _ in fake.reports], ["sync-collection", "calendar-query with data"], "REPORTs")

        with t.case("sync: without sync-collection, a change is found by ETags and only it is multiget"):
            del fake.reports[:]
            fake.put("board.ics", single("board@dana", "Board call", "20261112T150000Z", "20261112T160000Z"))
            rc, out = sync(conf, board)
            assert_eq((rc, out["fetched"], out["verdict"]), (0, 1, "free"), "%r" % out)
            assert_eq(fake.reports, [("sync-collection", []), ("calendar-query", []),
                                     ("multiget", ["/cal/board.ics"])], "REPORTs")
            del fake.reports[:]
            rc, out = sync(conf, board)
            assert_eq((out["fetched"], fake.reports), (0, []), "the same ctag: no REPORT: %r" % out)

        with t.case("sync: a truncated sync-collection answer (507, RFC 6578 3.6) falls back to ETags"):
            fake.mode = "truncate"
            del fake.reports[:]
            fake.put("gym.ics", single("gym@dana", "Gym", "20261110T150000Z", "20261110T160000Z"))
            del fake.objects["/cal/board.ics"]
            rc, out = sync(conf, board)
            assert_eq((rc, out["fallbacks"], out["fetched"], out["removed"]), (0, 1, 1, 1), "%r" % out)
            assert_eq((out["verdict"], out["event"]), ("conflict", "Gym"), "%r" % out)
            assert_eq([k for k, _ in fake.reports], ["sync-collection", "calendar-query", "multiget"], "REPORTs")
    finally:
        fake.stop()


def write_sync_config(tmp, dav, feed, with_feed=True):
    pw = os.path.join(tmp, "sync.pw")
    if not os.path.exists(pw):
        with open(pw, "w") as f:
            f.write(SECRET + "\n")
    path = os.path.join(tmp, "sync.conf")
    with open(path, "w") as f:
        f.write("[vea]\ndatabase = %s\n\n" % os.path.join(tmp, "sync.db"))
        f.write("[client:dana]\nemail = dana@example.test\ntimezone = America/New_York\n"
                "working_hours = mon-fri 09:00-18:00\nmeeting_buffer = 0m\n"
                "max_meetings_per_day = 8\nmin_notice = 1h\ninvitation_horizon = 8w\n\n")
        f.write("[calendar:dana-synced]\nclient = dana\nurl = %s\nrole = busy\nuser = dana\n"
                "password_cmd = cat %s\n\n" % (dav.collection_url("dana", "synced"), pw))
        if with_feed:
            f.write("[calendar:dana-feed]\nclient = dana\nurl = %s\nrole = holiday\nics = true\n"
                    % feed.url)
    return path


def sync(conf, inv=None, now=NOW):
    env = dict(os.environ, VEA_NOW=now)
    args = [tool_binary(), "sync", conf, "dana"] + ([inv] if inv else [])
    r = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
    if r.returncode == 2:
        raise AssertionError("calendar-tool usage/config error: %s" % r.stderr)
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        raise AssertionError("calendar-tool sync printed no JSON (rc %d): %r %r"
                             % (r.returncode, r.stdout, r.stderr))


def copy_rows(tmp, calendar):
    db = sqlite3.connect(os.path.join(tmp, "sync.db"))
    try:
        return db.execute("SELECT o.href, o.etag FROM calendar_objects o JOIN calendar_sources s"
                          " ON s.id = o.source WHERE s.calendar = ? ORDER BY o.href",
                          (calendar,)).fetchall()
    finally:
        db.close()


def sync_cases(t, tmp, dav):
    dav.mkcalendar("dana", "synced")
    for name, ics in (("dentist.ics", single("dentist@dana", "Dentist", "20261110T150000Z",
                                             "20261110T160000Z")),
                      ("lunch.ics", single("lunch@dana", "Lunch with Eleanor", "20261111T170000Z",
                                           "20261111T180000Z")),
                      ("old.ics", single("old@dana", "Last year", "20251110T150000Z",
                                         "20251110T160000Z"))):
        status, _ = dav.put("dana", "synced", name, ics)
        if status != 201:
            raise vt.HarnessError("seeding synced/%s: HTTP %d" % (name, status))
    feed = Feed(THANKSGIVING)
    conf = write_sync_config(tmp, dav, feed)
    dentist = write_invitation(tmp, "s-dentist.ics", invitation("s-dentist@lumen", "20261110T153000Z",
                                                                "20261110T163000Z"))
    moved = write_invitation(tmp, "s-moved.ics", invitation("s-moved@lumen", "20261112T153000Z",
                                                            "20261112T163000Z"))
    lunch = write_invitation(tmp, "s-lunch.ics", invitation("s-lunch@lumen", "20261111T170000Z",
                                                            "20261111T173000Z"))
    thanks = write_invitation(tmp, "s-thanks.ics", invitation("s-thanks@lumen", "20261126T150000Z",
                                                              "20261126T160000Z"))
    try:
        with t.case("sync: the first sync takes every object into the copy, the feed too"):
            rc, out = sync(conf, dentist)
            assert_eq((rc, out["errors"]), (0, []), "errors: %r" % out)
            assert_eq((out["fetched"], out["fallbacks"]), (4, 0), "fetched (3 objects + the feed): %r" % out)
            assert_eq((out["verdict"], out["event"]), ("conflict", "Dentist"), "verdict: %r" % out)
            rows = copy_rows(tmp, "dana-synced")
            assert_eq([h for h, _ in rows], ["/dana/synced/dentist.ics", "/dana/synced/lunch.ics",
                                             "/dana/synced/old.ics"], "hrefs in the copy")

        with t.case("sync: nothing changed: nothing fetched, the feed answered 304, same verdict"):
            rc, out = sync(conf, dentist)
            assert_eq((rc, out["fetched"], out["not_modified"]), (0, 0, 1), "%r" % out)
            # Read from the copy: the two events of November and the feed;
            # last year's event is not read (its span is far from the window).
            assert_eq(out["objects"], 3, "objects read from the copy: %r" % out)
            assert_eq(out["verdict"], "conflict", "verdict")
            assert_eq(feed.requests[-1], ('"feed-1"', 304), "the feed's last request")
            rc, out = sync(conf, thanks)
            assert_eq(out["verdict"], "holiday", "the feed's copy still counts: %r" % out)

        with t.case("sync: the Dentist moved by another client (PUT) is picked up, only it fetched"):
            status, _ = dav.put("dana", "synced", "dentist.ics",
                                single("dentist@dana", "Dentist", "20261112T150000Z", "20261112T160000Z"),
                                if_none_match=False)
            assert_eq(status, 201, "PUT")
            rc, out = sync(conf, dentist)
            assert_eq((rc, out["fetched"], out["removed"]), (0, 1, 0), "%r" % out)
            assert_eq(out["verdict"], "free", "the old slot: %r" % out)
            rc, out = sync(conf, moved)
            assert_eq((out["verdict"], out["event"], out["fetched"]), ("conflict", "Dentist", 0),
                      "the new slot: %r" % out)

        with t.case("sync: a deletion by another client is picked up"):
            rc, out = sync(conf, lunch)
            assert_eq((out["verdict"], out["event"]), ("conflict", "Lunch with Eleanor"), "before: %r" % out)
            status, _, _ = dav.request("DELETE", "/dana/synced/lunch.ics", "dana")
            assert_eq(status, 200, "DELETE")
            rc, out = sync(conf, lunch)
            assert_eq((rc, out["removed"], out["fetched"]), (0, 1, 0), "%r" % out)
            assert_eq(out["verdict"], "free", "after: %r" % out)
            assert_eq([h for h, _ in copy_rows(tmp, "dana-synced")],
                      ["/dana/synced/dentist.ics", "/dana/synced/old.ics"], "hrefs in the copy")

        with t.case("sync: a sync token the server refuses (403 valid-sync-token) is recovered by comparing ETags"):
            db = sqlite3.connect(os.path.join(tmp, "sync.db"))
            db.execute("UPDATE calendar_sources SET sync_token = ? WHERE calendar = 'dana-synced'",
                       ("http://radicale.org/ns/sync/" + "0" * 64,))
            db.commit()
            db.close()
            status, _ = dav.put("dana", "synced", "lunch2.ics",
                                single("lunch2@dana", "Lunch again", "20261111T170000Z", "20261111T180000Z"))
            assert_eq(status, 201, "PUT")
            rc, out = sync(conf, lunch)
            assert_eq((rc, out["errors"]), (0, []), "%r" % out)
            assert_eq((out["fallbacks"], out["fetched"], out["removed"]), (1, 1, 0), "%r" % out)
            assert_eq((out["verdict"], out["event"]), ("conflict", "Lunch again"), "%r" % out)
            # The next change goes by sync-collection again, with a new token.
            dav.request("DELETE", "/dana/synced/lunch2.ics", "dana")
            rc, out = sync(conf, lunch)
            assert_eq((out["fallbacks"], out["removed"], out["verdict"]), (0, 1, "free"), "%r" % out)

        with t.case("sync: a wrong password leaves the copy as it was and says so; it stands in only within the sync interval"):
            before = copy_rows(tmp, "dana-synced")
            with open(os.path.join(tmp, "sync.pw"), "w") as f:
                f.write("not-the-password\n")
            rc, out = sync(conf, moved, now="2026-11-02T12:02:00Z")
            assert_eq(rc, 0, "within the interval: %r" % out)
            assert any("wrong password for calendar dana-synced" in w and "using the copy synced 2 min ago" in w
                       for w in out["warnings"]), out
            assert_eq(out["verdict"], "conflict", "decided on a copy 2 minutes old")
            rc, out = sync(conf, moved, now="2026-11-02T12:10:00Z")
            assert_eq((rc, out["verdict"]), (1, None), "no decision on a copy 10 minutes old: %r" % out)
            assert_eq(len(out["errors"]), 1, "errors: %r" % out)
            e = out["errors"][0]
            assert e.startswith("wrong password for calendar dana-synced (HTTP 401"), e
            assert "the copy synced 10 min ago is kept but not used" in e, e
            assert "not-the-password" not in json.dumps(out), "the password was printed"
            assert_eq(copy_rows(tmp, "dana-synced"), before, "the copy after the failed sync")
            with open(os.path.join(tmp, "sync.pw"), "w") as f:
                f.write(SECRET + "\n")
            rc, out = sync(conf, moved, now="2026-11-02T12:11:00Z")
            assert_eq((rc, out["fetched"], out["verdict"]), (0, 0, "conflict"), "%r" % out)

        with t.case("sync: a series read from the copy is expanded again once the window moves past what was kept"):
            status, _ = dav.put("dana", "synced", "standup.ics", single(
                "standup@dana", "Standup", "20261102T150000Z", "20261102T153000Z", "RRULE:FREQ=WEEKLY\n"))
            assert_eq(status, 201, "PUT")
            rc, out = sync(conf, moved, now="2026-11-02T12:12:00Z")
            assert_eq((rc, out["fetched"]), (0, 1), "%r" % out)
            db = sqlite3.connect(os.path.join(tmp, "sync.db"))
            kept = db.execute("SELECT instances_to FROM calendar_objects WHERE href = ?",
                              ("/dana/synced/standup.ics",)).fetchone()[0]
            db.close()
            late = write_invitation(tmp, "s-late.ics", invitation("s-late@lumen", "20270215T150000Z",
                                                                  "20270215T160000Z"))
            # 22 Dec: the window reaches 17 Feb, past what was kept (2 Feb).
            rc, out = sync(conf, late, now="2026-12-22T12:00:00Z")
            assert_eq((rc, out["fetched"]), (0, 0), "nothing changed: %r" % out)
            assert_eq((out["verdict"], out["event"]), ("conflict", "Standup"), "15 Feb: %r" % out)
            db = sqlite3.connect(os.path.join(tmp, "sync.db"))
            again = db.execute("SELECT instances_to FROM calendar_objects WHERE href = ?",
                               ("/dana/synced/standup.ics",)).fetchone()[0]
            db.close()
            assert again > kept, "the expansion kept anew: %r -> %r" % (kept, again)
            rc, out = sync(conf, late, now="2026-12-22T12:05:00Z")
            assert_eq((out["verdict"], out["event"]), ("conflict", "Standup"), "again: %r" % out)

        with t.case("sync: a calendar taken out of vea.conf has its copy forgotten"):
            conf = write_sync_config(tmp, dav, feed, with_feed=False)
            rc, out = sync(conf)
            assert_eq((rc, out["forgotten"]), (0, 1), "%r" % out)
            assert_eq(copy_rows(tmp, "dana-feed"), [], "the feed's copy")
            assert copy_rows(tmp, "dana-synced"), "the other copy is kept"
    finally:
        feed.stop()


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

        sync_cases(t, tmp, dav)
    fake_cases(t, tmp)
    if not vt.keep_tmp():
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    vt.main(main)
