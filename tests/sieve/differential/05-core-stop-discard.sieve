# Core: stop and discard cancel / end processing.
require "fileinto";
if header :contains "subject" "adv" {
	discard;
	stop;
}
if header :contains "x-spam-status" "yes" {
	fileinto "Junk";
	stop;
}
fileinto "Rest";
keep;
