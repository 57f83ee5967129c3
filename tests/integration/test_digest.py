#!/usr/bin/python3
"""The daily digest end to end (issue 6).

A private Dovecot holds the executives' and the assistant's mailboxes; a
real SMTP server (tests/harness/smtpd.py, aiosmtpd) delivers what vea sends
into those Maildirs, and every digest is read back over IMAP and parsed:

  * sections and numbers match what `vea run` did to real messages;
  * "Needs you" lists the flagged messages the executive has not read
    yet (asked of Dovecot, read-only), with their first line of text,
    and leaves them unread; a flagged message read since is left out;
  * "Time used" shows the numbers `vea bill report --format json` gives
    (rounded to the billing increment, not raw ledger seconds);
  * an account vea cannot log in to never holds the digest back: its
    flagged messages are listed from the journal, with a note;
  * hostile content (a <script> subject, CRLF in an encoded From name,
    8-bit right-to-left text with a bidi override, 10,000 journalled
    messages) comes out escaped, with intact headers, in bounded size;
  * headless Chromium renders the HTML, runs no script and fetches
    nothing (SKIP when chromium is not installed); a screenshot is left
    for a person to look at;
  * two clients in different zones, one crossing the end of US daylight
    time, get exactly one digest per local day over a simulated week
    (the clock is injected with VEA_NOW, a testing aid);
  * vea down at digest time: sent within digest_grace, else skipped;
    a failed send is retried with backoff and delivered once; a send
    that died mid-way is redone with the same Message-ID;
  * STARTTLS is required: a server without it gets nothing."""

import base64
import datetime
import email
import email.policy
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import zoneinfo

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from veatest import Skip, make_message, run_vea  # noqa: E402
from smtpd import SMTPServer  # noqa: E402

DANA = "dana@example.test"
MARC = "marc@example.test"
ASSISTANT = "assistant@example.test"
SMTP_USER, SMTP_PASS = "vea-mailer", "smtp-secret"

DANA_RULES = r'''require ["fileinto", "imap4flags", "vnd.vea"];
if header :contains "subject" "newsletter" {
    fileinto "Newsletters";
    stop;
}
if address :domain :is "from" "board.example" {
    addflag "\\Flagged";
    bill :minutes 6 "VIP";
}
if header :contains "subject" "receipt" {
    fileinto "Receipts";
    stop;
}
'''


