/* attrib.c - the owner index, de-duplication and deferred sockets; see
 * attrib.h. */
#include <socklife/attrib.h>

#include <errno.h>
#include <string.h>

/* A further fd holding a socket (fork, SCM_RIGHTS); chained. */
struct holder {
	uint32_t proc; /* index into ps.procs */
	uint32_t fd;
	uint32_t next; /* the next holder of the same inode, or NO_MORE */
};

#define NO_PROC UINT32_MAX
#define NO_MORE 0xffffffu /* more's 24 bits all set */

/* Socket inode numbers are 32-bit (sockfs takes them from get_next_ino()),
 * and so are the keys.  Most sockets have one holder: the entry names it,
 * and answers alone.  16 bytes: the index of a host's sockets is looked up
 * once per socket, a cache miss each, and a smaller table misses less. */
struct sock_owner {
	uint32_t key;       /* inode */
	uint32_t proc;      /* its first holder in walk order, an index into ps.procs;
			     * NO_PROC: none read (a census numbers sockets whose
			     * process has left /proc since) */
	uint32_t fd : 31;   /* that holder's fd (below fs.nr_open, at most 2^30) */
	uint32_t seen : 1;  /* handed on this pass */
	uint32_t more : 24; /* its further holders, in a->holders, or NO_MORE */
	uint32_t proto : 8; /* as the walk found it (struct sock_fd) */
};

_Static_assert(sizeof(struct sock_owner) == 16, "an owner is 16 bytes");

struct cookie_key {
	uint64_t key;
};

struct inode_key {
	uint64_t key;
};

struct pending {
	struct sl_socket s;
	uint32_t ns;
	double age;
	enum side side;
};

void attrib_init(struct attrib *a, const char *proc_root, unsigned verify_passes)
{
	*a = (struct attrib){
		.owners = HASHMAP_INIT(struct sock_owner),
		.kernel_seen = HASHMAP_INIT(struct cookie_key),
		.missing = HASHMAP_INIT(struct inode_key),
		.unresolvable = {HASHMAP_INIT(struct inode_key), HASHMAP_INIT(struct inode_key)},
		.protos = SOCKPROTO_INIT,
	};
	procscan_init(&a->ps, proc_root, verify_passes);
}

/* --- the owner index ----------------------------------------------------- */

/* The owner entry of socket fd `f`: in the table by the census's number of
 * its socket, or in the hash by its inode (*added for its first holder).
 * NULL for a socket not attributed (*err set when out of memory). */
static struct sock_owner *owner_for(struct attrib *a, const struct sock_fd *f, bool *added, int *err)
{
	*added = false;
	if (f->inode == 0 || f->inode > UINT32_MAX)
		return NULL; /* no socket has such an inode */
	uint32_t inode = (uint32_t)f->inode;
	if (!a->census) {
		struct sock_owner *o = hashmap_put(&a->owners, &inode, added);
		*err = o ? 0 : -ENOMEM;
		return o;
	}
	uint32_t number = census_number_of(a->census, f);
	if (number >= a->walked.n)
		return NULL; /* a socket socklife does not count */
	struct sock_owner *o = &a->walked.v[number];
	*added = o->proc == NO_PROC;
	o->key = inode;
	return o;
}

/* Index every socket fd of every process, each chain in walk order.  With
 * a census the index is a table by socket number: no hashing at all. */
