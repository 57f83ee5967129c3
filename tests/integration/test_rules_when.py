#!/usr/bin/python3
"""Reminders and snooze as a user checks them, without a server:
- `vea rules check` names file:line:col of a bad time or tag;
- `vea rules test` shows each remind and snooze with the local and UTC
  time it would be due for the message, its arrival being VEA_NOW, in
  --timezone, skipping --holidays; across the US fall-back weekend the
  wall-clock time is kept;
- a snooze takes the message out of the inbox (no implicit keep), a
  reminder leaves it where it is;
- a script written for the IETF snooze draft (Cyrus, Fastmail) runs."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from veatest import run_vea  # noqa: E402

RULES = r'''require ["vnd.vea", "imap4flags"];

if header :contains "subject" "invoice" {
    remind :days 3 "Did they pay?";
    remind :businessdays 2 :to "executive" :always;
    stop;
}
if header :contains "subject" "trip" {
    snooze :until "monday 09:00" :addflags "\\Flagged" :wakeonreply;
}
'''

DRAFT_RULES = r'''require ["snooze", "imap4flags"];
snooze :tzid "Europe/Berlin" :weekdays ["1", "5"] :mailbox "INBOX" ["08:30", "13:00"];
'''

BAD_RULES = '''require "vnd.vea";
remind :days 2;
snooze :until "next tuesday";
remind :to "boss";
'''

# Friday 30 October 2026, 17:00 in New York; the clocks go back on Sunday.
FRIDAY = "2026-10-30T21:00:00Z"


def main():
    t = vt.TAP(timeout=120)
    tmp = vt.mkdtemp()
    rules = os.path.join(tmp, "rules.sieve")
    draft = os.path.join(tmp, "draft.sieve")
    bad = os.path.join(tmp, "bad.sieve")
    invoice = os.path.join(tmp, "invoice.eml")
    trip = os.path.join(tmp, "trip.eml")
    for path, text in ((rules, RULES), (draft, DRAFT_RULES), (bad, BAD_RULES)):
        with open(path, "w") as f:
            f.write(text)
    with open(invoice, "wb") as f:
        f.write(vt.make_message("Invoice 2026-17"))
    with open(trip, "wb") as f:
        f.write(vt.make_message("Trip to Lisbon"))
    ny = ["--timezone", "America/New_York"]

    with t.case("rules check: a bad time and a bad :to are named with file:line:col"):
        rc, out, err = run_vea(["rules", "check", bad])
        assert rc == 1, "exit %d\n%s" % (rc, err)
        assert "%s:3:15: ':until': unknown time 'next tuesday'" % bad in err, err
        assert "%s:4:12: ':to' must be \"assistant\" or \"executive\", not 'boss'" % bad in err, err
        assert ":2:" not in err, err

    with t.case("rules check: the good rules and the draft's form are OK"):
        run_vea(["rules", "check", rules, draft], check=True)

    with t.case("rules test: +3 days keeps 17:00 across the change to EST; business days skip "
                "the weekend and a holiday"):
        rc, out, err = run_vea(["rules", "test"] + ny + ["--holidays", "2026-11-02", rules, invoice],
                               env={"VEA_NOW": FRIDAY}, check=True)
        assert "remind +3d, if unanswered, to the assistant \"Did they pay?\"" in out, out
        assert "due Mon 2026-11-02 17:00 EST (America/New_York), 2026-11-02T22:00:00Z" in out, out
        assert "remind +2bd, always, to the executive" in out, out
        assert "due Wed 2026-11-04 17:00 EST (America/New_York), 2026-11-04T22:00:00Z" in out, out
        assert "  implicit keep" in out, "a reminder leaves the message in place:\n" + out

    with t.case("rules test --json: due times, and a snooze takes the message out of the inbox"):
        rc, out, err = run_vea(["rules", "test", "--json"] + ny + [rules, trip],
                               env={"VEA_NOW": FRIDAY}, check=True)
        actions = json.loads(out)["actions"]
        vt.assert_eq([a["type"] for a in actions], ["snooze"], "actions (no implicit keep)")
        s = actions[0]
        vt.assert_eq((s["when"], s["due_utc"], s["due_local"], s["zone"]),
                     ("monday 09:00", "2026-11-02T14:00:00Z", "Mon 2026-11-02 09:00 EST",
                      "America/New_York"), "snooze due")
        vt.assert_eq((s["addflags"], s["wake_on_reply"], s["wake_mailbox"]),
                     (["\\Flagged"], True, None), "snooze wake")

    with t.case("rules test: the draft's times and weekdays, in its own :tzid"):
        rc, out, err = run_vea(["rules", "test", "--json"] + ny + [draft, trip],
                               env={"VEA_NOW": FRIDAY}, check=True)
        s = json.loads(out)["actions"][0]
        # Friday 22:00 in Berlin: the next of 08:30/13:00 on Mon or Fri is
        # Monday 08:30 CET.
        vt.assert_eq((s["when"], s["due_utc"], s["due_local"], s["zone"], s["wake_mailbox"]),
                     ("at 08:30, 13:00 on mon, fri", "2026-11-02T07:30:00Z",
                      "Mon 2026-11-02 08:30 CET", "Europe/Berlin", "INBOX"), "draft snooze")

    with t.case("rules test: a malformed VEA_NOW or zone is a usage error"):
        rc, out, err = run_vea(["rules", "test", rules, trip], env={"VEA_NOW": "friday"})
        assert rc == 64 and "VEA_NOW='friday'" in err, "exit %d\n%s" % (rc, err)
        rc, out, err = run_vea(["rules", "test", "--timezone", "Mars/Olympus", rules, trip])
        assert rc == 64 and "unknown time zone 'Mars/Olympus'" in err, "exit %d\n%s" % (rc, err)
    return t.done()


if __name__ == "__main__":
    vt.main(main)
