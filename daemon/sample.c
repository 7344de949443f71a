/* sample.c - one sampling pass from /proc and sock_diag to a snapshot. */
#include <socklife/sample.h>

#include <socklife/kstat.h>
#include <socklife/log.h>
#include <socklife/page.h>
#include <socklife/procnet.h>
#include <socklife/render.h>
#include <socklife/selfstat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The TCP states whose age is a leak signal get their own dump, the only
 * one that asks for tcp_info: the kernel filters by state, so the costly
 * attribute is only built for these few sockets. */
#define AGED_STATES ((1u << ST_CLOSE_WAIT) | (1u << ST_FIN_WAIT2))

double now_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double now_realtime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void leak_params_from(struct leak_params *p, const struct config *cfg)
{
	*p = (struct leak_params){
		.close_wait_age = cfg->leak_close_wait_age,
		.fin_wait2_age = cfg->leak_fin_wait2_age,
		.unhashed_age = cfg->leak_unhashed_age,
		.unix_peer_gone_age = cfg->leak_unix_peer_gone_age,
		.growth_window = cfg->leak_growth_window,
		.close_wait_growth = cfg->leak_close_wait_growth,
		.socket_growth = cfg->leak_socket_growth,
		.fd_ratio = cfg->leak_fd_ratio,
	};
}

int sampler_init(struct sampler *s, const struct config *cfg, double start_time)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->start_time = start_time;
	s->ps.root = cfg->proc_root;
	caps_read(&s->caps);
	s->ps.verify_passes = cfg->verify_passes;
	s->tcp_one_walk = true;
	leak_params_from(&s->leak.params, cfg);
	/* Our own namespace is the one the diag socket is opened in; it is read
	 * from the real procfs even when --proc-root points at a fake tree. */
	int err = netns_id_of("/proc/thread-self/ns/net", &s->self_ns);
	if (err)
		return err;
	s->self_ns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (s->self_ns_fd < 0)
		return -errno;
	return sockdiag_open(&s->diag);
}

void sampler_free(struct sampler *s)
{
	sockdiag_close(s->diag);
	if (s->self_ns_fd > 0)
		close(s->self_ns_fd);
	netns_names_free(&s->names);
	netns_set_free(&s->namespaces);
	procscan_free(&s->ps);
	owners_free(&s->owners);
	cookieset_free(&s->cookies);
	cookieset_free(&s->missing);
	cookieset_free(&s->needs_age);
	cookieset_free(&s->unresolvable[0]);
	cookieset_free(&s->unresolvable[1]);
	free(s->pending);
	tally_free(&s->tally);
	sockhist_free(&s->sockhist);
	sockproto_free(&s->protos);
	twports_free(&s->twports);
	leak_free(&s->leak);
	free(s->stats.ns_durations);
	sb_free(&s->data);
	sb_free(&s->page);
	sb_free(&s->out);
	memset(s, 0, sizeof(*s));
}

struct dump_ctx {
	struct sampler *s;
	size_t ns;
	bool procfs; /* sockets read from /proc/PID/net: no tcp_info */
	int err;     /* first error a callback met */
};

static struct cookieset *unresolvable_now(struct sampler *s)
{
	return &s->unresolvable[s->ps.pass % 2];
}

static struct cookieset *unresolvable_before(struct sampler *s)
{
	return &s->unresolvable[(s->ps.pass + 1) % 2];
}

/* Hold a socket whose owner is unknown until the owners are searched. */
static int defer(struct sampler *s, const struct sl_socket *sk, size_t ns)
{
	if (s->npending == s->pending_cap) {
		size_t cap = s->pending_cap ? s->pending_cap * 2 : 256;
		void *p = realloc(s->pending, cap * sizeof(*s->pending));
		if (!p)
			return -ENOMEM;
		s->pending = p;
		s->pending_cap = cap;
	}
	s->pending[s->npending++] = (struct pending_socket){*sk, (uint32_t)ns};
	return cookieset_add(&s->missing, sk->inode) < 0 ? -ENOMEM : 0;
}

/* How long an owned CLOSE_WAIT or FIN_WAIT2 socket has been so.  A socket
 * seen for the first time gets its age from tcp_info, which a second,
 * filtered dump fetches only when there are such sockets (`needs_age`);
 * procfs gives no tcp_info, so there the first sighting counts. */
