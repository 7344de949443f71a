/* fixture.c - programs that behave like real services, healthy or leaking,
 * for the leak detection tests.  One binary, one behaviour per --mode; each
 * names itself "sl-<mode>" so the tests can tell them apart.
 *
 * Servers (--port P to listen on, 0 = pick one and print it):
 *   peer        writes "hello\n" to each connection and closes it at once
 *   echo        echoes until the client closes, then closes
 *   churn-srv   reads a request, writes a reply and closes (active close)
 *   half-srv    reads until the client's EOF, works 300 ms, replies, closes
 *   sink        holds every connection forever, never closes (a leaker)
 *   stream-srv  once a client half-closes, writes to it every 200 ms forever
 *   idle-srv    closes a connection idle for --every ms (a keep-alive timeout)
 * Clients (--port P of the server):
 *   leak-unread connects every --every ms, never reads, never closes
 *   leak-read   connects every --every ms, reads to EOF, never closes
 *   leak-reset  like leak-read, then writes to the dead connection and gets
 *               reset, and still never closes
 *   pool        keeps --count connections to an echo server, pinging them
 *   churn-cli   --rate short requests per second, each closed properly
 *   half-cli    request, shutdown(SHUT_WR), read the reply, close: a
 *               legitimate half-close
 *   fw2         every --every ms: connect, shutdown(SHUT_WR), keep the fd
 *   keepalive   every --every ms: connect and keep the connection idle, open
 *               for good (a client leaking keep-alive connections: its
 *               server's accepted sockets grow too, through no fault of its)
 *   stream-cli  --count streams: connect, shutdown(SHUT_WR) and read what
 *               the server keeps sending (`nc -N`, `docker exec -i`)
 *   idle-pool   --count connections to an idle-srv, never used again: the
 *               server closes them, they wait in CLOSE_WAIT for a next
 *               request that never comes (a bounded idle pool)
 *   warmup      opens --count connections to an echo server, one every
 *               --every ms, then holds them, pinging each (a pool warming up)
 *   dips        every --every ms a connection to a peer server; most are
 *               closed 0-2 s after the server's EOF, every fourth never (a
 *               leak amid healthy churn: CLOSE_WAIT rises, with dips)
 * Others:
 *   fdhog       lowers its fd limit to 64 and opens 60 fds
 *   sockgrow    opens a UDP socket every --every ms and keeps it
 *   listeners   holds --count TCP listening sockets
 *   stalled     listens with a backlog of --count and never accepts (an
 *               accept loop that is stuck); prints "ready PORT"
 *   dialer      starts --count connections to --port without waiting for
 *               them (past a full accept queue they stay in SYN_SENT)
 *   hoard       connects --count times to a listener of its own and writes
 *               to each accepted end until the kernel takes no more, reading
 *               nothing: receive queues full at one end, send queues at the
 *               other (a process hoarding socket memory)
 *   udps        holds --count bound UDP sockets
 *   nsstorm     --count processes, each in a network namespace of its own
 *               (a user namespace too: any user may do it, `unshare -Urn`)
 *               holding a TCP listener: a namespace storm
 *   handoff     two processes, sl-giver holding a TCP listener and sl-taker
 *               holding /dev/null in its place; a line on stdin makes the
 *               giver pass the listener to the taker over a UNIX socket
 *               (SCM_RIGHTS), both dup2 over their old fd, and neither fd
 *               count changes: only re-reading the processes can tell
 *
 * --host ADDR: servers listen on it, clients dial it (default loopback), for
 * a server and its clients in different network namespaces.
 *
 * All print "ready[ PORT]" once set up, then run until killed. */
#define _GNU_SOURCE /* unshare() */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4096

static int opt_port, opt_every = 200, opt_count = 10, opt_rate = 200;
static struct in_addr opt_host = {.s_addr = 0x0100007f}; /* 127.0.0.1, network order */

static void die(const char *what)
{
	fprintf(stderr, "sl-fixture: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int listen_on(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr = opt_host};
	socklen_t len = sizeof(sa);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		die("listen");
	printf("ready %d\n", ntohs(sa.sin_port));
	fflush(stdout);
	return fd;
}

static int dial(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt_port),
				 .sin_addr = opt_host};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect");
	return fd;
}

/* A connection to the listener `lfd` of this process. */
static int dial_port(int lfd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	if (getsockname(lfd, (struct sockaddr *)&sa, &len) < 0)
		die("getsockname");
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect");
	return fd;
}

static void ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

/* Read until EOF or error; returns bytes read. */
static size_t drain(int fd)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	return total;
}

/* --- servers: one poll loop, a small state per connection --------------- */

enum srv { PEER, ECHO, CHURN, HALF, SINK, STREAM, IDLE };

struct conn {
	int fd;
	double reply_at; /* half-srv: when to answer; stream-srv: next write; 0 = not yet */
	double last;     /* idle-srv: when it was last heard */
};

