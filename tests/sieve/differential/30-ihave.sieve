# ihave: conditional use of extensions.
require ["ihave", "fileinto"];
if ihave "imap4flags" {
	fileinto "HasFlags";
}
if ihave "x-no-such-extension" {
	fileinto "Never";
}
