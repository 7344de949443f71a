/* netstat.h - a network namespace's TCP counters, read without entering it.
 *
 * /proc/PID/net/snmp and /proc/PID/net/netstat show the counters of the
 * namespace process PID lives in, to anyone, in tens of microseconds: no
 * setns, no capability.  Both files are pairs of lines, a header naming the
 * fields of a section and a line of their values:
 *
 *   Tcp: RtoAlgorithm RtoMin ... RetransSegs InErrs OutRsts InCsumErrors
 *   Tcp: 1 200 ... 18 0 2092 0
 *   TcpExt: SyncookiesSent ... ListenOverflows ListenDrops ...
 *   TcpExt: 0 ... 12 12 ...
 *
 * Fields are found by name, never by position: kernels add fields.  The
 * counters kept are those that say a namespace's TCP is in trouble without
 * looking at a single socket: a listener's accept queue overflowing
 * (ListenOverflows; ListenDrops counts those and every other SYN dropped
 * on a listener), segments sent again (RetransSegs), resets sent (OutRsts:
 * connections refused or aborted).  Parsing is pure; netstat_read() is the
 * I/O edge. */
#ifndef SOCKLIFE_NETSTAT_H
#define SOCKLIFE_NETSTAT_H

#include <socklife/netns.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum netstat_counter {
	NETSTAT_LISTEN_OVERFLOWS, /* TcpExt ListenOverflows: accept queue full */
	NETSTAT_LISTEN_DROPS,     /* TcpExt ListenDrops: any SYN or ACK a listener dropped */
	NETSTAT_RETRANS_SEGS,     /* Tcp RetransSegs */
	NETSTAT_OUT_RSTS,         /* Tcp OutRsts */
	NETSTAT_COUNT,
};

struct netstat {
	uint64_t value[NETSTAT_COUNT];
	uint32_t known; /* bit (1 << counter) for each one found */
};

/* Take the counters found in the text of one snmp or netstat file (a line
 * not ended by '\n' is cut short and taken for nothing); those already
 * known stay unless found again.  Returns how many were found. */
int netstat_parse(const char *buf, size_t len, struct netstat *out);

/* Read the counters of namespace `id` through process `pid` under
 * `proc_root` (pid 0 with `self`: the calling thread's own namespace).
 * The pid is checked to live in `id` after the reads, so a pid reused by
 * a process of another namespace meanwhile gives nothing.  Counters that
 * cannot be read are left unknown (out->known), never 0.  0 or -errno
 * (then nothing is known). */
int netstat_read(const char *proc_root, int32_t pid, bool self, const struct netns_id *id,
		 struct netstat *out);

#endif
