/* render.c - the Prometheus text exposition, from one family table.
 *
 * Each family says how its samples are made: a scalar (one value), one
 * sample per process group, a short list under one label (stages, reasons,
 * capabilities), or its own emitter for the few with several labels.  The
 * table's order is the exposition's.  Which series of a namespace, group
 * or listener are written is the series budget's call (series.h): a count
 * appears when it is first not zero and stays, zeros included, until it
 * has been zero for an hour, so series neither flap nor cost when nothing
 * happens. */
#include <socklife/render.h>

#include <inttypes.h>
#include <string.h>

enum kind {
	SCALAR,    /* one sample without labels */
	PER_GROUP, /* one sample per process group in scope */
	LABELED,   /* a few samples under one label */
	CUSTOM,    /* its own emitter */
};

/* One sample of a LABELED family. */
struct item {
	const char *label;
	double value;
};

#define MAX_ITEMS 8

struct family {
	const char *name, *type, *help;
	enum kind kind;
	const char *fmt; /* printf format of a double value (SCALAR, PER_GROUP, LABELED) */
	/* SCALAR: the value; false when it is not known (the family is left out). */
	bool (*scalar)(const struct render_input *in, double *v);
	/* PER_GROUP: the value, for groups that show series bit `shows` (ALWAYS: all). */
	double (*group)(const struct group *g);
	int shows;
	/* LABELED: the label's name, and the samples; returns how many. */
	const char *label;
	size_t (*items)(const struct render_input *in, struct item out[MAX_ITEMS]);
	void (*custom)(struct strbuf *out, const struct family *f, const struct render_input *in);
	int which; /* CUSTOM: which of several like it (a namespace counter) */
};

/* A label value may hold anything but these two, unescaped; control
 * characters (a newline too, which the format could escape) never reach
 * it: they become U+FFFD (strbuf.h), so a legend or an alert stays one
 * line and two names that show alike are one group (tally.h). */
static const char *const label_escapes[128] = {['\\'] = "\\\\", ['"'] = "\\\""};

void render_label_value(struct strbuf *out, const char *s, size_t n)
{
	sb_append_escaped(out, s, n, label_escapes);
}

static void label_str(struct strbuf *out, const char *s) { render_label_value(out, s, strlen(s)); }

/* Write `name{` and the labels that name a group; the caller closes it. */
static void group_labels(struct strbuf *out, const struct family *f, const struct group *g)
{
	sb_puts(out, f->name);
	sb_puts(out, "{process=\"");
	label_str(out, g->name);
	sb_puts(out, "\",container=\"");
	label_str(out, g->container);
	sb_putc(out, '"');
	if (g->program[0]) { /* an interpreter: which program it runs */
		sb_puts(out, ",program=\"");
		label_str(out, g->program);
		sb_putc(out, '"');
	}
	if (g->pid >= 0) /* grouped by pid */
		sb_printf(out, ",pid=\"%" PRId32 "\"", g->pid);
}

/* Write `name{netns="..."`; the caller closes it. */
static void ns_labels(struct strbuf *out, const struct family *f, const struct ns_tally *ns)
{
	sb_printf(out, "%s{netns=\"", f->name);
	label_str(out, ns->label);
	sb_putc(out, '"');
}

#define ALWAYS (-1)

/* The groups and namespaces a report shows. */
#define FOR_GROUPS(g, t)                                                                           \
	for (const struct group *g = (t)->groups.v; g < (t)->groups.v + (t)->groups.n; g++)         \
		if (!g->outside)
#define FOR_NAMESPACES(ns, t)                                                                      \
	for (const struct ns_tally *ns = (t)->ns.v; ns < (t)->ns.v + (t)->ns.n; ns++)               \
		if (!ns->gone)

/* --- the ways of emitting a family --------------------------------------- */

static void header(struct strbuf *out, const struct family *f)
{
	sb_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
}

static void emit_scalar(struct strbuf *out, const struct family *f, const struct render_input *in)
{
	double v;
	if (!f->scalar(in, &v))
		return;
	header(out, f);
	sb_printf(out, "%s ", f->name);
	sb_printf(out, f->fmt, v);
	sb_putc(out, '\n');
}

/* What a group or a namespace shows (series.h). */
static uint64_t group_shows(const struct render_input *in, const struct group *g)
{
	return series_group(in->series, in->tally, (size_t)(g - in->tally->groups.v));
}

static uint64_t ns_shows(const struct render_input *in, const struct ns_tally *ns)
{
	return series_ns(in->series, in->tally, (size_t)(ns - in->tally->ns.v));
}

static void emit_per_group(struct strbuf *out, const struct family *f, const struct render_input *in)
{
	FOR_GROUPS(g, in->tally) {
		if (f->shows != ALWAYS && !series_has(group_shows(in, g), f->shows))
			continue;
		group_labels(out, f, g);
		sb_puts(out, "} ");
		sb_printf(out, f->fmt, f->group(g));
		sb_putc(out, '\n');
	}
}

static void emit_labeled(struct strbuf *out, const struct family *f, const struct render_input *in)
{
	struct item items[MAX_ITEMS];
	size_t n = f->items(in, items);
	if (n > 0)
		header(out, f);
	for (size_t i = 0; i < n; i++) {
		sb_printf(out, "%s{%s=\"%s\"} ", f->name, f->label, items[i].label);
		sb_printf(out, f->fmt, items[i].value);
		sb_putc(out, '\n');
	}
}