static void serve(enum srv kind)
{
	static struct conn conns[MAX_CONNS];
	static struct pollfd pfd[MAX_CONNS + 1];
	int n = 0, lfd = listen_on(opt_port);

	for (;;) {
		pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
		double next = 0;
		for (int i = 0; i < n; i++) {
			pfd[i + 1] = (struct pollfd){.fd = conns[i].fd,
						     .events = conns[i].reply_at ? 0 : POLLIN};
			if (conns[i].reply_at && (!next || conns[i].reply_at < next))
				next = conns[i].reply_at;
		}
		int timeout = next ? (int)((next - now()) * 1000) + 1 : 1000;
		if (kind == IDLE && timeout > 50)
			timeout = 50; /* look for idle connections often enough */
		poll(pfd, (nfds_t)n + 1, timeout < 0 ? 0 : timeout);

		if (pfd[0].revents & POLLIN) {
			int fd = accept(lfd, NULL, NULL);
			if (fd >= 0 && kind == PEER) {
				if (write(fd, "hello\n", 6) < 0) {
				}
				close(fd);
			} else if (fd >= 0 && n < MAX_CONNS) {
				conns[n++] = (struct conn){fd, 0, now()};
			} else if (fd >= 0) {
				close(fd);
			}
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = &conns[i];
			bool done = false;
			if (kind == IDLE && now() - c->last >= opt_every / 1000.0) {
				done = true; /* idle too long: the server closes it */
			} else if (kind == STREAM && c->reply_at && now() >= c->reply_at) {
				/* half-closed by the client, still streaming to it */
				done = write(c->fd, "data\n", 5) < 0;
				c->reply_at = now() + 0.2;
			} else if (c->reply_at && now() >= c->reply_at) {
				if (write(c->fd, "reply\n", 6) < 0) {
				}
				done = true;
			} else if (i + 1 <= n && (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) &&
				   pfd[i + 1].fd == c->fd) {
				char buf[4096];
				ssize_t r = read(c->fd, buf, sizeof(buf));
				c->last = now();
				if (kind == SINK)
					continue; /* reads, never closes: its sockets sit in CLOSE_WAIT */
				if (r <= 0 && kind == STREAM)
					c->reply_at = now(); /* the client's EOF: stream to it */
				else if (r <= 0 && kind == HALF)
					c->reply_at = now() + 0.3; /* the client half-closed: work, answer */
				else if (r <= 0)
					done = true;
				else if (kind == ECHO && write(c->fd, buf, (size_t)r) < 0)
					done = true;
				else if (kind == CHURN) {
					if (write(c->fd, "reply\n", 6) < 0) {
					}
					done = true; /* the server closes first: TIME_WAIT lands here */
				}
			}
			if (done) {
				close(c->fd);
				conns[i] = conns[--n];
				pfd[i + 1].fd = -1;
				i--;
			}
		}
	}
}

/* --- clients ------------------------------------------------------------- */

static void leak(int read_eof, int reset)
{
	ready();
	for (int held = 0; held < MAX_CONNS; held++) {
		int fd = dial();
		if (read_eof)
			drain(fd); /* saw the EOF (read returned 0) ... */
		if (reset) {
			/* ... wrote to the closed connection: the peer answers with a
			 * reset, the socket leaves every kernel table, the fd stays. */
			signal(SIGPIPE, SIG_IGN);
			if (write(fd, "x", 1) < 0) {
			}
			sleep_ms(20);
			if (write(fd, "x", 1) < 0) {
			}
		}
		/* ... and never calls close(fd). */
		sleep_ms(opt_every);
	}
	for (;;)
		pause();
}

static void pool(void)
{
	int fds[256], n = opt_count > 256 ? 256 : opt_count;
	for (int i = 0; i < n; i++)
		fds[i] = dial();
	ready();
	for (;;) {
		for (int i = 0; i < n; i++) {
			char buf[8];
			if (write(fds[i], "ping\n", 5) != 5 || read(fds[i], buf, sizeof(buf)) <= 0)
				die("pool ping");
		}
		sleep_ms(100);
	}
}

static void churn(void)
{
	ready();
	int pause_us = 1000000 / (opt_rate > 0 ? opt_rate : 1);
	for (;;) {
		int fd = dial();
		if (write(fd, "GET\n", 4) < 0)
			die("write");
		drain(fd); /* the server closes; this side sits in CLOSE_WAIT for a moment */
		close(fd);
		usleep((useconds_t)pause_us);
	}
}

static void half_client(void)
{
	ready();
	for (;;) {
		int fd = dial();
		if (write(fd, "request\n", 8) < 0)
			die("write");
		shutdown(fd, SHUT_WR); /* "that is all I will send" */
		drain(fd);
		close(fd);
		sleep_ms(50);
	}
}

