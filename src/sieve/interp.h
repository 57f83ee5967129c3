#ifndef VEA_SIEVE_INTERP_H
#define VEA_SIEVE_INTERP_H

/* Executing a validated script: walk the tree, evaluate tests, collect
 * actions. All state of one execution lives in sieve_run, on the stack of
 * sieve_script_execute(). */

#include "sieve/registry.h"
#include "sieve/actions.h"

/* variables (RFC 5229): at most this many variables per scope and this
 * many bytes per value (Pigeonhole's defaults); longer values are
 * truncated at a character boundary as RFC 5229 section 3 allows. */
#define SIEVE_MAX_VARIABLES 255
#define SIEVE_MAX_VARIABLE_SIZE 4096
/* include (RFC 6609): nesting and total number of included scripts. */
#define SIEVE_MAX_INCLUDE_DEPTH 10
#define SIEVE_MAX_INCLUDES 255

typedef struct sieve_dup_mark {
	char *id;
	guint64 seconds;
	gboolean last;
} sieve_dup_mark;

void sieve_dup_mark_free(gpointer mark);

struct sieve_run {
	const sieve_script *script; /* the running one (include changes it) */
	mime_message *msg;
	const sieve_envelope *envelope; /* never NULL (fields may be) */
	const sieve_execute_options *opts; /* never NULL */
	sieve_result result;
	sieve_error *error;

	/* variables: expand "${...}" in strings (some script required
	 * variables); the scopes are name (lower case) -> char *. */
	gboolean expand;
	GHashTable *vars;
	GHashTable *globals;
	GPtrArray *match_values; /* char *, ${0} first */
	GPtrArray *pending_values; /* of the test being evaluated */
	GPtrArray *scratch; /* expanded strings, freed with the run */

	/* include */
	int include_depth;
	guint n_includes;
	GPtrArray *included_once; /* sieve_script * run with :once */

	/* duplicate: ids tested in this run (handle "\n" value) and their
	 * result; marked in the store when the run succeeds. */
	GHashTable *dup_seen;
	GPtrArray *dup_marks;

	/* mime / foreverypart: the part being looked at (-1: the message)
	 * and the enclosing loops' parts. */
	int part;
	int loop_depth;
	/* break from foreverypart: the loop name to leave ("" any). */
	const char *breaking;

	/* date / currentdate: when this run started. */
	gint64 now;

	/* vnd.vea invite: the caller's answer, once asked. */
	gboolean invitation_asked;
	const sieve_invitation *invitation;
};

/* vnd.vea invite: the message's invitation (asked of the caller once), or
 * NULL. */
const sieve_invitation *sieve_run_invitation(sieve_run *run);

/* Run a list of commands (a block or the whole script). */
sieve_exec_status sieve_run_commands(sieve_run *run, GPtrArray *commands);
/* Evaluate a test node. */
int sieve_run_test(sieve_run *run, const sieve_ast_node *test,
		   gboolean *result_r);
/* Set the run error at node; returns SIEVE_EXEC_FAILED. */
sieve_exec_status sieve_run_error(sieve_run *run, const sieve_ast_node *node,
				  const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Run-time strings. Every string argument a command reads at run time goes
 * through these, so variables (RFC 5229 section 3) expand everywhere
 * without each command knowing. Without variables they return their
 * argument; results live as long as the run. */
const char *sieve_run_str_expand(sieve_run *run, const char *str);
char *const *sieve_run_strv_expand(sieve_run *run, char *const *strv);
/* Every test calls these; without variables they are a test of a flag,
 * inline. */
static inline const char *sieve_run_str(sieve_run *run, const char *str)
{
	return run->expand ? sieve_run_str_expand(run, str) : str;
}
static inline char *const *sieve_run_strv(sieve_run *run,
					  char *const *strv)
{
	return run->expand && strv != NULL ? sieve_run_strv_expand(run, strv) :
					     strv;
}
/* Keep a string alive until the end of the run; returns it. */
char *sieve_run_keep(sieve_run *run, char *str);

/* variables: get and set by (lower-case) name; global.NAME and NAME
 * declared "global" use the global scope. */
const char *sieve_run_get_variable(sieve_run *run, const char *name);
int sieve_run_set_variable(sieve_run *run, const sieve_ast_node *node,
			   const char *name, const char *value);

/* Matching with match variables: init expands the keys; end commits the
 * match values when matched, finishes :count, and turns a bad run-time
 * regex into a run error (-1). */
void sieve_run_match_init(sieve_run *run, sieve_match *match,
			  const sieve_match_spec *spec, char *const *keys,
			  void *const *regexes);
int sieve_run_match_end(sieve_run *run, const sieve_ast_node *node,
			sieve_match *match, gboolean matched,
			gboolean *result_r);
/* Shorthand for the common case of a test over a list of values. */
int sieve_run_match_values(sieve_run *run, const sieve_ast_node *node,
			   const sieve_match_spec *spec, char *const *keys,
			   void *const *regexes, const char *const *values,
			   gboolean *result_r);

/* What the tests read of the message. */
const char *const *sieve_run_header_values(sieve_run *run, const char *name);
const GPtrArray *sieve_run_addresses(sieve_run *run, const char *name);
/* The same given name's mime_header_id() too (-1: unknown): an array
 * index instead of a hash lookup. Same result as by name. */
const char *const *sieve_run_header_values_id(sieve_run *run,
					      const char *name, int id);
const GPtrArray *sieve_run_addresses_id(sieve_run *run, const char *name,
					int id);

/* keep/fileinto: their :flags (expanded and normalised) or the internal
 * flag variable. */
const char *const *sieve_store_data_flags(sieve_run *run,
					  const sieve_store_data *data);

/* Validate for header-like tests (keys last): builds
 * sieve_match_test_data, compiling constant :regex keys. */
int sieve_match_test_validate(sieve_validator *v, sieve_ast_node *node,
			      const sieve_args *args);

/* An RFC 5322 addr-spec (section 3.4.1; comments and obsolete forms
 * allowed, UTF-8 as RFC 6532) in its plainest form: the local part
 * unquoted when it is a dot-atom, comments and folding gone. With
 * mailbox, a name-addr too ("Name" <addr-spec>), reduced to its
 * addr-spec. NULL when address is neither; else a new string.
 * Strict, for the addresses vea would send to (redirect, vacation
 * :from, the enotify mailto): a local part with dots first, last or
 * doubled is refused here, though the header tests read such addresses
 * in received mail (mime_message_get_addresses is lenient). */
char *sieve_address_normalize(const char *address, gboolean mailbox);
/* An RFC 5322 addr-spec (sieve_address_normalize without mailbox). */
gboolean sieve_address_is_valid(const char *address);
/* An envelope path (RFC 5321 section 4.1.2): FALSE when it does not
 * parse; else the local part and domain (NULL when none; both "" for the
 * null path "<>"), new strings (ext-envelope.c). */
gboolean sieve_envelope_parse_path(const char *path, char **local_r,
				   char **domain_r);

/* The message's values for an address part, fed to a match (shared by
 * address and envelope). Returns TRUE when decided. */
gboolean sieve_match_address(sieve_match *match, sieve_address_part part,
			     const char *localpart, const char *domain,
			     const char *all);

#endif
