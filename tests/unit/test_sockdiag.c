/* test_sockdiag.c - the sock_diag parser on crafted replies, the request
 * builder, and one real dump of a socket this test opens. */
#include <socklife/sockdiag.h>

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define SEQ 4242
#define PORTID 777

struct collected {
	struct sl_socket socks[16];
	size_t n;
};

static int collect(const struct sl_socket *s, void *ctx)
{
	struct collected *c = ctx;
	if (c->n < 16)
		c->socks[c->n++] = *s;
	return 0;
}

struct msgbuf {
	unsigned char data[8192] __attribute__((aligned(8)));
	size_t len;
};

static struct nlmsghdr *put_header(struct msgbuf *b, uint16_t type, uint32_t seq, uint32_t portid)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->data + b->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = portid;
	return nlh;
}

static void finish(struct msgbuf *b, struct nlmsghdr *nlh) { b->len += MNL_ALIGN(nlh->nlmsg_len); }

static void put_sock(struct msgbuf *b, uint8_t family, uint8_t state, uint64_t cookie,
		     uint32_t inode, uint32_t rqueue)
{
	struct nlmsghdr *nlh = put_header(b, SOCK_DIAG_BY_FAMILY, SEQ, PORTID);
	struct inet_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->idiag_family = family;
	m->idiag_state = state;
	m->idiag_inode = inode;
	m->idiag_rqueue = rqueue;
	m->idiag_uid = 1000;
	m->id.idiag_sport = htons(8080);
	m->id.idiag_dport = htons(51000);
	m->id.idiag_src[0] = htonl(0x0a000001); /* 10.0.0.1 */
	m->id.idiag_dst[0] = htonl(0xc0a80105); /* 192.168.1.5 */
	m->id.idiag_cookie[0] = (uint32_t)cookie;
	m->id.idiag_cookie[1] = (uint32_t)(cookie >> 32);
	finish(b, nlh);
}

static void put_done(struct msgbuf *b, int err)
{
	struct nlmsghdr *nlh = put_header(b, NLMSG_DONE, SEQ, PORTID);
	int *e = mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	*e = err;
	finish(b, nlh);
}

static void put_error(struct msgbuf *b, int err)
{
	struct nlmsghdr *nlh = put_header(b, NLMSG_ERROR, SEQ, PORTID);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = err;
	finish(b, nlh);
}

static int parse(struct sockdiag_parser *p, const struct msgbuf *b)
{
	return sockdiag_parse(p, b->data, b->len, SEQ, PORTID);
}

#define PARSER(c) {.proto = PROTO_TCP, .cb = collect, .ctx = (c)}

static void test_normal_dump(void **state)
{
	(void)state;
	struct msgbuf b = {0};
	struct collected c = {0};
	struct sockdiag_parser p = PARSER(&c);

	put_sock(&b, AF_INET, ST_ESTABLISHED, 0x100000001ULL, 11, 0);
	put_sock(&b, AF_INET6, ST_CLOSE_WAIT, 0x2, 12, 1);
	put_sock(&b, AF_INET, ST_TIME_WAIT, 0x3, 0, 0);
	put_done(&b, 0);

	assert_int_equal(parse(&p, &b), 0);
	assert_true(p.ended);
	assert_int_equal(c.n, 3);
	assert_int_equal(p.stats.sockets, 3);
	assert_true(c.socks[0].cookie == 0x100000001ULL);
	assert_int_equal(c.socks[0].inode, 11);
	assert_int_equal(c.socks[0].sport, 8080);
	assert_int_equal(c.socks[0].dport, 51000);
	assert_int_equal(c.socks[0].uid, 1000);
	static const uint8_t local[4] = {10, 0, 0, 1}, remote[4] = {192, 168, 1, 5};
	assert_memory_equal(c.socks[0].saddr, local, 4);
	assert_memory_equal(c.socks[0].daddr, remote, 4);
	assert_int_equal(c.socks[0].proto, PROTO_TCP);
	assert_int_equal(c.socks[1].family, AF_INET6);
	assert_int_equal(c.socks[1].state, ST_CLOSE_WAIT);
	assert_int_equal(c.socks[1].rqueue, 1);
	assert_int_equal(c.socks[2].inode, 0);
}

