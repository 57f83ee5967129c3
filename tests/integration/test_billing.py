#!/usr/bin/python3
"""vea bill end to end through the vea binary: log, adjust, close, report,
invoice; bad input changes nothing; a closed period exports the same bytes
forever; hledger reads the timeclock export and adds up the same totals.
No IMAP server needed."""

import datetime
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys

import veatest
from veatest import TAP, Skip, assert_eq, run_vea

ASSISTANT = """[assistant]
name = Kim Lee
business = Lee Virtual Assistance
address = 12 Main St\\nSpringfield
email = kim@lee.test
tax_id = US-123
invoice_prefix = LVA-
"""


def month_back(today, n):
    y, m = today.year, today.month - n
    while m < 1:
        m += 12
        y -= 1
    return "%04d-%02d" % (y, m)


def write(path, rate=9500):
    return veatest.write_config(
        path,
        clients={
            "dana": {"name": "Dana <b>Whitfield</b> & Co", "timezone": "America/New_York",
                     "billing": "dana-hourly", "address": "1 <Elm> St"},
            "marco": {"name": "Marco Bellini", "timezone": "Europe/Rome",
                      "billing": "marco-ret"},
        },
        billing={
            "dana-hourly": {"client": "dana", "rate": rate, "currency": "USD",
                            "increment": "6m"},
            "marco-ret": {"client": "marco", "rate": 6000, "currency": "EUR",
                          "mode": "retainer", "retainer_hours": "2h",
                          "overage_rate": 9000, "rollover": "capped",
                          "rollover_cap": "1h", "increment": "15m"},
        },
        extra=ASSISTANT)


