#ifndef VEA_SIEVE_REGISTRY_H
#define VEA_SIEVE_REGISTRY_H

/* The table of everything the language knows: commands, tests, tagged
 * arguments and capabilities. Each extension is one file defining one
 * sieve_extension; adding an extension is adding a file and one line to
 * the table in registry.c. */

#include "sieve/parser.h"
#include "sieve/match.h"

typedef struct sieve_validator sieve_validator;
typedef struct sieve_run sieve_run;

/* What a tag takes as its parameter. */
typedef enum {
	SIEVE_PARAM_NONE,
	SIEVE_PARAM_STRING,
	SIEVE_PARAM_STRING_LIST,
	SIEVE_PARAM_NUMBER,
} sieve_param;

/* At most one tag per group on a command. */
typedef enum {
	SIEVE_TAG_GROUP_NONE,
	SIEVE_TAG_GROUP_COMPARATOR,
	SIEVE_TAG_GROUP_MATCH_TYPE,
	SIEVE_TAG_GROUP_ADDRESS_PART,
	SIEVE_TAG_GROUP_SIZE,
} sieve_tag_group;

typedef enum {
	SIEVE_TAG_COMPARATOR,
	SIEVE_TAG_IS,
	SIEVE_TAG_CONTAINS,
	SIEVE_TAG_MATCHES,
	SIEVE_TAG_COUNT,
	SIEVE_TAG_VALUE,
	SIEVE_TAG_ALL,
	SIEVE_TAG_LOCALPART,
	SIEVE_TAG_DOMAIN,
	SIEVE_TAG_OVER,
	SIEVE_TAG_UNDER,
	SIEVE_TAG_COPY,
	SIEVE_TAG_CREATE,
	SIEVE_TAG_FLAGS,
	SIEVE_TAG_ACCOUNT,
	SIEVE_TAG_MINUTES,
} sieve_tag_id;

typedef struct sieve_tag_def {
	const char *name; /* without ':' */
	sieve_tag_id id;
	sieve_tag_group group;
	sieve_param param;
	const char *capability; /* NULL: core language */
} sieve_tag_def;

enum sieve_command_flags {
	SIEVE_CMD_TEST = 1 << 0,         /* a test, not a command */
	SIEVE_CMD_ONE_TEST = 1 << 1,     /* if, elsif, not */
	SIEVE_CMD_TEST_LIST = 1 << 2,    /* allof, anyof */
	SIEVE_CMD_BLOCK = 1 << 3,        /* if, elsif, else */
	SIEVE_CMD_MATCH = 1 << 4,        /* [COMPARATOR] [MATCH-TYPE] */
	SIEVE_CMD_ADDRESS_PART = 1 << 5, /* [ADDRESS-PART] */
	SIEVE_CMD_READS_BODY = 1 << 6,
	SIEVE_CMD_IF = 1 << 7,           /* if */
	SIEVE_CMD_ELSE_BRANCH = 1 << 8,  /* elsif, else: must follow if */
	SIEVE_CMD_REQUIRE = 1 << 9,
};

typedef enum {
	SIEVE_EXEC_FAILED = -1,
	SIEVE_EXEC_OK = 0,
	SIEVE_EXEC_STOP = 1,
} sieve_exec_status;

/* Arguments of a command sorted out by the validator. */
#define SIEVE_MAX_TAGS 8
#define SIEVE_MAX_POSITIONAL 4
typedef struct sieve_args {
	const sieve_tag_def *tags[SIEVE_MAX_TAGS];
	const sieve_ast_arg *tag_tokens[SIEVE_MAX_TAGS];
	const sieve_ast_arg *tag_params[SIEVE_MAX_TAGS]; /* NULL: none */
	unsigned int n_tags;
	const sieve_ast_arg *positional[SIEVE_MAX_POSITIONAL];
	unsigned int n_positional;
	sieve_match_spec match; /* from COMPARATOR/MATCH-TYPE/ADDRESS-PART */
} sieve_args;

