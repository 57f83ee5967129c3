# relational :count on headers and addresses.
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :count "ge" :comparator "i;ascii-numeric" "received" "5" {
	fileinto "ManyHops";
}
if address :count "gt" :comparator "i;ascii-numeric" ["to", "cc"] "1" {
	fileinto "ManyRecipients";
}
if header :count "eq" :comparator "i;ascii-numeric" "x-nothing" "0" {
	fileinto "NoNothing";
}
