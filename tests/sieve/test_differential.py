#!/usr/bin/python3
"""Differential test: vea's Sieve engine against Pigeonhole's sieve-test.

Every tests/sieve/differential/*.sieve (files starting with "_" are include
fixtures) runs over the same 200 messages of the SpamAssassin corpus, and the
crafted messages of differential/messages, through
`vea rules test --json` (one call per script) and through Pigeonhole's
`sieve-test` (one call per message: it takes one; two at a time).  Both
action lists are normalised (order, flag case, implicit keep as a store into
INBOX, vnd.vea bill lines stripped for the oracle) and compared.  One TAP
line per script; a script listed in differential/EXPECTED-DIFFERENCES.md is
reported as skipped with the reason given there when it differs.

SKIP when ../shared ($VEA_SHARED) or sieve-test is absent.

By hand:  VEA=build/vea tests/sieve/test_differential.py [SCRIPT.sieve...]
          DIFF_MESSAGES=N to use fewer messages while iterating.
"""

import concurrent.futures
import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "harness"))
import veatest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DIFF_DIR = os.path.join(HERE, "differential")
# Crafted messages (issue 10: real-world addresses, dates, headers, HTML)
# run with every script; one named "NN-....eml" only with script NN-*.
CRAFTED_DIR = os.path.join(DIFF_DIR, "messages")
SIEVE_TEST = shutil.which("sieve-test") or "/usr/bin/sieve-test"
ENV_FROM = "sender@example.com"
ENV_TO = "me+lists@example.org"
# 200 messages: the corpus's three kinds, so scripts meet plain ham,
# mailing-list mail, HTML and multipart spam.
MIX = (("easy_ham", 100), ("hard_ham", 50), ("spam", 50))


# ------------------------------------------------------------- oracle side

