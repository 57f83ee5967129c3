#!/usr/bin/python3
"""smtpd: a real SMTP server on loopback for vea's tests (aiosmtpd).

Each message accepted is delivered, as an MDA would, into the Maildir of
the Dovecot user named by each recipient (HOME/<recipient>/Maildir, owned
by nobody:nogroup like the rest of veatest.Dovecot's homes), so that a test
reads it back over IMAP; and one JSON line per transaction goes to the log
(envelope, size, AUTH login, whether TLS was on).

As a program (run it with /usr/bin/python3: Debian's python3-aiosmtpd):
  smtpd.py --port N --home DIR [--log FILE] [--auth USER:PASS]
           [--cert PEM --key PEM (--starttls | --implicit-tls)]
           [--fail-first N] [--fail-code 451] [--refuse-rcpt ADDR=CODE ...]
           [--delay-before-reply SECONDS]
prints "READY <port>" once it listens, stops on SIGTERM.

From a test:
  with SMTPServer(home=dovecot.dir + "/home") as s:
      ... s.url, s.transactions() ...
"""

import argparse
import json
import os
import pwd
import grp
import signal
import socket
import ssl
import subprocess
import sys
import time
import ctypes


def _owner():
    return pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid


def _mkdir_owned(path):
    uid, gid = _owner()
    missing = []
    p = path
    while not os.path.isdir(p):
        missing.append(p)
        p = os.path.dirname(p)
    for d in reversed(missing):
        os.mkdir(d, 0o700)
        os.chown(d, uid, gid)


def deliver(home, recipient, data):
    """Write data into recipient's Maildir/new (tmp first, then rename, as
    the Maildir spec asks). Returns the file's path."""
    user = recipient.strip("<>")
    if "/" in user or user.startswith("."):
        raise ValueError("refusing recipient %r" % recipient)
    maildir = os.path.join(home, user, "Maildir")
    for sub in ("tmp", "new", "cur"):
        _mkdir_owned(os.path.join(maildir, sub))
    name = "%d.P%dQ%d.vea-smtpd" % (time.time(), os.getpid(), deliver.seq)
    deliver.seq += 1
    tmp = os.path.join(maildir, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    uid, gid = _owner()
    os.chown(tmp, uid, gid)
    os.chmod(tmp, 0o600)
    new = os.path.join(maildir, "new", name)
    os.rename(tmp, new)
    return new


deliver.seq = 0


def _serve(args):
    import asyncio
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    log = open(args.log, "a", buffering=1) if args.log else None
    state = {"failures_left": args.fail_first, "connections": 0}
    refuse = {}
    for item in args.refuse_rcpt or ():
        addr, code = item.rsplit("=", 1)
        refuse[addr.lower()] = int(code)

    def connection_of(session):
        # aiosmtpd makes one Session per connection: number them, so a
        # test can tell whether messages shared one.
        if not hasattr(session, "vea_connection"):
            state["connections"] += 1
            session.vea_connection = state["connections"]
        return session.vea_connection

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            connection_of(session)
            code = refuse.get(address.lower())
            if code is not None:
                if log:
                    log.write(json.dumps({"refused_rcpt": address, "reply": "%d" % code,
                                          "connection": connection_of(session),
                                          "time": time.time()}) + "\n")
                return "%d 5.1.1 <%s>: refused (test server told to refuse)" % (code, address)
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            if args.delay_before_reply > 0:
                # A slow server: RFC 5321 4.5.3.2 allows 10 minutes here.
                await asyncio.sleep(args.delay_before_reply)
            data = envelope.original_content or envelope.content
            if isinstance(data, str):
                data = data.encode("utf-8", "surrogateescape")
            # aiosmtpd keeps the null reverse-path as "<>": log it as ""
            # (no address) and deliver it as "Return-Path: <>".
            mail_from = "" if envelope.mail_from in ("<>", "") else envelope.mail_from
            entry = {
                "mail_from": mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "size": len(data),
                "login": session.auth_data if session.authenticated else None,
                "tls": session.ssl is not None,
                "connection": connection_of(session),
                "time": time.time(),
            }
            if state["failures_left"] > 0:
                state["failures_left"] -= 1
                entry["reply"] = "%d" % args.fail_code
                if log:
                    log.write(json.dumps(entry) + "\n")
                return "%d Try again later (test server told to fail)" % args.fail_code
            entry["delivered"] = []
            for rcpt in envelope.rcpt_tos:
                rp = b"Return-Path: <%s>\r\n" % mail_from.encode()
                entry["delivered"].append(deliver(args.home, rcpt, rp + data))
            entry["reply"] = "250"
            if log:
                log.write(json.dumps(entry) + "\n")
            return "250 OK delivered"

    kwargs = {}
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
                  and auth_data.password.decode() == password)
            return AuthResult(success=ok, handled=False,
                              auth_data=auth_data.login.decode() if ok else None)

        kwargs.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=bool(args.starttls or args.implicit_tls))
    context = None
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    if args.starttls:
        kwargs.update(tls_context=context, require_starttls=True)
    if args.implicit_tls:
        kwargs.update(ssl_context=context)
    controller = Controller(Handler(), hostname="127.0.0.1", port=args.port,
                            server_hostname="localhost", **kwargs)
    controller.start()
    sys.stdout.write("READY %d\n" % args.port)
    sys.stdout.flush()
    stop = []
    signal.signal(signal.SIGTERM, lambda s, f: stop.append(s))
    signal.signal(signal.SIGINT, lambda s, f: stop.append(s))
    while not stop:
        signal.pause()
    controller.stop()
    return 0


