#!/usr/bin/python3
"""Follow-up reminders and snooze carried out (issue 15), against a real
Dovecot and a real SMTP server, time driven by VEA_NOW.

What a user would notice:
 1. a reminder with no reply fires once, at the right UTC instant across
    the end of US daylight saving time: the message flagged and unread,
    the assistant notified, "reminded" in vea log, billed as cost_remind;
 2. a reply prevents it: delivered (seen when synced), in an unwatched Sent
    mailbox (found by the search at the due time), or \\Answered set on
    another client;
 3. business days skip a weekend and the client's holidays;
 4. snooze: out of INBOX into Snoozed, back at the time, unread, with
    :addflags added and :removeflags removed, and not snoozed again;
    a reply in the thread wakes it early; a time in a DST gap;
 5. Sent-mail follow-ups: a message Dana sent with no answer gets its
    reminder, one answered does not;
 6. vea remind list/add/cancel, vea snooze list/wake;
 7. kill -9 around the due time, 10+ times: each timer fires exactly once;
 8. restart after a day down: the late timers fire once, each logged late.
"""

import email
import email.policy
import email.utils
import json
import os
import random
import signal
import subprocess
import sys
import time
import calendar

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from smtpd import SMTPServer  # noqa: E402

ALEX = "alex@assistant.example"
BOB = "bob@example.test"
SMTP_USER, SMTP_PASS = "vea-smtp", "smtp-secret"

RULES = r'''require ["vnd.vea", "imap4flags"];
if header :contains "subject" "Board" {
    remind :days 3 :flag "Chase the board";
}
if header :contains "subject" "Contract" {
    remind :businessdays 2 :always;
}
if header :contains "subject" "Trip" {
    snooze :until "monday 09:00" :addflags "$Later" :removeflags "$Todo";
}
if header :contains "subject" "Proposal" {
    snooze :until "+7d" :wakeonreply;
}
if header :contains "subject" "Gap" {
    snooze :until "2027-03-14 02:30";
}
if header :contains "subject" "Kill" {
    remind :hours 1 :always :flag;
}
if header :contains "subject" "Nap" {
    snooze :until "+1h";
}
if allof (address :is "from" "%(exec)s", header :contains "subject" "Sent") {
    remind :days 3;
}
'''


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def unix(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def message(frm, to, subject, mid, at, extra=""):
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n%s"
            "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHello.\r\n"
            % (frm, to, subject, email.utils.formatdate(at), mid, extra)).encode()


class World:
    def __init__(self, tmp):
        self.tmp = tmp
        self.d = vt.Dovecot()
        self.d.add_user(ALEX, "pw-alex")
        self.d.add_user(BOB, "pw-bob")
        self.d.start()
        self.smtp = SMTPServer(home=os.path.join(self.d.dir, "home"),
                               log=os.path.join(tmp, "smtp.log"),
                               auth="%s:%s" % (SMTP_USER, SMTP_PASS)).start()

    def config(self, name, mailboxes=("INBOX",), holidays=None):
        """A client of its own (own mailbox, own database) per section."""
        user = "dana.%s@example.test" % name
        self.d.add_user(user, "pw-" + user)
        cdir = os.path.join(self.tmp, name)
        rules = os.path.join(cdir, "rules")
        os.makedirs(rules, exist_ok=True)
        with open(os.path.join(rules, "dana.sieve"), "w") as f:
            f.write(RULES % {"exec": user})
        pw = os.path.join(cdir, "smtp.pw")
        with open(pw, "w") as f:
            f.write(SMTP_PASS + "\n")
        os.chmod(pw, 0o600)
        extra = ("[assistant]\nname = Alex Assistant\nemail = %s\n\n"
                 "[smtp]\nurl = %s\nuser = %s\npassword_cmd = cat %s\ntls = none\n"
                 "from = Alex for vea <%s>\n" % (ALEX, self.smtp.url, SMTP_USER, pw, ALEX))
        client = {"name": "Dana Whitfield", "email": user, "timezone": "America/New_York",
                  "rules": ["dana.sieve"], "billing": "dana-hours"}
        if holidays:
            client["holidays"] = list(holidays)
        cfg = vt.write_config(
            os.path.join(cdir, "vea.conf"), dovecot=self.d, clients={"dana": client},
            accounts={"work": {"client": "dana", "user": user, "password": "pw-" + user,
                               "mailboxes": list(mailboxes)}},
            billing={"dana-hours": {"client": "dana", "rate": "12000", "currency": "USD",
                                    "cost_remind": "2m", "cost_snooze": "1m"}},
            rules_dir=rules, extra=extra)
        cfg.user = user
        return cfg


