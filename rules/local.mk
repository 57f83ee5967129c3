# rules/: sample rule files (two executives and the screening they share).
# Installed as examples to start one's own from; vea never reads them from
# there (rules_dir in vea.conf says where rule files live).
samplerulesdir = $(docdir)/examples/rules
dist_samplerules_DATA = \
	%reldir%/common.sieve \
	%reldir%/dana.sieve \
	%reldir%/marco.sieve \
	%reldir%/drafts.sieve \
	%reldir%/invitations.sieve
# Reply templates of drafts.sieve (its draft commands), in templates/
# beside it as vea looks for them.
sampletemplatesdir = $(docdir)/examples/rules/templates
dist_sampletemplates_DATA = \
	%reldir%/templates/board-ack \
	%reldir%/templates/intro
