/* test_source_bpf.c - the bpf source on a fake walk (sockiter_read is
 * wrapped to hand crafted records) and fake kernel counts (the protocols
 * and sockstat readers are wrapped): what it replays, what it counts
 * without listing, when it asks the dumper for what the walk cannot see,
 * and the census it leaves for attribution. */
#include <socklife/kstat.h>
#include <socklife/source_bpf.h>

#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#define NS_A 4026531840u
#define NS_B 4026531999u
#define NSFS_DEV 4

/* --- the fake kernel ------------------------------------------------------- */

static struct sockiter_sock recs[16];
static size_t nrecs;
static int walk_error;
static struct protocols kernel_pr;
static struct sockstat kernel_st;
static int counts_error;

int __wrap_sockiter_read(struct sockiter *it, const struct sockiter_sink *sink);
int __wrap_kstat_read_protocols(const char *path, struct protocols *out);
int __wrap_kstat_read_sockstat(const char *path, struct sockstat *out);

int __wrap_sockiter_read(struct sockiter *it, const struct sockiter_sink *sink)
{
	(void)it;
	for (size_t i = 0; i < nrecs; i++)
		sink->sock(&recs[i], sink->ctx);
	struct sockiter_task t = {.kind = SOCKITER_KIND_TASK, .version = SOCKITER_VERSION,
				  .tgid = 100, .tid = 100, .fds = 20, .netns = NS_A,
				  .nofile = 1024};
	sink->task(&t, sink->ctx);
	return walk_error;
}

int __wrap_kstat_read_protocols(const char *path, struct protocols *out)
{
	(void)path;
	*out = kernel_pr;
	return counts_error;
}

int __wrap_kstat_read_sockstat(const char *path, struct sockstat *out)
{
	(void)path;
	*out = kernel_st;
	return counts_error;
}

static struct sockiter_sock *rec(uint32_t ino, uint8_t family, uint16_t protocol, uint8_t type,
				 uint8_t state)
{
	struct sockiter_sock *r = &recs[nrecs++];
	*r = (struct sockiter_sock){.kind = SOCKITER_KIND_SOCK, .version = SOCKITER_VERSION,
				    .family = family, .protocol = protocol, .type = type,
				    .state = state, .tgid = 100, .fd = ino % 1000, .ino = ino,
				    .netns = NS_A, .cookie = ino, .lport = (uint16_t)(ino % 1000)};
	if (protocol == IPPROTO_TCP)
		r->flags = SOCKITER_F_TCP | SOCKITER_F_TIMES;
	return r;
}

static struct sockiter_sock *tcp(uint32_t ino, uint8_t state)
{
	return rec(ino, AF_INET, IPPROTO_TCP, SOCK_STREAM, state);
}

/* --- a fake dumper and the sink ------------------------------------------- */

struct dumper {
	struct source base;
	int calls;
	uint8_t protos; /* of the last call */
	int err;
};

static int dumper_read(struct source *base, const struct netns_entry *e,
		       const struct source_sink *sink, struct ns_read *out)
{
	struct dumper *d = (struct dumper *)base;
	(void)e, (void)sink;
	d->calls++;
	d->protos = sink->protos;
	if (d->err)
		return d->err;
	out->port_lo = 32768;
	out->port_hi = 60999;
	out->max_tw_buckets = 4096;
	for (int p = 0; p < PROTO_COUNT; p++)
		out->read[p] = sink->protos & (1u << p);
	return 0;
}

static struct dumper netlink = {{"netlink", NULL, dumper_read, NULL}, 0, 0, 0};
static struct dumper procfs = {{"procfs", NULL, dumper_read, NULL}, 0, 0, 0};

/* The prober: netlink asked for listeners alone, handing on `listening`. */
static struct sl_socket listening[4];
static size_t nlistening;
static uint32_t probed_states;
static int probes;

