/* scanstats.h - what the sampler knows about its own passes.
 *
 * Filled by sample.c, read by render.c; stage and phase names live with the
 * renderer's tables. */
#ifndef SOCKLIFE_SCANSTATS_H
#define SOCKLIFE_SCANSTATS_H

#include <socklife/vec.h>

#include <stdbool.h>
#include <stdint.h>

/* Where a pass can fail (socklife_scan_errors_total{stage}). */
enum scan_stage {
	STAGE_PROC,   /* the /proc walk as a whole */
	STAGE_NETNS,  /* entering or naming a network namespace */
	STAGE_DUMP,   /* a sock_diag dump */
	STAGE_RENDER, /* building the exposition or its gzip copy */
	STAGE_COUNT,
};

/* Their label values (the renderer's table, render.c). */
extern const char *const scan_stage_names[STAGE_COUNT];

/* How long the last pass spent where (socklife_scan_duration_seconds{phase}). */
enum scan_phase {
	PHASE_PROC,  /* walking /proc and indexing owners */
	PHASE_DUMP,  /* sock_diag dumps and counting */
	PHASE_TOTAL, /* the whole pass, rendering included */
	PHASE_COUNT,
};

struct ns_duration {
	char label[64];
	double seconds;
};

struct scan_stats {
	uint64_t scans;                 /* passes completed (good or not) */
	uint64_t errors[STAGE_COUNT];
	double duration[PHASE_COUNT];   /* seconds, last pass */
	double last_success;            /* epoch seconds of the served data; 0 = none yet */
	uint64_t skipped_duplicates;    /* sockets a dump repeated (same cookie) */
	uint64_t skipped_unknown_state; /* sockets in a state socklife does not know */
	uint64_t vanished_procs;        /* processes gone between readdir and read */
	uint64_t vanished_fds;          /* fds closed between getdents and readlink */
	uint64_t vanished_netns;        /* namespaces gone before they could be entered */
	uint32_t procs;                 /* processes with fds, last pass */
	uint64_t fds_read;              /* fds read (readlinkat) by the last pass */
	uint32_t denied_procs;          /* of them, fds unreadable: attribution partial */
	uint64_t history_overflow;      /* sockets not aged: the history table was full */
	uint64_t resolve_reads;         /* processes read on demand to place new sockets */
	const char *source;             /* what read the last pass: "bpf" or "netlink" */
	uint64_t source_fallbacks;      /* passes read over netlink after the bpf walk failed */
	uint32_t shared_ehash;          /* namespaces, last pass, in the host's TCP hash */
	/* The last pass, when it failed: where and why (the log, /healthz). */
	bool last_failed;
	enum scan_stage failed_stage;
	int failed_errno;
	/* Seconds the last good pass spent in each namespace, by label. */
	struct ns_durations VEC(struct ns_duration) ns_durations;
};

#endif
