/* slots.h - who holds the HTTP server's connections, and who may take one.
 *
 * libmicrohttpd counts connections and closes idle ones, and that is not
 * enough (see README, Security): a few addresses fill the global limit, a
 * client that sends a header line every few seconds is never idle, and a
 * connection over the limit waits in the kernel's accept queue.  So
 * socklife accepts connections itself and keeps this table; the rules are
 * pure functions of it and of the time, so they are tested without sockets:
 *
 * - An address key (addrkey.h) holds at most per_key connections.
 * - `reserved` of the `max` connections are for known keys: those that
 *   completed an authorised request within the last known_for seconds
 *   (Prometheus, scraping every interval).  Strangers hold at most
 *   max - reserved.
 * - A connection is "waiting" until a request's headers are complete: from
 *   accept for header_timeout, and after each response for the longer of
 *   header_timeout and idle_timeout (the connection is kept alive for the
 *   next scrape).  A waiting connection past its deadline is cut, whether
 *   it was silent or trickling bytes.  Then it is "busy" until the answer
 *   is sent, for at most request_timeout: a client that reads the answer a
 *   few bytes at a time is never idle either.
 * - When there is no room, a newcomer takes the slot of the connection
 *   that has waited longest among strangers (or, for a known newcomer,
 *   among anyone): an attacker's idle or trickling connections make room
 *   for a scrape whose request arrives with its connection, while a
 *   connection busy with a request is never taken.  Otherwise the newcomer
 *   is refused at once rather than left in the accept queue.
 * - A cut connection keeps its entry until the server has closed it.  The
 *   last `reserved` free entries are for known keys, so that the cut
 *   strangers of a reconnecting flood never take every entry.
 *
 * Slots are numbered 0..capacity-1 so that callers can keep their own
 * per-connection state in arrays of that size. */
#ifndef SOCKLIFE_SLOTS_H
#define SOCKLIFE_SLOTS_H

#include <socklife/addrkey.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum slot_state {
	SLOT_FREE,
	SLOT_WAITING, /* for a request's headers */
	SLOT_BUSY,    /* a request is being answered */
	SLOT_HELD,    /* answered later: suspended until `until` */
	SLOT_CUT,     /* closed by us, not yet reported closed by the server */
};

/* Why a connection was not admitted; indexes slots_refusal_names. */
enum slot_refusal {
	SLOT_REFUSED_PER_ADDRESS,  /* its key holds per_key connections */
	SLOT_REFUSED_STRANGERS,    /* strangers hold all theirs, none waiting */
	SLOT_REFUSED_FULL,         /* all max are busy */
	SLOT_REFUSALS,
};
extern const char *const slots_refusal_names[SLOT_REFUSALS];

struct slot {
	enum slot_state state;
	bool known;        /* counted in the reserved share */
	struct addrkey key;
	int fd;
	uint64_t ino;      /* the socket's inode: tells our socket from a reused fd number */
	unsigned requests; /* completed on this connection */
	double since;      /* WAITING: since when; BUSY: its request's headers; CUT: when cut */
	double until;      /* HELD: when to resume (INFINITY: not yet known) */
	void *owner;       /* HELD: the caller's handle, returned when due */
};

struct slots_limits {
	unsigned max;          /* connections at once */
	unsigned per_key;      /* from one key; 0: no limit */
	unsigned reserved;     /* of max, for known keys; at most max - 1 */
	double header_timeout; /* seconds from accept to a request's headers */
	double idle_timeout;   /* libmicrohttpd's, for the wait between requests */
	double request_timeout; /* seconds from headers to the answer sent; 0: none */
	double known_for;      /* seconds a key stays known */
};

struct slots_known {
	struct addrkey key;
	double last; /* when it last completed an authorised request */
};

struct slots {
	struct slots_limits lim;
	struct slot *slot;
	unsigned cap;            /* SLOTS_PER_CONNECTION * max: room for cut ones closing */
	struct slots_known *known;
	unsigned known_cap;
	unsigned live, strangers; /* WAITING, BUSY or HELD; those not known */
};

/* Table entries per connection served: a connection the gate cuts keeps
 * its entry (and its fd) until the server has closed it, which a loaded
 * server does late; under a reconnecting flood the cut ones pile up, and
 * a known client must still find an entry.  Its fds count as much
 * (fdlimit.h). */
#define SLOTS_PER_CONNECTION 4

/* The table for these limits (capacity SLOTS_PER_CONNECTION * max).  0 or
 * -ENOMEM. */
int slots_init(struct slots *s, const struct slots_limits *lim);
void slots_free(struct slots *s);

struct slot_admission {
	int id;                 /* the new connection's slot, -1 if refused */
	enum slot_refusal why;  /* when refused */
	int victim;             /* a slot cut to make room (now SLOT_CUT), or -1 */
};

/* A connection from `key` on socket `fd` (inode `ino`) was accepted. */
struct slot_admission slots_admit(struct slots *s, const struct addrkey *key, int fd,
				  uint64_t ino, double now);

/* The slot of socket `fd`, or -1. */
int slots_find_fd(const struct slots *s, int fd);

/* The server closed the connection (or never took it). */
void slots_release(struct slots *s, int id);

/* A request's headers are complete.  false if the connection was cut. */
bool slots_begin_request(struct slots *s, int id, double now);

/* A request was answered; the connection waits for the next one.  An
 * authorised request makes its key known, and the connection with it. */
void slots_end_request(struct slots *s, int id, bool authorised, double now);

/* The connection is suspended until `until` (INFINITY: until held again
 * with a time); `owner` is handed back when it is due.  false if the slot
 * holds no live connection (nothing will resume it). */
bool slots_hold(struct slots *s, int id, double until, void *owner);

/* Is `key` known at `now`? */
bool slots_known(const struct slots *s, const struct addrkey *key, double now);

/* When something is next due (INFINITY: nothing). */
double slots_next_due(const struct slots *s);

enum slot_action {
	SLOT_DUE_HEADERS, /* waiting past the header deadline: shut the socket down */
	SLOT_DUE_ANSWER,  /* busy past the request deadline: the same */
	SLOT_DUE_RECHECK, /* cut a while ago and not yet released: see below */
	SLOT_DUE_RESUME,  /* held until now: resume it (the slot is BUSY again) */
};

struct slot_due {
	int id;
	enum slot_action action;
	int fd;
	uint64_t ino;
	void *owner;
};

/* Up to `n` things due at `now`, with their slots moved on (to SLOT_CUT,
 * or from SLOT_HELD to SLOT_BUSY).  A slot cut a while ago and still not released is due
 * again: its socket may never have reached the server, which then closed
 * it without a word, and the caller tells by its inode.  At now = INFINITY
 * everything is due, which is how a stopping server resumes every held
 * connection. */
size_t slots_take_due(struct slots *s, double now, struct slot_due *out, size_t n);

#endif
