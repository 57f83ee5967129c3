/* iMIP objects and iTIP replies: see imip.h. */
#include "calendar/imip.h"
#include "calendar/ical-private.h"

#include <gmime/gmime.h>
#include <string.h>

const char *imip_partstat_name(imip_partstat partstat)
{
	switch (partstat) {
	case IMIP_PARTSTAT_ACCEPTED:
		return "ACCEPTED";
	case IMIP_PARTSTAT_DECLINED:
		return "DECLINED";
	case IMIP_PARTSTAT_TENTATIVE:
		return "TENTATIVE";
	}
	return "?";
}

/* RFC 6047 2.4 / RFC 5545 3.3.3: calendar addresses are mailto: URIs,
 * whose scheme is case-insensitive. */
static const char *imip_strip_mailto(const char *value)
{
	if (value != NULL && g_ascii_strncasecmp(value, "mailto:", 7) == 0)
		return value + 7;
	return value;
}

static void imip_attendee_free(gpointer data)
{
	imip_attendee *a = data;

	g_free(a->address);
	g_free(a->value);
	g_free(a->name);
	g_free(a->partstat);
	g_free(a);
}

void imip_message_free(imip_message **messagep)
{
	imip_message *m = *messagep;

	if (m == NULL)
		return;
	*messagep = NULL;
	g_free(m->method_name);
	g_free(m->uid);
	g_free(m->organizer);
	g_free(m->organizer_name);
	g_free(m->summary);
	g_ptr_array_unref(m->attendees);
	g_array_unref(m->components);
	g_free(m->text);
	g_free(m);
}

static char *imip_param(icalproperty *p, const char *name)
{
	const char *v = icalproperty_get_parameter_as_string(p, name);

	return v != NULL && *v != '\0' ? g_strdup(v) : NULL;
}

static void imip_read_attendees(imip_message *m, icalcomponent *ev)
{
	for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY); p != NULL;
	     p = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY)) {
		const char *value = icalproperty_get_attendee(p);
		const char *address = imip_strip_mailto(value);
		g_autofree char *rsvp = NULL;
		imip_attendee *a;
		gboolean known = FALSE;

		if (address == NULL || *address == '\0')
			continue;
		for (guint i = 0; i < m->attendees->len && !known; i++)
			known = g_ascii_strcasecmp(((imip_attendee *)g_ptr_array_index(m->attendees, i))->address,
						   address) == 0;
		if (known)
			continue;
		a = g_new0(imip_attendee, 1);
		a->value = g_strdup(value);
		a->address = g_strdup(address);
		a->name = imip_param(p, "CN");
		a->partstat = imip_param(p, "PARTSTAT");
		if (a->partstat == NULL)
			a->partstat = g_strdup("NEEDS-ACTION");
		rsvp = imip_param(p, "RSVP");
		a->rsvp = rsvp != NULL && g_ascii_strcasecmp(rsvp, "TRUE") == 0;
		g_ptr_array_add(m->attendees, a);
	}
}

static int imip_time_of(icalcomponent *ev, icalcomponent *vcal, icalproperty_kind kind,
			int64_t *seconds_r, gboolean *present_r, char **error_r)
{
	icalproperty *p = icalcomponent_get_first_property(ev, kind);
	struct icaltimetype t;
	gboolean floating;

	*present_r = p != NULL;
	if (p == NULL)
		return 0;
	if (ical_property_time(p, vcal, &t, error_r) < 0)
		return -1;
	*seconds_r = ical_time_seconds(t, &floating);
	return 0;
}

static int imip_read_component(imip_message *m, icalcomponent *ev, icalcomponent *vcal,
			       char **error_r)
{
	imip_component c = { 0 };
	icalproperty *rid = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
	icalproperty *duration = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY);
	gboolean has_start, has_end;

	if (ical_component_has_error(ev, error_r))
		return -1;
	if (imip_time_of(ev, vcal, ICAL_RECURRENCEID_PROPERTY, &c.recurrence_id, &c.has_recurrence_id,
			 error_r) < 0 ||
	    imip_time_of(ev, vcal, ICAL_DTSTART_PROPERTY, &c.start, &has_start, error_r) < 0 ||
	    imip_time_of(ev, vcal, ICAL_DTEND_PROPERTY, &c.end, &has_end, error_r) < 0)
		return -1;
	if (!has_end && has_start)
		c.end = c.start + (duration != NULL ? icaldurationtype_as_int(icalproperty_get_duration(duration)) : 0);
	if (rid != NULL) {
		icalparameter *range = icalproperty_get_first_parameter(rid, ICAL_RANGE_PARAMETER);

		c.this_and_future = range != NULL && icalparameter_get_range(range) == ICAL_RANGE_THISANDFUTURE;
	}
	c.recurring = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY) != NULL ||
		      icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY) != NULL;
	c.cancelled = icalcomponent_get_first_property(ev, ICAL_STATUS_PROPERTY) != NULL &&
		      icalcomponent_get_status(ev) == ICAL_STATUS_CANCELLED;
	g_array_append_val(m->components, c);
	return 0;
}