def _drop_privileges():
    """sieve-test refuses to run as root: pool workers become nobody."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)


def _oracle_run(args):
    conf, script, message = args
    p = subprocess.run([SIEVE_TEST, "-C", "-c", conf, "-f", ENV_FROM,
                        "-r", ENV_TO, script, message],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace")


def _flags(text):
    return tuple(sorted(f.lower() for f in text.split()))


def parse_oracle(rc, out):
    """sieve-test output -> sorted list of normalised actions."""
    if rc == 89:
        return ["compile-error"]
    if rc != 0:
        return ["runtime-error"]
    actions, cur = [], None
    in_body = False

    def flush():
        if cur is not None:
            actions.append(cur)

    for line in out.splitlines():
        if in_body:
            in_body = line != "END MESSAGE"
            continue
        if line == "START MESSAGE":
            in_body = True
        elif line.startswith(" * "):
            flush()
            text = line[3:]
            if text.startswith("store message in folder: "):
                cur = {"type": "store", "mailbox": text[25:], "flags": ()}
            elif text.startswith("redirect message to: "):
                cur = {"type": "redirect",
                       "address": text[21:].strip("<>").lower()}
            elif text == "discard":
                cur = {"type": "discard"}
            elif text.startswith("send vacation message"):
                cur = {"type": "vacation", "seconds": None, "subject": ""}
            elif text.startswith("send notification with method '"):
                cur = {"type": "notify",
                       "method": text.split("'")[1].rstrip(":").lower()}
            elif text == "track duplicate":
                # Pigeonhole's bookkeeping for the duplicate test, not an
                # action on the message (vea records it through
                # duplicate_mark after the run).
                cur = None
                continue
            elif text.startswith("reject message"):
                cur = {"type": "reject"}
            else:
                cur = {"type": "other", "text": text}
        elif line.startswith("        + add IMAP flags: ") and cur:
            cur["flags"] = _flags(line.split(": ", 1)[1])
        elif line.startswith("    => ") and cur and cur["type"] == "vacation":
            key, _, value = line[7:].partition(":")
            key, value = key.strip(), value.strip()
            if key == "seconds":
                cur["seconds"] = int(value)
            elif key == "subject":
                cur["subject"] = value
    flush()
    return canonical(actions)


def canonical(actions):
    out = []
    for a in actions:
        t = a["type"]
        if t == "store":
            out.append(("store", a["mailbox"], tuple(a.get("flags", ()))))
        elif t == "redirect":
            out.append(("redirect", a["address"]))
        elif t == "vacation":
            out.append(("vacation", a["seconds"], a["subject"]))
        elif t == "notify":
            out.append(("notify", a["method"]))
        else:
            out.append(tuple([t] + [str(v) for k, v in sorted(a.items())
                                    if k != "type"]))
    return sorted(set(out))


# ----------------------------------------------------------------- vea side

def parse_vea(obj):
    if obj.get("errors"):
        return ["runtime-error"]
    actions = []
    for a in obj["actions"]:
        t = a["type"]
        if t in ("keep", "fileinto"):
            actions.append({"type": "store",
                            "mailbox": a.get("mailbox", "INBOX"),
                            "flags": _flags(" ".join(a.get("flags", [])))})
        elif t == "redirect":
            actions.append({"type": "redirect",
                            "address": a["address"].lower()})
        elif t == "discard":
            actions.append({"type": "discard"})
        elif t == "vacation":
            actions.append({"type": "vacation", "seconds": a.get("seconds"),
                            "subject": a.get("subject") or ""})
        elif t == "notify":
            actions.append({"type": "notify",
                            "method": a.get("method", "").split(":")[0]
                            .lower()})
        elif t == "bill":
            continue        # vnd.vea: the oracle never sees these
        else:
            actions.append({"type": t})
    return canonical(actions)


def run_vea(script, paths):
    """-> {path: normalised actions} for every message, in one call."""
    p = subprocess.run([veatest.vea_binary(), "rules", "test",
                        "--envelope-from", ENV_FROM, "--envelope-to", ENV_TO,
                        "--json", script] + paths,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    res = {}
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("{"):
            obj = json.loads(line)
            res[obj["message"]] = parse_vea(obj)
    for path in paths:
        res.setdefault(path, ["compile-error"] if p.returncode else
                       ["no-output"])
    return res, p.stderr.decode("utf-8", "replace")


# -------------------------------------------------------------------- setup

class OracleCache:
    """sieve-test's answers, kept next to the vea binary between runs: the
    oracle does not change, so only the first run pays one sieve-test call
    per (script, message).  The key covers the script text as given to the
    oracle, the message, the config and the sieve-test binary."""

    def __init__(self):
        vea = os.environ.get("VEA") or veatest.vea_binary()
        self.path = os.environ.get("DIFF_CACHE") or os.path.join(
            os.path.dirname(os.path.abspath(vea)), "sieve-oracle-cache.json")
        st = os.stat(SIEVE_TEST)
        self.salt = "%s:%d:%d:%s:%s" % (SIEVE_TEST, st.st_size,
                                       int(st.st_mtime), ENV_FROM, ENV_TO)
        try:
            with open(self.path, encoding="utf-8") as f:
                self.data = json.load(f)
        except (OSError, ValueError):
            self.data = {}

    def key(self, script, message):
        h = hashlib.sha256(self.salt.encode())
        for path in (script, message):
            with open(path, "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
        # Includes: the personal fixtures are part of every script.
        for f in sorted(os.listdir(DIFF_DIR)):
            if f.startswith("_"):
                with open(os.path.join(DIFF_DIR, f), "rb") as fh:
                    h.update(fh.read())
        return h.hexdigest()

    def save(self):
        tmp = self.path + ".tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.data, f)
            os.replace(tmp, self.path)
        except OSError:
            pass


def strip_vnd_vea(text):
    """The oracle's copy: no bill commands, no vnd.vea in require."""
    text = re.sub(r"(?m)^\s*bill\b[^;]*;\s*$", "", text)
    text = re.sub(r'"vnd\.vea"\s*,\s*|,\s*"vnd\.vea"', "", text)
    return re.sub(r'(?m)^\s*require\s+"vnd\.vea"\s*;\s*$', "", text)


def expected_differences():
    """script -> (reason, gap): gap is True under the "Not supported yet"
    heading (a known engine gap: an expected failure until fixed), False
    for an intentional difference."""
    out = {}
    gap = False
    path = os.path.join(DIFF_DIR, "EXPECTED-DIFFERENCES.md")
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("## "):
                gap = line.startswith("## Not supported yet")
            m = re.match(r"^- `([^`]+\.sieve)`: (.*)$", line.strip())
            if m:
                out[m.group(1)] = (m.group(2), gap)
    return out


def crafted_for_other(path, script):
    """A crafted message named for one script ("NN-....eml")."""
    m = re.match(r"^\d+-crafted-(\d+)-", os.path.basename(path))
    return m is not None and not script.startswith(m.group(1) + "-")


def scripts(argv):
    if argv:
        return [os.path.basename(a) for a in argv]
    return sorted(f for f in os.listdir(DIFF_DIR)
                  if f.endswith(".sieve") and not f.startswith("_"))


