/* sockiter.c - read the task_file iterator's records; see sockiter.h.
 *
 * The parser is a pure function of the bytes it is given; only
 * sockiter_open() and sockiter_read() touch the kernel.  Built with
 * -DSOCKLIFE_BPF=OFF, the I/O half is a stub returning -EOPNOTSUPP and
 * the parser stays (it needs nothing but the record layout). */
#include <socklife/sockiter.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* --- the parser ------------------------------------------------------- */

static const size_t record_size[SOCKITER_KIND_COUNT] = {
	[SOCKITER_KIND_SOCK] = sizeof(struct sockiter_sock),
	[SOCKITER_KIND_TASK] = sizeof(struct sockiter_task),
	[SOCKITER_KIND_END] = sizeof(struct sockiter_end),
};

static int refuse(struct sockiter_parser *p)
{
	p->stats.malformed++;
	p->broken = true;
	return -EBADMSG;
}

/* Records are copied out: in the stream they sit at any alignment. */
static int on_sock(struct sockiter_parser *p, const unsigned char *rec)
{
	struct sockiter_sock r;
	memcpy(&r, rec, sizeof(r));
	p->stats.sockets++;
	if (p->sink->sock)
		p->sink->sock(&r, p->sink->ctx);
	return 0;
}

static int on_task(struct sockiter_parser *p, const unsigned char *rec)
{
	struct sockiter_task r;
	memcpy(&r, rec, sizeof(r));
	p->stats.tasks++;
	if (p->sink->task)
		p->sink->task(&r, p->sink->ctx);
	return 0;
}

/* The program counts what it wrote; a disagreement means records were lost
 * or invented on the way, and the pass cannot be trusted. */
static int on_end(struct sockiter_parser *p, const unsigned char *rec)
{
	struct sockiter_end e;
	memcpy(&e, rec, sizeof(e));
	if (e.sockets != p->stats.sockets || e.tasks != p->stats.tasks)
		return refuse(p);
	p->stats.shared = e.shared;
	p->stats.hz = e.hz;
	p->ended = true;
	return 0;
}

static int (*const deliver[SOCKITER_KIND_COUNT])(struct sockiter_parser *, const unsigned char *) = {
	[SOCKITER_KIND_SOCK] = on_sock,
	[SOCKITER_KIND_TASK] = on_task,
	[SOCKITER_KIND_END] = on_end,
};

/* One whole record whose kind is known. */
static int record(struct sockiter_parser *p, const unsigned char *rec)
{
	if (p->ended || rec[1] != SOCKITER_VERSION)
		return refuse(p);
	return deliver[rec[0]](p, rec);
}

void sockiter_parser_init(struct sockiter_parser *p, const struct sockiter_sink *sink)
{
	static const struct sockiter_sink none;
	*p = (struct sockiter_parser){.sink = sink ? sink : &none};
}

int sockiter_parse(struct sockiter_parser *p, const void *buf, size_t len)
{
	const unsigned char *b = buf;

	if (p->broken)
		return -EBADMSG;
	p->stats.bytes += len;
	while (len > 0) {
		/* A record's size follows from its first byte, its kind. */
		unsigned char kind = p->have ? p->part[0] : b[0];
		size_t size = kind < SOCKITER_KIND_COUNT ? record_size[kind] : 0;
		if (size == 0)
			return refuse(p);
		if (p->have == 0 && len >= size) {
			int err = record(p, b);
			if (err)
				return err;
			b += size;
			len -= size;
			continue;
		}
		/* Cut by a read() boundary: gather it in part. */
		size_t take = size - p->have < len ? size - p->have : len;
		memcpy(p->part + p->have, b, take);
		p->have += take;
		b += take;
		len -= take;
		if (p->have == size) {
			p->have = 0;
			int err = record(p, p->part);
			if (err)
				return err;
		}
	}
	return 0;
}

int sockiter_parse_finish(struct sockiter_parser *p)
{
	if (p->have)
		return refuse(p);
	return p->broken || !p->ended ? -EBADMSG : 0;
}

/* --- records as the daemon's sockets ----------------------------------- */

#define ANY_PROTOCOL 0xffff

/* Which sockets socklife counts, by family, type and protocol.  A UNIX
 * socket's protocol is whatever socket() was given (0 or PF_UNIX). */
static const struct {
	uint8_t family, type;
	uint16_t protocol;
	enum sl_proto proto;
} counted[] = {
	{AF_INET, SOCK_STREAM, IPPROTO_TCP, PROTO_TCP},
	{AF_INET6, SOCK_STREAM, IPPROTO_TCP, PROTO_TCP},
	{AF_INET, SOCK_DGRAM, IPPROTO_UDP, PROTO_UDP},
	{AF_INET6, SOCK_DGRAM, IPPROTO_UDP, PROTO_UDP},
	{AF_UNIX, SOCK_STREAM, ANY_PROTOCOL, PROTO_UNIX},
	{AF_UNIX, SOCK_DGRAM, ANY_PROTOCOL, PROTO_UNIX},
	{AF_UNIX, SOCK_SEQPACKET, ANY_PROTOCOL, PROTO_UNIX},
};

