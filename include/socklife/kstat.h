/* kstat.h - the kernel's socket capacity figures.
 *
 * Orphans (sockets no process holds any more, still closing) are limited by
 * net.ipv4.tcp_max_orphans for the whole kernel; TIME_WAIT sockets by
 * net.ipv4.tcp_max_tw_buckets per network namespace.  Past either limit the
 * kernel resets connections and logs "too many orphaned sockets" or "time
 * wait bucket table overflow". */
#ifndef SOCKLIFE_KSTAT_H
#define SOCKLIFE_KSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The counts of one /proc/.../net/sockstat. */
struct sockstat {
	uint64_t tcp_inuse;  /* per namespace */
	uint64_t tcp_orphan; /* kernel-wide */
	uint64_t tcp_tw;     /* per namespace */
	uint64_t udp_inuse;  /* per namespace */
	uint64_t tcp_mem;    /* pages all TCP sockets hold, kernel-wide (what tcp_mem limits) */
};

/* Parse the text of a sockstat file.  Returns 0, or -EINVAL if it has no
 * "TCP:" line. */
int kstat_parse_sockstat(const char *buf, size_t len, struct sockstat *out);

/* Read and parse a sockstat file.  0 or -errno. */
int kstat_read_sockstat(const char *path, struct sockstat *out);

/* Sockets in use per protocol in one namespace (the "sockets" column of
 * /proc/net/protocols), IPv4 and IPv6 together.  TIME_WAIT sockets are not
 * in it: sockstat's "tw" counts them. */
struct protocols {
	uint64_t tcp, udp, unix_;
};

/* Parse the text of /proc/net/protocols.  0, or -EINVAL without a header
 * or with a count that is not a number (then nothing may be skipped). */
int kstat_parse_protocols(const char *buf, size_t len, struct protocols *out);

/* Read and parse a protocols file.  0 or -errno. */
int kstat_read_protocols(const char *path, struct protocols *out);

/* Read one unsigned number from a file such as a sysctl.  0 or -errno. */
int kstat_read_u64(const char *path, uint64_t *out);

/* net.ipv4.tcp_mem: three page counts.  Below `min` TCP memory is never
 * reclaimed; above `pressure` every socket's buffers are squeezed; at
 * `max` new allocations fail: sends block, received data is dropped, the
 * kernel logs "TCP: out of memory". */
enum tcp_mem_level { TCP_MEM_MIN, TCP_MEM_PRESSURE, TCP_MEM_MAX, TCP_MEM_LEVELS };

/* Parse the text of /proc/sys/net/ipv4/tcp_mem ("287901	383868	575802").
 * 0, or -EINVAL unless it is three numbers in rising order. */
int kstat_parse_tcp_mem(const char *buf, size_t len, uint64_t out[TCP_MEM_LEVELS]);

/* The kernel's socket capacity figures, kernel-wide. */
struct kernel_figures {
	uint64_t tcp_orphans, tcp_max_orphans;
	bool orphans_known, max_orphans_known; /* readable from socklife's namespace only */
	uint64_t tcp_mem_pages;                /* sockstat's TCP "mem" */
	uint64_t tcp_mem_limit[TCP_MEM_LEVELS]; /* net.ipv4.tcp_mem */
	bool tcp_mem_known, tcp_mem_limit_known; /* the limit only from the host's namespace */
};

/* Read them: orphans and TCP memory from <proc_root>/net/sockstat, their
 * limits from the sysctls.  What cannot be read is marked unknown, never 0. */
void kstat_read_figures(const char *proc_root, struct kernel_figures *k);

/* Read net.ipv4.ip_local_port_range ("32768\t60999").  0 or -errno. */
int kstat_read_port_range(const char *path, uint16_t *lo, uint16_t *hi);

#endif
