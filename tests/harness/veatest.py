#!/usr/bin/python3
"""veatest: the harness every vea integration test (and the demo) stands on.

Standard library only (Debian's python3, 3.11).  What it gives:

  Dovecot          a private Dovecot on 127.0.0.1 (free port, temp dir),
                   users in a passwd-file, IMAP helpers (append, messages,
                   mailboxes); never left running: stopped by stop(), the
                   context manager, atexit, SIGTERM/SIGHUP, and (foreground
                   mode, the default) by the kernel when this process dies.
  write_config     a vea.conf (see vea.conf(5)) for clients, accounts and
                   billing accounts; passwords go to per-account files read
                   by `password_cmd = cat FILE`.
  run_vea          run the vea binary ($VEA) with a timeout -> (rc, out, err).
  TAP              a tiny TAP emitter: one line per test case.
  corpus_messages  real messages from $VEA_SHARED/corpus/spamassassin.tar.xz.
  make_message     build a small RFC 5322 message.

Command line (for the demo script):
  veatest.py dovecot-start DIR USER:PASS...   prints the port; leaves it running
  veatest.py dovecot-stop DIR
  veatest.py add-user DIR USER:PASS...
  veatest.py append DIR USER MAILBOX FILE...
  veatest.py dump DIR USER                    mailbox, flags, subject; sorted

Environment: VEA (the binary), VEA_SRCDIR (repo root), VEA_SHARED (../shared),
VEA_KEEP_TMP=1 keeps temp dirs for post-mortems.
"""

import atexit
import base64
import ctypes
import email.header
import email.parser
import email.policy
import email.utils
import hashlib
import imaplib
import os
import pwd
import grp
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import traceback

DOVECOT = os.environ.get("VEA_DOVECOT", "/usr/sbin/dovecot")
HERE = os.path.dirname(os.path.abspath(__file__))

# Dovecot makes unix sockets under base_dir: sun_path holds 108 bytes.
_MAX_BASE_DIR = 80


class HarnessError(Exception):
    """The test environment (not vea) failed: Dovecot, corpus, files."""


class Skip(Exception):
    """Raised inside a TAP case: report it as skipped, with the reason."""


class VeaMissing(HarnessError):
    pass


# ---------------------------------------------------------------- paths

def srcdir():
    """The repository root."""
    d = os.environ.get("VEA_SRCDIR")
    if d:
        return os.path.abspath(d)
    return os.path.abspath(os.path.join(HERE, "..", ".."))


def shared_dir():
    """../shared (may not exist: tests that need it SKIP)."""
    d = os.environ.get("VEA_SHARED")
    if d:
        return os.path.abspath(d)
    return os.path.abspath(os.path.join(srcdir(), "..", "shared"))


def vea_binary():
    """The vea binary, from $VEA (else <srcdir>/vea).  Raises VeaMissing."""
    path = os.environ.get("VEA") or os.path.join(srcdir(), "vea")
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise VeaMissing("vea binary not found or not executable: %s "
                         "(set VEA=/path/to/vea or build it)" % path)
    return path


def keep_tmp():
    return os.environ.get("VEA_KEEP_TMP", "") not in ("", "0")


def mkdtemp(prefix="vea-test-"):
    """A temp dir under /tmp that Dovecot's unprivileged users can traverse."""
    d = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(d, 0o755)
    return d


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on (right now)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def closed_port():
    """A port where a connection is refused (for "server down" tests)."""
    return free_port()


# ------------------------------------------------------ cleanup registry

_live = []                  # running Dovecot instances we own
_handlers_installed = False


def _cleanup_all():
    for d in list(_live):
        try:
            d.stop()
        except Exception:
            pass


def _on_signal(signum, frame):
    _cleanup_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_handlers():
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_cleanup_all)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _on_signal)
        except ValueError:      # not the main thread
            pass


def _set_pdeathsig():
    # Runs in the child between fork and exec: the kernel sends SIGTERM to
    # the Dovecot master when this (Python) process dies, even by SIGKILL.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)       # PR_SET_PDEATHSIG
    except Exception:
        pass


def _next_second():
    time.sleep(1.02 - (time.time() % 1.0))


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie counts as dead.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return False


# ---------------------------------------------- IMAP names and quoting

def imap_quote(s):
    """A quoted IMAP string for imaplib (which quotes nothing itself)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mutf7_encode(s):
    """UTF-8 str -> IMAP modified UTF-7 (RFC 3501 section 5.1.3)."""
    out, buf = [], []

    def flush():
        if buf:
            b = "".join(buf).encode("utf-16-be")
            out.append("&" + base64.b64encode(b).decode().rstrip("=")
                       .replace("/", ",") + "-")
            buf.clear()
    for ch in s:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def mutf7_decode(s):
    """IMAP modified UTF-7 -> str (invalid sequences are left as they are)."""
    def dec(m):
        inner = m.group(1)
        if inner == "":
            return "&"
        b64 = inner.replace(",", "/")
        b64 += "=" * (-len(b64) % 4)
        try:
            return base64.b64decode(b64).decode("utf-16-be")
        except Exception:
            return m.group(0)
    return re.sub(r"&([A-Za-z0-9+,]*)-", dec, s)


_LIST_RE = re.compile(rb'^\((?P<flags>[^)]*)\) (?P<delim>NIL|"(?:[^"\\]|\\.)*") ?(?P<name>.*)$',
                      re.S)


def _unquote(b):
    b = b.strip()
    if b.startswith(b'"') and b.endswith(b'"'):
        b = re.sub(rb'\\(.)', rb'\1', b[1:-1])
    return b


def strip_from_line(data):
    """Drop a leading mbox "From " line."""
    if data.startswith(b"From "):
        nl = data.find(b"\n")
        data = data[nl + 1:] if nl >= 0 else b""
    return data


def to_crlf(data):
    return re.sub(rb"\r?\n", b"\r\n", data)


def decode_header(value):
    """A header value (str, possibly RFC 2047 encoded) -> plain str."""
    if value is None:
        return None
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except Exception:
        return str(value)


_hparser = email.parser.HeaderParser(policy=email.policy.compat32)


def parse_headers(data):
    """Headers of a message (bytes); raw 8-bit text is read as UTF-8."""
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    return _hparser.parsestr(data)


def message_digest(data):
    """SHA-256 of a message with line ends normalised (IMAP stores CRLF)."""
    return hashlib.sha256(to_crlf(strip_from_line(data))).hexdigest()


# ---------------------------------------------------------------- Dovecot

_CONF = """\
# Private test instance written by tests/harness/veatest.py
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = {ssl}
{ssl_files}disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={dir}/home/%u
}}
mail_location = maildir:~/Maildir{layout}
namespace inbox {{
  inbox = yes
  separator = {separator}
{mailboxes}}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""

_SPECIAL = {"Drafts": "\\Drafts", "Sent": "\\Sent", "Trash": "\\Trash",
            "Junk": "\\Junk", "Archive": "\\Archive"}


class Dovecot:
    """A private Dovecot on 127.0.0.1.

        with Dovecot() as d:
            d.add_user("dana@example.test", "secret")
            d.append("dana@example.test", "INBOX", data)
            d.messages("dana@example.test")

    dir: data directory (default: a new temp dir, removed on stop unless
    VEA_KEEP_TMP=1).  special: special-use mailboxes created and subscribed
    for every user (auto = subscribe); () for none.  foreground: run the
    master as our child (dies with us even on SIGKILL); False daemonises
    (the CLI uses that to leave it running).
    """

