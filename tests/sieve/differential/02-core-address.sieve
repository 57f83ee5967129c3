# Core: address parts on From/To/Cc.
require "fileinto";
if address :domain :is "from" ["spamassassin.taint.org", "example.com"] {
	fileinto "Taint";
}
if address :localpart :contains ["to", "cc"] "list" {
	fileinto "ToList";
}
if address :all :matches "from" "*@*.com" {
	fileinto "DotCom";
}
