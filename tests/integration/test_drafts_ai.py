#!/usr/bin/python3
"""Optional AI drafting (issue 13) against a real Dovecot, as an executive
and an assistant would notice it.

No model runs on the test machines: the endpoint here is
tests/harness/fake_llm.py, a TEST DOUBLE on 127.0.0.1 that speaks the
OpenAI-compatible chat-completions API (as llama.cpp's server and ollama
serve it) with canned answers. These tests check vea's side of the
protocol and what vea does with an answer, not any model's behaviour.

 1. a rule's draft :ai: the body in Drafts is the model's answer, while
    From, To, Subject, In-Reply-To and References are vea's even when
    the answer holds "To: x@evil" and "Subject:" lines; the draft is
    marked X-Vea-Draft-Machine; the signature and the quoted original
    follow the answer; controls and bidi overrides of the answer are gone;
 2. the request: POST JSON with the model, temperature 0.3, stream false,
    a system turn with the template and the client's style_notes, a user
    turn with the message fenced and at most max_input bytes of it, the
    api_key_cmd's key as a bearer token; a rule without :ai for a client
    with draft_ai = no asks nothing;
 3. vea drafts and the digest mark the draft as machine-written;
 4. client draft_ai = yes: every draft asks, without :ai in the rule;
 5. a slow endpoint (past timeout): the plain template draft, within the
    timeout, and the reason in the log;
 6. HTTP 500, 7. an answer that is not JSON, 8. nothing listening: the
    plain template, the reason logged;
 9. vea config check: :ai or draft_ai = yes with no [ai] section is an
    error at file:line(:col).
"""

import email
import email.policy
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from fake_llm import FakeLLM  # noqa: E402

BOB = "bob@example.test"
MODEL = "test-model"
STYLE = "Short sentences. Signs off with 'Best'. Never uses exclamation marks."
MAX_INPUT = 1024

RULES = r'''require ["vnd.vea"];
if header :contains "subject" "lunch" {
    draft :ai "lunch";
}
if header :contains "subject" "plain" {
    draft "lunch";
}
'''

TEMPLATE = '''
Hi ${sender.first_name},

Lunch works for me.

${quote}'''

HOSTILE_ANSWER = ("To: x@evil.test\nSubject: you have been pwned\nBcc: y@evil.test\n\n"
                  "Thanks Bob, Thursday at 1pm works.\x07\x1b[31m\u202e Best\n")


