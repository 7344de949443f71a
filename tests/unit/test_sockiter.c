/* test_sockiter.c - the iterator's record parser on crafted bytes (whole
 * passes, every split across read() boundaries, malformed streams), the
 * conversion to the daemon's socket, and the tick-rate estimate. */
#include <socklife/sockiter.h>

#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

struct stream {
	unsigned char data[2048];
	size_t len;
};

static void put(struct stream *s, const void *rec, size_t size)
{
	assert_true(s->len + size <= sizeof(s->data));
	memcpy(s->data + s->len, rec, size);
	s->len += size;
}

static struct sockiter_sock sock_rec(uint32_t tgid, uint32_t fd, uint32_t ino)
{
	return (struct sockiter_sock){
		.kind = SOCKITER_KIND_SOCK, .version = SOCKITER_VERSION, .family = AF_INET,
		.state = ST_CLOSE_WAIT, .protocol = IPPROTO_TCP, .type = SOCK_STREAM,
		.tgid = tgid, .fd = fd, .ino = ino, .netns = 4026531840u,
		.cookie = 0x1122334455667788ULL, .laddr = {127, 0, 0, 1}, .lport = 8080,
		.rport = 51000, .rqueue = 1, .flags = SOCKITER_F_TCP | SOCKITER_F_TIMES,
		.last_recv_ms = 2000, .last_ack_ms = 1500,
	};
}

static struct sockiter_task task_rec(uint32_t tgid, uint32_t fds)
{
	return (struct sockiter_task){.kind = SOCKITER_KIND_TASK, .version = SOCKITER_VERSION,
				      .tgid = tgid, .tid = tgid, .fds = fds, .netns = 4026531840u,
				      .nofile = 1024};
}

static void put_end(struct stream *s, uint32_t sockets, uint32_t tasks)
{
	struct sockiter_end e = {.kind = SOCKITER_KIND_END, .version = SOCKITER_VERSION,
				 .sockets = sockets, .tasks = tasks, .shared = 1, .hz = 250};
	put(s, &e, sizeof(e));
}

/* Two processes: 100 holds fds 3 and 7, 200 holds fd 4. */
static void normal_pass(struct stream *s)
{
	struct sockiter_sock a = sock_rec(100, 3, 11), b = sock_rec(100, 7, 12), c = sock_rec(200, 4, 13);
	struct sockiter_task t1 = task_rec(100, 9), t2 = task_rec(200, 5);
	put(s, &a, sizeof(a));
	put(s, &b, sizeof(b));
	put(s, &t1, sizeof(t1));
	put(s, &c, sizeof(c));
	put(s, &t2, sizeof(t2));
	put_end(s, 3, 2);
}

struct seen {
	struct sockiter_sock socks[8];
	struct sockiter_task tasks[8];
	size_t nsocks, ntasks;
	char order[16]; /* 's' and 't' in arrival order */
};

static void on_sock(const struct sockiter_sock *r, void *ctx)
{
	struct seen *s = ctx;
	if (s->nsocks < 8)
		s->socks[s->nsocks++] = *r;
	s->order[strlen(s->order)] = 's';
}

static void on_task(const struct sockiter_task *r, void *ctx)
{
	struct seen *s = ctx;
	if (s->ntasks < 8)
		s->tasks[s->ntasks++] = *r;
	s->order[strlen(s->order)] = 't';
}

static void check_normal(const struct seen *s, const struct sockiter_parser *p)
{
	assert_string_equal(s->order, "sstst");
	assert_int_equal(s->socks[0].tgid, 100);
	assert_int_equal(s->socks[0].fd, 3);
	assert_int_equal(s->socks[1].fd, 7);
	assert_int_equal(s->socks[2].tgid, 200);
	assert_int_equal(s->socks[2].ino, 13);
	assert_true(s->socks[0].cookie == 0x1122334455667788ULL);
	assert_int_equal(s->socks[0].netns, 4026531840u);
	assert_int_equal(s->socks[0].last_recv_ms, 2000);
	assert_memory_equal(s->socks[0].laddr, ((uint8_t[]){127, 0, 0, 1}), 4);
	assert_int_equal(s->tasks[0].fds, 9);
	assert_int_equal(s->tasks[1].tgid, 200);
	assert_int_equal(s->tasks[1].nofile, 1024);
	assert_int_equal(p->stats.sockets, 3);
	assert_int_equal(p->stats.tasks, 2);
	assert_int_equal(p->stats.shared, 1);
	assert_int_equal(p->stats.hz, 250);
	assert_int_equal(p->stats.malformed, 0);
}

