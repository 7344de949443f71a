/* source_bpf.c - one walk of every fd table, replayed per namespace; see
 * source_bpf.h. */
#include <socklife/source_bpf.h>

#include <socklife/clock.h>
#include <socklife/keyindex.h>
#include <socklife/kstat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* What the walk saw of one namespace. */
struct bucket {
	uint32_t first, n;     /* its sockets: order[first .. first + n), listeners first */
	uint32_t listeners;    /* how many of them listen */
	uint32_t hashed[PROTO_COUNT]; /* sockets a dump would list (kernel counts these) */
	uint32_t backlog;      /* accepted children no one has accept()ed yet */
	uint32_t unix_orphans; /* closed peers of UNIX streams: counted, never listed */
	uint32_t syn_queue;    /* request socks */
};

/* A socket as kept from the walk to its namespace's replay: the record's
 * fields a socket is made of, without the holder's (those went to the
 * census), and an IPv6 socket's addresses aside: 72 bytes instead of the
 * record's 112, for every socket fd of the host. */
struct kept {
	uint64_t cookie;
	uint32_t ino, rqueue, wqueue, rmem, wmem;
	uint32_t last_recv_ms, last_send_ms, last_ack_ms, peer_ino, syn_queue;
	uint32_t laddr4, raddr4; /* IPv4; IPv6: laddr4 indexes the source's v6 pairs */
	uint16_t lport, rport, protocol;
	uint8_t family, state, type, shutdown, flags;
	/* What its namespace's counts take from it, worked out once. */
	uint8_t proto; /* enum sl_proto; PROTO_COUNT: a state socklife does not know */
	uint8_t count; /* COUNT_* */
};

#define COUNT_HASHED 1u      /* a dump would list it: the kernel counts it in use */
#define COUNT_UNIX_ORPHAN 2u /* a UNIX stream's closed peer lives on, counted */
#define NO_BUCKET UINT32_MAX /* bucket_of a repeat: its socket is kept at its first place */

struct v6_pair {
	uint8_t laddr[16], raddr[16];
};

_Static_assert(sizeof(struct kept) == 72, "a kept socket is 72 bytes");
_Static_assert(SOCKITER_TIMED_STATES == TIMED_STATES, "the walk reads the ages the rules use");

/* What the last dumps of a namespace told: its sysctls, and when its TCP
 * was last dumped (its TIME_WAIT broken down by port). */
struct sysctls {
	uint32_t key; /* netns inode */
	uint32_t read_pass;
	uint16_t port_lo, port_hi;
	uint64_t max_tw_buckets;
	bool shared_ehash;
	double tcp_dumped_at; /* monotonic; 0: never */
	uint32_t probe_missed; /* the pass its listeners last failed to explain TCP; 0: none */
};

struct bpf_source {
	struct source base;
	struct sockiter *it;
	struct source *dumper, *fallback, *prober;
	bool no_setns; /* setns was refused once: the fallback dumps */
	const char *proc_root;
	uint64_t nsfs_dev;
	double breakdown_every; /* seconds between TIME_WAIT breakdowns */
	double now;             /* when this pass's walk began */
	uint32_t pass;
	/* The last walk. */
	struct census *census;
	int err;
	struct records VEC(struct kept) socks;          /* by census place: repeats too */
	struct v6_pairs VEC(struct v6_pair) v6;         /* the IPv6 ones' addresses */
	struct walk_order VEC(uint32_t) order;          /* socks by namespace */
	struct bucket_of VEC(uint32_t) bucket_of;       /* each sock's bucket */
	struct fill_list VEC(uint32_t) fill;            /* lay_out's cursors */
	struct bucket_list VEC(struct bucket) buckets;
	struct keyindex by_netns; /* netns inode -> index into buckets */
	struct hashmap sysctls;   /* of struct sysctls, kept between passes */
	struct unseen_list VEC(struct sl_socket) unseen; /* a probe's listeners (listeners_explain) */
};

/* --- the walk -------------------------------------------------------------- */

