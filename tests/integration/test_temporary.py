#!/usr/bin/python3
"""A server that says "not now" (RFC 5530 [OVERQUOTA]) is asked again later:
the action is not failed.

The account's Dovecot has a small quota (the quota plugin, `count`
backend). The rules copy invoices to Archive; with a large message taking
the room, Dovecot answers the UID COPY with NO [OVERQUOTA].

1a. `vea run --once`: nothing is copied, the copy actions stay planned (not
    failed), the log says they are tried again, the exit status is 0.
1b. Another run while still over quota: still planned, one row per message.
1c. The large message is deleted (the cause is gone): the next run copies
    each invoice to Archive once, the rows are done, nothing failed.
2.  The same in `vea run` (the daemon, one connection): the copy is tried
    again at a later sync on the same session and done once room is made.
4.  In the same round as a copy refused for now, a move to a name no
    server can have fails at once with its reason: vea's own refusal is
    not taken for the server's "not now".
3.  A reply draft whose APPEND gets NO [OVERQUOTA] stays pending (not
    failed) and is written once, when room is made."""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from veatest import make_message, VeaProcess  # noqa: E402

DOMAIN = "quota.test"
# Bytes: the filler leaves less room than the copies need.
QUOTA_KB = 100
FILLER_BYTES = 70 * 1024
INVOICE_BYTES = 8 * 1024
N_INVOICES = 3

RULES = r'''# written by tests/integration/test_temporary.py
require ["fileinto", "copy", "imap4flags", "variables"];

if header :contains "subject" "invoice" {
    fileinto :copy "Archive";
    stop;
}
# ${nothing} is unset: "Orphans/" has an empty level, a name no server has.
if header :contains "subject" "orphan" {
    fileinto "Orphans/${nothing}";
    stop;
}
'''


class QuotaDovecot(vt.Dovecot):
    """Dovecot with a per-user storage quota of QUOTA_KB kilobytes."""

    def _write_conf(self):
        super()._write_conf()
        with open(self.conf_file, "a") as f:
            f.write("mail_plugins = $mail_plugins quota\n"
                    "plugin {\n"
                    "  quota = count:User quota\n"
                    "  quota_vsizes = yes\n"
                    "  quota_rule = *:storage=%dK\n"
                    "}\n" % QUOTA_KB)


def user(name):
    return "%s@%s" % (name, DOMAIN)


def mid(tag):
    return "<%s@%s>" % (tag, DOMAIN)


