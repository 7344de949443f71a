/* test_throttle.c - token buckets per key and for all, with made-up times. */
#include <socklife/throttle.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static struct addrkey K(int n)
{
	struct addrkey k = {{0}};
	k.b[15] = (uint8_t)n;
	return k;
}

static void test_per_key_then_global(void **state)
{
	(void)state;
	struct throttle t;
	struct throttle_rate per = {.rate = 0.5, .burst = 2}, all = {.rate = 1, .burst = 3};
	assert_int_equal(throttle_init(&t, &per, &all, 16, 0), 0);
	struct addrkey a = K(1), b = K(2), c = K(3);

	/* A new key starts full: its burst, then it waits for its rate. */
	assert_true(throttle_take(&t, &a, 1, 0) == 0);
	assert_true(throttle_take(&t, &a, 1, 0) == 0);
	double wait = throttle_take(&t, &a, 1, 0);
	assert_true(wait > 1.99 && wait < 2.01); /* 1 token at 0.5/s */
	/* Another key has its own bucket, but the global one (3) runs out. */
	assert_true(throttle_take(&t, &b, 1, 0) == 0);
	wait = throttle_take(&t, &b, 1, 0);
	assert_true(wait > 0.99 && wait < 1.01);
	/* Refused work takes nothing: b can pay once the global bucket refills. */
	assert_true(throttle_take(&t, &b, 1, 1.0) == 0);
	/* After a long while a bucket is full again, and no fuller. */
	assert_true(throttle_take(&t, &a, 1, 100) == 0);
	assert_true(throttle_take(&t, &a, 1, 100) == 0);
	assert_true(throttle_take(&t, &a, 1, 100) > 0);
	assert_true(throttle_take(&t, &c, 1, 100) == 0); /* the global one had 3 */
	throttle_free(&t);
}

static void test_cost_above_burst(void **state)
{
	(void)state;
	/* A check costing more than a burst is paid from a full bucket, then
	 * waits cost / rate: slow hashes are throttled harder, never forever. */
	struct throttle t;
	struct throttle_rate per = {.rate = 1, .burst = 2}, all = {.rate = 2, .burst = 10};
	assert_int_equal(throttle_init(&t, &per, &all, 16, 0), 0);
	struct addrkey a = K(1);
	assert_true(throttle_take(&t, &a, 4, 0) == 0);
	double wait = throttle_take(&t, &a, 4, 0);
	assert_true(wait > 3.99 && wait < 4.01);
	assert_true(throttle_take(&t, &a, 4, 4) == 0);
	throttle_free(&t);
}

static void test_forgets_the_fullest(void **state)
{
	(void)state;
	struct throttle t;
	struct throttle_rate per = {.rate = 0.1, .burst = 1}, all = {.rate = 100, .burst = 100};
	assert_int_equal(throttle_init(&t, &per, &all, 2, 0), 0);
	struct addrkey a = K(1), b = K(2), c = K(3);
	assert_true(throttle_take(&t, &a, 1, 0) == 0); /* a: empty */
	assert_true(throttle_take(&t, &b, 1, 5) == 0); /* b: empty, later */
	/* The table is full; c pushes out the fuller one (a, refilled longer). */
	assert_true(throttle_take(&t, &c, 1, 6) == 0);
	assert_int_equal(t.n, 2);
	assert_true(throttle_take(&t, &b, 1, 6) > 0); /* b is still remembered */
	assert_true(throttle_take(&t, &a, 1, 6) == 0); /* a was forgotten: full */
	throttle_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_key_then_global),
		cmocka_unit_test(test_cost_above_burst),
		cmocka_unit_test(test_forgets_the_fullest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
