# The text of HTML-only mail (RFC 5173 section 5.3): styles, scripts and
# comments left out, entities decoded (issue 10).
require ["body", "fileinto", "foreverypart", "extracttext", "variables", "mime"];
if body :text :contains "color" { fileinto "Style"; }
if body :text :contains "hidden" { fileinto "Script"; }
if body :text :contains "comment" { fileinto "Comment"; }
if body :text :contains "Fish & chips & more <today>" { fileinto "Entities"; }
if body :text :contains "€" { fileinto "Euro"; }
if body :text :contains "Newsletter" { fileinto "Title"; }
foreverypart {
	if header :mime :type "content-type" "text" {
		extracttext :first 20 "start";
		if string :is "${start}" "" { fileinto "NoText"; }
	}
}
