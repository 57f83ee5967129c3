#!/usr/bin/python3
"""Invitations answered against the executive's real calendars (issue 14),
end to end: Dovecot, the SMTP server delivering into Dovecot, Radicale as
the CalDAV server (all started here on loopback), VEA_NOW fixed.

What a user would notice:
 1. a free invitation within working hours, accepted by a :send rule: the
    organizer gets one iTIP REPLY (METHOD:REPLY, the same UID and
    SEQUENCE, exactly one ATTENDEE, Dana, PARTSTAT=ACCEPTED) in
    multipart/alternative from Dana; the event is in her primary calendar
    in Radicale, without METHOD, her PARTSTAT ACCEPTED;
 2. an invitation that conflicts with an event of her busy calendar: the
    proposed decline waits (vea schedule list names the conflict); vea
    schedule approve sends it; nothing is written to the calendar;
 3. one outside working hours: proposed, then dropped by vea schedule
    decline: nothing is sent;
 4. the same invitation again is not answered twice; an update (a higher
    SEQUENCE) is a new decision;
 5. a cancellation from someone else than the organizer is ignored; the
    organizer's is recorded;
 6. a calendar with a wrong password: a clear error naming it, the
    message is still triaged, and even a :send rule waits for approval;
 10. an event already in the calendar under another name is found by its
    UID (Radicale's no-uid-conflict names no href) and updated, not
    duplicated.
"""

import email
import email.policy
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from smtpd import SMTPServer  # noqa: E402
import radicale  # noqa: E402

NOW = "2026-11-02T12:00:00Z"   # Monday, 07:00 in New York
LATER = "2026-11-02T12:05:00Z"
DANA = "dana@example.test"
RAJ = "raj@lumen.example"
EVE = "eve@elsewhere.example"
SECRET = "dav-secret"

RULES = r'''require ["vnd.vea", "variables", "fileinto"];
if invite :method "cancel" { schedule :decline; stop; }
if invite :method "request" :free :withinhours {
    schedule :accept :send :comment "Looking forward to it";
    stop;
}
if invite :method "request" {
    schedule :decline :comment "Sorry: ${invite.conflict}";
    stop;
}
'''

DENTIST = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
           "UID:dentist@dana\r\nDTSTAMP:20261001T000000Z\r\nSUMMARY:Dentist\r\n"
           "DTSTART:20261110T190000Z\r\nDTEND:20261110T200000Z\r\nEND:VEVENT\r\n"
           "END:VCALENDAR\r\n")


def ics(method, uid, start, end, seq=0, summary="Investor sync", attendee=DANA):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//lumen//EN\r\nMETHOD:%s\r\n"
            "BEGIN:VEVENT\r\nUID:%s\r\nSEQUENCE:%d\r\nDTSTAMP:20261101T090000Z\r\n"
            "ORGANIZER;CN=Raj:mailto:%s\r\n"
            "ATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:%s\r\n"
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:%s\r\n"
            "SUMMARY:%s\r\nDTSTART:%s\r\nDTEND:%s\r\n%sEND:VEVENT\r\nEND:VCALENDAR\r\n"
            % (method, uid, seq, RAJ, attendee, RAJ, summary, start, end,
               "STATUS:CANCELLED\r\n" if method == "CANCEL" else ""))


def invitation_mail(mid, calendar, method="REQUEST", sender=RAJ, to=DANA):
    boundary = "b-%s" % mid
    return ("From: Raj <%s>\r\nTo: %s\r\nSubject: Invitation\r\nDate: Mon, 2 Nov 2026 11:00:00 "
            "+0000\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
            "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nYou are invited.\r\n"
            "--%s\r\nContent-Type: text/calendar; charset=utf-8; method=%s\r\n\r\n%s"
            "--%s--\r\n" % (sender, to, mid, boundary, boundary, boundary, method, calendar,
                            boundary)).encode()


def replies(d, user):
    """The iTIP REPLYs user received: (message, calendar text)."""
    out = []
    for m in d.messages(user, body=True):
        if m["mailbox"] == "Sent":
            continue
        msg = email.message_from_bytes(m["data"], policy=email.policy.default)
        for part in msg.walk():
            if part.get_content_type() == "text/calendar":
                out.append((msg, part.get_content()))
    return out


