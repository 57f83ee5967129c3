# currentdate: stable checks only (the year is after 2020).
require ["date", "relational", "fileinto"];
if currentdate :value "gt" "year" "2020" {
	fileinto "Now";
}
if currentdate :is "year" "1999" {
	fileinto "Never";
}
