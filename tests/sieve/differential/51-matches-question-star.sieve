# :matches with "?" then a literal then "*" (RFC 5228 section 2.7.1):
# "?Z*" matches a value whose second character is Z. Pigeonhole 0.5.19
# does not compare the literal (EXPECTED-DIFFERENCES.md).
require ["fileinto"];
if header :matches "subject" "?Z*" { fileinto "SecondZ"; }
if header :matches "subject" "?M*" { fileinto "SecondM"; }
