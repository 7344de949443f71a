/* sample.c - one sampling pass, from /proc and the sources to a snapshot.
 *
 * This file only orchestrates: attribution walks /proc, a source reads each
 * namespace, the tally counts, the leak rules judge, the diagnosis and the
 * renderer format.  What each step does is in its own module. */
#include <socklife/sample.h>

#include <socklife/kstat.h>
#include <socklife/log.h>
#include <socklife/netstat.h>
#include <socklife/selfstat.h>
#include <socklife/source_bpf.h>
#include <socklife/source_budget.h>
#include <socklife/source_netlink.h>
#include <socklife/source_procfs.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int sampler_init(struct sampler *s, const struct config *cfg, double start_time,
		 struct sockiter *it)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->start_time = start_time;
	caps_read(&s->caps, it != NULL);
	census_init(&s->census);
	attrib_init(&s->attrib, cfg->proc_root, cfg->verify_passes);
	s->sockhist = (struct sockhist)SOCKHIST_INIT;
	s->tw_kept = (struct twports_memory)TWPORTS_MEMORY_INIT;
	s->pods = (struct pods)PODS_INIT;
	s->leak.params = cfg->leak;
	s->series.all_states = cfg->metrics_all_states;
	s->series.netns_scan = cfg->metrics_netns_scan;
	s->focus.pid = cfg->pid;
	/* Our own namespace, from the real procfs even when --proc-root points
	 * at a fake tree or a host's /proc mounted elsewhere. */
	int err = netns_id_of("/proc/thread-self/ns/net", &s->self_ns);
	struct source **src = s->src;
	if (!err)
		err = source_netlink_new(&src[SRC_NETLINK], cfg->proc_root, "/run/netns");
	if (!err)
		err = source_procfs_new(&src[SRC_PROCFS], cfg->proc_root);
	if (!err)
		err = source_budget_new(&src[SRC_NETLINK_PACED], src[SRC_NETLINK], false);
	if (!err)
		err = source_budget_new(&src[SRC_PROCFS_PACED], src[SRC_PROCFS], false);
	if (!err && it)
		err = source_budget_new(&src[SRC_BPF_DUMPER], src[SRC_NETLINK], true);
	if (!err && it)
		err = source_budget_new(&src[SRC_BPF_FALLBACK], src[SRC_PROCFS], true);
	if (!err && it)
		err = source_bpf_new(&src[SRC_BPF], it, src[SRC_BPF_DUMPER], src[SRC_BPF_FALLBACK],
				     src[SRC_NETLINK], cfg->proc_root, s->self_ns.dev,
				     cfg->time_wait_breakdown);
	s->netlink = src[SRC_NETLINK_PACED];
	s->procfs = src[SRC_PROCFS_PACED];
	s->bpf = src[SRC_BPF];
	s->stats.source = it ? "bpf" : "netlink";
	return err;
}

void sampler_free(struct sampler *s)
{
	for (int i = SRC_COUNT; i-- > 0;) /* wrappers before what they wrap */
		if (s->src[i])
			s->src[i]->free(s->src[i]);
	census_free(&s->census);
	netns_names_free(&s->names);
	attrib_free(&s->attrib);
	sockhist_free(&s->sockhist);
	leak_free(&s->leak);
	series_free(&s->series);
	listeners_free(&s->pass.listeners);
	vec_free(&s->stats.ns_durations);
	sb_free(&s->data);
	sb_free(&s->page);
	netns_set_free(&s->pass.namespaces);
	tally_free(&s->pass.tally);
	twports_free(&s->pass.twports);
	twports_memory_free(&s->tw_kept);
	pods_free(&s->pods);
	diag_free(&s->pass.diag);
	vec_free(&s->pass.watch);
	focus_free(&s->focus);
	sb_free(&s->pass.out);
	memset(s, 0, sizeof(*s));
}

/* --- one namespace ------------------------------------------------------- */

struct ns_ctx {
	struct sampler *s;
	uint32_t ns; /* its index in the tally */
};

