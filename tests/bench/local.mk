# Benchmarks: built and run by `make bench` only, never by make check.
EXTRA_PROGRAMS = bench-ledger
bench_ledger_SOURCES = %reldir%/bench-ledger.c
bench_ledger_LDADD = libvealedger.a libveastore.a libveaaction.a libveaconf.a libveautil.a $(DEPS_LIBS)
CLEANFILES += bench-ledger$(EXEEXT)

bench: bench-ledger$(EXEEXT)
	./bench-ledger$(EXEEXT)
.PHONY: bench

# bench-sieve (issue 3): Sieve evaluation rate, and read + parse + evaluate
# against Pigeonhole's sieve-filter; bench_sieve.py prints the comparison.
EXTRA_PROGRAMS += bench-sieve
bench_sieve_SOURCES = %reldir%/bench-sieve.c
bench_sieve_LDADD = libveasieve.a libveamime.a libveatimer.a libveautil.a $(DEPS_LIBS)
CLEANFILES += bench-sieve$(EXEEXT)
EXTRA_DIST += %reldir%/bench_sieve.py %reldir%/bench-sieve.sieve
EXTRA_DIST += %reldir%/bench_agent.py

bench-sieve-run: bench-sieve$(EXEEXT)
	VEA_SHARED='$(abs_top_srcdir)/../shared' $(PYTHON3) \
		$(srcdir)/%reldir%/bench_sieve.py ./bench-sieve$(EXEEXT)
bench: bench-sieve-run
.PHONY: bench-sieve-run

# bench_drafts.py (issue 13): 1,000 reply drafts written by vea run --once,
# against a bare APPEND of the same messages by one IMAP connection.
EXTRA_DIST += %reldir%/bench_drafts.py
bench-drafts-run: vea$(EXEEXT)
	$(PYTHON3) $(srcdir)/%reldir%/bench_drafts.py --vea ./vea$(EXEEXT)
.PHONY: bench-drafts-run

# bench_outbox.py (issue 12): 1,000 vacation replies sent by the outbox
# over one connection, against msmtp (one process each), same run.
EXTRA_DIST += %reldir%/bench_outbox.py
bench-outbox-run: vea$(EXEEXT)
	$(PYTHON3) $(srcdir)/%reldir%/bench_outbox.py --vea ./vea$(EXEEXT)
.PHONY: bench-outbox-run
# bench-calendar (issue 14): availability from vea's own index against
# asking Radicale for each invitation; bench_calendar.py starts Radicale,
# fills it with 5,000 events and prints the ratios.
EXTRA_PROGRAMS += bench-calendar
bench_calendar_SOURCES = %reldir%/bench-calendar.c
bench_calendar_CPPFLAGS = $(AM_CPPFLAGS) $(ICAL_CFLAGS)
bench_calendar_LDADD = libveacalendar.a libveastore.a libveaaction.a libveaconf.a libveatimer.a libveautil.a $(ICAL_LIBS) $(DEPS_LIBS)
CLEANFILES += bench-calendar$(EXEEXT)
EXTRA_DIST += %reldir%/bench_calendar.py

bench-calendar-run: bench-calendar$(EXEEXT)
	PYTHONPATH='$(abs_top_srcdir)/tests/harness' $(PYTHON3) \
		$(srcdir)/%reldir%/bench_calendar.py ./bench-calendar$(EXEEXT)
bench: bench-calendar-run
.PHONY: bench-calendar-run
# bench-timers (issue 15): 100,000 pending timers; finding the due ones
# through the partial index against a scan of the whole table, same run.
EXTRA_PROGRAMS += bench-timers
bench_timers_SOURCES = %reldir%/bench-timers.c
bench_timers_LDADD = libveastore.a libveaaction.a libveaconf.a libveautil.a $(DEPS_LIBS)
CLEANFILES += bench-timers$(EXEEXT)
bench-timers-run: bench-timers$(EXEEXT)
	./bench-timers$(EXEEXT)
bench: bench-timers-run
.PHONY: bench-timers-run
# bench_timers_idle.py: vea run with 100,000 pending timers, CPU and memory
# idle and while one fires every second.
EXTRA_DIST += %reldir%/bench_timers_idle.py
