/* popgen.c - build an exactly known TCP population in the current network
 * namespace, spread over processes with distinct names, then hold it.
 *
 *   sl-server   LISTEN 1 + ESTABLISHED E (accepted), shared with a forked
 *               worker of the same name (the group must count them once)
 *   sl-client   ESTABLISHED E (the other ends)
 *   sl-cwait    CLOSE_WAIT C: the peer closed, this process never reads or closes
 *   sl-finwait  LISTEN 1 + FIN_WAIT2 C: shut down its side, still holds the fds
 *   (kernel)    TIME_WAIT T, left by a process that has exited
 *   --hostile   one LISTEN socket in each of four processes with names holding
 *               '"', '\', a newline and bytes that are not UTF-8
 *   --name=NAME one LISTEN socket in a process named NAME (any bytes argv
 *               can carry; repeatable, up to 64)
 *   --many=N    N processes named sl-m<i>, each holding --many-sockets (1)
 *               bound UDP sockets
 *   sl-udp      (--udp N) N bound, unconnected UDP sockets ("close") and N
 *               connected ones ("established"), IPv4 and IPv6 alternating
 *   sl-unix     (--unix N) a listening UNIX stream socket, N connections to
 *               it (2N "established"), N unbound datagram sockets ("close"),
 *               and one stream socket whose peer has closed (still
 *               "established": the UNIX twin of CLOSE_WAIT)
 *
 * Every child waits until its sockets have reached their state (TCP_INFO)
 * before reporting ready, so the population is exact when "ready" is
 * printed.  It is held until stdin closes or a signal arrives. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int ready_pipe[2];

static void die(const char *what)
{
	fprintf(stderr, "sl-popgen: %s: %s\n", what, strerror(errno));
	if (write(ready_pipe[1], "E", 1) < 0) {
	}
	_exit(1);
}

static int listener(uint16_t *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4096) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		die("listen");
	*port = ntohs(sa.sin_port);
	return fd;
}

static int connect_to(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect");
	return fd;
}

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return -1;
	return ti.tcpi_state;
}

/* Wait up to 5 s until every fd is in `state`. */
static void await_state(const int *fds, int n, int state, const char *what)
{
	for (int tries = 0; tries < 5000; tries++) {
		int ok = 1;
		for (int i = 0; i < n && ok; i++)
			ok = tcp_state(fds[i]) == state;
		if (ok)
			return;
		usleep(1000);
	}
	errno = ETIMEDOUT;
	die(what);
}

static void name_self(const char *name)
{
	signal(SIGTERM, SIG_DFL); /* the parent's handler is only for the parent */
	signal(SIGINT, SIG_DFL);
	prctl(PR_SET_NAME, name, 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); /* never outlive the test */
}