static int build_index(struct attrib *a)
{
	hashmap_clear(&a->owners);
	vec_reset(&a->holders);
	vec_clear(&a->walked);
	if (!a->census) { /* sized once, not grown (rehashed) socket by socket */
		size_t fds = 0, n;
		for (size_t p = 0; p < a->ps.procs.n; p++, fds += n)
			procscan_sockets(&a->ps, p, &n);
		if (hashmap_reserve(&a->owners, fds) < 0)
			return -ENOMEM;
	} else {
		if (vec_reserve(&a->walked, a->census->places + 1))
			return -ENOMEM;
		a->walked.n = a->census->places;
		for (size_t k = 0; k < a->walked.n; k++)
			a->walked.v[k] = (struct sock_owner){.proc = NO_PROC};
	}
	for (size_t p = a->ps.procs.n; p-- > 0;) {
		size_t n;
		const struct sock_fd *fds = procscan_sockets(&a->ps, p, &n);
		for (size_t i = n; i-- > 0;) {
			bool added;
			int err = 0;
			struct sock_owner *o = owner_for(a, &fds[i], &added, &err);
			if (!o) {
				if (err)
					return err;
				continue;
			}
			/* Read backwards: this holder comes before the one the
			 * entry names, which moves to the chain's front. */
			uint32_t more = NO_MORE;
			if (!added) {
				if (a->holders.n >= NO_MORE)
					return -EOVERFLOW; /* 16 million fds sharing sockets */
				struct holder *h = vec_push(&a->holders);
				if (!h)
					return -ENOMEM;
				*h = (struct holder){o->proc, o->fd, o->more};
				more = (uint32_t)(a->holders.n - 1);
			}
			o->proc = (uint32_t)p;
			o->fd = fds[i].fd & 0x7fffffffu;
			o->more = more & NO_MORE;
			o->proto = fds[i].proto;
		}
	}
	return 0;
}

/* The owner of socket `s` this pass: by the number the walk gave it, or
 * by its inode.  NULL when no fd read holds it. */
static struct sock_owner *owner_of(struct attrib *a, const struct sl_socket *s)
{
	if (!a->census) {
		uint32_t inode = (uint32_t)s->inode;
		return s->inode && s->inode <= UINT32_MAX ? hashmap_get(&a->owners, &inode) : NULL;
	}
	long k = s->walked ? (long)s->walked - 1 : census_find_socket(a->census, s->inode);
	struct sock_owner *o = k >= 0 && (size_t)k < a->walked.n ? &a->walked.v[k] : NULL;
	/* Held only by a process gone from /proc since the walk: none. */
	return o && o->proc != NO_PROC ? o : NULL;
}

void attrib_prefetch(const struct attrib *a, uint64_t inode)
{
	/* With a census a walked socket is found by its number, without a
	 * lookup; only the index by inode is worth fetching ahead. */
	uint32_t key = (uint32_t)inode;
	if (!a->census && inode && inode <= UINT32_MAX)
		hashmap_prefetch(&a->owners, &key);
}

/* Every owner with a holder, one after another from *pos = 0. */
static struct sock_owner *next_owner(struct attrib *a, size_t *pos)
{
	if (!a->census)
		return hashmap_next(&a->owners, pos);
	while (*pos < a->walked.n) {
		struct sock_owner *o = &a->walked.v[(*pos)++];
		if (o->proc != NO_PROC)
			return o;
	}
	return NULL;
}

/* The processes holding owner `o`, and their fds, in scratch lists. */
static int push_holder(struct attrib *a, uint32_t proc, uint32_t fd)
{
	uint32_t *p = vec_push(&a->scratch), *f = vec_push(&a->scratch_fds);
	if (!p || !f)
		return -ENOMEM;
	*p = proc;
	*f = fd;
	return 0;
}

static int holders_of(struct attrib *a, const struct sock_owner *o)
{
	vec_clear(&a->scratch);
	vec_clear(&a->scratch_fds);
	int err = push_holder(a, o->proc, o->fd);
	for (uint32_t h = o->more; h != NO_MORE && !err; h = a->holders.v[h].next)
		err = push_holder(a, a->holders.v[h].proc, a->holders.v[h].fd);
	return err;
}

static void deliver(struct attrib *a, const struct sl_socket *s, uint32_t ns, double age,
		    enum side side, enum owner_kind kind)
{
	struct attributed out = {s, ns, age, side, kind, NULL, NULL, 0};
	if (kind == OWNED) {
		out.procs = a->scratch.v;
		out.fds = a->scratch_fds.v;
		out.nprocs = a->scratch.n;
	}
	a->sink->socket(a->sink->ctx, &out);
}

