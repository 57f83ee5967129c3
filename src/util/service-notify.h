#ifndef VEA_UTIL_SERVICE_NOTIFY_H
#define VEA_UTIL_SERVICE_NOTIFY_H

/* Telling the service manager how the daemon is doing: systemd's
 * sd_notify protocol, spoken directly rather than through libsystemd (one
 * datagram, which sd_notify(3) documents as a stable interface, so one
 * more library is not worth it; doc/DESIGN.md, "Running as a service").
 *
 * $NOTIFY_SOCKET names an AF_UNIX datagram socket: a path, or an abstract
 * name when it starts with '@'. Each call sends one datagram of
 * "KEY=VALUE\n" lines. Without $NOTIFY_SOCKET (not run by systemd with
 * Type=notify) every call does nothing and returns 0, so the daemon calls
 * them unconditionally.
 *
 * Thread-safe: each call opens, sends and closes its own socket. */

/* Send state (e.g. "READY=1\nSTATUS=watching 3 accounts"). Returns 0 when
 * sent or when there is no $NOTIFY_SOCKET; -1 with *error_r (free with
 * g_free) naming the socket and the reason. */
int service_notify(const char *state, char **error_r);

/* The common messages. RELOADING carries MONOTONIC_USEC, as systemd 253+
 * asks of Type=notify-reload services (older ones ignore it). */
int service_notify_ready(const char *status, char **error_r);
int service_notify_reloading(char **error_r);
int service_notify_stopping(char **error_r);

/* No WATCHDOG=1: the digest tick runs on the thread that would feed it and
 * may wait minutes on an SMTP server (doc/DESIGN.md, "Running as a
 * service"), so a watchdog would kill a healthy daemon. */

#endif
