# environment: only items both implementations give the same way.
require ["environment", "fileinto", "relational"];
if environment :is "phase" "post" {
	fileinto "Post";
}
if environment :contains "name" "Pigeonhole" {
	fileinto "Pigeonhole";
}
