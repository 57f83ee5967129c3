# encoded-character in strings.
require ["encoded-character", "fileinto"];
if header :contains "subject" "${hex:52 65}" {
	fileinto "${unicode:52}e";
}
