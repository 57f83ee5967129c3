# make check: unit tests (GLib test binaries, one per module, TAP output)
# and integration tests (Python, against a private Dovecot the harness
# starts on loopback). Every test speaks TAP, so the summary counts test
# cases, not files.
TEST_EXTENSIONS = .py
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
PY_LOG_DRIVER = $(LOG_DRIVER)
PY_LOG_COMPILER = $(PYTHON3)
AM_PY_LOG_FLAGS =
AM_TESTS_ENVIRONMENT = \
	VEA='$(abs_top_builddir)/vea'; export VEA; \
	VEA_SRCDIR='$(abs_top_srcdir)'; export VEA_SRCDIR; \
	VEA_SHARED='$(abs_top_srcdir)/../shared'; export VEA_SHARED; \
	PYTHONPATH='$(abs_top_srcdir)/tests/harness'; export PYTHONPATH; \
	PYTHONDONTWRITEBYTECODE=1; export PYTHONDONTWRITEBYTECODE; \
	VEA_BUILDDIR='$(abs_top_builddir)'; export VEA_BUILDDIR; \
	VEA_MAKE='$(MAKE)'; export VEA_MAKE; \
	VEA_INSTALL_DIRS='bindir=$(bindir) mandir=$(mandir) sysconfdir=$(sysconfdir) \
		localstatedir=$(localstatedir) docdir=$(docdir) bashcompletiondir=$(bashcompletiondir) \
		systemdsystemunitdir=$(systemdsystemunitdir) systemduserunitdir=$(systemduserunitdir)'; \
	export VEA_INSTALL_DIRS;

include $(srcdir)/tests/unit/local.mk
include $(srcdir)/tests/integration/local.mk
include $(srcdir)/tests/sieve/local.mk
EXTRA_DIST += tests/harness
