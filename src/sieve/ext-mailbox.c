/* mailbox (RFC 5490 section 3.2): fileinto :create. The mailboxexists
 * test needs the store and is not here yet. */

#include "sieve/registry.h"

static const sieve_tag_def tag_create = {
	"create", SIEVE_TAG_CREATE, SIEVE_TAG_GROUP_NONE, SIEVE_PARAM_NONE,
	"mailbox"
};

static const sieve_tag_ext mailbox_tags[] = {
	{ "fileinto", &tag_create },
	{ NULL, NULL },
};

const sieve_extension sieve_ext_mailbox = {
	.capability = "mailbox",
	.tags = mailbox_tags,
};
