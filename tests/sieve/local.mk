# Proof of the Sieve engine (issue 3). make check runs:
#  - the conformance runner over Pigeonhole's .svtest files in
#    ../shared/conformance/pigeonhole, then pigeonhole-next (vacation and
#    enotify: the messages vea composes, through src/outgoing as the agent
#    does) (test_conformance.py, TAP: one line per test block; skips and
#    expected failures in skip-list);
#  - the differential test against Pigeonhole's sieve-test
#    (test_differential.py over differential/*.sieve and corpus messages;
#    intentional differences in differential/EXPECTED-DIFFERENCES.md).
# Both SKIP when ../shared ($VEA_SHARED) is absent. `make fuzz` runs the
# libFuzzer targets (clang, ASan + UBSan) for FUZZ_SECONDS each; never
# part of make check.
check_PROGRAMS += sieve-conformance
sieve_conformance_SOURCES = %reldir%/sieve-conformance.c \
	%reldir%/testsuite.c %reldir%/testsuite.h
sieve_conformance_LDADD = libveasieve.a libveaoutgoing.a libveamime.a libveatimer.a libveautil.a $(DEPS_LIBS)

SIEVE_PROOF_TESTS = %reldir%/test_conformance.py %reldir%/test_differential.py
TESTS += $(SIEVE_PROOF_TESTS)
EXTRA_DIST += $(SIEVE_PROOF_TESTS) %reldir%/skip-list %reldir%/differential \
	%reldir%/fuzz
CLEANFILES += sieve-oracle-cache.json

FUZZ_SECONDS = 60
fuzz:
	VEA_SHARED='$(abs_top_srcdir)/../shared' FUZZ_SECONDS='$(FUZZ_SECONDS)' \
	CC_FUZZ='clang' DEPS_CFLAGS='$(DEPS_CFLAGS)' DEPS_LIBS='$(DEPS_LIBS)' \
	$(SHELL) $(srcdir)/%reldir%/fuzz/run-fuzz.sh '$(abs_top_srcdir)' \
		'$(abs_top_builddir)/fuzz'
.PHONY: fuzz
