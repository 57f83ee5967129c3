# One test binary per module, linked only against that module and below.
UNIT_CFLAGS = $(AM_CFLAGS) -DVEA_TEST_SRCDIR='"$(abs_top_srcdir)"'

check_PROGRAMS += test-sieve
TESTS += test-sieve
test_sieve_SOURCES = %reldir%/test-sieve.c
test_sieve_CFLAGS = $(UNIT_CFLAGS)
test_sieve_LDADD = libveasieve.a libveamime.a libveatimer.a libveautil.a $(DEPS_LIBS)

check_PROGRAMS += test-conf
TESTS += test-conf
test_conf_SOURCES = %reldir%/test-conf.c
test_conf_CFLAGS = $(UNIT_CFLAGS)
test_conf_LDADD = libveaconf.a libveautil.a $(DEPS_LIBS)

check_PROGRAMS += test-store
TESTS += test-store
test_store_SOURCES = %reldir%/test-store.c
test_store_CFLAGS = $(UNIT_CFLAGS)
test_store_LDADD = libveastore.a libveaaction.a libveautil.a $(DEPS_LIBS)

check_PROGRAMS += test-mime
TESTS += test-mime
test_mime_SOURCES = %reldir%/test-mime.c
test_mime_CFLAGS = $(UNIT_CFLAGS)
test_mime_LDADD = libveamime.a libveautil.a $(DEPS_LIBS)

check_PROGRAMS += test-compose
TESTS += test-compose
test_compose_SOURCES = %reldir%/test-compose.c
test_compose_CFLAGS = $(UNIT_CFLAGS)
test_compose_LDADD = libveamime.a libveautil.a $(DEPS_LIBS)

check_PROGRAMS += test-imap
TESTS += test-imap
test_imap_SOURCES = %reldir%/test-imap.c
test_imap_CFLAGS = $(UNIT_CFLAGS)
test_imap_LDADD = libveaimap.a libveautil.a $(DEPS_LIBS)

check_PROGRAMS += test-util
TESTS += test-util
test_util_SOURCES = %reldir%/test-util.c
test_util_CFLAGS = $(UNIT_CFLAGS)
test_util_LDADD = libveautil.a $(DEPS_LIBS)

check_PROGRAMS += test-ledger
TESTS += test-ledger
test_ledger_SOURCES = %reldir%/test-ledger.c
test_ledger_CFLAGS = $(UNIT_CFLAGS)
test_ledger_LDADD = libvealedger.a libveastore.a libveaaction.a libveaconf.a libveautil.a $(DEPS_LIBS)

check_PROGRAMS += test-digest
TESTS += test-digest
test_digest_SOURCES = %reldir%/test-digest.c
test_digest_CFLAGS = $(UNIT_CFLAGS)
test_digest_LDADD = libveadigest.a libveasmtp.a libveaaccount.a libveaimap.a libveacalendar.a \
	libvealedger.a libveastore.a libveaaction.a libveamime.a libveaconf.a libveatimer.a \
	libveautil.a $(ICAL_LIBS) $(DEPS_LIBS)

check_PROGRAMS += test-action
TESTS += test-action
test_action_SOURCES = %reldir%/test-action.c
test_action_CFLAGS = $(UNIT_CFLAGS)
test_action_LDADD = libveaaction.a $(DEPS_LIBS)

check_PROGRAMS += test-daemon
TESTS += test-daemon
test_daemon_SOURCES = %reldir%/test-daemon.c
test_daemon_CFLAGS = $(UNIT_CFLAGS)
test_daemon_LDADD = libveadaemon.a libveaagent.a libveaoutbox.a libveadigest.a libveaoutgoing.a libveasmtp.a \
	libveaaccount.a libveaimap.a libveasieve.a libvealedger.a libveastore.a libveaaction.a \
	libveamime.a libveaconf.a libveatimer.a libveautil.a $(DEPS_LIBS)

check_PROGRAMS += test-outgoing
TESTS += test-outgoing
test_outgoing_SOURCES = %reldir%/test-outgoing.c
test_outgoing_CFLAGS = $(UNIT_CFLAGS)
test_outgoing_LDADD = libveaoutgoing.a libveamime.a libveautil.a $(DEPS_LIBS)

check_PROGRAMS += test-smtp
TESTS += test-smtp
test_smtp_SOURCES = %reldir%/test-smtp.c
test_smtp_CFLAGS = $(UNIT_CFLAGS)
test_smtp_LDADD = libveasmtp.a libveamime.a libveaconf.a libveautil.a $(DEPS_LIBS)

check_PROGRAMS += test-timer
TESTS += test-timer
test_timer_SOURCES = %reldir%/test-timer.c
test_timer_CFLAGS = $(UNIT_CFLAGS)
test_timer_LDADD = libveatimer.a $(DEPS_LIBS)

check_PROGRAMS += test-draft
TESTS += test-draft
test_draft_SOURCES = %reldir%/test-draft.c
test_draft_CFLAGS = $(UNIT_CFLAGS)
test_draft_LDADD = libveadraft.a libveasieve.a libveamime.a libveaconf.a libveatimer.a libveautil.a $(JSON_LIBS) $(DEPS_LIBS)

check_PROGRAMS += test-calendar
TESTS += test-calendar
test_calendar_SOURCES = %reldir%/test-calendar.c
test_calendar_CPPFLAGS = $(AM_CPPFLAGS) $(ICAL_CFLAGS)
test_calendar_CFLAGS = $(UNIT_CFLAGS)
test_calendar_LDADD = libveacalendar.a libveastore.a libveaaction.a libveaconf.a libveatimer.a libveautil.a $(ICAL_LIBS) $(DEPS_LIBS)
