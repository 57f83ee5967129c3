#!/usr/bin/python3
"""Moves to several mailboxes in one round (issue 4): vea copies to each
destination and then expunges the originals once (an expunge costs a
server the same for one message as for a hundred). This test cuts the
connection at the worst moment, between the copies and the expunge, and
checks that the next run finishes the job without losing or duplicating
anything:

- a message whose copy is in its destination: the original is expunged,
  not copied again;
- a message whose copy the executive deleted meanwhile, while another
  message with the same Message-ID (another delivery: other Received
  fields) sits in that mailbox: not mistaken for the copy; the original is
  filed again, without the \\Deleted the cut round had set;
- flags set by the rules arrive with the messages; the bill is charged
  once; no journal row is left planned;
- a message another client changes between vea's copy and its removal
  (the executive's phone marks it read) is not expunged: vea's removal is
  conditional (CONDSTORE, RFC 7162 UNCHANGEDSINCE), the original stays
  with the change and vea reports the action as failed;
- a mailbox the server opens read-only (by ACL): nothing is moved,
  flagged or copied there, every action fails with the reason once, and
  later starts do not try again.

The cut is real: vea talks to Dovecot through a loopback proxy that closes
both sides when vea sends the command that marks the originals \\Deleted
(or, in the second case, the UID EXPUNGE after it)."""

import os

import veatest
from veatest import TAP, Dovecot, make_message

RULES = r'''require ["fileinto", "imap4flags", "vnd.vea"];
if header :contains "subject" "invoice" { addflag "\\Flagged"; fileinto "Finance"; bill :minutes 2 "invoice"; stop; }
if header :contains "subject" "newsletter" { fileinto "News"; stop; }
if header :contains "subject" "trip" { fileinto "Travel"; stop; }
'''

USER = "mv@example.test"


class AclDovecot(Dovecot):
    """Dovecot with per-mailbox ACL files (owner has every right where
    there is none), for the read-only mailbox of round 4."""

    def _write_conf(self):
        super()._write_conf()
        with open(self.conf_file, "a") as f:
            f.write("mail_plugins = $mail_plugins acl\nplugin {\n  acl = vfile\n}\n")


def where(dc, message_id):
    return sorted((m["mailbox"], tuple(sorted(m["flags"])))
                  for m in dc.messages(USER) if m["message_id"] == message_id)


