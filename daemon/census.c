/* census.c - a walk's fd tables, per process; see census.h. */
#include <socklife/census.h>

#include <errno.h>
#include <string.h>

struct census_slot {
	int32_t key; /* pid */
	uint32_t index;
};

void census_init(struct census *c)
{
	*c = (struct census){.by_pid = HASHMAP_INIT(struct census_slot)};
}

void census_begin(struct census *c, uint64_t netns_dev)
{
	c->netns_dev = netns_dev;
	vec_clear(&c->procs);
	vec_clear(&c->fds);
	vec_clear(&c->pending);
	hashmap_clear(&c->by_pid);
}

static struct census_proc *proc_of(struct census *c, int32_t pid)
{
	bool added;
	struct census_slot *s = hashmap_put(&c->by_pid, &pid, &added);
	if (!s)
		return NULL;
	if (added) {
		struct census_proc *p = vec_push(&c->procs);
		if (!p) {
			hashmap_del(&c->by_pid, &pid);
			return NULL;
		}
		*p = (struct census_proc){.pid = pid};
		s->index = (uint32_t)(c->procs.n - 1);
	}
	return &c->procs.v[s->index];
}

int census_socket(struct census *c, int32_t pid, uint32_t fd, uint64_t inode, uint8_t proto)
{
	struct census_pending_fd *p = vec_push(&c->pending);
	if (!p)
		return -ENOMEM;
	*p = (struct census_pending_fd){{inode, fd, proto}, pid};
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

/* A counting sort of the pending fds by process: one pass to count, one
 * to place, so a process's fds from several tables end up together. */
int census_end(struct census *c)
{
	if (vec_reserve(&c->fds, c->pending.n + 1))
		return -ENOMEM;
	for (size_t i = 0; i < c->pending.n; i++) {
		struct census_proc *p = proc_of(c, c->pending.v[i].pid);
		if (!p)
			return -ENOMEM;
		p->n++;
	}
	uint32_t at = 0;
	for (size_t i = 0; i < c->procs.n; i++) {
		c->procs.v[i].first = at;
		at += c->procs.v[i].n;
		c->procs.v[i].n = 0;
	}
	for (size_t i = 0; i < c->pending.n; i++) {
		struct census_proc *p = proc_of(c, c->pending.v[i].pid);
		c->fds.v[p->first + p->n++] = c->pending.v[i].f;
	}
	c->fds.n = at;
	return 0;
}

const struct census_proc *census_find(const struct census *c, int32_t pid)
{
	const struct census_slot *s = hashmap_get(&c->by_pid, &pid);
	return s ? &c->procs.v[s->index] : NULL;
}

void census_free(struct census *c)
{
	vec_free(&c->procs);
	vec_free(&c->fds);
	vec_free(&c->pending);
	hashmap_free(&c->by_pid);
	census_init(c);
}