int sockiter_to_socket(const struct sockiter_sock *r, struct sl_socket *s)
{
	size_t i = 0;
	while (i < sizeof(counted) / sizeof(counted[0]) &&
	       (counted[i].family != r->family || counted[i].type != r->type ||
		(counted[i].protocol != ANY_PROTOCOL && counted[i].protocol != r->protocol)))
		i++;
	if (i == sizeof(counted) / sizeof(counted[0]))
		return -EPROTONOSUPPORT;
	if (!proto_has_state(counted[i].proto, r->state))
		return -ERANGE;
	*s = (struct sl_socket){
		.cookie = r->cookie,
		.inode = r->ino,
		.rqueue = r->rqueue,
		.wqueue = r->wqueue,
		.sport = r->lport,
		.dport = r->rport,
		.family = r->family,
		.proto = (uint8_t)counted[i].proto,
		.state = r->state,
		.has_info = (r->flags & SOCKITER_F_TIMES) != 0,
		.last_ack_recv_ms = r->last_ack_ms,
		.last_data_recv_ms = r->last_recv_ms,
		.last_data_sent_ms = r->last_send_ms,
		.type = r->type,
		.shutdown = r->shutdown,
		.has_peer = (r->flags & SOCKITER_F_PEER) != 0,
		.peer_inode = r->peer_ino,
	};
	if (r->family != AF_UNIX) {
		memcpy(s->saddr, r->laddr, sizeof(s->saddr));
		memcpy(s->daddr, r->raddr, sizeof(s->daddr));
	}
	/* Memory as sock_diag gives it (sockdiag.h): TCP and UDP only, none
	 * for a listener.  The record's wmem is sk_wmem_queued, which UDP
	 * does not use: a UDP socket's send direction reads 0 here. */
	if ((s->proto == PROTO_TCP || s->proto == PROTO_UDP) && s->state != ST_LISTEN) {
		s->rmem_bytes = r->rmem;
		s->wmem_bytes = r->wmem;
	}
	return 0;
}

/* The rates kernel/Kconfig.hz offers (every architecture socklife runs on
 * uses it). */
static const uint32_t tick_rates[] = {100, 250, 300, 1000};

uint32_t sockiter_hz_from(uint64_t jiffies, uint64_t ns)
{
	if (ns == 0)
		return 0;
	double rate = (double)jiffies * 1e9 / (double)ns;
	for (size_t i = 0; i < sizeof(tick_rates) / sizeof(tick_rates[0]); i++) {
		double off = rate / tick_rates[i] - 1;
		if (off > -0.08 && off < 0.08)
			return tick_rates[i];
	}
	return 0;
}

/* The reasons sockiter_open gives, as an operator reads them. */
static const struct {
	int err;
	const char *why;
} open_errors[] = {
	{EPERM, "not permitted: loading needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN"},
	{EACCES, "not permitted: loading needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN"},
	{EXDEV, "not in the host's pid namespace (a container needs hostPID)"},
	{ENOENT, "the kernel has no BTF (/sys/kernel/btf/vmlinux) or lacks a structure it reads"},
	{ESRCH, "the kernel lacks a structure or field the program reads"},
	{EINVAL, "the kernel's verifier refused the program"},
	{EOPNOTSUPP, "socklife was built without BPF (-DSOCKLIFE_BPF=OFF)"},
};

const char *sockiter_strerror(int err)
{
	for (size_t i = 0; i < sizeof(open_errors) / sizeof(open_errors[0]); i++)
		if (-err == open_errors[i].err)
			return open_errors[i].why;
	return strerror(-err);
}

/* --- I/O: load once, read a pass per call ------------------------------ */

#ifdef SOCKLIFE_HAVE_BPF

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sockiter.skel.h" /* generated by bpftool gen skeleton */

/* bpf_seq_read() hands out at most its 8-page buffer per read(); a bigger
 * buffer costs nothing and covers 64 KiB pages too. */
#define READ_BUF (512 * 1024)
/* The initial pid namespace's inode number (PROC_PID_INIT_INO). */
#define INIT_PIDNS_INO 0xEFFFFFFCU

struct sockiter {
	struct sockiter_bpf *skel;
	struct bpf_link *link;
	uint32_t hz;
	bool hz_measured;
	struct sockiter_stats last;
	unsigned char buf[READ_BUF];
};

static int clock_read(struct sockiter *it, uint64_t *jiffies, uint64_t *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, run);
	int err = bpf_prog_test_run_opts(bpf_program__fd(it->skel->progs.sockiter_clock), &run);
	if (err)
		return err;
	*jiffies = it->skel->bss->clock_jiffies;
	*ns = it->skel->bss->clock_ns;
	return 0;
}

/* Where no kernel config is readable (a container without /boot), take
 * jiffies and CLOCK_MONOTONIC twice, 100 ms apart, both read in one BPF
 * run.  jiffies follow the monotonic clock within a tick, so the rate is
 * right to a tick in 100: 10±1, 25±1, 30±1 or 100±1, never confused. */
