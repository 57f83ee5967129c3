# size counts octets as the server does, CRLF line ends (RFC 5228
# section 5.9, RFC 3501 RFC822.SIZE), also for a file with LF ends:
# the crafted 53-size-221.eml has 214 octets on disk, 221 as mail.
# sieve-test counts the file's octets (EXPECTED-DIFFERENCES.md).
require ["fileinto"];
if size :under 221 { fileinto "Under221"; }
if size :over 220 { fileinto "Over220"; }
