# foreverypart and break.
require ["foreverypart", "mime", "fileinto"];
foreverypart {
	if header :mime :contenttype "content-type" "text/html" {
		fileinto "HtmlPart";
		break;
	}
}