static void report_ready_and_hold(void)
{
	if (write(ready_pipe[1], "R", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

static int *fd_array(int n)
{
	int *a = calloc((size_t)(n ? n : 1), sizeof(int));
	if (!a)
		die("calloc");
	return a;
}

static void run_server(int lfd, int n)
{
	int *fds = fd_array(n);
	name_self("sl-server");
	for (int i = 0; i < n; i++)
		if ((fds[i] = accept(lfd, NULL, NULL)) < 0)
			die("accept");
	await_state(fds, n, TCP_ESTABLISHED, "server established");
	/* A worker of the same name shares every socket, as after fork(). */
	pid_t w = fork();
	if (w < 0)
		die("fork");
	if (w == 0) {
		name_self("sl-server");
		for (;;)
			pause();
	}
	report_ready_and_hold();
}

static void run_finwait(int lfd, int n)
{
	int *fds = fd_array(n);
	name_self("sl-finwait");
	for (int i = 0; i < n; i++) {
		if ((fds[i] = accept(lfd, NULL, NULL)) < 0)
			die("accept");
		shutdown(fds[i], SHUT_WR); /* FIN sent; the fd stays open */
	}
	await_state(fds, n, TCP_FIN_WAIT2, "fin_wait2");
	report_ready_and_hold();
}

static void run_client(const char *name, uint16_t port, int n, int state)
{
	int *fds = fd_array(n);
	name_self(name);
	for (int i = 0; i < n; i++)
		fds[i] = connect_to(port);
	await_state(fds, n, state, name);
	report_ready_and_hold();
}

/* Leave `n` TIME_WAIT sockets behind: the client closes first (active
 * close), the server side closes after reading EOF, then the process exits. */
static void run_time_wait(int n)
{
	int *cli = fd_array(n), *srv = fd_array(n);
	uint16_t port;
	name_self("sl-tw");
	int lfd = listener(&port);
	for (int i = 0; i < n; i++) {
		cli[i] = connect_to(port);
		if ((srv[i] = accept(lfd, NULL, NULL)) < 0)
			die("accept");
	}
	close(lfd);
	for (int i = 0; i < n; i++)
		close(cli[i]);
	await_state(srv, n, TCP_CLOSE_WAIT, "tw peer close_wait");
	for (int i = 0; i < n; i++)
		close(srv[i]);
	usleep(50000); /* LAST_ACK -> CLOSED on loopback takes microseconds */
	if (write(ready_pipe[1], "R", 1) != 1)
		_exit(1);
	_exit(0);
}

static void run_hostile(const char *name)
{
	uint16_t port;
	name_self(name);
	listener(&port);
	report_ready_and_hold();
}

static void run_many(int i, int sockets)
{
	char name[16];
	snprintf(name, sizeof(name), "sl-m%d", i);
	name_self(name);
	for (int k = 0; k < sockets; k++) {
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die("udp bind");
	}
	report_ready_and_hold();
}

static void run_udp(int n)
{
	int *fds = fd_array(2 * n);
	name_self("sl-udp");
	for (int i = 0; i < n; i++) {
		int v6 = i % 2;
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
		struct sockaddr *addr = v6 ? (struct sockaddr *)&sa6 : (struct sockaddr *)&sa;
		socklen_t len = v6 ? sizeof(sa6) : sizeof(sa);
		int bound = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
		if (bound < 0 || bind(bound, addr, len) < 0 || getsockname(bound, addr, &len) < 0)
			die("udp bind");
		int conn = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
		if (conn < 0 || connect(conn, addr, len) < 0) /* connected to the bound one */
			die("udp connect");
		fds[2 * i] = bound;
		fds[2 * i + 1] = conn;
	}
	report_ready_and_hold();
}

static void run_unix(int n)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	name_self("sl-unix");
	/* An abstract address: nothing to clean up in the file system. */
	snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "sl-popgen-%d", (int)getpid());
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(sa.sun_path + 1));
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, len) < 0 || listen(lfd, 128) < 0)
		die("unix listen");
	for (int i = 0; i < n; i++) {
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&sa, len) < 0 || accept(lfd, NULL, NULL) < 0)
			die("unix connect");
		if (socket(AF_UNIX, SOCK_DGRAM, 0) < 0)
			die("unix dgram");
	}
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0)
		die("socketpair");
	close(pair[1]); /* pair[0] stays "established" with its peer gone */
	report_ready_and_hold();
}

