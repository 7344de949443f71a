/* diag.c - rows of the diagnosis; see diag.h. */
#include <socklife/diag.h>

#include <errno.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

const uint8_t diag_states[DIAG_STATES] = {
	[DIAG_ESTABLISHED] = ST_ESTABLISHED,
	[DIAG_CLOSE_WAIT] = ST_CLOSE_WAIT,
	[DIAG_FIN_WAIT2] = ST_FIN_WAIT2,
	[DIAG_LISTEN] = ST_LISTEN,
};

static bool worth_showing(const struct leak_proc *lp)
{
	return lp->reasons || lp->h->has[PROTO_TCP] || lp->h->unhashed;
}

/* The label of the namespace a process lives in. */
static const char *netns_of(const struct tally *t, const struct proc_info *pi)
{
	for (const struct ns_tally *ns = t->ns.v; ns < t->ns.v + t->ns.n; ns++)
		if (ns->id.ino == pi->netns_ino && ns->id.dev == pi->netns_dev)
			return ns->label;
	return "";
}

struct peer_filter diag_peer_filter(uint32_t reasons)
{
	static const struct {
		enum leak_reason reason;
		struct peer_filter filter;
	} by_reason[] = { /* the first that applies */
		{LEAK_CLOSE_WAIT_STALE, {1u << ST_CLOSE_WAIT, SIDE_NONE}},
		{LEAK_CLOSE_WAIT_GROWTH, {1u << ST_CLOSE_WAIT, SIDE_NONE}},
		{LEAK_FIN_WAIT2_STALE, {1u << ST_FIN_WAIT2, SIDE_NONE}},
		{LEAK_SOCKET_GROWTH, {0, SIDE_OUTBOUND}},
		{LEAK_FD_LIMIT, {0, SIDE_NONE}},
	};
	for (size_t i = 0; i < sizeof(by_reason) / sizeof(by_reason[0]); i++)
		if (reasons & (1u << by_reason[i].reason))
			return by_reason[i].filter;
	return (struct peer_filter){1u << ST_CLOSE_WAIT, SIDE_NONE};
}

static void find_peers(struct diag_row *r, const struct tally *t, uint32_t proc)
{
	r->npeers = peers_top(t->peers.v, t->peers.n, &proc, 1, diag_peer_filter(r->reasons),
			      r->peers, DIAG_PEERS, &r->peers_other);
}

static void fill(struct diag *d, struct diag_row *r, const struct tally *t,
		 const struct leak_proc *lp)
{
	const struct proc_info *pi = &t->procs[lp->proc];
	*r = (struct diag_row){
		.proc = lp->proc,
		.pid = pi->pid,
		.name = pi->comm,
		.program = pi->program,
		.unit = pi->unit,
		.container = pi->container ? t->containers[pi->container].id : "", /* folded or not */
		.netns = netns_of(t, pi),
		.nfds = pi->nfds,
		.fd_limit = pi->fd_limit,
		.cw_oldest = lp->h->cw_oldest,
		.reasons = lp->reasons,
	};
	for (int k = 0; k < DIAG_STATES; k++)
		r->tcp[k] = lp->h->count[PROTO_TCP][diag_states[k]];
	if (lp->reasons)
		find_peers(r, t, lp->proc);
	for (int reason = 0; reason < LEAK_REASON_COUNT; reason++) {
		if (!(lp->reasons & (1u << reason)))
			continue;
		r->said[reason] = d->text.len;
		leak_explain(&d->text, lp, pi, reason);
		sb_append(&d->text, "", 1); /* the terminating NUL of this sentence */
	}
}

static int popcount(uint32_t v) { return __builtin_popcount(v); }

static int more_suspicious(const void *a, const void *b, void *arg)
{
	const struct diag_row *rows = arg;
	const struct diag_row *x = &rows[*(const uint32_t *)a], *y = &rows[*(const uint32_t *)b];
	int rx = popcount(x->reasons), ry = popcount(y->reasons);
	if (rx != ry)
		return ry - rx;
	if (x->tcp[DIAG_CLOSE_WAIT] != y->tcp[DIAG_CLOSE_WAIT])
		return x->tcp[DIAG_CLOSE_WAIT] < y->tcp[DIAG_CLOSE_WAIT] ? 1 : -1;
	if (x->nfds != y->nfds)
		return x->nfds < y->nfds ? 1 : -1;
	return (*(const uint32_t *)a > *(const uint32_t *)b) - (*(const uint32_t *)a < *(const uint32_t *)b);
}

