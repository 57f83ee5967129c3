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

Issue 10 part 7, the refusal says what is true, names the account and the
server (host:port), and no login is sent; more certificates on more
loopback addresses (CertsDovecot below):

  f. self-signed, CN=127.0.0.3 and no subjectAltName (127.0.0.3): both
     reasons, never "for 127.0.0.3, not 127.0.0.3"
  g. the same certificate trusted through ca_file: only the name reason
  h. a DNS subjectAltName that does not match (SNI localhost on 127.0.0.1)
  i. expired (127.0.0.4, made with openssl ca -startdate/-enddate)
  j. signed by a CA other than the one in ca_file
  k. the good certificate still connects beside them
"""

import os
import re
import subprocess
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


def openssl(cwd, *args):
    r = subprocess.run(("openssl",) + args, cwd=cwd, capture_output=True, timeout=60)
    if r.returncode != 0:
        raise vt.HarnessError("openssl %s: %s" % (" ".join(args),
                                                 r.stderr.decode(errors="replace")))


def new_key_csr(cwd, name, cn):
    openssl(cwd, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn)


def write_ext(cwd, name, san):
    with open(os.path.join(cwd, name + ".ext"), "w") as f:
        f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"
                % san)


class CertsDovecot(vt.TlsDovecot):
    """The harness TLS Dovecot plus, signed by its CA unless said otherwise:
    127.0.0.3  self-signed, CN=127.0.0.3, no subjectAltName
    127.0.0.4  IP:127.0.0.4, expired on 2020-01-02
    SNI "localhost" (on 127.0.0.1)  DNS:mail.other.test with CN=localhost
    and beside them a second private CA (other_ca) that signed none."""

    EXTRA = (("127.0.0.3", "self"), ("127.0.0.4", "expired"))

    def __init__(self, **kw):
        vt.TlsDovecot.__init__(self, **kw)
        d = os.path.join(self.dir, "tls")
        openssl(d, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", "self.key", "-out", "self.pem", "-days", "2",
                "-subj", "/CN=127.0.0.3")
        openssl(d, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", "other-ca.key", "-out", "other-ca.pem", "-days", "2",
                "-subj", "/CN=another test CA")
        # openssl x509 in OpenSSL 3.0 cannot back-date; openssl ca can.
        new_key_csr(d, "expired", "127.0.0.4")
        write_ext(d, "expired", "IP:127.0.0.4")
        with open(os.path.join(d, "ca.cnf"), "w") as f:
            f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\n"
                    "serial = serial\ndefault_md = sha256\npolicy = p\n"
                    "[p]\ncommonName = supplied\n")
        open(os.path.join(d, "index.txt"), "w").close()
        with open(os.path.join(d, "serial"), "w") as f:
            f.write("1000\n")
        openssl(d, "ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key",
                "-in", "expired.csr", "-out", "expired.pem", "-notext", "-extfile", "expired.ext",
                "-startdate", "20200101000000Z", "-enddate", "20200102000000Z")
        new_key_csr(d, "sni", "localhost")
        write_ext(d, "sni", "DNS:mail.other.test")
        openssl(d, "x509", "-req", "-in", "sni.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "sni.pem", "-days", "2", "-extfile", "sni.ext")
        for name in ("self", "other-ca", "expired", "sni"):
            for ext in (".pem", ".key"):
                os.chmod(os.path.join(d, name + ext), 0o644)
        self.self_signed = os.path.join(d, "self.pem")
        self.other_ca = os.path.join(d, "other-ca.pem")

    def _write_conf(self):
        vt.TlsDovecot._write_conf(self)
        d = os.path.join(self.dir, "tls")
        with open(self.conf_file) as f:
            text = f.read()
        ips = ", ".join(["127.0.0.1", "127.0.0.2"] + [ip for ip, _ in self.EXTRA])
        text = text.replace("listen = 127.0.0.1, 127.0.0.2\n", "listen = %s\n" % ips)
        text = text.replace("address = 127.0.0.1, 127.0.0.2\n", "address = %s\n" % ips)
        for ip, name in self.EXTRA:
            text += "local %s {\n  ssl_cert = <%s/%s.pem\n  ssl_key = <%s/%s.key\n}\n" % (
                ip, d, name, d, name)
        # vea sends SNI (RFC 6066) for DNS names only: the harness's own
        # connections to 127.0.0.1 keep server.pem.
        text += "local_name localhost {\n  ssl_cert = <%s/sni.pem\n  ssl_key = <%s/sni.key\n}\n" % (
            d, d)
        with open(self.conf_file, "w") as f:
            f.write(text)


def main():
    t = vt.TAP(timeout=120)
    try:
        vt.vea_binary()
    except vt.VeaMissing as e:
        t.bail(str(e))
    tmp = vt.mkdtemp("vea-tls-")
    names = ["ta", "tb", "tc", "td", "tdn", "te", "tf", "tg", "th", "ti", "tj", "tk"]
    pw = {n: "tls-pw-%s-%d" % (n, os.getpid()) for n in names}
    dt = CertsDovecot(special=("Trash",))
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

    def assert_refusal(text, n, url, host, port, why):
        """vea's error line names the account, the URL, the server
        (host:port) and says exactly why ("{now}": the clock's reading)."""
        want = "account %s: cannot connect to %s: TLS certificate of %s:%d rejected: %s" % (
            n, url, host, port, why)
        pattern = re.escape(want).replace(re.escape("{now}"),
                                          r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
        assert re.search(pattern + "$", text, re.M), "expected\n  %s\ngot\n%s" % (want, text)

    def refused(n, cfg, url, host, port, why):
        """Run account n (cfg) against url on the TLS Dovecot: refused
        before any login, saying why (assert_refusal); the digest left
        where it was."""
        off = vt.dovecot_log_size(dt)
        rc, out, err = run(cfg)
        text = out + err
        t.diag("vea: " + text.strip().replace("\n", " | "))
        assert rc != 0, "exit 0:\n%s" % text
        assert_refusal(text, n, url, host, port, why)
        no_login(dt, n, off)
        vt.assert_eq(filed(dt, n), ["INBOX"], "the digest (untouched)")
        return text

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
            assert_refusal(out + err, "tb", dt.imaps_url, "127.0.0.1", dt.port_imaps,
                           "certificate signed by an unknown authority (issuer CN=vea test CA): "
                           "it is not among the system's trusted authorities; for a server with "
                           "a private CA, set ca_file in the account's section to the CA's PEM "
                           "certificate (vea.conf(5))")
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
            assert_refusal(out + err, "tc", url, "127.0.0.2", dt.port_imaps,
                           "certificate is for other.test, not 127.0.0.2: it holds only DNS "
                           "names, and an IP address is matched only against iPAddress "
                           "subjectAltNames (RFC 2818 section 3.1); connect by one of those "
                           "names, or have the certificate reissued with subjectAltName "
                           "IP:127.0.0.2")
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

        with t.case("f. self-signed, CN=127.0.0.3, no subjectAltName: says both, truly"):
            url = "imaps://127.0.0.3:%d" % dt.port_imaps
            cfg = setup("tf", dt, url, tls=None)
            text = refused("tf", cfg, url, "127.0.0.3", dt.port_imaps, (
                "certificate is self-signed (CN=127.0.0.3), so no certificate authority "
                "vouches for it; to trust it, set ca_file in the account's section to a PEM "
                "copy of it (vea.conf(5)); "
                "certificate has no subjectAltName, only CN=127.0.0.3, and an IP address "
                "such as 127.0.0.3 must be listed as an iPAddress subjectAltName: the CN does "
                "not count (RFC 2818 section 3.1, RFC 5280 section 4.2.1.6); have the "
                "certificate reissued with subjectAltName IP:127.0.0.3"))
            assert "for 127.0.0.3, not 127.0.0.3" not in text, text

        with t.case("g. the same certificate trusted by ca_file: refused for the name alone"):
            url = "imaps://127.0.0.3:%d" % dt.port_imaps
            cfg = setup("tg", dt, url, tls=None, ca_file=dt.self_signed)
            text = refused("tg", cfg, url, "127.0.0.3", dt.port_imaps, (
                "certificate has no subjectAltName, only CN=127.0.0.3, and an IP address "
                "such as 127.0.0.3 must be listed as an iPAddress subjectAltName: the CN does "
                "not count (RFC 2818 section 3.1, RFC 5280 section 4.2.1.6); have the "
                "certificate reissued with subjectAltName IP:127.0.0.3"))
            assert "self-signed" not in text and "authority" not in text, text

        with t.case("h. a DNS subjectAltName that does not match (localhost): names both"):
            url = "imaps://localhost:%d" % dt.port_imaps
            cfg = setup("th", dt, url, tls=None, ca_file=dt.ca_file)
            refused("th", cfg, url, "localhost", dt.port_imaps, (
                "certificate is for mail.other.test, not localhost (its CN=localhost is not "
                "used because it has subjectAltNames, RFC 6125 section 6.4.4)"))

        with t.case("i. an expired certificate: says when, and that it needs renewing"):
            url = "imaps://127.0.0.4:%d" % dt.port_imaps
            cfg = setup("ti", dt, url, tls=None, ca_file=dt.ca_file)
            refused("ti", cfg, url, "127.0.0.4", dt.port_imaps,
                    "certificate expired on 2020-01-02 00:00:00 UTC (it is now {now}): "
                    "the server needs a renewed certificate")

        with t.case("j. signed by a CA that is not the one in ca_file: says which, and where"):
            cfg = setup("tj", dt, dt.imaps_url, tls=None, ca_file=dt.other_ca)
            refused("tj", cfg, dt.imaps_url, "127.0.0.1", dt.port_imaps, (
                "certificate signed by an unknown authority (issuer CN=vea test CA): that "
                "authority is not in ca_file %s" % dt.other_ca))

        with t.case("k. the good certificate still connects beside them"):
            cfg = setup("tk", dt, dt.imaps_url, tls=None, ca_file=dt.ca_file)
            rc, out, err = run(cfg)
            assert rc == 0, "exit %d\n%s%s" % (rc, out, err)
            vt.assert_eq(filed(dt, "tk"), ["Newsletters"], "the digest")

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
