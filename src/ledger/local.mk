noinst_LIBRARIES += libvealedger.a
libvealedger_a_SOURCES = \
	%reldir%/ledger.c %reldir%/ledger.h %reldir%/ledger-private.h \
	%reldir%/ledger-db.c %reldir%/ledger-render.c