def db_dump(path):
    """Every row of the ledger tables: the state a failed command must not touch."""
    if not os.path.exists(path):
        return []
    con = sqlite3.connect(path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def report_json(cfg, *args):
    _, out, _ = run_vea(["bill", "report", "--format", "json"] + list(args), config=cfg, check=True)
    return json.loads(out)


def main():
    t = TAP(timeout=300)
    tmp = veatest.mkdtemp("vea-billing-")
    cfg_path = os.path.join(tmp, "vea.conf")
    cfg = write(cfg_path)
    today = datetime.date.today()
    p2 = month_back(today, 2)      # closed in this test
    p1 = month_back(today, 1)      # stays open
    d2 = p2 + "-10"
    d2b = p2 + "-20"
    d1 = p1 + "-05"

    with t.case("log and adjust manual time"):
        run_vea(["bill", "log", "dana", "45m", "Board deck <script>alert(1)</script>",
                 "--date", d2], config=cfg, check=True)
        run_vea(["bill", "log", "dana", "1h31m", "Travel booking", "--date", d2b,
                 "--category", "scheduling"], config=cfg, check=True)
        run_vea(["bill", "adjust", "dana", "-10m", "=HYPERLINK(\"x\")", "--date", d2b],
                config=cfg, check=True)
        run_vea(["bill", "log", "marco", "1h", "Supplier calls", "--date", month_back(today, 3) + "-12"],
                config=cfg, check=True)
        run_vea(["bill", "log", "marco", "3h", "Restaurant opening", "--date", d2],
                config=cfg, check=True)
        rows = veatest.db_query(cfg.db, "SELECT source, seconds FROM ledger_entries ORDER BY id")
        assert_eq([(r["source"], r["seconds"]) for r in rows],
                  [("manual", 2700), ("manual", 5460), ("adjust", -600), ("manual", 3600),
                   ("manual", 10800)], "ledger rows")

    with t.case("report: rounding per entry, amounts, categories"):
        rep = report_json(cfg, "--client", "dana", "--period", p2)
        a = rep["accounts"][0]
        # 45m -> 48m, 1h31m -> 1h36m, -10m -> -12m (6m increments, up)
        assert_eq(a["seconds"], 2700 + 5460 - 600, "raw seconds")
        assert_eq(a["billed_seconds"], 2880 + 5760 - 720, "billed seconds")
        assert_eq(a["amount_minor"], 7600 + 15200 - 1900, "amount")
        cats = {c["name"]: c["billed_seconds"] for c in a["categories"]}
        assert_eq(cats, {"scheduling": 5760, "manual": 2160}, "per category")
        assert a["closed"] is False

    with t.case("report: retainer used, remaining, overage, rollover"):
        rep = report_json(cfg, "--account", "marco-ret", "--period", p2)
        r = rep["accounts"][0]["retainer"]
        # 1h of 2h used the month before: 1h (the cap) rolls over; 3h of 3h used.
        assert_eq((r["carried_in_seconds"], r["available_seconds"], r["used_seconds"],
                   r["remaining_seconds"], r["overage_seconds"]),
                  (3600, 10800, 10800, 0, 0), "retainer")
        assert_eq(rep["accounts"][0]["amount_minor"], 12000, "retainer fee")

    exports = {}

    def export_all():
        out = {}
        for fmt in ("text", "csv", "json", "timeclock"):
            out["report-" + fmt] = run_vea(["bill", "report", "--client", "dana", "--period", p2,
                                            "--format", fmt], config=cfg, check=True)[1]
        for fmt in ("text", "html"):
            out["invoice-" + fmt] = run_vea(["bill", "invoice", "dana", "--period", p2,
                                             "--format", fmt], config=cfg, check=True)[1]
        return out

    with t.case("close assigns an invoice number"):
        _, out, _ = run_vea(["bill", "close", "dana", "--period", p2], config=cfg, check=True)
        m = re.search(r"invoice (LVA-(\d{4})-(\d{4}))", out)
        assert m, out
        year = m.group(2)
        assert abs(int(year) - today.year) <= 1, year
        assert_eq(m.group(3), "0001", "first invoice")
        _, out, _ = run_vea(["bill", "close", "marco", "--period", p2], config=cfg, check=True)
        assert "LVA-%s-0002" % year in out, out
        exports.update(export_all())
        assert "INVOICE LVA-%s-0001" % year in exports["invoice-text"]

    with t.case("invoice: business details, client, due date, HTML escaped"):
        html = exports["invoice-html"]
        assert "Lee Virtual Assistance" in html and "Tax ID: US-123" in html
        assert "<script>" not in html and "&lt;script&gt;" in html, html
        assert "Dana &lt;b&gt;Whitfield&lt;/b&gt; &amp; Co" in html
        assert "1 &lt;Elm&gt; St" in html
        # Issued today in the client's zone; due 14 days later (the default terms).
        m = re.search(r"Issued (\d{4}-\d\d-\d\d), due (\d{4}-\d\d-\d\d)", exports["invoice-text"])
        assert m, exports["invoice-text"]
        issued = datetime.date.fromisoformat(m.group(1))
        assert abs((issued - today).days) <= 1, m.group(1)
        assert_eq(datetime.date.fromisoformat(m.group(2)) - issued, datetime.timedelta(days=14), "due date")
        assert "USD 209.00" in exports["invoice-text"]

    with t.case("csv escapes untrusted text"):
        csv = exports["report-csv"]
        assert '"\'=HYPERLINK(""x"")"' in csv, csv

    errors = [
        (["bill", "log", "dana", "-5m", "x"], "cannot be negative"),
        (["bill", "log", "dana", "5 parsecs", "x"], "duration"),
        (["bill", "log", "dana", "0m", "x"], "zero"),
        (["bill", "log", "nobody", "5m", "x"], "unknown client 'nobody'"),
        (["bill", "log", "dana", "5m", "x", "--account", "nope"], "nope"),
        (["bill", "log", "dana", "5m", "x", "--account", "marco-ret"], "marco-ret"),
        (["bill", "log", "dana", "5m", "x", "--date", "2026-02-30"], "2026-02-30"),
        (["bill", "log", "dana", "5m", "x", "--date", "yesterday"], "YYYY-MM-DD"),
        (["bill", "log", "dana", "5m", "x", "--date", "2999-01-01"], "future"),
        (["bill", "log", "dana", "5m", "   "], "description"),
        (["bill", "log", "dana", "5m", "x", "--category", "a b"], "category"),
        (["bill", "log", "dana", "5m", "late", "--date", d2], "closed"),
        (["bill", "adjust", "dana", "-5m", "late fix", "--date", d2b], "closed"),
        (["bill", "close", "dana", "--period", p2], "already closed"),
        (["bill", "close", "dana", "--period", today.strftime("%Y-%m")], "not ended"),
        (["bill", "close", "dana", "--period", "2026-13"], "2026-13"),
        (["bill", "report", "--period", "last month"], "YYYY-MM"),
        (["bill", "report", "--client", "nobody"], "nobody"),
        (["bill", "report", "--from", "2026-01-02", "--to", "2026-01-01"], "after"),
        (["bill", "report", "--format", "xml"], "format"),
        (["bill", "frobnicate"], "unknown subcommand"),
    ]
    for args, want in errors:
        with t.case("refused, nothing changed: vea %s" % " ".join(args)):
            before = db_dump(cfg.db)
            rc, out, err = run_vea(args, config=cfg)
            assert rc != 0, "exit 0: %s" % out
            assert want in err, "stderr %r lacks %r" % (err, want)
            assert_eq(db_dump(cfg.db), before, "database changed")

    with t.case("a correction goes into an open period"):
        run_vea(["bill", "adjust", "dana", "-6m", "Correction for " + p2, "--date", d1],
                config=cfg, check=True)
        a = report_json(cfg, "--client", "dana", "--period", p1)["accounts"][0]
        assert_eq(a["billed_seconds"], -360, "correction billed in the open period")

    with t.case("closed period exports byte for byte the same, even after the rate changes"):
        write(cfg_path, rate=20000)
        again = export_all()
        for k in sorted(exports):
            assert_eq(again[k], exports[k], "export %s differs" % k)
        a = report_json(cfg, "--client", "dana", "--period", p1)["accounts"][0]
        assert_eq(a["rate"], 20000, "open period follows the config")
        write(cfg_path)

    with t.case("periods lists closed periods"):
        _, out, _ = run_vea(["bill", "periods", "dana"], config=cfg, check=True)
        assert p2 in out and "LVA-" in out, out

    with t.case("hledger reads the timeclock export with the same totals"):
        if shutil.which("hledger") is None:
            raise Skip("hledger not installed (apt-get install hledger)")
        _, tc, _ = run_vea(["bill", "report", "--from", month_back(today, 3) + "-01",
                            "--to", today.isoformat(), "--format", "timeclock"],
                           config=cfg, check=True)
        rep = report_json(cfg, "--from", month_back(today, 3) + "-01", "--to", today.isoformat())
        path = os.path.join(tmp, "vea.timeclock")
        with open(path, "w") as f:
            f.write(tc)
        r = subprocess.run(["hledger", "-f", path, "balance", "-c", "1.000000h", "-O", "csv"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        got = {}
        for line in r.stdout.splitlines()[1:]:
            name, value = [x.strip('"') for x in line.split(",", 1)]
            got[name] = round(float(value.rstrip("h")) * 3600)
        want_total = sum(a["billed_seconds"] for a in rep["accounts"])
        assert_eq(got.get("total"), want_total, "hledger total (seconds)\n" + r.stdout)
        for a in rep["accounts"]:
            acct = sum(v for k, v in got.items() if k.startswith("%s:%s:" % (a["client"], a["account"])))
            assert_eq(acct, a["billed_seconds"], "account %s" % a["account"])

    if not veatest.keep_tmp():
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    veatest.main(main)
