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
	/* set modifiers (RFC 5229 section 4.1): one per precedence level */
	SIEVE_TAG_GROUP_MOD_CASE,
	SIEVE_TAG_GROUP_MOD_CASEFIRST,
	SIEVE_TAG_GROUP_MOD_QUOTE,
	SIEVE_TAG_GROUP_MOD_LENGTH,
	SIEVE_TAG_GROUP_BODY_TRANSFORM, /* :raw / :content / :text */
	SIEVE_TAG_GROUP_ZONE,           /* :zone / :originalzone */
	SIEVE_TAG_GROUP_MIME_PART,      /* :type / :subtype / ... / :param */
	SIEVE_TAG_GROUP_DURATION,       /* :days / :seconds */
	SIEVE_TAG_GROUP_LOCATION,       /* :personal / :global */
	SIEVE_TAG_GROUP_DUP_ID,         /* :header / :uniqueid */
	SIEVE_TAG_GROUP_REMIND_IF,      /* remind :ifunanswered / :always */
	SIEVE_TAG_GROUP_AVAILABILITY,   /* invite :free / :busy */
	SIEVE_TAG_GROUP_HOURS,          /* invite :withinhours / :outsidehours */
	SIEVE_TAG_GROUP_PARTSTAT,       /* schedule :accept / :decline / :tentative */
	SIEVE_TAG_GROUP_SCHEDULE_MODE,  /* schedule :approve / :send / :draft */
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
	SIEVE_TAG_REGEX,        /* regex */
	SIEVE_TAG_USER,         /* subaddress */
	SIEVE_TAG_DETAIL,
	SIEVE_TAG_LOWER,        /* variables: set modifiers */
	SIEVE_TAG_UPPER,
	SIEVE_TAG_LOWERFIRST,
	SIEVE_TAG_UPPERFIRST,
	SIEVE_TAG_QUOTEWILDCARD,
	SIEVE_TAG_QUOTEREGEX,   /* regex */
	SIEVE_TAG_ENCODEURL,    /* enotify */
	SIEVE_TAG_LENGTH,
	SIEVE_TAG_RAW,          /* body */
	SIEVE_TAG_CONTENT,
	SIEVE_TAG_TEXT,
	SIEVE_TAG_ZONE,         /* date */
	SIEVE_TAG_ORIGINALZONE,
	SIEVE_TAG_INDEX,        /* index */
	SIEVE_TAG_LAST,
	SIEVE_TAG_MIME,         /* mime */
	SIEVE_TAG_ANYCHILD,
	SIEVE_TAG_TYPE,
	SIEVE_TAG_SUBTYPE,
	SIEVE_TAG_CONTENTTYPE,
	SIEVE_TAG_PARAM,
	SIEVE_TAG_FIRST,        /* extracttext */
	SIEVE_TAG_NAME,         /* foreverypart, break */
	SIEVE_TAG_DAYS,         /* vacation */
	SIEVE_TAG_SECONDS,
	SIEVE_TAG_SUBJECT,
	SIEVE_TAG_FROM,
	SIEVE_TAG_ADDRESSES,
	SIEVE_TAG_HANDLE,
	SIEVE_TAG_IMPORTANCE,   /* enotify */
	SIEVE_TAG_OPTIONS,
	SIEVE_TAG_MESSAGE,
	SIEVE_TAG_PERSONAL,     /* include */
	SIEVE_TAG_GLOBAL,
	SIEVE_TAG_ONCE,
	SIEVE_TAG_OPTIONAL,
	SIEVE_TAG_HEADER,       /* duplicate */
	SIEVE_TAG_UNIQUEID,
	SIEVE_TAG_HOURS,        /* remind (vnd.vea) */
	SIEVE_TAG_BUSINESS_DAYS,
	SIEVE_TAG_UNTIL,        /* remind, snooze */
	SIEVE_TAG_IF_UNANSWERED,
	SIEVE_TAG_ALWAYS,
	SIEVE_TAG_TO,
	SIEVE_TAG_FLAG,
	SIEVE_TAG_MAILBOX,      /* snooze (vnd.vea, the snooze draft) */
	SIEVE_TAG_ADDFLAGS,
	SIEVE_TAG_REMOVEFLAGS,
	SIEVE_TAG_WEEKDAYS,
	SIEVE_TAG_TZID,
	SIEVE_TAG_TIMES,
	SIEVE_TAG_WAKE_ON_REPLY,
	SIEVE_TAG_REPLY,        /* vnd.vea draft */
	SIEVE_TAG_CC,
	SIEVE_TAG_METHOD,       /* vnd.vea invite */
	SIEVE_TAG_FREE,
	SIEVE_TAG_BUSY,
	SIEVE_TAG_WITHIN_HOURS,
	SIEVE_TAG_OUTSIDE_HOURS,
	SIEVE_TAG_TRUSTED,
	SIEVE_TAG_ORGANIZER,
	SIEVE_TAG_RECURRING,
	SIEVE_TAG_UPDATE,
	SIEVE_TAG_ACCEPT,       /* vnd.vea schedule */
	SIEVE_TAG_DECLINE,
	SIEVE_TAG_TENTATIVE,
	SIEVE_TAG_COMMENT,
	SIEVE_TAG_APPROVE,
	SIEVE_TAG_SEND,
	SIEVE_TAG_DRAFT,
	SIEVE_TAG_AI,           /* vnd.vea draft */
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
	SIEVE_CMD_LOOP = 1 << 10,        /* foreverypart: break may leave it */
};