def utc(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M").replace(tzinfo=datetime.timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def duration(seconds):
    """ledger_format_duration (src/ledger/ledger.c), as `vea bill report` writes it."""
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    h, m, s = seconds // 3600, seconds // 60 % 60, seconds % 60
    out = sign + ("%dh %02dm" % (h, m) if h else "%dm" % m)
    return out + (" %02ds" % s if s else "")


def set_flags(d, user, subject, flags):
    """UID STORE +FLAGS on the message with this subject, as the
    executive's mail client would."""
    m = [m for m in d.messages(user) if m["subject"] == subject]
    assert len(m) == 1, "want one message %r, got %r" % (subject, m)
    with d.imap(user) as c:
        typ, data = c.select(vt.imap_quote(vt.mutf7_encode(m[0]["mailbox"])))
        assert typ == "OK", data
        typ, data = c.uid("STORE", str(m[0]["uid"]), "+FLAGS", "(%s)" % flags)
        assert typ == "OK", data
        c.logout()


def flags_of(d, user, subject):
    return [m["flags"] for m in d.messages(user) if m["subject"] == subject]


def bill_report(cfg, client):
    """The client's billing accounts as `vea bill report --format json` has them."""
    rc, out, err = run_vea(["bill", "report", "--client", client, "--format", "json"],
                           config=cfg, check=True)
    return {a["account"]: a for a in json.loads(out)["accounts"]}


def parse(data):
    return email.message_from_bytes(data, policy=email.policy.default)


def parts(msg):
    """(text/plain, text/html) of a digest, decoded."""
    assert msg.get_content_type() == "multipart/alternative", msg.get_content_type()
    subs = list(msg.iter_parts())
    types = [p.get_content_type() for p in subs]
    assert types == ["text/plain", "text/html"], types
    return subs[0].get_content(), subs[1].get_content()


def digests_in(d, user):
    """Digest messages in user's mailboxes, parsed, oldest first."""
    out = []
    for m in d.messages(user, body=True):
        msg = parse(m["data"])
        if msg.get("Auto-Submitted") == "auto-generated" and \
                (msg.get("Message-ID") or "").startswith("<vea-digest."):
            out.append(msg)
    return out


def raw_header_block(msg_bytes):
    return msg_bytes.split(b"\r\n\r\n", 1)[0]


class World:
    """Dovecot, the SMTP server, a config; rebuilt per scenario as needed."""

    def __init__(self, tmp, d):
        self.tmp, self.d = tmp, d
        self.smtp = None

    def start_smtp(self, name, **kw):
        if self.smtp:
            self.smtp.stop()
        kw.setdefault("auth", "%s:%s" % (SMTP_USER, SMTP_PASS))
        self.smtp = SMTPServer(home=os.path.join(self.d.dir, "home"),
                               log=os.path.join(self.tmp, "smtp-%s.log" % name), **kw).start()
        return self.smtp

    def config(self, name, clients, smtp_url=None, tls="none", ca_file=None, accounts=None,
               billing=None):
        cdir = os.path.join(self.tmp, name)
        os.makedirs(cdir, exist_ok=True)
        pw = os.path.join(cdir, "smtp.pw")
        with open(pw, "w") as f:
            f.write(SMTP_PASS + "\n")
        os.chmod(pw, 0o600)
        extra = ("[assistant]\nname = Alex Assistant\nemail = %s\n\n"
                 "[smtp]\nurl = %s\nuser = %s\npassword_cmd = cat %s\ntls = %s\n"
                 "from = vea for Alex <digest@assistant.example>\n"
                 % (ASSISTANT, smtp_url or self.smtp.url, SMTP_USER, pw, tls))
        if ca_file:
            extra += "ca_file = %s\n" % ca_file
        return vt.write_config(os.path.join(cdir, "vea.conf"), dovecot=self.d, clients=clients,
                               accounts=accounts, billing=billing, extra=extra)


def vea_at(cfg, now, *args, check=None):
    return run_vea(list(args), config=cfg, env={"VEA_NOW": iso(now)}, check=check)


def db_rows(cfg, sql, params=()):
    return vt.db_query(cfg.db, sql, params)


def insert_actions(cfg, rows):
    """Journal rows as the agent writes them (for the 10,000-message day)."""
    con = sqlite3.connect(cfg.db)
    with con:
        con.executemany(
            "INSERT INTO actions (client, account, mailbox, uidvalidity, uid, message_id,"
            " from_addr, subject, rule_file, rule_line, action, argument, operation, state,"
            " created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,'done',strftime('%s','now'))", rows)
    con.close()


def main():
    t = vt.TAP(timeout=900)
    tmp = vt.mkdtemp("vea-digest-")
    # What a person may want to look at afterwards (the screenshot, the
    # HTML) outlives the run; the rest of tmp does not.
    out_dir = os.environ.get("VEA_TEST_OUTPUT") or vt.mkdtemp("vea-digest-output-")
    os.makedirs(out_dir, exist_ok=True)
    d = vt.Dovecot()
    for u in (DANA, MARC, ASSISTANT):
        d.add_user(u, "pw-" + u)
    d.start()
    w = World(tmp, d)
    w.start_smtp("main")

    rules_dir = os.path.join(tmp, "rules")
    os.makedirs(rules_dir)
    with open(os.path.join(rules_dir, "dana.sieve"), "w") as f:
        f.write(DANA_RULES)
    clients = {"dana": {"name": "Dana Whitfield", "email": DANA, "timezone": "America/New_York",
                        "rules": os.path.join(rules_dir, "dana.sieve"),
                        "billing": "dana-retainer", "digest_at": "07:30",
                        "digest_cc_assistant": "true"}}
    accounts = {"dana-work": {"client": "dana", "user": DANA, "password": "pw-" + DANA,
                              "mailboxes": "INBOX", "create_mailboxes": "true"}}
    # 15-minute increments rounded up per entry: billed time is not the
    # raw ledger time, so the digest must take the ledger's numbers.
    billing = {"dana-retainer": {"client": "dana", "rate": "12000", "currency": "USD",
                                 "mode": "retainer", "retainer_hours": "10h",
                                 "increment": "15m", "rounding": "up"}}
    cfg = w.config("real", clients, accounts=accounts, billing=billing)

    # ---------------------------------------------------------------- 1
    with t.case("a digest sent over SMTP arrives in Dovecot; sections and numbers match what vea did"):
        msgs = [make_message("Weekly newsletter #%d" % i, frm="news@letters.example", to=DANA)
                for i in range(3)]
        msgs += [make_message("Your receipt %d" % i, frm="shop@store.example", to=DANA)
                 for i in range(2)]
        msgs += [make_message("Board meeting moved", frm="Vi Pearson <vi@board.example>", to=DANA,
                              body="The board meets on Friday at 9 now.\n"),
                 make_message("Budget sign-off", frm="Chair <chair@board.example>", to=DANA,
                              body="Hi Dana,\n\nPlease sign off the Q4 budget <by Friday> & reply."
                                   "\n\n> Earlier: the draft numbers\n"),
                 make_message("Lunch?", frm="friend@example.org", to=DANA)]
        d.append_many(DANA, "INBOX", msgs)
        run_vea(["run", "--once"], config=cfg, check=True)
        vt.assert_eq(flags_of(d, DANA, "Board meeting moved"), [{"\\Flagged"}], "flagged by the rule")
        # Dana reads one of the two on her phone before the digest.
        set_flags(d, DANA, "Board meeting moved", "\\Seen")
        rc, out, err = run_vea(["digest", "send", "dana"], config=cfg, check=True)
        assert "sent to %s, %s" % (DANA, ASSISTANT) in out, out
        got = digests_in(d, DANA)
        assert len(got) == 1, "want 1 digest in dana's mailbox, got %d" % len(got)
        msg = got[0]
        text, html = parts(msg)
        text = text.replace("\r\n", "\n")
        today = datetime.datetime.now(datetime.timezone.utc).astimezone(
            zoneinfo.ZoneInfo("America/New_York"))
        label = today.strftime("%a ") + str(today.day) + today.strftime(" %b")
        vt.assert_eq(str(msg["Subject"]), "%s: 1 needs you, 8 handled" % label, "subject")
        vt.assert_eq(msg["To"].addresses[0].addr_spec, DANA, "To")
        vt.assert_eq(msg["Cc"].addresses[0].addr_spec, ASSISTANT, "Cc")
        vt.assert_eq(msg["From"].addresses[0].addr_spec, "digest@assistant.example", "From")
        for want in ("NEEDS YOU (1)", "Budget sign-off", "Board meeting moved",
                     "Filed 5: Newsletters 3, Receipts 2", "Marked 2: Flagged 2",
                     "Left in place 3: INBOX 3", "WHAT VEA DID (8 messages)",
                     "TIME USED THIS PERIOD"):
            assert want in text, "%r not in the text part:\n%s" % (want, text)
        # Needs you: the unread one, its first line, where it is; not the
        # one Dana read (it is still in "What vea did").
        needs = text.split("WHAT VEA DID")[0]
        assert "Board meeting moved" not in needs, needs
        assert "  * Chair <chair@board.example>\n    Budget sign-off\n" \
               "    \"Hi Dana, Please sign off the Q4 budget <by Friday> & reply.\"\n" \
               "    in INBOX\n" in needs, needs
        assert "may already be read" not in text and "Note:" not in text, text
        html_needs = html.split("What vea did")[0]
        assert "Hi Dana, Please sign off the Q4 budget &lt;by Friday&gt; &amp; reply." \
            in html_needs, html_needs
        assert "Board meeting moved" not in html_needs
        # Asking and fetching read nothing: the message is still unread.
        vt.assert_eq(flags_of(d, DANA, "Budget sign-off"), [{"\\Flagged"}], "still unread")
        # Time used: what `vea bill report` says, rounded up per entry
        # (two 6-minute VIP bills are 2 x 15m), not the raw 12 minutes.
        raw = db_rows(cfg, "SELECT COALESCE(sum(seconds),0) AS s FROM ledger_entries"
                      " WHERE billing_account='dana-retainer'")[0]["s"]
        r = bill_report(cfg, "dana")["dana-retainer"]["retainer"]
        assert r["used_seconds"] >= 30 * 60 and r["used_seconds"] > raw, (r, raw)
        want = "dana-retainer: %s of %s used, %s remaining" % (
            duration(r["used_seconds"]), duration(r["available_seconds"]),
            duration(r["remaining_seconds"]))
        assert want in text, "%r not in:\n%s" % (want, text)
        assert duration(raw) + " of" not in text, "raw ledger time shown"
        assert re.search(r'<td width="\d+%" style="width:\d+%;height:14px;background:#3b82f6', html), \
            "no retainer bar in the HTML"
        assert len(digests_in(d, ASSISTANT)) == 1, "the assistant's copy"
        tx = w.smtp.transactions()
        vt.assert_eq(len(tx), 1, "SMTP transactions")
        vt.assert_eq(tx[0]["login"], SMTP_USER, "AUTH login (password_cmd)")
        vt.assert_eq(sorted(tx[0]["rcpt_tos"]), sorted([DANA, ASSISTANT]), "envelope")
        row = db_rows(cfg, "SELECT * FROM digests WHERE client='dana'")
        vt.assert_eq([(r["state"], r["needs_you"], r["handled"]) for r in row],
                     [("sent", 1, 8)], "digests row")
        vt.assert_eq("<%s>" % row[0]["message_id"], msg["Message-ID"], "Message-ID recorded")

    with t.case("the next digest: What vea did covers only what is new; an unread flagged message is shown again"):
        rc, out, err = run_vea(["digest", "preview", "dana"], config=cfg, check=True)
        assert "Filed" not in out and "WHAT VEA DID" not in out, out
        assert "NEEDS YOU (1)" in out and "Budget sign-off" in out, out
        set_flags(d, DANA, "Budget sign-off", "\\Seen")
        rc, out, err = run_vea(["digest", "preview", "dana"], config=cfg, check=True)
        assert "nothing new" in out.split("\n")[0], out
        assert "NEEDS YOU" not in out and "Filed" not in out, out

    with t.case("a second `digest send` the same day is an extra, recorded apart"):
        run_vea(["digest", "send", "dana"], config=cfg, check=True)
        rows = db_rows(cfg, "SELECT manual, state FROM digests WHERE client='dana' ORDER BY id")
        vt.assert_eq([(r["manual"], r["state"]) for r in rows], [(0, "sent"), (1, "sent")], "rows")

    # ---------------------------------------------------------------- 2
    hostile_html = os.path.join(out_dir, "digest-hostile.html")
    with t.case("hostile content: escaped HTML, intact headers, RTL text kept, overrides dropped"):
        evil_name = base64.b64encode("Mallory\r\nBcc: victim@evil.example".encode()).decode()
        rtl = "שלום עולם مرحبا"
        hostile = [
            make_message("<script>alert(1)</script>", frm="Vi <vi@board.example>", to=DANA),
            make_message("Quarterly plan", frm="=?utf-8?b?%s?= <ceo@board.example>" % evil_name,
                         to=DANA),
            make_message(rtl + " \u202egnp.exe", frm="\"%s\" <pr@board.example>" % rtl, to=DANA),
            make_message("Ünïcödé receipt ✓ <b>bold</b> & co", frm="shop@store.example", to=DANA),
        ]
        d.append_many(DANA, "INBOX", hostile)
        run_vea(["run", "--once"], config=cfg, check=True)
        run_vea(["digest", "preview", "dana", "--html", hostile_html], config=cfg, check=True)
        before = len(digests_in(d, DANA))
        run_vea(["digest", "send", "dana"], config=cfg, check=True)
        newest = [m for m in d.messages(DANA, body=True)]
        raw = [m["data"] for m in newest if b"vea-digest." in m["data"]][-1]
        assert len(digests_in(d, DANA)) == before + 1
        msg = parse(raw)
        text, html = parts(msg)
        headers = raw_header_block(raw).decode("ascii")   # 7-bit: RFC 2047 did its job
        names = [l.split(":", 1)[0].lower() for l in headers.split("\r\n") if l and l[0] not in " \t"]
        assert "bcc" not in names, headers
        vt.assert_eq(sorted(set(names)), sorted(set(["from", "to", "cc", "subject", "date", "message-id",
                     "auto-submitted", "mime-version", "content-type", "return-path"])), "header names")
        assert "<script" not in html.lower(), "raw <script> in the HTML"
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, "escaped subject missing"
        assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html, "escaped receipt subject"
        assert "<script>alert(1)</script>" in text, "the text part shows the subject as is"
        assert "Mallory Bcc: victim@evil.example" in text, "CRLF in a name became a space"
        assert rtl in text and rtl in html, "RTL text lost"
        assert "\u202e" not in text and "\u202e" not in html, "bidi override kept"
        assert "<bdi>" in html, "message strings are bidi-isolated"
        for bad in ("http:", "https:", "src=", "url(", "<img", "<link", "<iframe", "<object",
                    "javascript:", "<style"):
            assert bad not in html.lower(), "%r in the HTML" % bad

    with t.case("a day of 10,000 messages: complete counts, bounded size"):
        # 1,000 of them flagged and really unread in Dana's INBOX (so the
        # server is asked about the newest DIGEST_MAX_CHECK = 200 and 20
        # are fetched); the 9,000 others only in the journal.
        with d.imap(DANA) as c:
            typ, data = c.status("INBOX", "(UIDVALIDITY UIDNEXT)")
            c.logout()
        uidvalidity = int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))
        uidnext = int(re.search(rb"UIDNEXT (\d+)", data[0]).group(1))
        d.append_many(DANA, "INBOX", [
            (make_message("flagged %d" % i, frm="s%d@bulk.example" % i, to=DANA,
                          body="> quoted\nLine %d <script>alert(%d)</script> \u202e%s\n"
                               % (i, i, "x" * 300)), ["\\Flagged"])
            for i in range(0, 10000, 10)])
        rows = []
        for i in range(10000):
            box = "Lists/L%02d" % (i % 40)
            subj = "<script>x</script> message %d \u202e" % i
            if i % 10 == 0:
                rows.append(("dana", "dana-work", "INBOX", uidvalidity, uidnext + i // 10,
                             "m%d@x" % i, "Sender %d <s%d@bulk.example>" % (i, i), subj,
                             "dana.sieve", 7, "addflag", "\\Flagged", "flags"))
                rows.append(("dana", "dana-work", "INBOX", uidvalidity, uidnext + i // 10,
                             "m%d@x" % i, "Sender %d <s%d@bulk.example>" % (i, i), subj,
                             "dana.sieve", 7, "keep", "INBOX", "none"))
            else:
                rows.append(("dana", "dana-work", "INBOX", 1, 100000 + i, "m%d@x" % i,
                             "Sender %d <s%d@bulk.example>" % (i, i), subj, "dana.sieve", 3,
                             "fileinto", box, "move"))
        # Flagged messages from the earlier cases are within the window of
        # Needs you too: they are among the older ones not checked.
        earlier = db_rows(cfg, "SELECT count(*) AS n FROM (SELECT DISTINCT mailbox, uidvalidity, uid"
                               " FROM actions WHERE client = 'dana' AND action = 'addflag'"
                               " AND argument LIKE '%Flagged%' AND undone_by IS NULL)")[0]["n"]
        insert_actions(cfg, rows)
        rc, out, err = run_vea(["digest", "preview", "dana", "--mime"], config=cfg, check=True)
        size = len(out.encode())
        assert size < 64 * 1024, "digest of 10,000 messages is %d bytes" % size
        msg = parse(out.encode())
        text, html = parts(msg)
        text = text.replace("\r\n", "\n")
        assert str(msg["Subject"]).endswith(": 200 need you, 10000 handled"), msg["Subject"]
        # 36 boxes of 250 (the other 4 boxes' messages are the flagged ones).
        assert "Filed 9000: " in text and ", 28 more 7000" in text, text[:3000]
        assert "Marked 1000: Flagged 1000" in text, text[:3000]
        assert "... and 180 more" in text, "needs-you list is capped"
        assert "%d older flagged messages were not checked" % (800 + earlier) in text, text[:3000]
        assert text.count("  * ") == 20, "20 newest flagged shown"
        needs = text.split("WHAT VEA DID")[0]
        assert needs.index("message 9990") < needs.index("message 9980"), "newest first"
        assert '    "Line 9990 <script>alert(9990)</script> xxx' in needs, needs[:2000]
        snippet = re.search(r'    "(Line 9990 [^"]*)"', needs).group(1)
        assert len(snippet) <= 141 and snippet.endswith("\u2026"), snippet
        assert "&lt;script&gt;alert(9990)&lt;/script&gt;" in html
        assert "<script" not in html.lower() and "\u202e" not in html
        flagged_now = [m for m in d.messages(DANA) if m["subject"].startswith("flagged ")]
        vt.assert_eq(len(flagged_now), 1000, "flagged messages")
        assert all(m["flags"] == {"\\Flagged"} for m in flagged_now), "a fetch set \\Seen"
        t.diag("10,000-message digest: %d bytes" % size)

    with t.case("an account vea cannot log in to: the digest still goes out, Needs you from the journal"):
        ucfg = w.config("unreachable", clients, billing=billing, accounts={
            "dana-work": dict(accounts["dana-work"], password="not-the-password")})
        run_vea(["digest", "preview", "dana"], config=ucfg, check=True)    # creates the database
        insert_actions(ucfg, [
            ("dana", "dana-work", "INBOX", 1, 1, "u1@x", "Vi <vi@board.example>", "Read already?",
             "dana.sieve", 7, "addflag", "\\Flagged", "flags"),
            ("dana", "dana-work", "INBOX", 1, 2, "u2@x", "Chair <chair@board.example>", "Sign this",
             "dana.sieve", 7, "addflag", "\\Flagged", "flags")])
        n = len(w.smtp.transactions())
        rc, out, err = run_vea(["digest", "send", "dana"], config=ucfg, check=True)
        assert "unread status not checked for dana-work" in out, out
        vt.assert_eq(len(w.smtp.transactions()), n + 1, "sent anyway")
        raw = [m["data"] for m in d.messages(DANA, body=True) if b"vea-digest." in m["data"]][-1]
        text, html = parts(parse(raw))
        text = text.replace("\r\n", "\n")
        assert "NEEDS YOU (2)" in text, text
        assert text.count("(may already be read)") == 2, text
        assert "Note: dana-work: vea could not check which flagged messages are still unread" \
            in text, text
        assert "not-the-password" not in text + html + out + err
        row = db_rows(ucfg, "SELECT state, needs_you FROM digests")
        vt.assert_eq([(r["state"], r["needs_you"]) for r in row], [("sent", 2)], "digests row")

    # ---------------------------------------------------------------- 3
    with t.case("headless Chromium renders the HTML, runs no script, fetches nothing"):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            raise Skip("chromium not installed (apt-get install chromium)")
        shot = os.path.join(out_dir, "digest-hostile.png")
        profile = os.path.join(tmp, "chromium-profile")

        def chromium_run(html_file, *args):
            """Run headless Chromium on a file; (stdout, [(url, initiator)]
            of every request the page itself made). Chromium's own
            background requests (updates, time) have no origin as their
            initiator and are not the page's doing."""
            netlog = os.path.join(tmp, "netlog-%s.json" % os.path.basename(html_file))
            r = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                                "--no-first-run", "--user-data-dir=" + profile,
                                "--log-net-log=" + netlog] + list(args) +
                               ["file://" + html_file], capture_output=True, timeout=120)
            with open(netlog, errors="replace") as f:
                log = f.read()
            try:
                events = json.loads(log).get("events", [])
            except ValueError:      # cut short: read what is there
                events = [{"params": {"url": u, "initiator": i}} for u, i in re.findall(
                    r'"initiator":"([^"]*)"[^{}]*?"url":"([^"]+)"', log)]
            fetched = []
            for ev in events:
                p = ev.get("params") or {}
                url, initiator = p.get("url"), p.get("initiator")
                if not url or url.startswith(("file:", "data:", "about:", "chrome:")):
                    continue
                if initiator is None or initiator == "not an origin":
                    continue    # not a request start, or not the page's
                fetched.append((url, initiator))
            return r.stdout.decode(errors="replace"), fetched, r

        # A control page first, so that the checks below cannot pass by
        # seeing nothing: it must be caught fetching and running script.
        canary = os.path.join(tmp, "canary.html")
        with open(canary, "w") as f:
            f.write('<html><head><title>before</title></head><body>'
                    '<img src="http://127.0.0.1:9/canary.png">'
                    '<script>document.title = "script ran";</script></body></html>')
        dom, fetched, _ = chromium_run(canary, "--dump-dom")
        assert "script ran" in dom, "control: script execution not detected"
        assert any("canary.png" in u for u, _ in fetched), "control: fetch not detected"

        _, fetched, r = chromium_run(hostile_html, "--window-size=800,1400",
                                     "--screenshot=" + shot)
        assert os.path.isfile(shot) and os.path.getsize(shot) > 10000, \
            "no screenshot: %s" % r.stderr.decode(errors="replace")[-1500:]
        assert not fetched, "the digest made Chromium fetch: %s" % fetched
        dom, fetched, _ = chromium_run(hostile_html, "--dump-dom")
        assert not fetched, "the digest made Chromium fetch: %s" % fetched
        assert "Needs you" in dom, "the DOM lacks the digest: %s" % dom[:500]
        assert "<script" not in dom.lower(), "a script element in the rendered DOM"
        assert "script ran" not in dom
        t.diag("screenshot for a person to look at: %s" % shot)

    # ---------------------------------------------------------------- 4
    week_clients = {
        "dana": {"name": "Dana Whitfield", "email": DANA, "timezone": "America/New_York",
                 "digest_at": "01:30"},      # 01:30 happens twice on 1 Nov 2026
        "marc": {"name": "Marc Keller", "email": MARC, "timezone": "Europe/Berlin",
                 "digest_at": "08:00"},
    }
    with t.case("two zones, one crossing the end of DST: one digest per local day for a week"):
        w.start_smtp("week")
        wcfg = w.config("week", week_clients)
        start, end = utc("2026-10-28T12:00"), utc("2026-11-04T12:00")
        now = start
        while now < end:
            vea_at(wcfg, now, "digest", "due", check=True)
            now += datetime.timedelta(minutes=20)
        tx = w.smtp.transactions()
        by = {}
        for x in tx:
            by.setdefault(x["rcpt_tos"][0], []).append(x)
        rows = db_rows(wcfg, "SELECT client, local_date, state, due_at, sent_at FROM digests"
                       " ORDER BY client, local_date")
        for cid, addr, zone in (("dana", DANA, "America/New_York"), ("marc", MARC, "Europe/Berlin")):
            # vea "starts" mid-day: the day before's digest, long past its
            # grace, is recorded as skipped; every one after is sent.
            skipped = [r for r in rows if r["client"] == cid and r["state"] == "skipped"]
            assert len(skipped) == 1 and skipped[0]["due_at"] < start.timestamp(), skipped
            mine = [r for r in rows if r["client"] == cid and r["state"] != "skipped"]
            dates = [r["local_date"] for r in mine]
            vt.assert_eq(len(dates), len(set(dates)), "%s: dates unique" % cid)
            assert all(r["state"] == "sent" for r in mine), mine
            vt.assert_eq(len(by.get(addr, [])), len(mine), "%s: one SMTP transaction per row" % cid)
            assert len(mine) == 7, "%s: %d digests in a week: %s" % (cid, len(mine), dates)
            for r in mine:
                assert 0 <= r["sent_at"] - r["due_at"] < 20 * 60, r
                local_due = datetime.datetime.fromtimestamp(
                    r["due_at"], zoneinfo.ZoneInfo(zone))
                vt.assert_eq(local_due.strftime("%Y-%m-%d %H:%M"), "%s %s" % (
                    r["local_date"], week_clients[cid]["digest_at"]), "%s: local due time" % cid)
        dana_due = {r["local_date"]: r["due_at"] for r in rows if r["client"] == "dana"}
        vt.assert_eq(dana_due["2026-10-31"] % 86400, 5 * 3600 + 1800, "01:30 EDT = 05:30Z")
        vt.assert_eq(dana_due["2026-11-02"] % 86400, 6 * 3600 + 1800, "01:30 EST = 06:30Z")
        got = digests_in(d, MARC)
        vt.assert_eq(len(got), 7, "digests in marc's mailbox over IMAP")

    with t.case("a restart (or a second process) at the same time sends nothing twice"):
        before = len(w.smtp.transactions())
        for _ in range(3):
            vea_at(wcfg, utc("2026-11-03T13:00"), "digest", "due", check=True)
        vt.assert_eq(len(w.smtp.transactions()), before, "no new SMTP transaction")

    with t.case("vea down at digest time: sent within digest_grace, skipped after it"):
        # vea comes back at 10:00Z, digest_grace is 3h: Marc's 6 Nov digest
        # was due 07:00Z (just in time), Dana's 06:30Z (too late).
        vea_at(wcfg, utc("2026-11-06T10:00"), "digest", "due", check=True)
        rows = {(r["client"], r["local_date"]): r for r in db_rows(
            wcfg, "SELECT * FROM digests WHERE local_date = '2026-11-06'")}
        vt.assert_eq(rows[("marc", "2026-11-06")]["state"], "sent", "marc within grace")
        vt.assert_eq(rows[("dana", "2026-11-06")]["state"], "skipped", "dana past grace")
        assert "not running" in rows[("dana", "2026-11-06")]["result"]

    with t.case("a failed send is retried with backoff and delivered exactly once"):
        w.start_smtp("retry", fail_first=2)
        rcfg = w.config("retry", {"marc": week_clients["marc"]})
        due = utc("2026-11-10T07:00")
        # (seconds after due, SMTP transactions so far): the second try
        # waits a minute, the third two more.
        steps = [(0, 1), (30, 1), (61, 2), (120, 2), (181, 3), (300, 3), (3600, 3)]
        for s, want in steps:
            vea_at(rcfg, due + datetime.timedelta(seconds=s), "digest", "due", check=True)
            vt.assert_eq(len(w.smtp.transactions()), want, "transactions at due+%ds" % s)
        tx = w.smtp.transactions()
        vt.assert_eq([x["reply"] for x in tx], ["451", "451", "250"], "SMTP replies")
        row = db_rows(rcfg, "SELECT * FROM digests")
        vt.assert_eq([(r["state"], r["attempts"]) for r in row], [("sent", 3)], "row")
        vt.assert_eq(len(digests_in(d, MARC)), 7 + 1 + 1, "one more digest in marc's mailbox")

    with t.case("a send that died mid-way is redone once its lease expires, same Message-ID"):
        con = sqlite3.connect(rcfg.db)
        with con:
            con.execute("INSERT INTO digests (client, local_date, state, due_at, message_id,"
                        " attempts, lease_until, created_at) VALUES ('marc', '2026-11-11', 'sending',"
                        " ?, 'vea-digest.marc.2026.11.11.crash@assistant.example', 1, ?, ?)",
                        (int(utc("2026-11-11T07:00").timestamp()),
                         int(utc("2026-11-11T07:10").timestamp()),
                         int(utc("2026-11-11T07:00").timestamp())))
        con.close()
        n = len(w.smtp.transactions())
        vea_at(rcfg, utc("2026-11-11T07:05"), "digest", "due", check=True)
        vt.assert_eq(len(w.smtp.transactions()), n, "lease held: nothing sent")
        vea_at(rcfg, utc("2026-11-11T07:11"), "digest", "due", check=True)
        vt.assert_eq(len(w.smtp.transactions()), n + 1, "sent after the lease ran out")
        got = [m for m in digests_in(d, MARC)
               if m["Message-ID"] == "<vea-digest.marc.2026.11.11.crash@assistant.example>"]
        vt.assert_eq(len(got), 1, "delivered with the Message-ID chosen before the crash")

    with t.case("STARTTLS is required: a server without it is never sent to in the clear"):
        w.start_smtp("plain")
        pcfg = w.config("plain", {"marc": week_clients["marc"]}, tls="required")
        rc, out, err = vea_at(pcfg, utc("2026-11-12T07:05"), "digest", "send", "marc")
        assert rc == 1, (rc, out, err)
        assert "STARTTLS" in err or "SSL" in err or "TLS" in err, err
        assert w.smtp.transactions() == [], "a transaction in the clear"
        assert SMTP_PASS not in err, "the password leaked into an error"
        row = db_rows(pcfg, "SELECT state FROM digests")
        vt.assert_eq([r["state"] for r in row], ["failed"], "a TLS refusal is not retried")

    with t.case("STARTTLS with a private CA (ca_file) delivers, encrypted"):
        if not shutil.which("openssl"):
            raise Skip("openssl not installed")
        ca_key, ca, key, csr, crt = (os.path.join(tmp, n) for n in
                                     ("ca.key", "ca.pem", "srv.key", "srv.csr", "srv.pem"))
        ext = os.path.join(tmp, "ext.cnf")
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:localhost\n")
        for cmd in (["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca,
                     "-days", "2", "-subj", "/CN=vea test CA"],
                    ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
                     "-subj", "/CN=localhost"],
                    ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
                     "-out", crt, "-days", "2", "-extfile", ext]):
            subprocess.run(["openssl"] + cmd, check=True, capture_output=True)
        w.start_smtp("tls", cert=crt, key=key, starttls=True)
        tcfg = w.config("tls", {"marc": week_clients["marc"]}, tls="required", ca_file=ca)
        vea_at(tcfg, utc("2026-11-12T07:05"), "digest", "send", "marc", check=True)
        tx = w.smtp.transactions()
        vt.assert_eq([(x["reply"], x["tls"], x["login"]) for x in tx], [("250", True, SMTP_USER)],
                     "one encrypted, authenticated transaction")

    w.smtp.stop()
    if not vt.keep_tmp():
        d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    t.diag("output kept in %s" % out_dir)
    return t.done()


if __name__ == "__main__":
    vt.main(main)
