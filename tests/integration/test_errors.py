#!/usr/bin/python3
"""Failures vea must report clearly and survive:
- a rule file with a syntax error: `vea run --once` touches nothing, exits
  non-zero (EX_CONFIG, 78: it was 2 until vea followed sysexits.h) and
  names file:line:col;
- `vea config check` names file:line for each kind of bad config, exit 78;
- one account with a wrong password, one whose server is down, one whose
  password_cmd fails: each is named on stderr, the good account is still
  fully processed, and the exit status is 1."""

import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from veatest import make_message, run_vea  # noqa: E402

GOOD_RULES = r'''require ["fileinto", "imap4flags", "vnd.vea"];

if header :contains "subject" "newsletter" {
    fileinto "Newsletters";
    stop;
}
if header :contains "subject" "invoice" {
    addflag "\\Flagged";
    bill :minutes 4 "Invoices";
}
'''

# Line 6, column 1: a command that does not exist.
BAD_UNKNOWN = '''require ["fileinto"];

if header :contains "subject" "x" {
    fileinto "X";
}
frobnicate "now";
'''
# Line 3: the semicolon is missing (reported on line 3 or 4).
BAD_SEMICOLON = '''require "fileinto";
if true {
    fileinto "A"
}
'''


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def loc_re(path, line, col=None):
    """FILE:LINE[:COL]: with FILE as given or as its basename."""
    f = "(?:%s|%s)" % (re.escape(path), re.escape(os.path.basename(path)))
    c = r":\d+" if col is None else ":%d" % col
    return re.compile(r"(?:^|[\s'\"(/])%s:%d%s:" % (f, line, c), re.M)


def loc_any_line_re(path):
    f = "(?:%s|%s)" % (re.escape(path), re.escape(os.path.basename(path)))
    return re.compile(r"(?:^|[\s'\"(/])%s:(\d+)(?::\d+)?:" % f, re.M)


def main():
    t = vt.TAP(timeout=170)
    tmp = vt.mkdtemp("vea-errors-")
    d = vt.Dovecot()
    users = {u: u.split("@")[0] + "-pw" for u in
             ("ann@example.test", "ben@example.test", "cat@example.test",
              "dan@example.test", "eve@example.test")}
    for u, p in users.items():
        d.add_user(u, p)
    d.start()
    try:
        run_rule_errors(t, d, tmp, users)
        run_config_errors(t, d, tmp)
        run_account_errors(t, d, tmp, users)
    finally:
        d.stop()
        if not vt.keep_tmp():
            shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


# ------------------------------------------------------------ rule errors

