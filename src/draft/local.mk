# src/draft: reply drafts composed from a Sieve draft action and its
# template (uses sieve, mime, conf, util); ai.c asks a configured
# chat-completions endpoint for the body (libcurl, json-glib).
noinst_LIBRARIES += libveadraft.a
libveadraft_a_SOURCES = %reldir%/draft.c %reldir%/draft.h %reldir%/ai.c %reldir%/ai.h
libveadraft_a_CPPFLAGS = $(AM_CPPFLAGS) $(JSON_CFLAGS)
