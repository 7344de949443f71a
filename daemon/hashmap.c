/* hashmap.c - open addressing with linear probing; see hashmap.h.
 *
 * Keys of 4 and 8 bytes (inodes, cookies, pids) are hashed by Fibonacci
 * hashing: cookies and inodes come from counters, so neighbours differ in
 * their low bits, and the multiply moves that into the high bits the slot
 * is taken from.  Longer keys (names) go through FNV-1a first.  Removal
 * shifts the rest of a probe run back instead of leaving tombstones, so a
 * table that lives for days never slows down. */
#include <socklife/hashmap.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CAP 16

static uint64_t hash_key(const void *key, uint32_t size)
{
	uint64_t h;
	if (size == 8) {
		memcpy(&h, key, 8);
	} else if (size == 4) {
		uint32_t k;
		memcpy(&k, key, 4);
		h = k;
	} else {
		h = 0xcbf29ce484222325ULL;
		for (const unsigned char *p = key, *end = p + size; p < end; p++)
			h = (h ^ *p) * 0x100000001b3ULL;
	}
	return h * 0x9e3779b97f4a7c15ULL;
}

static size_t home(const struct hashmap *m, const void *key)
{
	return (size_t)(hash_key(key, m->key_size) >> (64 - __builtin_ctzll(m->cap)));
}

static unsigned char *slot(const struct hashmap *m, size_t i)
{
	return m->slots + i * m->entry_size;
}

static bool key_is_zero(const unsigned char *k, uint32_t size)
{
	for (uint32_t i = 0; i < size; i++)
		if (k[i])
			return false;
	return true;
}

static bool empty(const struct hashmap *m, size_t i)
{
	const unsigned char *k = slot(m, i);
	if (m->key_size == 8) {
		uint64_t v;
		memcpy(&v, k, 8);
		return v == 0;
	}
	if (m->key_size == 4) {
		uint32_t v;
		memcpy(&v, k, 4);
		return v == 0;
	}
	return key_is_zero(k, m->key_size);
}

/* The slot holding `key`, or the empty slot ending its probe run.  The
 * owner index is looked up once per socket of the host, so the common key
 * sizes compare as integers, without a call. */
static size_t find(const struct hashmap *m, const void *key)
{
	size_t mask = m->cap - 1, i = home(m, key);
	if (m->key_size == 4) {
		uint32_t want, have;
		memcpy(&want, key, 4);
		for (;; i = (i + 1) & mask) {
			memcpy(&have, slot(m, i), 4);
			if (have == want || have == 0)
				return i;
		}
	}
	if (m->key_size == 8) {
		uint64_t want, have;
		memcpy(&want, key, 8);
		for (;; i = (i + 1) & mask) {
			memcpy(&have, slot(m, i), 8);
			if (have == want || have == 0)
				return i;
		}
	}
	while (!empty(m, i) && memcmp(slot(m, i), key, m->key_size) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Move every entry into a table of `cap` slots. */
static int rehash(struct hashmap *m, size_t cap)
{
	struct hashmap bigger = *m;
	bigger.cap = cap;
	bigger.slots = calloc(cap, m->entry_size);
	if (!bigger.slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (!empty(m, i))
			memcpy(slot(&bigger, find(&bigger, slot(m, i))), slot(m, i), m->entry_size);
	free(m->slots);
	*m = bigger;
	return 0;
}

/* The capacity that keeps `n` entries at most half full. */
static size_t cap_for(size_t n)
{
	size_t cap = MIN_CAP;
	while (cap < 2 * n)
		cap *= 2;
	return cap;
}

int hashmap_reserve(struct hashmap *m, size_t n)
{
	size_t cap = cap_for(n);
	return cap > m->cap ? rehash(m, cap) : 0;
}

void *hashmap_get(const struct hashmap *m, const void *key)
{
	if (!m->count)
		return NULL;
	size_t i = find(m, key);
	return empty(m, i) ? NULL : slot(m, i);
}

void hashmap_prefetch(const struct hashmap *m, const void *key)
{
	if (m->count)
		__builtin_prefetch(slot(m, home(m, key)));
}

void *hashmap_put(struct hashmap *m, const void *key, bool *added)
{
	*added = false;
	if (key_is_zero(key, m->key_size))
		return NULL; /* not a key: it would read as an empty slot */
	if (2 * (m->count + 1) > m->cap && hashmap_reserve(m, m->count + 1) < 0)
		return NULL;
	size_t i = find(m, key);
	unsigned char *e = slot(m, i);
	if (empty(m, i)) {
		memset(e, 0, m->entry_size);
		memcpy(e, key, m->key_size);
		m->count++;
		*added = true;
	}
	return e;
}

bool hashmap_del(struct hashmap *m, const void *key)
{
	if (!m->count)
		return false;
	size_t mask = m->cap - 1, hole = find(m, key);
	if (empty(m, hole))
		return false;
	/* Shift later members of the run back into the hole, unless their
	 * home lies cyclically within (hole, j]: then they must stay. */
	for (size_t j = (hole + 1) & mask; !empty(m, j); j = (j + 1) & mask) {
		size_t h = home(m, slot(m, j));
		bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
		if (!stays) {
			memcpy(slot(m, hole), slot(m, j), m->entry_size);
			hole = j;
		}
	}
	memset(slot(m, hole), 0, m->key_size);
	m->count--;
	return true;
}

void hashmap_clear(struct hashmap *m)
{
	size_t had = m->count;
	m->count = 0;
	if (m->cap > MIN_CAP && cap_for(had) * 4 < m->cap) {
		free(m->slots); /* a peak has passed: give the memory back */
		m->slots = NULL;
		m->cap = 0;
	} else if (had) {
		memset(m->slots, 0, m->cap * m->entry_size);
	}
}

int hashmap_retain(struct hashmap *m, bool (*keep)(const void *entry, void *ctx), void *ctx)
{
	size_t kept = 0;
	for (size_t i = 0; i < m->cap; i++)
		kept += !empty(m, i) && keep(slot(m, i), ctx);
	if (kept == m->count)
		return 0;
	struct hashmap fresh = *m;
	fresh.cap = cap_for(kept) * 4 < m->cap ? cap_for(kept) : m->cap;
	fresh.count = kept;
	fresh.slots = calloc(fresh.cap, m->entry_size);
	if (!fresh.slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (!empty(m, i) && keep(slot(m, i), ctx))
			memcpy(slot(&fresh, find(&fresh, slot(m, i))), slot(m, i), m->entry_size);
	free(m->slots);
	*m = fresh;
	return 0;
}

void hashmap_free(struct hashmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->count = 0;
}

void *hashmap_next(const struct hashmap *m, size_t *pos)
{
	for (; *pos < m->cap; (*pos)++)
		if (!empty(m, *pos))
			return slot(m, (*pos)++);
	return NULL;
}
