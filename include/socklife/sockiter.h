/* sockiter.h - every socket fd of every task, from one BPF iterator walk.
 *
 * A BPF iter/task_file program (daemon/bpf/sockiter.bpf.c) visits every fd
 * of every task in the reader's pid namespace, whatever network namespace
 * the socket lives in, and writes fixed-size records
 * (socklife/sockiter_record.h): one per socket fd, one per file table, and
 * one at the end.  One pass costs O(fds on the host) instead of one
 * host-wide hash walk per network namespace.
 *
 * Two halves, as in sockdiag.h: a pure parser (bytes in, records out, no
 * I/O, unit-tested and fuzzed on crafted bytes) and a thin I/O layer that
 * loads and attaches the program once (privileged) and reads one pass per
 * call (unprivileged, see sockiter_read).
 *
 * Holders.  A socket shared over fork() or passed with SCM_RIGHTS comes
 * once per fd that refers to it, each with its holder's tgid.  Threads
 * sharing one fd table (CLONE_FILES, i.e. pthreads) are walked once:
 * task_file skips a thread whose table is its group leader's, and once the
 * leader has exited (its table gone) the program walks a shared table only
 * through its thread with the lowest tid.  A thread with a table of its
 * own (clone() without CLONE_FILES, unshare(CLONE_FILES)) is a holder of
 * its own: its fds come with the same tgid and a task record of their own
 * (SOCKITER_T_THREAD, its tid); a socket in both tables comes twice, as a
 * dup()ed fd does.  Each table counts against RLIMIT_NOFILE on its own,
 * and /proc/PID/fd shows only the leader's.
 *
 * What the walk cannot see: a socket no fd refers to.  That is TIME_WAIT
 * and orphaned FIN_WAIT2 minisocks, request socks (SYN_RECV), orphans
 * (FIN_WAIT1, LAST_ACK, CLOSING), accepted children not yet accept()ed,
 * sockets held only by the kernel (NFS, iSCSI, nbd, tunnels such as VXLAN
 * and WireGuard, in-kernel SMB), sockets held only as io_uring fixed files
 * or by a mapping after their fd was closed (packet and XDP rings), fds in
 * flight in an SCM_RIGHTS message nobody has received yet, and tasks
 * outside the reader's pid namespace. */
#ifndef SOCKLIFE_SOCKITER_H
#define SOCKLIFE_SOCKITER_H

#include <socklife/sockdiag.h>
#include <socklife/sockiter_record.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where records go.  Either callback may be NULL. */
struct sockiter_sink {
	void (*sock)(const struct sockiter_sock *r, void *ctx);
	/* One per file table, after that table's socket records. */
	void (*task)(const struct sockiter_task *r, void *ctx);
	void *ctx;
};

struct sockiter_stats {
	uint64_t sockets;   /* socket records delivered */
	uint64_t tasks;     /* task records delivered */
	uint64_t shared;    /* tables the walk skipped as already walked (END) */
	uint64_t malformed; /* records refused: unknown kind or version, bad END */
	uint64_t bytes;
	uint32_t hz;        /* the tick rate the ages were computed with (END) */
};

/* Parser state for one pass.  Set it up with sockiter_parser_init. */
struct sockiter_parser {
	const struct sockiter_sink *sink;
	struct sockiter_stats stats;
	bool ended;  /* the END record has been parsed */
	bool broken; /* a malformed record was seen: the rest is not parsed */
	size_t have; /* bytes of a record cut by a read() boundary, kept in part */
	unsigned char part[SOCKITER_MAX_RECORD];
};

void sockiter_parser_init(struct sockiter_parser *p, const struct sockiter_sink *sink);

/* Parse the next `len` bytes of a pass; a record may be split anywhere
 * across calls.  Returns 0, or -EBADMSG (counted in stats.malformed) for
 * an unknown kind or version, a record after END, or an END whose counts
 * disagree with the records delivered; the parser then refuses the rest. */
int sockiter_parse(struct sockiter_parser *p, const void *buf, size_t len);

/* At the end of the bytes: 0 if the pass was whole (ended with END, no
 * partial record left), else -EBADMSG. */
int sockiter_parse_finish(struct sockiter_parser *p);

/* The record as the daemon's socket, for TCP, UDP and UNIX sockets.
 * Returns 0, -EPROTONOSUPPORT for any other kind of socket (netlink,
 * packet, raw, SCTP, ...), or -ERANGE for a state that protocol does not
 * report.  sockdiag_unix_peer_gone() then applies to it as to a dump's. */
int sockiter_to_socket(const struct sockiter_sock *r, struct sl_socket *s);

/* The tick rate two readings of (jiffies, CLOCK_MONOTONIC ns) imply,
 * taken to the nearest rate Linux can be built with (100, 250, 300,
 * 1000); 0 if none is within 8%. */
uint32_t sockiter_hz_from(uint64_t jiffies, uint64_t ns);

struct sockiter_opts {
	/* A path in a mounted bpffs at which to pin the iterator.  Reads then
	 * open() the pin instead of calling bpf(BPF_ITER_CREATE): a pinned
	 * iterator is a file whose reading needs only permission to open it,
	 * while before Linux 6.5 every bpf() command, BPF_ITER_CREATE too,
	 * fails with EPERM without CAP_BPF when kernel.unprivileged_bpf_disabled
	 * is set (Debian 12's default).  A stale pin at the path is replaced;
	 * sockiter_close removes it.  NULL: no pin. */
	const char *pin_path;
	/* Tests: fail the load with this errno after opening the object, to
	 * exercise the caller's fallback.  0: load normally. */
	int fail_load;
	/* Tests: measure the tick rate even where the kernel config gives it. */
	bool measure_hz;
};

struct sockiter;

/* Load, verify and attach the program.  Needs CAP_BPF and CAP_PERFMON (or
 * CAP_SYS_ADMIN), kernel BTF and Linux 6.1+.  Returns 0 or -errno: -EPERM
 * without the capabilities, -ENOENT/-ESRCH without BTF or a kernel
 * structure it reads, -EINVAL when the verifier refuses, -EXDEV when the
 * caller is not in the initial pid namespace (the walk would miss every
 * task outside the caller's and tgids would not match /proc).  Cheap to
 * fall back from: nothing stays behind after a failure.  Never logs. */
int sockiter_open(struct sockiter **out);
int sockiter_open_opts(struct sockiter **out, const struct sockiter_opts *opts);

/* What an error of sockiter_open means for an operator: the missing
 * privilege or kernel feature, and what to do. */
const char *sockiter_strerror(int err);

/* One full pass: create an iterator from the attached link, read it up to
 * its END record and feed every record to `sink`.  (Not to EOF: a read
 * after END would walk processes created since, past the last pid.)  Needs no capability (with
 * pin_path, on any kernel; without it, on Linux 6.5+ or where unprivileged
 * BPF is allowed).  Returns 0 for a whole pass, or -errno: the read's
 * error, or -EBADMSG for a malformed or cut stream.  Records already
 * delivered before a failure were real; the pass as a whole is not. */
int sockiter_read(struct sockiter *it, const struct sockiter_sink *sink);

/* Counts of the last sockiter_read. */
const struct sockiter_stats *sockiter_last_stats(const struct sockiter *it);

/* The tick rate in use (0: unknown, ages are not reported), and whether
 * it was measured rather than read from the kernel config. */
uint32_t sockiter_hz(const struct sockiter *it, bool *measured);

void sockiter_close(struct sockiter *it);

#endif
