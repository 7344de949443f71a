/* sample.c - one sampling pass from /proc and sock_diag to a snapshot. */
#include <socklife/sample.h>

#include <socklife/kstat.h>
#include <socklife/page.h>
#include <socklife/render.h>
#include <socklife/selfstat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

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
	s->tcp_one_walk = true;
	leak_params_from(&s->leak.params, cfg);
	/* Our own namespace is the one the diag socket is opened in; it is read
	 * from the real procfs even when --proc-root points at a fake tree. */
	int err = netns_id_of("/proc/thread-self/ns/net", &s->self_ns);
	if (err)
		return err;
	return sockdiag_open(&s->diag);
}

void sampler_free(struct sampler *s)
{
	sockdiag_close(s->diag);
	netns_names_free(&s->names);
	procscan_free(&s->ps);
	owners_free(&s->owners);
	cookieset_free(&s->cookies);
	tally_free(&s->tally);
	sockhist_free(&s->sockhist);
	sockproto_free(&s->protos);
	twports_free(&s->twports);
	leak_free(&s->leak);
	sb_free(&s->data);
	sb_free(&s->page);
	sb_free(&s->out);
	memset(s, 0, sizeof(*s));
}

struct dump_ctx {
	struct sampler *s;
	size_t ns;
	int err; /* first error a callback met */
};

static void on_socket(const struct sl_socket *sk, void *arg)
{
	struct dump_ctx *c = arg;
	struct sampler *s = c->s;
	double age = 0;

	if (sk->proto == PROTO_TCP) {
		if (sk->state == ST_LISTEN)
			twports_listen(&s->twports, sk->sport);
		else if (sk->state == ST_TIME_WAIT && twports_time_wait(&s->twports, sk->sport, sk->dport))
			c->err = -ENOMEM;
		/* Ages matter for sockets a process holds and only it can end. */
		if (sk->inode && (sk->state == ST_CLOSE_WAIT || sk->state == ST_FIN_WAIT2)) {
			double hint = sk->has_info ? sk->last_ack_recv_ms / 1000.0 : 0;
			age = sockhist_observe(&s->sockhist, sk->cookie, sk->state, s->now, hint);
		}
	}
	tally_socket(&s->tally, c->ns, sk, age);
}

/* One TCP dump of our namespace for `states`: one walk of the kernel's hash
 * for both families where the kernel allows it, else one walk per family. */
static int dump_tcp(struct sampler *s, size_t ns, uint32_t states, bool tcp_info)
{
	struct dump_ctx ctx = {s, ns, 0};
	struct sockdiag_parser p = {.proto = PROTO_TCP, .seen = &s->cookies, .cb = on_socket, .ctx = &ctx};
	struct sockdiag_request req = {.proto = PROTO_TCP, .states = states, .tcp_info = tcp_info};
	int err;

	if (s->tcp_one_walk) {
		req.family = AF_UNSPEC;
		err = sockdiag_dump(s->diag, &req, &p);
		if (err == 0 || p.stats.sockets > 0 || p.stats.duplicates > 0)
			goto out;
		if (err != -EINVAL && err != -ENOENT && err != -EOPNOTSUPP)
			goto out;
		s->tcp_one_walk = false; /* this kernel lacks the older request */
	}
	static const uint8_t families[] = {AF_INET, AF_INET6};
	for (size_t i = 0; i < sizeof(families); i++) {
		req.family = families[i];
		err = sockdiag_dump(s->diag, &req, &p);
		if (err)
			break;
	}
out:
	s->stats.skipped_duplicates += p.stats.duplicates;
	s->stats.skipped_unknown_state += p.stats.unknown_states;
	return err ? err : ctx.err;
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
	return tally_begin(&s->tally, &s->ps, &s->owners, s->cfg->group_by);
}

/* Everything one namespace contributes: its TCP sockets, TIME_WAIT by
 * port, and its TIME_WAIT bucket limit. */
static int count_namespace(struct sampler *s, const struct netns_id *id, const char *label)
{
	int ns = tally_add_netns(&s->tally, id, label);
	if (ns < 0)
		return ns;
	struct ns_tally *nt = &s->tally.ns[ns];
	uint16_t lo = 0, hi = 0;
	kstat_read_port_range("/proc/sys/net/ipv4/ip_local_port_range", &lo, &hi);
	twports_begin(&s->twports, lo, hi);
	int err = dump_tcp(s, (size_t)ns, SOCKDIAG_ALL_STATES & ~AGED_STATES, false);
	if (!err)
		err = dump_tcp(s, (size_t)ns, AGED_STATES, true);
	if (err)
		return err;
	nt = &s->tally.ns[ns];
	nt->dumped[PROTO_TCP] = true;
	int n = twports_top(&s->twports, s->cfg->time_wait_top_ports, nt->tw);
	if (n < 0)
		return n;
	nt->ntw = n;
	if (kstat_read_u64("/proc/sys/net/ipv4/tcp_max_tw_buckets", &nt->max_tw_buckets) < 0)
		nt->max_tw_buckets = 0;
	return 0;
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
		return proto < PROTO_COUNT && nt->dumped[proto];
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
	char label[NETNS_LABEL_MAX];

	if (netns_names_refresh(&s->names, s->cfg->proc_root, "/run/netns") < 0)
		s->stats.errors[STAGE_NETNS]++; /* labels fall back to ns-<inode> */
	netns_label(&s->names, &s->self_ns, &s->self_ns, label);
	cookieset_clear(&s->cookies);
	sockhist_begin(&s->sockhist);
	int err = count_namespace(s, &s->self_ns, label);
	if (err)
		return err;
	sockhist_end(&s->sockhist);
	sockproto_begin(&s->protos);
	tally_unhashed(&s->tally, dump_should_list, s);
	read_kernel_figures(s);
	return leak_update(&s->leak, &s->ps, &s->tally, s->now);
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
	s->stats.denied_procs = (uint32_t)s->ps.stats.denied_procs;
	s->stats.history_overflow = s->sockhist.overflow;
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
	render_status(&s->out, &s->stats, &self);
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
