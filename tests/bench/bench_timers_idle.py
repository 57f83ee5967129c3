#!/usr/bin/python3
"""bench_timers_idle.py: the daemon with 100,000 timers (issue 15, "Benchmark").

Starts its own private Dovecot on 127.0.0.1 (tests/harness/veatest.py),
gives one account 100,000 pending reminders (written straight into the
timers table, as a large practice would have them after months of rules),
and measures `vea run` (watching) from /proc, in two phases:

  idle     every timer due tomorrow or later: the timer thread sleeps until
           the next one (at most 30 s at a time);
  firing   one due every second from now on: each fires (the message is
           looked for by Message-ID, the reminder journalled), one a second;

printing CPU (user + system, % of one core) and resident memory of each
phase, and how many timers fired. The time to find the due timers, against
a scan of the whole table, is bench-timers (`make bench-timers-run`).

Usage:  /usr/bin/python3 tests/bench/bench_timers_idle.py --vea ./vea [--timers N] [--seconds S]
Not run by `make check`. Run as root (Dovecot's private instance).
"""

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
import veatest as vt  # noqa: E402

USER = "dana@example.test"
CLK = os.sysconf("SC_CLK_TCK")


def proc_sample(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return cpu, rss


def fill(db, n, first_due):
    con = sqlite3.connect(db)
    now = int(time.time())
    con.executemany(
        "INSERT INTO timers (client, account, kind, mailbox, message_id, subject, due_at,"
        " local_due, options, state, created_at) VALUES ('dana', 'work', 'remind', 'INBOX',"
        " ?, ?, ?, '', 'to=assistant\n', 'pending', ?)",
        (("bench%d@example.test" % i, "Follow-up %d" % i, first_due + i, now) for i in range(n)))
    con.commit()
    con.close()


def phase(pid, seconds):
    cpu0, _ = proc_sample(pid)
    t0 = time.monotonic()
    peak = 0
    while time.monotonic() - t0 < seconds:
        time.sleep(1)
        peak = max(peak, proc_sample(pid)[1])
    cpu1, rss = proc_sample(pid)
    return 100.0 * (cpu1 - cpu0) / (time.monotonic() - t0), rss, peak


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vea", default="./vea")
    ap.add_argument("--timers", type=int, default=100000)
    ap.add_argument("--seconds", type=int, default=30)
    args = ap.parse_args()
    os.environ["VEA"] = os.path.abspath(args.vea)
    tmp = vt.mkdtemp("vea-bench-timers-")
    d = vt.Dovecot()
    d.add_user(USER, "pw")
    d.start()
    try:
        cfg = vt.write_config(os.path.join(tmp, "vea.conf"), dovecot=d,
                              clients={"dana": {"name": "Dana", "email": USER,
                                                "timezone": "Europe/Rome"}},
                              accounts={"work": {"client": "dana", "user": USER,
                                                 "password": "pw"}})
        vt.run_vea(["run", "--once"], cfg, check=True)  # creates the database
        results = []
        for name, first_due in (("idle", int(time.time()) + 86400),
                                ("firing", int(time.time()) + 5)):
            con = sqlite3.connect(cfg.db)
            con.execute("DELETE FROM timers")
            con.commit()
            con.close()
            fill(cfg.db, args.timers, first_due)
            p = subprocess.Popen([os.environ["VEA"], "-c", cfg.path, "run"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 stdin=subprocess.DEVNULL)
            try:
                time.sleep(5)  # connected, IDLE, the timer thread asleep or firing
                cpu, rss, peak = phase(p.pid, args.seconds)
            finally:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=60)
            fired = vt.db_query(cfg.db, "SELECT count(*) AS n FROM timers"
                                        " WHERE state != 'pending'")[0]["n"]
            results.append((name, cpu, rss, peak, fired))
        print("%d pending timers, one account, vea run for %d s per phase:"
              % (args.timers, args.seconds))
        for name, cpu, rss, peak, fired in results:
            print("  %-7s CPU %5.2f%% of a core, resident %6.1f MB (peak %6.1f MB), "
                  "%d timers fired" % (name, cpu, rss / 1024.0, peak / 1024.0, fired))
    finally:
        d.stop()


if __name__ == "__main__":
    main()
