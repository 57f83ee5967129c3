#ifndef VEA_CLI_H
#define VEA_CLI_H

/* The command line: one file per command, dispatched from the table in
 * main.c, as notmuch does. Only this layer prints to the user or exits. */

#include <glib.h>
#include <stdio.h>
#include <sysexits.h>
#include "conf/conf.h"

/* Exit statuses shared by every command (vea(1), EXIT STATUS): sysexits.h
 * where one applies, so that a service manager and scripts can tell a
 * configuration to fix (no use restarting: the unit's
 * RestartPreventExitStatus) from work that failed this time. */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,       /* the work failed (an account, a rule test) */
	CLI_EXIT_USAGE = EX_USAGE,  /* 64: the command line is wrong */
	CLI_EXIT_UNAVAILABLE = EX_UNAVAILABLE, /* 69: a server could not be reached */
	CLI_EXIT_TEMPFAIL = EX_TEMPFAIL, /* 75: a connection was lost midway: run again */
	CLI_EXIT_CONFIG = EX_CONFIG, /* 78: config or rules invalid or missing: nothing touched */
};

typedef struct cli_context {
	const char *config_path; /* -c, or NULL: cli_load_config looks for it */
	int verbose;
} cli_context;

struct store;

/* What the listing commands (outbox, drafts, schedule, remind, snooze)
 * open first: the config, checked to hold client when one is named, and
 * the store. CLI_EXIT_OK and both, or the exit status after saying why
 * ("vea COMMAND: ..."), with nothing left open. */
int cli_open_store(const cli_context *ctx, const char *command, const char *client,
		   conf **config_r, struct store **store_r);
/* A time for listings: ISO 8601 UTC for JSON ("" when unset), else the
 * machine's local "YYYY-MM-DD HH:MM" ("-" when unset). New. */
char *cli_format_time(int64_t t, gboolean iso);

/* Load the config, printing every error as FILE:LINE: message. */
conf *cli_load_config(const cli_context *ctx);

/* vea --version: vea's version and the libraries' it runs with. */
void cli_print_version(FILE *out);

int cmd_config(cli_context *ctx, int argc, char **argv);
int cmd_calendar(cli_context *ctx, int argc, char **argv);
/* One calendar reached and read as decisions read it, one line on
 * standard output (or the error, naming it, on standard error); 0 or -1.
 * Shared by vea calendar check and vea config check --online. */
struct conf_calendar;
int cli_calendar_check_one(const struct conf_calendar *cal, int64_t now);
int cmd_run(cli_context *ctx, int argc, char **argv);
int cmd_log(cli_context *ctx, int argc, char **argv);
int cmd_bill(cli_context *ctx, int argc, char **argv);
int cmd_rules(cli_context *ctx, int argc, char **argv);
int cmd_digest(cli_context *ctx, int argc, char **argv);
int cmd_status(cli_context *ctx, int argc, char **argv);
int cmd_undo(cli_context *ctx, int argc, char **argv);
int cmd_outbox(cli_context *ctx, int argc, char **argv);
int cmd_remind(cli_context *ctx, int argc, char **argv);
int cmd_snooze(cli_context *ctx, int argc, char **argv);
int cmd_drafts(cli_context *ctx, int argc, char **argv);
int cmd_schedule(cli_context *ctx, int argc, char **argv);

#endif
