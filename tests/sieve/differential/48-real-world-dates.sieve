# Date fields as real mail writes them (issue 10): no zone, two-digit
# years, one-digit hours, AM.
require ["date", "fileinto", "variables"];
if date :originalzone :matches "date" "date" "*" { fileinto "D-${1}"; }
if date :originalzone :matches "date" "zone" "*" { fileinto "Z-${1}"; }
if date :originalzone :matches "date" "time" "*" { fileinto "T-${1}"; }
