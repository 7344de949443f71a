/* benchpop.c - a large TCP population for the benchmark, in the current
 * network namespace.
 *
 *   sl-benchpop --sockets N --procs P [--close-wait-permille M]
 *
 * P processes in pairs: each server (sl-bench-srv) listens on its own port
 * and accepts, each client (sl-bench-cli) opens N/P connections to its
 * server, so every process holds about N/P sockets and the namespace about
 * N + P/2 (the listeners).  M per mille of each pair's connections are shut
 * down by the server: CLOSE_WAIT at the client, FIN_WAIT2 at the server,
 * the two states whose age socklife tracks.  Prints "ready <sockets>" once
 * everything is established, then holds until stdin closes. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "sl-benchpop: %s: %s\n", what, strerror(errno));
	_exit(1);
}

static void raise_fd_limit(int need)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)need + 64) {
		rl.rlim_cur = (rlim_t)need + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			die("setrlimit");
	}
}

static void name_self(const char *name)
{
	prctl(PR_SET_NAME, name, 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	signal(SIGTERM, SIG_DFL);
}

/* One server/client pair: `conns` connections, `cw` of them half-closed by
 * the server.  Writes one byte to `ready` from each side when done. */
static void pair(int index, int conns, int cw, int ready)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	/* Spread over 127.0.0.0/8 so each pair has its own ephemeral ports. */
	sa.sin_addr.s_addr = htonl(0x7f000001 + (uint32_t)(index % 250) * 256);
	socklen_t len = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 4096) < 0 || getsockname(lfd, (struct sockaddr *)&sa, &len) < 0)
		die("listen");

	pid_t srv = fork();
	if (srv < 0)
		die("fork");
	if (srv == 0) {
		name_self("sl-bench-srv");
		raise_fd_limit(conns);
		for (int i = 0; i < conns; i++) {
			int fd = accept(lfd, NULL, NULL);
			if (fd < 0)
				die("accept");
			if (i < cw)
				shutdown(fd, SHUT_WR);
		}
		if (write(ready, "R", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	pid_t cli = fork();
	if (cli < 0)
		die("fork");
	if (cli == 0) {
		name_self("sl-bench-cli");
		close(lfd);
		raise_fd_limit(conns);
		for (int i = 0; i < conns; i++) {
			int fd = socket(AF_INET, SOCK_STREAM, 0);
			if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				die("connect");
		}
		if (write(ready, "R", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(lfd);
}

int main(int argc, char **argv)
{
	int sockets = 200000, procs = 200, permille = 10;
	static const struct option opts[] = {
		{"sockets", required_argument, NULL, 's'},
		{"procs", required_argument, NULL, 'p'},
		{"close-wait-permille", required_argument, NULL, 'c'},
		{0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': sockets = atoi(optarg); break;
		case 'p': procs = atoi(optarg); break;
		case 'c': permille = atoi(optarg); break;
		default: return 2;
		}
	}
	if (procs < 2 || sockets < procs)
		return 2;
	prctl(PR_SET_NAME, "sl-benchpop", 0, 0, 0);
	setpgid(0, 0);
	int pairs = procs / 2, conns = sockets / 2 / pairs, cw = conns * permille / 1000;
	int rp[2];
	if (pipe(rp) < 0)
		die("pipe");
	for (int i = 0; i < pairs; i++)
		pair(i, conns, cw, rp[1]);
	for (int got = 0; got < 2 * pairs; got++) {
		char b;
		if (read(rp[0], &b, 1) != 1 || b != 'R') {
			fprintf(stderr, "sl-benchpop: a process failed\n");
			kill(0, SIGKILL);
			return 1;
		}
	}
	printf("ready %d\n", 2 * pairs * conns + pairs);
	fflush(stdout);
	char buf[16];
	while (read(0, buf, sizeof(buf)) > 0)
		;
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGTERM);
	while (wait(NULL) > 0)
		;
	return 0;
}