static uint32_t measure_hz(struct sockiter *it)
{
	uint64_t j0, t0, j1, t1;
	struct timespec gap = {.tv_nsec = 100 * 1000 * 1000};

	if (clock_read(it, &j0, &t0))
		return 0;
	while (nanosleep(&gap, &gap) < 0 && errno == EINTR)
		;
	if (clock_read(it, &j1, &t1) || t1 <= t0 || j1 < j0)
		return 0;
	return sockiter_hz_from(j1 - j0, t1 - t0);
}

/* The walk covers the reader's pid namespace only, and the records carry
 * the initial namespace's pids: elsewhere both are wrong. */
static bool outside_initial_pidns(void)
{
	struct stat st;
	return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino != INIT_PIDNS_INO;
}

/* Pin the link, replacing what a previous run left at the path. */
static int pin(struct sockiter *it, const char *path)
{
	int err = bpf_link__pin(it->link, path);
	if (err == -EEXIST && unlink(path) == 0)
		err = bpf_link__pin(it->link, path);
	return err;
}

static int load(struct sockiter *it, const struct sockiter_opts *o)
{
	it->skel = sockiter_bpf__open();
	if (!it->skel)
		return errno ? -errno : -EINVAL;
	if (o->fail_load)
		return -o->fail_load;
	int err = sockiter_bpf__load(it->skel);
	if (err)
		return err;
	it->hz = o->measure_hz ? 0 : it->skel->kconfig->CONFIG_HZ;
	if (!it->hz) {
		it->hz = measure_hz(it);
		it->hz_measured = true;
		it->skel->bss->hz_measured = it->hz;
	}
	it->link = bpf_program__attach_iter(it->skel->progs.sockiter, NULL);
	if (!it->link)
		return errno ? -errno : -EINVAL;
	return o->pin_path ? pin(it, o->pin_path) : 0;
}

int sockiter_open_opts(struct sockiter **out, const struct sockiter_opts *opts)
{
	static const struct sockiter_opts defaults;
	const struct sockiter_opts *o = opts ? opts : &defaults;

	if (outside_initial_pidns())
		return -EXDEV;
	struct sockiter *it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	/* libbpf prints the verifier's log and its warnings to stderr by
	 * default; a module reports through its return value only. */
	libbpf_print_fn_t print = libbpf_set_print(NULL);
	int err = load(it, o);
	libbpf_set_print(print);
	if (err) {
		sockiter_close(it);
		return err;
	}
	*out = it;
	return 0;
}

static int drain(int fd, unsigned char *buf, size_t cap, struct sockiter_parser *p)
{
	for (;;) {
		ssize_t n = read(fd, buf, cap);
		if (n > 0) {
			int err = sockiter_parse(p, buf, (size_t)n);
			/* Stop at END: reading on would walk tasks created since. */
			if (err || p->ended)
				return err ? err : sockiter_parse_finish(p);
		} else if (n == 0) {
			return sockiter_parse_finish(p);
		} else if (errno != EINTR && errno != EAGAIN) {
			/* EAGAIN: bpf_seq_read() gives up after a million fds that
			 * wrote nothing (MAX_ITER_OBJECTS); the next read goes on. */
			return -errno;
		}
	}
}

int sockiter_read(struct sockiter *it, const struct sockiter_sink *sink)
{
	const char *pinned = bpf_link__pin_path(it->link);
	int fd = pinned ? open(pinned, O_RDONLY | O_CLOEXEC) : bpf_iter_create(bpf_link__fd(it->link));
	struct sockiter_parser p;

	if (fd < 0)
		return -errno;
	sockiter_parser_init(&p, sink);
	int err = drain(fd, it->buf, sizeof(it->buf), &p);
	close(fd);
	it->last = p.stats;
	return err;
}

const struct sockiter_stats *sockiter_last_stats(const struct sockiter *it)
{
	return &it->last;
}

uint32_t sockiter_hz(const struct sockiter *it, bool *measured)
{
	if (measured)
		*measured = it->hz_measured;
	return it->hz;
}

void sockiter_close(struct sockiter *it)
{
	if (!it)
		return;
	if (it->link && bpf_link__pin_path(it->link))
		bpf_link__unpin(it->link);
	bpf_link__destroy(it->link);
	sockiter_bpf__destroy(it->skel);
	free(it);
}

#else /* !SOCKLIFE_HAVE_BPF: built without the BPF program */

int sockiter_open_opts(struct sockiter **out, const struct sockiter_opts *opts)
{
	(void)out, (void)opts;
	return -EOPNOTSUPP;
}

int sockiter_read(struct sockiter *it, const struct sockiter_sink *sink)
{
	(void)it, (void)sink;
	return -EOPNOTSUPP;
}

const struct sockiter_stats *sockiter_last_stats(const struct sockiter *it)
{
	static const struct sockiter_stats none;
	(void)it;
	return &none;
}

uint32_t sockiter_hz(const struct sockiter *it, bool *measured)
{
	(void)it;
	if (measured)
		*measured = false;
	return 0;
}

void sockiter_close(struct sockiter *it)
{
	(void)it;
}

#endif

int sockiter_open(struct sockiter **out)
{
	return sockiter_open_opts(out, NULL);
}
