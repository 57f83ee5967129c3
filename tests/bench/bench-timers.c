/* Timer benchmark (issue 15; not part of make check: `make bench`).
 * 100,000 pending timers, due one a second on average over 28 hours, as
 * a large practice would have them. A firer looks for the due ones once
 * a simulated second, 2,000 times:
 *   1. through the partial index timers_due (store_timer_claim's query);
 *   2. the naive way, a scan of the whole table (NOT INDEXED), same run,
 *      same database, same instants;
 * and prints each time per lookup and their ratio. Then store_timer_claim
 * + store_timer_finish (what the timer thread does) and
 * store_timer_next_due, through the store.
 * Usage: bench-timers [TIMERS] [DIR] (default 100000, a temp dir). */
#include "store/store.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#define LOOKUPS 2000
#define T0 1798761600 /* 2027-01-01T00:00:00Z */

static double seconds_since(gint64 start)
{
	return (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
}

static void die(const char *what, const char *error)
{
	fprintf(stderr, "bench-timers: %s: %s\n", what, error);
	exit(1);
}

/* Seconds for LOOKUPS lookups of the timers due at T0 + i, i = 0.., with
 * sql; *found_r: the rows seen in all. */
static double bench_lookups(sqlite3 *db, const char *sql, long *found_r)
{
	sqlite3_stmt *stmt;
	gint64 start = g_get_monotonic_time();

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		die("prepare", sqlite3_errmsg(db));
	*found_r = 0;
	for (int i = 0; i < LOOKUPS; i++) {
		sqlite3_bind_int64(stmt, 1, T0 + i);
		while (sqlite3_step(stmt) == SQLITE_ROW)
			(*found_r)++;
		sqlite3_reset(stmt);
	}
	sqlite3_finalize(stmt);
	return seconds_since(start);
}

int main(int argc, char **argv)
{
	long total = argc > 1 ? atol(argv[1]) : 100000;
	g_autofree char *dir = argc > 2 ? g_strdup(argv[2]) : g_dir_make_tmp("vea-bench-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "vea.db", NULL);
	GRand *rand = g_rand_new_with_seed(15);
	store *st = NULL;
	sqlite3 *db = NULL;
	char *error = NULL;
	gint64 start;
	double indexed, scanned, firing;
	long found_indexed, found_scanned, fired = 0;
	int64_t next = 0;

	if (store_open(path, &st, &error) < 0)
		die(path, error);
	start = g_get_monotonic_time();
	for (long i = 0; i < total; i++) {
		store_timer t = { 0 };
		char subject[64];

		if (i % 1000 == 0 && store_transaction_begin(st, &error) < 0)
			die("begin", error);
		g_snprintf(subject, sizeof(subject), "Follow-up %ld", i);
		t.client = (char *)"c01";
		t.account = (char *)"a01";
		t.kind = i % 3 == 0 ? ACTION_SNOOZE : ACTION_REMIND;
		t.mailbox = (char *)"INBOX";
		t.message_id = g_strdup_printf("m%ld@bench.example", i);
		t.subject = subject;
		/* One a second on average, in random order. */
		t.due_at = T0 + g_rand_int_range(rand, 0, (gint32)total);
		t.local_due = (char *)"2027-01-01 09:00 CET Europe/Rome";
		t.options = (char *)"if_unanswered=1\nto=assistant\n";
		t.created_at = T0 - 86400;
		if (store_timer_insert(st, &t, NULL, &error) < 0)
			die("insert", error);
		g_free(t.message_id);
		if ((i % 1000 == 999 || i == total - 1) && store_transaction_commit(st, &error) < 0)
			die("commit", error);
	}
	if (store_maintain(st, &error) < 0)
		die("maintain", error);
	printf("%ld pending timers inserted in %.2f s\n", total, seconds_since(start));

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die(path, sqlite3_errmsg(db));
	/* Due at the instant, still waiting: the claim's condition. */
	indexed = bench_lookups(db, "SELECT id FROM timers INDEXED BY timers_due"
				    " WHERE due_at <= ?1 AND (state = 'pending' OR state = 'firing')"
				    " AND due_at > ?1 - 1 ORDER BY due_at, id LIMIT 50",
				&found_indexed);
	scanned = bench_lookups(db, "SELECT id FROM timers NOT INDEXED"
				    " WHERE due_at <= ?1 AND (state = 'pending' OR state = 'firing')"
				    " AND due_at > ?1 - 1 ORDER BY due_at, id LIMIT 50",
				&found_scanned);
	sqlite3_close(db);
	if (found_indexed != found_scanned) {
		fprintf(stderr, "bench-timers: the index found %ld timers, the scan %ld\n",
			found_indexed, found_scanned);
		return 1;
	}
	printf("find the due timers, %d lookups (%ld timers due):\n", LOOKUPS, found_indexed);
	printf("  partial index timers_due: %8.1f us per lookup\n", indexed * 1e6 / LOOKUPS);
	printf("  whole-table scan:         %8.1f us per lookup\n", scanned * 1e6 / LOOKUPS);
	printf("  ratio scan / index:       %8.0f x\n", indexed > 0 ? scanned / indexed : 0.0);

	/* What the timer thread does, once a simulated second. */
	start = g_get_monotonic_time();
	for (int i = 0; i < LOOKUPS; i++) {
		g_autoptr(GPtrArray) claimed = NULL;
		int64_t now = T0 + i;

		if (store_timer_claim(st, now, now + 120, 50, &claimed, &error) < 0)
			die("claim", error);
		for (guint j = 0; j < claimed->len; j++) {
			const store_timer *t = g_ptr_array_index(claimed, j);

			if (store_timer_finish(st, t->id, STORE_TIMER_FIRED, now, "fired", &error) < 0)
				die("finish", error);
			fired++;
		}
		if (store_timer_next_due(st, now, &next, &error) < 0)
			die("next due", error);
	}
	firing = seconds_since(start);
	printf("claim + finish + next due, %d rounds (%ld fired): %.1f us per round\n", LOOKUPS,
	       fired, firing * 1e6 / LOOKUPS);
	store_close(&st);
	g_rand_free(rand);
	if (argc <= 2) {
		g_autofree char *wal = g_strconcat(path, "-wal", NULL);
		g_autofree char *shm = g_strconcat(path, "-shm", NULL);

		g_unlink(wal);
		g_unlink(shm);
		g_unlink(path);
		g_rmdir(dir);
	}
	return 0;
}