/* Per group with suspects, the busiest peers of its suspected members. */
static int group_peers(struct diag *d, const struct tally *t)
{
	vec_clear(&d->groups);
	for (size_t i = 0; i < d->rows.n; i++) { /* rows are in process order */
		const struct diag_row *r = &d->rows.v[i];
		if (!r->reasons)
			continue;
		uint32_t g = t->proc_group.v[r->proc];
		struct diag_group *dg = NULL;
		for (size_t j = 0; j < d->groups.n && !dg; j++)
			if (d->groups.v[j].group == g)
				dg = &d->groups.v[j];
		if (!dg) {
			if (!(dg = vec_push(&d->groups)))
				return -ENOMEM;
			*dg = (struct diag_group){.group = g};
		}
		dg->reasons |= r->reasons;
	}
	for (size_t j = 0; j < d->groups.n; j++) {
		struct diag_group *dg = &d->groups.v[j];
		vec_clear(&d->members);
		for (size_t i = 0; i < d->rows.n; i++) {
			uint32_t *m = d->rows.v[i].reasons && t->proc_group.v[d->rows.v[i].proc] == dg->group
					      ? vec_push(&d->members) : NULL;
			if (m)
				*m = d->rows.v[i].proc;
		}
		dg->npeers = peers_top(t->peers.v, t->peers.n, d->members.v, d->members.n,
				       diag_peer_filter(dg->reasons), dg->peers, DIAG_GROUP_PEERS,
				       &dg->other);
	}
	return 0;
}

int diag_build(struct diag *d, struct tally *t, const struct leak_tracker *lt)
{
	peers_sort(t->peers.v, t->peers.n);
	vec_clear(&d->rows);
	sb_reset(&d->text);
	d->suspects = 0;
	if (vec_reserve(&d->rows, lt->procs.n + 1) || vec_reserve(&d->order, lt->procs.n + 1))
		return -ENOMEM;
	for (size_t i = 0; i < lt->procs.n; i++) {
		const struct leak_proc *lp = &lt->procs.v[i];
		d->suspects += lp->reasons != 0;
		if (worth_showing(lp))
			fill(d, &d->rows.v[d->rows.n++], t, lp);
	}
	d->order.n = d->rows.n;
	for (uint32_t i = 0; i < d->rows.n; i++)
		d->order.v[i] = i;
	if (d->order.n > 1)
		qsort_r(d->order.v, d->order.n, sizeof(*d->order.v), more_suspicious, d->rows.v);
	if (group_peers(d, t))
		return -ENOMEM;
	return d->text.failed ? -ENOMEM : 0;
}

void diag_where(struct strbuf *out, const struct diag_row *r)
{
	char addr[INET6_ADDRSTRLEN];
	for (size_t i = 0; i < r->npeers; i++) {
		const struct peer *p = &r->peers[i].peer;
		peers_format_addr(p, addr);
		const char *fmt = p->side == SIDE_INBOUND ? "%sfrom %s on :%u (%u)"
				  : strchr(addr, ':')     ? "%sto [%s]:%u (%u)"
							  : "%sto %s:%u (%u)";
		sb_printf(out, fmt, i ? ", " : "", addr, p->port, r->peers[i].count);
	}
	if (r->peers_other)
		sb_printf(out, "%s%u to others", r->npeers ? ", " : "", r->peers_other);
}

void diag_who(struct strbuf *out, const struct diag_row *r)
{
	const char *sep = "";
	if (r->program[0]) {
		sb_printf(out, "program %s", r->program);
		sep = ", ";
	}
	if (r->unit[0]) {
		sb_printf(out, "%sunit %s", sep, r->unit);
		sep = ", ";
	}
	if (r->netns[0])
		sb_printf(out, "%snetns %s", sep, r->netns);
}

const char *diag_sentence(const struct diag *d, const struct diag_row *r, enum leak_reason reason)
{
	return d->text.buf + r->said[reason];
}

void diag_free(struct diag *d)
{
	vec_free(&d->rows);
	vec_free(&d->order);
	vec_free(&d->groups);
	vec_free(&d->members);
	sb_free(&d->text);
}
