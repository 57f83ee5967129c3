/* Server certificate verification with GnuTLS (RFC 5280 path validation,
 * RFC 6125 host name check), because libetpan verifies nothing. */

#include "imap/tls-verify.h"

#include <arpa/inet.h>
#include <glib.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* What a certificate says it is for, to put beside the name we asked for. */
typedef struct tls_verify_names {
	GString *dns; /* its dNSName subjectAltNames, ", "-separated */
	GString *ip;  /* its iPAddress subjectAltNames */
	char *cn;     /* its (first) common name; NULL: none */
	gboolean other_san; /* it has subjectAltNames of other kinds */
} tls_verify_names;

static void tls_verify_names_append(GString *list, const char *name)
{
	g_string_append_printf(list, "%s%s", list->len > 0 ? ", " : "", name);
}

static void tls_verify_names_read(gnutls_x509_crt_t crt,
				  tls_verify_names *names_r)
{
	char cn[256];
	size_t size = sizeof(cn);

	names_r->dns = g_string_new(NULL);
	names_r->ip = g_string_new(NULL);
	names_r->cn = NULL;
	names_r->other_san = FALSE;
	for (unsigned int i = 0;; i++) {
		char buf[256];
		int type;

		size = sizeof(buf) - 1;
		type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size,
							    NULL);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type == GNUTLS_SAN_DNSNAME) {
			buf[size] = '\0';
			tls_verify_names_append(names_r->dns, buf);
		} else if (type == GNUTLS_SAN_IPADDRESS &&
			   (size == 4 || size == 16)) {
			char ip[INET6_ADDRSTRLEN];

			if (inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, ip,
				      sizeof(ip)) != NULL)
				tls_verify_names_append(names_r->ip, ip);
		} else if (type >= 0 || type == GNUTLS_E_SHORT_MEMORY_BUFFER) {
			names_r->other_san = TRUE;
		} else {
			break;
		}
	}
	size = sizeof(cn);
	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
					  0, cn, &size) == 0)
		names_r->cn = g_strndup(cn, size);
}

static void tls_verify_names_clear(tls_verify_names *names)
{
	g_string_free(names->dns, TRUE);
	g_string_free(names->ip, TRUE);
	g_free(names->cn);
}

/* Why the host name did not match, from what the certificate does hold,
 * under the rules GnuTLS applies. */