static int keep(struct bpf_source *src, const struct sockiter_sock *r, struct kept *k)
{
	*k = (struct kept){r->cookie, r->ino, r->rqueue, r->wqueue, r->rmem, r->wmem,
			   r->last_recv_ms, r->last_send_ms, r->last_ack_ms, r->peer_ino,
			   r->syn_queue, 0, 0, r->lport, r->rport, r->protocol, r->family,
			   r->state, r->type, r->shutdown, r->flags, PROTO_COUNT, 0};
	if (r->family == AF_INET6) {
		struct v6_pair *p = vec_push(&src->v6);
		if (!p)
			return -ENOMEM;
		memcpy(p->laddr, r->laddr, sizeof(p->laddr));
		memcpy(p->raddr, r->raddr, sizeof(p->raddr));
		k->laddr4 = (uint32_t)(src->v6.n - 1);
	} else {
		memcpy(&k->laddr4, r->laddr, 4);
		memcpy(&k->raddr4, r->raddr, 4);
	}
	return 0;
}

/* Back to a record, for sockiter_to_socket. */
static void unkeep(const struct bpf_source *src, const struct kept *k, struct sockiter_sock *r)
{
	*r = (struct sockiter_sock){
		.kind = SOCKITER_KIND_SOCK, .version = SOCKITER_VERSION, .family = k->family,
		.state = k->state, .protocol = k->protocol, .type = k->type,
		.shutdown = k->shutdown, .ino = k->ino, .cookie = k->cookie, .lport = k->lport,
		.rport = k->rport, .rqueue = k->rqueue, .wqueue = k->wqueue, .rmem = k->rmem,
		.wmem = k->wmem, .last_recv_ms = k->last_recv_ms, .last_send_ms = k->last_send_ms,
		.last_ack_ms = k->last_ack_ms, .peer_ino = k->peer_ino, .syn_queue = k->syn_queue,
		.flags = k->flags};
	if (k->family == AF_INET6) {
		memcpy(r->laddr, src->v6.v[k->laddr4].laddr, sizeof(r->laddr));
		memcpy(r->raddr, src->v6.v[k->laddr4].raddr, sizeof(r->raddr));
	} else {
		memcpy(r->laddr, &k->laddr4, 4);
		memcpy(r->raddr, &k->raddr4, 4);
	}
}

static struct bucket *bucket_of(struct bpf_source *src, uint32_t netns)
{
	bool added;
	if (vec_reserve(&src->buckets, src->buckets.n + 1))
		return NULL;
	long i = keyindex_of(&src->by_netns, netns, &added);
	if (i < 0)
		return NULL;
	if (added)
		src->buckets.v[src->buckets.n++] = (struct bucket){0};
	return &src->buckets.v[i];
}

static bool is_listener(uint8_t flags, uint8_t state)
{
	return (flags & SOCKITER_F_TCP) && state == ST_LISTEN;
}

/* Would a sock_diag dump of its namespace list it?  TCP lists what is in
 * the listening and established hashes (every state but CLOSE: a socket
 * created, bound or reset is in neither); UDP only bound sockets; UNIX
 * every one. */
static bool hashed(const struct sl_socket *s)
{
	switch (s->proto) {
	case PROTO_TCP:
		return s->state != ST_CLOSE;
	case PROTO_UDP:
		return s->sport != 0;
	default:
		return true;
	}
}

/* One socket fd: its holder goes to the census, its socket to its
 * namespace's bucket, at the census's place for it (socks.v[place]).
 * Repeats are known once the census has numbered the sockets
 * (count_buckets). */
