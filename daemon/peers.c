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

static int by_proc_then_peer(const void *a, const void *b)
{
	const struct peer_rec *x = a, *y = b;
	if (x->proc != y->proc)
		return x->proc < y->proc ? -1 : 1;
	return memcmp(&x->peer, &y->peer, sizeof(x->peer));
}

void peers_sort(struct peer_rec *recs, size_t n)
{
	if (n > 1) /* qsort's array must not be NULL, even empty */
		qsort(recs, n, sizeof(*recs), by_proc_then_peer);
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
