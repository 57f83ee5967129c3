#ifndef VEA_UTIL_PROCESS_H
#define VEA_UTIL_PROCESS_H

/* Run a secret-producing command such as password_cmd: the command line is
 * split like a shell would (quotes, backslashes) but run WITHOUT a shell,
 * with no stdin, and the first line of its standard output is the secret.
 * Returns the secret (free with process_secret_free, which wipes it), or
 * NULL with *error_r naming the command's program and exit status (never
 * its output: that could be the secret). */
char *process_run_secret_command(const char *command_line, char **error_r);
void process_secret_free(char *secret);

#endif
