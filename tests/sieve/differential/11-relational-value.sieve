# relational :value with string comparators.
require ["fileinto", "relational"];
if header :value "gt" "subject" "m" {
	fileinto "SubjectAfterM";
}
if address :value "le" :domain "from" "g" {
	fileinto "EarlyDomain";
}
