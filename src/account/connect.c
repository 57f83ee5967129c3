#include "account/connect.h"
#include "util/process.h"

static int account_login_xoauth2(const conf_account *account, imap_session *session,
				 char **error_r)
{
	char *error = NULL;

	for (int attempt = 0; attempt < 2; attempt++) {
		char *token = process_run_secret_command(account->oauth2_token_cmd, &error);
		int ret;

		if (token == NULL) {
			*error_r = g_strdup_printf("oauth2_token_cmd: %s", error);
			g_free(error);
			return -1;
		}
		ret = imap_session_login_xoauth2(session, account->user, token, &error);
		process_secret_free(token);
		if (ret == 0)
			return 0;
		if (attempt == 0) {
			/* An expired token: ask the command for a fresh one. */
			g_clear_pointer(&error, g_free);
			continue;
		}
	}
	*error_r = error;
	return -1;
}

int account_connect(const conf_account *account, imap_session **session_r, char **error_r)
{
	gboolean unreachable;

	return account_connect_reach(account, session_r, &unreachable, error_r);
}

int account_connect_reach(const conf_account *account, imap_session **session_r,
			  gboolean *unreachable_r, char **error_r)
{
	imap_connect_params params = {
		.url = account->url,
		.tls = account->tls == CONF_TLS_NONE ? IMAP_TLS_NONE : IMAP_TLS_REQUIRED,
		.ca_file = account->ca_file,
		.timeout_secs = 60,
	};
	imap_session *session = NULL;
	char *error = NULL, *password;
	int ret;

	*session_r = NULL;
	*unreachable_r = FALSE;
	if (imap_session_connect(&params, &session, &error) < 0) {
		*unreachable_r = TRUE;
		*error_r = g_strdup_printf("cannot connect to %s: %s", account->url, error);
		g_free(error);
		return -1;
	}
	if (account->oauth2_token_cmd != NULL) {
		ret = account_login_xoauth2(account, session, error_r);
	} else {
		password = process_run_secret_command(account->password_cmd, &error);
		if (password == NULL) {
			*error_r = g_strdup_printf("password_cmd: %s", error);
			g_free(error);
			imap_session_free(&session);
			return -1;
		}
		ret = imap_session_login(session, account->user, password, error_r);
		process_secret_free(password);
	}
	if (ret < 0) {
		imap_session_free(&session);
		return -1;
	}
	*session_r = session;
	return 0;
}