static void test_dump_spread_over_buffers(void **state)
{
	(void)state;
	struct msgbuf b1 = {0}, b2 = {0};
	struct collected c = {0};
	struct sockdiag_parser p = PARSER(&c);

	put_sock(&b1, AF_INET, ST_LISTEN, 1, 20, 0);
	put_sock(&b2, AF_INET, ST_LISTEN, 2, 21, 0);
	put_done(&b2, 0);
	assert_int_equal(parse(&p, &b1), 1); /* more to come */
	assert_false(p.ended);
	assert_int_equal(parse(&p, &b2), 0);
	assert_int_equal(c.n, 2);
}

static void put_unix(struct msgbuf *b, uint8_t type, uint8_t state, uint32_t inode, int peer,
		     int shutdown);

/* The look-ahead is told every socket of a buffer, UNIX and inet, before
 * the first of them is handed on; not the DONE that ends the dump. */
struct ahead_log {
	uint64_t told[8];
	size_t n, told_before_first;
	struct collected c;
};

static void log_ahead(uint64_t inode, void *ctx)
{
	struct ahead_log *l = ctx;
	if (l->n < 8)
		l->told[l->n++] = inode;
}

static int count_told(const struct sl_socket *s, void *ctx)
{
	struct ahead_log *l = ctx;
	if (l->c.n == 0)
		l->told_before_first = l->n;
	return collect(s, &l->c);
}

static void test_look_ahead(void **state)
{
	(void)state;
	struct msgbuf b = {0}, u = {0};
	struct ahead_log l = {0};
	struct sockdiag_parser p = {.proto = PROTO_TCP, .cb = count_told, .ctx = &l,
				    .ahead = log_ahead};
	put_sock(&b, AF_INET, ST_LISTEN, 1, 30, 0);
	put_sock(&b, AF_INET, ST_TIME_WAIT, 2, 0, 0);
	put_sock(&b, AF_INET6, ST_ESTABLISHED, 3, 31, 0);
	put_done(&b, 0);
	assert_int_equal(parse(&p, &b), 0);
	assert_int_equal(l.c.n, 3);
	assert_int_equal(l.told_before_first, 3);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.told[0], 30);
	assert_int_equal(l.told[1], 0);
	assert_int_equal(l.told[2], 31);

	struct ahead_log lu = {0};
	struct sockdiag_parser pu = {.proto = PROTO_UNIX, .cb = count_told, .ctx = &lu,
				     .ahead = log_ahead};
	put_unix(&u, SOCK_STREAM, ST_LISTEN, 40, 0, 0);
	put_unix(&u, SOCK_DGRAM, ST_CLOSE, 41, -1, -1);
	assert_int_equal(sockdiag_parse(&pu, u.data, u.len, SEQ, PORTID), 1);
	assert_int_equal(lu.told_before_first, 2);
	assert_int_equal(lu.told[0], 40);
	assert_int_equal(lu.told[1], 41);
}

static void test_truncated_message(void **state)
{
	(void)state;
	struct msgbuf b = {0};
	struct collected c = {0};
	struct sockdiag_parser p = PARSER(&c);

	put_sock(&b, AF_INET, ST_ESTABLISHED, 1, 11, 0);
	put_sock(&b, AF_INET, ST_ESTABLISHED, 2, 12, 0);
	/* Cut the second message in half: libmnl alone would stop silently. */
	b.len -= 40;
	assert_int_equal(parse(&p, &b), -EBADMSG);

	/* A trailing partial header. */
	struct msgbuf b2 = {0};
	put_sock(&b2, AF_INET, ST_ESTABLISHED, 1, 11, 0);
	b2.len += 6;
	assert_int_equal(parse(&p, &b2), -EBADMSG);
}

