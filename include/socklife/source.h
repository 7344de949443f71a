/* source.h - the seam where a way of reading the kernel's sockets plugs in.
 *
 * A source answers "every socket of this namespace": it hands each socket
 * to a callback and says what it read (which protocols completely, how,
 * the namespace's own figures).  Attribution, counting, the leak rules and
 * every front end work from what it hands on, so a new source touches
 * none of them.  Sockets come as sock_diag reports them (struct
 * sl_socket), repeats included (attribution de-duplicates).
 *
 * Sockets in the TIMED_STATES come with the kernel's activity times
 * (tcp_info) where a source can read them and the sink wants them: their
 * age is a leak signal, and a source that must ask for them separately
 * (sock_diag: a second dump) asks only for those.
 *
 * A source that walks every fd table (bpf) also answers "every socket of
 * every namespace, with its holders": its walk() runs first in a pass and
 * fills the census attribution uses instead of /proc/PID/fd.
 *
 *   netlink (source_netlink.h)  setns() into the namespace, sock_diag dumps
 *   procfs  (source_procfs.h)   /proc/PID/net tables, no privilege needed
 *   bpf     (source_bpf.h)      one walk of every fd table, holders included */
#ifndef SOCKLIFE_SOURCE_H
#define SOCKLIFE_SOURCE_H

#include <socklife/census.h>
#include <socklife/hashmap.h>
#include <socklife/netns.h>
#include <socklife/proto.h>
#include <socklife/sockdiag.h>

#include <stdbool.h>
#include <stdint.h>

#define TIMED_STATES ((1u << ST_CLOSE_WAIT) | (1u << ST_FIN_WAIT2))

/* How a namespace was read (socklife_netns_scan_mode). */
enum ns_mode {
	NS_MODE_SOCK_DIAG, /* dumped with sock_diag from inside the namespace */
	NS_MODE_PROCFS,    /* read from /proc/PID/net/ (no CAP_SYS_ADMIN for setns) */
	NS_MODE_NONE,      /* could not be read at all */
	NS_MODE_BPF,       /* from the walk, the kernel's counts agreeing */
	NS_MODE_BPF_DUMP,  /* from the walk, and a dump of what it cannot see */
	NS_MODE_BPF_PROCFS, /* from the walk, and /proc/PID/net for what it cannot see */
	NS_MODE_COUNT,
};

/* What reading one namespace told, besides its sockets. */
struct ns_read {
	enum ns_mode mode;
	bool read[PROTO_COUNT];   /* protocols read completely (absent ones: known empty) */
	uint16_t port_lo, port_hi; /* its ephemeral port range; 0, 0 when unknown */
	uint64_t max_tw_buckets;   /* net.ipv4.tcp_max_tw_buckets; 0 when unknown */
	uint64_t unknown_states;   /* sockets left out: a state socklife does not know */
	uint32_t syn_recv;         /* request socks counted, not handed on (bpf) */
	uint32_t time_wait;        /* TIME_WAIT counted, not handed on (bpf, between breakdowns) */
	bool shared_ehash;         /* its TCP connections live in the host's hash table */
	bool setns_refused;        /* entering it was refused: read through /proc/PID/net */
	double age;                /* seconds since it was read: 0 when read this pass */
};

/* Where a source hands its sockets. */
struct source_sink {
	sockdiag_cb socket; /* each socket, once */
	/* Does the consumer need the activity times of this socket in one of
	 * the TIMED_STATES?  Asked before it is handed on. */
	bool (*wants_times)(const struct sl_socket *s, void *ctx);
	void *ctx;
	uint8_t protos; /* the protocols to read: bit (1 << proto); SOURCE_ALL_PROTOS */
	/* The TCP states wanted, bit (1 << state); 0: every one.  Only a
	 * source that can ask the kernel for them alone (netlink) heeds it;
	 * the others hand on every state, so a consumer that sets it checks
	 * each socket's state itself. */
	uint32_t tcp_states;
	/* Optional: told each socket's inode a little before the socket
	 * itself, where a source reads them in batches (sockdiag.h). */
	sockdiag_ahead_cb ahead;
};

#define SOURCE_ALL_PROTOS ((1u << PROTO_COUNT) - 1)

struct source {
	const char *name;
	/* A source that sees holders: walk every fd table once, at the start
	 * of a pass, into `census`; read_netns then hands on what the walk
	 * saw.  0 or -errno (the pass falls back to another source).  NULL
	 * for a source without holders. */
	int (*walk)(struct source *src, struct census *census);
	/* Hand every socket of namespace `e` to the sink.  Returns 0, -ENOENT
	 * when the namespace is gone, -EPERM when this source may not read it,
	 * or another -errno (the sink's included). */
	int (*read_netns)(struct source *src, const struct netns_entry *e,
			  const struct source_sink *sink, struct ns_read *out);
	void (*free)(struct source *src);
};

#endif
