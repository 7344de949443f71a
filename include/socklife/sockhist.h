/* sockhist.h - per-socket history, keyed by the sock_diag cookie.
 *
 * For the sockets whose age is a leak signal (CLOSE_WAIT, and FIN_WAIT2
 * held by a process) socklife remembers when it first saw each one and when
 * it first saw it in its current state.  The cookie is never reused and
 * follows a socket through all its states, so the key cannot be confused.
 * Entries not seen in a pass are dropped at the end of it; the table never
 * holds more than SOCKHIST_MAX entries (further sockets are not aged and are
 * counted in `overflow`). */
#ifndef SOCKLIFE_SOCKHIST_H
#define SOCKLIFE_SOCKHIST_H

#include <socklife/hashmap.h>

#include <stddef.h>
#include <stdint.h>

#define SOCKHIST_MAX (1u << 20)

struct sockhist_entry {
	uint64_t key;    /* the socket's cookie */
	double first_seen;
	double state_since;
	uint32_t pass;   /* the last pass that saw it */
	uint8_t state;
};

struct sockhist {
	struct hashmap map; /* of struct sockhist_entry */
	uint32_t pass;
	uint64_t overflow;  /* sockets not tracked because the table was full */
};

#define SOCKHIST_INIT {HASHMAP_INIT(struct sockhist_entry), 0, 0}

/* Start a pass. */
void sockhist_begin(struct sockhist *h);

/* Record that socket `cookie` is in `state` at time `now` (seconds, any
 * clock used consistently).  `age_hint` is the kernel's own estimate of how
 * long it has been in that state (from tcp_info; 0 when unknown), used the
 * first time a socket is seen.  Returns how long the socket has been in
 * its state, a lower bound. */
double sockhist_observe(struct sockhist *h, uint64_t cookie, uint8_t state, double now,
			double age_hint);

/* Look up a socket without changing anything; NULL when not tracked. */
const struct sockhist_entry *sockhist_find(const struct sockhist *h, uint64_t cookie);

/* Drop every entry this pass did not observe. */
void sockhist_end(struct sockhist *h);

void sockhist_free(struct sockhist *h);

#endif
