# include: a personal script, :once.
require ["include", "fileinto"];
include :personal "_lists";
include :once :personal "_lists";
if header :contains "subject" "zzz" {
	fileinto "Sleepy";
}
