/* index (RFC 5260 section 6): :index N and :last on header, address and
 * date select one occurrence of the field (address: the addresses of that
 * one field, ext-mime.c). */

#include "sieve/registry.h"

static const sieve_tag_def tag_index = {
	"index", SIEVE_TAG_INDEX, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NUMBER,
	"index"
};
static const sieve_tag_def tag_last = {
	"last", SIEVE_TAG_LAST, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE, "index"
};

static const sieve_tag_ext index_tags[] = {
	{ "header", &tag_index },
	{ "header", &tag_last },
	{ "date", &tag_index },
	{ "date", &tag_last },
	{ "address", &tag_index },
	{ "address", &tag_last },
	{ NULL, NULL },
};

const sieve_extension sieve_ext_index = {
	.capability = "index",
	.tags = index_tags,
};
