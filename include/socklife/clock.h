/* clock.h - seconds on the two clocks socklife uses: monotonic for ages
 * and intervals, real time for timestamps it publishes. */
#ifndef SOCKLIFE_CLOCK_H
#define SOCKLIFE_CLOCK_H

double now_monotonic(void);
double now_realtime(void);

#endif