static bool timed(const struct sl_socket *sk)
{
	return sk->proto == PROTO_TCP && sk->inode && (TIMED_STATES & (1u << sk->state));
}

/* The shortest silence that makes a CLOSE_WAIT or FIN_WAIT2 socket stale. */
static double stale_min(const struct leak_params *p)
{
	return p->close_wait_age < p->fin_wait2_age ? p->close_wait_age : p->fin_wait2_age;
}

/* How long a held CLOSE_WAIT or FIN_WAIT2 socket has been silent: nothing
 * sent or received on it, by the kernel's tcp_info when the source gave
 * it; else how long it has been in its state, which bounds the silence
 * (entering the state took a packet).  A half-closed stream that still
 * moves data is never silent for long. */
static double silence_of(struct sampler *s, const struct sl_socket *sk)
{
	if (!timed(sk))
		return 0;
	double silent = sk->has_info ? sockdiag_silent_ms(sk) / 1000.0 : 0;
	double in_state = sockhist_observe(&s->sockhist, sk->cookie, sk->state, s->pass.now, silent);
	return sk->has_info && silent < in_state ? silent : in_state;
}

/* The kernel's times are needed for a socket seen for the first time (to
 * date it), and for one in its state long enough to be stale (to see
 * whether anything still moves on it). */
static bool wants_times(const struct sl_socket *sk, void *arg)
{
	const struct ns_ctx *c = arg;
	if (!timed(sk))
		return false;
	const struct sockhist_entry *e = sockhist_find(&c->s->sockhist, sk->cookie);
	return !e || e->state != sk->state ||
	       c->s->pass.now - e->state_since >= stale_min(&c->s->cfg->leak);
}

/* A connection accepted on a port listening in its namespace is inbound.
 * Sources hand on a namespace's listeners before its connections (the
 * kernel's dumps and tables list the listening hash first). */
static enum side side_of(const struct twports *tw, const struct sl_socket *sk)
{
	if (sk->proto != PROTO_TCP || sk->state == ST_LISTEN)
		return SIDE_NONE;
	return twports_listening(tw, sk->sport) ? SIDE_INBOUND : SIDE_OUTBOUND;
}

/* Every socket a source reads comes through here. */
static int on_socket(const struct sl_socket *sk, void *arg)
{
	struct ns_ctx *c = arg;
	struct twports *tw = &c->s->pass.twports;
	if (sk->proto == PROTO_TCP && sk->state == ST_LISTEN)
		twports_listen(tw, sk->sport);
	else if (sk->proto == PROTO_TCP && sk->state == ST_TIME_WAIT &&
		 twports_time_wait(tw, sk->sport, sk->dport))
		return -ENOMEM;
	return attrib_socket(&c->s->attrib, sk, c->ns, silence_of(c->s, sk), side_of(tw, sk));
}

static void on_ahead(uint64_t inode, void *arg)
{
	const struct ns_ctx *c = arg;
	attrib_prefetch(&c->s->attrib, inode);
}

/* The source for a namespace: the bpf walk when it worked this pass, else
 * sock_diag from inside it, unless setns() has been refused; then
 * /proc/PID/net. */
static struct source *source_for(struct sampler *s, const struct netns_entry *e)
{
	if (s->walked)
		return s->bpf;
	return e->self || !s->no_setns ? s->netlink : s->procfs;
}

static int read_with(struct sampler *s, struct source *src, const struct netns_entry *e,
		     struct ns_ctx *c, struct ns_read *r)
{
	struct source_sink sink = {on_socket, wants_times, c, SOURCE_ALL_PROTOS, 0, on_ahead};
	memset(r, 0, sizeof(*r));
	twports_begin(&s->pass.twports);
	return src->read_netns(src, e, &sink, r);
}

static int break_down_time_wait(struct sampler *s, struct ns_tally *nt);

/* Read one namespace into the tally.  A namespace gone meanwhile is
 * counted as vanished, not as an error. */
