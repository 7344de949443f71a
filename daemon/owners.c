/* owners.c - open-addressing index from socket inode to holder chain. */
#include <socklife/owners.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t slot_of(uint64_t inode, size_t cap)
{
	return (size_t)((inode * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

static int ensure(struct owners *o, size_t n)
{
	o->n = n;
	size_t cap = 64;
	while (cap < 2 * (n + n / 4)) /* load factor <= 1/2, with room to add */
		cap *= 2;
	if (cap > o->cap) {
		uint64_t *k = malloc(cap * sizeof(*k));
		uint32_t *h = malloc(cap * sizeof(*h));
		if (!k || !h) {
			free(k);
			free(h);
			return -ENOMEM;
		}
		free(o->keys);
		free(o->heads);
		o->keys = k;
		o->heads = h;
		o->cap = cap;
	}
	if (n > o->next_cap) {
		size_t want = n + n / 4 + 64; /* room for holders found later in the pass */
		uint32_t *nx = realloc(o->next, want * sizeof(*nx));
		if (!nx)
			return -ENOMEM;
		o->next = nx;
		o->next_cap = want;
	}
	return 0;
}

int owners_build(struct owners *o, const struct sock_holder *holders, size_t n)
{
	int err = ensure(o, n);
	if (err)
		return err;
	memset(o->keys, 0, o->cap * sizeof(*o->keys));

	/* Insert in reverse so each chain lists holders in walk order. */
	for (size_t i = n; i-- > 0;) {
		uint64_t inode = holders[i].inode;
		if (inode == 0) { /* no such socket; 0 marks an empty slot */
			o->next[i] = OWNERS_NONE;
			continue;
		}
		size_t s = slot_of(inode, o->cap);
		while (o->keys[s] && o->keys[s] != inode)
			s = (s + 1) & (o->cap - 1);
		if (o->keys[s]) {
			o->next[i] = o->heads[s];
		} else {
			o->keys[s] = inode;
			o->next[i] = OWNERS_NONE;
		}
		o->heads[s] = (uint32_t)i;
	}
	return 0;
}

uint32_t owners_first(const struct owners *o, uint64_t inode)
{
	if (!o->cap || inode == 0)
		return OWNERS_NONE;
	size_t s = slot_of(inode, o->cap);
	while (o->keys[s]) {
		if (o->keys[s] == inode)
			return o->heads[s];
		s = (s + 1) & (o->cap - 1);
	}
	return OWNERS_NONE;
}

void owners_free(struct owners *o)
{
	free(o->keys);
	free(o->heads);
	free(o->next);
	memset(o, 0, sizeof(*o));
}

int owners_add(struct owners *o, const struct sock_holder *holders, size_t first, size_t n)
{
	if (2 * n > o->cap || n > o->next_cap)
		return owners_build(o, holders, n); /* too full: start over */
	for (size_t i = first; i < n; i++) {
		uint64_t inode = holders[i].inode;
		o->next[i] = OWNERS_NONE;
		if (inode == 0)
			continue;
		size_t s = slot_of(inode, o->cap);
		while (o->keys[s] && o->keys[s] != inode)
			s = (s + 1) & (o->cap - 1);
		if (o->keys[s])
			o->next[i] = o->heads[s];
		o->keys[s] = inode;
		o->heads[s] = (uint32_t)i;
	}
	o->n = n;
	return 0;
}