typedef enum {
	SIEVE_EXEC_FAILED = -1,
	SIEVE_EXEC_OK = 0,
	SIEVE_EXEC_STOP = 1,
	SIEVE_EXEC_RETURN = 2, /* include's return: leave this script */
	SIEVE_EXEC_BREAK = 3,  /* break: leave the loop (sieve_run.breaking) */
} sieve_exec_status;

/* Arguments of a command sorted out by the validator. */
#define SIEVE_MAX_TAGS 12
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
	/* Another accepted form, chosen when the number of positional
	 * arguments matches its length (setflag ["var"] flags). May be NULL. */
	const char *positional_alt;
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
	/* Another capability that enables the command too (snooze: the IETF
	 * draft's "snooze", so scripts written for it carry over). May be
	 * NULL. */
	const char *capability_alt;
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
	/* When not NULL, requiring the capability is a compile error with
	 * this message (reject after delivery means nothing). */
	const char *require_error;
	/* Only require can enable it: it changes how every string of the
	 * script reads (encoded-character, variables), which a block under
	 * "if ihave" cannot do (RFC 5463 section 4). */
	gboolean require_only;
} sieve_extension;

/* The extension of a capability, or NULL. */
const sieve_extension *sieve_registry_find_extension(const char *capability);

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
/* The same, preferring the test (is_test) or the command of that name:
 * a few test-only commands are both ("hybrids"). */
const sieve_command_def *sieve_registry_find_command_kind(
	const char *name, gboolean is_test, const sieve_extension **ext_r);
/* Add an extension at run time, for test programs only (the conformance
 * runner's vnd.dovecot.testsuite): call before compiling anything, from
 * one thread; ext must outlive every script. At most 4. */
void sieve_registry_register(const sieve_extension *ext);
/* TRUE when capability names something require may ask for. */
gboolean sieve_registry_knows_capability(const char *capability);
/* TRUE when "ihave" may say yes to it: known, and not require_only. */
gboolean sieve_registry_ihave_capability(const char *capability);

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
extern const sieve_extension sieve_ext_variables;
extern const sieve_extension sieve_ext_encoded_character;
extern const sieve_extension sieve_ext_subaddress;
extern const sieve_extension sieve_ext_regex;
extern const sieve_extension sieve_ext_body;
extern const sieve_extension sieve_ext_date;
extern const sieve_extension sieve_ext_index;
extern const sieve_extension sieve_ext_environment;
extern const sieve_extension sieve_ext_ihave;
extern const sieve_extension sieve_ext_duplicate;
extern const sieve_extension sieve_ext_mime;
extern const sieve_extension sieve_ext_foreverypart;
extern const sieve_extension sieve_ext_extracttext;
extern const sieve_extension sieve_ext_vacation;
extern const sieve_extension sieve_ext_vacation_seconds;
extern const sieve_extension sieve_ext_enotify;
extern const sieve_extension sieve_ext_include;
extern const sieve_extension sieve_ext_reject;
extern const sieve_extension sieve_ext_ereject;
extern const sieve_extension sieve_ext_snooze;

/* vnd.vea commands that have a file of their own. */
extern const sieve_command_def sieve_cmd_vea_draft;
extern const sieve_command_def sieve_tst_vea_invite;   /* ext-vea-schedule.c */
extern const sieve_command_def sieve_cmd_vea_schedule; /* ext-vea-schedule.c */

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
	int *name_ids;  /* mime_header_id() of each name (-1: look up by name) */
	char **keys;
	/* i;ascii-casemap :is, :contains, :matches: keys with ASCII
	 * letters lower-cased, to compare octet by octet with lower-cased
	 * values; NULL otherwise. */
	char **keys_lower;
	/* keys_lower sorted out at compile time (same order, n_keys_lower
	 * of them): a :matches pattern without '?' or escapes whose '*'
	 * are only at its ends is a prefix, suffix or substring test. */
	struct sieve_lower_key *lower_keys;
	guint n_keys_lower;
	void **regexes; /* :regex keys compiled, or NULL */
	int index;      /* index (RFC 5260): :index N, 0 when not given */
	gboolean last;  /* :last */
	struct sieve_mime_opts *mime; /* mime (RFC 5703): NULL without :mime */
} sieve_match_test_data;

typedef enum {
	SIEVE_LOWER_IS,
	SIEVE_LOWER_CONTAINS,
	SIEVE_LOWER_PREFIX,
	SIEVE_LOWER_SUFFIX,
	SIEVE_LOWER_GLOB, /* text is the whole pattern */
} sieve_lower_kind;

typedef struct sieve_lower_key {
	sieve_lower_kind kind;
	size_t len;
	char *text; /* the literal part, lower case */
} sieve_lower_key;

sieve_match_test_data *sieve_match_test_data_new(const sieve_args *args);
void sieve_match_test_data_free(gpointer data);

/* Compiled data of keep and fileinto (which imap4flags, copy and mailbox
 * extend with :flags, :copy and :create). */
typedef struct sieve_store_data {
	char *mailbox;   /* fileinto */
	gboolean has_flags;
	char **flags;    /* normalised :flags, NULL when empty */
	char **flag_lists; /* :flags as written */
	gboolean copy;
	gboolean create;
} sieve_store_data;

sieve_store_data *sieve_store_data_new(const sieve_args *args,
				       const char *mailbox);
void sieve_store_data_free(gpointer data);

#endif
