noinst_LIBRARIES += libveaoutbox.a
# The sender of the outbox (sender.h): claims, sends, records.
libveaoutbox_a_SOURCES = %reldir%/sender.c %reldir%/sender.h
