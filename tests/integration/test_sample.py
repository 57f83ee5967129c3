#!/usr/bin/python3
"""The sample data (contrib/sample: vea.conf template, mail/<client>/*.eml,
rules from rules/) run through vea against a private Dovecot: the config is
valid, `vea run --once` succeeds, nothing is lost, every message ends in
INBOX, Trash or a mailbox one of its client's rules files into, the ledger
only bills the client's own billing accounts, and a second run is a no-op.
SKIPs when contrib/sample is absent."""

import configparser
import glob
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from veatest import Skip, run_vea  # noqa: E402


def fileinto_targets(path):
    """Regexes for the mailboxes a Sieve file can file into (server names)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    text = re.sub(r"#[^\n]*", "", text)
    out = []
    for stmt in re.findall(r"(?<![\"\w])fileinto(?![\"\w])([^;]*);", text):
        strings = re.findall(r'"((?:[^"\\]|\\.)*)"', stmt)
        if not strings:
            continue
        name = strings[-1].replace("/", ".")
        rx = "".join(".*" if p.startswith("${") else re.escape(p)
                     for p in re.split(r"(\$\{[^}]*\})", name))
        out.append(re.compile("^%s$" % rx))
    return out


def main():
    t = vt.TAP(timeout=170)
    src = vt.srcdir()
    sample = os.path.join(src, "contrib", "sample")
    template = os.path.join(sample, "vea.conf")
    if not os.path.isfile(template):
        t.skip("sample data runs through vea", "no contrib/sample/vea.conf")
        return t.done()

    tmp = vt.mkdtemp("vea-sample-")
    secrets = os.path.join(tmp, "secrets")
    os.makedirs(secrets, mode=0o700)
    d = vt.Dovecot()
    try:
        with open(template) as f:
            text = f.read()
        rules_dir = os.path.join(src, "rules")
        port = vt.free_port()
        d.port = port               # the config needs it before start
        # No calendar server and no mail relay here (contrib/demo starts
        # them): their ports are closed, and triage must not mind.
        text = (text.replace("@PORT@", str(port)).replace("@SECRETS_DIR@", secrets)
                .replace("@RULES_DIR@", rules_dir)
                .replace("@DAV_URL@", "http://127.0.0.1:%d" % vt.closed_port())
                .replace("@SMTP_URL@", "smtp://127.0.0.1:%d" % vt.closed_port()))
        leftover = re.findall(r"@[A-Z_]+@", text)
        conf_path = os.path.join(tmp, "vea.conf")
        with open(conf_path, "w") as f:
            f.write(text)
        cp = configparser.ConfigParser(interpolation=None, strict=False,
                                       comment_prefixes=("#", ";"), inline_comment_prefixes=None)
        cp.read_string(text)
        clients = {s.split(":", 1)[1]: cp[s] for s in cp.sections() if s.startswith("client:")}
        accounts = {s.split(":", 1)[1]: cp[s] for s in cp.sections() if s.startswith("account:")}
        billing = {s.split(":", 1)[1]: cp[s] for s in cp.sections() if s.startswith("billing:")}
        # one user per account, with the password where its password_cmd reads it
        user_of = {}
        for aid, a in accounts.items():
            user = a.get("user")
            pw = "pw-" + aid
            cmd = a.get("password_cmd", "").split()
            if len(cmd) == 2 and cmd[0] == "cat":
                with open(cmd[1], "w") as f:
                    f.write(pw + "\n")
            d.add_user(user, pw)
            user_of.setdefault(a.get("client"), []).append(user)
        d.start()
        if d.port != port:
            raise vt.HarnessError("Dovecot could not get port %d" % port)

        loaded = {}
        with t.case("sample: config has no placeholders left, mail/<client> matches clients"):
            assert not leftover, "placeholders left: %r" % leftover
            dirs = sorted(os.path.basename(p) for p in glob.glob(os.path.join(sample, "mail", "*")))
            assert dirs, "no contrib/sample/mail/<client>/"
            unknown = [x for x in dirs if x not in user_of]
            assert not unknown, "mail dirs without an account: %r (clients %r)" % (
                unknown, sorted(user_of))
            for cid in dirs:
                files = sorted(glob.glob(os.path.join(sample, "mail", cid, "*.eml")))
                assert files, "no .eml in mail/%s" % cid
                user = user_of[cid][0]
                datas = [open(p, "rb").read() for p in files]
                d.append_many(user, "INBOX", datas)
                loaded[cid] = (user, files, datas)

        with t.case("sample: every client's rule files exist"):
            missing = []
            for cid, c in clients.items():
                for r in [x.strip() for x in c.get("rules", "").split(";") if x.strip()]:
                    p = r if os.path.isabs(r) else os.path.join(rules_dir, r)
                    if not os.path.isfile(p):
                        missing.append(p)
            assert not missing, "missing: %r" % missing

        before = {cid: d.snapshot(u) for cid, (u, _, _) in loaded.items()}
        res = {}
        with t.case("sample: vea config check says OK"):
            rc, out, err = run_vea(["config", "check"], conf_path, check=0)
            assert "configuration OK" in out, out + err

        with t.case("sample: vea run --once exits 0"):
            rc, out, err = run_vea(["run", "--once"], conf_path, timeout=60)
            res["run"] = (rc, out, err)
            assert rc == 0, "exit %d\nstdout:\n%s\nstderr:\n%s" % (rc, out, err)
            t.diag("vea run stdout:\n" + out)

        def need():
            if "run" not in res:
                raise AssertionError("vea run did not run")

        for cid, (user, files, datas) in loaded.items():
            with t.case("sample %s: nothing lost, nothing \\Deleted; the only new messages are "
                        "reply drafts in Drafts" % cid):
                need()
                after = d.messages(user, body=True)
                # What vea adds: drafts of replies (drafts.sieve), in
                # Drafts, flagged \Draft, carrying X-Vea-Draft.
                drafts = [m for m in after if m["mailbox"] == "Drafts"
                          and b"\r\nX-Vea-Draft: " in m["data"]]
                bad_drafts = [m["subject"] for m in drafts if "\\Draft" not in m["flags"]]
                assert not bad_drafts, "drafts without \\Draft: %r" % bad_drafts
                after = [m for m in after if m not in drafts]
                b = vt.multiset(x[3] for x in before[cid])
                a = vt.multiset(m["digest"] for m in after)
                assert a == b, "messages differ:\n" + vt.multiset_diff(b, a)
                bad = [m["subject"] for m in after if "\\Deleted" in m["flags"]]
                assert not bad, "\\Deleted: %r" % bad

            with t.case("sample %s: every message in INBOX, Trash or a fileinto target" % cid):
                need()
                targets = []
                for r in [x.strip() for x in clients[cid].get("rules", "").split(";") if x.strip()]:
                    p = r if os.path.isabs(r) else os.path.join(rules_dir, r)
                    if os.path.isfile(p):
                        targets += fileinto_targets(p)
                trash = "Trash"
                for aid, a in accounts.items():
                    if a.get("client") == cid and a.get("trash"):
                        trash = a.get("trash").replace("/", ".")
                after = d.messages(user)
                odd = [(m["mailbox"], m["subject"]) for m in after
                       if m["mailbox"] not in ("INBOX", trash, "Drafts")
                       and not any(rx.match(m["mailbox"]) for rx in targets)]
                assert not odd, "unexpected places: %r" % odd
                places = {}
                for m in after:
                    places[m["mailbox"]] = places.get(m["mailbox"], 0) + 1
                t.diag("%s: %r" % (cid, places))
                assert set(places) != {"INBOX"}, "the rules moved nothing"

        with t.case("sample: ledger rows bill each client's own billing accounts"):
            need()
            db = os.path.join(tmp, cp["vea"].get("database", "vea.db"))
            rows = vt.db_query(db, "SELECT * FROM ledger_entries")
            bad = [r for r in rows if r["billing_account"] not in billing
                   or billing[r["billing_account"]].get("client") != r["client"]
                   or not (r["seconds"] and r["seconds"] > 0)]
            assert not bad, "bad ledger rows: %r" % bad[:5]
            t.diag("%d ledger rows, %d s in all" % (len(rows), sum(r["seconds"] for r in rows)))

        with t.case("sample: a second run is a no-op"):
            need()
            db = os.path.join(tmp, cp["vea"].get("database", "vea.db"))
            snap = {cid: d.snapshot(u) for cid, (u, _, _) in loaded.items()}
            n = (vt.db_count(db, "actions"), vt.db_count(db, "ledger_entries"))
            run_vea(["run", "--once"], conf_path, check=0, timeout=60)
            for cid, (u, _, _) in loaded.items():
                assert d.snapshot(u) == snap[cid], "%s's mailboxes changed" % cid
            vt.assert_eq((vt.db_count(db, "actions"), vt.db_count(db, "ledger_entries")), n,
                         "(actions, ledger_entries) rows")
    except Skip as e:
        t.skip("sample data runs through vea", str(e))
    finally:
        d.stop()
        if not vt.keep_tmp():
            shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    vt.main(main)
