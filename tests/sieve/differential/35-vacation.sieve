# vacation with :days and :subject.
require ["vacation"];
if not header :contains "precedence" ["bulk", "list"] {
	vacation :days 3 :subject "Away" "I am away until Monday.";
}
