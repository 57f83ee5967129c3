/* Small shared pieces: durations people type, money in minor units, the
 * service manager's notify socket and the journal's native protocol. */
#include "util/clock.h"
#include "util/duration.h"
#include "util/log.h"
#include "util/money.h"
#include "util/service-notify.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void test_duration_parse(void)
{
	static const struct {
		const char *text;
		int64_t seconds;
	} good[] = {
		{ "45m", 2700 }, { "1h30m", 5400 }, { "1.5h", 5400 }, { "90s", 90 },
		{ "2h 15m", 8100 }, { "20", 1200 }, { "0.1h", 360 }, { "1h 30min", 5400 },
		{ "2 hours", 7200 }, { "0m", 0 }, { "1,5h", 5400 }, { "0.01m", 1 },
	};
	static const struct {
		const char *text;
		const char *error;
	} bad[] = {
		{ "-5m", "cannot be negative" }, { "", "empty duration" }, { "abc", "expected a number" },
		{ "5x", "unknown unit 'x'" }, { "1h30", "has no unit" }, { "30m 1h", "from hours to minutes" },
		{ "99999h", "longer than a year" }, { "1h1h", "from hours to minutes" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
		int64_t seconds = -1;
		char *error = NULL;

		if (duration_parse(good[i].text, &seconds, &error) < 0)
			g_error("'%s': %s", good[i].text, error);
		g_assert_cmpint(seconds, ==, good[i].seconds);
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		int64_t seconds = -1;
		char *error = NULL;

		g_assert_cmpint(duration_parse(bad[i].text, &seconds, &error), ==, -1);
		if (strstr(error, bad[i].error) == NULL)
			g_error("'%s': got '%s', expected '%s'", bad[i].text, error, bad[i].error);
		g_free(error);
	}
}

static void test_time_of_day(void)
{
	int minutes = 0;
	char *error = NULL;

	g_assert_cmpint(time_of_day_parse("07:30", &minutes, &error), ==, 0);
	g_assert_cmpint(minutes, ==, 450);
	g_assert_cmpint(time_of_day_parse("23:59", &minutes, &error), ==, 0);
	g_assert_cmpint(minutes, ==, 1439);
	g_assert_cmpint(time_of_day_parse("24:00", &minutes, &error), ==, -1);
	g_free(error);
	g_assert_cmpint(time_of_day_parse("7", &minutes, &error), ==, -1);
	g_free(error);
	g_assert_cmpint(time_of_day_parse("07:30pm", &minutes, &error), ==, -1);
	g_free(error);
}

static void test_money(void)
{
	static const struct {
		int64_t seconds, rate, expected;
	} prices[] = {
		{ 3600, 9500, 9500 }, { 60, 9500, 158 }, /* 158.33 */
		{ 90, 100, 3 },                             /* 2.5 rounds half up */
		{ 0, 9500, 0 }, { -60, 9500, -158 },
	};
	g_autofree char *usd = money_format(12345, "USD");
	g_autofree char *jpy = money_format(500, "JPY");
	g_autofree char *neg = money_format(-5, "EUR");
	g_autofree char *hours = money_format_duration(3900);

	for (guint i = 0; i < G_N_ELEMENTS(prices); i++)
		g_assert_cmpint(money_for_seconds(prices[i].seconds, prices[i].rate), ==, prices[i].expected);
	g_assert_cmpstr(usd, ==, "USD 123.45");
	g_assert_cmpstr(jpy, ==, "JPY 500");
	g_assert_cmpstr(neg, ==, "EUR -0.05");
	g_assert_cmpstr(hours, ==, "1h 05m");
}

/* A datagram socket bound to path (abstract when it starts with '@'). */
static int test_bind_datagram(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	memcpy(addr.sun_path, path, len);
	if (path[0] == '@')
		addr.sun_path[0] = '\0';
	else
		addr_len++;
	g_assert_cmpint(bind(fd, (struct sockaddr *)&addr, addr_len), ==, 0);
	return fd;
}

static char *test_receive(int fd, gssize *len_r)
{
	char buf[4097];
	gssize n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	g_assert_cmpint(n, >, 0);
	buf[n] = '\0';
	*len_r = n;
	return g_memdup2(buf, (gsize)n + 1);
}

static void test_service_notify(void)
{
	g_autofree char *dir = g_dir_make_tmp("vea-notify-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "notify", NULL);
	g_autofree char *abstract = g_strdup_printf("@vea-test-notify-%ld", (long)getpid());
	const char *sockets[] = { path, abstract };
	char *error = NULL;

	g_unsetenv("NOTIFY_SOCKET");
	g_assert_cmpint(service_notify_ready("x", &error), ==, 0);
	for (guint i = 0; i < G_N_ELEMENTS(sockets); i++) {
		int fd = test_bind_datagram(sockets[i]);
		g_autofree char *ready = NULL, *stopping = NULL;
		gssize len;

		g_setenv("NOTIFY_SOCKET", sockets[i], TRUE);
		g_assert_cmpint(service_notify_ready("watching 2 accounts", &error), ==, 0);
		ready = test_receive(fd, &len);
		g_assert_cmpstr(ready, ==, "READY=1\nSTATUS=watching 2 accounts");
		g_assert_cmpint(service_notify_stopping(&error), ==, 0);
		stopping = test_receive(fd, &len);
		g_assert_true(g_str_has_prefix(stopping, "STOPPING=1\n"));
		close(fd);
	}
	/* Nobody listening: an error naming the socket, not silence. */
	g_unlink(path);
	g_setenv("NOTIFY_SOCKET", path, TRUE);
	g_assert_cmpint(service_notify_stopping(&error), ==, -1);
	g_assert_nonnull(strstr(error, path));
	g_clear_pointer(&error, g_free);
	g_setenv("NOTIFY_SOCKET", "relative/name", TRUE);
	g_assert_cmpint(service_notify_stopping(&error), ==, -1);
	g_assert_nonnull(strstr(error, "relative/name"));
	g_free(error);
	g_unsetenv("NOTIFY_SOCKET");
	g_rmdir(dir);
}

/* The native protocol: KEY=value lines, and the binary form (name, newline,
 * 64-bit little-endian length, value, newline) for a value with a newline. */
static void test_log_journal(void)
{
	g_autofree char *dir = g_dir_make_tmp("vea-journal-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "journal", NULL);
	g_autofree char *stream = NULL, *entry = NULL, *second = NULL;
	static const char multi[] = "MESSAGE\n\x1c\0\0\0\0\0\0\0client c1: line one\nline two\n";
	struct stat st;
	gssize len;
	int fd = test_bind_datagram(path);

	g_assert_cmpint(fstat(STDERR_FILENO, &st), ==, 0);
	g_setenv("VEA_JOURNAL_SOCKET", path, TRUE);
	g_setenv("JOURNAL_STREAM", "1:2", TRUE);
	if (st.st_dev != 1 || st.st_ino != 2)
		g_assert_cmpint(log_use_journal_if_stderr_is_journal(), ==, 0);
	stream = g_strdup_printf("%llu:%llu", (unsigned long long)st.st_dev,
				 (unsigned long long)st.st_ino);
	g_setenv("JOURNAL_STREAM", stream, TRUE);
	g_assert_cmpint(log_use_journal_if_stderr_is_journal(), ==, 1);

	log_register_account("a1", "c1");
	log_warning("account a1: mailbox INBOX: action #42 failed");
	entry = test_receive(fd, &len);
	g_assert_cmpstr(entry, ==, "PRIORITY=4\nSYSLOG_IDENTIFIER=vea\n"
			"MESSAGE=account a1: mailbox INBOX: action #42 failed\n"
			"ACCOUNT=a1\nCLIENT=c1\nACTION_ID=42\n");
	log_error("client c1: line one\nline two");
	second = test_receive(fd, &len);
	g_assert_true(g_str_has_prefix(second, "PRIORITY=3\nSYSLOG_IDENTIFIER=vea\n"));
	g_assert_cmpint(len, ==, (gssize)strlen("PRIORITY=3\nSYSLOG_IDENTIFIER=vea\n") +
				 (gssize)sizeof(multi) - 1 + (gssize)strlen("CLIENT=c1\n"));
	g_assert_cmpmem(second + strlen("PRIORITY=3\nSYSLOG_IDENTIFIER=vea\n"), sizeof(multi) - 1,
			multi, sizeof(multi) - 1);
	close(fd);
	g_unlink(path);
	g_rmdir(dir);
}

/* The one clock: VEA_NOW sets it for everything; a bad value is an error
 * where it is checked and the real time elsewhere. */
static void test_clock(void)
{
	GDateTime *now;
	char *error = NULL;
	int64_t real = g_get_real_time() / G_USEC_PER_SEC;

	g_setenv("VEA_NOW", "2026-03-29T01:30:00+01:00", TRUE);
	g_assert_cmpint(clock_now_unix(), ==, 1774744200);
	now = clock_now_checked(&error);
	g_assert_nonnull(now);
	g_assert_cmpint(g_date_time_to_unix(now), ==, 1774744200);
	g_date_time_unref(now);

	g_setenv("VEA_NOW", "tomorrow", TRUE);
	g_assert_null(clock_now_checked(&error));
	g_assert_nonnull(strstr(error, "VEA_NOW='tomorrow'"));
	g_free(error);
	g_assert_cmpint(clock_now_unix() - real, <, 5);

	g_unsetenv("VEA_NOW");
	g_assert_cmpint(clock_now_unix() - real, <, 5);
	now = clock_now_checked(&error);
	g_assert_nonnull(now);
	g_date_time_unref(now);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/util/duration", test_duration_parse);
	g_test_add_func("/util/time-of-day", test_time_of_day);
	g_test_add_func("/util/money", test_money);
	g_test_add_func("/util/clock", test_clock);
	g_test_add_func("/util/service-notify", test_service_notify);
	/* Last: from here on this process logs to the test's socket. */
	g_test_add_func("/util/log-journal", test_log_journal);
	return g_test_run();
}
