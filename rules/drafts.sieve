# drafts.sieve - reply drafts for Dana Whitfield (see dana.sieve).
#
# vea writes each draft into Dana's Drafts mailbox, threaded under the
# message it answers; it never sends one. Dana (or her assistant) reads
# it, edits it and sends it from her own mail client. The templates are
# in templates/ beside this file; vea reads them when it loads the
# rules, so `vea rules check drafts.sieve` catches a missing template or
# a misspelt ${...} before any mail arrives. Run this file before
# dana.sieve (rules = drafts.sieve;dana.sieve;common.sieve): drafts do
# not file anything, and dana.sieve's rules end with "stop".

require ["vnd.vea", "variables"];

# The board chair's mail gets an acknowledgement the same morning, with
# the day Dana has set aside for board work.
if address :is "from" "eleanor.park@northwind-capital.example.com" {
    set "reply_by" "Thursday";
    draft "board-ack";
    stop;
}

# Introductions: everyone on the thread stays on it, and the assistant
# is copied to find a time.
if header :contains "subject" ["intro", "introduction", "meet "] {
    draft :reply "all" :cc "Vi Assistant <vi@va-desk.example.com>" "intro";
    stop;
}
