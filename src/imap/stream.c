/* A libetpan low-level stream driver that waits with poll(): see
 * stream.h for why. The socket is non-blocking; every read and write
 * waits for it with the stream's timeout, as libetpan's own drivers do. */

#include "imap/stream.h"

#include "imap/tls-verify.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <gnutls/gnutls.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct imap_stream {
	int fd;
	int wake_fd; /* eventfd: imap_stream_interrupt() */
	int timeout_secs;
	gnutls_session_t tls; /* NULL: plain TCP */
	gnutls_certificate_credentials_t creds;
} imap_stream;

static ssize_t imap_stream_read(mailstream_low *low, void *buf, size_t count);
static ssize_t imap_stream_write(mailstream_low *low, const void *buf, size_t count);
static int imap_stream_close(mailstream_low *low);
static int imap_stream_get_fd(mailstream_low *low);
static void imap_stream_free(mailstream_low *low);
static void imap_stream_cancel(mailstream_low *low);
static struct mailstream_cancel *imap_stream_get_cancel(mailstream_low *low);

/* No cancel object: libetpan's mailstream_wait_idle, the one user of it,
 * would select() on it; imap_stream_wait replaces it. */
static mailstream_low_driver imap_stream_driver = {
	.mailstream_read = imap_stream_read,
	.mailstream_write = imap_stream_write,
	.mailstream_close = imap_stream_close,
	.mailstream_get_fd = imap_stream_get_fd,
	.mailstream_free = imap_stream_free,
	.mailstream_cancel = imap_stream_cancel,
	.mailstream_get_cancel = imap_stream_get_cancel,
	.mailstream_get_certificate_chain = NULL,
	.mailstream_setup_idle = NULL,
	.mailstream_unsetup_idle = NULL,
	.mailstream_interrupt_idle = NULL,
};

static imap_stream *imap_stream_data(mailstream_low *low)
{
	return low->driver == &imap_stream_driver ? low->data : NULL;
}

static int imap_stream_timeout_ms(mailstream_low *low, imap_stream *st)
{
	time_t secs = low->timeout != 0 ? (time_t)low->timeout : (time_t)st->timeout_secs;

	if (secs <= 0)
		secs = mailstream_network_delay.tv_sec;
	return (int)MIN(secs, (time_t)(G_MAXINT / 1000)) * 1000;
}

/* 1 ready, 0 timed out, -1 error. */
static int imap_stream_poll(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return r;
	/* POLLHUP/POLLERR: the read or write that follows reports it. */
	return 1;
}

static ssize_t imap_stream_read(mailstream_low *low, void *buf, size_t count)
{
	imap_stream *st = low->data;
	int timeout_ms = imap_stream_timeout_ms(low, st);

	if (st->fd < 0)
		return -1;
	for (;;) {
		ssize_t n;

		if (st->tls != NULL) {
			n = gnutls_record_recv(st->tls, buf, count);
			if (n >= 0)
				return n;
			/* A peer that closes without close_notify: end of data. */
			if (n == GNUTLS_E_PREMATURE_TERMINATION)
				return 0;
			if (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED)
				return -1;
		} else {
			n = recv(st->fd, buf, count, 0);
			if (n >= 0)
				return n;
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return -1;
		}
		if (imap_stream_poll(st->fd, POLLIN, timeout_ms) <= 0)
			return -1;
	}
}

static ssize_t imap_stream_write(mailstream_low *low, const void *buf, size_t count)
{
	imap_stream *st = low->data;
	int timeout_ms = imap_stream_timeout_ms(low, st);

	if (st->fd < 0)
		return -1;
	for (;;) {
		ssize_t n;

		if (st->tls != NULL) {
			n = gnutls_record_send(st->tls, buf, count);
			if (n >= 0)
				return n;
			if (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED)
				return -1;
		} else {
			n = send(st->fd, buf, count, MSG_NOSIGNAL);
			if (n >= 0)
				return n;
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return -1;
		}
		if (imap_stream_poll(st->fd, POLLOUT, timeout_ms) <= 0)
			return -1;
	}
}

