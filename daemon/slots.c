/* slots.c - connection accounting and admission; see slots.h.
 *
 * The tables are small (4 * max connections, 256 known keys) and scanned
 * linearly: at the default 64 connections an admission compares a few
 * hundred 16-byte keys, under a microsecond, which is far less than the
 * accept() that precedes it. */
#include <socklife/slots.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KNOWN_CAP 256
/* A cut connection is normally reported closed within milliseconds. */
#define CUT_RECHECK 2.0

const char *const slots_refusal_names[SLOT_REFUSALS] = {
	[SLOT_REFUSED_PER_ADDRESS] = "per_address",
	[SLOT_REFUSED_STRANGERS] = "strangers_full",
	[SLOT_REFUSED_FULL] = "full",
};

int slots_init(struct slots *s, const struct slots_limits *lim)
{
	memset(s, 0, sizeof(*s));
	s->lim = *lim;
	if (s->lim.max == 0)
		s->lim.max = 1;
	if (s->lim.reserved >= s->lim.max)
		s->lim.reserved = s->lim.max - 1; /* someone must be able to become known */
	s->cap = SLOTS_PER_CONNECTION * s->lim.max;
	s->known_cap = KNOWN_CAP;
	s->slot = calloc(s->cap, sizeof(*s->slot));
	s->known = calloc(s->known_cap, sizeof(*s->known));
	if (!s->slot || !s->known) {
		slots_free(s);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < s->known_cap; i++)
		s->known[i].last = -INFINITY;
	return 0;
}

void slots_free(struct slots *s)
{
	free(s->slot);
	free(s->known);
	s->slot = NULL;
	s->known = NULL;
}

static bool live(const struct slot *t)
{
	return t->state == SLOT_WAITING || t->state == SLOT_BUSY || t->state == SLOT_HELD;
}

static void count(struct slots *s, const struct slot *t, int sign)
{
	s->live += (unsigned)sign;
	if (!t->known)
		s->strangers += (unsigned)sign;
}

bool slots_known(const struct slots *s, const struct addrkey *key, double now)
{
	for (unsigned i = 0; i < s->known_cap; i++)
		if (addrkey_equal(&s->known[i].key, key))
			return now - s->known[i].last <= s->lim.known_for;
	return false;
}

static void make_known(struct slots *s, const struct addrkey *key, double now)
{
	unsigned oldest = 0;
	for (unsigned i = 0; i < s->known_cap; i++) {
		if (addrkey_equal(&s->known[i].key, key)) {
			oldest = i;
			break;
		}
		if (s->known[i].last < s->known[oldest].last)
			oldest = i;
	}
	s->known[oldest].key = *key;
	s->known[oldest].last = now;
}

static unsigned per_key(const struct slots *s, const struct addrkey *key)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->cap; i++)
		n += live(&s->slot[i]) && addrkey_equal(&s->slot[i].key, key);
	return n;
}

/* The waiting connection that has waited longest, strangers first; known
 * ones only if `known_too`.  -1 if none. */
static int longest_waiting(const struct slots *s, bool known_too)
{
	int best = -1;
	for (unsigned i = 0; i < s->cap; i++) {
		const struct slot *t = &s->slot[i];
		if (t->state != SLOT_WAITING || (t->known && !known_too))
			continue;
		if (best < 0)
			best = (int)i;
		const struct slot *b = &s->slot[best];
		if ((b->known && !t->known) || (b->known == t->known && t->since < b->since))
			best = (int)i;
	}
	return best;
}

/* A free entry for a newcomer, or -1.  A stranger may not take the last
 * `reserved` free ones: under a reconnecting flood each stranger admitted
 * cuts another, the cut ones keep their entries until a loaded server has
 * closed them, and they must never take every entry from a known client. */
static int free_slot(const struct slots *s, bool known)
{
	unsigned want = known ? 1 : s->lim.reserved + 1, nfree = 0;
	int first = -1;
	for (unsigned i = 0; i < s->cap && nfree < want; i++) {
		if (s->slot[i].state != SLOT_FREE)
			continue;
		if (first < 0)
			first = (int)i;
		nfree++;
	}
	return nfree >= want ? first : -1;
}

static void cut(struct slots *s, int id, double now)
{
	struct slot *t = &s->slot[id];
	if (live(t))
		count(s, t, -1);
	t->state = SLOT_CUT;
	t->since = now;
}