static void test_payload_too_short(void **state)
{
	(void)state;
	struct msgbuf b = {0};
	struct collected c = {0};
	struct sockdiag_parser p = PARSER(&c);

	struct nlmsghdr *nlh = put_header(&b, SOCK_DIAG_BY_FAMILY, SEQ, PORTID);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct inet_diag_msg) - 8);
	finish(&b, nlh);
	assert_int_equal(parse(&p, &b), -EBADMSG);
	assert_int_equal(c.n, 0);
}

static void test_nlmsg_error(void **state)
{
	(void)state;
	struct msgbuf b = {0};
	struct collected c = {0};
	struct sockdiag_parser p = PARSER(&c);

	put_error(&b, -ENOENT);
	assert_int_equal(parse(&p, &b), -ENOENT);
	assert_true(p.ended);
}

static void test_error_inside_done(void **state)
{
	(void)state;
	struct msgbuf b = {0};
	struct collected c = {0};
	struct sockdiag_parser p = PARSER(&c);

	/* A missing diag module reports its error inside NLMSG_DONE; with
	 * libmnl's default callback it would read as "0 sockets, success". */
	put_done(&b, -ENOENT);
	assert_int_equal(parse(&p, &b), -ENOENT);
	assert_true(p.ended);

	/* An error code outside errno's range (found by the fuzzer): no
	 * undefined negation, just a protocol error. */
	struct msgbuf b3 = {0};
	put_done(&b3, -2147483647 - 1);
	assert_int_equal(parse(&p, &b3), -EPROTO);

	/* A bare DONE with no payload is a clean end. */
	struct msgbuf b2 = {0};
	struct nlmsghdr *nlh = put_header(&b2, NLMSG_DONE, SEQ, PORTID);
	finish(&b2, nlh);
	assert_int_equal(parse(&p, &b2), 0);
}

static void test_unknown_state(void **state)
{
	(void)state;
	struct msgbuf b = {0};
	struct collected c = {0};
	struct sockdiag_parser p = PARSER(&c);

	put_sock(&b, AF_INET, 0, 1, 11, 0);
	put_sock(&b, AF_INET, 13, 2, 12, 0);
	put_sock(&b, AF_INET, 200, 3, 13, 0);
	put_sock(&b, AF_INET, ST_NEW_SYN_RECV, 4, 0, 0);
	put_done(&b, 0);
	assert_int_equal(parse(&p, &b), 0);
	assert_int_equal(p.stats.unknown_states, 3);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.socks[0].state, ST_SYN_RECV); /* request sockets fold in */
}

/* A dump walks a hash that changes under it: a socket may come twice.
 * The parser hands on what the kernel said; attribution de-duplicates. */
static void test_repeated_cookie_is_handed_on(void **state)
{
	(void)state;
	struct msgbuf b1 = {0}, b2 = {0};
	struct collected c = {0};
	struct sockdiag_parser p = PARSER(&c);

	put_sock(&b1, AF_INET, ST_ESTABLISHED, 99, 11, 0);
	put_sock(&b1, AF_INET, ST_ESTABLISHED, 99, 11, 0); /* same buffer */
	put_sock(&b2, AF_INET, ST_ESTABLISHED, 99, 11, 0); /* next buffer */
	put_sock(&b2, AF_INET, ST_ESTABLISHED, 100, 12, 0);
	put_done(&b2, 0);
	assert_int_equal(parse(&p, &b1), 1);
	assert_int_equal(parse(&p, &b2), 0);
	assert_int_equal(c.n, 4);
	assert_int_equal(p.stats.sockets, 4);
	assert_true(c.socks[0].cookie == 99 && c.socks[2].cookie == 99 && c.socks[3].cookie == 100);
}