static void emit(struct strbuf *out, const struct family *f, const struct render_input *in)
{
	if (f->kind == SCALAR) {
		emit_scalar(out, f, in); /* writes its own header: it may have no sample */
		return;
	}
	if (f->kind == LABELED) {
		emit_labeled(out, f, in); /* writes its own header: it may have no sample */
		return;
	}
	header(out, f);
	if (f->kind == PER_GROUP)
		emit_per_group(out, f, in);
	else
		f->custom(out, f, in);
}

/* --- families with several labels ---------------------------------------- */

static void emit_sockets(struct strbuf *out, const struct family *f, const struct render_input *in)
{
	FOR_NAMESPACES(ns, in->tally) {
		uint64_t shows = ns_shows(in, ns);
		for (int p = 0; p < PROTO_COUNT; p++) {
			if (!ns->read.read[p])
				continue;
			for (const uint8_t *st = proto_states(p); *st; st++) {
				if (!series_has(shows, SERIES_STATE(p, *st)))
					continue;
				ns_labels(out, f, ns);
				sb_printf(out, ",proto=\"%s\",state=\"%s\"} %" PRIu32 "\n", proto_name(p),
					  state_name(*st), ns->count[p][*st]);
			}
		}
	}
}

static void emit_unresolved(struct strbuf *out, const struct family *f, const struct render_input *in)
{
	FOR_NAMESPACES(ns, in->tally) {
		uint64_t shows = ns_shows(in, ns);
		for (int p = 0; p < PROTO_COUNT; p++) {
			if (!ns->read.read[p] || !series_has(shows, SERIES_UNRESOLVED + p))
				continue;
			ns_labels(out, f, ns);
			sb_printf(out, ",proto=\"%s\"} %" PRIu32 "\n", proto_name(p), ns->unresolved[p]);
		}
	}
}

static void emit_process_sockets(struct strbuf *out, const struct family *f,
				 const struct render_input *in)
{
	FOR_GROUPS(g, in->tally) {
		/* Not only the protocols it holds now: a series stays for the
		 * hold (series.h). */
		uint64_t shows = group_shows(in, g);
		for (int p = 0; p < PROTO_COUNT; p++) {
			for (const uint8_t *st = proto_states(p); *st; st++) {
				if (!series_has(shows, SERIES_STATE(p, *st)))
					continue;
				group_labels(out, f, g);
				sb_printf(out, ",proto=\"%s\",state=\"%s\"} %" PRIu32 "\n",
					  proto_name(p), state_name(*st), g->h.count[p][*st]);
			}
		}
	}
}

static void emit_container_info(struct strbuf *out, const struct family *f,
				const struct render_input *in)
{
	const struct tally *t = in->tally;
	for (size_t i = 1; i < t->ncontainers; i++) {
		const struct container_ref *c = &t->containers[i];
		sb_printf(out, "%s{container=\"", f->name);
		label_str(out, c->id);
		sb_puts(out, "\",runtime=\"");
		label_str(out, c->runtime);
		sb_puts(out, "\",pod_uid=\"");
		label_str(out, c->pod_uid);
		const struct pod_name *pod = in->pods ? pods_find(in->pods, c->pod_uid) : NULL;
		sb_puts(out, "\",pod=\"");
		label_str(out, pod ? pod->name : "");
		sb_puts(out, "\",pod_namespace=\"");
		label_str(out, pod ? pod->namespace_ : "");
		sb_puts(out, "\",cgroup=\"");
		label_str(out, c->cgroup);
		sb_puts(out, "\"} 1\n");
	}
}

static void emit_netns_mode(struct strbuf *out, const struct family *f, const struct render_input *in)
{
	static const char *const modes[NS_MODE_COUNT] = {
		[NS_MODE_SOCK_DIAG] = "sock_diag", [NS_MODE_PROCFS] = "procfs", [NS_MODE_NONE] = "none",
		[NS_MODE_BPF] = "bpf", [NS_MODE_BPF_DUMP] = "bpf_sock_diag",
		[NS_MODE_BPF_PROCFS] = "bpf_procfs"};
	bool every = !in->series || in->series->netns_scan;
	FOR_NAMESPACES(ns, in->tally) {
		/* The full ways (sock_diag, the bpf walk, the walk and a dump):
		 * by default only the exceptions, read without CAP_SYS_ADMIN or
		 * not at all. */
		if (!every && (ns->read.mode == NS_MODE_SOCK_DIAG || ns->read.mode == NS_MODE_BPF ||
			       ns->read.mode == NS_MODE_BPF_DUMP))
			continue;
		ns_labels(out, f, ns);
		sb_printf(out, ",mode=\"%s\"} 1\n", modes[ns->read.mode]);
	}
}

