/* procscan.h - the processes of the host and their socket fds, kept up to
 * date cheaply.
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
 *   - and on request (procscan_read_more), likeliest first, when a caller
 *     looks for sockets no known process holds.
 *
 * /proc/PID/fd mtime and dirent inode numbers do not change with the fds,
 * so they are not used.  Everything about one process is read through one
 * directory fd, so it all describes one incarnation of the pid.  A process
 * or fd that is gone mid-walk (ENOENT, ESRCH) is counted as vanished; one
 * we may not read (EACCES, EPERM) as denied; any other failure (EMFILE,
 * ENOMEM, ...) fails the walk: it says nothing about the process.
 *
 * Given a census of every fd table (census.h: the bpf source walked them
 * all in the kernel), the scanner reads no fd at all: each process's
 * socket fds, fd count, limit and namespace come from the census, and
 * /proc gives only what tells processes apart (stat, cgroup, cmdline).
 * Every process is then current on every pass.
 *
 * The scanner reads `<root>`, so tests point it at a fake tree of plain
 * files and "socket:[N]" symlinks (--proc-root). */
#ifndef SOCKLIFE_PROCSCAN_H
#define SOCKLIFE_PROCSCAN_H

#include <socklife/census.h>
#include <socklife/cmdline.h>
#include <socklife/container.h>
#include <socklife/hashmap.h>
#include <socklife/procparse.h>
#include <socklife/runtime.h>
#include <socklife/vec.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proc_info {
	int32_t pid;
	uint64_t start_time; /* clock ticks after boot: (pid, start_time) is unique */
	char comm[PROC_COMM_MAX]; /* raw bytes, untrusted: may hold quotes, newlines, bad UTF-8 */
	char program[CMDLINE_PROGRAM_MAX]; /* an interpreter's script or module; untrusted */
	char unit[CONTAINER_UNIT_MAX];     /* its systemd unit; untrusted */
	uint32_t nfds;     /* open fds, counted this pass */
	uint32_t nsockets; /* socket fds among them, at the last read of its fds */
	uint64_t fd_limit; /* soft RLIMIT_NOFILE; 0 = unlimited or unknown */
	uint64_t netns_dev, netns_ino; /* network namespace; 0 when unreadable */
	uint32_t container; /* index into procscan.containers; 0 = a host process */
	bool fds_denied;   /* fd/ could not be read (no CAP_SYS_PTRACE / DAC_READ_SEARCH) */
};

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
	/* This pass: one proc_info per process with open fds. */
	struct proc_infos VEC(struct proc_info) procs;
	/* Containers seen this pass; entry 0 is "none" (host processes). */
	struct container_refs VEC(struct container_ref) containers;
	struct procscan_stats stats;
	/* Kept between passes (private). */
	struct proc_entries VEC(struct proc_entry) entries, spare;
	struct hashmap by_pid;        /* pid -> entry of the last pass */
	struct hashmap container_ids; /* container id -> index into containers */
	struct pid_list VEC(int32_t) pids;
	struct order_list VEC(uint32_t) order;
	char *dents;
	uint32_t pass;
	bool is_procfs;
	const struct census *census;  /* this pass's (and it stays the caller's), or NULL */
};

/* Prepare a scanner of the proc tree at `root`. */
void procscan_init(struct procscan *ps, const char *root, unsigned verify_passes);

/* One pass: list the processes, refresh what is cheap, read the fds of
 * those that need it (none with a `census`; NULL: read /proc/PID/fd), and
 * lay out procs[].  Returns 0, or -errno when the walk cannot tell the
 * truth (the root unreadable, out of fds or memory). */
int procscan_run(struct procscan *ps, const struct census *census);

/* The socket fds of process `proc` (an index into procs) as last read. */
const struct sock_fd *procscan_sockets(const struct procscan *ps, size_t proc, size_t *n);

/* The language runtime of process `proc`, found the first time it is
 * asked (its comm, else a look at its executable) and remembered. */
enum runtime procscan_runtime(struct procscan *ps, size_t proc);

/* Were process `proc`'s fds read this pass (so its sockets are current)? */
bool procscan_read_now(const struct procscan *ps, size_t proc);

/* Read the fds of processes not read yet this pass, likeliest holders of
 * a new socket first (those that recently gained sockets, then those
 * holding the most), calling enough(ctx, proc) after each read, until it
 * says so, or `max_reads` processes have been read (a short-lived socket
 * that closed meanwhile must not cost a walk of every process, pass after
 * pass), or no process is left (then *exhausted is set).  Returns the
 * number of processes read, or -errno. */
long procscan_read_more(struct procscan *ps, size_t max_reads,
			bool (*enough)(void *ctx, size_t proc), void *ctx, bool *exhausted);

/* Does process `proc` still hold socket `inode` as fd `fd`?  One readlink:
 * what a process not read this pass held may be stale. */
bool procscan_still_held(const struct procscan *ps, size_t proc, uint32_t fd, uint64_t inode);

/* Forget everything (the next pass reads every process). */
void procscan_free(struct procscan *ps);

#endif