static void tls_verify_explain_name(GString *why, gnutls_x509_crt_t leaf,
				    const char *host_name)
{
	tls_verify_names names;
	gboolean has_san;
	const char *no_san;

	tls_verify_names_read(leaf, &names);
	has_san = names.dns->len > 0 || names.ip->len > 0;
	/* GnuTLS uses no CN beside subjectAltNames of any kind. */
	no_san = names.other_san ? "no DNS or IP subjectAltName"
				 : "no subjectAltName";
	if (g_hostname_is_ip_address(host_name)) {
		/* RFC 2818 section 3.1: an IP address must match an iPAddress
		 * subjectAltName (RFC 5280 section 4.2.1.6) exactly; neither
		 * a dNSName nor the CN counts (RFC 6125 section 1.7.2 leaves
		 * IP addresses out of its rules). */
		if (names.ip->len > 0) {
			g_string_append_printf(
				why, "certificate is for %s%s%s, not %s",
				names.dns->str,
				names.dns->len > 0 ? ", " : "", names.ip->str,
				host_name);
		} else if (names.dns->len > 0) {
			g_string_append_printf(
				why,
				"certificate is for %s, not %s: it holds only "
				"DNS names, and an IP address is matched only "
				"against iPAddress subjectAltNames (RFC 2818 "
				"section 3.1); connect by one of those names, "
				"or have the certificate reissued with "
				"subjectAltName IP:%s",
				names.dns->str, host_name, host_name);
		} else {
			if (names.cn != NULL)
				g_string_append_printf(
					why, "certificate has %s, only CN=%s, and ",
					no_san, names.cn);
			else
				g_string_append_printf(
					why, "certificate has %s and no CN, and ",
					no_san);
			g_string_append_printf(
				why,
				"an IP address such as %s must be listed as an "
				"iPAddress subjectAltName: the CN does not "
				"count (RFC 2818 section 3.1, RFC 5280 section "
				"4.2.1.6); have the certificate reissued with "
				"subjectAltName IP:%s",
				host_name, host_name);
		}
	} else if (has_san) {
		g_string_append_printf(why, "certificate is for %s%s%s, not %s",
				       names.dns->str,
				       names.dns->len > 0 && names.ip->len > 0
					       ? ", "
					       : "",
				       names.ip->str, host_name);
		/* RFC 6125 section 6.4.4: no CN-ID match once the
		 * certificate presents subjectAltNames. */
		if (names.cn != NULL &&
		    g_ascii_strcasecmp(names.cn, host_name) == 0)
			g_string_append_printf(
				why,
				" (its CN=%s is not used because it has "
				"subjectAltNames, RFC 6125 section 6.4.4)",
				names.cn);
	} else if (names.cn == NULL) {
		g_string_append_printf(why,
				       "certificate names no host at all (%s, "
				       "no CN)",
				       no_san);
	} else if (g_ascii_strcasecmp(names.cn, host_name) != 0) {
		g_string_append_printf(why,
				       "certificate has %s and its CN is %s, "
				       "not %s",
				       no_san, names.cn, host_name);
	} else if (names.other_san) {
		g_string_append_printf(why,
				       "certificate has %s, and its CN=%s is "
				       "not used beside the subjectAltNames "
				       "it does have (RFC 6125 section 6.4.4)",
				       no_san, names.cn);
	} else {
		/* GnuTLS falls back to the CN only for a single CN on a
		 * certificate fit for TLS servers. */
		g_string_append_printf(
			why,
			"certificate has no subjectAltName, and its CN=%s "
			"is not accepted in its place (it has more than one "
			"CN, or is not for TLS servers)",
			names.cn);
	}
	tls_verify_names_clear(&names);
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

/* The subject DN of crt, newly allocated ("an unnamed certificate" when
 * GnuTLS cannot print it). */
static char *tls_verify_subject(gnutls_x509_crt_t crt)
{
	gnutls_datum_t dn = { NULL, 0 };
	char *text;

	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0 || dn.size == 0) {
		gnutls_free(dn.data);
		return g_strdup("an unnamed certificate");
	}
	text = g_strndup((const char *)dn.data, dn.size);
	gnutls_free(dn.data);
	return text;
}

/* "certificate" for the server's own, else which one of the chain. */
static char *tls_verify_which(gnutls_x509_crt_t *crts, unsigned int i)
{
	char *subject, *text;

	if (i == 0)
		return g_strdup("certificate");
	subject = tls_verify_subject(crts[i]);
	text = g_strdup_printf("certificate %u of the chain (%s)", i + 1,
			       subject);
	g_free(subject);
	return text;
}

/* The trust anchor was not found: say whom the chain leads to and where
 * vea looked, so the user knows what ca_file would have to hold. */
static void tls_verify_explain_issuer(GString *why, gnutls_x509_crt_t *crts,
				      unsigned int n_certs,
				      const char *ca_file)
{
	gnutls_x509_crt_t top = crts[n_certs - 1];
	gnutls_datum_t dn = { NULL, 0 };
	char *issuer;

	if (gnutls_x509_crt_get_issuer_dn3(top, &dn, 0) == 0 && dn.size > 0)
		issuer = g_strndup((const char *)dn.data, dn.size);
	else
		issuer = g_strdup("unknown");
	gnutls_free(dn.data);

	if (gnutls_x509_crt_check_issuer(top, top) == 1) {
		g_string_append_printf(
			why,
			"certificate is self-signed (%s), so no certificate "
			"authority vouches for it",
			issuer);
		if (ca_file != NULL)
			g_string_append_printf(
				why, ", and it is not in ca_file %s", ca_file);
		else
			g_string_append(
				why, "; to trust it, set ca_file in the "
				     "account's section to a PEM copy of it "
				     "(vea.conf(5))");
	} else {
		g_string_append_printf(why,
				       "certificate signed by an unknown "
				       "authority (issuer %s)",
				       issuer);
		if (ca_file != NULL)
			g_string_append_printf(
				why, ": that authority is not in ca_file %s",
				ca_file);
		else
			g_string_append(
				why, ": it is not among the system's trusted "
				     "authorities; for a server with a "
				     "private CA, set ca_file in the "
				     "account's section to the CA's PEM "
				     "certificate (vea.conf(5))");
	}
	g_free(issuer);
}

