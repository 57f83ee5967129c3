#!/usr/bin/python3
"""Triage end to end: two executives (clients), one account each on one
private Dovecot, a Sieve rule file per client, test-written messages plus
100 real ones from the shared corpus; `vea run --once` must put every
message where the rules say, set the flags, lose nothing, bill the right
seconds to the right billing account, be a no-op the second time, and
`vea log` must show each action with its rule file:line."""

import email.header
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from veatest import Skip, make_message, run_vea  # noqa: E402

DANA = "dana@example.test"
MARC = "marc@example.test"
VIP = "vip@board.example"

DANA_RULES = r'''# dana's rules (written by tests/integration/test_triage.py)
require ["fileinto", "imap4flags", "vnd.vea"];

if header :contains "subject" "newsletter" {
    fileinto "Newsletters";
    stop;
}
if address :is "from" "vip@board.example" {
    addflag "\\Flagged";
    bill :minutes 2 "VIP";
}
if header :contains "subject" "Acme" {
    fileinto "Clients/Acme";
    bill :account "dana-projects" :minutes 5 "Acme correspondence";
    stop;
}
if address :domain :is "from" "spam.example" {
    discard;
    stop;
}
'''

MARC_RULES = r'''# marc's rules (written by tests/integration/test_triage.py)
require ["fileinto", "imap4flags", "vnd.vea"];

if header :contains "list-id" "ilug" {
    fileinto "Lists/ILUG";
    stop;
}
if header :contains "subject" "razor" {
    addflag "$Razor";
    fileinto "Lists/Razor";
    bill :minutes 1 "Razor list";
    stop;
}
if header :contains "subject" "urgent" {
    addflag ["\\Flagged", "$Urgent"];
    bill :minutes 3 "Urgent triage";
}
if header :contains "subject" "Zurich" {
    fileinto "Clients/Zürich";
}
'''


def line_of(script, needle):
    """1-based line of the (unique) line holding needle."""
    hits = [i + 1 for i, l in enumerate(script.split("\n")) if needle in l]
    assert len(hits) == 1, "needle %r found %d times" % (needle, len(hits))
    return hits[0]


def hval(h, name):
    """Every value of header name, decoded and unfolded (as Sieve sees it)."""
    return [re.sub(r"\r?\n[ \t]*", " ", vt.decode_header(v) or "")
            for v in (h.get_all(name) or [])]


def contains(h, name, word):
    return any(word.lower() in v.lower() for v in hval(h, name))


def marc_expect(data):
    """(mailbox, flags that must be set, minutes billed) per MARC_RULES."""
    h = vt.parse_headers(data)
    if contains(h, "List-Id", "ilug"):
        return "Lists.ILUG", set(), 0
    if contains(h, "Subject", "razor"):
        return "Lists.Razor", {"$Razor"}, 1
    flags, minutes = set(), 0
    if contains(h, "Subject", "urgent"):
        flags, minutes = {"\\Flagged", "$Urgent"}, 3
    if contains(h, "Subject", "zurich"):
        return "Clients.Zürich", flags, minutes
    return "INBOX", flags, minutes


