/* source_netlink.c - sock_diag dumps from inside each namespace; see
 * source_netlink.h. */
#include <socklife/source_netlink.h>

#include <socklife/fileio.h>
#include <socklife/kstat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

struct netlink_source {
	struct source base;
	const char *proc_root, *run_dir;
	struct sockdiag *own;  /* bound to the namespace socklife runs in */
	bool tcp_one_walk;     /* the kernel takes one TCP request for both families */
};

/* The first TCP dump holds back the sockets in TIMED_STATES whose times
 * the sink wants, and notes their states; a second dump, filtered in the
 * kernel to those states, brings them with tcp_info (~230 bytes a socket,
 * so only for these few).  Each socket is handed on once: the second dump
 * passes on only the ones held back (it also lists the others, and those
 * that changed state in between). */
struct held_back {
	uint64_t key; /* cookie */
};

struct timed_dump {
	const struct source_sink *sink;
	struct hashmap held;  /* of struct held_back */
	uint32_t states;      /* bit (1 << state) of those held back */
	int err;
};

static int first_dump_socket(const struct sl_socket *s, void *arg)
{
	struct timed_dump *t = arg;
	bool added;
	if (!(TIMED_STATES & (1u << s->state)) || !s->cookie || !t->sink->wants_times(s, t->sink->ctx))
		return t->sink->socket(s, t->sink->ctx);
	if (!hashmap_put(&t->held, &s->cookie, &added))
		return -ENOMEM;
	t->states |= 1u << s->state;
	return 0;
}

static int second_dump_socket(const struct sl_socket *s, void *arg)
{
	struct timed_dump *t = arg;
	if (!hashmap_del(&t->held, &s->cookie))
		return 0; /* handed on by the first dump already, or new since */
	return t->sink->socket(s, t->sink->ctx);
}

/* One TCP dump for `states`: one walk of the kernel's hash for both
 * families where the kernel allows it, else one walk per family. */
static int dump_tcp(struct netlink_source *src, struct sockdiag *diag, struct sockdiag_parser *p,
		    uint32_t states, bool tcp_info)
{
	struct sockdiag_request req = {.proto = PROTO_TCP, .states = states, .tcp_info = tcp_info,
				       .meminfo = true};
	int err;

	if (src->tcp_one_walk) {
		req.family = AF_UNSPEC;
		uint64_t before = p->stats.sockets;
		err = sockdiag_dump(diag, &req, p);
		if (err == 0 || p->stats.sockets > before)
			return err;
		if (err != -EINVAL && err != -ENOENT && err != -EOPNOTSUPP)
			return err;
		src->tcp_one_walk = false; /* this kernel lacks the older request */
	}
	static const uint8_t families[] = {AF_INET, AF_INET6};
	for (size_t i = 0; i < sizeof(families); i++) {
		req.family = families[i];
		if ((err = sockdiag_dump(diag, &req, p)))
			return err;
	}
	return 0;
}

static int read_tcp(struct netlink_source *src, struct sockdiag *diag, struct sockdiag_parser *p,
		    const struct source_sink *sink)
{
	struct timed_dump t = {sink, HASHMAP_INIT(struct held_back), 0, 0};
	p->cb = first_dump_socket;
	p->ctx = &t;
	int err = dump_tcp(src, diag, p, sink->tcp_states ? sink->tcp_states : SOCKDIAG_ALL_STATES,
			   false);
	if (!err && t.states) {
		p->cb = second_dump_socket;
		err = dump_tcp(src, diag, p, t.states, true);
	}
	hashmap_free(&t.held);
	return err;
}

/* Dump one protocol of a namespace through a sock_diag socket opened in it. */
static int dump_proto(struct netlink_source *src, struct sockdiag *diag, struct sockdiag_parser *p,
		      const struct source_sink *sink)
{
	static const uint8_t families[] = {AF_INET, AF_INET6};
	struct sockdiag_request req = {.proto = p->proto, .states = SOCKDIAG_ALL_STATES,
				       .meminfo = true};
	int err = 0;

	switch (p->proto) {
	case PROTO_TCP:
		return read_tcp(src, diag, p, sink);
	case PROTO_UDP: /* no single request covers both families */
		for (size_t i = 0; i < sizeof(families) && !err; i++) {
			req.family = families[i];
			err = sockdiag_dump(diag, &req, p);
		}
		return err;
	default:
		return sockdiag_dump(diag, &req, p);
	}
}

/* Which protocols a namespace has sockets of, read from inside it: dumping
 * an empty one still walks the kernel's host-wide hash table. */
