# Subjects and names in several RFC 2047 encoded words (issue 10): most
# mailers pad each base64 word, and GMime 3.2.13 alone reads only the
# first of two (its issue #133). Pigeonhole reads them all; so does vea.
require ["fileinto"];
if header :contains "subject" "world" { fileinto "SubjectWhole"; }
if header :is "subject" "Hello world" { fileinto "SubjectExact"; }
if header :contains "subject" "Hello" { fileinto "SubjectFirst"; }
if address :is :all "from" "marco@example.org" { fileinto "FromAddr"; }
if header :contains "from" "Bellini" { fileinto "FromName"; }
if header :contains "x-note" "é done" { fileinto "NoteWhole"; }
