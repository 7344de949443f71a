/* peers.h - where a leaking process's sockets lead.
 *
 * An on-call engineer told "this process leaks CLOSE_WAIT" next asks "to
 * where?": which service closed on it (it connected out), or which clients
 * (it accepted them on which port).  A pass writes down one record per
 * socket worth knowing about: every held CLOSE_WAIT and FIN_WAIT2 socket,
 * and every TCP connection of a process that was suspected the pass
 * before (so a socket_growth or fd_limit suspect shows its peers from its
 * second pass on).  The busiest peers of a suspect are counted from them.
 *
 * A peer is, outbound, the remote address and port; inbound, the client's
 * address and the local (listening) port it came in on. */
#ifndef SOCKLIFE_PEERS_H
#define SOCKLIFE_PEERS_H

#include <socklife/attrib.h>

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct peer {
	uint8_t side;     /* SIDE_INBOUND or SIDE_OUTBOUND */
	uint8_t family;   /* AF_INET or AF_INET6 */
	uint16_t port;    /* outbound: the remote port; inbound: our listening port */
	uint8_t addr[16]; /* the other end's address */
};

/* One socket, for one process holding it. */
struct peer_rec {
	uint32_t proc;    /* index into the pass's processes */
	uint8_t state;
	struct peer peer;
};

struct peer_count {
	struct peer peer;
	uint32_t count;
};

/* The peer of a TCP connection `s` on `side`. */
struct peer peer_of(const struct sl_socket *s, enum side side);

/* Which records a suspect's peers are counted over: those in one of
 * `states` (bit 1 << state; 0: every state), on `side` (SIDE_NONE: both). */
struct peer_filter {
	uint32_t states;
	enum side side;
};

/* The `k` busiest peers among the records of processes `procs` (a sorted
 * list of process indices) that pass `f`, busiest first, in `out`; the
 * sockets to all other peers are summed in *other.  `recs` must be grouped
 * by peers_sort().  Returns how many peers were written. */
size_t peers_top(const struct peer_rec *recs, size_t n, const uint32_t *procs, size_t nprocs,
		 struct peer_filter f, struct peer_count *out, size_t k, uint32_t *other);

/* Group records by process (in order of process; within one, in no
 * particular order). */
void peers_sort(struct peer_rec *recs, size_t n);

/* "10.0.0.5", "2001:db8::1" (an IPv4-mapped IPv6 address as IPv4). */
void peers_format_addr(const struct peer *p, char out[INET6_ADDRSTRLEN]);

#endif
