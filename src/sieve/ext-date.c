/* date and currentdate (RFC 5260 sections 4-5): match a part of the date
 * in a header field, or of the time of execution, in a time zone. */

#include "sieve/registry.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

#include <gmime/gmime.h>
#include <string.h>

static const sieve_tag_def tag_zone = {
	"zone", SIEVE_TAG_ZONE, SIEVE_TAG_GROUP_ZONE, SIEVE_PARAM_STRING, NULL
};
static const sieve_tag_def tag_originalzone = {
	"originalzone", SIEVE_TAG_ORIGINALZONE, SIEVE_TAG_GROUP_ZONE,
	SIEVE_PARAM_NONE, NULL
};
static const sieve_tag_def *const tst_date_tags[] = {
	&tag_zone, &tag_originalzone, NULL
};
static const sieve_tag_def *const tst_currentdate_tags[] = {
	&tag_zone, NULL
};

/* Section 4.2: the date parts. */
static const char *const date_parts[] = {
	"year", "month", "day", "date", "julian", "hour", "minute", "second",
	"time", "iso8601", "std11", "zone", "weekday",
};

typedef struct tst_date_data {
	sieve_match_test_data m; /* names: the header (date only) */
	char *part;
	char *zone;         /* :zone, NULL when not given */
	gboolean original;  /* :originalzone */
	int index;          /* :index, 0 when not given */
	gboolean last;
} tst_date_data;

static void tst_date_data_free(gpointer data)
{
	tst_date_data *d = data;

	g_strfreev(d->m.names);
	g_strfreev(d->m.keys);
	sieve_regexes_free(d->m.regexes);
	g_free(d->part);
	g_free(d->zone);
	g_free(d);
}

/* Section 4.1: "+hhmm" / "-hhmm". */
static gboolean date_zone_valid(const char *zone)
{
	return (zone[0] == '+' || zone[0] == '-') && g_ascii_isdigit(zone[1]) &&
	       g_ascii_isdigit(zone[2]) && g_ascii_isdigit(zone[3]) &&
	       g_ascii_isdigit(zone[4]) && zone[5] == '\0';
}

static gboolean date_part_valid(const char *part)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(date_parts); i++) {
		if (g_ascii_strcasecmp(part, date_parts[i]) == 0)
			return TRUE;
	}
	return FALSE;
}

static int tst_date_validate(sieve_validator *v, sieve_ast_node *node,
			     const sieve_args *args)
{
	gboolean current = args->n_positional == 2;
	const sieve_ast_arg *part = args->positional[current ? 0 : 1];
	const sieve_ast_arg *keys = args->positional[args->n_positional - 1];
	const sieve_ast_arg *zone, *index;
	tst_date_data *data;
	void **regexes;

	if (sieve_validator_is_constant(v, sieve_arg_string(part)) &&
	    !date_part_valid(sieve_arg_string(part))) {
		sieve_validator_error(v, part->line, part->column,
				      "unknown date part '%s'",
				      sieve_arg_string(part));
		return -1;
	}
	if (sieve_args_find_tag(args, SIEVE_TAG_ZONE, &zone) != NULL &&
	    sieve_validator_is_constant(v, sieve_arg_string(zone)) &&
	    !date_zone_valid(sieve_arg_string(zone))) {
		sieve_validator_error(v, zone->line, zone->column,
				      "invalid time zone '%s' (expected "
				      "+hhmm or -hhmm)",
				      sieve_arg_string(zone));
		return -1;
	}
	if (sieve_validate_keys(v, &args->match, keys, &regexes) < 0)
		return -1;
	data = g_new0(tst_date_data, 1);
	data->m.match = args->match;
	if (!current)
		data->m.names = sieve_arg_dup_strv_lower(args->positional[0]);
	data->m.keys = sieve_arg_dup_strv(keys);
	data->m.regexes = regexes;
	data->part = g_ascii_strdown(sieve_arg_string(part), -1);
	data->zone = zone != NULL ? g_strdup(sieve_arg_string(zone)) : NULL;
	data->original =
		sieve_args_find_tag(args, SIEVE_TAG_ORIGINALZONE, NULL) != NULL;
	if (sieve_args_find_tag(args, SIEVE_TAG_INDEX, &index) != NULL)
		data->index = (int)MIN(index->number, G_MAXINT);
	data->last = sieve_args_find_tag(args, SIEVE_TAG_LAST, NULL) != NULL;
	node->data = data;
	node->data_free = tst_date_data_free;
	return 0;
}

