#!/usr/bin/python3
"""bench_calendar (issue 14): availability for 1,000 invitations against
calendars holding 5,000 events, 200 of them recurring series, over an
8-week horizon: vea's own index after one sync, against asking Radicale
(a calendar-query REPORT per calendar for each invitation's time range),
measured in the same run. Not part of make check: `make bench-calendar-run`.

The events are generated (seeded, the same every run) and uploaded to a
private Radicale (tests/harness/radicale.py) as whole calendars:
  work (primary)      2,890 single events + 150 series
  personal (busy)     1,900 single events +  50 series
  holidays (holiday)     10 all-day events, read as an ICS feed
Singles are spread over a year around "now" (VEA_NOW 2026-11-02T12:00Z),
in working hours, some transparent, tentative or (0.5%) all-day. Series are
weekly on 1-3 weekdays, or daily, started up to two years back, in
America/New_York or Europe/London with their VTIMEZONE; some end by
COUNT or UNTIL, some have an EXDATE or a moved instance.

Radicale needs about 1.6 s per invitation here (two REPORTs, each
filtering 5,000 items), so asking it about all 1,000 would take half an
hour: BENCH_SERVER_INVITATIONS (default 100) says how many of the same
invitations are asked of the server; its per-invitation figure is from
that sample, and the output says so. BENCH_SERVER_INVITATIONS=1000 asks
about all of them."""

import json
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
import veatest as vt  # noqa: E402
import radicale  # noqa: E402

NOW = "2026-11-02T12:00:00Z"
NOW_T = 1793620800  # 2026-11-02T12:00:00Z
SECRET = "bench-secret"
INVITATIONS = 1000

TZ = {
    "America/New_York": (
        "BEGIN:VTIMEZONE\nTZID:America/New_York\n"
        "BEGIN:DAYLIGHT\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0400\nTZNAME:EDT\n"
        "DTSTART:19700308T020000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\nEND:DAYLIGHT\n"
        "BEGIN:STANDARD\nTZOFFSETFROM:-0400\nTZOFFSETTO:-0500\nTZNAME:EST\n"
        "DTSTART:19701101T020000\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\nEND:STANDARD\n"
        "END:VTIMEZONE\n"),
    "Europe/London": (
        "BEGIN:VTIMEZONE\nTZID:Europe/London\n"
        "BEGIN:DAYLIGHT\nTZOFFSETFROM:+0000\nTZOFFSETTO:+0100\nTZNAME:BST\n"
        "DTSTART:19700329T010000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nEND:DAYLIGHT\n"
        "BEGIN:STANDARD\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0000\nTZNAME:GMT\n"
        "DTSTART:19701025T020000\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nEND:STANDARD\n"
        "END:VTIMEZONE\n"),
}
DAYS = ["MO", "TU", "WE", "TH", "FR"]


def stamp(t):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def local(t):
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(t))


def date(t):
    return time.strftime("%Y%m%d", time.gmtime(t))


def singles(rng, prefix, n):
    out = []
    for i in range(n):
        day = NOW_T // 86400 + rng.randint(-182, 182)
        while (day + 4) % 7 in (5, 6):          # 1970-01-01 was a Thursday
            day += 1
        start = day * 86400 + rng.randrange(13 * 60, 23 * 60, 15) * 60
        length = rng.choice((30, 45, 60, 90))
        extra = ""
        r = rng.random()
        if r < 0.005:
            out.append("BEGIN:VEVENT\nUID:%s-%d\nDTSTAMP:20260101T000000Z\nSUMMARY:All day %d\n"
                       "DTSTART;VALUE=DATE:%s\nDTEND;VALUE=DATE:%s\nEND:VEVENT\n"
                       % (prefix, i, i, date(start), date(start + 86400)))
            continue
        if r < 0.13:
            extra = "TRANSP:TRANSPARENT\n"
        elif r < 0.18:
            extra = "STATUS:TENTATIVE\n"
        out.append("BEGIN:VEVENT\nUID:%s-%d\nDTSTAMP:20260101T000000Z\nSUMMARY:Meeting %d\n"
                   "DTSTART:%s\nDTEND:%s\n%sEND:VEVENT\n"
                   % (prefix, i, i, stamp(start), stamp(start + length * 60), extra))
    return out