    def __init__(self, dir=None, special=("Drafts", "Sent", "Trash"),
                 foreground=True, ssl_cert=None, ssl_key=None, separator=".",
                 layout=None):
        self._own_dir = dir is None
        self.dir = os.path.abspath(dir) if dir else mkdtemp("vea-dovecot-")
        if len(self.dir) > _MAX_BASE_DIR:
            raise HarnessError("Dovecot dir too long for unix sockets: %s" % self.dir)
        self.special = tuple(special)
        self.foreground = foreground
        self.ssl_cert, self.ssl_key = ssl_cert, ssl_key
        self.users = {}
        self.port = None
        # The hierarchy separator clients see, and the Maildir layout on
        # disk (None: Maildir++, which keeps levels apart with '.'; "fs":
        # a directory per level).
        self.delimiter = separator
        self.layout = layout
        self._proc = None
        self._pid = None
        self._removed = False
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self._check_traversable()
        for sub in ("run", "state", "home"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        os.chown(os.path.join(self.dir, "home"),
                 pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)
        self._load_state()
        if not os.path.exists(self.users_file):
            self._write_users()

    # -- files

    @property
    def users_file(self):
        return os.path.join(self.dir, "users")

    @property
    def conf_file(self):
        return os.path.join(self.dir, "dovecot.conf")

    @property
    def log_file(self):
        return os.path.join(self.dir, "dovecot.log")

    @property
    def url(self):
        return "imap://127.0.0.1:%d" % self.port

    def _check_traversable(self):
        p = self.dir
        while p != "/":
            st = os.stat(p)
            if not st.st_mode & 0o001:
                raise HarnessError("Dovecot's users cannot enter %s (mode %o): "
                                   "use a dir under /tmp" % (p, st.st_mode & 0o777))
            p = os.path.dirname(p)

    def _load_state(self):
        # Users and port survive in DIR (the CLI attaches to a running one).
        try:
            with open(self.users_file) as f:
                for line in f:
                    m = re.match(r"^([^:]+):\{PLAIN\}(.*)$", line.rstrip("\n"))
                    if m:
                        self.users[m.group(1)] = m.group(2)
        except FileNotFoundError:
            pass
        try:
            with open(os.path.join(self.dir, "port")) as f:
                self.port = int(f.read().strip())
        except (FileNotFoundError, ValueError):
            pass

    def _write_users(self):
        tmp = self.users_file + ".tmp"
        with open(tmp, "w") as f:
            for u, p in self.users.items():
                f.write("%s:{PLAIN}%s\n" % (u, p))
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.users_file)   # new inode: Dovecot re-reads it

    def add_user(self, user, password):
        """Add (or change) a user; works before and after start()."""
        if ":" in user or "\n" in user + password:
            raise ValueError("bad user/password for passwd-file: %r" % user)
        self.users[user] = password
        running = self.running()
        if running:
            # Dovecot stats the passwd-file at most once a second and
            # compares mtime (seconds) and size: let a second pass before
            # and after the write so the next lookup sees the change.
            _next_second()
        self._write_users()
        if running:
            _next_second()
        return self

    def _write_conf(self):
        mboxes = "".join(
            "  mailbox %s {\n    special_use = %s\n    auto = subscribe\n  }\n"
            % (m, _SPECIAL.get(m, "")) if _SPECIAL.get(m) else
            "  mailbox %s {\n    auto = subscribe\n  }\n" % m
            for m in self.special)
        ssl_files = ""
        ssl = "no"
        if self.ssl_cert:
            ssl = "yes"
            ssl_files = "ssl_cert = <%s\nssl_key = <%s\n" % (self.ssl_cert, self.ssl_key)
        with open(self.conf_file, "w") as f:
            f.write(_CONF.format(dir=self.dir, port=self.port, ssl=ssl,
                                 separator=self.delimiter,
                                 layout=":LAYOUT=%s" % self.layout if self.layout else "",
                                 ssl_files=ssl_files, mailboxes=mboxes))
        with open(os.path.join(self.dir, "port"), "w") as f:
            f.write("%d\n" % self.port)

    # -- process

    def running(self):
        return self._pid is not None and _pid_alive(self._pid)

    def log_tail(self, n=30):
        try:
            with open(self.log_file, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no dovecot.log)"

    def start(self, timeout=30):
        """Start (or restart after stop_server) and wait for the greeting."""
        if self.running():
            return self
        _install_handlers()
        keep_port = self.port is not None
        last = None
        for attempt in range(8):
            if not keep_port or attempt >= 4:
                self.port = free_port()
            self._write_conf()
            try:
                self._spawn(timeout)
                return self
            except HarnessError as e:
                last = e
                self._kill()
                if "in use" not in str(e):
                    break
                time.sleep(0.2)
        raise last

    def _spawn(self, timeout):
        log_start = os.path.getsize(self.log_file) if os.path.exists(self.log_file) else 0
        pidfile = os.path.join(self.dir, "run", "master.pid")
        try:
            os.unlink(pidfile)
        except FileNotFoundError:
            pass
        if self.foreground:
            self._proc = subprocess.Popen(
                [DOVECOT, "-F", "-c", self.conf_file],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=open(os.path.join(self.dir, "master.stderr"), "ab"),
                preexec_fn=_set_pdeathsig, close_fds=True)
            self._pid = self._proc.pid
        else:
            # No pipes: the daemon would keep them open for ever.
            errfile = os.path.join(self.dir, "master.stderr")
            with open(errfile, "ab") as err:
                r = subprocess.run([DOVECOT, "-c", self.conf_file],
                                   stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                   timeout=timeout)
            if r.returncode != 0:
                with open(errfile, errors="replace") as f:
                    raise HarnessError("dovecot failed to start (%d): %s%s"
                                       % (r.returncode, f.read()[-2000:], self.log_tail()))
        _live.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._pid is None and os.path.exists(pidfile):
                try:
                    with open(pidfile) as f:
                        self._pid = int(f.read().strip())
                except ValueError:
                    pass
            if self._proc is not None and self._proc.poll() is not None:
                break
            # Greeting before its pid file is read: wait for both (the
            # pid is what stop() signals).
            if self._pid is not None and self._greets():
                with open(os.path.join(self.dir, "master.pid"), "w") as f:
                    f.write("%d\n" % self._pid)
                return
            time.sleep(0.05)
        log = ""
        try:
            with open(self.log_file, errors="replace") as f:
                f.seek(log_start)
                log = f.read()
        except OSError:
            pass
        try:
            with open(os.path.join(self.dir, "master.stderr"), errors="replace") as f:
                log += f.read()
        except OSError:
            pass
        raise HarnessError("dovecot did not answer on 127.0.0.1:%d within %ds:\n%s"
                           % (self.port, timeout, log[-3000:]))

