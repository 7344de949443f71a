/* source_budget.c - reads within a budget, the rest replayed; see
 * source_budget.h. */
#include <socklife/source_budget.h>

#include <socklife/clock.h>
#include <socklife/vec.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What the last real read of one namespace gave. */
struct kept {
	uint64_t key;        /* netns inode (every namespace file is on nsfs) */
	struct ns_read read;
	double read_at;      /* monotonic; 0: never */
	uint32_t seen_pass;  /* the last pass that asked for it */
	struct kept_socks VEC(struct sl_socket) socks;
};

struct budget_source {
	struct source base;
	struct source *inner;
	bool kernel_only;
	double now, budget, spent;
	uint32_t pass;
	struct hashmap kept; /* of struct kept */
	int err;             /* the tee's, while reading */
};

/* While reading for real: each socket goes on, and into the keep. */
struct tee {
	const struct source_sink *sink;
	struct budget_source *src;
	struct kept *k;
};

static int tee_socket(const struct sl_socket *s, void *arg)
{
	struct tee *t = arg;
	if (t->k && (!t->src->kernel_only || s->inode == 0)) {
		struct sl_socket *copy = vec_push(&t->k->socks);
		if (!copy)
			return -ENOMEM;
		*copy = *s;
		copy->cached = true;
	}
	return t->sink->socket(s, t->sink->ctx);
}

static bool tee_wants_times(const struct sl_socket *s, void *arg)
{
	struct tee *t = arg;
	return t->sink->wants_times && t->sink->wants_times(s, t->sink->ctx);
}

static void tee_ahead(uint64_t inode, void *arg)
{
	struct tee *t = arg;
	t->sink->ahead(inode, t->sink->ctx);
}

static int read_for_real(struct budget_source *src, struct kept *k, const struct netns_entry *e,
			 const struct source_sink *sink, struct ns_read *out)
{
	/* Our own namespace is read every pass: nothing to keep for it.  Every
	 * TCP state is read (tcp_states 0), whatever the sink wants: what is
	 * kept must be the whole namespace. */
	struct tee t = {sink, src, e->self ? NULL : k};
	struct source_sink through = {tee_socket, tee_wants_times, &t, sink->protos, 0,
				      sink->ahead ? tee_ahead : NULL};
	double t0 = now_monotonic();
	if (e->self)
		vec_free(&k->socks);
	else
		vec_clear(&k->socks);
	int err = src->inner->read_netns(src->inner, e, &through, out);
	if (!e->self)
		src->spent += now_monotonic() - t0;
	if (err) {
		k->read_at = 0; /* half a read is no read to replay */
		return err;
	}
	k->read = *out;
	k->read_at = src->now;
	return 0;
}

static int replay(const struct kept *k, const struct source_sink *sink, struct ns_read *out,
		  double now)
{
	*out = k->read;
	out->age = now - k->read_at;
	for (size_t i = 0; i < k->socks.n; i++) {
		if (!(sink->protos & (1u << k->socks.v[i].proto)))
			continue;
		int err = sink->socket(&k->socks.v[i], sink->ctx);
		if (err)
			return err;
	}
	return 0;
}

static int read_netns(struct source *base, const struct netns_entry *e,
		      const struct source_sink *sink, struct ns_read *out)
{
	struct budget_source *src = (struct budget_source *)base;
	bool added;
	struct kept *k = hashmap_put(&src->kept, &e->id.ino, &added);
	if (!k)
		return -ENOMEM;
	k->seen_pass = src->pass;
	if (e->self || src->spent < src->budget)
		return read_for_real(src, k, e, sink, out);
	if (!k->read_at) {
		out->mode = NS_MODE_NONE; /* first in line next pass */
		return 0;
	}
	return replay(k, sink, out, src->now);
}

static bool still_seen(const void *entry, void *ctx)
{
	const struct budget_source *src = ctx;
	const struct kept *k = entry;
	return src->pass - k->seen_pass < SOURCE_BUDGET_FORGET;
}

void source_budget_begin(struct source *base, double now, double seconds)
{
	struct budget_source *src = (struct budget_source *)base;
	src->pass++;
	src->now = now;
	src->budget = seconds;
	src->spent = 0;
	/* Namespaces gone for a while: their keep goes.  (Out of memory the
	 * table keeps them, emptied, till the next pass.) */
	size_t pos = 0;
	for (struct kept *k; (k = hashmap_next(&src->kept, &pos));)
		if (!still_seen(k, src))
			vec_free(&k->socks);
	hashmap_retain(&src->kept, still_seen, src);
}

double source_budget_read_at(const struct source *base, const struct netns_id *id)
{
	const struct budget_source *src = (const struct budget_source *)base;
	const struct kept *k = hashmap_get(&src->kept, &id->ino);
	return k ? k->read_at : 0;
}

static void free_source(struct source *base)
{
	struct budget_source *src = (struct budget_source *)base;
	size_t pos = 0;
	for (struct kept *k; (k = hashmap_next(&src->kept, &pos));)
		vec_free(&k->socks);
	hashmap_free(&src->kept);
	free(src);
}

int source_budget_new(struct source **out, struct source *inner, bool kernel_only)
{
	struct budget_source *src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	*src = (struct budget_source){
		.base = {"budget", NULL, read_netns, free_source},
		.inner = inner,
		.kernel_only = kernel_only,
		.budget = 1e9,
		.kept = HASHMAP_INIT(struct kept),
	};
	*out = &src->base;
	return 0;
}