def message(subject, mid, body="Are you free on Thursday?\r\n"):
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
    return ("From: Bob Smith <%s>\r\nTo: Dana <%%s>\r\nSubject: %s\r\n"
            "Date: %s\r\nMessage-ID: <%s>\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "\r\n" % (BOB, subject, date, mid)).encode() + body.encode("utf-8")


def parse(data):
    return email.message_from_bytes(data, policy=email.policy.default)


def drafts_of(d, user):
    return [parse(m["data"]) for m in d.messages(user, body=True) if m["mailbox"] == "Drafts"]


def setup(d, tmp, name, llm_url=None, timeout=None, client=None, rules=RULES, ai=True):
    """A client dana for user NAME@example.test; [ai] pointing at llm_url."""
    user = "%s@example.test" % name
    cdir = os.path.join(tmp, name)
    rdir = os.path.join(cdir, "rules")
    os.makedirs(os.path.join(rdir, "templates"), exist_ok=True)
    with open(os.path.join(rdir, "dana.sieve"), "w") as f:
        f.write(rules)
    with open(os.path.join(rdir, "templates", "lunch"), "w") as f:
        f.write(TEMPLATE)
    d.add_user(user, "pw-" + user)
    c = {"name": "Dana Whitfield", "email": user, "timezone": "Europe/Rome",
         "rules": ["dana.sieve"], "signature": "Dana Whitfield\nStudio W",
         "style_notes": STYLE}
    c.update(client or {})
    extra = ""
    if ai:
        keyfile = os.path.join(cdir, "llm.key")
        with open(keyfile, "w") as f:
            f.write("sk-test-123\n")
        extra = ("[ai]\nurl = %s\nmodel = %s\napi_key_cmd = cat %s\nmax_input = %d\n"
                 % (llm_url, MODEL, keyfile, MAX_INPUT))
        if timeout is not None:
            extra += "timeout = %ds\n" % timeout
    cfg = vt.write_config(os.path.join(cdir, "vea.conf"), dovecot=d,
                          clients={"dana": c},
                          accounts={"dana-work": {"client": "dana", "user": user,
                                                  "password": "pw-" + user}},
                          rules_dir=rdir, extra=extra)
    return user, cfg


def deliver(d, user, subject, mid, body="Are you free on Thursday?\r\n"):
    d.append(user, "INBOX", message(subject, mid, body).replace(b"%s", user.encode()))


def plain_draft(d, user, mid):
    ds = drafts_of(d, user)
    vt.assert_eq(len(ds), 1, "drafts in Drafts")
    p = ds[0]
    body = p.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Hi Bob," in body and "Lunch works for me." in body, repr(body)
    assert p["X-Vea-Draft-Machine"] is None, p["X-Vea-Draft-Machine"]
    vt.assert_eq(p["In-Reply-To"], "<%s>" % mid, "In-Reply-To")
    return p


def main():
    t = vt.TAP(timeout=600)
    tmp = vt.mkdtemp("vea-drafts-ai-")
    d = vt.Dovecot()
    d.start()
    llm = FakeLLM()
    t.diag("the AI endpoint is a test double (tests/harness/fake_llm.py) on %s: "
           "no model runs here" % llm.base)

    # ------------------------------------------------------- 1. the answer
    # The base URL: vea completes it with /v1/chat/completions.
    user, cfg = setup(d, tmp, "dana-ai", llm.base)
    long_body = "Are you free on Thursday?\r\n" + "\u00e9t\u00e9 " * 1500 + "\r\nEND-OF-MESSAGE\r\n"
    deliver(d, user, "lunch on Thursday?", "ai1@bob.test", long_body)
    deliver(d, user, "plain question", "ai2@bob.test")
    llm.mode, llm.content = "answer", HOSTILE_ANSWER
    with t.case("1. draft :ai: the body is the model's answer; From/To/Subject/threading are "
                "vea's despite 'To:'/'Subject:' lines in it; X-Vea-Draft-Machine; signature "
                "and quote follow; controls gone"):
        vt.run_vea(["run", "--once"], cfg, check=True, timeout=120)
        ds = {str(p["In-Reply-To"]): p for p in drafts_of(d, user)}
        vt.assert_eq(sorted(ds), ["<ai1@bob.test>", "<ai2@bob.test>"], "drafts")
        p = ds["<ai1@bob.test>"]
        assert user in p["From"] and "evil" not in p["From"], p["From"]
        vt.assert_eq(p["To"].addresses[0].addr_spec, BOB, "To")
        vt.assert_eq(len(p["To"].addresses), 1, "one To")
        assert p["Cc"] is None and p["Bcc"] is None, (p["Cc"], p["Bcc"])
        vt.assert_eq(str(p["Subject"]), "Re: lunch on Thursday?", "Subject")
        vt.assert_eq(p["References"], "<ai1@bob.test>", "References")
        vt.assert_eq(p["X-Vea-Draft-Machine"], MODEL, "X-Vea-Draft-Machine")
        body = p.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert body.startswith("To: x@evil.test\nSubject: you have been pwned\n"), repr(body)
        assert "Thanks Bob, Thursday at 1pm works.[31m Best\n" in body, repr(body)
        for bad in ("\x07", "\x1b", "\u202e"):
            assert bad not in body, repr(body)
        assert "Lunch works for me." not in body, "the template's text is replaced"
        assert "\n-- \nDana Whitfield\nStudio W\n" in body, repr(body)
        assert "> Are you free on Thursday?" in body, repr(body)
        raw = [m["data"] for m in d.messages(user, body=True) if m["mailbox"] == "Drafts"]
        assert not any(b"\nTo: x@evil" in r.split(b"\r\n\r\n", 1)[0] for r in raw), "header"

    with t.case("2. the request: model, temperature 0.3, stream false, the template and the "
                "style notes as the system turn, the message fenced and at most max_input "
                "bytes, bearer key; the rule without :ai asked nothing"):
        vt.assert_eq(len(llm.requests), 1, "requests (the plain rule asks none)")
        r = llm.requests[0]
        vt.assert_eq(r["path"], "/v1/chat/completions", "path")
        vt.assert_eq(r["headers"].get("Authorization"), "Bearer sk-test-123", "bearer")
        assert r["headers"].get("Content-Type", "").startswith("application/json"), r["headers"]
        j = r["json"]
        vt.assert_eq(j["model"], MODEL, "model")
        vt.assert_eq(j["temperature"], 0.3, "temperature")
        vt.assert_eq(j["stream"], False, "stream")
        vt.assert_eq([m["role"] for m in j["messages"]], ["system", "user"], "roles")
        system, usr = j["messages"][0]["content"], j["messages"][1]["content"]
        assert STYLE in system, system
        assert "Hi Bob," in system and "Lunch works for me." in system, system
        assert "Are you free" not in system, "the message is not in the instructions"
        assert usr.startswith("<<<MESSAGE\n") and usr.endswith("\nMESSAGE>>>\n"), usr[:200]
        text = usr[len("<<<MESSAGE\n"):-len("\nMESSAGE>>>\n")]
        n = len(text.encode("utf-8"))
        t.diag("message sent: %d bytes of a %d-byte body (max_input %d)"
               % (n, len(long_body.encode()), MAX_INPUT))
        assert n <= MAX_INPUT, n
        assert "Subject: lunch on Thursday?" in text and "Are you free on Thursday?" in text
        assert "END-OF-MESSAGE" not in text, "the message was not cut"

    with t.case("3. vea drafts and the digest mark the draft as machine-written"):
        rc, out, err = vt.run_vea(["drafts", "--json"], cfg, check=True)
        rows = {r["in_reply_to"]: r for r in map(json.loads, out.splitlines())}
        vt.assert_eq(rows["ai1@bob.test"]["machine"], MODEL, "machine")
        vt.assert_eq(rows["ai2@bob.test"]["machine"], None, "machine of the plain draft")
        rc, out, err = vt.run_vea(["digest", "preview", "dana", "--text"], cfg, check=True)
        assert "DRAFTS WAITING FOR YOUR APPROVAL (2)" in out, out
        assert out.count("AI draft (written by test-model)") == 1, out
        html = os.path.join(tmp, "digest.html")
        vt.run_vea(["digest", "preview", "dana", "--html", html], cfg, check=True)
        assert "<b>AI draft</b>" in open(html, encoding="utf-8").read()

    # -------------------------------------------- 4. the client's default
    with t.case("4. draft_ai = yes: a rule without :ai asks too"):
        user, cfg = setup(d, tmp, "dana-default", llm.url, client={"draft_ai": "yes"})
        before = len(llm.requests)
        llm.mode, llm.content = "answer", "Yes, Thursday works."
        deliver(d, user, "plain question", "df1@bob.test")
        vt.run_vea(["run", "--once"], cfg, check=True, timeout=120)
        vt.assert_eq(len(llm.requests), before + 1, "requests")
        p = drafts_of(d, user)[0]
        vt.assert_eq(p["X-Vea-Draft-Machine"], MODEL, "X-Vea-Draft-Machine")
        body = p.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert body.startswith("Yes, Thursday works.\n"), repr(body)

    # ------------------------------------------------------ 5-8. fallbacks
    with t.case("5. slow endpoint (10 s, timeout 2s): the plain template draft, within the "
                "timeout, the reason logged"):
        user, cfg = setup(d, tmp, "dana-slow", llm.url, timeout=2)
        llm.mode, llm.delay = "slow", 10
        deliver(d, user, "lunch?", "slow1@bob.test")
        started = time.time()
        rc, out, err = vt.run_vea(["run", "--once"], cfg, check=True, timeout=120)
        took = time.time() - started
        t.diag("vea run took %.1f s with a 2 s AI timeout" % took)
        assert took < 8, took
        plain_draft(d, user, "slow1@bob.test")
        assert "the plain template is used" in err and "did not answer within 2 s" in err, err
        assert "Are you free" not in err, "the message text is not logged"
        assert "sk-test" not in err and "sk-test" not in out, "the key is not logged"

    for n, (mode, reason, name) in enumerate((("500", "answered HTTP 500", "HTTP 500"),
                                              ("garbage", "not JSON", "an answer not JSON")),
                                             start=6):
        with t.case("%d. %s: the plain template, the reason logged" % (n, name)):
            user, cfg = setup(d, tmp, "dana-%s" % mode, llm.url)
            llm.mode = mode
            deliver(d, user, "lunch?", "%s@bob.test" % mode)
            rc, out, err = vt.run_vea(["run", "--once"], cfg, check=True, timeout=120)
            plain_draft(d, user, "%s@bob.test" % mode)
            assert "the plain template is used" in err and reason in err, err

    with t.case("8. nothing listening: the plain template, the reason logged"):
        user, cfg = setup(d, tmp, "dana-down", "http://127.0.0.1:%d" % vt.closed_port())
        deliver(d, user, "lunch?", "down@bob.test")
        rc, out, err = vt.run_vea(["run", "--once"], cfg, check=True, timeout=120)
        plain_draft(d, user, "down@bob.test")
        assert "the plain template is used" in err, err

    # ------------------------------------------------------ 9. config check
    with t.case("9. vea config check: :ai with no [ai] is an error at file:line:col; so is "
                "draft_ai = yes"):
        user, cfg = setup(d, tmp, "dana-noai", ai=False)
        rc, out, err = vt.run_vea(["config", "check"], cfg)
        assert rc != 0, (out, err)
        rules = os.path.join(tmp, "dana-noai", "rules", "dana.sieve")
        assert "%s:3:11: draft :ai: the configuration has no [ai] section" % rules in err, err
        user, cfg = setup(d, tmp, "dana-noai2", ai=False, client={"draft_ai": "yes"},
                          rules=RULES.replace(":ai ", ""))
        rc, out, err = vt.run_vea(["config", "check"], cfg)
        assert rc != 0, (out, err)
        assert "%s:%d: draft_ai = yes needs an [ai] section" % (
            cfg.path, cfg.line("client:dana", "draft_ai")) in err, err
        rc, out, err = vt.run_vea(["rules", "check", rules])
        vt.assert_eq(rc, 0, "vea rules check on the file alone (no config to know)")

    llm.stop()
    d.stop()
    sys.exit(t.done())


if __name__ == "__main__":
    main()
