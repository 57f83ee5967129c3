# Benchmarks: built and run by `make bench` only, never by make check.
EXTRA_PROGRAMS = bench-ledger
bench_ledger_SOURCES = %reldir%/bench-ledger.c
bench_ledger_LDADD = libvealedger.a libveastore.a libveaconf.a libveautil.a $(DEPS_LIBS)
CLEANFILES += bench-ledger$(EXEEXT)

bench: bench-ledger$(EXEEXT)
	./bench-ledger$(EXEEXT)
.PHONY: bench
