# body :raw.
require ["body", "fileinto"];
if body :raw :contains "Content-Transfer-Encoding: base64" {
	fileinto "Base64";
}
if body :raw :contains "<html" {
	fileinto "Html";
}
