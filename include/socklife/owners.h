/* owners.h - socket inode -> the fds that hold it.
 *
 * Socket inodes are unique host-wide (there is one sockfs), so one index
 * serves every network namespace.  A socket inherited over fork() has
 * several holders; they are chained.  The table is sized to the number of
 * socket fds found, not a fixed bucket count, so a lookup costs O(1) at any
 * scale. */
#ifndef SOCKLIFE_OWNERS_H
#define SOCKLIFE_OWNERS_H

#include <socklife/procscan.h>

#include <stddef.h>
#include <stdint.h>

#define OWNERS_NONE UINT32_MAX

struct owners {
	uint64_t *keys;  /* inode per slot, 0 = empty */
	uint32_t *heads; /* first holder index per slot */
	size_t cap;      /* slots, a power of two */
	uint32_t *next;  /* per holder: the next holder of the same inode */
	size_t next_cap;
	size_t n;        /* holders indexed */
};

/* Index `n` holders.  Returns 0 or -ENOMEM. */
int owners_build(struct owners *o, const struct sock_holder *holders, size_t n);

/* Add holders [first, n) appended since the last build or add.  Returns 0
 * or -ENOMEM. */
int owners_add(struct owners *o, const struct sock_holder *holders, size_t first, size_t n);
void owners_free(struct owners *o);

/* The first holder of `inode`, or OWNERS_NONE. */
uint32_t owners_first(const struct owners *o, uint64_t inode);

/* The holder after `holder` with the same inode, or OWNERS_NONE. */
static inline uint32_t owners_next(const struct owners *o, uint32_t holder)
{
	return o->next[holder];
}

#endif
