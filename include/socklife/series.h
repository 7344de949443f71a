/* series.h - which series of the per-group, per-namespace and per-listener
 * families the exposition shows: the series budget.
 *
 * Prometheus keeps every series in memory and a fleet multiplies each
 * per-node series by its node count, so a count that is zero nearly all
 * the time is not served as a standing zero: a state a group seldom
 * holds, the unresolved sockets of a namespace, the causes of CLOSE_WAIT
 * a group does not have, socket memory of idle connections, the accept
 * queue of a listener that never waits.  Such a series is shown from the
 * first pass its count is not zero until it has been zero for SERIES_HOLD
 * (an hour), zeros included.  So a series never flaps with the traffic:
 * it appears when something happens and leaves an hour after the last of
 * it; alert windows (at most an hour) see it whole.
 *
 * A namespace's unresolved sockets of a protocol are shown beside its state
 * counts of that protocol, so "all attributed" reads apart from "not
 * known".
 *
 * Counts that are zero by construction are never standing zeros, even
 * with --metrics.all-states (which shows every other state and count of
 * every namespace, group and listener, zeros included, the way socklife
 * did before it had a budget): a process never holds a TIME_WAIT socket
 * (a timewait sock has no inode), nor a request socket (SYN_RECV; a TCP
 * Fast Open child is the one full socket a process can accept in
 * SYN_RECV, for one round trip: shown when it happens), and no table the
 * sources read lists a closed TCP socket (a process holding one shows it
 * as an unhashed socket fd).  What each family shows is in the README.
 *
 * A pass calls series_update() once its tally and listeners are complete;
 * the renderer asks series_group(), series_ns() and series_listener(). */
#ifndef SOCKLIFE_SERIES_H
#define SOCKLIFE_SERIES_H

#include <socklife/hashmap.h>
#include <socklife/listeners.h>
#include <socklife/proto.h>
#include <socklife/tally.h>
#include <socklife/vec.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIES_HOLD 3600.0 /* seconds a series stays after its count was last non-zero */

/* What a group, namespace or listener may show, one bit each. */
enum series_bit {
	/* 0 .. SERIES_STATES - 1: the count of one protocol and state */
	SERIES_STATES = PROTO_COUNT * ST_COUNT,
	SERIES_UNRESOLVED = SERIES_STATES, /* + protocol: a namespace's unresolved sockets */
	SERIES_CW_UNREAD = SERIES_UNRESOLVED + PROTO_COUNT, /* a group's CLOSE_WAIT by cause */
	SERIES_CW_READ,
	SERIES_UNIX_GONE,       /* a group's UNIX sockets whose peer is gone */
	SERIES_MEM_RECEIVE,     /* a group's socket memory, received and unread */
	SERIES_MEM_SEND,        /* ... and queued to send */
	SERIES_TW_OTHER_LOCAL,  /* a namespace's TIME_WAIT beyond its busiest local ports */
	SERIES_TW_OTHER_REMOTE, /* ... and remote ports */
	SERIES_HOLDS,           /* a group holds socket fds: its fd counts */
	SERIES_QUEUED,          /* a listener has had connections waiting for accept() */
	SERIES_BITS,
};
_Static_assert(SERIES_BITS <= 64, "one 64-bit mask per owner");

#define SERIES_STATE(proto, state) ((proto) * ST_COUNT + (state))

static inline bool series_has(uint64_t mask, int bit) { return (mask >> bit) & 1; }

struct series {
	bool all_states; /* --metrics.all-states: standing zeros as well */
	bool netns_scan; /* --metrics.netns-scan: every namespace's scan time and mode */
	/* What each group, namespace and listener row of the last updated
	 * pass shows, parallel to the tally's groups and namespaces and to the
	 * listener rows. */
	struct series_masks VEC(uint64_t) group, ns, listener;
	/* internal */
	struct hashmap latched; /* what each owner showed, and when it was last not zero */
	double epoch;           /* the first pass's monotonic time */
	uint32_t pass;
};

/* Work out what this pass shows, at monotonic time `now`; owners that
 * are gone are forgotten.  Out of memory everything is shown (never too
 * little) and -ENOMEM is returned. */
int series_update(struct series *s, const struct tally *t, const struct listeners *l, double now);

/* What group `g`, namespace `ns` and listener row `row` show.  With
 * s NULL (a tool, a test): every series --metrics.all-states shows, and
 * every count that is not zero. */
uint64_t series_group(const struct series *s, const struct tally *t, size_t g);
uint64_t series_ns(const struct series *s, const struct tally *t, size_t ns);
bool series_listener(const struct series *s, size_t row);

void series_free(struct series *s);

#endif