def setup(tmp, messages):
    """Messages, scripts and the oracle's config in tmp (readable by
    nobody); returns (config path, message paths)."""
    os.chmod(tmp, 0o755)
    for sub in ("msg", "scripts", "personal", "mail"):
        os.mkdir(os.path.join(tmp, sub))
        os.chmod(os.path.join(tmp, sub), 0o777 if sub == "mail" else 0o755)
    paths = []
    for i, (name, data) in enumerate(messages):
        p = os.path.join(tmp, "msg", "%03d-%s" % (i, os.path.basename(name)))
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, 0o644)
        paths.append(p)
    for f in os.listdir(DIFF_DIR):
        if not f.endswith(".sieve"):
            continue
        with open(os.path.join(DIFF_DIR, f), encoding="utf-8") as src:
            text = strip_vnd_vea(src.read())
        dest = os.path.join(tmp, "personal" if f.startswith("_")
                            else "scripts", f)
        with open(dest, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(dest, 0o644)
    conf = os.path.join(tmp, "min.conf")
    with open(conf, "w") as f:
        f.write("mail_location = mbox:%s/mail\n"
                "plugin {\n  sieve = file:%s/personal;active=%s/active.sieve\n}\n"
                % (tmp, tmp, tmp))
    os.chmod(conf, 0o644)
    return conf, paths


def main(argv):
    t = veatest.TAP(timeout=900)
    if not os.path.isfile(veatest.corpus_path()):
        t.skip("differential", "../shared is absent (%s)"
               % veatest.corpus_path())
        return t.done()
    if not os.access(SIEVE_TEST, os.X_OK):
        t.skip("differential", "sieve-test (package dovecot-sieve) is absent")
        return t.done()
    n = int(os.environ.get("DIFF_MESSAGES", "200"))
    messages = []
    for subset, count in MIX:
        messages += veatest.corpus_messages(max(1, count * n // 200), subset,
                                            with_names=True)
    for f in sorted(os.listdir(CRAFTED_DIR)):
        if f.endswith(".eml"):
            with open(os.path.join(CRAFTED_DIR, f), "rb") as fh:
                messages.append(("crafted-" + f, fh.read()))
    expected = expected_differences()
    tmp = veatest.mkdtemp("vea-diff-")
    try:
        conf, paths = setup(tmp, messages)
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=2, initializer=_drop_privileges)
        cache = OracleCache()
        all_paths = paths
        for name in scripts(argv[1:]):
            paths = [p for p in all_paths if not crafted_for_other(p, name)]
            vea_res, vea_err = run_vea(os.path.join(DIFF_DIR, name), paths)
            oracle_script = os.path.join(tmp, "scripts", name)
            keys = [cache.key(oracle_script, p) for p in paths]
            todo = [(conf, oracle_script, p)
                    for p, k in zip(paths, keys) if k not in cache.data]
            for (_c, _s, p), res in zip(todo, pool.map(_oracle_run, todo,
                                                        chunksize=8)):
                cache.data[cache.key(oracle_script, p)] = list(res)
            mismatches = []
            for p, k in zip(paths, keys):
                rc, out, err = cache.data[k]
                ours, theirs = vea_res[p], parse_oracle(rc, out)
                if ours != theirs:
                    mismatches.append((os.path.basename(p), ours, theirs,
                                       err.strip().splitlines()[-1:]))
            desc = "%s: %d messages" % (name, len(paths))
            if not mismatches:
                if name in expected and expected[name][1]:
                    # A gap that closed: XPASS, so the list gets updated.
                    t.todo(True, desc + " agree", expected[name][0])
                    continue
                t.ok(True, desc + " agree")
                if name in expected:
                    t.diag("%s is listed in EXPECTED-DIFFERENCES.md but "
                           "agrees now" % name)
                continue
            detail = "\n".join(
                "%s:\n  vea:    %s\n  oracle: %s%s" %
                (m, o, th, ("\n  oracle stderr: %s" % e[0]) if e else "")
                for m, o, th, e in mismatches[:3])
            if vea_err.strip():
                detail += "\nvea stderr: " + vea_err.strip()[:500]
            if name in expected and expected[name][1]:
                t.todo(False, "%s: %d of %d messages differ" %
                       (name, len(mismatches), len(paths)), expected[name][0], detail)
            elif name in expected:
                t.skip("%s: %d of %d messages differ" %
                       (name, len(mismatches), len(paths)),
                       "expected difference: " + expected[name][0])
            else:
                t.ok(False, "%s: %d of %d messages differ" %
                     (name, len(mismatches), len(paths)), detail)
        pool.shutdown()
        cache.save()
    finally:
        if not veatest.keep_tmp():
            shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
