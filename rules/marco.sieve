# marco.sieve - Marco Bellini, owner of Bellini Ristoranti (Europe/Rome).
#
# Runs with common.sieve (see the "rules" setting in vea.conf), which
# screens mail sent by robots: lists, receipts, calendars, travel. This
# file handles the people who write to Marco. vea carries out what both
# files decide, so the senders matched here are people, never the
# robots common.sieve files away. Every rule that decides where a message
# goes ends with "stop", so a later rule of this file cannot file it a
# second time.

require ["fileinto", "imap4flags", "vnd.vea"];

# Main supplier: Ferrante Forniture delivers the dairy for every
# restaurant, and a missed reply means no mozzarella on Friday. Anyone
# there writing about orders is flagged in the inbox and billed two
# minutes (check the order against the week's covers, confirm with
# Marco). Their invoicing office is not urgent: it falls through to the
# receipts rule of common.sieve.
#
# The bill names its account explicitly only to show the syntax: Marco
# has one billing account, which "bill" without :account would use too.
if allof (address :domain :is "from" "ferrante-forniture.test",
          not address :localpart :is "from"
              ["billing", "fatture", "amministrazione"]) {
    addflag "\\Flagged";
    bill :account "marco-hourly" :minutes 2 "Supplier order: check and confirm with Marco";
    keep;
    stop;
}

# Family: personal, Marco reads it himself; not billed.
if address :is "from" ["nicolo.bellini@example.net",
                       "anna.bellini@example.net"] {
    fileinto "Personal";
    stop;
}

# Restaurant managers report to one folder per restaurant, so Marco can
# read a restaurant's week in one place. Matched on each manager's own
# address: staff at the same domain write about many things.
if address :is "from" "sara.conti@bellini-ristoranti.test" {
    fileinto "Ristoranti/Trastevere";
    stop;
}
if address :is "from" "luca.ferri@bellini-ristoranti.test" {
    fileinto "Ristoranti/Prati";
    stop;
}

# Meeting requests, in Italian or English, from people (not lists) stay
# in the inbox with the $Scheduling keyword for the assistant to answer.
if allof (not exists "List-Id",
          header :contains "subject"
              ["richiesta incontro", "richiesta di incontro",
               "meeting request", "appuntamento"]) {
    addflag "$Scheduling";
    keep;
    stop;
}

# Cold sales outreach Marco has asked never to see. discard moves it to
# Trash (vea never deletes), and the log names this line.
if address :domain :is "from" ["reviewrocket.example.net",
                               "leadsurge.example.net"] {
    discard;
    stop;
}
