/* test_duration.c - Prometheus-style durations. */
#include <socklife/duration.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void test_valid(void **state)
{
	(void)state;
	double s;
	assert_int_equal(duration_parse("15s", &s), 0);
	assert_float_equal(s, 15, 1e-12);
	assert_int_equal(duration_parse("500ms", &s), 0);
	assert_float_equal(s, 0.5, 1e-12);
	assert_int_equal(duration_parse("2m", &s), 0);
	assert_float_equal(s, 120, 1e-12);
	assert_int_equal(duration_parse("1h", &s), 0);
	assert_float_equal(s, 3600, 1e-12);
	assert_int_equal(duration_parse("0.25", &s), 0);
	assert_float_equal(s, 0.25, 1e-12);
}

static void test_invalid(void **state)
{
	(void)state;
	double s;
	const char *bad[] = {"", "s", "-1s", "+1s", "1x", "1 s", "nan", "inf", "1e999", "5sec", NULL};
	for (const char **b = bad; *b; b++)
		assert_int_equal(duration_parse(*b, &s), -EINVAL);
	assert_int_equal(duration_parse(NULL, &s), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
