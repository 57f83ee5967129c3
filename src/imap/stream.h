#ifndef VEA_IMAP_STREAM_H
#define VEA_IMAP_STREAM_H

/* The byte stream under a libetpan session: a mailstream_low driver of
 * vea's own, plain TCP or TLS (GnuTLS), that waits with poll().
 *
 * Why not libetpan's socket and TLS drivers: they wait with select(),
 * which cannot watch a descriptor numbered FD_SETSIZE (1024) or above
 * (glibc aborts), and each holds two pipes (a cancel pipe, and an IDLE
 * pipe while waiting): five descriptors an account, so a process could
 * watch at most about 200 accounts. This driver holds two (the socket
 * and an eventfd that interrupts IDLE), and poll() has no such limit.
 *
 * Private to src/imap. Every function that can fail returns -1 (or NULL)
 * with *error_r set to a newly allocated sentence. */

#include <libetpan/libetpan.h>
#include <stdint.h>

/* TCP to host:port (each address getaddrinfo gives, in turn) within
 * timeout_secs, as a new low-level stream that reads and writes with
 * that timeout. Free with mailstream_low_free (or through the mailstream
 * built on it). */
mailstream_low *imap_stream_connect(const char *host, uint16_t port, int timeout_secs,
				    char **error_r);

/* TLS handshake on a connected stream (right after connecting for
 * imaps://, after the server's OK to STARTTLS, RFC 3501 6.2.1), with SNI
 * for a DNS host name (RFC 6066 section 3), then verification of the
 * chain and host name (tls-verify.c) before anything else is sent. From
 * then on the stream reads and writes through TLS. port names the server
 * in errors. ca_file: PEM bundle
 * trusted instead of the system store; NULL: the system store. */
int imap_stream_start_tls(mailstream_low *low, const char *host, unsigned int port,
			  const char *ca_file, char **error_r);

typedef enum {
	IMAP_STREAM_WAIT_DATA,        /* something to read */
	IMAP_STREAM_WAIT_TIMEOUT,
	IMAP_STREAM_WAIT_INTERRUPTED, /* imap_stream_interrupt() */
	IMAP_STREAM_WAIT_ERROR,
} imap_stream_wait_result;

/* Wait up to timeout_secs for data (IDLE). Data TLS has already
 * decrypted counts; what libetpan buffered above this stream does not:
 * the caller checks that first. */
imap_stream_wait_result imap_stream_wait(mailstream_low *low, int timeout_secs);

/* Make the current or next imap_stream_wait return INTERRUPTED; from any
 * thread. An interrupt that finds no wait is kept for the next one. */
void imap_stream_interrupt(mailstream_low *low);
/* Forget an interrupt not yet honoured (after a wait). */
void imap_stream_clear_interrupt(mailstream_low *low);

#endif
