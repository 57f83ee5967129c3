# variables: the string test and quoting modifiers.
require ["variables", "fileinto"];
set :quotewildcard "q" "a*b?c";
if string :is "${q}" "a\\*b\\?c" {
	fileinto "Quoted";
}
if header :matches "from" "*<*>" {
	if string :contains "${2}" "." {
		fileinto "AngleDot";
	}
}
