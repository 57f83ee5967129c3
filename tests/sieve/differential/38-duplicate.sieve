# duplicate: no message is a duplicate in a fresh run.
require ["duplicate", "fileinto"];
if duplicate {
	fileinto "Dup";
}
if duplicate :header "subject" {
	fileinto "DupSubject";
}
