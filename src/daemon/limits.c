/* The process's descriptor limit, for the accounts it serves. */
#include "daemon/daemon-private.h"
#include "util/log.h"

#include <sys/resource.h>

/* Descriptors: every IMAP connection holds two (its socket and the
 * eventfd that interrupts its IDLE, src/imap/stream.h), an account's
 * SQLite connection three while it syncs, and an account watches each
 * mailbox (up to five) on a connection of its own. Nothing in vea waits
 * with select() (stream.c waits with poll(), libcurl too), so no
 * descriptor number is too high and one process serves every account:
 * the soft limit, often 1,024, is raised to the hard one, and a hard
 * limit too low for the accounts is said at the start rather than found
 * as failed connections later. */
#define LIMITS_FD_BASE 64
#define LIMITS_FD_PER_ACCOUNT 3
#define LIMITS_FD_PER_MAILBOX 2
#define LIMITS_MAILBOXES_WATCHED 5

void daemon_raise_fd_limit(const conf *config, const char *const *only)
{
	struct rlimit limit;
	guint64 needed = LIMITS_FD_BASE;

	for (guint i = 0; i < config->accounts->len; i++) {
		const conf_account *account = g_ptr_array_index(config->accounts, i);

		if (daemon_account_selected(account, only))
			needed += LIMITS_FD_PER_ACCOUNT +
				  LIMITS_FD_PER_MAILBOX *
					  (guint64)MIN(g_strv_length(account->mailboxes),
						       LIMITS_MAILBOXES_WATCHED);
	}
	if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
		return;
	if (limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &limit) < 0)
			getrlimit(RLIMIT_NOFILE, &limit);
	}
	if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed)
		log_warning("the descriptor limit is %llu and these accounts may need %llu: "
			    "raise it (ulimit -n, systemd LimitNOFILE=)",
			    (unsigned long long)limit.rlim_cur, (unsigned long long)needed);
}
