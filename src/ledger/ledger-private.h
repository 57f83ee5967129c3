#ifndef VEA_LEDGER_PRIVATE_H
#define VEA_LEDGER_PRIVATE_H

/* Shared between the ledger's store code and its renderers. */

#include "ledger/ledger.h"

/* An invoice document for one account's period. number NULL: pro forma. */
char *ledger_invoice_render(const conf *config, const conf_client *client,
			    const ledger_account_report *account, const char *number,
			    const GDate *issued, const GDate *due, ledger_format format);

/* "2026-11-03" into buf (11 bytes). */
void ledger_date_string(const GDate *date, char buf[11]);

const char *ledger_mode_name(conf_billing_mode mode);
const char *ledger_rounding_name(conf_rounding rounding);
const char *ledger_round_per_name(conf_round_per per);
const char *ledger_rollover_name(conf_rollover rollover);

#endif
