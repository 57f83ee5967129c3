noinst_LIBRARIES += libveaoutgoing.a
# Whether vea may send automatic mail about a message (outgoing.h): pure
# decisions over header lookups, no I/O; and the messages it sends
# (compose.c), for the agent and the Sieve conformance runner.
libveaoutgoing_a_SOURCES = %reldir%/outgoing.h %reldir%/outgoing-private.h \
	%reldir%/outgoing.c %reldir%/address.c %reldir%/vacation.c %reldir%/redirect.c \
	%reldir%/notify.c %reldir%/compose.c