static int read_namespace(struct sampler *s, const struct netns_entry *e)
{
	struct tally *t = &s->pass.tally;
	int ns = tally_add_netns(t, &e->id, e->label);
	if (ns < 0)
		return ns;
	struct ns_ctx c = {s, (uint32_t)ns};
	struct ns_read r;
	struct source *src = source_for(s, e);
	int err = read_with(s, src, e, &c, &r);
	if (err == -EPERM && src == s->netlink) {
		err = read_with(s, s->procfs, e, &c, &r);
		r.setns_refused = true;
	}
	if (r.setns_refused && !s->no_setns) {
		s->no_setns = true;
		log_warn("cannot enter other network namespaces (setns needs CAP_SYS_ADMIN): "
			 "reading /proc/PID/net for them instead");
	}
	struct ns_tally *nt = &t->ns.v[ns];
	if (err == -ENOENT || err == -ESRCH) {
		nt->gone = true; /* its sockets so far stay counted by their holders */
		s->stats.vanished_netns++;
		return 0;
	}
	if (err)
		return err;
	nt->read = r;
	nt->count[PROTO_TCP][ST_SYN_RECV] += r.syn_recv; /* no socket to hand on */
	nt->count[PROTO_TCP][ST_TIME_WAIT] += r.time_wait;
	s->stats.skipped_unknown_state += r.unknown_states;
	/* Its TCP counters, through a process living in it: no setns.  What
	 * cannot be read stays unknown and is left out. */
	netstat_read(s->cfg->proc_root, e->pid, e->self, &e->id, &nt->kernel);
	if (r.mode == NS_MODE_NONE)
		return 0;
	return break_down_time_wait(s, nt);
}

/* TIME_WAIT by port: from the sockets of this pass, kept for passes that
 * count it without listing it (then served again, with its age). */
static int break_down_time_wait(struct sampler *s, struct ns_tally *nt)
{
	const struct ns_read *r = &nt->read;
	int n = twports_top(&s->pass.twports, r->port_lo, r->port_hi, s->cfg->time_wait_top_ports,
			    nt->tw);
	if (n < 0)
		return n;
	nt->ntw = n;
	if (!r->time_wait)
		return twports_remember(&s->tw_kept, nt->id.ino, nt->tw, n, s->pass.now);
	const struct twports_kept *k = twports_recall(&s->tw_kept, nt->id.ino);
	if (k) {
		memcpy(nt->tw, k->rows, (size_t)k->n * sizeof(*k->rows));
		nt->ntw = k->n;
		nt->tw_age = s->pass.now - k->at;
	}
	return 0;
}

/* The budget for namespaces other than our own: --netns.read-budget, or a
 * quarter of the interval; none for the first pass (so --once and a
 * one-shot top read every namespace). */
static double read_budget(const struct sampler *s)
{
	const struct config *cfg = s->cfg;
	if (s->stats.scans == 0)
		return 1e9;
	return cfg->netns_read_budget > 0 ? cfg->netns_read_budget : cfg->interval / 4;
}

/* The source whose last reads decide which namespace comes first. */
static struct source *paced(const struct sampler *s)
{
	return s->walked ? s->src[SRC_BPF_DUMPER] : s->no_setns ? s->procfs : s->netlink;
}

static int staler(const void *x, const void *y, void *arg)
{
	const struct source *src = arg;
	const struct netns_entry *a = x, *b = y;
	double ra = source_budget_read_at(src, &a->id), rb = source_budget_read_at(src, &b->id);
	return (ra > rb) - (ra < rb);
}

/* Start the budgets, and put the namespaces read longest ago first (our
 * own stays first: it is always read). */
static void pace(struct sampler *s)
{
	struct netns_entries *v = &s->pass.namespaces.entries;
	for (int i = SRC_NETLINK_PACED; i <= SRC_BPF_FALLBACK; i++)
		if (s->src[i])
			source_budget_begin(s->src[i], s->pass.now, read_budget(s));
	size_t first = v->n && v->v[0].self;
	if (v->n > first)
		qsort_r(v->v + first, v->n - first, sizeof(*v->v), staler, paced(s));
}

