#ifndef VEA_IMAP_TLS_VERIFY_H
#define VEA_IMAP_TLS_VERIFY_H

/* Server certificate verification with GnuTLS, for the TLS streams of
 * libetpan, which checks nothing itself (../shared/reference/LIBRARIES.md).
 *
 * Both functions return 0 when the chain leads to a trusted authority, is
 * within its validity period and names host_name (a DNS name, RFC 6125, or
 * an IP literal, which only an iPAddress subjectAltName matches, RFC 2818
 * section 3.1); else -1 with *error_r set to a newly allocated sentence
 * "TLS certificate of HOST:PORT rejected: ..." giving every reason that
 * applies, "; "-separated, each with what the certificate holds and what
 * to do, e.g. "certificate signed by an unknown authority (issuer CN=...):
 * that authority is not in ca_file ...", "certificate is self-signed
 * (...)", "certificate is for other.test, not 127.0.0.2: it holds only DNS
 * names, ...", "certificate has no subjectAltName, only CN=127.0.0.1,
 * ...", "certificate expired on ... (it is now ...)", "server sent no
 * certificate". port only goes into the text. */

#include <gnutls/gnutls.h>

/* certs: the peer's chain in DER, leaf first. ca_file: PEM bundle trusted
 * instead of the system store; NULL: the system store. */
int tls_verify_der_chain(const gnutls_datum_t *certs, unsigned int n_certs,
			 const char *host_name, unsigned int port,
			 const char *ca_file, char **error_r);

#endif