static void emit_close_wait_causes(struct strbuf *out, const struct family *f,
				   const struct render_input *in)
{
	FOR_GROUPS(g, in->tally) {
		uint64_t shows = group_shows(in, g);
		uint32_t cw = g->h.count[PROTO_TCP][ST_CLOSE_WAIT];
		if (series_has(shows, SERIES_CW_UNREAD)) {
			group_labels(out, f, g);
			sb_printf(out, ",cause=\"eof_unread\"} %" PRIu32 "\n", g->h.cw_unread);
		}
		if (series_has(shows, SERIES_CW_READ)) {
			group_labels(out, f, g);
			sb_printf(out, ",cause=\"eof_read\"} %" PRIu32 "\n", cw - g->h.cw_unread);
		}
	}
}

static void emit_suspects(struct strbuf *out, const struct family *f, const struct render_input *in)
{
	const struct diag *d = in->diag;
	for (const struct diag_row *r = d->rows.v; r < d->rows.v + d->rows.n; r++) {
		for (int reason = 0; reason < LEAK_REASON_COUNT; reason++) {
			if (!(r->reasons & (1u << reason)))
				continue;
			sb_printf(out, "%s{process=\"", f->name);
			label_str(out, r->name);
			sb_puts(out, "\",container=\"");
			label_str(out, r->container);
			if (r->program[0]) {
				sb_puts(out, "\",program=\"");
				label_str(out, r->program);
			}
			sb_puts(out, "\",netns=\"");
			label_str(out, r->netns);
			sb_printf(out, "\",pid=\"%" PRId32 "\",reason=\"%s\"} 1\n", r->pid,
				  leak_reason_name(reason));
		}
	}
}

static void emit_peers(struct strbuf *out, const struct family *f, const struct render_input *in)
{
	static const char *const sides[] = {[SIDE_INBOUND] = "inbound", [SIDE_OUTBOUND] = "outbound"};
	const struct diag *d = in->diag;
	for (const struct diag_group *dg = d->groups.v; dg < d->groups.v + d->groups.n; dg++) {
		const struct group *g = &in->tally->groups.v[dg->group];
		char addr[INET6_ADDRSTRLEN];
		for (size_t i = 0; i < dg->npeers; i++) {
			const struct peer *p = &dg->peers[i].peer;
			peers_format_addr(p, addr);
			group_labels(out, f, g);
			sb_printf(out, ",side=\"%s\",peer=\"%s\",port=\"%u\"} %" PRIu32 "\n",
				  sides[p->side], addr, p->port, dg->peers[i].count);
		}
		if (dg->other) {
			group_labels(out, f, g);
			sb_printf(out, ",side=\"other\",peer=\"other\",port=\"other\"} %" PRIu32 "\n",
				  dg->other);
		}
	}
}

static void emit_max_tw(struct strbuf *out, const struct family *f, const struct render_input *in)
{
	FOR_NAMESPACES(ns, in->tally) {
		/* Beside the TIME_WAIT count it limits. */
		if (!ns->read.max_tw_buckets ||
		    !series_has(ns_shows(in, ns), SERIES_STATE(PROTO_TCP, ST_TIME_WAIT)))
			continue;
		ns_labels(out, f, ns);
		sb_printf(out, "} %" PRIu64 "\n", ns->read.max_tw_buckets);
	}
}

static void emit_tw_ports(struct strbuf *out, const struct family *f, const struct render_input *in)
{
	FOR_NAMESPACES(ns, in->tally) {
		uint64_t shows = ns_shows(in, ns);
		for (int r = 0; r < ns->ntw; r++) {
			const struct twport_row *row = &ns->tw[r];
			if (row->other && !series_has(shows, row->side == TW_LOCAL ? SERIES_TW_OTHER_LOCAL
										   : SERIES_TW_OTHER_REMOTE))
				continue;
			ns_labels(out, f, ns);
			sb_printf(out, ",side=\"%s\",port=\"", row->side == TW_LOCAL ? "local" : "remote");
			if (row->other)
				sb_puts(out, "other");
			else
				sb_printf(out, "%u", row->port);
			sb_printf(out, "\"} %" PRIu32 "\n", row->count);
		}
	}
}

static void emit_scan_duration(struct strbuf *out, const struct family *f,
			       const struct render_input *in)
{
	static const char *const phases[PHASE_COUNT] = {
		[PHASE_PROC] = "proc", [PHASE_DUMP] = "dump", [PHASE_TOTAL] = "total"};
	const struct scan_stats *s = in->stats;
	for (int i = 0; i < PHASE_COUNT; i++)
		sb_printf(out, "%s{phase=\"%s\"} %.6f\n", f->name, phases[i], s->duration[i]);
	if (in->series && !in->series->netns_scan)
		return; /* a series per namespace: --metrics.netns-scan */
	for (const struct ns_duration *d = s->ns_durations.v; d < s->ns_durations.v + s->ns_durations.n;
	     d++) {
		sb_printf(out, "%s{phase=\"netns\",netns=\"", f->name);
		label_str(out, d->label);
		sb_printf(out, "\"} %.6f\n", d->seconds);
	}
}

/* Listening sockets: the fullest of a group's on one port (listeners.h). */
static void emit_listeners(struct strbuf *out, const struct family *f, const struct render_input *in,
			   bool backlog)
{
	const struct listeners *l = in->listeners;
	for (size_t i = 0; l && i < l->rows.n; i++) {
		const struct listener *r = &l->rows.v[i];
		const struct group *g = &in->tally->groups.v[r->group];
		const struct ns_tally *ns = &in->tally->ns.v[r->ns];
		if (g->outside || ns->gone || !series_listener(in->series, i))
			continue;
		/* /proc/net/tcp shows no backlog: better none than a 0. */
		if (backlog && ns->read.mode == NS_MODE_PROCFS)
			continue;
		group_labels(out, f, g);
		sb_puts(out, ",netns=\"");
		label_str(out, ns->label);
		sb_printf(out, "\",port=\"%u\"} %" PRIu32 "\n", r->port, backlog ? r->backlog : r->queue);
	}
}