    def _greets(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.settimeout(2)
                return s.recv(100).startswith(b"* OK")
        except OSError:
            return False

    def _kill(self, timeout=10):
        pid = self._pid
        if pid is not None and _pid_alive(pid):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and _pid_alive(pid):
                if self._proc is not None:
                    try:
                        self._proc.wait(0.05)
                    except subprocess.TimeoutExpired:
                        pass
                else:
                    time.sleep(0.05)
            if _pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
        if self._proc is not None:
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
            if self._proc.stderr:
                self._proc.stderr.close()
        self._proc = None
        self._pid = None
        if self in _live:
            _live.remove(self)
        # The listening socket is gone when the master is; wait for it.
        if self.port:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and self._greets():
                time.sleep(0.05)

    def stop_server(self):
        """Stop the server, keep the data (start_server() brings it back)."""
        self._kill()
        return self

    def start_server(self, timeout=30):
        return self.start(timeout)

    def stop(self):
        """Stop the server and remove the temp dir we made."""
        self._kill()
        if self._own_dir and not keep_tmp() and not self._removed:
            shutil.rmtree(self.dir, ignore_errors=True)
            self._removed = True

    def detach(self):
        """Leave the server running after we exit (CLI dovecot-start)."""
        if self in _live:
            _live.remove(self)
        self._own_dir = False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    @classmethod
    def attach(cls, dir):
        """A handle on an instance started earlier in dir (by the CLI)."""
        d = cls(dir=dir, foreground=False)
        try:
            with open(os.path.join(d.dir, "master.pid")) as f:
                d._pid = int(f.read().strip())
        except (FileNotFoundError, ValueError):
            d._pid = None
        return d

    # -- IMAP

    def imap(self, user):
        """A logged-in imaplib.IMAP4 (use as a context manager)."""
        if user not in self.users:
            raise HarnessError("unknown user %s" % user)
        if not self.port:
            raise HarnessError("Dovecot not started")
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        try:
            c.login(user, self.users[user])
        except Exception:
            c.shutdown()
            raise
        return c

    @staticmethod
    def _check(typ, data, what):
        if typ != "OK":
            raise HarnessError("IMAP %s: %s %r" % (what, typ, data))
        return data

    def _list(self, c):
        typ, data = c.list('""', '"*"')
        self._check(typ, data, "LIST")
        out = []
        for item in data:
            if isinstance(item, tuple):          # name sent as a literal
                m = _LIST_RE.match(item[0].split(b"{")[0].rstrip() + b" ")
                name = item[1]
            elif item:
                m = _LIST_RE.match(item)
                name = _unquote(m.group("name")) if m else b""
            else:
                continue
            if m:
                flags = m.group("flags").decode().lower().split()
                out.append((mutf7_decode(name.decode("ascii", "replace")), flags))
        return out

    def mailboxes(self, user, selectable=True):
        """Every mailbox of user (decoded names, server delimiter), sorted."""
        with self.imap(user) as c:
            return sorted(n for n, fl in self._list(c)
                          if not (selectable and ("\\noselect" in fl or "\\nonexistent" in fl)))

    def server_name(self, mailbox):
        """A name as rules write it ("Clients/Acme") -> the server's
        ("Clients.Acme").  Harness methods accept either."""
        return mailbox.replace("/", self.delimiter)

    def create(self, user, mailbox):
        with self.imap(user) as c:
            c.create(imap_quote(mutf7_encode(self.server_name(mailbox))))

    def append(self, user, mailbox, data, flags=(), create=True, date=None):
        """APPEND data (bytes; a leading mbox From line is dropped) and
        return its UID (APPENDUID) or None."""
        data = to_crlf(strip_from_line(data))
        name = imap_quote(mutf7_encode(self.server_name(mailbox)))
        with self.imap(user) as c:
            if create and mailbox.upper() != "INBOX":
                c.create(name)                  # "already exists" is fine
            fl = "(" + " ".join(flags) + ")" if flags else None
            typ, resp = c.append(name, fl, date, data)
            self._check(typ, resp, "APPEND %s" % mailbox)
            m = re.search(rb"APPENDUID \d+ (\d+)", resp[0] or b"")
            return int(m.group(1)) if m else None

    def append_many(self, user, mailbox, messages, create=True):
        """APPEND a list of bytes (or (bytes, flags)) over one connection."""
        name = imap_quote(mutf7_encode(self.server_name(mailbox)))
        with self.imap(user) as c:
            if create and mailbox.upper() != "INBOX":
                c.create(name)
            for m in messages:
                flags = ()
                if isinstance(m, tuple):
                    m, flags = m
                fl = "(" + " ".join(flags) + ")" if flags else None
                typ, resp = c.append(name, fl, None, to_crlf(strip_from_line(m)))
                self._check(typ, resp, "APPEND %s" % mailbox)

    def messages(self, user, body=False):
        """Every message of user across ALL mailboxes, as dicts:
        mailbox (decoded server name, e.g. "Clients.Acme"), uid,
        flags (set, without \\Recent), message_id, subject (decoded), from,
        and with body=True also digest (sha256 of the CRLF message) and data.
        Sorted by (mailbox, uid)."""
        out = []
        what = "BODY.PEEK[]" if body else \
            "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT FROM)]"
        with self.imap(user) as c:
            for name, fl in self._list(c):
                if "\\noselect" in fl or "\\nonexistent" in fl:
                    continue
                typ, data = c.select(imap_quote(mutf7_encode(name)), readonly=True)
                self._check(typ, data, "EXAMINE %s" % name)
                if int(data[0] or 0) == 0:
                    continue
                typ, data = c.uid("FETCH", "1:*", "(UID FLAGS %s)" % what)
                self._check(typ, data, "UID FETCH in %s" % name)
                for i, item in enumerate(data):
                    if not isinstance(item, tuple):
                        continue
                    meta, raw = item[0], item[1]
                    tail = data[i + 1] if i + 1 < len(data) and isinstance(data[i + 1], bytes) else b""
                    um = re.search(rb"UID (\d+)", meta) or re.search(rb"UID (\d+)", tail)
                    fm = re.search(rb"FLAGS \(([^)]*)\)", meta) or re.search(rb"FLAGS \(([^)]*)\)", tail)
                    flags = set(fm.group(1).decode().split()) if fm else set()
                    flags.discard("\\Recent")
                    h = parse_headers(raw)
                    d = {"mailbox": name, "uid": int(um.group(1)) if um else None,
                         "flags": flags,
                         "message_id": (h.get("Message-ID") or "").strip() or None,
                         "subject": decode_header(h.get("Subject")),
                         "from": decode_header(h.get("From"))}
                    if body:
                        d["digest"] = hashlib.sha256(raw).hexdigest()
                        d["data"] = raw
                    out.append(d)
            c.logout()
        out.sort(key=lambda d: (d["mailbox"], d["uid"] or 0))
        return out

    def snapshot(self, user):
        """Sorted [(mailbox, uid, flags, digest)]: equal snapshots mean
        nothing moved, changed flags, appeared or vanished."""
        return [(m["mailbox"], m["uid"], tuple(sorted(m["flags"])), m["digest"])
                for m in self.messages(user, body=True)]

    def dump(self, user):
        """Lines "mailbox<TAB>flags<TAB>subject", sorted (for humans, demo)."""
        lines = []
        for m in self.messages(user):
            lines.append("%s\t%s\t%s" % (m["mailbox"], " ".join(sorted(m["flags"])) or "-",
                                         m["subject"] or ""))
        return sorted(lines)


# ---------------------------------------------------------- vea.conf

class ImapProxy:
    """Forwards 127.0.0.1:port to a Dovecot. Records every line the client
    sends (self.sent, bytes); once armed, closes both sides as soon as the
    client's bytes contain `cut_on` (not forwarded)."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.cut_on = None
        self.before = None
        self.cuts = 0
        self.sent = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, pattern, before=None):
        """Cut at pattern; or, with before, call before() there and then
        let the bytes through (another client acting at that moment)."""
        with self.lock:
            self.cut_on = pattern
            self.before = before

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src, dst, from_client):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_client:
                    with self.lock:
                        self.sent.extend(data.splitlines())
                        cut = self.cut_on is not None and self.cut_on in data
                        before = self.before if cut else None
                        if cut:
                            self.cut_on = self.before = None
                            self.cuts += 1
                    if before is not None:
                        before()
                    elif cut:
                        break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        self.sock.close()


    def commands(self, name):
        """How many client lines so far are the command `name` (e.g.
        b"UID FETCH"), whatever their tag."""
        with self.lock:
            return sum(1 for line in self.sent
                       if line.split(b" ", 1)[-1].upper().startswith(name.upper()))


def _kv(v):
    """A GKeyFile value: lists joined by ';', escapes for \\ and newlines."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return ";".join(str(x).replace("\\", "\\\\").replace(";", "\\;") for x in v)
    s = str(v).replace("\\", "\\\\").replace("\n", "\\n")
    if s.startswith(" "):
        s = "\\s" + s[1:]
    return s


class Config:
    """What write_config wrote: path, secret files, and the line of every
    section header and key (lines[(section, key)], key None = header)."""

    def __init__(self, path):
        self.path = path
        self.dir = os.path.dirname(path)
        self.lines = {}
        self.secrets = {}
        self.db = None

    def line(self, section, key=None):
        return self.lines[(section, key)]


def write_config(path, dovecot=None, clients=None, accounts=None, billing=None,
                 db="vea.db", rules_dir=None, poll_interval=None, extra=""):
    """Write a vea.conf (see vea.conf(5)) and return a Config.

    clients:  {id: {"name":..., "email":..., "timezone":..., "rules": [..],
                    "billing": ...}}
    accounts: {id: {"client": ..., "user": ..., "password": ...,
                    optional "url", "tls" (default "none"), "mailboxes",
                    "trash", "create_mailboxes", "password_cmd", ...}}
              url defaults to the dovecot's; the password goes to
              <confdir>/secrets/<id>.pw and password_cmd = cat <that file>.
    billing:  {id: {"client": ..., "rate": ..., "currency": ...}}
    Any other key in a dict is written as is; a value of None drops the key.
    extra: raw text appended (for broken-config tests).
    """
    path = os.path.abspath(path)
    cfg = Config(path)
    confdir = cfg.dir
    os.makedirs(confdir, exist_ok=True)
    out = []

    def section(name, items):
        if out:
            out.append("")
        out.append("[%s]" % name)
        cfg.lines[(name, None)] = len(out)
        for k, v in items:
            if v is None:
                continue
            out.append("%s = %s" % (k, _kv(v)))
            cfg.lines[(name, k)] = len(out)

    vea = [("database", db), ("rules_dir", rules_dir), ("poll_interval", poll_interval)]
    section("vea", vea)
    if db:
        cfg.db = db if os.path.isabs(db) else os.path.join(confdir, db)
    for cid, c in (clients or {}).items():
        c = dict(c)
        items = [(k, c.pop(k, None)) for k in ("name", "email", "timezone", "rules", "billing")]
        items += list(c.items())
        section("client:%s" % cid, items)
    for aid, a in (accounts or {}).items():
        a = dict(a)
        password = a.pop("password", None)
        if "password_cmd" not in a and password is not None:
            sdir = os.path.join(confdir, "secrets")
            os.makedirs(sdir, exist_ok=True)
            os.chmod(sdir, 0o700)
            sfile = os.path.join(sdir, "%s.pw" % aid)
            fd = os.open(sfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(password + "\n")
            cfg.secrets[aid] = sfile
            a["password_cmd"] = "cat %s" % sfile
        if "url" not in a and dovecot is not None:
            a["url"] = dovecot.url
        a.setdefault("tls", "none")
        items = [(k, a.pop(k, None)) for k in ("client", "url", "user", "password_cmd", "tls")]
        items += list(a.items())
        section("account:%s" % aid, items)
    for bid, b in (billing or {}).items():
        b = dict(b)
        items = [(k, b.pop(k, None)) for k in ("client", "rate", "currency")]
        items += list(b.items())
        section("billing:%s" % bid, items)
    text = "\n".join(out) + "\n"
    if extra:
        text += "\n" + extra
    with open(path, "w") as f:
        f.write(text)
    return cfg


# ------------------------------------------------------------- running vea

def run_vea(args, config=None, check=None, timeout=60, env=None, input=None):
    """Run vea [-c config] args... -> (rc, stdout, stderr) as str.

    check: None (any status), True (must be 0) or an int (must be that);
    a mismatch raises AssertionError with both outputs.  A timeout kills
    vea and raises AssertionError.  $VEA missing raises VeaMissing."""
    cmd = [vea_binary()]
    if config is not None:
        cmd += ["-c", getattr(config, "path", config)]
    cmd += list(args)
    e = dict(os.environ)
    e.pop("VEA_CONFIG", None)
    e.setdefault("LC_ALL", "C.UTF-8")
    if env:
        e.update(env)
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=timeout, env=e,
                           input=input.encode() if isinstance(input, str) else input,
                           stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as ex:
        raise AssertionError("vea timed out after %ss: %s\nstdout: %s\nstderr: %s"
                             % (timeout, " ".join(cmd),
                                (ex.stdout or b"").decode(errors="replace")[-2000:],
                                (ex.stderr or b"").decode(errors="replace")[-2000:]))
    out = r.stdout.decode(errors="replace")
    err = r.stderr.decode(errors="replace")
    want = 0 if check is True else check
    if want is not None and want is not False and r.returncode != want:
        raise AssertionError("`%s` exited %d, expected %d\nstderr:\n%s\nstdout:\n%s"
                             % (" ".join(cmd[1:]), r.returncode, want,
                                err[-3000:], out[-3000:]))
    return r.returncode, out, err


def calendar_tool():
    """tests/integration/calendar-tool (built by make check), or None."""
    path = os.path.join(os.environ.get("VEA_BUILDDIR") or srcdir(), "calendar-tool")
    return path if os.access(path, os.X_OK) else None


def ical_parse(text):
    """iCalendar text as libical reads it (calendar-tool parse): {"method":
    ..., "events": [{"uid", "sequence", "recurrence_id", "start", "end"
    (Unix seconds or None), "transp", "status", "rrule", "attendees":
    {"mailto:...": PARTSTAT}}]}."""
    tool = calendar_tool()
    if tool is None:
        raise HarnessError("calendar-tool is not built (make check builds it)")
    fd, path = tempfile.mkstemp(suffix=".ics")
    try:
        with os.fdopen(fd, "w", newline="") as f:
            f.write(text)
        out = subprocess.run([tool, "parse", path], capture_output=True, text=True, timeout=30)
    finally:
        os.unlink(path)
    got = _json.loads(out.stdout)
    if not got.get("ok"):
        raise AssertionError("libical could not read it: %r\n%s" % (got, text))
    return got


def http_request(method, url, user, password, body=None, headers=None, timeout=60):
    """An HTTP request with Basic authentication (the CalDAV servers the
    tests start): (status, headers dict, body bytes); HTTP errors are
    answers too."""
    import urllib.error
    import urllib.request
    h = {"Authorization": "Basic " + base64.b64encode(
        ("%s:%s" % (user, password)).encode()).decode()}
    h.update(headers or {})
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def db_query(path, sql, params=()):
    """Rows (as dicts) from vea's SQLite database."""
    if not os.path.exists(path):
        raise AssertionError("database %s does not exist" % path)
    con = sqlite3.connect(path, timeout=10)
    try:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute(sql, params)]
    finally:
        con.close()


def db_count(path, table):
    """Row count of table; 0 when the db or the table does not exist."""
    if not os.path.exists(path):
        return 0
    try:
        return db_query(path, "SELECT count(*) AS n FROM %s" % table)[0]["n"]
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return 0
        raise


# ---------------------------------------------------------------- messages

_seq = [0]


def make_message(subject, frm="sender@example.test", to="dana@example.test",
                 body="Hello.\n", message_id=True, date=None, headers=()):
    """A small message as CRLF bytes.  message_id: True (generated), a str,
    or None/False (no Message-ID header).  headers: extra (name, value)."""
    _seq[0] += 1
    lines = []
    lines.append("From: %s" % frm)
    lines.append("To: %s" % to)
    lines.append("Subject: %s" % subject)
    lines.append("Date: %s" % (date or email.utils.formatdate(
        1700000000 + _seq[0] * 60, localtime=False)))
    if message_id is True:
        message_id = "<vea-test-%d-%d@example.test>" % (os.getpid(), _seq[0])
    if message_id:
        lines.append("Message-ID: %s" % message_id)
    for k, v in headers:
        lines.append("%s: %s" % (k, v))
    lines.append("MIME-Version: 1.0")
    lines.append("Content-Type: text/plain; charset=utf-8")
    lines.append("Content-Transfer-Encoding: 8bit")
    text = "\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")
    return text.encode("utf-8")


_SUBSETS = {"easy_ham": "easy-ham-", "easy-ham": "easy-ham-",
            "hard_ham": "hard-ham-", "hard-ham": "hard-ham-",
            "spam": "spam-", "ham": "-ham-"}


def corpus_path():
    return os.path.join(shared_dir(), "corpus", "spamassassin.tar.xz")


def have_corpus():
    return os.path.isfile(corpus_path())


def corpus_messages(n, subset="easy_ham", with_names=False):
    """The first n messages (archive order: deterministic) of a subset of the
    SpamAssassin corpus: "easy_ham" (easy-ham-1 and -2), "hard_ham", "spam",
    "ham", or a folder name such as "easy-ham-1".  The mbox From line is
    stripped.  Raises Skip when ../shared is absent."""
    path = corpus_path()
    if not os.path.isfile(path):
        raise Skip("corpus not available (%s)" % path)
    key = _SUBSETS.get(subset)
    out = []
    with tarfile.open(path, "r:xz") as tf:
        for ti in tf:
            if len(out) >= n:
                break
            if not ti.isfile() or not ti.name.endswith(".eml"):
                continue
            folder = ti.name.split("/")[-2] if "/" in ti.name else ""
            if key is None:
                if folder != subset:
                    continue
            elif key == "-ham-":
                if "-ham-" not in "-" + folder:
                    continue
            elif not folder.startswith(key):
                continue
            data = strip_from_line(tf.extractfile(ti).read())
            out.append((ti.name, data) if with_names else data)
    if len(out) < n:
        raise HarnessError("corpus subset %s has only %d messages" % (subset, len(out)))
    return out


# ---------------------------------------------------------------- TAP

class _Case:
    def __init__(self, tap, desc):
        self.tap, self.desc = tap, desc

