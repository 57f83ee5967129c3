#!/usr/bin/python3
"""Recovery that always makes progress (issue 10): no single action, in
recovery or in normal work, can stop an account.

1. A connection cut while vea carries out a round leaves the round's
   actions planned, never failed: a lost connection is temporary. The next
   run finishes them; the actions that must fail for good (a mailbox an
   ACL forbids creating, a name with an empty level) fail once each, with
   their reason, and the rest is done. `vea status` says recovery failed
   actions and why; `vea log` shows each failed action.
2. kill -9 at random moments (10+ kills landing while work is left) with
   the same rules: the end state equals a clean run's, no planned rows,
   each failing action failed exactly once with its reason, one ledger
   entry per billed message.
3. After a UIDVALIDITY change with every message already handled (nothing
   is journalled), the sync point is stored: the next three syncs fetch
   nothing (counted through a loopback proxy).
4. Names built from mail ("Universities/${domain}" with a dotted domain):
   on a '.' server the level keeps its dots as '_' (the default
   mailbox_name_replacement) and stays one level, also with a configured
   replacement; on a '/' server (LAYOUT=fs) the dots stay; `vea log` and
   `vea rules test --delimiter .` show the name used.

VEA_TEST_SEED fixes the random kills (default printed)."""

import json
import os
import random
import re
import secrets
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from veatest import make_message, VeaProcess  # noqa: E402

SEED = int(os.environ.get("VEA_TEST_SEED", "20261202"))
DOMAIN = "recovery.test"
N_MSGS = 1200
MIN_KILLS = 10

RULES = r'''# written by tests/integration/test_recovery.py
require ["fileinto", "imap4flags", "variables", "vnd.vea"];

if address :domain :matches "from" "*" { set "domain" "${1}"; }
if header :contains "subject" "invoice" {
    fileinto "Finance";
    bill :minutes 1 "invoice";
    stop;
}
# The ACL on Locked has no 'k' right: Dovecot refuses the CREATE.
if header :contains "subject" "confidential" {
    addflag "\\Flagged";
    fileinto "Locked/Board";
    stop;
}
# ${nothing} is unset: "Orphans/" has an empty level, a name no server has.
if header :contains "subject" "orphan" {
    fileinto "Orphans/${nothing}";
    stop;
}
if header :contains "subject" "admissions" {
    fileinto "Universities/${domain}";
    stop;
}
if header :contains "subject" "digest" {
    fileinto "News";
    stop;
}
'''

UNIVERSITIES = ["bus.msu.example", "cs.mit.example", "law.yale.example"]
# Reasons a failing action must give (vea log, the journal).
REASONS = {"confidential": "Permission denied", "orphan": "empty level"}


class AclDovecot(vt.Dovecot):
    """Dovecot with per-mailbox ACL files (the owner has every right where
    there is none)."""

    def _write_conf(self):
        super()._write_conf()
        with open(self.conf_file, "a") as f:
            f.write("mail_plugins = $mail_plugins acl\nplugin {\n  acl = vfile\n}\n")

    def lock(self, user, mailbox):
        """mailbox exists, readable and writable, but nothing may be
        created under it (no 'k' right, RFC 4314)."""
        self.create(user, mailbox)
        path = os.path.join(self.dir, "home", user, "Maildir", "." + mailbox, "dovecot-acl")
        with open(path, "w") as f:
            f.write("owner lrwstipe\n")
        os.chmod(path, 0o644)


def user(name):
    return "%s@%s" % (name, DOMAIN)


def mid(tag):
    return "<%s@%s>" % (tag, DOMAIN)


def norm(message_id):
    return (message_id or "").strip().strip("<>") or None