static icalcomponent *imip_single_vcalendar(icalcomponent *root, char **error_r)
{
	if (root == NULL) {
		*error_r = g_strdup("not iCalendar data");
		return NULL;
	}
	if (icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT)
		return root;
	/* RFC 6047 2.4: one iCalendar object per text/calendar part. */
	*error_r = g_strdup(icalcomponent_isa(root) == ICAL_XROOT_COMPONENT
				    ? "more than one VCALENDAR in one text/calendar part"
				    : "not iCalendar data (no VCALENDAR)");
	return NULL;
}

static int imip_parse_locked(imip_message *m, icalcomponent *vcal, const char *ct_method,
			     char **error_r)
{
	icalproperty *method = icalcomponent_get_first_property(vcal, ICAL_METHOD_PROPERTY);
	GPtrArray *vevents = g_ptr_array_new();
	int status = -1;

	if (method == NULL) {
		/* RFC 5546 3: an iTIP object always says what it is. */
		*error_r = g_strdup("no METHOD: not an invitation (iTIP) object");
		goto out;
	}
	m->method_name = g_ascii_strup(icalproperty_get_value_as_string(method), -1);
	if (ct_method != NULL && g_ascii_strcasecmp(ct_method, m->method_name) != 0) {
		*error_r = g_strdup_printf("Content-Type says method=%s but the object says METHOD:%s "
					   "(RFC 6047 2.4 requires them equal)", ct_method, m->method_name);
		goto out;
	}
	m->method = strcmp(m->method_name, "REQUEST") == 0   ? IMIP_METHOD_REQUEST
		    : strcmp(m->method_name, "CANCEL") == 0 ? IMIP_METHOD_CANCEL
		    : strcmp(m->method_name, "REPLY") == 0  ? IMIP_METHOD_REPLY
							    : IMIP_METHOD_OTHER;
	for (icalcomponent *ev = icalcomponent_get_first_component(vcal, ICAL_VEVENT_COMPONENT); ev != NULL;
	     ev = icalcomponent_get_next_component(vcal, ICAL_VEVENT_COMPONENT))
		g_ptr_array_add(vevents, ev);
	if (vevents->len == 0) {
		*error_r = g_strdup("no VEVENT (only events are scheduled)");
		goto out;
	}
	for (guint i = 0; i < vevents->len; i++) {
		icalcomponent *ev = g_ptr_array_index(vevents, i);
		const char *uid = icalcomponent_get_uid(ev);
		icalproperty *organizer = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
		icalproperty *stamp = icalcomponent_get_first_property(ev, ICAL_DTSTAMP_PROPERTY);
		gboolean is_master = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY) == NULL;

		if (uid == NULL || *uid == '\0') {
			*error_r = g_strdup("a VEVENT without UID");
			goto out;
		}
		if (m->uid == NULL) {
			m->uid = g_strdup(uid);
		} else if (strcmp(m->uid, uid) != 0) {
			/* RFC 5546 3.2.2: several VEVENTs only as one
			 * event's master and its instances. */
			*error_r = g_strdup_printf("VEVENTs with different UIDs ('%s', '%s')", m->uid, uid);
			goto out;
		}
		if (stamp == NULL && m->method != IMIP_METHOD_REPLY) {
			*error_r = g_strdup_printf("event %s: no DTSTAMP (RFC 5546 3.2.2 requires it)", uid);
			goto out;
		}
		if (stamp != NULL && (i == 0 || is_master)) {
			gboolean floating;

			m->dtstamp = ical_time_seconds(icalproperty_get_dtstamp(stamp), &floating);
		}
		if (i == 0 || is_master)
			m->sequence = icalcomponent_get_sequence(ev);
		if (organizer != NULL && (m->organizer == NULL || is_master)) {
			g_free(m->organizer);
			g_free(m->organizer_name);
			m->organizer = g_strdup(imip_strip_mailto(icalproperty_get_organizer(organizer)));
			m->organizer_name = imip_param(organizer, "CN");
		}
		if (m->summary == NULL || is_master) {
			const char *summary = icalcomponent_get_summary(ev);

			g_free(m->summary);
			m->summary = g_strdup(summary != NULL ? summary : "");
		}
		imip_read_attendees(m, ev);
		if (imip_read_component(m, ev, vcal, error_r) < 0) {
			char *full = g_strdup_printf("event %s: %s", uid, *error_r);

			g_free(*error_r);
			*error_r = full;
			goto out;
		}
	}
	if (m->organizer == NULL && (m->method == IMIP_METHOD_REQUEST || m->method == IMIP_METHOD_CANCEL)) {
		/* RFC 5546 3.2.2, 3.2.5: the organizer is who is answered
		 * and who alone may cancel. */
		*error_r = g_strdup_printf("event %s: no ORGANIZER", m->uid);
		goto out;
	}
	status = 0;
