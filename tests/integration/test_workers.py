#!/usr/bin/python3
"""vea run past its per-process account limit: worker processes share the
accounts (VEA_ACCOUNTS_PER_PROCESS lowers the limit of 100 for the test),
each account is watched exactly once, SIGHUP restarts them with the new
rules, SIGTERM stops them all, and a worker never outlives vea."""

import os
import signal
import time

import veatest
from veatest import TAP, Dovecot, VeaProcess, make_message, wait_until

ACCOUNTS = 5


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def where(dc, user, subject):
    for m in dc.messages(user):
        if m["subject"] == subject:
            return m["mailbox"]
    return None


def main():
    t = TAP(timeout=120)
    tmp = veatest.mkdtemp("vea-workers-")
    rules = os.path.join(tmp, "rules.sieve")
    with open(rules, "w") as f:
        f.write('require "fileinto";\nif header :contains "subject" "report" { fileinto "Reports"; }\n')
    with Dovecot() as dc:
        users = ["u%d@example.test" % i for i in range(ACCOUNTS)]
        for u in users:
            dc.add_user(u, "pw-" + u)
        dc.start()
        cfg = veatest.write_config(
            os.path.join(tmp, "vea.conf"), dc, poll_interval=5,
            clients={"c": {"timezone": "UTC", "rules": [rules]}},
            accounts={"a%d" % i: {"client": "c", "user": u, "password": "pw-" + u}
                      for i, u in enumerate(users)})
        vea = VeaProcess(["run"], cfg, dir=tmp, env={"VEA_ACCOUNTS_PER_PROCESS": "2"})
        try:
            with t.case("5 accounts, at most 2 a process: 3 worker processes"):
                assert wait_until(lambda: len(children(vea.pid)) == 3, 20), \
                    "children: %r\n%s" % (children(vea.pid), vea.stderr())
                assert wait_until(lambda: "watching 5 accounts" in vea.stderr(), 20), vea.stderr()

            with t.case("mail for every account is filed, once"):
                for u in users:
                    dc.append(u, "INBOX", make_message("Weekly report for " + u))
                ok = wait_until(lambda: all(where(dc, u, "Weekly report for " + u) == "Reports"
                                            for u in users), 30)
                assert ok, {u: where(dc, u, "Weekly report for " + u) for u in users}
                rows = veatest.db_query(cfg.db, "SELECT account, count(*) AS n FROM actions"
                                                " WHERE action = 'fileinto' GROUP BY account")
                assert sorted(r["n"] for r in rows) == [1] * ACCOUNTS, rows

            with t.case("SIGHUP: the workers start again with the new rules"):
                old = set(children(vea.pid))
                with open(rules, "w") as f:
                    f.write('require "fileinto";\n'
                            'if header :contains "subject" "invoice" { fileinto "Invoices"; }\n')
                vea.signal(signal.SIGHUP)
                assert wait_until(lambda: len(children(vea.pid)) == 3
                                  and not (set(children(vea.pid)) & old), 30), \
                    (old, children(vea.pid), vea.stderr())
                dc.append(users[4], "INBOX", make_message("Invoice 42"))
                assert wait_until(lambda: where(dc, users[4], "Invoice 42") == "Invoices", 30), \
                    where(dc, users[4], "Invoice 42")

            with t.case("SIGTERM: vea and every worker exit, status 0"):
                workers = children(vea.pid)
                rc = vea.stop(timeout=20)
                assert rc == 0, (rc, vea.stderr())
                time.sleep(0.5)
                alive = [p for p in workers if os.path.exists("/proc/%d" % p)
                         and open("/proc/%d/stat" % p).read().split()[2] != "Z"]
                assert not alive, alive

            with t.case("kill -9 of vea: its workers stop too"):
                vea2 = VeaProcess(["run"], cfg, dir=tmp, env={"VEA_ACCOUNTS_PER_PROCESS": "2"})
                assert wait_until(lambda: len(children(vea2.pid)) == 3, 20), vea2.stderr()
                workers = children(vea2.pid)
                vea2.kill9()
                gone = wait_until(lambda: not any(os.path.exists("/proc/%d" % p) for p in workers), 20)
                assert gone, [p for p in workers if os.path.exists("/proc/%d" % p)]
        finally:
            vea.stop(timeout=20)
    return t.done()


if __name__ == "__main__":
    veatest.main(main)
