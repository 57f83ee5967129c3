# subaddress: :user / :detail.
require ["subaddress", "envelope", "fileinto"];
if envelope :detail "to" "lists" {
	fileinto "Detail";
}
if envelope :user "to" "me" {
	fileinto "User";
}
if address :detail "to" "" {
	fileinto "EmptyDetail";
}
