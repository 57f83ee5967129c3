/* date and currentdate (RFC 5260 sections 4-5): match a part of the date
 * in a header field, or of the time of execution, in a time zone. */

#include "sieve/registry.h"
#include "util/clock.h"
#include "sieve/validate.h"
#include "sieve/interp.h"

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
 * makes the test false (see date_parse for what is read). Comments are
 * skipped; for Received the date is what follows the last ';'. */
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

/* Up to max digits (at least min) as a number. */
static gboolean date_number(const char **pp, int min, int max, int *value_r)
{
	const char *p = *pp;
	int value = 0;

	while (g_ascii_isdigit(*p) && p - *pp < max)
		value = value * 10 + (*p++ - '0');
	if (p - *pp < min || g_ascii_isdigit(*p))
		return FALSE;
	*value_r = value;
	*pp = p;
	return TRUE;
}

/* The index of the word at *pp in words (case-insensitive, whole
 * word), -1 when none. */
static int date_word_index(const char **pp, const char *const *words)
{
	int i;

	for (i = 0; words[i] != NULL; i++) {
		size_t len = strlen(words[i]);

		if (g_ascii_strncasecmp(*pp, words[i], len) == 0 &&
		    !g_ascii_isalpha((*pp)[len])) {
			*pp += len;
			return i;
		}
	}
	return -1;
}

/* obs-zone names (RFC 5322 section 4.3) in minutes east of UTC. */
static gboolean date_zone_name(const char **pp, int *minutes_r)
{
	static const char *const names[] = { "UT", "GMT", "EST", "EDT", "CST",
					     "CDT", "MST", "MDT", "PST", "PDT",
					     NULL };
	static const int offsets[] = { 0, 0, -5, -4, -6, -5, -7, -6, -8, -7 };
	int i = date_word_index(pp, names);

	if (i < 0)
		return FALSE;
	*minutes_r = offsets[i] * 60;
	return TRUE;
}

/* The date-time of an RFC 5322 date field (section 3.3, with the
 * obsolete forms of section 4.3), read as real mail writes it and as
 * Pigeonhole reads it: a two-digit year is 2000-2049 for 00-49 and 19xx
 * for 50-99, a three-digit one 1900 + it (section 4.3); one-digit
 * hours; a zone missing, or a name other than those of section 4.3,
 * is +0000. Mail clients also write "4:00:55 PM": vea reads 16:00:55
 * (Pigeonhole takes "PM" for an unknown zone and reads 04:00:55). NULL
 * for what is no date-time ("2002/09/14", no time of day): RFC 5260
 * section 4 makes the test false then. */
static GDateTime *date_parse(const char *value)
{
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri",
					    "Sat", "Sun", NULL };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
					      "May", "Jun", "Jul", "Aug",
					      "Sep", "Oct", "Nov", "Dec",
					      NULL };
	static const char *const meridians[] = { "AM", "PM", "A.M.", "P.M.",
						 NULL };
	const char *p = value, *year_start;
	int day, month, year, hour, minute, second = 0, zone = 0, meridian;
	GTimeZone *tz;
	GDateTime *dt;

	if (!date_skip_cfws(&p))
		return NULL;
	if (g_ascii_isalpha(*p)) {
		if (date_word_index(&p, days) < 0 || !date_skip_cfws(&p) ||
		    *p++ != ',' || !date_skip_cfws(&p))
			return NULL;
	}
	if (!date_number(&p, 1, 2, &day) || !date_skip_cfws(&p) ||
	    (month = date_word_index(&p, months)) < 0 || !date_skip_cfws(&p))
		return NULL;
	year_start = p;
	if (!date_number(&p, 2, 4, &year))
		return NULL;
	if (p - year_start == 2)
		year += year < 50 ? 2000 : 1900;
	else if (p - year_start == 3)
		year += 1900;
	else if (year < 1900)
		return NULL; /* section 3.3: "1900 or later" ("0102") */
	if (!date_skip_cfws(&p))
		return NULL;
	if (!date_number(&p, 1, 2, &hour) || !date_skip_cfws(&p) ||
	    *p++ != ':' || !date_skip_cfws(&p) ||
	    !date_number(&p, 2, 2, &minute) || !date_skip_cfws(&p))
		return NULL;
	if (*p == ':') {
		p++;
		if (!date_skip_cfws(&p) || !date_number(&p, 2, 2, &second) ||
		    !date_skip_cfws(&p))
			return NULL;
	}
	meridian = date_word_index(&p, meridians);
	if (meridian >= 0) {
		if (hour < 1 || hour > 12)
			return NULL;
		hour = hour % 12 + (meridian % 2 == 1 ? 12 : 0);
		if (!date_skip_cfws(&p))
			return NULL;
	}
	if (*p == '+' || *p == '-') {
		int hhmm;

		if (!date_number(&(const char *){ p + 1 }, 4, 4, &hhmm))
			return NULL;
		zone = (hhmm / 100 * 60 + hhmm % 100) * (*p == '-' ? -1 : 1);
	} else if (g_ascii_isalpha(*p) && !date_zone_name(&p, &zone)) {
		/* Other names ("Greenwich Standard Time", military letters,
		 * RFC 5322 section 4.3: no reliable meaning): +0000, as
		 * Pigeonhole. */
		zone = 0;
	} else if (*p != '\0' && !g_ascii_isalpha(*p)) {
		return NULL;
	}
	if (hour > 23 || minute > 59 || second > 60)
		return NULL;
	tz = g_time_zone_new_offset(zone * 60);
	dt = g_date_time_new(tz, year, month + 1, day, hour, minute,
			     second == 60 ? 59 : second);
	g_time_zone_unref(tz);
	return dt;
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
			run->now = clock_now_unix();
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
				dt = date_parse(value);
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
