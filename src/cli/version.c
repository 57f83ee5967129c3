/* vea --version: vea's own version and those of the libraries it runs
 * with, read from the libraries themselves at run time (not the headers
 * it was built against), since that is what a bug report needs. */
#include "config.h"
#include "cli/cli.h"
#include "store/store.h"

#include <curl/curl.h>
#include <gmime/gmime.h>
#include <gnutls/gnutls.h>
#include <libetpan/libetpan_version.h>
#include <stdio.h>

void cli_print_version(FILE *out)
{
	const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);

	fprintf(out, "vea %s\n", PACKAGE_VERSION);
	fprintf(out, "  libetpan %d.%d\n", libetpan_get_version_major(), libetpan_get_version_minor());
	fprintf(out, "  GMime %u.%u.%u\n", gmime_major_version, gmime_minor_version, gmime_micro_version);
	fprintf(out, "  GLib %u.%u.%u\n", glib_major_version, glib_minor_version, glib_micro_version);
	fprintf(out, "  %s\n", store_backend_version());
	fprintf(out, "  GnuTLS %s\n", gnutls_check_version(NULL));
	fprintf(out, "  libcurl %s (%s)\n", curl->version, curl->ssl_version != NULL ? curl->ssl_version : "no TLS");
}