out:
	g_ptr_array_free(vevents, TRUE);
	return status;
}

int imip_parse(const char *text, const char *content_type_method, imip_message **message_r,
	       char **error_r)
{
	imip_message *m = g_new0(imip_message, 1);
	icalcomponent *root, *vcal;
	int status = -1;

	*message_r = NULL;
	m->attendees = g_ptr_array_new_with_free_func(imip_attendee_free);
	m->components = g_array_new(FALSE, FALSE, sizeof(imip_component));
	m->text = g_strdup(text);
	ical_lock();
	root = ical_parse_text(text);
	vcal = imip_single_vcalendar(root, error_r);
	if (vcal != NULL)
		status = imip_parse_locked(m, vcal, content_type_method, error_r);
	if (root != NULL)
		icalcomponent_free(root);
	ical_unlock();
	if (status < 0) {
		imip_message_free(&m);
		return -1;
	}
	*message_r = m;
	return 0;
}

const imip_attendee *imip_find_attendee(const imip_message *message, const char *const *addresses)
{
	for (guint i = 0; i < message->attendees->len; i++) {
		const imip_attendee *a = g_ptr_array_index(message->attendees, i);

		for (const char *const *addr = addresses; addr != NULL && *addr != NULL; addr++) {
			/* Whole addresses only, ignoring case (RFC 5546
			 * 3.7.2 asks for the attendee that is "me"); a
			 * substring match would take ana@ for dana@. */
			if (g_ascii_strcasecmp(a->address, imip_strip_mailto(*addr)) == 0)
				return a;
		}
	}
	return NULL;
}

ical_events *imip_instances(const imip_message *message, int64_t from, int64_t to, char **error_r)
{
	ical_events *events = ical_events_new();

	if (ical_events_add(events, message->text, from, to, error_r) < 0) {
		ical_events_free(&events);
		return NULL;
	}
	/* A partly read series would be decided on the part that was
	 * read; all or nothing. */
	if (events->warnings->len > 0) {
		*error_r = g_strdup(g_ptr_array_index(events->warnings, 0));
		ical_events_free(&events);
		return NULL;
	}
	ical_events_sort(events);
	return events;
}

typedef struct imip_reply_builder {
	icalcomponent *vcal;    /* the request */
	GPtrArray *tzids;       /* char *: VTIMEZONEs of the request to copy */
} imip_reply_builder;

/* Copy a time property into the reply unchanged (RFC 5546 3.2.3: optional
 * properties "MUST NOT be changed"), with its VTIMEZONE (required when a
 * TZID is used). When the request's zone was not its own VTIMEZONE (a
 * Windows or IANA name resolved otherwise), the same instant is written
 * in UTC: a builtin zone's TZID must never be written (SCHEDULING.md 3.2
 * trap 8). */
static icalproperty *imip_copy_time(imip_reply_builder *b, icalproperty *src)
{
	icalparameter *tzid_param = icalproperty_get_first_parameter(src, ICAL_TZID_PARAMETER);
	const char *tzid = tzid_param != NULL ? icalparameter_get_tzid(tzid_param) : NULL;
	struct icaltimetype t;
	icalproperty *copy;
	char *error = NULL;
	gboolean floating;
	int64_t seconds;

	if (tzid == NULL || icalcomponent_get_timezone(b->vcal, tzid) != NULL) {
		if (tzid != NULL && !g_ptr_array_find_with_equal_func(b->tzids, tzid, g_str_equal, NULL))
			g_ptr_array_add(b->tzids, g_strdup(tzid));
		return icalproperty_new_clone(src);
	}
	if (ical_property_time(src, b->vcal, &t, &error) < 0) {
		g_free(error);
		return NULL;
	}
	seconds = ical_time_seconds(t, &floating);
	t = icaltime_from_timet_with_zone((time_t)seconds, 0, icaltimezone_get_utc_timezone());
	copy = icalproperty_new(icalproperty_isa(src));
	icalproperty_set_value(copy, icalvalue_new_datetime(t));
	return copy;
}

static void imip_copy_if_present(imip_reply_builder *b, icalcomponent *rev, icalcomponent *src,
				 icalproperty_kind kind, gboolean is_time)
{
	icalproperty *p = icalcomponent_get_first_property(src, kind);
	icalproperty *copy;

	if (p == NULL)
		return;
	copy = is_time ? imip_copy_time(b, p) : icalproperty_new_clone(p);
	if (copy != NULL)
		icalcomponent_add_property(rev, copy);
}

/* RFC 5545 3.3.11 TEXT: libical escapes newlines, ';', ',' and '\\'.
 * A bare CR would come out as an escaped "\r" some readers keep; the
 * note is normalised to LF line breaks first. */