static void on_sock(const struct sockiter_sock *r, void *ctx)
{
	struct bpf_source *src = ctx;
	struct sl_socket s;
	if (src->err)
		return;
	int kind = sockiter_to_socket(r, &s);
	uint8_t proto = kind == -EPROTONOSUPPORT ? PROTO_COUNT : kind == 0 ? s.proto : SOCK_FD_UNKNOWN;
	long place = census_socket(src->census, (int32_t)r->tgid, r->fd, r->ino, proto);
	if (place < 0) {
		src->err = (int)place;
		return;
	}
	if (place == CENSUS_UNCOUNTED)
		return; /* netlink, packet, raw, ...: not counted */
	if ((size_t)place != src->socks.n) {
		src->err = -EPROTO; /* the places are the census's: never */
		return;
	}
	struct bucket *b = bucket_of(src, r->netns);
	struct kept *kept = b ? vec_push(&src->socks) : NULL;
	uint32_t *in = kept ? vec_push(&src->bucket_of) : NULL;
	if (!in) {
		src->err = -ENOMEM;
		return;
	}
	if ((src->err = keep(src, r, kept)))
		return;
	*in = (uint32_t)(b - src->buckets.v);
	if (kind != 0)
		return; /* a state socklife does not know is left out like a dump's */
	kept->proto = s.proto;
	if (hashed(&s))
		kept->count |= COUNT_HASHED;
	/* The closed peer of a UNIX stream lives on (unlisted, but counted in
	 * use) until its survivor closes: one each. */
	if (s.type != SOCK_DGRAM && sockdiag_unix_peer_gone(&s))
		kept->count |= COUNT_UNIX_ORPHAN;
}

/* What each namespace holds, each socket once: a repeat's place is left
 * out (its bucket NO_BUCKET). */
static void count_buckets(struct bpf_source *src)
{
	for (uint32_t i = 0; i < src->socks.n; i++) {
		if (census_is_repeat(src->census, i)) {
			src->bucket_of.v[i] = NO_BUCKET;
			continue;
		}
		const struct kept *k = &src->socks.v[i];
		struct bucket *b = &src->buckets.v[src->bucket_of.v[i]];
		b->n++;
		if (is_listener(k->flags, k->state)) {
			b->listeners++;
			b->backlog += k->rqueue;
			b->syn_queue += k->syn_queue;
		}
		if ((k->count & COUNT_HASHED) && k->proto < PROTO_COUNT)
			b->hashed[k->proto]++;
		b->unix_orphans += (k->count & COUNT_UNIX_ORPHAN) != 0;
	}
}

static void on_task(const struct sockiter_task *r, void *ctx)
{
	struct bpf_source *src = ctx;
	if (!src->err)
		src->err = census_table(src->census, (int32_t)r->tgid, (int32_t)r->tid, r->fds,
					r->nofile, r->netns);
}

/* Lay the sockets out by namespace, listeners first in each: a counting
 * sort, one pass to count (count_buckets), one to place. */
static int lay_out(struct bpf_source *src)
{
	if (vec_reserve(&src->order, src->socks.n + 1) || vec_reserve(&src->fill, 2 * src->buckets.n + 1))
		return -ENOMEM;
	uint32_t at = 0;
	for (size_t i = 0; i < src->buckets.n; i++) {
		struct bucket *b = &src->buckets.v[i];
		b->first = at;
		src->fill.v[2 * i] = at;                    /* the next listener's place */
		src->fill.v[2 * i + 1] = at + b->listeners; /* the next other socket's */
		at += b->n;
	}
	for (uint32_t i = 0; i < src->socks.n; i++) {
		uint32_t b = src->bucket_of.v[i];
		const struct kept *k = &src->socks.v[i];
		if (b != NO_BUCKET)
			src->order.v[src->fill.v[2 * b + !is_listener(k->flags, k->state)]++] = i;
	}
	src->order.n = at;
	return 0;
}

static int walk(struct source *base, struct census *census)
{
	struct bpf_source *src = (struct bpf_source *)base;
	struct sockiter_sink sink = {on_sock, on_task, src};

	src->pass++;
	src->now = now_monotonic();
	src->census = census;
	src->err = 0;
	vec_clear(&src->socks);
	vec_clear(&src->v6);
	vec_clear(&src->bucket_of);
	vec_clear(&src->buckets);
	keyindex_clear(&src->by_netns);
	census_begin(census, src->nsfs_dev);
	int err = sockiter_read(src->it, &sink);
	if (!err)
		err = src->err;
	if (!err)
		err = census_end(census);
	if (!err) {
		count_buckets(src);
		err = lay_out(src);
	}
	if (err) /* nothing of a broken walk is replayed */
		vec_clear(&src->buckets), keyindex_clear(&src->by_netns);
	return err;
}