def unfold(text):
    return text.replace("\r\n ", "").replace("\n ", "")


def config(d, dav, smtp, tmp, name, user, password=SECRET):
    cdir = os.path.join(tmp, name)
    os.makedirs(os.path.join(cdir, "rules"), exist_ok=True)
    with open(os.path.join(cdir, "rules", "dana.sieve"), "w") as f:
        f.write(RULES)
    pw = os.path.join(cdir, "dav.pw")
    with open(pw, "w") as f:
        f.write(password + "\n")
    if user not in d.users:
        d.add_user(user, "pw")
    extra = ""
    for cid, coll, role in (("%s-work" % name, "work", "primary"),
                            ("%s-personal" % name, "personal", "busy")):
        extra += ("[calendar:%s]\nclient = dana\nurl = %s\nrole = %s\nuser = dana\n"
                  "password_cmd = cat %s\n\n" % (cid, dav.collection_url("dana", coll), role, pw))
    return vt.write_config(
        os.path.join(cdir, "vea.conf"), dovecot=d,
        clients={"dana": {"name": "Dana Whitfield", "email": user,
                          "timezone": "America/New_York", "rules": ["dana.sieve"],
                          "working_hours": "mon-fri 09:00-18:00"}},
        accounts={"dana-work": {"client": "dana", "user": user, "password": "pw",
                                "smtp_url": smtp.url, "smtp_user": "u",
                                "smtp_password_cmd": "echo p", "smtp_tls": "none"}},
        rules_dir=os.path.join(cdir, "rules"), extra=extra)


def run(cfg, now=NOW, check=True):
    return vt.run_vea(["run", "--once"], cfg, check=check, timeout=120, env={"VEA_NOW": now})


def schedule_rows(cfg):
    return vt.db_query(cfg.db, "SELECT id, event_uid, sequence, method, partstat, mode, state,"
                               " verdict, result, stored FROM schedule_decisions ORDER BY id")


