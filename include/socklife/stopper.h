/* stopper.h - a stop signal (SIGTERM, SIGINT) ends the process within a
 * bounded time, whatever a pass is stuck in.
 *
 * A pass can block in the kernel where no signal it may catch reaches it:
 * opening a suspect's executable (/proc/PID/exe, to tell its language)
 * that lives on a hung FUSE or network file system waits for an answer
 * that never comes.  Such a pass must not hold the process hostage, nor
 * keep its port bound.
 *
 * The stop signals are blocked in every thread (stopper_start() blocks
 * them in the caller: call it before any other thread exists) and taken
 * by a thread of the stopper's own.  On the first, the program is told
 * (stopper_requested(), stopper_wait()) and has `grace` seconds to stop
 * and call stopper_free().  If it has not, `abandon` runs (to say so, to
 * put a terminal back), every fd above stderr is closed (the listening
 * socket and connections go at once, even if a thread stays stuck in an
 * uninterruptible wait that holds the fd table), and the process _exits
 * with `code`: nothing a pass holds needs releasing. */
#ifndef SOCKLIFE_STOPPER_H
#define SOCKLIFE_STOPPER_H

#include <stdbool.h>

struct stopper_options {
	double grace;  /* seconds from the signal to giving up on the program */
	int code;      /* the exit status then */
	void (*abandon)(void *arg, int sig); /* may be NULL; must not block */
	void *arg;
};

struct stopper;

/* Block SIGTERM and SIGINT in the calling thread and start watching for
 * them.  0 or -errno. */
int stopper_start(struct stopper **out, const struct stopper_options *o);

/* Has a stop signal come?  Its number, or 0. */
int stopper_requested(struct stopper *s);

/* Wait up to `seconds` (below 0: for ever) for a stop signal; its number,
 * or 0 when the time ran out. */
int stopper_wait(struct stopper *s, double seconds);

/* The program has stopped in time: the watch ends.  NULL is fine. */
void stopper_free(struct stopper *s);

#endif