def invoices(tag):
    body = ("Invoice line.\n" * (INVOICE_BYTES // 14))
    return [{"mid": mid("%s-inv-%d" % (tag, i)),
             "data": make_message("Invoice %d" % i, to=user(tag),
                                  message_id=mid("%s-inv-%d" % (tag, i)), body=body)}
            for i in range(N_INVOICES)]


def filler(tag, size=FILLER_BYTES):
    return make_message("Large attachment", to=user(tag), message_id=mid("%s-filler" % tag),
                        body=("x" * 75 + "\n") * (size // 77))


DRAFT_RULES = r'''require ["vnd.vea"];
if header :contains "subject" "lunch" {
    draft "lunch";
}
'''


def draft_config(tmp, name, d, u, pw):
    cdir = os.path.join(tmp, name)
    os.makedirs(os.path.join(cdir, "rules", "templates"), exist_ok=True)
    with open(os.path.join(cdir, "rules", "rules.sieve"), "w") as f:
        f.write(DRAFT_RULES)
    with open(os.path.join(cdir, "rules", "templates", "lunch"), "w") as f:
        f.write("\nHi ${sender.first_name},\n\nLunch works for me.\n\n${quote}")
    return vt.write_config(
        os.path.join(cdir, "vea.conf"), d,
        clients={"c": {"name": "Dana Whitfield", "email": u, "timezone": "UTC",
                       "rules": ["rules.sieve"]}},
        accounts={name: {"client": "c", "user": u, "password": pw}},
        rules_dir=os.path.join(cdir, "rules"), poll_interval=5)


def make_config(tmp, name, d, u, pw):
    cdir = os.path.join(tmp, name)
    os.makedirs(os.path.join(cdir, "rules"), exist_ok=True)
    with open(os.path.join(cdir, "rules", "rules.sieve"), "w") as f:
        f.write(RULES)
    return vt.write_config(
        os.path.join(cdir, "vea.conf"), d,
        clients={"c": {"name": "Client " + name, "email": u, "timezone": "UTC",
                       "rules": ["rules.sieve"]}},
        accounts={name: {"client": "c", "user": u, "password": pw}},
        rules_dir="rules", poll_interval=5)


def copy_states(db):
    rows = vt.db_query(db, "SELECT message_id, state, reason FROM actions "
                       "WHERE action = 'fileinto'")
    return rows


def archived(d, u):
    return sorted(m["message_id"] for m in d.messages(u) if m["mailbox"] == "Archive")


def delete_filler(d, u, tag):
    with d.imap(u) as c:
        typ, _ = c.select("INBOX")
        assert typ == "OK"
        typ, data = c.uid("SEARCH", None, "HEADER", "Message-ID", mid("%s-filler" % tag))
        uids = (data[0] or b"").split()
        assert len(uids) == 1, "filler: %r" % uids
        c.uid("STORE", uids[0], "+FLAGS.SILENT", "(\\Deleted)")
        c.expunge()
        c.logout()


def setup(d, tmp, tag, pw):
    u = user(tag)
    d.create(u, "Archive")
    d.append(u, "INBOX", filler(tag), create=False)
    invs = invoices(tag)
    for inv in invs:
        d.append(u, "INBOX", inv["data"], create=False)
    return u, invs, make_config(tmp, tag, d, u, pw)


def main():
    t = vt.TAP(timeout=300)
    try:
        vt.vea_binary()
    except vt.VeaMissing as e:
        t.bail(str(e))
    tmp = vt.mkdtemp("vea-temporary-")
    pw = {n: "pw-%s-quota" % n for n in ("once", "daemon", "drafts", "mixed")}
    d = QuotaDovecot(special=())
    for n, p in pw.items():
        d.add_user(user(n), p)
    try:
        d.start()
        u, invs, cfg = setup(d, tmp, "once", pw["once"])
        want = sorted(inv["mid"] for inv in invs)
        with t.case("1a. NO [OVERQUOTA] to UID COPY: the copies stay planned, not failed; "
                    "the log says they are tried again"):
            rc, out, err = vt.run_vea_logged(["run", "--once"], cfg, timeout=60)
            rows = copy_states(cfg.db)
            t.diag("exit %d; rows %r" % (rc, [(r["state"], r["reason"]) for r in rows]))
            assert "OVERQUOTA" in err, "the server's NO [OVERQUOTA] is not in the log " \
                "(is the quota plugin in effect?):\n%s" % err[-2000:]
            assert rc == 0, "exit %d\n%s" % (rc, err[-1500:])
            assert len(rows) == N_INVOICES, rows
            assert all(r["state"] == "planned" for r in rows), rows
            assert "tried again at the next sync" in err, err[-1500:]
            vt.assert_eq(archived(d, u), [], "Archive while over quota")
        with t.case("1b. a second run while still over quota: still planned, one row each"):
            rc, out, err = vt.run_vea_logged(["run", "--once"], cfg, timeout=60)
            rows = copy_states(cfg.db)
            assert rc == 0, "exit %d\n%s" % (rc, err[-1500:])
            assert len(rows) == N_INVOICES and all(r["state"] == "planned" for r in rows), rows
            vt.assert_eq(archived(d, u), [], "Archive while over quota")
        with t.case("1c. room made: the next run copies each invoice once; the rows are done"):
            delete_filler(d, u, "once")
            rc, out, err = vt.run_vea_logged(["run", "--once"], cfg, timeout=60)
            rows = copy_states(cfg.db)
            assert rc == 0, "exit %d\n%s" % (rc, err[-1500:])
            assert len(rows) == N_INVOICES and all(r["state"] == "done" for r in rows), \
                [(r["state"], r["reason"]) for r in rows]
            vt.assert_eq(archived(d, u), want, "Archive after room was made")
            inbox = sorted(m["message_id"] for m in d.messages(u) if m["mailbox"] == "INBOX")
            vt.assert_eq(inbox, want, "INBOX keeps the originals (a copy)")

        u, invs, cfg = setup(d, tmp, "daemon", pw["daemon"])
        want = sorted(inv["mid"] for inv in invs)
        with t.case("2. vea run (the daemon): refused for now, then done on the same "
                    "connection once room is made; never failed"):
            p = VeaProcess(["run"], cfg)
            try:
                deadline = time.time() + 30
                rows = []
                while time.time() < deadline:
                    rows = copy_states(cfg.db) if os.path.exists(cfg.db) else []
                    if len(rows) == N_INVOICES:
                        break
                    time.sleep(0.3)
                assert len(rows) == N_INVOICES, "not journalled: %r" % rows
                time.sleep(1.5)
                assert all(r["state"] == "planned" for r in copy_states(cfg.db)), \
                    copy_states(cfg.db)
                delete_filler(d, u, "daemon")
                # Wake the account (IDLE): new mail.
                d.append(u, "INBOX", make_message("Hello", to=u), create=False)
                deadline = time.time() + 90
                while time.time() < deadline:
                    rows = copy_states(cfg.db)
                    if all(r["state"] != "planned" for r in rows):
                        break
                    time.sleep(0.5)
                assert all(r["state"] == "done" for r in rows), \
                    [(r["state"], r["reason"]) for r in rows]
                vt.assert_eq(archived(d, u), want, "Archive after room was made")
            finally:
                p.signal(signal.SIGTERM)
                p.wait(30)
                err = p.stderr()
                t.diag("daemon: %d temporary refusals, %d reconnections in the log" % (
                    err.count("tried again"), err.count("reconnecting")))
                if t.failed:
                    t.diag(err[-3000:])

        u, invs, cfg = setup(d, tmp, "mixed", pw["mixed"])
        d.append(u, "INBOX", make_message("An orphan", to=u, message_id=mid("orphan")),
                 create=False)
        with t.case("4. a copy refused for now and, in the same round, a move vea refuses "
                    "itself: the copies stay planned, the move fails with its reason"):
            rc, out, err = vt.run_vea_logged(["run", "--once"], cfg, timeout=60)
            rows = copy_states(cfg.db)
            got = sorted(("orphan" if "orphan" in r["message_id"] else "invoice", r["state"])
                         for r in rows)
            t.diag("rows %r" % [(r["message_id"], r["state"], r["reason"]) for r in rows])
            vt.assert_eq(got, [("invoice", "planned")] * N_INVOICES + [("orphan", "failed")],
                         "states")
            orphan = [r for r in rows if "orphan" in r["message_id"]][0]
            assert "empty level" in (orphan["reason"] or ""), orphan

        u = user("drafts")
        lunch = make_message("Lunch on Friday?", frm="Bob Smith <bob@example.test>", to=u,
                             message_id=mid("lunch"))
        # Room for the message, not for a draft as well.
        d.append(u, "INBOX", filler("drafts", QUOTA_KB * 1024 - len(lunch) - 300), create=False)
        d.append(u, "INBOX", lunch, create=False)
        d.create(u, "Drafts")
        cfg = draft_config(tmp, "drafts", d, u, pw["drafts"])
        with t.case("3a. NO [OVERQUOTA] to the draft's APPEND: the draft stays pending, "
                    "not failed"):
            rc, out, err = vt.run_vea_logged(["run", "--once"], cfg, timeout=60)
            rows = vt.db_query(cfg.db, "SELECT state, result FROM drafts")
            t.diag("exit %d; drafts %r" % (rc, [(r["state"], r["result"]) for r in rows]))
            assert "OVERQUOTA" in err, err[-2000:]
            assert rc == 0, "exit %d\n%s" % (rc, err[-1500:])
            vt.assert_eq([r["state"] for r in rows], ["pending"], "draft states")
            vt.assert_eq([m for m in d.messages(u) if m["mailbox"] == "Drafts"], [], "Drafts")
        with t.case("3b. room made: the next run writes the draft once"):
            delete_filler(d, u, "drafts")
            rc, out, err = vt.run_vea_logged(["run", "--once"], cfg, timeout=60)
            rows = vt.db_query(cfg.db, "SELECT state, result FROM drafts")
            assert rc == 0, "exit %d\n%s" % (rc, err[-1500:])
            assert [r["state"] for r in rows] != ["pending"] and \
                all(r["state"] != "failed" for r in rows), rows
            drafts = [m for m in d.messages(u) if m["mailbox"] == "Drafts"]
            vt.assert_eq(len(drafts), 1, "drafts in Drafts")
            rc, out, err = vt.run_vea_logged(["run", "--once"], cfg, timeout=60)
            vt.assert_eq(len([m for m in d.messages(u) if m["mailbox"] == "Drafts"]), 1,
                         "drafts in Drafts after another run")
    finally:
        d.stop()
    sys.exit(t.done())


if __name__ == "__main__":
    main()
