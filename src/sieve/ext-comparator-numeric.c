/* comparator-i;ascii-numeric (RFC 4790 section 9.1, RFC 5228 section
 * 2.7.3): the comparator itself is in match.c. */

#include "sieve/registry.h"

const sieve_extension sieve_ext_comparator_numeric = {
	.capability = "comparator-i;ascii-numeric",
};
