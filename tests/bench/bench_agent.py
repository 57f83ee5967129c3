#!/usr/bin/python3
"""bench_agent.py: vea's agent benchmarks (issue 4, "Benchmarks").

Starts its own private Dovecot on 127.0.0.1 (tests/harness/veatest.py) and
measures, side by side in one run:

  triage   cold triage of the 6,046 SpamAssassin messages with a 30-rule
           Sieve script, against imapfilter running the same 30 rules in
           Lua (first matching rule wins), and against the floor: one bare
           UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER]) read to
           the end.  Each tool gets its own user holding the same messages;
           the final placement (messages per mailbox, flagged per mailbox,
           and each message's mailbox) of vea and imapfilter is compared.
  steady   an INBOX of 50,000 messages already handled receives 100 new
           ones: vea (state in its database) against imapfilter, which has
           no state and must search the whole INBOX (select_all), and, for
           information, imapfilter restricted to is_unseen().
  latency  50, 200 and 1,000 accounts (--latency-accounts), one `vea run`
           (IDLE) each; 200 messages appended at random to random
           accounts; time from APPEND completion to the message's arrival
           in its destination mailbox: p50, p99, max; and the resident
           memory of the idle `vea run` (all its processes) before that.
  memory   VmRSS of one `vea run` with 200 accounts connected and idle.

Usage:
  /usr/bin/python3 tests/bench/bench_agent.py --vea /tmp/build-bench/vea
  ... --only triage,steady        a subset
  ... --help                      every option

Not run by `make check` (nor by CI).  Needs Dovecot (contrib/setup),
imapfilter (`apt-get install imapfilter`) for triage and steady, and the
corpus in ../shared/corpus.  Run as root (Dovecot's private instance and
its Maildirs are owned by nobody).  Build vea optimised for figures that
mean something:
  mkdir -p /tmp/build-bench && cd /tmp/build-bench &&
  /path/to/vea/configure CFLAGS='-O2 -g' && make -j2 vea
"""

import argparse
import collections
import imaplib
import json
import os
import random
import re
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
import veatest as vt  # noqa: E402

NOBODY = None            # (uid, gid) of nobody:nogroup, set in main()

# ------------------------------------------------------------------ rules
#
# One table, two renderings: a Sieve script for vea and a Lua config for
# imapfilter.  Every rule ends with `stop`, so the first rule that matches
# decides, as imapfilter's chain below does by removing what each rule
# matched from the set the next rules search.
#
# kind        Sieve test                          imapfilter (Lua)
# addr_is     address :is "from" V                contain_from(V)       (server SEARCH FROM)
# contains    header :contains H V                contain_subject/contain_from/contain_field
# is          header :is H V                      match_header('(?im)^H:[ \t]*V[ \t]*\r?$')
# matches     header :matches H "V*"              match_header('(?im)^H:[ \t]*V')
#
# dest None: the message stays in INBOX (keep); flag: addflag "\\Flagged".

RULES = [
    ("addr_is", "from", "pudge@perl.org", None, True),
    ("addr_is", "from", "tim.one@comcast.net", "Lists/Spambayes", True),
    ("addr_is", "from", "rssfeeds@spamassassin.taint.org", "News", False),
    ("addr_is", "from", "subscriptions@lockergnome.com", "News", False),
    ("addr_is", "from", "rah@shipwright.com", "People", True),
    ("addr_is", "from", "garym@canada.com", "People", False),
    ("contains", "subject", "[ILUG-Social]", "Social", False),
    ("contains", "list-id", "ilug.linux.ie", "Lists/ILUG", False),
    ("contains", "subject", "[ILUG]", "Lists/ILUG", False),
    ("contains", "list-id", "fork.xent.com", "Lists/FoRK", False),
    ("contains", "list-id", "rpm-zzzlist.freshrpms.net", "Lists/RPM", False),
    ("contains", "subject", "[Razor-users]", "Lists/Razor", False),
    ("contains", "list-id", "razor-users", "Lists/Razor", False),
    ("contains", "subject", "[SAtalk]", "Lists/SpamAssassin", False),
    ("contains", "subject", "[SAdev]", "Lists/SpamAssassin", True),
    ("contains", "list-id", "spamassassin-talk", "Lists/SpamAssassin", False),
    ("contains", "list-id", "exmh-workers", "Lists/EXMH", True),
    ("contains", "list-id", "exmh-users", "Lists/EXMH", False),
    ("contains", "subject", "[Spambayes]", "Lists/Spambayes", False),
    ("contains", "subject", "[zzzzteana]", "Social", False),
    ("contains", "subject", "[use Perl]", "News", False),
    ("contains", "from", "newsletter", "News", False),
    ("matches", "x-mailer", "Accucast", "Bulk", False),
    ("matches", "x-mailer", "Microsoft CDO", "Bulk", False),
    ("contains", "subject", "mortgage", "Money", False),
    ("contains", "subject", "insurance", "Money", False),
    ("contains", "subject", "credit", "Money", True),
    ("is", "precedence", "list", "Bulk", False),
    ("is", "precedence", "bulk", "Bulk", False),
    ("matches", "content-type", "multipart/alternative", "Promotions", False),
]
assert len(RULES) == 30

DESTINATIONS = sorted({r[3] for r in RULES if r[3]})
HEADER_NAMES = {"from": "From", "subject": "Subject", "list-id": "List-Id",
                "x-mailer": "X-Mailer", "precedence": "Precedence",
                "content-type": "Content-Type"}


def sieve_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sieve_script():
    out = ["# 30 rules, first match wins (written by tests/bench/bench_agent.py)",
           'require ["fileinto", "imap4flags"];', ""]
    for kind, header, value, dest, flag in RULES:
        if kind == "addr_is":
            test = "address :is %s %s" % (sieve_quote(header), sieve_quote(value))
        elif kind == "contains":
            test = "header :contains %s %s" % (sieve_quote(header), sieve_quote(value))
        elif kind == "is":
            test = "header :is %s %s" % (sieve_quote(header), sieve_quote(value))
        else:
            test = "header :matches %s %s" % (sieve_quote(header), sieve_quote(value + "*"))
        out.append("if %s {" % test)
        if flag:
            out.append('    addflag "\\\\Flagged";')
        out.append("    fileinto %s;" % sieve_quote(dest) if dest else "    keep;")
        out.append("    stop;")
        out.append("}")
    return "\n".join(out) + "\n"


