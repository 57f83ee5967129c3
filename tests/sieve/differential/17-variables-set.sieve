# variables: set with modifiers, expansion in fileinto.
require ["variables", "fileinto"];
set "folder" "Inbox";
if header :matches "subject" "*" {
	set :lower :upperfirst "first" "${1}";
}
if header :contains "list-id" "spamassassin" {
	set "folder" "SA";
}
set :length "len" "${folder}";
if string :is "${len}" "2" {
	fileinto "Short-${folder}";
}