static void fin_wait2(void)
{
	ready();
	for (int held = 0; held < MAX_CONNS; held++) {
		int fd = dial();
		shutdown(fd, SHUT_WR); /* FIN sent; the sink never closes its side */
		sleep_ms(opt_every);
	}
	for (;;)
		pause();
}

static void keepalive(void)
{
	ready();
	for (int held = 0; held < MAX_CONNS; held++) {
		dial(); /* an idle keep-alive connection, never closed */
		sleep_ms(opt_every);
	}
	for (;;)
		pause();
}

static void stream_client(void)
{
	int fds[64], n = opt_count > 64 ? 64 : opt_count;
	for (int i = 0; i < n; i++) {
		fds[i] = dial();
		shutdown(fds[i], SHUT_WR); /* "nothing more from me", still reading */
	}
	ready();
	for (;;) { /* read what keeps coming */
		struct pollfd pfd[64];
		for (int i = 0; i < n; i++)
			pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		poll(pfd, (nfds_t)n, 1000);
		for (int i = 0; i < n; i++) {
			char buf[256];
			if ((pfd[i].revents & POLLIN) && read(fds[i], buf, sizeof(buf)) <= 0)
				die("stream ended");
		}
	}
}

static void idle_pool(void)
{
	int n = opt_count > MAX_CONNS ? MAX_CONNS : opt_count;
	for (int i = 0; i < n; i++)
		dial(); /* kept for a next request that never comes */
	ready();
	for (;;)
		pause();
}

static void warmup(void)
{
	static int fds[MAX_CONNS];
	int n = 0, want = opt_count > MAX_CONNS ? MAX_CONNS : opt_count;
	ready();
	for (;;) {
		if (n < want)
			fds[n++] = dial();
		for (int i = 0; i < n; i++) {
			char buf[8];
			if (write(fds[i], "ping\n", 5) != 5 || read(fds[i], buf, sizeof(buf)) <= 0)
				die("warmup ping");
		}
		sleep_ms(opt_every);
	}
}

static void dips(void)
{
	static struct {
		int fd;
		double close_at; /* 0: leaked, never closed */
	} open_conns[MAX_CONNS];
	int n = 0;
	unsigned seed = 7;
	ready();
	for (int made = 0;; made++) {
		if (n < MAX_CONNS) {
			int fd = dial();
			drain(fd); /* the peer says hello and closes: this end is in CLOSE_WAIT */
			seed = seed * 1103515245u + 12345u;
			double delay = (seed >> 16) % 2000 / 1000.0;
			open_conns[n++].fd = fd;
			open_conns[n - 1].close_at = made % 4 == 3 ? 0 : now() + delay;
		}
		for (int i = 0; i < n; i++) {
			if (open_conns[i].close_at && now() >= open_conns[i].close_at) {
				close(open_conns[i].fd);
				open_conns[i--] = open_conns[--n];
			}
		}
		sleep_ms(opt_every);
	}
}

static void fdhog(void)
{
	struct rlimit rl = {64, 64};
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("setrlimit");
	for (int i = 0; i < 60; i++)
		if (open("/dev/null", O_RDONLY) < 0)
			die("open");
	ready();
	for (;;)
		pause();
}

static void sockgrow(void)
{
	ready();
	for (int i = 0; i < MAX_CONNS; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die("udp");
		sleep_ms(opt_every);
	}
	for (;;)
		pause();
}

static void listeners(void)
{
	for (int i = 0; i < opt_count; i++) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0)
			die("listen");
	}
	ready();
	for (;;)
		pause();
}

static void stalled(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = opt_host};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, opt_count) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		die("listen");
	printf("ready %d\n", ntohs(sa.sin_port));
	fflush(stdout);
	for (;;)
		pause();
}

static void dialer(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt_port),
				 .sin_addr = opt_host};
	for (int i = 0; i < opt_count; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0 || (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
			       errno != EINPROGRESS))
			die("connect");
	}
	ready();
	for (;;)
		pause();
}

static void nsstorm(void)
{
	int gate[2];
	if (pipe(gate) < 0)
		die("pipe");
	for (int i = 0; i < opt_count; i++) {
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid > 0)
			continue;
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
			die("unshare");
		struct sockaddr_in sa = {.sin_family = AF_INET};
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0)
			die("listen");
		if (write(gate[1], "x", 1) != 1)
			die("gate");
		for (;;)
			pause();
	}
	for (int i = 0; i < opt_count; i++) {
		char x;
		if (read(gate[0], &x, 1) != 1)
			die("a namespace of the storm");
	}
	ready();
	for (;;)
		pause();
}