static int refuse_second(const struct sl_socket *s, void *ctx)
{
	int *n = ctx;
	(void)s;
	return ++*n == 2 ? -ENOMEM : 0;
}

/* A callback that fails (out of memory) stops the dump with its error. */
static void test_callback_error_stops_the_dump(void **state)
{
	(void)state;
	struct msgbuf b = {0};
	int n = 0;
	struct sockdiag_parser p = {.proto = PROTO_TCP, .cb = refuse_second, .ctx = &n};
	put_sock(&b, AF_INET, ST_ESTABLISHED, 1, 11, 0);
	put_sock(&b, AF_INET, ST_ESTABLISHED, 2, 12, 0);
	put_sock(&b, AF_INET, ST_ESTABLISHED, 3, 13, 0);
	put_done(&b, 0);
	assert_int_equal(parse(&p, &b), -ENOMEM);
	assert_int_equal(n, 2);
	assert_int_equal(p.err, -ENOMEM);
}

static void test_wrong_seq_portid_type(void **state)
{
	(void)state;
	struct msgbuf b = {0};
	struct collected c = {0};
	struct sockdiag_parser p = PARSER(&c);

	put_sock(&b, AF_INET, ST_ESTABLISHED, 1, 11, 0);
	assert_int_equal(sockdiag_parse(&p, b.data, b.len, SEQ + 1, PORTID), -EPROTO);
	assert_int_equal(sockdiag_parse(&p, b.data, b.len, SEQ, PORTID + 1), -ESRCH);

	struct msgbuf b2 = {0};
	struct nlmsghdr *nlh = put_header(&b2, 30, SEQ, PORTID);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct inet_diag_msg));
	finish(&b2, nlh);
	assert_int_equal(parse(&p, &b2), -EPROTO);
}

/* INET_DIAG_MEMINFO: the receive queue's memory, and what is queued to
 * send (TCP's send queue, UDP's memory on its way out); a listener holds
 * none; a short attribute is no figure. */
static void put_sock_mem(struct msgbuf *b, uint8_t state, uint64_t cookie, size_t bytes)
{
	struct nlmsghdr *nlh = put_header(b, SOCK_DIAG_BY_FAMILY, SEQ, PORTID);
	struct inet_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->idiag_family = AF_INET;
	m->idiag_state = state;
	m->idiag_inode = (uint32_t)cookie;
	m->id.idiag_cookie[0] = (uint32_t)cookie;
	struct inet_diag_meminfo mem = {.idiag_rmem = 70000, .idiag_wmem = 9000,
					.idiag_fmem = 4096, .idiag_tmem = 2304};
	mnl_attr_put(nlh, INET_DIAG_MEMINFO, bytes, &mem);
	finish(b, nlh);
}

static void test_meminfo(void **state)
{
	(void)state;
	struct msgbuf b = {0};
	struct collected c = {0};
	struct sockdiag_parser p = PARSER(&c);
	put_sock_mem(&b, ST_ESTABLISHED, 1, sizeof(struct inet_diag_meminfo));
	put_sock_mem(&b, ST_LISTEN, 2, sizeof(struct inet_diag_meminfo));
	put_sock_mem(&b, ST_ESTABLISHED, 3, sizeof(struct inet_diag_meminfo));
	put_sock_mem(&b, ST_ESTABLISHED, 4, sizeof(struct inet_diag_meminfo) - 4); /* too short */
	put_done(&b, 0);
	assert_int_equal(parse(&p, &b), 0);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.socks[0].rmem_bytes, 70000);
	assert_int_equal(c.socks[0].wmem_bytes, 9000);
	assert_int_equal(c.socks[1].rmem_bytes, 0);
	assert_int_equal(c.socks[1].wmem_bytes, 0);
	assert_int_equal(c.socks[2].wmem_bytes, 9000);
	assert_int_equal(c.socks[3].rmem_bytes, 0);

	struct msgbuf u = {0};
	struct collected cu = {0};
	struct sockdiag_parser pu = {.proto = PROTO_UDP, .cb = collect, .ctx = &cu};
	put_sock_mem(&u, ST_CLOSE, 5, sizeof(struct inet_diag_meminfo));
	put_done(&u, 0);
	assert_int_equal(parse(&pu, &u), 0);
	assert_int_equal(cu.socks[0].rmem_bytes, 70000);
	assert_int_equal(cu.socks[0].wmem_bytes, 2304);
}

