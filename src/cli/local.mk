bin_PROGRAMS += vea
vea_SOURCES = \
	%reldir%/main.c %reldir%/cli.h \
	%reldir%/cmd-config.c %reldir%/cmd-run.c %reldir%/cmd-log.c \
	%reldir%/cmd-rules.c %reldir%/cmd-digest.c %reldir%/cmd-status.c %reldir%/cmd-undo.c %reldir%/cmd-outbox.c %reldir%/cmd-drafts.c %reldir%/cmd-schedule.c %reldir%/cmd-remind.c \
	%reldir%/cmd-bill.c %reldir%/version.c
vea_SOURCES += %reldir%/cmd-calendar.c
vea_LDADD = $(VEA_LIBS)
