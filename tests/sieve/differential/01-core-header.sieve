# Core: header with :contains / :is / :matches, if/elsif/else.
require "fileinto";
if header :contains "subject" ["money", "free", "$$$"] {
	fileinto "Spam";
} elsif header :is "precedence" ["bulk", "list", "junk"] {
	fileinto "Bulk";
} elsif header :matches "subject" "Re: *" {
	fileinto "Replies";
} else {
	keep;
}
