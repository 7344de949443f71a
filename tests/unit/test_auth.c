/* test_auth.c - bcrypt checks, the unknown-user stand-in, the caches of
 * successes and failures, the cost of a check. */
#include <socklife/auth.h>

#include <crypt.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static char hash[128];

static int setup(void **state)
{
	(void)state;
	char salt[64];
	struct crypt_data data;
	memset(&data, 0, sizeof(data));
	/* cost 4: the minimum, to keep the test fast */
	crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt));
	strcpy(hash, crypt_rn("s3cret", salt, &data, (int)sizeof(data)));
	return 0;
}

static void test_checks_and_cache(void **state)
{
	(void)state;
	struct web_user users[] = {{(char *)"prom", hash}};
	struct auth *a;
	unsigned long cached, computed;
	assert_int_equal(auth_new(&a, users, 1), 0);

	assert_true(auth_check(a, "prom", "s3cret"));
	assert_false(auth_check(a, "prom", "s3cret "));
	assert_false(auth_check(a, "prom", ""));
	assert_false(auth_check(a, "nobody", "s3cret")); /* checked against the fake hash */
	assert_false(auth_check(a, NULL, "s3cret"));
	assert_false(auth_check(a, "prom", NULL));
	auth_counts(a, &cached, &computed);
	assert_int_equal(cached, 0);
	assert_int_equal(computed, 4);

	/* Both verdicts are remembered: a wrong password tried again costs
	 * one fast hash, like a right one. */
	assert_true(auth_check(a, "prom", "s3cret"));
	assert_false(auth_check(a, "prom", "wrong"));
	assert_false(auth_check(a, "prom", "wrong"));
	assert_false(auth_check(a, "nobody", "s3cret"));
	auth_counts(a, &cached, &computed);
	assert_int_equal(cached, 3);
	assert_int_equal(computed, 5);
	auth_free(a);
}

static void test_split_check(void **state)
{
	(void)state;
	struct web_user users[] = {{(char *)"prom", hash}};
	struct auth *a;
	struct auth_key k1, k2, k3;
	assert_int_equal(auth_new(&a, users, 1), 0);

	assert_int_equal(auth_key(a, NULL, "x", &k1), -EINVAL);
	assert_int_equal(auth_key(a, "prom", NULL, &k1), -EINVAL);
	char long_pw[1100];
	memset(long_pw, 'p', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	assert_int_equal(auth_key(a, "prom", long_pw, &k1), -EINVAL);

	/* The key is salted per process and depends on user and password. */
	assert_int_equal(auth_key(a, "prom", "s3cret", &k1), 0);
	assert_int_equal(auth_key(a, "prom", "s3cret", &k2), 0);
	assert_string_equal(k1.s, k2.s);
	assert_int_equal(auth_key(a, "prom2", "s3cret", &k3), 0);
	assert_string_not_equal(k1.s, k3.s);
	assert_null(strstr(k1.s, "s3cret"));

	assert_int_equal(auth_lookup(a, &k1), AUTH_UNSEEN);
	assert_true(auth_verify(a, "prom", "s3cret", &k1));
	assert_int_equal(auth_lookup(a, &k1), AUTH_OK);
	assert_int_equal(auth_lookup(a, &k3), AUTH_UNSEEN);
	assert_false(auth_verify(a, "prom2", "s3cret", &k3));
	assert_int_equal(auth_lookup(a, &k3), AUTH_FAIL);
	auth_free(a);
}

/* Wrong passwords guess-<from> to guess-<to - 1> for prom, each checked. */
static void wrong_guesses(struct auth *a, int from, int to)
{
	char pw[32];
	struct auth_key k;
	for (int i = from; i < to; i++) {
		snprintf(pw, sizeof(pw), "guess-%d", i);
		assert_int_equal(auth_key(a, "prom", pw, &k), 0);
		assert_false(auth_verify(a, "prom", pw, &k));
	}
}

static void test_failures_forgotten_oldest_first(void **state)
{
	(void)state;
	struct web_user users[] = {{(char *)"prom", hash}};
	struct auth *a;
	struct auth_key first;
	assert_int_equal(auth_new(&a, users, 1), 0);
	assert_int_equal(auth_key(a, "prom", "guess-0", &first), 0);
	assert_false(auth_verify(a, "prom", "guess-0", &first));
	/* 256 failures are remembered; the 257th pushes out the oldest. */
	wrong_guesses(a, 1, 256);
	assert_int_equal(auth_lookup(a, &first), AUTH_FAIL); /* now the most recent */
	wrong_guesses(a, 256, 512);
	assert_int_equal(auth_lookup(a, &first), AUTH_UNSEEN);
	/* A success is never pushed out by failures. */
	struct auth_key good;
	assert_int_equal(auth_key(a, "prom", "s3cret", &good), 0);
	assert_true(auth_verify(a, "prom", "s3cret", &good));
	wrong_guesses(a, 512, 800);
	assert_int_equal(auth_lookup(a, &good), AUTH_OK);
	auth_free(a);
}

static void test_cost_is_the_slowest_hash(void **state)
{
	(void)state;
	struct auth *a;
	/* Cost 4 is cheaper than the fake hash (cost 10): that one decides. */
	struct web_user cheap[] = {{(char *)"prom", hash}};
	assert_int_equal(auth_new(&a, cheap, 1), 0);
	assert_true(auth_cost(a) == 1.0);
	auth_free(a);
	/* Each step of cost doubles bcrypt's work; every user is charged as
	 * the slowest, so the throttle tells nothing about who exists. */
	char slow[] = "$2b$12$abcdefghijklmnopqrstuu5bB7l0Rm3e8m7pZ2C6cDvQkvNNnJqpe";
	struct web_user two[] = {{(char *)"prom", hash}, {(char *)"slow", slow}};
	assert_int_equal(auth_new(&a, two, 2), 0);
	assert_true(auth_cost(a) == 4.0);
	auth_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_checks_and_cache, setup, NULL),
		cmocka_unit_test_setup_teardown(test_split_check, setup, NULL),
		cmocka_unit_test_setup_teardown(test_failures_forgotten_oldest_first, setup, NULL),
		cmocka_unit_test_setup_teardown(test_cost_is_the_slowest_hash, setup, NULL),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