/* The value of part for dt; NULL for an unknown part. */
static char *date_format_part(GDateTime *dt, const char *part)
{
	if (strcmp(part, "year") == 0)
		return g_strdup_printf("%04d", g_date_time_get_year(dt));
	if (strcmp(part, "month") == 0)
		return g_date_time_format(dt, "%m");
	if (strcmp(part, "day") == 0)
		return g_date_time_format(dt, "%d");
	if (strcmp(part, "date") == 0)
		return g_date_time_format(dt, "%Y-%m-%d");
	if (strcmp(part, "julian") == 0) {
		/* Modified Julian Day: days since 1858-11-17 (section
		 * 4.2), from the date in this zone. */
		GDate date;

		g_date_clear(&date, 1);
		g_date_set_dmy(&date, (GDateDay)g_date_time_get_day_of_month(dt),
			       (GDateMonth)g_date_time_get_month(dt),
			       (GDateYear)g_date_time_get_year(dt));
		return g_strdup_printf("%u", g_date_get_julian(&date) - 678576);
	}
	if (strcmp(part, "hour") == 0)
		return g_date_time_format(dt, "%H");
	if (strcmp(part, "minute") == 0)
		return g_date_time_format(dt, "%M");
	if (strcmp(part, "second") == 0)
		return g_date_time_format(dt, "%S");
	if (strcmp(part, "time") == 0)
		return g_date_time_format(dt, "%H:%M:%S");
	if (strcmp(part, "iso8601") == 0)
		return g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S%:z");
	if (strcmp(part, "std11") == 0) {
		/* RFC 2822 form, English names whatever the locale. */
		static const char *const days[] = { "Mon", "Tue", "Wed", "Thu",
						    "Fri", "Sat", "Sun" };
		static const char *const months[] = {
			"Jan", "Feb", "Mar", "Apr", "May", "Jun",
			"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
		};
		g_autofree char *rest = g_date_time_format(dt, "%Y %H:%M:%S %z");

		return g_strdup_printf(
			"%s, %02d %s %s",
			days[g_date_time_get_day_of_week(dt) - 1],
			g_date_time_get_day_of_month(dt),
			months[g_date_time_get_month(dt) - 1], rest);
	}
	if (strcmp(part, "zone") == 0)
		return g_date_time_format(dt, "%z");
	if (strcmp(part, "weekday") == 0)
		/* 0 is Sunday. */
		return g_strdup_printf("%d", g_date_time_get_day_of_week(dt) % 7);
	return NULL;
}

static GTimeZone *date_zone_new(const sieve_run *run, const char *zone)
{
	if (zone != NULL)
		return g_time_zone_new_identifier(zone);
	if (run->opts->zone != NULL)
		return g_time_zone_new_identifier(run->opts->zone);
	return g_time_zone_new_local();
}

/* RFC 5260 section 4: a date field that is not an RFC 5322 date-time
 * (section 3.3, obsolete forms included) makes the test false, however
 * a lenient parser would read it. Comments are skipped; for Received the
 * date is what follows the last ';'. */
static gboolean date_skip_cfws(const char **pp)
{
	const char *p = *pp;

	for (;;) {
		while (g_ascii_isspace(*p))
			p++;
		if (*p != '(')
			break;
		{
			int depth = 0;

			do {
				if (*p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '(')
					depth++;
				else if (*p == ')')
					depth--;
				p++;
			} while (depth > 0 && *p != '\0');
			if (depth > 0)
				return FALSE;
		}
	}
	*pp = p;
	return TRUE;
}

static gboolean date_digits(const char **pp, int min, int max)
{
	const char *p = *pp;

	while (g_ascii_isdigit(*p))
		p++;
	if (p - *pp < min || p - *pp > max)
		return FALSE;
	*pp = p;
	return TRUE;
}