/* --- one namespace ------------------------------------------------------- */

/* The kernel's counts of namespace `e`: hashed sockets per protocol and
 * TIME_WAIT, read from outside it through one of its processes (or from
 * our own, for the namespace we run in).  0 or -errno. */
static int kernel_counts(const struct bpf_source *src, const struct netns_entry *e,
			 struct protocols *pr, struct sockstat *st)
{
	char dir[64], path[4200];
	if (e->self)
		snprintf(dir, sizeof(dir), "/proc/thread-self");
	else if (e->pid)
		snprintf(dir, sizeof(dir), "%d", (int)e->pid);
	else
		return -ENOENT; /* no way in from outside */
	const char *root = e->self ? "" : src->proc_root;
	const char *sep = e->self ? "" : "/";
	snprintf(path, sizeof(path), "%s%s%s/net/protocols", root, sep, dir);
	int err = kstat_read_protocols(path, pr);
	if (!err) {
		snprintf(path, sizeof(path), "%s%s%s/net/sockstat", root, sep, dir);
		err = kstat_read_sockstat(path, st);
	}
	return err;
}

/* The protocols the walk cannot answer for alone in this namespace.  Its
 * TIME_WAIT (and orphaned FIN_WAIT2 minisocks: sockstat's tw counts both)
 * alone is counted, not dumped, but for a breakdown by port every
 * breakdown_every seconds: *time_wait gets the count then. */
static uint8_t to_dump(const struct bpf_source *src, const struct netns_entry *e,
		       const struct bucket *b, const struct sysctls *known, uint32_t *time_wait,
		       uint32_t *tcp_short)
{
	struct protocols pr;
	struct sockstat st;
	if (kernel_counts(src, e, &pr, &st) < 0)
		return SOURCE_ALL_PROTOS;
	uint8_t dump = 0;
	/* Not in the first pass: --once and a one-shot top show the count, and
	 * a daemon's first breakdown comes with its second pass. */
	bool breakdown_due = src->pass > 1 &&
			     (!known->tcp_dumped_at ||
			      src->now - known->tcp_dumped_at >= src->breakdown_every);
	bool breakdown = st.tcp_tw && breakdown_due;
	if (pr.tcp != b->hashed[PROTO_TCP] || b->backlog || breakdown)
		dump |= 1u << PROTO_TCP;
	/* The kernel holding more TCP sockets than the walk, and for no other
	 * reason: those may be listeners alone (listeners_explain). */
	if (pr.tcp > b->hashed[PROTO_TCP] && !b->backlog && !breakdown)
		*tcp_short = (uint32_t)(pr.tcp - b->hashed[PROTO_TCP]);
	*time_wait = st.tcp_tw > UINT32_MAX ? UINT32_MAX : (uint32_t)st.tcp_tw;
	if (pr.udp != b->hashed[PROTO_UDP])
		dump |= 1u << PROTO_UDP;
	if (pr.unix_ != b->hashed[PROTO_UNIX] + b->unix_orphans)
		dump |= 1u << PROTO_UNIX;
	return dump;
}

/* A probe of the listening hash: it keeps the listeners no fd the walk
 * saw holds. */
static int probe_socket(const struct sl_socket *s, void *arg)
{
	struct bpf_source *src = arg;
	if (s->proto != PROTO_TCP || s->state != ST_LISTEN || census_find_socket(src->census, s->inode) >= 0)
		return 0;
	struct sl_socket *copy = vec_push(&src->unseen);
	if (!copy)
		return -ENOMEM;
	*copy = *s;
	return 0;
}

static bool no_times(const struct sl_socket *s, void *arg)
{
	(void)s, (void)arg;
	return false;
}