def _free_port():
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def _set_pdeathsig():
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class SMTPServer:
    """smtpd.py as a child process (dies with the test even on SIGKILL).

    home: the Dovecot homes dir (veatest.Dovecot(...).dir + "/home").
    log:  where the JSON lines go (default: a file in the current temp dir).
    Other keywords: auth="user:pass", cert/key + starttls=True or
    implicit_tls=True, fail_first=N, fail_code=451 (the reply to the end
    of data of the first N messages), refuse_rcpt={"addr": 550} (the
    reply to RCPT TO for those addresses), delay_before_reply=S (seconds
    before answering the end of data). Each transaction logged says
    which connection it came over ("connection": 1, 2, ...). port=N
    listens there (a benchmark that starts the server after vea queued
    mail for it); else a free port."""

    def __init__(self, home, log, auth=None, cert=None, key=None, starttls=False,
                 implicit_tls=False, fail_first=0, fail_code=451, refuse_rcpt=None,
                 delay_before_reply=0, port=None):
        self.home, self.log = home, log
        self.fixed_port = port  # None: a free one
        self.opts = dict(auth=auth, cert=cert, key=key, starttls=starttls,
                         implicit_tls=implicit_tls, fail_first=fail_first, fail_code=fail_code,
                         refuse_rcpt=dict(refuse_rcpt or {}),
                         delay_before_reply=delay_before_reply)
        self.port = None
        self.proc = None

    @property
    def url(self):
        scheme = "smtps" if self.opts["implicit_tls"] else "smtp"
        return "%s://localhost:%d" % (scheme, self.port)

    def start(self):
        o = self.opts
        for _ in range(5):
            self.port = self.fixed_port or _free_port()
            cmd = ["/usr/bin/python3", os.path.abspath(__file__), "--port", str(self.port),
                   "--home", self.home, "--log", self.log,
                   "--fail-first", str(o["fail_first"]), "--fail-code", str(o["fail_code"])]
            if o["auth"]:
                cmd += ["--auth", o["auth"]]
            if o["cert"]:
                cmd += ["--cert", o["cert"], "--key", o["key"]]
            if o["starttls"]:
                cmd.append("--starttls")
            if o["implicit_tls"]:
                cmd.append("--implicit-tls")
            if o["delay_before_reply"]:
                cmd += ["--delay-before-reply", str(o["delay_before_reply"])]
            for addr, code in o["refuse_rcpt"].items():
                cmd += ["--refuse-rcpt", "%s=%d" % (addr, code)]
            # The server's own messages go to a file: a pipe nobody reads
            # fills up and stops the server after a few hundred messages.
            err_path = self.log + ".stderr"
            with open(err_path, "wb") as err_file:
                self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err_file,
                                             stdin=subprocess.DEVNULL,
                                             preexec_fn=_set_pdeathsig)
            line = self.proc.stdout.readline().decode()
            if line.startswith("READY"):
                return self
            self.proc.wait()
            with open(err_path, "rb") as err_file:
                err = err_file.read().decode(errors="replace")
            self.proc.wait()
            if "in use" not in err:
                raise RuntimeError("smtpd.py did not start: %s" % err[-2000:])
        raise RuntimeError("smtpd.py: no free port")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def _entries(self):
        try:
            with open(self.log) as f:
                return [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []

    def transactions(self):
        """Every transaction that reached the end of data (dicts, in order)."""
        return [e for e in self._entries() if "refused_rcpt" not in e]

    def refusals(self):
        """Every RCPT TO refused because of refuse_rcpt (dicts, in order)."""
        return [e for e in self._entries() if "refused_rcpt" in e]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main():
    p = argparse.ArgumentParser(description="SMTP server for vea's tests")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--home", required=True, help="Dovecot homes dir")
    p.add_argument("--log")
    p.add_argument("--auth")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--fail-code", type=int, default=451)
    p.add_argument("--delay-before-reply", type=float, default=0,
                   help="wait this many seconds before answering the end of data")
    p.add_argument("--refuse-rcpt", action="append", metavar="ADDR=CODE",
                   help="answer RCPT TO:<ADDR> with CODE (repeatable)")
    args = p.parse_args()
    if (args.starttls or args.implicit_tls) and not args.cert:
        p.error("TLS needs --cert and --key")
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