def run(cfg, now, check=True, timeout=120):
    return vt.run_vea(["run", "--once"], cfg, check=check, timeout=timeout,
                      env={"VEA_NOW": now if isinstance(now, str) else iso(now)})


def timers(cfg):
    return vt.db_query(cfg.db, "SELECT * FROM timers ORDER BY id")


def journal(cfg, kind):
    return vt.db_query(cfg.db, "SELECT * FROM actions WHERE action = ? ORDER BY id", (kind,))


def where(w, user, mid):
    return [(m["mailbox"], m["flags"]) for m in w.d.messages(user)
            if m["message_id"] == "<%s>" % mid]


def notices(w, subject_part):
    out = []
    for m in w.d.messages(ALEX, body=True):
        msg = email.message_from_bytes(m["data"], policy=email.policy.default)
        if subject_part in str(msg["Subject"] or ""):
            out.append(msg)
    return out


# Friday 30 October 2026, 17:00 in New York (EDT); the clocks go back on
# Sunday 1 November, so Monday 17:00 is EST, 22:00Z (not 21:00Z).
FRIDAY = unix("2026-10-30T21:00:00Z")
MONDAY_1700 = unix("2026-11-02T22:00:00Z")
MONDAY_0900 = unix("2026-11-02T14:00:00Z")


