# date: parts of the Date header (with its own zone).
require ["date", "fileinto", "relational"];
if date :originalzone :value "ge" "date" "year" "2002" {
	fileinto "Y2002";
}
if date :originalzone :is "date" "weekday" ["0", "6"] {
	fileinto "Weekend";
}
if date :zone "+0000" :value "lt" "date" "hour" "06" {
	fileinto "NightUTC";
}
