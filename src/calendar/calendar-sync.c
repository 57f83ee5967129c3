/* A client's calendars into one index: see calendar-sync.h. */
#include "calendar/calendar-sync.h"
#include "util/process.h"

#include <string.h>

caldav_client *calendar_connect(const conf_calendar *cal, char **error_r)
{
	caldav_params params = { .calendar_id = cal->id, .url = cal->url, .user = cal->user };
	char *secret = NULL;
	caldav_client *client;

	if (cal->password_cmd != NULL || cal->oauth2_token_cmd != NULL) {
		const char *key = cal->password_cmd != NULL ? "password_cmd" : "oauth2_token_cmd";
		char *error = NULL;

		secret = process_run_secret_command(cal->password_cmd != NULL ? cal->password_cmd
									  : cal->oauth2_token_cmd, &error);
		if (secret == NULL) {
			*error_r = g_strdup_printf("calendar %s: %s: %s", cal->id, key, error);
			g_free(error);
			return NULL;
		}
	}
	if (cal->oauth2_token_cmd != NULL)
		params.bearer = secret;
	else
		params.password = secret;
	client = caldav_client_new(&params);
	if (secret != NULL)
		process_secret_free(secret);
	if (client == NULL)
		*error_r = g_strdup_printf("calendar %s: cannot start an HTTP request (libcurl)", cal->id);
	return client;
}

const conf_calendar *calendar_find(const conf *c, const char *id)
{
	for (guint i = 0; i < c->calendars->len; i++) {
		const conf_calendar *cal = g_ptr_array_index(c->calendars, i);

		if (strcmp(cal->id, id) == 0)
			return cal;
	}
	return NULL;
}

const conf_calendar *calendar_find_primary(const conf *c, const conf_client *client)
{
	for (guint i = 0; i < c->calendars->len; i++) {
		const conf_calendar *cal = g_ptr_array_index(c->calendars, i);

		if (cal->client == client && cal->role == CALENDAR_ROLE_PRIMARY)
			return cal;
	}
	return NULL;
}

void calendar_index_set_client(calendar_index *index, const conf_client *client)
{
	g_autoptr(GPtrArray) owner = g_ptr_array_new();

	if (client->email != NULL)
		g_ptr_array_add(owner, client->email);
	for (char **a = client->aliases; a != NULL && *a != NULL; a++)
		g_ptr_array_add(owner, *a);
	g_ptr_array_add(owner, NULL);
	calendar_index_set_owner(index, (const char *const *)owner->pdata);
}

static int calendar_sync_one(calendar_index *index, const conf_calendar *cal, int64_t from, int64_t to,
			     guint *objects, char **error_r)
{
	caldav_client *dav = calendar_connect(cal, error_r);
	int status = -1;

	if (dav == NULL)
		return -1;
	if (cal->feed) {
		g_autofree char *body = NULL;
		char *error = NULL;

		if (caldav_get(dav, NULL, &body, NULL, error_r) < 0)
			goto out;
		if (calendar_index_add_text(index, cal->id, cal->role, body, &error) < 0) {
			*error_r = g_strdup_printf("calendar %s: %s: %s", cal->id, cal->url, error);
			g_free(error);
			goto out;
		}
		(*objects)++;
	} else {
		GPtrArray *found = NULL;

		if (caldav_query(dav, from, to, &found, error_r) < 0)
			goto out;
		for (guint i = 0; i < found->len; i++) {
			const caldav_object *o = g_ptr_array_index(found, i);
			char *error = NULL;

			/* One broken object must not hide the others. */
			if (calendar_index_add_text(index, cal->id, cal->role, o->data, &error) < 0) {
				g_autofree char *line = g_strdup_printf("calendar %s: %s: %s", cal->id, o->href, error);

				g_free(error);
				calendar_index_add_warning(index, line);
			}
		}
		*objects += found->len;
		g_ptr_array_unref(found);
	}
	status = 0;
out:
	caldav_client_free(&dav);
	return status;
}

calendar_index *calendar_sync_client(const conf *c, const conf_client *client, int64_t from,
				     int64_t to, GPtrArray **errors_r, guint *objects_r)
{
	GTimeZone *tz = client->tz != NULL ? g_time_zone_ref(client->tz) : g_time_zone_new_utc();
	calendar_index *index = calendar_index_new(tz, from, to);
	guint objects = 0;

	g_time_zone_unref(tz);
	calendar_index_set_client(index, client);
	*errors_r = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < c->calendars->len; i++) {
		const conf_calendar *cal = g_ptr_array_index(c->calendars, i);
		char *error = NULL;

		if (cal->client != client)
			continue;
		if (calendar_sync_one(index, cal, from, to, &objects, &error) < 0)
			g_ptr_array_add(*errors_r, error);
	}
	calendar_index_finish(index);
	if (objects_r != NULL)
		*objects_r = objects;
	return index;
}