static void test_build_request(void **state)
{
	(void)state;
	unsigned char buf[256] __attribute__((aligned(8)));
	struct sockdiag_request v2 = {.proto = PROTO_TCP, .family = AF_INET6, .states = 1u << ST_LISTEN};

	size_t len = sockdiag_build_request(buf, sizeof(buf), &v2, 55);
	assert_int_equal(len, NLMSG_HDRLEN + sizeof(struct inet_diag_req_v2));
	const struct nlmsghdr *nlh = (const void *)buf;
	assert_int_equal(nlh->nlmsg_type, SOCK_DIAG_BY_FAMILY);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	assert_int_equal(nlh->nlmsg_seq, 55);
	const struct inet_diag_req_v2 *r = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(r->sdiag_family, AF_INET6);
	assert_int_equal(r->sdiag_protocol, IPPROTO_TCP);
	assert_int_equal(r->idiag_states, 1u << ST_LISTEN);
	assert_int_equal(r->idiag_ext, 0); /* nothing asked, nothing extra per socket */

	struct sockdiag_request both = {.proto = PROTO_TCP, .family = AF_UNSPEC, .states = ~0u,
					.meminfo = true, .tcp_info = true};
	len = sockdiag_build_request(buf, sizeof(buf), &both, 56);
	assert_int_equal(len, NLMSG_HDRLEN + sizeof(struct inet_diag_req));
	assert_int_equal(nlh->nlmsg_type, TCPDIAG_GETSOCK);
	const struct inet_diag_req *old = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(old->idiag_ext,
			 (1 << (INET_DIAG_INFO - 1)) | (1 << (INET_DIAG_MEMINFO - 1)));

	struct sockdiag_request udp_both = {.proto = PROTO_UDP, .family = AF_UNSPEC};
	assert_int_equal(sockdiag_build_request(buf, sizeof(buf), &udp_both, 1), 0);
	assert_int_equal(sockdiag_build_request(buf, 8, &v2, 1), 0);
}

static void put_unix(struct msgbuf *b, uint8_t type, uint8_t state, uint32_t inode,
		     int peer /* -1: no attribute */, int shutdown /* -1: none */)
{
	struct nlmsghdr *nlh = put_header(b, SOCK_DIAG_BY_FAMILY, SEQ, PORTID);
	struct unix_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->udiag_family = AF_UNIX;
	m->udiag_type = type;
	m->udiag_state = state;
	m->udiag_ino = inode;
	m->udiag_cookie[0] = inode;
	if (peer >= 0)
		mnl_attr_put_u32(nlh, UNIX_DIAG_PEER, (uint32_t)peer);
	if (shutdown >= 0)
		mnl_attr_put_u8(nlh, UNIX_DIAG_SHUTDOWN, (uint8_t)shutdown);
	finish(b, nlh);
}