static void emit_listen_queue(struct strbuf *out, const struct family *f,
			      const struct render_input *in)
{
	emit_listeners(out, f, in, false);
}

static void emit_listen_backlog(struct strbuf *out, const struct family *f,
				const struct render_input *in)
{
	emit_listeners(out, f, in, true);
}

static void emit_socket_memory(struct strbuf *out, const struct family *f,
			       const struct render_input *in)
{
	static const struct {
		int bit;
		const char *direction;
		size_t offset;
	} dirs[] = {{SERIES_MEM_RECEIVE, "receive", offsetof(struct holdings, rmem)},
		    {SERIES_MEM_SEND, "send", offsetof(struct holdings, wmem)}};
	FOR_GROUPS(g, in->tally) {
		uint64_t shows = group_shows(in, g);
		for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
			if (!series_has(shows, dirs[d].bit))
				continue;
			uint64_t bytes;
			memcpy(&bytes, (const char *)&g->h + dirs[d].offset, sizeof(bytes));
			group_labels(out, f, g);
			sb_printf(out, ",direction=\"%s\"} %" PRIu64 "\n", dirs[d].direction, bytes);
		}
	}
}

static void emit_data_age(struct strbuf *out, const struct family *f, const struct render_input *in)
{
	FOR_NAMESPACES(ns, in->tally) {
		if (ns->read.age > 0) {
			ns_labels(out, f, ns);
			sb_printf(out, "} %.3f\n", ns->read.age);
		}
	}
}

/* One of a namespace's TCP counters (f->which), where it could be read. */
static void emit_netns_counter(struct strbuf *out, const struct family *f,
			       const struct render_input *in)
{
	FOR_NAMESPACES(ns, in->tally) {
		if (!(ns->kernel.known & (1u << f->which)))
			continue;
		ns_labels(out, f, ns);
		sb_printf(out, "} %" PRIu64 "\n", ns->kernel.value[f->which]);
	}
}

/* The pod a namespace is: the one pod UID of every process living in it
 * (a pod's containers share its namespace); NULL for the host's, a
 * hostNetwork pod's, or one of processes outside any pod. */
static const char *pod_of(const struct tally *t, const struct ns_tally *ns)
{
	const char *uid = NULL;
	for (size_t i = 0; i < t->nprocs; i++) {
		const struct proc_info *pi = &t->procs[i];
		if (pi->netns_ino != ns->id.ino || pi->netns_dev != ns->id.dev)
			continue;
		const char *u = pi->container ? t->containers[pi->container].pod_uid : "";
		if (!u[0] || (uid && strcmp(uid, u) != 0))
			return NULL;
		uid = u;
	}
	return uid;
}

static void emit_netns_pods(struct strbuf *out, const struct family *f, const struct render_input *in)
{
	FOR_NAMESPACES(ns, in->tally) {
		const char *uid = pod_of(in->tally, ns);
		if (!uid)
			continue;
		ns_labels(out, f, ns);
		sb_puts(out, ",pod_uid=\"");
		label_str(out, uid);
		sb_puts(out, "\"} 1\n");
	}
}

static void emit_tw_age(struct strbuf *out, const struct family *f, const struct render_input *in)
{
	FOR_NAMESPACES(ns, in->tally) {
		if (ns->tw_age > 0) {
			ns_labels(out, f, ns);
			sb_printf(out, "} %.3f\n", ns->tw_age);
		}
	}
}

static void emit_build_info(struct strbuf *out, const struct family *f, const struct render_input *in)
{
	(void)in;
	sb_printf(out, "%s{version=\"%s\",revision=\"%s\"} 1\n", f->name, SOCKLIFE_VERSION,
		  SOCKLIFE_REVISION);
}

/* --- values ---------------------------------------------------------------- */

static double open_fds(const struct group *g) { return (double)g->open_fds; }
static double fd_usage(const struct group *g) { return g->fd_usage_ratio; }
static double unix_gone(const struct group *g) { return g->h.unix_peer_gone; }
static double cw_oldest(const struct group *g) { return g->h.cw_oldest; }
static double unhashed(const struct group *g) { return g->h.unhashed; }

#define SCALAR_OF(fn, expr, known)                                                                 \
	static bool fn(const struct render_input *in, double *v)                                  \
	{                                                                                          \
		if (!(known))                                                                      \
			return false;                                                              \
		*v = (double)(expr);                                                               \
		return true;                                                                       \
	}

SCALAR_OF(orphans, in->kernel->tcp_orphans, in->kernel->orphans_known)
SCALAR_OF(tcp_mem, in->kernel->tcp_mem_pages, in->kernel->tcp_mem_known)
SCALAR_OF(max_orphans, in->kernel->tcp_max_orphans, in->kernel->max_orphans_known)
SCALAR_OF(groups_folded, in->tally->folded, true)
SCALAR_OF(scans, in->stats->scans, true)
SCALAR_OF(last_scan, in->stats->last_success, true)
/* What the last good pass saw; nothing before the first (a 0 would read
 * as "no processes"). */