struct slot_admission slots_admit(struct slots *s, const struct addrkey *key, int fd,
				  uint64_t ino, double now)
{
	struct slot_admission a = {.id = -1, .victim = -1};
	bool known = slots_known(s, key, now);
	bool room = s->live < s->lim.max &&
		    (known || s->strangers < s->lim.max - s->lim.reserved);

	if (s->lim.per_key && per_key(s, key) >= s->lim.per_key) {
		a.why = SLOT_REFUSED_PER_ADDRESS;
		return a;
	}
	int id = free_slot(s, known);
	if (!room)
		a.victim = longest_waiting(s, known);
	if (id < 0 || (!room && a.victim < 0)) {
		a.victim = -1;
		a.why = known || s->live >= s->lim.max ? SLOT_REFUSED_FULL : SLOT_REFUSED_STRANGERS;
		return a;
	}
	if (a.victim >= 0)
		cut(s, a.victim, now);
	s->slot[id] = (struct slot){.state = SLOT_WAITING, .known = known, .key = *key,
				    .fd = fd, .ino = ino, .since = now};
	count(s, &s->slot[id], +1);
	a.id = id;
	return a;
}

int slots_find_fd(const struct slots *s, int fd)
{
	for (unsigned i = 0; i < s->cap; i++)
		if (s->slot[i].state != SLOT_FREE && s->slot[i].fd == fd)
			return (int)i;
	return -1;
}

void slots_release(struct slots *s, int id)
{
	struct slot *t = &s->slot[id];
	if (live(t))
		count(s, t, -1);
	*t = (struct slot){.state = SLOT_FREE, .fd = -1};
}

bool slots_begin_request(struct slots *s, int id, double now)
{
	struct slot *t = &s->slot[id];
	if (t->state == SLOT_CUT)
		return false;
	t->state = SLOT_BUSY;
	t->since = now;
	return true;
}

void slots_end_request(struct slots *s, int id, bool authorised, double now)
{
	struct slot *t = &s->slot[id];
	if (!live(t))
		return;
	if (authorised) {
		make_known(s, &t->key, now);
		if (!t->known)
			s->strangers--;
		t->known = true;
	}
	t->state = SLOT_WAITING;
	t->since = now;
	t->requests++;
}

bool slots_hold(struct slots *s, int id, double until, void *owner)
{
	struct slot *t = &s->slot[id];
	if (!live(t))
		return false;
	t->state = SLOT_HELD;
	t->until = until;
	t->owner = owner;
	return true;
}

static double due_at(const struct slots *s, const struct slot *t)
{
	double wait = s->lim.header_timeout;
	switch (t->state) {
	case SLOT_WAITING:
		if (t->requests && s->lim.idle_timeout > wait)
			wait = s->lim.idle_timeout;
		return t->since + wait;
	case SLOT_BUSY:
		return s->lim.request_timeout > 0 ? t->since + s->lim.request_timeout : INFINITY;
	case SLOT_HELD:
		return t->until;
	case SLOT_CUT:
		return t->since + CUT_RECHECK;
	default:
		return INFINITY;
	}
}

double slots_next_due(const struct slots *s)
{
	double next = INFINITY;
	for (unsigned i = 0; i < s->cap; i++) {
		double t = due_at(s, &s->slot[i]);
		if (t < next)
			next = t;
	}
	return next;
}

size_t slots_take_due(struct slots *s, double now, struct slot_due *out, size_t n)
{
	size_t k = 0;
	for (unsigned i = 0; i < s->cap && k < n; i++) {
		struct slot *t = &s->slot[i];
		if (t->state == SLOT_FREE || due_at(s, t) > now)
			continue;
		out[k] = (struct slot_due){.id = (int)i, .fd = t->fd, .ino = t->ino,
					   .owner = t->owner};
		if (t->state == SLOT_HELD) {
			out[k].action = SLOT_DUE_RESUME;
			t->state = SLOT_BUSY;
			t->owner = NULL;
		} else {
			static const enum slot_action cut_for[] = {
				[SLOT_WAITING] = SLOT_DUE_HEADERS,
				[SLOT_BUSY] = SLOT_DUE_ANSWER,
				[SLOT_CUT] = SLOT_DUE_RECHECK,
			};
			out[k].action = cut_for[t->state];
			cut(s, (int)i, now);
		}
		k++;
	}
	return k;
}
