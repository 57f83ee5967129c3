#!/usr/bin/python3
"""Rules that ask about state outside the message, through the agent on a
real Dovecot: mailboxexists (RFC 5490) sees the account's mailboxes, and
duplicate (RFC 7352) remembers Message-IDs across messages and runs."""

import os

import veatest
from veatest import TAP, Dovecot, assert_eq, make_message, run_vea

RULES = """require ["mailbox", "fileinto", "duplicate"];
if duplicate {
    fileinto "Duplicates";
    stop;
}
if mailboxexists "Projects/Active" {
    fileinto "Projects/Active";
} else {
    fileinto :create "Inbox-Sorted";
}
"""


def where(dc, user):
    out = {}
    for m in dc.messages(user):
        out.setdefault(m["subject"], []).append(m["mailbox"])
    return {k: sorted(v) for k, v in out.items()}


def main():
    t = TAP(timeout=90)
    tmp = veatest.mkdtemp("vea-state-")
    rules = os.path.join(tmp, "rules.sieve")
    with open(rules, "w") as f:
        f.write(RULES)
    with Dovecot() as dc:
        for u in ("has@example.test", "lacks@example.test"):
            dc.add_user(u, "pw")
        dc.start()
        # Only the first account has the mailbox the rule asks about.
        dc.append("has@example.test", "Projects/Active", make_message("seed"))
        for u in ("has@example.test", "lacks@example.test"):
            dc.append(u, "INBOX", make_message("Original", message_id="<dup-1@example.test>"))
            dc.append(u, "INBOX", make_message("Resent copy", message_id="<dup-1@example.test>"))
        cfg = veatest.write_config(
            os.path.join(tmp, "vea.conf"), dc,
            clients={"one": {"timezone": "UTC", "rules": [rules]},
                     "two": {"timezone": "UTC", "rules": [rules]}},
            accounts={"has": {"client": "one", "user": "has@example.test", "password": "pw"},
                      "lacks": {"client": "two", "user": "lacks@example.test", "password": "pw"}})
        rc, out, err = run_vea(["run", "--once"], cfg, check=0)

        with t.case("mailboxexists: true where the account has the mailbox"):
            assert_eq(where(dc, "has@example.test").get("Original"), ["Projects.Active"], "Original")

        with t.case("mailboxexists: false where it does not; :create makes the other"):
            assert_eq(where(dc, "lacks@example.test").get("Original"), ["Inbox-Sorted"], "Original")

        with t.case("duplicate: the second message with the same Message-ID is caught"):
            assert_eq(where(dc, "has@example.test").get("Resent copy"), ["Duplicates"], "has")
            assert_eq(where(dc, "lacks@example.test").get("Resent copy"), ["Duplicates"], "lacks")

        with t.case("duplicate remembers across runs"):
            dc.append("has@example.test", "INBOX",
                      make_message("Third time", message_id="<dup-1@example.test>"))
            run_vea(["run", "--once"], cfg, check=0)
            assert_eq(where(dc, "has@example.test").get("Third time"), ["Duplicates"], "third")

        with t.case("duplicate is per client: another client's mail is not a duplicate of it"):
            rows = veatest.db_query(cfg.db, "SELECT client, count(*) AS n FROM sieve_duplicates"
                                            " GROUP BY client ORDER BY client")
            assert_eq([(r["client"], r["n"]) for r in rows], [("one", 1), ("two", 1)], "rows")
    return t.done()


if __name__ == "__main__":
    veatest.main(main)