def corpus(rng, n):
    out = []
    for i in range(n):
        kind = rng.choices(["invoice", "confidential", "orphan", "admissions", "digest", "plain"],
                           [15, 15, 15, 20, 15, 20])[0]
        frm = "p%d@people.example" % rng.randrange(50)
        subj = "Hello %d" % i
        if kind == "invoice":
            subj, where, flags = "Invoice %d" % i, ["Finance"], ()
        elif kind == "confidential":
            subj, where, flags = "Confidential board memo %d" % i, ["INBOX"], ("\\Flagged",)
        elif kind == "orphan":
            subj, where, flags = "An orphan %d" % i, ["INBOX"], ()
        elif kind == "admissions":
            dom = rng.choice(UNIVERSITIES)
            frm = "office@%s" % dom
            subj = "Admissions %d" % i
            where, flags = ["Universities." + dom.replace(".", "_")], ()
        elif kind == "digest":
            subj, where, flags = "Weekly digest %d" % i, ["News"], ()
        else:
            where, flags = ["INBOX"], ()
        m = mid("rc-%04d" % i)
        out.append({"mid": m, "kind": kind, "where": where, "flags": flags,
                    "data": make_message(subj, frm=frm, to=user("x"), message_id=m,
                                         body="Message %d (%s).\n" % (i, kind))})
    return out


def write_rules(cdir, text=RULES):
    os.makedirs(os.path.join(cdir, "rules"), exist_ok=True)
    with open(os.path.join(cdir, "rules", "rules.sieve"), "w") as f:
        f.write(text)


def make_config(tmp, name, d, u, pw, url=None, extra=None, rules=RULES):
    cdir = os.path.join(tmp, name)
    write_rules(cdir, rules)
    acct = {"client": "c", "user": u, "password": pw}
    if url:
        acct["url"] = url
    acct.update(extra or {})
    return vt.write_config(
        os.path.join(cdir, "vea.conf"), d,
        clients={"c": {"name": "Client " + name, "email": u, "timezone": "UTC",
                       "rules": ["rules.sieve"], "billing": "b"}},
        accounts={name: acct},
        billing={"b": {"client": "c", "rate": 6000, "currency": "USD"}},
        rules_dir="rules", poll_interval=600)


def places(msgs):
    out = {}
    for m in msgs:
        out.setdefault(m["message_id"], []).append(
            (m["mailbox"], tuple(sorted(f for f in m["flags"] if f != "\\Recent"))))
    return {k: sorted(v) for k, v in out.items()}


def states(db):
    rows = vt.db_query(db, "SELECT state, count(*) AS n FROM actions GROUP BY state")
    return {r["state"]: r["n"] for r in rows}



def planned(db):
    try:
        return states(db).get("planned", 0)
    except Exception:
        return 0


def check_end_state(cfg, d, u, msgs_expected, ref_places=None):
    """The checks every run of these rules must pass at the end; returns a
    list of problems."""
    errs = []
    msgs = d.messages(u)
    pl = places(msgs)
    want_ids = {c["mid"] for c in msgs_expected}
    if set(pl) != want_ids or len(msgs) != len(msgs_expected):
        errs.append("%d messages, %d expected; missing %r, unexpected %r" % (
            len(msgs), len(msgs_expected), sorted(want_ids - set(pl))[:3],
            sorted(set(pl) - want_ids)[:3]))
    for c in msgs_expected:
        want = sorted((w, c["flags"]) for w in c["where"])
        if pl.get(c["mid"]) != want:
            errs.append("%s (%s): %r, expected %r" % (c["mid"], c["kind"], pl.get(c["mid"]), want))
            if len(errs) > 8:
                break
    if ref_places is not None and pl != ref_places:
        errs.append("differs from the clean run in %d messages" % sum(
            1 for k in set(pl) | set(ref_places) if pl.get(k) != ref_places.get(k)))
    st = states(cfg.db)
    if st.get("planned"):
        errs.append("planned rows left: %r" % st)
    # Each failing action failed exactly once, with its reason.
    rows = vt.db_query(cfg.db, "SELECT message_id, action, argument, state, reason "
                       "FROM actions WHERE action = 'fileinto'")
    by = {}
    for r in rows:
        by.setdefault(r["message_id"], []).append(r)
    for c in msgs_expected:
        rs = by.get(norm(c["mid"]), [])
        if c["kind"] in REASONS:
            failed = [r for r in rs if r["state"] == "failed"]
            if len(rs) != 1 or len(failed) != 1 or REASONS[c["kind"]] not in failed[0]["reason"]:
                errs.append("%s (%s): fileinto rows %r" % (
                    c["mid"], c["kind"], [(r["state"], r["reason"]) for r in rs]))
        elif c["kind"] in ("invoice", "admissions", "digest"):
            if len(rs) != 1 or rs[0]["state"] != "done":
                errs.append("%s (%s): fileinto rows %r" % (
                    c["mid"], c["kind"], [(r["state"], r["reason"]) for r in rs]))
        if len(errs) > 12:
            break
    # One ledger entry per billed message.
    billed = vt.db_query(cfg.db, "SELECT a.message_id AS m, count(*) AS n FROM ledger_entries l "
                         "JOIN actions a ON a.id = l.action_id GROUP BY a.message_id")
    got = {r["m"]: r["n"] for r in billed}
    want = {norm(c["mid"]) for c in msgs_expected if c["kind"] == "invoice"}
    if set(got) != want or any(n != 1 for n in got.values()):
        errs.append("ledger: %d billed messages (%d expected), duplicates %r" % (
            len(got), len(want), [k for k, n in got.items() if n != 1][:3]))
    return errs


