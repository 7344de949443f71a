/* sockhist.c - the table of tracked sockets; see sockhist.h. */
#include <socklife/sockhist.h>

void sockhist_begin(struct sockhist *h) { h->pass++; }

double sockhist_observe(struct sockhist *h, uint64_t cookie, uint8_t state, double now,
			double age_hint)
{
	if (cookie == 0)
		return age_hint;
	struct sockhist_entry *e = (struct sockhist_entry *)sockhist_find(h, cookie);
	if (!e) {
		bool added;
		if (h->map.count >= SOCKHIST_MAX || !(e = hashmap_put(&h->map, &cookie, &added))) {
			h->overflow++;
			return age_hint;
		}
		e->first_seen = e->state_since = now - age_hint;
		e->state = state;
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
	return cookie ? hashmap_get(&h->map, &cookie) : NULL;
}

static bool seen_this_pass(const void *entry, void *ctx)
{
	return ((const struct sockhist_entry *)entry)->pass == *(const uint32_t *)ctx;
}

void sockhist_end(struct sockhist *h)
{
	/* Out of memory: keep the stale entries; they only cost memory. */
	hashmap_retain(&h->map, seen_this_pass, &h->pass);
}

void sockhist_free(struct sockhist *h)
{
	hashmap_free(&h->map);
	h->pass = 0;
	h->overflow = 0;
}