static char *imip_clean_text(const char *text)
{
	GString *out = g_string_new(NULL);

	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\r') {
			g_string_append_c(out, '\n');
			if (p[1] == '\n')
				p++;
		} else if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t') {
			g_string_append_c(out, ' ');
		} else {
			g_string_append_c(out, *p);
		}
	}
	return g_string_free(out, FALSE);
}

static gboolean imip_address_is_clean(const char *address)
{
	for (const char *p = address; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || *p == '"' || *p == 0x7f)
			return FALSE;
	}
	return strchr(address, '@') != NULL;
}

static struct icaltimetype imip_instance_time(icalcomponent *master, int64_t rid);

static icalcomponent *imip_reply_vevent(imip_reply_builder *b, const imip_message *request,
					const imip_reply_params *params, imip_partstat partstat,
					icalcomponent *src, gboolean instance_of_master, int64_t rid,
					icalcomponent *master)
{
	icalcomponent *rev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	icalproperty *organizer = icalcomponent_get_first_property(src, ICAL_ORGANIZER_PROPERTY);
	icalproperty *attendee;

	if (organizer == NULL && master != NULL)
		organizer = icalcomponent_get_first_property(master, ICAL_ORGANIZER_PROPERTY);
	if (organizer != NULL)
		icalcomponent_add_property(rev, icalproperty_new_clone(organizer));
	/* Exactly one ATTENDEE, the one replying (RFC 5546 3.2.3), spelled
	 * as the organizer spelled it (3.7.2); SENT-BY when the assistant
	 * answers for them (2.1.3). */
	attendee = icalproperty_new_attendee(params->attendee->value);
	icalproperty_add_parameter(attendee,
				   icalparameter_new_partstat(partstat == IMIP_PARTSTAT_ACCEPTED
								      ? ICAL_PARTSTAT_ACCEPTED
							      : partstat == IMIP_PARTSTAT_DECLINED
								      ? ICAL_PARTSTAT_DECLINED
								      : ICAL_PARTSTAT_TENTATIVE));
	if (params->sent_by != NULL) {
		g_autofree char *uri = g_strconcat("mailto:", imip_strip_mailto(params->sent_by), NULL);

		icalproperty_add_parameter(attendee, icalparameter_new_sentby(uri));
	}
	icalcomponent_add_property(rev, attendee);
	icalcomponent_set_uid(rev, request->uid);
	/* "If non-zero, MUST be the sequence number of the original
	 * REQUEST"; never incremented by a REPLY (2.1.4). */
	icalcomponent_add_property(rev, icalproperty_new_sequence(request->sequence));
	icalcomponent_add_property(rev, icalproperty_new_dtstamp(icaltime_from_timet_with_zone(
						(time_t)params->dtstamp, 0, icaltimezone_get_utc_timezone())));
	if (instance_of_master) {
		/* RFC 5545 3.8.4.4: the instance's original start. */
		icalcomponent_add_property(rev, icalproperty_new_recurrenceid(imip_instance_time(src, rid)));
	} else {
		imip_copy_if_present(b, rev, src, ICAL_RECURRENCEID_PROPERTY, TRUE);
		imip_copy_if_present(b, rev, src, ICAL_DTSTART_PROPERTY, TRUE);
		imip_copy_if_present(b, rev, src, ICAL_DTEND_PROPERTY, TRUE);
		imip_copy_if_present(b, rev, src, ICAL_DURATION_PROPERTY, FALSE);
	}
	imip_copy_if_present(b, rev, src, ICAL_SUMMARY_PROPERTY, FALSE);
	if (params->comment != NULL && *params->comment != '\0') {
		g_autofree char *comment = imip_clean_text(params->comment);

		icalcomponent_add_property(rev, icalproperty_new_comment(comment));
	}
	return rev;
}

