#!/usr/bin/python3
"""make install as an operator runs it, into a DESTDIR:
- the program, both man pages, the sample configuration (in
  SYSCONFDIR/vea, as vea.conf.sample: never over an operator's vea.conf),
  the sample rules, the bash completion, the systemd units and the state
  folder LOCALSTATEDIR/lib/vea land where ./configure said;
- the installed vea runs, and the installed sample configuration with the
  installed sample rules passes `vea config check`;
- the system unit is Type=notify, checks the config before it starts,
  reloads with SIGHUP, restarts on failure, runs as its own user, and is
  hardened: `systemd-analyze verify` accepts both units and `systemd-analyze
  security` rates the system one below 2.0 ("OK");
- make uninstall leaves no file behind.
systemd-analyze runs offline here: systemd need not be PID 1."""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import veatest as vt  # noqa: E402
from veatest import TAP, Skip, run_vea  # noqa: E402

# Options the system unit must carry, as the issue and vea(1) promise.
HARDENING = ["NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
             "PrivateTmp=yes", "StateDirectory=vea", "CapabilityBoundingSet=",
             "SystemCallFilter=@system-service", "RestrictAddressFamilies="]


def unit_lines(path):
    with open(path) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def relocate(unit, dest, out):
    """A copy of an installed unit whose paths point into DESTDIR, so that
    systemd-analyze verify finds the programs it names."""
    with open(unit) as f:
        text = f.read()
    text = re.sub(r"^(Exec\w+=-?)(/\S+)", lambda m: m.group(1) + (
        dest + m.group(2) if os.path.exists(dest + m.group(2)) else m.group(2)),
        text, flags=re.M)
    with open(out, "w") as f:
        f.write(text)
    return out


def analyze(args, tmp):
    env = dict(os.environ, XDG_RUNTIME_DIR=os.path.join(tmp, "run"), SYSTEMD_PAGER="",
               SYSTEMD_COLORS="0")
    os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
    return subprocess.run(["systemd-analyze"] + args, capture_output=True, text=True,
                          env=env, timeout=60)


