#ifndef VEA_MIME_RFC2047_H
#define VEA_MIME_RFC2047_H

/* Decoding header text with RFC 2047 encoded words, for the parser and the
 * tests that read back what the composer wrote.
 *
 * GMime 3.2.13 (Debian 12) joins the payloads of adjacent base64 words of
 * one charset before decoding them, so a padded first word ends the text:
 * "=?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IHdvcmxk?=" reads as "Hello" (GMime
 * issue #133, fixed in 3.2.14). Most mailers, GMime's own encoder among
 * them, pad every word, so a subject of two words loses its second.
 * These functions decode each encoded word on its own and drop the white
 * space between adjacent ones (RFC 2047 section 6.2), then leave the rest
 * to GMime. Newly allocated UTF-8. */

char *mime_rfc2047_decode_text(const char *raw);
char *mime_rfc2047_decode_phrase(const char *raw);

#endif