    def __enter__(self):
        return self

    def __exit__(self, typ, val, tb):
        if typ is None:
            self.tap.ok(True, self.desc)
        elif issubclass(typ, Skip):
            self.tap.skip(self.desc, str(val))
        elif issubclass(typ, (KeyboardInterrupt, SystemExit)):
            return False
        elif issubclass(typ, VeaMissing):
            self.tap.ok(False, self.desc, str(val))
        elif issubclass(typ, AssertionError):
            self.tap.ok(False, self.desc, str(val) or "assertion failed:\n" +
                        "".join(traceback.format_exception(typ, val, tb)[-2:]))
        else:
            self.tap.ok(False, self.desc, "".join(
                traceback.format_exception(typ, val, tb)))
        return True


class TAP:
    """A tiny TAP producer.

        t = TAP()
        with t.case("vea run exits 0"):
            assert ...           # AssertionError / any exception -> not ok
            raise Skip("why")    # -> ok N # SKIP why
        t.ok(cond, "desc", diag="shown when not ok")
        sys.exit(t.done())       # prints the plan; 0 iff nothing failed

    The plan is printed at the end (trailing plan), so a crash shows up as a
    missing plan in the automake driver.  timeout: a watchdog (SIGALRM) that
    bails out instead of hanging.
    """

