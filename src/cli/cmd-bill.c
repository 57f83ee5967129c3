/* vea bill: the ledger from the command line: log time, adjust, close a
 * period, report, invoice. Everything is checked before anything is
 * written, so a mistyped command changes nothing. */
#include "cli/cli.h"
#include "util/clock.h"
#include "ledger/ledger.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#define BILL_USAGE \
	"Usage:\n" \
	"  vea bill log CLIENT DURATION DESCRIPTION [--account ID] [--date YYYY-MM-DD] [--category C]\n" \
	"  vea bill adjust CLIENT [-]DURATION REASON [--account ID] [--date YYYY-MM-DD] [--category C]\n" \
	"  vea bill close CLIENT --period YYYY-MM [--account ID] [--date ISSUE-DATE]\n" \
	"  vea bill report [--client ID] [--account ID] [--period YYYY-MM | --from DATE --to DATE]\n" \
	"                  [--format text|csv|json|timeclock]\n" \
	"  vea bill invoice CLIENT --period YYYY-MM [--account ID] [--format text|html]\n" \
	"  vea bill periods CLIENT [--account ID]\n" \
	"DURATION: 45m, 1h30m, 1.5h, 90s. Dates are the client's local dates.\n"

typedef struct bill_args {
	const char *sub;
	GPtrArray *positional; /* borrowed strings */
	const char *account, *date, *category, *period, *from, *to, *format, *client;
} bill_args;

static int bill_usage_error(const char *sub, const char *message)
{
	fprintf(stderr, "vea bill%s%s: %s (see vea bill --help)\n", sub != NULL ? " " : "",
		sub != NULL ? sub : "", message);
	return CLI_EXIT_USAGE;
}

static int bill_parse_args(int argc, char **argv, bill_args *args)
{
	static const struct {
		const char *name;
		size_t offset;
	} options[] = {
		{ "--account", G_STRUCT_OFFSET(bill_args, account) },
		{ "--date", G_STRUCT_OFFSET(bill_args, date) },
		{ "--category", G_STRUCT_OFFSET(bill_args, category) },
		{ "--period", G_STRUCT_OFFSET(bill_args, period) },
		{ "--from", G_STRUCT_OFFSET(bill_args, from) },
		{ "--to", G_STRUCT_OFFSET(bill_args, to) },
		{ "--format", G_STRUCT_OFFSET(bill_args, format) },
		{ "--client", G_STRUCT_OFFSET(bill_args, client) },
	};

	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i];
		gboolean matched = FALSE;

		if (strcmp(arg, "--") == 0) {
			while (++i < argc)
				g_ptr_array_add(args->positional, argv[i]);
			break;
		}
		/* "-30m" is a credit, not an option: only "--" starts one. */
		if (!g_str_has_prefix(arg, "--")) {
			g_ptr_array_add(args->positional, (gpointer)arg);
			continue;
		}
		for (size_t o = 0; o < G_N_ELEMENTS(options) && !matched; o++) {
			size_t n = strlen(options[o].name);
			const char **slot = G_STRUCT_MEMBER_P(args, options[o].offset);

			if (strncmp(arg, options[o].name, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
				continue;
			matched = TRUE;
			if (*slot != NULL) {
				g_autofree char *m = g_strdup_printf("%s given twice", options[o].name);

				return bill_usage_error(args->sub, m);
			}
			if (arg[n] == '=') {
				*slot = arg + n + 1;
			} else if (i + 1 < argc) {
				*slot = argv[++i];
			} else {
				g_autofree char *m = g_strdup_printf("%s needs a value", options[o].name);

				return bill_usage_error(args->sub, m);
			}
		}
		if (!matched) {
			g_autofree char *m = g_strdup_printf("unknown option '%s'", arg);

			return bill_usage_error(args->sub, m);
		}
	}
	return 0;
}

/* The options a subcommand takes; anything else given is an error rather
 * than silently ignored. */
