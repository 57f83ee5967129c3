/* relational (RFC 5231): the :count and :value match types. They are
 * common tags (registry.c) carrying this capability; matching is in
 * match.c. */

#include "sieve/registry.h"

const sieve_extension sieve_ext_relational = {
	.capability = "relational",
};
