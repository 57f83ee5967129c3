#!/usr/bin/python3
"""Invitations answered through a calendar server that does implicit
scheduling (issue 14, RFC 6638): "vea changes PARTSTAT on the server
instead and sends nothing itself: never two replies". End to end against
Dovecot, the SMTP server delivering into Dovecot (what vea mails) and a
private Cyrus 3.6 httpd (tests/harness/cyrus.py), whose sendmail files
every message Cyrus sends: the test reads exactly what the server sent.

Cyrus sends replies only for events in the future by the real wall clock:
the invitations are dated next week by time.time(), and VEA_NOW is the
real time too.

What a user would notice:
 1. accepted with :send: the organizer gets exactly one REPLY, from Cyrus,
    PARTSTAT=ACCEPTED; nothing in vea's outbox, nothing over SMTP; vea
    schedule list, vea log and the digest say "answered through the
    calendar server (RFC 6638)";
 2. vea run again: no second reply; nor after a crash between the PUT
    and recording it; an update accepted again (Cyrus sends nothing for an
    unchanged PARTSTAT) is mailed by vea, once;
 3. the approval flow: nothing until vea schedule approve N; then one
    reply;
 4. a decline: one DECLINED reply from Cyrus (the event is written,
    DECLINED), and the declined meeting does not make its slot busy;
 5. :draft waits for approval and says why;
 6. Cyrus holds a copy of the event under another name: vea follows the
    403 to it and updates it (If-Match): one reply, one object;
 7. schedule_agent = client: vea's own REPLY over SMTP, ORGANIZER marked
    SCHEDULE-AGENT=CLIENT in Cyrus, and Cyrus sends nothing; an answer
    proposed for Cyrus but approved after that setting is mailed by vea;
 8. kill -9 while answering, then runs to the end: each organizer gets
    exactly one reply from Cyrus, never two, never two different ones;
 9. a series with one instance in the way, approved: the series accepted
    and that instance declined, both told by Cyrus.
"""

import email
import email.policy
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from smtpd import SMTPServer  # noqa: E402
import cyrus  # noqa: E402

RAJ = "raj@lumen.example"
SECRET = "cyrus-secret"
VIA = "answered through the calendar server (RFC 6638)"

RULES = r'''require ["vnd.vea", "fileinto"];
if header :contains "subject" "[accept]" { schedule :accept :send; stop; }
if header :contains "subject" "[approve]" { schedule :accept; stop; }
if header :contains "subject" "[decline]" { schedule :decline :send; stop; }
if header :contains "subject" "[draft]" { schedule :tentative :draft; stop; }
'''


def stamp(t):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


# Next week by the real clock, on the hour, a slot per invitation.
BASE = (int(time.time()) // 3600 + 7 * 24) * 3600


def slot(n):
    return BASE + n * 2 * 3600


def ics(uid, attendee, start, organizer=RAJ, seq=0, summary="Investor sync"):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//lumen//EN\r\nMETHOD:REQUEST\r\n"
            "BEGIN:VEVENT\r\nUID:%s\r\nSEQUENCE:%d\r\nDTSTAMP:%s\r\n"
            "ORGANIZER;CN=Raj:mailto:%s\r\n"
            "ATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:%s\r\n"
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:%s\r\n"
            "SUMMARY:%s\r\nDTSTART:%s\r\nDTEND:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            % (uid, seq, stamp(time.time() - 3600), organizer, attendee, organizer, summary,
               stamp(start), stamp(start + 3600)))


def invitation_mail(mid, subject, calendar, to, sender=RAJ):
    boundary = "b-%s" % mid
    return ("From: Raj <%s>\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
            "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nYou are invited.\r\n"
            "--%s\r\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\n%s"
            "--%s--\r\n" % (sender, to, subject,
                            time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
                            mid, boundary, boundary, boundary, calendar, boundary)).encode()


def unfold(text):
    return text.replace("\r\n ", "").replace("\n ", "").replace("\r\n", "\n")


