/* tally.h - count sockets per (group, protocol, state) and per namespace.
 *
 * A pass calls tally_begin() once the /proc walk and owner index are ready,
 * tally_add_netns() for each namespace it dumps, and tally_socket() for
 * every socket a dump reports.  A socket is counted once in its namespace,
 * and once in every group that holds it: two processes of one group sharing
 * a socket (fork) count it once.  Sockets with inode 0 belong to the kernel
 * and are counted per namespace only; an inode that no fd holds is counted
 * as unresolved. */
#ifndef SOCKLIFE_TALLY_H
#define SOCKLIFE_TALLY_H

#include <socklife/config.h>
#include <socklife/container.h>
#include <socklife/cookieset.h>
#include <socklife/netns.h>
#include <socklife/owners.h>
#include <socklife/procscan.h>
#include <socklife/proto.h>
#include <socklife/sockdiag.h>
#include <socklife/twports.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONTAINER_MAX CONTAINER_ID_MAX

/* What a process, or a group of them, holds.  A socket held several times
 * (dup'ed fds, forked members) counts once. */
struct holdings {
	uint32_t count[PROTO_COUNT][ST_COUNT];
	bool has[PROTO_COUNT];  /* holds a dumped socket of this protocol */
	uint32_t cw_unread;     /* CLOSE_WAIT with the peer's EOF still unread (rqueue >= 1) */
	double cw_oldest;       /* seconds the oldest CLOSE_WAIT has been so; 0 if none */
	double fw2_oldest;      /* the same for FIN_WAIT2 held by a process */
	uint32_t unhashed;      /* socket fds whose socket is in no dump */
	uint32_t unix_peer_gone; /* UNIX stream sockets whose peer has closed */
	uint64_t stamp;         /* internal: the last socket counted here */
};

struct group {
	char name[PROC_COMM_MAX];       /* comm, raw bytes */
	char container[CONTAINER_MAX];  /* "" for host processes */
	int32_t pid;                    /* -1 unless grouping by pid */
	struct holdings h;
	uint32_t nprocs;
	uint64_t open_fds;              /* summed over members */
	double fd_usage_ratio;          /* max over members of fds / soft limit */
	bool outside;                   /* its processes live outside the report's scope */
};

enum ns_mode {
	NS_MODE_SOCK_DIAG, /* dumped with sock_diag from inside the namespace */
	NS_MODE_PROCFS,    /* read from /proc/PID/net/ (no CAP_SYS_ADMIN for setns) */
	NS_MODE_NONE,      /* could not be read at all */
};

struct ns_tally {
	struct netns_id id;
	char label[NETNS_LABEL_MAX];
	enum ns_mode mode;
	double duration;                  /* seconds this pass spent on it */
	uint32_t count[PROTO_COUNT][ST_COUNT];
	uint32_t unresolved[PROTO_COUNT]; /* inode != 0 but no fd holds it */
	bool dumped[PROTO_COUNT];         /* set by the caller once a dump succeeded */
	struct twport_row tw[2 * (TWPORTS_TOP_MAX + 1)]; /* TIME_WAIT by port */
	int ntw;
	uint64_t max_tw_buckets;          /* net.ipv4.tcp_max_tw_buckets; 0 = unknown */
};

struct tally {
	enum group_by by;
	/* Set before tally_begin to limit the report to one namespace (--netns
	 * host): processes of other namespaces are grouped apart, marked
	 * `outside`, and left out of every metric and diagnosis.  NULL: all. */
	const struct netns_id *scope;
	const struct procscan *ps;
	const struct owners *owners;
	struct group *groups; /* sorted by container, name, pid */
	size_t ngroups, groups_cap;
	uint32_t *proc_group; /* group index of each process */
	size_t proc_group_cap;
	struct holdings *procs; /* per process, parallel to ps->procs */
	size_t procs_cap;
	uint8_t *seen;        /* per holder: its socket was in a dump */
	size_t seen_cap;
	struct cookieset superseded; /* internal: inodes seen through a superseded holder */
	uint32_t *index;      /* internal: hash of groups while grouping */
	size_t index_cap;
	struct ns_tally *ns;
	size_t nns, ns_cap;
	uint64_t stamp;
};

/* Group the processes of `ps` and zero every count.  Returns 0 or -ENOMEM. */
int tally_begin(struct tally *t, const struct procscan *ps, const struct owners *o,
		enum group_by by);

/* Start counting a namespace; returns its index or -ENOMEM. */
int tally_add_netns(struct tally *t, const struct netns_id *id, const char *label);

enum tally_result {
	TALLY_COUNTED,   /* counted in its namespace and by its holders */
	TALLY_DUPLICATE, /* a dump repeated a socket already counted: left out */
	TALLY_UNOWNED,   /* no known fd holds it: nothing counted yet */
};

/* Count one socket of namespace `ns`; `age` is how long it has been in its
 * state (seconds; only kept for CLOSE_WAIT and FIN_WAIT2).  Sockets with
 * inode 0 are counted in the namespace only; the caller de-duplicates them
 * (they have no holder to mark).  A socket no known fd holds is left to
 * the caller: search for its owner, then tally_socket() again or
 * tally_unresolved(). */
enum tally_result tally_socket(struct tally *t, size_t ns, const struct sl_socket *s, double age);

/* The same, for a caller that has already looked up the socket's owners
 * slot (owners_find(); NULL when none). */
enum tally_result tally_socket_at(struct tally *t, size_t ns, const struct sl_socket *s, double age,
				  const struct owner_slot *slot);

/* Count a socket nobody could be found to hold. */
void tally_unresolved(struct tally *t, size_t ns, const struct sl_socket *s);

/* Holders [first, ps->nholders) were appended to the procscan (and the
 * owners index rebuilt) after tally_begin, superseding others of the same
 * processes (now PROCSCAN_DEAD): make room for them, and mark the fresh
 * holder of a socket already counted through a superseded one, so it is
 * not taken for a socket no dump listed.  Returns 0 or -ENOMEM. */
int tally_grow(struct tally *t, size_t first);

/* A socket counted earlier in the pass turned out to be `age` seconds in
 * its state (known only after a later dump): raise its holders' oldest
 * ages.  Counts do not change. */
void tally_age(struct tally *t, const struct sl_socket *s, double age);

/* After every dump: count the socket fds whose socket no dump reported.
 * `relevant(holder, ctx)` says whether a dump should have shown it (its
 * protocol was dumped in its namespace); each socket is asked once. */
void tally_unhashed(struct tally *t, bool (*relevant)(uint32_t holder, void *ctx), void *ctx);

void tally_free(struct tally *t);

#endif
