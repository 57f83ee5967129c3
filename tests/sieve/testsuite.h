#ifndef VEA_TESTS_SIEVE_TESTSUITE_H
#define VEA_TESTS_SIEVE_TESTSUITE_H

/* vnd.dovecot.testsuite on top of vea's engine: the part of Pigeonhole's
 * test extension that its .svtest files use (../shared/reference/SIEVE.md).
 * Test-only: the state is global and the program single-threaded.
 *
 *   test NAME { ... }                  a test block
 *   test_fail REASON                   fail it (and leave it)
 *   test_set "message" TEXT            the current message (and envelope
 *   test_set "envelope.from|to|orig_to|auth" VALUE   from its headers)
 *   test_result_action [:index N] TYPES   (test) action types in the result
 *   test_result_execute                (test) carry the result out into an
 *                                      in-memory mail store and outbox
 *   test_result_reset                  start a new result
 *   test_message (:smtp | :folder F) N make the N-th sent message or the
 *                                      N-th message of folder F current;
 *                                      as a test, whether there is one
 *   test_config_set KEY VALUE, test_config_unset KEY,
 *   test_config_reload [:extension E]  settings (testsuite.c says which
 *                                      are read)
 *   test_script_compile FILE           (test) compile FILE, relative to
 *                                      the .svtest file
 *   test_script_run                    (test) run it: its actions become
 *                                      the result */

#include "sieve/sieve.h"
#include "sieve/registry.h"
#include "mime/message.h"

extern const sieve_extension testsuite_extension;

/* One test block's outcome, as the runner reports it. */
typedef enum {
	TESTSUITE_PASS,
	TESTSUITE_FAIL,
} testsuite_outcome;

typedef void testsuite_report_fn(const char *test_name,
				 testsuite_outcome outcome, const char *reason,
				 void *context);

/* Start the .svtest file path: empty mail store and outbox, no settings,
 * Pigeonhole's default message and the envelope taken from it. Returns the message
 * and envelope to hand to sieve_script_execute (owned by the testsuite,
 * valid until testsuite_end). */
void testsuite_begin(const char *path, testsuite_report_fn *report, void *context,
		     mime_message **msg_r, const sieve_envelope **envelope_r);
void testsuite_end(void);

#endif
