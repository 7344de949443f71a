/* auth.h - HTTP basic auth against bcrypt hashes (the system's libcrypt).
 *
 * bcrypt is slow on purpose (tens of milliseconds at cost 10, four times
 * that per step of cost), so verdicts are remembered, successes and
 * failures alike: keyed by a salted SHA-256-crypt of user and password
 * (the password itself is never kept), a remembered verdict costs one fast
 * hash (about 0.3 ms).  A guess not seen before needs bcrypt, which the
 * caller pays for from a throttle (throttle.h) in units of auth_cost().
 * An unknown user is checked against a fake hash, and auth_cost() is the
 * same for every user, so neither timing nor throttling tells which users
 * exist.
 *
 * The check is split so that a server can do the fast part on its own
 * thread and the bcrypt elsewhere: auth_key(), auth_lookup(), then (on a
 * miss) auth_verify().  auth_check() does all three. */
#ifndef SOCKLIFE_AUTH_H
#define SOCKLIFE_AUTH_H

#include <socklife/webconfig.h>

#include <stdbool.h>
#include <stddef.h>

#define AUTH_KEY_MAX 128

struct auth;

/* The cache key of a user and password. */
struct auth_key {
	char s[AUTH_KEY_MAX];
};

enum auth_verdict {
	AUTH_UNSEEN, /* not remembered: auth_verify() will tell */
	AUTH_OK,
	AUTH_FAIL,
};

/* Copy the users; returns 0, -ENOMEM, or -EIO if the system's crypt
 * cannot do bcrypt. */
int auth_new(struct auth **out, const struct web_user *users, size_t n);
void auth_free(struct auth *a);

/* The key of `user` and `password`: 0, or -EINVAL when either is NULL or
 * they are together longer than 1 KiB (bcrypt reads 72 bytes; such a
 * password never matches). */
int auth_key(const struct auth *a, const char *user, const char *password,
	     struct auth_key *out);

/* The remembered verdict for `key`. */
enum auth_verdict auth_lookup(struct auth *a, const struct auth_key *key);

/* bcrypt: do `user` and `password` match?  The verdict is remembered under
 * `key`.  Thread-safe; takes auth_cost() units of work. */
bool auth_verify(struct auth *a, const char *user, const char *password,
		 const struct auth_key *key);

/* What one auth_verify() costs, in checks of bcrypt cost 10 (the slowest
 * configured hash decides, for every user alike). */
double auth_cost(const struct auth *a);

/* Do `user` and `password` match?  NULL for either: no. */
bool auth_check(struct auth *a, const char *user, const char *password);

/* Verdicts answered from the cache, and computed with bcrypt (for tests). */
void auth_counts(const struct auth *a, unsigned long *cached, unsigned long *computed);

#endif
