# regex with match variables.
require ["regex", "variables", "fileinto", "mailbox"];
if header :regex "subject" "^\\[([A-Za-z]+)" {
	set :lower "tag" "${1}";
	fileinto :create "Tag/${tag}";
}
