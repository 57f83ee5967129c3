#!/usr/bin/python3
"""TLS through vea's configuration (issue 4): a Dovecot with ssl = required,
an imaps port and STARTTLS on the plain port, certificates from a private CA
made with openssl in the test's temp dir (127.0.0.1: a certificate for IP
127.0.0.1; 127.0.0.2: one for other.test); and a plaintext-only Dovecot.

  a. imaps:// with ca_file = the CA: mail is triaged
  b. the same without ca_file: refused (unknown authority), no login sent
  c. a certificate for another host name: refused, the error names it
  d. imap:// to a server without STARTTLS: refused unless tls = none
  e. imap:// with STARTTLS and ca_file: mail is triaged
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from veatest import make_message  # noqa: E402

RULES = '''require ["fileinto"];
if header :contains "subject" "digest" { fileinto "Newsletters"; stop; }
'''
DOMAIN = "tls.test"


def user(n):
    return "%s@%s" % (n, DOMAIN)


def main():
    t = vt.TAP(timeout=120)
    try:
        vt.vea_binary()
    except vt.VeaMissing as e:
        t.bail(str(e))
    tmp = vt.mkdtemp("vea-tls-")
    names = ["ta", "tb", "tc", "td", "tdn", "te"]
    pw = {n: "tls-pw-%s-%d" % (n, os.getpid()) for n in names}
    dt = vt.TlsDovecot(special=("Trash",))
    dp = vt.Dovecot(special=("Trash",))
    for n in names:
        dt.add_user(user(n), pw[n])
        dp.add_user(user(n), pw[n])
    outputs = []

    def setup(n, d, url, **acct):
        cdir = os.path.join(tmp, n)
        os.makedirs(os.path.join(cdir, "rules"), exist_ok=True)
        with open(os.path.join(cdir, "rules", "r.sieve"), "w") as f:
            f.write(RULES)
        a = {"client": "c", "user": user(n), "password": pw[n], "url": url}
        a.update(acct)
        cfg = vt.write_config(os.path.join(cdir, "vea.conf"), d, rules_dir="rules",
                              clients={"c": {"name": "C", "email": user(n), "timezone": "UTC",
                                             "rules": ["r.sieve"]}},
                              accounts={n: a})
        d.append(user(n), "INBOX", make_message("Weekly digest", frm="e@news.example",
                                                message_id="<%s-digest@%s>" % (n, DOMAIN)))
        time.sleep(0.3)     # the append's own log lines come before the offset
        return cfg

    def run(cfg):
        rc, out, err = vt.run_vea_logged(["run", "--once"], cfg, timeout=60)
        outputs.append(out + err)
        return rc, out, err

    def filed(d, n):
        return [p[0] for p in vt.imap_find(d, user(n), "<%s-digest@%s>" % (n, DOMAIN))]

    def no_login(d, n, offset):
        time.sleep(0.5)     # let Dovecot's log process write
        log = vt.dovecot_log_since(d, offset)
        # A login would show as imap-login "Login: user=<...>" or an auth
        # process line naming the user.
        hits = [l for l in log.splitlines() if user(n) in l and ("imap-login" in l or "auth" in l)]
        assert not hits, "Dovecot saw a login attempt for %s:\n%s" % (user(n), "\n".join(hits))
        return log

    try:
        dt.start()
        dp.start()
        t.diag("TLS Dovecot: imap (STARTTLS) %d, imaps %d; plain Dovecot %d"
               % (dt.port, dt.port_imaps, dp.port))

        with t.case("a. imaps:// with ca_file = the private CA: mail is triaged"):
            cfg = setup("ta", dt, dt.imaps_url, tls=None, ca_file=dt.ca_file)
            rc, out, err = run(cfg)
            assert rc == 0, "exit %d\n%s%s" % (rc, out, err)
            vt.assert_eq(filed(dt, "ta"), ["Newsletters"], "the digest")

        with t.case("b. imaps:// without ca_file: refused (unknown authority), no login sent"):
            cfg = setup("tb", dt, dt.imaps_url, tls=None)
            off = vt.dovecot_log_size(dt)
            rc, out, err = run(cfg)
            t.diag("vea: " + (out + err).strip().replace("\n", " | "))
            assert rc != 0, "exit 0 without the CA:\n%s%s" % (out, err)
            assert re.search(r"unknown authority", out + err), "error: %s%s" % (out, err)
            log = no_login(dt, "tb", off)
            t.diag("dovecot: " + " | ".join(l for l in log.splitlines() if "imap-login" in l)[-400:])
            assert re.search(r"imap-login: .*no auth attempts.*TLS", log), \
                "Dovecot did not log a TLS connection without auth:\n" + log[-1500:]
            vt.assert_eq(filed(dt, "tb"), ["INBOX"], "the digest (untouched)")

        with t.case("c. a certificate for another host name (other.test on 127.0.0.2): refused"):
            url = "imaps://127.0.0.2:%d" % dt.port_imaps
            cfg = setup("tc", dt, url, tls=None, ca_file=dt.ca_file)
            off = vt.dovecot_log_size(dt)
            rc, out, err = run(cfg)
            t.diag("vea: " + (out + err).strip().replace("\n", " | "))
            assert rc != 0, "exit 0 with the wrong host name:\n%s%s" % (out, err)
            assert "other.test" in out + err and "127.0.0.2" in out + err, \
                "the error does not name the mismatch: %s%s" % (out, err)
            no_login(dt, "tc", off)
            vt.assert_eq(filed(dt, "tc"), ["INBOX"], "the digest (untouched)")

        with t.case("d1. imap:// to a server without STARTTLS (tls not set): refused, no login"):
            cfg = setup("td", dp, dp.url, tls=None)
            off = vt.dovecot_log_size(dp)
            rc, out, err = run(cfg)
            t.diag("vea: " + (out + err).strip().replace("\n", " | "))
            assert rc != 0, "exit 0 over plaintext:\n%s%s" % (out, err)
            assert "STARTTLS" in out + err, "the error does not say why: %s%s" % (out, err)
            no_login(dp, "td", off)
            vt.assert_eq(filed(dp, "td"), ["INBOX"], "the digest (untouched)")

        with t.case("d2. the same with tls = none: works"):
            cfg = setup("tdn", dp, dp.url, tls="none")
            rc, out, err = run(cfg)
            assert rc == 0, "exit %d\n%s%s" % (rc, out, err)
            vt.assert_eq(filed(dp, "tdn"), ["Newsletters"], "the digest")

        with t.case("e. imap:// with STARTTLS offered and ca_file: mail is triaged"):
            cfg = setup("te", dt, dt.url, tls=None, ca_file=dt.ca_file)
            rc, out, err = run(cfg)
            assert rc == 0, "exit %d\n%s%s" % (rc, out, err)
            vt.assert_eq(filed(dt, "te"), ["Newsletters"], "the digest")

        with t.case("no password in anything vea printed"):
            found = [n for n in names for o in outputs if pw[n] in o]
            assert outputs and not found, "passwords of %r printed" % found
    finally:
        dt.stop()
        dp.stop()
        if not vt.keep_tmp():
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    vt.main(main)