/* Which certificate is outside its validity period, and since when. */
static void tls_verify_explain_dates(GString *why, unsigned int status,
				     gnutls_x509_crt_t *crts,
				     unsigned int n_certs, const char *sep)
{
	time_t now = time(NULL);
	char *now_text = tls_verify_format_time(now);
	gboolean found = FALSE;

	for (unsigned int i = 0; i < n_certs; i++) {
		time_t not_after = gnutls_x509_crt_get_expiration_time(crts[i]);
		time_t not_before = gnutls_x509_crt_get_activation_time(crts[i]);
		char *which, *when;

		if ((status & GNUTLS_CERT_EXPIRED) && not_after != (time_t)-1 &&
		    not_after < now) {
			which = tls_verify_which(crts, i);
			when = tls_verify_format_time(not_after);
			g_string_append_printf(
				why,
				"%s%s expired on %s (it is now %s): the "
				"server needs a renewed certificate",
				why->len > 0 ? sep : "", which, when,
				now_text);
		} else if ((status & GNUTLS_CERT_NOT_ACTIVATED) &&
			   not_before != (time_t)-1 && not_before > now) {
			which = tls_verify_which(crts, i);
			when = tls_verify_format_time(not_before);
			g_string_append_printf(
				why,
				"%s%s is not valid before %s (it is now %s): "
				"check this computer's clock",
				why->len > 0 ? sep : "", which, when,
				now_text);
		} else {
			continue;
		}
		found = TRUE;
		g_free(which);
		g_free(when);
	}
	if (!found)
		/* Only the trust anchor itself, which the server did not
		 * send, can be left. */
		g_string_append_printf(why,
				       "%sthe trusted authority's own "
				       "certificate is %s",
				       why->len > 0 ? sep : "",
				       (status & GNUTLS_CERT_EXPIRED)
					       ? "expired"
					       : "not yet valid");
	g_free(now_text);
}

/* Which certificate is signed with an algorithm GnuTLS no longer trusts. */
static void tls_verify_explain_algorithm(GString *why, gnutls_x509_crt_t *crts,
					 unsigned int n_certs, const char *sep)
{
	for (unsigned int i = 0; i < n_certs; i++) {
		int algo = gnutls_x509_crt_get_signature_algorithm(crts[i]);
		const char *name;
		char *which;

		if (algo < 0 ||
		    gnutls_sign_is_secure2((gnutls_sign_algorithm_t)algo,
					   GNUTLS_SIGN_FLAG_SECURE_FOR_CERTS))
			continue;
		name = gnutls_sign_get_name((gnutls_sign_algorithm_t)algo);
		which = tls_verify_which(crts, i);
		g_string_append_printf(why,
				       "%s%s is signed with %s, which is no "
				       "longer secure: the server needs a new "
				       "certificate",
				       why->len > 0 ? sep : "", which,
				       name != NULL ? name : "an old algorithm");
		g_free(which);
		return;
	}
	g_string_append_printf(why,
			       "%sa certificate of the chain uses an insecure "
			       "algorithm: the server needs a new certificate",
			       why->len > 0 ? sep : "");
}

/* One clause per problem GnuTLS found (its status is a bit set, RFC 5280
 * section 6 path validation plus the RFC 6125 name check), most useful
 * first; bits without words of our own get GnuTLS's. */