static char *imip_crlf(const char *text)
{
	GString *out = g_string_sized_new(strlen(text) + 64);

	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n')
			g_string_append(out, "\r\n");
		else
			g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

/* A component as iCalendar text with CRLF line ends (RFC 5545 3.1). */
static char *imip_serialize(icalcomponent *comp)
{
	char *raw = icalcomponent_as_ical_string_r(comp);
	char *text = imip_crlf(raw);

	free(raw);
	return text;
}

static gboolean imip_rid_listed(const int64_t *rids, guint n, int64_t rid)
{
	for (guint i = 0; i < n; i++) {
		if (rids[i] == rid)
			return TRUE;
	}
	return FALSE;
}

static gboolean imip_request_has_override(const imip_message *request, int64_t rid)
{
	for (guint i = 0; i < request->components->len; i++) {
		const imip_component *c = &g_array_index(request->components, imip_component, i);

		if (c->has_recurrence_id && c->recurrence_id == rid)
			return TRUE;
	}
	return FALSE;
}

/* A RECURRENCE-ID (or DTSTART) for an instance of master at rid, in the
 * master's value type, written in UTC (RFC 5545 3.8.4.4). */
static struct icaltimetype imip_instance_time(icalcomponent *master, int64_t rid)
{
	icalproperty *start = icalcomponent_get_first_property(master, ICAL_DTSTART_PROPERTY);

	if (start != NULL && icalproperty_get_dtstart(start).is_date)
		return icaltime_from_timet_with_zone((time_t)rid, 1, NULL);
	return icaltime_from_timet_with_zone((time_t)rid, 0, icaltimezone_get_utc_timezone());
}

static char *imip_build_locked(icalcomponent *vcal, const imip_message *request,
			       const imip_reply_params *params, char **error_r)
{
	imip_reply_builder b = { vcal, g_ptr_array_new_with_free_func(g_free) };
	GPtrArray *vevents = g_ptr_array_new();
	GPtrArray *out = g_ptr_array_new();
	icalcomponent *master = NULL, *reply = NULL;
	char *text = NULL;

	for (icalcomponent *ev = icalcomponent_get_first_component(vcal, ICAL_VEVENT_COMPONENT); ev != NULL;
	     ev = icalcomponent_get_next_component(vcal, ICAL_VEVENT_COMPONENT)) {
		g_ptr_array_add(vevents, ev);
		if (icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY) == NULL)
			master = ev;
	}
	if (params->n_recurrence_ids == 0) {
		/* The whole object, with the instances declined one by one
		 * each in a VEVENT of its own (RFC 5546 3.2.3: "one VEVENT per
		 * instance answered"); an override the request holds already
		 * is answered in place. */
		for (guint i = 0; i < vevents->len; i++) {
			const imip_component *c = &g_array_index(request->components, imip_component, i);
			imip_partstat partstat = c->has_recurrence_id &&
							 imip_rid_listed(params->declined_ids,
									 params->n_declined_ids,
									 c->recurrence_id)
							 ? IMIP_PARTSTAT_DECLINED
							 : params->partstat;

			g_ptr_array_add(out, imip_reply_vevent(&b, request, params, partstat,
							       g_ptr_array_index(vevents, i), FALSE, 0, master));
		}
		for (guint r = 0; r < params->n_declined_ids; r++) {
			int64_t rid = params->declined_ids[r];

			if (imip_request_has_override(request, rid))
				continue;
			if (master == NULL) {
				*error_r = g_strdup("an instance the request does not hold");
				goto out;
			}
			g_ptr_array_add(out, imip_reply_vevent(&b, request, params, IMIP_PARTSTAT_DECLINED,
							       master, TRUE, rid, master));
		}
	}
	for (guint r = 0; r < params->n_recurrence_ids; r++) {
		int64_t rid = params->recurrence_ids[r];
		icalcomponent *src = NULL;

		for (guint i = 0; i < request->components->len && src == NULL; i++) {
			const imip_component *c = &g_array_index(request->components, imip_component, i);

			if (c->has_recurrence_id && c->recurrence_id == rid)
				src = g_ptr_array_index(vevents, i);
		}
		if (src != NULL) {
			g_ptr_array_add(out, imip_reply_vevent(&b, request, params, params->partstat, src,
							       FALSE, rid, master));
		} else if (master != NULL) {
			g_ptr_array_add(out, imip_reply_vevent(&b, request, params, params->partstat, master,
							       TRUE, rid, master));
		} else {
			*error_r = g_strdup("an instance the request does not hold");
			goto out;
		}
	}
	reply = icalcomponent_vanew(ICAL_VCALENDAR_COMPONENT, icalproperty_new_version("2.0"),
				    icalproperty_new_prodid(params->prodid != NULL ? params->prodid
										   : "-//vea//calendar//EN"),
				    icalproperty_new_method(ICAL_METHOD_REPLY), (void *)0);
	/* RFC 5546 3.2.3: VTIMEZONE "MUST be present if any date/time
	 * refers to a timezone": the request's own, copied. */
	for (guint i = 0; i < b.tzids->len; i++) {
		icaltimezone *zone = icalcomponent_get_timezone(vcal, g_ptr_array_index(b.tzids, i));
		icalcomponent *vtz = zone != NULL ? icaltimezone_get_component(zone) : NULL;

		if (vtz != NULL)
			icalcomponent_add_component(reply, icalcomponent_new_clone(vtz));
	}
	for (guint i = 0; i < out->len; i++)
		icalcomponent_add_component(reply, g_ptr_array_index(out, i));
	g_ptr_array_set_size(out, 0);
	text = imip_serialize(reply);
out:
	for (guint i = 0; i < out->len; i++)
		icalcomponent_free(g_ptr_array_index(out, i));
	if (reply != NULL)
		icalcomponent_free(reply);
	g_ptr_array_free(out, TRUE);
	g_ptr_array_free(vevents, TRUE);
	g_ptr_array_unref(b.tzids);
	return text;
}

