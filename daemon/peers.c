/* peers.c - the busiest peers of a suspect; see peers.h. */
#include <socklife/peers.h>

#include <socklife/hashmap.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct peer peer_of(const struct sl_socket *s, enum side side)
{
	struct peer p = {.side = (uint8_t)side, .family = s->family};
	memcpy(p.addr, s->daddr, sizeof(p.addr));
	p.port = side == SIDE_INBOUND ? s->sport : s->dport;
	return p;
}

static int by_proc(const void *a, const void *b)
{
	const struct peer_rec *x = a, *y = b;
	return (x->proc > y->proc) - (x->proc < y->proc);
}

/* In place, by buckets (an American flag sort): a count per process, then
 * each record swapped straight into its process's run.  Every connection
 * of every suspect is a record, 190,000 of them on a busy node, where
 * comparing them (qsort) took 17 ms a pass. */
void peers_sort(struct peer_rec *recs, size_t n)
{
	uint32_t top = 0;
	for (size_t i = 0; i < n; i++)
		top = recs[i].proc > top ? recs[i].proc : top;
	size_t *next = n > 1 ? calloc((size_t)top + 2, 2 * sizeof(*next)) : NULL;
	if (!next) {
		if (n > 1) /* out of memory: the slow way needs none */
			qsort(recs, n, sizeof(*recs), by_proc);
		return;
	}
	size_t *end = next + top + 2;
	for (size_t i = 0; i < n; i++)
		end[recs[i].proc]++;
	for (uint32_t p = 0, at = 0; p <= top; p++) {
		next[p] = at;
		at += (uint32_t)end[p];
		end[p] = at;
	}
	for (uint32_t p = 0; p <= top; p++) {
		while (next[p] < end[p]) {
			struct peer_rec r = recs[next[p]];
			while (r.proc != p) { /* to its own run; bring back what was there */
				struct peer_rec displaced = recs[next[r.proc]];
				recs[next[r.proc]++] = r;
				r = displaced;
			}
			recs[next[p]++] = r;
		}
	}
	free(next);
}

/* The first record of process `proc`. */
static size_t first_of(const struct peer_rec *recs, size_t n, uint32_t proc)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (recs[mid].proc < proc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool passes(const struct peer_rec *r, struct peer_filter f)
{
	return (!f.states || (f.states & (1u << r->state))) &&
	       (f.side == SIDE_NONE || r->peer.side == f.side);
}

struct tally_slot {
	struct peer key;
	uint32_t count;
};

/* Does `a` come before `b`: more sockets, then by address and port. */
static bool busier(const struct peer_count *a, const struct peer_count *b)
{
	if (a->count != b->count)
		return a->count > b->count;
	return memcmp(&a->peer, &b->peer, sizeof(a->peer)) < 0;
}

/* Keep out[0..*kept) the busiest, at most k, in order. */
static void keep_busiest(struct peer_count *out, size_t k, size_t *kept, struct peer_count c)
{
	size_t i = *kept < k ? (*kept)++ : k;
	while (i > 0 && busier(&c, &out[i - 1])) {
		if (i < k)
			out[i] = out[i - 1];
		i--;
	}
	if (i < k)
		out[i] = c;
}

size_t peers_top(const struct peer_rec *recs, size_t n, const uint32_t *procs, size_t nprocs,
		 struct peer_filter f, struct peer_count *out, size_t k, uint32_t *other)
{
	struct hashmap counts = HASHMAP_INIT(struct tally_slot);
	uint32_t total = 0;
	bool added;
	for (size_t p = 0; p < nprocs; p++) {
		for (size_t i = first_of(recs, n, procs[p]); i < n && recs[i].proc == procs[p]; i++) {
			if (!passes(&recs[i], f))
				continue;
			struct tally_slot *s = hashmap_put(&counts, &recs[i].peer, &added);
			if (!s)
				continue; /* out of memory: this socket goes to "other" */
			s->count++;
			total++;
		}
	}
	size_t kept = 0, pos = 0;
	uint32_t listed = 0;
	for (const struct tally_slot *s; (s = hashmap_next(&counts, &pos));)
		keep_busiest(out, k, &kept, (struct peer_count){s->key, s->count});
	for (size_t i = 0; i < kept; i++)
		listed += out[i].count;
	*other = total - listed;
	hashmap_free(&counts);
	return kept;
}

void peers_format_addr(const struct peer *p, char out[INET6_ADDRSTRLEN])
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (p->family == AF_INET6 && memcmp(p->addr, v4mapped, 12) == 0)
		inet_ntop(AF_INET, p->addr + 12, out, INET6_ADDRSTRLEN);
	else if (!inet_ntop(p->family == AF_INET6 ? AF_INET6 : AF_INET, p->addr, out,
			    INET6_ADDRSTRLEN))
		out[0] = '\0';
}
