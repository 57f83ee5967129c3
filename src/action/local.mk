noinst_LIBRARIES += libveaaction.a
# The action kinds and the one table of what each does (kind.h).
libveaaction_a_SOURCES = %reldir%/kind.c %reldir%/kind.h
