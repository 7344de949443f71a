/* sockdiag.c - build sock_diag dump requests and parse their replies.
 *
 * The parser is a pure function of the bytes it is given; only
 * sockdiag_open() and sockdiag_dump() touch a socket. */
#include <socklife/sockdiag.h>

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const uint8_t ipproto_of[PROTO_COUNT] = {
	[PROTO_TCP] = IPPROTO_TCP,
	[PROTO_UDP] = IPPROTO_UDP,
};

static size_t build_unix(void *buf, size_t cap, const struct sockdiag_request *req, uint32_t seq)
{
	size_t len = MNL_ALIGN(sizeof(struct nlmsghdr)) + MNL_ALIGN(sizeof(struct unix_diag_req));
	if (cap < len)
		return 0;
	memset(buf, 0, len);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	struct unix_diag_req *r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
	r->sdiag_family = AF_UNIX;
	r->udiag_states = req->states;
	r->udiag_show = UDIAG_SHOW_PEER; /* to tell a connection whose peer is gone */
	return nlh->nlmsg_len;
}

size_t sockdiag_build_request(void *buf, size_t cap, const struct sockdiag_request *req,
			      uint32_t seq)
{
	bool both = req->family == AF_UNSPEC;
	size_t body = both ? sizeof(struct inet_diag_req) : sizeof(struct inet_diag_req_v2);

	if (req->proto == PROTO_UNIX)
		return build_unix(buf, cap, req, seq);
	if (req->proto >= PROTO_COUNT || (both && req->proto != PROTO_TCP))
		return 0;
	if (cap < MNL_ALIGN(sizeof(struct nlmsghdr)) + MNL_ALIGN(body))
		return 0;
	memset(buf, 0, MNL_ALIGN(sizeof(struct nlmsghdr)) + MNL_ALIGN(body));

	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = both ? TCPDIAG_GETSOCK : SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	uint8_t ext = (uint8_t)((req->tcp_info ? 1 << (INET_DIAG_INFO - 1) : 0) |
				(req->meminfo ? 1 << (INET_DIAG_MEMINFO - 1) : 0));
	if (both) {
		struct inet_diag_req *r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
		r->idiag_states = req->states;
		r->idiag_ext = ext;
	} else {
		struct inet_diag_req_v2 *r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
		r->sdiag_family = req->family;
		r->sdiag_protocol = ipproto_of[req->proto];
		r->idiag_states = req->states;
		r->idiag_ext = ext;
	}
	return nlh->nlmsg_len;
}

/* libmnl stops silently at a message that does not fit; walk the framing
 * first so that a truncated reply is an error, not a short count. */
static int check_framing(const void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		const struct nlmsghdr *nlh = (const void *)((const char *)buf + off);
		if (len - off < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
		    nlh->nlmsg_len > len - off)
			return -EBADMSG;
		size_t step = MNL_ALIGN(nlh->nlmsg_len);
		off += step < len - off ? step : len - off;
	}
	return 0;
}

static int fail(int err)
{
	errno = err;
	return MNL_CB_ERROR;
}

/* The errno a kernel error code stands for; anything outside errno's
 * range (a malformed reply) is a protocol error, never negated blindly. */
static int kernel_errno(int code)
{
	return code < 0 && code >= -4095 ? -code : EPROTO;
}

/* The memory a socket holds, from INET_DIAG_MEMINFO: sk_rmem_alloc,
 * sk_wmem_queued, sk_forward_alloc, sk_wmem_alloc.  (INET_DIAG_SKMEMINFO
 * says the same and five more, each a field the kernel reads for every
 * socket of a dump: a twentieth of a dump's CPU.)  What is queued to send
 * is sk_wmem_queued for TCP (its send queue: unsent and unacked) and
 * sk_wmem_alloc for UDP, which queues nothing and charges what is on its
 * way to the device.  A LISTEN socket's figures are not data (it holds
 * none); they are left at 0. */
static void parse_meminfo(const struct nlattr *attr, struct sl_socket *s)
{
	struct inet_diag_meminfo mem;
	if (mnl_attr_get_payload_len(attr) < sizeof(mem) || s->state == ST_LISTEN)
		return;
	memcpy(&mem, mnl_attr_get_payload(attr), sizeof(mem));
	s->rmem_bytes = mem.idiag_rmem;
	s->wmem_bytes = s->proto == PROTO_TCP ? mem.idiag_wmem : mem.idiag_tmem;
}

/* Take what socklife uses from the INET_DIAG_INFO and INET_DIAG_MEMINFO
 * attributes.  Older kernels send a shorter struct tcp_info: use only
 * fields it covers. */
