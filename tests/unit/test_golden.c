/* test_golden.c - a fixed fake world through whole passes, compared with
 * golden files byte for byte.
 *
 * The world is a fake proc tree (two network namespaces, a forked worker
 * sharing a listener, stale and young CLOSE_WAIT, FIN_WAIT2, an unhashed
 * socket fd, UDP, UNIX with a gone peer, a container, an fd hog, kernel
 * sockets, an unowned socket, a repeated socket) and canned sock_diag
 * replies.  Only the I/O edges are faked, by wrapping them at link time
 * (-Wl,--wrap): opening and dumping sock_diag sockets, entering network
 * namespaces, the kernel's figures and the sockfs protocol xattr.  Three
 * passes change the world between them: a process gains a socket, a worker
 * exits, a pid is reused by a new process, a socket moves to a process whose
 * fd count did not change.
 *
 * What a pass publishes (the exposition, the landing page, the terminal
 * frame) is compared with tests/unit/golden/, minus what depends on the
 * clock or the machine: durations, timestamps, socklife's own resource
 * use, and the inode in an unnamed namespace's label.  Regenerate with
 * SOCKLIFE_GOLDEN_UPDATE=1 only for a change of behaviour the commit names. */
#include <socklife/config.h>
#include <socklife/kstat.h>
#include <socklife/netns.h>
#include <socklife/sample.h>
#include <socklife/selfstat.h>
#include <socklife/sockdiag.h>
#include <socklife/top.h>

#include "testutil.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#ifndef GOLDEN_DIR
#error "GOLDEN_DIR must name the directory of the golden files"
#endif

/* --- the world ----------------------------------------------------------- */

enum { NS_HOST, NS_B };

struct canned {
	int ns;
	int from_pass, to_pass; /* present in passes [from, to]; 0 = open end */
	struct sl_socket s;
	uint32_t info_ms;       /* tcp_info last_ack_recv for CLOSE_WAIT/FIN_WAIT2 */
};

#define TCP(st) .proto = PROTO_TCP, .state = (st), .family = AF_INET
#define TCP6(st) .proto = PROTO_TCP, .state = (st), .family = AF_INET6

