noinst_LIBRARIES += libveaconf.a
libveaconf_a_SOURCES = %reldir%/conf.c %reldir%/conf.h
