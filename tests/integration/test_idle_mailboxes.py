#!/usr/bin/python3
"""An account that watches several mailboxes (issue 4: IDLE on every
watched mailbox where the server offers it): `vea run` waits in IDLE on
each of them, not by polling, so mail arriving in any of them is acted on
within seconds even with a poll interval of ten minutes; SIGTERM stops the
extra connections too."""

import os
import signal
import time

import veatest
from veatest import TAP, Dovecot, VeaProcess, make_message, wait_until

RULES = '''require "fileinto";
if header :contains "subject" "report" { fileinto "Reports"; stop; }
'''
USER = "multi@example.test"
LATENCY_MAX = 8.0   # seconds; polling would take 600


def where(dc, message_id):
    return sorted(m["mailbox"] for m in dc.messages(USER) if m["message_id"] == message_id)


def main():
    t = TAP(timeout=120)
    tmp = veatest.mkdtemp("vea-idle-mailboxes-")
    rules = os.path.join(tmp, "rules.sieve")
    with open(rules, "w") as f:
        f.write(RULES)
    with Dovecot(special=("Trash",)) as dc:
        dc.add_user(USER, "pw-multi")
        dc.start()
        dc.create(USER, "Team/Inbound")
        cfg = veatest.write_config(
            os.path.join(tmp, "vea.conf"), dc, poll_interval=600,
            clients={"c": {"timezone": "UTC", "rules": [rules]}},
            accounts={"m": {"client": "c", "user": USER, "password": "pw-multi",
                            "mailboxes": ["INBOX", "Team/Inbound"]}})
        vea = VeaProcess(["run"], cfg, dir=tmp)
        try:
            with t.case("the account waits in IDLE although it watches two mailboxes"):
                ok = wait_until(lambda: veatest.vea_status(cfg).get("m", {}).get("state")
                                == "idle", 30, 0.3)
                assert ok, (veatest.vea_status(cfg), vea.stderr())

            for mailbox in ("Team.Inbound", "INBOX", "Team.Inbound"):
                with t.case("a report delivered to %s is filed within %.0f s" % (
                        mailbox, LATENCY_MAX)):
                    mid = "<report-%s-%f@idle.test>" % (mailbox.lower(), time.time())
                    dc.append(USER, mailbox, make_message("Weekly report", message_id=mid))
                    t0 = time.monotonic()
                    ok = wait_until(lambda: where(dc, mid) == ["Reports"], LATENCY_MAX, 0.2)
                    assert ok, "after %.1f s: %r\n%s" % (time.monotonic() - t0, where(dc, mid),
                                                         vea.stderr()[-2000:])
                    t.diag("%s -> Reports in %.2f s" % (mailbox, time.monotonic() - t0))

            with t.case("SIGTERM: vea and its extra connection stop, status 0"):
                t0 = time.monotonic()
                rc = vea.stop(timeout=20)
                assert rc == 0, (rc, vea.stderr())
                assert time.monotonic() - t0 < 10, "took %.1f s" % (time.monotonic() - t0)
        finally:
            vea.stop(timeout=20)
    return t.done()


if __name__ == "__main__":
    veatest.main(main)