static const struct canned world[] = {
	/* nginx: a listener shared by the master and its forked worker. */
	/* Its accept queue holds 2 of 511 (the rqueue and wqueue of a listener). */
	{NS_HOST, 1, 0, {.cookie = 11, .inode = 1001, TCP(ST_LISTEN), .sport = 80, .rqueue = 2, .wqueue = 511}, 0},
	/* A slow client: 4 KiB queued to send. */
	{NS_HOST, 1, 0, {.cookie = 12, .inode = 1002, TCP(ST_ESTABLISHED), .sport = 80, .dport = 40001, .wmem_bytes = 4608}, 0},
	{NS_HOST, 1, 0, {.cookie = 13, .inode = 1003, TCP6(ST_ESTABLISHED), .sport = 80, .dport = 40002}, 0},
	{NS_HOST, 1, 0, {.cookie = 14, .inode = 1004, TCP(ST_CLOSE_WAIT), .sport = 80, .dport = 40003, .rqueue = 1}, 900000},
	{NS_HOST, 1, 1, {.cookie = 15, .inode = 1005, TCP(ST_ESTABLISHED), .sport = 80, .dport = 40004}, 0},
	/* python3: two CLOSE_WAIT (one stale), a stale FIN_WAIT2, UDP. */
	{NS_HOST, 1, 0, {.cookie = 21, .inode = 2001, TCP(ST_CLOSE_WAIT), .sport = 40100, .dport = 8080}, 700000},
	{NS_HOST, 1, 0, {.cookie = 22, .inode = 2002, TCP(ST_CLOSE_WAIT), .sport = 40101, .dport = 8080, .rqueue = 1}, 2000},
	{NS_HOST, 1, 0, {.cookie = 23, .inode = 2003, TCP(ST_FIN_WAIT2), .sport = 40102, .dport = 443}, 400000},
	{NS_HOST, 1, 0, {.cookie = 25, .inode = 2005, .proto = PROTO_UDP, .state = ST_CLOSE, .family = AF_INET, .sport = 53}, 0},
	{NS_HOST, 2, 0, {.cookie = 26, .inode = 2006, TCP(ST_CLOSE_WAIT), .sport = 40103, .dport = 8080}, 1000},
	/* A client that leaks: more peer-closed connections than a pool keeps. */
	{NS_HOST, 1, 0, {.cookie = 81, .inode = 8001, TCP(ST_CLOSE_WAIT), .sport = 40200, .dport = 5432}, 400000},
	{NS_HOST, 1, 0, {.cookie = 82, .inode = 8002, TCP(ST_CLOSE_WAIT), .sport = 40201, .dport = 5432}, 500000},
	{NS_HOST, 1, 0, {.cookie = 83, .inode = 8003, TCP(ST_CLOSE_WAIT), .sport = 40202, .dport = 5432, .rqueue = 1}, 600000},
	{NS_HOST, 1, 0, {.cookie = 84, .inode = 8004, TCP(ST_CLOSE_WAIT), .sport = 40203, .dport = 5432}, 700000},
	/* Kernel sockets: TIME_WAIT on both sides, a request socket. */
	{NS_HOST, 1, 0, {.cookie = 31, .inode = 0, TCP(ST_TIME_WAIT), .sport = 80, .dport = 40010}, 0},
	{NS_HOST, 1, 0, {.cookie = 32, .inode = 0, TCP(ST_TIME_WAIT), .sport = 80, .dport = 40011}, 0},
	{NS_HOST, 1, 0, {.cookie = 33, .inode = 0, TCP(ST_TIME_WAIT), .sport = 40012, .dport = 5432}, 0},
	{NS_HOST, 1, 0, {.cookie = 34, .inode = 0, TCP(ST_SYN_RECV), .sport = 80, .dport = 40013}, 0},
	/* Held by no fd anyone can see. */
	{NS_HOST, 1, 0, {.cookie = 41, .inode = 9999, TCP(ST_ESTABLISHED), .sport = 40020, .dport = 22}, 0},
	/* Held by the fd hog, which is near its limit. */
	{NS_HOST, 1, 0, {.cookie = 51, .inode = 4001, TCP(ST_ESTABLISHED), .sport = 40030, .dport = 6379}, 0},
	/* Passed to redis in pass 3, dup2'ed over an fd: its fd count stays. */
	{NS_HOST, 3, 0, {.cookie = 61, .inode = 6001, TCP(ST_ESTABLISHED), .sport = 6379, .dport = 40040}, 0},
	{NS_HOST, 1, 0, {.cookie = 62, .inode = 6002, TCP(ST_LISTEN), .sport = 6379}, 0},
	/* Namespace B: an app in a container, UNIX sockets, one peer gone. */
	{NS_B, 1, 2, {.cookie = 71, .inode = 3001, TCP(ST_ESTABLISHED), .sport = 40050, .dport = 443, .rmem_bytes = 70400}, 0},
	{NS_B, 1, 2, {.cookie = 72, .inode = 3002, .proto = PROTO_UNIX, .state = ST_ESTABLISHED, .family = AF_UNIX,
		      .type = SOCK_STREAM, .shutdown = 3, .has_peer = true, .peer_inode = 0}, 0},
	{NS_B, 1, 2, {.cookie = 73, .inode = 3003, .proto = PROTO_UNIX, .state = ST_LISTEN, .family = AF_UNIX,
		      .type = SOCK_STREAM}, 0},
	{NS_B, 1, 0, {.cookie = 74, .inode = 0, TCP(ST_TIME_WAIT), .sport = 40051, .dport = 443}, 0},
	/* The reused pid's new process holds a socket the old one did not. */
	{NS_B, 3, 0, {.cookie = 75, .inode = 3101, TCP(ST_CLOSE_WAIT), .sport = 40052, .dport = 443}, 0},
};
#define NWORLD (sizeof(world) / sizeof(world[0]))

#define DOCKER_CGROUP                                                                              \
	"0::/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" \
	".scope\n"

