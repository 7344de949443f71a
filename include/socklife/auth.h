/* auth.h - HTTP basic auth against bcrypt hashes (the system's libcrypt).
 *
 * bcrypt is slow on purpose (tens of milliseconds), so a successful check
 * is remembered: keyed by a salted SHA-256-crypt of user and password (the
 * password itself is never kept), a hit costs one fast hash.  Failures are
 * not remembered, so guessing stays slow.  An unknown user is checked
 * against a fake hash, so timing does not tell which users exist. */
#ifndef SOCKLIFE_AUTH_H
#define SOCKLIFE_AUTH_H

#include <socklife/webconfig.h>

#include <stdbool.h>
#include <stddef.h>

struct auth;

/* Copy the users; returns 0, -ENOMEM, or -EIO if the system's crypt
 * cannot do bcrypt. */
int auth_new(struct auth **out, const struct web_user *users, size_t n);
void auth_free(struct auth *a);

/* Do `user` and `password` match?  NULL for either: no. */
bool auth_check(struct auth *a, const char *user, const char *password);

/* Checks answered from the cache, and checked with bcrypt (for tests). */
void auth_counts(const struct auth *a, unsigned long *cached, unsigned long *computed);

#endif