/* Are the `short_by` TCP sockets the kernel counts in namespace `e` beyond
 * the walk all listeners no walked fd holds?  Kernel sockets listen so
 * (nfsd), and so does a process whose table the walk cannot read.  A
 * dump of listeners alone walks the listening hash, a few hundred
 * buckets, where a full TCP dump walks every connection of the host (a
 * namespace shares the host's established hash, source_netlink.h): with
 * 190,000 connections, 0.1 ms instead of 17 ms, every pass.  If they are,
 * they wait in src->unseen and TCP is the walk's; if not, TCP is dumped
 * whole as before. */
static bool listeners_explain(struct bpf_source *src, const struct netns_entry *e,
			      uint32_t short_by)
{
	vec_clear(&src->unseen);
	if (!src->prober || (src->no_setns && !e->self))
		return false; /* /proc/PID/net/tcp lists every socket anyway */
	struct source_sink probe = {probe_socket, no_times, src, 1u << PROTO_TCP, 1u << ST_LISTEN, NULL};
	struct ns_read scratch = {0};
	int err = src->prober->read_netns(src->prober, e, &probe, &scratch);
	return !err && src->unseen.n == short_by;
}

/* Hand on the walk's sockets of `b` of the protocols in `protos`. */
static int replay(struct bpf_source *src, const struct bucket *b, uint8_t protos,
		  const struct source_sink *sink, struct ns_read *out)
{
	for (uint32_t i = b->first; i < b->first + b->n; i++) {
		struct sl_socket s;
		struct sockiter_sock r;
		unkeep(src, &src->socks.v[src->order.v[i]], &r);
		if (sockiter_to_socket(&r, &s) == -ERANGE) {
			out->unknown_states++;
			continue;
		}
		s.walked = src->order.v[i] + 1; /* its census number + 1 */
		if (!(protos & (1u << s.proto)) || !hashed(&s))
			continue; /* dumped instead; or one a dump would not list either */
		int err = sink->socket(&s, sink->ctx);
		if (err)
			return err;
	}
	return 0;
}

static struct sysctls *sysctls_of(struct bpf_source *src, uint32_t netns)
{
	bool added;
	return hashmap_put(&src->sysctls, &netns, &added);
}

/* Dump the protocols in `dump` of namespace `e`, reading its sysctls
 * along (only them, when `dump` is empty).  Where entering it is refused
 * (no CAP_SYS_ADMIN: for good; a process whose ns/net we may not open:
 * for this one) /proc/PID/net serves, without sysctls. */
static int dump_part(struct bpf_source *src, const struct netns_entry *e,
		     const struct source_sink *sink, uint8_t dump, struct ns_read *out)
{
	struct source_sink part = *sink;
	part.protos = dump;
	int err = -EPERM;
	if (!src->no_setns || e->self)
		err = src->dumper->read_netns(src->dumper, e, &part, out);
	if (err != -EPERM && err != -EACCES)
		return err;
	src->no_setns |= err == -EPERM;
	out->setns_refused = true;
	memset(out->read, 0, sizeof(out->read));
	return src->fallback->read_netns(src->fallback, e, &part, out);
}