static char root[64];
static int pass;           /* 1, 2, 3 */
static _Thread_local int current_ns; /* the namespace this thread is in (setns is per thread) */
static struct netns_id ns_b_id;

/* Write a NUL-terminated text to the file named by fmt. */
static void put(const char *text, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	tu_write(text, strlen(text), "%s", path);
}

static void add_proc(int pid, const char *comm, unsigned long long start, const char *limit, int ns)
{
	tu_proc(root, pid, comm, start, limit);
	put("0::/user.slice\n", "%s/%d/cgroup", root, pid);
	/* Its namespace's TCP counters, as /proc/PID/net shows them. */
	tu_mkdirs("%s/%d/net", root, pid);
	put(ns == NS_HOST ? "Tcp: MaxConn RetransSegs OutRsts\nTcp: -1 18 2092\n"
			  : "Tcp: MaxConn RetransSegs OutRsts\nTcp: -1 0 3\n",
	    "%s/%d/net/snmp", root, pid);
	put(ns == NS_HOST ? "TcpExt: ListenOverflows ListenDrops\nTcpExt: 12 14\n"
			  : "TcpExt: ListenOverflows ListenDrops\nTcpExt: 0 0\n",
	    "%s/%d/net/netstat", root, pid);
	if (ns == NS_HOST)
		tu_symlink("/proc/self/ns/net", "%s/%d/ns/net", root, pid);
	else
		tu_symlink("../../netns-b", "%s/%d/ns/net", root, pid);
}

static void add_fd(int pid, int fd, const char *target) { tu_fd(root, pid, fd, target); }

static void add_socket_fd(int pid, int fd, unsigned inode) { tu_socket_fd(root, pid, fd, inode); }

static void remove_proc(int pid)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%d", root, pid);
	tu_rmtree(path);
}

static void build_world(void)
{
	assert_non_null(tu_mkdtemp(root));
	tu_mkdirs("%s/net", root);
	put("sockets: used 40\nTCP: inuse 9 orphan 2 tw 4 alloc 12 mem 1\nUDP: inuse 1 mem 0\n",
	    "%s/net/sockstat", root);
	put("b", "%s/netns-b", root);
	struct stat st;
	char path[128];
	snprintf(path, sizeof(path), "%s/netns-b", root);
	assert_int_equal(stat(path, &st), 0);
	ns_b_id = (struct netns_id){st.st_dev, st.st_ino};

	add_proc(1, "init", 1, "1024", NS_HOST);
	add_fd(1, 0, "/dev/null");
	add_proc(100, "nginx", 500, "1024", NS_HOST);
	add_fd(100, 0, "/dev/null");
	add_socket_fd(100, 3, 1001);
	add_socket_fd(100, 4, 1002);
	add_socket_fd(100, 5, 1003);
	add_socket_fd(100, 6, 1004);
	add_proc(101, "nginx", 510, "1024", NS_HOST); /* forked worker */
	add_socket_fd(101, 3, 1001);
	add_socket_fd(101, 4, 1005);
	put("0::/system.slice/nginx.service\n", "%s/100/cgroup", root);
	add_proc(200, "python3", 600, "unlimited", NS_HOST);
	tu_write("python3\0-u\0/srv/app/worker.py\0--port\0" "8080", 41, "%s/200/cmdline", root);
	add_socket_fd(200, 3, 2001);
	add_socket_fd(200, 4, 2002);
	add_socket_fd(200, 5, 2003);
	add_socket_fd(200, 6, 2004); /* TCP per its xattr, in no dump: unhashed */
	add_socket_fd(200, 7, 2005);
	add_proc(400, "fdhog", 700, "10", NS_HOST);
	for (int fd = 0; fd < 8; fd++)
		add_fd(400, fd, "/dev/null");
	add_socket_fd(400, 8, 4001);
	add_proc(600, "worker", 650, "1024", NS_HOST);
	for (int fd = 3; fd < 7; fd++)
		add_socket_fd(600, fd, (unsigned)(8001 + fd - 3));
	add_proc(500, "redis", 800, "4096", NS_HOST);
	add_socket_fd(500, 3, 6002);
	add_fd(500, 4, "/dev/null");
	add_proc(300, "app", 900, "1024", NS_B);
	add_socket_fd(300, 3, 3001);
	add_socket_fd(300, 4, 3002);
	add_socket_fd(300, 5, 3003);
	put(DOCKER_CGROUP, "%s/300/cgroup", root);
}