static char *tls_verify_explain(unsigned int status, gnutls_x509_crt_t *crts,
				unsigned int n_certs, const char *host_name,
				const char *ca_file)
{
	static const struct {
		unsigned int bit;
		const char *text;
	} simple[] = {
		{ GNUTLS_CERT_REVOKED,
		  "certificate has been revoked by its issuer" },
		{ GNUTLS_CERT_SIGNER_NOT_CA,
		  "certificate was signed by a certificate that is not a "
		  "certificate authority (basicConstraints, RFC 5280 section "
		  "4.2.1.9)" },
		{ GNUTLS_CERT_SIGNATURE_FAILURE,
		  "certificate's signature does not verify (altered, or not "
		  "signed by the issuer it names)" },
		{ GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE,
		  "the issuing authority's constraints (name constraints or "
		  "path length, RFC 5280 section 4.2.1.10) forbid this "
		  "certificate" },
		{ GNUTLS_CERT_PURPOSE_MISMATCH,
		  "certificate is not for TLS servers (its extendedKeyUsage "
		  "lacks serverAuth, RFC 5280 section 4.2.1.12)" },
	};
	const char *sep = "; ";
	GString *why = g_string_new(NULL);
	unsigned int rest = status & ~(unsigned int)GNUTLS_CERT_INVALID;

	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
		tls_verify_explain_issuer(why, crts, n_certs, ca_file);
		rest &= ~(unsigned int)GNUTLS_CERT_SIGNER_NOT_FOUND;
	}
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER) {
		if (why->len > 0)
			g_string_append(why, sep);
		tls_verify_explain_name(why, crts[0], host_name);
		rest &= ~(unsigned int)GNUTLS_CERT_UNEXPECTED_OWNER;
	}
	if (status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED)) {
		tls_verify_explain_dates(why, status, crts, n_certs, sep);
		rest &= ~(unsigned int)(GNUTLS_CERT_EXPIRED |
					GNUTLS_CERT_NOT_ACTIVATED);
	}
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM) {
		tls_verify_explain_algorithm(why, crts, n_certs, sep);
		rest &= ~(unsigned int)GNUTLS_CERT_INSECURE_ALGORITHM;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(simple); i++) {
		if ((status & simple[i].bit) == 0)
			continue;
		g_string_append_printf(why, "%s%s", why->len > 0 ? sep : "",
				       simple[i].text);
		rest &= ~simple[i].bit;
	}
	if (rest != 0 || why->len == 0) {
		gnutls_datum_t text = { NULL, 0 };

		if (gnutls_certificate_verification_status_print(
			    rest != 0 ? rest : status, GNUTLS_CRT_X509, &text,
			    0) == 0) {
			g_string_append_printf(why, "%s%.*s",
					       why->len > 0 ? sep : "",
					       (int)text.size,
					       (const char *)text.data);
			gnutls_free(text.data);
		} else {
			g_string_append_printf(why, "%scertificate rejected",
					       why->len > 0 ? sep : "");
		}
	}
	return g_string_free(why, FALSE);
}

int tls_verify_der_chain(const gnutls_datum_t *certs, unsigned int n_certs,
			 const char *host_name, unsigned int port,
			 const char *ca_file, char **error_r)
{
	gnutls_x509_trust_list_t trust = NULL;
	gnutls_x509_crt_t *crts = NULL;
	unsigned int n_imported = 0;
	unsigned int status = 0;
	gnutls_typed_vdata_st vdata[2];
	int ret = -1;
	int r;

	if (n_certs == 0) {
		*error_r = g_strdup_printf("TLS certificate of %s:%u rejected: "
					   "server sent no certificate",
					   host_name, port);
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
				"TLS certificate of %s:%u rejected: "
				"certificate %u of the chain is unreadable: %s",
				host_name, port, n_imported + 1,
				gnutls_strerror(r));
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
			"TLS certificate of %s:%u rejected: %s", host_name,
			port, gnutls_strerror(r));
		goto out;
	}
	if (status != 0) {
		char *why = tls_verify_explain(status, crts, n_certs,
					       host_name, ca_file);

		*error_r = g_strdup_printf(
			"TLS certificate of %s:%u rejected: %s", host_name,
			port, why);
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
