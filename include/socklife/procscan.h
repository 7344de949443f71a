/* procscan.h - one walk of procfs: every process, and every socket fd it holds.
 *
 * For each /proc/PID the walk opens one directory fd and reads everything
 * through it (stat, limits, ns/net, fd/), so all facts about a process come
 * from one incarnation: if the pid dies and is reused mid-walk, the old
 * dirfd answers ESRCH instead of describing the newcomer.  Processes and fds
 * that vanish mid-walk are counted, not errors.
 *
 * The walk reads `<root>`, so tests point it at a fake tree of plain files
 * and "socket:[N]" symlinks (--proc-root). */
#ifndef SOCKLIFE_PROCSCAN_H
#define SOCKLIFE_PROCSCAN_H

#include <socklife/container.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROC_COMM_MAX 64 /* the kernel's comm is at most 15 bytes; fake trees may say more */

struct proc_info {
	int32_t pid;
	uint64_t start_time; /* clock ticks after boot (stat field 22): (pid, start_time) is unique */
	char comm[PROC_COMM_MAX]; /* raw bytes, untrusted: may hold quotes, newlines, bad UTF-8 */
	uint32_t nfds;     /* open fds */
	uint32_t nsockets; /* socket fds among them */
	uint64_t fd_limit; /* soft RLIMIT_NOFILE; 0 = unlimited or unknown */
	uint64_t netns_dev, netns_ino; /* network namespace; 0 when unreadable */
	uint32_t container; /* index into procscan.containers; 0 = a host process */
	bool fds_denied;   /* fd/ could not be read (no CAP_SYS_PTRACE / DAC_READ_SEARCH) */
};

/* One socket fd: the unit of ownership. */
struct sock_holder {
	uint64_t inode;
	uint32_t proc; /* index into procscan.procs */
	uint32_t fd;
};

struct procscan_stats {
	uint64_t vanished_procs; /* exited between readdir and reading them */
	uint64_t vanished_fds;   /* closed between getdents and readlink */
	uint64_t denied_procs;   /* fd/ unreadable: their sockets stay unattributed */
};

struct procscan {
	const char *root;
	struct proc_info *procs;
	size_t nprocs, procs_cap;
	struct sock_holder *holders;
	size_t nholders, holders_cap;
	struct procscan_stats stats; /* of the last walk */
	char *dents;                 /* getdents64 buffer, kept between walks */
	int32_t *pids;               /* the pid list of the current walk */
	size_t pids_cap;
	/* Containers seen by this walk; entry 0 is "none" (host processes). */
	struct container_ref *containers;
	size_t ncontainers, containers_cap;
	uint32_t *container_index;   /* internal: hash of container ids */
};

/* Walk `ps->root`.  Returns 0, or -errno if the root itself cannot be read
 * (or memory runs out); per-process failures are only counted. */
int procscan_run(struct procscan *ps);
void procscan_free(struct procscan *ps);

/* Pure parsers, exposed for unit tests and fuzzers. */

struct proc_stat {
	char comm[PROC_COMM_MAX];
	uint64_t start_time;
	bool kernel_thread; /* PF_KTHREAD: holds no fds, skipped */
};

/* /proc/PID/stat: comm (between the first '(' and the last ')', since comm
 * may itself contain parentheses), flags and start time.  0 or -EINVAL. */
int procscan_parse_stat(const char *buf, size_t len, struct proc_stat *out);

/* /proc/PID/limits: the soft "Max open files" (0 for unlimited).  0 or -EINVAL. */
int procscan_parse_limits(const char *buf, size_t len, uint64_t *soft_nofile);

/* A readlink of /proc/PID/fd/N: 1 and the inode for "socket:[N]", 0 for
 * anything else. */
int procscan_parse_fd_link(const char *link, size_t len, uint64_t *inode);

#endif