def main():
    t = TAP(timeout=200)
    build = os.environ.get("VEA_BUILDDIR")
    make = os.environ.get("VEA_MAKE", "make")
    dirs = dict(kv.split("=", 1) for kv in os.environ.get("VEA_INSTALL_DIRS", "").split())
    if not build or not dirs:
        t.ok(True, "make install into a DESTDIR # SKIP run from make check (VEA_BUILDDIR)")
        return t.done()
    tmp = vt.mkdtemp("vea-install-")
    dest = os.path.join(tmp, "dest")

    def inst(d, *names):
        return os.path.join(dest + dirs[d], *names)

    with t.case("make install DESTDIR=...: exit 0"):
        r = subprocess.run([make, "-C", build, "install", "DESTDIR=" + dest],
                           capture_output=True, text=True, timeout=150)
        assert r.returncode == 0, "exit %d\n%s\n%s" % (r.returncode, r.stdout[-2000:],
                                                      r.stderr[-2000:])

    files = [inst("bindir", "vea"), inst("mandir", "man1", "vea.1"),
             inst("mandir", "man5", "vea.conf.5"), inst("sysconfdir", "vea", "vea.conf.sample"),
             inst("docdir", "examples", "rules", "common.sieve"),
             inst("docdir", "examples", "rules", "dana.sieve"),
             inst("bashcompletiondir", "vea")]
    units = {}
    for kind in ("system", "user"):
        d = dirs.get("systemd%sunitdir" % kind, "no")
        if d and d != "no":
            units[kind] = inst("systemd%sunitdir" % kind, "vea.service")
    files += units.values()
    with t.case("the tree: vea, vea(1), vea.conf(5), vea.conf.sample, rules, completion, units"):
        missing = [f[len(dest):] for f in files if not os.path.isfile(f)]
        assert not missing, "not installed: %s" % missing
        assert os.access(inst("bindir", "vea"), os.X_OK), "vea is not executable"
        assert not os.path.exists(inst("sysconfdir", "vea", "vea.conf")), \
            "make install wrote vea.conf itself"
        assert units, "no systemd unit installed (configure found no systemd unit folder)"
        assert os.path.isdir(inst("localstatedir", "lib", "vea")), "no LOCALSTATEDIR/lib/vea"

    with t.case("the installed vea runs: --version"):
        r = subprocess.run([inst("bindir", "vea"), "--version"], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0 and r.stdout.startswith("vea ") and "SQLite" in r.stdout, \
            (r.returncode, r.stdout, r.stderr)

    with t.case("the installed sample config, with the installed sample rules: config check OK"):
        etc = os.path.join(tmp, "etc-vea")
        os.makedirs(os.path.join(etc, "rules"))
        shutil.copy(inst("sysconfdir", "vea", "vea.conf.sample"), os.path.join(etc, "vea.conf"))
        for name in ("dana.sieve", "common.sieve"):
            shutil.copy(inst("docdir", "examples", "rules", name), os.path.join(etc, "rules"))
        rc, out, err = run_vea(["-c", os.path.join(etc, "vea.conf"), "config", "check"])
        assert rc == 0 and "configuration OK" in out, "exit %d\n%s%s" % (rc, out, err)
        with open(os.path.join(etc, "vea.conf")) as f:
            text = f.read()
        assert "@" + "sysconfdir@" not in text and "@" + "docdir@" not in text, text

    system = units.get("system")
    with t.case("system unit: Type=notify, config check first, SIGHUP reload, own user, hardened"):
        if system is None:
            raise Skip("no system unit folder")
        lines = unit_lines(system)
        vea = dirs["bindir"] + "/vea"
        conf = dirs["sysconfdir"] + "/vea/vea.conf"
        want = ["Type=notify",
                "ExecStartPre=%s -c %s config check" % (vea, conf),
                "ExecStart=%s -c %s run" % (vea, conf),
                "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure",
                "RestartPreventExitStatus=78", "User=vea"]
        missing = [w for w in want if w not in lines]
        missing += [h for h in HARDENING if not any(line.startswith(h) for line in lines)]
        assert not missing, "missing from %s: %s" % (system[len(dest):], missing)

    with t.case("systemd-analyze verify: the system and the user unit"):
        if not shutil.which("systemd-analyze"):
            raise Skip("systemd-analyze not installed (contrib/setup installs systemd)")
        for kind, unit in units.items():
            copy = relocate(unit, dest, os.path.join(tmp, "vea.service" if kind == "system"
                                                     else "user-vea.service"))
            if kind == "user":
                # verify wants the unit under its real name.
                os.makedirs(os.path.join(tmp, "user"), exist_ok=True)
                copy = shutil.move(copy, os.path.join(tmp, "user", "vea.service"))
            r = analyze((["--user"] if kind == "user" else []) + ["verify", "--man=no", copy], tmp)
            assert r.returncode == 0 and not r.stderr.strip(), "%s unit: exit %d\n%s%s" % (
                kind, r.returncode, r.stdout, r.stderr)

    with t.case("systemd-analyze security: the system unit's exposure is below 2.0"):
        if not shutil.which("systemd-analyze"):
            raise Skip("systemd-analyze not installed (contrib/setup installs systemd)")
        if system is None:
            raise Skip("no system unit folder")
        copy = relocate(system, dest, os.path.join(tmp, "vea.service"))
        r = analyze(["security", "--offline=yes", "--no-pager", copy], tmp)
        m = re.search(r"Overall exposure level for vea\.service: (\d+\.\d+) (\S+)", r.stdout)
        assert m, "no score: exit %d\n%s%s" % (r.returncode, r.stdout[-2000:], r.stderr)
        t.diag("systemd-analyze security: %s %s" % (m.group(1), m.group(2)))
        assert float(m.group(1)) < 2.0, "exposure %s:\n%s" % (m.group(1), r.stdout)

    with t.case("make uninstall DESTDIR=...: no file left"):
        r = subprocess.run([make, "-C", build, "uninstall", "DESTDIR=" + dest],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr[-2000:]
        left = [os.path.join(d, f)[len(dest):] for d, _, fs in os.walk(dest) for f in fs]
        assert not left, "left behind: %s" % left
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