def main():
    t = TAP(timeout=120)
    tmp = veatest.mkdtemp("vea-moves-")
    rules = os.path.join(tmp, "rules.sieve")
    with open(rules, "w") as f:
        f.write(RULES)
    with AclDovecot(special=("Trash",)) as dc:
        dc.add_user(USER, "pw-mv")
        dc.start()
        proxy = veatest.ImapProxy(dc.port)
        cfg = veatest.write_config(
            os.path.join(tmp, "vea.conf"), dc,
            clients={"c": {"timezone": "UTC", "rules": [rules], "billing": "b"}},
            accounts={"mv": {"client": "c", "user": USER, "password": "pw-mv",
                             "url": "imap://127.0.0.1:%d" % proxy.port}},
            billing={"b": {"client": "c", "rate": 6000, "currency": "USD"}})
        try:
            # ---------------------------------------------------- round 1
            ids = {k: "<%s@moves.test>" % k for k in
                   ("inv1", "inv2", "news1", "news2", "trip1", "plain1")}
            subjects = {"inv1": "Invoice 1", "inv2": "Invoice 2", "news1": "Newsletter 1",
                        "news2": "Newsletter 2", "trip1": "Trip plan", "plain1": "Hello"}
            dc.append_many(USER, "INBOX", [make_message(subjects[k], message_id=ids[k])
                                           for k in sorted(ids)])
            proxy.arm(b"+FLAGS.SILENT (\\Deleted)")
            with t.case("connection cut between the copies and the expunge: vea says so, "
                        "nothing is lost"):
                rc, out, err = veatest.run_vea(["run", "--once"], cfg, timeout=60)
                assert proxy.cuts == 1, "the proxy never saw the \\Deleted STORE:\n" + err
                assert rc != 0, "exit 0 after a cut connection:\n" + err
                assert "mv" in err and "INBOX" in err, err
                for k in ("inv1", "inv2", "news1", "news2", "trip1"):
                    places = [p[0] for p in where(dc, ids[k])]
                    assert "INBOX" in places and len(places) == 2, (k, places)
                planned = veatest.db_query(cfg.db, "SELECT count(*) AS n FROM actions "
                                                   "WHERE state = 'planned'")[0]["n"]
                assert planned > 0, "no planned rows left to finish"

            with t.case("next run: the originals are expunged, no message filed twice, "
                        "flags kept, billed once"):
                veatest.run_vea(["run", "--once"], cfg, check=True, timeout=60)
                want = {"inv1": [("Finance", ("\\Flagged",))],
                        "inv2": [("Finance", ("\\Flagged",))],
                        "news1": [("News", ())], "news2": [("News", ())],
                        "trip1": [("Travel", ())], "plain1": [("INBOX", ())]}
                got = {k: where(dc, ids[k]) for k in ids}
                assert got == want, got
                rows = veatest.db_query(cfg.db, "SELECT state, count(*) AS n FROM actions "
                                                "GROUP BY state")
                assert all(r["state"] != "planned" for r in rows), rows
                bills = veatest.db_query(cfg.db, "SELECT count(*) AS n FROM ledger_entries "
                                                 "WHERE description LIKE '%invoice%'")[0]["n"]
                assert bills == 2, "ledger entries for the 2 invoices: %d" % bills

            # ---------------------------------------------------- round 2
            # Another delivery of trip2 is already in Travel: same
            # Message-ID, other header.
            trip2, news3 = "<trip2@moves.test>", "<news3@moves.test>"
            other = make_message("Trip details", message_id=trip2, headers=[
                ("Received", "from elsewhere.example by mx.example; "
                             "Mon, 2 Jan 2023 10:00:00 +0000")])
            dc.append(USER, "Travel", other)
            dc.append_many(USER, "INBOX", [make_message("Trip details", message_id=trip2),
                                           make_message("Newsletter 3", message_id=news3)])
            proxy.arm(b"UID EXPUNGE")
            with t.case("cut at the expunge, then the executive deletes one copy"):
                rc, out, err = veatest.run_vea(["run", "--once"], cfg, timeout=60)
                assert proxy.cuts == 2 and rc != 0, (proxy.cuts, rc, err)
                copies = [m for m in dc.messages(USER)
                          if m["mailbox"] == "Travel" and m["message_id"] == trip2]
                assert len(copies) == 2, copies
                newest = max(m["uid"] for m in copies)
                _expunge(dc, "Travel", newest)

            with t.case("next run: the message whose copy is gone is filed again (not taken "
                        "for the other delivery) and arrives without \\Deleted"):
                veatest.run_vea(["run", "--once"], cfg, check=True, timeout=60)
                got = {"trip2": where(dc, trip2), "news3": where(dc, news3)}
                want = {"trip2": [("Travel", ()), ("Travel", ())],
                        "news3": [("News", ())]}
                assert got == want, got
                rows = veatest.db_query(cfg.db, "SELECT count(*) AS n FROM actions "
                                                "WHERE state = 'planned'")[0]["n"]
                assert rows == 0, rows

            # ---------------------------------------------------- round 3
            # The executive's phone marks a message read just as vea,
            # having copied it, marks the original for deletion.
            inv3, trip3 = "<inv3@moves.test>", "<trip3@moves.test>"
            dc.append_many(USER, "INBOX", [make_message("Invoice 3", message_id=inv3),
                                           make_message("Trip 3", message_id=trip3)])

            def phone_reads_invoice():
                _store(dc, "INBOX", inv3, "\\Seen")

            proxy.arm(b"UNCHANGEDSINCE", before=phone_reads_invoice)
            with t.case("another client changes a message between vea's copy and its removal: "
                        "the original is kept with the change (CONDSTORE), vea says so"):
                rc, out, err = veatest.run_vea(["run", "--once"], cfg, timeout=60)
                assert proxy.cuts == 3, "vea sent no UNCHANGEDSINCE:\n" + err
                got = {"inv3": where(dc, inv3), "trip3": where(dc, trip3)}
                want = {"inv3": [("Finance", ("\\Flagged",)), ("INBOX", ("\\Flagged", "\\Seen"))],
                        "trip3": [("Travel", ())]}
                assert got == want, got
                assert "another client changed the message" in err, err
                rows = veatest.db_query(cfg.db, "SELECT state, result FROM actions WHERE "
                                                "message_id = ? AND action = 'fileinto'",
                                        (inv3.strip("<>"),))
                assert [r["state"] for r in rows] == ["failed"], rows

            # ---------------------------------------------------- round 4
            # INBOX read-only for the account (an ACL with the rights to
            # look and read only; Dovecot then answers OK to a STORE or an
            # EXPUNGE and does nothing): vea moves and flags nothing there,
            # makes no copy it could not follow with a removal, says why
            # per message, and does not try again at every start.
            inv4, trip4 = "<inv4@moves.test>", "<trip4@moves.test>"
            dc.append_many(USER, "INBOX", [make_message("Invoice 4", message_id=inv4),
                                           make_message("Trip 4", message_id=trip4)])
            acl = os.path.join(dc.dir, "home", USER, "Maildir", "dovecot-acl")
            with open(acl, "w") as f:
                f.write("owner lr\n")
            os.chmod(acl, 0o644)
            try:
                with t.case("a mailbox the server opens read-only: nothing moved or copied, "
                            "each action failed with the reason, no retry loop"):
                    rc, out, err = veatest.run_vea(["run", "--once"], cfg, timeout=60)
                    got = {"inv4": [p[0] for p in where(dc, inv4)],
                           "trip4": [p[0] for p in where(dc, trip4)]}
                    assert got == {"inv4": ["INBOX"], "trip4": ["INBOX"]}, got
                    rows = veatest.db_query(cfg.db, "SELECT message_id, state, reason FROM actions "
                                                    "WHERE action = 'fileinto' AND message_id IN (?, ?)",
                                            (inv4.strip("<>"), trip4.strip("<>")))
                    assert sorted(r["state"] for r in rows) == ["failed", "failed"], rows
                    assert all("read-only" in r["reason"] for r in rows), rows
                    assert "read-only" in err, err
                    planned = veatest.db_query(cfg.db, "SELECT count(*) AS n FROM actions "
                                                       "WHERE state = 'planned'")[0]["n"]
                    assert planned == 0, planned
                    rc2, out2, err2 = veatest.run_vea(["run", "--once"], cfg, timeout=60)
                    assert rc2 == 0, err2
                    again = {"inv4": [p[0] for p in where(dc, inv4)],
                             "trip4": [p[0] for p in where(dc, trip4)]}
                    assert again == got, again
            finally:
                os.unlink(acl)
        finally:
            proxy.close()
    return t.done()


def _store(dc, mailbox, message_id, flag):
    import imaplib
    c = imaplib.IMAP4("127.0.0.1", dc.port)
    try:
        c.login(USER, dc.users[USER])
        c.select(veatest.imap_quote(mailbox))
        typ, data = c.uid("SEARCH", "HEADER", "Message-ID", message_id)
        for uid in data[0].split():
            c.uid("STORE", uid.decode(), "+FLAGS.SILENT", "(%s)" % flag)
    finally:
        c.logout()


def _expunge(dc, mailbox, uid):
    import imaplib
    c = imaplib.IMAP4("127.0.0.1", dc.port)
    try:
        c.login(USER, dc.users[USER])
        c.select(veatest.imap_quote(mailbox))
        c.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Deleted)")
        c.uid("EXPUNGE", str(uid))
    finally:
        c.logout()


if __name__ == "__main__":
    veatest.main(main)
