/* selfstat.h - the daemon's own process metrics, as every Prometheus client
 * library exports them (process_cpu_seconds_total and friends). */
#ifndef SOCKLIFE_SELFSTAT_H
#define SOCKLIFE_SELFSTAT_H

#include <stdint.h>

struct selfstat {
	double cpu_seconds;     /* user + system */
	uint64_t resident_bytes;
	uint64_t virtual_bytes;
	uint64_t open_fds;
	uint64_t max_fds;       /* soft RLIMIT_NOFILE */
	double start_time;      /* seconds since the epoch */
};

/* Read our own figures; fields that cannot be read are left 0.
 * `start_time` is passed through (the caller records it at start-up). */
void selfstat_read(struct selfstat *s, double start_time);

#endif
