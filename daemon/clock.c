/* clock.c - see clock.h. */
#include <socklife/clock.h>

#include <time.h>

static double seconds(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double now_monotonic(void) { return seconds(CLOCK_MONOTONIC); }
double now_realtime(void) { return seconds(CLOCK_REALTIME); }
