# enotify with mailto.
require ["enotify"];
if header :contains "subject" "urgent" {
	notify :message "Urgent mail" "mailto:pager@example.org";
}
if valid_notify_method "mailto:alice@example.org" {
	notify "mailto:alice@example.org";
}
