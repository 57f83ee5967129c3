#ifndef VEA_DRAFT_AI_H
#define VEA_DRAFT_AI_H

/* Optional AI drafting (OUTGOING.md 6): the body of a reply draft asked
 * of an OpenAI-compatible chat-completions endpoint ([ai] in vea.conf, as
 * llama.cpp's llama-server and ollama serve it on the assistant's
 * machine). One POST of
 *
 *   {"model": M, "stream": false, "temperature": 0.3, "max_tokens": N,
 *    "messages": [{"role": "system", "content": INSTRUCTIONS},
 *                 {"role": "user", "content": THE MESSAGE, fenced}]}
 *
 * where INSTRUCTIONS are vea's fixed framing, the rule's template (what
 * the reply should say) and the client's style notes, and THE MESSAGE is
 * its From, Date, Subject and text (text/plain, or the HTML's text), at
 * most max_input bytes, between fence lines and declared to be data.
 * The answer's choices[0].message.content is untrusted text: it becomes
 * only the draft's body (draft_options.body), never a header, an address
 * or a subject, and it is cleaned first (draft_ai_clean_answer).
 *
 * This module does I/O (the HTTP call, api_key_cmd); draft.c does none.
 * Nothing here logs: failures come back as a reason for the caller to
 * log, which never holds the message text or the key. */

#include <glib.h>
#include "conf/conf.h"

/* The cleaned answer is cut at this many bytes (a reply, not a report). */
#define DRAFT_AI_ANSWER_MAX (8 * 1024)
/* An HTTP answer larger than this is not read further (a broken server). */
#define DRAFT_AI_RESPONSE_MAX (1024 * 1024)
/* max_tokens asked for: bounds the time a model spends. */
#define DRAFT_AI_MAX_TOKENS 600

/* The lines that fence the message in the user turn. */
#define DRAFT_AI_FENCE_BEGIN "<<<MESSAGE"
#define DRAFT_AI_FENCE_END "MESSAGE>>>"

typedef struct draft_ai_input {
	const char *executive;	  /* the executive's name, for the framing; NULL: none */
	const char *instructions; /* the template's text, expanded (draft_instructions) */
	const char *style_notes;  /* NULL: none */
	const char *message;	  /* the message as text (draft_ai_message_text) */
} draft_ai_input;

/* Ask ai for the body. Returns the cleaned answer (new, non-empty), or
 * NULL with *reason_r (new) saying why in one line fit for the log: the
 * endpoint is down, did not answer within ai->timeout, answered an HTTP
 * error, an answer that is not chat-completions JSON, an empty answer,
 * api_key_cmd failed. *truncated_r (may be NULL) is TRUE when the model
 * stopped at its length limit (finish_reason "length"): the text may end
 * in the middle of a sentence. */
char *draft_ai_write(const conf_ai *ai, const draft_ai_input *input, gboolean *truncated_r,
		     char **reason_r);

/* The pieces, for tests. */

/* The message as the model reads it: From, Date, Subject lines, a blank
 * line, the text; valid UTF-8, cut at max bytes on a character boundary
 * (with a note that it was cut inside that limit). New. */
char *draft_ai_message_text(const char *from, const char *date, const char *subject,
			    const char *text, gsize max);
/* The request's JSON. New. */
char *draft_ai_request_json(const conf_ai *ai, const draft_ai_input *input);
/* choices[0].message.content of a chat-completions answer, cleaned; NULL
 * with *reason_r when it is not one, or says nothing. New. */
char *draft_ai_parse_answer(const char *json, gsize len, gboolean *truncated_r,
			    char **reason_r);
/* Untrusted text made fit for a body: valid UTF-8, CRLF/CR as LF, no
 * control characters but LF (a tab becomes a space), no bidi controls,
 * no blank lines at the ends, at most DRAFT_AI_ANSWER_MAX bytes. New. */
char *draft_ai_clean_answer(const char *text);

#endif
