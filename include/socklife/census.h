/* census.h - every process's socket fds, as one walk of every fd table saw
 * them (the bpf source, sockiter.h), for attribution to use instead of
 * reading /proc/PID/fd.
 *
 * The walk writes a table's socket fds, then the table's own record (its
 * fd count, limit and namespace); a thread with a table of its own comes
 * again under the same pid.  The census gathers them per process: its
 * socket fds from every table it has, and the fd count, limit and
 * namespace of the leader's table, which is what /proc/PID/fd shows (or
 * of its lowest thread's once the leader has exited).  Pure: no I/O. */
#ifndef SOCKLIFE_CENSUS_H
#define SOCKLIFE_CENSUS_H

#include <socklife/keyindex.h>
#include <socklife/vec.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One socket fd of a process. */
struct sock_fd {
	uint64_t inode;
	uint32_t fd;
	/* enum sl_proto, PROTO_COUNT for a socket socklife does not count
	 * (netlink, packet, ...), or SOCK_FD_UNKNOWN: a /proc/PID/fd link does
	 * not say (sockproto.h asks the fd itself). */
	uint8_t proto;
};

#define SOCK_FD_UNKNOWN 0xff

struct census_proc {
	int32_t pid;
	uint32_t nfds;      /* fds of its table */
	uint64_t fd_limit;  /* soft RLIMIT_NOFILE */
	uint64_t netns_ino; /* the network namespace it lives in; 0 if exiting */
	uint32_t first, n;  /* its socket fds: census.fds.v[first .. first + n) */
	uint32_t tid;       /* the task whose table gave nfds (private) */
};

struct census {
	uint64_t netns_dev;  /* the device of every namespace file (nsfs) */
	struct census_procs VEC(struct census_proc) procs;
	struct census_fds VEC(struct sock_fd) fds;
	/* private */
	struct census_owners VEC(uint32_t) owner; /* each fd's process, in walk order */
	struct census_fds spare;  /* for regrouping scattered tables */
	bool scattered;           /* a process's fds came in more than one run */
	struct keyindex by_pid;   /* pid -> index into procs */
};

void census_init(struct census *c);

/* Start a walk's census; memory is kept from the last one. */
void census_begin(struct census *c, uint64_t netns_dev);

/* A socket fd of a table of process `pid`, of protocol `proto` (see
 * struct sock_fd).  0 or -ENOMEM. */
int census_socket(struct census *c, int32_t pid, uint32_t fd, uint64_t inode, uint8_t proto);

/* The end of one fd table of process `pid`, that of task `tid`, with its
 * fd count, soft fd limit (0: unlimited) and the task's namespace.  0 or
 * -ENOMEM. */
int census_table(struct census *c, int32_t pid, int32_t tid, uint32_t nfds, uint64_t fd_limit,
		 uint64_t netns_ino);

/* Lay out each process's socket fds together.  0 or -ENOMEM. */
int census_end(struct census *c);

/* Process `pid`, or NULL when the walk saw no fd table of it. */
const struct census_proc *census_find(const struct census *c, int32_t pid);

void census_free(struct census *c);

#endif
