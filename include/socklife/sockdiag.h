/* sockdiag.h - ask the kernel for sockets over NETLINK_SOCK_DIAG.
 *
 * Two halves: a pure parser (bytes in, sockets out, no I/O, unit-tested with
 * crafted messages) and a thin I/O layer that sends one dump request and
 * feeds each received buffer to the parser. */
#ifndef SOCKLIFE_SOCKDIAG_H
#define SOCKLIFE_SOCKDIAG_H

#include <socklife/proto.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel never puts more than 32 KiB of a dump into one recv(); libmnl
 * 1.0.4 has no MNL_SOCKET_DUMP_SIZE and its buffer size is one page. */
#define SOCKDIAG_RECV_BUF 32768

/* One socket as a dump reports it. */
struct sl_socket {
	uint64_t cookie;  /* unique for the socket's whole life, never reused */
	uint64_t inode;   /* 0: held by no fd, the kernel owns it (TIME_WAIT, SYN_RECV, orphan) */
	uint32_t uid;
	uint32_t rqueue;  /* TCP CLOSE_WAIT: 1 = EOF not read yet, 0 = EOF read */
	uint32_t wqueue;
	uint32_t expires_ms;
	uint16_t sport;   /* host byte order */
	uint16_t dport;
	uint8_t saddr[16]; /* local and remote address, network byte order; */
	uint8_t daddr[16]; /* an IPv4 address in the first 4 bytes */
	uint8_t family;   /* AF_INET, AF_INET6 or AF_UNIX */
	uint8_t proto;    /* enum sl_proto */
	uint8_t state;    /* enum sl_state; NEW_SYN_RECV is folded into SYN_RECV */
	uint8_t timer;
	bool has_info;    /* the dump asked for tcp_info and the kernel gave it */
	bool cached;      /* handed on again from an earlier read (source_budget.h) */
	uint32_t walked;  /* from the bpf walk: its census number + 1 (census.h); 0 otherwise */
	uint32_t last_ack_recv_ms;  /* tcp_info: time since the peer last ACKed */
	uint32_t last_data_recv_ms; /* tcp_info: time since data last came in */
	uint32_t last_data_sent_ms; /* tcp_info: time since data last went out */
	/* UNIX only */
	uint8_t type;      /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	uint8_t shutdown;  /* bit 1: no more receives, bit 2: no more sends */
	bool has_peer;     /* the kernel reported a peer (connected sockets) */
	uint64_t peer_inode; /* 0 with has_peer: the peer has been closed */
	/* Memory the socket holds, in bytes (TCP and UDP; 0 when the source
	 * cannot tell).  sock_diag: INET_DIAG_MEMINFO, skb overhead
	 * included, the way the kernel charges tcp_mem.  /proc/net tables: the
	 * queued payload for TCP (a lower bound), the charged memory for UDP.
	 * A LISTEN socket holds none: its rqueue/wqueue are its accept queue
	 * and backlog. */
	uint32_t rmem_bytes; /* received, not yet read: sk_rmem_alloc */
	uint32_t wmem_bytes; /* to send: TCP sk_wmem_queued (unsent and unacked), UDP sk_wmem_alloc */
};

/* Milliseconds since anything was heard or sent on a TCP socket (data
 * either way, or the peer's ACK), from tcp_info; needs has_info. */
uint32_t sockdiag_silent_ms(const struct sl_socket *s);

/* A UNIX stream socket whose peer has closed: still "established", shut
 * down both ways, its peer gone.  Only its holder can end it by close():
 * the UNIX twin of TCP's CLOSE_WAIT. */
bool sockdiag_unix_peer_gone(const struct sl_socket *s);

/* What a dump request asks for. */
struct sockdiag_request {
	enum sl_proto proto;
	/* AF_INET or AF_INET6; AF_UNSPEC asks for both in one walk of the kernel's
	 * hash (TCP only, through the older TCPDIAG_GETSOCK request, which the
	 * kernel serves with family "unspecified").  Ignored for UNIX. */
	uint8_t family;
	uint32_t states; /* bit (1 << state) for every state wanted */
	bool tcp_info;   /* also ask for tcp_info (costs ~230 bytes per socket) */
	bool meminfo;    /* also ask for the socket's memory (TCP, UDP; 40 bytes per socket) */
};

#define SOCKDIAG_ALL_STATES 0xffffffffu

struct sockdiag_stats {
	uint64_t sockets;        /* handed to the callback */
	uint64_t unknown_states; /* dropped: a state number socklife does not know */
};

/* Takes one socket; returns 0, or -errno to stop the dump. */
typedef int (*sockdiag_cb)(const struct sl_socket *s, void *ctx);

/* Told the inode of each socket of a received buffer (0 for one no fd
 * holds) before the first of them goes to the sockdiag_cb: a consumer
 * that looks sockets up by inode starts fetching them all at once.  A
 * dump comes in the kernel's hash order, so each lookup alone would wait
 * on memory.  A hint only: what it is told need not be valid yet. */
typedef void (*sockdiag_ahead_cb)(uint64_t inode, void *ctx);

/* Parser state for one dump.  Set proto, cb and ctx and zero the rest.
 * The parser hands on what the kernel said, repeats included: a dump
 * walks a hash table that changes under it, and whoever counts the
 * sockets de-duplicates them. */
struct sockdiag_parser {
	enum sl_proto proto;
	sockdiag_cb cb;
	void *ctx;
	sockdiag_ahead_cb ahead; /* optional, with ctx */
	struct sockdiag_stats stats;
	int err;    /* the first error the callback returned, 0 if none */
	bool ended; /* the dump's final message (DONE or ERROR) has been parsed */
};

/* Hand one parsed socket to the parser's callback.  Returns 0, or the
 * callback's error (also kept in p->err).  The /proc/net reader delivers
 * through it too. */
int sockdiag_deliver(struct sockdiag_parser *p, const struct sl_socket *s);

/* Write the request for `req` with sequence number `seq` into buf.  Returns
 * its length, or 0 if `cap` is too small or the request is not supported. */
size_t sockdiag_build_request(void *buf, size_t cap, const struct sockdiag_request *req,
			      uint32_t seq);

/* Parse one received buffer of a dump.  Returns 1 when more is to come, 0
 * when the dump is complete, or -errno: the kernel's error (from NLMSG_ERROR
 * or from inside NLMSG_DONE), -EBADMSG for a truncated or malformed message,
 * -EPROTO for a message of a wrong type or sequence. */
int sockdiag_parse(struct sockdiag_parser *p, const void *buf, size_t len, uint32_t seq,
		   uint32_t portid);

/* An open sock_diag socket, bound to the network namespace of the thread
 * that opened it. */
struct sockdiag;

int sockdiag_open(struct sockdiag **out);
void sockdiag_close(struct sockdiag *d);

/* Run one dump to completion.  Returns 0 or -errno; after a failure the
 * socket is drained so the next dump starts clean. */
int sockdiag_dump(struct sockdiag *d, const struct sockdiag_request *req, struct sockdiag_parser *p);

#endif