static int read_netns(struct source *base, const struct netns_entry *e,
		      const struct source_sink *sink, struct ns_read *out)
{
	struct bpf_source *src = (struct bpf_source *)base;
	static const struct bucket none;
	uint32_t netns = (uint32_t)e->id.ino;
	long i = e->id.dev == src->nsfs_dev && e->id.ino && e->id.ino <= UINT32_MAX
			 ? keyindex_find(&src->by_netns, netns)
			 : -1;
	const struct bucket *b = i >= 0 ? &src->buckets.v[i] : &none;
	struct sysctls *known = sysctls_of(src, netns);
	if (!known)
		return -ENOMEM;

	uint32_t time_wait = 0, tcp_short = 0;
	uint8_t dump = to_dump(src, e, b, known, &time_wait, &tcp_short) & sink->protos;
	/* A probe that did not add up waits SOURCE_BPF_PROBE_RETRY passes: a
	 * namespace short of orphans, not listeners, would otherwise cost a
	 * setns() and a dump more every pass, outside the read budget. */
	bool probed = false;
	if ((dump & (1u << PROTO_TCP)) && tcp_short &&
	    (!known->probe_missed || src->pass - known->probe_missed >= SOURCE_BPF_PROBE_RETRY)) {
		probed = listeners_explain(src, e, tcp_short);
		known->probe_missed = probed ? 0 : src->pass;
	}
	if (probed)
		dump &= (uint8_t)~(1u << PROTO_TCP);
	/* The sysctls matter beside TIME_WAIT only (its ports' sides, its
	 * limit): a quiet namespace is never entered for them. */
	bool stale = time_wait && (!known->read_pass ||
				   src->pass - known->read_pass >= SOURCE_BPF_SYSCTL_EVERY);
	if (dump || stale) {
		int err = dump_part(src, e, sink, dump, out);
		if (err)
			return err; /* gone meanwhile: the caller counts it */
		double dumped_at = (dump & (1u << PROTO_TCP)) && !out->age ? src->now
									: known->tcp_dumped_at;
		*known = (struct sysctls){netns, src->pass, out->port_lo, out->port_hi,
					  out->max_tw_buckets, out->shared_ehash, dumped_at,
					  known->probe_missed};
	}
	/* What the dumper read for real this pass is its; the walk gives the
	 * held sockets of every other protocol.  Past the budget the dumper
	 * handed on only the kernel's sockets of its last dump (out->age):
	 * then every held socket is the walk's, and the kernel's counts are
	 * those of that dump, not added again. */
	uint8_t dumped = 0;
	for (int p = 0; p < PROTO_COUNT; p++)
		if ((dump & (1u << p)) && out->read[p] && !out->age)
			dumped |= (uint8_t)(1u << p);
	uint8_t walked = sink->protos & (uint8_t)~dumped;
	out->mode = out->age || !(dump || probed) ? NS_MODE_BPF
		    : out->setns_refused	       ? NS_MODE_BPF_PROCFS
						       : NS_MODE_BPF_DUMP;
	out->port_lo = known->port_lo;
	out->port_hi = known->port_hi;
	out->max_tw_buckets = known->max_tw_buckets;
	out->shared_ehash = known->shared_ehash;
	for (int p = 0; p < PROTO_COUNT; p++)
		if (walked & (1u << p))
			out->read[p] = true;
	if ((walked & (1u << PROTO_TCP)) && !out->age) {
		out->syn_recv = b->syn_queue;
		out->time_wait = time_wait;
	}
	/* The probe's listeners first: a namespace's listeners come before
	 * its connections (source.h). */
	for (size_t k = 0; probed && k < src->unseen.n; k++) {
		int err = sink->socket(&src->unseen.v[k], sink->ctx);
		if (err)
			return err;
	}
	return replay(src, b, walked, sink, out);
}

static void free_source(struct source *base)
{
	struct bpf_source *src = (struct bpf_source *)base;
	vec_free(&src->socks);
	vec_free(&src->v6);
	vec_free(&src->order);
	vec_free(&src->bucket_of);
	vec_free(&src->fill);
	vec_free(&src->buckets);
	keyindex_free(&src->by_netns);
	hashmap_free(&src->sysctls);
	vec_free(&src->unseen);
	free(src);
}

int source_bpf_new(struct source **out, struct sockiter *it, struct source *dumper,
		   struct source *fallback, struct source *prober, const char *proc_root,
		   uint64_t nsfs_dev, double breakdown_every)
{
	struct bpf_source *src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	*src = (struct bpf_source){
		.base = {"bpf", walk, read_netns, free_source},
		.it = it,
		.dumper = dumper,
		.fallback = fallback,
		.prober = prober,
		.proc_root = proc_root,
		.nsfs_dev = nsfs_dev,
		.breakdown_every = breakdown_every,
		.by_netns = KEYINDEX_INIT,
		.sysctls = HASHMAP_INIT(struct sysctls),
	};
	*out = &src->base;
	return 0;
}