char *imip_build_reply(const imip_message *request, const imip_reply_params *params, char **error_r)
{
	icalcomponent *root, *vcal;
	char *text = NULL;

	if (params->attendee == NULL || params->attendee->value == NULL) {
		*error_r = g_strdup("no attendee to reply for");
		return NULL;
	}
	if (params->sent_by != NULL && !imip_address_is_clean(imip_strip_mailto(params->sent_by))) {
		*error_r = g_strdup_printf("SENT-BY '%s' is not a plain address", params->sent_by);
		return NULL;
	}
	ical_lock();
	root = ical_parse_text(request->text);
	vcal = imip_single_vcalendar(root, error_r);
	if (vcal != NULL)
		text = imip_build_locked(vcal, request, params, error_r);
	if (root != NULL)
		icalcomponent_free(root);
	ical_unlock();
	return text;
}

static icalparameter_partstat imip_ical_partstat(imip_partstat partstat)
{
	return partstat == IMIP_PARTSTAT_ACCEPTED   ? ICAL_PARTSTAT_ACCEPTED
	       : partstat == IMIP_PARTSTAT_DECLINED ? ICAL_PARTSTAT_DECLINED
						    : ICAL_PARTSTAT_TENTATIVE;
}

/* The executive's PARTSTAT in one VEVENT (RSVP dropped). */
static void imip_set_partstat(icalcomponent *ev, const imip_attendee *attendee, imip_partstat partstat)
{
	GPtrArray *attendees = g_ptr_array_new();

	for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY); p != NULL;
	     p = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY))
		g_ptr_array_add(attendees, p);
	for (guint i = 0; i < attendees->len; i++) {
		icalproperty *p = g_ptr_array_index(attendees, i);
		const char *address = imip_strip_mailto(icalproperty_get_attendee(p));

		if (address == NULL || g_ascii_strcasecmp(address, attendee->address) != 0)
			continue;
		icalproperty_remove_parameter_by_kind(p, ICAL_PARTSTAT_PARAMETER);
		icalproperty_remove_parameter_by_kind(p, ICAL_RSVP_PARAMETER);
		icalproperty_add_parameter(p, icalparameter_new_partstat(imip_ical_partstat(partstat)));
	}
	g_ptr_array_free(attendees, TRUE);
}

static void imip_store_vevent(icalcomponent *ev, const imip_attendee *attendee, imip_partstat partstat,
			      gboolean server_replies)
{
	icalproperty *organizer = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);

	imip_set_partstat(ev, attendee, partstat);
	if (organizer != NULL) {
		/* RFC 6638 7.1: CLIENT keeps a scheduling server silent (vea
		 * mails the REPLY); without it (SERVER, the default) the
		 * server sends the REPLY the PARTSTAT change calls for. */
		icalproperty_remove_parameter_by_kind(organizer, ICAL_SCHEDULEAGENT_PARAMETER);
		if (!server_replies)
			icalproperty_add_parameter(organizer,
						   icalparameter_new_scheduleagent(ICAL_SCHEDULEAGENT_CLIENT));
	}
}

char *imip_build_stored(const imip_message *request, const imip_attendee *attendee,
			imip_partstat partstat, gboolean server_replies, char **error_r)
{
	icalcomponent *root, *vcal;
	char *text = NULL;

	ical_lock();
	root = ical_parse_text(request->text);
	vcal = imip_single_vcalendar(root, error_r);
	if (vcal != NULL) {
		GPtrArray *remove = g_ptr_array_new();

		for (icalproperty *p = icalcomponent_get_first_property(vcal, ICAL_METHOD_PROPERTY); p != NULL;
		     p = icalcomponent_get_next_property(vcal, ICAL_METHOD_PROPERTY))
			g_ptr_array_add(remove, p);
		for (guint i = 0; i < remove->len; i++) {
			icalcomponent_remove_property(vcal, g_ptr_array_index(remove, i));
			icalproperty_free(g_ptr_array_index(remove, i));
		}
		g_ptr_array_free(remove, TRUE);
		for (icalcomponent *ev = icalcomponent_get_first_component(vcal, ICAL_VEVENT_COMPONENT); ev != NULL;
		     ev = icalcomponent_get_next_component(vcal, ICAL_VEVENT_COMPONENT))
			imip_store_vevent(ev, attendee, partstat, server_replies);
		text = imip_serialize(vcal);
	}
	if (root != NULL)
		icalcomponent_free(root);
	ical_unlock();
	return text;
}