static pid_t spawn(void (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	return pid;
}

struct plan {
	int established, close_wait, time_wait, hostile, udp, unix_, many, many_sockets, nnames;
	int l1, l2;
	uint16_t p1, p2;
	const char *hostile_name;
	const char *names[64];
	int index;
};

static void do_server(void *a) { struct plan *p = a; close(p->l2); run_server(p->l1, p->established); }
static void do_finwait(void *a) { struct plan *p = a; close(p->l1); run_finwait(p->l2, p->close_wait); }
static void do_client(void *a) { struct plan *p = a; close(p->l1); close(p->l2); run_client("sl-client", p->p1, p->established, TCP_ESTABLISHED); }
static void do_cwait(void *a) { struct plan *p = a; close(p->l1); close(p->l2); run_client("sl-cwait", p->p2, p->close_wait, TCP_CLOSE_WAIT); }
static void do_tw(void *a) { struct plan *p = a; close(p->l1); close(p->l2); run_time_wait(p->time_wait); }
static void do_udp(void *a) { struct plan *p = a; close(p->l1); close(p->l2); run_udp(p->udp); }
static void do_unix(void *a) { struct plan *p = a; close(p->l1); close(p->l2); run_unix(p->unix_); }
static void do_hostile(void *a) { struct plan *p = a; close(p->l1); close(p->l2); run_hostile(p->hostile_name); }
static void do_many(void *a) { struct plan *p = a; close(p->l1); close(p->l2); run_many(p->index, p->many_sockets); }

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv)
{
	struct plan p = {.established = 5, .close_wait = 3, .time_wait = 4, .many_sockets = 1};
	static const struct option opts[] = {
		{"established", required_argument, NULL, 'e'},
		{"close-wait", required_argument, NULL, 'c'},
		{"time-wait", required_argument, NULL, 't'},
		{"hostile", no_argument, NULL, 'x'},
		{"udp", required_argument, NULL, 'u'},
		{"unix", required_argument, NULL, 'n'},
		{"name", required_argument, NULL, 'N'},
		{"many", required_argument, NULL, 'm'},
		{"many-sockets", required_argument, NULL, 'k'},
		{0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e': p.established = atoi(optarg); break;
		case 'c': p.close_wait = atoi(optarg); break;
		case 't': p.time_wait = atoi(optarg); break;
		case 'x': p.hostile = 1; break;
		case 'u': p.udp = atoi(optarg); break;
		case 'n': p.unix_ = atoi(optarg); break;
		case 'N':
			if (p.nnames < 64)
				p.names[p.nnames++] = optarg;
			break;
		case 'm': p.many = atoi(optarg); break;
		case 'k': p.many_sockets = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: sl-popgen [--established N] [--close-wait N] "
					"[--time-wait N] [--udp N] [--unix N] [--hostile] [--name NAME]... "
					"[--many N] [--many-sockets K]\n");
			return 2;
		}
	}
	prctl(PR_SET_NAME, "sl-popgen", 0, 0, 0);
	setpgid(0, 0); /* our own process group: kill(0, ...) must reach only ours */
	if (pipe(ready_pipe) < 0)
		die("pipe");
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	p.l1 = listener(&p.p1);
	p.l2 = listener(&p.p2);
	int children = 0;
	spawn(do_server, &p), children++;
	spawn(do_finwait, &p), children++;
	spawn(do_client, &p), children++;
	spawn(do_cwait, &p), children++;
	if (p.time_wait > 0)
		spawn(do_tw, &p), children++;
	if (p.udp > 0)
		spawn(do_udp, &p), children++;
	if (p.unix_ > 0)
		spawn(do_unix, &p), children++;
	static const char *const hostile[] = {"q\"uote", "back\\slash", "new\nline", "bad\xff\xfe"};
	for (int i = 0; p.hostile && i < 4; i++) {
		p.hostile_name = hostile[i];
		spawn(do_hostile, &p), children++;
	}
	for (int i = 0; i < p.nnames; i++) {
		p.hostile_name = p.names[i];
		spawn(do_hostile, &p), children++;
	}
	for (p.index = 0; p.index < p.many; p.index++)
		spawn(do_many, &p), children++;
	close(p.l1);
	close(p.l2);

	for (int got = 0; got < children;) {
		char b;
		ssize_t n = read(ready_pipe[0], &b, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != 1 || b != 'R') {
			fprintf(stderr, "sl-popgen: a child failed\n");
			kill(0, SIGKILL);
			return 1;
		}
		got++;
	}
	while (waitpid(-1, NULL, WNOHANG) > 0) /* reap sl-tw */
		;
	printf("ready\n");
	fflush(stdout);

	/* Hold until told to stop (a signal, or stdin closing). */
	struct pollfd pfd = {.fd = 0, .events = POLLIN};
	while (!stop) {
		int r = poll(&pfd, 1, 200);
		if (r > 0) {
			char buf[64];
			if (read(0, buf, sizeof(buf)) <= 0)
				break;
		}
	}
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGTERM);
	while (wait(NULL) > 0)
		;
	return 0;
}
