/* tally.c - grouping of processes and counting of sockets. */
#include <socklife/tally.h>

#include <socklife/strbuf.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What tells two groups apart; zero-filled so it compares as bytes. */
struct group_key {
	char container[CONTAINER_MAX];
	char name[GROUP_NAME_MAX];
	char program[GROUP_PROGRAM_MAX];
	int32_t pid;
	uint32_t outside;
};

struct group_slot {
	struct group_key key;
	uint32_t group;
};

static int group_cmp(const void *a, const void *b, void *arg)
{
	const struct group *groups = arg;
	const struct group *x = &groups[*(const uint32_t *)a], *y = &groups[*(const uint32_t *)b];
	int c = strcmp(x->container, y->container);
	if (!c)
		c = strcmp(x->name, y->name);
	if (!c)
		c = strcmp(x->program, y->program);
	if (!c)
		c = (x->pid > y->pid) - (x->pid < y->pid);
	return c;
}

/* Is a process outside the namespace the report is limited to?  One whose
 * namespace cannot be read is kept in. */
static bool outside_scope(const struct tally *t, const struct proc_info *pi)
{
	return t->scope && pi->netns_ino &&
	       (pi->netns_ino != t->scope->ino || pi->netns_dev != t->scope->dev);
}

/* Find or create the group of a process; returns its index or -ENOMEM. */
static long group_of(struct tally *t, const struct proc_info *pi)
{
	struct group_key key;
	memset(&key, 0, sizeof(key));
	snprintf(key.container, sizeof(key.container), "%s",
		 pi->container ? t->containers[pi->container].id : "");
	sb_sanitize(key.name, sizeof(key.name), pi->comm, strnlen(pi->comm, sizeof(pi->comm)));
	sb_sanitize(key.program, sizeof(key.program), pi->program,
		    strnlen(pi->program, sizeof(pi->program)));
	key.pid = t->by == GROUP_BY_PID ? pi->pid : -1;
	key.outside = outside_scope(t, pi);

	bool added;
	struct group_slot *s = hashmap_put(&t->index, &key, &added);
	struct group *g = s && added ? vec_push(&t->groups) : NULL;
	if (!s || (added && !g))
		return -ENOMEM;
	if (added) {
		memset(g, 0, sizeof(*g));
		memcpy(g->name, key.name, sizeof(g->name));
		memcpy(g->container, key.container, sizeof(g->container));
		memcpy(g->program, key.program, sizeof(g->program));
		g->pid = key.pid;
		g->outside = key.outside;
		s->group = (uint32_t)(t->groups.n - 1);
	}
	return s->group;
}

/* Sort the groups for a stable exposition and renumber the processes'. */
static int sort_groups(struct tally *t)
{
	size_t n = t->groups.n;
	if (vec_reserve(&t->order, n + 1) || vec_reserve(&t->rank, n + 1) ||
	    vec_reserve(&t->sorted, n + 1))
		return -ENOMEM;
	for (uint32_t g = 0; g < n; g++)
		t->order.v[g] = g;
	qsort_r(t->order.v, n, sizeof(*t->order.v), group_cmp, t->groups.v);
	for (uint32_t g = 0; g < n; g++)
		t->sorted.v[g] = t->groups.v[t->order.v[g]];
	/* order[new] = old; rank is the way back, old -> new. */
	for (uint32_t g = 0; g < n; g++)
		t->rank.v[t->order.v[g]] = g;
	for (size_t i = 0; i < t->nprocs; i++)
		t->proc_group.v[i] = t->rank.v[t->proc_group.v[i]];
	struct group_list tmp = t->groups;
	t->groups = t->sorted;
	t->groups.n = n;
	t->sorted = tmp;
	return 0;
}

int tally_begin(struct tally *t, const struct proc_info *procs, size_t nprocs,
		const struct container_ref *containers, size_t ncontainers, enum group_by by)
{
	if (!t->index.entry_size)
		t->index = (struct hashmap)HASHMAP_INIT(struct group_slot);
	t->by = by;
	t->procs = procs;
	t->nprocs = nprocs;
	t->containers = containers;
	t->ncontainers = ncontainers;
	vec_reset(&t->groups);
	vec_clear(&t->ns);
	vec_reset(&t->peers);
	hashmap_clear(&t->index);
	if (vec_reserve(&t->proc_group, nprocs + 1) || vec_reserve(&t->held, nprocs + 1))
		return -ENOMEM;
	t->proc_group.n = t->held.n = nprocs;
	memset(t->held.v, 0, (nprocs + 1) * sizeof(*t->held.v));

	for (size_t i = 0; i < nprocs; i++) {
		long gi = group_of(t, &procs[i]);
		if (gi < 0)
			return (int)gi;
		t->proc_group.v[i] = (uint32_t)gi;
	}
	int err = sort_groups(t);
	if (err)
		return err;
	for (size_t i = 0; i < nprocs; i++) {
		const struct proc_info *pi = &procs[i];
		struct group *g = &t->groups.v[t->proc_group.v[i]];
		g->nprocs++;
		g->open_fds += pi->nfds;
		if (pi->fd_limit) {
			double r = (double)pi->nfds / (double)pi->fd_limit;
			if (r > g->fd_usage_ratio)
				g->fd_usage_ratio = r;
		}
	}
	t->stamp = 0;
	t->folded = 0;
	return 0;
}

