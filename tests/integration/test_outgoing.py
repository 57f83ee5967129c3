#!/usr/bin/python3
"""Outgoing mail from rules (issue 12): vacation replies, redirects and
notifications, sent through the outbox to a real SMTP server (aiosmtpd,
tests/harness/smtpd.py) that delivers into a real Dovecot, and read back
from the recipients' mailboxes.

What a user would notice:
 1. a vacation reply arrives, from the executive, threaded, marked
    Auto-Submitted: auto-replied, sent from <>; the same sender gets one
    reply per period;
 2. every "do not reply" rule (RFC 3834, RFC 5230 4.5, Pigeonhole's checks,
    vea's own) stops the reply, each a case of its own, with the reason in
    vea log;
 3. two executives on vacation writing to each other: one reply each, no
    loop;
 4. a sender whose display name decodes to CRLF cannot add a header;
 5. a temporary SMTP failure is retried and delivered; a permanent one fails
    the action with the server's words (vea log, vea outbox);
 6. redirect: delivered with vea's loop field, never for a bounce, never
    twice; notify: to the assistant, never to an address not allowed;
 7. kill -9 while sending, at least 10 times: every queued message is
    delivered, none lost, duplicates only with the same Message-ID (counted
    and printed).
"""

import email
import email.policy
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from smtpd import SMTPServer  # noqa: E402

DANA = "dana@example.test"
MARC = "marc@example.test"
BOB = "bob@example.test"
ALEX = "alex@assistant.example"      # the assistant
BOOKS = "books@example.test"         # the bookkeeper, for redirects
SMTP_USER, SMTP_PASS = "vea-smtp", "smtp-secret"

DANA_RULES = r'''require ["vacation", "fileinto", "enotify", "variables", "copy"];
if header :contains "subject" "receipt" {
    redirect :copy "books@example.test";
}
if header :contains "subject" "urgent" {
    notify :message "Urgent mail for Dana" "mailto:alex@assistant.example";
}
if header :contains "subject" "leak" {
    notify "mailto:stranger@elsewhere.example";
}
vacation :days 3 :addresses ["dana.whitfield@example.test"]
    "Dana is travelling until Monday. For anything urgent: alex@assistant.example.";
'''

MARC_RULES = r'''require ["vacation"];
vacation :days 3 "Marc is away this week.";
'''


def rfc2822_now(offset=0):
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(time.time() + offset))


def message(sender, to, subject, mid, extra="", return_path=None, date_offset=0, name="Sender"):
    rp = sender if return_path is None else return_path
    return ("Return-Path: <%s>\r\nFrom: %s <%s>\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n"
            "Message-ID: <%s>\r\n%s\r\nHello.\r\n"
            % (rp, name, sender, to, subject, rfc2822_now(date_offset), mid, extra)).encode()


class World:
    def __init__(self, tmp):
        self.tmp = tmp
        self.d = vt.Dovecot()
        for u in (DANA, MARC, BOB, ALEX, BOOKS):
            self.d.add_user(u, "pw-" + u)
        self.d.start()
        self.smtp = None

    def start_smtp(self, name, **kw):
        if self.smtp:
            self.smtp.stop()
        self.smtp = SMTPServer(home=os.path.join(self.d.dir, "home"),
                               log=os.path.join(self.tmp, "smtp-%s.log" % name),
                               auth="%s:%s" % (SMTP_USER, SMTP_PASS), **kw).start()
        return self.smtp

    def config(self, name, clients, accounts, extra_vea=""):
        cdir = os.path.join(self.tmp, name)
        rules = os.path.join(cdir, "rules")
        os.makedirs(rules, exist_ok=True)
        with open(os.path.join(rules, "dana.sieve"), "w") as f:
            f.write(DANA_RULES)
        with open(os.path.join(rules, "marc.sieve"), "w") as f:
            f.write(MARC_RULES)
        pw = os.path.join(cdir, "smtp.pw")
        with open(pw, "w") as f:
            f.write(SMTP_PASS + "\n")
        os.chmod(pw, 0o600)
        extra = ("[assistant]\nname = Alex Assistant\nemail = %s\n\n"
                 "[smtp]\nurl = %s\nuser = %s\npassword_cmd = cat %s\ntls = none\n"
                 "from = Alex for vea <%s>\n" % (ALEX, self.smtp.url, SMTP_USER, pw, ALEX))
        for a in accounts.values():
            a.setdefault("smtp_url", self.smtp.url)
            a.setdefault("smtp_user", SMTP_USER)
            a.setdefault("smtp_password_cmd", "cat %s" % pw)
            a.setdefault("smtp_tls", "none")
        cfg = vt.write_config(os.path.join(cdir, "vea.conf"), dovecot=self.d, clients=clients,
                              accounts=accounts, rules_dir=rules, extra=extra)
        if extra_vea:
            text = open(cfg.path).read().replace("[vea]\n", "[vea]\n" + extra_vea, 1)
            open(cfg.path, "w").write(text)
        return cfg


