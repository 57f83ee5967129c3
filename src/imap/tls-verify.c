/* Server certificate verification with GnuTLS (RFC 5280 path validation,
 * RFC 6125 host name check), because libetpan verifies nothing. */

#include "imap/tls-verify.h"

#include <arpa/inet.h>
#include <glib.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>
#include <string.h>
#include <sys/socket.h>

/* The names a certificate is for: its DNS and IP subject alternative
 * names, else its common name. */
static char *tls_verify_cert_names(gnutls_x509_crt_t crt)
{
	GString *names = g_string_new(NULL);

	for (unsigned int i = 0;; i++) {
		char buf[256];
		size_t size = sizeof(buf) - 1;
		int type;

		type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size,
							    NULL);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type == GNUTLS_SAN_DNSNAME) {
			buf[size] = '\0';
			g_string_append_printf(names, "%s%s",
					       names->len > 0 ? ", " : "", buf);
		} else if (type == GNUTLS_SAN_IPADDRESS &&
			   (size == 4 || size == 16)) {
			char ip[INET6_ADDRSTRLEN];

			if (inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, ip,
				      sizeof(ip)) != NULL)
				g_string_append_printf(
					names, "%s%s",
					names->len > 0 ? ", " : "", ip);
		} else if (type < 0 && type != GNUTLS_E_SHORT_MEMORY_BUFFER) {
			break;
		}
	}
	if (names->len == 0) {
		char cn[256];
		size_t size = sizeof(cn);

		if (gnutls_x509_crt_get_dn_by_oid(crt,
						  GNUTLS_OID_X520_COMMON_NAME,
						  0, 0, cn, &size) == 0)
			g_string_append_len(names, cn, (gssize)size);
		else
			g_string_append(names, "no name at all");
	}
	return g_string_free(names, FALSE);
}

static char *tls_verify_format_time(time_t t)
{
	GDateTime *dt = g_date_time_new_from_unix_utc((gint64)t);
	char *text;

	if (dt == NULL)
		return g_strdup("an unknown date");
	text = g_date_time_format(dt, "%Y-%m-%d %H:%M:%S UTC");
	g_date_time_unref(dt);
	return text;
}

/* One sentence per problem GnuTLS found, most useful first. */
static char *tls_verify_explain(unsigned int status, gnutls_x509_crt_t leaf,
				const char *host_name)
{
	GString *why = g_string_new(NULL);
	unsigned int rest = status & ~(unsigned int)GNUTLS_CERT_INVALID;

#define TLS_VERIFY_SEP (why->len > 0 ? "; " : "")
	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
		char *issuer = NULL;
		gnutls_datum_t dn = { NULL, 0 };

		if (gnutls_x509_crt_get_issuer_dn3(leaf, &dn, 0) == 0) {
			issuer = g_strndup((const char *)dn.data, dn.size);
			gnutls_free(dn.data);
		}
		g_string_append_printf(why,
				       "certificate signed by an unknown "
				       "authority (issuer %s)",
				       issuer != NULL ? issuer : "unknown");
		g_free(issuer);
		rest &= ~(unsigned int)GNUTLS_CERT_SIGNER_NOT_FOUND;
	}
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER) {
		char *names = tls_verify_cert_names(leaf);

		g_string_append_printf(why, "%scertificate is for %s, not %s",
				       TLS_VERIFY_SEP, names, host_name);
		g_free(names);
		rest &= ~(unsigned int)GNUTLS_CERT_UNEXPECTED_OWNER;
	}
	if (status & GNUTLS_CERT_EXPIRED) {
		char *when = tls_verify_format_time(
			gnutls_x509_crt_get_expiration_time(leaf));

		g_string_append_printf(why, "%scertificate expired on %s",
				       TLS_VERIFY_SEP, when);
		g_free(when);
		rest &= ~(unsigned int)GNUTLS_CERT_EXPIRED;
	}
	if (status & GNUTLS_CERT_NOT_ACTIVATED) {
		char *when = tls_verify_format_time(
			gnutls_x509_crt_get_activation_time(leaf));

		g_string_append_printf(why,
				       "%scertificate is not valid before %s",
				       TLS_VERIFY_SEP, when);
		g_free(when);
		rest &= ~(unsigned int)GNUTLS_CERT_NOT_ACTIVATED;
	}
	if (rest != 0 || why->len == 0) {
		gnutls_datum_t text = { NULL, 0 };

		if (gnutls_certificate_verification_status_print(
			    rest != 0 ? rest : status, GNUTLS_CRT_X509, &text,
			    0) == 0) {
			g_string_append_printf(why, "%s%.*s", TLS_VERIFY_SEP,
					       (int)text.size,
					       (const char *)text.data);
			gnutls_free(text.data);
		} else {
			g_string_append_printf(why, "%scertificate rejected",
					       TLS_VERIFY_SEP);
		}
	}
#undef TLS_VERIFY_SEP
	return g_string_free(why, FALSE);
}

