noinst_LIBRARIES += libveamime.a
libveamime_a_SOURCES = %reldir%/message.c %reldir%/message.h
