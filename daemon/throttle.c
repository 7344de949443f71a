/* throttle.c - token buckets per address key and for all; see throttle.h. */
#include <socklife/throttle.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static double cap_of(const struct throttle_rate *r, double cost)
{
	return r->burst > cost ? r->burst : cost;
}

/* A full bucket is stored as INFINITY: full for any cost. */
static double level(const struct throttle_bucket *b, const struct throttle_rate *r,
		    double cost, double now)
{
	double l = b->level + (now - b->at) * r->rate;
	return l < cap_of(r, cost) ? l : cap_of(r, cost);
}

/* Seconds until the bucket holds `cost` (0: it does). */
static double wait_for(const struct throttle_bucket *b, const struct throttle_rate *r,
		       double cost, double now)
{
	double short_by = cost - level(b, r, cost, now);
	if (short_by <= 0)
		return 0;
	return r->rate > 0 ? short_by / r->rate : 1e9;
}

static void pay(struct throttle_bucket *b, const struct throttle_rate *r, double cost,
		double now)
{
	b->level = level(b, r, cost, now) - cost;
	b->at = now;
}

int throttle_init(struct throttle *t, const struct throttle_rate *per_key,
		  const struct throttle_rate *all, unsigned keys, double now)
{
	*t = (struct throttle){.per_key = *per_key, .all = *all, .cap = keys ? keys : 1};
	t->global = (struct throttle_bucket){.level = INFINITY, .at = now};
	t->keyed = calloc(t->cap, sizeof(*t->keyed));
	return t->keyed ? 0 : -ENOMEM;
}

void throttle_free(struct throttle *t)
{
	free(t->keyed);
	t->keyed = NULL;
}

/* The bucket of `key`, made full if new; when all are taken, the one
 * fullest now is forgotten. */
static struct throttle_bucket *bucket_of(struct throttle *t, const struct addrkey *key,
					 double now)
{
	unsigned fullest = 0;
	for (unsigned i = 0; i < t->n; i++) {
		if (addrkey_equal(&t->keyed[i].key, key))
			return &t->keyed[i].b;
		if (level(&t->keyed[i].b, &t->per_key, 0, now) >
		    level(&t->keyed[fullest].b, &t->per_key, 0, now))
			fullest = i;
	}
	unsigned i = t->n < t->cap ? t->n++ : fullest;
	t->keyed[i] = (struct throttle_keyed){.key = *key,
					      .b = {.level = INFINITY, .at = now}};
	return &t->keyed[i].b;
}

double throttle_take(struct throttle *t, const struct addrkey *key, double cost, double now)
{
	struct throttle_bucket *mine = bucket_of(t, key, now);
	double w1 = wait_for(mine, &t->per_key, cost, now);
	double w2 = wait_for(&t->global, &t->all, cost, now);
	if (w1 > 0 || w2 > 0)
		return w1 > w2 ? w1 : w2;
	pay(mine, &t->per_key, cost, now);
	pay(&t->global, &t->all, cost, now);
	return 0;
}