def run_rule_errors(t, d, tmp, users):
    base = os.path.join(tmp, "rules-error")
    os.makedirs(base)
    bad = write(os.path.join(base, "bad.sieve"), BAD_UNKNOWN)
    semi = write(os.path.join(base, "semi.sieve"), BAD_SEMICOLON)
    write(os.path.join(base, "good.sieve"), GOOD_RULES)
    ann, eve = "ann@example.test", "eve@example.test"
    for u in (ann, eve):
        for s in ("Weekly newsletter", "Invoice 7", "Hello"):
            d.append(u, "INBOX", make_message(s, to=u))
    cfg = vt.write_config(
        os.path.join(base, "vea.conf"), d,
        clients={"ann": {"name": "Ann", "email": ann, "timezone": "Europe/London",
                         "rules": ["bad.sieve"]},
                 "eve": {"name": "Eve", "email": eve, "timezone": "Europe/London",
                         "rules": ["good.sieve"]}},
        accounts={"ann-work": {"client": "ann", "user": ann, "password": users[ann]},
                  "eve-work": {"client": "eve", "user": eve, "password": users[eve]}},
        billing={"ann-hourly": {"client": "ann", "rate": 5000, "currency": "EUR"},
                 "eve-hourly": {"client": "eve", "rate": 5000, "currency": "EUR"}})
    before = {u: d.snapshot(u) for u in (ann, eve)}
    res = {}

    with t.case("rule syntax error: vea run --once exits non-zero"):
        rc, out, err = run_vea(["run", "--once"], cfg, timeout=60)
        res["run"] = (rc, out, err)
        assert rc != 0, "exit 0\nstdout:\n%s\nstderr:\n%s" % (out, err)

    with t.case("rule syntax error: exit status 78 (EX_CONFIG: config/rules invalid)"):
        if "run" not in res:
            raise AssertionError("vea run did not run")
        rc, out, err = res["run"]
        assert rc == 78, "exit %d, stderr:\n%s" % (rc, err)

    with t.case("rule syntax error: stderr names bad.sieve:6:1"):
        if "run" not in res:
            raise AssertionError("vea run did not run")
        rc, out, err = res["run"]
        assert loc_re(bad, 6).search(err), "no bad.sieve:6:COL: in stderr:\n" + err
        assert loc_re(bad, 6, 1).search(err), "column is not 1:\n" + err

    with t.case("rule syntax error: no mailbox touched (the good client's neither)"):
        if "run" not in res:
            raise AssertionError("vea run did not run")
        for u in (ann, eve):
            now = d.snapshot(u)
            assert now == before[u], "%s changed:\n%s" % (
                u, vt.multiset_diff(vt.multiset(before[u]), vt.multiset(now)))
        n = vt.db_count(cfg.db, "ledger_entries")
        assert n == 0, "%d ledger rows" % n
        rows = vt.db_query(cfg.db, "SELECT * FROM actions WHERE state = 'done'") \
            if vt.db_count(cfg.db, "actions") else []
        assert not rows, "actions done: %r" % rows[:3]

    with t.case("vea config check compiles rules and names bad.sieve:6:1, exit 78"):
        rc, out, err = run_vea(["config", "check"], cfg)
        assert rc == 78, "exit %d\n%s%s" % (rc, out, err)
        assert loc_re(bad, 6, 1).search(out + err), "no bad.sieve:6:1: in:\n" + out + err

    with t.case("vea rules check: unknown command at bad.sieve:6:1, exit 1"):
        rc, out, err = run_vea(["rules", "check", bad])
        assert rc == 1, "exit %d\n%s%s" % (rc, out, err)
        assert loc_re(bad, 6, 1).search(out + err), "no bad.sieve:6:1: in:\n" + out + err

    with t.case("vea rules check: missing semicolon located at semi.sieve:3 or :4"):
        rc, out, err = run_vea(["rules", "check", semi])
        assert rc == 1, "exit %d\n%s%s" % (rc, out, err)
        text = out + err
        assert loc_re(semi, 3).search(text) or loc_re(semi, 4).search(text), \
            "no semi.sieve:3:COL: or :4:COL: in:\n" + text

    with t.case("vea rules check: both files in one call, each error reported"):
        rc, out, err = run_vea(["rules", "check", bad, semi])
        assert rc == 1, "exit %d" % rc
        text = out + err
        assert loc_any_line_re(bad).search(text) and loc_any_line_re(semi).search(text), text

    with t.case("vea rules check: a good file passes with exit 0"):
        run_vea(["rules", "check", os.path.join(base, "good.sieve")], check=0)


# ---------------------------------------------------------- config errors

