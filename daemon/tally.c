/* tally.c - grouping of processes and counting of sockets. */
#include <socklife/tally.h>

#include <socklife/array.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t key_hash(const char *container, const char *name, int32_t pid, bool outside)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ outside; /* FNV-1a */
	for (const char *p = container; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL; /* separator no comm byte can forge */
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return (h ^ (uint32_t)pid) * 0x100000001b3ULL;
}

static bool key_eq(const struct group *g, const char *container, const char *name, int32_t pid,
		   bool outside)
{
	return g->pid == pid && g->outside == outside && strcmp(g->name, name) == 0 &&
	       strcmp(g->container, container) == 0;
}

static int group_cmp(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	int c = strcmp(x->container, y->container);
	if (!c)
		c = strcmp(x->name, y->name);
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
static long group_of(struct tally *t, const struct proc_info *pi, int32_t pid, size_t mask)
{
	const char *container = pi->container ? t->ps->containers[pi->container].id : "";
	bool outside = outside_scope(t, pi);
	size_t s = key_hash(container, pi->comm, pid, outside) & mask;

	while (t->index[s] != UINT32_MAX) {
		if (key_eq(&t->groups[t->index[s]], container, pi->comm, pid, outside))
			return t->index[s];
		s = (s + 1) & mask;
	}
	if (array_reserve((void **)&t->groups, &t->groups_cap, t->ngroups + 1, sizeof(*t->groups)))
		return -ENOMEM;
	struct group *g = &t->groups[t->ngroups];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", pi->comm);
	snprintf(g->container, sizeof(g->container), "%s", container);
	g->pid = pid;
	g->outside = outside;
	t->index[s] = (uint32_t)t->ngroups;
	return (long)t->ngroups++;
}

int tally_begin(struct tally *t, const struct procscan *ps, const struct owners *o,
		enum group_by by)
{
	size_t n = ps->nprocs, slots = 64;

	t->by = by;
	t->ps = ps;
	t->owners = o;
	t->ngroups = 0;
	t->nns = 0;
	while (slots < 2 * n)
		slots *= 2;
	size_t nh = ps->nholders ? ps->nholders : 1;
	if (array_reserve((void **)&t->index, &t->index_cap, slots, sizeof(*t->index)) ||
	    array_reserve((void **)&t->proc_group, &t->proc_group_cap, n ? n : 1, sizeof(*t->proc_group)) ||
	    array_reserve((void **)&t->procs, &t->procs_cap, n ? n : 1, sizeof(*t->procs)) ||
	    array_reserve((void **)&t->seen, &t->seen_cap, nh, sizeof(*t->seen)))
		return -ENOMEM;
	memset(t->procs, 0, (n ? n : 1) * sizeof(*t->procs));
	memset(t->seen, 0, nh * sizeof(*t->seen));
	memset(t->index, 0xff, slots * sizeof(*t->index));

	for (size_t i = 0; i < n; i++) {
		const struct proc_info *pi = &ps->procs[i];
		long gi = group_of(t, pi, by == GROUP_BY_PID ? pi->pid : -1, slots - 1);
		if (gi < 0)
			return (int)gi;
		t->proc_group[i] = (uint32_t)gi;
	}

	/* Sort groups for a stable exposition; the hash slots hold, for a moment,
	 * each old index's new position. */
	for (size_t g = 0; g < t->ngroups; g++)
		t->groups[g].h.stamp = g; /* remember the old index through the sort */
	qsort(t->groups, t->ngroups, sizeof(*t->groups), group_cmp);
	for (size_t g = 0; g < t->ngroups; g++) {
		t->index[t->groups[g].h.stamp] = (uint32_t)g;
		t->groups[g].h.stamp = 0;
	}
	for (size_t i = 0; i < n; i++)
		t->proc_group[i] = t->index[t->proc_group[i]];

	for (size_t i = 0; i < n; i++) {
		const struct proc_info *pi = &ps->procs[i];
		struct group *g = &t->groups[t->proc_group[i]];
		g->nprocs++;
		g->open_fds += pi->nfds;
		if (pi->fd_limit) {
			double r = (double)pi->nfds / (double)pi->fd_limit;
			if (r > g->fd_usage_ratio)
				g->fd_usage_ratio = r;
		}
	}
	t->stamp = 0;
	return 0;
}

int tally_add_netns(struct tally *t, const struct netns_id *id, const char *label)
{
	if (array_reserve((void **)&t->ns, &t->ns_cap, t->nns + 1, sizeof(*t->ns)))
		return -ENOMEM;
	struct ns_tally *ns = &t->ns[t->nns];
	memset(ns, 0, sizeof(*ns));
	ns->id = *id;
	snprintf(ns->label, sizeof(ns->label), "%s", label);
	return (int)t->nns++;
}

/* Count socket `s` once in `h`, unless this socket was already counted
 * there (`stamp` names the socket being counted). */
static void hold(struct holdings *h, const struct sl_socket *s, double age, uint64_t stamp)
{
	if (h->stamp == stamp)
		return;
	h->stamp = stamp;
	h->count[s->proto][s->state]++;
	h->has[s->proto] = true;
	if (s->proto == PROTO_UNIX && sockdiag_unix_peer_gone(s))
		h->unix_peer_gone++;
	if (s->proto != PROTO_TCP)
		return;
	if (s->state == ST_CLOSE_WAIT) {
		if (s->rqueue > 0)
			h->cw_unread++;
		if (age > h->cw_oldest)
			h->cw_oldest = age;
	} else if (s->state == ST_FIN_WAIT2 && age > h->fw2_oldest) {
		h->fw2_oldest = age;
	}
}

enum tally_result tally_socket(struct tally *t, size_t nsi, const struct sl_socket *s, double age)
{
	return tally_socket_at(t, nsi, s, age, s->inode ? owners_find(t->owners, s->inode) : NULL);
}

enum tally_result tally_socket_at(struct tally *t, size_t nsi, const struct sl_socket *s, double age,
				  const struct owner_slot *slot)
{
	struct ns_tally *ns = &t->ns[nsi];

	if (s->inode == 0) {
		ns->count[s->proto][s->state]++;
		return TALLY_COUNTED; /* the kernel's: TIME_WAIT, SYN_RECV, orphans */
	}
	if (!slot)
		return TALLY_UNOWNED;
	if (t->seen[slot->head])
		return TALLY_DUPLICATE; /* the dump showed it twice */
	ns->count[s->proto][s->state]++;
	uint64_t stamp = ++t->stamp;
	t->seen[slot->head] = 1;
	hold(&t->procs[slot->proc], s, age, stamp);
	hold(&t->groups[t->proc_group[slot->proc]].h, s, age, stamp);
	/* Further holders: inherited over fork(), or passed over a socket. */
	for (uint32_t h = owners_next(t->owners, slot->head); h != OWNERS_NONE;
	     h = owners_next(t->owners, h)) {
		uint32_t p = t->ps->holders[h].proc;
		t->seen[h] = 1;
		hold(&t->procs[p], s, age, stamp);
		hold(&t->groups[t->proc_group[p]].h, s, age, stamp);
	}
	return TALLY_COUNTED;
}

void tally_unresolved(struct tally *t, size_t nsi, const struct sl_socket *s)
{
	t->ns[nsi].count[s->proto][s->state]++;
	t->ns[nsi].unresolved[s->proto]++;
}

int tally_grow(struct tally *t, size_t first)
{
	const struct sock_holder *holders = t->ps->holders;
	size_t old = t->seen_cap, n = t->ps->nholders;
	if (n > old) {
		if (array_reserve((void **)&t->seen, &t->seen_cap, n, sizeof(*t->seen)))
			return -ENOMEM;
		memset(t->seen + old, 0, t->seen_cap - old);
	}
	cookieset_clear(&t->superseded);
	for (size_t h = 0; h < first; h++)
		if (holders[h].proc == PROCSCAN_DEAD && t->seen[h] &&
		    cookieset_add(&t->superseded, holders[h].inode) < 0)
			return -ENOMEM;
	for (size_t h = first; h < n; h++)
		t->seen[h] = cookieset_has(&t->superseded, holders[h].inode);
	return 0;
}

static void raise_age(struct holdings *h, const struct sl_socket *s, double age)
{
	if (s->state == ST_CLOSE_WAIT && age > h->cw_oldest)
		h->cw_oldest = age;
	else if (s->state == ST_FIN_WAIT2 && age > h->fw2_oldest)
		h->fw2_oldest = age;
}

void tally_age(struct tally *t, const struct sl_socket *s, double age)
{
	for (uint32_t h = owners_first(t->owners, s->inode); h != OWNERS_NONE;
	     h = owners_next(t->owners, h)) {
		uint32_t p = t->ps->holders[h].proc;
		raise_age(&t->procs[p], s, age);
		raise_age(&t->groups[t->proc_group[p]].h, s, age);
	}
}

void tally_unhashed(struct tally *t, bool (*relevant)(uint32_t holder, void *ctx), void *ctx)
{
	const struct sock_holder *holders = t->ps->holders;

	for (uint32_t i = 0; i < t->ps->nholders; i++) {
		/* Visit each socket once, through the first of its holders. */
		if (t->seen[i] || holders[i].proc == PROCSCAN_DEAD ||
		    owners_first(t->owners, holders[i].inode) != i || !relevant(i, ctx))
			continue;
		uint64_t stamp = ++t->stamp;
		for (uint32_t h = i; h != OWNERS_NONE; h = owners_next(t->owners, h)) {
			uint32_t p = holders[h].proc;
			struct holdings *hp = &t->procs[p], *hg = &t->groups[t->proc_group[p]].h;
			if (hp->stamp != stamp)
				hp->stamp = stamp, hp->unhashed++;
			if (hg->stamp != stamp)
				hg->stamp = stamp, hg->unhashed++;
		}
	}
}

void tally_free(struct tally *t)
{
	free(t->groups);
	free(t->proc_group);
	free(t->procs);
	free(t->seen);
	cookieset_free(&t->superseded);
	free(t->index);
	free(t->ns);
	memset(t, 0, sizeof(*t));
}
