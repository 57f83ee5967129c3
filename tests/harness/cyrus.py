#!/usr/bin/python3
"""cyrus: a private Cyrus IMAP 3.6 httpd with CalDAV, for the tests of
implicit scheduling (RFC 6638): the only server Debian packages that sends
an attendee's iTIP REPLY itself when the attendee's PARTSTAT changes in
the calendar, and announces it (DAV: calendar-auto-schedule).

Debian 12's cyrus-common, cyrus-caldav and sasl2-bin (never the package
cyrus-imapd: it removes dovecot-imapd, which every other test needs).
Everything lives in one temp folder:
  - imapd.conf and cyrus.conf of its own; master runs one http service on
    127.0.0.1 on a free port and one lmtp service on a unix socket;
  - as an unprivileged user: when the test runs as root, master drops to
    the `cyrus` user the package created (the folder is chowned to it),
    otherwise it runs as the test's own user (cyrus_user);
  - a private sasldb (saslpasswd2 -f) with the users and their passwords;
  - defaultdomain example.test, so that user dana is the calendar user
    mailto:dana@example.test;
  - `sendmail:` is a script (it speaks SMTP on stdin for -bs, as Cyrus's
    smtpclient does) that writes every message Cyrus sends to
    outgoing/NNNN.eml: the test reads exactly what the server sent.
A user's INBOX is created by a delivery through lmtpd (autocreate_post);
Cyrus then provisions the calendar home (Default, Inbox, Outbox) at the
first CalDAV request.

Cyrus sends iMIP only for events in the future by the real wall clock
(not VEA_NOW): tests date their invitations by time.time().
"""

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

import veatest as vt

BIN = "/usr/lib/cyrus/bin"
SASLPASSWD = "/usr/sbin/saslpasswd2"
DOMAIN = "example.test"

SENDMAIL = r'''#!/usr/bin/python3
# Cyrus's sendmail: each message into OUT/NNNN.eml (with its envelope in
# NNNN.env). "-bs": SMTP on stdin/stdout; otherwise the message on stdin.
import os, sys, time
OUT = %r
def save(sender, rcpts, data):
    os.makedirs(OUT, exist_ok=True)
    n = len([f for f in os.listdir(OUT) if f.endswith(".eml")]) + 1
    base = os.path.join(OUT, "%%04d-%%d" %% (n, os.getpid()))
    with open(base + ".env", "w") as f:
        f.write("from %%s\n" %% sender)
        for r in rcpts:
            f.write("to %%s\n" %% r)
    with open(base + ".tmp", "wb") as f:
        f.write(data)
    os.rename(base + ".tmp", base + ".eml")
args = sys.argv[1:]
if "-bs" not in args:
    data = sys.stdin.buffer.read()
    save("", [a for a in args if not a.startswith("-")], data)
    sys.exit(0)
out = sys.stdout.buffer
inp = sys.stdin.buffer
def say(line):
    out.write(line.encode() + b"\r\n")
    out.flush()
say("220 vea-test sendmail")
sender, rcpts = "", []
while True:
    line = inp.readline()
    if not line:
        break
    cmd = line.decode("utf-8", "replace").strip()
    up = cmd.upper()
    if up.startswith("EHLO") or up.startswith("HELO"):
        say("250-vea-test")
        say("250 8BITMIME")
    elif up.startswith("MAIL FROM:"):
        sender, rcpts = cmd[10:].strip().split(" ")[0].strip("<>"), []
        say("250 ok")
    elif up.startswith("RCPT TO:"):
        rcpts.append(cmd[8:].strip().split(" ")[0].strip("<>"))
        say("250 ok")
    elif up == "DATA":
        say("354 go ahead")
        data = bytearray()
        while True:
            l = inp.readline()
            if not l or l.rstrip(b"\r\n") == b".":
                break
            if l.startswith(b".."):
                l = l[1:]
            data += l
        save(sender, rcpts, bytes(data))
        say("250 queued")
    elif up == "QUIT":
        say("221 bye")
        break
    elif up == "RSET":
        sender, rcpts = "", []
        say("250 ok")
    else:
        say("250 ok")
'''


def available():
    """None when Cyrus can run here, else why not."""
    for path in (os.path.join(BIN, "master"), os.path.join(BIN, "httpd"),
                 os.path.join(BIN, "lmtpd"), SASLPASSWD):
        if not os.access(path, os.X_OK):
            return ("%s not found (apt-get install --no-install-recommends cyrus-common "
                    "cyrus-caldav sasl2-bin; never cyrus-imapd)" % path)
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("cyrus")
        except KeyError:
            return "no user cyrus to run Cyrus as (the cyrus-common package creates it)"
    return None


