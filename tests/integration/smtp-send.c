/* smtp-send: the SMTP layer (src/smtp) as a program, for test_smtp.py.
 *
 *   smtp-send URL [--tls none] [--ca FILE] [--user U --password-cmd CMD]
 *             (--from ADDR | --null-sender) [--allow-refused]
 *             [--idle-timeout S] --to ADDR [--to ADDR...] MESSAGE-FILE...
 *
 * Sends each MESSAGE-FILE (CRLF text) over one session, in order, and
 * prints one JSON object per message ({"outcome", "reply", "text",
 * "refused"}), then {"connections": N}. Exits 0 when every message was
 * accepted, 1 otherwise, 2 on a wrong command line. */
#include "smtp/smtp.h"
#include "util/json.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

static void print_result(const smtp_result *r)
{
	GString *out = g_string_new("{\"outcome\": ");

	json_append_string(out, smtp_outcome_name(r->outcome));
	g_string_append_printf(out, ", \"reply\": %d, \"needs_config\": %s, \"text\": ", r->reply,
			       r->needs_config ? "true" : "false");
	json_append_string(out, r->text != NULL ? r->text : "");
	g_string_append(out, ", \"refused\": [");
	for (char **p = r->refused; p != NULL && *p != NULL; p++) {
		if (p != r->refused)
			g_string_append(out, ", ");
		json_append_string(out, *p);
	}
	g_string_append(out, "]}");
	puts(out->str);
	g_string_free(out, TRUE);
}

int main(int argc, char **argv)
{
	smtp_params params = { .what = "test" };
	smtp_envelope envelope = { 0 };
	g_autoptr(GPtrArray) to = g_ptr_array_new();
	g_autoptr(GPtrArray) files = g_ptr_array_new();
	smtp_session *session;
	char *error = NULL;
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: smtp-send URL [options] --to ADDR MESSAGE-FILE...\n");
		return 2;
	}
	params.url = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i];
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(arg, "--null-sender") == 0) {
			envelope.null_sender = TRUE;
		} else if (strcmp(arg, "--allow-refused") == 0) {
			envelope.allow_refused_recipients = TRUE;
		} else if (g_str_has_prefix(arg, "--") && value == NULL) {
			fprintf(stderr, "smtp-send: %s needs a value\n", arg);
			return 2;
		} else if (strcmp(arg, "--tls") == 0) {
			params.tls = strcmp(value, "none") == 0 ? SMTP_TLS_NONE : SMTP_TLS_REQUIRED;
			i++;
		} else if (strcmp(arg, "--ca") == 0) {
			params.ca_file = value;
			i++;
		} else if (strcmp(arg, "--user") == 0) {
			params.user = value;
			i++;
		} else if (strcmp(arg, "--password-cmd") == 0) {
			params.password_cmd = value;
			i++;
		} else if (strcmp(arg, "--from") == 0) {
			envelope.mail_from = value;
			i++;
		} else if (strcmp(arg, "--to") == 0) {
			g_ptr_array_add(to, (gpointer)value);
			i++;
		} else if (strcmp(arg, "--idle-timeout") == 0) {
			params.idle_timeout = strtol(value, NULL, 10);
			i++;
		} else if (g_str_has_prefix(arg, "--")) {
			fprintf(stderr, "smtp-send: unknown option %s\n", arg);
			return 2;
		} else {
			g_ptr_array_add(files, (gpointer)arg);
		}
	}
	g_ptr_array_add(to, NULL);
	envelope.recipients = (const char *const *)to->pdata;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	session = smtp_session_new(&params, &error);
	if (session == NULL) {
		fprintf(stderr, "smtp-send: %s\n", error);
		g_free(error);
		return 1;
	}
	for (guint i = 0; i < files->len; i++) {
		g_autofree char *data = NULL;
		smtp_result result;
		gsize len;

		if (!g_file_get_contents(g_ptr_array_index(files, i), &data, &len, NULL)) {
			fprintf(stderr, "smtp-send: cannot read %s\n",
				(const char *)g_ptr_array_index(files, i));
			status = 2;
			break;
		}
		if (smtp_session_send(session, &envelope, data, len, &result) < 0)
			status = 1;
		print_result(&result);
		smtp_result_clear(&result);
	}
	printf("{\"connections\": %u}\n", smtp_session_connections(session));
	smtp_session_free(&session);
	curl_global_cleanup();
	return status;
}
