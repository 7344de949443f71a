/* test_owners.c - inode -> holder chains. */
#include <socklife/owners.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

static size_t chain(const struct owners *o, uint64_t inode, uint32_t out[8])
{
	size_t n = 0;
	for (uint32_t h = owners_first(o, inode); h != OWNERS_NONE; h = owners_next(o, h))
		if (n < 8)
			out[n++] = h;
	return n;
}

static void test_chains_in_walk_order(void **state)
{
	(void)state;
	struct sock_holder h[] = {
		{10, 0, 3}, {11, 0, 4}, {10, 1, 3}, {12, 2, 5}, {10, 2, 9},
	};
	struct owners o = {0};
	uint32_t out[8];

	assert_int_equal(owners_build(&o, h, 5), 0);
	assert_int_equal(chain(&o, 10, out), 3);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 2);
	assert_int_equal(out[2], 4);
	assert_int_equal(chain(&o, 11, out), 1);
	assert_int_equal(chain(&o, 12, out), 1);
	assert_int_equal(owners_first(&o, 13), OWNERS_NONE);
	assert_int_equal(owners_first(&o, 0), OWNERS_NONE);
	owners_free(&o);
}

static void test_rebuild_and_scale(void **state)
{
	(void)state;
	struct owners o = {0};
	size_t n = 200000;
	struct sock_holder *h = calloc(n, sizeof(*h));
	for (size_t i = 0; i < n; i++)
		h[i] = (struct sock_holder){1000 + i, (uint32_t)(i % 200), 3};
	assert_int_equal(owners_build(&o, h, n), 0);
	assert_true(o.cap >= n + n / 2); /* sized to the sockets, not a fixed bucket count */
	assert_int_equal(owners_find(&o, 1000 + 777)->proc, 777 % 200);
	for (size_t i = 0; i < n; i += 997)
		assert_int_equal(owners_first(&o, 1000 + i), i);
	assert_int_equal(owners_first(&o, 1000 + n), OWNERS_NONE);

	/* A smaller rebuild forgets the old entries. */
	struct sock_holder small[] = {{5, 0, 1}};
	assert_int_equal(owners_build(&o, small, 1), 0);
	assert_int_equal(owners_first(&o, 1000), OWNERS_NONE);
	assert_int_equal(owners_first(&o, 5), 0);

	/* Superseded holders are left out; inodes past 32 bits never match. */
	struct sock_holder dead[] = {{5, PROCSCAN_DEAD, 1}, {6, 3, 1}, {1ULL << 40, 3, 2}};
	assert_int_equal(owners_build(&o, dead, 3), 0);
	assert_int_equal(owners_first(&o, 5), OWNERS_NONE);
	assert_int_equal(owners_first(&o, 6), 1);
	assert_null(owners_find(&o, 1ULL << 40));

	/* Nothing at all. */
	assert_int_equal(owners_build(&o, NULL, 0), 0);
	assert_int_equal(owners_first(&o, 5), OWNERS_NONE);
	free(h);
	owners_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chains_in_walk_order),
		cmocka_unit_test(test_rebuild_and_scale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