def lua_quote(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pcre_escape(s):
    return re.sub(r"([\\^$.|?*+()\[\]{}/])", r"\\\1", s)


def lua_config(port, user, password, selection="select_all"):
    """imapfilter's equivalent of sieve_script(): `rest` is what no rule
    has matched yet; each rule searches only rest and removes its matches.
    (A search on an empty set would search the whole mailbox, hence the
    guards.)"""
    out = ["-- 30 rules, first match wins (written by tests/bench/bench_agent.py)",
           "options.info = false",
           "options.timeout = 300",
           "local account = IMAP {",
           "    server = '127.0.0.1', port = %d," % port,
           "    username = %s, password = %s," % (lua_quote(user), lua_quote(password)),
           "}",
           "local rest = account.INBOX:%s()" % selection,
           "local m", ""]
    for kind, header, value, dest, flag in RULES:
        name = HEADER_NAMES[header]
        if kind == "addr_is" or (kind == "contains" and header == "from"):
            search = "rest:contain_from(%s)" % lua_quote(value)
        elif kind == "contains" and header == "subject":
            search = "rest:contain_subject(%s)" % lua_quote(value)
        elif kind == "contains":
            search = "rest:contain_field(%s, %s)" % (lua_quote(name), lua_quote(value))
        elif kind == "is":
            search = "rest:match_header([[(?im)^%s:[ \\t]*%s[ \\t]*\\r?$]])" % (
                name, pcre_escape(value))
        else:
            search = "rest:match_header([[(?im)^%s:[ \\t]*%s]])" % (name, pcre_escape(value))
        out.append("if #rest > 0 then")
        out.append("    m = %s" % search)
        if flag:
            out.append("    m:mark_flagged()")
        if dest:
            out.append("    m:move_messages(account[%s])" % lua_quote(dest.replace("/", ".")))
        out.append("    rest = rest - m")
        out.append("end")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------ the server

EXTRA_DOVECOT_CONF = """
# bench_agent.py: 200+ concurrent sessions (one per account) plus the
# bench's own; the defaults (100 processes per service) are too low.
default_process_limit = 1500
default_client_limit = 10000
default_vsz_limit = 1G
mail_max_userip_connections = 20
# Every user here is the one system user nobody, and Linux allows a user
# 128 inotify instances (fs.inotify.max_user_instances).  Dovecot's imap
# process (one per connection by default) takes one for IDLE; past the
# 128th it logs "Inotify instance limit ... exceeded, disabling" and looks
# at the mailbox only every mailbox_idle_check_interval (30 s), so a third
# of 200 accounts heard of new mail 0-30 s late, whatever the client did.
# One imap process serves many connections here (all users share one
# UID, which that needs), and a process holds one inotify instance for
# all its clients: 1,000 sessions in IDLE need 20, not 1,000.
service imap {
  service_count = 0
  client_limit = 50
}
# Otherwise Dovecot's defaults, Maildir included: neutral between the
# clients.  (maildir_very_dirty_syncs = yes makes MOVE/EXPUNGE on a
# 50,000-message INBOX ~10x cheaper but imapfilter's one-message FETCHes
# after flag changes ~10x dearer: try it with --dovecot-conf.)
"""


class BenchDovecot(vt.Dovecot):
    """The harness's Dovecot with raised process limits."""

    extra_lines = ()

    def _write_conf(self):
        super()._write_conf()
        with open(self.conf_file, "a") as f:
            f.write(EXTRA_DOVECOT_CONF)
            for line in self.extra_lines:
                f.write(line + "\n")


def password_of(user):
    return "pw-" + user.split("@")[0]


def add_users(d, users):
    """Register users; before d.start() (main() registers every user of
    the run up front: Dovecot re-reads its passwd-file at most once a
    second, so adding users to a running one means waiting)."""
    new = [u for u in users if u not in d.users]
    for u in new:
        d.users[u] = password_of(u)
    if new and d.running():
        vt._next_second()
        d._write_users()
        vt._next_second()
    elif new:
        d._write_users()


def bench_users(args, only):
    users = []
    if "triage" in only:
        for rnd in range(args.repeat):
            users += list(triage_users(rnd).values())
    if "steady" in only:
        users += list(STEADY_USERS.values())
    if "latency" in only:
        users += latency_users(max(args.latency_counts)) + ["idlecal@example.test"]
    if "memory" in only:
        users += memory_users(args.memory_accounts) + memory_users(FALLBACK_ACCOUNTS, "memf")
    return users


def triage_users(rnd):
    return {k: "t%s%d@example.test" % (k[0], rnd)
            for k in ("vea", "imapfilter", "floor", "actions")}
STEADY_USERS = {"vea": "sv@example.test", "imapfilter": "si@example.test",
                "unseen": "su@example.test", "floor": "sf@example.test"}


def latency_users(n):
    return ["lat%03d@example.test" % i for i in range(n)]


def memory_users(n, prefix="mem"):
    return ["%s%03d@example.test" % (prefix, i) for i in range(n)]


def to_lf(data):
    return data.replace(b"\r\n", b"\n")


def maildir_fill(d, users, messages, seen=(), base=1600000000):
    """Write messages straight into the Maildir INBOX (cur/) of each of
    users, as Dovecot would have stored them (LF line ends, S= and W=
    sizes): written once, hard-linked into the other users' Maildirs (as
    Dovecot's own COPY does).  Users in seen get them \\Seen."""
    if isinstance(users, str):
        users = [users]
    curs = []
    for user in users:
        md = os.path.join(d.dir, "home", user, "Maildir")
        for p in (os.path.join(d.dir, "home", user), md, os.path.join(md, "cur"),
                  os.path.join(md, "new"), os.path.join(md, "tmp")):
            os.makedirs(p, exist_ok=True)
            os.chown(p, *NOBODY)
            os.chmod(p, 0o700)
        curs.append((os.path.join(md, "cur"), "S" if user in seen else ""))
    pid = os.getpid()
    for i, data in enumerate(messages):
        data = to_lf(data)
        name = "%d.M%dP%d.bench,S=%d,W=%d:2," % (
            base + i, i, pid, len(data), len(data) + data.count(b"\n"))
        first = None
        for cur, flags in curs:
            path = os.path.join(cur, name + flags)
            if first is None:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    os.write(fd, data)
                    os.fchown(fd, *NOBODY)
                finally:
                    os.close(fd)
                first = path
            else:
                os.link(first, path)


def imap_login(d, user):
    c = imaplib.IMAP4("127.0.0.1", d.port, timeout=600)
    c.login(user, d.users[user])
    return c


def create_mailboxes(d, user, names):
    c = imap_login(d, user)
    try:
        for n in names:
            c.create(vt.imap_quote(n.replace("/", ".")))
        c.select("INBOX", readonly=True)      # lets Dovecot index the Maildir
    finally:
        c.logout()


def append_all(d, user, messages, mailbox="INBOX"):
    c = imap_login(d, user)
    try:
        for m in messages:
            typ, resp = c.append(mailbox, None, None, vt.to_crlf(m))
            if typ != "OK":
                raise vt.HarnessError("APPEND: %r" % resp)
    finally:
        c.logout()


def mailbox_counts(d, user, names=None):
    """{mailbox (rule name, "/" levels): (messages, flagged)}."""
    c = imap_login(d, user)
    out = {}
    try:
        for name in ["INBOX"] + list(names if names is not None else DESTINATIONS):
            server = name.replace("/", ".")
            typ, data = c.select(vt.imap_quote(server), readonly=True)
            if typ != "OK":
                out[name] = (0, 0)
                continue
            n = int(data[0])
            typ, data = c.search(None, "FLAGGED")
            flagged = len(data[0].split()) if typ == "OK" and data[0] else 0
            out[name] = (n, flagged)
    finally:
        c.logout()
    return out


def placement(d, user):
    """{(message-id, from, subject): sorted [(mailbox, flagged)]}."""
    out = collections.defaultdict(list)
    for m in d.messages(user):
        key = (m["message_id"], m["from"], m["subject"])
        out[key].append((m["mailbox"].replace(".", "/"), "\\Flagged" in m["flags"]))
    for v in out.values():
        v.sort()
    return out


def compare_placement(a, b, label_a, label_b, limit=8):
    """Lines describing messages placed differently (empty: identical)."""
    lines = []
    keys = sorted(set(a) | set(b), key=lambda k: tuple(str(x) for x in k))
    diff = [k for k in keys if a.get(k) != b.get(k)]
    for k in diff[:limit]:
        lines.append("    %s: %s=%s %s=%s  (From: %s; Subject: %s)" % (
            k[0], label_a, a.get(k), label_b, b.get(k), (k[1] or "")[:50], (k[2] or "")[:60]))
    if len(diff) > limit:
        lines.append("    ... and %d more" % (len(diff) - limit))
    return len(diff), lines


# ------------------------------------------------------------- the tools

class Tools:
    def __init__(self, args, tmp):
        self.vea = args.vea
        self.imapfilter = args.imapfilter
        self.tmp = tmp
        self.env = dict(os.environ)
        self.env.pop("VEA_CONFIG", None)
        self.env["LC_ALL"] = "C.UTF-8"
        self.env["HOME"] = tmp          # imapfilter's ~/.imapfilter

    def write_vea_config(self, d, name, accounts, poll_interval=None):
        """A config dir under tmp with the 30-rule script and one client
        holding every account (user names)."""
        cdir = os.path.join(self.tmp, name)
        os.makedirs(cdir, exist_ok=True)
        with open(os.path.join(cdir, "bench.sieve"), "w") as f:
            f.write(sieve_script())
        accts = {}
        for u in accounts:
            accts[u.split("@")[0]] = {"client": "exec", "user": u, "password": d.users[u],
                                      "mailboxes": "INBOX", "trash": "Trash"}
        return vt.write_config(
            os.path.join(cdir, "vea.conf"), dovecot=d,
            clients={"exec": {"name": "Bench Executive", "email": "exec@example.test",
                              "timezone": "UTC", "rules": ["bench.sieve"]}},
            accounts=accts,
            billing={"exec-hourly": {"client": "exec", "rate": 6000, "currency": "USD"}},
            db="vea.db", poll_interval=poll_interval)

    def run_vea_once(self, cfg, timeout=900):
        t0 = time.monotonic()
        r = subprocess.run([self.vea, "-c", cfg.path, "run", "--once"], env=self.env,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        dt = time.monotonic() - t0
        if r.returncode != 0:
            raise RuntimeError("vea run --once exited %d:\n%s\n%s" % (
                r.returncode, r.stderr.decode(errors="replace")[-3000:],
                r.stdout.decode(errors="replace")[-2000:]))
        return dt, r

    def run_imapfilter(self, d, user, name, selection="select_all", timeout=1800):
        path = os.path.join(self.tmp, name + ".lua")
        with open(path, "w") as f:
            f.write(lua_config(d.port, user, d.users[user], selection))
        os.chmod(path, 0o600)
        t0 = time.monotonic()
        r = subprocess.run([self.imapfilter, "-c", path], env=self.env,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        dt = time.monotonic() - t0
        if r.returncode != 0:
            raise RuntimeError("imapfilter exited %d:\n%s\n%s" % (
                r.returncode, r.stderr.decode(errors="replace")[-3000:],
                r.stdout.decode(errors="replace")[-2000:]))
        return dt


# ------------------------------------------------- the floor: a bare FETCH

class RawImap:
    """Just enough IMAP over a socket to read responses with literals."""

    def __init__(self, port, timeout=600):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.sock.makefile("rb", buffering=1 << 16)
        self.n = 0
        self.f.readline()                       # greeting

    def send(self, line):
        self.n += 1
        tag = b"b%d" % self.n
        self.sock.sendall(tag + b" " + line + b"\r\n")
        return tag

    def response(self, tag):
        """Read up to the tagged response -> (status line, literals, bytes, untagged lines)."""
        literals = nbytes = 0
        untagged = []
        while True:
            line = self.f.readline()
            if not line:
                raise vt.HarnessError("IMAP connection closed")
            while line.endswith(b"}\r\n"):
                m = re.search(rb"\{(\d+)\}\r\n$", line)
                if not m:
                    break
                size = int(m.group(1))
                data = self.f.read(size)
                literals += 1
                nbytes += len(data)
                line = self.f.readline()
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise vt.HarnessError("IMAP: %r" % line)
                return line, literals, nbytes, untagged
            untagged.append(line)

    def command(self, line):
        return self.response(self.send(line))

    def login(self, user, password):
        self.command(b"LOGIN " + vt.imap_quote(user).encode() + b" " +
                     vt.imap_quote(password).encode())

    def close(self):
        try:
            self.command(b"LOGOUT")
        except Exception:
            pass
        self.sock.close()


def floor_fetch(d, user):
    """Connect, log in, SELECT INBOX, UID FETCH 1:* of what vea fetches,
    read all of it, log out -> (seconds, messages, header bytes, client cpu)."""
    cpu0 = time.process_time()
    t0 = time.monotonic()
    c = RawImap(d.port)
    c.login(user, d.users[user])
    c.command(b"SELECT INBOX")
    _, n, nbytes, _ = c.command(b"UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER])")
    c.close()
    return time.monotonic() - t0, n, nbytes, time.process_time() - cpu0


def uid_ranges(uids):
    """Sorted UIDs -> an IMAP set "1:4,7,9:12"."""
    out = []
    uids = sorted(uids)
    i = 0
    while i < len(uids):
        j = i
        while j + 1 < len(uids) and uids[j + 1] == uids[j] + 1:
            j += 1
        out.append(str(uids[i]) if i == j else "%d:%d" % (uids[i], uids[j]))
        i = j + 1
    return ",".join(out).encode()


def floor_with_actions(d, user, actions, first_uid=1):
    """floor_fetch, then the least any agent must send to carry out
    actions [(operation, argument, uid)]: one UID STORE per flag set, and
    one UID MOVE per destination, or with several destinations the
    cheaper way vea takes (a server pays per expunge, not per message):
    one UID COPY per destination, then one \\Deleted STORE and one UID
    EXPUNGE of them all -> (seconds, fetch seconds, commands)."""
    flags, moves = collections.defaultdict(list), collections.defaultdict(list)
    for op, arg, uid in actions:
        if op == "flags":
            flags[arg].append(uid)
        elif op == "move":
            moves[arg.replace("/", ".")].append(uid)
    t0 = time.monotonic()
    c = RawImap(d.port)
    c.login(user, d.users[user])
    c.command(b"SELECT INBOX")
    c.command(b"UID FETCH %d:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER])" % first_uid)
    t_fetch = time.monotonic() - t0
    for f, uids in flags.items():
        c.command(b"UID STORE " + uid_ranges(uids) + b" +FLAGS.SILENT (" + f.encode() + b")")
    n = len(flags)
    if len(moves) >= 2:
        for dest, uids in moves.items():
            c.command(b"UID COPY " + uid_ranges(uids) + b" " + vt.imap_quote(dest).encode())
        moved = uid_ranges([u for uids in moves.values() for u in uids])
        c.command(b"UID STORE " + moved + b" +FLAGS.SILENT (\\Deleted)")
        c.command(b"UID EXPUNGE " + moved)
        n += len(moves) + 2
    else:
        for dest, uids in moves.items():
            c.command(b"UID MOVE " + uid_ranges(uids) + b" " + vt.imap_quote(dest).encode())
        n += len(moves)
    c.close()
    return time.monotonic() - t0, t_fetch, n


def journal_actions(db, account, first_uid=1):
    return [(r["operation"], r["argument"], r["uid"]) for r in vt.db_query(
        db, "SELECT operation, argument, uid FROM actions WHERE account = ? "
        "AND operation IN ('flags', 'move') AND uid >= ? ORDER BY id", (account, first_uid))]


# ------------------------------------------------------------ reporting

class Report:
    def __init__(self):
        self.targets = []       # (name, figure text, met: True/False/None)
        self.figures = {}

    def line(self, text=""):
        print(text, flush=True)

    def target(self, name, text, met):
        self.targets.append((name, text, met))
        self.line("  -> %s: %s  [%s]" % (name, text,
                                        "MET" if met else "not measured" if met is None else "MISSED"))

    def summary(self):
        self.line()
        self.line("=" * 78)
        self.line("Targets")
        for name, text, met in self.targets:
            self.line("  %-8s %-44s %s" % ("MET" if met else "-" if met is None else "MISSED",
                                           name, text))


def rate(n, secs):
    return n / secs if secs > 0 else float("inf")


def pct(values, p):
    """Nearest-rank percentile."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


# -------------------------------------------------------------- triage

def corpus_all():
    ham = vt.corpus_messages(4150, "ham")
    spam = vt.corpus_messages(1896, "spam")
    return ham + spam


def triage_round(d, tools, rep, corpus, rnd):
    """One cold round on four fresh users holding the same messages."""
    users = triage_users(rnd)
    t0 = time.monotonic()
    maildir_fill(d, list(users.values()), corpus)
    for u in users.values():
        create_mailboxes(d, u, DESTINATIONS)
    rep.line("  round %d: setup (%d messages into 4 Maildirs, indexed): %.1f s"
             % (rnd + 1, len(corpus), time.monotonic() - t0))
    # The floor first, then the two agents, then the floor with actions,
    # each on a user no one has fetched from yet: every one starts with
    # Dovecot's cache empty.
    f_secs, f_n, f_bytes, f_cpu = floor_fetch(d, users["floor"])
    f2_secs, _, _, _ = floor_fetch(d, users["floor"])
    cfg = tools.write_vea_config(d, "triage%d" % rnd, [users["vea"]])
    v_secs, r = tools.run_vea_once(cfg)
    i_secs = tools.run_imapfilter(d, users["imapfilter"], "triage%d" % rnd)
    fa_secs, fa_fetch, fa_cmds = floor_with_actions(
        d, users["actions"], journal_actions(cfg.db, users["vea"].split("@")[0]))
    rep.line("    floor, 1 UID FETCH 1:* of the headers (cold): %6.2f s %7.0f msg/s  "
             "(%.1f MB; client CPU %.2f s; warm: %.2f s)"
             % (f_secs, rate(f_n, f_secs), f_bytes / 1e6, f_cpu, f2_secs))
    rep.line("    floor + vea's actions (1 command each)      : %6.2f s %7.0f msg/s  "
             "(fetch %.2f s, then %d STORE/COPY/MOVE/EXPUNGE)" % (fa_secs, rate(f_n, fa_secs), fa_fetch,
                                                      fa_cmds))
    rep.line("    vea run --once                              : %6.2f s %7.0f msg/s"
             % (v_secs, rate(len(corpus), v_secs)))
    rep.line("    imapfilter                                  : %6.2f s %7.0f msg/s"
             % (i_secs, rate(len(corpus), i_secs)))
    return users, {"vea_s": v_secs, "imapfilter_s": i_secs, "floor_s": f_secs,
                   "floor_warm_s": f2_secs, "floor_actions_s": fa_secs}


def bench_triage(d, tools, rep, corpus, repeat):
    rep.line()
    rep.line("== 1. Cold triage: %d SpamAssassin messages, 30 rules, %d round(s)"
             % (len(corpus), repeat))
    rounds = []
    for rnd in range(repeat):
        users, fig = triage_round(d, tools, rep, corpus, rnd)
        rounds.append(fig)
    med = {k: statistics.median(f[k] for f in rounds) for k in rounds[0]}
    n = len(corpus)
    rep.line("  median of %d round(s):" % repeat)
    for label, k in (("floor (fetch)", "floor_s"), ("floor + actions", "floor_actions_s"),
                     ("vea", "vea_s"), ("imapfilter", "imapfilter_s")):
        rep.line("    %-16s %6.2f s  %7.0f msg/s" % (label, med[k], rate(n, med[k])))

    # Placement: the last round's vea, imapfilter and floor+actions users.
    vc = mailbox_counts(d, users["vea"])
    ic = mailbox_counts(d, users["imapfilter"])
    ac = mailbox_counts(d, users["actions"])
    rep.line("  placement (messages/flagged)    vea        imapfilter")
    for name in ["INBOX"] + DESTINATIONS:
        mark = "" if vc.get(name) == ic.get(name) else "   <-- differs"
        rep.line("    %-22s %6d/%-4d  %6d/%-4d%s" % (name, vc[name][0], vc[name][1],
                                                    ic[name][0], ic[name][1], mark))
    total_v = sum(n for n, _ in vc.values())
    total_i = sum(n for n, _ in ic.values())
    rep.line("    %-22s %6d       %6d" % ("total", total_v, total_i))
    ndiff, lines = compare_placement(placement(d, users["vea"]),
                                     placement(d, users["imapfilter"]), "vea", "imapfilter")
    if ndiff == 0 and vc == ic:
        rep.line("  same placement: every message in the same mailbox with the same \\Flagged")
    else:
        rep.line("  PLACEMENT MISMATCH: %d messages placed differently:" % ndiff)
        for ln in lines:
            rep.line(ln)
    if ac != vc:
        rep.line("  (the floor + actions user ended differently from vea's: its UIDs do not "
                 "name the same messages; its time is still indicative)")
    rep.figures["triage"] = {"messages": n, "rounds": rounds, "median": med,
                             "placement_mismatches": ndiff, "vea_counts": vc,
                             "imapfilter_counts": ic}
    v_secs, i_secs, f_secs = med["vea_s"], med["imapfilter_s"], med["floor_s"]
    ratio = i_secs / v_secs
    rep.target("triage: vea vs imapfilter (>= 1x, goal 2x)",
               "%.2fx (vea %.2f s, imapfilter %.2f s)" % (ratio, v_secs, i_secs),
               ratio >= 1.0)
    fr = v_secs / f_secs
    # The floor for the same work: one bare UID FETCH of the same headers
    # plus the fewest commands that carry out the same actions. A fetch
    # alone is no floor here: three messages in four are moved, and the
    # server's share of that alone is more than twice the fetch. (Where
    # nothing is moved, the steady bench compares vea's first pass with
    # a bare fetch alone.)
    far = v_secs / med["floor_actions_s"]
    rep.target("triage: vea within 2x of the floor (same fetch, same actions)",
               "%.1fx (vea %.2f s, floor %.2f s; a bare fetch alone %.2f s: %.1fx)"
               % (far, v_secs, med["floor_actions_s"], f_secs, fr),
               far <= 2.0)
    rep.target("triage: same placement as imapfilter",
               "%d messages differ" % ndiff, ndiff == 0 and total_v == total_i)


# -------------------------------------------------------------- steady

def synthetic(i):
    """An ordinary message no rule matches, with a realistic header."""
    day = 1 + i % 28
    return ("Return-Path: <colleague%d@partner.example.org>\n"
            "Received: from mx%d.partner.example.org (mx%d.partner.example.org [192.0.2.%d])\n"
            "\tby mail.example.test (Postfix) with ESMTPS id %08X\n"
            "\tfor <exec@example.test>; Mon, %d Jan 2024 09:%02d:%02d +0000\n"
            "Received: from laptop%d.partner.example.org ([198.51.100.%d])\n"
            "\tby mx%d.partner.example.org with ESMTPSA id %08X;\n"
            "\tMon, %d Jan 2024 09:%02d:%02d +0000\n"
            "From: Colleague %d <colleague%d@partner.example.org>\n"
            "To: Executive <exec@example.test>\n"
            "Subject: Project update %d: figures for week %d\n"
            "Date: Mon, %d Jan 2024 09:%02d:%02d +0000\n"
            "Message-ID: <steady-%d@partner.example.org>\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: 8bit\n"
            "X-Mailer: Thunderbird 115.6\n"
            "\n"
            "Hello,\n\nhere are this week's figures for project %d: %d units, %d hours.\n"
            "Best regards,\nColleague %d\n"
            % (i % 97, i % 5, i % 5, i % 250, i, day, i % 60, i % 60, i % 31, i % 250, i % 5,
               i * 7, day, i % 60, (i + 1) % 60, i % 97, i % 97, i, i % 52, day, i % 60,
               i % 60, i, i, i % 1000, i % 40, i % 97)).encode()


def bench_steady(d, tools, rep, corpus, size, new):
    rep.line()
    rep.line("== 2. Steady state: INBOX of %d handled messages, %d new arrive" % (size, new))
    users = STEADY_USERS
    t0 = time.monotonic()
    add_users(d, users.values())
    old = [synthetic(i) for i in range(size)]
    # For is_unseen(), the old mail has been read; for the others it
    # does not matter.
    maildir_fill(d, list(users.values()), old, seen=(users["unseen"],))
    for u in users.values():
        create_mailboxes(d, u, DESTINATIONS)
    del old
    rep.line("  setup: %d messages into %d Maildirs, indexed by Dovecot: %.1f s"
             % (size, len(users), time.monotonic() - t0))

    # Earlier runs: vea's first pass journals the 50,000 as handled;
    # imapfilter's leaves Dovecot's caches as a periodic run would.
    cfg = tools.write_vea_config(d, "steady", [users["vea"]])
    # The floor for a first pass where no rule matches (nothing to move):
    # one bare UID FETCH of the same headers, cold, by another user.
    ff, ff_n, ff_bytes, _ = floor_fetch(d, users["floor"])
    v1, _ = tools.run_vea_once(cfg)
    rep.line("  floor: 1 UID FETCH 1:* of the %d headers (cold)     : %6.2f s  %6.0f msg/s  "
             "(%.1f MB)" % (ff_n, ff, rate(ff_n, ff), ff_bytes / 1e6))
    rep.line("  vea first pass over the %d (journals them as handled): %6.2f s  %6.0f msg/s  "
             "(%.1fx the floor)" % (size, v1, rate(size, v1), v1 / ff))
    i1 = tools.run_imapfilter(d, users["imapfilter"], "steady-all")
    rep.line("  imapfilter select_all() run over the %d (nothing matches): %6.2f s" % (size, i1))
    u1 = tools.run_imapfilter(d, users["unseen"], "steady-unseen", "is_unseen")
    rep.line("  imapfilter is_unseen() run (the %d are \\Seen)          : %6.2f s" % (size, u1))

    fresh = corpus[::len(corpus) // new][:new]
    for u in users.values():
        append_all(d, u, fresh)
    v2, _ = tools.run_vea_once(cfg)
    i2 = tools.run_imapfilter(d, users["imapfilter"], "steady-all")
    u2 = tools.run_imapfilter(d, users["unseen"], "steady-unseen", "is_unseen")
    f2, f2_fetch, f2_cmds = floor_with_actions(
        d, users["floor"], journal_actions(cfg.db, users["vea"].split("@")[0], size + 1),
        size + 1)
    rep.line("  %d new messages:" % new)
    rep.line("    floor: FETCH the new + vea's actions    : %7.3f s  (fetch %.3f s, then "
             "%d STORE/COPY/MOVE/EXPUNGE: the server's share)" % (f2, f2_fetch, f2_cmds))
    rep.line("    vea run --once                          : %7.3f s" % v2)
    rep.line("    imapfilter, select_all() (equivalent)   : %7.3f s  (%.1fx vea)" % (i2, i2 / v2))
    rep.line("    imapfilter, is_unseen() (for reference) : %7.3f s  (%.1fx vea)" % (u2, u2 / v2))
    rep.line("  (imapfilter keeps no state: to act on every new message, read or not, it "
             "must search the whole INBOX on every run, which is select_all(); is_unseen() "
             "is faster but skips a message read on a phone before it runs, so it is shown "
             "for reference only.)")

    vc = mailbox_counts(d, users["vea"])
    ic = mailbox_counts(d, users["imapfilter"])
    uc = mailbox_counts(d, users["unseen"])
    fc = mailbox_counts(d, users["floor"])
    same = vc == ic == uc
    if fc != vc:
        rep.line("  (the floor user ended differently from vea's: UIDs differ; its time is "
                 "still indicative)")
    if same:
        rep.line("  same placement of the %d new messages for all three (per-mailbox counts)" % new)
    else:
        rep.line("  PLACEMENT MISMATCH (messages/flagged):  vea   imapfilter   is_unseen")
        for name in ["INBOX"] + DESTINATIONS:
            rep.line("    %-22s %s %s %s" % (name, vc[name], ic[name], uc[name]))
    rep.target("first pass, no rule matching: vea within 2x of a bare UID FETCH",
               "%.1fx (vea %.2f s, floor %.2f s for %d messages)" % (v1 / ff, v1, ff, size),
               v1 / ff <= 2)
    rep.figures["steady"] = {"size": size, "new": new, "vea_first_s": v1,
                             "floor_first_s": ff,
                             "imapfilter_first_s": i1, "imapfilter_unseen_first_s": u1,
                             "vea_s": v2, "imapfilter_s": i2, "imapfilter_unseen_s": u2,
                             "floor_actions_s": f2,
                             "same_placement": same}
    rep.target("steady: vea 10x faster than imapfilter",
               "%.1fx (vea %.3f s, imapfilter select_all %.3f s; server floor %.3f s)"
               % (i2 / v2, v2, i2, f2),
               i2 / v2 >= 10)
    rep.target("steady: same placement", "yes" if same else "no", same)


# ----------------------------------------------------- vea run (watching)

class VeaWatcher:
    """`vea run` in the background, stopped by SIGTERM at the end."""

    def __init__(self, tools, cfg, logname):
        self.tools, self.cfg = tools, cfg
        self.log = open(os.path.join(tools.tmp, logname), "wb")
        self.proc = subprocess.Popen([tools.vea, "-c", cfg.path, "run"], env=tools.env,
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, preexec_fn=vt._set_pdeathsig)

    def states(self):
        r = subprocess.run([self.tools.vea, "-c", self.cfg.path, "status", "--json"],
                           env=self.tools.env, capture_output=True, timeout=60)
        out = collections.Counter()
        for line in r.stdout.decode(errors="replace").splitlines():
            try:
                out[json.loads(line)["state"]] += 1
            except (ValueError, KeyError):
                out["(unreadable)"] += 1
        return out

    def wait_idle(self, n, timeout):
        deadline = time.monotonic() + timeout
        t0 = time.monotonic()
        st = collections.Counter()
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("vea run exited %d; log: %s" % (self.proc.returncode,
                                                                   self.log_tail()))
            st = self.states()
            if st.get("idle", 0) == n:
                return time.monotonic() - t0, st
            time.sleep(0.25)
        raise RuntimeError("only %s of %d accounts idle after %d s: %s; log: %s"
                           % (st.get("idle", 0), n, timeout, dict(st), self.log_tail()))

    def log_tail(self, n=15):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return "".join(f.readlines()[-n:])

    def proc_status(self):
        """/proc status of vea run, with VmRSS/VmHWM summed over it and
        any child processes (builds before one-process `vea run` forked a
        worker per 100 accounts) and fds counted in all of them."""
        def status(pid):
            out = {}
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    out[k] = v.strip()
            return out

        pids = [self.proc.pid]
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                pids += [int(x) for x in f.read().split()]
        except OSError:
            pass
        out = status(self.proc.pid)
        rss = hwm = 0
        kinds = collections.Counter()
        for pid in pids:
            try:
                st = status(pid)
            except OSError:
                continue
            rss += int(st["VmRSS"].split()[0])
            hwm += int(st["VmHWM"].split()[0])
            fddir = "/proc/%d/fd" % pid
            for fd in os.listdir(fddir):
                try:
                    target = os.readlink(os.path.join(fddir, fd))
                except OSError:
                    continue
                kind = target.split(":")[0] if ":" in target and not target.startswith("/") \
                    else os.path.basename(target).split(".db")[0] + (
                        ".db" + target.split(".db", 1)[1] if ".db" in target else "")
                kinds[kind] += 1
        out["VmRSS"] = "%d kB" % rss
        out["VmHWM"] = "%d kB" % hwm
        out["processes"] = len(pids)
        out["fds"] = sum(kinds.values())
        out["fd_kinds"] = dict(kinds.most_common(8))
        return out

    def stop(self, timeout=90):
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode, time.monotonic() - t0


# ------------------------------------------------------------- latency

def idle_notify_delay(d, user, n=8):
    """How long Dovecot takes to tell an IDLE client about an APPEND
    (vea's IDLE waits this long too, whatever vea does)."""
    c = RawImap(d.port)
    c.login(user, d.users[user])
    c.command(b"SELECT INBOX")
    tag = c.send(b"IDLE")
    c.f.readline()                          # + idling
    c.sock.setblocking(False)
    a = imap_login(d, user)
    delays = []
    buf = b""
    try:
        for i in range(n):
            a.append("INBOX", None, None, vt.make_message("idle probe %d" % i))
            t = time.monotonic()
            while True:
                r, _, _ = select.select([c.sock], [], [], 5)
                if not r:
                    break
                buf += c.sock.recv(65536)
                if b"EXISTS" in buf:
                    delays.append(time.monotonic() - t)
                    buf = b""
                    break
            time.sleep(0.1)
    finally:
        a.logout()
        c.sock.setblocking(True)
        c.sock.sendall(b"DONE\r\n")
        try:
            c.response(tag)
        except Exception:
            pass
        c.close()
    return delays


def bench_latency(d, tools, rep, counts, count, mean_gap, seed):
    """One `vea run` per account count (fresh config and database; the
    users of a smaller count are the first of the larger one's)."""
    rep.line()
    rep.line("== 3. Arrival-to-action latency: %s accounts in one `vea run` (IDLE), "
             "%d messages each time" % (", ".join("%d" % n for n in counts), count))
    users = latency_users(max(counts))
    add_users(d, users + ["idlecal@example.test"])
    maildir_fill(d, users, [])
    for u in users:
        create_mailboxes(d, u, ["Lists/ILUG"])
    delays = idle_notify_delay(d, "idlecal@example.test")
    if delays:
        rep.line("  Dovecot's IDLE notification delay after an APPEND (any IDLE client): "
                 "median %.0f ms, max %.0f ms" % (statistics.median(delays) * 1000,
                                                 max(delays) * 1000))
    rep.figures["latency"] = {}
    for accounts in counts:
        latency_run(d, tools, rep, users[:accounts], count, mean_gap, seed, delays)


def latency_run(d, tools, rep, users, count, mean_gap, seed, delays):
    accounts = len(users)
    rep.line("  -- %d accounts" % accounts)
    cfg = tools.write_vea_config(d, "latency-%d" % accounts, users)
    w = VeaWatcher(tools, cfg, "latency-%d-vea.log" % accounts)
    try:
        secs, st = w.wait_idle(accounts, max(120, accounts // 4))
        rep.line("  vea run: %d accounts idle after %.1f s" % (accounts, secs))
        # Memory of the idle daemon, before any probe: every process of
        # vea run together.
        time.sleep(2)
        ps = w.proc_status()
        rss_mb = int(ps["VmRSS"].split()[0]) / 1024
        rep.line("  idle: VmRSS %.1f MB in %d process(es), %s threads, %d fds %s"
                 % (rss_mb, ps["processes"], ps.get("Threads"), ps["fds"], ps["fd_kinds"]))
        rnd = random.Random(seed)
        # One connection per account to append, one to watch the
        # destination with STATUS (polled while a probe is outstanding).
        app = {u: imap_login(d, u) for u in users}
        mon = {u: imap_login(d, u) for u in users}
        appended = collections.defaultdict(list)   # user -> [t]
        arrived = collections.defaultdict(list)
        base = {}
        for u in users:
            typ, data = mon[u].status("Lists.ILUG", "(MESSAGES)")
            base[u] = int(re.search(rb"MESSAGES (\d+)", data[0]).group(1))
        lock = threading.Lock()
        done = threading.Event()

        def monitor():
            while True:
                with lock:
                    pending = [u for u in users if len(arrived[u]) < len(appended[u])]
                if not pending and done.is_set():
                    return
                for u in pending:
                    typ, data = mon[u].status("Lists.ILUG", "(MESSAGES)")
                    t = time.monotonic()
                    have = int(re.search(rb"MESSAGES (\d+)", data[0]).group(1)) - base[u]
                    with lock:
                        while len(arrived[u]) < min(have, len(appended[u])):
                            arrived[u].append(t)
                if not pending:
                    time.sleep(0.002)

        th = threading.Thread(target=monitor, daemon=True)
        th.start()
        t_start = time.monotonic()
        for i in range(count):
            time.sleep(rnd.expovariate(1.0 / mean_gap))
            u = rnd.choice(users)
            msg = vt.make_message("[ILUG] latency probe %d" % i, frm="probe%d@example.org" % i,
                                  to=u)
            typ, resp = app[u].append("INBOX", None, None, msg)
            t = time.monotonic()
            if typ != "OK":
                raise vt.HarnessError("APPEND: %r" % resp)
            with lock:
                appended[u].append(t)
        t_sent = time.monotonic() - t_start
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with lock:
                if all(len(arrived[u]) >= len(appended[u]) for u in users):
                    break
            time.sleep(0.05)
        done.set()
        th.join(10)
        lat = []
        late = []                                   # (seconds, user, wall clock)
        missing = 0
        wall = time.time() - time.monotonic()
        for u in users:
            for k, t in enumerate(appended[u]):
                if k < len(arrived[u]):
                    lat.append(arrived[u][k] - t)
                    if lat[-1] >= 1.0:
                        late.append((lat[-1], u, t + wall))
                else:
                    missing += 1
        for c in list(app.values()) + list(mon.values()):
            try:
                c.logout()
            except Exception:
                pass
    finally:
        rc, stop_secs = w.stop()
    p50, p99 = pct(lat, 50), pct(lat, 99)
    rep.line("  %d messages appended over %.1f s to %d accounts; %d reached their "
             "destination, %d did not within 90 s" % (count, t_sent, accounts, len(lat),
                                                      missing))
    if lat:
        rep.line("  latency: p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms, min %.0f ms "
                 "(detection by STATUS polling, ~1-3 ms resolution)"
                 % (p50 * 1000, pct(lat, 90) * 1000, p99 * 1000, max(lat) * 1000,
                    min(lat) * 1000))
    slow = sorted(x for x in lat if x >= 1.0)
    if slow:
        rep.line("  %d message(s) took 1 s or more: %s" % (
            len(slow), ", ".join("%.1f s" % x for x in slow[:10])))
    if late:
        # Which accounts: a pattern (one worker process, one Dovecot
        # process) is the first clue to the cause.
        rep.line("  slowest: %s" % ", ".join(
            "%s %.1f s (appended %s)" % (u.split("@")[0], x,
                                         time.strftime("%H:%M:%S", time.gmtime(w)))
            for x, u, w in sorted(late, reverse=True)[:12]))
    rep.line("  vea run stopped by SIGTERM: exit %s after %.1f s" % (rc, stop_secs))
    rep.figures["latency"][accounts] = {
        "messages": count, "missing": missing, "p50_s": p50, "p99_s": p99,
        "max_s": max(lat) if lat else None,
        "dovecot_idle_delay_s": statistics.median(delays) if delays else None,
        "idle_rss_mb": rss_mb, "processes": ps["processes"], "threads": ps.get("Threads"),
        "fds": ps["fds"], "sigterm_exit": rc, "sigterm_secs": stop_secs}
    rep.target("latency: p99 < 1 s, none > 2 s (%d accounts)" % accounts,
               "p50 %.0f ms, p99 %.0f ms, max %.1f s, %d >= 1 s, %d missing"
               % (p50 * 1000, p99 * 1000, max(lat) if lat else 0, len(slow), missing),
               bool(lat) and missing == 0 and p99 < 1.0 and max(lat) <= 2.0)
    if accounts >= 1000:
        rep.target("memory: < 200 MB resident (%d idle accounts, all processes)" % accounts,
                   "%.1f MB in %d process(es)" % (rss_mb, ps["processes"]), rss_mb < 200)


# -------------------------------------------------------------- memory

def memory_run(d, tools, rep, corpus, users, per_account, name):
    """`vea run` on users; once all are idle -> (vea status counts,
    /proc status).  Raises RuntimeError when vea dies first."""
    for i, u in enumerate(users):
        start = (i * per_account) % max(1, len(corpus) - per_account)
        maildir_fill(d, u, corpus[start:start + per_account])
        create_mailboxes(d, u, [])
    cfg = tools.write_vea_config(d, name, users)
    w = VeaWatcher(tools, cfg, name + "-vea.log")
    try:
        secs, st = w.wait_idle(len(users), 300)
        time.sleep(2)
        st = w.states()
        ps = w.proc_status()
    finally:
        rc, stop_secs = w.stop()
    rss_mb = int(ps["VmRSS"].split()[0]) / 1024
    hwm_mb = int(ps["VmHWM"].split()[0]) / 1024
    rep.line("  %d accounts: vea status %s (all idle after %.1f s)" % (len(users), dict(st),
                                                                     secs))
    rep.line("    VmRSS %.1f MB, VmHWM (peak) %.1f MB (summed over %d processes), threads %s"
             % (rss_mb, hwm_mb, ps.get("processes", 1), ps.get("Threads")))
    rep.line("    open fds %d: %s" % (ps["fds"], ps["fd_kinds"]))
    rep.line("    vea run stopped by SIGTERM: exit %s after %.1f s" % (rc, stop_secs))
    return st, ps, rss_mb, hwm_mb


def bench_memory(d, tools, rep, corpus, accounts, per_account):
    rep.line()
    rep.line("== 4. Memory: one `vea run` with %d accounts connected and idle "
             "(each first triaged %d messages)" % (accounts, per_account))
    users = memory_users(accounts)
    try:
        st, ps, rss_mb, hwm_mb = memory_run(d, tools, rep, corpus, users, per_account,
                                            "memory")
    except RuntimeError as e:
        msg = str(e)
        crash = "FD_SETSIZE" in msg
        rep.line("  vea run DIED with %d accounts: %s" % (
            accounts, "a descriptor >= 1024 reached select() (FD_SETSIZE): glibc aborted"
            if crash else msg.split("\n")[0]))
        for ln in msg.splitlines()[-3:]:
            rep.line("    | " + ln)
        rep.figures["memory"] = {"accounts": accounts, "failed": msg[-2000:]}
        rep.target("memory: VmRSS < 100 MB (%d idle accounts)" % accounts,
                   "vea run died (%s)" % ("FD_SETSIZE abort" if crash else "see above"), False)
        fallback = memory_users(FALLBACK_ACCOUNTS, "memf")
        rep.line("  for reference, the same with %d accounts:" % len(fallback))
        try:
            st, ps, rss_mb, hwm_mb = memory_run(d, tools, rep, corpus, fallback, per_account,
                                                "memory-fallback")
            rep.figures["memory"].update({"fallback_accounts": len(fallback),
                                          "fallback_rss_mb": rss_mb,
                                          "fallback_hwm_mb": hwm_mb, "fds": ps["fds"],
                                          "fd_kinds": ps["fd_kinds"]})
        except RuntimeError as e2:
            rep.line("  that failed too: %s" % str(e2).split("\n")[0])
        return
    rep.figures["memory"] = {"accounts": accounts, "rss_mb": rss_mb, "hwm_mb": hwm_mb,
                             "threads": ps.get("Threads"), "fds": ps["fds"],
                             "fd_kinds": ps["fd_kinds"], "states": dict(st)}
    rep.target("memory: VmRSS < 100 MB (%d idle accounts)" % accounts,
               "%.1f MB (peak %.1f MB)" % (rss_mb, hwm_mb),
               rss_mb < 100 and st.get("idle", 0) == accounts)


FALLBACK_ACCOUNTS = 100


# ---------------------------------------------------------------- main

def main():
    global NOBODY
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vea", default=os.environ.get("VEA") or os.path.join(vt.srcdir(), "vea"),
                    help="the vea binary (default: $VEA, else ./vea)")
    ap.add_argument("--imapfilter", default=shutil.which("imapfilter"),
                    help="the imapfilter binary (default: from $PATH)")
    ap.add_argument("--only", default="triage,steady,latency,memory",
                    help="comma-separated subset of triage,steady,latency,memory")
    ap.add_argument("--repeat", type=int, default=3,
                    help="cold triage rounds (fresh users each; the median is compared)")
    ap.add_argument("--dovecot-conf", action="append", default=[],
                    help="an extra line for the bench's dovecot.conf (repeatable)")
    ap.add_argument("--steady-size", type=int, default=50000)
    ap.add_argument("--steady-new", type=int, default=100)
    ap.add_argument("--latency-accounts", default="50,200,1000",
                    help="account counts, comma-separated: one `vea run` each")
    ap.add_argument("--latency-messages", type=int, default=200)
    ap.add_argument("--latency-gap", type=float, default=0.05,
                    help="mean seconds between two arrivals (exponential)")
    ap.add_argument("--memory-accounts", type=int, default=200)
    ap.add_argument("--memory-messages", type=int, default=30,
                    help="messages each account triages before it idles")
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    only = [s.strip() for s in args.only.split(",") if s.strip()]
    try:
        args.latency_counts = [int(n) for n in args.latency_accounts.split(",") if n.strip()]
    except ValueError:
        ap.error("--latency-accounts: numbers, comma-separated")
    if not args.latency_counts or min(args.latency_counts) < 1:
        ap.error("--latency-accounts: at least one count of 1 or more")
    bad = set(only) - {"triage", "steady", "latency", "memory"}
    if bad:
        ap.error("unknown benchmark(s): %s" % ", ".join(sorted(bad)))
    if not (os.path.isfile(args.vea) and os.access(args.vea, os.X_OK)):
        ap.error("vea binary not found: %s (build it, then pass --vea PATH)" % args.vea)
    args.vea = os.path.abspath(args.vea)
    if {"triage", "steady"} & set(only) and not (args.imapfilter and
                                                os.access(args.imapfilter, os.X_OK)):
        sys.stderr.write("bench_agent: imapfilter is needed for the triage and steady "
                         "benchmarks and was not found.\n  Install it: apt-get install -y "
                         "imapfilter   (Debian package)\n  or run the others only: "
                         "--only latency,memory\n")
        return 2
    if os.geteuid() != 0:
        sys.stderr.write("bench_agent: run as root (the private Dovecot's Maildirs "
                         "belong to nobody)\n")
        return 2
    if not vt.have_corpus() and {"triage", "steady", "memory"} & set(only):
        sys.stderr.write("bench_agent: corpus not found: %s\n" % vt.corpus_path())
        return 2
    import pwd
    import grp
    NOBODY = (pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # 1,000 latency accounts: two connections each here, and vea run
    # (which inherits the limit) one or more each.
    want = 16384
    if soft < want and (hard == resource.RLIM_INFINITY or hard >= want):
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    elif soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    rep = Report()
    t_all = time.monotonic()
    ver = subprocess.run([args.vea, "--version"], capture_output=True).stdout.decode().strip()
    ifv = ""
    if args.imapfilter:
        ifv = subprocess.run([args.imapfilter, "-V"], capture_output=True)
        ifv = (ifv.stdout or ifv.stderr).decode(errors="replace").split("  ")[0].strip()
    dv = subprocess.run([vt.DOVECOT, "--version"], capture_output=True).stdout.decode().strip()
    rep.line("vea agent benchmarks: %s (%s); %s; Dovecot %s; %d CPUs"
             % (ver, args.vea, ifv or "imapfilter not used", dv, os.cpu_count()))
    rep.line("command: %s" % " ".join([sys.executable] + sys.argv))

    tmp = vt.mkdtemp("vea-bench-")
    tools = Tools(args, tmp)
    BenchDovecot.extra_lines = tuple(args.dovecot_conf)
    d = BenchDovecot(special=("Trash",))
    failed = False
    try:
        add_users(d, bench_users(args, only))
        d.start()
        corpus = corpus_all() if {"triage", "steady", "memory"} & set(only) else []
        benches = {
            "triage": lambda: bench_triage(d, tools, rep, corpus, args.repeat),
            "steady": lambda: bench_steady(d, tools, rep, corpus, args.steady_size,
                                           args.steady_new),
            "latency": lambda: bench_latency(d, tools, rep, args.latency_counts,
                                             args.latency_messages, args.latency_gap,
                                             args.seed),
            "memory": lambda: bench_memory(d, tools, rep, corpus, args.memory_accounts,
                                           args.memory_messages),
        }
        for name in ["triage", "steady", "latency", "memory"]:
            if name not in only:
                continue
            t0 = time.monotonic()
            try:
                benches[name]()
            except (RuntimeError, vt.HarnessError, imaplib.IMAP4.error, OSError,
                    subprocess.TimeoutExpired) as e:
                failed = True
                rep.line("  %s FAILED: %s" % (name, e))
                rep.target(name, "failed to run: %s" % str(e).split("\n")[0], False)
            rep.line("  (%s took %.0f s)" % (name, time.monotonic() - t0))
    finally:
        d.stop()
        if vt.keep_tmp():
            rep.line("kept: %s (vea configs, logs) and %s (Dovecot)" % (tmp, d.dir))
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    rep.summary()
    rep.line("total time %.0f s" % (time.monotonic() - t_all))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"figures": rep.figures,
                       "targets": [{"name": n, "result": t, "met": m}
                                   for n, t, m in rep.targets]}, f, indent=2, default=str)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
