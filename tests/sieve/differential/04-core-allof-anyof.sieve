# Core: allof / anyof / not / true / false nesting.
require "fileinto";
if allof (exists "from", not header :contains "subject" "re:",
          anyof (header :contains "from" "yahoo", header :contains "from" "hotmail",
                 size :over 5000)) {
	fileinto "Mixed";
}
if anyof (false, allof (true, header :matches "x-mailer" "*Outlook*")) {
	fileinto "Outlook";
}
