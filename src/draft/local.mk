# src/draft: reply drafts composed from a Sieve draft action and its
# template (uses sieve, mime, conf, util).
noinst_LIBRARIES += libveadraft.a
libveadraft_a_SOURCES = %reldir%/draft.c %reldir%/draft.h
