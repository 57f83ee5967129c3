# rules/: sample rule files (two executives and the screening they share).
# Installed as examples to start one's own from; vea never reads them from
# there (rules_dir in vea.conf says where rule files live).
samplerulesdir = $(docdir)/examples/rules
dist_samplerules_DATA = \
	%reldir%/common.sieve \
	%reldir%/dana.sieve \
	%reldir%/marco.sieve
