# invitations.sieve - meeting invitations, for every executive.
#
# vea reads the invitation (the text/calendar part) and checks it against
# the executive's calendars ([calendar:ID] in vea.conf) and working hours.
# Accepted when free and within working hours, from the organizer
# themselves; anything else gets a proposed answer that waits for the
# assistant (vea schedule list, approve, decline). vea never accepts when
# a calendar could not be read or the time conflicts: a :send then waits
# for approval too. Run it before the client's own rules (which may stop).

require ["vnd.vea", "variables"];

if invite :method "request" :free :withinhours :trusted {
    schedule :accept :send :comment "Thank you, see you then.";
} elsif invite :method "request" {
    schedule :decline :comment "Not available then: ${invite.conflict}";
}
