noinst_LIBRARIES += libveautil.a
libveautil_a_SOURCES = \
	%reldir%/log.c %reldir%/log.h \
	%reldir%/process.c %reldir%/process.h
libveautil_a_SOURCES += %reldir%/money.c %reldir%/money.h
libveautil_a_SOURCES += %reldir%/duration.c %reldir%/duration.h
libveautil_a_SOURCES += %reldir%/json.c %reldir%/json.h
libveautil_a_SOURCES += %reldir%/clock.c %reldir%/clock.h
libveautil_a_SOURCES += %reldir%/service-notify.c %reldir%/service-notify.h
libveautil_a_SOURCES += %reldir%/text.c %reldir%/text.h
