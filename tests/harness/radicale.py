#!/usr/bin/python3
"""radicale: a private Radicale (CalDAV, RFC 4791) for the calendar tests.

Debian's python3-radicale, run as `/usr/bin/python3 -m radicale -C FILE`
(Debian's python3: pyenv's cannot import it, SCHEDULING.md 2.2) with a
config file of its own, so that no /etc/radicale/config leaks in:
  - 127.0.0.1 on a free port, no TLS;
  - storage in a temp dir;
  - htpasswd auth with a plain-text users file, no delay after a wrong
    password (the tests try one on purpose);
  - rights owner_only: /dana/ belongs to whoever logs in as dana.
Stopped by stop(), the context manager, or atexit; the kernel stops it
when the test process dies (PR_SET_PDEATHSIG).

Helpers speak HTTP with urllib: mkcalendar, put (If-None-Match: * by
default), report (calendar-query for a time range), get.
"""

import atexit
import os
import shutil
import socket
import subprocess
import time

import veatest as vt

PYTHON = "/usr/bin/python3"


def available():
    """None when Radicale can run here, else why not."""
    if not os.access(PYTHON, os.X_OK):
        return "%s not found" % PYTHON
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    r = subprocess.run([PYTHON, "-c", "import radicale.config"], capture_output=True, env=env,
                       cwd="/")
    if r.returncode != 0:
        return "python3-radicale is not installed (apt-get install python3-radicale)"
    return None


class Radicale:
    def __init__(self, users):
        """users: {name: password}."""
        self.users = dict(users)
        self.dir = vt.mkdtemp("vea-radicale-")
        self.port = vt.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = None
        self.log_path = os.path.join(self.dir, "radicale.log")

    def start(self):
        users = os.path.join(self.dir, "users")
        with open(users, "w") as f:
            for name, password in self.users.items():
                f.write("%s:%s\n" % (name, password))
        config = os.path.join(self.dir, "config")
        with open(config, "w") as f:
            f.write("[server]\nhosts = 127.0.0.1:%d\n" % self.port)
            f.write("[auth]\ntype = htpasswd\nhtpasswd_filename = %s\n"
                    "htpasswd_encryption = plain\ndelay = 0\n" % users)
            f.write("[rights]\ntype = owner_only\n")
            f.write("[storage]\nfilesystem_folder = %s\n" % os.path.join(self.dir, "collections"))
            f.write("[web]\ntype = none\n")
            f.write("[logging]\nlevel = info\n")
        log = open(self.log_path, "wb")
        # Not from the tests' PYTHONPATH (nor their cwd): this file is
        # called radicale.py too, and -m would run it instead.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        self.proc = subprocess.Popen([PYTHON, "-m", "radicale", "-C", config],
                                     stdout=log, stderr=subprocess.STDOUT, env=env,
                                     cwd=self.dir, preexec_fn=vt._set_pdeathsig)
        log.close()
        atexit.register(self.stop)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise vt.HarnessError("radicale exited: %s" % self.log())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise vt.HarnessError("radicale did not listen on port %d" % self.port)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if not vt.keep_tmp():
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ------------------------------------------------------------ HTTP

    def request(self, method, path, user, body=None, headers=None, password=None):
        """(status, headers dict, body bytes); HTTP errors are answers too."""
        password = self.users[user] if password is None else password
        return vt.http_request(method, self.url + path, user, password, body, headers)

    def collection(self, user, name):
        return "/%s/%s/" % (user, name)

    def collection_url(self, user, name):
        return self.url + self.collection(user, name)

    def mkcalendar(self, user, name):
        status, _, body = self.request("MKCALENDAR", self.collection(user, name), user)
        if status != 201:
            raise vt.HarnessError("MKCALENDAR %s: %d %r" % (name, status, body[:200]))

    def put(self, user, cal, name, ics, if_none_match=True):
        """PUT an object (CRLF); returns (status, etag)."""
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        if if_none_match:
            headers["If-None-Match"] = "*"
        ics = vt.to_crlf(ics.encode() if isinstance(ics, str) else ics)
        status, h, _ = self.request("PUT", self.collection(user, cal) + name, user, ics, headers)
        return status, h.get("ETag")

    def report(self, user, cal, start, end):
        """calendar-query for VEVENTs overlapping [start, end) ("20261109T000000Z");
        returns the response body (multi-status XML)."""
        body = ('<?xml version="1.0" encoding="utf-8" ?>\n'
                '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
                '<D:prop><D:getetag/><C:calendar-data/></D:prop>'
                '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
                '<C:time-range start="%s" end="%s"/>'
                '</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>' % (start, end))
        status, _, data = self.request("REPORT", self.collection(user, cal), user, body,
                                       {"Depth": "1", "Content-Type": "application/xml"})
        if status != 207:
            raise vt.HarnessError("REPORT: %d" % status)
        return data

    def get(self, user, path):
        return self.request("GET", path, user)
