# src/calendar: iCalendar (libical), availability, iMIP and CalDAV.
# calendar-conf.c (the [calendar:ID] sections and the clients' scheduling
# keys) goes into libveaconf.a: it needs only GLib, and conf.c calls it.
libveaconf_a_SOURCES += %reldir%/calendar-conf.c %reldir%/calendar-conf.h

noinst_LIBRARIES += libveacalendar.a
libveacalendar_a_CPPFLAGS = $(AM_CPPFLAGS) $(ICAL_CFLAGS)
libveacalendar_a_SOURCES = \
	%reldir%/ical.c %reldir%/ical.h %reldir%/ical-private.h \
	%reldir%/calendar.c %reldir%/calendar.h \
	%reldir%/imip.c %reldir%/imip.h \
	%reldir%/caldav.c %reldir%/caldav.h \
	%reldir%/calendar-sync.c %reldir%/calendar-sync.h
