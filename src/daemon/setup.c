/* What the daemon runs with: the config, every client's compiled rules,
 * the database created; and which accounts are selected. */
#include "daemon/daemon-private.h"
#include "store/store.h"

static void setup_rules_free(gpointer data)
{
	rules_set *set = data;

	rules_set_free(&set);
}

GHashTable *daemon_rules_compile(const conf *config, GPtrArray *errors)
{
	GHashTable *rules = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
						  setup_rules_free);

	for (guint i = 0; i < config->clients->len; i++) {
		conf_client *client = g_ptr_array_index(config->clients, i);
		rules_set *set = NULL;

		if (client->rules[0] == NULL)
			continue;
		if (rules_set_compile(config, client, &set, errors) == 0)
			g_hash_table_insert(rules, client->id, set);
	}
	return rules;
}

daemon_setup *daemon_setup_new(conf *config, GPtrArray *errors)
{
	daemon_setup *setup = g_new0(daemon_setup, 1);
	guint errors_before = errors->len;

	setup->config = config;
	setup->rules = daemon_rules_compile(config, errors);
	/* Create and migrate the database once, here, before any account
	 * thread opens it; a database that cannot be opened stops vea
	 * before it touches any mailbox. */
	if (errors->len == errors_before) {
		store *st = NULL;
		char *error = NULL;

		if (store_open(config->database, &st, &error) < 0)
			g_ptr_array_add(errors, error);
		store_close(&st);
	}
	if (errors->len > errors_before) {
		daemon_setup_free(&setup);
		return NULL;
	}
	return setup;
}

void daemon_setup_free(daemon_setup **setupp)
{
	daemon_setup *setup = *setupp;

	if (setup == NULL)
		return;
	*setupp = NULL;
	if (setup->rules != NULL)
		g_hash_table_destroy(setup->rules);
	conf_free(&setup->config);
	g_free(setup);
}

const rules_set *daemon_setup_get_rules(const daemon_setup *setup,
					const conf_client *client)
{
	return g_hash_table_lookup(setup->rules, client->id);
}

gboolean daemon_account_selected(const conf_account *account,
				 const char *const *only)
{
	return only == NULL || g_strv_contains(only, account->id);
}