class Cyrus:
    def __init__(self, users):
        """users: {name: password}; each is NAME@example.test."""
        self.users = dict(users)
        # Under /tmp, traversable by the cyrus user (vt.mkdtemp).
        self.dir = vt.mkdtemp("vea-cyrus-")
        self.port = vt.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.outgoing = os.path.join(self.dir, "outgoing")
        self.proc = None
        self.log_path = os.path.join(self.dir, "master.log")
        if os.geteuid() == 0:
            self.run_as = "cyrus"
        else:
            self.run_as = pwd.getpwuid(os.geteuid()).pw_name

    # ------------------------------------------------------------ files

    def _write(self, name, text, mode=0o644):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def _conf(self):
        d = self.dir
        return (
            "configdirectory: %(d)s/conf\n"
            "partition-default: %(d)s/spool\n"
            "defaultpartition: default\n"
            "servername: localhost\n"
            "cyrus_user: %(user)s\n"
            "admins: admin\n"
            "defaultdomain: %(domain)s\n"
            "sasl_pwcheck_method: auxprop\n"
            "sasl_auxprop_plugin: sasldb\n"
            "sasl_sasldb_path: %(d)s/sasldb2\n"
            "sasl_mech_list: PLAIN\n"
            "allowplaintext: yes\n"
            "httpmodules: caldav\n"
            "httpallowcompress: no\n"
            "caldav_allowscheduling: on\n"
            "caldav_realm: vea-test\n"
            "autocreate_post: yes\n"
            "autocreate_quota: 0\n"
            "lmtpsocket: %(d)s/socket/lmtp\n"
            "idlesocket: %(d)s/socket/idle\n"
            "notifysocket: %(d)s/socket/notify\n"
            "smtp_backend: sendmail\n"
            "sendmail: %(d)s/sendmail\n"
            "syslog_prefix: vea-cyrus-test\n"
            "tls_server_cert: disabled\n"
        ) % {"d": d, "user": self.run_as, "domain": DOMAIN}

    def _cyrus_conf(self):
        return (
            "START {\n"
            "  recover cmd=\"%(bin)s/ctl_cyrusdb -C %(d)s/imapd.conf -r\"\n"
            "}\n"
            "SERVICES {\n"
            "  http cmd=\"%(bin)s/httpd -C %(d)s/imapd.conf\" listen=\"127.0.0.1:%(port)d\""
            " prefork=0\n"
            "  lmtpunix cmd=\"%(bin)s/lmtpd -C %(d)s/imapd.conf\" listen=\"%(d)s/socket/lmtp\""
            " prefork=0\n"
            "}\n"
            "EVENTS {\n"
            "}\n"
        ) % {"bin": BIN, "d": self.dir, "port": self.port}

    def start(self, timeout=30):
        d = self.dir
        for sub in ("conf", "spool", "socket", "outgoing", "conf/lock", "conf/proc",
                    "conf/sieve"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        self._write("imapd.conf", self._conf())
        self._write("cyrus.conf", self._cyrus_conf())
        self._write("sendmail", SENDMAIL % self.outgoing, 0o755)
        sasldb = os.path.join(d, "sasldb2")
        for name, password in list(self.users.items()) + [("admin", "admin-secret")]:
            # -u: the realm Cyrus asks for (its servername).
            r = subprocess.run([SASLPASSWD, "-f", sasldb, "-p", "-c", "-u", "localhost", name],
                               input=password.encode(), capture_output=True)
            if r.returncode != 0:
                raise vt.HarnessError("saslpasswd2: %s" % r.stderr.decode(errors="replace"))
            # And in the host's own realm, which saslpasswd2 uses by default.
            subprocess.run([SASLPASSWD, "-f", sasldb, "-p", "-c", name],
                           input=password.encode(), capture_output=True)
        if os.geteuid() == 0:
            ent = pwd.getpwnam(self.run_as)
            for root, dirs, files in os.walk(d):
                for n in dirs + files:
                    os.lchown(os.path.join(root, n), ent.pw_uid, ent.pw_gid)
            os.chown(d, ent.pw_uid, ent.pw_gid)
        os.chmod(sasldb, 0o640)
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "master"), "-C", os.path.join(d, "imapd.conf"),
             "-M", os.path.join(d, "cyrus.conf"), "-p", os.path.join(d, "master.pid"), "-D"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=d,
            # Its own process group: master stops by signalling its group,
            # which would reach the test too when both are the same user.
            start_new_session=True, preexec_fn=vt._set_pdeathsig)
        log.close()
        atexit.register(self.stop)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise vt.HarnessError("cyrus master exited: %s" % self.log())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                if os.path.exists(os.path.join(d, "socket", "lmtp")):
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            self.stop()
            raise vt.HarnessError("cyrus did not listen on port %d: %s" % (self.port, self.log()))
        for name in self.users:
            self.create_user(name)
        return self

    def create_user(self, name):
        """The user's INBOX, by a delivery through lmtpd (autocreate_post),
        then its calendar home by a first CalDAV request."""
        msg = ("From: setup@%s\r\nTo: %s@%s\r\nSubject: welcome\r\n"
               "Message-ID: <welcome-%s@vea.test>\r\n\r\nwelcome\r\n" % (DOMAIN, name, DOMAIN, name))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(os.path.join(self.dir, "socket", "lmtp"))
        f = s.makefile("rwb")

        def reply():
            lines = []
            while True:
                line = f.readline()
                if not line:
                    raise vt.HarnessError("lmtpd closed: %r" % lines)
                lines.append(line)
                if line[3:4] != b"-":
                    return lines

        def cmd(text, want=b"2"):
            f.write(text.encode() + b"\r\n")
            f.flush()
            r = reply()
            if not r[-1].startswith(want):
                raise vt.HarnessError("lmtp %s: %r" % (text, r))
            return r

        reply()
        cmd("LHLO vea-test")
        cmd("MAIL FROM:<setup@%s>" % DOMAIN)
        cmd("RCPT TO:<%s>" % name)
        cmd("DATA", b"3")
        f.write(msg.encode() + b".\r\n")
        f.flush()
        r = reply()
        if not r[-1].startswith(b"2"):
            raise vt.HarnessError("lmtp delivery to %s: %r" % (name, r))
        cmd("QUIT")
        s.close()
        status, _, body = self.request("PROPFIND", self.home(name), name, None, {"Depth": "0"})
        if status != 207:
            raise vt.HarnessError("PROPFIND %s: %d %r" % (self.home(name), status, body[:300]))

    def log(self):
        out = ""
        try:
            with open(self.log_path, errors="replace") as f:
                out = f.read()[-2000:]
        except OSError:
            pass
        return out

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if not vt.keep_tmp() and self.dir is not None:
            # master's children may still be leaving files behind.
            for _ in range(10):
                shutil.rmtree(self.dir, ignore_errors=True)
                if not os.path.exists(self.dir):
                    break
                time.sleep(0.3)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ------------------------------------------------------------ what Cyrus sent

    def sent(self):
        """The messages Cyrus handed to sendmail, oldest first: a list of
        (envelope lines, bytes)."""
        out = []
        for path in sorted(glob.glob(os.path.join(self.outgoing, "*.eml"))):
            with open(path, "rb") as f:
                data = f.read()
            env = []
            try:
                with open(path[:-4] + ".env") as f:
                    env = f.read().splitlines()
            except OSError:
                pass
            out.append((env, data))
        return out

    # ------------------------------------------------------------ HTTP

    def home(self, user):
        return "/dav/calendars/user/%s/" % user

    def collection(self, user, name="Default"):
        return "%s%s/" % (self.home(user), name)

    def collection_url(self, user, name="Default"):
        return self.url + self.collection(user, name)

    def request(self, method, path, user, body=None, headers=None, password=None):
        """(status, headers dict, body bytes); HTTP errors are answers too."""
        password = self.users[user] if password is None else password
        return vt.http_request(method, self.url + path, user, password, body, headers)

    def put(self, user, name, ics, cal="Default", if_none_match=True):
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        if if_none_match:
            headers["If-None-Match"] = "*"
        ics = vt.to_crlf(ics.encode() if isinstance(ics, str) else ics)
        status, h, body = self.request("PUT", self.collection(user, cal) + name, user, ics,
                                       headers)
        return status, h.get("ETag"), body

    def get(self, user, name, cal="Default"):
        return self.request("GET", self.collection(user, cal) + name, user)

    def objects(self, user, cal="Default"):
        """{href: calendar text} of every object in the collection."""
        body = ('<?xml version="1.0" encoding="utf-8" ?>\n'
                '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
                '<D:prop><D:getetag/><C:calendar-data/></D:prop>'
                '<C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>')
        status, _, data = self.request("REPORT", self.collection(user, cal), user, body,
                                       {"Depth": "1", "Content-Type": "application/xml"})
        if status != 207:
            raise vt.HarnessError("REPORT: %d %r" % (status, data[:300]))
        import xml.etree.ElementTree as ET
        out = {}
        for resp in ET.fromstring(data).iter("{DAV:}response"):
            href = resp.findtext("{DAV:}href")
            cd = resp.find(".//{urn:ietf:params:xml:ns:caldav}calendar-data")
            if href and cd is not None and cd.text:
                out[href] = cd.text
        return out