static void test_unix_dump(void **state)
{
	(void)state;
	struct msgbuf b = {0};
	struct collected c = {0};
	struct sockdiag_parser p = {.proto = PROTO_UNIX, .cb = collect, .ctx = &c};

	put_unix(&b, SOCK_STREAM, ST_LISTEN, 100, 0, 0);
	put_unix(&b, SOCK_STREAM, ST_ESTABLISHED, 101, 102, 0);  /* connected */
	put_unix(&b, SOCK_STREAM, ST_ESTABLISHED, 103, 0, 3);    /* peer closed */
	put_unix(&b, SOCK_STREAM, ST_ESTABLISHED, 104, 105, 3);  /* shut down, peer alive */
	put_unix(&b, SOCK_DGRAM, ST_ESTABLISHED, 106, 0, 3);     /* datagram: no connection */
	put_unix(&b, SOCK_DGRAM, ST_CLOSE, 107, -1, -1);
	put_unix(&b, SOCK_STREAM, ST_SYN_SENT, 108, -1, -1);     /* no such UNIX state */
	put_done(&b, 0);
	assert_int_equal(sockdiag_parse(&p, b.data, b.len, SEQ, PORTID), 0);
	assert_int_equal(c.n, 6);
	assert_int_equal(p.stats.unknown_states, 1);
	assert_int_equal(c.socks[0].proto, PROTO_UNIX);
	assert_int_equal(c.socks[0].state, ST_LISTEN);
	assert_int_equal(c.socks[1].peer_inode, 102);
	bool gone[6];
	for (int i = 0; i < 6; i++)
		gone[i] = sockdiag_unix_peer_gone(&c.socks[i]);
	assert_false(gone[0]);
	assert_false(gone[1]);
	assert_true(gone[2]);
	assert_false(gone[3]);
	assert_false(gone[4]);
	assert_false(gone[5]);

	unsigned char buf[256] __attribute__((aligned(8)));
	struct sockdiag_request req = {.proto = PROTO_UNIX, .states = ~0u};
	size_t len = sockdiag_build_request(buf, sizeof(buf), &req, 9);
	assert_int_equal(len, NLMSG_HDRLEN + sizeof(struct unix_diag_req));
	const struct unix_diag_req *r = mnl_nlmsg_get_payload((const void *)buf);
	assert_int_equal(r->sdiag_family, AF_UNIX);
	assert_true(r->udiag_show & UDIAG_SHOW_PEER);
}

/* What a dump says of a listener and of a connection, from the kernel:
 * a listener's rqueue is its accept queue (connections the handshake
 * finished that accept() has not taken) and its wqueue its backlog; a
 * connection's unread data is memory it holds. */
struct queue_ctx {
	uint64_t listener, reader;
	struct sl_socket l, r;
};

static int find_queues(const struct sl_socket *s, void *ctx)
{
	struct queue_ctx *q = ctx;
	if (s->inode == q->listener)
		q->l = *s;
	if (s->inode == q->reader)
		q->r = *s;
	return 0;
}

