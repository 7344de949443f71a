/* series.c - the series budget: what is shown, and for how long; see
 * series.h. */
#include <socklife/series.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define BIT(b) (1ull << (b))

/* Counts that are zero by construction, per kind of owner: never shown as
 * standing zeros (a count that is not zero is shown all the same).
 *   TIME_WAIT: a timewait sock has no inode, no process holds one.
 *   SYN_RECV: a request sock has no inode; only a TCP Fast Open child,
 *     accepted before the handshake's last ACK, is held in SYN_RECV, for
 *     one round trip.
 *   CLOSE: a closed TCP socket is in no table sock_diag or /proc/net/tcp
 *     walks (a process holding one shows it as an unhashed socket fd). */
enum owner { OWNER_GROUP, OWNER_NS };
static const uint16_t zero_by_construction[2][PROTO_COUNT] = {
	[OWNER_GROUP] = {[PROTO_TCP] = 1u << ST_TIME_WAIT | 1u << ST_SYN_RECV | 1u << ST_CLOSE},
	[OWNER_NS] = {[PROTO_TCP] = 1u << ST_CLOSE},
};

/* Every state of `proto` an owner shows as a standing zero. */
static uint64_t standing_states(enum owner o, int proto)
{
	uint64_t m = 0;
	for (const uint8_t *st = proto_states(proto); *st; st++)
		if (!(zero_by_construction[o][proto] & (1u << *st)))
			m |= BIT(SERIES_STATE(proto, *st));
	return m;
}

static uint64_t state_counts(const uint32_t count[PROTO_COUNT][ST_COUNT])
{
	uint64_t m = 0;
	for (int p = 0; p < PROTO_COUNT; p++)
		for (int st = 1; st < ST_COUNT; st++)
			if (count[p][st])
				m |= BIT(SERIES_STATE(p, st));
	return m;
}

/* --- what is not zero, and what --metrics.all-states adds ---------------- */

static bool holds_sockets(const struct group *g)
{
	return g->h.has[PROTO_TCP] || g->h.has[PROTO_UDP] || g->h.has[PROTO_UNIX] || g->h.unhashed;
}

static uint64_t group_nonzero(const struct group *g)
{
	const struct holdings *h = &g->h;
	uint64_t m = state_counts(h->count);
	uint32_t cw = h->count[PROTO_TCP][ST_CLOSE_WAIT];
	m |= h->cw_unread ? BIT(SERIES_CW_UNREAD) : 0;
	m |= cw > h->cw_unread ? BIT(SERIES_CW_READ) : 0;
	m |= h->unix_peer_gone ? BIT(SERIES_UNIX_GONE) : 0;
	m |= h->rmem ? BIT(SERIES_MEM_RECEIVE) : 0;
	m |= h->wmem ? BIT(SERIES_MEM_SEND) : 0;
	m |= holds_sockets(g) ? BIT(SERIES_HOLDS) : 0;
	return m;
}

/* --metrics.all-states: every group as before the budget. */
static uint64_t group_standing(const struct group *g)
{
	const struct holdings *h = &g->h;
	uint64_t m = BIT(SERIES_HOLDS);
	for (int p = 0; p < PROTO_COUNT; p++)
		if (h->has[p])
			m |= standing_states(OWNER_GROUP, p);
	if (h->has[PROTO_TCP])
		m |= BIT(SERIES_CW_UNREAD) | BIT(SERIES_CW_READ);
	if (h->has[PROTO_TCP] || h->has[PROTO_UDP])
		m |= BIT(SERIES_MEM_RECEIVE) | BIT(SERIES_MEM_SEND);
	if (h->has[PROTO_UNIX])
		m |= BIT(SERIES_UNIX_GONE);
	return m;
}