/* --- the pass ------------------------------------------------------------ */

static struct hashmap *unresolvable_now(struct attrib *a) { return &a->unresolvable[a->pass % 2]; }

static struct hashmap *unresolvable_before(struct attrib *a)
{
	return &a->unresolvable[(a->pass + 1) % 2];
}

int attrib_begin(struct attrib *a, const struct attrib_sink *sink, const struct census *census)
{
	a->sink = sink;
	a->pass++;
	memset(&a->stats, 0, sizeof(a->stats));
	hashmap_clear(&a->kernel_seen);
	hashmap_clear(&a->missing);
	hashmap_clear(unresolvable_now(a));
	vec_clear(&a->pending);
	a->census = census;
	int err = procscan_run(&a->ps, census);
	return err ? err : build_index(a);
}

/* Has this socket been handed on already this pass? */
static int repeated(struct attrib *a, struct sock_owner *o, uint64_t cookie)
{
	if (o) {
		if (o->seen)
			return 1;
		o->seen = 1;
		return 0;
	}
	bool added;
	if (!cookie)
		return 0; /* no identity to compare: count it */
	if (!hashmap_put(&a->kernel_seen, &cookie, &added))
		return -ENOMEM;
	return !added;
}

static int defer(struct attrib *a, const struct sl_socket *s, uint32_t ns, double age,
		 enum side side)
{
	struct pending *p = vec_push(&a->pending);
	bool added;
	if (!p || !hashmap_put(&a->missing, &s->inode, &added))
		return -ENOMEM;
	*p = (struct pending){*s, ns, age, side};
	return 0;
}

int attrib_socket(struct attrib *a, const struct sl_socket *s, uint32_t ns, double age,
		  enum side side)
{
	struct sock_owner *o = owner_of(a, s);
	int dup = repeated(a, o, s->cookie);
	bool added;

	if (dup < 0)
		return dup;
	if (dup) {
		a->stats.duplicates++;
		return 0;
	}
	if (o) {
		if (holders_of(a, o))
			return -ENOMEM;
		deliver(a, s, ns, age, side, OWNED);
	} else if (s->cached && s->inode) {
		return 0; /* read passes ago, and no fd holds it now: closed since */
	} else if (!s->inode) {
		deliver(a, s, ns, age, side, KERNEL); /* the kernel's: no fd holds it */
	} else if (hashmap_get(unresolvable_before(a), &s->inode)) {
		/* Searched for in vain last pass: do not search again. */
		deliver(a, s, ns, age, side, UNRESOLVED);
		if (!hashmap_put(unresolvable_now(a), &s->inode, &added))
			return -ENOMEM;
	} else {
		return defer(a, s, ns, age, side);
	}
	return 0;
}

/* After reading process `proc`: are all the missing inodes found? */
static bool found_all(void *ctx, size_t proc)
{
	struct attrib *a = ctx;
	size_t n;
	const struct sock_fd *fds = procscan_sockets(&a->ps, proc, &n);
	for (size_t i = 0; i < n; i++)
		hashmap_del(&a->missing, &fds[i].inode);
	return a->missing.count == 0;
}

/* Read processes likeliest to hold the deferred sockets, at most as many
 * as the rotation reads: under heavy churn a socket may be closed again
 * before it is found, and that must not turn every pass into a full walk.
 * Sets *exhausted when every process was read. */
static int search(struct attrib *a, bool *exhausted)
{
	if (a->census) {
		*exhausted = true; /* every fd table was walked: nothing more to read */
		return 0;
	}
	unsigned k = a->ps.verify_passes ? a->ps.verify_passes : 1;
	size_t budget = a->ps.procs.n / k + 8;
	long read = procscan_read_more(&a->ps, budget, found_all, a, exhausted);
	if (read <= 0)
		return (int)read;
	a->stats.resolve_reads += (uint64_t)read;
	/* What those processes hold replaced what they held: index afresh, in
	 * place (a second index would double the peak memory), keeping the
	 * marks of the sockets already handed on. */
	vec_reset(&a->seen);
	size_t pos = 0;
	for (const struct sock_owner *o; (o = hashmap_next(&a->owners, &pos));) {
		uint32_t *inode = o->seen ? vec_push(&a->seen) : NULL;
		if (o->seen && !inode)
			return -ENOMEM;
		if (inode)
			*inode = o->key;
	}
	int err = build_index(a);
	for (size_t i = 0; i < a->seen.n && !err; i++) {
		struct sock_owner *o = hashmap_get(&a->owners, &a->seen.v[i]);
		if (o)
			o->seen = 1;
	}
	return err;
}

