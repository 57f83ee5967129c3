# i;ascii-numeric with relational :value.
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :value "ge" :comparator "i;ascii-numeric" "x-spam-level" "5" {
	fileinto "Numeric5";
}
if header :value "lt" :comparator "i;ascii-numeric" "x-priority" "3" {
	fileinto "Urgent";
}
if header :comparator "i;ascii-numeric" :is "x-priority" "3" {
	fileinto "Normal";
}
