/* throttle.h - token buckets for work a client can make the server do.
 *
 * A bucket holds up to `burst` tokens and gains `rate` a second; work
 * costs tokens, and work the bucket cannot pay for is refused.  There is
 * one bucket per address key and one for everyone, and work is paid from
 * both or refused: the first stops one address from taking all of it, the
 * second bounds what many addresses together can cost.  Used for bcrypt
 * checks of passwords not seen before (auth.h), the one thing an
 * unauthenticated client can make expensive. */
#ifndef SOCKLIFE_THROTTLE_H
#define SOCKLIFE_THROTTLE_H

#include <socklife/addrkey.h>

struct throttle_rate {
	double rate;  /* tokens a second */
	double burst; /* at most this many saved */
};

struct throttle_bucket {
	double level; /* tokens at `at` */
	double at;
};

struct throttle_keyed {
	struct addrkey key;
	struct throttle_bucket b;
};

struct throttle {
	struct throttle_rate per_key, all;
	struct throttle_bucket global;
	struct throttle_keyed *keyed;
	unsigned cap, n;
};

/* Buckets for up to `keys` keys at a time (then the fullest is forgotten:
 * a full bucket is what a new key gets anyway).  0 or -ENOMEM. */
int throttle_init(struct throttle *t, const struct throttle_rate *per_key,
		  const struct throttle_rate *all, unsigned keys, double now);
void throttle_free(struct throttle *t);

/* Pay `cost` tokens from key's bucket and the global one.  Returns 0 if
 * paid, else the seconds until both could pay (nothing is taken).  A cost
 * above a burst is paid from a full bucket, so nothing is refused forever. */
double throttle_take(struct throttle *t, const struct addrkey *key, double cost, double now);

#endif
