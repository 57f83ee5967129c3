# fileinto :copy keeps the implicit keep.
require ["fileinto", "copy"];
if header :contains "from" "@" {
	fileinto :copy "Archive";
}
if header :contains "subject" "[" {
	fileinto "Tagged";
}