static int read_namespaces(struct sampler *s)
{
	struct pass *p = &s->pass;
	/* Every namespace file lives on nsfs, the device of our own. */
	if (netns_names_refresh(&s->names, s->cfg->proc_root, "/run/netns", s->self_ns.dev) < 0)
		s->stats.errors[STAGE_NETNS]++; /* labels fall back to ns-<inode> */
	int err = netns_collect(&p->namespaces, &s->names, &s->self_ns, p->tally.procs,
				p->tally.nprocs, s->cfg->netns == NETNS_ALL);
	pace(s);
	twports_memory_begin(&s->tw_kept);
	sockhist_begin(&s->sockhist);
	for (size_t i = 0; i < p->namespaces.entries.n && !err; i++) {
		double t0 = now_monotonic();
		size_t before = p->tally.ns.n;
		err = read_namespace(s, &p->namespaces.entries.v[i]);
		if (p->tally.ns.n > before)
			p->tally.ns.v[before].duration = now_monotonic() - t0;
	}
	sockhist_end(&s->sockhist);
	return err;
}

/* --- attribution's output goes to the tally ------------------------------- */

static void count_socket(void *ctx, const struct attributed *a)
{
	struct sampler *s = ctx;
	tally_socket(&s->pass.tally, a);
	if (listeners_socket(&s->pass.listeners, &s->pass.tally, a))
		s->pass.listeners_err = -ENOMEM;
	if (s->focus.pid && focus_socket(&s->focus, s->pass.tally.procs, a))
		s->pass.focus_err = -ENOMEM;
}

static void count_unhashed(void *ctx, uint64_t inode, uint8_t proto, const uint32_t *procs,
			   const uint32_t *fds, size_t n)
{
	struct sampler *s = ctx;
	tally_unhashed(&s->pass.tally, procs, n);
	if (s->focus.pid && focus_unhashed(&s->focus, s->pass.tally.procs, inode, proto, procs, fds, n))
		s->pass.focus_err = -ENOMEM;
}

/* Would a dump have listed a socket of `proto` held by `pi`? */
static bool was_read(void *ctx, const struct proc_info *pi, uint8_t proto)
{
	const struct tally *t = ctx;
	for (const struct ns_tally *ns = t->ns.v; ns < t->ns.v + t->ns.n; ns++)
		if (!ns->gone && ns->id.ino == pi->netns_ino && ns->id.dev == pi->netns_dev)
			return ns->read.read[proto];
	return false;
}

/* --- the pass -------------------------------------------------------------- */

/* The bpf walk, where it is loaded: every fd table in one go.  When it
 * fails this pass reads over netlink instead, counted, and said once per
 * kind of failure. */
static void walk_all(struct sampler *s)
{
	s->walked = false;
	if (!s->bpf)
		return;
	int err = s->bpf->walk(s->bpf, &s->census);
	s->walked = err == 0;
	s->stats.source = s->walked ? "bpf" : "netlink";
	if (!err)
		return;
	s->stats.source_fallbacks++;
	if (err != s->walk_error)
		log_warn("the BPF walk failed (%s): reading this pass over netlink", strerror(-err));
	s->walk_error = err;
}

/* Walk /proc and group the processes.  Fails the pass's "proc" stage. */
static int scan_processes(struct sampler *s, const struct attrib_sink *sink)
{
	struct tally *t = &s->pass.tally;
	const struct procscan *ps = &s->attrib.ps;
	int err = attrib_begin(&s->attrib, sink, s->walked ? &s->census : NULL);
	if (err)
		return err;
	t->scope = s->cfg->netns == NETNS_ALL ? NULL : &s->self_ns;
	t->stale_after[ST_CLOSE_WAIT] = s->cfg->leak.close_wait_age;
	t->stale_after[ST_FIN_WAIT2] = s->cfg->leak.fin_wait2_age;
	/* Where last pass's suspects' connections lead is written down. */
	if (vec_reserve(&s->pass.watch, ps->procs.n + 1))
		return -ENOMEM;
	for (size_t i = 0; i < ps->procs.n; i++)
		s->pass.watch.v[i] = leak_was_suspected(&s->leak, ps->procs.v[i].pid,
							ps->procs.v[i].start_time);
	t->watch = s->pass.watch.v;
	return tally_begin(t, ps->procs.v, ps->procs.n, ps->containers.v, ps->containers.n,
			   s->cfg->group_by);
}

