# An account's IMAP session as the config describes it: TLS, password_cmd
# or XOAUTH2. Shared by the agent, undo and the digest.
noinst_LIBRARIES += libveaaccount.a
libveaaccount_a_SOURCES = %reldir%/connect.c %reldir%/connect.h