static void test_real_listener_queue_and_memory(void **state)
{
	(void)state;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 3), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	int cli[2];
	for (int i = 0; i < 2; i++) {
		cli[i] = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(connect(cli[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	/* 64 KiB written to the first client's peer and never read. */
	int srv = accept(lfd, NULL, NULL);
	assert_true(srv >= 0);
	static char data[65536];
	assert_int_equal(write(srv, data, sizeof(data)), (ssize_t)sizeof(data));
	usleep(20000); /* loopback delivers in microseconds */
	struct stat st;
	struct queue_ctx q = {0};
	fstat(lfd, &st);
	q.listener = st.st_ino;
	fstat(cli[0], &st);
	q.reader = st.st_ino;

	struct sockdiag *d;
	assert_int_equal(sockdiag_open(&d), 0);
	struct sockdiag_parser p = {.proto = PROTO_TCP, .cb = find_queues, .ctx = &q};
	struct sockdiag_request req = {.proto = PROTO_TCP, .family = AF_UNSPEC,
				       .states = SOCKDIAG_ALL_STATES, .meminfo = true};
	assert_int_equal(sockdiag_dump(d, &req, &p), 0);
	assert_int_equal(q.l.state, ST_LISTEN);
	assert_int_equal(q.l.rqueue, 1); /* one of two was accepted */
	assert_int_equal(q.l.wqueue, 3);
	assert_int_equal(q.l.rmem_bytes, 0);
	assert_int_equal(q.r.state, ST_ESTABLISHED);
	assert_true(q.r.rmem_bytes >= sizeof(data)); /* skb overhead included */
	sockdiag_close(d);
	close(srv);
	close(cli[0]);
	close(cli[1]);
	close(lfd);
}

/* The I/O half against the running kernel: a listener we open must show up
 * in a dump with its inode, in state LISTEN.  Needs no privilege. */
struct find_ctx {
	uint64_t inode;
	int found_state;
};

static int find_inode(const struct sl_socket *s, void *ctx)
{
	struct find_ctx *f = ctx;
	if (s->inode == f->inode)
		f->found_state = s->state;
	return 0;
}

static void test_real_dump_finds_our_listener(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);

	struct sockdiag *d;
	assert_int_equal(sockdiag_open(&d), 0);
	for (int fam = 0; fam < 2; fam++) {
		struct find_ctx f = {st.st_ino, -1};
		struct sockdiag_parser p = {.proto = PROTO_TCP, .cb = find_inode, .ctx = &f};
		struct sockdiag_request req = {.proto = PROTO_TCP,
					       .family = fam ? AF_INET : AF_UNSPEC,
					       .states = SOCKDIAG_ALL_STATES};
		assert_int_equal(sockdiag_dump(d, &req, &p), 0);
		assert_int_equal(f.found_state, ST_LISTEN);
	}
	/* A dump asking only for ESTABLISHED must not report it. */
	struct find_ctx f = {st.st_ino, -1};
	struct sockdiag_parser p = {.proto = PROTO_TCP, .cb = find_inode, .ctx = &f};
	struct sockdiag_request req = {.proto = PROTO_TCP, .family = AF_INET,
				       .states = 1u << ST_ESTABLISHED};
	assert_int_equal(sockdiag_dump(d, &req, &p), 0);
	assert_int_equal(f.found_state, -1);
	/* UDP and UNIX sockets of our own show up in their dumps too. */
	int u = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	assert_int_equal(bind(u, (struct sockaddr *)&s6, sizeof(s6)), 0);
	int pair[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	close(pair[1]);
	const struct {
		int fd;
		enum sl_proto proto;
		uint8_t family;
		int state;
	} cases[] = {{u, PROTO_UDP, AF_INET6, ST_CLOSE}, {pair[0], PROTO_UNIX, 0, ST_ESTABLISHED}};
	for (size_t i = 0; i < 2; i++) {
		fstat(cases[i].fd, &st);
		struct find_ctx fc = {st.st_ino, -1};
		struct sockdiag_parser pp = {.proto = cases[i].proto, .cb = find_inode, .ctx = &fc};
		struct sockdiag_request rq = {.proto = cases[i].proto, .family = cases[i].family,
					      .states = SOCKDIAG_ALL_STATES};
		assert_int_equal(sockdiag_dump(d, &rq, &pp), 0);
		assert_int_equal(fc.found_state, cases[i].state);
	}
	close(u);
	close(pair[0]);
	sockdiag_close(d);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal_dump),
		cmocka_unit_test(test_dump_spread_over_buffers),
		cmocka_unit_test(test_look_ahead),
		cmocka_unit_test(test_truncated_message),
		cmocka_unit_test(test_payload_too_short),
		cmocka_unit_test(test_nlmsg_error),
		cmocka_unit_test(test_error_inside_done),
		cmocka_unit_test(test_unknown_state),
		cmocka_unit_test(test_repeated_cookie_is_handed_on),
		cmocka_unit_test(test_callback_error_stops_the_dump),
		cmocka_unit_test(test_wrong_seq_portid_type),
		cmocka_unit_test(test_meminfo),
		cmocka_unit_test(test_build_request),
		cmocka_unit_test(test_unix_dump),
		cmocka_unit_test(test_real_dump_finds_our_listener),
		cmocka_unit_test(test_real_listener_queue_and_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