static int bill_check_options(const bill_args *args, const char *allowed)
{
	const struct {
		const char *name;
		const char *value;
	} given[] = {
		{ "account", args->account }, { "date", args->date }, { "category", args->category },
		{ "period", args->period },   { "from", args->from }, { "to", args->to },
		{ "format", args->format },   { "client", args->client },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(given); i++) {
		g_autofree char *word = g_strdup_printf(" %s ", given[i].name);

		if (given[i].value != NULL && strstr(allowed, word) == NULL) {
			g_autofree char *m = g_strdup_printf("--%s does not apply here", given[i].name);

			return bill_usage_error(args->sub, m);
		}
	}
	return 0;
}

static int bill_error(const char *sub, const char *message, int status)
{
	fprintf(stderr, "vea bill %s: %s\n", sub, message);
	return status;
}

/* CLIENT and its billing account (--account, else its default or only). */
static const conf_billing *bill_find_billing(const conf *config, const bill_args *args,
					     const char *client_id, int *status_r)
{
	const conf_client *client = conf_find_client(config, client_id);
	const conf_billing *billing;
	char *error = NULL;

	*status_r = CLI_EXIT_USAGE;
	if (client == NULL) {
		fprintf(stderr, "vea bill %s: unknown client '%s' (no [client:%s] in %s)\n", args->sub,
			client_id, client_id, config->path);
		return NULL;
	}
	billing = conf_client_billing(config, client, args->account, &error);
	if (billing == NULL) {
		fprintf(stderr, "vea bill %s: %s%s\n", args->sub, error,
			args->account == NULL ? " (name one with --account)" : "");
		g_free(error);
		return NULL;
	}
	*status_r = CLI_EXIT_OK;
	return billing;
}

static int bill_open_store(const conf *config, const char *sub, store **st_r)
{
	char *error = NULL;

	if (store_open(config->database, st_r, &error) < 0) {
		bill_error(sub, error, CLI_EXIT_FAILURE);
		g_free(error);
		return -1;
	}
	return 0;
}

static int64_t bill_now(void)
{
	return clock_now_unix();
}

static int bill_log(const conf *config, const bill_args *args, gboolean adjust)
{
	const conf_billing *billing;
	ledger_new_entry entry = { 0 };
	GDate date;
	store *st = NULL;
	char *error = NULL;
	int64_t id = 0;
	int status;

	if (args->positional->len != 3)
		return bill_usage_error(args->sub, adjust ? "expected CLIENT [-]DURATION REASON"
						    : "expected CLIENT DURATION DESCRIPTION");
	billing = bill_find_billing(config, args, g_ptr_array_index(args->positional, 0), &status);
	if (billing == NULL)
		return status;
	entry.billing = billing;
	entry.adjust = adjust;
	entry.description = g_ptr_array_index(args->positional, 2);
	entry.category = args->category;
	if (ledger_parse_duration(g_ptr_array_index(args->positional, 1), adjust, &entry.seconds,
				  &error) < 0)
		goto usage;
	if (args->date != NULL) {
		if (ledger_parse_date(args->date, &date, &error) < 0)
			goto usage;
		entry.date = &date;
	}
	if (bill_open_store(config, args->sub, &st) < 0)
		return CLI_EXIT_FAILURE;
	if (ledger_add_entry(st, &entry, bill_now(), &id, &error) < 0) {
		store_close(&st);
		bill_error(args->sub, error, CLI_EXIT_FAILURE);
		g_free(error);
		return CLI_EXIT_FAILURE;
	}
	store_close(&st);
	{
		g_autofree char *time = ledger_format_duration(entry.seconds);

		printf("%s %s for %s on %s (entry %" G_GINT64_FORMAT ")\n", adjust ? "adjusted" : "logged",
		       time, billing->client->id, billing->id, id);
	}
	return CLI_EXIT_OK;
usage:
	bill_error(args->sub, error, CLI_EXIT_USAGE);
	g_free(error);
	return CLI_EXIT_USAGE;
}

