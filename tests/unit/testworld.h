/* testworld.h - a small hand-built pass for the tests of what formats one
 * (render, page, top): processes, sockets attributed to them, the leak
 * rules and the diagnosis rows.  Header-only, like testutil.h. */
#ifndef SOCKLIFE_TESTWORLD_H
#define SOCKLIFE_TESTWORLD_H

#include <socklife/diag.h>
#include <socklife/page.h>

#include <stdio.h>
#include <string.h>

#define TW_PROCS 8

struct test_world {
	struct proc_info procs[TW_PROCS];
	size_t nprocs;
	struct container_ref containers[2]; /* [0] none, [1] one container */
	struct tally t;
	struct leak_tracker lt;
	struct diag d;
	struct scan_stats st;
};

static inline void tw_proc(struct test_world *w, int32_t pid, const char *comm, uint32_t nfds,
			   uint64_t limit)
{
	struct proc_info *p = &w->procs[w->nprocs++];
	*p = (struct proc_info){.pid = pid, .start_time = 1, .nfds = nfds, .fd_limit = limit};
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
}

/* Group the processes and open namespace 0, "host". */
static inline void tw_begin(struct test_world *w, enum group_by by)
{
	struct netns_id id = {1, 1};
	w->t.stale_after[ST_CLOSE_WAIT] = w->t.stale_after[ST_FIN_WAIT2] = 300;
	tally_begin(&w->t, w->procs, w->nprocs, w->containers, 2, by);
	tally_add_netns(&w->t, &id, "host");
	w->t.ns.v[0].read.read[PROTO_TCP] = true;
	/* No idle pool allowance: one stale CLOSE_WAIT is a suspect here. */
	w->lt.params = (struct leak_params){.close_wait_age = 300, .fin_wait2_age = 300,
					    .unhashed_age = 60, .growth_window = 600,
					    .close_wait_growth = 5, .socket_growth = 50,
					    .fd_ratio = 0.8, .unix_peer_gone_age = 60};
	w->st = (struct scan_stats){.last_success = 1700000000, .procs = (uint32_t)w->nprocs};
}

/* A TCP socket in `state`, `age` seconds so, held by one process (index). */
static inline void tw_socket(struct test_world *w, uint8_t state, double age, uint32_t proc)
{
	static uint64_t inode = 1000;
	struct sl_socket s = {.inode = ++inode, .state = state, .proto = PROTO_TCP};
	uint32_t fd = (uint32_t)inode % 1000;
	struct attributed a = {&s, 0, age, SIDE_OUTBOUND, OWNED, &proc, &fd, 1};
	tally_socket(&w->t, &a);
}

/* Apply the rules at `now` and lay out the rows. */
static inline struct page_input tw_judge(struct test_world *w, double now)
{
	leak_update(&w->lt, &w->t, now);
	diag_build(&w->d, &w->t, &w->lt);
	return (struct page_input){&w->d, &w->t, &w->st};
}

static inline void tw_free(struct test_world *w)
{
	leak_free(&w->lt);
	tally_free(&w->t);
	diag_free(&w->d);
}

#endif