static void change_world(int next)
{
	if (next == 2) {
		add_socket_fd(200, 8, 2006); /* a new CLOSE_WAIT: fd count changes */
		remove_proc(101);            /* the worker exits */
	} else if (next == 3) {
		/* redis's /dev/null fd becomes a socket handed to it (dup2). */
		add_socket_fd(500, 4, 6001);
		/* pid 300 exits and a new process takes its pid. */
		remove_proc(300);
		add_proc(300, "app", 950, "1024", NS_B);
		add_socket_fd(300, 3, 3101);
		put(DOCKER_CGROUP, "%s/300/cgroup", root);
	}
}

/* --- the wrapped I/O edges ----------------------------------------------- */

struct sockdiag;
static struct sockdiag *fake_diag = (struct sockdiag *)&fake_diag;

int __wrap_sockdiag_open(struct sockdiag **out);
void __wrap_sockdiag_close(struct sockdiag *d);
int __wrap_sockdiag_dump(struct sockdiag *d, const struct sockdiag_request *req,
			 struct sockdiag_parser *p);
int __wrap_netns_enter(const struct netns_entry *e, const char *proc_root, const char *run_dir);
int __wrap_netns_names_refresh(struct netns_names *n, const char *proc_root, const char *run_dir,
			       uint64_t nsfs_dev);
int __real_netns_names_refresh(struct netns_names *n, const char *proc_root, const char *run_dir,
			       uint64_t nsfs_dev);
int __wrap_kstat_read_protocols(const char *path, struct protocols *out);
int __wrap_kstat_read_port_range(const char *path, uint16_t *lo, uint16_t *hi);
int __wrap_kstat_read_u64(const char *path, uint64_t *out);
void __wrap_selfstat_read(struct selfstat *s, double start_time);
void __wrap_kstat_read_figures(const char *proc_root, struct kernel_figures *k);
void __real_kstat_read_figures(const char *proc_root, struct kernel_figures *k);
ssize_t __wrap_getxattr(const char *path, const char *name, void *value, size_t size);
int __wrap_clock_gettime(clockid_t clock, struct timespec *ts);
int __real_clock_gettime(clockid_t clock, struct timespec *ts);

/* The clock: passes run 90 s apart on both clocks, so every age and
 * persistence is exact.  Other clocks (CPU time) are real. */
static double fake_now;

int __wrap_clock_gettime(clockid_t clock, struct timespec *ts)
{
	if (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME)
		return __real_clock_gettime(clock, ts);
	double t = fake_now + (clock == CLOCK_REALTIME ? 1700000000 : 0);
	ts->tv_sec = (time_t)t;
	ts->tv_nsec = (long)((t - (double)ts->tv_sec) * 1e9);
	return 0;
}

int __wrap_sockdiag_open(struct sockdiag **out)
{
	*out = fake_diag;
	return 0;
}

void __wrap_sockdiag_close(struct sockdiag *d) { (void)d; }

static bool family_matches(uint8_t want, const struct sl_socket *s)
{
	return s->proto == PROTO_UNIX || want == AF_UNSPEC || want == s->family;
}

