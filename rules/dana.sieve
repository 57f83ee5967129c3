# dana.sieve - Dana Whitfield, CEO of Whitfield Studio (America/New_York).
#
# Runs with common.sieve (see the "rules" setting in vea.conf), which
# screens mail sent by robots: lists, receipts, calendars, travel. This
# file handles the people who write to Dana. vea carries out what both
# files decide, so the senders matched here are people, never the
# robots common.sieve files away. Every rule that decides where a message
# goes ends with "stop", so a later rule of this file cannot file it a
# second time.

require ["fileinto", "imap4flags", "vnd.vea"];

# VIPs: her board member and her lead investor. They stay in the inbox
# and are flagged so Dana sees them first on her phone; the assistant
# reads each one and writes Dana a two-line brief, which takes about two
# minutes. Exact addresses, not domains: other people at these firms are
# not VIPs.
if address :all :is "from" ["eleanor.park@northwind-capital.example.com",
                            "raj@lumen-ventures.example.com"] {
    addflag "\\Flagged";
    bill :minutes 2 "VIP mail: read and brief Dana";
    keep;
    stop;
}

# Family: Dana reads these herself and does not want them in the work
# queue the assistant goes through, nor billed.
if address :is "from" ["sam.whitfield@example.net",
                       "june.whitfield@example.net"] {
    fileinto "Personal";
    stop;
}

# Clients: everything from a client's domain goes to that client's
# folder, where the account team follows the thread. By domain, because
# new people at a client write in all the time.
if address :domain :is "from" "harborline.example.com" {
    fileinto "Clients/Harborline";
    stop;
}
if address :domain :is "from" "kestrel-outdoor.example.org" {
    fileinto "Clients/Kestrel";
    stop;
}

# Meeting requests from people (not lists) stay in the inbox with the
# $Scheduling keyword, so the assistant can find every open request in
# one search. The subject test spells out the comparator that Sieve uses
# by default (RFC 5228 section 2.7.3): case does not matter.
if allof (not exists "List-Id",
          header :comparator "i;ascii-casemap" :matches "subject"
              ["Meeting request*", "*find a time*", "*your availability*"]) {
    addflag "$Scheduling";
    keep;
    stop;
}

# Cold sales outreach from senders Dana has asked never to see again.
# vea never deletes: discard moves the message to Trash, where it can be
# fished out if this rule was wrong, and the log says which line did it.
if address :domain :is "from" ["leadsurge.example.net",
                               "growthhackers.example.net"] {
    discard;
    stop;
}
