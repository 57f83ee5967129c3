noinst_LIBRARIES += libveamime.a
libveamime_a_SOURCES = %reldir%/message.h %reldir%/message-private.h \
	%reldir%/message.c \
	%reldir%/headers.c \
	%reldir%/fast-parse.c %reldir%/fast-parse.h \
	%reldir%/packed.c \
	%reldir%/addresses.c \
	%reldir%/body.c \
	%reldir%/parts.c \
	%reldir%/html-text.c %reldir%/html-text.h \
	%reldir%/compose.c %reldir%/compose.h \
	%reldir%/rfc2047.c %reldir%/rfc2047.h
