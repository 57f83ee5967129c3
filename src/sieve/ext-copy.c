/* copy (RFC 3894): :copy on fileinto and redirect keeps the implicit
 * keep. */

#include "sieve/registry.h"

static const sieve_tag_def tag_copy = {
	"copy", SIEVE_TAG_COPY, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE, "copy"
};

static const sieve_tag_ext copy_tags[] = {
	{ "fileinto", &tag_copy },
	{ "redirect", &tag_copy },
	{ NULL, NULL },
};

const sieve_extension sieve_ext_copy = {
	.capability = "copy",
	.tags = copy_tags,
};
