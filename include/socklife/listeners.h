/* listeners.h - listening TCP sockets, and how full their accept queues are.
 *
 * A listener's accept queue holds connections whose handshake the kernel
 * has finished and that accept() has not taken yet.  Once it holds more
 * than the backlog (listen()'s argument, capped by net.core.somaxconn),
 * the kernel drops the last ACK of every new handshake (the namespace's
 * ListenOverflows counts them): clients sit in SYN_SENT or retransmit
 * for seconds while the server looks idle.  A queue that stays full means
 * the process stopped calling accept(): an accept loop blocked on
 * something else, too few workers, every worker busy.
 *
 * A pass keeps, per (process group, namespace, port), its fullest
 * listener: SO_REUSEPORT workers, or an IPv4 and an IPv6 socket on one
 * port, are several listeners, and the one that is full is the news.
 * sock_diag reports a listener's queue as its rqueue and its backlog as
 * its wqueue; /proc/net/tcp the queue only (its backlog is 0 here, and
 * the renderer leaves it out for such namespaces). */
#ifndef SOCKLIFE_LISTENERS_H
#define SOCKLIFE_LISTENERS_H

#include <socklife/hashmap.h>
#include <socklife/tally.h>
#include <socklife/vec.h>

#include <stdint.h>

struct listener {
	uint32_t group;   /* index into the tally's groups */
	uint32_t ns;      /* index into the tally's namespaces */
	uint16_t port;
	uint32_t queue;   /* connections waiting for accept() */
	uint32_t backlog; /* how many may wait before new ones overflow */
};

struct listeners {
	struct listener_list VEC(struct listener) rows; /* by group, namespace, port */
	struct hashmap index; /* internal: (group, namespace, port) -> row */
};

/* Forget the last pass's listeners. */
void listeners_begin(struct listeners *l);

/* Note socket `a` if it is a listening TCP socket a process holds (each
 * holder's group once).  0 or -ENOMEM. */
int listeners_socket(struct listeners *l, const struct tally *t, const struct attributed *a);

/* Put the rows in exposition order once every socket is in. */
void listeners_end(struct listeners *l);

/* The groups were folded (tally_fold): row groups go through `to`, old
 * group index to new, and rows that now share a place keep the fullest. */
void listeners_regroup(struct listeners *l, const uint32_t *to);

void listeners_free(struct listeners *l);

#endif
