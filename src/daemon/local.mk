noinst_LIBRARIES += libveadaemon.a
libveadaemon_a_SOURCES = \
	%reldir%/daemon.h %reldir%/daemon-private.h \
	%reldir%/setup.c \
	%reldir%/daemon.c \
	%reldir%/watch.c \
	%reldir%/tick.c \
	%reldir%/outbox.c \
	%reldir%/limits.c \
	%reldir%/service.c
