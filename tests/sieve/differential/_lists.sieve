# Fixture included by 34-include.sieve (not a differential script itself).
require ["fileinto"];
if exists "list-id" {
	fileinto "IncludedLists";
}
