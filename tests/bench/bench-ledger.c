/* Ledger benchmark (not part of make check; run `make bench`):
 *   1. agent-style inserts: store_ledger_insert() in batched transactions,
 *      as the agent writes them; target >= 10,000 entries/s;
 *   2. a year of history, up to 1,000,000 entries for 50 clients;
 *   3. a monthly report of every client (half on capped-rollover
 *      retainers, so their rollover is computed from the whole year):
 *      build in one read transaction and render; target < 1 s.
 * Usage: bench-ledger [ENTRIES] [DIR] (default 1000000, a temp dir). */
#include "ledger/ledger.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#define CLIENTS 50
#define BATCH 1000

static double seconds_since(gint64 start)
{
	return (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
}

static void die(const char *what, const char *error)
{
	fprintf(stderr, "bench-ledger: %s: %s\n", what, error);
	exit(1);
}

static char *write_config(const char *dir)
{
	static const char *const zones[] = { "America/New_York", "Europe/Rome", "Asia/Tokyo",
					     "Australia/Sydney", "UTC" };
	GString *text = g_string_new("[vea]\ndatabase = vea.db\n");
	char *path = g_build_filename(dir, "vea.conf", NULL);
	GError *error = NULL;

	for (int i = 0; i < CLIENTS; i++) {
		g_string_append_printf(text, "\n[client:c%02d]\nname = Client %d\ntimezone = %s\nbilling = b%02d\n",
				       i, i, zones[i % G_N_ELEMENTS(zones)], i);
		if (i % 2 == 0)
			g_string_append_printf(text, "\n[billing:b%02d]\nclient = c%02d\nrate = 9500\ncurrency = USD\nincrement = 6m\n",
					       i, i);
		else
			g_string_append_printf(text, "\n[billing:b%02d]\nclient = c%02d\nmode = retainer\nrate = 8000\n"
					       "currency = EUR\nretainer_hours = 20h\noverage_rate = 12000\n"
					       "rollover = capped\nrollover_cap = 10h\nincrement = 15m\nround = period\n",
					       i, i);
	}
	if (!g_file_set_contents(path, text->str, -1, &error))
		die(path, error->message);
	g_string_free(text, TRUE);
	return path;
}

int main(int argc, char **argv)
{
	static const char *const categories[] = { "triage", "drafts", "scheduling", "manual" };
	long total = argc > 1 ? atol(argv[1]) : 1000000;
	g_autofree char *dir = argc > 2 ? g_strdup(argv[2]) : g_dir_make_tmp("vea-bench-XXXXXX", NULL);
	g_autofree char *conf_path = NULL;
	GPtrArray *errors = NULL;
	conf *config = NULL;
	store *st = NULL;
	char *error = NULL;
	long agent_n = total / 5, history_n = total - agent_n;
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;
	GRand *rand = g_rand_new_with_seed(42);
	gint64 start;
	double elapsed;

	conf_path = write_config(dir);
	if (conf_load(conf_path, &config, &errors) < 0)
		die("config", g_ptr_array_index(errors, 0));
	if (store_open(config->database, &st, &error) < 0)
		die("store", error);
	printf("bench-ledger: %ld entries, %d clients, database %s\n", total, CLIENTS, config->database);

	/* 1. The agent's way: store_ledger_insert, BATCH per transaction. */
	start = g_get_monotonic_time();
	for (long n = 0; n < agent_n; n += BATCH) {
		if (store_transaction_begin(st, &error) < 0)
			die("begin", error);
		for (long k = n; k < n + BATCH && k < agent_n; k++) {
			char key[64], description[64];
			store_ledger_entry entry = {
				.client = NULL, .billing_account = NULL,
				.seconds = 30 + g_rand_int_range(rand, 0, 300),
				.description = description, .category = categories[k % 3],
				.source = "rule", .message_key = key,
			};
			char client[8], account[8];

			g_snprintf(client, sizeof(client), "c%02ld", k % CLIENTS);
			g_snprintf(account, sizeof(account), "b%02ld", k % CLIENTS);
			g_snprintf(key, sizeof(key), "acct/INBOX/1/%ld", k);
			g_snprintf(description, sizeof(description), "fileinto \"Newsletters\" (message %ld)", k);
			entry.client = client;
			entry.billing_account = account;
			if (store_ledger_insert(st, &entry, NULL, &error) < 0)
				die("insert", error);
		}
		if (store_transaction_commit(st, &error) < 0)
			die("commit", error);
	}
	elapsed = seconds_since(start);
	printf("agent-style insert: %ld entries in %.3f s = %.0f entries/s (batches of %d; target >= 10000)\n",
	       agent_n, elapsed, agent_n / elapsed, BATCH);

	/* 2. A year of history before now, spread evenly. */
	start = g_get_monotonic_time();
	for (long n = 0; n < history_n; n += BATCH * 10) {
		if (store_transaction_begin(st, &error) < 0)
			die("begin", error);
		for (long k = n; k < n + BATCH * 10 && k < history_n; k++) {
			char client[8], account[8], description[64];
			store_ledger_entry entry = {
				.client = client, .billing_account = account,
				.seconds = 30 + g_rand_int_range(rand, 0, 1800),
				.description = description, .category = categories[k % 4],
				.source = k % 4 == 3 ? "manual" : "rule",
				.created_at = now - 366 * 86400 + (int64_t)k * (365 * 86400 / history_n),
			};

			g_snprintf(client, sizeof(client), "c%02ld", k % CLIENTS);
			g_snprintf(account, sizeof(account), "b%02ld", k % CLIENTS);
			g_snprintf(description, sizeof(description), "work item %ld", k);
			if (store_ledger_entry_add(st, &entry, NULL, &error) < 0)
				die("insert", error);
		}
		if (store_transaction_commit(st, &error) < 0)
			die("commit", error);
	}
	printf("history insert: %ld entries in %.3f s\n", history_n, seconds_since(start));
	if (store_maintain(st, &error) < 0)
		die("maintain", error);

	/* 3. Monthly reports of all 50 clients: last month (history, rollover
	 * chains of a year) and this month (the agent's entries). */
	for (int which = 0; which < 2; which++) {
		ledger_query query = { .range = LEDGER_RANGE_PERIOD };
		GDate date;
		ledger_report *report = NULL;
		g_autofree char *text = NULL, *json = NULL;
		double build, render_text, render_json;
		long lines = 0;

		ledger_local_date(g_ptr_array_index(config->clients, 0) != NULL
					  ? ((conf_client *)g_ptr_array_index(config->clients, 0))->tz : NULL,
				  now, &date);
		if (which == 0)
			g_date_subtract_months(&date, 1);
		query.year = g_date_get_year(&date);
		query.month = g_date_get_month(&date);
		start = g_get_monotonic_time();
		if (ledger_report_build(st, config, &query, now, &report, &error) < 0)
			die("report", error);
		build = seconds_since(start);
		start = g_get_monotonic_time();
		text = ledger_report_render(report, LEDGER_FORMAT_TEXT);
		render_text = seconds_since(start);
		start = g_get_monotonic_time();
		json = ledger_report_render(report, LEDGER_FORMAT_JSON);
		render_json = seconds_since(start);
		for (guint i = 0; i < report->n_accounts; i++)
			lines += report->accounts[i].n_lines;
		printf("monthly report %04d-%02d, %u accounts, %ld entries: build %.3f s, text %.3f s (%zu bytes), "
		       "json %.3f s; build+text %.3f s (target < 1 s)\n",
		       query.year, query.month, report->n_accounts, lines, build, render_text, strlen(text),
		       render_json, build + render_text);
		ledger_report_free(&report);
	}

	store_close(&st);
	conf_free(&config);
	g_rand_free(rand);
	if (argc <= 2) {
		const char *names[] = { "vea.conf", "vea.db", "vea.db-wal", "vea.db-shm", NULL };

		for (const char **n = names; *n != NULL; n++) {
			g_autofree char *path = g_build_filename(dir, *n, NULL);

			g_unlink(path);
		}
		g_rmdir(dir);
	}
	return 0;
}
