/* dumpprobe.c - the floor for socklife's pass: one sock_diag dump of every
 * TCP socket of this namespace, built from socklife's own sockdiag code,
 * counting sockets by state and nothing else.
 *
 *   sl-dumpprobe [RUNS]   prints one line per run: seconds and sockets */
#include <socklife/sockdiag.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

static unsigned long counts[ST_COUNT];

static void count(const struct sl_socket *s, void *ctx)
{
	(void)ctx;
	counts[s->state]++;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 5;
	struct sockdiag *d;
	if (sockdiag_open(&d) < 0)
		return 1;
	for (int r = 0; r < runs; r++) {
		struct sockdiag_parser p = {.proto = PROTO_TCP, .cb = count};
		struct sockdiag_request req = {.proto = PROTO_TCP, .family = AF_UNSPEC,
					       .states = SOCKDIAG_ALL_STATES};
		double t0 = now();
		int err = sockdiag_dump(d, &req, &p);
		double t = now() - t0;
		if (err) {
			fprintf(stderr, "sl-dumpprobe: dump failed: %d\n", err);
			return 1;
		}
		printf("%.6f %llu\n", t, (unsigned long long)p.stats.sockets);
	}
	sockdiag_close(d);
	return 0;
}
