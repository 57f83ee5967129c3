#!/usr/bin/python3
"""bench_drafts.py: reply drafts written (issue 13, "Benchmark").

Starts its own private Dovecot on 127.0.0.1 (tests/harness/veatest.py) and
measures, in one run, on the same 1,000 messages:

  vea        `vea run --once` on an INBOX of 1,000 new messages whose rule
             drafts a reply to each: fetch, evaluate, compose, journal,
             APPEND \\Draft \\Seen to Drafts, record the UIDs;
  vea-keep   the same run with a rule that only keeps (no drafts): what
             vea spends without drafting, to separate the drafting cost;
  floor      a bare APPEND of the same 1,000 draft messages (the bytes vea
             wrote) to Drafts by one IMAP connection, one after the other.

and prints the drafting cost (vea - vea-keep) against the floor, and the
whole run against vea-keep + floor; target: within 1.5x of the floor.

Usage:  /usr/bin/python3 tests/bench/bench_drafts.py --vea ./vea [--messages N]
Not run by `make check`. Run as root (Dovecot's private instance).
"""

import argparse
import imaplib
import os
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
import veatest as vt  # noqa: E402

DRAFT_RULES = 'require ["vnd.vea"];\ndraft "ack";\n'
KEEP_RULES = 'require ["vnd.vea"];\nkeep;\n'
TEMPLATE = "\nHi ${sender.first_name},\n\nThanks, this is with me.\n\n${quote}"


def message(i):
    return ("From: Sender %d <sender%d@example.test>\r\nTo: Dana <%%s>\r\n"
            "Subject: Question %d\r\nDate: Tue, 1 Dec 2026 09:00:00 +0000\r\n"
            "Message-ID: <q%d@example.test>\r\n\r\n%s" % (
                i, i, i, i, "A line of the question, long enough to quote.\r\n" * 20))


def setup(d, tmp, name, rules, n):
    user = "%s@example.test" % name
    d.add_user(user, "pw")
    d.append_many(user, "INBOX", [(message(i) % user).encode() for i in range(n)])
    cdir = os.path.join(tmp, name)
    rdir = os.path.join(cdir, "rules")
    os.makedirs(os.path.join(rdir, "templates"), exist_ok=True)
    with open(os.path.join(rdir, "r.sieve"), "w") as f:
        f.write(rules)
    with open(os.path.join(rdir, "templates", "ack"), "w") as f:
        f.write(TEMPLATE)
    return user, vt.write_config(
        os.path.join(cdir, "vea.conf"), dovecot=d,
        clients={"dana": {"name": "Dana", "email": user, "timezone": "UTC",
                          "rules": ["r.sieve"]}},
        accounts={"work": {"client": "dana", "user": user, "password": "pw"}},
        rules_dir=rdir)


def timed_run(cfg):
    start = time.monotonic()
    vt.run_vea(["run", "--once"], cfg, check=True, timeout=1800)
    return time.monotonic() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vea", required=True)
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    os.environ["VEA"] = os.path.abspath(args.vea)
    n = args.messages
    tmp = vt.mkdtemp("vea-bench-drafts-")
    d = vt.Dovecot()
    d.start()
    try:
        # Each measured --repeat times, interleaved, each on fresh users;
        # the best of each counts (the machine's other load only adds).
        t_keep = t_vea = t_floor = float("inf")
        for rep in range(args.repeat):
            _, keep_cfg = setup(d, tmp, "keep%d" % rep, KEEP_RULES, n)
            user, draft_cfg = setup(d, tmp, "drafts%d" % rep, DRAFT_RULES, n)
            floor_user = "floor%d@example.test" % rep
            d.add_user(floor_user, "pw")

            t_keep = min(t_keep, timed_run(keep_cfg))
            t_vea = min(t_vea, timed_run(draft_cfg))
            con = sqlite3.connect(draft_cfg.db)
            drafts = [row[0] for row in con.execute("SELECT data FROM drafts ORDER BY id")]
            written = con.execute("SELECT count(*) FROM drafts WHERE state = 'written'"
                                  ).fetchone()[0]
            con.close()
            assert written == n, "vea wrote %d drafts of %d" % (written, n)

            c = imaplib.IMAP4("127.0.0.1", d.port)
            c.login(floor_user, "pw")
            start = time.monotonic()
            for data in drafts:
                typ, resp = c.append("Drafts", "(\\Draft \\Seen)", None, bytes(data))
                assert typ == "OK", resp
            t_floor = min(t_floor, time.monotonic() - start)
            c.logout()

        drafting = t_vea - t_keep
        print("bench_drafts: %d drafts (best of %d)" % (n, args.repeat))
        print("  vea run --once, drafting each:   %7.2f s" % t_vea)
        print("  vea run --once, keep only:       %7.2f s" % t_keep)
        print("  floor (bare APPEND, 1 conn):     %7.2f s  (%.0f APPEND/s)"
              % (t_floor, n / t_floor))
        print("  drafting cost (vea - keep):      %7.2f s  = %.2fx the floor (target <= 1.5x)"
              % (drafting, drafting / t_floor))
        print("  whole run / (keep + floor):      %.2fx" % (t_vea / (t_keep + t_floor)))
    finally:
        d.stop()
        if not vt.keep_tmp():
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
