/* leak.h - which processes are probably leaking sockets, and why.
 *
 * After every pass, each process (keyed by pid and start time, so a reused
 * pid starts afresh) is checked against a table of rules.  Rules that need a
 * trend read the process's history: a short ring of samples spanning the
 * growth window, dropped when the process goes away.  Every rule comes with
 * a plain sentence saying what the kernel sees and what to fix. */
#ifndef SOCKLIFE_LEAK_H
#define SOCKLIFE_LEAK_H

#include <socklife/procscan.h>
#include <socklife/runtime.h>
#include <socklife/strbuf.h>
#include <socklife/tally.h>
#include <socklife/vec.h>

#include <stddef.h>
#include <stdint.h>

enum leak_reason {
	LEAK_CLOSE_WAIT_STALE,  /* a CLOSE_WAIT socket older than close_wait_age */
	LEAK_CLOSE_WAIT_GROWTH, /* CLOSE_WAIT count only rose over the window */
	LEAK_FIN_WAIT2_STALE,   /* a FIN_WAIT2 socket it holds, older than fin_wait2_age */
	LEAK_UNHASHED,          /* socket fds in no dump, for longer than unhashed_age */
	LEAK_FD_LIMIT,          /* open fds at or above fd_ratio of the soft limit */
	LEAK_SOCKET_GROWTH,     /* socket fds only rose over the window */
	LEAK_UNIX_PEER_GONE,    /* UNIX stream sockets whose peer is gone */
	LEAK_REASON_COUNT,
};


/* What one process holds this pass, and what the rules concluded. */
struct leak_proc {
	uint32_t proc;    /* index into the pass's processes */
	uint32_t reasons; /* bit (1 << enum leak_reason) per suspicion */
	const struct holdings *h; /* into tally.held */
	double unhashed_for;      /* seconds the unhashed fds have persisted */
	double unix_gone_for;     /* seconds the peer-gone UNIX sockets have persisted */
	/* Rises over the growth window when a growth rule fired. */
	uint32_t cw_from, cw_to, sock_from, sock_to;
	double growth_span;
	uint8_t runtime;          /* enum runtime: the fix is named in its terms */
};

struct leak_history; /* private: per-process rings */

struct leak_tracker {
	struct leak_params params;
	struct leak_history *hist;
	struct leak_procs VEC(struct leak_proc) procs; /* one per process of the last pass */
	uint32_t pass;
};

/* Apply the rules to every process of a finished pass (the tally's) at
 * time `now` (seconds, monotonic).  Returns 0 or -ENOMEM. */
int leak_update(struct leak_tracker *lt, const struct tally *t, double now);
void leak_free(struct leak_tracker *lt);

/* Was this process (pid and start time) suspected by the last update? */
bool leak_was_suspected(const struct leak_tracker *lt, int32_t pid, uint64_t start_time);

/* "close_wait_stale", ... */
const char *leak_reason_name(enum leak_reason r);

/* Append the rule's sentence: what the kernel sees for `lp` under reason
 * `r`, and what to look for in the code, in the terms of its runtime when
 * lp->runtime is known. */
void leak_explain(struct strbuf *out, const struct leak_proc *lp, const struct proc_info *pi,
		  enum leak_reason r);

/* "45s", "12m", "3h05m", "2d04h" */
void leak_format_age(double seconds, char out[24]);

#endif