def run_config_errors(t, d, tmp):
    base = os.path.join(tmp, "config-error")
    os.makedirs(base)
    write(os.path.join(base, "good.sieve"), GOOD_RULES)

    def conf(name, mutate):
        clients = {"dana": {"name": "Dana", "email": "dana@example.test",
                            "timezone": "America/New_York", "rules": ["good.sieve"],
                            "billing": "dana-retainer"}}
        accounts = {"dana-work": {"client": "dana", "user": "dana@example.test",
                                  "password": "x"}}
        billing = {"dana-retainer": {"client": "dana", "rate": 6000, "currency": "USD"}}
        mutate(clients, accounts, billing)
        return vt.write_config(os.path.join(base, name), d, clients=clients,
                               accounts=accounts, billing=billing)

    good = conf("good.conf", lambda c, a, b: None)
    with t.case("config check: the unbroken config is OK (baseline)"):
        rc, out, err = run_vea(["config", "check"], good, check=0)
        assert "configuration OK" in out, out + err

    def unknown_client(c, a, b):
        a["dana-work"]["client"] = "ghost"

    def bad_tz(c, a, b):
        c["dana"]["timezone"] = "Mars/Olympus_Mons"

    def no_url(c, a, b):
        a["dana-work"]["url"] = None

    def unknown_billing(c, a, b):
        c["dana"]["billing"] = "no-such-billing"

    def billing_unknown_client(c, a, b):
        b["dana-retainer"]["client"] = "ghost"

    def missing_rules(c, a, b):
        c["dana"]["rules"] = ["does-not-exist.sieve"]

    def bad_url(c, a, b):
        a["dana-work"]["url"] = "pop3://127.0.0.1:110"

    cases = [
        ("account names an unknown client", "unknown-client.conf", unknown_client,
         ("account:dana-work", "client"), "ghost"),
        ("bad timezone", "bad-tz.conf", bad_tz, ("client:dana", "timezone"), "Mars/Olympus_Mons"),
        ("account without url", "no-url.conf", no_url, ("account:dana-work", None), "url"),
        ("client's billing names an unknown billing account", "unknown-billing.conf",
         unknown_billing, ("client:dana", "billing"), "no-such-billing"),
        ("billing account names an unknown client", "billing-ghost.conf",
         billing_unknown_client, ("billing:dana-retainer", "client"), "ghost"),
        ("rules file that does not exist", "missing-rules.conf", missing_rules,
         ("client:dana", "rules"), "does-not-exist.sieve"),
        ("url with an unsupported scheme", "bad-url.conf", bad_url,
         ("account:dana-work", "url"), "pop3"),
    ]
    for desc, name, mutate, where, word in cases:
        with t.case("config check: %s -> exit 78, %s:LINE" % (desc, name)):
            cfg = conf(name, mutate)
            rc, out, err = run_vea(["config", "check"], cfg)
            text = out + err
            assert rc == 78, "exit %d\n%s" % (rc, text)
            assert "configuration OK" not in out, "claims OK:\n" + text
            section, key = where
            if key is None:
                # a missing key: the section's header line, or any line of it
                first = cfg.line(section)
                last = max(v for (s, k), v in cfg.lines.items() if s == section)
                lines = [int(m.group(1)) for m in loc_any_line_re(cfg.path).finditer(text)]
                assert any(first <= n <= last for n in lines), \
                    "no %s:LINE with LINE in %d..%d (section [%s]):\n%s" % (
                        name, first, last, section, text)
            else:
                line = cfg.line(section, key)
                assert loc_re(cfg.path, line).search(text) or \
                    re.search(r"(?:^|[\s/'\"])%s:%d:" % (re.escape(name), line), text, re.M), \
                    "no %s:%d: in:\n%s" % (name, line, text)
            assert word.lower() in text.lower(), "message does not mention %r:\n%s" % (word, text)

    with t.case("config check: misspelt section [acount:typo] -> exit 78, typo.conf:LINE"):
        cfg = conf("typo.conf", lambda c, a, b: None)
        with open(cfg.path, "a") as f:
            f.write("\n[acount:typo]\nclient = dana\n")
        rc, out, err = run_vea(["config", "check"], cfg)
        assert rc == 78, "exit %d for [acount:typo]\n%s%s" % (rc, out, err)
        typo_line = sum(1 for _ in open(cfg.path)) - 1
        assert loc_re(cfg.path, typo_line).search(out + err) or \
            re.search(r"typo\.conf:%d:" % typo_line, out + err), \
            "no typo.conf:%d: in:\n%s%s" % (typo_line, out, err)

    with t.case("config check: a config file that does not exist -> error naming it"):
        rc, out, err = run_vea(["config", "check"], os.path.join(base, "absent.conf"))
        assert rc == 78, "exit %d for a missing config (EX_CONFIG)" % rc
        assert "absent.conf" in out + err, out + err


# --------------------------------------------------------- account errors