def main():
    t = vt.TAP(timeout=600)
    rng = random.Random(SEED)
    t.diag("random seed %d (set VEA_TEST_SEED to repeat)" % SEED)
    try:
        vt.vea_binary()
    except vt.VeaMissing as e:
        t.bail(str(e))
    tmp = vt.mkdtemp("vea-recovery-")
    names = ["cut", "ref", "uv", "dots", "dash"] + ["k%d" % i for i in range(1, 21)]
    pw = {n: "pw-%s" % secrets.token_hex(8) for n in names}
    d = AclDovecot(special=("Trash",))
    for n in names:
        d.add_user(user(n), pw[n])
    procs = []
    try:
        d.start()
        for n in names:
            d.lock(user(n), "Locked")
        msgs = corpus(rng, N_MSGS)
        vt.maildir_deliver(d, user("ref"), [c["data"] for c in msgs])

        # ---------------------------------------------- 1. a cut connection
        small = msgs[:200]
        proxy = vt.ImapProxy(d.port)
        cut = make_config(tmp, "cut", d, user("cut"), pw["cut"],
                          url="imap://127.0.0.1:%d" % proxy.port)
        vt.maildir_deliver(d, user("cut"), [c["data"] for c in small])
        with t.case("1a. the connection cut while a round is carried out: its actions stay "
                    "planned (a lost connection is not a refusal)"):
            # Flags go first, then the copies of the moves: cut at the first copy.
            proxy.arm(b"UID COPY")
            rc, out, err = vt.run_vea_logged(["run", "--once"], cut, timeout=120)
            assert proxy.cuts == 1, "the proxy never saw a UID COPY"
            st = states(cut.db)
            t.diag("after the cut: exit %d, journal %r" % (rc, st))
            assert rc == 75, "exit %d after a cut connection (EX_TEMPFAIL expected)\n%s" % (rc, err[-1500:])
            assert st.get("planned", 0) > 0, "nothing left planned: %r" % st
            failed = vt.db_query(cut.db, "SELECT reason FROM actions WHERE state = 'failed'")
            lost = [r["reason"] for r in failed if "empty level" not in r["reason"]
                    and "Permission denied" not in r["reason"]]
            assert not lost, "actions failed for good by a lost connection: %r" % lost[:3]
        with t.case("1b. the next run recovers: refused actions fail once with their reason, "
                    "the others are done; the account goes on"):
            rc, out, err = vt.run_vea_logged(["run", "--once"], cut, timeout=120)
            assert rc == 0, "exit %d\n%s\n%s" % (rc, out[-1500:], err[-1500:])
            assert "of which" in out and "failed" in out, "run did not report the recovery " \
                "failures:\n%s" % out
            errs = check_end_state(cut, d, user("cut"), small)
            assert not errs, "\n".join(errs)
        with t.case("1c. new mail after the recovery is handled (the account is not stuck)"):
            fresh = mid("cut-fresh")
            d.append(user("cut"), "INBOX", make_message("Weekly digest fresh", message_id=fresh))
            rc, out, err = vt.run_vea_logged(["run", "--once"], cut, timeout=60)
            assert rc == 0, "exit %d\n%s" % (rc, err[-1500:])
            vt.assert_eq([p[0] for p in vt.imap_find(d, user("cut"), fresh)], ["News"], "fresh")
        with t.case("1d. vea status names the recovery's failures and a reason"):
            rc, out, err = vt.run_vea(["status"], cut, timeout=30)
            assert rc == 0, err
            assert re.search(r"recovery: \d+ actions? left from an earlier run failed", out) and \
                ("empty level" in out or "Permission denied" in out), out
        with t.case("1e. vea log shows each failed action with its reason"):
            rc, out, err = vt.run_vea(["log", "--json"], cut, timeout=30)
            assert rc == 0, err
            rows = [json.loads(line) for line in out.splitlines() if line.strip()]
            n_orphan = sum(1 for c in small if c["kind"] == "orphan")
            n_conf = sum(1 for c in small if c["kind"] == "confidential")
            failed = [r for r in rows if r["state"] == "failed"]
            vt.assert_eq(sum("empty level" in r["reason"] for r in failed), n_orphan,
                         "failed Orphans/ actions in vea log")
            vt.assert_eq(sum("Permission denied" in r["reason"] for r in failed), n_conf,
                         "failed Locked/Board actions in vea log")
            assert all(r["result"] == "failed: " + r["reason"] for r in failed), failed[:2]

        # ---------------------------------------------- 2. kill -9 loop
        ref = make_config(tmp, "ref", d, user("ref"), pw["ref"])
        t_ref = 2.0
        with t.case("2a. reference: a clean run of %d messages files each as the rules say, "
                    "refused actions failed once" % N_MSGS):
            t0 = time.monotonic()
            rc, out, err = vt.run_vea_logged(["run", "--once"], ref, timeout=180)
            t_ref = time.monotonic() - t0
            t.diag("clean run: %.2f s" % t_ref)
            assert rc == 0, "exit %d\n%s" % (rc, err[-1500:])
            errs = check_end_state(ref, d, user("ref"), msgs)
            assert not errs, "\n".join(errs)
        ref_places = places(d.messages(user("ref")))

        rounds, kills = [], []
        with t.case("2b. kill -9 at random moments (%d+ landing while work is left)" % MIN_KILLS):
            for n in ["k%d" % i for i in range(1, 21)]:
                if sum(1 for k in kills if k) >= MIN_KILLS:
                    break
                cfg = make_config(tmp, n, d, user(n), pw[n])
                vt.maildir_deliver(d, user(n), [c["data"] for c in msgs])
                rounds.append((n, cfg))
                for _ in range(12):
                    left = N_MSGS - vt.sync_point(cfg.db, n)
                    pend = planned(cfg.db) if os.path.exists(cfg.db) else 0
                    if left <= 0 and pend == 0:
                        break
                    # Within the run that is left (the clean run's time for
                    # the messages not yet read, start-up included, which
                    # is what t_ref measured), so that kills land in every
                    # phase instead of after the end; recovering planned
                    # rows (a search per move) takes a few times longer.
                    expect = t_ref * left / N_MSGS + (3 * t_ref if pend else 0) + 0.02
                    delay = rng.uniform(0.1, 0.9) * expect
                    p = VeaProcess(["run", "--once"], cfg, dir=tmp)
                    procs.append(p)
                    time.sleep(delay)
                    landed = p.kill9()
                    kills.append(landed)
                    t.diag("%s: %s after %.2f s; before %d left, %d planned; after %d planned"
                           % (n, "killed" if landed else "had exited", delay, left, pend,
                              planned(cfg.db) if os.path.exists(cfg.db) else 0))
            assert sum(1 for k in kills if k) >= MIN_KILLS, "only %d kills landed" % sum(kills)
        with t.case("2c. after the kills, one more run: same end state as the clean run, no "
                    "planned rows, each refused action failed once, billed once"):
            errs = []
            for n, cfg in rounds:
                rc, out, err = vt.run_vea_logged(["run", "--once"], cfg, timeout=180)
                if rc != 0:
                    errs.append("%s: exit %d: %s" % (n, rc, err[-800:]))
                    continue
                errs += ["%s: %s" % (n, e) for e in check_end_state(cfg, d, user(n), msgs,
                                                                     ref_places)]
            assert rounds and not errs, "\n".join(errs[:20])

        # ---------------------------------------------- 3. the sync point
        uv_msgs = msgs[:30]
        proxy3 = vt.ImapProxy(d.port)
        uv = make_config(tmp, "uv", d, user("uv"), pw["uv"],
                         url="imap://127.0.0.1:%d" % proxy3.port)
        vt.maildir_deliver(d, user("uv"), [c["data"] for c in uv_msgs])
        with t.case("3. after a UIDVALIDITY change with nothing new, the next three syncs "
                    "fetch nothing"):
            vt.run_vea_logged(["run", "--once"], uv, check=True, timeout=60)
            old_v, new_v = vt.rebuild_mailbox(d, user("uv"))
            assert new_v != old_v, "UIDVALIDITY did not change (test setup)"
            # The first sync after the change reads everything once.
            vt.run_vea_logged(["run", "--once"], uv, check=True, timeout=60)
            before = proxy3.commands(b"UID FETCH")
            for _ in range(3):
                vt.run_vea_logged(["run", "--once"], uv, check=True, timeout=60)
            fetches = proxy3.commands(b"UID FETCH") - before
            t.diag("UID FETCH commands in the three syncs after: %d" % fetches)
            vt.assert_eq(fetches, 0, "UID FETCH commands of three syncs with nothing new")

        # ---------------------------------------------- 4. names from mail
        uni = [c for c in msgs if c["kind"] == "admissions"][:20]
        with t.case("4a. '.' server, mailbox_name_replacement = -: the level keeps one level, "
                    "dots as '-'; vea log shows the name used"):
            cfg = make_config(tmp, "dash", d, user("dash"), pw["dash"],
                              extra={"mailbox_name_replacement": "-"})
            vt.maildir_deliver(d, user("dash"), [c["data"] for c in uni])
            rc, out, err = vt.run_vea_logged(["run", "--once"], cfg, timeout=60)
            assert rc == 0, err[-1500:]
            got = sorted({m["mailbox"] for m in d.messages(user("dash"))})
            want = sorted({"Universities." + c["where"][0].split(".", 1)[1].replace("_", "-")
                           for c in uni})
            vt.assert_eq(got, want, "mailboxes")
            rc, out, err = vt.run_vea(["log"], cfg, timeout=30)
            assert "Universities/bus-msu-example" in out or "Universities/cs-mit-example" in out \
                or "Universities/law-yale-example" in out, out[-1500:]
        with t.case("4b. '/' server (LAYOUT=fs): a dotted level stays as it is"):
            with vt.Dovecot(special=("Trash",), separator="/", layout="fs") as fs:
                fs.add_user(user("fs"), pw["dots"])
                fs.start()
                cfg = make_config(tmp, "dots", fs, user("fs"), pw["dots"])
                vt.maildir_deliver(fs, user("fs"), [c["data"] for c in uni])
                rc, out, err = vt.run_vea_logged(["run", "--once"], cfg, timeout=60)
                assert rc == 0, err[-1500:]
                got = sorted({m["mailbox"] for m in fs.messages(user("fs"))})
                want = sorted({"Universities/" + c["where"][0].split(".", 1)[1].replace("_", ".")
                               for c in uni})
                vt.assert_eq(got, want, "mailboxes")
        with t.case("4c. vea rules test shows the name used on a '.' server"):
            msg = os.path.join(tmp, "uni.eml")
            with open(msg, "wb") as f:
                f.write(uni[0]["data"])
            rules = os.path.join(tmp, "ref", "rules", "rules.sieve")
            rc, out, err = vt.run_vea(["rules", "test", "--delimiter", ".", rules, msg])
            assert rc == 0, err
            dom = uni[0]["where"][0].split(".", 1)[1]
            assert 'fileinto "Universities/%s"' % dom in out, out
            rc, out, err = vt.run_vea(["rules", "test", rules, msg])
            assert "on a server whose delimiter is '.'" in out and dom in out, out
    finally:
        for p in procs:
            p.stop(5)
        d.stop()
    t.done()


if __name__ == "__main__":
    main()