def dana_config(w, name, user=DANA, **kw):
    """Dana's config; each section of the test gives Dana a mailbox of its
    own (user), so that a fresh database does not answer the mail of the
    sections before it."""
    if user not in w.d.users:
        w.d.add_user(user, "pw-" + user)
    return w.config(name, clients={
        "dana": {"name": "Dana Whitfield", "email": user, "timezone": "Europe/Rome",
                 "rules": ["dana.sieve"]}},
        accounts={"dana-work": {"client": "dana", "user": user, "password": "pw-" + user}}, **kw)


def replies_to(w, user):
    """Vacation replies user received (parsed), oldest first: in any of
    their mailboxes but Sent, which holds the copies of their own."""
    out = []
    for m in w.d.messages(user, body=True):
        if m["mailbox"] == "Sent":
            continue
        msg = email.message_from_bytes(m["data"], policy=email.policy.default)
        if (msg.get("Auto-Submitted") or "").startswith("auto-replied"):
            out.append(msg)
    return out


def log_rows(cfg, kind):
    return vt.db_query(cfg.db, "SELECT id, message_id, state, reason, result FROM actions "
                               "WHERE action = ? ORDER BY id", (kind,))


def main():
    t = vt.TAP(timeout=900)
    tmp = vt.mkdtemp("vea-outgoing-")
    w = World(tmp)
    smtp = w.start_smtp("main")

    # ------------------------------------------------------------ 1. vacation
    cfg = dana_config(w, "vacation")
    w.d.append(DANA, "INBOX", message(BOB, DANA, "Lunch on Friday?", "lunch1@bob.test",
                                      name="Bob Smith"))
    with t.case("1a. a vacation reply arrives: from Dana, to Bob, 'Auto: ' subject, threaded, "
                "Auto-Submitted: auto-replied, envelope sender <>"):
        vt.run_vea(["run", "--once"], cfg, check=True, timeout=120)
        got = replies_to(w, BOB)
        assert len(got) == 1, "replies in Bob's mailbox: %d" % len(got)
        r = got[0]
        assert DANA in r["From"] and "Dana Whitfield" in r["From"], r["From"]
        assert BOB in r["To"] and "Bob Smith" in r["To"], r["To"]
        vt.assert_eq(str(r["Subject"]), "Auto: Lunch on Friday?", "subject")
        vt.assert_eq(r["In-Reply-To"], "<lunch1@bob.test>", "In-Reply-To")
        assert "<lunch1@bob.test>" in (r["References"] or ""), r["References"]
        vt.assert_eq(r["Auto-Submitted"], "auto-replied", "Auto-Submitted")
        assert "travelling until Monday" in r.get_content(), r.get_content()
        sent = [x for x in smtp.transactions() if BOB in x["rcpt_tos"] and x["reply"] == "250"]
        vt.assert_eq(sent[-1]["mail_from"], "", "envelope sender of the reply")
        assert sent[-1]["login"] is not None, "sent without authenticating"

    with t.case("1b. the same sender again within :days 3: no second reply, 'already answered' "
                "in vea log"):
        w.d.append(DANA, "INBOX", message(BOB, DANA, "Lunch, again", "lunch2@bob.test"))
        vt.run_vea(["run", "--once"], cfg, check=True, timeout=120)
        vt.assert_eq(len(replies_to(w, BOB)), 1, "replies to Bob")
        rows = log_rows(cfg, "vacation")
        assert rows[-1]["state"] == "skipped" and "already answered" in rows[-1]["reason"], rows
        rc, out, err = vt.run_vea(["log"], cfg, check=True)
        assert "skipped: already answered" in out, out

    with t.case("1c. after the period (VEA_NOW 4 days on) Bob is answered again"):
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 4 * 86400))
        w.d.append(DANA, "INBOX", message(BOB, DANA, "Still there?", "lunch3@bob.test",
                                          date_offset=4 * 86400))
        vt.run_vea(["run", "--once"], cfg, check=True, timeout=120, env={"VEA_NOW": later})
        vt.assert_eq(len(replies_to(w, BOB)), 2, "replies to Bob")

    # ------------------------------------------------ 2. do-not-reply, one by one
    # Each from its own sender, so tracking does not decide for it.
    cases = [
        ("List-Id", "List-Id: <team.lists.example.test>\r\n", None, "list"),
        ("List-Unsubscribe", "List-Unsubscribe: <mailto:leave@example.test>\r\n", None, "list"),
        ("List-Post", "List-Post: <mailto:team@example.test>\r\n", None, "list"),
        ("Auto-Submitted: auto-generated", "Auto-Submitted: auto-generated\r\n", None, "auto"),
        ("Auto-Submitted: auto-replied", "Auto-Submitted: auto-replied\r\n", None, "auto"),
        ("Precedence: bulk", "Precedence: bulk\r\n", None, "precedence"),
        ("Precedence: list", "Precedence: list\r\n", None, "precedence"),
        ("Precedence: junk", "Precedence: junk\r\n", None, "precedence"),
        ("X-Auto-Response-Suppress: OOF", "X-Auto-Response-Suppress: OOF\r\n", None, "suppress"),
        ("X-Auto-Response-Suppress: All", "X-Auto-Response-Suppress: All\r\n", None, "suppress"),
        ("null envelope sender <>", "", "", "null"),
        ("MAILER-DAEMON", "", None, "system"),
        ("owner- address", "", None, "system"),
        ("-request address", "", None, "system"),
        ("noreply address", "", None, "noreply"),
        ("not personally addressed (To someone else)", "", None, "personal"),
        ("older than auto_mail_max_age", "", None, "old"),
        ("a message vea sent itself", "", None, "own"),
    ]
    senders = {
        "MAILER-DAEMON": "MAILER-DAEMON@example.test",
        "owner- address": "owner-team@example.test",
        "-request address": "team-request@example.test",
        "noreply address": "noreply@shop.example.test",
    }
    DANA2 = "dana.cases@example.test"
    cfg2 = dana_config(w, "noreply", DANA2)
    before = len(smtp.transactions())
    mids = {}
    for i, (name, extra, rp, _) in enumerate(cases):
        sender = senders.get(name, "case%d@example.test" % i)
        to = "someone.else@example.test" if "personally" in name else DANA2
        mid = ("vea.vacation.%d@example.test" % i) if "vea sent" in name else "nr%d@cases.test" % i
        offset = -5 * 86400 if "older" in name else 0
        w.d.append(DANA2, "INBOX", message(sender, to, "Case %d" % i, mid, extra=extra,
                                           return_path=rp, date_offset=offset))
        mids[name] = mid
    vt.run_vea(["run", "--once"], cfg2, check=True, timeout=120)
    rows = {r["message_id"]: r for r in log_rows(cfg2, "vacation")}
    sent = smtp.transactions()[before:]
    for name, _, _, _ in cases:
        sender = senders.get(name, "case%d@example.test" % [c[0] for c in cases].index(name))
        with t.case("2. no reply: %s (the reason in vea log)" % name):
            r = rows.get(mids[name])
            assert r is not None, "no vacation row for %s: %r" % (name, list(rows))
            assert r["state"] == "skipped", (name, r)
            assert r["reason"], r
            assert not [x for x in sent if sender in x["rcpt_tos"]], \
                "something was sent to %s: %r" % (sender, sent)

    # ---------------------------------------- 3. two executives, no loop
    cfg3 = w.config("loop", clients={
        "dana": {"name": "Dana Whitfield", "email": DANA, "timezone": "Europe/Rome",
                 "rules": ["dana.sieve"]},
        "marc": {"name": "Marc Leroy", "email": MARC, "timezone": "Europe/Paris",
                 "rules": ["marc.sieve"]}},
        accounts={"dana-work": {"client": "dana", "user": DANA, "password": "pw-" + DANA},
                  "marc-work": {"client": "marc", "user": MARC, "password": "pw-" + MARC}})
    w.d.append(DANA, "INBOX", message(MARC, DANA, "Board pack", "board@marc.test"))
    w.d.append(MARC, "INBOX", message(DANA, MARC, "Re: Board pack", "board2@dana.test"))
    with t.case("3. two executives on vacation write to each other: one reply each, then "
                "nothing, however many runs"):
        for _ in range(4):
            vt.run_vea(["run", "--once"], cfg3, check=True, timeout=120)
        to_marc = [r for r in replies_to(w, MARC) if "Board" in str(r["Subject"])]
        to_dana = [r for r in replies_to(w, DANA) if "Board" in str(r["Subject"])]
        vt.assert_eq((len(to_marc), len(to_dana)), (1, 1), "replies (to Marc, to Dana)")

    # ---------------------------------------- 4. header injection
    with t.case("4. a display name that decodes to CRLF + Bcc adds no header to the reply"):
        evil = "evil@example.test"
        w.d.add_user(evil, "pw-evil")
        raw = ("Return-Path: <%s>\r\nFrom: =?utf-8?q?Eve=0D=0ABcc=3A_victim=40example.test?= <%s>\r\n"
               "To: %s\r\nSubject: =?utf-8?q?Hi=0D=0ABcc:_x@y.test?=\r\nDate: %s\r\n"
               "Message-ID: <evil1@example.test>\r\n\r\nHi\r\n" % (evil, evil, DANA, rfc2822_now()))
        w.d.append(DANA, "INBOX", raw.encode())
        vt.run_vea(["run", "--once"], cfg, check=True, timeout=120)
        got = replies_to(w, evil)
        assert len(got) == 1, "replies to Eve: %d" % len(got)
        r = got[0]
        assert r["Bcc"] is None, r["Bcc"]
        tx = [x for x in smtp.transactions() if evil in x["rcpt_tos"]]
        vt.assert_eq(sorted(tx[-1]["rcpt_tos"]), [evil], "envelope recipients")
        assert "victim" not in "".join(sorted(k.lower() for k in r.keys())), list(r.keys())

    # ---------------------------------------- 5. temporary and permanent failures
    smtp = w.start_smtp("fail451", fail_first=1, fail_code=451)
    DANA5 = "dana.tempfail@example.test"
    cfg5 = dana_config(w, "tempfail", DANA5)
    w.d.add_user("carol@example.test", "pw-carol")
    w.d.append(DANA5, "INBOX", message("carol@example.test", DANA5, "Quote", "q1@carol.test"))
    with t.case("5a. a 451 is retried after the backoff and delivered"):
        vt.run_vea(["run", "--once"], cfg5, check=True, timeout=120)
        rc, out, err = vt.run_vea(["outbox", "--json"], cfg5, check=True)
        assert '"state":"queued"' in out and "451" in out, out
        vt.assert_eq(len(replies_to(w, "carol@example.test")), 0, "delivered before the retry")
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 120))
        vt.run_vea(["run", "--once"], cfg5, check=True, timeout=120, env={"VEA_NOW": later})
        vt.assert_eq(len(replies_to(w, "carol@example.test")), 1, "delivered after the retry")
        rc, out, err = vt.run_vea(["outbox", "--json"], cfg5, check=True)
        assert '"state":"sent"' in out and '"attempts":2' in out, out

    smtp = w.start_smtp("fail550", fail_first=100, fail_code=550)
    DANA6 = "dana.permfail@example.test"
    cfg6 = dana_config(w, "permfail", DANA6)
    w.d.append(DANA6, "INBOX", message("dave@example.test", DANA6, "Invoice", "i1@dave.test"))
    with t.case("5b. a 550 fails the action with the server's words, in vea log and vea outbox"):
        vt.run_vea(["run", "--once"], cfg6, timeout=120)
        rows = log_rows(cfg6, "vacation")
        assert rows and rows[-1]["state"] == "failed" and "550" in rows[-1]["reason"], rows
        rc, out, err = vt.run_vea(["outbox"], cfg6, check=True)
        assert "failed" in out and "550" in out, out
        rc, out, err = vt.run_vea(["log"], cfg6, check=True)
        assert "failed: " in out and "550" in out, out

    # ---------------------------------------- 6. redirect and notify
    smtp = w.start_smtp("redirect")
    DANA7 = "dana.redirect@example.test"
    cfg7 = dana_config(w, "redirect", DANA7)
    w.d.append(DANA7, "INBOX", message("shop@example.test", DANA7, "Your receipt #42",
                                      "r42@shop.test", extra="List-Id: <shop>\r\n"))
    w.d.append(DANA7, "INBOX", message("mailer-daemon@example.test", DANA7, "receipt bounce",
                                      "b1@example.test", return_path=""))
    w.d.append(DANA7, "INBOX", message(BOB, DANA7, "urgent: the contract", "u1@bob.test"))
    w.d.append(DANA7, "INBOX", message(BOB, DANA7, "leak this", "l1@bob.test"))
    vt.run_vea(["run", "--once"], cfg7, check=True, timeout=120)
    books = [m for m in w.d.messages(BOOKS, body=True)]
    with t.case("6a. redirect :copy: the receipt reaches the bookkeeper unchanged, with vea's "
                "loop field, sent as Dana; the original stays in Dana's INBOX"):
        got = [m for m in books if m["message_id"] == "<r42@shop.test>"]
        assert len(got) == 1, [m["message_id"] for m in books]
        msg = email.message_from_bytes(got[0]["data"], policy=email.policy.default)
        assert DANA7 in (msg["X-Vea-Redirected-From"] or ""), msg.keys()
        assert "shop@example.test" in msg["From"], msg["From"]
        tx = [x for x in smtp.transactions() if BOOKS in x["rcpt_tos"]]
        vt.assert_eq(tx[-1]["mail_from"], DANA7, "envelope sender of the redirect")
        inbox = [m for m in w.d.messages(DANA7) if m["message_id"] == "<r42@shop.test>"]
        vt.assert_eq(len(inbox), 1, "the original left in place")
    with t.case("6b. a bounce (Return-Path <>) is never redirected"):
        assert not [m for m in books if m["message_id"] == "<b1@example.test>"], books
        rows = [r for r in log_rows(cfg7, "redirect") if r["message_id"] == "b1@example.test"]
        assert rows and rows[0]["state"] == "skipped" and "<>" in rows[0]["reason"], rows
    with t.case("6c. the redirected receipt, found again (a second copy in INBOX), is not "
                "redirected twice"):
        w.d.append(DANA7, "INBOX", message("shop@example.test", DANA7, "Your receipt #42",
                                          "r42@shop.test"))
        vt.run_vea(["run", "--once"], cfg7, check=True, timeout=120)
        got = [m for m in w.d.messages(BOOKS) if m["message_id"] == "<r42@shop.test>"]
        vt.assert_eq(len(got), 1, "copies at the bookkeeper")
    with t.case("6d. notify: the assistant gets 'Urgent mail for Dana', auto-notified, without "
                "the message's text"):
        got = [m for m in w.d.messages(ALEX, body=True)
               if "Urgent mail for Dana" in (m["subject"] or "")]
        assert len(got) == 1, [m["subject"] for m in w.d.messages(ALEX)]
        msg = email.message_from_bytes(got[0]["data"], policy=email.policy.default)
        assert (msg["Auto-Submitted"] or "").startswith("auto-notified"), msg["Auto-Submitted"]
        assert "Hello." not in msg.get_content(), msg.get_content()
    with t.case("6e. notify to an address not allowed (RFC 5435 8): skipped, nothing sent"):
        rows = [r for r in log_rows(cfg7, "notify") if r["message_id"] == "l1@bob.test"]
        assert rows and rows[0]["state"] == "skipped" and "notify_allowed" in rows[0]["reason"], rows
        assert not [x for x in smtp.transactions()
                    if "stranger@elsewhere.example" in x["rcpt_tos"]]

    # ---------------------------------------- 7. kill -9 while sending
    n_msgs = 150
    # A slow server (200 ms before each answer) keeps the sending going on
    # long enough for kills to land in the middle of it.
    smtp = w.start_smtp("kill", delay_before_reply=0.2)
    DANA8 = "dana.kill@example.test"
    cfg8 = dana_config(w, "kill", DANA8, extra_vea="auto_mail_per_hour = 10000\nauto_mail_max_age = 0\n")
    people = ["p%03d@people.test" % i for i in range(n_msgs)]
    for p in people:
        w.d.add_user(p, "pw")
    w.d.append_many(DANA8, "INBOX", [message(p, DANA8, "Hello %d" % i, "k%d@people.test" % i)
                                     for i, p in enumerate(people)])
    kills = 0
    rounds = 0
    rng = random.Random(12)
    STEP = 21 * 60

    def outbox_counts():
        if not os.path.exists(cfg8.db):
            return 0, 0
        try:
            rows = vt.db_query(cfg8.db, "SELECT state, count(*) AS n FROM outbox GROUP BY state")
        except Exception:
            return 0, 0
        by = {r["state"]: r["n"] for r in rows}
        return by.get("sent", 0), sum(by.values()) - by.get("sent", 0)

    with t.case("7. kill -9 while sending (10+ kills): every reply delivered, duplicates only "
                "with the same Message-ID"):
        while rounds < 60:
            rounds += 1
            p = subprocess.Popen([vt.vea_binary(), "-c", cfg8.path, "run"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + rng.uniform(0.5, 2.5)
            sent_at_kill = left_at_kill = 0
            while time.monotonic() < deadline:
                time.sleep(0.05)
            sent_at_kill, left_at_kill = outbox_counts()
            p.send_signal(signal.SIGKILL)
            p.wait()
            if left_at_kill > 0:
                kills += 1
            sent, left = outbox_counts()
            if sent + left == n_msgs and left == 0 and kills >= 10:
                break
            # Leases of the killed sender (20 minutes) run out before the
            # next start; 21 minutes a round keeps 60 rounds within the
            # day a vacation reply may wait before it expires (an hour a
            # round made replies expire, unsent, when kills were slow to
            # land on a loaded machine).
            os.environ["VEA_NOW"] = time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + STEP * rounds))
        os.environ.pop("VEA_NOW", None)
        # Whatever is left, sent with the leases run out (VEA_NOW past them).
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + STEP * (rounds + 1)))
        vt.run_vea(["run", "--once"], cfg8, check=True, timeout=300, env={"VEA_NOW": later})
        t.diag("%d runs, %d kills with mail left to send" % (rounds, kills))
        assert kills >= 10, "only %d kills landed while mail was left" % kills
        by_person = {}
        for p in people:
            by_person[p] = [str(r["Message-ID"]) for r in replies_to(w, p)]
        missing = [p for p, ids in by_person.items() if not ids]
        assert not missing, "no reply for %d: %r" % (len(missing), missing[:5])
        dupes = {p: ids for p, ids in by_person.items() if len(ids) > 1}
        t.diag("duplicates: %d of %d replies were delivered twice (at least once, never "
               "lost; see vea(1))" % (len(dupes), n_msgs))
        bad = {p: ids for p, ids in dupes.items() if len(set(ids)) != 1}
        assert not bad, "a duplicate with a different Message-ID: %r" % list(bad.items())[:3]
        resends = vt.db_query(cfg8.db, "SELECT sum(resends) AS n FROM outbox")[0]["n"] or 0
        t.diag("messages claimed again after a lost lease (sent before the kill or not): %d" % resends)
        rows = vt.db_query(cfg8.db, "SELECT count(*) AS n FROM outbox WHERE state = 'sent'")
        vt.assert_eq(rows[0]["n"], n_msgs, "sent messages in the outbox")

    return t.done()


if __name__ == "__main__":
    vt.main(main)