static int imap_stream_close(mailstream_low *low)
{
	imap_stream *st = low->data;

	if (st->tls != NULL) {
		/* RFC 8446 6.1 close_notify, best effort: the socket is
		 * non-blocking, so this never waits. */
		gnutls_bye(st->tls, GNUTLS_SHUT_WR);
		gnutls_deinit(st->tls);
		st->tls = NULL;
	}
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	return 0;
}

static int imap_stream_get_fd(mailstream_low *low)
{
	return ((imap_stream *)low->data)->fd;
}

/* libetpan's drivers free the mailstream_low itself too. */
static void imap_stream_free(mailstream_low *low)
{
	imap_stream *st = low->data;

	imap_stream_close(low);
	if (st->creds != NULL)
		gnutls_certificate_free_credentials(st->creds);
	if (st->wake_fd >= 0)
		close(st->wake_fd);
	g_free(st);
	low->data = NULL;
	free(low);
}

static void imap_stream_cancel(mailstream_low *low)
{
	imap_stream_interrupt(low);
}

static struct mailstream_cancel *imap_stream_get_cancel(mailstream_low *low)
{
	return NULL;
}

/* A non-blocking connect, waited for with poll(): connect(2) itself
 * would wait for the kernel's own timeout (minutes). */
static int imap_stream_connect_one(const struct addrinfo *ai, int timeout_ms)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	int err = 0;
	socklen_t len = sizeof(err);

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	if (imap_stream_poll(fd, POLLOUT, timeout_ms) <= 0) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		goto fail;
	if (err != 0) {
		errno = err;
		goto fail;
	}
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

mailstream_low *imap_stream_connect(const char *host, uint16_t port, int timeout_secs,
				    char **error_r)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *list = NULL;
	char service[8];
	int fd = -1, err = 0, r;
	imap_stream *st;
	mailstream_low *low;

	g_snprintf(service, sizeof(service), "%u", port);
	r = getaddrinfo(host, service, &hints, &list);
	if (r != 0) {
		*error_r = g_strdup_printf("cannot resolve %s: %s", host, gai_strerror(r));
		return NULL;
	}
	for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = imap_stream_connect_one(ai, timeout_secs * 1000);
		if (fd < 0)
			err = errno;
	}
	freeaddrinfo(list);
	if (fd < 0) {
		*error_r = g_strdup_printf("cannot connect to %s:%u: %s", host, port,
					   g_strerror(err));
		return NULL;
	}
	st = g_new0(imap_stream, 1);
	st->fd = fd;
	st->timeout_secs = timeout_secs;
	st->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (st->wake_fd < 0) {
		*error_r = g_strdup_printf("cannot connect to %s:%u: eventfd: %s", host, port,
					   g_strerror(errno));
		close(fd);
		g_free(st);
		return NULL;
	}
	low = mailstream_low_new(st, &imap_stream_driver);
	if (low == NULL) {
		*error_r = g_strdup("out of memory");
		close(st->wake_fd);
		close(fd);
		g_free(st);
		return NULL;
	}
	mailstream_low_set_timeout(low, timeout_secs);
	return low;
}

