/* cookieset.h - a set of 64-bit sock_diag cookies.
 *
 * sock_diag dumps walk a hash table that can change under them, so one dump
 * may show a socket twice; the kernel never sets NLM_F_DUMP_INTR for them.
 * The cookie is never reused and follows a socket through all its states, so
 * "seen this cookie already" is exact de-duplication.  The set holds any
 * non-zero 64-bit keys; socket inodes use it too. */
#ifndef SOCKLIFE_COOKIESET_H
#define SOCKLIFE_COOKIESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cookieset {
	uint64_t *slots; /* open addressing, 0 = empty */
	size_t cap;      /* a power of two, or 0 */
	size_t count;
};

/* Forget every cookie but keep the memory for the next pass. */
void cookieset_clear(struct cookieset *set);
void cookieset_free(struct cookieset *set);

/* Is `cookie` in the set? */
bool cookieset_has(const struct cookieset *set, uint64_t cookie);

/* Take `cookie` out; returns 1 if it was there. */
int cookieset_remove(struct cookieset *set, uint64_t cookie);

/* Add `cookie`.  Returns 1 if it was new (cookie 0 always is), 0 if already
 * present, -ENOMEM if the set could not grow. */
int cookieset_add(struct cookieset *set, uint64_t cookie);

#endif
