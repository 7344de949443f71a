/* keyindex.h - numbers for 32-bit keys (pids, namespace inodes): the first
 * key seen is 0, the next new one 1, and so on, so that the records they
 * name can live in a plain vector indexed by them.
 *
 * The last key looked up is remembered: a walk of fd tables gives runs of
 * the same process and namespace, and a run then costs one comparison a
 * record instead of a hash lookup. */
#ifndef SOCKLIFE_KEYINDEX_H
#define SOCKLIFE_KEYINDEX_H

#include <socklife/hashmap.h>

#include <stdbool.h>
#include <stdint.h>

struct keyindex_slot {
	uint32_t key;
	uint32_t index;
};

struct keyindex {
	struct hashmap map; /* of struct keyindex_slot */
	uint32_t count;     /* keys so far: the next new one's index */
	bool has_last;
	uint32_t last_key, last_index;
};

#define KEYINDEX_INIT {HASHMAP_INIT(struct keyindex_slot), 0, false, 0, 0}

/* The index of `key`; a new key gets the next one and sets *added.
 * Returns the index, or -ENOMEM.  (0 is no key: hashmap.h.) */
long keyindex_of(struct keyindex *k, uint32_t key, bool *added);

/* The index of `key`, or -1 when it has none; no key is added. */
long keyindex_find(const struct keyindex *k, uint32_t key);

/* Forget every key (the memory is kept for the next walk). */
void keyindex_clear(struct keyindex *k);

void keyindex_free(struct keyindex *k);

#endif