static double age_of(struct dump_ctx *c, const struct sl_socket *sk)
{
	struct sampler *s = c->s;
	if (!sk->inode || (sk->state != ST_CLOSE_WAIT && sk->state != ST_FIN_WAIT2))
		return 0;
	if (sk->has_info || sockhist_find(&s->sockhist, sk->cookie) || c->procfs) {
		double hint = sk->has_info ? sk->last_ack_recv_ms / 1000.0 : 0;
		return sockhist_observe(&s->sockhist, sk->cookie, sk->state, s->now, hint);
	}
	if (cookieset_add(&s->needs_age, sk->cookie) < 0)
		c->err = -ENOMEM;
	return 0;
}

/* A socket the dump showed twice: count it once. */
static void duplicate(struct sampler *s) { s->stats.skipped_duplicates++; }

static void on_socket(const struct sl_socket *sk, void *arg)
{
	struct dump_ctx *c = arg;
	struct sampler *s = c->s;

	if (sk->proto == PROTO_TCP) {
		if (sk->state == ST_LISTEN)
			twports_listen(&s->twports, sk->sport);
		else if (sk->state == ST_TIME_WAIT && twports_time_wait(&s->twports, sk->sport, sk->dport))
			c->err = -ENOMEM;
	}
	/* A socket some fd holds is de-duplicated by its holder's mark; the
	 * others, with no holder to mark, by cookie. */
	const struct owner_slot *slot = sk->inode ? owners_find(&s->owners, sk->inode) : NULL;
	if (!slot) {
		int fresh = cookieset_add(&s->cookies, sk->cookie);
		if (fresh <= 0) {
			if (fresh < 0)
				c->err = -ENOMEM;
			else
				duplicate(s);
			return;
		}
	}
	double age = sk->proto == PROTO_TCP ? age_of(c, sk) : 0;
	switch (tally_socket_at(&s->tally, c->ns, sk, age, slot)) {
	case TALLY_DUPLICATE:
		duplicate(s);
		break;
	case TALLY_UNOWNED:
		if (cookieset_has(unresolvable_before(s), sk->inode)) {
			/* Searched for in vain last pass: do not search again. */
			tally_unresolved(&s->tally, c->ns, sk);
			if (cookieset_add(unresolvable_now(s), sk->inode) < 0)
				c->err = -ENOMEM;
		} else if (defer(s, sk, c->ns) < 0) {
			c->err = -ENOMEM;
		}
		break;
	default:
		break;
	}
}

/* The second TCP dump: tcp_info for the CLOSE_WAIT and FIN_WAIT2 sockets
 * first seen this pass, to date them. */
static void on_aged_socket(const struct sl_socket *sk, void *arg)
{
	struct dump_ctx *c = arg;
	struct sampler *s = c->s;
	if (!sk->inode || !cookieset_has(&s->needs_age, sk->cookie))
		return;
	double age = sockhist_observe(&s->sockhist, sk->cookie, sk->state, s->now,
				      sk->has_info ? sk->last_ack_recv_ms / 1000.0 : 0);
	tally_age(&s->tally, sk, age);
}

/* Find the owners of the sockets that had none, then count them.  The
 * search reads at most as many processes as the rotation does: under heavy
 * churn a socket may be closed again before it is found, and that must not
 * turn every pass into a full walk.  What was not found is unresolved this
 * pass; only what a complete search missed is not searched for next pass. */
static int settle_pending(struct sampler *s)
{
	bool exhausted = false;
	if (s->npending) {
		unsigned k = s->cfg->verify_passes ? s->cfg->verify_passes : 1;
		size_t budget = s->ps.nprocs / k + 8;
		size_t before = s->ps.nholders;
		long read = procscan_resolve(&s->ps, &s->missing, budget, &exhausted);
		if (read < 0)
			return (int)read;
		s->stats.resolve_reads += (uint64_t)read;
		if (s->ps.nholders > before &&
		    (owners_build(&s->owners, s->ps.holders, s->ps.nholders) < 0 ||
		     tally_grow(&s->tally, before) < 0))
			return -ENOMEM;
	}
	for (size_t i = 0; i < s->npending; i++) {
		const struct pending_socket *p = &s->pending[i];
		const struct sockhist_entry *e = sockhist_find(&s->sockhist, p->sk.cookie);
		double age = e && e->pass == s->sockhist.pass ? s->now - e->state_since : 0;
		enum tally_result r = tally_socket(&s->tally, p->ns, &p->sk, age);
		if (r == TALLY_UNOWNED) {
			tally_unresolved(&s->tally, p->ns, &p->sk);
			if (exhausted && cookieset_add(unresolvable_now(s), p->sk.inode) < 0)
				return -ENOMEM;
		}
	}
	s->npending = 0;
	cookieset_clear(&s->missing);
	return 0;
}

