/* test_radix.c - the sort by high halves is a sort, and stable. */
#include <socklife/radix.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

static int by_whole_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Keys whose low halves rise in input order: sorted stably by the high
 * half, they come out sorted as whole keys, which qsort checks. */
static void check(uint64_t *v, size_t n)
{
	uint64_t *scratch = malloc((n + 1) * sizeof(*v)), *want = malloc((n + 1) * sizeof(*v));
	assert_non_null(scratch);
	assert_non_null(want);
	for (size_t i = 0; i < n; i++)
		want[i] = v[i];
	qsort(want, n, sizeof(*want), by_whole_key);
	radix_sort_hi32(v, scratch, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i], want[i]);
	free(scratch);
	free(want);
}

static void test_sorts_stably(void **state)
{
	(void)state;
	enum { N = 5000 };
	static uint64_t v[N];
	srand(7);
	/* Every byte differs somewhere; many repeats (one socket, many fds). */
	for (uint32_t i = 0; i < N; i++)
		v[i] = (uint64_t)((uint32_t)rand() % 700 * 0x01010101u) << 32 | i;
	check(v, N);
	/* Keys sharing their upper bytes: those passes are skipped. */
	for (uint32_t i = 0; i < N; i++)
		v[i] = (uint64_t)(0x12340000u + (uint32_t)rand() % 300) << 32 | i;
	check(v, N);
	/* All equal, one, none. */
	for (uint32_t i = 0; i < N; i++)
		v[i] = (uint64_t)0xffffffffu << 32 | i;
	check(v, N);
	check(v, 1);
	check(v, 0);
	/* Reversed: the worst for an insertion sort, nothing for this one. */
	for (uint32_t i = 0; i < N; i++)
		v[i] = (uint64_t)(N - i) << 32 | i;
	check(v, N);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorts_stably),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
