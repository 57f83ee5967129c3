#!/usr/bin/python3
"""XOAUTH2 (Gmail, Microsoft 365) against a real Dovecot whose oauth2 passdb
asks a token-introspection endpoint on loopback (RFC 7662), served by this
test: vea logs in with the token oauth2_token_cmd prints, and when the
server rejects a token (it expired) vea runs the command once more for a
fresh one. The token never shows in vea's output or database."""

import http.server
import json
import os
import threading
import urllib.parse

import veatest
from veatest import TAP, Dovecot, assert_eq, make_message, run_vea

USER = "exec@example.test"
GOOD_TOKEN = "ya29.fresh-token-ABCDEF"
STALE_TOKEN = "ya29.expired-token-XYZ"


class Introspection(http.server.BaseHTTPRequestHandler):
    """GET /introspect?token=T -> {"active": true, "username": ...} for the
    one good token, {"active": false} otherwise."""
    seen = []

    def do_GET(self):
        query = urllib.parse.urlparse(self.path).query
        token = urllib.parse.parse_qs(query).get("token", [""])[0]
        if not token:  # Dovecot's "get" mode appends the token to the URL
            token = urllib.parse.unquote(self.path.rsplit("=", 1)[-1])
        Introspection.seen.append(token)
        body = {"active": True, "username": USER} if token == GOOD_TOKEN else {"active": False}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class OAuthDovecot(Dovecot):
    def __init__(self, introspection_url, **kw):
        self.introspection_url = introspection_url
        Dovecot.__init__(self, **kw)

    def _write_conf(self):
        Dovecot._write_conf(self)
        ext = os.path.join(self.dir, "oauth2.conf.ext")
        with open(ext, "w") as f:
            f.write("introspection_mode = get\n"
                    "introspection_url = %s\n"
                    "username_attribute = username\n"
                    "active_attribute = active\n"
                    "active_value = true\n"
                    "force_introspection = yes\n" % self.introspection_url)
        with open(self.conf_file) as f:
            text = f.read()
        text = text.replace("auth_mechanisms = plain login\n",
                            "auth_mechanisms = plain login xoauth2 oauthbearer\n")
        text = text.replace("userdb {", "passdb {\n  driver = oauth2\n"
                            "  mechanisms = xoauth2 oauthbearer\n  args = %s\n}\nuserdb {" % ext, 1)
        with open(self.conf_file, "w") as f:
            f.write(text)


def main():
    t = TAP(timeout=90)
    tmp = veatest.mkdtemp("vea-oauth2-")
    server = http.server.HTTPServer(("127.0.0.1", 0), Introspection)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/introspect?token=" % server.server_address[1]
    try:
        with OAuthDovecot(url) as dc:
            # The mailbox owner also has a password, only so the test can
            # load and inspect the mailbox; vea never uses it.
            dc.add_user(USER, "inspection-only")
            dc.start()
            dc.append(USER, "INBOX", make_message("Quarterly newsletter", frm="news@example.test"))
            rules = os.path.join(tmp, "exec.sieve")
            with open(rules, "w") as f:
                f.write('require "fileinto";\n'
                        'if header :contains "subject" "newsletter" { fileinto "News"; }\n')
            # The token command: the first call hands out an expired token,
            # later calls a fresh one, as a refresh would.
            counter = os.path.join(tmp, "calls")
            script = os.path.join(tmp, "token.sh")
            with open(script, "w") as f:
                f.write('#!/bin/sh\nn=$(cat %s 2>/dev/null || echo 0)\necho $((n+1)) > %s\n'
                        'if [ "$n" = 0 ]; then echo %s; else echo %s; fi\n'
                        % (counter, counter, STALE_TOKEN, GOOD_TOKEN))
            os.chmod(script, 0o755)
            cfg = veatest.write_config(
                os.path.join(tmp, "vea.conf"), dc,
                clients={"exec": {"timezone": "UTC", "rules": [rules]}},
                accounts={"exec-mail": {"client": "exec", "user": USER,
                                        "oauth2_token_cmd": script}})

            with t.case("XOAUTH2: a rejected token is fetched again and the login succeeds"):
                rc, out, err = run_vea(["run", "--once"], cfg, check=0)
                assert rc == 0, "rc %d\n%s" % (rc, err)
                assert_eq(open(counter).read().strip(), "2", "token command calls")
                assert STALE_TOKEN in Introspection.seen and GOOD_TOKEN in Introspection.seen, \
                    Introspection.seen

            with t.case("the rules ran on the mailbox reached with the token"):
                where = {m["subject"]: m["mailbox"] for m in dc.messages(USER)}
                assert_eq(where.get("Quarterly newsletter"), "News", "mailbox")

            with t.case("a token the server keeps rejecting: a clear error naming the account"):
                with open(script, "w") as f:
                    f.write("#!/bin/sh\necho %s\n" % STALE_TOKEN)
                rc, out, err = run_vea(["run", "--once"], cfg, check=1)
                assert "exec-mail" in err and "XOAUTH2" in err.upper(), err

            with t.case("tokens never appear in vea's output or database"):
                texts = [out, err]
                for name in os.listdir(os.path.dirname(cfg.db)):
                    if name.startswith(os.path.basename(cfg.db)):
                        with open(os.path.join(os.path.dirname(cfg.db), name), "rb") as f:
                            texts.append(f.read().decode("latin-1"))
                for text in texts:
                    assert GOOD_TOKEN not in text and STALE_TOKEN not in text, "token leaked"
    finally:
        server.shutdown()
    return t.done()


if __name__ == "__main__":
    veatest.main(main)
