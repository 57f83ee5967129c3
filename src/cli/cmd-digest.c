/* vea digest: preview or send an executive's daily digest. */
#include "cli/cli.h"
#include "digest/digest.h"
#include "digest/schedule.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void digest_usage(FILE *out)
{
	fprintf(out,
		"Usage: vea digest preview CLIENT [--html FILE] [--text] [--mime]\n"
		"       vea digest send CLIENT\n"
		"       vea digest due\n"
		"  preview   render the digest CLIENT would get now, send nothing:\n"
		"            --text (the default) prints the text part, --html FILE\n"
		"            writes the HTML part (- for standard output), --mime\n"
		"            prints the whole message\n"
		"  send      send it now; it counts as today's digest unless that\n"
		"            went out already\n"
		"  due       send the digests that are due now (what `vea run` does\n"
		"            each cycle; for cron)\n"
		"The clock can be set with VEA_NOW=2026-11-26T07:30:00Z (a testing aid).\n");
}

static int digest_write_file(const char *path, const char *text)
{
	GError *error = NULL;

	if (strcmp(path, "-") == 0) {
		fputs(text, stdout);
		return 0;
	}
	if (!g_file_set_contents(path, text, -1, &error)) {
		fprintf(stderr, "vea digest: %s\n", error->message);
		g_error_free(error);
		return -1;
	}
	return 0;
}

static int digest_preview(const conf *config, store *st, const conf_client *client, GDateTime *now,
			  const char *html_path, gboolean text, gboolean mime)
{
	char *error = NULL;
	digest *d = NULL;
	int ret = CLI_EXIT_OK;

	if (digest_collect(st, config, client, now, NULL, &d, &error) < 0) {
		fprintf(stderr, "vea digest: client %s: %s\n", client->id, error);
		g_free(error);
		return CLI_EXIT_FAILURE;
	}
	for (guint i = 0; i < d->unchecked->len; i++) {
		const digest_unchecked *u = g_ptr_array_index(d->unchecked, i);

		fprintf(stderr, "vea digest: client %s: unread status not checked for %s: %s\n",
			client->id, u->account, u->reason);
	}
	if (html_path != NULL) {
		g_autofree char *html = digest_render_html(d);

		if (digest_write_file(html_path, html) < 0)
			ret = CLI_EXIT_FAILURE;
	}
	if (mime) {
		g_autofree char *message_id = digest_message_id_new(config, client, d->local_date);
		digest_mail *mail = NULL;

		if (digest_compose(config, d, message_id, now, &mail, &error) < 0) {
			fprintf(stderr, "vea digest: client %s: %s\n", client->id, error);
			g_free(error);
			ret = CLI_EXIT_FAILURE;
		} else {
			gsize size;
			const char *data = g_bytes_get_data(mail->data, &size);

			fwrite(data, 1, size, stdout);
			digest_mail_free(&mail);
		}
	}
	if (text || (html_path == NULL && !mime)) {
		g_autofree char *subject = digest_render_subject(d);
		g_autofree char *body = digest_render_text(d);

		printf("Subject: %s\n\n%s", subject, body);
	}
	digest_free(&d);
	return ret;
}

int cmd_digest(cli_context *ctx, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : NULL;
	const char *client_id = NULL, *html_path = NULL;
	gboolean text = FALSE, mime = FALSE;
	g_autoptr(GDateTime) now = NULL;
	const conf_client *client = NULL;
	conf *config;
	store *st = NULL;
	char *error = NULL;
	int ret = CLI_EXIT_OK;

	if (verb == NULL || strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0) {
		digest_usage(verb == NULL ? stderr : stdout);
		return verb == NULL ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(verb, "preview") != 0 && strcmp(verb, "send") != 0 && strcmp(verb, "due") != 0) {
		fprintf(stderr, "vea digest: unknown command '%s' (see vea digest --help)\n", verb);
		return CLI_EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(verb, "preview") == 0 && strcmp(argv[i], "--html") == 0 && i + 1 < argc) {
			html_path = argv[++i];
		} else if (strcmp(verb, "preview") == 0 && strcmp(argv[i], "--text") == 0) {
			text = TRUE;
		} else if (strcmp(verb, "preview") == 0 && strcmp(argv[i], "--mime") == 0) {
			mime = TRUE;
		} else if (argv[i][0] != '-' && client_id == NULL && strcmp(verb, "due") != 0) {
			client_id = argv[i];
		} else {
			fprintf(stderr, "vea digest %s: unexpected argument '%s' (see vea digest --help)\n",
				verb, argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	if (client_id == NULL && strcmp(verb, "due") != 0) {
		fprintf(stderr, "vea digest %s: which client? (see vea digest --help)\n", verb);
		return CLI_EXIT_USAGE;
	}
	now = digest_clock_now(&error);
	if (now == NULL) {
		fprintf(stderr, "vea digest: %s\n", error);
		g_free(error);
		return CLI_EXIT_USAGE;
	}
	config = cli_load_config(ctx);
	if (config == NULL)
		return CLI_EXIT_CONFIG;
	if (client_id != NULL) {
		client = conf_find_client(config, client_id);
		if (client == NULL) {
			fprintf(stderr, "vea digest: unknown client '%s' in %s\n", client_id, config->path);
			conf_free(&config);
			return CLI_EXIT_USAGE;
		}
		if (client->email == NULL) {
			fprintf(stderr, "vea digest: client %s has no email (%s)\n", client->id,
				client->source);
			conf_free(&config);
			return CLI_EXIT_CONFIG;
		}
	}
	if (strcmp(verb, "preview") != 0 && config->smtp.url == NULL) {
		fprintf(stderr, "vea digest: no [smtp] section in %s: cannot send\n", config->path);
		conf_free(&config);
		return CLI_EXIT_CONFIG;
	}
	if (strcmp(verb, "due") == 0) {
		digest_send_due(config);
		conf_free(&config);
		return CLI_EXIT_OK;
	}
	if (store_open(config->database, &st, &error) < 0) {
		fprintf(stderr, "vea digest: %s\n", error);
		g_free(error);
		conf_free(&config);
		return CLI_EXIT_FAILURE;
	}
	if (strcmp(verb, "preview") == 0) {
		ret = digest_preview(config, st, client, now, html_path, text, mime);
	} else {
		char *detail = NULL;

		if (digest_send_now(st, config, client, now, &detail, &error) < 0) {
			fprintf(stderr, "vea digest: client %s: %s\n", client->id, error);
			g_free(error);
			ret = CLI_EXIT_FAILURE;
		} else {
			printf("client %s: %s\n", client->id, detail);
			g_free(detail);
		}
	}
	store_close(&st);
	conf_free(&config);
	return ret;
}