static int prober_read(struct source *base, const struct netns_entry *e,
		       const struct source_sink *sink, struct ns_read *out)
{
	(void)base, (void)e;
	probes++;
	probed_states = sink->tcp_states;
	assert_int_equal(sink->protos, 1u << PROTO_TCP);
	for (size_t i = 0; i < nlistening; i++)
		assert_int_equal(sink->socket(&listening[i], sink->ctx), 0);
	out->read[PROTO_TCP] = true;
	return 0;
}

static struct source prober = {"netlink", NULL, prober_read, NULL};

static void listener(uint64_t inode)
{
	listening[nlistening++] = (struct sl_socket){.cookie = inode, .inode = inode,
						     .proto = PROTO_TCP, .state = ST_LISTEN,
						     .family = AF_INET, .sport = 2024};
}

struct seen {
	uint64_t inodes[16];
	uint8_t states[16];
	size_t n;
};

static int on_socket(const struct sl_socket *s, void *ctx)
{
	struct seen *seen = ctx;
	seen->states[seen->n] = s->state;
	seen->inodes[seen->n++] = s->inode;
	return 0;
}

static struct seen read_ns(struct source *src, uint32_t ino, int32_t pid, struct ns_read *r)
{
	struct seen seen = {0};
	struct source_sink sink = {on_socket, NULL, &seen, SOURCE_ALL_PROTOS, 0, NULL};
	struct netns_entry e = {.id = {NSFS_DEV, ino}, .pid = pid};
	memset(r, 0, sizeof(*r));
	assert_int_equal(src->read_netns(src, &e, &sink, r), 0);
	return seen;
}

static struct source *fresh(struct census *c)
{
	struct source *src;
	nrecs = 0;
	walk_error = counts_error = 0;
	kernel_pr = (struct protocols){0};
	kernel_st = (struct sockstat){0};
	netlink = (struct dumper){{"netlink", NULL, dumper_read, NULL}, 0, 0, 0};
	procfs = (struct dumper){{"procfs", NULL, dumper_read, NULL}, 0, 0, 0};
	nlistening = 0;
	probes = 0;
	probed_states = 0;
	census_init(c);
	assert_int_equal(source_bpf_new(&src, NULL, &netlink.base, &procfs.base, &prober, "/proc",
				       NSFS_DEV, 60), 0);
	return src;
}

/* --- the cases ------------------------------------------------------------- */

/* Counts that agree: the walk alone, listeners first, a socket with two
 * holders once, request socks counted, a never-connected socket left for
 * attribution to report. */
static void test_counts_agree_the_walk_alone(void **state)
{
	(void)state;
	struct census c;
	struct source *src = fresh(&c);
	tcp(11, ST_ESTABLISHED);
	tcp(12, ST_LISTEN)->syn_queue = 2;
	tcp(11, ST_ESTABLISHED)->fd = 77; /* a second holder of 11 */
	tcp(13, ST_CLOSE);                /* created, never connected: unhashed */
	rec(14, AF_INET, IPPROTO_UDP, SOCK_DGRAM, ST_CLOSE)->lport = 53;
	rec(15, AF_UNIX, 0, SOCK_STREAM, ST_ESTABLISHED);
	rec(16, AF_NETLINK, 0, SOCK_RAW, ST_CLOSE); /* not counted */
	kernel_pr = (struct protocols){.tcp = 2, .udp = 1, .unix_ = 1};
	assert_int_equal(src->walk(src, &c), 0);

	struct ns_read r;
	struct seen seen = read_ns(src, NS_A, 100, &r);
	assert_int_equal(seen.n, 4);
	assert_int_equal(seen.inodes[0], 12); /* the listener first */
	assert_int_equal(seen.states[0], ST_LISTEN);
	assert_int_equal(r.mode, NS_MODE_BPF);
	assert_int_equal(r.syn_recv, 2);
	assert_true(r.read[PROTO_TCP] && r.read[PROTO_UDP] && r.read[PROTO_UNIX]);
	/* Nothing to dump, and no TIME_WAIT whose sysctls would matter: the
	 * namespace is never entered. */
	assert_int_equal(netlink.calls, 0);
	assert_int_equal(r.max_tw_buckets, 0);

	/* Every fd is in the census, the unhashed and the uncounted too. */
	const struct census_proc *p = census_find(&c, 100);
	assert_non_null(p);
	assert_int_equal(p->n, 7);
	assert_int_equal(p->nfds, 20);

	/* The next pass, the same. */
	assert_int_equal(src->walk(src, &c), 0);
	read_ns(src, NS_A, 100, &r);
	assert_int_equal(netlink.calls, 0);

	/* A namespace the walk saw nothing of, counts at zero: empty. */
	kernel_pr = (struct protocols){0};
	seen = read_ns(src, NS_B, 200, &r);
	assert_int_equal(seen.n, 0);
	src->free(src);
	census_free(&c);
}

