/* owners.c - open-addressing index from socket inode to holder chain. */
#include <socklife/owners.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t slot_of(uint32_t inode, size_t cap)
{
	return (size_t)(((uint64_t)inode * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

static int ensure(struct owners *o, size_t n)
{
	size_t cap = 64;
	while (cap < n + n / 2) /* load factor <= 2/3: linear probes stay short */
		cap *= 2;
	if (cap > o->cap) {
		struct owner_slot *s = malloc(cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		free(o->slots);
		o->slots = s;
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

/* Put holder i in front of its inode's chain. */
static void insert(struct owners *o, const struct sock_holder *holders, size_t i)
{
	uint64_t inode = holders[i].inode;
	o->next[i] = OWNERS_NONE;
	if (inode == 0 || inode > UINT32_MAX || holders[i].proc == PROCSCAN_DEAD)
		return; /* no socket has such an inode; or an fd read again since */
	size_t s = slot_of((uint32_t)inode, o->cap);
	while (o->slots[s].inode && o->slots[s].inode != inode)
		s = (s + 1) & (o->cap - 1);
	if (o->slots[s].inode)
		o->next[i] = o->slots[s].head;
	o->slots[s] = (struct owner_slot){(uint32_t)inode, (uint32_t)i, holders[i].proc};
}

int owners_build(struct owners *o, const struct sock_holder *holders, size_t n)
{
	int err = ensure(o, n);
	if (err)
		return err;
	memset(o->slots, 0, o->cap * sizeof(*o->slots));
	/* Insert in reverse so each chain lists holders in walk order. */
	for (size_t i = n; i-- > 0;)
		insert(o, holders, i);
	o->n = n;
	return 0;
}

const struct owner_slot *owners_find(const struct owners *o, uint64_t inode)
{
	if (!o->cap || inode == 0 || inode > UINT32_MAX)
		return NULL;
	size_t s = slot_of((uint32_t)inode, o->cap);
	while (o->slots[s].inode) {
		if (o->slots[s].inode == inode)
			return &o->slots[s];
		s = (s + 1) & (o->cap - 1);
	}
	return NULL;
}

void owners_free(struct owners *o)
{
	free(o->slots);
	free(o->next);
	memset(o, 0, sizeof(*o));
}