def series(rng, prefix, n):
    out = []
    for i in range(n):
        zone = rng.choice(list(TZ))
        weeks_back = rng.randint(1, 104)
        day = NOW_T // 86400 - weeks_back * 7
        while (day + 4) % 7 != 0:               # a Monday
            day += 1
        hour = rng.randint(8, 17)
        start = day * 86400 + hour * 3600 + rng.choice((0, 30)) * 60
        length = rng.choice((15, 30, 60))
        uid = "%s-series-%d" % (prefix, i)
        if i % 10 == 0:
            rule = "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"
        else:
            rule = "FREQ=WEEKLY;BYDAY=" + ",".join(sorted(rng.sample(DAYS, rng.randint(1, 3)),
                                                         key=DAYS.index))
        end = rng.random()
        if end < 0.2:
            rule += ";COUNT=%d" % rng.randint(20, 300)
        elif end < 0.4:
            rule += ";UNTIL=%s" % stamp(NOW_T + rng.randint(7, 120) * 86400)
        ev = ("BEGIN:VEVENT\nUID:%s\nDTSTAMP:20260101T000000Z\nSUMMARY:Series %d\n"
              "DTSTART;TZID=%s:%s\nDTEND;TZID=%s:%s\nRRULE:%s\n"
              % (uid, i, zone, local(start), zone, local(start + length * 60), rule))
        moved = None
        if rng.random() < 0.2:
            ex = start + (weeks_back + rng.randint(0, 6)) * 7 * 86400
            ev += "EXDATE;TZID=%s:%s\n" % (zone, local(ex))
        if rng.random() < 0.2:
            orig = start + (weeks_back + rng.randint(0, 6)) * 7 * 86400
            moved = ("BEGIN:VEVENT\nUID:%s\nDTSTAMP:20260101T000000Z\nSUMMARY:Series %d (moved)\n"
                     "RECURRENCE-ID;TZID=%s:%s\nDTSTART;TZID=%s:%s\nDTEND;TZID=%s:%s\nEND:VEVENT\n"
                     % (uid, i, zone, local(orig), zone, local(orig + 7200), zone,
                        local(orig + 7200 + length * 60)))
        out.append(ev + "END:VEVENT\n" + (moved or ""))
    return out


def calendar(components):
    return ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//bench//EN\n" + "".join(TZ.values()) +
            "".join(components) + "END:VCALENDAR\n")


def holidays():
    out = []
    for i in range(10):
        day = NOW_T // 86400 + 5 + i * 6
        out.append("BEGIN:VEVENT\nUID:holiday-%d\nDTSTAMP:20260101T000000Z\nSUMMARY:Holiday %d\n"
                   "DTSTART;VALUE=DATE:%s\nDTEND;VALUE=DATE:%s\nTRANSP:TRANSPARENT\nEND:VEVENT\n"
                   % (i, i, date(day * 86400), date(day * 86400 + 86400)))
    return out