static void hoard(void)
{
	static char chunk[65536];
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = opt_host};
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 64) < 0)
		die("listen");
	for (int i = 0; i < opt_count; i++) {
		int cfd = dial_port(lfd), afd = accept(lfd, NULL, NULL);
		if (cfd < 0 || afd < 0)
			die("accept");
		fcntl(afd, F_SETFL, O_NONBLOCK);
		while (write(afd, chunk, sizeof(chunk)) > 0)
			;
	}
	sleep_ms(100); /* loopback has delivered what it will */
	ready();
	for (;;)
		pause();
}

static void udps(void)
{
	for (int i = 0; i < opt_count; i++) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die("udp");
	}
	ready();
	for (;;)
		pause();
}

static void send_fd(int chan, int fd)
{
	char byte = 'F', ctl[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(chan, &msg, 0) != 1)
		die("sendmsg");
}

static int recv_fd(int chan)
{
	char byte, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl)};
	if (recvmsg(chan, &msg, 0) != 1)
		die("recvmsg");
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	int fd;
	if (!c || c->cmsg_type != SCM_RIGHTS)
		die("no fd");
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void handoff(void)
{
	int chan[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, chan) < 0)
		die("socketpair");
	int devnull = open("/dev/null", O_RDONLY);
	pid_t taker = fork();
	if (taker < 0)
		die("fork");
	if (taker == 0) {
		prctl(PR_SET_NAME, "sl-taker", 0, 0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		close(chan[0]);
		int slot = dup(devnull); /* where the listener will land */
		close(devnull);
		int fd = recv_fd(chan[1]);
		dup2(fd, slot); /* the listener replaces /dev/null: no count changes */
		close(fd);
		if (write(chan[1], "D", 1) != 1)
			die("ack");
		for (;;)
			pause();
	}
	prctl(PR_SET_NAME, "sl-giver", 0, 0, 0);
	close(chan[1]);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 8) < 0)
		die("listen");
	printf("ready %d\n", (int)taker);
	fflush(stdout);
	char line[16];
	if (!fgets(line, sizeof(line), stdin))
		exit(0);
	send_fd(chan[0], lfd);
	char ack;
	if (read(chan[0], &ack, 1) != 1)
		die("ack");
	dup2(devnull, lfd); /* the giver's copy becomes /dev/null: no count changes */
	printf("moved\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"mode", required_argument, NULL, 'm'},  {"port", required_argument, NULL, 'p'},
		{"every", required_argument, NULL, 'e'}, {"count", required_argument, NULL, 'c'},
		{"rate", required_argument, NULL, 'r'},  {"host", required_argument, NULL, 'H'},
		{0},
	};
	const char *mode = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm': mode = optarg; break;
		case 'p': opt_port = atoi(optarg); break;
		case 'e': opt_every = atoi(optarg); break;
		case 'c': opt_count = atoi(optarg); break;
		case 'r': opt_rate = atoi(optarg); break;
		case 'H':
			if (inet_pton(AF_INET, optarg, &opt_host) != 1)
				die("--host");
			break;
		default: return 2;
		}
	}
	if (!mode) {
		fprintf(stderr, "usage: sl-fixture --mode MODE [--port P] [--every MS] [--count N] "
				"[--rate N]\n");
		return 2;
	}
	char name[16];
	snprintf(name, sizeof(name), "sl-%s", mode);
	prctl(PR_SET_NAME, name, 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); /* never outlive the test */

	static const struct {
		const char *mode;
		void (*run)(void);
	} clients[] = {{"pool", pool},         {"churn-cli", churn}, {"half-cli", half_client},
		       {"fw2", fin_wait2},     {"fdhog", fdhog},     {"sockgrow", sockgrow},
		       {"listeners", listeners}, {"udps", udps},     {"handoff", handoff},
		       {"nsstorm", nsstorm},
		       {"keepalive", keepalive}, {"stream-cli", stream_client},
		       {"idle-pool", idle_pool}, {"warmup", warmup},  {"dips", dips},
		       {"stalled", stalled},   {"dialer", dialer},   {"hoard", hoard}};
	static const struct {
		const char *mode;
		enum srv kind;
	} servers[] = {{"peer", PEER}, {"echo", ECHO}, {"churn-srv", CHURN}, {"half-srv", HALF},
		       {"sink", SINK}, {"stream-srv", STREAM}, {"idle-srv", IDLE}};
	for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++)
		if (strcmp(mode, servers[i].mode) == 0)
			serve(servers[i].kind);
	for (size_t i = 0; i < sizeof(clients) / sizeof(clients[0]); i++)
		if (strcmp(mode, clients[i].mode) == 0)
			clients[i].run();
	if (strcmp(mode, "leak-unread") == 0)
		leak(0, 0);
	if (strcmp(mode, "leak-read") == 0)
		leak(1, 0);
	if (strcmp(mode, "leak-reset") == 0)
		leak(1, 1);
	fprintf(stderr, "sl-fixture: unknown mode %s\n", mode);
	return 2;
}