int imip_stored_answer(const char *stored, const char *address, int *sequence_r,
		       char **partstat_r)
{
	icalcomponent *root, *vcal, *chosen = NULL;
	char *error = NULL;

	*sequence_r = 0;
	*partstat_r = NULL;
	ical_lock();
	root = ical_parse_text(stored);
	vcal = imip_single_vcalendar(root, &error);
	g_free(error);
	/* The master carries the answer to the whole event; failing one,
	 * the first instance. */
	for (icalcomponent *ev = vcal != NULL
					 ? icalcomponent_get_first_component(vcal, ICAL_VEVENT_COMPONENT)
					 : NULL;
	     ev != NULL; ev = icalcomponent_get_next_component(vcal, ICAL_VEVENT_COMPONENT)) {
		if (chosen == NULL)
			chosen = ev;
		if (icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY) == NULL) {
			chosen = ev;
			break;
		}
	}
	if (chosen != NULL) {
		*sequence_r = icalcomponent_get_first_property(chosen, ICAL_SEQUENCE_PROPERTY) != NULL
				      ? icalcomponent_get_sequence(chosen) : 0;
		for (icalproperty *p = icalcomponent_get_first_property(chosen, ICAL_ATTENDEE_PROPERTY);
		     p != NULL; p = icalcomponent_get_next_property(chosen, ICAL_ATTENDEE_PROPERTY)) {
			const char *a = imip_strip_mailto(icalproperty_get_attendee(p));
			icalparameter *ps = icalproperty_get_first_parameter(p, ICAL_PARTSTAT_PARAMETER);

			if (a == NULL || g_ascii_strcasecmp(a, imip_strip_mailto(address)) != 0)
				continue;
			*partstat_r = g_strdup(ps != NULL ? icalparameter_enum_to_string((int)
								    icalparameter_get_partstat(ps))
							  : "NEEDS-ACTION");
			break;
		}
	}
	if (root != NULL)
		icalcomponent_free(root);
	ical_unlock();
	return chosen != NULL ? 1 : 0;
}

char *imip_stored_decline_instances(const char *stored, const imip_attendee *attendee,
				    const int64_t *rids, guint n, char **error_r)
{
	icalcomponent *root, *vcal;
	char *text = NULL;

	ical_lock();
	root = ical_parse_text(stored);
	vcal = imip_single_vcalendar(root, error_r);
	if (vcal != NULL) {
		icalcomponent *master = NULL;
		GPtrArray *overrides = g_ptr_array_new();

		for (icalcomponent *ev = icalcomponent_get_first_component(vcal, ICAL_VEVENT_COMPONENT);
		     ev != NULL; ev = icalcomponent_get_next_component(vcal, ICAL_VEVENT_COMPONENT)) {
			if (icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY) == NULL)
				master = ev;
			else
				g_ptr_array_add(overrides, ev);
		}
		for (guint r = 0; r < n && vcal != NULL; r++) {
			icalcomponent *instance = NULL;

			for (guint i = 0; i < overrides->len && instance == NULL; i++) {
				icalcomponent *ev = g_ptr_array_index(overrides, i);
				int64_t seconds;
				gboolean present;
				char *ignored = NULL;

				if (imip_time_of(ev, vcal, ICAL_RECURRENCEID_PROPERTY, &seconds, &present,
						 &ignored) == 0 && present && seconds == rids[r])
					instance = ev;
				g_free(ignored);
			}
			if (instance == NULL && master != NULL) {
				/* A new override (RFC 5545 3.8.4.4) for this one
				 * instance, at its original time: the master's
				 * properties without its recurrence rules. */
				static const icalproperty_kind rules[] = {
					ICAL_RRULE_PROPERTY, ICAL_RDATE_PROPERTY, ICAL_EXDATE_PROPERTY,
					ICAL_EXRULE_PROPERTY, ICAL_DTSTART_PROPERTY, ICAL_DTEND_PROPERTY,
					ICAL_DURATION_PROPERTY,
				};
				struct icaltimetype start = imip_instance_time(master, rids[r]);
				struct icaldurationtype length = icalcomponent_get_duration(master);

				instance = icalcomponent_new_clone(master);
				for (size_t k = 0; k < G_N_ELEMENTS(rules); k++) {
					icalproperty *p;

					while ((p = icalcomponent_get_first_property(instance, rules[k])) != NULL) {
						icalcomponent_remove_property(instance, p);
						icalproperty_free(p);
					}
				}
				icalcomponent_add_property(instance, icalproperty_new_recurrenceid(start));
				icalcomponent_add_property(instance, icalproperty_new_dtstart(start));
				icalcomponent_add_property(instance,
							   icalproperty_new_dtend(icaltime_add(start, length)));
				icalcomponent_add_component(vcal, instance);
			}
			if (instance == NULL) {
				*error_r = g_strdup("an instance the event does not hold");
				vcal = NULL;
				break;
			}
			/* ORGANIZER as imip_build_stored left it (whether a
			 * scheduling server is to reply): only PARTSTAT changes. */
			imip_set_partstat(instance, attendee, IMIP_PARTSTAT_DECLINED);
			/* The executive's own copy: a declined instance is not
			 * busy time (RFC 6638 3.2.2.2 leaves TRANSP to each
			 * attendee). */
			{
				icalproperty *transp;

				while ((transp = icalcomponent_get_first_property(instance,
										 ICAL_TRANSP_PROPERTY)) != NULL) {
					icalcomponent_remove_property(instance, transp);
					icalproperty_free(transp);
				}
				icalcomponent_add_property(instance,
							   icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
			}
		}
		g_ptr_array_free(overrides, TRUE);
		if (vcal != NULL) {
			text = imip_serialize(vcal);
		}
	}
	if (root != NULL)
		icalcomponent_free(root);
	ical_unlock();
	return text;
}

