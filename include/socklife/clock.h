/* clock.h - seconds on the two clocks socklife uses: monotonic for ages
 * and intervals, real time for timestamps it publishes. */
#ifndef SOCKLIFE_CLOCK_H
#define SOCKLIFE_CLOCK_H

#include <time.h>

double now_monotonic(void);
double now_realtime(void);

/* The monotonic time `seconds` from now, for pthread_cond_timedwait on a
 * condition set to CLOCK_MONOTONIC. */
struct timespec monotonic_deadline(double seconds);

#endif
