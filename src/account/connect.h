#ifndef VEA_ACCOUNT_CONNECT_H
#define VEA_ACCOUNT_CONNECT_H

#include "conf/conf.h"
#include "imap/imap.h"

/* Connect to an account's server and log in: TLS as the account says
 * (verified before any credential is sent), then LOGIN with the password
 * from password_cmd, or XOAUTH2 with a token from oauth2_token_cmd. A
 * rejected token is fetched again once (tokens expire; the command is
 * expected to refresh). Secrets are wiped after use and never appear in
 * *error_r. */
int account_connect(const conf_account *account, imap_session **session_r,
		    char **error_r);

/* The same; on failure *unreachable_r says whether the server could not be
 * reached or its TLS not verified (TRUE), rather than the login or the
 * credentials failing (FALSE). */
int account_connect_reach(const conf_account *account, imap_session **session_r,
			  gboolean *unreachable_r, char **error_r);

#endif
