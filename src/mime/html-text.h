#ifndef VEA_MIME_HTML_TEXT_H
#define VEA_MIME_HTML_TEXT_H

/* The text of an HTML document: one converter for the whole project
 * (the Sieve body test and extracttext, the digest's first lines, and
 * later the quoted text of drafts).
 *
 * Always: tags are word breaks; the contents of <script> and <style>,
 * comments (<!-- ... -->, also when not closed: to the end) and the
 * quoted attribute values inside tags are left out; CDATA is kept;
 * entities are decoded: the HTML 4 names (&amp;), &#N; and &#xH; (a
 * number that is no Unicode character, such as &#99999999; or a
 * surrogate, gives nothing); an "&" that starts no entity is dropped,
 * as Dovecot's html2text does. Linear in the length of the input,
 * whatever it holds (unterminated tags, comments or entities). */

#include <stddef.h>

typedef enum {
	/* As Dovecot's html2text, which Pigeonhole uses for body :text
	 * and extracttext (RFC 5173 section 5.3, RFC 5703 section 7),
	 * so that vea and Pigeonhole find the same words: white space
	 * as it is, a tag one space, <blockquote> lines start with ">". */
	HTML_TEXT_SIEVE = 0,
	/* Text for people to read (the digest): also <head> left out
	 * (the <title> is not what the sender wrote), block elements
	 * (p, br, div, li, tr, h1-h6...) end lines, runs of white space
	 * are one space, lines are trimmed and at most one empty line
	 * separates two. */
	HTML_TEXT_READABLE = 1 << 0,
} html_text_flags;

/* html is NUL-terminated, in UTF-8 (what is not UTF-8 is copied as it
 * is). Returns a new string to g_free. */
char *html_text_from_html(const char *html, html_text_flags flags);

#endif
