/* tally.h - count sockets per (group, protocol, state) and per namespace.
 *
 * A pass calls tally_begin() with its processes, tally_add_netns() for each
 * namespace it reads, then tally_socket() for every socket attribution
 * hands on and tally_unhashed() for socket fds no dump listed.  A socket
 * is counted once in its namespace, and once in every process and group
 * that holds it: two processes of one group sharing a socket (fork) count
 * it once.  Sockets with inode 0 belong to the kernel and are counted per
 * namespace only; an inode that no fd holds is counted as unresolved. */
#ifndef SOCKLIFE_TALLY_H
#define SOCKLIFE_TALLY_H

#include <socklife/attrib.h>
#include <socklife/config.h>
#include <socklife/container.h>
#include <socklife/hashmap.h>
#include <socklife/netns.h>
#include <socklife/netstat.h>
#include <socklife/peers.h>
#include <socklife/procscan.h>
#include <socklife/proto.h>
#include <socklife/source.h>
#include <socklife/twports.h>
#include <socklife/vec.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONTAINER_MAX CONTAINER_ID_MAX

/* What a process, or a group of them, holds.  A socket held several times
 * (dup'ed fds, forked members) counts once.  tally_fold() sums these into
 * the folded group (holdings_add in tally.c): a new field goes there too. */
struct holdings {
	uint32_t count[PROTO_COUNT][ST_COUNT];
	uint32_t inbound[ST_COUNT]; /* TCP: accepted on a port listening in its namespace */
	bool has[PROTO_COUNT];  /* holds a dumped socket of this protocol */
	uint32_t cw_unread;     /* CLOSE_WAIT with the peer's EOF still unread (rqueue >= 1) */
	uint32_t cw_stale;      /* CLOSE_WAIT silent for tally.stale_after[] or longer */
	uint32_t cw_stale_inbound;
	uint32_t fw2_stale;     /* the same for FIN_WAIT2 */
	double cw_oldest;       /* seconds the longest-silent CLOSE_WAIT has been; 0 if none */
	double fw2_oldest;      /* the same for FIN_WAIT2 held by a process */
	uint32_t unhashed;      /* socket fds whose socket is in no dump */
	uint32_t unix_peer_gone; /* UNIX stream sockets whose peer has closed */
	uint64_t rmem, wmem;    /* bytes its TCP and UDP sockets hold: received unread, to send */
	uint64_t stamp;         /* internal: the last socket counted here */
};

/* A group's name and program as their label values show them (strbuf.h:
 * each raw byte may become U+FFFD's three). */
#define GROUP_NAME_MAX (3 * PROC_COMM_MAX)
#define GROUP_PROGRAM_MAX (3 * CMDLINE_PROGRAM_MAX)

struct group {
	/* comm as shown: processes whose names show alike (differing only in
	 * bytes that are not UTF-8, or in control characters) are one group,
	 * so no two groups share a label value */
	char name[GROUP_NAME_MAX];
	char program[GROUP_PROGRAM_MAX]; /* an interpreter's script or module as shown, or "" */
	char container[CONTAINER_MAX];  /* "" for host processes */
	int32_t pid;                    /* -1 unless grouping by pid */
	struct holdings h;
	uint32_t nprocs;
	uint64_t open_fds;              /* summed over members */
	double fd_usage_ratio;          /* max over members of fds / soft limit */
	bool outside;                   /* its processes live outside the report's scope */
};

struct ns_tally {
	struct netns_id id;
	char label[NETNS_LABEL_MAX];
	struct ns_read read;              /* how it was read, and its own figures */
	bool gone;                        /* it vanished while being read: not reported */
	double duration;                  /* seconds this pass spent on it */
	uint32_t count[PROTO_COUNT][ST_COUNT];
	uint32_t unresolved[PROTO_COUNT]; /* inode != 0 but no fd holds it */
	struct twport_row tw[2 * (TWPORTS_TOP_MAX + 1)]; /* TIME_WAIT by port */
	int ntw;
	double tw_age;                    /* seconds since that breakdown; 0: this pass */
	struct netstat kernel;            /* its TCP counters (ListenOverflows, ...) */
};

struct tally {
	enum group_by by;
	/* Set before tally_begin to limit the report to one namespace (--netns
	 * host): processes of other namespaces are grouped apart, marked
	 * `outside`, and left out of every metric and diagnosis.  NULL: all. */
	const struct netns_id *scope;
	/* Set before tally_begin: a CLOSE_WAIT or FIN_WAIT2 socket silent this
	 * many seconds is stale (index ST_CLOSE_WAIT, ST_FIN_WAIT2). */
	double stale_after[ST_COUNT];
	/* Set before counting: processes whose every TCP connection's peer is
	 * written down (suspects of the last pass); NULL: none.  Held
	 * CLOSE_WAIT and FIN_WAIT2 sockets always are. */
	const bool *watch;
	const struct proc_info *procs;           /* this pass's processes */
	size_t nprocs;
	const struct container_ref *containers;  /* [0] is "none" */
	size_t ncontainers;
	struct group_list VEC(struct group) groups; /* sorted by container, name, pid */
	struct group_index VEC(uint32_t) proc_group; /* group index of each process */
	struct holdings_list VEC(struct holdings) held; /* per process, parallel to procs */
	struct ns_list VEC(struct ns_tally) ns;
	struct peer_list VEC(struct peer_rec) peers; /* see peers.h */
	uint32_t folded;                         /* groups tally_fold() folded this pass */
	/* internal */
	struct hashmap index;                    /* group key -> group, while grouping */
	struct group_index order, rank;
	struct group_list sorted;
	uint64_t stamp;
};

/* Group `procs` (with their `containers`) and zero every count.  Returns
 * 0 or -ENOMEM. */
int tally_begin(struct tally *t, const struct proc_info *procs, size_t nprocs,
		const struct container_ref *containers, size_t ncontainers, enum group_by by);

/* Start counting a namespace; returns its index or -ENOMEM. */
int tally_add_netns(struct tally *t, const struct netns_id *id, const char *label);

/* Count one socket as attribution hands it on. */
void tally_socket(struct tally *t, const struct attributed *a);

/* Count a socket fd no dump listed, held by `procs`. */
void tally_unhashed(struct tally *t, const uint32_t *procs, size_t nprocs);

/* The labels of the group tally_fold() folds the rest into: "other" for
 * both, which no real group can have (container ids are hex, host
 * processes have none), so it never shares labels with one. */
#define TALLY_FOLDED_NAME "other"
#define TALLY_FOLDED_CONTAINER "other"

/* Keep at most `max` groups in scope apart, the rest summed into one
 * folded group, so that processes with distinct names (thousands of them,
 * by accident or on purpose) cannot make series without bound.  Groups
 * with a member for which keep(ctx, proc) is true (a suspect) are always
 * kept and count toward `max`; the others are kept largest first, by
 * sockets held.  The folded group counts a socket once per folded group
 * holding it.  Call once the sockets are counted; processes are
 * regrouped, and t->rank.v[g] is then where old group g went.  Returns how
 * many groups were folded (also in t->folded), or -ENOMEM. */
int tally_fold(struct tally *t, unsigned max, bool (*keep)(void *ctx, size_t proc), void *ctx);

/* TCP sockets a process (or group) opened itself: not accepted ones. */
uint32_t tally_inbound(const struct holdings *h);

/* The group of process `proc`. */
static inline const struct group *tally_group_of(const struct tally *t, size_t proc)
{
	return &t->groups.v[t->proc_group.v[proc]];
}

void tally_free(struct tally *t);

#endif
