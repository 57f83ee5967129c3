#include "util/money.h"

#include <glib.h>
#include <string.h>

int money_currency_exponent(const char *currency)
{
	static const char *const zero[] = { "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF",
					    "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF",
					    "XOF", "XPF", NULL };
	static const char *const three[] = { "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND", NULL };

	if (g_strv_contains(zero, currency))
		return 0;
	if (g_strv_contains(three, currency))
		return 3;
	return 2;
}

int64_t money_for_seconds(int64_t seconds, int64_t rate_per_hour)
{
	int64_t product = seconds * rate_per_hour;

	/* Half up, symmetric for negative adjustments. */
	if (product >= 0)
		return (product + 1800) / 3600;
	return -((-product + 1800) / 3600);
}

char *money_format(int64_t minor, const char *currency)
{
	int exponent = money_currency_exponent(currency);
	int64_t scale = exponent == 0 ? 1 : exponent == 3 ? 1000 : 100;
	int64_t magnitude = minor < 0 ? -minor : minor;

	if (exponent == 0)
		return g_strdup_printf("%s %s%" G_GINT64_FORMAT, currency, minor < 0 ? "-" : "", magnitude);
	return g_strdup_printf("%s %s%" G_GINT64_FORMAT ".%0*" G_GINT64_FORMAT, currency,
			       minor < 0 ? "-" : "", magnitude / scale, exponent, magnitude % scale);
}

char *money_format_duration(int64_t seconds)
{
	int64_t minutes = (seconds < 0 ? -seconds : seconds) / 60;
	const char *sign = seconds < 0 ? "-" : "";

	if (minutes >= 60)
		return g_strdup_printf("%s%" G_GINT64_FORMAT "h %02" G_GINT64_FORMAT "m", sign,
				       minutes / 60, minutes % 60);
	return g_strdup_printf("%s%" G_GINT64_FORMAT "m", sign, minutes);
}