int tls_verify_der_chain(const gnutls_datum_t *certs, unsigned int n_certs,
			 const char *host_name, const char *ca_file,
			 char **error_r)
{
	gnutls_x509_trust_list_t trust = NULL;
	gnutls_x509_crt_t *crts = NULL;
	unsigned int n_imported = 0;
	unsigned int status = 0;
	gnutls_typed_vdata_st vdata[2];
	int ret = -1;
	int r;

	if (n_certs == 0) {
		*error_r = g_strdup_printf("TLS certificate of %s rejected: "
					   "server sent no certificate",
					   host_name);
		return -1;
	}
	if (gnutls_x509_trust_list_init(&trust, 0) < 0) {
		*error_r = g_strdup("cannot set up TLS verification");
		return -1;
	}
	if (ca_file != NULL) {
		r = gnutls_x509_trust_list_add_trust_file(
			trust, ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
		if (r <= 0) {
			*error_r = g_strdup_printf(
				"cannot read CA certificates from %s: %s",
				ca_file,
				r < 0 ? gnutls_strerror(r)
				      : "no certificate in the file");
			goto out;
		}
	} else {
		r = gnutls_x509_trust_list_add_system_trust(trust, 0, 0);
		if (r <= 0) {
			*error_r = g_strdup_printf(
				"cannot load the system's trusted CA "
				"certificates: %s",
				r < 0 ? gnutls_strerror(r) : "none found");
			goto out;
		}
	}

	crts = g_new0(gnutls_x509_crt_t, n_certs);
	for (; n_imported < n_certs; n_imported++) {
		gnutls_x509_crt_t crt;

		if (gnutls_x509_crt_init(&crt) < 0) {
			*error_r = g_strdup("out of memory");
			goto out;
		}
		r = gnutls_x509_crt_import(crt, &certs[n_imported],
					   GNUTLS_X509_FMT_DER);
		if (r < 0) {
			gnutls_x509_crt_deinit(crt);
			*error_r = g_strdup_printf(
				"TLS certificate of %s rejected: certificate "
				"%u of the chain is unreadable: %s",
				host_name, n_imported + 1, gnutls_strerror(r));
			goto out;
		}
		crts[n_imported] = crt;
	}

	/* RFC 6125: the host name we connected to must be in the leaf.
	 * GnuTLS matches IP literals against iPAddress names. */
	memset(vdata, 0, sizeof(vdata));
	vdata[0].type = GNUTLS_DT_DNS_HOSTNAME;
	vdata[0].data = (unsigned char *)host_name;
	vdata[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
	vdata[1].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
	r = gnutls_x509_trust_list_verify_crt2(trust, crts, n_certs, vdata, 2,
					       0, &status, NULL);
	if (r < 0) {
		*error_r = g_strdup_printf(
			"TLS certificate of %s rejected: %s", host_name,
			gnutls_strerror(r));
		goto out;
	}
	if (status != 0) {
		char *why = tls_verify_explain(status, crts[0], host_name);

		*error_r = g_strdup_printf("TLS certificate of %s rejected: %s",
					   host_name, why);
		g_free(why);
		goto out;
	}
	ret = 0;
out:
	for (unsigned int i = 0; i < n_imported; i++)
		gnutls_x509_crt_deinit(crts[i]);
	g_free(crts);
	gnutls_x509_trust_list_deinit(trust, 1);
	return ret;
}

int tls_verify_mailstream(mailstream *stream, const char *host_name,
			  const char *ca_file, char **error_r)
{
	unsigned char *leaf = NULL;
	carray *chain;
	gnutls_datum_t *certs;
	unsigned int n;
	int ret;

	/* libetpan 1.9.4 returns an uninitialised pointer from the chain
	 * getter when the server sent no certificate; its single-certificate
	 * getter fails cleanly in that case, so ask it first. */
	if (mailstream_ssl_get_certificate(stream, &leaf) < 0) {
		*error_r = g_strdup_printf("TLS certificate of %s rejected: "
					   "server sent no certificate",
					   host_name);
		return -1;
	}
	free(leaf);

	chain = mailstream_get_certificate_chain(stream);
	if (chain == NULL || carray_count(chain) == 0) {
		if (chain != NULL)
			mailstream_certificate_chain_free(chain);
		*error_r = g_strdup_printf("TLS certificate of %s rejected: "
					   "server sent no certificate",
					   host_name);
		return -1;
	}
	n = carray_count(chain);
	certs = g_new0(gnutls_datum_t, n);
	for (unsigned int i = 0; i < n; i++) {
		MMAPString *der = carray_get(chain, i);

		certs[i].data = (unsigned char *)der->str;
		certs[i].size = (unsigned int)der->len;
	}
	ret = tls_verify_der_chain(certs, n, host_name, ca_file, error_r);
	g_free(certs);
	mailstream_certificate_chain_free(chain);
	return ret;
}
