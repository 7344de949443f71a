/* test_auth.c - bcrypt checks, the unknown-user stand-in, the cache. */
#include <socklife/auth.h>

#include <crypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

	/* A success is remembered; failures are not, so guessing stays slow. */
	assert_true(auth_check(a, "prom", "s3cret"));
	assert_false(auth_check(a, "prom", "wrong"));
	assert_false(auth_check(a, "prom", "wrong"));
	auth_counts(a, &cached, &computed);
	assert_int_equal(cached, 1);
	assert_int_equal(computed, 6);
	auth_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_checks_and_cache, setup, NULL),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
