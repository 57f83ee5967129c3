# envelope (from / to) with address parts.
require ["envelope", "fileinto"];
if envelope :domain :is "from" "example.com" {
	fileinto "FromExample";
}
if envelope :localpart :is "to" "me+lists" {
	fileinto "ToMeLists";
}
