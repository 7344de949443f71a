/* owners.h - socket inode -> the fds that hold it.
 *
 * Socket inodes are unique host-wide (there is one sockfs), so one index
 * serves every network namespace.  A socket inherited over fork() has
 * several holders; they are chained.  The table is sized to the number of
 * socket fds found, not a fixed bucket count, so a lookup costs O(1) at any
 * scale, and each slot carries its first holder's process: the common case
 * (one holder) costs one cache line per socket.  Socket inode numbers are
 * 32-bit (sockfs takes them from get_next_ino()), and so are the keys. */
#ifndef SOCKLIFE_OWNERS_H
#define SOCKLIFE_OWNERS_H

#include <socklife/procscan.h>

#include <stddef.h>
#include <stdint.h>

#define OWNERS_NONE UINT32_MAX

struct owner_slot {
	uint32_t inode; /* 0 = empty */
	uint32_t head;  /* first holder (index into the holders array) */
	uint32_t proc;  /* that holder's process */
};

struct owners {
	struct owner_slot *slots;
	size_t cap;      /* slots, a power of two */
	uint32_t *next;  /* per holder: the next holder of the same inode */
	size_t next_cap;
	size_t n;        /* holders indexed */
};

/* Index `n` holders, leaving out superseded ones (PROCSCAN_DEAD).
 * Returns 0 or -ENOMEM. */
int owners_build(struct owners *o, const struct sock_holder *holders, size_t n);

void owners_free(struct owners *o);

/* The slot of `inode`, or NULL when no known fd holds it. */
const struct owner_slot *owners_find(const struct owners *o, uint64_t inode);

/* The first holder of `inode`, or OWNERS_NONE. */
static inline uint32_t owners_first(const struct owners *o, uint64_t inode)
{
	const struct owner_slot *s = owners_find(o, inode);
	return s ? s->head : OWNERS_NONE;
}

/* The holder after `holder` with the same inode, or OWNERS_NONE. */
static inline uint32_t owners_next(const struct owners *o, uint32_t holder)
{
	return o->next[holder];
}

#endif