SCALAR_OF(scan_procs, in->stats->procs, in->stats->last_success > 0)
SCALAR_OF(scan_denied, in->stats->denied_procs, in->stats->last_success > 0)
SCALAR_OF(scan_fds_read, in->stats->fds_read, in->stats->last_success > 0)
SCALAR_OF(hist_overflow, in->stats->history_overflow, true)
SCALAR_OF(source_fallbacks, in->stats->source_fallbacks, true)
SCALAR_OF(shared_ehash, in->stats->shared_ehash, true)
SCALAR_OF(self_cpu, in->self->cpu_seconds, in->self->known[SELF_CPU])
SCALAR_OF(self_rss, in->self->resident_bytes, in->self->known[SELF_MEMORY])
SCALAR_OF(self_vsz, in->self->virtual_bytes, in->self->known[SELF_MEMORY])
SCALAR_OF(self_fds, in->self->open_fds, in->self->known[SELF_FDS])
SCALAR_OF(self_max_fds, in->self->max_fds, in->self->known[SELF_MAX_FDS])
SCALAR_OF(self_start, in->self->start_time, true)

static size_t tcp_mem_limit(const struct render_input *in, struct item out[MAX_ITEMS])
{
	static const char *const levels[TCP_MEM_LEVELS] = {
		[TCP_MEM_MIN] = "min", [TCP_MEM_PRESSURE] = "pressure", [TCP_MEM_MAX] = "max"};
	if (!in->kernel->tcp_mem_limit_known)
		return 0;
	for (int i = 0; i < TCP_MEM_LEVELS; i++)
		out[i] = (struct item){levels[i], (double)in->kernel->tcp_mem_limit[i]};
	return TCP_MEM_LEVELS;
}

const char *const scan_stage_names[STAGE_COUNT] = {
	[STAGE_PROC] = "proc", [STAGE_NETNS] = "netns", [STAGE_DUMP] = "dump",
	[STAGE_RENDER] = "render"};

static size_t scan_errors(const struct render_input *in, struct item out[MAX_ITEMS])
{
	for (int i = 0; i < STAGE_COUNT; i++)
		out[i] = (struct item){scan_stage_names[i], (double)in->stats->errors[i]};
	return STAGE_COUNT;
}

static size_t skipped(const struct render_input *in, struct item out[MAX_ITEMS])
{
	out[0] = (struct item){"duplicate", (double)in->stats->skipped_duplicates};
	out[1] = (struct item){"unknown_state", (double)in->stats->skipped_unknown_state};
	return 2;
}

static size_t vanished(const struct render_input *in, struct item out[MAX_ITEMS])
{
	out[0] = (struct item){"process", (double)in->stats->vanished_procs};
	out[1] = (struct item){"fd", (double)in->stats->vanished_fds};
	out[2] = (struct item){"netns", (double)in->stats->vanished_netns};
	return 3;
}

static size_t socket_source(const struct render_input *in, struct item out[MAX_ITEMS])
{
	out[0] = (struct item){in->stats->source ? in->stats->source : "netlink", 1};
	return 1;
}

static size_t capabilities(const struct render_input *in, struct item out[MAX_ITEMS])
{
	size_t n = 0;
	for (int c = 0; c < SL_CAP_COUNT; c++)
		if (in->caps->needed[c])
			out[n++] = (struct item){caps_name(c), in->caps->held[c] ? 1 : 0};
	return n;
}

/* The HTTP server's families; none without a server (--once). */
SCALAR_OF(http_accepted, in->http->conns.accepted, in->http)
SCALAR_OF(http_lost, in->http->conns.lost, in->http)
SCALAR_OF(http_accept_errors, in->http->conns.accept_errors, in->http)
SCALAR_OF(http_known, in->http->conns.known_addresses, in->http)
SCALAR_OF(http_auth_failures, in->http->auth.failures, in->http)
SCALAR_OF(http_auth_throttled, in->http->auth.throttled, in->http)
SCALAR_OF(http_auth_checks, in->http->auth.checks, in->http)

static size_t http_refused(const struct render_input *in, struct item out[MAX_ITEMS])
{
	if (!in->http)
		return 0;
	for (int i = 0; i < SLOT_REFUSALS; i++)
		out[i] = (struct item){slots_refusal_names[i], (double)in->http->conns.refused[i]};
	return SLOT_REFUSALS;
}

static size_t http_cut(const struct render_input *in, struct item out[MAX_ITEMS])
{
	if (!in->http)
		return 0;
	const struct httpgate_stats *c = &in->http->conns;
	out[0] = (struct item){"evicted", (double)c->evicted};
	out[1] = (struct item){"header_deadline", (double)c->header_deadline};
	out[2] = (struct item){"request_deadline", (double)c->request_deadline};
	return 3;
}

static size_t http_connections(const struct render_input *in, struct item out[MAX_ITEMS])
{
	if (!in->http)
		return 0;
	const struct httpgate_stats *c = &in->http->conns;
	out[0] = (struct item){"known", (double)(c->connections - c->strangers)};
	out[1] = (struct item){"stranger", (double)c->strangers};
	return 2;
}

