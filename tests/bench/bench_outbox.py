#!/usr/bin/python3
"""bench_outbox.py: the outbox's sending rate (issue 12, "Benchmark").

Starts a private Dovecot and the loopback SMTP server of the tests
(tests/harness/smtpd.py, aiosmtpd, delivering into Dovecot's Maildirs) and
measures, in one run, the same 1,000 vacation replies:

  vea     queued by `vea run --once` while the SMTP server is down (each
          waits for its retry), then delivered by one `vea run --once`
          with the server up: the outbox's sender, one connection reused;
  msmtp   the same 1,000 messages (the bytes vea queued), each sent by one
          `msmtp` process, as a cron job or a script would;

and prints messages per second and the ratio; target: vea >= 10x msmtp.

Usage:  /usr/bin/python3 tests/bench/bench_outbox.py --vea ./vea [--messages N]
Needs msmtp (apt-get install msmtp). Not run by `make check`. Run as root.
"""

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
import veatest as vt  # noqa: E402
from smtpd import SMTPServer  # noqa: E402

RULES = 'require ["vacation"];\nvacation :days 1 "Dana is away until Monday.";\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vea", required=True)
    ap.add_argument("--messages", type=int, default=1000)
    args = ap.parse_args()
    if shutil.which("msmtp") is None:
        sys.exit("bench_outbox: msmtp is not installed (apt-get install msmtp)")
    os.environ["VEA"] = os.path.abspath(args.vea)
    n = args.messages
    tmp = vt.mkdtemp("vea-bench-outbox-")
    d = vt.Dovecot()
    dana = "dana@example.test"
    d.add_user(dana, "pw")
    d.start()
    smtp = None
    try:
        date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        d.append_many(dana, "INBOX", [(
            "Return-Path: <s%d@example.test>\r\nFrom: Sender %d <s%d@example.test>\r\n"
            "To: %s\r\nSubject: Question %d\r\nDate: %s\r\nMessage-ID: <q%d@example.test>\r\n"
            "\r\nHello.\r\n" % (i, i, i, dana, i, date, i)).encode() for i in range(n)])
        rules = os.path.join(tmp, "rules")
        os.makedirs(rules)
        with open(os.path.join(rules, "dana.sieve"), "w") as f:
            f.write(RULES)
        port = vt.free_port()
        url = "smtp://127.0.0.1:%d" % port
        cfg = vt.write_config(
            os.path.join(tmp, "vea.conf"), dovecot=d,
            clients={"dana": {"name": "Dana", "email": dana, "timezone": "UTC",
                              "rules": ["dana.sieve"]}},
            accounts={"work": {"client": "dana", "user": dana, "password": "pw",
                               "smtp_url": url, "smtp_user": "u",
                               "smtp_password_cmd": "echo p", "smtp_tls": "none"}},
            rules_dir=rules)
        text = open(cfg.path).read().replace("[vea]\n", "[vea]\nauto_mail_per_hour = %d\n"
                                             % (10 * n), 1)
        open(cfg.path, "w").write(text)

        # Queue: the server is down, every message waits for its retry.
        vt.run_vea(["run", "--once"], cfg, check=None, timeout=1800)
        con = sqlite3.connect(cfg.db)
        queued = con.execute("SELECT count(*) FROM outbox WHERE state = 'queued'").fetchone()[0]
        assert queued == n, "queued %d of %d" % (queued, n)
        con.close()

        smtp = SMTPServer(home=os.path.join(d.dir, "home"), log=os.path.join(tmp, "smtp.log"),
                          auth="u:p", port=port).start()
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 120))
        start = time.monotonic()
        vt.run_vea(["run", "--once"], cfg, check=True, timeout=1800, env={"VEA_NOW": later})
        t_vea = time.monotonic() - start
        con = sqlite3.connect(cfg.db)
        rows = con.execute("SELECT recipients, data FROM outbox WHERE state = 'sent'").fetchall()
        con.close()
        assert len(rows) == n, "vea sent %d of %d" % (len(rows), n)

        start = time.monotonic()
        for rcpt, data in rows:
            subprocess.run(["msmtp", "--host=127.0.0.1", "--port=%d" % port, "--auth=plain",
                            "--user=u", "--passwordeval=echo p", "--tls=off",
                            "--from=", rcpt.strip()], input=bytes(data), check=True,
                           stdout=subprocess.DEVNULL)
        t_msmtp = time.monotonic() - start
        sent = [x for x in smtp.transactions() if x["reply"] == "250"]
        assert len(sent) == 2 * n, "the server accepted %d of %d" % (len(sent), 2 * n)

        print("bench_outbox: %d vacation replies to a loopback SMTP server" % n)
        print("  vea (outbox, one connection):  %7.2f s  %8.1f msg/s" % (t_vea, n / t_vea))
        print("  msmtp (one process each):      %7.2f s  %8.1f msg/s" % (t_msmtp, n / t_msmtp))
        print("  vea / msmtp:                   %7.1fx  (target >= 10x)" % (t_msmtp / t_vea))
    finally:
        if smtp is not None:
            smtp.stop()
        d.stop()
        if not vt.keep_tmp():
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
