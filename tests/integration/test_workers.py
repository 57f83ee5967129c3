#!/usr/bin/python3
"""vea run serves every account in one process, whatever its descriptor
numbers: vea run is started with 1,100 descriptors already open, so every
one of its own is numbered past select()'s FD_SETSIZE (1024), where
libetpan's own streams failed (glibc aborts).  Mail for each account is
filed within 2 s by IDLE (poll_interval is an hour: polling cannot be what
finds it), SIGHUP restarts the watchers with the new rules, SIGTERM stops
vea with status 0, and no worker process is ever started."""

import os
import resource
import signal
import stat
import time

import veatest
from veatest import TAP, Dovecot, VeaProcess, make_message, wait_until

ACCOUNTS = 5
HIGH_FDS = 1100        # descriptors vea run inherits, all below its own


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def socket_fds(pid):
    """Numbers of vea's open sockets."""
    out = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
                out.append(int(fd))
        except OSError:
            pass
    return out


def where(dc, user, subject):
    for m in dc.messages(user):
        if m["subject"] == subject:
            return m["mailbox"]
    return None


def high_fd_wrapper(tmp):
    """A vea that starts with HIGH_FDS descriptors open (exec keeps the
    pid, so the harness still watches vea itself)."""
    path = os.path.join(tmp, "vea-high-fds")
    with open(path, "w") as f:
        f.write("#!/usr/bin/python3\n"
                "import os, sys\n"
                "for _ in range(%d):\n"
                "    os.set_inheritable(os.open('/dev/null', os.O_RDONLY), True)\n"
                "os.execv(%r, [%r] + sys.argv[1:])\n"
                % (HIGH_FDS, veatest.vea_binary(), veatest.vea_binary()))
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def filed_within(dc, users, subject_of, mailbox, secs):
    """Append one message to each user's INBOX; -> {user: seconds to be
    filed into mailbox, or None}."""
    took = {}
    for u in users:
        dc.append(u, "INBOX", make_message(subject_of(u)))
        t0 = time.monotonic()
        wait_until(lambda: where(dc, u, subject_of(u)) == mailbox, secs, interval=0.05)
        took[u] = time.monotonic() - t0 if where(dc, u, subject_of(u)) == mailbox else None
    return took


def main():
    t = TAP(timeout=120)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = HIGH_FDS + 200
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            t.skip("one process, descriptors past 1023", "the descriptor limit (%d) "
                   "is below %d" % (hard, need))
            return t.done()
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
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
            os.path.join(tmp, "vea.conf"), dc, poll_interval=3600,
            clients={"c": {"timezone": "UTC", "rules": [rules]}},
            accounts={"a%d" % i: {"client": "c", "user": u, "password": "pw-" + u}
                      for i, u in enumerate(users)})
        real = os.environ.get("VEA")
        os.environ["VEA"] = high_fd_wrapper(tmp)
        try:
            vea = VeaProcess(["run"], cfg, dir=tmp)
        finally:
            if real is None:
                del os.environ["VEA"]
            else:
                os.environ["VEA"] = real
        try:
            with t.case("5 accounts watched in IDLE by one process, its sockets past fd 1023"):
                def states():
                    return sorted(a.get("state") for a in veatest.vea_status(cfg).values())
                assert wait_until(lambda: states() == ["idle"] * ACCOUNTS, 30), \
                    (states(), vea.stderr())
                socks = socket_fds(vea.pid)
                assert len(socks) >= ACCOUNTS and min(socks) >= 1024, socks
                assert children(vea.pid) == [], children(vea.pid)
                assert "watching 5 accounts" in vea.stderr(), vea.stderr()

            with t.case("mail for every account is filed within 2 s, once"):
                took = filed_within(dc, users, lambda u: "Weekly report for " + u, "Reports", 5)
                t.diag("filed in %s" % ", ".join("%.2f s" % s if s is not None else "never"
                                                 for s in took.values()))
                assert all(s is not None and s <= 2.0 for s in took.values()), took
                rows = veatest.db_query(cfg.db, "SELECT account, count(*) AS n FROM actions"
                                                " WHERE action = 'fileinto' GROUP BY account")
                assert sorted(r["n"] for r in rows) == [1] * ACCOUNTS, rows

            with t.case("SIGHUP: the watchers start again with the new rules"):
                with open(rules, "w") as f:
                    f.write('require "fileinto";\n'
                            'if header :contains "subject" "invoice" { fileinto "Invoices"; }\n')
                vea.signal(signal.SIGHUP)
                assert wait_until(lambda: "reload: config and rules reloaded" in vea.stderr(),
                                  30), vea.stderr()
                dc.append(users[4], "INBOX", make_message("Invoice 42"))
                assert wait_until(lambda: where(dc, users[4], "Invoice 42") == "Invoices", 30), \
                    where(dc, users[4], "Invoice 42")
                assert children(vea.pid) == [], children(vea.pid)

            with t.case("SIGTERM: vea exits, status 0"):
                rc = vea.stop(timeout=20)
                assert rc == 0, (rc, vea.stderr())
        finally:
            vea.stop(timeout=20)
    return t.done()


if __name__ == "__main__":
    veatest.main(main)