    def __init__(self, timeout=None, out=None):
        self.n = 0
        self.failed = 0
        self.out = out or sys.stdout
        self.results = {}
        if timeout:
            signal.signal(signal.SIGALRM, self._timeout)
            signal.alarm(int(timeout))

    def _timeout(self, signum, frame):
        self.bail("test file exceeded its time limit")

    def _emit(self, line):
        self.out.write(line + "\n")
        self.out.flush()

    def diag(self, text):
        for line in str(text).rstrip("\n").split("\n"):
            self._emit("# " + line)

    def ok(self, cond, desc, diag=None):
        self.n += 1
        desc = desc.replace("#", "\\#").replace("\n", " ")
        self._emit("%s %d - %s" % ("ok" if cond else "not ok", self.n, desc))
        if not cond:
            self.failed += 1
            if diag:
                self.diag(diag)
        self.results[desc] = bool(cond)
        return bool(cond)

    def todo(self, cond, desc, reason, diag=None):
        """A known gap, listed with its reason: "not ok ... # TODO" is an
        expected failure (XFAIL); "ok ... # TODO" (XPASS) fails the suite,
        so a fixed gap must leave the list."""
        self.n += 1
        desc = desc.replace("#", "\\#").replace("\n", " ")
        reason = str(reason).replace("\n", " ")
        self._emit("%s %d - %s # TODO %s" % ("ok" if cond else "not ok", self.n, desc, reason))
        if not cond and diag:
            self.diag(diag)
        self.results[desc] = bool(cond)
        return bool(cond)

