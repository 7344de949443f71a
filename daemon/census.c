/* census.c - a walk's fd tables, per process; see census.h. */
#include <socklife/census.h>

#include <socklife/proto.h>
#include <socklife/radix.h>

#include <errno.h>
#include <string.h>

void census_init(struct census *c)
{
	*c = (struct census){.by_pid = KEYINDEX_INIT};
}

void census_begin(struct census *c, uint64_t netns_dev)
{
	c->netns_dev = netns_dev;
	vec_clear(&c->procs);
	vec_clear(&c->fds);
	vec_clear(&c->owner);
	vec_clear(&c->number);
	vec_clear(&c->by_inode);
	vec_clear(&c->first);
	c->places = 0;
	c->scattered = false;
	keyindex_clear(&c->by_pid);
}

static struct census_proc *proc_of(struct census *c, int32_t pid)
{
	bool added;
	if (vec_reserve(&c->procs, c->procs.n + 1))
		return NULL;
	long i = keyindex_of(&c->by_pid, (uint32_t)pid, &added);
	if (i < 0)
		return NULL;
	if (added)
		c->procs.v[c->procs.n++] = (struct census_proc){.pid = pid};
	return &c->procs.v[i];
}

/* The fds go where they come, in walk order: a table's fds come
 * together, so each process's are one run, but for a process with threads
 * of their own tables (rare), regrouped at the end. */
long census_socket(struct census *c, int32_t pid, uint32_t fd, uint32_t inode, uint8_t proto)
{
	struct census_proc *cp = proc_of(c, pid);
	struct sock_fd *f = cp ? vec_push(&c->fds) : NULL;
	uint32_t *owner = f ? vec_push(&c->owner) : NULL;
	uint32_t *place = owner ? vec_push(&c->number) : NULL;
	uint64_t *key = place && proto != PROTO_COUNT ? vec_push(&c->by_inode) : NULL;
	if (!place || (proto != PROTO_COUNT && !key))
		return -ENOMEM;
	uint32_t at = (uint32_t)(c->fds.n - 1);
	*f = (struct sock_fd){inode, fd, proto};
	*owner = (uint32_t)(cp - c->procs.v);
	*place = CENSUS_UNCOUNTED;
	if (key) {
		*place = c->places++;
		*key = (uint64_t)inode << 32 | *place;
	}
	if (cp->n == 0)
		cp->first = at;
	else if (cp->first + cp->n != at)
		c->scattered = true;
	cp->n++;
	return *place;
}

/* The leader's table is the one /proc/PID/fd shows; without a leader, the
 * lowest thread's. */
static bool better_table(const struct census_proc *p, int32_t tid)
{
	return p->tid == 0 || tid == p->pid || (p->tid != (uint32_t)p->pid && (uint32_t)tid < p->tid);
}

int census_table(struct census *c, int32_t pid, int32_t tid, uint32_t nfds, uint64_t fd_limit,
		 uint64_t netns_ino)
{
	struct census_proc *p = proc_of(c, pid);
	if (!p)
		return -ENOMEM;
	if (better_table(p, tid)) {
		p->tid = (uint32_t)tid;
		p->nfds = nfds;
		p->fd_limit = fd_limit;
		p->netns_ino = netns_ino;
	}
	return 0;
}

/* Number the sockets: sorted by inode, each socket's fds lie side by side
 * in walk order, the first of them giving the number. */
static int number_sockets(struct census *c)
{
	if (vec_reserve(&c->scratch, c->places + 1) || vec_reserve(&c->first, c->places + 1))
		return -ENOMEM;
	radix_sort_hi32(c->by_inode.v, c->scratch.v, c->by_inode.n);
	for (size_t i = 0, run = 0; i < c->by_inode.n; i++) {
		if (i == 0 || c->by_inode.v[i] >> 32 != c->by_inode.v[i - 1] >> 32)
			run = i;
		c->first.v[(uint32_t)c->by_inode.v[i]] = (uint32_t)c->by_inode.v[run];
	}
	c->first.n = c->places;
	for (size_t i = 0; i < c->number.n; i++)
		if (c->number.v[i] != CENSUS_UNCOUNTED)
			c->number.v[i] = c->first.v[c->number.v[i]];
	return 0;
}

/* Regroup scattered runs: a counting sort by process (counted as they
 * came). */
static int regroup(struct census *c)
{
	if (vec_reserve(&c->spare, c->fds.n + 1) || vec_reserve(&c->spare_number, c->fds.n + 1))
		return -ENOMEM;
	uint32_t at = 0;
	for (size_t i = 0; i < c->procs.n; i++) {
		c->procs.v[i].first = at;
		at += c->procs.v[i].n;
		c->procs.v[i].n = 0;
	}
	for (size_t i = 0; i < c->fds.n; i++) {
		struct census_proc *p = &c->procs.v[c->owner.v[i]];
		c->spare_number.v[p->first + p->n] = c->number.v[i];
		c->spare.v[p->first + p->n++] = c->fds.v[i];
	}
	c->spare.n = c->spare_number.n = c->fds.n;
	struct census_fds t = c->fds;
	c->fds = c->spare;
	c->spare = t;
	struct census_index u = c->number;
	c->number = c->spare_number;
	c->spare_number = u;
	return 0;
}

int census_end(struct census *c)
{
	int err = number_sockets(c);
	return err || !c->scattered ? err : regroup(c);
}

bool census_is_repeat(const struct census *c, uint32_t place)
{
	return place < c->first.n && c->first.v[place] != place;
}

uint32_t census_number_of(const struct census *c, const struct sock_fd *f)
{
	return c->number.v[f - c->fds.v];
}

long census_find_socket(const struct census *c, uint64_t inode)
{
	if (inode == 0 || inode > UINT32_MAX)
		return -1; /* no socket has such an inode */
	size_t lo = 0, hi = c->by_inode.n;
	while (lo < hi) { /* the first key of an inode >= `inode` */
		size_t mid = lo + (hi - lo) / 2;
		if (c->by_inode.v[mid] >> 32 < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->by_inode.n || c->by_inode.v[lo] >> 32 != inode)
		return -1;
	return (long)(uint32_t)c->by_inode.v[lo];
}

const struct census_proc *census_find(const struct census *c, int32_t pid)
{
	long i = pid ? keyindex_find(&c->by_pid, (uint32_t)pid) : -1;
	return i < 0 ? NULL : &c->procs.v[i];
}

void census_free(struct census *c)
{
	vec_free(&c->procs);
	vec_free(&c->fds);
	vec_free(&c->owner);
	vec_free(&c->spare);
	vec_free(&c->number);
	vec_free(&c->first);
	vec_free(&c->by_inode);
	vec_free(&c->scratch);
	vec_free(&c->spare_number);
	keyindex_free(&c->by_pid);
	census_init(c);
}