/* One TCP dump for `states`: one walk of the kernel's hash for both
 * families where the kernel allows it, else one walk per family. */
static int dump_tcp(struct sampler *s, struct sockdiag *diag, struct sockdiag_parser *p,
		    uint32_t states, bool tcp_info)
{
	struct sockdiag_request req = {.proto = PROTO_TCP, .states = states, .tcp_info = tcp_info};
	int err;

	if (s->tcp_one_walk) {
		req.family = AF_UNSPEC;
		uint64_t before = p->stats.sockets;
		err = sockdiag_dump(diag, &req, p);
		if (err == 0 || p->stats.sockets > before)
			return err;
		if (err != -EINVAL && err != -ENOENT && err != -EOPNOTSUPP)
			return err;
		s->tcp_one_walk = false; /* this kernel lacks the older request */
	}
	static const uint8_t families[] = {AF_INET, AF_INET6};
	for (size_t i = 0; i < sizeof(families); i++) {
		req.family = families[i];
		if ((err = sockdiag_dump(diag, &req, p)))
			return err;
	}
	return 0;
}

/* Dump one protocol of a namespace through a sock_diag socket opened in it. */
static int dump_proto(struct sampler *s, struct sockdiag *diag, struct sockdiag_parser *p)
{
	static const uint8_t families[] = {AF_INET, AF_INET6};
	struct sockdiag_request req = {.proto = p->proto, .states = SOCKDIAG_ALL_STATES};
	int err = 0;

	switch (p->proto) {
	case PROTO_TCP:
		cookieset_clear(&s->needs_age);
		err = dump_tcp(s, diag, p, SOCKDIAG_ALL_STATES, false);
		if (!err && s->needs_age.count) {
			/* Filtered in the kernel to the two aged states, so tcp_info
			 * is built for a few sockets, not all. */
			struct sockdiag_parser aged = *p;
			aged.cb = on_aged_socket;
			err = dump_tcp(s, diag, &aged, AGED_STATES, true);
		}
		return err;
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

/* Read /proc/PID/net/ tables of a process in the namespace instead. */
static int read_proto_procfs(struct sampler *s, const struct netns_entry *e,
			     struct sockdiag_parser *p)
{
	static const struct {
		uint8_t proto, family;
		const char *file;
	} files[] = {
		{PROTO_TCP, AF_INET, "tcp"},  {PROTO_TCP, AF_INET6, "tcp6"},
		{PROTO_UDP, AF_INET, "udp"},  {PROTO_UDP, AF_INET6, "udp6"},
		{PROTO_UNIX, AF_UNIX, "unix"},
	};
	char path[4096];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (files[i].proto != p->proto)
			continue;
		snprintf(path, sizeof(path), "%s/%d/net/%s", s->cfg->proc_root, (int)e->pid,
			 files[i].file);
		int err = procnet_read(p, path, files[i].family);
		if (err == -ENOENT && files[i].family == AF_INET6)
			continue; /* a kernel without IPv6 */
		if (err)
			return err;
	}
	return 0;
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

/* Count every socket of one namespace into tally namespace `ns`.  The
 * calling thread is inside that namespace when `diag` is given; otherwise
 * the namespace is read through /proc/PID/net of a process in it. */
static int count_namespace(struct sampler *s, const struct netns_entry *e, size_t ns,
			   struct sockdiag *diag)
{
	bool in_use[PROTO_COUNT];
	uint16_t lo = 0, hi = 0;
	struct dump_ctx ctx = {s, ns, !diag, 0};

	if (diag) {
		protocols_in_use(in_use);
		kstat_read_port_range("/proc/sys/net/ipv4/ip_local_port_range", &lo, &hi);
	} else {
		for (int p = 0; p < PROTO_COUNT; p++)
			in_use[p] = true;
	}
	twports_begin(&s->twports, lo, hi);
	for (int proto = 0; proto < PROTO_COUNT; proto++) {
		struct sockdiag_parser p = {.proto = proto, .cb = on_socket, .ctx = &ctx};
		int err = 0;
		if (in_use[proto])
			err = diag ? dump_proto(s, diag, &p) : read_proto_procfs(s, e, &p);
		s->stats.skipped_unknown_state += p.stats.unknown_states;
		if (err || ctx.err)
			return err ? err : ctx.err;
		/* A protocol with no socket in use is known to be empty: zeros. */
		s->tally.ns[ns].dumped[proto] = true;
	}
	struct ns_tally *nt = &s->tally.ns[ns];
	int n = twports_top(&s->twports, s->cfg->time_wait_top_ports, nt->tw);
	if (n < 0)
		return n;
	nt->ntw = n;
	if (!diag || kstat_read_u64("/proc/sys/net/ipv4/tcp_max_tw_buckets", &nt->max_tw_buckets) < 0)
		nt->max_tw_buckets = 0;
	return 0;
}

/* Enter a namespace other than our own and count it, or fall back to
 * procfs when setns is not allowed.  A namespace gone meanwhile is counted
 * as vanished, not as an error. */
static int visit_namespace(struct sampler *s, const struct netns_entry *e)
{
	struct sockdiag *diag = NULL;
	enum ns_mode mode = NS_MODE_SOCK_DIAG;

	if (!e->self && !s->no_setns) {
		int err = netns_enter(e, s->cfg->proc_root, "/run/netns");
		if (err == -EPERM) {
			s->no_setns = true;
			log_warn("cannot enter other network namespaces (setns needs CAP_SYS_ADMIN): "
				 "reading /proc/PID/net for them instead");
		} else if (err) {
			s->stats.vanished_netns++;
			return 0;
		} else if ((err = sockdiag_open(&diag)) < 0) {
			netns_return(s->self_ns_fd);
			return err;
		}
	}
	if (!e->self && s->no_setns)
		mode = e->pid ? NS_MODE_PROCFS : NS_MODE_NONE;

	int ns = tally_add_netns(&s->tally, &e->id, e->label);
	int err = ns < 0 ? ns : 0;
	if (!err && mode != NS_MODE_NONE)
		err = count_namespace(s, e, (size_t)ns, e->self ? s->diag : diag);
	if (!err)
		s->tally.ns[ns].mode = mode;
	if (diag) {
		sockdiag_close(diag);
		int rerr = netns_return(s->self_ns_fd);
		if (rerr && !err)
			err = rerr;
	}
	if (err == -ENOENT && mode == NS_MODE_PROCFS) {
		s->tally.nns--; /* its process exited before its tables were read */
		s->stats.vanished_netns++;
		return 0;
	}
	return err;
}

/* Walk /proc, index owners and group processes. */
static int scan_processes(struct sampler *s)
{
	int err = procscan_run(&s->ps);
	s->stats.vanished_procs += s->ps.stats.vanished_procs;
	s->stats.vanished_fds += s->ps.stats.vanished_fds;
	if (err)
		return err;
	err = owners_build(&s->owners, s->ps.holders, s->ps.nholders);
	if (err)
		return err;
	s->tally.scope = s->cfg->all_netns ? NULL : &s->self_ns;
	return tally_begin(&s->tally, &s->ps, &s->owners, s->cfg->group_by);
}

/* Should a dump have listed this socket fd?  Only if its process lives in
 * a namespace that was dumped and its protocol is one that was dumped. */
static bool dump_should_list(uint32_t holder, void *arg)
{
	struct sampler *s = arg;
	const struct sock_holder *h = &s->ps.holders[holder];
	const struct proc_info *pi = &s->ps.procs[h->proc];

	for (size_t i = 0; i < s->tally.nns; i++) {
		const struct ns_tally *nt = &s->tally.ns[i];
		if (nt->id.ino != pi->netns_ino || nt->id.dev != pi->netns_dev)
			continue;
		uint8_t proto = sockproto_of(&s->protos, s->cfg->proc_root, pi->pid, h->fd, h->inode);
		/* UDP dumps leave out sockets never bound, which is normal, not a
		 * leak; TCP and UNIX dumps list every socket still in use. */
		if (proto == PROTO_UDP || proto >= PROTO_COUNT || !nt->dumped[proto])
			return false;
		/* A process not read this pass may have closed the fd since: ask. */
		return procscan_still_held(&s->ps, holder);
	}
	return false;
}

static void read_kernel_figures(struct sampler *s)
{
	struct sockstat st;
	char path[4096];

	snprintf(path, sizeof(path), "%s/net/sockstat", s->cfg->proc_root);
	s->kernel.orphans_known = kstat_read_sockstat(path, &st) == 0;
	s->kernel.tcp_orphans = s->kernel.orphans_known ? st.tcp_orphan : 0;
	s->kernel.max_orphans_known =
		kstat_read_u64("/proc/sys/net/ipv4/tcp_max_orphans", &s->kernel.tcp_max_orphans) == 0;
}

static int count_sockets(struct sampler *s)
{
	if (netns_names_refresh(&s->names, s->cfg->proc_root, "/run/netns") < 0)
		s->stats.errors[STAGE_NETNS]++; /* labels fall back to ns-<inode> */
	int err = netns_collect(&s->namespaces, &s->names, &s->self_ns, s->ps.procs, s->ps.nprocs,
				s->cfg->all_netns);
	if (err)
		return err;
	cookieset_clear(&s->cookies);
	cookieset_clear(unresolvable_now(s));
	cookieset_clear(&s->missing);
	s->npending = 0;
	sockhist_begin(&s->sockhist);
	for (size_t i = 0; i < s->namespaces.n; i++) {
		double t0 = now_monotonic();
		size_t before = s->tally.nns;
		if ((err = visit_namespace(s, &s->namespaces.e[i])))
			return err;
		if (s->tally.nns > before)
			s->tally.ns[before].duration = now_monotonic() - t0;
	}
	if ((err = settle_pending(s)))
		return err;
	sockhist_end(&s->sockhist);
	sockproto_begin(&s->protos);
	tally_unhashed(&s->tally, dump_should_list, s);
	read_kernel_figures(s);
	return leak_update(&s->leak, &s->ps, &s->tally, s->now);
}

/* Remember each namespace's time for the status part of the exposition. */
static void keep_ns_durations(struct sampler *s)
{
	struct scan_stats *st = &s->stats;
	if (s->tally.nns > st->ns_durations_cap) {
		void *p = realloc(st->ns_durations, s->tally.nns * sizeof(*st->ns_durations));
		if (!p) {
			st->n_ns_durations = 0;
			return;
		}
		st->ns_durations = p;
		st->ns_durations_cap = s->tally.nns;
	}
	for (size_t i = 0; i < s->tally.nns; i++) {
		memcpy(st->ns_durations[i].label, s->tally.ns[i].label, sizeof(st->ns_durations[i].label));
		st->ns_durations[i].seconds = s->tally.ns[i].duration;
	}
	st->n_ns_durations = s->tally.nns;
}

int sampler_pass(struct sampler *s, struct snapshot **out)
{
	double t0 = now_monotonic(), taken = now_realtime();
	int err;

	*out = NULL;
	s->now = t0;
	err = scan_processes(s);
	double t1 = now_monotonic();
	if (err) {
		s->stats.errors[STAGE_PROC]++;
		goto publish;
	}
	err = count_sockets(s);
	double t2 = now_monotonic();
	s->stats.duration[PHASE_PROC] = t1 - t0;
	s->stats.duration[PHASE_DUMP] = t2 - t1;
	if (err) {
		s->stats.errors[STAGE_DUMP]++;
		goto publish;
	}

	/* Success: this pass's counts replace the last good ones. */
	s->stats.last_success = taken;
	s->stats.procs = (uint32_t)s->ps.nprocs;
	s->stats.fds_read = s->ps.stats.fds_read;
	s->stats.denied_procs = (uint32_t)s->ps.stats.denied_procs;
	if (s->stats.denied_procs && !s->told_denied) {
		s->told_denied = true;
		log_warn("cannot read the fds of %u processes (needs CAP_SYS_PTRACE and "
			 "CAP_DAC_READ_SEARCH): per-process attribution is partial; their sockets "
			 "count per namespace only (socklife_unresolved_sockets), and namespaces "
			 "only they live in are not found unless named in /run/netns",
			 s->stats.denied_procs);
	}
	s->stats.history_overflow = s->sockhist.overflow;
	keep_ns_durations(s);
	sb_reset(&s->data);
	render_sockets(&s->data, &s->tally);
	render_leaks(&s->data, &s->leak, &s->ps, &s->tally);
	render_kernel(&s->data, &s->tally, s->kernel.orphans_known, s->kernel.tcp_orphans,
		      s->kernel.max_orphans_known, s->kernel.tcp_max_orphans);
	sb_reset(&s->page);
	struct page_input pin = {&s->ps, &s->tally, &s->leak, &s->stats};
	page_render(&s->page, &pin);

publish:
	s->stats.scans++;
	s->stats.duration[PHASE_TOTAL] = now_monotonic() - t0;

	struct selfstat self;
	selfstat_read(&self, s->start_time);
	sb_reset(&s->out);
	sb_append(&s->out, s->data.buf ? s->data.buf : "", s->data.len);
	render_status(&s->out, &s->stats, &self, &s->caps);
	if (s->page.len == 0) {
		struct page_input none = {.stats = &s->stats};
		page_render(&s->page, &none);
	}
	int serr = snapshot_new(out, &s->out, &s->page, s->stats.last_success);
	if (serr) {
		s->stats.errors[STAGE_RENDER]++;
		*out = NULL;
		if (!err)
			err = serr;
	}
	return err;
}