def main():
    t = vt.TAP(timeout=1500)
    tmp = vt.mkdtemp("vea-timers-")
    w = World(tmp)

    # --------------------------------------------- 1. a reminder fires once
    cfg = w.config("remind")
    w.d.append(cfg.user, "INBOX", message(BOB, cfg.user, "Board question", "q1@board.test", FRIDAY))
    with t.case("1a. remind :days 3 on Friday 17:00 EDT is due Monday 17:00 EST = 22:00Z"):
        run(cfg, FRIDAY)
        rows = timers(cfg)
        vt.assert_eq(len(rows), 1, "timers")
        vt.assert_eq((rows[0]["kind"], rows[0]["state"], rows[0]["due_at"]),
                     ("remind", "pending", MONDAY_1700), "timer")
        assert rows[0]["local_due"].startswith("2026-11-02 17:00 EST"), rows[0]["local_due"]
        rc, out, err = vt.run_vea(["remind", "list", "--json"], cfg, check=True)
        r = json.loads(out.splitlines()[0])
        vt.assert_eq((r["due_utc"], r["if_unanswered"], r["flag"], r["note"], r["to"]),
                     ("2026-11-02T22:00:00Z", True, True, "Chase the board", "assistant"), "list")
        assert journal(cfg, "remind")[0]["state"] == "done", journal(cfg, "remind")

    with t.case("1a'. the digest of Monday lists it under Follow-ups, due today at 17:00"):
        rc, out, err = vt.run_vea(["digest", "preview", "dana", "--text"], cfg, check=True,
                                  env={"VEA_NOW": "2026-11-02T12:30:00Z"})
        assert "FOLLOW-UPS" in out and "Reminders due today (1):" in out, out
        assert "17:00  Board question  (in INBOX, no reply yet)" in out, out
        assert "1 thread waiting for a reply." in out, out

    with t.case("1b. one minute before: nothing fires"):
        run(cfg, MONDAY_1700 - 60)
        vt.assert_eq(timers(cfg)[0]["state"], "pending", "state")
        vt.assert_eq(journal(cfg, "reminded"), [], "reminded rows")

    with t.case("1c. at 22:00Z it fires: flagged, unread, the assistant notified, in vea log, "
                "billed"):
        run(cfg, MONDAY_1700 + 5)
        row = timers(cfg)[0]
        vt.assert_eq(row["state"], "fired", "state")
        vt.assert_eq(row["fired_at"], MONDAY_1700 + 5, "fired at")
        got = where(w, cfg.user, "q1@board.test")
        vt.assert_eq(len(got), 1, "copies")
        assert got[0][0] == "INBOX" and "\\Flagged" in got[0][1] and "\\Seen" not in got[0][1], got
        n = notices(w, "No reply yet: Board question")
        vt.assert_eq(len(n), 1, "notifications to the assistant")
        assert "Chase the board" in n[0].get_content(), n[0].get_content()
        vt.assert_eq(n[0]["In-Reply-To"], "<q1@board.test>", "threaded")
        rc, out, err = vt.run_vea(["log"], cfg, check=True)
        assert "reminded 2026-11-02 17:00 EST " in out, out
        ledger = vt.db_query(cfg.db, "SELECT seconds, action_id FROM ledger_entries")
        reminded = journal(cfg, "reminded")
        assert [e for e in ledger if e["action_id"] == reminded[0]["id"] and e["seconds"] == 120], \
            ledger

    with t.case("1d. runs after that: it fired once (one journal row, one notification)"):
        run(cfg, MONDAY_1700 + 3600)
        run(cfg, MONDAY_1700 + 86400 * 5)
        vt.assert_eq(len(journal(cfg, "reminded")), 1, "reminded rows")
        vt.assert_eq(len(notices(w, "No reply yet: Board question")), 1, "notifications")

    # --------------------------------------------------- 2. a reply prevents it
    cfg2 = w.config("reply")
    for i in (1, 2, 3):
        w.d.append(cfg2.user, "INBOX", message(BOB, cfg2.user, "Board item %d" % i,
                                                "item%d@board.test" % i, FRIDAY))
    run(cfg2, FRIDAY)
    with t.case("2a. a reply delivered (In-Reply-To) answers the reminder when synced"):
        w.d.append(cfg2.user, "INBOX", message("carol@example.test", cfg2.user, "Re: item 1",
                                                "r1@carol.test", FRIDAY + 3600,
                                                "In-Reply-To: <item1@board.test>\r\n"))
        run(cfg2, FRIDAY + 7200)
        by = {r["message_id"]: r for r in timers(cfg2)}
        vt.assert_eq(by["item1@board.test"]["state"], "answered", "item 1")
        assert "r1@carol.test" in by["item1@board.test"]["result"], by["item1@board.test"]

    with t.case("2b. a reply only in Sent (not watched: sent from a phone) is found at the due "
                "time; \\Answered set elsewhere counts too; neither fires"):
        w.d.append(cfg2.user, "Sent", message(cfg2.user, BOB, "Re: item 2", "r2@dana.test",
                                              FRIDAY + 3600,
                                              "In-Reply-To: <item2@board.test>\r\n"
                                              "References: <item2@board.test>\r\n"))
        with w.d.imap(cfg2.user) as c:
            c.select("INBOX")
            typ, data = c.uid("SEARCH", None, "HEADER", "Message-ID", "<item3@board.test>")
            c.uid("STORE", data[0].split()[0].decode(), "+FLAGS", "(\\Answered)")
            c.logout()
        run(cfg2, MONDAY_1700 + 5)
        by = {r["message_id"]: r for r in timers(cfg2)}
        vt.assert_eq((by["item2@board.test"]["state"], by["item3@board.test"]["state"]),
                     ("answered", "answered"), "items 2, 3")
        assert "Sent" in by["item2@board.test"]["result"], by["item2@board.test"]
        assert "Answered" in by["item3@board.test"]["result"], by["item3@board.test"]
        vt.assert_eq([r for r in journal(cfg2, "reminded") if r["state"] == "done"], [],
                     "reminders fired")
        vt.assert_eq(notices(w, "Board item"), [], "notifications")

    # ----------------------------------------------------- 3. business days
    cfg3 = w.config("business", holidays=["2026-11-26", "2026-11-27"])
    wed = unix("2026-11-25T15:00:00Z")  # Wednesday 10:00 EST
    w.d.append(cfg3.user, "INBOX", message(BOB, cfg3.user, "Contract", "c1@bob.test", wed))
    with t.case("3. +2 business days from Wednesday skip Thanksgiving, the Friday off and the "
                "weekend: Tuesday 10:00 EST"):
        run(cfg3, wed)
        vt.assert_eq(timers(cfg3)[0]["due_at"], unix("2026-12-01T15:00:00Z"), "due")

    # ---------------------------------------------------------------- 4. snooze
    cfg4 = w.config("snooze")
    w.d.append(cfg4.user, "INBOX", message(BOB, cfg4.user, "Trip to Lisbon", "trip@bob.test",
                                           FRIDAY), flags=("\\Seen", "$Todo"))
    w.d.append(cfg4.user, "INBOX", message(BOB, cfg4.user, "Proposal", "prop@bob.test", FRIDAY))
    w.d.append(cfg4.user, "INBOX", message(BOB, cfg4.user, "Gap day", "gap@bob.test", FRIDAY))
    with t.case("4a. snoozed: moved to Snoozed (created), out of INBOX"):
        run(cfg4, FRIDAY)
        for mid in ("trip@bob.test", "prop@bob.test", "gap@bob.test"):
            got = where(w, cfg4.user, mid)
            vt.assert_eq([m for m, f in got], ["Snoozed"], mid)
        rc, out, err = vt.run_vea(["snooze", "list"], cfg4, check=True)
        assert "Trip to Lisbon" in out and "2026-11-02 09:00 EST" in out, out

    with t.case("4a'. Sunday's digest: the trip comes back from snooze tomorrow at 09:00"):
        rc, out, err = vt.run_vea(["digest", "preview", "dana", "--text"], cfg4, check=True,
                                  env={"VEA_NOW": "2026-11-01T13:00:00Z"})
        assert "Back from snooze tomorrow (1):" in out, out
        assert "09:00  Trip to Lisbon  (in INBOX)" in out, out

    with t.case("4b. a time in the DST gap (2027-03-14 02:30 New York) is 03:30 EDT = 07:30Z"):
        by = {r["message_id"]: r for r in timers(cfg4)}
        vt.assert_eq(by["gap@bob.test"]["due_at"], unix("2027-03-14T07:30:00Z"), "due")

    with t.case("4c. a reply in the thread wakes :wakeonreply early: back in INBOX, unread"):
        w.d.append(cfg4.user, "INBOX", message("carol@example.test", cfg4.user, "Re: your note",
                                                "rp@carol.test", FRIDAY + 3600,
                                                "References: <prop@bob.test>\r\n"))
        run(cfg4, FRIDAY + 7200)
        got = where(w, cfg4.user, "prop@bob.test")
        assert len(got) == 1 and got[0][0] == "INBOX" and "\\Seen" not in got[0][1], got
        vt.assert_eq(where(w, cfg4.user, "trip@bob.test")[0][0], "Snoozed", "trip still away")

    with t.case("4d. Monday 09:00 EST: back in INBOX, unread, +$Later, -$Todo; not snoozed "
                "again by the next runs"):
        run(cfg4, MONDAY_0900 - 60)
        vt.assert_eq(where(w, cfg4.user, "trip@bob.test")[0][0], "Snoozed", "before")
        run(cfg4, MONDAY_0900 + 30)
        got = where(w, cfg4.user, "trip@bob.test")
        assert len(got) == 1 and got[0][0] == "INBOX", got
        flags = got[0][1]
        assert "\\Seen" not in flags and "$Later" in flags and "$Todo" not in flags, flags
        run(cfg4, MONDAY_0900 + 120)
        got = where(w, cfg4.user, "trip@bob.test")
        assert len(got) == 1 and got[0][0] == "INBOX", got
        vt.assert_eq(len(journal(cfg4, "snooze")), 3, "snooze rows (one per message)")
        vt.assert_eq(len([r for r in journal(cfg4, "woken") if r["state"] == "done"]), 2, "woken")

    # ----------------------------------------------------- 5. Sent follow-ups
    cfg5 = w.config("sent", mailboxes=("INBOX", "Sent"))
    w.d.append(cfg5.user, "Sent", message(cfg5.user, BOB, "Sent: the offer", "s1@dana.test", FRIDAY))
    w.d.append(cfg5.user, "Sent", message(cfg5.user, BOB, "Sent: the dates", "s2@dana.test", FRIDAY))
    with t.case("5. Sent follow-ups: the answered one does not fire, the other does"):
        run(cfg5, FRIDAY)
        vt.assert_eq(len(timers(cfg5)), 2, "timers for the sent messages")
        w.d.append(cfg5.user, "INBOX", message(BOB, cfg5.user, "Re: the dates", "rs2@bob.test",
                                                FRIDAY + 3600, "In-Reply-To: <s2@dana.test>\r\n"))
        run(cfg5, FRIDAY + 7200)
        run(cfg5, MONDAY_1700 + 5)
        by = {r["message_id"]: r for r in timers(cfg5)}
        vt.assert_eq((by["s1@dana.test"]["state"], by["s2@dana.test"]["state"]),
                     ("fired", "answered"), "states")
        got = where(w, cfg5.user, "s1@dana.test")
        assert got[0][0] == "Sent", got  # a sent message stays where it is
        vt.assert_eq(len(notices(w, "No reply yet: Sent: the offer")), 1, "notification")

    # ------------------------------------------------------------- 6. the CLI
    with t.case("6. vea remind add / cancel, vea snooze wake"):
        rows = journal(cfg3, "remind")
        rc, out, err = vt.run_vea(["remind", "add", str(rows[0]["id"]), "2d"], cfg3, check=True,
                                  env={"VEA_NOW": iso(wed)})
        assert "due 2026-11-27 10:00 EST" in out, out
        new_id = int(out.split(":")[0].lstrip("#"))
        rc, out, err = vt.run_vea(["remind", "cancel", str(new_id)], cfg3, check=True)
        assert "cancelled" in out, out
        rc, out, err = vt.run_vea(["remind", "cancel", str(new_id)], cfg3)
        assert rc == 1 and "is cancelled" in err, (rc, err)
        rc, out, err = vt.run_vea(["remind", "list"], cfg3, check=True)
        assert "#%d" % new_id not in out and "Contract" in out, out
        gap = [r for r in timers(cfg4) if r["message_id"] == "gap@bob.test"][0]
        rc, out, err = vt.run_vea(["snooze", "wake", str(gap["id"])], cfg4, check=True,
                                  env={"VEA_NOW": iso(MONDAY_0900 + 200)})
        run(cfg4, MONDAY_0900 + 300)
        vt.assert_eq(where(w, cfg4.user, "gap@bob.test")[0][0], "INBOX", "woken by hand")
        rc, out, err = vt.run_vea(["remind", "add", "999999", "2d"], cfg3)
        assert rc == 1 and "no action #999999" in err, err
        rc, out, err = vt.run_vea(["remind", "add", str(rows[0]["id"]), "next tuesday"], cfg3)
        assert rc == 1 and "unknown time" in err, err

    with t.case("6b. the client's holidays changed in vea.conf: the waiting reminder is resolved "
                "again (Friday, not Tuesday), and the log says so"):
        text = open(cfg3.path).read()
        open(cfg3.path, "w").write("\n".join(l for l in text.split("\n")
                                             if not l.startswith("holidays")))
        rc, out, err = run(cfg3, wed + 3600)
        row = [r for r in timers(cfg3) if r["state"] == "pending"][0]
        vt.assert_eq(row["due_at"], unix("2026-11-27T15:00:00Z"), "due")
        assert row["local_due"].startswith("2026-11-27 10:00 EST"), row["local_due"]
        assert "due 2026-11-27 10:00 EST America/New_York, was 2026-12-01 10:00 EST" in err, err

    # -------------------------------------------------- 7. kill -9 around due
    cfg7 = w.config("kill")
    n = 400
    base = FRIDAY
    w.d.append_many(cfg7.user, "INBOX",
                    [message(BOB, cfg7.user, "Kill %d" % i if i % 2 else "Nap %d" % i,
                             "k%d@bob.test" % i, base) for i in range(n)])
    run(cfg7, base)
    kills = fired_at_kill = 0
    rng = random.Random(15)
    with t.case("7. kill -9 around the due time (10+ kills): each timer fires exactly once"):
        vt.assert_eq(len(timers(cfg7)), n, "timers set")
        now = base + 3600 + 1
        rounds = 0
        longest = 0.15
        progress = []
        while rounds < 60:
            rounds += 1
            p = subprocess.Popen([vt.vea_binary(), "-c", cfg7.path, "run", "--once"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 stdin=subprocess.DEVNULL,
                                 env=dict(os.environ, VEA_NOW=iso(now)))
            time.sleep(rng.uniform(0.005, longest))
            done_before = vt.db_query(cfg7.db, "SELECT count(*) AS n FROM timers "
                                               "WHERE state = 'fired'")[0]["n"]
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                if 0 < n - done_before:
                    kills += 1
            else:
                longest = max(0.02, longest / 2)  # it finished first: kill sooner
            p.wait()
            progress.append(done_before)
            left = vt.db_query(cfg7.db, "SELECT count(*) AS n FROM timers "
                                        "WHERE state != 'fired'")[0]["n"]
            if left == 0 and kills >= 10:
                break
            # Past the leases of the killed firer.
            now += 150
        run(cfg7, now + 600)
        t.diag("%d runs, %d kills with timers left to fire; fired when killed: %s"
               % (rounds, kills, " ".join(str(x) for x in progress)))
        assert len(set(progress)) >= 5, "the kills did not land while firing: %r" % progress
        assert kills >= 10, "only %d kills landed" % kills
        rows = timers(cfg7)
        vt.assert_eq(sorted(set(r["state"] for r in rows)), ["fired"], "states")
        for kind in ("reminded", "woken"):
            per = {}
            for r in journal(cfg7, kind):
                per[r["message_id"]] = per.get(r["message_id"], 0) + 1
            vt.assert_eq(sorted(set(per.values())), [1], "%s rows per message" % kind)
            vt.assert_eq(len(per), n // 2, "%s messages" % kind)
        # Every snoozed message is back in INBOX once; every reminded one flagged.
        msgs = [m for m in w.d.messages(cfg7.user)]
        for i in range(n):
            got = [m for m in msgs if m["message_id"] == "<k%d@bob.test>" % i]
            assert len(got) == 1 and got[0]["mailbox"] == "INBOX", (i, got)
            if i % 2:
                assert "\\Flagged" in got[0]["flags"], (i, got)
        ledger = vt.db_query(cfg7.db, "SELECT count(*) AS n FROM ledger_entries")[0]["n"]
        vt.assert_eq(ledger, n, "ledger entries (one per firing)")

    # ------------------------------------------------ 8. a day down, then back
    cfg8 = w.config("late")
    w.d.append_many(cfg8.user, "INBOX", [message(BOB, cfg8.user, "Kill late %d" % i,
                                                 "late%d@bob.test" % i, base) for i in range(3)])
    run(cfg8, base)
    with t.case("8. restarted a day after the due time: each late timer fires once, logged late"):
        rc, out, err = run(cfg8, base + 3600 + 86400 + 600)
        rows = journal(cfg8, "reminded")
        vt.assert_eq(len(rows), 3, "reminded rows")
        for r in rows:
            assert "late by 1d 0h 10m" in r["argument"], r["argument"]
        assert err.count("fired late by 1d 0h 10m") == 3, err
        late = [r for r in timers(cfg8) if "late by 1d 0h 10m" in r["result"]]
        vt.assert_eq(len(late), 3, "timers marked late")
        rc, out, err = vt.run_vea(["log"], cfg8, check=True)
        vt.assert_eq(out.count("late by 1d 0h 10m"), 3, "late lines in vea log")
        run(cfg8, base + 3600 + 86400 * 2)
        vt.assert_eq(len(journal(cfg8, "reminded")), 3, "reminded rows after another run")

    # ------------------------------------------- 9. the timer thread of vea run
    cfg9 = w.config("daemon")
    w.d.append_many(cfg9.user, "INBOX", [message(BOB, cfg9.user, "Kill watched %d" % i,
                                                 "w%d@bob.test" % i, base) for i in range(3)])
    run(cfg9, base)
    with t.case("9. vea run (watching): the timer thread fires what is due, once, and stops "
                "on SIGTERM"):
        p = subprocess.Popen([vt.vea_binary(), "-c", cfg9.path, "run"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL,
                             env=dict(os.environ, VEA_NOW=iso(base + 3600 + 30)))
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if [r for r in timers(cfg9) if r["state"] != "fired"] == []:
                    break
                time.sleep(0.2)
        finally:
            p.send_signal(signal.SIGTERM)
            err = p.communicate(timeout=60)[1].decode()
        vt.assert_eq(p.returncode, 0, "exit status")
        vt.assert_eq(sorted(r["state"] for r in timers(cfg9)), ["fired"] * 3, "states")
        vt.assert_eq(len(journal(cfg9, "reminded")), 3, "reminded rows")
        vt.assert_eq(err.count("): fired: flagged, marked unread"), 3, "log lines\n" + err)

    w.smtp.stop()
    return t.done()


if __name__ == "__main__":
    vt.main(main)