static void protocols_in_use(bool in_use[PROTO_COUNT])
{
	struct protocols pr;
	struct sockstat st;
	for (int p = 0; p < PROTO_COUNT; p++)
		in_use[p] = true;
	if (kstat_read_protocols("/proc/thread-self/net/protocols", &pr) < 0 ||
	    kstat_read_sockstat("/proc/thread-self/net/sockstat", &st) < 0)
		return; /* unknown: dump everything */
	in_use[PROTO_TCP] = pr.tcp + st.tcp_tw > 0;
	in_use[PROTO_UDP] = pr.udp > 0;
	in_use[PROTO_UNIX] = pr.unix_ > 0;
}

/* Does the namespace the calling thread is in keep its TCP connections
 * in the host's hash table?  Then every TCP dump of it walks the host's
 * sockets: net.ipv4.tcp_child_ehash_entries, set where containers are
 * created, gives a namespace its own.  tcp_ehash_entries reads negative
 * in a namespace that shares the host's (Linux 6.1+; absent before, when
 * every namespace shared it). */
static bool shares_ehash(void)
{
	char buf[32];
	ssize_t n = read_small_at(AT_FDCWD, "/proc/sys/net/ipv4/tcp_ehash_entries", buf, sizeof(buf));
	return n <= 0 || buf[0] == '-';
}

/* Read the namespace the calling thread is in through `diag`. */
static int read_inside(struct netlink_source *src, struct sockdiag *diag,
		       const struct source_sink *sink, struct ns_read *out)
{
	bool in_use[PROTO_COUNT];
	protocols_in_use(in_use);
	out->shared_ehash = shares_ehash();
	if (kstat_read_port_range("/proc/sys/net/ipv4/ip_local_port_range", &out->port_lo,
				  &out->port_hi) < 0)
		out->port_lo = out->port_hi = 0;
	for (int proto = 0; proto < PROTO_COUNT; proto++) {
		struct sockdiag_parser p = {
			.proto = proto, .cb = sink->socket, .ctx = sink->ctx, .ahead = sink->ahead};
		if (!(sink->protos & (1u << proto)))
			continue;
		int err = in_use[proto] ? dump_proto(src, diag, &p, sink) : 0;
		out->unknown_states += p.stats.unknown_states;
		if (err)
			return err;
		out->read[proto] = true; /* one with no socket in use is known to be empty */
	}
	if (kstat_read_u64("/proc/sys/net/ipv4/tcp_max_tw_buckets", &out->max_tw_buckets) < 0)
		out->max_tw_buckets = 0;
	return 0;
}

/* One namespace, read by a thread of its own that enters it and ends
 * there: the calling thread never leaves its namespace, so nothing can
 * leave it stranded in another, and the thread group leader, whose
 * namespace /proc/PID/ns/net shows (`ip netns pids`), never moves. */
struct visit {
	struct netlink_source *src;
	const struct netns_entry *e;
	const struct source_sink *sink;
	struct ns_read *out;
	int err;
};

static void *visit_thread(void *arg)
{
	struct visit *v = arg;
	struct sockdiag *diag;
	v->err = netns_enter(v->e, v->src->proc_root, v->src->run_dir);
	if (!v->err && !(v->err = sockdiag_open(&diag))) {
		v->err = read_inside(v->src, diag, v->sink, v->out);
		sockdiag_close(diag);
	}
	return NULL;
}

static int read_netns(struct source *base, const struct netns_entry *e,
		      const struct source_sink *sink, struct ns_read *out)
{
	struct netlink_source *src = (struct netlink_source *)base;
	out->mode = NS_MODE_SOCK_DIAG;
	if (e->self)
		return read_inside(src, src->own, sink, out);
	struct visit v = {src, e, sink, out, 0};
	pthread_t t;
	int err = pthread_create(&t, NULL, visit_thread, &v);
	if (err)
		return -err;
	pthread_join(t, NULL);
	return v.err;
}

static void free_source(struct source *base)
{
	struct netlink_source *src = (struct netlink_source *)base;
	sockdiag_close(src->own);
	free(src);
}

int source_netlink_new(struct source **out, const char *proc_root, const char *run_dir)
{
	struct netlink_source *src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	*src = (struct netlink_source){
		.base = {"netlink", NULL, read_netns, free_source},
		.proc_root = proc_root,
		.run_dir = run_dir,
		.tcp_one_walk = true,
	};
	int err = sockdiag_open(&src->own);
	if (err) {
		free_source(&src->base);
		return err;
	}
	*out = &src->base;
	return 0;
}
