/* httpauth.h - basic auth for the HTTP server, under attack.
 *
 * A password seen before (right or wrong) is answered from auth.h's cache
 * on the server's thread: one fast hash, the same CPU for a failure as for
 * a success.  A password not seen before needs bcrypt, which the throttle
 * (throttle.h) must pay for, per address prefix and for all; it then runs
 * on a thread of its own (worker.h), never on a server thread.  What the
 * throttle will not pay for is refused with 429 and Retry-After.
 *
 * Every refusal with credentials (401, 429) is answered a fixed delay
 * after the request's headers, however long its check took: the time
 * tells nothing of which user was tried, of its bcrypt cost, or of whether
 * bcrypt ran at all.  Meanwhile the connection is suspended
 * (MHD_suspend_connection) and held by the gate (httpgate.h), which
 * resumes it when due; no thread waits.  A request without credentials is
 * answered 401 at once: there is nothing to hide, and a browser learns
 * to ask for a password. */
#ifndef SOCKLIFE_HTTPAUTH_H
#define SOCKLIFE_HTTPAUTH_H

#include <socklife/auth.h>
#include <socklife/httpgate.h>
#include <socklife/throttle.h>

#include <microhttpd.h>
#include <stdbool.h>

struct httpauth_options {
	struct auth *auth;
	struct httpgate *gate;    /* holds and resumes suspended connections */
	double failure_delay;     /* seconds from headers to a refusal */
	struct throttle_rate per_address, all; /* in auth_cost() units */
};

struct httpauth_stats {
	unsigned long failures;  /* 401 */
	unsigned long throttled; /* 429 */
	unsigned long checks;    /* bcrypt checks run */
	unsigned long late;      /* refusals answered after the delay */
};

struct httpauth;

/* State for each of the gate's connections, and the bcrypt thread.
 * 0 or -errno. */
int httpauth_new(struct httpauth **out, const struct httpauth_options *o);

/* The headers of a request on gate connection `id` are complete: check
 * its credentials.  `c` may be suspended, to run again when the answer is
 * due; libmicrohttpd then calls the access handler once more. */
void httpauth_begin(struct httpauth *a, int id, struct MHD_Connection *c);

/* Once the connection runs again: did the request pass? */
bool httpauth_passed(const struct httpauth *a, int id);

/* Queue the refusal (401; 429 with Retry-After; 503 when stopping) for
 * a request that did not pass. */
enum MHD_Result httpauth_refuse(struct httpauth *a, int id, struct MHD_Connection *c);

/* Stop the bcrypt thread: checks not yet run are answered 503.  Before
 * httpgate_close(). */
void httpauth_stop(struct httpauth *a);

void httpauth_free(struct httpauth *a);

void httpauth_stats(struct httpauth *a, struct httpauth_stats *out);

#endif
