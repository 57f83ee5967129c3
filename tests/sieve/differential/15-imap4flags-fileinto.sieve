# imap4flags: :flags on fileinto and keep, hasflag.
require ["imap4flags", "fileinto"];
addflag "Work";
if hasflag :contains "work" {
	fileinto :flags ["\\Seen", "Archived"] "Archive";
}
if header :contains "subject" "re:" {
	keep :flags "\\Answered";
}
