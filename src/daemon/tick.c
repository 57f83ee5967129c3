/* What the daemon does once a minute, on the main thread between
 * signals. A file of its own because the tick is due to grow (reminders)
 * and to move to a thread of its own, as the outbox's sending did, so
 * that a slow SMTP server sending a digest no longer holds up SIGTERM
 * (REVIEW.md 1.3.4). */
#include "daemon/daemon-private.h"
#include "digest/schedule.h"

void daemon_tick(const conf *config)
{
	/* A dry run sends nothing. */
	if (config == NULL)
		return;
	digest_send_due(config);
}