static void parse_attrs(const struct nlmsghdr *nlh, struct sl_socket *s)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct inet_diag_msg)) {
		if (mnl_attr_get_type(attr) == INET_DIAG_MEMINFO)
			parse_meminfo(attr, s);
		if (mnl_attr_get_type(attr) != INET_DIAG_INFO)
			continue;
		struct tcp_info ti;
		size_t len = mnl_attr_get_payload_len(attr);
		size_t need = offsetof(struct tcp_info, tcpi_last_ack_recv) + sizeof(ti.tcpi_last_ack_recv);
		if (len < need)
			continue;
		memset(&ti, 0, sizeof(ti));
		memcpy(&ti, mnl_attr_get_payload(attr), len < sizeof(ti) ? len : sizeof(ti));
		s->has_info = true;
		s->last_ack_recv_ms = ti.tcpi_last_ack_recv;
		s->last_data_recv_ms = ti.tcpi_last_data_recv;
		s->last_data_sent_ms = ti.tcpi_last_data_sent;
	}
}

int sockdiag_deliver(struct sockdiag_parser *p, const struct sl_socket *s)
{
	p->stats.sockets++;
	int err = p->cb(s, p->ctx);
	if (err && !p->err)
		p->err = err;
	return err;
}

/* Deliver from a libmnl callback. */
static int deliver(struct sockdiag_parser *p, const struct sl_socket *s)
{
	int err = sockdiag_deliver(p, s);
	return err ? fail(-err) : MNL_CB_OK;
}

static int inet_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sockdiag_parser *p = data;
	const struct inet_diag_msg *m;
	struct sl_socket s;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY && nlh->nlmsg_type != TCPDIAG_GETSOCK)
		return fail(EPROTO);
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return fail(EBADMSG);
	m = mnl_nlmsg_get_payload(nlh);

	unsigned state = m->idiag_state == ST_NEW_SYN_RECV ? ST_SYN_RECV : m->idiag_state;
	if (!proto_has_state(p->proto, state)) {
		p->stats.unknown_states++;
		return MNL_CB_OK;
	}

	s = (struct sl_socket){
		.cookie = (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0],
		.inode = m->idiag_inode,
		.uid = m->idiag_uid,
		.rqueue = m->idiag_rqueue,
		.wqueue = m->idiag_wqueue,
		.expires_ms = m->idiag_expires,
		.sport = ntohs(m->id.idiag_sport),
		.dport = ntohs(m->id.idiag_dport),
		.family = m->idiag_family,
		.proto = (uint8_t)p->proto,
		.state = (uint8_t)state,
		.timer = m->idiag_timer,
	};
	memcpy(s.saddr, m->id.idiag_src, sizeof(s.saddr));
	memcpy(s.daddr, m->id.idiag_dst, sizeof(s.daddr));
	parse_attrs(nlh, &s);

	return deliver(p, &s);
}

static int unix_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sockdiag_parser *p = data;
	const struct unix_diag_msg *m;
	const struct nlattr *attr;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return fail(EPROTO);
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return fail(EBADMSG);
	m = mnl_nlmsg_get_payload(nlh);
	if (!proto_has_state(PROTO_UNIX, m->udiag_state)) {
		p->stats.unknown_states++;
		return MNL_CB_OK;
	}
	struct sl_socket s = {
		.cookie = (uint64_t)m->udiag_cookie[1] << 32 | m->udiag_cookie[0],
		.inode = m->udiag_ino,
		.family = AF_UNIX,
		.proto = PROTO_UNIX,
		.state = m->udiag_state,
		.type = m->udiag_type,
	};
	mnl_attr_for_each(attr, nlh, sizeof(*m)) {
		switch (mnl_attr_get_type(attr)) {
		case UNIX_DIAG_PEER:
			if (mnl_attr_get_payload_len(attr) >= sizeof(uint32_t)) {
				s.has_peer = true;
				s.peer_inode = mnl_attr_get_u32(attr);
			}
			break;
		case UNIX_DIAG_SHUTDOWN:
			if (mnl_attr_get_payload_len(attr) >= sizeof(uint8_t))
				s.shutdown = mnl_attr_get_u8(attr);
			break;
		default:
			break;
		}
	}
	return deliver(p, &s);
}

uint32_t sockdiag_silent_ms(const struct sl_socket *s)
{
	uint32_t ms = s->last_ack_recv_ms;
	if (s->last_data_recv_ms < ms)
		ms = s->last_data_recv_ms;
	return s->last_data_sent_ms < ms ? s->last_data_sent_ms : ms;
}

bool sockdiag_unix_peer_gone(const struct sl_socket *s)
{
	return s->proto == PROTO_UNIX && s->state == ST_ESTABLISHED &&
	       (s->type == SOCK_STREAM || s->type == SOCK_SEQPACKET) && s->shutdown == 3 &&
	       (!s->has_peer || s->peer_inode == 0);
}

