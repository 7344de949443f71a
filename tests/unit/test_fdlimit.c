/* test_fdlimit.c - the soft fd limit raised, and connections capped so a
 * pass keeps its reserve. */
#include <socklife/fdlimit.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include <cmocka.h>

static void test_connections_leave_the_reserve(void **state)
{
	(void)state;
	const uint64_t fixed = FDLIMIT_SERVER_FDS + FDLIMIT_PASS_RESERVE + 1;
	/* Plenty: what was asked for. */
	assert_int_equal(fdlimit_connections(1048576, 20, 64), 64);
	assert_int_equal(fdlimit_connections(UINT64_MAX, 20, 100000), 100000);
	/* systemd's soft 1024 left as it is, 1000 asked for: what fits, each
	 * connection counting as its gate entries (a cut one holds its fd a
	 * while). */
	const uint64_t per = FDLIMIT_FDS_PER_CONNECTION;
	assert_int_equal(fdlimit_connections(1024, 20, 1000), (1024 - 20 - fixed) / per);
	/* Exactly enough. */
	assert_int_equal(fdlimit_connections(20 + fixed + 64 * per, 20, 64), 64);
	assert_int_equal(fdlimit_connections(20 + fixed + 64 * per - 1, 20, 64), 63);
	assert_int_equal(fdlimit_connections(20 + fixed + 1, 20, 64), 1);
	/* Too low to promise anything: one connection, never none. */
	assert_int_equal(fdlimit_connections(50, 20, 64), 1);
	assert_int_equal(fdlimit_connections(20 + fixed, 20, 64), 1);
	assert_int_equal(fdlimit_connections(0, 20, 64), 1);
}

static void test_raise(void **state)
{
	(void)state;
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max < 64)
		skip();
	struct rlimit low = {rl.rlim_max / 2, rl.rlim_max};
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	struct fdlimit f;
	assert_int_equal(fdlimit_raise(&f), 0);
	assert_int_equal(f.was, rl.rlim_max / 2);
	assert_int_equal(f.soft, rl.rlim_max);
	assert_int_equal(f.hard, rl.rlim_max);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(low.rlim_cur, rl.rlim_max);
	/* Already raised: nothing to do. */
	assert_int_equal(fdlimit_raise(&f), 0);
	assert_int_equal(f.was, f.soft);
	setrlimit(RLIMIT_NOFILE, &rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connections_leave_the_reserve),
		cmocka_unit_test(test_raise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
