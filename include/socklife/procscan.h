/* procscan.h - which processes hold which socket fds, kept up to date cheaply.
 *
 * Reading every fd of every process (one readlinkat each, ~2-4 us) is the
 * most expensive part of a pass, so the scanner remembers what each process
 * held and reads a process's fds again only when it is likely to have
 * changed:
 *
 *   - a process seen for the first time (a new pid, or a reused pid with a
 *     new start time: it never inherits the old one's sockets);
 *   - a process whose fd count changed (the count is cheap: st_size of
 *     /proc/PID/fd on Linux 6.2+, else a getdents walk without readlinks);
 *   - the processes read longest ago, enough of them that every process is
 *     read again at least every `verify_passes` passes: this catches a
 *     socket handed over (SCM_RIGHTS, fork then close) without any count
 *     changing;
 *   - and on demand (procscan_resolve), likeliest first, when a dump shows
 *     a socket no known process holds.
 *
 * /proc/PID/fd mtime and dirent inode numbers do not change with the fds,
 * so they are not used.  Everything about one process is read through one
 * directory fd, so it all describes one incarnation of the pid.  Processes
 * and fds that vanish mid-walk are counted, not errors.
 *
 * The scanner reads `<root>`, so tests point it at a fake tree of plain
 * files and "socket:[N]" symlinks (--proc-root). */
#ifndef SOCKLIFE_PROCSCAN_H
#define SOCKLIFE_PROCSCAN_H

#include <socklife/container.h>
#include <socklife/cookieset.h>
#include <socklife/procparse.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proc_info {
	int32_t pid;
	uint64_t start_time; /* clock ticks after boot: (pid, start_time) is unique */
	char comm[PROC_COMM_MAX]; /* raw bytes, untrusted: may hold quotes, newlines, bad UTF-8 */
	uint32_t nfds;     /* open fds, counted this pass */
	uint32_t nsockets; /* socket fds among them, at the last read of its fds */
	uint64_t fd_limit; /* soft RLIMIT_NOFILE; 0 = unlimited or unknown */
	uint64_t netns_dev, netns_ino; /* network namespace; 0 when unreadable */
	uint32_t container; /* index into procscan.containers; 0 = a host process */
	bool fds_denied;   /* fd/ could not be read (no CAP_SYS_PTRACE / DAC_READ_SEARCH) */
};

/* One socket fd: the unit of ownership. */
struct sock_holder {
	uint64_t inode;
	uint32_t proc; /* index into procscan.procs; PROCSCAN_DEAD once superseded */
	uint32_t fd;
};

#define PROCSCAN_DEAD UINT32_MAX

struct procscan_stats {
	uint64_t vanished_procs; /* exited between readdir and reading them */
	uint64_t vanished_fds;   /* closed between getdents and readlink */
	uint64_t denied_procs;   /* fd/ unreadable: their sockets stay unattributed */
	uint64_t fd_reads;       /* processes whose fds were read this pass */
	uint64_t fds_read;       /* fds read (readlinkat calls) this pass */
};

struct proc_entry; /* private: a process and what it held when last read */

struct procscan {
	const char *root;
	unsigned verify_passes;      /* 1 = read every process every pass */
	/* This pass: one proc_info per process, and every socket fd known. */
	struct proc_info *procs;
	size_t nprocs, procs_cap;
	struct sock_holder *holders;
	size_t nholders, holders_cap;
	struct procscan_stats stats;
	/* Containers seen this pass; entry 0 is "none" (host processes). */
	struct container_ref *containers;
	size_t ncontainers, containers_cap;
	/* Kept between passes (private). */
	struct proc_entry *entries, *spare;
	size_t nentries, entries_cap, spare_cap;
	uint32_t *pid_index;
	size_t pid_index_cap;
	uint32_t *container_index;
	uint32_t pass;
	bool is_procfs;
	char *dents;
	int32_t *pids;
	size_t pids_cap;
	uint32_t *order;
	size_t order_cap;
};

/* One pass: list the processes, refresh what is cheap, read the fds of
 * those that need it, and lay out procs[] and holders[].  Returns 0, or
 * -errno if the root itself cannot be read (or memory runs out). */
int procscan_run(struct procscan *ps);

/* Read the fds of processes not read yet this pass, likeliest first (those
 * that recently gained sockets, then those holding the most), until every
 * inode in `missing` has been found (found ones are removed from it), or
 * `max_reads` processes have been read (a short-lived socket that closed
 * meanwhile must not cost a walk of every process, pass after pass), or no
 * process is left (then *exhausted is set).  Holders found are appended to
 * ps->holders; the ones they replace are marked PROCSCAN_DEAD.  Returns
 * the number of processes read, or -errno. */
long procscan_resolve(struct procscan *ps, struct cookieset *missing, size_t max_reads,
		      bool *exhausted);

/* Does holder `h` still hold its socket?  Holders of processes not read
 * this pass can be stale; this checks the one fd (one readlinkat). */
bool procscan_still_held(const struct procscan *ps, uint32_t h);

/* Forget everything (the next pass reads every process). */
void procscan_free(struct procscan *ps);

#endif