static void test_whole_pass(void **state)
{
	(void)state;
	struct stream s = {0};
	struct seen seen = {0};
	struct sockiter_sink sink = {.sock = on_sock, .task = on_task, .ctx = &seen};
	struct sockiter_parser p;

	normal_pass(&s);
	sockiter_parser_init(&p, &sink);
	assert_int_equal(sockiter_parse(&p, s.data, s.len), 0);
	assert_int_equal(sockiter_parse_finish(&p), 0);
	assert_true(p.ended);
	assert_int_equal(p.stats.bytes, s.len);
	check_normal(&seen, &p);
}

/* bpf_seq_read() returns whole records into a big enough buffer, but a
 * smaller one (or 64 KiB pages) cuts them anywhere. */
static void test_every_split(void **state)
{
	(void)state;
	struct stream s = {0};
	normal_pass(&s);
	for (size_t chunk = 1; chunk <= s.len; chunk++) {
		struct seen seen = {0};
		struct sockiter_sink sink = {.sock = on_sock, .task = on_task, .ctx = &seen};
		struct sockiter_parser p;
		sockiter_parser_init(&p, &sink);
		for (size_t off = 0; off < s.len; off += chunk) {
			size_t n = s.len - off < chunk ? s.len - off : chunk;
			assert_int_equal(sockiter_parse(&p, s.data + off, n), 0);
		}
		assert_int_equal(sockiter_parse_finish(&p), 0);
		check_normal(&seen, &p);
	}
}

static void test_no_callbacks(void **state)
{
	(void)state;
	struct stream s = {0};
	struct sockiter_parser p;
	normal_pass(&s);
	sockiter_parser_init(&p, NULL);
	assert_int_equal(sockiter_parse(&p, s.data, s.len), 0);
	assert_int_equal(sockiter_parse_finish(&p), 0);
	assert_int_equal(p.stats.sockets, 3);
}

static void expect_refused(struct stream *s, size_t delivered)
{
	struct seen seen = {0};
	struct sockiter_sink sink = {.sock = on_sock, .task = on_task, .ctx = &seen};
	struct sockiter_parser p;
	sockiter_parser_init(&p, &sink);
	assert_int_equal(sockiter_parse(&p, s->data, s->len), -EBADMSG);
	assert_int_equal(p.stats.malformed, 1);
	assert_true(p.broken);
	assert_int_equal(seen.nsocks + seen.ntasks, delivered);
	/* Broken stays broken: nothing after is parsed or counted again. */
	assert_int_equal(sockiter_parse(&p, s->data, s->len), -EBADMSG);
	assert_int_equal(sockiter_parse_finish(&p), -EBADMSG);
	assert_int_equal(p.stats.malformed, 1);
}

static void test_unknown_kind(void **state)
{
	(void)state;
	static const uint8_t kinds[] = {SOCKITER_KIND_NONE, SOCKITER_KIND_COUNT, 0x7f, 0xff};
	for (size_t i = 0; i < sizeof(kinds); i++) {
		struct stream s = {0};
		struct sockiter_sock a = sock_rec(1, 3, 4);
		put(&s, &a, sizeof(a));
		a.kind = kinds[i];
		put(&s, &a, sizeof(a));
		expect_refused(&s, 1);
	}
}

static void test_wrong_version(void **state)
{
	(void)state;
	struct stream s = {0};
	struct sockiter_task t = task_rec(1, 1);
	t.version = SOCKITER_VERSION + 1;
	put(&s, &t, sizeof(t));
	expect_refused(&s, 0);
}

