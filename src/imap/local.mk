noinst_LIBRARIES += libveaimap.a
libveaimap_a_SOURCES = \
	%reldir%/imap.h %reldir%/imap-private.h \
	%reldir%/error.c \
	%reldir%/session.c \
	%reldir%/mailbox.c \
	%reldir%/flags.c \
	%reldir%/uid-set.c %reldir%/uid-set.h \
	%reldir%/fetch.c \
	%reldir%/fetch-pipelined.c \
	%reldir%/search.c \
	%reldir%/modify.c \
	%reldir%/append.c \
	%reldir%/idle.c \
	%reldir%/stream.c %reldir%/stream.h \
	%reldir%/tls-verify.c %reldir%/tls-verify.h \
	%reldir%/mailbox-name.c %reldir%/mailbox-name.h
