/* census.c - a walk's fd tables, per process; see census.h. */
#include <socklife/census.h>

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
int census_socket(struct census *c, int32_t pid, uint32_t fd, uint64_t inode, uint8_t proto)
{
	struct census_proc *cp = proc_of(c, pid);
	struct sock_fd *f = cp ? vec_push(&c->fds) : NULL;
	uint32_t *owner = f ? vec_push(&c->owner) : NULL;
	if (!owner)
		return -ENOMEM;
	uint32_t at = (uint32_t)(c->fds.n - 1);
	*f = (struct sock_fd){inode, fd, proto};
	*owner = (uint32_t)(cp - c->procs.v);
	if (cp->n == 0)
		cp->first = at;
	else if (cp->first + cp->n != at)
		c->scattered = true;
	cp->n++;
	return 0;
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

/* Regroup scattered runs: a counting sort by process (counted as they
 * came). */
int census_end(struct census *c)
{
	if (!c->scattered)
		return 0;
	if (vec_reserve(&c->spare, c->fds.n + 1))
		return -ENOMEM;
	uint32_t at = 0;
	for (size_t i = 0; i < c->procs.n; i++) {
		c->procs.v[i].first = at;
		at += c->procs.v[i].n;
		c->procs.v[i].n = 0;
	}
	for (size_t i = 0; i < c->fds.n; i++) {
		struct census_proc *p = &c->procs.v[c->owner.v[i]];
		c->spare.v[p->first + p->n++] = c->fds.v[i];
	}
	c->spare.n = c->fds.n;
	struct census_fds t = c->fds;
	c->fds = c->spare;
	c->spare = t;
	return 0;
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
	keyindex_free(&c->by_pid);
	census_init(c);
}
