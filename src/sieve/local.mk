noinst_LIBRARIES += libveasieve.a
libveasieve_a_SOURCES = %reldir%/sieve.h %reldir%/sieve-private.h \
	%reldir%/sieve.c \
	%reldir%/lexer.c %reldir%/lexer.h \
	%reldir%/parser.c %reldir%/parser.h \
	%reldir%/registry.c %reldir%/registry.h \
	%reldir%/validate.c %reldir%/validate.h \
	%reldir%/match.c %reldir%/match.h \
	%reldir%/interp.c %reldir%/interp.h \
	%reldir%/actions.c %reldir%/actions.h \
	%reldir%/ext-core.c \
	%reldir%/ext-fileinto.c \
	%reldir%/ext-envelope.c \
	%reldir%/ext-imap4flags.c \
	%reldir%/ext-copy.c \
	%reldir%/ext-mailbox.c \
	%reldir%/ext-relational.c \
	%reldir%/ext-comparator-numeric.c \
	%reldir%/ext-vnd-vea.c \
	%reldir%/ext-vea-remind.c \
	%reldir%/ext-vea-snooze.c \
	%reldir%/ext-vea-draft.c %reldir%/ext-vea-schedule.c \
	%reldir%/template.c %reldir%/template.h \
	%reldir%/ext-variables.c \
	%reldir%/ext-encoded-character.c \
	%reldir%/ext-subaddress.c \
	%reldir%/ext-regex.c \
	%reldir%/ext-body.c \
	%reldir%/ext-date.c \
	%reldir%/ext-index.c \
	%reldir%/ext-environment.c \
	%reldir%/ext-ihave.c \
	%reldir%/ext-vacation.c \
	%reldir%/ext-enotify.c \
	%reldir%/ext-duplicate.c \
	%reldir%/ext-include.c \
	%reldir%/ext-mime.c %reldir%/ext-mime.h \
	%reldir%/ext-reject.c