def main():
    t = vt.TAP(timeout=900)
    why = radicale.available()
    if why:
        t.skip("scheduling against Radicale", why)
        return t.done()
    tmp = vt.mkdtemp("vea-schedule-")
    d = vt.Dovecot()
    for u in (DANA, RAJ, EVE):
        d.add_user(u, "pw")
    d.start()
    smtp = SMTPServer(home=os.path.join(d.dir, "home"), log=os.path.join(tmp, "smtp.log"),
                      auth="u:p").start()
    dav = radicale.Radicale({"dana": SECRET}).start()
    try:
        for coll in ("work", "personal"):
            dav.mkcalendar("dana", coll)
        status, _ = dav.put("dana", "personal", "dentist.ics", DENTIST)
        assert status == 201, status
        status, _ = dav.put("dana", "personal", "board.ics", DENTIST.replace(
            "dentist@dana", "board@dana").replace("Dentist", "Board call").replace(
            "20261110T190000Z", "20261103T150000Z").replace("20261110T200000Z",
                                                            "20261103T160000Z"))
        assert status == 201, status
        cfg = config(d, dav, smtp, tmp, "main", DANA)

        # -------------------------------------------------- 1. accepted
        free = ics("REQUEST", "sync-1@lumen", "20261110T150000Z", "20261110T160000Z")
        d.append(DANA, "INBOX", invitation_mail("inv1@lumen", free))
        with t.case("1a. a free invitation in working hours: Raj gets one REPLY, ACCEPTED, same "
                    "UID and SEQUENCE, one ATTENDEE (Dana), from Dana"):
            run(cfg)
            got = replies(d, RAJ)
            vt.assert_eq(len(got), 1, "replies Raj got")
            msg, cal = got[0]
            cal = unfold(cal)
            assert DANA in msg["From"], msg["From"]
            assert "METHOD:REPLY" in cal, cal
            assert "UID:sync-1@lumen" in cal and "SEQUENCE:0" in cal, cal
            attendees = [line for line in cal.splitlines() if line.startswith("ATTENDEE")]
            vt.assert_eq(len(attendees), 1, "ATTENDEEs in the REPLY")
            assert "PARTSTAT=ACCEPTED" in attendees[0] and DANA in attendees[0].lower(), attendees
            assert "Looking forward to it" in cal, cal
            assert msg.get_content_type() == "multipart/alternative", msg.get_content_type()
            # read back with libical
            got = vt.ical_parse(got[0][1])
            vt.assert_eq(got["method"], "REPLY", "METHOD (libical)")
            vt.assert_eq([(e["uid"], e["sequence"], e["start"], e["attendees"])
                          for e in got["events"]],
                         [("sync-1@lumen", 0, 1794322800, {"mailto:%s" % DANA: "ACCEPTED"})],
                         "the REPLY's VEVENT (libical)")
        with t.case("1b. the accepted event is in Dana's primary calendar (Radicale): no "
                    "METHOD, her PARTSTAT ACCEPTED"):
            body = dav.report("dana", "work", "20261101T000000Z", "20261201T000000Z")
            assert b"UID:sync-1@lumen" in body.replace(b"\r\n ", b""), body
            text = unfold(body.decode()).replace("&#13;", "")
            assert "METHOD:" not in text, text
            dana_line = [line for line in text.splitlines()
                         if line.startswith("ATTENDEE") and DANA in line.lower()]
            assert dana_line and "PARTSTAT=ACCEPTED" in dana_line[0], text
        with t.case("1c. vea log shows the answer with its rule line"):
            rc, out, err = vt.run_vea(["log"], cfg, check=True)
            line = [x for x in out.splitlines() if "schedule ACCEPTED" in x]
            assert line and "[dana.sieve:4]" in line[0] and "sent to raj@lumen.example" in line[0], out

        # -------------------------------------------------- 2. conflict
        clash = ics("REQUEST", "clash-1@lumen", "20261110T193000Z", "20261110T203000Z",
                    summary="Late sync")
        d.append(DANA, "INBOX", invitation_mail("inv2@lumen", clash))
        with t.case("2a. a conflict with the busy calendar: the proposed decline waits, vea "
                    "schedule list names the conflict; nothing sent yet"):
            run(cfg)
            rc, out, err = vt.run_vea(["schedule", "list"], cfg, check=True)
            assert "Late sync" in out and "DECLINED" in out and "Dentist" in out, out
            vt.assert_eq(len(replies(d, RAJ)), 1, "replies Raj got")
        with t.case("2b. vea schedule approve sends the DECLINED REPLY once; no event is "
                    "written"):
            rows = [r for r in schedule_rows(cfg) if r["event_uid"] == "clash-1@lumen"]
            vt.run_vea(["schedule", "approve", str(rows[0]["id"])], cfg, check=True,
                       env={"VEA_NOW": LATER})
            run(cfg, LATER)
            run(cfg, LATER)
            got = replies(d, RAJ)
            vt.assert_eq(len(got), 2, "replies Raj got")
            assert "PARTSTAT=DECLINED" in unfold(got[1][1]), got[1][1]
            # read back with libical
            ev = vt.ical_parse(got[1][1])["events"]
            vt.assert_eq([(e["uid"], e["attendees"]) for e in ev],
                         [("clash-1@lumen", {"mailto:%s" % DANA: "DECLINED"})],
                         "the DECLINED REPLY (libical)")
            body = dav.report("dana", "work", "20261101T000000Z", "20261201T000000Z")
            assert b"clash-1@lumen" not in body, body

        # ---------------------------------------------- 3. outside hours
        early = ics("REQUEST", "early-1@lumen", "20261111T120000Z", "20261111T130000Z",
                    summary="Breakfast")
        d.append(DANA, "INBOX", invitation_mail("inv3@lumen", early))
        with t.case("3. outside working hours (07:00 in New York): proposed, then dropped by "
                    "vea schedule decline: nothing sent"):
            run(cfg, LATER)
            rows = [r for r in schedule_rows(cfg) if r["event_uid"] == "early-1@lumen"]
            vt.assert_eq([r["state"] for r in rows], ["waiting"], "states")
            assert "working hours" in rows[0]["verdict"], rows
            vt.run_vea(["schedule", "decline", str(rows[0]["id"])], cfg, check=True,
                       env={"VEA_NOW": LATER})
            run(cfg, LATER)
            vt.assert_eq(len(replies(d, RAJ)), 2, "replies Raj got")
            rows = [r for r in schedule_rows(cfg) if r["event_uid"] == "early-1@lumen"]
            vt.assert_eq(rows[0]["state"], "declined", "state")
            body = dav.report("dana", "work", "20261101T000000Z", "20261201T000000Z")
            assert b"early-1@lumen" not in body, body

        # ---------------------------------------------- 4. again, update
        with t.case("4. the same invitation again is not answered twice; a higher SEQUENCE is "
                    "a new decision"):
            d.append(DANA, "INBOX", invitation_mail("inv1b@lumen", free))
            run(cfg, LATER)
            vt.assert_eq(len(replies(d, RAJ)), 2, "replies Raj got")
            rows = vt.db_query(cfg.db, "SELECT reason FROM actions WHERE action = 'schedule' "
                                       "AND state = 'skipped'")
            assert any("already answered" in r["reason"] for r in rows), rows
            moved = ics("REQUEST", "sync-1@lumen", "20261110T160000Z", "20261110T170000Z", seq=1)
            d.append(DANA, "INBOX", invitation_mail("inv1c@lumen", moved))
            run(cfg, LATER)
            run(cfg, LATER)
            got = replies(d, RAJ)
            vt.assert_eq(len(got), 3, "replies Raj got")
            assert "SEQUENCE:1" in unfold(got[2][1]), got[2][1]
            # read back with libical
            ev = vt.ical_parse(got[2][1])["events"]
            vt.assert_eq([(e["sequence"], e["start"], e["attendees"]) for e in ev],
                         [(1, 1794326400, {"mailto:%s" % DANA: "ACCEPTED"})],
                         "the REPLY to the moved meeting (libical)")
            # ... and the event in Radicale moved with it, once.
            body = dav.report("dana", "work", "20261101T000000Z", "20261201T000000Z")
            text = unfold(body.decode()).replace("&#13;", "")
            vt.assert_eq(text.count("UID:sync-1@lumen"), 1, "copies of the event")
            obj = "BEGIN:VCALENDAR" + text.split("UID:sync-1@lumen")[0].rsplit(
                "BEGIN:VCALENDAR", 1)[1] + "UID:sync-1@lumen" + \
                text.split("UID:sync-1@lumen")[1].split("END:VCALENDAR")[0] + "END:VCALENDAR\n"
            ev = vt.ical_parse(obj)["events"]
            vt.assert_eq([(e["sequence"], e["start"], e["attendees"].get("mailto:%s" % DANA))
                          for e in ev], [(1, 1794326400, "ACCEPTED")],
                         "the event in Radicale after the update (libical)")

        # ---------------------------------------------------- 5. cancels
        with t.case("5. a cancellation from someone else is ignored (the event stays in "
                    "Radicale); the organizer's is recorded and the event marked cancelled"):
            cancel = ics("CANCEL", "sync-1@lumen", "20261110T160000Z", "20261110T170000Z", seq=2)
            d.append(DANA, "INBOX", invitation_mail("c1@evil", cancel, "CANCEL", sender=EVE))
            run(cfg, LATER)
            rows = vt.db_query(cfg.db, "SELECT reason FROM actions WHERE action = 'schedule' "
                                       "ORDER BY id DESC LIMIT 1")
            assert "not sent by the organizer" in rows[0]["reason"], rows

            def sync1_status():
                body = dav.report("dana", "work", "20261101T000000Z", "20261201T000000Z")
                text = unfold(body.decode()).replace("&#13;", "")
                event = text.split("UID:sync-1@lumen")[0].rsplit("BEGIN:VEVENT", 1)[-1] + \
                    text.split("UID:sync-1@lumen")[1].split("END:VEVENT")[0]
                return "cancelled" if "STATUS:CANCELLED" in event else "confirmed"

            vt.assert_eq(sync1_status(), "confirmed", "the event after a spoofed cancel")
            d.append(DANA, "INBOX", invitation_mail("c2@lumen", cancel, "CANCEL"))
            run(cfg, LATER)
            states = [r["state"] for r in schedule_rows(cfg) if r["method"] == "CANCEL"]
            vt.assert_eq(states, ["cancelled"], "cancellations recorded")
            vt.assert_eq(sync1_status(), "cancelled", "the event after the organizer's cancel")

        # -------------------------------------------- 6. a calendar down
        with t.case("6. a wrong calendar password: an error naming the calendar, the message "
                    "still triaged, and the :send rule waits for approval"):
            user = "dana-bad@example.test"
            bcfg = config(d, dav, smtp, tmp, "bad", user, password="wrong")
            d.append(user, "INBOX", invitation_mail(
                "inv9@lumen", ics("REQUEST", "sync-9@lumen", "20261112T150000Z",
                                  "20261112T160000Z", attendee=user), to=user))
            rc, out, err = run(bcfg, check=None)
            assert "calendar bad-work" in err or "calendar bad-personal" in err, err
            rows = schedule_rows(bcfg)
            vt.assert_eq([(r["state"], r["partstat"]) for r in rows], [("waiting", "DECLINED")],
                         "decisions")
            assert "could not be read" in rows[0]["verdict"], rows
            assert not any("sync-9@lumen" in c for _, c in replies(d, RAJ)), "a reply was sent"
            keep = vt.db_query(bcfg.db, "SELECT state FROM actions WHERE action = 'keep'")
            vt.assert_eq([r["state"] for r in keep], ["done"], "the message triaged")
            vt.assert_eq(len([m for m in d.messages(user) if m["mailbox"] == "INBOX"]), 1,
                         "the message in INBOX")
        with t.case("7. the digest's Meetings: today and tomorrow from her calendars, answers "
                    "sent on Dana's behalf; the one waiting for approval, with why, and the "
                    "calendar that could not be read"):
            rc, out, err = vt.run_vea(["digest", "preview", "dana", "--text"], cfg, check=True,
                                      env={"VEA_NOW": LATER})
            assert "MEETINGS" in out and "Answered on your behalf" in out, out
            assert "Accepted: Investor sync" in out and "Declined: Late sync" in out, out
            assert "Today and tomorrow:" in out and "Tue 10:00-11:00  Board call" in out, out
            rc, out, err = vt.run_vea(["digest", "preview", "dana", "--text"], bcfg, check=True,
                                      env={"VEA_NOW": LATER})
            assert "Waiting for your assistant's approval (1)" in out, out
            assert "proposed: Declined" in out and "could not be read" in out, out
            assert "Not read (invitations wait for approval): wrong password for calendar bad-" \
                in out, out
        with t.case("9. vea rules test reads the invitation offline: ${invite.*} filled, the "
                    ":free rule not taken (no calendar read), and it says so"):
            inv = os.path.join(tmp, "inv.eml")
            with open(inv, "wb") as f:
                f.write(invitation_mail("offline@lumen", free))
            rules = os.path.join(tmp, "offline.sieve")
            with open(rules, "w") as f:
                f.write(RULES.replace('"Sorry: ${invite.conflict}"', '"Sorry: ${invite.start}"'))
            rc, out, err = vt.run_vea(["rules", "test", "--timezone", "America/New_York", rules,
                                       inv], check=True)
            assert 'schedule DECLINED "Sorry: Tue 10 Nov 2026 10:00"' in out, out
            assert "an invitation: REQUEST from raj@lumen.example" in out, out

        with t.case("10. the event is in Radicale under another name already (her own client "
                    "put it there): the 409 no-uid-conflict names no href, vea finds it by UID "
                    "and updates it (If-Match): one object, one REPLY"):
            own = ics("REQUEST", "own-copy@lumen", "20261113T150000Z", "20261113T160000Z",
                      summary="Offsite").replace("METHOD:REQUEST\r\n", "")
            status, _ = dav.put("dana", "work", "her-client-put-it-here.ics", own)
            assert status == 201, status
            d.append(DANA, "INBOX", invitation_mail("own@lumen", ics(
                "REQUEST", "own-copy@lumen", "20261113T150000Z", "20261113T160000Z",
                summary="Offsite")))
            run(cfg, LATER)
            run(cfg, LATER)
            got = [c for _, c in replies(d, RAJ) if "own-copy@lumen" in unfold(c)]
            vt.assert_eq(len(got), 1, "REPLYs for the event")
            rows = [r for r in schedule_rows(cfg) if r["event_uid"] == "own-copy@lumen"]
            vt.assert_eq([(r["state"], r["stored"]) for r in rows], [("sent", "done")], "decision")
            body = unfold(dav.report("dana", "work", "20261101T000000Z",
                                     "20261201T000000Z").decode()).replace("&#13;", "")
            vt.assert_eq(body.count("UID:own-copy@lumen"), 1, "objects with the UID")
            assert "her-client-put-it-here.ics" in body, body
            event = body.split("UID:own-copy@lumen")[1].split("END:VEVENT")[0] + \
                body.split("UID:own-copy@lumen")[0].rsplit("BEGIN:VEVENT", 1)[-1]
            assert "PARTSTAT=ACCEPTED" in event and "SCHEDULE-AGENT=CLIENT" in event, event

        # ------------------------------------------- 8. kill -9 while sending
        with t.case("8. kill -9 while answering 12 invitations (>= 10 kills): each organizer "
                    "gets the identical REPLY at most twice, never a different one, and each "
                    "event is written to the calendar once"):
            import random
            import signal
            import subprocess
            slow = SMTPServer(home=os.path.join(d.dir, "home"),
                              log=os.path.join(tmp, "smtp-slow.log"), auth="u:p",
                              delay_before_reply=0.3).start()
            try:
                user = "dana-kill@example.test"
                dav.mkcalendar("dana", "killwork")
                kcfg = config(d, dav, slow, tmp, "kill", user)
                text = open(kcfg.path).read().replace(dav.collection_url("dana", "work"),
                                                      dav.collection_url("dana", "killwork"))
                open(kcfg.path, "w").write(text)
                organizers = ["org%02d@lumen.example" % i for i in range(12)]
                mails = []
                for i, org in enumerate(organizers):
                    d.add_user(org, "pw")
                    cal = ics("REQUEST", "kill-%d@lumen" % i, "20261116T%02d0000Z" % (14 + i % 6),
                              "20261116T%02d3000Z" % (14 + i % 6), attendee=user)
                    cal = cal.replace("mailto:%s\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:%s"
                                      % (user, RAJ), "mailto:%s\r\nATTENDEE;PARTSTAT=ACCEPTED:"
                                      "mailto:%s" % (user, org))
                    cal = cal.replace("ORGANIZER;CN=Raj:mailto:%s" % RAJ,
                                      "ORGANIZER;CN=Org:mailto:%s" % org)
                    if i >= 6:
                        # a second day, so that no two of them overlap
                        cal = cal.replace("20261116", "20261117")
                    mails.append(invitation_mail("k%d@lumen" % i, cal, sender=org, to=user))
                d.append_many(user, "INBOX", mails)
                rng = random.Random(7)
                kills = rounds = 0
                env = dict(os.environ, VEA_NOW=NOW, LC_ALL="C.UTF-8")
                while (kills < 10 or rounds < 12) and rounds < 40:
                    rounds += 1
                    env["VEA_NOW"] = "2026-11-02T12:%02d:00Z" % min(59, rounds * 2)
                    p = subprocess.Popen([vt.vea_binary(), "-c", kcfg.path, "run"],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         env=env)
                    time.sleep(rng.uniform(0.3, 1.5))
                    if p.poll() is None:
                        p.send_signal(signal.SIGKILL)
                        kills += 1
                    p.wait()
                # The leases of killed senders (20 minutes) run out first.
                run(kcfg, "2026-11-02T14:00:00Z")
                run(kcfg, "2026-11-02T14:01:00Z")
                t.diag("kill -9: %d kills in %d rounds" % (kills, rounds))
                assert kills >= 10, "only %d kills" % kills
                twice = 0
                for i, org in enumerate(organizers):
                    got = replies(d, org)
                    assert 1 <= len(got) <= 2, "%s got %d replies" % (org, len(got))
                    ids = {str(m["Message-ID"]) for m, _ in got}
                    bodies = {unfold(c) for _, c in got}
                    assert len(ids) == 1 and len(bodies) == 1, "different replies to %s" % org
                    twice += len(got) == 2
                t.diag("REPLYs delivered twice after a kill: %d of %d" % (twice, len(organizers)))
                body = dav.report("dana", "killwork", "20261101T000000Z", "20261201T000000Z")
                body = body.replace(b"\r\n ", b"")
                for i in range(len(organizers)):
                    vt.assert_eq(body.count(b"UID:kill-%d@lumen\r" % i) +
                                 body.count(b"UID:kill-%d@lumen&#13;" % i), 1,
                                 "events kill-%d in the calendar" % i)
            finally:
                slow.stop()
    finally:
        dav.stop()
        smtp.stop()
        d.stop()
    return t.done()


if __name__ == "__main__":
    vt.main(main)