    def skip(self, desc, reason):
        self.n += 1
        self._emit("ok %d - %s # SKIP %s" % (self.n, desc.replace("#", "\\#"),
                                              str(reason).replace("\n", " ")))
        self.results[desc] = None

    def case(self, desc):
        return _Case(self, desc)

    def bail(self, reason):
        self._emit("Bail out! %s" % reason)
        _cleanup_all()
        os._exit(1)

    def done(self):
        self._emit("1..%d" % self.n)
        signal.alarm(0)
        return 1 if self.failed else 0


def by_digest(msgs):
    """{digest: [message dict, ...]} from messages(user, body=True)."""
    out = {}
    for m in msgs:
        out.setdefault(m["digest"], []).append(m)
    return out


def multiset(items):
    out = {}
    for i in items:
        out[i] = out.get(i, 0) + 1
    return out


def multiset_diff(before, after):
    """Human-readable difference of two multisets (dicts item -> count)."""
    lines = []
    for k in sorted(set(before) | set(after), key=str):
        b, a = before.get(k, 0), after.get(k, 0)
        if a != b:
            lines.append("  %s: before %d, after %d" % (k, b, a))
    return "\n".join(lines)


def main(fn):
    """Run a test file's main(): harness failures (Dovecot would not start,
    ...) become a TAP "Bail out!" instead of a bare traceback."""
    try:
        rc = fn()
    except HarnessError as e:
        sys.stdout.write("Bail out! harness: %s\n" % str(e).replace("\n", " | ")[:2000])
        sys.stdout.flush()
        _cleanup_all()
        rc = 1
    sys.exit(rc)


def assert_eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s\n  got:  %r\n  want: %r" % (what or "values differ", got, want))


# ---------------------------------------------------------------- CLI

def _cli(argv):
    usage = __doc__.split("Command line (for the demo script):\n", 1)[1].split("\n\n", 1)[0]
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        sys.stdout.write("usage:\n" + usage + "\n")
        return 0 if len(argv) >= 2 else 2
    cmd, args = argv[1], argv[2:]

    def userpass(list_):
        for up in list_:
            if ":" not in up:
                raise HarnessError("expected USER:PASS, got %r" % up)
            yield up.split(":", 1)
    try:
        if cmd == "dovecot-start" and len(args) >= 1:
            d = Dovecot(dir=args[0], foreground=False)
            if os.path.exists(os.path.join(d.dir, "master.pid")):
                a = Dovecot.attach(args[0])
                if a.running():
                    raise HarnessError("a Dovecot already runs in %s (pid %d)" % (a.dir, a._pid))
            for u, p in userpass(args[1:]):
                d.add_user(u, p)
            d.start()
            d.detach()
            print(d.port)
            return 0
        if cmd == "dovecot-stop" and len(args) == 1:
            d = Dovecot.attach(args[0])
            d.stop_server()
            try:
                os.unlink(os.path.join(d.dir, "master.pid"))
            except FileNotFoundError:
                pass
            return 0
        if cmd == "add-user" and len(args) >= 2:
            d = Dovecot.attach(args[0])
            for u, p in userpass(args[1:]):
                d.add_user(u, p)
            return 0
        if cmd == "append" and len(args) >= 4:
            d = Dovecot.attach(args[0])
            for fn in args[3:]:
                with open(fn, "rb") as f:
                    d.append(args[1], args[2], f.read())
            return 0
        if cmd == "dump" and len(args) == 2:
            d = Dovecot.attach(args[0])
            for line in d.dump(args[1]):
                print(line)
            return 0
        if cmd == "port" and len(args) == 1:
            print(Dovecot.attach(args[0]).port)
            return 0
    except (HarnessError, OSError, imaplib.IMAP4.error) as e:
        sys.stderr.write("veatest: %s: %s\n" % (cmd, e))
        return 1
    sys.stderr.write("usage:\n" + usage + "\n")
    return 2


if __name__ == "__main__":
    sys.exit(_cli(sys.argv))


# ------------------------------------------- additions: agent and TLS tests
# (tests/integration/test_agent.py, test_tls.py)

import json as _json
import random as _random
import ssl as _ssl

_vea_output_log = []        # every byte any VeaProcess / run_vea_logged saw


def wait_until(pred, timeout, interval=0.05):
    """Call pred() until it returns a true value or timeout seconds pass;
    returns the last value (exceptions count as false)."""
    deadline = time.monotonic() + timeout
    val = None
    while True:
        try:
            val = pred()
        except Exception:
            val = None
        if val or time.monotonic() >= deadline:
            return val
        time.sleep(interval)


def run_vea_logged(args, config=None, **kw):
    """run_vea, and keep stdout and stderr for vea_outputs()."""
    rc, out, err = run_vea(args, config, **kw)
    _vea_output_log.append(out.encode("utf-8", "surrogateescape"))
    _vea_output_log.append(err.encode("utf-8", "surrogateescape"))
    return rc, out, err


def vea_outputs():
    """Everything run_vea_logged and VeaProcess captured (bytes list)."""
    out = list(_vea_output_log)
    return out


class VeaProcess:
    """`vea -c CONFIG ARGS...` in the background, stdout/stderr to files.
    Registered with the harness cleanup (atexit, signals, Bail out), and
    gets SIGTERM from the kernel if this process dies."""

