# body :text.
require ["body", "fileinto"];
if body :text :contains ["unsubscribe", "remove"] {
	fileinto "Unsub";
}
if body :contains "click here" {
	fileinto "ClickHere";
}
