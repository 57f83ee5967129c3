/* regex (draft-ietf-sieve-regex-01): the :regex match type with POSIX
 * extended expressions (match.c; constant keys are compiled by the
 * validator) and the :quoteregex modifier of set. */

#include "sieve/registry.h"

static const sieve_tag_def tag_quoteregex = {
	"quoteregex", SIEVE_TAG_QUOTEREGEX, SIEVE_TAG_GROUP_MOD_QUOTE,
	SIEVE_PARAM_NONE, "regex"
};

static const sieve_tag_ext regex_tags[] = {
	{ "set", &tag_quoteregex },
	{ "extracttext", &tag_quoteregex },
	{ NULL, NULL },
};

const sieve_extension sieve_ext_regex = {
	.capability = "regex",
	.tags = regex_tags,
};
