noinst_LIBRARIES += libveaimap.a
libveaimap_a_SOURCES = \
	%reldir%/imap.c %reldir%/imap.h \
	%reldir%/stream.c %reldir%/stream.h \
	%reldir%/tls-verify.c %reldir%/tls-verify.h \
	%reldir%/mailbox-name.c %reldir%/mailbox-name.h