static int settle_pending(struct attrib *a)
{
	bool exhausted = false, added;
	int err = a->pending.n ? search(a, &exhausted) : 0;
	if (err)
		return err;
	for (size_t i = 0; i < a->pending.n; i++) {
		const struct pending *p = &a->pending.v[i];
		struct sock_owner *o = owner_of(a, &p->s);
		if (o && o->seen) {
			a->stats.duplicates++;
		} else if (o) {
			o->seen = 1;
			if (holders_of(a, o))
				return -ENOMEM;
			deliver(a, &p->s, p->ns, p->age, p->side, OWNED);
		} else {
			deliver(a, &p->s, p->ns, p->age, p->side, UNRESOLVED);
			if (exhausted && !hashmap_put(unresolvable_now(a), &p->s.inode, &added))
				return -ENOMEM;
		}
	}
	vec_reset(&a->pending); /* a copy of each socket deferred: a peak is big */
	return 0;
}

/* Should a dump have listed the socket of holder `h`?  Only if its process
 * lives in a namespace that was dumped, the protocol was dumped there, and
 * the fd still holds it (a process not read this pass may have closed it).
 * UDP dumps leave out sockets never bound, which is normal, not a leak;
 * TCP and UNIX dumps list every socket still in use. */
static bool should_list(struct attrib *a, const struct sock_owner *o, attrib_dumped_fn dumped,
			void *ctx, uint8_t *proto)
{
	const struct proc_info *pi = &a->ps.procs.v[o->proc];
	uint32_t inode = o->key;
	*proto = o->proto != SOCK_FD_UNKNOWN ? o->proto
					     : sockproto_of(&a->protos, a->ps.root, pi->pid, o->fd, inode);
	if (*proto == PROTO_UDP || *proto >= PROTO_COUNT || !dumped(ctx, pi, *proto))
		return false;
	return procscan_still_held(&a->ps, o->proc, o->fd, inode);
}

static int report_unhashed(struct attrib *a, attrib_dumped_fn dumped, void *ctx)
{
	size_t pos = 0;
	sockproto_begin(&a->protos);
	for (struct sock_owner *o; (o = next_owner(a, &pos));) {
		uint8_t proto;
		if (o->seen || !should_list(a, o, dumped, ctx, &proto))
			continue;
		if (holders_of(a, o))
			return -ENOMEM;
		a->sink->unhashed(a->sink->ctx, o->key, proto, a->scratch.v, a->scratch_fds.v,
				  a->scratch.n);
	}
	return 0;
}

int attrib_end(struct attrib *a, attrib_dumped_fn dumped, void *ctx)
{
	int err = settle_pending(a);
	hashmap_clear(&a->missing);
	return err ? err : report_unhashed(a, dumped, ctx);
}

void attrib_free(struct attrib *a)
{
	procscan_free(&a->ps);
	hashmap_free(&a->owners);
	vec_free(&a->walked);
	vec_free(&a->holders);
	hashmap_free(&a->kernel_seen);
	vec_free(&a->pending);
	hashmap_free(&a->missing);
	hashmap_free(&a->unresolvable[0]);
	hashmap_free(&a->unresolvable[1]);
	vec_free(&a->scratch);
	vec_free(&a->scratch_fds);
	vec_free(&a->seen);
	sockproto_free(&a->protos);
	attrib_init(a, a->ps.root, a->ps.verify_passes);
}
