#!/usr/bin/python3
"""Automatic time-costs (vea.conf: cost_fileinto, cost_flag...): each action
the rules take is charged once to the client's default billing account,
linked to the action behind it; a message whose rules `bill` is priced by
the rule alone; a second run charges nothing more."""

import os
import sys

import veatest
from veatest import TAP, Dovecot, assert_eq, db_query, make_message, run_vea

RULES = """require ["fileinto", "imap4flags", "vnd.vea"];
if header :contains "subject" "newsletter" {
    fileinto "Newsletters";
} elsif address :is "from" "vip@example.test" {
    addflag "\\\\Flagged";
    bill :minutes 3 "VIP mail";
}
"""


def main():
    t = TAP(timeout=60)
    tmp = veatest.mkdtemp("vea-costs-")
    with Dovecot() as dc:
        dc.add_user("ann@example.test", "pw-ann")
        dc.start()
        messages = [
            make_message("Weekly newsletter 1", frm="news@example.test"),
            make_message("Weekly newsletter 2", frm="news@example.test"),
            make_message("Board meeting", frm="vip@example.test"),
            make_message("Lunch?", frm="friend@example.test"),
        ]
        for m in messages:
            dc.append("ann@example.test", "INBOX", m)
        rules = os.path.join(tmp, "ann.sieve")
        with open(rules, "w") as f:
            f.write(RULES)
        cfg = veatest.write_config(
            os.path.join(tmp, "vea.conf"), dc,
            clients={"ann": {"timezone": "UTC", "rules": [rules], "billing": "ann-hourly"}},
            accounts={"ann-mail": {"client": "ann", "user": "ann@example.test",
                                   "password": "pw-ann"}},
            billing={"ann-hourly": {"client": "ann", "rate": 6000, "currency": "USD",
                                    "cost_fileinto": "1m", "cost_keep": "30s",
                                    "cost_flag": "2m"}})

        with t.case("vea run --once charges the configured costs"):
            rc, out, err = run_vea(["run", "--once"], cfg, check=0)
            assert rc == 0, err
            rows = db_query(cfg.db, "SELECT l.seconds AS seconds, a.action AS action, l.source AS source"
                                    " FROM ledger_entries l JOIN actions a ON a.id = l.action_id"
                                    " ORDER BY l.id")
            got = sorted((r["seconds"], r["action"]) for r in rows)
            # Two newsletters filed (60 s each), the friend's mail kept (30 s),
            # the VIP mail billed by its rule only (180 s): no flag or keep cost.
            assert_eq(got, [(30, "keep"), (60, "fileinto"), (60, "fileinto"), (180, "bill")],
                      "ledger rows (seconds, action)")
            assert all(r["source"] == "rule" for r in rows), rows

        with t.case("every automatic entry is tied to one action, once"):
            dup = db_query(cfg.db, "SELECT action_id, count(*) AS n FROM ledger_entries"
                                   " GROUP BY action_id HAVING count(*) > 1")
            assert_eq(dup, [], "actions billed twice")

        with t.case("the run summary shows the time billed"):
            assert "ann-hourly: 5m" in out, out

        with t.case("a second run charges nothing more"):
            before = db_query(cfg.db, "SELECT count(*) AS n, sum(seconds) AS s FROM ledger_entries")
            rc, out, err = run_vea(["run", "--once"], cfg, check=0)
            assert rc == 0, err
            after = db_query(cfg.db, "SELECT count(*) AS n, sum(seconds) AS s FROM ledger_entries")
            assert_eq(after, before, "ledger after a second run")
    return t.done()


if __name__ == "__main__":
    veatest.main(main)
