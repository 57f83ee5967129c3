noinst_LIBRARIES += libveaoutbox.a
# The outbox's sender (sender.h: claim, send, record) and the thread of
# vea run that drives it (thread.h).
libveaoutbox_a_SOURCES = %reldir%/sender.c %reldir%/sender.h \
	%reldir%/thread.c %reldir%/thread.h
