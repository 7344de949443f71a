/* attrib.h - attribution: which processes hold each socket.
 *
 * Socket inodes are unique host-wide (one sockfs), so one index from inode
 * to the fds that hold it serves every network namespace.  It is built
 * from the /proc walk (procscan) at the start of a pass; a socket inherited
 * over fork() or passed over SCM_RIGHTS has several holders.  With a
 * census (the bpf walk) the index is a table by the census's socket
 * numbers instead: a socket the walk handed on carries its number
 * (sl_socket.walked) and is found without a lookup, a dumped one by a
 * search of the census's sorted inodes.
 *
 * Each socket a source reports goes through attrib_socket() exactly once
 * per pass: this is the one place sockets are de-duplicated (a dump walks
 * a hash table that changes under it and may show a socket twice; the
 * kernel never sets NLM_F_DUMP_INTR for sock_diag).  A socket whose inode
 * no known fd holds is deferred: at the end of the pass the likeliest
 * processes not read this pass are read, within a budget, and what is
 * still not found is unresolved.  An inode a complete search missed is
 * remembered for one pass so it is not searched for again and again (the
 * rotation still finds a holder that appears later).
 *
 * What comes out goes to a sink: every socket once, with its holders (or
 * as the kernel's, inode 0, or as unresolved), and then the socket fds
 * that no dump listed although it should have ("unhashed": reset while in
 * CLOSE_WAIT, never connected).  Nothing outside this module knows how
 * holders are found, re-read or superseded. */
#ifndef SOCKLIFE_ATTRIB_H
#define SOCKLIFE_ATTRIB_H

#include <socklife/hashmap.h>
#include <socklife/procscan.h>
#include <socklife/sockdiag.h>
#include <socklife/sockproto.h>
#include <socklife/vec.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Which end of a TCP connection a socket is. */
enum side {
	SIDE_NONE,     /* not a connection: a listener, UDP, UNIX */
	SIDE_INBOUND,  /* accepted on a port listening in its namespace */
	SIDE_OUTBOUND, /* opened by its process (connect) */
};

enum owner_kind {
	OWNED,      /* held by the processes listed */
	KERNEL,     /* inode 0: TIME_WAIT, request sockets, orphans */
	UNRESOLVED, /* an inode no readable fd holds */
};

/* One socket, attributed. */
struct attributed {
	const struct sl_socket *s;
	uint32_t ns;           /* the namespace index the caller gave with it */
	double age;            /* seconds in its state, as the caller gave it */
	enum side side;        /* as the caller gave it */
	enum owner_kind kind;
	const uint32_t *procs; /* OWNED: indices into procs of its holders (may repeat) */
	const uint32_t *fds;   /* OWNED: the fd of each of them */
	size_t nprocs;
};

struct attrib_sink {
	void (*socket)(void *ctx, const struct attributed *a);
	/* A socket fd whose socket (inode, of protocol `proto`) no dump listed,
	 * and every process holding it, with its fd. */
	void (*unhashed)(void *ctx, uint64_t inode, uint8_t proto, const uint32_t *procs,
			 const uint32_t *fds, size_t nprocs);
	void *ctx;
};

/* Would a dump have listed a socket of protocol `proto` held by process
 * `pi`?  Only if its namespace and that protocol were dumped this pass. */
typedef bool (*attrib_dumped_fn)(void *ctx, const struct proc_info *pi, uint8_t proto);

struct attrib_stats {
	uint64_t duplicates;    /* sockets a dump repeated, left out */
	uint64_t resolve_reads; /* processes read to place deferred sockets */
};

struct attrib {
	struct procscan ps;              /* the processes and their socket fds */
	const struct attrib_sink *sink;
	struct attrib_stats stats;       /* this pass */
	/* private */
	const struct census *census;     /* this pass's walk, or NULL */
	struct hashmap owners;           /* inode -> first holder, seen this pass */
	struct owner_list VEC(struct sock_owner) walked; /* with a census, by socket number instead */
	struct holder_list VEC(struct holder) holders;
	struct hashmap kernel_seen;      /* cookies of sockets with no holder, this pass */
	struct pending_list VEC(struct pending) pending;
	struct hashmap missing;          /* inodes of the pending sockets */
	struct hashmap unresolvable[2];  /* searched in vain: [pass % 2] now, the other last pass */
	struct proc_list VEC(uint32_t) scratch, scratch_fds;
	struct proc_list seen;           /* inodes handed on, while the index is rebuilt */
	struct sockproto_cache protos;
	uint32_t pass;
};

/* Prepare attribution over the proc tree at `proc_root`; every process is
 * read at least every `verify_passes` passes. */
void attrib_init(struct attrib *a, const char *proc_root, unsigned verify_passes);

/* Start a pass: walk /proc and index who holds what, the holders taken
 * from `census` where a source walked every fd table (NULL: read
 * /proc/PID/fd).  0 or -errno. */
int attrib_begin(struct attrib *a, const struct attrib_sink *sink, const struct census *census);

/* A socket with this inode is about to come: start fetching its entry
 * (see sockdiag_ahead_cb). */
void attrib_prefetch(const struct attrib *a, uint64_t inode);

/* One socket of namespace `ns` from a source, `age` seconds in its state,
 * on `side`: handed to the sink now, deferred, or left out as a duplicate.
 * 0 or -ENOMEM. */
int attrib_socket(struct attrib *a, const struct sl_socket *s, uint32_t ns, double age,
		  enum side side);

/* End the pass: search for the deferred sockets' holders and hand them
 * on, then report the socket fds no dump listed where `dumped` says one
 * should have.  0 or -errno. */
int attrib_end(struct attrib *a, attrib_dumped_fn dumped, void *ctx);

void attrib_free(struct attrib *a);

#endif