/* Is process `proc` suspected this pass?  Its group is never folded. */
static bool suspected(void *ctx, size_t proc)
{
	const struct leak_tracker *lt = ctx;
	return proc < lt->procs.n && lt->procs.v[proc].reasons;
}

/* Read every namespace and settle attribution, then judge.  Fails the
 * pass's "dump" stage. */
static int count_sockets(struct sampler *s)
{
	struct pass *p = &s->pass;
	int err = read_namespaces(s);
	if (!err)
		err = attrib_end(&s->attrib, was_read, &p->tally);
	if (err)
		return err;
	if (p->listeners_err)
		return p->listeners_err;
	listeners_end(&p->listeners);
	kstat_read_figures(s->cfg->proc_root, &p->kernel);
	pods_refresh(&s->pods, s->cfg->pod_logs); /* unreadable: the last names stay */
	err = leak_update(&s->leak, &p->tally, p->now);
	/* The fix is named in a suspect's own language, where it is known. */
	for (size_t i = 0; i < s->leak.procs.n && !err; i++)
		if (s->leak.procs.v[i].reasons)
			s->leak.procs.v[i].runtime = (uint8_t)procscan_runtime(&s->attrib.ps, i);
	int folded = err ? 0 : tally_fold(&p->tally, s->cfg->max_groups, suspected, &s->leak);
	if (folded < 0)
		err = -ENOMEM;
	else if (folded > 0)
		listeners_regroup(&p->listeners, p->tally.rank.v);
	/* Out of memory it shows every series: more than the budget, never
	 * less than there is.  After the fold: it is the groups as shown. */
	if (!err)
		series_update(&s->series, &p->tally, &p->listeners, p->now);
	if (!err)
		err = diag_build(&p->diag, &p->tally, &s->leak);
	focus_end(&s->focus);
	return err ? err : p->focus_err;
}

/* Remember each namespace's time for the status part of the exposition. */
static void keep_ns_durations(struct sampler *s)
{
	struct scan_stats *st = &s->stats;
	vec_clear(&st->ns_durations);
	for (const struct ns_tally *ns = s->pass.tally.ns.v; ns < s->pass.tally.ns.v + s->pass.tally.ns.n;
	     ns++) {
		struct ns_duration *d = ns->gone ? NULL : vec_push(&st->ns_durations);
		if (d) {
			memcpy(d->label, ns->label, sizeof(d->label));
			d->seconds = ns->duration;
		}
	}
}

static void keep_stats(struct sampler *s, double taken)
{
	struct scan_stats *st = &s->stats;
	const struct procscan *ps = &s->attrib.ps;
	uint32_t shared = 0;
	for (const struct ns_tally *ns = s->pass.tally.ns.v; ns < s->pass.tally.ns.v + s->pass.tally.ns.n;
	     ns++)
		shared += !ns->gone && !ns->read.setns_refused && ns->read.mode != NS_MODE_NONE &&
			  ns->read.shared_ehash && !(ns->id.ino == s->self_ns.ino && ns->id.dev == s->self_ns.dev);
	st->shared_ehash = shared;
	st->last_success = taken;
	st->procs = (uint32_t)ps->procs.n;
	st->fds_read = ps->stats.fds_read;
	st->denied_procs = (uint32_t)ps->stats.denied_procs;
	st->history_overflow = s->sockhist.overflow;
	if (st->denied_procs && !s->told_denied) {
		s->told_denied = true;
		log_warn("cannot read the fds of %u processes (needs CAP_SYS_PTRACE and "
			 "CAP_DAC_READ_SEARCH): per-process attribution is partial; their sockets "
			 "count per namespace only (socklife_unresolved_sockets), and namespaces "
			 "only they live in are not found unless named in /run/netns",
			 st->denied_procs);
	}
	keep_ns_durations(s);
}

