# variables: match variables from :matches into the folder name.
require ["variables", "fileinto", "mailbox"];
if address :matches :domain "from" "*.*" {
	set :lower "dom" "${1}";
	fileinto :create "From/${dom}";
}
