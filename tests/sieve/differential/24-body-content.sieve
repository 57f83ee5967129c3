# body :content by type.
require ["body", "fileinto"];
if body :content "text/html" :contains "<a href" {
	fileinto "Links";
}
if body :content "text" :contains "money" {
	fileinto "Money";
}