def run_account_errors(t, d, tmp, users):
    base = os.path.join(tmp, "account-error")
    os.makedirs(base)
    write(os.path.join(base, "good.sieve"), GOOD_RULES)
    ben, cat, dan = "ben@example.test", "cat@example.test", "dan@example.test"
    msgs = {}
    for u in (ben, cat, dan):
        msgs[u] = [make_message(s, to=u) for s in
                   ("Monthly newsletter", "Invoice 2024-001", "Invoice 2024-002", "Hi there")]
        d.append_many(u, "INBOX", msgs[u])
    down = vt.closed_port()
    wrong_pw = "Wr0ng-Pa55word-for-ben"

    def client(cid, email):
        return {"name": cid.title(), "email": email, "timezone": "UTC", "rules": ["good.sieve"]}

    cfg = vt.write_config(
        os.path.join(base, "vea.conf"), d,
        clients={"ben": client("ben", ben), "cat": client("cat", cat),
                 "dan": client("dan", dan), "fay": client("fay", "fay@example.test")},
        accounts={
            "ben-badpw": {"client": "ben", "user": ben, "password": wrong_pw},
            "cat-good": {"client": "cat", "user": cat, "password": users[cat]},
            "dan-down": {"client": "dan", "user": dan, "password": users[dan],
                         "url": "imap://127.0.0.1:%d" % down},
            "fay-nopw": {"client": "fay", "user": "fay@example.test",
                         "password_cmd": "/bin/false"},
        },
        billing={"ben-b": {"client": "ben", "rate": 6000, "currency": "USD"},
                 "cat-b": {"client": "cat", "rate": 6000, "currency": "USD"},
                 "dan-b": {"client": "dan", "rate": 6000, "currency": "USD"},
                 "fay-b": {"client": "fay", "rate": 6000, "currency": "USD"}})
    before = {u: d.snapshot(u) for u in (ben, cat, dan)}
    res = {}

    with t.case("failing accounts: vea run --once exits 1 within 45 s"):
        t0 = time.monotonic()
        rc, out, err = run_vea(["run", "--once"], cfg, timeout=45)
        res["run"] = (rc, out, err)
        t.diag("vea run took %.1f s" % (time.monotonic() - t0))
        assert rc == 1, "exit %d\nstdout:\n%s\nstderr:\n%s" % (rc, out, err)

    with t.case("only the unreachable account: vea run --once exits 69 (EX_UNAVAILABLE)"):
        rc, out, err = run_vea(["run", "--once", "--account", "dan-down"], cfg, timeout=45)
        assert rc == 69, "exit %d\nstdout:\n%s\nstderr:\n%s" % (rc, out, err)

    def need():
        if "run" not in res:
            raise AssertionError("vea run did not run")
        return res["run"]

    def line_naming(err, acct, words):
        hits = [l for l in err.splitlines() if acct in l]
        assert hits, "no stderr line names %s:\n%s" % (acct, err)
        assert any(re.search(words, l, re.I) for l in hits), \
            "lines naming %s do not say /%s/: %r" % (acct, words, hits)

    with t.case("wrong password: stderr names ben-badpw and the login failure"):
        rc, out, err = need()
        line_naming(err, "ben-badpw", r"login|auth")

    with t.case("server down: stderr names dan-down and the connection failure"):
        rc, out, err = need()
        line_naming(err, "dan-down", r"connect|refused|unreachable")

    with t.case("failing password_cmd: stderr names fay-nopw and password_cmd"):
        rc, out, err = need()
        line_naming(err, "fay-nopw", r"password")

    with t.case("no password or secret path leaks into the output"):
        rc, out, err = need()
        assert wrong_pw not in out + err, "the password appears in the output"
        for u in (cat, dan):
            assert users[u] not in out + err, "a password appears in the output"

    with t.case("good account cat-good fully processed despite the others"):
        need()
        got = vt.by_digest(d.messages(cat, body=True))
        want = {0: ("Newsletters", set()), 1: ("INBOX", {"\\Flagged"}),
                2: ("INBOX", {"\\Flagged"}), 3: ("INBOX", set())}
        errs = []
        for i, (box, flags) in want.items():
            m = got.get(vt.message_digest(msgs[cat][i]), [])
            if len(m) != 1 or m[0]["mailbox"] != box or not flags <= m[0]["flags"]:
                errs.append("message %d: %r, expected %s %r" % (
                    i, [(x["mailbox"], sorted(x["flags"])) for x in m], box, sorted(flags)))
        assert not errs, "\n".join(errs)
        rows = vt.db_query(cfg.db, "SELECT client, billing_account, sum(seconds) AS s "
                           "FROM ledger_entries GROUP BY 1, 2")
        vt.assert_eq({(r["client"], r["billing_account"]): r["s"] for r in rows},
                     {("cat", "cat-b"): 2 * 4 * 60}, "ledger")

    with t.case("failed accounts' mailboxes untouched"):
        need()
        for u in (ben, dan):
            now = d.snapshot(u)
            assert now == before[u], "%s changed:\n%s" % (
                u, vt.multiset_diff(vt.multiset(before[u]), vt.multiset(now)))

    with t.case("after fixing the password, the next run processes ben and exits 0 for it"):
        need()
        with open(cfg.secrets["ben-badpw"], "w") as f:
            f.write(users[ben] + "\n")
        rc, out, err = run_vea(["run", "--once", "--account", "ben-badpw"], cfg, timeout=45)
        assert rc == 0, "exit %d\nstderr:\n%s" % (rc, err)
        got = vt.by_digest(d.messages(ben, body=True))
        m = got.get(vt.message_digest(msgs[ben][0]), [])
        assert [x["mailbox"] for x in m] == ["Newsletters"], \
            "newsletter in %r" % [x["mailbox"] for x in m]


if __name__ == "__main__":
    vt.main(main)
