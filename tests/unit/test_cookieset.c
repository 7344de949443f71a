/* test_cookieset.c - de-duplication by sock_diag cookie. */
#include <socklife/cookieset.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void test_add_and_repeat(void **state)
{
	(void)state;
	struct cookieset s = {0};
	assert_int_equal(cookieset_add(&s, 42), 1);
	assert_int_equal(cookieset_add(&s, 42), 0);
	assert_int_equal(cookieset_add(&s, 43), 1);
	assert_int_equal(s.count, 2);
	/* Cookie 0 has no identity: always counted, never stored. */
	assert_int_equal(cookieset_add(&s, 0), 1);
	assert_int_equal(cookieset_add(&s, 0), 1);
	assert_int_equal(s.count, 2);
	cookieset_free(&s);
}

static void test_growth_keeps_members(void **state)
{
	(void)state;
	struct cookieset s = {0};
	for (uint64_t c = 1; c <= 100000; c++)
		assert_int_equal(cookieset_add(&s, c * 3), 1);
	assert_true(s.cap >= 2 * s.count);
	for (uint64_t c = 1; c <= 100000; c++)
		assert_int_equal(cookieset_add(&s, c * 3), 0);
	assert_int_equal(cookieset_add(&s, 1), 1);
	cookieset_free(&s);
}

static void test_clear_keeps_memory(void **state)
{
	(void)state;
	struct cookieset s = {0};
	for (uint64_t c = 1; c <= 5000; c++)
		cookieset_add(&s, c);
	size_t cap = s.cap;
	cookieset_clear(&s);
	assert_int_equal(s.count, 0);
	assert_int_equal(s.cap, cap);
	assert_int_equal(cookieset_add(&s, 17), 1);
	cookieset_free(&s);
}

static void test_remove_keeps_probe_runs(void **state)
{
	(void)state;
	struct cookieset s = {0};
	/* Consecutive keys collide into long probe runs at this size. */
	for (uint64_t c = 1; c <= 3000; c++)
		cookieset_add(&s, c * 7);
	for (uint64_t c = 1; c <= 3000; c += 2)
		assert_int_equal(cookieset_remove(&s, c * 7), 1);
	assert_int_equal(cookieset_remove(&s, 7), 0);
	assert_int_equal(s.count, 1500);
	for (uint64_t c = 1; c <= 3000; c++)
		assert_int_equal(cookieset_has(&s, c * 7), c % 2 == 0);
	assert_false(cookieset_has(&s, 0));
	cookieset_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_and_repeat),
		cmocka_unit_test(test_growth_keeps_members),
		cmocka_unit_test(test_clear_keeps_memory),
		cmocka_unit_test(test_remove_keeps_probe_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
