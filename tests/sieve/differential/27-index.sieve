# index: :index / :last on Received.
require ["index", "fileinto"];
if header :index 1 :contains "received" "localhost" {
	fileinto "FirstLocal";
}
if header :index 1 :last :contains "received" "localhost" {
	fileinto "LastLocal";
}
