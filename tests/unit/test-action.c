/* The action table (action/kind.h): every kind is named once, names read
 * back to their kind, and what the table says is what the rest of vea
 * relies on (what undo refuses, what the digest lists, what costs). */

#include "action/kind.h"

#include <string.h>

static void test_action_names_round_trip(void)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (int k = 0; k < ACTION_KIND_COUNT; k++) {
		const action_kind_info *info = action_kind_get(k);

		g_assert_cmpint(info->kind, ==, k);
		g_assert_nonnull(info->name);
		g_assert_nonnull(info->summary);
		g_assert_false(g_hash_table_contains(seen, info->name));
		g_hash_table_add(seen, (gpointer)info->name);
		g_assert_cmpint(action_kind_from_name(info->name), ==, k);
		if (info->undo == ACTION_UNDO_REFUSED)
			g_assert_nonnull(info->undo_refusal);
	}
	/* Names already in users' journals do not change. */
	g_assert_cmpint(action_kind_from_name("fileinto"), ==, ACTION_FILEINTO);
	g_assert_cmpint(action_kind_from_name("addflag"), ==, ACTION_ADDFLAG);
	g_assert_cmpint(action_kind_from_name("keep"), ==, ACTION_KEEP);
	g_assert_cmpint(action_kind_from_name("discard"), ==, ACTION_DISCARD);
	g_assert_cmpint(action_kind_from_name("bill"), ==, ACTION_BILL);
	g_assert_cmpint(action_kind_from_name("undo"), ==, ACTION_UNDO);
	g_assert_cmpint(action_kind_from_name("redirect"), ==, ACTION_REDIRECT);
	/* A row a newer vea wrote is read, not misread. */
	g_assert_cmpint(action_kind_from_name("teleport"), ==, ACTION_KIND_UNKNOWN);
	g_assert_cmpint(action_kind_from_name(NULL), ==, ACTION_KIND_UNKNOWN);
	g_assert_cmpstr(action_kind_name(ACTION_KIND_UNKNOWN), ==, "unknown");
	g_assert_cmpint(action_kind_get(ACTION_KIND_UNKNOWN)->undo, ==, ACTION_UNDO_REFUSED);
	g_assert_cmpint(action_kind_get((action_kind)12345)->kind, ==, ACTION_KIND_UNKNOWN);
}

static void test_action_what_the_table_says(void)
{
	g_autofree char *filed = action_kind_summary(ACTION_FILEINTO, "Receipts");
	g_autofree char *discarded = action_kind_summary(ACTION_DISCARD, "Trash");

	g_assert_cmpstr(filed, ==, "filed into Receipts");
	g_assert_cmpstr(discarded, ==, "discarded (moved to Trash)");
	/* Mail that was sent cannot be called back; a server move can. */
	g_assert_cmpint(action_kind_get(ACTION_VACATION)->undo, ==, ACTION_UNDO_REFUSED);
	g_assert_cmpint(action_kind_get(ACTION_REDIRECT)->execution, ==, ACTION_EXECUTION_OUTBOX);
	g_assert_cmpint(action_kind_get(ACTION_FILEINTO)->undo, ==, ACTION_UNDO_REVERSE);
	g_assert_cmpint(action_kind_get(ACTION_FILEINTO)->execution, ==, ACTION_EXECUTION_IMAP);
	g_assert_cmpint(action_kind_get(ACTION_KEEP)->execution, ==, ACTION_EXECUTION_NONE);
	/* Configured time-costs exist for the four triage kinds only. */
	g_assert_cmpint(action_kind_get(ACTION_FILEINTO)->cost, ==, CONF_COST_FILEINTO);
	g_assert_cmpint(action_kind_get(ACTION_ADDFLAG)->cost, ==, CONF_COST_FLAG);
	g_assert_cmpint(action_kind_get(ACTION_BILL)->cost, ==, CONF_COST_COUNT);
	/* The digest lists what changed mail, not bills or undos. */
	g_assert_null(action_kind_get(ACTION_BILL)->digest_heading);
	g_assert_null(action_kind_get(ACTION_UNDO)->digest_heading);
	g_assert_cmpstr(action_kind_get(ACTION_FILEINTO)->digest_heading, ==, "Filed");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/action/names-round-trip", test_action_names_round_trip);
	g_test_add_func("/action/what-the-table-says", test_action_what_the_table_says);
	return g_test_run();
}
