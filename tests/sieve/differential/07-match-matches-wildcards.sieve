# :matches with ? and escaped wildcards.
require "fileinto";
if header :matches "subject" "?*[*]*" {
	fileinto "Bracketed";
}
if header :matches "subject" "*\\?" {
	fileinto "Question";
}
if header :matches "message-id" "<*@*>" {
	fileinto "HasMsgId";
}
