#!/usr/bin/python3
"""Reply drafts from the command line, as an assistant meets them before
vea writes any to a server (no server needed):
- `vea rules check` names a missing template at the draft command
  (rules file:line:col) and an unknown ${...} at its own line and column
  in the template, exit 1;
- `vea config check` refuses a client whose rules name a bad template
  (the rule file is never half-applied), exit 78;
- `vea rules test --client ID` shows the draft as the client's (From,
  reply-all without the client's aliases, one Re:, threading, signature,
  quote); its JSON message, read with Python's email package (another
  mail reader than vea's), has exactly the headers it should, even for a
  sender whose name decodes to CRLF + Bcc."""

import email
import email.policy
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from veatest import run_vea  # noqa: E402

RULES = '''require ["vnd.vea", "variables"];
set "reply_by" "Thursday";
if header :contains "subject" "intro" {
    draft :reply "all" "intro";
}
'''

TEMPLATE = '''Subject: Re: ${original.subject}

Hi ${sender.first_name},

Thanks. ${executive.first_name} will reply by ${reply_by}.

${executive.signature}

${quote}'''

MESSAGE = ("From: =?UTF-8?B?RXZlDQpCY2M6IHZpY3RpbUBleGFtcGxlLm5ldA==?= <eve@example.org>\r\n"
           "To: Dana <dana@studio.example>, Raj <raj@lumen.example>\r\n"
           "Cc: d.whitfield@studio.example, RAJ@lumen.example, carol@example.org\r\n"
           "Subject: RE: intro to Carol\r\n"
           "Date: Tue, 1 Dec 2026 09:12:00 -0500\r\n"
           "Message-ID: <intro.1@example.org>\r\n"
           "\r\n"
           "Dana, meet Carol.\r\n")

CONFIG = '''[client:dana]
name = Dana Whitfield
email = dana@studio.example
timezone = America/New_York
rules = %s
aliases = d.whitfield@studio.example
signature = Dana Whitfield\\nWhitfield Studio
'''


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    t = vt.TAP(timeout=60)
    tmp = vt.mkdtemp("vea-drafts-")
    try:
        rules = os.path.join(tmp, "rules", "dana.sieve")
        write(rules, RULES)
        write(os.path.join(tmp, "rules", "templates", "intro"), TEMPLATE)
        msg = os.path.join(tmp, "intro.eml")
        with open(msg, "wb") as f:
            f.write(MESSAGE.encode())
        conf = os.path.join(tmp, "vea.conf")
        write(conf, CONFIG % rules)

        with t.case("rules check: a good rule file and its template are OK"):
            rc, out, err = run_vea(["rules", "check", rules])
            assert rc == 0 and out.strip() == "%s: OK" % rules, (rc, out, err)

        with t.case("rules check: unknown variable at the template's line:col, missing "
                    "template at the draft"):
            bad = os.path.join(tmp, "rules", "bad.sieve")
            write(bad, 'require ["vnd.vea"];\nif true {\n  draft "typo";\n}\n'
                       'if false { draft "nosuch"; }\n')
            write(os.path.join(tmp, "rules", "templates", "typo"),
                  "\nHi ${sender.first_name},\nsee ${sendr.name}\n")
            rc, out, err = run_vea(["rules", "check", bad])
            assert rc == 1, (rc, out, err)
            lines = err.strip().splitlines()
            want = ["%s:3:5: unknown variable '${sendr.name}'"
                    % os.path.join(tmp, "rules", "templates", "typo"),
                    "%s:5:12: draft: template 'nosuch' cannot be read" % bad]
            for w in want:
                assert any(line.startswith(w) for line in lines), "no %r in:\n%s" % (w, err)

        with t.case("config check: a client whose template is missing is refused (78)"):
            conf2 = os.path.join(tmp, "vea2.conf")
            write(conf2, CONFIG % os.path.join(tmp, "rules", "bad.sieve"))
            rc, out, err = run_vea(["config", "check"], conf2)
            assert rc == 78, (rc, out, err)
            assert "template 'nosuch'" in err, err

        with t.case("rules test --client: the draft as Dana's, reply-all without her alias"):
            rc, out, err = run_vea(["rules", "test", "--client", "dana", rules, msg], conf,
                                   env={"VEA_NOW": "2026-12-01T15:00:00Z"})
            assert rc == 0, (rc, out, err)
            for want in ["From: Dana Whitfield <dana@studio.example>",
                         'To: "Eve Bcc: victim@example.net" <eve@example.org>',
                         "Cc: Raj <raj@lumen.example>, carol@example.org",
                         "Subject: Re: intro to Carol",
                         "In-Reply-To: <intro.1@example.org>",
                         "Hi Eve,",
                         "Thanks. Dana will reply by Thursday.",
                         "Dana Whitfield\n    Whitfield Studio",
                         "On Tue, 1 Dec 2026 at 09:12, Eve Bcc: victim@example.net "
                         "<eve@example.org> wrote:\n    > Dana, meet Carol."]:
                assert want in out, "no %r in:\n%s" % (want, out)
            assert "d.whitfield" not in out.split("\n\n")[0], out

        with t.case("rules test --json: the message, read by another parser, has one To, "
                    "no Bcc, the threading and the draft's mark"):
            rc, out, err = run_vea(["rules", "test", "--json", "--client", "dana", rules, msg],
                                   conf)
            assert rc == 0, (rc, out, err)
            action = json.loads(out)["actions"][0]
            assert action["type"] == "draft" and action["reply"] == "all", action
            draft = action["draft"]
            assert draft["to"] == ["eve@example.org"], draft
            assert draft["cc"] == ["raj@lumen.example", "carol@example.org"], draft
            raw = draft["message"].encode()
            assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF"
            m = email.message_from_bytes(raw, policy=email.policy.default)
            assert m.get_all("Bcc") is None, m.get_all("Bcc")
            assert len(m.get_all("To")) == 1 and len(m.get_all("Subject")) == 1
            assert str(m["Subject"]) == "Re: intro to Carol", m["Subject"]
            assert str(m["References"]).split() == ["<intro.1@example.org>"], m["References"]
            assert m["X-Vea-Draft"] and draft["message_id"] in str(m["Message-ID"])
            body = m.get_body(("plain",)).get_content()
            assert "> Dana, meet Carol." in body, body
    finally:
        if not vt.keep_tmp():
            shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    vt.main(main)
