/* test_sockhist.c - socket ages by cookie. */
#include <socklife/proto.h>
#include <socklife/sockhist.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void test_age_grows_and_resets_on_state_change(void **state)
{
	(void)state;
	struct sockhist h = SOCKHIST_INIT;
	sockhist_begin(&h);
	assert_float_equal(sockhist_observe(&h, 7, ST_FIN_WAIT2, 100, 0), 0, 1e-9);
	sockhist_end(&h);
	sockhist_begin(&h);
	assert_float_equal(sockhist_observe(&h, 7, ST_FIN_WAIT2, 130, 0), 30, 1e-9);
	sockhist_end(&h);
	/* The same socket in a new state: its age in that state starts now,
	 * its first sighting stays. */
	sockhist_begin(&h);
	assert_float_equal(sockhist_observe(&h, 7, ST_CLOSE_WAIT, 140, 0), 0, 1e-9);
	assert_float_equal(sockhist_find(&h, 7)->first_seen, 100, 1e-9);
	sockhist_end(&h);
	sockhist_begin(&h);
	assert_float_equal(sockhist_observe(&h, 7, ST_CLOSE_WAIT, 150, 0), 10, 1e-9);
	sockhist_end(&h);
	sockhist_free(&h);
}

static void test_kernel_hint_on_first_sight_only(void **state)
{
	(void)state;
	struct sockhist h = SOCKHIST_INIT;
	sockhist_begin(&h);
	/* tcp_info says the peer went quiet 600 s ago: trust it the first time. */
	assert_float_equal(sockhist_observe(&h, 9, ST_CLOSE_WAIT, 1000, 600), 600, 1e-9);
	sockhist_end(&h);
	sockhist_begin(&h);
	assert_float_equal(sockhist_observe(&h, 9, ST_CLOSE_WAIT, 1010, 5), 610, 1e-9);
	sockhist_end(&h);
	sockhist_free(&h);
}

static void test_gone_sockets_are_dropped(void **state)
{
	(void)state;
	struct sockhist h = SOCKHIST_INIT;
	sockhist_begin(&h);
	for (uint64_t c = 1; c <= 1000; c++)
		sockhist_observe(&h, c, ST_CLOSE_WAIT, 10, 0);
	sockhist_end(&h);
	assert_int_equal(h.map.count, 1000);
	sockhist_begin(&h);
	sockhist_observe(&h, 500, ST_CLOSE_WAIT, 20, 0);
	sockhist_end(&h);
	assert_int_equal(h.map.count, 1);
	assert_null(sockhist_find(&h, 1));
	assert_non_null(sockhist_find(&h, 500));
	assert_true(h.map.cap <= 256); /* shrank back */
	/* A socket that comes back after being dropped starts over. */
	sockhist_begin(&h);
	assert_float_equal(sockhist_observe(&h, 1, ST_CLOSE_WAIT, 30, 0), 0, 1e-9);
	sockhist_end(&h);
	sockhist_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_age_grows_and_resets_on_state_change),
		cmocka_unit_test(test_kernel_hint_on_first_sight_only),
		cmocka_unit_test(test_gone_sockets_are_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
