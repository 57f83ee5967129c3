#include "agent/rules.h"

#include <string.h>

static void rules_script_free(gpointer data)
{
	sieve_script *script = data;

	sieve_script_free(&script);
}

int rules_set_compile(const conf *config, const conf_client *client, rules_set **set_r,
		      GPtrArray *errors)
{
	rules_set *set = g_new0(rules_set, 1);
	guint errors_before = errors->len;

	set->scripts = g_ptr_array_new_with_free_func(rules_script_free);
	for (char **path = client->rules; *path != NULL; path++) {
		sieve_script *script = NULL;
		GPtrArray *script_errors = NULL;

		/* include :personal looks beside the including file (the
		 * engine's default); :global in the configured folder. */
		sieve_compile_options options = {
			.global_dir = config->global_rules_dir,
			.ai = config->ai.url != NULL ? SIEVE_AI_CONFIGURED : SIEVE_AI_NOT_CONFIGURED,
		};

		if (sieve_script_compile_file_with_options(*path, &options, &script, &script_errors) < 0) {
			for (guint i = 0; script_errors != NULL && i < script_errors->len; i++)
				g_ptr_array_add(errors, sieve_error_format(g_ptr_array_index(script_errors, i)));
			if (script_errors == NULL || script_errors->len == 0)
				g_ptr_array_add(errors, g_strdup_printf("%s: does not compile", *path));
		} else {
			set->needs_body = set->needs_body || sieve_script_needs_body(script);

			g_ptr_array_add(set->scripts, script);
		}
		if (script_errors != NULL)
			g_ptr_array_unref(script_errors);
	}
	if (errors->len > errors_before) {
		rules_set_free(&set);
		*set_r = NULL;
		return -1;
	}
	*set_r = set;
	return 0;
}

void rules_set_free(rules_set **setp)
{
	rules_set *set = *setp;

	if (set == NULL)
		return;
	*setp = NULL;
	g_ptr_array_unref(set->scripts);
	g_free(set);
}

GPtrArray *rules_set_evaluate(const rules_set *set, mime_message *msg,
			      const sieve_execute_options *options, GPtrArray **errors_r)
{
	GPtrArray *merged = g_ptr_array_new_with_free_func((GDestroyNotify)sieve_action_free);
	sieve_action *implicit_keep = NULL;
	gboolean keep_cancelled = FALSE;

	*errors_r = NULL;
	for (guint i = 0; i < set->scripts->len; i++) {
		const sieve_script *script = g_ptr_array_index(set->scripts, i);
		GPtrArray *actions = NULL;
		sieve_error *error = NULL;
		gboolean has_implicit = FALSE;

		if (sieve_script_execute_with_options(script, msg, NULL, options, &actions,
						      &error) < 0) {
			if (*errors_r == NULL)
				*errors_r = g_ptr_array_new_with_free_func(g_free);
			g_ptr_array_add(*errors_r, sieve_error_format(error));
			sieve_error_free(error);
			if (actions != NULL)
				g_ptr_array_unref(actions);
			continue; /* its implicit keep stands */
		}
		/* Explicit actions move to the merged list in order; the
		 * first implicit keep is kept aside, with the flags its script
		 * left (RFC 5232 section 3). */
		while (actions->len > 0) {
			sieve_action *action = g_ptr_array_steal_index(actions, 0);

			if (action->type == SIEVE_ACTION_KEEP && action->implicit) {
				has_implicit = TRUE;
				if (implicit_keep == NULL)
					implicit_keep = action;
				else
					sieve_action_free(action);
				continue;
			}
			g_ptr_array_add(merged, action);
		}
		if (!has_implicit)
			keep_cancelled = TRUE;
		g_ptr_array_unref(actions);
	}
	if (!keep_cancelled) {
		if (implicit_keep == NULL) {
			/* No rules at all: RFC 5228 2.10.2, the message is kept. */
			implicit_keep = g_new0(sieve_action, 1);
			implicit_keep->type = SIEVE_ACTION_KEEP;
			implicit_keep->implicit = TRUE;
		}
		g_ptr_array_add(merged, implicit_keep);
	} else if (implicit_keep != NULL) {
		sieve_action_free(implicit_keep);
	}
	return merged;
}