/* What the walk cannot see makes a dump of that protocol only. */
static void test_disagreeing_protocols_are_dumped(void **state)
{
	(void)state;
	struct census c;
	struct source *src = fresh(&c);
	tcp(11, ST_ESTABLISHED);
	rec(14, AF_INET, IPPROTO_UDP, SOCK_DGRAM, ST_CLOSE)->lport = 53;
	struct sockiter_sock *gone = rec(15, AF_UNIX, 0, SOCK_STREAM, ST_ESTABLISHED);
	gone->flags = SOCKITER_F_PEER; /* peer_ino 0: the peer closed */
	gone->shutdown = 3;
	kernel_pr = (struct protocols){.tcp = 1, .udp = 1, .unix_ = 2}; /* its peer counts */
	kernel_st = (struct sockstat){.tcp_tw = 5};                       /* TIME_WAIT */
	assert_int_equal(src->walk(src, &c), 0);

	struct ns_read r;
	struct seen seen = read_ns(src, NS_A, 100, &r);
	/* The first pass counts TIME_WAIT (its sysctls read, nothing dumped);
	 * the second breaks it down. */
	assert_int_equal(netlink.calls, 1);
	assert_int_equal(netlink.protos, 0);
	assert_int_equal(r.time_wait, 5);
	assert_int_equal(src->walk(src, &c), 0);
	netlink.protos = 0;
	seen = read_ns(src, NS_A, 100, &r);
	assert_int_equal(netlink.protos, 1u << PROTO_TCP); /* TIME_WAIT's first breakdown */
	assert_int_equal(r.mode, NS_MODE_BPF_DUMP);
	assert_int_equal(seen.n, 2); /* UDP and UNIX from the walk; TCP was the dump's */
	assert_int_equal(r.syn_recv, 0);
	assert_int_equal(r.time_wait, 0);

	/* Until the next breakdown is due, TIME_WAIT is counted, not dumped;
	 * the sysctls (its limit) are those the dump read. */
	netlink.protos = 0xff;
	seen = read_ns(src, NS_A, 100, &r);
	assert_int_equal(netlink.protos, 0xff); /* not called */
	assert_int_equal(r.mode, NS_MODE_BPF);
	assert_int_equal(r.time_wait, 5);
	assert_int_equal(r.max_tw_buckets, 4096);
	assert_int_equal(seen.n, 3);

	/* An orphan (hashed, no fd): the count is one above the walk's. */
	kernel_st.tcp_tw = 0;
	kernel_pr.tcp = 2;
	read_ns(src, NS_A, 100, &r);
	assert_int_equal(netlink.protos, 1u << PROTO_TCP);

	/* A listener's unaccepted child: its state is only in a dump. */
	tcp(12, ST_LISTEN)->rqueue = 1;
	kernel_pr.tcp = 3;
	assert_int_equal(src->walk(src, &c), 0);
	read_ns(src, NS_A, 100, &r);
	assert_int_equal(netlink.protos, 1u << PROTO_TCP);

	/* No way to read the counts (no process in it): every protocol. */
	counts_error = -ENOENT;
	read_ns(src, NS_A, 0, &r);
	assert_int_equal(netlink.protos, (1u << PROTO_COUNT) - 1);
	src->free(src);
	census_free(&c);
}

