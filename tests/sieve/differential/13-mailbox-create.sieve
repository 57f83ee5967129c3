# mailbox: fileinto :create.
require ["fileinto", "mailbox"];
if header :matches "list-id" "*<*>*" {
	fileinto :create "Lists/Other";
} else {
	fileinto :create "Personal";
}
