#!/usr/bin/python3
"""Conformance: every .svtest file of ../shared/conformance/pigeonhole, then
of ../shared/conformance/pigeonhole-next (Pigeonhole's vacation and enotify
files: the outgoing messages vea composes), through vea's engine with the
sieve-conformance runner (vnd.dovecot.testsuite on top of vea).  TAP: one
line per test block; a block skipped or expected to fail by
tests/sieve/skip-list says why.  A set whose folder is absent SKIPs with
the reason (../shared is $VEA_SHARED).

Run by hand:  VEA=build/vea VEA_SHARED=../shared tests/sieve/test_conformance.py
              [FILE.svtest...]   (paths relative to the pigeonhole folder;
              pigeonhole-next/... for the second set)
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "harness"))
import veatest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 60    # seconds per file: a hang is a failure, not a stuck build


def runner_binary():
    vea = os.environ.get("VEA")
    builddir = os.path.dirname(os.path.abspath(vea)) if vea else veatest.srcdir()
    return os.path.join(builddir, "sieve-conformance")


def svtest_files(root):
    out = []
    for d, _dirs, files in os.walk(root):
        for f in files:
            if f.endswith(".svtest"):
                out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out)


def load_todo(path):
    """(file, test) -> reason for the "todo" lines of the skip list: known
    gaps of the engine, reported as expected failures until fixed."""
    todo = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 4 and parts[0] == "todo":
                todo[(parts[1].strip(), parts[2].strip())] = parts[3]
    return todo


def todo_reason(todo, name):
    file, _, test = name.partition(": ")
    return todo.get((file.strip(), test.strip())) or todo.get((file.strip(), "*"))


def run_set(t, runner, root, base, files, todo, totals):
    """Run files (relative to root) with --root base, so that a file of
    the second set is named pigeonhole-next/... in the output and the
    skip list."""
    for rel in files:
        name = os.path.relpath(os.path.join(root, rel), base)
        cmd = [runner, "--skip-list", os.path.join(HERE, "skip-list"),
               "--root", base, os.path.join(root, rel)]
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=TIMEOUT)
            out = p.stdout.decode("utf-8", "replace")
            err = p.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            t.ok(False, name, "runner hung (more than %d s)" % TIMEOUT)
            totals[1] += 1
            continue
        lines = 0
        for line in out.splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "PASS":
                why = todo_reason(todo, rest)
                if why:
                    t.todo(True, rest, why)
                else:
                    t.ok(True, rest)
                totals[0] += 1
            elif kind == "FAIL":
                tname, _, reason = rest.partition(": ")
                name2, _, reason2 = reason.partition(": ")
                desc = "%s: %s" % (tname, name2)
                why = todo_reason(todo, desc)
                if why:
                    t.todo(False, desc, why, reason2 or reason)
                else:
                    t.ok(False, desc, reason2 or reason)
                totals[1] += 1
            elif kind == "SKIP":
                tname, _, reason = rest.partition(": ")
                name2, _, reason2 = reason.partition(": ")
                t.skip("%s: %s" % (tname, name2), reason2)
                totals[2] += 1
            elif line.startswith("# "):
                t.diag(line[2:])
                continue
            else:
                continue
            lines += 1
        if p.returncode not in (0, 1) or lines == 0:
            # A crash (signal: negative status) or no report at all.
            t.ok(False, "%s: runner exit status %d" % (name, p.returncode),
                 err[-2000:])
            totals[1] += 1


def main(argv):
    t = veatest.TAP(timeout=600)
    conformance = os.path.join(veatest.shared_dir(), "conformance")
    root = os.path.join(conformance, "pigeonhole")
    next_root = os.path.join(conformance, "pigeonhole-next")
    runner = runner_binary()
    if not os.access(runner, os.X_OK):
        t.ok(False, "conformance runner", "not built: %s" % runner)
        return t.done()
    todo = load_todo(os.path.join(HERE, "skip-list"))
    if argv[1:]:
        first = [f for f in argv[1:] if not f.startswith("pigeonhole-next/")]
        second = [f[len("pigeonhole-next/"):] for f in argv[1:]
                  if f.startswith("pigeonhole-next/")]
    else:
        first = svtest_files(root) if os.path.isdir(root) else []
        second = svtest_files(next_root) if os.path.isdir(next_root) else []
    for folder, files, base in ((root, first, root),
                                (next_root, second, conformance)):
        if not files and argv[1:]:
            continue
        totals = [0, 0, 0]
        if not os.path.isdir(folder):
            t.skip("conformance %s" % os.path.basename(folder),
                   "../shared is absent (%s)" % folder)
            continue
        run_set(t, runner, folder, base, files, todo, totals)
        t.diag("conformance %s total: %d pass, %d fail, %d skip"
               % ((os.path.basename(folder),) + tuple(totals)))
    return t.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
