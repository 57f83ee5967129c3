/* What the daemon does once a minute, on the main thread between
 * signals. A file of its own because the tick is due to grow (reminders,
 * an outbox) and to move to a thread of its own, so that a slow SMTP
 * server no longer holds up SIGTERM (REVIEW.md 1.3.4). */
#include "daemon/daemon-private.h"
#include "digest/schedule.h"

void daemon_tick(const conf *config)
{
	/* A dry run sends nothing. */
	if (config == NULL)
		return;
	digest_send_due(config);
}
