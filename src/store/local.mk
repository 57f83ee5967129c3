noinst_LIBRARIES += libveastore.a
libveastore_a_SOURCES = \
	%reldir%/store.c %reldir%/store.h \
	%reldir%/schema.c %reldir%/schema.h