int __wrap_sockdiag_dump(struct sockdiag *d, const struct sockdiag_request *req,
			 struct sockdiag_parser *p)
{
	(void)d;
	for (size_t i = 0; i < NWORLD; i++) {
		const struct canned *c = &world[i];
		if (c->ns != current_ns || pass < c->from_pass || (c->to_pass && pass > c->to_pass))
			continue;
		if (c->s.proto != req->proto || !family_matches(req->family, &c->s) ||
		    !(req->states & (1u << c->s.state)))
			continue;
		struct sl_socket s = c->s;
		if (s.family == AF_INET) { /* this host is 10.0.0.1; peers 10.1.0.x */
			memcpy(s.saddr, (const uint8_t[]){10, 0, 0, 1}, 4);
			memcpy(s.daddr, (const uint8_t[]){10, 1, 0, (uint8_t)(s.dport % 7)}, 4);
		}
		if (req->tcp_info) { /* silent since info_ms before pass 1: nothing sent,
				      * received or acked */
			uint32_t silent = c->info_ms ? c->info_ms + 90000u * (uint32_t)(pass - 1) : 0;
			s.has_info = true;
			s.last_ack_recv_ms = s.last_data_recv_ms = s.last_data_sent_ms = silent;
		}
		int err = sockdiag_deliver(p, &s);
		if (err)
			return err;
		/* The dump walks a changing hash: it shows one socket twice. */
		if (c->s.cookie == 12 && !req->tcp_info && (err = sockdiag_deliver(p, &s)))
			return err;
	}
	return 0;
}

int __wrap_netns_enter(const struct netns_entry *e, const char *proc_root, const char *run_dir)
{
	(void)proc_root, (void)run_dir;
	if (e->id.dev != ns_b_id.dev || e->id.ino != ns_b_id.ino)
		return -ENOENT;
	current_ns = NS_B;
	return 0;
}

/* The machine's real /run/netns holds other tests' namespaces: not ours. */
int __wrap_netns_names_refresh(struct netns_names *n, const char *proc_root, const char *run_dir,
			       uint64_t nsfs_dev)
{
	(void)run_dir;
	return __real_netns_names_refresh(n, proc_root, "/nonexistent/netns", nsfs_dev);
}

/* Unknown: every protocol is dumped. */
int __wrap_kstat_read_protocols(const char *path, struct protocols *out)
{
	(void)path, (void)out;
	return -ENOENT;
}

int __wrap_kstat_read_port_range(const char *path, uint16_t *lo, uint16_t *hi)
{
	(void)path;
	*lo = 32768;
	*hi = 60999;
	return 0;
}

int __wrap_kstat_read_u64(const char *path, uint64_t *out)
{
	*out = strstr(path, "tcp_max_orphans") ? 65536 : 262144;
	return 0;
}

/* Orphans and TCP memory come from the fake tree's sockstat; their limits
 * are fixed here. */
void __wrap_kstat_read_figures(const char *proc_root, struct kernel_figures *k)
{
	__real_kstat_read_figures(proc_root, k);
	k->tcp_max_orphans = 65536;
	k->max_orphans_known = true;
	k->tcp_mem_limit[TCP_MEM_MIN] = 21000;
	k->tcp_mem_limit[TCP_MEM_PRESSURE] = 28000;
	k->tcp_mem_limit[TCP_MEM_MAX] = 42000;
	k->tcp_mem_limit_known = true;
}

void __wrap_selfstat_read(struct selfstat *s, double start_time)
{
	(void)start_time;
	*s = (struct selfstat){.known = {true, true, true, true}};
}

/* The sockfs protocol name of /proc/PID/fd/N: the fake fds are symlinks
 * to nowhere, so answer by inode. */
ssize_t __wrap_getxattr(const char *path, const char *name, void *value, size_t size)
{
	(void)name;
	char link[64];
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = '\0';
	const char *proto = strstr(link, "[2004]") ? "TCP" : "NETLINK";
	size_t len = strlen(proto);
	if (len > size) {
		errno = ERANGE;
		return -1;
	}
	memcpy(value, proto, len);
	return (ssize_t)len;
}

/* --- what a pass publishes, without what the clock decides ---------------- */

static const char *const volatile_prefixes[] = {
	"socklife_scan_duration_seconds", "socklife_last_scan_timestamp_seconds",
	"socklife_build_info", "# HELP socklife_build_info", "# TYPE socklife_build_info",
	"process_", "# HELP process_", "# TYPE process_", "socklife_capability{",
	"socklife_netns_shared_tcp_hash ", /* the real sysctl of the test's namespace */
	"<p>Last scan:", "socklife top ",
};

static bool is_volatile(const char *line, size_t len)
{
	for (size_t i = 0; i < sizeof(volatile_prefixes) / sizeof(volatile_prefixes[0]); i++) {
		size_t pl = strlen(volatile_prefixes[i]);
		if (len >= pl && memcmp(line, volatile_prefixes[i], pl) == 0)
			return true;
	}
	return false;
}

