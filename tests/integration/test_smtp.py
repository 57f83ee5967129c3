#!/usr/bin/python3
"""The SMTP layer (src/smtp) against a real SMTP server (issue 12).

tests/harness/smtpd.py (aiosmtpd) delivers what it accepts into a private
Dovecot's Maildirs, and every message is read back over IMAP. The layer
is driven through smtp-send (tests/integration/smtp-send.c), which sends
files over one smtp_session and prints each smtp_result as JSON:

  * several messages over one session use one connection, and each
    arrives once;
  * the null reverse-path: MAIL FROM:<> reaches the server, the message
    arrives with Return-Path: <>;
  * a 451 at the end of data is temporary and gives the server's words;
    the session then sends the next message;
  * 554 at the end of data, and 550 for a recipient, are permanent; one
    refused recipient stops the whole message unless the sender allows
    refusals, and then the others get it;
  * a server slow to answer the end of data is waited for (RFC 5321
    4.5.3.2), and only an idle limit shorter than its silence fails it;
  * the password given by password_cmd never appears in a result."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from veatest import TAP, Dovecot, Skip, assert_eq, make_message  # noqa: E402
from smtpd import SMTPServer  # noqa: E402

DANA = "dana@example.test"
BOB = "bob@example.test"
GONE = "gone@example.test"
SECRET = "s3cret-smtp-password"


def smtp_send_binary():
    builddir = os.environ.get("VEA_BUILDDIR")
    if not builddir:
        vea = os.environ.get("VEA")
        builddir = os.path.dirname(os.path.abspath(vea)) if vea else vt.srcdir()
    path = os.path.join(builddir, "smtp-send")
    if not os.access(path, os.X_OK):
        raise vt.HarnessError("smtp-send not built: %s (make check builds it)" % path)
    return path


def send(url, tmp, messages, to, sender=None, null_sender=False, extra=()):
    """Run smtp-send; returns ([result dicts], connections, exit status)."""
    files = []
    for i, data in enumerate(messages):
        path = os.path.join(tmp, "m%d-%d.eml" % (len(os.listdir(tmp)), i))
        with open(path, "wb") as f:
            f.write(data)
        files.append(path)
    cmd = [smtp_send_binary(), url, "--tls", "none"]
    cmd += ["--null-sender"] if null_sender else ["--from", sender or DANA]
    for r in to:
        cmd += ["--to", r]
    cmd += list(extra) + files
    p = subprocess.run(cmd, capture_output=True, timeout=120)
    lines = [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]
    if not lines or "connections" not in lines[-1]:
        raise AssertionError("smtp-send said: %r %r" % (p.stdout, p.stderr))
    return lines[:-1], lines[-1]["connections"], p.returncode, p.stdout + p.stderr


def subjects(dc, user):
    return sorted(m["subject"] for m in dc.messages(user))


def main():
    t = TAP(timeout=300)
    tmp = vt.mkdtemp("vea-smtp-")
    with Dovecot() as dc:
        for user in (DANA, BOB):
            dc.add_user(user, "x")
        dc.start()
        home = os.path.join(dc.dir, "home")
        log = lambda name: os.path.join(tmp, name + ".log")  # noqa: E731

        with t.case("three messages over one session: one connection, each delivered once"):
            with SMTPServer(home, log("many")) as s:
                msgs = [make_message("Batch %d" % i, frm=DANA, to=BOB) for i in range(3)]
                results, connections, rc, _ = send(s.url, tmp, msgs, [BOB])
                assert_eq(rc, 0, "exit status")
                assert_eq([r["outcome"] for r in results], ["accepted"] * 3, "outcomes")
                assert_eq([r["reply"] for r in results], [250] * 3, "replies")
                # The server's own words come back with an acceptance.
                assert "OK delivered" in results[0]["text"], results[0]
                assert_eq(connections, 1, "connections the session opened")
                tx = s.transactions()
                assert_eq(len(tx), 3, "transactions")
                assert_eq({x["connection"] for x in tx}, {1}, "connections the server saw")
            assert_eq(subjects(dc, BOB), ["Batch 0", "Batch 1", "Batch 2"], "Bob's mailbox")

        with t.case("null reverse-path: MAIL FROM:<>, delivered with Return-Path: <>"):
            with SMTPServer(home, log("null")) as s:
                msg = make_message("Auto: Lunch", frm=DANA, to=BOB,
                                   headers=[("Auto-Submitted", "auto-replied (vacation)")])
                results, _, rc, _ = send(s.url, tmp, [msg], [BOB], null_sender=True)
                assert_eq([r["outcome"] for r in results], ["accepted"], "outcome")
                assert_eq([x["mail_from"] for x in s.transactions()], [""], "MAIL FROM")
            got = [m for m in dc.messages(BOB, body=True) if m["subject"] == "Auto: Lunch"]
            assert_eq(len(got), 1, "delivered replies")
            assert got[0]["data"].startswith(b"Return-Path: <>\r\n"), got[0]["data"][:80]

        with t.case("451 at the end of data: temporary, the server's words; the next one goes"):
            with SMTPServer(home, log("451"), fail_first=1, fail_code=451) as s:
                msgs = [make_message("Greylisted", frm=DANA, to=BOB),
                        make_message("After greylisting", frm=DANA, to=BOB)]
                results, connections, rc, _ = send(s.url, tmp, msgs, [BOB])
                assert_eq([r["outcome"] for r in results], ["temporary", "accepted"], "outcomes")
                assert_eq(results[0]["reply"], 451, "reply code")
                assert "Try again later" in results[0]["text"], results[0]["text"]
                assert "localhost:%d" % s.port in results[0]["text"], results[0]["text"]
                assert_eq(results[0]["needs_config"], False, "needs_config")
                assert_eq(rc, 1, "exit status")
            assert "Greylisted" not in subjects(dc, BOB)
            assert "After greylisting" in subjects(dc, BOB)

        with t.case("554 at the end of data: permanent, with the server's words"):
            with SMTPServer(home, log("554"), fail_first=1, fail_code=554) as s:
                results, _, _, _ = send(s.url, tmp, [make_message("Spammy", frm=DANA, to=BOB)],
                                        [BOB])
                assert_eq(results[0]["outcome"], "permanent", "outcome")
                assert_eq(results[0]["reply"], 554, "reply")
                assert "test server told to fail" in results[0]["text"], results[0]["text"]
            assert "Spammy" not in subjects(dc, BOB)

        with t.case("550 for one recipient: permanent, nothing sent, the refusal named"):
            with SMTPServer(home, log("550"), refuse_rcpt={GONE: 550}) as s:
                results, _, _, _ = send(s.url, tmp,
                                        [make_message("Reply all", frm=DANA, to=BOB)],
                                        [BOB, GONE])
                r = results[0]
                assert_eq(r["outcome"], "permanent", "outcome")
                assert_eq(r["reply"], 550, "reply")
                assert_eq(len(r["refused"]), 1, "refused")
                assert r["refused"][0].startswith(GONE + ": 550 5.1.1"), r["refused"]
                assert GONE in r["text"], r["text"]
                assert_eq(s.transactions(), [], "transactions")
            assert "Reply all" not in subjects(dc, BOB)

        with t.case("refusals allowed: the others get it, the refused one is listed"):
            with SMTPServer(home, log("550-partial"), refuse_rcpt={GONE: 550}) as s:
                results, _, rc, _ = send(s.url, tmp,
                                         [make_message("Partial", frm=DANA, to=BOB)],
                                         [GONE, BOB], extra=["--allow-refused"])
                r = results[0]
                assert_eq(r["outcome"], "accepted", "outcome")
                assert_eq(len(r["refused"]), 1, "refused")
                assert r["refused"][0].startswith(GONE + ":"), r["refused"]
                assert_eq([x["rcpt_tos"] for x in s.transactions()], [[BOB]], "delivered to")
            assert "Partial" in subjects(dc, BOB)

        with t.case("a bad address is refused before anything is sent"):
            with SMTPServer(home, log("bad")) as s:
                results, connections, _, _ = send(
                    s.url, tmp, [make_message("Injected", frm=DANA, to=BOB)],
                    ["bob@example.test>\r\nRCPT TO:<victim@example.net"])
                assert_eq(results[0]["outcome"], "permanent", "outcome")
                assert "cannot be used" in results[0]["text"], results[0]["text"]
                assert_eq(connections, 0, "connections")
                assert_eq(s.transactions(), [], "transactions")

        with t.case("a slow 250 is waited for; only an idle limit shorter than it fails"):
            # libcurl measures speed over its last 5 seconds: the server
            # must be silent for longer than that and the limit.
            with SMTPServer(home, log("slow"), delay_before_reply=9) as s:
                results, _, _, _ = send(s.url, tmp, [make_message("Slow", frm=DANA, to=BOB)],
                                        [BOB])
                assert_eq(results[0]["outcome"], "accepted", "default limits")
                results, _, _, _ = send(s.url, tmp,
                                        [make_message("Too slow", frm=DANA, to=BOB)], [BOB],
                                        extra=["--idle-timeout", "2"])
                assert_eq(results[0]["outcome"], "temporary", "a 2 s idle limit")

        with t.case("the password from password_cmd never appears in a result"):
            with SMTPServer(home, log("auth"), auth="vea:" + SECRET) as s:
                ok, _, _, out = send(s.url, tmp, [make_message("Authed", frm=DANA, to=BOB)],
                                     [BOB], extra=["--user", "vea", "--password-cmd",
                                                   "echo " + SECRET])
                assert_eq(ok[0]["outcome"], "accepted", "right password")
                assert_eq(s.transactions()[0]["login"], "vea", "AUTH login")
                bad, _, _, out2 = send(s.url, tmp, [make_message("Refused", frm=DANA, to=BOB)],
                                       [BOB], extra=["--user", "vea", "--password-cmd",
                                                     "echo wrong-" + SECRET])
                assert_eq(bad[0]["outcome"], "permanent", "wrong password")
                assert_eq(bad[0]["needs_config"], True, "needs_config")
                for text in (out, out2):
                    assert SECRET.encode() not in text, text
    return t.done()


if __name__ == "__main__":
    vt.main(main)
