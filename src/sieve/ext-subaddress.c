/* subaddress (RFC 5233): the :user and :detail address parts, with '+' as
 * the separator. The tags are common address-part tags (registry.c);
 * splitting is in interp.c. */

#include "sieve/registry.h"

const sieve_extension sieve_ext_subaddress = {
	.capability = "subaddress",
};