static void test_record_after_end(void **state)
{
	(void)state;
	struct stream s = {0};
	struct sockiter_task t = task_rec(1, 1);
	put_end(&s, 0, 0);
	put(&s, &t, sizeof(t));
	expect_refused(&s, 0);
}

/* END counts what the program wrote; fewer or more records arriving means
 * the pass was damaged. */
static void test_end_disagrees(void **state)
{
	(void)state;
	struct stream s = {0};
	struct sockiter_sock a = sock_rec(1, 3, 4);
	struct sockiter_task t = task_rec(1, 4);
	put(&s, &a, sizeof(a));
	put(&s, &t, sizeof(t));
	put_end(&s, 2, 1);
	expect_refused(&s, 2);

	struct stream s2 = {0};
	put(&s2, &a, sizeof(a));
	put(&s2, &t, sizeof(t));
	put_end(&s2, 1, 2);
	expect_refused(&s2, 2);
}

static void test_cut_pass(void **state)
{
	(void)state;
	struct stream s = {0};
	struct sockiter_parser p;
	normal_pass(&s);

	/* No END: the reader stopped early or the walk failed. */
	sockiter_parser_init(&p, NULL);
	assert_int_equal(sockiter_parse(&p, s.data, s.len - sizeof(struct sockiter_end)), 0);
	assert_int_equal(sockiter_parse_finish(&p), -EBADMSG);
	assert_int_equal(p.stats.malformed, 0);

	/* A record cut short by the end of the bytes. */
	sockiter_parser_init(&p, NULL);
	assert_int_equal(sockiter_parse(&p, s.data, 50), 0);
	assert_int_equal(p.stats.sockets, 0);
	assert_int_equal(sockiter_parse_finish(&p), -EBADMSG);
	assert_int_equal(p.stats.malformed, 1);

	/* Nothing at all is not a pass either. */
	sockiter_parser_init(&p, NULL);
	assert_int_equal(sockiter_parse_finish(&p), -EBADMSG);
}

static void test_to_socket(void **state)
{
	(void)state;
	struct sl_socket s;
	struct sockiter_sock r = sock_rec(1, 3, 99);

	assert_int_equal(sockiter_to_socket(&r, &s), 0);
	assert_int_equal(s.proto, PROTO_TCP);
	assert_int_equal(s.state, ST_CLOSE_WAIT);
	assert_int_equal(s.inode, 99);
	assert_int_equal(s.sport, 8080);
	assert_int_equal(s.dport, 51000);
	assert_int_equal(s.rqueue, 1);
	assert_true(s.cookie == 0x1122334455667788ULL);
	assert_true(s.has_info);
	assert_int_equal(s.last_ack_recv_ms, 1500);
	assert_int_equal(s.rmem_bytes, 0);

	/* Memory held, as sock_diag's MEMINFO gives it; none for a listener. */
	r.rmem = 70000;
	r.wmem = 9000;
	assert_int_equal(sockiter_to_socket(&r, &s), 0);
	assert_int_equal(s.rmem_bytes, 70000);
	assert_int_equal(s.wmem_bytes, 9000);
	r.state = ST_LISTEN;
	assert_int_equal(sockiter_to_socket(&r, &s), 0);
	assert_int_equal(s.rmem_bytes, 0);
	assert_int_equal(s.wmem_bytes, 0);
	r = sock_rec(1, 3, 99);

	r.family = AF_INET6;
	assert_int_equal(sockiter_to_socket(&r, &s), 0);
	assert_int_equal(s.family, AF_INET6);

	r.protocol = IPPROTO_UDP;
	r.type = SOCK_DGRAM;
	r.state = ST_CLOSE;
	assert_int_equal(sockiter_to_socket(&r, &s), 0);
	assert_int_equal(s.proto, PROTO_UDP);
	r.state = ST_LISTEN; /* UDP never listens */
	assert_int_equal(sockiter_to_socket(&r, &s), -ERANGE);

	/* A raw socket may carry protocol 6: it is no TCP socket. */
	r = sock_rec(1, 3, 99);
	r.type = SOCK_RAW;
	assert_int_equal(sockiter_to_socket(&r, &s), -EPROTONOSUPPORT);
	r.family = AF_NETLINK;
	r.type = SOCK_DGRAM;
	assert_int_equal(sockiter_to_socket(&r, &s), -EPROTONOSUPPORT);
}