/* Copy `in` to `out` without volatile lines, with namespace B's label
 * (ns-<inode of a temporary file>) written as ns-B. */
static void stable(struct strbuf *out, const char *in, size_t len)
{
	char label[64];
	snprintf(label, sizeof(label), "ns-%llu", (unsigned long long)ns_b_id.ino);
	size_t ll = strlen(label);
	for (const char *p = in, *end = in + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (!is_volatile(p, n)) {
			for (size_t i = 0; i < n; i++) {
				if (n - i >= ll && memcmp(p + i, label, ll) == 0 &&
				    !(i + ll < n && p[i + ll] >= '0' && p[i + ll] <= '9')) {
					sb_puts(out, "ns-B");
					i += ll - 1;
				} else {
					sb_putc(out, p[i]);
				}
			}
		}
		p += n;
	}
}

static void compare(const char *name, const struct strbuf *got)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, name);
	const char *update = getenv("SOCKLIFE_GOLDEN_UPDATE");
	if (update && *update == '1') {
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fwrite(got->buf, 1, got->len, f);
		fclose(f);
		return;
	}
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("no golden file %s (SOCKLIFE_GOLDEN_UPDATE=1 writes it)", path);
	static char want[1 << 20];
	size_t n = fread(want, 1, sizeof(want) - 1, f);
	fclose(f);
	want[n] = '\0';
	if (n != got->len || memcmp(want, got->buf, n) != 0) {
		/* Point at the first line that differs. */
		size_t i = 0, line = 1;
		while (i < n && i < got->len && want[i] == got->buf[i])
			line += want[i++] == '\n';
		fail_msg("%s differs from its golden file at line %zu (got %zu bytes, want %zu)",
			 name, line, got->len, n);
	}
}

static void run_world(const char *tag, const char *group_by)
{
	char *argv[] = {"socklife", "--once", "--proc-root", root, "--group-by", (char *)group_by,
			"--leak.unix-peer-gone-age", "1m", "--resolve.verify-passes", "20",
			"--interval", "90s", NULL};
	struct config cfg;
	build_world();
	FILE *devnull = fopen("/dev/null", "w");
	assert_int_equal(config_parse(&cfg, 12, argv, devnull, stderr), CONFIG_RUN);
	fclose(devnull);

	struct sampler s;
	assert_int_equal(sampler_init(&s, &cfg, 1700000000, NULL), 0);
	for (pass = 1; pass <= 3; pass++) {
		fake_now = 1000 + 90.0 * (pass - 1);
		if (pass > 1)
			change_world(pass);
		struct snapshot *snap;
		assert_int_equal(sampler_pass(&s, &snap), 0);
		assert_non_null(snap);

		char name[64];
		struct strbuf got = STRBUF_INIT;
		stable(&got, snap->metrics, snap->metrics_len);
		snprintf(name, sizeof(name), "%s-pass%d.prom", tag, pass);
		compare(name, &got);

		sb_reset(&got);
		stable(&got, snap->page, snap->page_len);
		snprintf(name, sizeof(name), "%s-pass%d.html", tag, pass);
		compare(name, &got);

		struct strbuf frame = STRBUF_INIT;
		struct page_input in = sampler_view(&s);
		struct top_view v = {TOP_WIDTH, 40, true, false, &cfg.leak};
		top_render(&frame, &in, &v);
		sb_reset(&got);
		stable(&got, frame.buf, frame.len);
		snprintf(name, sizeof(name), "%s-pass%d.top", tag, pass);
		compare(name, &got);
		sb_free(&frame);
		sb_free(&got);
		snapshot_unref(snap);
	}
	sampler_free(&s);
	tu_rmtree(root);
}

static void test_grouped_by_comm(void **state)
{
	(void)state;
	run_world("comm", "comm");
}

static void test_grouped_by_pid(void **state)
{
	(void)state;
	run_world("pid", "pid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grouped_by_comm),
		cmocka_unit_test(test_grouped_by_pid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
