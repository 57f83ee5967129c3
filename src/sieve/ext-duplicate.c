/* duplicate (RFC 7352): has a message with this id been seen before? The
 * memory across messages is the caller's (sieve_execute_options); ids
 * are recorded only when the execution succeeds. */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

#include <string.h>

#define DUPLICATE_DEFAULT_SECONDS (7 * 86400)
#define DUPLICATE_MAX_SECONDS (90 * 86400)

static const sieve_tag_def tag_handle = {
	"handle", SIEVE_TAG_HANDLE, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_STRING,
	NULL
};
static const sieve_tag_def tag_header = {
	"header", SIEVE_TAG_HEADER, SIEVE_TAG_GROUP_DUP_ID, SIEVE_PARAM_STRING,
	NULL
};
static const sieve_tag_def tag_uniqueid = {
	"uniqueid", SIEVE_TAG_UNIQUEID, SIEVE_TAG_GROUP_DUP_ID,
	SIEVE_PARAM_STRING, NULL
};
static const sieve_tag_def tag_seconds = {
	"seconds", SIEVE_TAG_SECONDS, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NUMBER,
	NULL
};
static const sieve_tag_def tag_last = {
	"last", SIEVE_TAG_LAST, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def *const tst_duplicate_tags[] = {
	&tag_handle, &tag_header, &tag_uniqueid, &tag_seconds, &tag_last, NULL
};

typedef struct tst_duplicate_data {
	char *handle;   /* "" when not given */
	char *header;   /* NULL: :uniqueid or Message-ID */
	char *uniqueid;
	guint64 seconds;
	gboolean last;
} tst_duplicate_data;

static void tst_duplicate_data_free(gpointer data)
{
	tst_duplicate_data *d = data;

	g_free(d->handle);
	g_free(d->header);
	g_free(d->uniqueid);
	g_free(d);
}

static int tst_duplicate_validate(sieve_validator *v, sieve_ast_node *node,
				  const sieve_args *args)
{
	tst_duplicate_data *data = g_new0(tst_duplicate_data, 1);
	const sieve_ast_arg *param;

	data->handle = g_strdup(
		sieve_args_find_tag(args, SIEVE_TAG_HANDLE, &param) != NULL ?
			sieve_arg_string(param) : "");
	if (sieve_args_find_tag(args, SIEVE_TAG_HEADER, &param) != NULL)
		data->header = g_strdup(sieve_arg_string(param));
	if (sieve_args_find_tag(args, SIEVE_TAG_UNIQUEID, &param) != NULL)
		data->uniqueid = g_strdup(sieve_arg_string(param));
	data->seconds = DUPLICATE_DEFAULT_SECONDS;
	if (sieve_args_find_tag(args, SIEVE_TAG_SECONDS, &param) != NULL)
		data->seconds = MIN(param->number, DUPLICATE_MAX_SECONDS);
	data->last = sieve_args_find_tag(args, SIEVE_TAG_LAST, NULL) != NULL;
	node->data = data;
	node->data_free = tst_duplicate_data_free;
	return 0;
}

static int tst_duplicate_test(sieve_run *run, const sieve_ast_node *node,
			      gboolean *result_r)
{
	const tst_duplicate_data *data = node->data;
	const char *value;
	sieve_dup_mark *mark;
	char *id;
	gpointer seen;

	if (data->uniqueid != NULL) {
		value = sieve_run_str(run, data->uniqueid);
	} else {
		const char *const *values = sieve_run_header_values(
			run, data->header != NULL ?
				     sieve_run_str(run, data->header) :
				     "message-id");

		/* Section 3: no such field, no duplicate. */
		value = values[0];
	}
	if (value == NULL) {
		*result_r = FALSE;
		return 0;
	}
	id = g_strconcat(sieve_run_str(run, data->handle), "\n", value, NULL);
	if (run->dup_seen == NULL) {
		run->dup_seen = g_hash_table_new_full(g_str_hash, g_str_equal,
						      g_free, NULL);
		run->dup_marks = g_ptr_array_new_with_free_func(
			sieve_dup_mark_free);
	}
	/* Tested before in this execution: it is marked now, so a
	 * duplicate (section 3, as Pigeonhole). */
	if (g_hash_table_lookup_extended(run->dup_seen, id, NULL, &seen)) {
		g_free(id);
		*result_r = TRUE;
		return 0;
	}
	*result_r = run->opts->duplicate_check != NULL &&
		    run->opts->duplicate_check(id, run->opts->context);
	g_hash_table_insert(run->dup_seen, g_strdup(id),
			    GINT_TO_POINTER(*result_r));
	mark = g_new0(sieve_dup_mark, 1);
	mark->id = id;
	mark->seconds = data->seconds;
	mark->last = data->last;
	g_ptr_array_add(run->dup_marks, mark);
	return 0;
}

static const sieve_command_def tst_duplicate = {
	.name = "duplicate",
	.flags = SIEVE_CMD_TEST,
	.tags = tst_duplicate_tags,
	.validate = tst_duplicate_validate,
	.test = tst_duplicate_test,
};

static const sieve_command_def *const duplicate_commands[] = {
	&tst_duplicate, NULL
};

const sieve_extension sieve_ext_duplicate = {
	.capability = "duplicate",
	.commands = duplicate_commands,
};
