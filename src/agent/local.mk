noinst_LIBRARIES += libveaagent.a
libveaagent_a_SOURCES = \
	%reldir%/agent.c %reldir%/agent.h %reldir%/agent-private.h \
	%reldir%/sync.c %reldir%/execute.c %reldir%/recover.c %reldir%/watch.c \
	%reldir%/outgoing.c %reldir%/drafts.c %reldir%/schedule.c \
	%reldir%/timers.c %reldir%/timers.h %reldir%/timer-fire.c %reldir%/timer-thread.c \
	%reldir%/plan.c %reldir%/plan.h \
	%reldir%/rules.c %reldir%/rules.h \
	%reldir%/undo.c %reldir%/undo.h
