# bench-sieve: a 40-rule script of the kind an assistant writes (headers,
# addresses, sizes, flags; no body tests). bench_sieve.py strips the
# vnd.vea lines for sieve-filter.
require ["fileinto", "imap4flags", "envelope", "relational",
         "comparator-i;ascii-numeric", "copy", "mailbox", "vnd.vea"];
if header :contains "list-id" "spamassassin" { fileinto "Lists/SA"; }
if header :contains "list-id" "ilug" { fileinto "Lists/ILUG"; }
if header :contains "list-id" "exmh" { fileinto "Lists/Exmh"; }
if header :contains "list-id" "razor" { fileinto "Lists/Razor"; }
if header :is "precedence" ["bulk", "list", "junk"] { addflag "$Bulk"; }
if header :matches "subject" "*[SAtalk]*" { fileinto "Lists/SAtalk"; }
if header :matches "subject" "Re: *" { addflag "$Reply"; }
if header :contains "subject" ["free", "money", "$$$", "viagra"] { fileinto "Junk"; }
if address :domain :is "from" "yahoo.com" { addflag "$Yahoo"; }
if address :domain :is "from" "hotmail.com" { addflag "$Hotmail"; }
if address :localpart :is "from" "root" { fileinto "System"; }
if address :all :is "from" "boss@example.com" { addflag "\\Flagged"; }
if address :domain :contains "to" "taint.org" { addflag "$Taint"; }
if exists "x-spam-flag" { fileinto "Junk"; }
if header :contains "x-spam-status" "yes" { fileinto "Junk"; }
if size :over 100K { fileinto "Large"; }
if size :under 1K { addflag "$Tiny"; }
if header :count "ge" :comparator "i;ascii-numeric" "received" "8" { addflag "$ManyHops"; }
if header :value "gt" :comparator "i;ascii-numeric" "x-priority" "3" { addflag "$LowPriority"; }
if header :contains "x-mailer" "Outlook" { addflag "$Outlook"; }
if header :contains "x-mailer" "Mutt" { addflag "$Mutt"; }
if header :contains "user-agent" "Gnus" { addflag "$Gnus"; }
if anyof (header :contains "from" "newsletter", header :contains "from" "news@") { fileinto "News"; }
if allof (exists "in-reply-to", header :contains "subject" "re:") { addflag "$Thread"; }
if header :matches "message-id" "*@*example.com>" { addflag "$Example"; }
if header :contains "content-type" "multipart/alternative" { addflag "$Alt"; }
if header :contains "content-type" "text/html" { addflag "$Html"; }
if header :is "x-loop" "vea" { discard; stop; }
if address :domain :is ["to", "cc"] "lists.sourceforge.net" { fileinto "Lists/SF"; }
if address :domain :is ["to", "cc"] "linux.ie" { fileinto "Lists/ILUG"; }
if header :contains "subject" "[zzzzteana]" { fileinto "Lists/Zzzzteana"; }
if header :contains "subject" "[Spambayes]" { fileinto "Lists/Spambayes"; }
if header :contains "subject" "urgent" { addflag "\\Flagged"; }
if header :contains "from" "jobs" { fileinto :copy "Jobs"; }
if header :contains "subject" "invoice" { bill :minutes 5 "Invoice triage"; }
if header :contains "sender" "owner-" { addflag "$Owner"; }
if header :matches "date" "*2002*" { addflag "$Y2002"; }
if not exists "date" { addflag "$NoDate"; }
if envelope :domain :is "from" "example.com" { addflag "$EnvExample"; }
if header :contains "subject" "meeting" { fileinto :create "Calendar"; }