def main():
    tool = sys.argv[1] if len(sys.argv) > 1 else "./bench-calendar"
    why = radicale.available()
    if why:
        print("bench_calendar: skipped: %s" % why)
        return 0
    n_server = int(os.environ.get("BENCH_SERVER_INVITATIONS", "100"))
    rng = random.Random(14)
    tmp = vt.mkdtemp("vea-bench-calendar-")
    cals = {
        "work": singles(rng, "work", 2890) + series(rng, "work", 150),
        "personal": singles(rng, "personal", 1900) + series(rng, "personal", 50),
        "holidays": holidays(),
    }
    events = sum(c.count("BEGIN:VEVENT\nUID") - c.count("RECURRENCE-ID") for c in
                 ("".join(v) for v in cals.values()))
    n_series = sum("".join(v).count("RRULE:FREQ=DAILY") + "".join(v).count("RRULE:FREQ=WEEKLY")
                   for v in cals.values())
    with radicale.Radicale({"dana": SECRET}) as dav:
        t0 = time.time()
        for name, comps in cals.items():
            # PUT of a whole calendar onto the collection (Radicale splits
            # it by UID): one request instead of 5,000.
            status, _, body = dav.request("PUT", dav.collection("dana", name), "dana",
                                          vt.to_crlf(calendar(comps).encode()),
                                          {"Content-Type": "text/calendar; charset=utf-8"})
            if status not in (200, 201):
                raise vt.HarnessError("upload %s: HTTP %d %r" % (name, status, body[:300]))
        upload = time.time() - t0
        pw = os.path.join(tmp, "pw")
        with open(pw, "w") as f:
            f.write(SECRET + "\n")
        conf = os.path.join(tmp, "vea.conf")
        with open(conf, "w") as f:
            f.write("[vea]\ndatabase = %s\n\n[client:dana]\nemail = dana@example.test\n"
                    "timezone = America/New_York\nworking_hours = mon-fri 09:00-18:00\n"
                    "meeting_buffer = 5m\nmax_meetings_per_day = 12\ninvitation_horizon = 8w\n\n"
                    % os.path.join(tmp, "vea.db"))
            for cid, role, extra in (("work", "primary", ""), ("personal", "busy", ""),
                                     ("holidays", "holiday", "ics = true\n")):
                f.write("[calendar:%s]\nclient = dana\nurl = %s\nrole = %s\nuser = dana\n"
                        "password_cmd = cat %s\n%s\n" % (cid, dav.collection_url("dana", cid), role, pw, extra))
        # Warm Radicale's item cache once, as a long-running server would be.
        dav.report("dana", "work", stamp(NOW_T), stamp(NOW_T + 86400))
        dav.report("dana", "personal", stamp(NOW_T), stamp(NOW_T + 86400))
        # The executive's own devices sync these collections: Radicale
        # builds its sync history (a file per item) the first time any
        # client asks for sync-collection. Done here, as another client,
        # and timed: it is the server's cost once per collection.
        t0 = time.time()
        for name in ("work", "personal"):
            status, _, body = dav.request(
                "REPORT", dav.collection("dana", name), "dana",
                '<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level>'
                '<D:prop><D:getetag/></D:prop></D:sync-collection>', {"Content-Type": "application/xml"})
            if status != 207:
                raise vt.HarnessError("sync-collection %s: HTTP %d" % (name, status))
        history = time.time() - t0
        r = subprocess.run([tool, conf, "dana", str(INVITATIONS), str(n_server),
                            os.path.join(tmp, "sync.db")],
                           capture_output=True, text=True, env=dict(os.environ, VEA_NOW=NOW),
                           timeout=7200)
        if r.returncode != 0:
            sys.stderr.write("bench_calendar: %s exited with %d\n%s" % (tool, r.returncode, r.stderr))
            return 1
        sys.stderr.write(r.stderr)
        res = json.loads(r.stdout)
    vt.shutil.rmtree(tmp, ignore_errors=True) if not vt.keep_tmp() else None
    per_vea = res["per_decision_ms"]
    per_server = res["server_per_invitation_ms"]
    print("bench_calendar: %d events in 3 calendars (%d recurring series), uploaded in %.1f s"
          % (events, n_series, upload))
    print("  sync once (REPORT over 8 weeks + feed GET, expand): %.2f s, %d objects -> %d busy intervals"
          % (res["sync_s"], res["objects"], res["busy_intervals"]))
    whole = res["sync_s"]

    def ratio(key):
        return res[key] / whole if whole > 0 else 0.0
    print("  incremental sync (copies in SQLite: ctag, sync-collection, multiget, conditional GET), same run:")
    print("    (Radicale's first sync-collection ever on the two collections, by another client: %.2f s;"
          " it builds its sync history once)" % history)
    print("    whole read (no copy)       %.3f s  1.00x  %d objects" % (whole, res["objects"]))
    print("    first sync (into the copy) %.3f s  %.2fx  %d fetched, %d read into the index, %d busy"
          % (res["first_sync_s"], ratio("first_sync_s"), res["first_fetched"], res["first_objects"],
             res["first_busy"]))
    print("    nothing changed            %.3f s  %.2fx  %d fetched (the feed: Radicale has no 304), %d read from"
          " the copy, %d collections with the same ctag"
          % (res["unchanged_sync_s"], ratio("unchanged_sync_s"), res["unchanged_fetched"],
             res["unchanged_objects"], res["collections_unchanged"]))
    print("    %d events changed by PUT    %.3f s  %.2fx  %d fetched, %d busy"
          % (res["changed_events"], res["changed_sync_s"], ratio("changed_sync_s"), res["changed_fetched"],
             res["changed_busy"]))
    same = res["first_busy"] == res["busy_intervals"] == res["unchanged_busy"] == res["changed_busy"]
    sync_ok = ratio("first_sync_s") <= 1.5 and res["unchanged_sync_s"] * 3 <= whole and same
    print("    busy intervals the same in all four: %s" % ("yes" if same else "NO"))
    print("    target (first sync <= 1.5x the whole read, nothing changed >= 3x faster): %s"
          % ("met" if sync_ok else "NOT met"))
    print("  vea:    %d decisions in %.3f s = %.0f decisions/s, %.3f ms each (worst %.3f ms)"
          % (res["decisions"], res["decide_s"], res["decisions_per_s"], per_vea, res["worst_decision_ms"]))
    print("          verdicts: free %d, conflict %d, outside hours %d, holiday %d, too many %d"
          % (res["free"], res["conflict"], res["outside_hours"], res["holiday"], res["too_many"]))
    print("  vea, free path: %d invitations at night (hours and daily maximum not enforced): %.3f ms each"
          " (worst %.3f ms); free %d, holiday %d, conflict (all-day events) %d"
          % (res["free_path_decisions"], res["free_path_per_decision_ms"], res["free_path_worst_ms"],
             res["free_path_free"], res["free_path_holiday"], res["free_path_conflict"]))
    sample = "" if res["server_invitations"] == res["decisions"] else \
        " (a sample of %d of the %d)" % (res["server_invitations"], res["decisions"])
    print("  server: %d invitations asked of Radicale%s in %.2f s = %.2f ms each (2 REPORTs per invitation)"
          % (res["server_invitations"], sample, res["server_s"], per_server))
    if per_vea > 0 and per_server > 0:
        print("  ratio:  vea is %.0fx faster than asking the server per invitation (slower of vea's two passes)"
              % (per_server / per_vea))
        print("          including the one sync amortised over %d invitations: %.0fx"
              % (res["decisions"], per_server * res["decisions"] / 1000.0 /
                 (res["decide_s"] + res["sync_s"])))
    per_vea = max(per_vea, res["free_path_per_decision_ms"])
    ok = per_vea < 5.0 and (per_server / per_vea if per_vea else 0) >= 10
    print("  target (>= 10x the server, < 5 ms per decision): %s" % ("met" if ok else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
