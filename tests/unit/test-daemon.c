/* What vea run starts with: every client's rules compile or nothing
 * runs, the database is created before any account thread, and
 * --account selects. The threads and signals are tested through the
 * binary (tests/integration/test_service.py, test_workers.py). */
#include "daemon/daemon.h"
#include "mime/message.h"

#include <glib/gstdio.h>
#include <string.h>

/* A config in dir with clients a (rules = rules) and b (no rules), and
 * accounts x (client a) and y (client b); database at database. */
static conf *load_config(const char *dir, const char *rules, const char *database)
{
	g_autofree char *path = g_build_filename(dir, "vea.conf", NULL);
	g_autofree char *rules_path = g_build_filename(dir, "a.sieve", NULL);
	g_autofree char *text = g_strdup_printf(
		"[vea]\ndatabase = %s\n"
		"[client:a]\ntimezone = UTC\nrules = a.sieve\n"
		"[client:b]\ntimezone = UTC\n"
		"[account:x]\nclient = a\nurl = imaps://h\nuser = u\npassword_cmd = true\n"
		"[account:y]\nclient = b\nurl = imaps://h\nuser = u\npassword_cmd = true\n",
		database);
	GPtrArray *errors = NULL;
	conf *config = NULL;

	g_assert_true(g_file_set_contents(rules_path, rules, -1, NULL));
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	if (conf_load(path, &config, &errors) < 0)
		g_error("config: %s", (const char *)g_ptr_array_index(errors, 0));
	return config;
}

static void test_daemon_setup(void)
{
	static const struct {
		const char *rules;
		const char *database; /* relative to the test's folder */
		const char *error;    /* a part of the first error, or NULL */
	} cases[] = {
		{ "require \"fileinto\";\nfileinto \"Done\";\n", "vea.db", NULL },
		{ "require \"fileinto\";\nfileinto \"Done\"\n", "vea.db", "a.sieve:" },
		/* a file where its folder should be */
		{ "keep;\n", "a.sieve/vea.db", "cannot create" },
		/* Rules first: a database is not even created for rules
		 * that do not compile. */
		{ "nonsense;\n", "never.db", "a.sieve:" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *dir = g_dir_make_tmp("vea-daemon-XXXXXX", NULL);
		g_autofree char *database = g_build_filename(dir, cases[i].database, NULL);
		g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
		conf *config = load_config(dir, cases[i].rules, database);
		const conf_client *a = conf_find_client(config, "a");
		const conf_client *b = conf_find_client(config, "b");
		daemon_setup *setup;

		g_assert_nonnull(a);
		g_assert_nonnull(b);
		setup = daemon_setup_new(config, errors);
		if (cases[i].error == NULL) {
			g_assert_nonnull(setup);
			g_assert_cmpuint(errors->len, ==, 0);
			g_assert_nonnull(daemon_setup_get_rules(setup, a));
			g_assert_null(daemon_setup_get_rules(setup, b));
			g_assert_true(g_file_test(database, G_FILE_TEST_EXISTS));
		} else {
			g_assert_null(setup);
			g_assert_cmpuint(errors->len, >, 0);
			if (strstr(g_ptr_array_index(errors, 0), cases[i].error) == NULL)
				g_error("case %u: error \"%s\", want one naming %s", i,
					(const char *)g_ptr_array_index(errors, 0), cases[i].error);
			g_assert_false(g_str_has_suffix(database, "never.db") &&
				       g_file_test(database, G_FILE_TEST_EXISTS));
		}
		daemon_setup_free(&setup);
		g_assert_null(setup);
		{
			char *rm[] = { "rm", "-rf", dir, NULL };

			g_spawn_sync(NULL, rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
				     NULL, NULL, NULL);
		}
	}
}

static void test_daemon_account_selected(void)
{
	g_autofree char *dir = g_dir_make_tmp("vea-daemon-XXXXXX", NULL);
	g_autofree char *database = g_build_filename(dir, "vea.db", NULL);
	conf *config = load_config(dir, "keep;\n", database);
	const conf_account *x = conf_find_account(config, "x");
	const conf_account *y = conf_find_account(config, "y");
	static const char *const only_x[] = { "x", NULL };
	static const char *const only_other[] = { "x-y", NULL };
	static const char *const none[] = { NULL };
	char *rm[] = { "rm", "-rf", dir, NULL };

	g_assert_true(daemon_account_selected(x, NULL));
	g_assert_true(daemon_account_selected(y, NULL));
	g_assert_true(daemon_account_selected(x, only_x));
	g_assert_false(daemon_account_selected(y, only_x));
	g_assert_false(daemon_account_selected(x, only_other));
	g_assert_false(daemon_account_selected(x, none));
	conf_free(&config);
	g_spawn_sync(NULL, rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	mime_init();
	g_test_add_func("/daemon/setup", test_daemon_setup);
	g_test_add_func("/daemon/account-selected", test_daemon_account_selected);
	return g_test_run();
}
