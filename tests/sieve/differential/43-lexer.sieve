/* Lexer: bracket comments, text: with dot-stuffing, number suffixes. */
require ["fileinto"]; # a hash comment
if size :over 1M {
	fileinto text:
Huge
.
;
}
if header :is "subject" text:
..dotted
.
{
	fileinto "Dotted";
}