/* --- the table ------------------------------------------------------------- */

#define GROUP_VALUE(fn, bit, format) .kind = PER_GROUP, .group = fn, .shows = bit, .fmt = format
#define SCALAR_VALUE(fn, format) .kind = SCALAR, .scalar = fn, .fmt = format
#define LABELED_VALUES(l, fn) .kind = LABELED, .label = l, .items = fn, .fmt = "%.0f"
#define EMITTER(fn) .kind = CUSTOM, .custom = fn
#define NETNS_COUNTER(c) .kind = CUSTOM, .custom = emit_netns_counter, .which = (c)

/* The families of a good pass, then those about socklife itself (from
 * FIRST_STATUS on), in exposition order. */
static const struct family families[] = {
	{"socklife_sockets", "gauge",
	 "Sockets by network namespace, protocol and state; every socket counted once.",
	 EMITTER(emit_sockets)},
	{"socklife_unresolved_sockets", "gauge",
	 "Sockets with an inode that no readable fd holds (kernel sockets, fds in flight, or "
	 "processes socklife may not inspect).",
	 EMITTER(emit_unresolved)},
	{"socklife_process_sockets", "gauge",
	 "Sockets held by a process group, by protocol and state. A socket shared by several "
	 "members of a group counts once.",
	 EMITTER(emit_process_sockets)},
	{"socklife_process_open_fds", "gauge",
	 "Open file descriptors of a process group (sum over its members).",
	 GROUP_VALUE(open_fds, SERIES_HOLDS, "%.0f")},
	{"socklife_process_fd_usage_ratio", "gauge",
	 "Highest ratio over the group's members of open fds to the soft RLIMIT_NOFILE (0 when "
	 "unlimited).",
	 GROUP_VALUE(fd_usage, ALWAYS, "%.6g")},
	{"socklife_process_unix_peer_gone_sockets", "gauge",
	 "UNIX stream sockets of the group whose peer has closed (the UNIX twin of CLOSE_WAIT): "
	 "only a close() here ends them.",
	 GROUP_VALUE(unix_gone, SERIES_UNIX_GONE, "%.0f")},
	{"socklife_container_info", "gauge",
	 "Maps a container id to its runtime, cgroup path and Kubernetes pod (UID, and name and "
	 "namespace from the kubelet's /var/log/pods where the node has it); always 1.",
	 EMITTER(emit_container_info)},
	{"socklife_netns_data_age_seconds", "gauge",
	 "How old the data served for a namespace is, for namespaces the last pass did not read "
	 "but served from their last read, because reading them would have overrun "
	 "--netns.read-budget (read stalest first, they take turns).",
	 EMITTER(emit_data_age)},
	{"socklife_netns_scan_mode", "gauge",
	 "How a namespace was read: sock_diag from inside it, procfs (/proc/PID/net, without "
	 "CAP_SYS_ADMIN) or none; with the bpf source, bpf (the walk, the kernel's counts "
	 "agreeing), bpf_sock_diag or bpf_procfs (the walk, and a dump of what it cannot see); "
	 "always 1.",
	 EMITTER(emit_netns_mode)},
	{"socklife_process_close_wait_sockets", "gauge",
	 "CLOSE_WAIT sockets of a process group by cause: eof_unread (the peer's EOF was never "
	 "read) or eof_read (EOF read, close() never called).",
	 EMITTER(emit_close_wait_causes)},
	{"socklife_process_close_wait_oldest_seconds", "gauge",
	 "How long nothing has been sent, received or acknowledged on the group's longest-silent "
	 "CLOSE_WAIT socket (the kernel's tcp_info; at most its time in CLOSE_WAIT); 0 when it "
	 "holds none.",
	 GROUP_VALUE(cw_oldest, SERIES_STATE(PROTO_TCP, ST_CLOSE_WAIT), "%.3f")},
	{"socklife_process_unhashed_socket_fds", "gauge",
	 "Socket fds of the group whose socket is in no dump: reset by the peer while in "
	 "CLOSE_WAIT, or never connected, and still held.",
	 GROUP_VALUE(unhashed, SERIES_HOLDS, "%.0f")},
	{"socklife_leak_suspected", "gauge",
	 "1 while a process is suspected of leaking sockets, per reason.", EMITTER(emit_suspects)},
	{"socklife_leak_peer_sockets", "gauge",
	 "Sockets of a process group's suspected members that its leak reasons are about, by "
	 "peer: outbound, the remote address and port; inbound, the client's address and the "
	 "local port it came in on; the busiest five, the rest as other.",
	 EMITTER(emit_peers)},
	{"socklife_tcp_orphans", "gauge",
	 "TCP sockets no process holds any more that are still closing, kernel-wide.",
	 SCALAR_VALUE(orphans, "%.0f")},
	{"socklife_tcp_max_orphans", "gauge",
	 "net.ipv4.tcp_max_orphans: past it the kernel resets orphans.",
	 SCALAR_VALUE(max_orphans, "%.0f")},
	{"socklife_time_wait_breakdown_age_seconds", "gauge",
	 "With the bpf source, TIME_WAIT is counted every pass but broken down by port only every "
	 "--time-wait.breakdown-interval: how old the breakdown socklife_time_wait_sockets shows "
	 "is, for namespaces whose breakdown is not of this pass.",
	 EMITTER(emit_tw_age)},
	{"socklife_tcp_max_tw_buckets", "gauge",
	 "net.ipv4.tcp_max_tw_buckets of the namespace: past it TIME_WAIT is skipped.",
	 EMITTER(emit_max_tw)},
	{"socklife_time_wait_sockets", "gauge",
	 "TIME_WAIT sockets by the local listening port they came from (side=local) or the "
	 "remote service port they went to (side=remote); the rest as port=\"other\".",
	 EMITTER(emit_tw_ports)},
	{"socklife_listen_queue_length", "gauge",
	 "Connections a listening TCP socket has finished the handshake of that accept() has not "
	 "taken yet, by process group, namespace and port (the group's fullest listener on the "
	 "port). Above socklife_listen_backlog new handshakes are dropped.",
	 EMITTER(emit_listen_queue)},
	{"socklife_listen_backlog", "gauge",
	 "How many connections may wait for accept() on that listener (listen()'s backlog, capped "
	 "by net.core.somaxconn); not for namespaces read from /proc/PID/net, which does not show "
	 "it.",
	 EMITTER(emit_listen_backlog)},
	{"socklife_process_socket_memory_bytes", "gauge",
	 "Memory the TCP and UDP sockets of a process group hold, by direction: receive (arrived, "
	 "not read yet) and send (queued, not yet acknowledged or sent).",
	 EMITTER(emit_socket_memory)},
	{"socklife_tcp_memory_pages", "gauge",
	 "Pages all TCP sockets hold, kernel-wide (/proc/net/sockstat TCP mem): what "
	 "net.ipv4.tcp_mem limits.",
	 SCALAR_VALUE(tcp_mem, "%.0f")},
	{"socklife_tcp_memory_limit_pages", "gauge",
	 "net.ipv4.tcp_mem by level: min (never squeezed below), pressure (every socket's buffers "
	 "squeezed above), max (allocations fail: sends block, received data is dropped).",
	 LABELED_VALUES("level", tcp_mem_limit)},
	{"socklife_netns_tcp_listen_overflows_total", "counter",
	 "Handshakes dropped in a namespace because a listener's accept queue was full "
	 "(TcpExt ListenOverflows).",
	 NETNS_COUNTER(NETSTAT_LISTEN_OVERFLOWS)},
	{"socklife_netns_tcp_listen_drops_total", "counter",
	 "SYNs and handshake ACKs a namespace's listeners dropped, overflows included "
	 "(TcpExt ListenDrops).",
	 NETNS_COUNTER(NETSTAT_LISTEN_DROPS)},
	{"socklife_netns_tcp_retransmitted_segments_total", "counter",
	 "TCP segments a namespace sent again (Tcp RetransSegs).",
	 NETNS_COUNTER(NETSTAT_RETRANS_SEGS)},
	{"socklife_netns_tcp_resets_sent_total", "counter",
	 "TCP resets a namespace sent: connections refused or aborted (Tcp OutRsts).",
	 NETNS_COUNTER(NETSTAT_OUT_RSTS)},
	{"socklife_netns_pod_info", "gauge",
	 "Maps a network namespace to the Kubernetes pod whose containers live in it (join with "
	 "kube-state-metrics on uid); always 1.",
	 EMITTER(emit_netns_pods)},
	{"socklife_process_groups_folded", "gauge",
	 "Process groups summed into process=\"other\",container=\"other\" because more than "
	 "--max-groups held fds (the largest, and every group with a suspect, stay apart).",
	 SCALAR_VALUE(groups_folded, "%.0f")},
#define FIRST_STATUS 30
	{"socklife_scan_duration_seconds", "gauge",
	 "Duration of the last sampling pass, by phase; phase=\"netns\" series give the time "
	 "spent in each namespace.",
	 EMITTER(emit_scan_duration)},
	{"socklife_scans_total", "counter", "Sampling passes run.", SCALAR_VALUE(scans, "%.0f")},
	{"socklife_scan_errors_total", "counter",
	 "Sampling failures, by stage. Socket series keep the last good values.",
	 LABELED_VALUES("stage", scan_errors)},
	{"socklife_last_scan_timestamp_seconds", "gauge",
	 "When the served socket data was taken (Unix time).", SCALAR_VALUE(last_scan, "%.3f")},
	{"socklife_sockets_skipped_total", "counter",
	 "Sockets left out of the counts: repeated within a dump (same cookie) or in a state "
	 "socklife does not know.",
	 LABELED_VALUES("reason", skipped)},
	{"socklife_scan_vanished_total", "counter",
	 "Processes, fds and network namespaces that went away while a pass was reading them.",
	 LABELED_VALUES("object", vanished)},
	{"socklife_scan_processes", "gauge", "Processes with open fds seen by the last pass.",
	 SCALAR_VALUE(scan_procs, "%.0f")},
	{"socklife_scan_denied_processes", "gauge",
	 "Processes whose fds could not be read (missing CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH): "
	 "their sockets are not attributed.",
	 SCALAR_VALUE(scan_denied, "%.0f")},
	{"socklife_scan_fds_read", "gauge",
	 "File descriptors the last pass read (one readlink each): processes are read again only "
	 "when new, changed, due in the rotation, or needed to place a new socket.",
	 SCALAR_VALUE(scan_fds_read, "%.0f")},
	{"socklife_socket_source", "gauge",
	 "What read the last pass's sockets: bpf (one walk of every fd table) or netlink "
	 "(sock_diag in each namespace, /proc/PID/fd for holders); always 1.",
	 LABELED_VALUES("source", socket_source)},
	{"socklife_socket_source_fallbacks_total", "counter",
	 "Passes read over netlink because the bpf walk failed.",
	 SCALAR_VALUE(source_fallbacks, "%.0f")},
	{"socklife_netns_shared_tcp_hash", "gauge",
	 "Namespaces whose TCP connections live in the host's hash table, so that every dump of "
	 "one walks the host's sockets (net.ipv4.tcp_child_ehash_entries gives new ones their "
	 "own).",
	 SCALAR_VALUE(shared_ehash, "%.0f")},
	{"socklife_capability", "gauge",
	 "1 for each capability socklife needs that it holds, 0 for one it lacks: "
	 "cap_dac_read_search and cap_sys_ptrace (other users' fds), cap_sys_admin (entering "
	 "other network namespaces), cap_bpf (with the bpf socket source: an iterator per pass).",
	 LABELED_VALUES("capability", capabilities)},
	{"socklife_history_overflow_total", "counter",
	 "Sockets whose age was not tracked because the history table was full.",
	 SCALAR_VALUE(hist_overflow, "%.0f")},
	{"socklife_build_info", "gauge", "Version and revision socklife was built from; always 1.",
	 EMITTER(emit_build_info)},
	{"socklife_http_connections_accepted_total", "counter",
	 "Connections accepted and handed to the HTTP server.", SCALAR_VALUE(http_accepted, "%.0f")},
	{"socklife_http_connections_refused_total", "counter",
	 "Connections closed at accept, by reason: per_address (the client's address prefix "
	 "holds --web.max-connections-per-ip), strangers_full (clients without a recent request "
	 "hold all theirs), full (every connection busy).",
	 LABELED_VALUES("reason", http_refused)},
	{"socklife_http_connections_cut_total", "counter",
	 "Connections closed by the server, by reason: evicted (waiting for headers, to make "
	 "room), header_deadline (headers not complete in time), request_deadline (answer not "
	 "read in time).",
	 LABELED_VALUES("reason", http_cut)},
	{"socklife_http_connections_lost_total", "counter",
	 "Connections libmicrohttpd closed without saying so (counted when found).",
	 SCALAR_VALUE(http_lost, "%.0f")},
	{"socklife_http_accept_errors_total", "counter", "accept() failures (out of fds, say).",
	 SCALAR_VALUE(http_accept_errors, "%.0f")},
	{"socklife_http_connections", "gauge",
	 "Open connections, by client: known (completed an authorised request recently, as "
	 "Prometheus does) or stranger.",
	 LABELED_VALUES("client", http_connections)},
	{"socklife_http_known_clients", "gauge",
	 "Address prefixes that completed an authorised request within --web.known-client-for.",
	 SCALAR_VALUE(http_known, "%.0f")},
	{"socklife_http_auth_failures_total", "counter",
	 "Requests refused for a wrong or missing password (401).",
	 SCALAR_VALUE(http_auth_failures, "%.0f")},
	{"socklife_http_auth_throttled_total", "counter",
	 "Requests refused because their address (or all addresses) used up their password "
	 "checks (429).",
	 SCALAR_VALUE(http_auth_throttled, "%.0f")},
	{"socklife_http_auth_checks_total", "counter",
	 "bcrypt checks run for passwords not seen before.",
	 SCALAR_VALUE(http_auth_checks, "%.0f")},
	{"process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
	 SCALAR_VALUE(self_cpu, "%.3f")},
	{"process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
	 SCALAR_VALUE(self_rss, "%.0f")},
	{"process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
	 SCALAR_VALUE(self_vsz, "%.0f")},
	{"process_open_fds", "gauge", "Number of open file descriptors.",
	 SCALAR_VALUE(self_fds, "%.0f")},
	{"process_max_fds", "gauge", "Maximum number of open file descriptors.",
	 SCALAR_VALUE(self_max_fds, "%.0f")},
	{"process_start_time_seconds", "gauge",
	 "Start time of the process since unix epoch in seconds.", SCALAR_VALUE(self_start, "%.3f")},
};
#define NFAMILIES (sizeof(families) / sizeof(families[0]))

_Static_assert(FIRST_STATUS < NFAMILIES, "the status families follow the pass's");

void render_pass(struct strbuf *out, const struct render_input *in)
{
	for (size_t i = 0; i < FIRST_STATUS; i++)
		emit(out, &families[i], in);
}

void render_status(struct strbuf *out, const struct render_input *in)
{
	for (size_t i = FIRST_STATUS; i < NFAMILIES; i++)
		emit(out, &families[i], in);
}

size_t render_family_count(void) { return NFAMILIES; }
const char *render_family_name(size_t i) { return i < NFAMILIES ? families[i].name : NULL; }
const char *render_family_type(size_t i) { return i < NFAMILIES ? families[i].type : NULL; }
