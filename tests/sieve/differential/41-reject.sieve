# reject: vea refuses it at compile time on purpose.
require ["reject"];
if header :contains "subject" "viagra" {
	reject "No thanks.";
}
