/* sockhist.c - open-addressing table of tracked sockets.
 *
 * Deletion rebuilds the table once per pass (sockhist_end) instead of using
 * tombstones: tracked sockets are few and the sweep is O(capacity). */
#include <socklife/sockhist.h>

#include <stdlib.h>
#include <string.h>

static size_t slot_of(uint64_t cookie, size_t cap)
{
	return (size_t)((cookie * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

static struct sockhist_entry *lookup(struct sockhist_entry *slots, size_t cap, uint64_t cookie)
{
	size_t i = slot_of(cookie, cap);
	while (slots[i].cookie && slots[i].cookie != cookie)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int resize(struct sockhist *h, size_t cap)
{
	struct sockhist_entry *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -1;
	for (size_t i = 0; i < h->cap; i++)
		if (h->slots[i].cookie)
			*lookup(slots, cap, h->slots[i].cookie) = h->slots[i];
	free(h->slots);
	h->slots = slots;
	h->cap = cap;
	return 0;
}

void sockhist_begin(struct sockhist *h) { h->pass++; }

double sockhist_observe(struct sockhist *h, uint64_t cookie, uint8_t state, double now,
			double age_hint)
{
	if (cookie == 0)
		return age_hint;
	if ((h->count + 1) * 2 > h->cap) {
		if (h->count >= SOCKHIST_MAX || resize(h, h->cap ? h->cap * 2 : 256) < 0) {
			struct sockhist_entry *e = h->cap ? lookup(h->slots, h->cap, cookie) : NULL;
			if (!e || !e->cookie) {
				h->overflow++;
				return age_hint;
			}
		}
	}
	struct sockhist_entry *e = lookup(h->slots, h->cap, cookie);
	if (!e->cookie) {
		e->cookie = cookie;
		e->first_seen = now - age_hint;
		e->state_since = now - age_hint;
		e->state = state;
		h->count++;
	} else if (e->state != state) {
		/* Seen before in another state: it entered this one since then. */
		e->state = state;
		e->state_since = now;
	}
	e->pass = h->pass;
	return now - e->state_since;
}

const struct sockhist_entry *sockhist_find(const struct sockhist *h, uint64_t cookie)
{
	if (!h->cap || !cookie)
		return NULL;
	const struct sockhist_entry *e = lookup(h->slots, h->cap, cookie);
	return e->cookie ? e : NULL;
}

void sockhist_end(struct sockhist *h)
{
	size_t kept = 0;
	for (size_t i = 0; i < h->cap; i++)
		if (h->slots[i].cookie && h->slots[i].pass == h->pass)
			kept++;
	if (kept == h->count)
		return;
	/* Rebuild with only the live entries; shrink when mostly empty. */
	size_t cap = h->cap;
	while (cap > 256 && kept * 8 < cap)
		cap /= 2;
	struct sockhist_entry *old = h->slots;
	size_t oldcap = h->cap;
	h->slots = calloc(cap, sizeof(*h->slots));
	if (!h->slots) { /* keep the old table; stale entries only cost memory */
		h->slots = old;
		return;
	}
	h->cap = cap;
	h->count = kept;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].cookie && old[i].pass == h->pass)
			*lookup(h->slots, cap, old[i].cookie) = old[i];
	free(old);
}

void sockhist_free(struct sockhist *h)
{
	free(h->slots);
	memset(h, 0, sizeof(*h));
}