static uint64_t ns_nonzero(const struct ns_tally *ns)
{
	uint64_t m = state_counts(ns->count);
	for (int p = 0; p < PROTO_COUNT; p++)
		m |= ns->unresolved[p] ? BIT(SERIES_UNRESOLVED + p) : 0;
	for (int r = 0; r < ns->ntw; r++)
		if (ns->tw[r].other && ns->tw[r].count)
			m |= BIT(ns->tw[r].side == TW_LOCAL ? SERIES_TW_OTHER_LOCAL
							    : SERIES_TW_OTHER_REMOTE);
	return m;
}

static uint64_t ns_standing(const struct ns_tally *ns)
{
	uint64_t m = 0;
	for (int p = 0; p < PROTO_COUNT; p++)
		if (ns->read.read[p])
			m |= standing_states(OWNER_NS, p) | BIT(SERIES_UNRESOLVED + p);
	if (ns->read.read[PROTO_TCP])
		m |= BIT(SERIES_TW_OTHER_LOCAL) | BIT(SERIES_TW_OTHER_REMOTE);
	return m;
}

/* A protocol's unresolved count stands beside its state counts: whoever
 * reads those can tell "all attributed" from "not known". */
static uint64_t ns_derived(uint64_t shown)
{
	static const uint64_t all_states_of = (BIT(ST_COUNT) - 1) & ~1ull;
	for (int p = 0; p < PROTO_COUNT; p++)
		if (shown & (all_states_of << (p * ST_COUNT)))
			shown |= BIT(SERIES_UNRESOLVED + p);
	return shown;
}

/* --- the latch -------------------------------------------------------------- */

enum key_kind { KEY_GROUP = 1, KEY_NS, KEY_LISTENER }; /* never 0: a zero key is empty */

/* Who shows the series: a group by its labels, a namespace by its inode,
 * a listener by both and its port.  Zero-filled, compared as bytes. */
struct series_key {
	uint32_t kind;
	int32_t pid;
	uint64_t ns_dev, ns_ino;
	uint32_t port;
	char container[CONTAINER_MAX];
	char name[PROC_COMM_MAX];
	char program[CMDLINE_PROGRAM_MAX];
};

struct series_entry {
	struct series_key key;
	uint32_t pass;             /* the last pass its owner was there */
	uint64_t ever;             /* bits that have been not zero */
	uint32_t last[SERIES_BITS]; /* second (since the epoch, from 1) it was last not zero */
};

static void group_key(struct series_key *k, const struct group *g)
{
	memcpy(k->container, g->container, sizeof(k->container));
	memcpy(k->name, g->name, sizeof(k->name));
	memcpy(k->program, g->program, sizeof(k->program));
	k->pid = g->pid;
}

/* What an owner shows now that these counts are not zero; -ENOMEM in *err
 * (and everything shown) when it cannot be remembered. */
static uint64_t latch(struct series *s, const struct series_key *k, uint64_t nonzero,
		      uint32_t sec, int *err)
{
	bool added;
	struct series_entry *e = hashmap_put(&s->latched, k, &added);
	if (!e) {
		*err = -ENOMEM;
		return ~0ull;
	}
	e->pass = s->pass;
	e->ever |= nonzero;
	uint64_t shown = 0;
	for (uint64_t m = e->ever; m; m &= m - 1) {
		int b = __builtin_ctzll(m);
		if (nonzero & BIT(b))
			e->last[b] = sec;
		if (sec - e->last[b] < SERIES_HOLD)
			shown |= BIT(b);
		else
			e->ever &= ~BIT(b); /* zero for the hold: gone until it is not */
	}
	return shown;
}

static bool seen_this_pass(const void *entry, void *ctx)
{
	const struct series_entry *e = entry;
	const struct series *s = ctx;
	return e->pass == s->pass;
}

