/* cookieset.c - open-addressing set of uint64 with linear probing.
 *
 * Cookies come from a global counter, so consecutive sockets have
 * consecutive cookies; Fibonacci hashing spreads them over the table. */
#include <socklife/cookieset.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t slot_of(uint64_t cookie, size_t cap)
{
	return (size_t)((cookie * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

static void insert(uint64_t *slots, size_t cap, uint64_t cookie)
{
	size_t i = slot_of(cookie, cap);
	while (slots[i])
		i = (i + 1) & (cap - 1);
	slots[i] = cookie;
}

static int grow(struct cookieset *set)
{
	size_t cap = set->cap ? set->cap * 2 : 1024;
	uint64_t *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < set->cap; i++)
		if (set->slots[i])
			insert(slots, cap, set->slots[i]);
	free(set->slots);
	set->slots = slots;
	set->cap = cap;
	return 0;
}

int cookieset_add(struct cookieset *set, uint64_t cookie)
{
	if (cookie == 0)
		return 1; /* cannot de-duplicate what has no identity: count it */
	/* Keep the load at or below one half so probes stay short. */
	if ((set->count + 1) * 2 > set->cap) {
		int err = grow(set);
		if (err)
			return err;
	}
	size_t i = slot_of(cookie, set->cap);
	while (set->slots[i]) {
		if (set->slots[i] == cookie)
			return 0;
		i = (i + 1) & (set->cap - 1);
	}
	set->slots[i] = cookie;
	set->count++;
	return 1;
}

void cookieset_clear(struct cookieset *set)
{
	if (set->count)
		memset(set->slots, 0, set->cap * sizeof(*set->slots));
	set->count = 0;
}

void cookieset_free(struct cookieset *set)
{
	free(set->slots);
	memset(set, 0, sizeof(*set));
}

bool cookieset_has(const struct cookieset *set, uint64_t cookie)
{
	if (!set->cap || !cookie)
		return false;
	for (size_t i = slot_of(cookie, set->cap); set->slots[i]; i = (i + 1) & (set->cap - 1))
		if (set->slots[i] == cookie)
			return true;
	return false;
}

int cookieset_remove(struct cookieset *set, uint64_t cookie)
{
	if (!set->cap || !cookie)
		return 0;
	size_t mask = set->cap - 1, i = slot_of(cookie, set->cap);
	while (set->slots[i] && set->slots[i] != cookie)
		i = (i + 1) & mask;
	if (!set->slots[i])
		return 0;
	/* Backward-shift deletion: move later members of the probe run up so
	 * that no lookup stops early at the hole. */
	size_t hole = i;
	for (size_t j = (hole + 1) & mask; set->slots[j]; j = (j + 1) & mask) {
		size_t home = slot_of(set->slots[j], set->cap);
		/* Move j into the hole if its home is not in (hole, j]. */
		if ((j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j)) {
			set->slots[hole] = set->slots[j];
			hole = j;
		}
	}
	set->slots[hole] = 0;
	set->count--;
	return 1;
}
