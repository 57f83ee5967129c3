# imap4flags: setflag / addflag / removeflag and the implicit keep.
require ["imap4flags"];
setflag "\\Seen";
if header :contains "subject" "urgent" {
	addflag "\\Flagged";
}
if header :contains "from" "yahoo" {
	removeflag "\\Seen";
	addflag ["$Yahoo", "\\Answered"];
}
