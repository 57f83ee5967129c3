# imap4flags with a variable and variables expansion in flags.
require ["imap4flags", "variables", "fileinto"];
set "tag" "$Label1";
if header :contains "subject" "re:" {
	addflag "flagvar" "${tag}";
	fileinto :flags "${flagvar}" "Tagged";
}
