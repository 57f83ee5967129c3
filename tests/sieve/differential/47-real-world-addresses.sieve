# Addresses as real corporate mail writes them (issue 10): local parts
# with dots first, last or doubled (b..sanders@enron.com), in plain lists,
# display names, comments and groups. Pigeonhole reads them; so does vea.
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if address :domain :is "from" "enron.com" { fileinto "FromEnron"; }
if address :localpart :is "to" "b..sanders" { fileinto "Sanders"; }
if address :all :is "to" "\"b..sanders\"@enron.com" { fileinto "SandersQuoted"; }
if address :localpart :is "to" ".schuler" { fileinto "Schuler"; }
if address :count "eq" :comparator "i;ascii-numeric" ["to", "cc"] "6" {
	fileinto "SixAddresses";
}
if address :domain :is "cc" "enron.com" { fileinto "CcEnron"; }
if address :localpart :is "cc" "c..d" { fileinto "GroupMember"; }
