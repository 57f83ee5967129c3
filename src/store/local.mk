noinst_LIBRARIES += libveastore.a
# store.h is the interface (no database named); store.c opens the SQLite
# connection and holds the helpers of store-private.h; each concern's
# statements are a file of their own.
libveastore_a_SOURCES = \
	%reldir%/store.c %reldir%/store.h %reldir%/store-private.h \
	%reldir%/schema.c %reldir%/schema.h \
	%reldir%/journal.c \
	%reldir%/sync-state.c \
	%reldir%/ledger.c \
	%reldir%/digest.c \
	%reldir%/duplicates.c \
	%reldir%/status.c \
	%reldir%/outbox.c \
	%reldir%/timers.c \
	%reldir%/drafts.c \
	%reldir%/schedule.c \
	%reldir%/calendars.c
