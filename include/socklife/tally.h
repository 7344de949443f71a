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
#include <socklife/netns.h>
#include <socklife/owners.h>
#include <socklife/procscan.h>
#include <socklife/proto.h>
#include <socklife/sockdiag.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONTAINER_MAX 72

struct group {
	char name[PROC_COMM_MAX];       /* comm, raw bytes */
	char container[CONTAINER_MAX];  /* "" for host processes */
	int32_t pid;                    /* -1 unless grouping by pid */
	uint32_t count[PROTO_COUNT][ST_COUNT];
	bool has[PROTO_COUNT];          /* holds a dumped socket of this protocol */
	uint32_t nprocs;
	uint64_t open_fds;              /* summed over members */
	double fd_usage_ratio;          /* max over members of fds / soft limit */
	uint64_t stamp;                 /* internal: the last socket counted here */
};

struct ns_tally {
	struct netns_id id;
	char label[NETNS_LABEL_MAX];
	uint32_t count[PROTO_COUNT][ST_COUNT];
	uint32_t unresolved[PROTO_COUNT]; /* inode != 0 but no fd holds it */
	bool dumped[PROTO_COUNT];         /* set by the caller once a dump succeeded */
};

struct tally {
	enum group_by by;
	const struct procscan *ps;
	const struct owners *owners;
	struct group *groups; /* sorted by container, name, pid */
	size_t ngroups, groups_cap;
	uint32_t *proc_group; /* group index of each process */
	size_t proc_group_cap;
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

void tally_socket(struct tally *t, size_t ns, const struct sl_socket *s);

void tally_free(struct tally *t);

#endif