int imap_stream_start_tls(mailstream_low *low, const char *host, unsigned int port,
			  const char *ca_file, char **error_r)
{
	imap_stream *st = imap_stream_data(low);
	int timeout_ms;
	const gnutls_datum_t *certs;
	unsigned int n_certs = 0;
	int r;

	if (st == NULL || st->tls != NULL || st->fd < 0) {
		*error_r = g_strdup_printf("TLS with %s: the connection is not in a state to start it",
					   host);
		return -1;
	}
	timeout_ms = imap_stream_timeout_ms(low, st);
	/* The chain is checked by tls-verify.c after the handshake, against
	 * the trust store or ca_file: these credentials trust nothing. */
	r = gnutls_certificate_allocate_credentials(&st->creds);
	if (r == GNUTLS_E_SUCCESS)
		r = gnutls_init(&st->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
	if (r == GNUTLS_E_SUCCESS)
		r = gnutls_set_default_priority(st->tls);
	if (r == GNUTLS_E_SUCCESS)
		r = gnutls_credentials_set(st->tls, GNUTLS_CRD_CERTIFICATE, st->creds);
	/* SNI (RFC 6066 section 3) names DNS hosts only, never IP literals. */
	if (r == GNUTLS_E_SUCCESS && !g_hostname_is_ip_address(host))
		r = gnutls_server_name_set(st->tls, GNUTLS_NAME_DNS, host, strlen(host));
	if (r != GNUTLS_E_SUCCESS) {
		*error_r = g_strdup_printf("TLS with %s: %s", host, gnutls_strerror(r));
		goto fail;
	}
	gnutls_transport_set_int(st->tls, st->fd);
	do {
		r = gnutls_handshake(st->tls);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			short events = gnutls_record_get_direction(st->tls) ? POLLOUT : POLLIN;

			if (imap_stream_poll(st->fd, events, timeout_ms) <= 0) {
				*error_r = g_strdup_printf("TLS handshake with %s timed out", host);
				goto fail;
			}
		}
	} while (r < 0 && !gnutls_error_is_fatal(r));
	if (r < 0) {
		*error_r = g_strdup_printf("TLS handshake with %s failed: %s", host,
					   gnutls_strerror(r));
		goto fail;
	}
	/* Before LOGIN: libetpan's own TLS drivers verify nothing. */
	certs = gnutls_certificate_get_peers(st->tls, &n_certs);
	if (tls_verify_der_chain(certs, certs != NULL ? n_certs : 0, host, port, ca_file,
				 error_r) < 0)
		goto fail;
	return 0;
fail:
	if (st->tls != NULL)
		gnutls_deinit(st->tls);
	st->tls = NULL;
	/* Nothing more can be said on this connection. */
	close(st->fd);
	st->fd = -1;
	return -1;
}

imap_stream_wait_result imap_stream_wait(mailstream_low *low, int timeout_secs)
{
	imap_stream *st = imap_stream_data(low);
	struct pollfd pfd[2];
	int r;

	if (st == NULL || st->fd < 0)
		return IMAP_STREAM_WAIT_ERROR;
	/* A TLS record already read and decrypted is not on the socket. */
	if (st->tls != NULL && gnutls_record_check_pending(st->tls) > 0)
		return IMAP_STREAM_WAIT_DATA;
	pfd[0] = (struct pollfd){ .fd = st->fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = st->wake_fd, .events = POLLIN };
	do
		r = poll(pfd, 2, timeout_secs * 1000);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return IMAP_STREAM_WAIT_ERROR;
	if (r == 0)
		return IMAP_STREAM_WAIT_TIMEOUT;
	if (pfd[1].revents & POLLIN) {
		imap_stream_clear_interrupt(low);
		return IMAP_STREAM_WAIT_INTERRUPTED;
	}
	/* Data, or the end of the connection: the read after DONE tells. */
	return IMAP_STREAM_WAIT_DATA;
}

void imap_stream_interrupt(mailstream_low *low)
{
	imap_stream *st = imap_stream_data(low);
	uint64_t one = 1;

	/* EAGAIN: the counter is full, an interrupt is pending anyway. */
	if (st != NULL && write(st->wake_fd, &one, sizeof(one)) < 0)
		return;
}

void imap_stream_clear_interrupt(mailstream_low *low)
{
	imap_stream *st = imap_stream_data(low);
	uint64_t count;

	if (st != NULL && read(st->wake_fd, &count, sizeof(count)) < 0)
		return;
}
