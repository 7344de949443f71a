/* dumpprobe.c - the floors for socklife's pass, from its own code.
 *
 *   sl-dumpprobe [RUNS]        one sock_diag dump of every TCP socket of this
 *                              namespace, counting by state and nothing else;
 *                              one line per run: seconds and sockets
 *   sl-dumpprobe walk [ROOT]   one full walk of /proc reading every fd (what
 *                              socklife's first pass must do); seconds, fds */
#include <socklife/procscan.h>
#include <socklife/sockdiag.h>

#include <string.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

static unsigned long counts[ST_COUNT];

static int count(const struct sl_socket *s, void *ctx)
{
	(void)ctx;
	counts[s->state]++;
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int walk(const char *root)
{
	struct procscan ps;
	procscan_init(&ps, root, 1);
	double t0 = now();
	if (procscan_run(&ps, NULL) < 0)
		return 1;
	printf("%.6f %llu\n", now() - t0, (unsigned long long)ps.stats.fds_read);
	procscan_free(&ps);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "walk") == 0)
		return walk(argc > 2 ? argv[2] : "/proc");
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