typedef struct sieve_command_def {
	const char *name;
	unsigned int flags; /* enum sieve_command_flags */
	/* Positional arguments, one letter each: 'S' string, 'L' string list
	 * (a single string is a list of one), 'N' number. */
	const char *positional;
	const sieve_tag_def *const *tags; /* NULL-terminated; may be NULL */
	/* Build node->data from the arguments; report with
	 * sieve_validator_error and return -1 on error. May be NULL. */
	int (*validate)(sieve_validator *v, sieve_ast_node *node,
			const sieve_args *args);
	/* Commands. */
	sieve_exec_status (*execute)(sieve_run *run, const sieve_ast_node *node);
	/* Tests: 0 and *result_r, or -1 with the run's error set. */
	int (*test)(sieve_run *run, const sieve_ast_node *node,
		    gboolean *result_r);
} sieve_command_def;

/* An extension may give another command (of any extension) a tag, as
 * copy gives :copy to fileinto and redirect. */
typedef struct sieve_tag_ext {
	const char *command;
	const sieve_tag_def *tag;
} sieve_tag_ext;

typedef struct sieve_extension {
	const char *capability; /* NULL for the core language */
	const sieve_command_def *const *commands; /* NULL-terminated or NULL */
	const sieve_tag_ext *tags; /* terminated by { NULL, NULL }, or NULL */
} sieve_extension;

/* The command or test called name, and its extension. Identifiers are
 * case-insensitive (RFC 5228 section 8.1, as Pigeonhole: "KEEP;" works);
 * capability names are not (Pigeonhole rejects
 * "FILEINTO"), and neither does vea accept them. */
const sieve_command_def *sieve_registry_find_command(
	const char *name, const sieve_extension **ext_r);
/* A tag name valid for def (its own, an extension's, or the common
 * COMPARATOR / MATCH-TYPE / ADDRESS-PART ones its flags allow). */
const sieve_tag_def *sieve_registry_find_tag(const sieve_command_def *def,
					     const char *name);
/* TRUE when capability names something require may ask for. */
gboolean sieve_registry_knows_capability(const char *capability);

/* Extensions (one per file). */
extern const sieve_extension sieve_ext_core;
extern const sieve_extension sieve_ext_fileinto;
extern const sieve_extension sieve_ext_envelope;
extern const sieve_extension sieve_ext_imap4flags;
extern const sieve_extension sieve_ext_copy;
extern const sieve_extension sieve_ext_mailbox;
extern const sieve_extension sieve_ext_relational;
extern const sieve_extension sieve_ext_comparator_numeric;
extern const sieve_extension sieve_ext_vnd_vea;

/* Helpers for command implementations. */

/* The tag given, or NULL; *param_r (if not NULL) gets its parameter. */
const sieve_ast_arg *sieve_args_find_tag(const sieve_args *args,
					 sieve_tag_id id,
					 const sieve_ast_arg **param_r);
/* A NULL-terminated copy of a string/string-list argument. */
char **sieve_arg_dup_strv(const sieve_ast_arg *arg);
/* The same with ASCII lower-cased strings (header names). */
char **sieve_arg_dup_strv_lower(const sieve_ast_arg *arg);
/* The single string of a STRING argument. */
const char *sieve_arg_string(const sieve_ast_arg *arg);

/* Compiled data of the tests that match a key list against named values
 * (header, address, envelope): the names (lower-cased) and keys are the
 * last two positional arguments. */
typedef struct sieve_match_test_data {
	sieve_match_spec match;
	char **names;
	char **keys;
} sieve_match_test_data;

sieve_match_test_data *sieve_match_test_data_new(const sieve_args *args);
void sieve_match_test_data_free(gpointer data);

/* Compiled data of keep and fileinto (which imap4flags, copy and mailbox
 * extend with :flags, :copy and :create). */
typedef struct sieve_store_data {
	char *mailbox;   /* fileinto */
	gboolean has_flags;
	char **flags;    /* normalised :flags, NULL when empty */
	gboolean copy;
	gboolean create;
} sieve_store_data;

sieve_store_data *sieve_store_data_new(const sieve_args *args,
				       const char *mailbox);
void sieve_store_data_free(gpointer data);

#endif
