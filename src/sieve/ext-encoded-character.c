/* encoded-character (RFC 5228 section 2.4.2.4): "${hex:...}" and
 * "${unicode:...}" in strings. The decoding happens in the validator
 * (validate.c), once, when this capability is required. */

#include "sieve/registry.h"

const sieve_extension sieve_ext_encoded_character = {
	.capability = "encoded-character",
	.require_only = TRUE,
};