static int bill_close(const conf *config, const bill_args *args)
{
	const conf_billing *billing;
	g_autofree char *number = NULL;
	GDate issued;
	store *st = NULL;
	char *error = NULL;
	int year, month, status;

	if (args->positional->len != 1 || args->period == NULL)
		return bill_usage_error(args->sub, "expected CLIENT --period YYYY-MM");
	billing = bill_find_billing(config, args, g_ptr_array_index(args->positional, 0), &status);
	if (billing == NULL)
		return status;
	if (ledger_parse_period(args->period, &year, &month, &error) < 0 ||
	    (args->date != NULL && ledger_parse_date(args->date, &issued, &error) < 0)) {
		bill_error(args->sub, error, CLI_EXIT_USAGE);
		g_free(error);
		return CLI_EXIT_USAGE;
	}
	if (bill_open_store(config, args->sub, &st) < 0)
		return CLI_EXIT_FAILURE;
	if (ledger_close_period(st, config, billing, year, month, args->date != NULL ? &issued : NULL,
				bill_now(), &number, &error) < 0) {
		store_close(&st);
		bill_error(args->sub, error, CLI_EXIT_FAILURE);
		g_free(error);
		return CLI_EXIT_FAILURE;
	}
	store_close(&st);
	printf("closed %s of %s: invoice %s\n", args->period, billing->id, number);
	return CLI_EXIT_OK;
}

static int bill_report(const conf *config, const bill_args *args)
{
	ledger_query query = { .client = args->client, .account = args->account };
	ledger_report *report = NULL;
	g_autofree char *document = NULL;
	int format = LEDGER_FORMAT_TEXT;
	store *st = NULL;
	char *error = NULL;

	if (args->positional->len != 0)
		return bill_usage_error(args->sub, "takes no CLIENT: use --client ID");
	if (args->format != NULL) {
		format = ledger_format_parse(args->format);
		if (format < 0 || format == LEDGER_FORMAT_HTML)
			return bill_usage_error(args->sub, "--format is text, csv, json or timeclock");
	}
	if (args->client != NULL && conf_find_client(config, args->client) == NULL) {
		fprintf(stderr, "vea bill report: unknown client '%s' in %s\n", args->client, config->path);
		return CLI_EXIT_USAGE;
	}
	if (args->account != NULL) {
		const conf_billing *billing = conf_find_billing(config, args->account);

		if (billing == NULL) {
			fprintf(stderr, "vea bill report: unknown billing account '%s' in %s\n",
				args->account, config->path);
			return CLI_EXIT_USAGE;
		}
		if (args->client != NULL && strcmp(billing->client->id, args->client) != 0) {
			fprintf(stderr, "vea bill report: billing account '%s' belongs to client %s, not %s\n",
				args->account, billing->client->id, args->client);
			return CLI_EXIT_USAGE;
		}
	}
	if (args->period != NULL && (args->from != NULL || args->to != NULL))
		return bill_usage_error(args->sub, "give --period or --from/--to, not both");
	if ((args->from != NULL) != (args->to != NULL))
		return bill_usage_error(args->sub, "--from and --to go together");
	if (args->period != NULL) {
		query.range = LEDGER_RANGE_PERIOD;
		if (ledger_parse_period(args->period, &query.year, &query.month, &error) < 0)
			goto usage;
	} else if (args->from != NULL) {
		query.range = LEDGER_RANGE_DATES;
		if (ledger_parse_date(args->from, &query.from, &error) < 0 ||
		    ledger_parse_date(args->to, &query.to, &error) < 0)
			goto usage;
		if (g_date_compare(&query.from, &query.to) > 0)
			return bill_usage_error(args->sub, "--from is after --to");
	}
	if (bill_open_store(config, args->sub, &st) < 0)
		return CLI_EXIT_FAILURE;
	if (ledger_report_build(st, config, &query, bill_now(), &report, &error) < 0) {
		store_close(&st);
		bill_error(args->sub, error, CLI_EXIT_FAILURE);
		g_free(error);
		return CLI_EXIT_FAILURE;
	}
	store_close(&st);
	document = ledger_report_render(report, format);
	ledger_report_free(&report);
	fputs(document, stdout);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
usage:
	bill_error(args->sub, error, CLI_EXIT_USAGE);
	g_free(error);
	return CLI_EXIT_USAGE;
}

