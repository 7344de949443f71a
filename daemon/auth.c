/* auth.c - bcrypt checks with a cache of verdicts; see auth.h. */
#include <socklife/auth.h>

#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Successes: one per scraper and password, a handful.  Failures: enough
 * that a scraper configured with a wrong password, retrying every scrape,
 * stays remembered while someone else guesses. */
#define OK_CACHE 64
#define FAIL_CACHE 256
#define FAKE_COST 10

struct cache_entry {
	struct auth_key key; /* "" = empty */
	unsigned long used;
};

struct auth {
	struct web_user *users;
	size_t n;
	char fake_hash[64];   /* bcrypt of random bytes: the stand-in for unknown users */
	char cache_salt[40];  /* "$5$rounds=1000$<random>$" */
	double cost;          /* of one bcrypt check, see auth_cost() */
	pthread_mutex_t lock; /* the caches and counters: several threads check */
	struct cache_entry ok[OK_CACHE], fail[FAIL_CACHE];
	unsigned long clock, cached, computed;
};

/* Compare without stopping at the first difference. */
static bool same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;
	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static bool bcrypt_ok(const char *password, const char *hash)
{
	struct crypt_data data;
	memset(&data, 0, sizeof(data));
	const char *out = crypt_rn(password, hash, &data, (int)sizeof(data));
	return out && out[0] != '*' && same(out, hash);
}

static void random_chars(char *out, size_t n)
{
	static const char alphabet[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz";
	unsigned char r[64];
	if (n > sizeof(r) || getrandom(r, n, 0) != (ssize_t)n)
		memset(r, 7, sizeof(r)); /* never on Linux >= 3.17; stays valid, if weaker */
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[r[i] % 64];
	out[n] = '\0';
}

/* The cost of a bcrypt hash ("$2b$12$..." is 12); FAKE_COST if unreadable. */
static int bcrypt_cost(const char *hash)
{
	if (strlen(hash) < 7 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' ||
	    !isdigit((unsigned char)hash[4]) || !isdigit((unsigned char)hash[5]) ||
	    hash[6] != '$')
		return FAKE_COST;
	return (hash[4] - '0') * 10 + (hash[5] - '0');
}

int auth_new(struct auth **out, const struct web_user *users, size_t n)
{
	struct auth *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	a->users = calloc(n ? n : 1, sizeof(*a->users));
	if (!a->users)
		goto nomem;
	int cost = FAKE_COST;
	for (size_t i = 0; i < n; i++) {
		if (bcrypt_cost(users[i].hash) > cost)
			cost = bcrypt_cost(users[i].hash);
		a->users[i].name = strdup(users[i].name);
		a->users[i].hash = strdup(users[i].hash);
		a->n++;
		if (!a->users[i].name || !a->users[i].hash)
			goto nomem;
	}
	/* bcrypt's work doubles with each step of cost (2^cost rounds). */
	a->cost = ldexp(1, cost - FAKE_COST);
	/* A fake hash with the cost of a real one: unknown users take as long. */
	char pw[23], salt[32];
	random_chars(pw, 22);
	const char *setting = crypt_gensalt_rn("$2b$", FAKE_COST, NULL, 0, salt, sizeof(salt));
	struct crypt_data data;
	memset(&data, 0, sizeof(data));
	const char *fake = setting ? crypt_rn(pw, setting, &data, (int)sizeof(data)) : NULL;
	if (!fake || fake[0] == '*') {
		auth_free(a);
		return -EIO;
	}
	snprintf(a->fake_hash, sizeof(a->fake_hash), "%s", fake);
	char s[17];
	random_chars(s, 16);
	snprintf(a->cache_salt, sizeof(a->cache_salt), "$5$rounds=1000$%s$", s);
	*out = a;
	return 0;
nomem:
	auth_free(a);
	return -ENOMEM;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->users[i].name);
		free(a->users[i].hash);
	}
	free(a->users);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

int auth_key(const struct auth *a, const char *user, const char *password,
	     struct auth_key *out)
{
	char joined[1024];
	if (!user || !password)
		return -EINVAL;
	int n = snprintf(joined, sizeof(joined), "%s:%s", user, password);
	if (n < 0 || (size_t)n >= sizeof(joined))
		return -EINVAL;
	struct crypt_data data;
	memset(&data, 0, sizeof(data));
	const char *k = crypt_rn(joined, a->cache_salt, &data, (int)sizeof(data));
	memset(joined, 0, sizeof(joined));
	if (!k || k[0] == '*' || strlen(k) >= sizeof(out->s))
		return -EINVAL;
	strcpy(out->s, k);
	return 0;
}

/* Under the lock: the entry holding `key`, or NULL. */
static struct cache_entry *find(struct cache_entry *c, size_t n, const struct auth_key *key)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].key.s[0] && same(c[i].key.s, key->s))
			return &c[i];
	return NULL;
}

/* Under the lock: remember `key` in place of the least recently used. */
static void remember(struct auth *a, struct cache_entry *c, size_t n,
		     const struct auth_key *key)
{
	size_t victim = 0;
	for (size_t i = 1; i < n; i++)
		if (c[i].used < c[victim].used)
			victim = i;
	c[victim].key = *key;
	c[victim].used = ++a->clock;
}

enum auth_verdict auth_lookup(struct auth *a, const struct auth_key *key)
{
	pthread_mutex_lock(&a->lock);
	enum auth_verdict v = AUTH_UNSEEN;
	struct cache_entry *e = find(a->ok, OK_CACHE, key);
	if (e)
		v = AUTH_OK;
	else if ((e = find(a->fail, FAIL_CACHE, key)))
		v = AUTH_FAIL;
	if (e) {
		e->used = ++a->clock;
		a->cached++;
	}
	pthread_mutex_unlock(&a->lock);
	return v;
}

bool auth_verify(struct auth *a, const char *user, const char *password,
		 const struct auth_key *key)
{
	const char *hash = a->fake_hash;
	bool known = false;
	for (size_t i = 0; i < a->n; i++) {
		if (same(a->users[i].name, user)) {
			hash = a->users[i].hash;
			known = true;
		}
	}
	bool ok = bcrypt_ok(password, hash) && known;
	pthread_mutex_lock(&a->lock);
	a->computed++;
	if (ok)
		remember(a, a->ok, OK_CACHE, key);
	else
		remember(a, a->fail, FAIL_CACHE, key);
	pthread_mutex_unlock(&a->lock);
	return ok;
}

double auth_cost(const struct auth *a)
{
	return a->cost;
}

bool auth_check(struct auth *a, const char *user, const char *password)
{
	struct auth_key key;
	if (auth_key(a, user, password, &key) < 0)
		return false;
	enum auth_verdict v = auth_lookup(a, &key);
	if (v != AUTH_UNSEEN)
		return v == AUTH_OK;
	return auth_verify(a, user, password, &key);
}

void auth_counts(const struct auth *a, unsigned long *cached, unsigned long *computed)
{
	*cached = a->cached;
	*computed = a->computed;
}
