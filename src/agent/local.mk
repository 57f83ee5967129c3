noinst_LIBRARIES += libveaagent.a
libveaagent_a_SOURCES = \
	%reldir%/agent.c %reldir%/agent.h \
	%reldir%/plan.c %reldir%/plan.h \
	%reldir%/rules.c %reldir%/rules.h \
	%reldir%/undo.c %reldir%/undo.h
