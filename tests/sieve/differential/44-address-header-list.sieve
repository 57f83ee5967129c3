# address over several headers, keys as lists, :comparator "i;octet".
require "fileinto";
if address :comparator "i;octet" :domain ["from", "sender", "reply-to"] ["yahoo.com", "Yahoo.com"] {
	fileinto "Yahoo";
}
if address :is ["to", "cc", "bcc"] ["zzzz@spamassassin.taint.org", "yyyy@spamassassin.taint.org"] {
	fileinto "Taint";
}
