# extracttext in foreverypart.
require ["foreverypart", "mime", "extracttext", "variables", "fileinto"];
foreverypart {
	if header :mime :contenttype "content-type" "text/plain" {
		extracttext :first 20 "start";
		if string :contains "${start}" "Hi" {
			fileinto "StartsHi";
		}
	}
}
