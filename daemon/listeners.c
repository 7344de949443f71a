/* listeners.c - the fullest listener per group, namespace and port; see
 * listeners.h. */
#include <socklife/listeners.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct listener_key {
	uint32_t group, ns, port; /* port | PORT_BIT: never an all-zero key */
};

struct listener_slot {
	struct listener_key key;
	uint32_t row;
};

#define PORT_BIT 0x10000u

void listeners_begin(struct listeners *l)
{
	if (!l->index.entry_size)
		l->index = (struct hashmap)HASHMAP_INIT(struct listener_slot);
	hashmap_clear(&l->index);
	vec_clear(&l->rows);
}

/* Is `a` fuller than `b`: a larger share of its backlog waiting (a
 * backlog of 0, unknown or listen(fd, 0), counts as 1), then more waiting? */
static bool fuller(const struct listener *a, const struct listener *b)
{
	uint64_t x = (uint64_t)a->queue * (b->backlog ? b->backlog : 1);
	uint64_t y = (uint64_t)b->queue * (a->backlog ? a->backlog : 1);
	return x != y ? x > y : a->queue > b->queue;
}

static int note(struct listeners *l, uint32_t group, const struct attributed *a)
{
	const struct sl_socket *s = a->s;
	struct listener_key key = {group, a->ns, s->sport | PORT_BIT};
	struct listener here = {group, a->ns, s->sport, s->rqueue, s->wqueue};
	bool added;
	struct listener_slot *slot = hashmap_put(&l->index, &key, &added);
	if (!slot)
		return -ENOMEM;
	if (added) {
		struct listener *row = vec_push(&l->rows);
		if (!row) {
			hashmap_del(&l->index, &key);
			return -ENOMEM;
		}
		*row = here;
		slot->row = (uint32_t)(l->rows.n - 1);
	} else if (fuller(&here, &l->rows.v[slot->row])) {
		l->rows.v[slot->row] = here;
	}
	return 0;
}

int listeners_socket(struct listeners *l, const struct tally *t, const struct attributed *a)
{
	if (a->kind != OWNED || a->s->proto != PROTO_TCP || a->s->state != ST_LISTEN)
		return 0;
	for (size_t i = 0; i < a->nprocs; i++) {
		int err = note(l, t->proc_group.v[a->procs[i]], a);
		if (err)
			return err;
	}
	return 0;
}

static int by_place(const void *x, const void *y)
{
	const struct listener *a = x, *b = y;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->ns != b->ns)
		return a->ns < b->ns ? -1 : 1;
	return (a->port > b->port) - (a->port < b->port);
}

void listeners_end(struct listeners *l)
{
	/* The index points at rows by position: it is done with. */
	if (l->rows.n > 1) /* qsort's array must not be NULL, even empty */
		qsort(l->rows.v, l->rows.n, sizeof(*l->rows.v), by_place);
	hashmap_clear(&l->index);
}

void listeners_regroup(struct listeners *l, const uint32_t *to)
{
	for (size_t i = 0; i < l->rows.n; i++)
		l->rows.v[i].group = to[l->rows.v[i].group];
	if (l->rows.n > 1)
		qsort(l->rows.v, l->rows.n, sizeof(*l->rows.v), by_place);
	/* Groups folded into one: their listeners on one port are one row. */
	size_t out = 0;
	for (size_t i = 0; i < l->rows.n; i++) {
		struct listener *r = &l->rows.v[i];
		if (out && !by_place(r, &l->rows.v[out - 1])) {
			if (fuller(r, &l->rows.v[out - 1]))
				l->rows.v[out - 1] = *r;
		} else {
			l->rows.v[out++] = *r;
		}
	}
	l->rows.n = out;
}

void listeners_free(struct listeners *l)
{
	vec_free(&l->rows);
	hashmap_free(&l->index);
}
