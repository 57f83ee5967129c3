# A date written with AM/PM ("05 Jul 01 4:00:55 PM"): vea reads 16:00:55;
# Pigeonhole takes "PM" for an unknown zone (EXPECTED-DIFFERENCES.md).
require ["date", "fileinto", "variables"];
if date :originalzone :matches "date" "hour" "*" { fileinto "H-${1}"; }