def calendar_parts(data):
    msg = email.message_from_bytes(data, policy=email.policy.default)
    out = []
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            out.append(unfold(part.get_content()))
    return msg, out


def server_replies(cy, uid):
    """What Cyrus sent about uid: a list of (envelope, the executive's
    PARTSTAT lines, calendar text)."""
    out = []
    for env, data in cy.sent():
        msg, cals = calendar_parts(data)
        for cal in cals:
            if "METHOD:REPLY" in cal and ("UID:%s\n" % uid) in cal:
                att = [x for x in cal.splitlines() if x.startswith("ATTENDEE")]
                out.append((env, att, cal))
                break
    return out


def smtp_replies(d, user, uid):
    """REPLYs about uid that reached user's mailbox over SMTP (vea's)."""
    out = []
    for m in d.messages(user, body=True):
        if m["mailbox"] == "Sent":
            continue
        msg, cals = calendar_parts(m["data"])
        for cal in cals:
            if ("UID:%s\n" % uid) in cal:
                out.append((msg, cal))
    return out


def partstat(att_lines):
    for line in att_lines:
        for p in line.split(":")[0].split(";"):
            if p.startswith("PARTSTAT="):
                return p[9:]
    return None


def config(d, cy, smtp, tmp, name, user, schedule_agent=None):
    """vea for the Cyrus user `user` (the executive user@example.test)."""
    email_addr = "%s@%s" % (user, cyrus.DOMAIN)
    cdir = os.path.join(tmp, name)
    os.makedirs(os.path.join(cdir, "rules"), exist_ok=True)
    with open(os.path.join(cdir, "rules", "exec.sieve"), "w") as f:
        f.write(RULES)
    pw = os.path.join(cdir, "dav.pw")
    with open(pw, "w") as f:
        f.write(cy.users[user] + "\n")
    if email_addr not in d.users:
        d.add_user(email_addr, "pw")
    extra = ("[calendar:%s-work]\nclient = %s\nurl = %s\nrole = primary\nuser = %s\n"
             "password_cmd = cat %s\n%s\n" % (name, user, cy.collection_url(user), user, pw,
                                              "schedule_agent = %s\n" % schedule_agent
                                              if schedule_agent else ""))
    return vt.write_config(
        os.path.join(cdir, "vea.conf"), dovecot=d,
        clients={user: {"name": user.capitalize() + " Whitfield", "email": email_addr,
                        "timezone": "America/New_York", "rules": ["exec.sieve"]}},
        accounts={"%s-mail" % name: {"client": user, "user": email_addr, "password": "pw",
                                     "smtp_url": smtp.url, "smtp_user": "u",
                                     "smtp_password_cmd": "echo p", "smtp_tls": "none"}},
        rules_dir=os.path.join(cdir, "rules"), extra=extra)


def now_env():
    return {"VEA_NOW": iso(time.time())}


def run(cfg, check=True):
    return vt.run_vea(["run", "--once"], cfg, check=check, timeout=120, env=now_env())


def rows(cfg, uid=None):
    got = vt.db_query(cfg.db, "SELECT id, event_uid, partstat, mode, state, route, stored, result,"
                              " outbox_id FROM schedule_decisions ORDER BY id")
    return [r for r in got if uid is None or r["event_uid"] == uid]


def outbox_count(cfg):
    return vt.db_count(cfg.db, "outbox")


