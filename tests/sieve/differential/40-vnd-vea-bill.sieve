# vnd.vea: bill lines (stripped for the oracle) around ordinary actions.
require ["vnd.vea", "fileinto"];
if header :contains "subject" "re:" {
	bill :minutes 6 "Reply triage";
	fileinto "Billed";
}
bill :minutes 1 "Screening";
