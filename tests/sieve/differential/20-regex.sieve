# regex match type.
require ["regex", "fileinto"];
if header :regex "subject" "^\\[[a-z-]+\\]" {
	fileinto "ListTag";
}
if address :regex :localpart "from" "^[0-9]+$" {
	fileinto "Numbers";
}
