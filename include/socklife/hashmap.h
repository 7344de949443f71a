/* hashmap.h - the one hash map: fixed-size entries found by a key.
 *
 * An entry is a struct whose first member is its key (any fixed size:
 * a socket cookie, an inode, a pid and start time, a group's names); the
 * map stores whole entries inline, with open addressing and linear probing
 * at most half full, so a lookup is one or two cache lines.  A key whose
 * bytes are all zero marks an empty slot and is never a valid key (no
 * socket has cookie or inode 0, no process pid 0).  Entries move when the
 * map grows or an entry is removed: hold indexes or keys across calls,
 * never entry pointers.
 *
 *   struct cookie_entry { uint64_t key; uint32_t seen; };
 *   struct hashmap m = HASHMAP_INIT(struct cookie_entry);
 *   bool added;
 *   struct cookie_entry *e = hashmap_put(&m, &cookie, &added);
 */
#ifndef SOCKLIFE_HASHMAP_H
#define SOCKLIFE_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hashmap {
	unsigned char *slots; /* cap entries of entry_size bytes */
	size_t cap;           /* a power of two, or 0 before the first insert */
	size_t count;
	uint32_t key_size, entry_size;
};

/* An empty map of entries of type T, keyed by T's first member `key`. */
#define HASHMAP_INIT(T) {NULL, 0, 0, sizeof(((T *)0)->key), sizeof(T)}

/* The entry with this key, or NULL. */
void *hashmap_get(const struct hashmap *m, const void *key);

/* Start fetching the slot `key` hashes to, for a hashmap_get of it soon
 * after.  A caller with a batch of keys issues them all first: the
 * lookups' cache misses then overlap instead of coming one after another. */
void hashmap_prefetch(const struct hashmap *m, const void *key);

/* The entry with this key; a new one (zeroed but for its key) when there
 * was none, then *added is set.  NULL when memory runs out. */
void *hashmap_put(struct hashmap *m, const void *key, bool *added);

/* Remove the entry with this key; returns whether there was one. */
bool hashmap_del(struct hashmap *m, const void *key);

/* Make room for `n` entries without growing again.  0 or -ENOMEM. */
int hashmap_reserve(struct hashmap *m, size_t n);

/* Remove every entry.  The memory is kept for the next pass, unless the
 * map is far larger than its last contents needed (a peak has passed). */
void hashmap_clear(struct hashmap *m);

void hashmap_free(struct hashmap *m);

/* Keep only the entries for which keep(entry, ctx) is true, in one sweep
 * (the way tables drop what a pass did not see); `keep` is asked twice per
 * entry, so it must not change anything.  The map shrinks when
 * what is left is a small part of it.  0, or -ENOMEM (then nothing was
 * removed). */
int hashmap_retain(struct hashmap *m, bool (*keep)(const void *entry, void *ctx), void *ctx);

/* Visit every entry: start with *pos = 0; NULL after the last.  The map
 * must not change during the walk. */
void *hashmap_next(const struct hashmap *m, size_t *pos);

#endif
