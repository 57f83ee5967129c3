noinst_LIBRARIES += libveasmtp.a
libveasmtp_a_SOURCES = %reldir%/smtp.c %reldir%/smtp.h
