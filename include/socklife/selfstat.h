/* selfstat.h - the daemon's own process metrics, as every Prometheus client
 * library exports them (process_cpu_seconds_total and friends). */
#ifndef SOCKLIFE_SELFSTAT_H
#define SOCKLIFE_SELFSTAT_H

#include <stdbool.h>
#include <stdint.h>

enum selfstat_figure { SELF_CPU, SELF_MEMORY, SELF_FDS, SELF_MAX_FDS, SELF_FIGURES };

struct selfstat {
	double cpu_seconds;     /* user + system */
	uint64_t resident_bytes;
	uint64_t virtual_bytes;
	uint64_t open_fds;
	uint64_t max_fds;       /* soft RLIMIT_NOFILE */
	double start_time;      /* seconds since the epoch */
	bool known[SELF_FIGURES]; /* false: could not be read (out of fds, say) */
};

/* Read our own figures; those that cannot be read are marked unknown.
 * `start_time` is passed through (the caller records it at start-up). */
void selfstat_read(struct selfstat *s, double start_time);

#endif