static int bill_invoice(const conf *config, const bill_args *args)
{
	const conf_billing *billing;
	g_autofree char *document = NULL;
	int format = LEDGER_FORMAT_TEXT;
	store *st = NULL;
	char *error = NULL;
	int year, month, status;

	if (args->positional->len != 1 || args->period == NULL)
		return bill_usage_error(args->sub, "expected CLIENT --period YYYY-MM");
	if (args->format != NULL) {
		format = ledger_format_parse(args->format);
		if (format != LEDGER_FORMAT_TEXT && format != LEDGER_FORMAT_HTML)
			return bill_usage_error(args->sub, "--format is text or html");
	}
	billing = bill_find_billing(config, args, g_ptr_array_index(args->positional, 0), &status);
	if (billing == NULL)
		return status;
	if (ledger_parse_period(args->period, &year, &month, &error) < 0) {
		bill_error(args->sub, error, CLI_EXIT_USAGE);
		g_free(error);
		return CLI_EXIT_USAGE;
	}
	if (bill_open_store(config, args->sub, &st) < 0)
		return CLI_EXIT_FAILURE;
	if (ledger_invoice(st, config, billing, year, month, format, bill_now(), &document, &error) < 0) {
		store_close(&st);
		bill_error(args->sub, error, CLI_EXIT_FAILURE);
		g_free(error);
		return CLI_EXIT_FAILURE;
	}
	store_close(&st);
	fputs(document, stdout);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static int bill_periods(const conf *config, const bill_args *args)
{
	const conf_billing *billing;
	g_autofree char *text = NULL;
	store *st = NULL;
	char *error = NULL;
	int status;

	if (args->positional->len != 1)
		return bill_usage_error(args->sub, "expected CLIENT");
	billing = bill_find_billing(config, args, g_ptr_array_index(args->positional, 0), &status);
	if (billing == NULL)
		return status;
	if (bill_open_store(config, args->sub, &st) < 0)
		return CLI_EXIT_FAILURE;
	if (ledger_periods_list(st, billing, &text, &error) < 0) {
		store_close(&st);
		bill_error(args->sub, error, CLI_EXIT_FAILURE);
		g_free(error);
		return CLI_EXIT_FAILURE;
	}
	store_close(&st);
	fputs(*text != '\0' ? text : "no closed periods\n", stdout);
	return CLI_EXIT_OK;
}

int cmd_bill(cli_context *ctx, int argc, char **argv)
{
	static const struct {
		const char *name;
		const char *options;
	} subs[] = {
		{ "log", " account date category " },
		{ "adjust", " account date category " },
		{ "close", " account period date " },
		{ "report", " client account period from to format " },
		{ "invoice", " account period format " },
		{ "periods", " account " },
	};
	bill_args args = { 0 };
	const char *options = NULL;
	conf *config;
	int ret;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(BILL_USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(subs); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			options = subs[i].options;
	if (options == NULL) {
		fprintf(stderr, "vea bill: unknown subcommand '%s'\n%s", argv[1], BILL_USAGE);
		return CLI_EXIT_USAGE;
	}
	args.sub = argv[1];
	args.positional = g_ptr_array_new();
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(BILL_USAGE, stdout);
			g_ptr_array_unref(args.positional);
			return CLI_EXIT_OK;
		}
	}
	if (bill_parse_args(argc, argv, &args) != 0 || bill_check_options(&args, options) != 0) {
		g_ptr_array_unref(args.positional);
		return CLI_EXIT_USAGE;
	}
	config = cli_load_config(ctx);
	if (config == NULL) {
		g_ptr_array_unref(args.positional);
		return CLI_EXIT_CONFIG;
	}
	if (args.category != NULL && !ledger_category_valid(args.category)) {
		fprintf(stderr, "vea bill %s: category '%s' is not a name of letters, digits, '-' and '_'\n",
			args.sub, args.category);
		ret = CLI_EXIT_USAGE;
	} else if (strcmp(args.sub, "log") == 0 || strcmp(args.sub, "adjust") == 0) {
		ret = bill_log(config, &args, strcmp(args.sub, "adjust") == 0);
	} else if (strcmp(args.sub, "close") == 0) {
		ret = bill_close(config, &args);
	} else if (strcmp(args.sub, "report") == 0) {
		ret = bill_report(config, &args);
	} else if (strcmp(args.sub, "invoice") == 0) {
		ret = bill_invoice(config, &args);
	} else {
		ret = bill_periods(config, &args);
	}
	conf_free(&config);
	g_ptr_array_unref(args.positional);
	return ret;
}