/* Count what the walk and attribution met along the way, good pass or not. */
static void count_vanished(struct sampler *s)
{
	const struct procscan_stats *ps = &s->attrib.ps.stats;
	s->stats.vanished_procs += ps->vanished_procs;
	s->stats.vanished_fds += ps->vanished_fds;
	s->stats.skipped_duplicates += s->attrib.stats.duplicates;
	s->stats.resolve_reads += s->attrib.stats.resolve_reads;
}

/* The exposition: the last good pass's socket part, then socklife's own. */
static int publish(struct sampler *s, struct snapshot **out)
{
	struct selfstat self;
	selfstat_read(&self, s->start_time);
	struct render_input in = {.stats = &s->stats, .self = &self, .caps = &s->caps,
				  .series = &s->series};
	struct http_stats http;
	if (s->http_stats) {
		s->http_stats(s->http, &http);
		in.http = &http;
	}
	sb_reset(&s->pass.out);
	sb_append(&s->pass.out, s->data.buf ? s->data.buf : "", s->data.len);
	render_status(&s->pass.out, &in);
	if (s->page.len == 0) {
		struct page_input none = {.stats = &s->stats};
		page_render(&s->page, &none);
	}
	int err = snapshot_new(out, &s->pass.out, &s->page, s->stats.last_success);
	if (!err && s->stats.last_failed) {
		(*out)->failed_stage = (int)s->stats.failed_stage;
		(*out)->failed_errno = s->stats.failed_errno;
	}
	return err;
}

int sampler_republish(struct sampler *s, struct snapshot **out)
{
	return publish(s, out);
}

/* A stage failed: counted, and remembered for the log and /healthz. */
static void failed(struct sampler *s, enum scan_stage stage, int err)
{
	s->stats.errors[stage]++;
	s->stats.last_failed = true;
	s->stats.failed_stage = stage;
	s->stats.failed_errno = -err;
}

int sampler_pass(struct sampler *s, struct snapshot **out)
{
	struct pass *p = &s->pass;
	struct attrib_sink sink = {count_socket, count_unhashed, s};
	double t0 = now_monotonic(), taken = now_realtime();

	*out = NULL;
	p->now = t0;
	p->focus_err = 0;
	p->listeners_err = 0;
	listeners_begin(&p->listeners);
	focus_begin(&s->focus);
	s->have_good = false;
	walk_all(s);
	int err = scan_processes(s, &sink);
	double t1 = now_monotonic();
	s->stats.last_failed = false;
	if (err)
		failed(s, STAGE_PROC, err);
	else if ((err = count_sockets(s)))
		failed(s, STAGE_DUMP, err);
	count_vanished(s);
	s->stats.duration[PHASE_PROC] = t1 - t0;
	if (!err) {
		s->stats.duration[PHASE_DUMP] = now_monotonic() - t1;
		keep_stats(s, taken);
		struct render_input in = {.tally = &p->tally, .diag = &p->diag, .kernel = &p->kernel,
					  .stats = &s->stats, .caps = &s->caps, .pods = &s->pods,
					  .series = &s->series, .listeners = &p->listeners};
		struct page_input pin = {&p->diag, &p->tally, &s->stats};
		sb_reset(&s->data);
		render_pass(&s->data, &in);
		sb_reset(&s->page);
		page_render(&s->page, &pin);
		s->have_good = true;
	}
	s->stats.scans++;
	s->stats.duration[PHASE_TOTAL] = now_monotonic() - t0;
	int serr = publish(s, out);
	if (serr) {
		failed(s, STAGE_RENDER, serr);
		*out = NULL;
		if (!err)
			err = serr;
	}
	return err;
}

struct page_input sampler_view(const struct sampler *s)
{
	if (!s->have_good)
		return (struct page_input){.stats = &s->stats};
	return (struct page_input){&s->pass.diag, &s->pass.tally, &s->stats};
}
