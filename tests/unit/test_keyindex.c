/* test_keyindex.c - keys numbered in the order they come, runs cheap. */
#include <socklife/keyindex.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static void test_numbers_in_order(void **state)
{
	(void)state;
	struct keyindex k = KEYINDEX_INIT;
	bool added;
	assert_int_equal(keyindex_of(&k, 500, &added), 0);
	assert_true(added);
	assert_int_equal(keyindex_of(&k, 500, &added), 0); /* a run: the remembered one */
	assert_false(added);
	assert_int_equal(keyindex_of(&k, 7, &added), 1);
	assert_true(added);
	assert_int_equal(keyindex_of(&k, 500, &added), 0); /* back: from the map */
	assert_false(added);
	assert_int_equal(keyindex_find(&k, 7), 1);
	assert_int_equal(keyindex_find(&k, 8), -1);
	for (uint32_t key = 1000; key < 3000; key++)
		assert_int_equal(keyindex_of(&k, key, &added), key - 1000 + 2);
	keyindex_clear(&k);
	assert_int_equal(keyindex_find(&k, 500), -1);
	assert_int_equal(keyindex_of(&k, 7, &added), 0); /* afresh */
	keyindex_free(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_in_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