static int update_groups(struct series *s, const struct tally *t, uint32_t sec)
{
	int err = 0;
	for (size_t i = 0; i < t->groups.n; i++) {
		const struct group *g = &t->groups.v[i];
		if (g->outside) { /* never reported: nothing to remember */
			s->group.v[i] = 0;
			continue;
		}
		struct series_key k;
		memset(&k, 0, sizeof(k));
		k.kind = KEY_GROUP;
		group_key(&k, g);
		uint64_t shown = latch(s, &k, group_nonzero(g), sec, &err);
		s->group.v[i] = shown | (s->all_states ? group_standing(g) : 0);
	}
	return err;
}

static int update_namespaces(struct series *s, const struct tally *t, uint32_t sec)
{
	int err = 0;
	for (size_t i = 0; i < t->ns.n; i++) {
		const struct ns_tally *ns = &t->ns.v[i];
		struct series_key k;
		memset(&k, 0, sizeof(k));
		k.kind = KEY_NS;
		k.ns_dev = ns->id.dev;
		k.ns_ino = ns->id.ino;
		uint64_t shown = latch(s, &k, ns_nonzero(ns), sec, &err);
		s->ns.v[i] = ns_derived(shown | (s->all_states ? ns_standing(ns) : 0));
	}
	return err;
}

static int update_listeners(struct series *s, const struct tally *t, const struct listeners *l,
			    uint32_t sec)
{
	int err = 0;
	for (size_t i = 0; i < l->rows.n; i++) {
		const struct listener *r = &l->rows.v[i];
		if (t->groups.v[r->group].outside) {
			s->listener.v[i] = 0;
			continue;
		}
		struct series_key k;
		memset(&k, 0, sizeof(k));
		k.kind = KEY_LISTENER;
		group_key(&k, &t->groups.v[r->group]);
		k.ns_dev = t->ns.v[r->ns].id.dev;
		k.ns_ino = t->ns.v[r->ns].id.ino;
		k.port = r->port;
		uint64_t shown = latch(s, &k, r->queue ? BIT(SERIES_QUEUED) : 0, sec, &err);
		s->listener.v[i] = shown | (s->all_states ? BIT(SERIES_QUEUED) : 0);
	}
	return err;
}

int series_update(struct series *s, const struct tally *t, const struct listeners *l, double now)
{
	if (!s->latched.entry_size) {
		s->latched = (struct hashmap)HASHMAP_INIT(struct series_entry);
		s->epoch = now;
	}
	s->pass++;
	uint32_t sec = (uint32_t)(now - s->epoch) + 1;
	if (vec_reserve(&s->group, t->groups.n + 1) || vec_reserve(&s->ns, t->ns.n + 1) ||
	    vec_reserve(&s->listener, l->rows.n + 1)) {
		s->group.n = s->ns.n = s->listener.n = 0; /* no masks: everything */
		return -ENOMEM;
	}
	s->group.n = t->groups.n;
	s->ns.n = t->ns.n;
	s->listener.n = l->rows.n;
	int e1 = update_groups(s, t, sec), e2 = update_namespaces(s, t, sec),
	    e3 = update_listeners(s, t, l, sec);
	int e4 = hashmap_retain(&s->latched, seen_this_pass, s);
	return e1 ? e1 : e2 ? e2 : e3 ? e3 : e4;
}

uint64_t series_group(const struct series *s, const struct tally *t, size_t g)
{
	if (s && g < s->group.n)
		return s->group.v[g];
	return group_nonzero(&t->groups.v[g]) | group_standing(&t->groups.v[g]);
}

uint64_t series_ns(const struct series *s, const struct tally *t, size_t ns)
{
	if (s && ns < s->ns.n)
		return s->ns.v[ns];
	return ns_derived(ns_nonzero(&t->ns.v[ns]) | ns_standing(&t->ns.v[ns]));
}

bool series_listener(const struct series *s, size_t row)
{
	if (s && row < s->listener.n)
		return series_has(s->listener.v[row], SERIES_QUEUED);
	return true;
}

void series_free(struct series *s)
{
	vec_free(&s->group);
	vec_free(&s->ns);
	vec_free(&s->listener);
	hashmap_free(&s->latched);
}
