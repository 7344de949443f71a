/* twports.c - TIME_WAIT sockets by port, busiest first. */
#include <socklife/twports.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void twports_begin(struct twports *t)
{
	memset(t->listening, 0, sizeof(t->listening));
	vec_clear(&t->pairs);
}

void twports_listen(struct twports *t, uint16_t port)
{
	t->listening[port / 64] |= 1ULL << (port % 64);
}

bool twports_listening(const struct twports *t, uint16_t port)
{
	return t->listening[port / 64] & (1ULL << (port % 64));
}

struct port_range {
	uint16_t lo, hi; /* net.ipv4.ip_local_port_range; hi 0 = unknown */
};

static bool is_ephemeral(struct port_range r, uint16_t port)
{
	return r.hi && port >= r.lo && port <= r.hi;
}

/* Did the local end serve this connection? */
static bool served_locally(const struct twports *t, struct port_range r, uint16_t sport,
			   uint16_t dport)
{
	return twports_listening(t, sport) || (is_ephemeral(r, dport) && !is_ephemeral(r, sport));
}

int twports_time_wait(struct twports *t, uint16_t sport, uint16_t dport)
{
	uint32_t *p = vec_push(&t->pairs);
	if (!p)
		return -ENOMEM;
	*p = (uint32_t)sport << 16 | dport;
	return 0;
}

static int by_count_desc(const void *a, const void *b, void *counts)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint32_t cx = ((const uint32_t *)counts)[x], cy = ((const uint32_t *)counts)[y];
	if (cx != cy)
		return cx < cy ? 1 : -1;
	return (x > y) - (x < y);
}

int twports_top(struct twports *t, uint16_t lo, uint16_t hi, size_t k, struct twport_row *out)
{
	struct port_range range = {lo, hi};
	if (k > TWPORTS_TOP_MAX)
		k = TWPORTS_TOP_MAX;
	if (!t->counts && !(t->counts = calloc(2 * 65536, sizeof(*t->counts))))
		return -ENOMEM;
	if (vec_reserve(&t->seen, t->pairs.n + 1))
		return -ENOMEM;
	uint32_t *seen = t->seen.v;

	/* Listening ports are only known once the whole dump is read, so the
	 * sides are decided here, not as sockets arrive.  Index into counts:
	 * side * 65536 + port; `seen` lists each index once. */
	size_t nseen = 0;
	uint32_t total[2] = {0, 0};
	for (size_t i = 0; i < t->pairs.n; i++) {
		uint16_t sport = (uint16_t)(t->pairs.v[i] >> 16), dport = (uint16_t)t->pairs.v[i];
		int side = served_locally(t, range, sport, dport) ? TW_LOCAL : TW_REMOTE;
		uint32_t idx = (uint32_t)side * 65536 + (side == TW_LOCAL ? sport : dport);
		if (t->counts[idx]++ == 0)
			seen[nseen++] = idx;
		total[side]++;
	}
	qsort_r(seen, nseen, sizeof(*seen), by_count_desc, t->counts);

	int n = 0;
	for (int side = 0; side < 2; side++) {
		uint32_t listed = 0;
		size_t taken = 0;
		for (size_t i = 0; i < nseen && taken < k; i++) {
			if (seen[i] / 65536 != (uint32_t)side)
				continue;
			uint32_t c = t->counts[seen[i]];
			out[n++] = (struct twport_row){(uint8_t)side, 0, (uint16_t)(seen[i] % 65536), c};
			listed += c;
			taken++;
		}
		out[n++] = (struct twport_row){(uint8_t)side, 1, 0, total[side] - listed};
	}
	for (size_t i = 0; i < nseen; i++) /* leave the table zeroed */
		t->counts[seen[i]] = 0;
	return n;
}

void twports_free(struct twports *t)
{
	vec_free(&t->pairs);
	vec_free(&t->seen);
	free(t->counts);
	t->counts = NULL;
}

/* --- the last breakdown of each namespace --------------------------------- */

static bool recent(const void *entry, void *ctx)
{
	const struct twports_kept *k = entry;
	const struct twports_memory *m = ctx;
	return m->pass - k->seen_pass < TWPORTS_FORGET;
}

void twports_memory_begin(struct twports_memory *m)
{
	m->pass++;
	hashmap_retain(&m->kept, recent, m); /* out of memory: kept a while longer */
}

int twports_remember(struct twports_memory *m, uint64_t ino, const struct twport_row *rows, int n,
		     double now)
{
	bool added;
	struct twports_kept *k = hashmap_put(&m->kept, &ino, &added);
	if (!k)
		return -ENOMEM;
	k->at = now;
	k->seen_pass = m->pass;
	k->n = n;
	memcpy(k->rows, rows, (size_t)n * sizeof(*rows));
	return 0;
}

const struct twports_kept *twports_recall(struct twports_memory *m, uint64_t ino)
{
	struct twports_kept *k = hashmap_get(&m->kept, &ino);
	if (k)
		k->seen_pass = m->pass;
	return k;
}

void twports_memory_free(struct twports_memory *m)
{
	hashmap_free(&m->kept);
}