int tally_add_netns(struct tally *t, const struct netns_id *id, const char *label)
{
	struct ns_tally *ns = vec_push(&t->ns);
	if (!ns)
		return -ENOMEM;
	memset(ns, 0, sizeof(*ns));
	ns->id = *id;
	snprintf(ns->label, sizeof(ns->label), "%s", label);
	return (int)(t->ns.n - 1);
}

/* Count socket `a` once in `h`, unless this socket was already counted
 * there (`stamp` names the socket being counted). */
static bool hold(const struct tally *t, struct holdings *h, const struct attributed *a,
		 uint64_t stamp)
{
	const struct sl_socket *s = a->s;
	if (h->stamp == stamp)
		return false;
	h->stamp = stamp;
	h->count[s->proto][s->state]++;
	h->has[s->proto] = true;
	if (s->proto == PROTO_UNIX && sockdiag_unix_peer_gone(s))
		h->unix_peer_gone++;
	h->rmem += s->rmem_bytes;
	h->wmem += s->wmem_bytes;
	if (s->proto != PROTO_TCP)
		return true;
	h->inbound[s->state] += a->side == SIDE_INBOUND;
	bool stale = t->stale_after[s->state] > 0 && a->age >= t->stale_after[s->state];
	if (s->state == ST_CLOSE_WAIT) {
		h->cw_unread += s->rqueue > 0;
		h->cw_stale += stale;
		h->cw_stale_inbound += stale && a->side == SIDE_INBOUND;
		if (a->age > h->cw_oldest)
			h->cw_oldest = a->age;
	} else if (s->state == ST_FIN_WAIT2) {
		h->fw2_stale += stale;
		if (a->age > h->fw2_oldest)
			h->fw2_oldest = a->age;
	}
	return true;
}

/* Write down where a connection of process `p` leads, when that is worth
 * knowing (see peers.h).  Out of memory: it is not written down. */
static void note_peer(struct tally *t, const struct attributed *a, uint32_t p)
{
	const struct sl_socket *s = a->s;
	if (s->proto != PROTO_TCP || a->side == SIDE_NONE)
		return;
	if (!(TIMED_STATES & (1u << s->state)) && !(t->watch && t->watch[p]))
		return;
	struct peer_rec *r = vec_push(&t->peers);
	if (r)
		*r = (struct peer_rec){p, s->state, peer_of(s, a->side)};
}

uint32_t tally_inbound(const struct holdings *h)
{
	uint32_t n = 0;
	for (int st = 0; st < ST_COUNT; st++)
		n += h->inbound[st];
	return n;
}

void tally_socket(struct tally *t, const struct attributed *a)
{
	struct ns_tally *ns = &t->ns.v[a->ns];

	ns->count[a->s->proto][a->s->state]++;
	if (a->kind == UNRESOLVED)
		ns->unresolved[a->s->proto]++;
	if (a->kind != OWNED)
		return;
	uint64_t stamp = ++t->stamp;
	for (size_t i = 0; i < a->nprocs; i++) {
		uint32_t p = a->procs[i];
		if (hold(t, &t->held.v[p], a, stamp))
			note_peer(t, a, p);
		hold(t, &t->groups.v[t->proc_group.v[p]].h, a, stamp);
	}
}

void tally_unhashed(struct tally *t, const uint32_t *procs, size_t nprocs)
{
	uint64_t stamp = ++t->stamp;
	for (size_t i = 0; i < nprocs; i++) {
		struct holdings *hp = &t->held.v[procs[i]];
		struct holdings *hg = &t->groups.v[t->proc_group.v[procs[i]]].h;
		if (hp->stamp != stamp)
			hp->stamp = stamp, hp->unhashed++;
		if (hg->stamp != stamp)
			hg->stamp = stamp, hg->unhashed++;
	}
}

/* --- folding the smallest groups -------------------------------------------- */

static void holdings_add(struct holdings *to, const struct holdings *from)
{
	for (int p = 0; p < PROTO_COUNT; p++) {
		for (int st = 0; st < ST_COUNT; st++)
			to->count[p][st] += from->count[p][st];
		to->has[p] |= from->has[p];
	}
	for (int st = 0; st < ST_COUNT; st++)
		to->inbound[st] += from->inbound[st];
	to->cw_unread += from->cw_unread;
	to->cw_stale += from->cw_stale;
	to->cw_stale_inbound += from->cw_stale_inbound;
	to->fw2_stale += from->fw2_stale;
	to->cw_oldest = from->cw_oldest > to->cw_oldest ? from->cw_oldest : to->cw_oldest;
	to->fw2_oldest = from->fw2_oldest > to->fw2_oldest ? from->fw2_oldest : to->fw2_oldest;
	to->unhashed += from->unhashed;
	to->unix_peer_gone += from->unix_peer_gone;
}

