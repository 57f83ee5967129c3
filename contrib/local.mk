# contrib/: the scripts a newcomer runs first, and the sample data the demo
# loads (shipped in the tarball, not installed); and what an operator
# installs vea as a service with: the systemd units, a sample system
# configuration, the bash completion.
EXTRA_DIST += \
	%reldir%/setup \
	%reldir%/demo \
	%reldir%/demo-services \
	%reldir%/test \
	%reldir%/sample \
	%reldir%/systemd/system/vea.service.in \
	%reldir%/systemd/user/vea.service.in \
	%reldir%/vea.conf.sample.in

# The units and the sample name installed paths, which are only known at
# make time (bindir is ${exec_prefix}/bin until then), hence sed here
# rather than AC_CONFIG_FILES. @x[@] keeps configure from substituting.
contrib_edit = sed \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@localstatedir[@]|$(localstatedir)|g' \
	-e 's|@docdir[@]|$(docdir)|g'
CONTRIB_GENERATED = \
	%reldir%/systemd/system/vea.service \
	%reldir%/systemd/user/vea.service \
	%reldir%/vea.conf.sample
$(CONTRIB_GENERATED): Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(contrib_edit) $(srcdir)/$@.in > $@.tmp && mv $@.tmp $@
%reldir%/systemd/system/vea.service: %reldir%/systemd/system/vea.service.in
%reldir%/systemd/user/vea.service: %reldir%/systemd/user/vea.service.in
%reldir%/vea.conf.sample: %reldir%/vea.conf.sample.in
# Built even without systemd: then they are there to copy by hand.
noinst_DATA = $(CONTRIB_GENERATED)
CLEANFILES += $(CONTRIB_GENERATED)

if HAVE_SYSTEMD_SYSTEM
systemdsystemunit_DATA = %reldir%/systemd/system/vea.service
endif
if HAVE_SYSTEMD_USER
systemduserunit_DATA = %reldir%/systemd/user/vea.service
endif

# SYSCONFDIR/vea/vea.conf.sample, never vea.conf itself: make install must
# not overwrite an operator's configuration, nor uninstall remove it.
veaconfdir = $(sysconfdir)/vea
veaconf_DATA = %reldir%/vea.conf.sample

bashcompletion_DATA = %reldir%/bash-completion/vea
EXTRA_DIST += %reldir%/bash-completion/vea

# distcheck installs under a scratch prefix as a user: the unit folders
# systemd's pkg-config names (/lib/systemd/...) must follow it there.
AM_DISTCHECK_CONFIGURE_FLAGS = \
	--with-systemdsystemunitdir='$$(prefix)/lib/systemd/system' \
	--with-systemduserunitdir='$$(prefix)/lib/systemd/user' \
	--with-bashcompletiondir='$$(datadir)/bash-completion/completions'

# The system service's state folder, where its database goes by default
# (LOCALSTATEDIR/lib/vea). The unit's StateDirectory=vea hands it to the
# vea user at start when localstatedir is /var; otherwise chown it.
install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(localstatedir)/lib/vea'
