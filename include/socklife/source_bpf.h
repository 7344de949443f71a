/* source_bpf.h - every socket of every namespace, with its holders, from
 * one walk of every fd table on the host (the BPF iterator, sockiter.h).
 *
 * At the start of a pass the source walks once: every socket fd of every
 * process whatever its namespace, which makes the census attribution uses
 * instead of reading /proc/PID/fd (ownership is exact on every pass), and
 * keeps each socket, once, for its namespace.  Reading a namespace then
 * replays that namespace's sockets, listeners first.
 *
 * What the walk cannot see is what no fd refers to: TIME_WAIT, request
 * socks, orphans, accepted children not yet accept()ed, sockets only the
 * kernel holds.  For each namespace the kernel's own counts, read from
 * /proc/PID/net without entering it, say whether anything is missing:
 *
 *   TCP   the "sockets" of protocols (hashed full sockets, IPv4 and IPv6:
 *         listeners, connections, orphans, unaccepted children) against
 *         the walk's hashed TCP sockets, and no listener with a backlog.
 *         Request socks are counted from each listener's SYN queue, and
 *         TIME_WAIT from sockstat's tw (which counts orphaned FIN_WAIT2
 *         minisocks too); its breakdown by port needs a dump, made every
 *         `breakdown_every` seconds while there is TIME_WAIT.
 *   UDP   protocols' count against the walk's bound UDP sockets.
 *   UNIX  protocols' count against the walk's UNIX sockets.
 *
 * A protocol whose numbers agree is served from the walk alone.  One
 * whose numbers disagree (or a namespace with no process to read them
 * through) is dumped by the `dumper` source for that protocol only, so
 * the served numbers are always a dump's or the walk's, never a guess.
 * Where the kernel counts more TCP sockets than the walk saw, the `prober`
 * first lists the namespace's listeners alone (a cheap dump): if the
 * listeners no walked fd holds make up the difference, TCP is the walk's
 * and theirs, and the whole dump is spared; if not, the namespace is not
 * probed again for PROBE_RETRY passes.
 * The namespace's sysctls (ephemeral ports, tcp_max_tw_buckets), which
 * matter beside TIME_WAIT only, come with a dump, or from the dumper every
 * SYSCTL_EVERY passes while the namespace holds TIME_WAIT. */
#ifndef SOCKLIFE_SOURCE_BPF_H
#define SOCKLIFE_SOURCE_BPF_H

#include <socklife/sockiter.h>
#include <socklife/source.h>

/* Passes between two reads of a namespace's sysctls. */
#define SOURCE_BPF_SYSCTL_EVERY 64

/* Passes before a namespace whose listeners did not explain its missing
 * TCP sockets is probed again. */
#define SOURCE_BPF_PROBE_RETRY 16

/* A source over the loaded iterator `it` (the source does not own it),
 * dumping what the walk cannot see with `dumper` (netlink), or with
 * `fallback` (procfs) where entering a namespace is refused, and listing
 * listeners alone with `prober` (netlink, unpaced; NULL: never).  `proc_root`
 * is where the kernel's counts of other namespaces are read; `nsfs_dev`
 * the device of every namespace file; `breakdown_every` the seconds
 * between two dumps that break TIME_WAIT down by port.  0 or -ENOMEM. */
int source_bpf_new(struct source **out, struct sockiter *it, struct source *dumper,
		   struct source *fallback, struct source *prober, const char *proc_root,
		   uint64_t nsfs_dev, double breakdown_every);

#endif
