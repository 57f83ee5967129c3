/* The one clock: see clock.h. */
#include "util/clock.h"

static GDateTime *clock_fake(gboolean *set_r)
{
	const char *fake = g_getenv("VEA_NOW");

	*set_r = fake != NULL && *fake != '\0';
	return *set_r ? g_date_time_new_from_iso8601(fake, NULL) : NULL;
}

GDateTime *clock_now_checked(char **error_r)
{
	gboolean set;
	GDateTime *now = clock_fake(&set);

	if (!set)
		return g_date_time_new_now_utc();
	if (now == NULL)
		*error_r = g_strdup_printf("VEA_NOW='%s' is not an ISO 8601 time with a zone"
					   " (e.g. 2026-11-26T07:30:00Z)", g_getenv("VEA_NOW"));
	return now;
}

int64_t clock_now_unix(void)
{
	gboolean set;
	GDateTime *now = clock_fake(&set);
	int64_t seconds;

	if (now == NULL)
		return g_get_real_time() / G_USEC_PER_SEC;
	seconds = g_date_time_to_unix(now);
	g_date_time_unref(now);
	return seconds;
}
