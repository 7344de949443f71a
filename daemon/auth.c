/* auth.c - bcrypt checks with a cache of successes; see auth.h. */
#include <socklife/auth.h>

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define CACHE_SIZE 64

struct cache_entry {
	char key[128]; /* SHA-256-crypt output, "" = empty */
	unsigned long used;
};

struct auth {
	struct web_user *users;
	size_t n;
	char fake_hash[64];   /* bcrypt of random bytes: the stand-in for unknown users */
	char cache_salt[40];  /* "$5$rounds=1000$<random>$" */
	struct cache_entry cache[CACHE_SIZE];
	unsigned long clock, cached, computed;
	pthread_mutex_t lock; /* the cache, if the server ever uses several threads */
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

int auth_new(struct auth **out, const struct web_user *users, size_t n)
{
	struct auth *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	a->users = calloc(n ? n : 1, sizeof(*a->users));
	if (!a->users)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		a->users[i].name = strdup(users[i].name);
		a->users[i].hash = strdup(users[i].hash);
		a->n++;
		if (!a->users[i].name || !a->users[i].hash)
			goto nomem;
	}
	/* A fake hash with the cost of a real one: unknown users take as long. */
	char pw[23], salt[32];
	random_chars(pw, 22);
	const char *setting = crypt_gensalt_rn("$2b$", 10, NULL, 0, salt, sizeof(salt));
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

/* The cache key of a user and password: a salted, slowish hash of both. */
static bool cache_key(const struct auth *a, const char *user, const char *password,
		      char out[128])
{
	char joined[1024];
	int n = snprintf(joined, sizeof(joined), "%s:%s", user, password);
	if (n < 0 || (size_t)n >= sizeof(joined))
		return false;
	struct crypt_data data;
	memset(&data, 0, sizeof(data));
	const char *k = crypt_rn(joined, a->cache_salt, &data, (int)sizeof(data));
	if (!k || k[0] == '*' || strlen(k) >= 128)
		return false;
	strcpy(out, k);
	return true;
}

bool auth_check(struct auth *a, const char *user, const char *password)
{
	if (!user || !password)
		return false;
	char key[128];
	bool keyed = cache_key(a, user, password, key);

	pthread_mutex_lock(&a->lock);
	for (int i = 0; keyed && i < CACHE_SIZE; i++) {
		if (a->cache[i].key[0] && same(a->cache[i].key, key)) {
			a->cache[i].used = ++a->clock;
			a->cached++;
			pthread_mutex_unlock(&a->lock);
			return true;
		}
	}
	a->computed++;
	pthread_mutex_unlock(&a->lock);

	const char *hash = a->fake_hash;
	bool known = false;
	for (size_t i = 0; i < a->n; i++) {
		if (same(a->users[i].name, user)) {
			hash = a->users[i].hash;
			known = true;
		}
	}
	bool ok = bcrypt_ok(password, hash) && known;
	if (ok && keyed) {
		pthread_mutex_lock(&a->lock);
		int victim = 0; /* the least recently used entry */
		for (int i = 1; i < CACHE_SIZE; i++)
			if (a->cache[i].used < a->cache[victim].used)
				victim = i;
		strcpy(a->cache[victim].key, key);
		a->cache[victim].used = ++a->clock;
		pthread_mutex_unlock(&a->lock);
	}
	return ok;
}

void auth_counts(const struct auth *a, unsigned long *cached, unsigned long *computed)
{
	*cached = a->cached;
	*computed = a->computed;
}
