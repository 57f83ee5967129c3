noinst_LIBRARIES += libveatimer.a
libveatimer_a_SOURCES = \
	%reldir%/local-time.c %reldir%/local-time.h \
	%reldir%/when.c %reldir%/when.h
