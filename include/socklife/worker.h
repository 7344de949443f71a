/* worker.h - one background thread for slow jobs (bcrypt checks), so that
 * the threads serving HTTP never wait for them.
 *
 * Jobs run one at a time, in the order given: one core at most goes to
 * them, however many clients ask, and what they may cost in all is
 * decided before they are queued (throttle.h). */
#ifndef SOCKLIFE_WORKER_H
#define SOCKLIFE_WORKER_H

#include <stdbool.h>

struct worker;

/* A job.  `run` is false when the worker stopped before running it: the
 * job must still release what it holds. */
typedef void worker_fn(void *arg, bool run);

/* Start the thread, with room for `queue` waiting jobs.  0 or -errno. */
int worker_start(struct worker **out, unsigned queue);

/* Queue a job.  0, -EAGAIN when the queue is full, -ESHUTDOWN once
 * stopping. */
int worker_submit(struct worker *w, worker_fn *fn, void *arg);

/* Finish the job running, call every queued one with run = false, join
 * the thread and free it.  NULL is fine. */
void worker_stop(struct worker *w);

#endif
