/* census.h - every process's socket fds, as one walk of every fd table saw
 * them (the bpf source, sockiter.h), for attribution to use instead of
 * reading /proc/PID/fd.
 *
 * The walk writes a table's socket fds, then the table's own record (its
 * fd count, limit and namespace); a thread with a table of its own comes
 * again under the same pid.  The census gathers them per process: its
 * socket fds from every table it has, and the fd count, limit and
 * namespace of the leader's table, which is what /proc/PID/fd shows (or
 * of its lowest thread's once the leader has exited).
 *
 * It also numbers the sockets.  The fds of counted protocols take places
 * 0, 1, 2, ... in walk order; at the end a socket's number is the place
 * of its first fd, and its later fds (fork, SCM_RIGHTS) are repeats.  A
 * source that keeps a record per place indexes them alike, drops the
 * repeats, and attribution finds a socket's holders by its number, with
 * no lookup (attrib.h).  The repeats are found by sorting inodes
 * (radix.h), not by a hash lookup per fd.  Pure: no I/O. */
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

/* The place and number of a socket socklife does not count (proto
 * PROTO_COUNT). */
#define CENSUS_UNCOUNTED UINT32_MAX

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
	uint32_t places; /* fds of counted sockets: every number is below it */
	/* private */
	struct census_index VEC(uint32_t) owner; /* each fd's process, in walk order */
	struct census_index number;              /* each fd's place, then socket number, as fds */
	struct census_index first;               /* each place's socket number */
	struct census_keys VEC(uint64_t) by_inode; /* inode << 32 | place, sorted at the end */
	struct census_keys scratch;
	struct census_fds spare;                 /* for regrouping scattered tables */
	struct census_index spare_number;
	bool scattered;         /* a process's fds came in more than one run */
	struct keyindex by_pid; /* pid -> index into procs */
};

void census_init(struct census *c);

/* Start a walk's census; memory is kept from the last one. */
void census_begin(struct census *c, uint64_t netns_dev);

/* A socket fd of a table of process `pid`, of protocol `proto` (see
 * struct sock_fd).  Returns its place (0, 1, 2, ... for counted ones),
 * CENSUS_UNCOUNTED for protocol PROTO_COUNT, or -ENOMEM.  (Socket inodes
 * are 32-bit: sockfs takes them from get_next_ino().) */
long census_socket(struct census *c, int32_t pid, uint32_t fd, uint32_t inode, uint8_t proto);

/* The end of one fd table of process `pid`, that of task `tid`, with its
 * fd count, soft fd limit (0: unlimited) and the task's namespace.  0 or
 * -ENOMEM. */
int census_table(struct census *c, int32_t pid, int32_t tid, uint32_t nfds, uint64_t fd_limit,
		 uint64_t netns_ino);

/* Number the sockets and lay out each process's socket fds together.  0
 * or -ENOMEM.  The three calls below need it done. */
int census_end(struct census *c);

/* Is the fd at `place` a repeat: its socket came at an earlier place? */
bool census_is_repeat(const struct census *c, uint32_t place);

/* The socket number of fd `f`, one of c->fds; CENSUS_UNCOUNTED for an
 * uncounted one. */
uint32_t census_number_of(const struct census *c, const struct sock_fd *f);

/* The number of the counted socket with inode `inode`, or -1 when the walk
 * saw no fd holding it.  A binary search. */
long census_find_socket(const struct census *c, uint64_t inode);

/* Process `pid`, or NULL when the walk saw no fd table of it. */
const struct census_proc *census_find(const struct census *c, int32_t pid);

void census_free(struct census *c);

#endif