char *imip_build_cancelled(const char *stored, char **error_r)
{
	icalcomponent *root, *vcal;
	char *text = NULL;

	ical_lock();
	root = ical_parse_text(stored);
	vcal = imip_single_vcalendar(root, error_r);
	if (vcal != NULL) {
		/* RFC 5546 3.2.5: a cancelled event stays, STATUS:CANCELLED, so
		 * that calendars show it struck out and busy time is freed. */
		for (icalcomponent *ev = icalcomponent_get_first_component(vcal, ICAL_VEVENT_COMPONENT);
		     ev != NULL; ev = icalcomponent_get_next_component(vcal, ICAL_VEVENT_COMPONENT))
			icalcomponent_set_status(ev, ICAL_STATUS_CANCELLED);
		text = imip_serialize(vcal);
	}
	if (root != NULL)
		icalcomponent_free(root);
	ical_unlock();
	return text;
}

char *imip_resource_name(const char *uid)
{
	GString *out = g_string_new(NULL);

	/* Unreserved characters only (RFC 3986 2.3); anything else,
	 * '/' and '%' included, is replaced so that a UID cannot reach
	 * another path. A hash keeps distinct UIDs distinct. */
	for (const char *p = uid; *p != '\0' && out->len < 64; p++)
		g_string_append_c(out, g_ascii_isalnum(*p) || strchr("-._~", *p) != NULL ? *p : '_');
	{
		g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA1, uid, -1);

		g_string_append_printf(out, "-%.12s.ics", sum);
	}
	return g_string_free(out, FALSE);
}

static int imip_part_text(GMimeObject *obj, char **text_r, char **error_r)
{
	GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(obj));
	const char *charset = g_mime_object_get_content_type_parameter(obj, "charset");
	GMimeStream *mem;
	GByteArray *bytes;
	char *text;

	if (content == NULL) {
		*error_r = g_strdup("the text/calendar part is empty");
		return -1;
	}
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(content, mem);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	/* RFC 6047 2.4: the charset is UTF-8 when anything is not ASCII;
	 * other charsets are converted rather than refused. */
	if (charset != NULL && g_ascii_strcasecmp(charset, "utf-8") != 0 &&
	    g_ascii_strcasecmp(charset, "us-ascii") != 0) {
		GError *error = NULL;

		text = g_convert((const char *)bytes->data, (gssize)bytes->len, "UTF-8", charset, NULL, NULL,
				 &error);
		if (text == NULL) {
			*error_r = g_strdup_printf("the text/calendar part's charset %s: %s", charset, error->message);
			g_error_free(error);
			g_object_unref(mem);
			return -1;
		}
	} else {
		text = g_strndup((const char *)bytes->data, bytes->len);
		if (!g_utf8_validate(text, -1, NULL)) {
			char *valid = g_utf8_make_valid(text, -1);

			g_free(text);
			text = valid;
		}
	}
	g_object_unref(mem);
	*text_r = text;
	return 0;
}

static gboolean imip_is_imip_part(GMimeObject *obj)
{
	GMimeContentType *type;

	if (!GMIME_IS_PART(obj))
		return FALSE;
	type = g_mime_object_get_content_type(obj);
	return type != NULL && g_mime_content_type_is_type(type, "text", "calendar") &&
	       g_mime_object_get_content_type_parameter(obj, "method") != NULL;
}

int imip_find_part(const char *message, size_t len, char **text_r, char **method_r, char **error_r)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(message, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	GMimeObject *top, *found = NULL;
	int status = 0;

	*text_r = NULL;
	*method_r = NULL;
	g_object_unref(parser);
	g_object_unref(stream);
	if (msg == NULL) {
		*error_r = g_strdup("not a mail message");
		return -1;
	}
	top = g_mime_message_get_mime_part(msg);
	if (top != NULL && imip_is_imip_part(top)) {
		found = top;
	} else if (top != NULL && GMIME_IS_MULTIPART(top)) {
		GMimePartIter *iter = g_mime_part_iter_new(top);

		/* Depth first, in order: the inline part comes before the
		 * attached copy. */
		do {
			GMimeObject *cur = g_mime_part_iter_get_current(iter);

			if (cur != NULL && imip_is_imip_part(cur))
				found = cur;
		} while (found == NULL && g_mime_part_iter_next(iter));
		g_mime_part_iter_free(iter);
	}
	if (found != NULL) {
		if (imip_part_text(found, text_r, error_r) < 0) {
			status = -1;
		} else {
			*method_r = g_ascii_strup(g_mime_object_get_content_type_parameter(found, "method"), -1);
			status = 1;
		}
	}
	g_object_unref(msg);
	return status;
}
