# A header that starts with a folded line is read from the fields that
# follow (issue 10); Pigeonhole does the same.
require ["fileinto"];
if exists "from" { fileinto "HasFrom"; }
if header :contains "subject" "fold" { fileinto "Fold"; }
if address :localpart :is "from" "b..sanders" { fileinto "Sanders"; }
if size :over 100 { fileinto "Over100"; }
