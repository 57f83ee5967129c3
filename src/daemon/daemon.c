/* The account threads and their lifetime: one per selected account, all
 * in this process. Threads rather than processes: libetpan blocks, so
 * each account needs its own flow of control, and threads share the
 * compiled rules and config read-only (doc/DESIGN.md). */
#include "daemon/daemon-private.h"
#include "util/log.h"

typedef struct daemon_pass_job {
	const daemon_setup *setup;
	const agent_options *options;
	agent_report *report; /* its account too */
	GThread *thread;
} daemon_pass_job;

static gpointer daemon_pass_thread(gpointer data)
{
	daemon_pass_job *job = data;
	const conf_account *account = job->report->account;
	const rules_set *rules = daemon_setup_get_rules(job->setup, account->client);

	if (agent_run_account(job->setup->config, account, rules, job->options,
			      job->report) < 0 && job->report->error != NULL)
		log_error("account %s: %s", account->id, job->report->error);
	return NULL;
}

static void daemon_report_free(gpointer report)
{
	agent_report_free(report);
}

GPtrArray *daemon_run_once(const daemon_setup *setup, const char *const *only,
			   const agent_options *options, agent_failure *worst_r)
{
	GPtrArray *reports = g_ptr_array_new_with_free_func(daemon_report_free);
	g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func(g_free);
	agent_failure worst = AGENT_FAILURE_NONE;

	for (guint i = 0; i < setup->config->accounts->len; i++) {
		const conf_account *account = g_ptr_array_index(setup->config->accounts, i);
		daemon_pass_job *job;

		if (!daemon_account_selected(account, only))
			continue;
		job = g_new0(daemon_pass_job, 1);
		job->setup = setup;
		job->options = options;
		job->report = agent_report_new(account);
		g_ptr_array_add(reports, job->report);
		job->thread = g_thread_new(account->id, daemon_pass_thread, job);
		g_ptr_array_add(jobs, job);
	}
	for (guint i = 0; i < jobs->len; i++) {
		daemon_pass_job *job = g_ptr_array_index(jobs, i);

		g_thread_join(job->thread);
		/* The worst decides: OTHER > LOST > UNREACHABLE. */
		if (job->report->failed)
			worst = MAX(worst, job->report->failure != AGENT_FAILURE_NONE
						   ? job->report->failure : AGENT_FAILURE_OTHER);
	}
	*worst_r = worst;
	return reports;
}

typedef struct daemon_watcher {
	const daemon_setup *setup;
	const conf_account *account;
	const agent_options *options;
	agent_watch *watch;
	GThread *thread;
} daemon_watcher;

struct daemon_watchers {
	GPtrArray *jobs; /* daemon_watcher * */
};

static gpointer daemon_watcher_thread(gpointer data)
{
	daemon_watcher *job = data;
	const rules_set *rules = daemon_setup_get_rules(job->setup, job->account->client);

	agent_watch_account(job->setup->config, job->account, rules, job->options, job->watch);
	return NULL;
}

daemon_watchers *daemon_watchers_start(const daemon_setup *setup,
				       const char *const *only,
				       const agent_options *options)
{
	daemon_watchers *watchers = g_new0(daemon_watchers, 1);

	watchers->jobs = g_ptr_array_new();
	for (guint i = 0; i < setup->config->accounts->len; i++) {
		const conf_account *account = g_ptr_array_index(setup->config->accounts, i);
		daemon_watcher *job;

		if (!daemon_account_selected(account, only))
			continue;
		job = g_new0(daemon_watcher, 1);
		job->setup = setup;
		job->account = account;
		job->options = options;
		job->watch = agent_watch_new();
		job->thread = g_thread_new(account->id, daemon_watcher_thread, job);
		g_ptr_array_add(watchers->jobs, job);
	}
	return watchers;
}

guint daemon_watchers_count(const daemon_watchers *watchers)
{
	return watchers->jobs->len;
}

void daemon_watchers_stop(daemon_watchers **watchersp)
{
	daemon_watchers *watchers = *watchersp;

	if (watchers == NULL)
		return;
	*watchersp = NULL;
	for (guint i = 0; i < watchers->jobs->len; i++)
		agent_watch_stop(((daemon_watcher *)g_ptr_array_index(watchers->jobs, i))->watch);
	for (guint i = 0; i < watchers->jobs->len; i++) {
		daemon_watcher *job = g_ptr_array_index(watchers->jobs, i);

		g_thread_join(job->thread);
		agent_watch_free(job->watch);
		g_free(job);
	}
	g_ptr_array_unref(watchers->jobs);
	g_free(watchers);
}
