noinst_LIBRARIES += libveamime.a
libveamime_a_SOURCES = %reldir%/message.c %reldir%/message.h \
	%reldir%/html-text.c %reldir%/html-text.h \
	%reldir%/compose.c %reldir%/compose.h \
	%reldir%/rfc2047.c %reldir%/rfc2047.h