    def __init__(self, args, config, dir=None, env=None):
        self.dir = dir or mkdtemp("vea-proc-")
        self.cmd = [vea_binary(), "-c", getattr(config, "path", config)] + list(args)
        n = len([f for f in os.listdir(self.dir) if f.startswith("vea-out-")])
        self.out_path = os.path.join(self.dir, "vea-out-%d.txt" % n)
        self.err_path = os.path.join(self.dir, "vea-err-%d.txt" % n)
        e = dict(os.environ)
        e.pop("VEA_CONFIG", None)
        e.setdefault("LC_ALL", "C.UTF-8")
        if env:
            e.update(env)
        _install_handlers()
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=self._err,
                                     env=e, preexec_fn=_set_pdeathsig, close_fds=True)
        self.pid = self.proc.pid
        self.started = time.monotonic()
        self._collected = False
        _live.append(self)

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def kill9(self):
        """SIGKILL; returns True when it was still running."""
        was = self.alive()
        if was:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                was = False
        self.proc.wait()
        self._finish()
        return was

    def wait(self, timeout):
        """Exit status, or None on timeout (still running)."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._finish()
        return rc

    def _read(self, path):
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError:
            return b""

    def stdout(self):
        return self._read(self.out_path).decode(errors="replace")

    def stderr(self):
        return self._read(self.err_path).decode(errors="replace")

    def _finish(self):
        if self._collected:
            return
        self._collected = True
        for f in (self._out, self._err):
            try:
                f.close()
            except Exception:
                pass
        _vea_output_log.append(self._read(self.out_path))
        _vea_output_log.append(self._read(self.err_path))
        if self in _live:
            _live.remove(self)

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL after timeout; returns the exit status."""
        if self.alive():
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
        else:
            self.proc.wait()
        self._finish()
        return self.proc.returncode


def vea_status(config):
    """`vea status --json` -> {account: dict} (empty on any failure)."""
    rc, out, err = run_vea_logged(["status", "--json"], config, timeout=30)
    res = {}
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                o = _json.loads(line)
            except ValueError:
                continue
            # vea status also prints each client's outbox ({"outbox": ...}).
            if "account" in o:
                res[o["account"]] = o
    return res


def doveadm(dovecot, args, check=True):
    """Run doveadm against a harness Dovecot -> (rc, output)."""
    r = subprocess.run(["doveadm", "-c", dovecot.conf_file] + list(args),
                       capture_output=True, timeout=60)
    out = (r.stdout + r.stderr).decode(errors="replace")
    if check and r.returncode != 0:
        raise HarnessError("doveadm %s: exit %d: %s" % (" ".join(args), r.returncode, out))
    return r.returncode, out


def sync_point(db, account, mailbox="INBOX"):
    """How far vea has read mailbox of account (0 when not yet, or when
    the database is not there or not yet migrated)."""
    if not os.path.exists(db):
        return 0
    try:
        rows = db_query(db, "SELECT last_uid FROM mailbox_state WHERE account = ? "
                        "AND mailbox = ?", (account, mailbox))
    except Exception:
        return 0
    return rows[0]["last_uid"] if rows else 0


def rebuild_mailbox(dovecot, user, mailbox="INBOX", extra=()):
    """Empty mailbox and fill it again with the same messages and flags
    (then the messages in extra) under a new UIDVALIDITY, as a server does
    when it rebuilds its index. Returns (old, new) UIDVALIDITY."""
    with dovecot.imap(user) as c:
        c.select(mailbox)
        typ, data = c.status(mailbox, "(UIDVALIDITY)")
        old_v = int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))
        typ, data = c.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
        kept = []
        for item in data:
            if isinstance(item, tuple):
                fm = re.search(rb"FLAGS \(([^)]*)\)", item[0])
                fl = tuple(f for f in (fm.group(1).decode().split() if fm else [])
                           if f != "\\Recent")
                kept.append((item[1], fl))
        c.uid("STORE", "1:*", "+FLAGS.SILENT", "(\\Deleted)")
        c.expunge()
        c.logout()
    doveadm(dovecot, ["mailbox", "update", "-u", user, "--uid-validity", str(old_v + 1000),
                      mailbox])
    dovecot.append_many(user, mailbox, kept + list(extra))
    with dovecot.imap(user) as c:
        typ, data = c.status(mailbox, "(UIDVALIDITY)")
        new_v = int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))
        c.logout()
    return old_v, new_v


def imap_find(dovecot, user, message_id):
    """[(mailbox, flags set)] of every message with that Message-ID
    (one connection; quicker than messages() for polling)."""
    out = []
    with dovecot.imap(user) as c:
        for name, fl in dovecot._list(c):
            if "\\noselect" in fl or "\\nonexistent" in fl:
                continue
            typ, data = c.select(imap_quote(mutf7_encode(name)), readonly=True)
            if typ != "OK" or int(data[0] or 0) == 0:
                continue
            typ, data = c.uid("SEARCH", None, "HEADER", "Message-ID", imap_quote(message_id))
            uids = (data[0] or b"").split() if typ == "OK" else []
            for u in uids:
                typ, fd = c.uid("FETCH", u.decode(), "(FLAGS)")
                flags = set()
                for item in fd:
                    b = item[0] if isinstance(item, tuple) else item
                    m = re.search(rb"FLAGS \(([^)]*)\)", b or b"")
                    if m:
                        flags = set(m.group(1).decode().split())
                flags.discard("\\Recent")
                out.append((name, flags))
        c.logout()
    return sorted(out, key=lambda x: x[0])


def make_tls_certificates(dir):
    """A private CA (ca.pem), a server certificate for IP 127.0.0.1
    (server.pem/.key) and one for DNS other.test (other.pem/.key), made with
    the openssl CLI in dir (as tests/unit/test-imap.c does)."""
    def run(*cmd):
        r = subprocess.run(list(cmd), cwd=dir, capture_output=True, timeout=60)
        if r.returncode != 0:
            raise HarnessError("%s: %s" % (" ".join(cmd), r.stderr.decode(errors="replace")))
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key",
        "-out", "ca.pem", "-days", "2", "-subj", "/CN=vea test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
        "keyUsage=critical,keyCertSign,cRLSign")
    for name, san in (("server", "IP:127.0.0.1"), ("other", "DNS:other.test")):
        with open(os.path.join(dir, name + ".ext"), "w") as f:
            f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n"
                    "basicConstraints=CA:FALSE\n" % san)
        run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + san[3:])
        run("openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext")
    for name in ("ca", "server", "other"):
        for ext in (".pem", ".key"):
            os.chmod(os.path.join(dir, name + ext), 0o644)
    return {k: os.path.join(dir, k + ".pem") for k in ("ca", "server", "other")}


