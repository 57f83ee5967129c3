#ifndef VEA_CLI_H
#define VEA_CLI_H

/* The command line: one file per command, dispatched from the table in
 * main.c, as notmuch does. Only this layer prints to the user or exits. */

#include <glib.h>
#include "conf/conf.h"

/* Exit statuses shared by every command. */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,   /* the work failed (an account, a rule test) */
	CLI_EXIT_CONFIG = 2,    /* config or rules invalid: nothing was touched */
	CLI_EXIT_USAGE = 64,    /* EX_USAGE */
};

typedef struct cli_context {
	const char *config_path; /* -c, or the default */
	int verbose;
} cli_context;

/* Load the config, printing every error as FILE:LINE: message. */
conf *cli_load_config(const cli_context *ctx);

int cmd_config(cli_context *ctx, int argc, char **argv);
int cmd_run(cli_context *ctx, int argc, char **argv);
int cmd_log(cli_context *ctx, int argc, char **argv);
int cmd_bill(cli_context *ctx, int argc, char **argv);
int cmd_rules(cli_context *ctx, int argc, char **argv);
int cmd_digest(cli_context *ctx, int argc, char **argv);
int cmd_status(cli_context *ctx, int argc, char **argv);
int cmd_undo(cli_context *ctx, int argc, char **argv);

#endif
