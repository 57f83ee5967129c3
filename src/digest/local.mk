noinst_LIBRARIES += libveadigest.a
libveadigest_a_SOURCES = \
	%reldir%/digest.h \
	%reldir%/collect.c \
	%reldir%/render.c \
	%reldir%/followups.c \
	%reldir%/compose.c \
	%reldir%/schedule.c %reldir%/schedule.h
