#!/usr/bin/python3
"""vea run the way its systemd unit runs it, without systemd:
- Type=notify: with NOTIFY_SOCKET set (a path, and an abstract @name) it
  says READY=1 once it watches its accounts, RELOADING=1 then READY=1 on
  SIGHUP (also when the new rules do not compile), STOPPING=1 on SIGTERM;
- the journal: with JOURNAL_STREAM naming its stderr it sends each line to
  the journal socket with a PRIORITY and ACCOUNT=/CLIENT= fields, and no
  password in any of it;
- where it finds its configuration without -c, and the exit status
  (EX_CONFIG, 78) when there is none;
- vea --version names the libraries it runs with;
- the bash completion offers commands and the config's account ids."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from veatest import TAP, Dovecot, Skip, make_message, run_vea, wait_until  # noqa: E402

RULES = 'require "fileinto";\nif header :contains "subject" "report" { fileinto "Reports"; }\n'
BROKEN = 'require "fileinto";\nif header :contains "subject" "report" {\n  frobnicate;\n}\n'
PASSWORD = "s3rvice-Secret-pw"
WRONG = "Wr0ng-Secret-pw"


class Datagrams:
    """A datagram socket vea writes to (a file name, or an abstract name
    when abstract): every datagram received, in order."""

    def __init__(self, tmp, name, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            self.name = "@vea-test-%d-%s" % (os.getpid(), name)
            self.sock.bind("\0" + self.name[1:])
        else:
            self.name = os.path.join(tmp, name)
            self.sock.bind(self.name)
        self.sock.settimeout(0.05)
        self.got = []

    def poll(self):
        while True:
            try:
                self.got.append(self.sock.recv(65536))
            except (socket.timeout, BlockingIOError):
                return self.got

    def wait_for(self, pred, timeout):
        return wait_until(lambda: pred(self.poll()), timeout, 0.05)

    def close(self):
        self.sock.close()


def states(dgrams):
    """The notify datagrams as lists of their KEY=VALUE lines."""
    return [d.decode().split("\n") for d in dgrams]


def first_key(dgrams):
    return [s[0] for s in states(dgrams)]


def journal_fields(dgram):
    """One native-protocol datagram as {FIELD: value} (both forms)."""
    fields, i = {}, 0
    while i < len(dgram):
        nl = dgram.index(b"\n", i)
        line = dgram[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k = line
            n = int.from_bytes(dgram[nl + 1:nl + 9], "little")
            v = dgram[nl + 9:nl + 9 + n]
            i = nl + 9 + n + 1
        fields[k.decode()] = v.decode(errors="replace")
    return fields


def popen_vea(args, cfg, tmp, name, env):
    """vea -c cfg args with stderr to a file of its own (for JOURNAL_STREAM)."""
    e = dict(os.environ)
    e.pop("VEA_CONFIG", None)
    e.setdefault("LC_ALL", "C.UTF-8")
    e.update(env)
    err = open(os.path.join(tmp, name + ".err"), "wb+")
    out = open(os.path.join(tmp, name + ".out"), "wb")
    if e.get("JOURNAL_STREAM") == "stderr":
        st = os.fstat(err.fileno())
        e["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
    p = subprocess.Popen([vt.vea_binary(), "-c", cfg.path] + args, stdin=subprocess.DEVNULL,
                         stdout=out, stderr=err, env=e, preexec_fn=vt._set_pdeathsig)
    p.err_path = err.name
    p.files = (out, err)
    return p


def stderr_of(p):
    with open(p.err_path, "rb") as f:
        return f.read().decode(errors="replace")


def stop(p, timeout=15):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    for f in p.files:
        f.close()
    return p.returncode


def run_notify(t, dc, tmp, cfg, rules_path, abstract):
    kind = "abstract @socket" if abstract else "socket file"
    sock = Datagrams(tmp, "notify", abstract=abstract)
    p = popen_vea(["run"], cfg, tmp, "notify-%d" % abstract, {"NOTIFY_SOCKET": sock.name})
    try:
        with t.case("NOTIFY_SOCKET (%s): READY=1 once vea run watches its accounts" % kind):
            ok = sock.wait_for(lambda g: "READY=1" in first_key(g), 20)
            assert ok, "no READY=1: %r\n%s" % (sock.got, stderr_of(p))
            assert "watching" in stderr_of(p), "READY=1 before 'watching':\n" + stderr_of(p)
            ready = [s for s in states(sock.got) if s[0] == "READY=1"][0]
            assert "STATUS=watching 1 accounts" in ready, ready
            dc.append("svc@example.test", "INBOX", make_message("Weekly report %d" % abstract))
            filed = wait_until(lambda: any(m["subject"] == "Weekly report %d" % abstract and
                                           m["mailbox"] == "Reports"
                                           for m in dc.messages("svc@example.test")), 20)
            assert filed, "the running vea filed nothing after READY=1"

        with t.case("SIGHUP (%s): RELOADING=1 with MONOTONIC_USEC, then READY=1" % kind):
            n = len(sock.poll())
            p.send_signal(signal.SIGHUP)
            ok = sock.wait_for(lambda g: first_key(g)[n:] [:2] == ["RELOADING=1", "READY=1"], 20)
            assert ok, "after SIGHUP: %r\n%s" % (states(sock.got)[n:], stderr_of(p)[-1500:])
            reloading = states(sock.got)[n]
            assert any(re.match(r"MONOTONIC_USEC=\d+$", x) for x in reloading), reloading

        if not abstract:
            with t.case("SIGHUP with a broken rule file: RELOADING=1, then READY=1, still running"):
                with open(rules_path, "w") as f:
                    f.write(BROKEN)
                n = len(sock.poll())
                p.send_signal(signal.SIGHUP)
                ok = sock.wait_for(lambda g: first_key(g)[n:][:2] == ["RELOADING=1", "READY=1"], 20)
                assert ok, "after SIGHUP: %r\n%s" % (states(sock.got)[n:], stderr_of(p)[-1500:])
                assert p.poll() is None, "vea exited %r" % p.returncode
                assert re.search(r"rules\.sieve:3:\d+", stderr_of(p)), stderr_of(p)[-1500:]
                with open(rules_path, "w") as f:
                    f.write(RULES)

        with t.case("SIGTERM (%s): STOPPING=1, then exit 0" % kind):
            n = len(sock.poll())
            p.send_signal(signal.SIGTERM)
            rc = p.wait(20)
            sock.poll()
            assert "STOPPING=1" in first_key(sock.got)[n:], states(sock.got)[n:]
            assert rc == 0, "exit %r\n%s" % (rc, stderr_of(p)[-1500:])
    finally:
        stop(p)
        sock.close()


def run_journal(t, dc, tmp, cfg):
    journal = Datagrams(tmp, "journal")
    dc.append("svc@example.test", "INBOX", make_message("Journal report"))
    p = popen_vea(["-v", "run"], cfg, tmp, "journal",
                  {"JOURNAL_STREAM": "stderr", "VEA_JOURNAL_SOCKET": journal.name})
    try:
        with t.case("JOURNAL_STREAM is stderr: lines go to the journal socket, with PRIORITY"):
            ok = journal.wait_for(lambda g: any(b"watching" in d for d in g), 20)
            assert ok, "no 'watching' entry: %r\nstderr:\n%s" % (journal.got[:5], stderr_of(p))
            entries = [journal_fields(d) for d in journal.got]
            watching = [e for e in entries if "watching" in e.get("MESSAGE", "")][0]
            vt.assert_eq((watching.get("PRIORITY"), watching.get("SYSLOG_IDENTIFIER")),
                         ("6", "vea"), "watching: priority info, identifier vea")
            assert "watching" not in stderr_of(p), "also on stderr:\n" + stderr_of(p)

        with t.case("journal: a refused login is PRIORITY 3 or 4 with ACCOUNT= and CLIENT="):
            ok = journal.wait_for(lambda g: any(b"ACCOUNT=bad-work" in d for d in g) and
                                  any(b"ACCOUNT=svc-work" in d for d in g), 20)
            entries = [journal_fields(d) for d in journal.got]
            bad = [e for e in entries if e.get("ACCOUNT") == "bad-work"]
            assert ok and bad, "no ACCOUNT=bad-work entry: %r" % entries[-10:]
            assert all(e.get("CLIENT") == "svc" for e in bad), bad
            assert any(e.get("PRIORITY") in ("3", "4") for e in bad), bad
            good = [e for e in entries if e.get("ACCOUNT") == "svc-work"]
            assert good and all(e.get("CLIENT") == "svc" for e in good), entries[-10:]
    finally:
        stop(p)
        journal.poll()
        journal.close()
    with t.case("journal: no password in any entry, nor on stderr (-v)"):
        blob = b"".join(journal.got) + stderr_of(p).encode()
        assert journal.got, "nothing was sent to the journal"
        for pw in (PASSWORD, WRONG):
            assert pw.encode() not in blob, "password %s logged" % pw


def run_config_discovery(t, tmp, cfg):
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    env = {"HOME": home, "XDG_CONFIG_HOME": os.path.join(home, ".config"),
           "XDG_DATA_HOME": os.path.join(home, ".local", "share")}
    with t.case("no -c, no VEA_CONFIG, no config anywhere: exit 78 naming both places"):
        _, usage, _ = run_vea(["--help"], check=True)
        system = re.search(r"(/\S*/vea/vea\.conf)\)", usage).group(1)
        if os.path.exists(system):
            raise Skip("%s exists on this machine" % system)
        rc, out, err = run_vea(["config", "check"], env=env)
        vt.assert_eq(rc, 78, "exit status (EX_CONFIG)\n" + err)
        assert os.path.join(home, ".config", "vea", "vea.conf") in err, err
        assert system in err, err
    with t.case("no -c: ~/.config/vea/vea.conf (XDG_CONFIG_HOME) is found"):
        user = os.path.join(home, ".config", "vea")
        os.makedirs(user)
        shutil.copy(cfg.path, os.path.join(user, "vea.conf"))
        rc, out, err = run_vea(["config", "check"], env=env)
        assert rc == 0 and os.path.join(user, "vea.conf") in out, (rc, out, err)
    with t.case("vea config list-ids accounts|clients: the config's ids, one a line"):
        rc, out, err = run_vea(["config", "list-ids", "accounts"], env=env, check=True)
        vt.assert_eq(out.split(), ["svc-work", "bad-work"], "accounts")
        rc, out, err = run_vea(["config", "list-ids", "clients"], env=env, check=True)
        vt.assert_eq(out.split(), ["svc"], "clients")
        rc, out, err = run_vea(["config", "list-ids", "bogus"], env=env)
        assert rc == 64 and "bogus" in err, (rc, err)


def run_version(t):
    with t.case("vea --version: vea's version and each library's"):
        rc, out, err = run_vea(["--version"], check=True)
        assert re.match(r"vea \d+\.\d+", out), out
        for lib in ("libetpan", "GMime", "GLib", "SQLite", "GnuTLS", "libcurl"):
            assert re.search(r"^  %s \d+\.\d+" % lib, out, re.M), "%s missing:\n%s" % (lib, out)


def complete(words, cfg):
    """What the bash completion offers for the command line words (the
    last one is being typed)."""
    script = os.path.join(vt.srcdir(), "contrib", "bash-completion", "vea")
    vea_dir = os.path.dirname(vt.vea_binary())
    line = " ".join(words)
    prog = ('source %s; COMP_WORDS=(%s); COMP_CWORD=%d; COMP_LINE="%s"; COMP_POINT=%d; _vea; '
            'printf "%%s\\n" "${COMPREPLY[@]}"' % (
                script, " ".join("'%s'" % w for w in words), len(words) - 1, line, len(line)))
    env = dict(os.environ, PATH=vea_dir + ":" + os.environ["PATH"], VEA_CONFIG=cfg.path)
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", prog], capture_output=True,
                       env=env, timeout=30)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout.decode().split()


def run_completion(t, cfg):
    with t.case("bash completion: commands, verbs, and account ids from the config"):
        if not shutil.which("bash"):
            raise Skip("no bash")
        vt.assert_eq(complete(["vea", "di"], cfg), ["digest"], "vea di<TAB>")
        vt.assert_eq(complete(["vea", "bill", "r"], cfg), ["report"], "vea bill r<TAB>")
        vt.assert_eq(sorted(complete(["vea", "run", "--account", ""], cfg)),
                     ["bad-work", "svc-work"], "vea run --account <TAB>")
        vt.assert_eq(complete(["vea", "log", "--client", "s"], cfg), ["svc"], "--client s<TAB>")
        vt.assert_eq(complete(["vea", "digest", "preview", ""], cfg), ["svc"], "digest preview <TAB>")


def main():
    t = TAP(timeout=200)
    tmp = vt.mkdtemp("vea-service-")
    rules_dir = os.path.join(tmp, "rules")
    os.makedirs(rules_dir)
    rules_path = os.path.join(rules_dir, "rules.sieve")
    with open(rules_path, "w") as f:
        f.write(RULES)
    with Dovecot() as dc:
        dc.add_user("svc@example.test", PASSWORD)
        dc.add_user("bad@example.test", "the-right-one")
        dc.start()
        one = vt.write_config(
            os.path.join(tmp, "one", "vea.conf"), dc, poll_interval=5, rules_dir=rules_dir,
            clients={"svc": {"timezone": "UTC", "rules": ["rules.sieve"]}},
            accounts={"svc-work": {"client": "svc", "user": "svc@example.test",
                                   "password": PASSWORD}})
        two = vt.write_config(
            os.path.join(tmp, "two", "vea.conf"), dc, poll_interval=5, rules_dir=rules_dir,
            clients={"svc": {"timezone": "UTC", "rules": ["rules.sieve"]}},
            accounts={"svc-work": {"client": "svc", "user": "svc@example.test",
                                   "password": PASSWORD},
                      "bad-work": {"client": "svc", "user": "bad@example.test",
                                   "password": WRONG}})
        run_notify(t, dc, tmp, one, rules_path, abstract=False)
        run_notify(t, dc, tmp, one, rules_path, abstract=True)
        run_journal(t, dc, tmp, two)
        run_config_discovery(t, tmp, two)
        run_version(t)
        run_completion(t, two)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
