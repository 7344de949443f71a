/* test_twports.c - TIME_WAIT attributed to ports, busiest first. */
#include <socklife/twports.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

static struct twports tw;

static void test_sides_and_top(void **state)
{
	(void)state;
	struct twport_row rows[2 * (TWPORTS_TOP_MAX + 1)];
	twports_begin(&tw);
	twports_listen(&tw, 80);
	twports_listen(&tw, 443);
	for (int i = 0; i < 30; i++)
		twports_time_wait(&tw, 80, (uint16_t)(40000 + i)); /* we served, closed first */
	for (int i = 0; i < 10; i++)
		twports_time_wait(&tw, 443, (uint16_t)(41000 + i));
	for (int i = 0; i < 5; i++)
		twports_time_wait(&tw, 8080, (uint16_t)(42000 + i)); /* listener gone, peer ephemeral */
	for (int i = 0; i < 20; i++)
		twports_time_wait(&tw, (uint16_t)(50000 + i), 5432); /* we were a client of 5432 */
	for (int i = 0; i < 3; i++)
		twports_time_wait(&tw, (uint16_t)(51000 + i), 6379);
	twports_time_wait(&tw, 52000, 53000); /* both ephemeral: the remote side */

	int n = twports_top(&tw, 32768, 60999, 2, rows);
	assert_int_equal(n, 6);
	/* local: 80 (30), 443 (10), other (5 from 8080) */
	assert_int_equal(rows[0].side, TW_LOCAL);
	assert_int_equal(rows[0].port, 80);
	assert_int_equal(rows[0].count, 30);
	assert_int_equal(rows[1].port, 443);
	assert_int_equal(rows[2].other, 1);
	assert_int_equal(rows[2].count, 5);
	/* remote: 5432 (20), 6379 (3), other (1) */
	assert_int_equal(rows[3].side, TW_REMOTE);
	assert_int_equal(rows[3].port, 5432);
	assert_int_equal(rows[3].count, 20);
	assert_int_equal(rows[4].port, 6379);
	assert_int_equal(rows[5].other, 1);
	assert_int_equal(rows[5].count, 1);

	/* The next namespace starts clean, and "other" rows are always there. */
	twports_begin(&tw);
	n = twports_top(&tw, 0, 0, 2, rows);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].count, 0);
	assert_int_equal(rows[1].count, 0);
	assert_true(rows[0].other && rows[1].other);
	twports_free(&tw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sides_and_top),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
