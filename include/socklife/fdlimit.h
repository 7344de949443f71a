/* fdlimit.h - socklife's own file descriptors: as many as it may have, and
 * a share that HTTP connections can never take from a pass.
 *
 * Out of fds, every step of a pass fails with EMFILE: the pass fails
 * loudly (counted, logged, the last good counts kept, /healthz says why),
 * but nothing a scraper or a stranger does may bring that about.  So the
 * soft RLIMIT_NOFILE is raised to the hard one at start-up (systemd gives
 * 1024 soft under a hard limit of 524288), and HTTP connections are capped
 * so that they, the fds already open, the server's own and a pass's
 * reserve fit under it. */
#ifndef SOCKLIFE_FDLIMIT_H
#define SOCKLIFE_FDLIMIT_H

#include <socklife/slots.h>

#include <stdint.h>

/* What a pass may hold at once, kept free of connections.  Measured: a
 * pass holds 4 at most (`socklife --once` needs a limit of 7 with the
 * three standard fds open: the /proc walk's directory, a process's
 * directory and its fd directory or one file, a namespace file or a
 * netlink socket); sources to come (the BPF iterator's link and map, an
 * iterator per pass) and libraries that open files on the way (time zone,
 * /etc) take a few more.  64 is ten times that: still nothing next to the
 * 1024 of the smallest usual limit. */
#define FDLIMIT_PASS_RESERVE 64

/* The HTTP server's own fds beyond its connections: libmicrohttpd's epoll
 * and wake-up fds for each of up to 4 threads (TLS), the gate's. */
#define FDLIMIT_SERVER_FDS 16

/* Fds a served connection may account for (see fdlimit_connections): as
 * many as it has gate entries. */
#define FDLIMIT_FDS_PER_CONNECTION SLOTS_PER_CONNECTION

struct fdlimit {
	uint64_t was;  /* soft limit at start-up; UINT64_MAX: unlimited */
	uint64_t soft; /* now */
	uint64_t hard;
};

/* Raise the soft limit to the hard one and say what they are.  0, or
 * -errno when they cannot be read (then nothing changed); a refused raise
 * leaves `soft` as it was. */
int fdlimit_raise(struct fdlimit *out);

/* The connections HTTP may serve at once: `want`, or fewer so that their
 * fds, one more being refused at accept, `open` fds, the server's own and
 * the pass reserve fit under `limit`; at least 1 (then a pass may run
 * short: the limit is too low to promise anything).  A connection holds
 * up to FDLIMIT_FDS_PER_CONNECTION fds' worth: one the gate cuts keeps its
 * fd until the server closes it, and the gate keeps entries for that many
 * per connection it serves (slots.h). */
unsigned fdlimit_connections(uint64_t limit, uint64_t open, unsigned want);

#endif