/* NLMSG_DONE may carry the dump's error (e.g. a diag module that is not
 * loaded); libmnl's default callback ignores it. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sockdiag_parser *p = data;

	p->ended = true;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		int err;
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		if (err < 0)
			return fail(kernel_errno(err));
	}
	return MNL_CB_STOP;
}

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sockdiag_parser *p = data;
	const struct nlmsgerr *e;

	p->ended = true;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return fail(EBADMSG);
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error >= 0) /* an acknowledgement: nothing more will come */
		return MNL_CB_STOP;
	return fail(kernel_errno(e->error));
}

static int overrun_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh, (void)data;
	return fail(EOVERFLOW);
}

/* Not const: mnl_cb_run2 takes a plain pointer. */
static mnl_cb_t control_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = error_cb,
	[NLMSG_DONE] = done_cb,
	[NLMSG_OVERRUN] = overrun_cb,
};

/* Tell p->ahead the inode of every socket message in a buffer whose
 * framing was checked; the callbacks look at each message properly. */
static void look_ahead(const struct sockdiag_parser *p, const void *buf, size_t len)
{
	size_t head = p->proto == PROTO_UNIX ? sizeof(struct unix_diag_msg) :
					       sizeof(struct inet_diag_msg);
	int left = (int)len;
	for (const struct nlmsghdr *nlh = buf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE || mnl_nlmsg_get_payload_len(nlh) < head)
			continue;
		const void *m = mnl_nlmsg_get_payload(nlh);
		p->ahead(p->proto == PROTO_UNIX ? ((const struct unix_diag_msg *)m)->udiag_ino :
						  ((const struct inet_diag_msg *)m)->idiag_inode,
			 p->ctx);
	}
}

int sockdiag_parse(struct sockdiag_parser *p, const void *buf, size_t len, uint32_t seq,
		   uint32_t portid)
{
	int err = check_framing(buf, len);
	if (err)
		return err;
	if (p->proto >= PROTO_COUNT)
		return -EPROTONOSUPPORT;
	if (p->ahead)
		look_ahead(p, buf, len);

	errno = 0;
	int ret = mnl_cb_run2(buf, len, seq, portid, p->proto == PROTO_UNIX ? unix_msg_cb : inet_msg_cb,
			      p, control_cbs, NLMSG_MIN_TYPE);
	if (ret < 0)
		return errno ? -errno : -EPROTO;
	return ret == MNL_CB_STOP ? 0 : 1;
}

struct sockdiag {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	unsigned char buf[SOCKDIAG_RECV_BUF] __attribute__((aligned(8)));
};

int sockdiag_open(struct sockdiag **out)
{
	struct sockdiag *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!d->nl || mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;
		if (d->nl)
			mnl_socket_close(d->nl);
		free(d);
		return err ? err : -EIO;
	}
	/* A dump that stops answering must not stall the sampler forever. */
	struct timeval tv = {.tv_sec = 10};
	setsockopt(mnl_socket_get_fd(d->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	d->portid = mnl_socket_get_portid(d->nl);
	d->seq = (uint32_t)time(NULL);
	*out = d;
	return 0;
}

void sockdiag_close(struct sockdiag *d)
{
	if (!d)
		return;
	mnl_socket_close(d->nl);
	free(d);
}

static ssize_t recv_some(struct sockdiag *d)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(d->nl, d->buf, sizeof(d->buf));
		if (n >= 0 || errno != EINTR)
			return n < 0 ? -errno : n;
	}
}

/* After a failed dump, read and drop what is left of it until its end, so
 * the next request does not read stale replies. */
static void drain(struct sockdiag *d)
{
	for (int rounds = 0; rounds < 100000; rounds++) {
		ssize_t n = recv_some(d);
		if (n <= 0)
			return;
		const struct nlmsghdr *nlh = (const void *)d->buf;
		int left = (int)n;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
			if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)
				return;
	}
}

int sockdiag_dump(struct sockdiag *d, const struct sockdiag_request *req, struct sockdiag_parser *p)
{
	unsigned char reqbuf[128] __attribute__((aligned(8)));
	uint32_t seq = ++d->seq;
	size_t len = sockdiag_build_request(reqbuf, sizeof(reqbuf), req, seq);
	int ret;

	if (len == 0)
		return -EPROTONOSUPPORT;
	if (mnl_socket_sendto(d->nl, reqbuf, len) < 0)
		return -errno;
	do {
		ssize_t n = recv_some(d);
		if (n < 0) {
			ret = (int)n == -EAGAIN ? -ETIMEDOUT : (int)n;
			break;
		}
		if (n == 0) {
			ret = -EPIPE;
			break;
		}
		ret = sockdiag_parse(p, d->buf, (size_t)n, seq, d->portid);
	} while (ret > 0);

	if (ret < 0 && !p->ended && ret != -ETIMEDOUT)
		drain(d);
	return ret;
}
