#!/usr/bin/python3
"""bench-sieve driver (make bench; never make check).

Over the 2,500 messages of easy-ham-1 (../shared/corpus/spamassassin.tar.xz)
with the 40-rule tests/bench/bench-sieve.sieve:
  (a) evaluation alone over parsed messages (target >= 200,000/s, one core);
  (b) read + parse + evaluate, against Pigeonhole's sieve-filter in dry run
      (no -e) over the same messages stored as a Maildir, with the same
      script less its vnd.vea lines (target >= 2x sieve-filter's rate).
Each side is run three times and its best rate counts (the machine may be
shared).

  bench_sieve.py PATH/TO/bench-sieve [SECONDS]
"""

import os
import pwd
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
import veatest  # noqa: E402

SCRIPT = os.path.join(HERE, "bench-sieve.sieve")


def as_nobody():
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)


def main(argv):
    bench = os.path.abspath(argv[1])
    secs = argv[2] if len(argv) > 2 else "2"
    msgs = veatest.corpus_messages(2500, "easy-ham-1")
    tmp = veatest.mkdtemp("vea-bench-sieve-")
    try:
        cur = os.path.join(tmp, "Maildir", "cur")
        for d in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(tmp, "Maildir", d))
        for i, data in enumerate(msgs):
            with open(os.path.join(cur, "%d.%04d.bench:2," % (1000000000 + i, i)), "wb") as f:
                f.write(data)
        with open(SCRIPT, encoding="utf-8") as f:
            text = f.read()
        plain = re.sub(r"(?m)^.*\bbill\b.*$", "", text)
        plain = plain.replace(', "vnd.vea"', "")
        oracle_script = os.path.join(tmp, "bench.sieve")
        with open(oracle_script, "w", encoding="utf-8") as f:
            f.write(plain)
        conf = os.path.join(tmp, "min.conf")
        with open(conf, "w") as f:
            f.write("mail_location = maildir:%s/Maildir\n" % tmp)
        subprocess.run(["chmod", "-R", "a+rwX", tmp], check=True)

        # Best of 3 for vea as for sieve-filter below: on a shared machine
        # the other runs measure the neighbours.
        eval_rate = full_rate = 0
        for _ in range(3):
            out = subprocess.run([bench, SCRIPT, cur, secs], check=True,
                                 stdout=subprocess.PIPE, text=True).stdout
            print(out, end="")
            rates = dict(re.findall(r"^(\w+) .*: (\d+)/s$", out, re.M))
            eval_rate = max(eval_rate, int(rates["eval"]))
            full_rate = max(full_rate, int(rates["full"]))

        best = None
        for _ in range(3):
            t0 = time.monotonic()
            p = subprocess.run(["sieve-filter", "-C", "-c", conf, oracle_script, "INBOX"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               preexec_fn=as_nobody)
            dt = time.monotonic() - t0
            if p.returncode != 0:
                print("sieve-filter failed:", p.stderr.decode()[-500:])
                return 1
            best = dt if best is None else min(best, dt)
        sf_rate = len(msgs) / best
        print("sieve-filter %d messages in %.3f s: %.0f/s (dry run, best of 3)"
              % (len(msgs), best, sf_rate))
        print("(a) evaluation alone: %d/s, best of 3 (target 200000/s): %s"
              % (eval_rate, "MET" if eval_rate >= 200000 else "NOT MET"))
        print("(b) read+parse+evaluate, best of 3: vea %d/s vs sieve-filter %.0f/s = %.2fx "
              "(target 2x): %s" % (full_rate, sf_rate, full_rate / sf_rate,
                                  "MET" if full_rate >= 2 * sf_rate else "NOT MET"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