/* The UNIX twin of CLOSE_WAIT, judged by the same predicate as a dump's. */
static void test_unix_peer(void **state)
{
	(void)state;
	struct sl_socket s;
	struct sockiter_sock r = {.kind = SOCKITER_KIND_SOCK, .version = SOCKITER_VERSION,
				  .family = AF_UNIX, .type = SOCK_STREAM, .state = ST_ESTABLISHED,
				  .shutdown = 3, .flags = SOCKITER_F_PEER, .peer_ino = 0};

	assert_int_equal(sockiter_to_socket(&r, &s), 0);
	assert_int_equal(s.proto, PROTO_UNIX);
	assert_true(s.has_peer);
	assert_true(sockdiag_unix_peer_gone(&s));

	r.peer_ino = 4242; /* the peer still has an fd */
	r.shutdown = 0;
	assert_int_equal(sockiter_to_socket(&r, &s), 0);
	assert_false(sockdiag_unix_peer_gone(&s));

	r.protocol = 1; /* socket(AF_UNIX, SOCK_SEQPACKET, PF_UNIX) */
	r.type = SOCK_SEQPACKET;
	r.peer_ino = 0;
	r.shutdown = 3;
	assert_int_equal(sockiter_to_socket(&r, &s), 0);
	assert_true(sockdiag_unix_peer_gone(&s));

	r.type = SOCK_DGRAM; /* a datagram socket has no connection to lose */
	assert_int_equal(sockiter_to_socket(&r, &s), 0);
	assert_false(sockdiag_unix_peer_gone(&s));
}

static void test_hz_from(void **state)
{
	(void)state;
	const uint64_t ms100 = 100000000;
	assert_int_equal(sockiter_hz_from(10, ms100), 100);
	assert_int_equal(sockiter_hz_from(25, ms100), 250);
	assert_int_equal(sockiter_hz_from(24, ms100), 250); /* a tick either side */
	assert_int_equal(sockiter_hz_from(26, ms100), 250);
	assert_int_equal(sockiter_hz_from(29, ms100), 300);
	assert_int_equal(sockiter_hz_from(31, ms100), 300);
	assert_int_equal(sockiter_hz_from(100, ms100), 1000);
	assert_int_equal(sockiter_hz_from(101, ms100 + 2000000), 1000);
	assert_int_equal(sockiter_hz_from(27, ms100), 0);  /* between rates: unknown */
	assert_int_equal(sockiter_hz_from(500, ms100), 0);
	assert_int_equal(sockiter_hz_from(0, ms100), 0);
	assert_int_equal(sockiter_hz_from(25, 0), 0);
}

/* The test hook fails the load after the object is opened; nothing stays
 * behind (ASan's leak check), and the caller sees the errno it asked for. */
static void test_forced_load_failure(void **state)
{
	(void)state;
	struct sockiter *it = NULL;
	struct sockiter_opts o = {.fail_load = EPERM};
	int err = sockiter_open_opts(&it, &o);
	/* -EOPNOTSUPP built without BPF; -EXDEV run outside the initial pid
	 * namespace, where the walk is refused before anything is opened. */
	assert_true(err == -EPERM || err == -EOPNOTSUPP || err == -EXDEV);
	assert_null(it);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_pass),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_no_callbacks),
		cmocka_unit_test(test_unknown_kind),
		cmocka_unit_test(test_wrong_version),
		cmocka_unit_test(test_record_after_end),
		cmocka_unit_test(test_end_disagrees),
		cmocka_unit_test(test_cut_pass),
		cmocka_unit_test(test_to_socket),
		cmocka_unit_test(test_unix_peer),
		cmocka_unit_test(test_hz_from),
		cmocka_unit_test(test_forced_load_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
