# Core: redirect (the copy keeps the implicit keep only with :copy).
if header :contains "subject" "linux" {
	redirect "linux-fan@example.net";
}
if address :domain :contains "from" "yahoo" {
	redirect "yahoo-watch@example.net";
	keep;
}
