/* clock.c - see clock.h. */
#include <socklife/clock.h>

#include <math.h>
#include <time.h>

static double seconds(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double now_monotonic(void) { return seconds(CLOCK_MONOTONIC); }
double now_realtime(void) { return seconds(CLOCK_REALTIME); }

struct timespec monotonic_deadline(double seconds)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double whole = floor(seconds);
	ts.tv_sec += (time_t)whole;
	ts.tv_nsec += (long)((seconds - whole) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}