class TlsDovecot(Dovecot):
    """A Dovecot with TLS: ssl = required (or ssl_mode), the plain port
    offering STARTTLS and an imaps port, both on 127.0.0.1 and 127.0.0.2;
    127.0.0.1 shows a certificate for IP 127.0.0.1, 127.0.0.2 one for
    other.test, both signed by a private CA (self.ca_file).  The harness
    IMAP helpers use STARTTLS with that CA."""

    def __init__(self, ssl_mode="required", **kw):
        Dovecot.__init__(self, **kw)
        self.ssl_mode = ssl_mode
        tls_dir = os.path.join(self.dir, "tls")
        os.makedirs(tls_dir, exist_ok=True)
        os.chmod(tls_dir, 0o755)
        self.certs = make_tls_certificates(tls_dir)
        self.ca_file = self.certs["ca"]
        self.port_imaps = None

    @property
    def imaps_url(self):
        return "imaps://127.0.0.1:%d" % self.port_imaps

    def _write_conf(self):
        if self.port_imaps is None:
            self.port_imaps = free_port()
        Dovecot._write_conf(self)
        with open(self.conf_file) as f:
            text = f.read()
        d = os.path.join(self.dir, "tls")
        text = text.replace("ssl = no\n", "ssl = %s\nssl_cert = <%s/server.pem\n"
                            "ssl_key = <%s/server.key\n" % (self.ssl_mode, d, d))
        text = text.replace("listen = 127.0.0.1\n", "listen = 127.0.0.1, 127.0.0.2\n")
        text = re.sub(r"service imap-login \{.*?\n\}\n",
                      "service imap-login {\n"
                      "  inet_listener imap {\n    address = 127.0.0.1, 127.0.0.2\n"
                      "    port = %d\n  }\n"
                      "  inet_listener imaps {\n    address = 127.0.0.1, 127.0.0.2\n"
                      "    port = %d\n    ssl = yes\n  }\n  chroot =\n}\n"
                      "local 127.0.0.2 {\n  ssl_cert = <%s/other.pem\n"
                      "  ssl_key = <%s/other.key\n}\n"
                      % (self.port, self.port_imaps, d, d), text, flags=re.S)
        with open(self.conf_file, "w") as f:
            f.write(text)

    def imap(self, user):
        if user not in self.users:
            raise HarnessError("unknown user %s" % user)
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        try:
            c.starttls(_ssl.create_default_context(cafile=self.ca_file))
            c.login(user, self.users[user])
        except Exception:
            c.shutdown()
            raise
        return c


def dovecot_log_size(dovecot):
    """Where dovecot.log ends now (for dovecot_log_since)."""
    try:
        return os.path.getsize(dovecot.log_file)
    except OSError:
        return 0


def dovecot_log_since(dovecot, offset):
    """dovecot.log from offset on."""
    try:
        with open(dovecot.log_file, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def append_fast(dovecot, user, mailbox, messages, batch=200):
    """APPEND many messages ((bytes, flags) or bytes) pipelined with
    LITERAL+ over one plain connection: much quicker than append_many.
    Returns how many were appended; raises HarnessError on a NO/BAD."""
    sock = socket.create_connection(("127.0.0.1", dovecot.port), timeout=60)
    buf = [b""]

    def read_line():
        while b"\r\n" not in buf[0]:
            chunk = sock.recv(65536)
            if not chunk:
                raise HarnessError("append_fast: connection closed")
            buf[0] += chunk
        line, buf[0] = buf[0].split(b"\r\n", 1)
        return line

    def wait_tag(tag):
        while True:
            line = read_line()
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise HarnessError("append_fast: %s" % line.decode(errors="replace"))
                return

    try:
        read_line()
        sock.sendall(b"L LOGIN %s %s\r\n" % (imap_quote(user).encode(),
                                             imap_quote(dovecot.users[user]).encode()))
        wait_tag(b"L")
        name = imap_quote(mutf7_encode(dovecot.server_name(mailbox))).encode()
        if mailbox.upper() != "INBOX":
            sock.sendall(b"C CREATE %s\r\n" % name)
            read_line()
        n = 0
        for start in range(0, len(messages), batch):
            out = []
            tags = []
            for m in messages[start:start + batch]:
                flags = ()
                if isinstance(m, tuple):
                    m, flags = m
                data = to_crlf(strip_from_line(m))
                tag = b"A%d" % n
                n += 1
                tags.append(tag)
                out.append(b"%s APPEND %s (%s) {%d+}\r\n%s\r\n" % (
                    tag, name, " ".join(flags).encode(), len(data), data))
            sock.sendall(b"".join(out))
            for tag in tags:
                wait_tag(tag)
        sock.sendall(b"Z LOGOUT\r\n")
        return n
    finally:
        sock.close()


def maildir_deliver(dovecot, user, messages):
    """Put messages ((bytes, flags) or bytes) straight into user's INBOX
    maildir (cur/, flags in the file name), in order: far quicker than
    APPEND for thousands of messages.  Dovecot gives them UIDs in file name
    order at its next look."""
    info = {"\\Seen": "S", "\\Flagged": "F", "\\Answered": "R", "\\Draft": "D",
            "\\Deleted": "T"}
    uid, gid = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    home = os.path.join(dovecot.dir, "home", user)
    md = os.path.join(home, "Maildir")
    for p in (home, md, md + "/cur", md + "/new", md + "/tmp"):
        if not os.path.isdir(p):
            os.mkdir(p, 0o700)
            os.chown(p, uid, gid)
    base = int(time.time()) - 10
    host = socket.gethostname().replace("/", "_").replace(":", "_")
    for i, m in enumerate(messages):
        flags = ()
        if isinstance(m, tuple):
            m, flags = m
        data = to_crlf(strip_from_line(m))
        letters = "".join(sorted(info[f] for f in flags if f in info))
        name = "%d.M%06dP%d.%s,S=%d:2,%s" % (base, i, os.getpid(), host, len(data), letters)
        path = os.path.join(md, "cur", name)
        with open(path, "wb") as f:
            f.write(data)
        os.chown(path, uid, gid)
        os.utime(path, (base + i // 1000, base + i // 1000))
    return len(messages)