static void group_add(struct group *to, const struct group *from)
{
	holdings_add(&to->h, &from->h);
	to->nprocs += from->nprocs;
	to->open_fds += from->open_fds;
	if (from->fd_usage_ratio > to->fd_usage_ratio)
		to->fd_usage_ratio = from->fd_usage_ratio;
}

static uint64_t sockets_held(const struct holdings *h)
{
	uint64_t n = h->unhashed;
	for (int p = 0; p < PROTO_COUNT; p++)
		for (int st = 0; st < ST_COUNT; st++)
			n += h->count[p][st];
	return n;
}

/* Larger first; among equals, the exposition's order. */
static int larger(const void *a, const void *b, void *arg)
{
	const struct group *groups = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint64_t sx = sockets_held(&groups[x].h), sy = sockets_held(&groups[y].h);
	if (sx != sy)
		return sx < sy ? 1 : -1;
	return (x > y) - (x < y);
}

/* Mark in t->rank (1: kept, 0: folded) which groups stay apart; returns
 * how many are folded. */
static uint32_t choose_kept(struct tally *t, unsigned max, bool (*keep)(void *, size_t),
			    void *ctx)
{
	size_t n = t->groups.n, nkept = 0, ncand = 0;
	memset(t->rank.v, 0, n * sizeof(*t->rank.v));
	for (size_t i = 0; i < t->nprocs; i++) {
		uint32_t g = t->proc_group.v[i];
		if (!t->groups.v[g].outside && !t->rank.v[g] && keep(ctx, i)) {
			t->rank.v[g] = 1; /* a suspect's group is never folded away */
			nkept++;
		}
	}
	for (uint32_t g = 0; g < n; g++)
		if (!t->rank.v[g] && !t->groups.v[g].outside)
			t->order.v[ncand++] = g;
	if (nkept + ncand <= max)
		return 0;
	qsort_r(t->order.v, ncand, sizeof(*t->order.v), larger, t->groups.v);
	size_t room = max > nkept ? max - nkept : 0;
	for (size_t i = 0; i < room && i < ncand; i++)
		t->rank.v[t->order.v[i]] = 1;
	for (uint32_t g = 0; g < n; g++)
		t->rank.v[g] |= t->groups.v[g].outside; /* not reported: left as they are */
	return (uint32_t)(ncand - room);
}

int tally_fold(struct tally *t, unsigned max, bool (*keep)(void *ctx, size_t proc), void *ctx)
{
	size_t n = t->groups.n;
	t->folded = 0;
	if (vec_reserve(&t->order, n + 1) || vec_reserve(&t->rank, n + 1) ||
	    vec_reserve(&t->sorted, n + 1))
		return -ENOMEM;
	uint32_t folded = choose_kept(t, max, keep, ctx);
	if (!folded)
		return 0;
	/* Kept groups in their order, then the folded one; rank becomes the
	 * way from an old group to its new one. */
	size_t out = 0;
	for (uint32_t g = 0; g < n; g++) {
		if (t->rank.v[g]) {
			t->sorted.v[out] = t->groups.v[g];
			t->rank.v[g] = (uint32_t)out++;
		} else {
			t->rank.v[g] = UINT32_MAX;
		}
	}
	struct group *other = &t->sorted.v[out];
	memset(other, 0, sizeof(*other));
	snprintf(other->name, sizeof(other->name), "%s", TALLY_FOLDED_NAME);
	snprintf(other->container, sizeof(other->container), "%s", TALLY_FOLDED_CONTAINER);
	other->pid = -1;
	for (uint32_t g = 0; g < n; g++) {
		if (t->rank.v[g] == UINT32_MAX) {
			group_add(other, &t->groups.v[g]);
			t->rank.v[g] = (uint32_t)out;
		}
	}
	for (size_t i = 0; i < t->nprocs; i++)
		t->proc_group.v[i] = t->rank.v[t->proc_group.v[i]];
	struct group_list tmp = t->groups;
	t->groups = t->sorted;
	t->groups.n = out + 1;
	t->sorted = tmp;
	t->folded = folded;
	return (int)folded;
}

void tally_free(struct tally *t)
{
	vec_free(&t->groups);
	vec_free(&t->sorted);
	vec_free(&t->order);
	vec_free(&t->rank);
	vec_free(&t->proc_group);
	vec_free(&t->held);
	vec_free(&t->ns);
	vec_free(&t->peers);
	hashmap_free(&t->index);
}
