# Core: exists and size with K suffix.
require "fileinto";
if exists ["list-id", "list-unsubscribe"] {
	fileinto "Lists";
}
if size :over 10K {
	fileinto "Big";
} elsif size :under 2K {
	fileinto "Small";
}
if not exists "message-id" {
	discard;
}