def main():
    t = vt.TAP(timeout=170)
    tmp = vt.mkdtemp("vea-triage-")
    d = vt.Dovecot()
    d.add_user(DANA, "dana-secret").add_user(MARC, "marc-secret")
    d.start()

    # ---- messages: (label, data, mailbox, must-have flags, must-not flags, minutes by account)
    nl1 = make_message("Weekly Newsletter #42", frm="news@letters.example")
    nl2 = make_message("NEWSLETTER: March edition", frm="Letters <news@letters.example>")
    nl3 = make_message(email.header.Header("Ünïcödé Newsletter ✓", "utf-8").encode(),
                       frm="news@letters.example")
    vip1 = make_message("Board meeting moved", frm="Vi Pearson <vip@board.example>")
    vip2 = make_message("Re: Acme contract", frm=VIP)
    vip3 = make_message("Quarterly numbers", frm="\"Pearson, Vi\" <VIP@Board.Example>")
    acme1 = make_message("Acme invoice 2024-17", frm="bob@acme.example")
    acme2 = make_message("Call with ACME tomorrow", frm="carol@acme.example")
    spam1 = make_message("You won!", frm="promo@spam.example")
    spam2 = make_message("Cheap stuff", frm="Promo <deals@spam.example>")
    spam_nl = make_message("Spam newsletter", frm="promo@spam.example")
    plain1 = make_message("Lunch on Friday?", frm="friend@example.org")
    seen1 = make_message("Already read", frm="friend@example.org")
    noid = make_message("Newsletter without Message-ID", frm="news@letters.example",
                        message_id=None)
    viplook = make_message("not the vip", frm="vip@board.example.evil")
    archived = make_message("Old newsletter in the archive", frm="news@letters.example")
    # Real-world mail (issue 10): a header that starts with a folded line,
    # a local part with doubled dots.
    folded = b" folded before any field\r\n" + make_message(
        "Folded newsletter", frm="news@letters.example")
    dotted = make_message("Dotted sender", frm="b..promo@spam.example")
    dana_cases = [
        ("newsletter", nl1, "Newsletters", set(), {"\\Flagged"}),
        ("NEWSLETTER (case-insensitive)", nl2, "Newsletters", set(), set()),
        ("RFC 2047 encoded newsletter subject", nl3, "Newsletters", set(), set()),
        ("VIP mail kept and flagged", vip1, "INBOX", {"\\Flagged"}, set()),
        ("VIP + Acme: filed and flagged", vip2, "Clients.Acme", {"\\Flagged"}, set()),
        ("VIP address compared case-insensitively", vip3, "INBOX", {"\\Flagged"}, set()),
        ("Acme invoice", acme1, "Clients.Acme", set(), {"\\Flagged"}),
        ("ACME (case-insensitive)", acme2, "Clients.Acme", set(), set()),
        ("discard -> Trash", spam1, "Trash", set(), {"\\Deleted"}),
        ("discard (display name) -> Trash", spam2, "Trash", set(), {"\\Deleted"}),
        ("first matching rule wins (stop)", spam_nl, "Newsletters", set(), set()),
        ("no rule: implicit keep", plain1, "INBOX", set(), {"\\Flagged"}),
        ("\\Seen survives the implicit keep", seen1, "INBOX", {"\\Seen"}, {"\\Flagged"}),
        ("message without Message-ID", noid, "Newsletters", set(), set()),
        ("address :is is not a suffix match", viplook, "INBOX", set(), {"\\Flagged"}),
        ("unwatched mailbox untouched", archived, "Archive", set(), set()),
        ("header starting with a folded line is triaged", folded, "Newsletters",
         set(), set()),
        ("b..promo@spam.example: address :domain reads it", dotted, "Trash",
         set(), {"\\Deleted"}),
    ]
    dana_bills = {"dana-retainer": 3 * 2 * 60, "dana-projects": 3 * 5 * 60}
    dana_bill_rows = {"dana-retainer": 3, "dana-projects": 3}

    marc_written = [
        make_message("URGENT: server down", frm="ops@example.org", to=MARC),
        make_message("Offsite in Zurich", frm="hr@example.org", to=MARC),
        make_message("urgent - Zurich office lease", frm="legal@example.org", to=MARC),
        make_message("Razor notes", frm="x@example.org", to=MARC),
        make_message("Hello Marc", frm="friend@example.org", to=MARC),
    ]
    try:
        corpus = vt.corpus_messages(100)
        corpus_skip = None
    except Skip as e:
        corpus, corpus_skip = [], str(e)

    d.append(DANA, "Archive", archived)
    for label, data, *_ in dana_cases:
        if data is archived:
            continue
        d.append(DANA, "INBOX", data, flags=("\\Seen",) if data is seen1 else ())
    d.append_many(MARC, "INBOX", marc_written + corpus)

    # ---- config
    rules_dir = os.path.join(tmp, "rules")
    os.makedirs(rules_dir)
    with open(os.path.join(rules_dir, "dana.sieve"), "w") as f:
        f.write(DANA_RULES)
    with open(os.path.join(rules_dir, "marc.sieve"), "w") as f:
        f.write(MARC_RULES)
    cfg = vt.write_config(
        os.path.join(tmp, "vea.conf"), d,
        rules_dir="rules",
        clients={
            "dana": {"name": "Dana Whitfield", "email": DANA, "timezone": "America/New_York",
                     "rules": ["dana.sieve"], "billing": "dana-retainer"},
            "marc": {"name": "Marc Keller", "email": MARC, "timezone": "Europe/Zurich",
                     "rules": ["marc.sieve"]},
        },
        accounts={
            "dana-work": {"client": "dana", "user": DANA, "password": "dana-secret"},
            "marc-work": {"client": "marc", "user": MARC, "password": "marc-secret"},
        },
        billing={
            "dana-retainer": {"client": "dana", "rate": 6000, "currency": "USD"},
            "dana-projects": {"client": "dana", "rate": 9000, "currency": "USD"},
            "marc-hourly": {"client": "marc", "rate": 12000, "currency": "CHF"},
        })
    db = cfg.db

    before = {u: d.snapshot(u) for u in (DANA, MARC)}
    state = {}

    try:
        with t.case("vea config check accepts the test config"):
            rc, out, err = run_vea(["config", "check"], cfg, check=0)
            assert "configuration OK" in out, "stdout lacks 'configuration OK':\n" + out + err

        with t.case("vea run --once --dry-run changes no mailbox and bills nothing"):
            rc, out, err = run_vea(["run", "--once", "--dry-run"], cfg, check=0)
            for u in (DANA, MARC):
                now = d.snapshot(u)
                assert now == before[u], "%s changed by --dry-run:\n%s" % (
                    u, vt.multiset_diff(vt.multiset(before[u]), vt.multiset(now)))
            n = vt.db_count(db, "ledger_entries")
            assert n == 0, "%d ledger rows after --dry-run" % n

        with t.case("vea run --once exits 0"):
            rc, out, err = run_vea(["run", "--once"], cfg, timeout=90)
            state["run_out"] = out
            assert rc == 0, "exit %d\nstdout:\n%s\nstderr:\n%s" % (rc, out[-3000:], err[-3000:])
            state["ran"] = True

        def need_run():
            if state.get("run_out") is None:
                raise AssertionError("vea run --once did not run (see above)")

        after = {u: d.messages(u, body=True) for u in (DANA, MARC)}
        where = {u: vt.by_digest(after[u]) for u in (DANA, MARC)}

        with t.case("run prints a summary naming each client"):
            need_run()
            out = state["run_out"]
            for cid, name in (("dana", "Dana Whitfield"), ("marc", "Marc Keller")):
                assert cid in out or name in out, "no summary for %s in stdout:\n%s" % (cid, out)

        for u in (DANA, MARC):
            with t.case("nothing lost for %s (same messages, byte for byte)" % u):
                need_run()
                b = vt.multiset(x[3] for x in before[u])
                a = vt.multiset(m["digest"] for m in after[u])
                assert a == b, "messages differ (digest: count):\n" + vt.multiset_diff(b, a)
                mb = vt.multiset(m["message_id"] for m in after[u])
                assert sum(mb.values()) == len(before[u])
            with t.case("no message of %s marked \\Deleted" % u):
                need_run()
                bad = [(m["mailbox"], m["subject"]) for m in after[u] if "\\Deleted" in m["flags"]]
                assert not bad, "\\Deleted: %r" % bad

        for label, data, box, must, mustnot in dana_cases:
            with t.case("dana: %s (%s)" % (label, box)):
                need_run()
                got = where[DANA].get(vt.message_digest(data), [])
                assert len(got) == 1, "found %d copies: %r" % (
                    len(got), [(m["mailbox"], m["flags"]) for m in got])
                m = got[0]
                assert m["mailbox"] == box, "in %r, expected %r (flags %r)" % (
                    m["mailbox"], box, sorted(m["flags"]))
                assert must <= m["flags"], "flags %r lack %r" % (sorted(m["flags"]), sorted(must))
                assert not (mustnot & m["flags"]), "flags %r must not have %r" % (
                    sorted(m["flags"]), sorted(mustnot))

        with t.case("marc: test-written messages where the rules say"):
            need_run()
            errs = []
            for data in marc_written:
                box, must, _ = marc_expect(data)
                got = where[MARC].get(vt.message_digest(data), [])
                subj = vt.parse_headers(data)["Subject"]
                if len(got) != 1:
                    errs.append("%s: %d copies" % (subj, len(got)))
                elif got[0]["mailbox"] != box or not must <= got[0]["flags"]:
                    errs.append("%s: in %s %r, expected %s %r" % (
                        subj, got[0]["mailbox"], sorted(got[0]["flags"]), box, sorted(must)))
            assert not errs, "\n".join(errs)

        with t.case("marc: 100 corpus messages where the rules say (non-ASCII mailbox too)"):
            if corpus_skip:
                raise Skip(corpus_skip)
            need_run()
            errs = []
            count = {}
            for data in corpus:
                box, must, _ = marc_expect(data)
                count[box] = count.get(box, 0) + 1
                got = where[MARC].get(vt.message_digest(data), [])
                h = vt.parse_headers(data)
                if len(got) != 1:
                    errs.append("%s: %d copies" % (h["Message-ID"], len(got)))
                elif got[0]["mailbox"] != box or not must <= got[0]["flags"]:
                    errs.append("%s %r: in %s %r, expected %s %r" % (
                        h["Message-ID"], h["Subject"], got[0]["mailbox"],
                        sorted(got[0]["flags"]), box, sorted(must)))
            t.diag("corpus expectation: %r" % count)
            assert not errs, "%d misplaced:\n%s" % (len(errs), "\n".join(errs[:15]))

        with t.case("marc: 'Clients/Zürich' created as the server's Clients.Zürich"):
            need_run()
            boxes = d.mailboxes(MARC)
            assert "Clients.Zürich" in boxes, "mailboxes: %r" % boxes
            assert not any("/" in b for b in boxes), "a '/' reached the server: %r" % boxes

        # ---- the ledger
        marc_minutes = [marc_expect(x)[2] for x in marc_written + corpus]
        want = {("dana", k): v for k, v in dana_bills.items()}
        want[("marc", "marc-hourly")] = 60 * sum(marc_minutes)
        want_rows = {("dana", k): v for k, v in dana_bill_rows.items()}
        want_rows[("marc", "marc-hourly")] = sum(1 for m in marc_minutes if m)

        with t.case("ledger: seconds per client and billing account (= minutes * 60)"):
            rows = vt.db_query(db, "SELECT client, billing_account, sum(seconds) AS s, "
                               "count(*) AS n FROM ledger_entries GROUP BY 1, 2")
            got = {(r["client"], r["billing_account"]): r["s"] for r in rows}
            gotn = {(r["client"], r["billing_account"]): r["n"] for r in rows}
            vt.assert_eq(got, want, "seconds by (client, billing account)")
            vt.assert_eq(gotn, want_rows, "rows by (client, billing account)")

        with t.case("ledger: rule rows carry source, description and their action"):
            rows = vt.db_query(db, "SELECT * FROM ledger_entries")
            bad = [r for r in rows if r["source"] != "rule" or r["seconds"] not in (60, 120, 180, 300)]
            assert not bad, "bad rows: %r" % bad[:5]
            vip = [r for r in rows if r["seconds"] == 120 and r["client"] == "dana"]
            assert all("VIP" in ((r["description"] or "") + (r["category"] or "")) for r in vip), \
                "VIP rows lack their description: %r" % vip
            nolink = [r for r in rows if r["action_id"] is None]
            assert not nolink, "rows without action_id: %r" % nolink[:3]

        with t.case("actions: every action done, none failed or planned"):
            # (rows a --dry-run may have recorded are not the run's)
            rows = vt.db_query(db, "SELECT state, count(*) AS n FROM actions "
                               "WHERE coalesce(result, '') != 'dry-run' GROUP BY state")
            states = {r["state"]: r["n"] for r in rows}
            assert states.get("done", 0) > 0, "no done actions: %r" % states
            assert set(states) <= {"done"}, "states: %r" % states

        # ---- second run: a no-op
        snap1 = {u: d.snapshot(u) for u in (DANA, MARC)}
        counts1 = (vt.db_count(db, "actions"), vt.db_count(db, "ledger_entries"))
        with t.case("second vea run --once is a no-op (mailboxes, actions, ledger)"):
            run_vea(["run", "--once"], cfg, check=0, timeout=90)
            for u in (DANA, MARC):
                now = d.snapshot(u)
                assert now == snap1[u], "%s changed on the second run:\n%s" % (
                    u, vt.multiset_diff(vt.multiset(snap1[u]), vt.multiset(now)))
            counts2 = (vt.db_count(db, "actions"), vt.db_count(db, "ledger_entries"))
            vt.assert_eq(counts2, counts1, "(actions, ledger_entries) rows")

        with t.case("a new message is processed on the next run, and only it"):
            late = make_message("Late newsletter", frm="news@letters.example")
            d.append(DANA, "INBOX", late)
            run_vea(["run", "--once"], cfg, check=0, timeout=90)
            msgs = d.messages(DANA, body=True)
            got = vt.by_digest(msgs).get(vt.message_digest(late), [])
            assert [m["mailbox"] for m in got] == ["Newsletters"], \
                "late message in %r" % [m["mailbox"] for m in got]
            n_actions = vt.db_count(db, "actions")
            assert counts1[0] < n_actions <= counts1[0] + 2, \
                "actions went from %d to %d" % (counts1[0], n_actions)
            vt.assert_eq(vt.db_count(db, "ledger_entries"), counts1[1], "ledger rows")
            old = [x for x in d.snapshot(MARC)]
            assert old == snap1[MARC], "marc's mailboxes changed"

        # ---- vea log
        nl_line = line_of(DANA_RULES, 'fileinto "Newsletters"')
        acme_line = line_of(DANA_RULES, 'fileinto "Clients/Acme"')
        vip_bill_line = line_of(DANA_RULES, 'bill :minutes 2')
        with t.case("vea log shows each action with its rule file:line"):
            rc, out, err = run_vea(["log"], cfg, check=0)
            state["log"] = out
            # An entry may span lines: split at lines that start a new one
            # (not indented).
            entries, cur = [], []
            for l in out.splitlines():
                if cur and l[:1] not in (" ", "\t"):
                    entries.append("\n".join(cur))
                    cur = []
                cur.append(l)
            if cur:
                entries.append("\n".join(cur))
            for subj in ("Weekly Newsletter #42", "NEWSLETTER: March edition"):
                hit = [e for e in entries if subj in e]
                assert hit, "no log entry for %r in:\n%s" % (subj, out[-2000:])
                assert any("dana.sieve:%d" % nl_line in e for e in hit), \
                    "log entry for %r lacks dana.sieve:%d: %r" % (subj, nl_line, hit)
            hit = [e for e in entries if "Acme invoice" in e]
            assert any("dana.sieve:%d" % acme_line in e for e in hit), \
                "no dana.sieve:%d for Acme invoice: %r" % (acme_line, hit)

        with t.case("vea log prints one line per action (spec: time ... rule file:line, action, result)"):
            out = state.get("log")
            if out is None:
                raise AssertionError("vea log did not run")
            bad = [l for l in out.splitlines() if "Weekly Newsletter #42" in l
                   and not ("dana.sieve:%d" % nl_line in l and "fileinto" in l)]
            assert not bad, "the line with the subject lacks the rule and action:\n%s" % (
                "\n".join(out.splitlines()[:4]))

        with t.case("vea log --json: one object per line with the documented keys"):
            rc, out, err = run_vea(["log", "--json"], cfg, check=0)
            keys = {"id", "time", "client", "account", "mailbox", "uid", "message_id", "from",
                    "subject", "rule_file", "rule_line", "action", "argument", "result"}
            objs = []
            for i, l in enumerate(out.splitlines()):
                if not l.strip():
                    continue
                try:
                    objs.append(json.loads(l))
                except ValueError as e:
                    raise AssertionError("line %d is not JSON (%s): %r" % (i + 1, e, l[:200]))
            assert objs, "no output"
            missing = keys - set(objs[0])
            assert not missing, "keys missing: %r in %r" % (sorted(missing), objs[0])
            state["json"] = objs
            bad_time = [o["time"] for o in objs
                        if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$",
                                        str(o["time"]))]
            assert not bad_time, "time not ISO 8601 UTC: %r" % bad_time[:3]
            bad = [o for o in objs if o["action"] not in
                   ("fileinto", "keep", "discard", "addflag", "bill", "redirect")]
            assert not bad, "unknown action names: %r" % bad[:3]

        with t.case("vea log --json: fileinto/bill/discard entries with rule file:line and result"):
            objs = state.get("json")
            if not objs:
                raise AssertionError("no JSON log (previous case failed)")
            dn = [o for o in objs if o["client"] == "dana" and o["result"] != "dry-run"]
            nl = [o for o in dn if o["action"] == "fileinto" and o["argument"] == "Newsletters"]
            # nl1, nl2, nl3, spam_nl, noid, folded and the late one
            assert len(nl) == 7, "%d fileinto Newsletters entries: %r" % (len(nl), nl)
            for o in nl:
                assert os.path.basename(o["rule_file"]) == "dana.sieve", o
                assert int(o["rule_line"]) == nl_line, "rule_line %r != %d" % (o["rule_line"], nl_line)
                assert o["result"] == "done", o
                assert o["account"] == "dana-work", o
            bills = [o for o in dn if o["action"] == "bill" and int(o["rule_line"]) == vip_bill_line]
            assert len(bills) == 3, "%d VIP bill entries: %r" % (len(bills), bills)
            assert all(str(o["argument"]).strip().startswith("2") for o in bills), bills
            disc = [o for o in dn if o["action"] == "discard"]
            # spam1, spam2 and dotted
            assert len(disc) == 3, "%d discard entries: %r" % (len(disc), disc)
            assert all(o["result"] == "done" for o in disc), disc
            nomid = [o for o in nl if o["subject"] == "Newsletter without Message-ID"]
            assert nomid, "no entry for the message without Message-ID"

        with t.case("vea log --client marc and --limit 3 filter"):
            rc, out, err = run_vea(["log", "--json", "--client", "marc"], cfg, check=0)
            objs = [json.loads(l) for l in out.splitlines() if l.strip()]
            assert objs, "no entries for marc"
            assert all(o["client"] == "marc" for o in objs), \
                "other clients: %r" % {o["client"] for o in objs}
            rc, out, err = run_vea(["log", "--json", "--limit", "3"], cfg, check=0)
            n = len([l for l in out.splitlines() if l.strip()])
            assert n == 3, "--limit 3 gave %d lines" % n
    finally:
        d.stop()
        if not vt.keep_tmp():
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    vt.main(main)