/* The kernel counts more TCP sockets than the walk saw: when listeners no
 * walked fd holds make up the difference (a kernel listener, a holder the
 * walk cannot read), a dump of listeners alone settles it; otherwise TCP
 * is dumped whole. */
static void test_unwalked_listeners_spare_the_dump(void **state)
{
	(void)state;
	struct census c;
	struct source *src = fresh(&c);
	tcp(11, ST_ESTABLISHED);
	tcp(12, ST_LISTEN);
	kernel_pr = (struct protocols){.tcp = 3};
	listener(12);  /* walked: not the kernel's extra one */
	listener(900); /* no walked fd holds it */
	assert_int_equal(src->walk(src, &c), 0);

	struct ns_read r;
	struct seen seen = read_ns(src, NS_A, 100, &r);
	assert_int_equal(probes, 1);
	assert_int_equal(probed_states, 1u << ST_LISTEN);
	assert_int_equal(netlink.calls, 0); /* no whole dump */
	assert_int_equal(r.mode, NS_MODE_BPF_DUMP);
	assert_true(r.read[PROTO_TCP]);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.inodes[0], 900); /* listeners first, the probe's leading */
	assert_int_equal(seen.inodes[1], 12);
	assert_int_equal(seen.inodes[2], 11);

	/* One more, not a listener (an orphan): the listeners do not add up. */
	kernel_pr.tcp = 4;
	read_ns(src, NS_A, 100, &r);
	assert_int_equal(probes, 2);
	assert_int_equal(netlink.calls, 1);
	assert_int_equal(netlink.protos, 1u << PROTO_TCP);

	/* Not probed again for a while: dumped whole at once. */
	for (int pass = 1; pass < SOURCE_BPF_PROBE_RETRY; pass++) {
		assert_int_equal(src->walk(src, &c), 0);
		read_ns(src, NS_A, 100, &r);
	}
	assert_int_equal(probes, 2);
	assert_int_equal(netlink.calls, SOURCE_BPF_PROBE_RETRY);
	assert_int_equal(src->walk(src, &c), 0);
	read_ns(src, NS_A, 100, &r);
	assert_int_equal(probes, 3);

	/* Fewer in the kernel than walked (one closed since): no probe. */
	kernel_pr.tcp = 1;
	read_ns(src, NS_A, 100, &r);
	assert_int_equal(probes, 3);
	assert_int_equal(netlink.calls, SOURCE_BPF_PROBE_RETRY + 2);
	src->free(src);
	census_free(&c);
}

/* Entering refused: /proc/PID/net dumps instead, for good after EPERM. */
static void test_refused_setns_falls_back_to_procfs(void **state)
{
	(void)state;
	struct census c;
	struct source *src = fresh(&c);
	tcp(11, ST_ESTABLISHED);
	kernel_pr = (struct protocols){.tcp = 2}; /* an orphan: TCP is dumped */
	netlink.err = -EPERM;
	assert_int_equal(src->walk(src, &c), 0);
	struct ns_read r;
	read_ns(src, NS_A, 100, &r);
	assert_int_equal(procfs.calls, 1);
	assert_true(r.setns_refused);
	assert_int_equal(r.mode, NS_MODE_BPF_PROCFS);
	read_ns(src, NS_B, 200, &r);
	assert_int_equal(netlink.calls, 1); /* not tried again */
	assert_int_equal(procfs.calls, 2);
	src->free(src);
	census_free(&c);
}

/* A walk that fails says so, and leaves nothing to replay. */
static void test_failed_walk(void **state)
{
	(void)state;
	struct census c;
	struct source *src = fresh(&c);
	tcp(11, ST_ESTABLISHED);
	walk_error = -EBADMSG;
	assert_int_equal(src->walk(src, &c), -EBADMSG);
	src->free(src);
	census_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_agree_the_walk_alone),
		cmocka_unit_test(test_unwalked_listeners_spare_the_dump),
		cmocka_unit_test(test_disagreeing_protocols_are_dumped),
		cmocka_unit_test(test_refused_setns_falls_back_to_procfs),
		cmocka_unit_test(test_failed_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