static gboolean date_word_in(const char **pp, const char *const *words)
{
	for (; *words != NULL; words++) {
		size_t len = strlen(*words);

		if (g_ascii_strncasecmp(*pp, *words, len) == 0 &&
		    !g_ascii_isalpha((*pp)[len])) {
			*pp += len;
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean date_is_rfc5322(const char *value)
{
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri",
					    "Sat", "Sun", NULL };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
					      "May", "Jun", "Jul", "Aug",
					      "Sep", "Oct", "Nov", "Dec",
					      NULL };
	const char *p = value;

	if (!date_skip_cfws(&p))
		return FALSE;
	if (g_ascii_isalpha(*p)) {
		if (!date_word_in(&p, days) || !date_skip_cfws(&p) ||
		    *p++ != ',' || !date_skip_cfws(&p))
			return FALSE;
	}
	if (!date_digits(&p, 1, 2) || !date_skip_cfws(&p) ||
	    !date_word_in(&p, months) || !date_skip_cfws(&p) ||
	    !date_digits(&p, 2, 4) || !date_skip_cfws(&p) ||
	    !date_digits(&p, 2, 2) || !date_skip_cfws(&p) || *p++ != ':' ||
	    !date_skip_cfws(&p) || !date_digits(&p, 2, 2) ||
	    !date_skip_cfws(&p))
		return FALSE;
	if (*p == ':') {
		p++;
		if (!date_skip_cfws(&p) || !date_digits(&p, 2, 2) ||
		    !date_skip_cfws(&p))
			return FALSE;
	}
	if (*p == '+' || *p == '-') {
		p++;
		return date_digits(&p, 4, 4);
	}
	/* obs-zone: UT, GMT, the US zones, military letters; like
	 * Pigeonhole, any other zone name too ("Greenwich Standard
	 * Time"), read as +0000. */
	return g_ascii_isalpha(*p);
}

static int tst_date_test(sieve_run *run, const sieve_ast_node *node,
			 gboolean *result_r)
{
	const tst_date_data *data = node->data;
	const char *part = sieve_run_str(run, data->part);
	const char *zone_name =
		data->zone != NULL ? sieve_run_str(run, data->zone) : NULL;
	GPtrArray *dates = g_ptr_array_new_with_free_func(
		(GDestroyNotify)g_date_time_unref);
	GTimeZone *zone = NULL;
	sieve_match match;
	gboolean matched = FALSE;
	guint i;

	if (zone_name != NULL && !date_zone_valid(zone_name)) {
		g_ptr_array_unref(dates);
		*result_r = FALSE;
		return 0;
	}
	if (!data->original)
		zone = date_zone_new(run, zone_name);
	if (data->m.names == NULL) {
		if (run->now == 0)
			run->now = g_get_real_time() / G_USEC_PER_SEC;
		g_ptr_array_add(dates, g_date_time_new_from_unix_utc(run->now));
	} else {
		const char *name = sieve_run_str(run, data->m.names[0]);
		const char *const *values = sieve_run_header_values(run, name);
		guint n = g_strv_length((char **)values);

		for (i = 0; i < n; i++) {
			GDateTime *dt;

			/* index (RFC 5260 section 6): only the N-th field,
			 * from the end with :last. */
			if (data->index > 0 &&
			    (guint)data->index !=
				    (data->last ? n - i : i + 1))
				continue;
			{
				const char *value = values[i];
				const char *semi = strrchr(value, ';');

				if (g_ascii_strcasecmp(name, "received") == 0 &&
				    semi != NULL)
					value = semi + 1;
				dt = date_is_rfc5322(value) ?
					     g_mime_utils_header_decode_date(
						     value) :
					     NULL;
			}
			if (dt != NULL)
				g_ptr_array_add(dates, dt);
		}
	}
	sieve_run_match_init(run, &match, &data->m.match, data->m.keys,
			     data->m.regexes);
	for (i = 0; i < dates->len && !matched; i++) {
		GDateTime *dt = g_ptr_array_index(dates, i);
		GDateTime *local = zone != NULL ? g_date_time_to_timezone(dt, zone) :
						  g_date_time_ref(dt);
		char *value = date_format_part(local, part);

		if (value != NULL)
			matched = sieve_match_value(&match, value);
		g_free(value);
		g_date_time_unref(local);
	}
	if (zone != NULL)
		g_time_zone_unref(zone);
	g_ptr_array_unref(dates);
	return sieve_run_match_end(run, node, &match, matched, result_r);
}

static const sieve_command_def tst_date = {
	.name = "date",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_MATCH,
	.positional = "SSL",
	.tags = tst_date_tags,
	.validate = tst_date_validate,
	.test = tst_date_test,
};

static const sieve_command_def tst_currentdate = {
	.name = "currentdate",
	.flags = SIEVE_CMD_TEST | SIEVE_CMD_MATCH,
	.positional = "SL",
	.tags = tst_currentdate_tags,
	.validate = tst_date_validate,
	.test = tst_date_test,
};

static const sieve_command_def *const date_commands[] = {
	&tst_date, &tst_currentdate, NULL
};

const sieve_extension sieve_ext_date = {
	.capability = "date",
	.commands = date_commands,
};
