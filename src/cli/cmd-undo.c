/* vea undo ID: reverse one action shown by vea log. */
#include "cli/cli.h"
#include "agent/undo.h"

#include <stdio.h>
#include <string.h>

int cmd_undo(cli_context *ctx, int argc, char **argv)
{
	g_autofree char *done = NULL;
	char *error = NULL, *end;
	gint64 id;
	conf *config;
	int ret;

	if (argc != 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fprintf(argc == 2 ? stdout : stderr,
			"Usage: vea undo ID\n"
			"  ID is the action's number in vea log --json (\"id\") or vea log (#ID).\n");
		return argc == 2 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	id = g_ascii_strtoll(argv[1][0] == '#' ? argv[1] + 1 : argv[1], &end, 10);
	if (*end != '\0' || id <= 0) {
		fprintf(stderr, "vea undo: '%s' is not an action number (see vea log)\n", argv[1]);
		return CLI_EXIT_USAGE;
	}
	config = cli_load_config(ctx);
	if (config == NULL)
		return CLI_EXIT_CONFIG;
	ret = agent_undo_action(config, id, &done, &error);
	if (ret < 0) {
		fprintf(stderr, "vea undo: #%" G_GINT64_FORMAT ": %s\n", id, error);
		g_free(error);
	} else {
		printf("#%" G_GINT64_FORMAT ": %s\n", id, done);
	}
	conf_free(&config);
	return ret < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
