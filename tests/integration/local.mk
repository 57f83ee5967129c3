# Integration tests: each starts its own Dovecot (and SMTP server) on
# loopback through tests/harness, and stops it even when it fails.
INTEGRATION_TESTS = \
	%reldir%/test_triage.py \
	%reldir%/test_errors.py \
	%reldir%/test_sample.py \
	%reldir%/test_digest.py \
	%reldir%/test_billing.py \
	%reldir%/test_costs.py \
	%reldir%/test_oauth2.py \
	%reldir%/test_agent.py \
	%reldir%/test_tls.py \
	%reldir%/test_workers.py \
	%reldir%/test_rules_state.py \
	%reldir%/test_rules_when.py \
	%reldir%/test_moves.py \
	%reldir%/test_recovery.py \
	%reldir%/test_temporary.py \
	%reldir%/test_idle_mailboxes.py \
	%reldir%/test_service.py \
	%reldir%/test_install.py \
	%reldir%/test_smtp.py \
	%reldir%/test_drafts.py \
	%reldir%/test_drafts_imap.py \
	%reldir%/test_drafts_ai.py \
	%reldir%/test_schedule.py \
	%reldir%/test_schedule_rules.py \
	%reldir%/test_implicit.py \
	%reldir%/test_outgoing.py \
	%reldir%/test_timers.py
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS)

# The SMTP layer as a program, for test_smtp.py.
check_PROGRAMS += smtp-send
smtp_send_SOURCES = %reldir%/smtp-send.c
smtp_send_LDADD = libveasmtp.a libveamime.a libveaconf.a libveautil.a $(DEPS_LIBS)

# src/calendar as a program, for test_caldav.py (and the benchmark).
check_PROGRAMS += calendar-tool
calendar_tool_SOURCES = %reldir%/calendar-tool.c
calendar_tool_CPPFLAGS = $(AM_CPPFLAGS) $(ICAL_CFLAGS)
calendar_tool_LDADD = libveacalendar.a libveastore.a libveaaction.a libveaconf.a libveatimer.a libveautil.a $(ICAL_LIBS) $(DEPS_LIBS)
TESTS += %reldir%/test_caldav.py
EXTRA_DIST += %reldir%/test_caldav.py