def wait_for(what, timeout=10):
    """Cyrus hands a reply to sendmail during the PUT; allow a moment."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if what():
            return True
        time.sleep(0.2)
    return what()


def main():
    t = vt.TAP(timeout=1200)
    why = cyrus.available()
    if why:
        t.skip("implicit scheduling against Cyrus", why)
        return t.done()
    tmp = vt.mkdtemp("vea-implicit-")
    d = vt.Dovecot()
    d.add_user(RAJ, "pw")
    d.start()
    smtp = SMTPServer(home=os.path.join(d.dir, "home"), log=os.path.join(tmp, "smtp.log"),
                      auth="u:p").start()
    cy = cyrus.Cyrus({"dana": SECRET, "carol": SECRET, "kim": SECRET}).start()
    dana = "dana@" + cyrus.DOMAIN
    try:
        cfg = config(d, cy, smtp, tmp, "main", "dana")
        with t.case("0. Cyrus announces implicit scheduling (DAV: calendar-auto-schedule), and "
                    "vea calendar check says the server will send the answers"):
            rc, out, err = vt.run_vea(["calendar", "check"], cfg, check=None, env=now_env())
            assert "calendar-auto-schedule" in out, (out, err)
            assert "answers to invitations: sent by the calendar server (RFC 6638)" in out, out

        # ---------------------------------------------- 1. accept :send
        uid = "accept-1@lumen"
        d.append(dana, "INBOX", invitation_mail("a1@lumen", "Sync [accept]",
                                                ics(uid, dana, slot(0)), dana))
        with t.case("1a. accepted with :send: exactly one REPLY, from Cyrus, PARTSTAT=ACCEPTED, "
                    "to the organizer; nothing in vea's outbox, nothing over SMTP"):
            run(cfg)
            assert wait_for(lambda: len(server_replies(cy, uid)) >= 1), cy.sent()
            got = server_replies(cy, uid)
            vt.assert_eq(len(got), 1, "replies Cyrus sent")
            env, att, cal = got[0]
            assert "to %s" % RAJ in env, env
            vt.assert_eq(len(att), 1, "ATTENDEEs in the REPLY")
            vt.assert_eq(partstat(att), "ACCEPTED", "PARTSTAT")
            assert dana in att[0].lower(), att
            vt.assert_eq(outbox_count(cfg), 0, "messages in vea's outbox")
            vt.assert_eq(smtp_replies(d, RAJ, uid), [], "REPLYs vea mailed")
            r = rows(cfg, uid)
            vt.assert_eq([(x["state"], x["route"], x["stored"]) for x in r],
                         [("sent", "server", "done")], "the decision")
        with t.case("1b. the event in Cyrus: her PARTSTAT ACCEPTED, no SCHEDULE-AGENT=CLIENT"):
            objs = cy.objects("dana")
            mine = [unfold(v) for v in objs.values() if "UID:%s" % uid in unfold(v)]
            vt.assert_eq(len(mine), 1, "objects with the UID")
            assert "SCHEDULE-AGENT=CLIENT" not in mine[0], mine[0]
            line = [x for x in mine[0].splitlines() if x.startswith("ATTENDEE") and dana in x.lower()]
            assert line and "PARTSTAT=ACCEPTED" in line[0], mine[0]
        with t.case("1c. vea schedule list, vea log and the digest say 'answered through the "
                    "calendar server (RFC 6638)'"):
            rc, out, err = vt.run_vea(["schedule", "list", "--all"], cfg, check=True, env=now_env())
            assert VIA in out, out
            rc, out, err = vt.run_vea(["log"], cfg, check=True, env=now_env())
            line = [x for x in out.splitlines() if "schedule ACCEPTED" in x]
            assert line and VIA in line[0], out
            rc, out, err = vt.run_vea(["digest", "preview", "dana", "--text"], cfg, check=True,
                                      env=now_env())
            assert "Answered on your behalf" in out and VIA in out, out
            html = os.path.join(tmp, "digest.html")
            vt.run_vea(["digest", "preview", "dana", "--html", html], cfg, check=True,
                       env=now_env())
            assert VIA in open(html, encoding="utf-8").read(), "the HTML digest"

        # ---------------------------------------------- 2. run twice
        with t.case("2. vea run again: no second reply"):
            run(cfg)
            run(cfg)
            time.sleep(1)
            vt.assert_eq(len(server_replies(cy, uid)), 1, "replies Cyrus sent")
            vt.assert_eq(outbox_count(cfg), 0, "messages in vea's outbox")

        with t.case("2b. a crash after the PUT, before vea recorded it (the row says not "
                    "written): the next run writes the same text again, and Cyrus sends no "
                    "second reply"):
            for u in (uid,):
                db = sqlite3.connect(cfg.db)
                db.execute("UPDATE schedule_decisions SET stored = '' WHERE event_uid = ?", (u,))
                db.commit()
                db.close()
            run(cfg)
            time.sleep(1)
            vt.assert_eq(rows(cfg, uid)[0]["stored"], "done", "stored")
            vt.assert_eq(len(server_replies(cy, uid)), 1, "replies Cyrus sent")

        with t.case("2c. an update (SEQUENCE 1, a new time) accepted again: Cyrus would not "
                    "answer an unchanged PARTSTAT, so vea mails the REPLY itself, once; the copy "
                    "in Cyrus has the new time and keeps Cyrus silent"):
            d.append(dana, "INBOX", invitation_mail("a1b@lumen", "Sync moved [accept]",
                                                    ics(uid, dana, slot(7), seq=1), dana))
            run(cfg)
            run(cfg)
            got = smtp_replies(d, RAJ, uid)
            vt.assert_eq(len(got), 1, "REPLYs vea mailed")
            assert "SEQUENCE:1" in got[0][1] and "PARTSTAT=ACCEPTED" in got[0][1], got[0][1]
            time.sleep(1)
            vt.assert_eq(len(server_replies(cy, uid)), 1, "replies Cyrus sent (the first only)")
            mine = [unfold(v) for v in cy.objects("dana").values() if "UID:%s" % uid in unfold(v)]
            vt.assert_eq(len(mine), 1, "objects with the UID")
            assert "SEQUENCE:1" in mine[0] and "DTSTART:%s" % stamp(slot(7)) in mine[0], mine[0]
            assert "SCHEDULE-AGENT=CLIENT" in mine[0], mine[0]
            vt.assert_eq([(x["route"], x["stored"]) for x in rows(cfg, uid)],
                         [("server", "done"), ("mail", "done")], "decisions")

        # ---------------------------------------------- 3. approval
        uid3 = "approve-1@lumen"
        d.append(dana, "INBOX", invitation_mail("a3@lumen", "Board [approve]",
                                                ics(uid3, dana, slot(1), summary="Board prep"),
                                                dana))
        with t.case("3a. the approval flow: the answer waits, vea schedule list says the calendar "
                    "server will send it; nothing sent yet"):
            run(cfg)
            r = rows(cfg, uid3)
            vt.assert_eq([(x["state"], x["route"]) for x in r], [("waiting", "server")], "decision")
            rc, out, err = vt.run_vea(["schedule", "list"], cfg, check=True, env=now_env())
            assert "Board prep" in out and "once approved: " + VIA in out, out
            time.sleep(1)
            vt.assert_eq(server_replies(cy, uid3), [], "replies Cyrus sent")
        with t.case("3b. vea schedule approve N, then vea run: one reply from Cyrus, ACCEPTED; "
                    "nothing queued by vea"):
            queued = outbox_count(cfg)
            rc, out, err = vt.run_vea(["schedule", "approve", str(r[0]["id"])], cfg, check=True,
                                      env=now_env())
            assert "calendar server" in out, out
            run(cfg)
            run(cfg)
            assert wait_for(lambda: len(server_replies(cy, uid3)) >= 1), cy.sent()
            time.sleep(1)
            got = server_replies(cy, uid3)
            vt.assert_eq(len(got), 1, "replies Cyrus sent")
            vt.assert_eq(partstat(got[0][1]), "ACCEPTED", "PARTSTAT")
            vt.assert_eq(outbox_count(cfg), queued, "messages in vea's outbox")
            rc, out, err = vt.run_vea(["schedule", "approve", str(r[0]["id"])], cfg, check=None,
                                      env=now_env())
            assert rc != 0, out

        # ---------------------------------------------- 4. decline
        uid4 = "decline-1@lumen"
        d.append(dana, "INBOX", invitation_mail("a4@lumen", "Pitch [decline]",
                                                ics(uid4, dana, slot(2), summary="Pitch"), dana))
        with t.case("4a. a decline with :send: one DECLINED reply from Cyrus; the event is in "
                    "the calendar, DECLINED; nothing mailed by vea"):
            queued = outbox_count(cfg)
            run(cfg)
            assert wait_for(lambda: len(server_replies(cy, uid4)) >= 1), cy.sent()
            time.sleep(1)
            got = server_replies(cy, uid4)
            vt.assert_eq(len(got), 1, "replies Cyrus sent")
            vt.assert_eq(partstat(got[0][1]), "DECLINED", "PARTSTAT")
            vt.assert_eq(outbox_count(cfg), queued, "messages in vea's outbox")
            mine = [unfold(v) for v in cy.objects("dana").values() if "UID:%s" % uid4 in unfold(v)]
            vt.assert_eq(len(mine), 1, "objects with the UID")
            assert "PARTSTAT=DECLINED" in mine[0], mine[0]
        uid4b = "after-decline@lumen"
        d.append(dana, "INBOX", invitation_mail("a4b@lumen", "Same slot [accept]",
                                                ics(uid4b, dana, slot(2), summary="Same slot"),
                                                dana))
        with t.case("4b. the slot of the declined meeting is free: a new invitation there is "
                    "accepted by the :send rule, not held as a conflict"):
            run(cfg)
            r = rows(cfg, uid4b)
            vt.assert_eq([(x["state"], x["partstat"]) for x in r], [("sent", "ACCEPTED")],
                         "decision")
            assert wait_for(lambda: len(server_replies(cy, uid4b)) == 1), cy.sent()

        # ---------------------------------------------- 5. draft
        uid5 = "draft-1@lumen"
        d.append(dana, "INBOX", invitation_mail("a5@lumen", "Lunch [draft]",
                                                ics(uid5, dana, slot(3), summary="Lunch"), dana))
        with t.case("5. :draft waits for approval and says why; nothing in Drafts, nothing sent"):
            run(cfg)
            r = rows(cfg, uid5)
            vt.assert_eq([(x["state"], x["route"]) for x in r], [("waiting", "server")], "decision")
            assert "no reply to leave in Drafts" in r[0]["result"], r
            vt.assert_eq([m for m in d.messages(dana) if m["mailbox"] == "Drafts"], [], "drafts")
            time.sleep(1)
            vt.assert_eq(server_replies(cy, uid5), [], "replies Cyrus sent")

        # ---------------------------------------------- 6. Cyrus's own copy
        uid6 = "copy-1@lumen"
        copy = ics(uid6, dana, slot(4), summary="Offsite").replace("METHOD:REQUEST\r\n", "")
        status, _, body = cy.put("dana", "cyrus-filed-it.ics", copy)
        assert status == 201, (status, body)
        d.append(dana, "INBOX", invitation_mail("a6@lumen", "Offsite [accept]",
                                                ics(uid6, dana, slot(4), summary="Offsite"), dana))
        with t.case("6. the event is in Cyrus under another name already: vea follows the 403 "
                    "(unique-scheduling-object-resource) and updates it with If-Match: one "
                    "reply, one object"):
            run(cfg)
            assert wait_for(lambda: len(server_replies(cy, uid6)) >= 1), (cy.sent(), rows(cfg, uid6))
            time.sleep(1)
            got = server_replies(cy, uid6)
            vt.assert_eq(len(got), 1, "replies Cyrus sent")
            vt.assert_eq(partstat(got[0][1]), "ACCEPTED", "PARTSTAT")
            hrefs = [h for h, v in cy.objects("dana").items() if "UID:%s" % uid6 in unfold(v)]
            vt.assert_eq(len(hrefs), 1, "objects with the UID")
            assert hrefs[0].endswith("cyrus-filed-it.ics"), hrefs
            vt.assert_eq(rows(cfg, uid6)[0]["stored"], "done", "stored")

        # ---------------------------------------------- 7. schedule_agent = client
        carol = "carol@" + cyrus.DOMAIN
        ccfg = config(d, cy, smtp, tmp, "client", "carol", schedule_agent="client")
        uid7 = "client-1@lumen"
        d.append(carol, "INBOX", invitation_mail("a7@lumen", "Sync [accept]",
                                                 ics(uid7, carol, slot(5)), carol))
        with t.case("7. schedule_agent = client: vea's own REPLY over SMTP, the copy in Cyrus "
                    "has ORGANIZER;SCHEDULE-AGENT=CLIENT, and Cyrus sends nothing"):
            run(ccfg)
            run(ccfg)
            got = smtp_replies(d, RAJ, uid7)
            vt.assert_eq(len(got), 1, "REPLYs vea mailed")
            assert "PARTSTAT=ACCEPTED" in got[0][1] and "METHOD:REPLY" in got[0][1], got[0][1]
            mine = [unfold(v) for v in cy.objects("carol").values() if "UID:%s" % uid7 in unfold(v)]
            vt.assert_eq(len(mine), 1, "objects with the UID")
            assert "SCHEDULE-AGENT=CLIENT" in mine[0], mine[0]
            time.sleep(2)
            vt.assert_eq(server_replies(cy, uid7), [], "replies Cyrus sent")
            vt.assert_eq([(x["route"], x["stored"]) for x in rows(ccfg, uid7)], [("mail", "done")],
                         "decision")

        # ---------------------------------------------- 7b. the server changes its mind
        uid7b = "reroute-1@lumen"
        d.append(dana, "INBOX", invitation_mail("a7b@lumen", "Review [approve]",
                                                ics(uid7b, dana, slot(6), summary="Review"), dana))
        with t.case("7b. proposed while Cyrus answers itself, approved after schedule_agent = "
                    "client was set: vea mails its REPLY instead, and Cyrus sends nothing"):
            run(cfg)
            r = rows(cfg, uid7b)
            vt.assert_eq([(x["state"], x["route"]) for x in r], [("waiting", "server")], "decision")
            text = open(cfg.path).read().replace("password_cmd = cat %s" % os.path.join(
                tmp, "main", "dav.pw"), "password_cmd = cat %s\nschedule_agent = client"
                % os.path.join(tmp, "main", "dav.pw"))
            open(cfg.path, "w").write(text)
            vt.run_vea(["schedule", "approve", str(r[0]["id"])], cfg, check=True, env=now_env())
            run(cfg)
            run(cfg)
            vt.assert_eq(len(smtp_replies(d, RAJ, uid7b)), 1, "REPLYs vea mailed")
            r = rows(cfg, uid7b)
            vt.assert_eq([(x["state"], x["route"], x["stored"]) for x in r],
                         [("sent", "mail", "done")], "decision")
            time.sleep(2)
            vt.assert_eq(server_replies(cy, uid7b), [], "replies Cyrus sent")

        # ---------------------------------------------- 8. kill -9
        with t.case("8. kill -9 while answering 8 invitations, then runs to the end: each "
                    "organizer gets exactly one reply from Cyrus, never two different ones, and "
                    "vea mails nothing"):
            kim = "kim@" + cyrus.DOMAIN
            kcfg = config(d, cy, smtp, tmp, "kill", "kim")
            organizers = ["org%02d@lumen.example" % i for i in range(8)]
            mails = []
            for i, org in enumerate(organizers):
                cal = ics("kill-%d@lumen" % i, kim, slot(10 + i), organizer=org,
                          summary="Meeting %d" % i)
                mails.append(invitation_mail("k%d@lumen" % i, "Meeting %d [%s]"
                                             % (i, "decline" if i % 3 == 2 else "accept"),
                                             cal, kim, sender=org))
            d.append_many(kim, "INBOX", mails)
            rng = random.Random(14)
            kills = rounds = 0
            while (kills < 6 or rounds < 8) and rounds < 30:
                rounds += 1
                env = dict(os.environ, LC_ALL="C.UTF-8", **now_env())
                p = subprocess.Popen([vt.vea_binary(), "-c", kcfg.path, "run"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
                time.sleep(rng.uniform(0.2, 1.2))
                if p.poll() is None:
                    p.send_signal(signal.SIGKILL)
                    kills += 1
                p.wait()
            t.diag("kill -9: %d kills in %d rounds" % (kills, rounds))
            assert kills >= 6, "only %d kills" % kills
            run(kcfg, check=None)
            run(kcfg, check=None)
            run(kcfg)
            time.sleep(2)
            for i, org in enumerate(organizers):
                got = server_replies(cy, "kill-%d@lumen" % i)
                want = "DECLINED" if i % 3 == 2 else "ACCEPTED"
                assert len(got) == 1, "%s got %d replies from Cyrus: %r" % (
                    org, len(got), [a for _, a, _ in got])
                vt.assert_eq(partstat(got[0][1]), want, "PARTSTAT to %s" % org)
                assert ("to %s" % org) in got[0][0], got[0][0]
            vt.assert_eq(outbox_count(kcfg), 0, "messages in vea's outbox")
            states = {(x["state"], x["route"], x["stored"]) for x in rows(kcfg)}
            vt.assert_eq(states, {("sent", "server", "done")}, "decisions")
        # ----------------------------- 9. a series with one instance in the way
        with t.case("9. a weekly series whose second instance meets another event, approved: "
                    "vea writes the series ACCEPTED with that instance DECLINED (an override) "
                    "and Cyrus sends the organizer the answer for both; vea mails nothing"):
            uid9 = "series-9@lumen"
            start9 = slot(20)
            # Cyrus answers again (7b set schedule_agent = client).
            text = open(cfg.path).read().replace("\nschedule_agent = client", "")
            open(cfg.path, "w").write(text)
            status, _, _ = cy.put("dana", "busy-9.ics", (
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
                "UID:busy-9@dana\r\nDTSTAMP:%s\r\nSUMMARY:Dentist\r\nDTSTART:%s\r\n"
                "DTEND:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
                % (stamp(time.time()), stamp(start9 + 7 * 86400), stamp(start9 + 7 * 86400 + 3600))))
            assert status in (201, 204), status
            series = ics(uid9, dana, start9, summary="Weekly review").replace(
                "END:VEVENT", "RRULE:FREQ=WEEKLY;COUNT=3\r\nEND:VEVENT")
            d.append(dana, "INBOX", invitation_mail("a9@lumen", "Weekly review [approve]", series,
                                                    dana))
            run(cfg)
            r = vt.db_query(cfg.db, "SELECT id, state, route, declined_instances FROM "
                                    "schedule_decisions WHERE event_uid = ?", (uid9,))
            vt.assert_eq([(x["state"], x["route"], x["declined_instances"]) for x in r],
                         [("waiting", "server", str(start9 + 7 * 86400))], "decision")
            queued = outbox_count(cfg)
            vt.run_vea(["schedule", "approve", str(r[0]["id"])], cfg, check=True, env=now_env())
            run(cfg)
            assert wait_for(lambda: len(server_replies(cy, uid9)) >= 1), cy.sent()
            time.sleep(1)
            answers = {}
            for _, _, cal in server_replies(cy, uid9):
                for vevent in cal.split("BEGIN:VEVENT")[1:]:
                    rid = [x for x in vevent.splitlines() if x.startswith("RECURRENCE-ID")]
                    att = [x for x in vevent.splitlines() if x.startswith("ATTENDEE")]
                    answers[rid[0].split(":")[-1] if rid else None] = partstat(att)
            vt.assert_eq(answers.get(None), "ACCEPTED", "the series in Cyrus's replies: %r"
                         % answers)
            vt.assert_eq(answers.get(stamp(start9 + 7 * 86400)), "DECLINED",
                         "the second instance in Cyrus's replies: %r" % answers)
            vt.assert_eq(outbox_count(cfg), queued, "messages in vea's outbox")
            vt.assert_eq(smtp_replies(d, RAJ, uid9), [], "REPLYs vea mailed")
    finally:
        cy.stop()
        smtp.stop()
        d.stop()
    return t.done()


if __name__ == "__main__":
    vt.main(main)
