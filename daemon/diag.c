/* diag.c - rows of the diagnosis; see diag.h. */
#include <socklife/diag.h>

#include <errno.h>
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

static void fill(struct diag *d, struct diag_row *r, const struct tally *t,
		 const struct leak_proc *lp)
{
	const struct proc_info *pi = &t->procs[lp->proc];
	*r = (struct diag_row){
		.pid = pi->pid,
		.name = pi->comm,
		.program = pi->program,
		.unit = pi->unit,
		.container = tally_group_of(t, lp->proc)->container,
		.netns = netns_of(t, pi),
		.nfds = pi->nfds,
		.fd_limit = pi->fd_limit,
		.cw_oldest = lp->h->cw_oldest,
		.reasons = lp->reasons,
	};
	for (int k = 0; k < DIAG_STATES; k++)
		r->tcp[k] = lp->h->count[PROTO_TCP][diag_states[k]];
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

int diag_build(struct diag *d, const struct tally *t, const struct leak_tracker *lt)
{
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
	qsort_r(d->order.v, d->order.n, sizeof(*d->order.v), more_suspicious, d->rows.v);
	return d->text.failed ? -ENOMEM : 0;
}

const char *diag_sentence(const struct diag *d, const struct diag_row *r, enum leak_reason reason)
{
	return d->text.buf + r->said[reason];
}

void diag_free(struct diag *d)
{
	vec_free(&d->rows);
	vec_free(&d->order);
	sb_free(&d->text);
}
